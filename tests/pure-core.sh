#!/bin/bash
# The functional core has no syscalls, clock, randomness, processes or files
# (STYLE.md): every path in tests/pure-modules.txt is grepped for the ways
# in. Fails closed: a listed path that is missing, or grep failing (exit 2),
# is a failure, not a pass. A self-test first proves the check catches a
# violation and a grep error.
#   tests/pure-core.sh [LIST]
set -uo pipefail
cd "$(dirname "$0")/.."
list=${1:-tests/pure-modules.txt}
FORBIDDEN='rustix|std::fs|std::net::(Tcp|Udp)|std::process|std::thread|Instant::now|SystemTime|crate::sys\b|\.exists\(\)|File::|OpenOptions|getrandom'
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

# check PATH: 0 clean, 1 violation (hits on stdout), 2 missing or grep error
check() {
  [ -e "$1" ] || { echo "missing"; return 2; }
  local out rc
  out=$(grep -rnE "$FORBIDDEN" "$1" 2>&1); rc=$?
  case $rc in
    1) return 0 ;;
    0) echo "$out" | head -5; return 1 ;;
    *) echo "grep exit $rc: $out"; return 2 ;;
  esac
}

# Self-test: a scratch module with a syscall must fail, a clean one pass,
# and a path grep cannot read must fail too.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf 'fn f() { let _ = std::fs::read("x"); }\n' > "$scratch/dirty.rs"
printf 'fn f() -> u8 { 1 }\n' > "$scratch/clean.rs"
check "$scratch/dirty.rs" > /dev/null; r1=$?
check "$scratch/clean.rs" > /dev/null; r2=$?
check "$scratch/nonexistent.rs" > /dev/null; r3=$?
if [ $r1 = 1 ] && [ $r2 = 0 ] && [ $r3 = 2 ]; then ok pure-core-self-test
else bad pure-core-self-test "dirty=$r1 (want 1) clean=$r2 (want 0) missing=$r3 (want 2)"; fi

[ -r "$list" ] || { bad pure-core "cannot read $list"; echo "$pass passed, $fail failed"; exit 1; }
n=0
while read -r path; do
  case $path in ''|'#'*) continue ;; esac
  n=$((n + 1))
  if why=$(check "$path"); then ok "pure-core $path"; else bad "pure-core $path" "$(echo "$why" | paste -sd ';')"; fi
done < "$list"
[ $n -gt 0 ] || bad pure-core "no module listed in $list"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
