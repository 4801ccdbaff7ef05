#!/bin/bash
# The README cannot drift: every source file, function and constant that its
# security notes and limits table name must exist, and each limit must hold
# the value the table gives (tests/doc-claims/check.py says how it reads
# them). Then a self-test: scratch copies of README.md + src/ with a wrong
# constant, a renamed function and a line-number reference must each fail.
#   tests/doc-claims.sh
# apt: python3
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
check=$here/doc-claims/check.py
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

out=$(python3 "$check" "$root" 2>&1); rc=$?
echo "$out" | grep -v '^PASS' | grep -v 'passed, .* failed$' | sed 's/^/  /'
summary=$(echo "$out" | tail -1)
if [ $rc = 0 ]; then ok "doc-claims README.md ($summary)"; else bad "doc-claims README.md" "$summary"; fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# mutant NAME SED-SCRIPT FILE: the checker must fail on the changed copy.
mutant() {
  local name=$1 script=$2 file=$3 d=$scratch/$1
  mkdir -p "$d" && cp -r "$root/README.md" "$root/src" "$d"/
  local before after
  before=$(md5sum < "$d/$file")
  sed -i "$script" "$d/$file"
  after=$(md5sum < "$d/$file")
  if [ "$before" = "$after" ]; then bad "self-test $name" "the edit changed nothing in $file"; return; fi
  if python3 "$check" "$d" > "$d.log" 2>&1; then
    bad "self-test $name" "the checker passed a README that is wrong"
  else
    ok "self-test $name ($(grep -m1 '^FAIL' "$d.log"))"
  fi
}
mutant wrong-constant 's/^pub const MAX_BODY: usize = 16 << 20;/pub const MAX_BODY: usize = 17 << 20;/' src/net/http.rs
mutant wrong-duration 's/MAX_RETRY_AFTER: Duration = Duration::from_secs(60)/MAX_RETRY_AFTER: Duration = Duration::from_secs(600)/' src/net/http.rs
mutant renamed-function 's/fn check_scheme(/fn check_scheme_renamed(/' src/net/http.rs
mutant missing-constant 's/const MAX_CNAME_HOPS/const MAX_CNAME_CHAIN/; s/MAX_CNAME_HOPS/MAX_CNAME_CHAIN/g' src/wire/dns.rs
mutant line-number 's/(`src\/net\/http.rs` `check_scheme`/(`src\/net\/http.rs` line ~510/' README.md
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
