#!/bin/bash
# Source line coverage that a fuzz target's grown corpus reaches, per file
# of src/, for BENCHMARKS.md's fuzzing record (libFuzzer's "cov" counts
# edges of the whole binary; this says how much of each parser's own file
# the corpus runs). The corpus is only replayed, never changed.
#
#   tests/fuzz/coverage.sh /tmp/fz/corpus/dns /tmp/fz/corpus/fat ...
#
# prints "target file covered/lines percent" for every src/ file the corpus
# touched. A corpus directory is named after its target, as run.sh leaves
# it under $FUZZ_WORK/corpus/. Needs nightly and its llvm-tools component
# (`rustup component add llvm-tools --toolchain nightly`); not part of
# tests/run-all.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
sysroot=$(rustc +nightly --print sysroot)
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
llvm_cov=$sysroot/lib/rustlib/$host/bin/llvm-cov
[ -x "$llvm_cov" ] || { echo "no $llvm_cov: rustup component add llvm-tools --toolchain nightly" >&2; exit 1; }
mkdir -p "$root/target" # the per-target logs; a fresh clone has none
for corpus in "$@"; do
  t=$(basename "$corpus")
  if ! cargo +nightly fuzz coverage --fuzz-dir tests/fuzz "$t" "$corpus" > "$root/target/coverage-$t.log" 2>&1; then
    echo "$t: cargo fuzz coverage failed (see target/coverage-$t.log)" >&2
    exit 1
  fi
  # llvm-cov's columns: file, regions (3), functions (3), lines: count,
  # missed, percent, ...
  "$llvm_cov" report "target/$host/coverage/$host/release/$t" \
    -instr-profile="tests/fuzz/coverage/$t/coverage.profdata" \
    --ignore-filename-regex='/\.cargo/|/rustc/|tests/fuzz/' |
    awk -v t="$t" '$1 ~ /^src\// && $8 > $9 { printf "%s %s %d/%d %s\n", t, $1, $8 - $9, $8, $10 }'
done
