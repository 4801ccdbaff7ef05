#!/bin/bash
# Builds the static release binary and prints its path. Used by every suite.
#
# Best (what ships, under the 600 KiB budget): musl, std rebuilt for size
# without its backtrace symbolizer and with panic=abort (a parser panic ends
# only the probe helper process, src/scan.rs), non-PIE, no panic locations,
# and no unwind tables: nothing unwinds under panic=abort, and .eh_frame was
# ~80 KiB (15 % of the binary).
# That needs the rust-src component and unstable cargo flags (RUSTC_BOOTSTRAP=1
# on stable). Fallbacks: plain musl, then glibc with +crt-static.
set -euo pipefail
cd "$(dirname "$0")/../.."
installed=$(rustup target list --installed 2>/dev/null || true)
sysroot=$(rustc --print sysroot)
if grep -qx x86_64-unknown-linux-musl <<<"$installed" && [ -d "$sysroot/lib/rustlib/src/rust/library" ] &&
   [ "${CLOUDSEED_PLAIN_STD:-}" = "" ]; then
  target=x86_64-unknown-linux-musl dir=target/static
  RUSTC_BOOTSTRAP=1 \
  RUSTFLAGS="-C relocation-model=static -Z location-detail=none -C link-arg=-Wl,-z,noseparate-code -C force-unwind-tables=no" \
    cargo build -q --release --locked --target "$target" --target-dir "$dir" \
      -Z build-std=std,panic_abort -Z build-std-features=optimize_for_size >&2
elif grep -qx x86_64-unknown-linux-musl <<<"$installed"; then
  target=x86_64-unknown-linux-musl dir=target
  cargo build -q --release --locked --target "$target" >&2
else
  target=x86_64-unknown-linux-gnu dir=target
  RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked --target "$target" >&2
fi
echo "$PWD/$dir/$target/release/cloudseed"
