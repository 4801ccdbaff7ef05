#!/bin/bash
# Builds the static release binary (musl if the target is installed, else
# glibc with +crt-static) and prints its path. Used by every script suite.
set -euo pipefail
cd "$(dirname "$0")/../.."
if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
  target=x86_64-unknown-linux-musl
  cargo build -q --release --locked --target "$target" >&2
else
  target=x86_64-unknown-linux-gnu
  RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked --target "$target" >&2
fi
echo "$PWD/target/$target/release/cloudseed"
