#!/bin/bash
# apt: kmod python3
# tests/lib/kernel.sh: the Debian kernel for the host's release, unpacked and
# with modules.dep, for booting under QEMU. Prints "DIR KVER" on one line:
#   DIR/vmlinuz                       the kernel
#   DIR/vmlinux                       the same, uncompressed (ELF with a PVH entry):
#                                     QEMU boots it ~10 s sooner under TCG, where
#                                     the xz decompression of vmlinuz is slow
#   DIR/root/lib/modules/KVER/...     its modules (depmod -b DIR/root KVER)
# Cached under ${CLOUDSEED_CACHE:-/var/cache/cloudseed-test}/kernel; rebuilt when
# missing. CLOUDSEED_KERNEL_REFRESH=1 fetches the newest package again.
set -euo pipefail
cache=${CLOUDSEED_CACHE:-/var/cache/cloudseed-test}/kernel
mkdir -p "$cache"
exec 9> "$cache/.lock"
flock 9 # concurrent suites share one cache

if [ -z "${CLOUDSEED_KERNEL_REFRESH:-}" ] && [ -s "$cache/kver" ] &&
   [ -e "$cache/vmlinuz" ] && [ -e "$cache/vmlinux" ] && [ -s "$cache/root/lib/modules/$(cat "$cache/kver")/modules.dep" ]; then
  echo "$cache $(cat "$cache/kver")"
  exit 0
fi

dl=$cache/debs
rm -rf "$dl" "$cache/root.new"
mkdir -p "$dl"
chown _apt "$dl" 2>/dev/null || true # apt downloads as _apt when it can
cd "$dl"
# The metapackage names the versioned image package it depends on.
apt-get download -q linux-image-amd64 >&2 ||
  { apt-get update -qq >&2 && apt-get download -q linux-image-amd64 >&2; }
meta=$(ls linux-image-amd64_*.deb)
pkg=$(dpkg-deb -f "$meta" Depends | tr ',' '\n' | sed -nE 's/^ *(linux-image-[0-9][^ ]*-amd64)( .*)?$/\1/p' | head -1)
[ -n "$pkg" ] || { echo "kernel.sh: no linux-image-<ver>-amd64 in $meta's Depends" >&2; exit 1; }
apt-get download -q "$pkg" >&2
kver=${pkg#linux-image-}

dpkg-deb -x "$(ls "${pkg}"_*.deb)" "$cache/root.new"
# /lib may be a plain dir or, on merged-usr layouts, under usr/
mdir=$cache/root.new/lib/modules/$kver
[ -d "$mdir" ] || { mkdir -p "$cache/root.new/lib"; mv "$cache/root.new/usr/lib/modules" "$cache/root.new/lib/"; }
depmod -b "$cache/root.new" "$kver"
rm -rf "$cache/root"
mv "$cache/root.new" "$cache/root"
cp "$cache/root/boot/vmlinuz-$kver" "$cache/vmlinuz"
# Debian's bzImage carries an xz payload; unpack it (python's lzma stops at the
# end of the stream, ignoring what follows). Without one, use vmlinuz as is.
python3 - "$cache/vmlinuz" "$cache/vmlinux.tmp" <<'PY' || cp "$cache/vmlinuz" "$cache/vmlinux.tmp"
import lzma, sys
data = open(sys.argv[1], "rb").read()
at = data.find(b"\xfd7zXZ\x00")
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[at:]) if at >= 0 else b""
if not elf.startswith(b"\x7fELF"):
    sys.exit(1)
open(sys.argv[2], "wb").write(elf)
PY
mv "$cache/vmlinux.tmp" "$cache/vmlinux"
echo "$kver" > "$cache/kver"
rm -rf "$dl"
echo "$cache $kver"
