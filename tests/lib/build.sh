#!/bin/bash
# Builds the static release binary and prints its path. Used by every suite.
#   tests/lib/build.sh [ARCH]      ARCH: x86_64 (default) or aarch64
#   CLOUDSEED_BUILD=plain ...      the packager's build instead (see below)
#   CLOUDSEED_TARGET_DIR=DIR ...   another cargo target dir (e.g. for an
#                                  unstripped build: tests/bench/size.sh)
#
# Best (what ships, under the 450 KiB budget): musl, core and alloc rebuilt for size,
# panic=immediate-abort (a panic traps at once: no panic formatting, hook,
# backtrace or unwinder in the binary; a parser panic ends only the probe
# helper process, and src/scan.rs reports the trap as that device's error),
# no unwind tables, non-PIE, no panic locations.
# That needs the rust-src component and unstable cargo flags (RUSTC_BOOTSTRAP=1
# on stable), into target/static/.
# plain: `cargo build --release --locked --target ARCH-unknown-linux-musl`
# with nothing else set (.cargo/config.toml's target flags apply), into
# target/: what a distribution package builds (debian/rules, the RPM spec).
# Fallbacks when the tuned build cannot be made: plain musl, then (x86_64
# only) glibc with +crt-static. aarch64 links with rustup's rust-lld
# (.cargo/config.toml), no cross gcc.
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=${1:-x86_64}
case $arch in
  x86_64) noseparate="-C link-arg=-Wl,-z,noseparate-code" ;;
  aarch64) noseparate="-C link-arg=-znoseparate-code" ;; # rust-lld directly
  *) echo "build.sh: unknown arch $arch (x86_64, aarch64)" >&2; exit 2 ;;
esac
musl=$arch-unknown-linux-musl
installed=$(rustup target list --installed 2>/dev/null || true)
sysroot=$(rustc --print sysroot)
mode=${CLOUDSEED_BUILD:-tuned}
[ -n "${CLOUDSEED_PLAIN_STD:-}" ] && mode=plain
if [ "$mode" = tuned ] && grep -qx "$musl" <<<"$installed" && [ -d "$sysroot/lib/rustlib/src/rust/library" ]; then
  target=$musl dir=${CLOUDSEED_TARGET_DIR:-target}/static
  RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="-Zunstable-options -C panic=immediate-abort -C relocation-model=static -C force-unwind-tables=no -Z location-detail=none $noseparate --remap-path-prefix=$PWD=." \
    cargo build -q --release --locked --target "$target" --target-dir "$dir" \
      -Z build-std=core,alloc -Z build-std-features=optimize_for_size >&2
elif grep -qx "$musl" <<<"$installed"; then
  target=$musl dir=${CLOUDSEED_TARGET_DIR:-target}
  env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS cargo build -q --release --locked --target "$target" --target-dir "$dir" >&2
elif [ "$arch" = x86_64 ] && [ "$mode" != plain ]; then
  target=x86_64-unknown-linux-gnu dir=target
  RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked --target "$target" >&2
else
  echo "build.sh: the $musl target is not installed (rustup target add $musl)" >&2
  exit 1
fi
case $dir in /*) ;; *) dir=$PWD/$dir ;; esac
echo "$dir/$target/release/cloudseed"
