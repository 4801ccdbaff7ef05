#!/bin/bash
# Prints BENCHMARKS.md "Fuzzing record" rows from the logs tests/fuzz/run.sh
# leaves ($FUZZ_WORK/<target>.log, run with FUZZ_RUNS=...):
#   tests/fuzz/record.sh /tmp/fz-url/url.log /tmp/fz-dns/dns.log ...
# Executions and exec/s from libFuzzer's final stats (-print_final_stats=1),
# cov/ft/corpus from its last status line, crashes = crash-* artifacts
# beside the log. A run that has not ended shows its last status line's
# count, marked "(running)".
set -uo pipefail
echo "| Target | Executions | exec/s | cov | ft | corpus | crashes |"
echo "|---|---|---|---|---|---|---|"
for log in "$@"; do
  t=$(basename "$log" .log)
  crashes=$(ls "$(dirname "$log")/artifacts/$t-crash-"* 2> /dev/null | wc -l)
  awk -v t="$t" -v crashes="$crashes" '
    /^#[0-9]+/ && / cov: / {
      n = substr($1, 2)
      for (i = 1; i <= NF; i++) {
        if ($i == "cov:") cov = $(i + 1)
        if ($i == "ft:") ft = $(i + 1)
        if ($i == "corp:") { corp = $(i + 1); sub(/\/.*/, "", corp) }
        if ($i == "exec/s:") rate = $(i + 1)
      }
    }
    /^stat::number_of_executed_units:/ { done_n = $2 }
    /^stat::average_exec_per_sec:/ { avg = $2 }
    function commas(x,   s) { s = ""; while (length(x) > 3) { s = "," substr(x, length(x) - 2) s; x = substr(x, 1, length(x) - 3) } return x s }
    END {
      if (done_n != "") { shown = commas(done_n); r = avg } else { shown = commas(n) " (running)"; r = rate }
      printf "| %s | %s | %s | %s | %s | %s | %s |\n", t, shown, r, cov, ft, corp, crashes
    }' "$log"
done
