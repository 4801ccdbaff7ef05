#!/bin/bash
# apt: debhelper dpkg-dev fakeroot make
# tests/package/build-deb.sh OUTDIR [ARCH]: builds the .deb from a clean copy of the
# checkout (tracked and new unignored files, plus vendor/ from `make vendor`)
# in OUTDIR/cloudseed-<version>/ and prints the .deb's path. The build log is
# OUTDIR/build.log. Used by tests/package/run.sh and tests/boot/full.sh.
# ARCH (e.g. arm64) cross-builds: `dpkg-buildpackage -a ARCH -d` (the Rust
# target is linked by rust-lld; no cross gcc or binutils is needed).
set -euo pipefail
out=${1:?usage: build-deb.sh OUTDIR}
cd "$(dirname "$0")/../.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
ver=$(dpkg-parsechangelog -S Version)
upver=${ver%%-*}
arch=${2:-$(dpkg --print-architecture)}
cross=()
[ "$arch" = "$(dpkg --print-architecture)" ] || cross=(-a "$arch" -d)
[ -d vendor ] && [ vendor -nt Cargo.lock ] || make -s vendor
src=$out/cloudseed-$upver
rm -rf "$src"; mkdir -p "$src"
git ls-files -co --exclude-standard | grep -v '^vendor/' | tar -cf - -T - | tar -xf - -C "$src"
cp -a vendor "$src/"
if ! (cd "$src" && nice dpkg-buildpackage -us -uc -b "${cross[@]}") > "$out/build.log" 2>&1; then
  tail -15 "$out/build.log" >&2
  exit 1
fi
echo "$out/cloudseed_${ver}_$arch.deb"
