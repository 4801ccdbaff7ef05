#!/bin/bash
# apt: man-db groff-base
# The man pages, `cloudseed --help` and the README agree: fails on drift.
# Key lists come from the code, not from a copy of it:
#   - every cmdline key src/cmdline.rs matches (the `("key", …) =>` arms of
#     parse and the `"knob" =>` arms of fn knob, as cloudseed.<knob>);
#   - every long option `cloudseed --help` prints, and its exit codes.
# Each must be in man/cloudseed-cmdline.7 (keys) or man/cloudseed.8 (options,
# exit codes), and every key in the README's "Kernel command line" table.
#   tests/package/docs.sh [BIN]    (default: a debug build)
set -uo pipefail
cd "$(dirname "$0")/../.."
pass=0 nfail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; nfail=$((nfail + 1)); }
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build -q --locked 2>&1 | tail -5
  bin=target/debug/cloudseed
fi
# man's rendering, hyphens as plain '-' (groff writes U+2010 in some locales)
render() { MANWIDTH=200 LC_ALL=C.UTF-8 man -l -P cat "$1" 2> /dev/null | sed 's/\xe2\x80\x90/-/g; s/\xe2\x88\x92/-/g'; }
m8=$(render man/cloudseed.8) m7=$(render man/cloudseed-cmdline.7)
[ -n "$m8" ] && [ -n "$m7" ] || { bad "man pages render"; echo "$pass passed, $nfail failed"; exit 1; }

# 1. the pages render without groff warnings
w=$( { LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l man/cloudseed.8 > /dev/null; MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l man/cloudseed-cmdline.7 > /dev/null; } 2>&1)
[ -z "$w" ] && ok "man pages render without warnings" || bad "groff warnings: $w"

# 2. cmdline keys from the code
keys=$(sed -n '/^pub fn parse(/,/^}/p' src/cmdline.rs | grep -oE '^\s*\("[A-Za-z0-9_.-]+", ' | grep -oE '"[^"]+"' | tr -d '"')
knobs=$(sed -n '/^fn knob(/,/^}/p' src/cmdline.rs | grep -oE '^\s*"[a-z0-9-]+" =>' | grep -oE '"[^"]+"' | tr -d '"' | sed 's/^/cloudseed./')
all="$keys $knobs ds=nocloud"
[ "$(echo $keys | wc -w)" -ge 5 ] && [ "$(echo $knobs | wc -w)" -ge 8 ] ||
  bad "key extraction from src/cmdline.rs found too few (keys: $keys; knobs: $knobs)"
readme_table=$(sed -n '/^## Kernel command line/,/^## /p' README.md)
missing_man="" missing_readme=""
for k in $all; do
  grep -qF -- "$k" <<< "$m7" || missing_man="$missing_man $k"
  grep -qF -- "\`$k" <<< "$readme_table" || missing_readme="$missing_readme $k"
done
[ -z "$missing_man" ] && ok "cloudseed-cmdline(7) covers every key src/cmdline.rs reads ($(echo $all | wc -w))" ||
  bad "cloudseed-cmdline(7) lacks:$missing_man"
[ -z "$missing_readme" ] && ok "README's Kernel command line table covers every key" ||
  bad "README's Kernel command line table lacks:$missing_readme"
# every knob has a default stated on the page
nodefault=""
for k in $knobs; do
  awk -v k="$k" 'index($0, k) == 8 { on = 1; next } on && /^       [^ ]/ { exit } on { print }' <<< "$m7" |
    grep -q 'Default' || nodefault="$nodefault $k"
done
[ -z "$nodefault" ] && ok "every cloudseed.* knob states its default" || bad "no default stated for:$nodefault"
# and no key on the page that the code does not read
extra=""
for k in $(grep -oE 'cloudseed\.[a-z0-9-]+' <<< "$m7" | sort -u); do
  grep -qx -- "$k" <<< "$(tr ' ' '\n' <<< "$knobs")" || extra="$extra $k"
done
[ -z "$extra" ] && ok "cloudseed-cmdline(7) documents no knob the code lacks" || bad "documented but not read:$extra"

# 3. CLI: options and exit codes from --help
help=$("$bin" --help 2>&1) || { bad "cloudseed --help failed"; help=""; }
opts=$(grep -oE -- '--[a-z][a-z0-9-]+' <<< "$help" | sort -u)
[ "$(echo $opts | wc -w)" -ge 5 ] || bad "too few options in --help: $opts"
missing=""
for o in $opts; do grep -qF -- "$o" <<< "$m8" || missing="$missing $o"; done
[ -z "$missing" ] && ok "cloudseed(8) has every option of --help ($(echo $opts | wc -w))" || bad "cloudseed(8) lacks:$missing"
cmds=$(sed -n 's/^  cloudseed \([a-z][a-z-]*\) .*/\1/p' <<< "$help" | sort -u)
missing=""
for c in $cmds; do grep -qE -- "^ {7}$c( |$)" <<< "$m8" || missing="$missing $c"; done
[ -z "$missing" ] && ok "cloudseed(8) has every subcommand of --help ($(echo $cmds))" || bad "cloudseed(8) lacks subcommands:$missing"
codes=$(sed -n '/^EXIT STATUS/,/^$/p' <<< "$help" | grep -oE '^  [0-9]+' | tr -d ' ')
page_codes=$(sed -n '/^EXIT STATUS/,/^[A-Z]/p' <<< "$m8" | grep -oE '^ {7}[0-9]+' | tr -d ' ')
[ -n "$codes" ] && [ "$codes" = "$page_codes" ] && ok "exit codes agree ($(echo $codes))" ||
  bad "exit codes: --help [$(echo $codes)] vs cloudseed(8) [$(echo $page_codes)]"
readme_cli=$(sed -n '/^## CLI/,/^## /p' README.md)
missing=""
for o in $opts; do grep -qF -- "$o" <<< "$readme_cli" || missing="$missing $o"; done
[ -z "$missing" ] && ok "README's CLI section has every option of --help" || bad "README's CLI section lacks:$missing"

echo "$pass passed, $nfail failed"
[ "$nfail" = 0 ]
