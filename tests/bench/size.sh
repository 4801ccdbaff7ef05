#!/bin/bash
# apt: binutils python3
# Where the bytes go: builds the four release variants (tuned and plain, see
# tests/lib/build.sh; x86_64 and aarch64) once stripped, as shipped, and once
# unstripped (same code, symbols kept) for tests/bench/bloat.py, and prints
# markdown: the sizes against their budgets, then per crate and per function.
# Writes the "Size breakdown" section of BENCHMARKS.md unless BENCH_NO_WRITE=1.
# Exit 1 when a stripped build is over its budget (plain 600 KiB, tuned 450 KiB).
#   tests/bench/size.sh            (~8 release builds: several minutes)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
budget_plain=600 budget_tuned=450
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
over=0
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
{
  echo "| build | arch | stripped size | budget | |"
  echo "|---|---|---:|---:|---|"
} > "$work/sizes.md"
for arch in x86_64 aarch64; do
  for mode in tuned plain; do
    b=$(CLOUDSEED_BUILD=$mode tests/lib/build.sh "$arch") || { echo "FAIL size: $mode $arch build failed"; over=1; continue; }
    if [ "$mode" = tuned ] && [[ $b != */static/* ]]; then
      echo "FAIL size: no tuned build for $arch (rust-src and the musl target needed)"; over=1
    fi
    s=$(stat -c %s "$b")
    eval "budget=\$budget_$mode"
    verdict=ok
    [ "$s" -gt $((budget * 1024)) ] && { verdict="**OVER by $(kib $((s - budget * 1024))) KiB**"; over=1; }
    echo "| $mode | $arch | $(kib "$s") KiB | $budget KiB | $verdict |" >> "$work/sizes.md"
    u=$(CARGO_PROFILE_RELEASE_STRIP=false CLOUDSEED_TARGET_DIR=target/size CLOUDSEED_BUILD=$mode tests/lib/build.sh "$arch") ||
      { echo "FAIL size: unstripped $mode $arch build failed"; over=1; continue; }
    {
      echo
      echo "#### $mode $arch ($(kib "$s") KiB stripped)"
      echo
      python3 tests/bench/bloat.py "$u" --markdown --top 15
    } >> "$work/detail.md"
  done
done
{
  echo "<!-- size-breakdown:begin (written by tests/bench/size.sh) -->"
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $(git rev-parse --short HEAD 2> /dev/null), $(rustc --version)."
  echo "\"plain\" is \`cargo build --release --locked --target <arch>-unknown-linux-musl\` (what a"
  echo "package builds; .cargo/config.toml's target flags apply), \"tuned\" is tests/lib/build.sh."
  echo "Per crate: symbol sizes from an unstripped build of the same code (\`nm -S -C\`),"
  echo "generic code counted under the crate that defines it; \"(no symbol)\" is what no"
  echo "symbol covers: ELF headers, .eh_frame unwind tables, merged string literals, padding."
  echo
  cat "$work/sizes.md"
  cat "$work/detail.md"
  echo "<!-- size-breakdown:end -->"
} > "$work/section.md"
cat "$work/section.md"
if [ -z "${BENCH_NO_WRITE:-}" ]; then
  python3 - BENCHMARKS.md "$work/section.md" << 'PY'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
text = open(path).read()
new, n = re.subn(r"<!-- size-breakdown:begin.*?<!-- size-breakdown:end -->", lambda m: section, text, flags=re.S)
if n == 0:
    new = text.rstrip("\n") + "\n\n## Size breakdown\n\n" + section + "\n"
open(path, "w").write(new)
PY
fi
if [ $over = 1 ]; then echo "FAIL size: a build is over its budget (see the table)"; exit 1; fi
echo "PASS size"
