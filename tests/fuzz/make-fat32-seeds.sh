#!/bin/bash
# Makes the fat32 fuzz target's seeds (tests/fuzz/seeds/fat32/): tiny
# FAT32 volumes (256 KiB, about 500 clusters) by mkfs.vfat, cut after their
# last non-zero byte (the target zero-fills its input to 1 MiB), so each
# fits the target's -max_len of 13,312 bytes. mtools will not write into a
# FAT32 of fewer than 65,525 clusters, so the files are mcopy'd into a 34 MB twin
# made with the same reserved sectors, FAT count and cluster size, and its
# used clusters and FAT entries are copied over (as tests/volumes.rs
# `tiny_fat32` does). fsck.fat checks each result.
# apt: dosfstools mtools python3
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)/seeds/fat32
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/nc" "$t/cd/openstack/latest"
printf 'instance-id: fuzz32\n' > "$t/nc/meta-data"
printf '#cloud-config\nhostname: fuzz32\n' > "$t/nc/user-data"
printf 'version: 2\n' > "$t/nc/network-config"
printf '{"uuid": "u-32", "hostname": "h32"}\n' > "$t/cd/openstack/latest/meta_data.json"

# seed NAME LABEL "MKFS OPTIONS" SRC-DIR
seed() {
  local name=$1 label=$2 opts=$3 src=$4
  rm -f "$t/big.img" "$t/tiny.img"
  # shellcheck disable=SC2086
  mkfs.vfat -F 32 -s 1 $opts -n "$label" -C "$t/big.img" 34000 > /dev/null 2>&1
  # shellcheck disable=SC2086
  mkfs.vfat -F 32 -s 1 $opts -n "$label" -C "$t/tiny.img" 256 > /dev/null 2>&1
  mcopy -s -i "$t/big.img" "$src"/* ::/
  python3 - "$t/big.img" "$t/tiny.img" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
t = bytearray(open(sys.argv[2], "rb").read())
u16 = lambda d, o: struct.unpack_from("<H", d, o)[0]
u32 = lambda d, o: struct.unpack_from("<I", d, o)[0]
res, fats = u16(t, 14), t[16]
fat = res * 512
used = max(c for c in range(2, 65536) if u32(b, fat + 4 * c))
for f in range(fats):
    at = fat + f * u32(t, 36) * 512
    t[at:at + 4 * (used + 1)] = b[fat:fat + 4 * (used + 1)]
bd, td = (res + fats * u32(b, 36)) * 512, (res + fats * u32(t, 36)) * 512
t[td:td + (used - 1) * 512] = b[bd:bd + (used - 1) * 512]
total = u16(t, 19) or u32(t, 32)
clusters = total - res - fats * u32(t, 36)
fsinfo = u16(t, 48) * 512
struct.pack_into("<II", t, fsinfo + 488, clusters - (used - 1), used + 1)
open(sys.argv[2], "wb").write(t)
PY
  fsck.fat -n "$t/tiny.img" > /dev/null 2>&1 || { fsck.fat -n "$t/tiny.img"; exit 1; }
  python3 -c '
import sys
d = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(d[:max(i for i, c in enumerate(d) if c) + 1])
' "$t/tiny.img" "$here/$name"
}
seed tiny-cidata CIDATA "-R 2 -f 1 -b 0" "$t/nc"
seed tiny-cidata-2fats cidata "-R 8 -b 6" "$t/nc"
seed tiny-config2 config-2 "-R 2 -f 1 -b 0" "$t/cd"
ls -l "$here"
