#!/bin/bash
# Installs what the test suites need, so that `tests/run-all` (and .ci/run,
# which only calls it) works on a fresh Debian 12 machine with nothing run
# first. tests/run-all calls this before its suites; it is quick when
# everything is there (dpkg -s per package, no apt-get update).
#   - apt packages: a base set plus every `# apt:` / `//! apt:` line under tests/
#   - rustup: the x86_64 and aarch64 musl targets and the rust-src component
#     (tests/lib/build.sh's tuned build and the arm64 boots need them)
# Not root, or CLOUDSEED_NO_DEPS=1: only reports what is missing.
set -uo pipefail
cd "$(dirname "$0")/../.."
t0=$SECONDS
pkgs="ca-certificates python3 python3-yaml dosfstools mtools genisoimage xorriso
      iproute2 dnsmasq-base busybox-static netcat-openbsd cpio gzip zstd kmod file
      qemu-system-x86 debootstrap e2fsprogs time util-linux"
pkgs="$pkgs $(grep -rhoE '^(#|//!?) apt: .*' tests --include='*.sh' --include='*.rs' 2>/dev/null |
  sed -E 's/^(#|\/\/!?) apt: //' | tr ' ' '\n' | grep -E '^[a-z0-9][a-z0-9+.-]+$' | sort -u | tr '\n' ' ')"
missing=()
for p in $pkgs; do
  [ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
done
can=yes
{ [ "$(id -u)" = 0 ] && [ -z "${CLOUDSEED_NO_DEPS:-}" ]; } || can=no
if [ ${#missing[@]} -gt 0 ]; then
  if [ $can = yes ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null; } ||
      { echo "deps: apt-get install failed" >&2; exit 1; }
  else
    echo "deps: missing packages (run as root to install): ${missing[*]}" >&2
  fi
fi

if command -v rustup > /dev/null; then
  have=$(rustup target list --installed 2>/dev/null)
  for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
    grep -qx "$t" <<< "$have" && continue
    if [ -z "${CLOUDSEED_NO_DEPS:-}" ]; then
      echo "deps: rustup target add $t"
      rustup target add "$t" > /dev/null 2>&1 || echo "deps: could not add $t (build.sh falls back)" >&2
    else echo "deps: missing rust target $t" >&2; fi
  done
  if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
    if [ -z "${CLOUDSEED_NO_DEPS:-}" ]; then
      echo "deps: rustup component add rust-src"
      rustup component add rust-src > /dev/null 2>&1 || echo "deps: rust-src unavailable (larger build)" >&2
    else echo "deps: missing rust-src" >&2; fi
  fi
else
  echo "deps: no rustup: install Rust >= 1.81 with the musl targets (https://rustup.rs)" >&2
fi
echo "deps: ready in $((SECONDS - t0))s"
