# Sourced by the network benchmarks (net.sh, net6.sh) after tests/netns/lib.sh.
# timed CMD...: runs CMD in the client namespace $CLI; prints "ms status",
#   the wall time read by the same shell before and after.
timed() {
  ip netns exec "$CLI" bash -c 's=$EPOCHREALTIME; "$@" >/dev/null 2>&1; rc=$?; e=$EPOCHREALTIME;
    echo $(( (${e/./} - ${s/./}) / 1000 )) $rc' _ "$@"
}
# median: of the integers on stdin, one per line
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# compare N REF CMDLINE REF-COMMAND: N rounds, each one cloudseed run with
# CMDLINE (into a fresh run dir, cloud.cfg written) and one run of the
# reference client REF-COMMAND (a shell line that fetches into
# $WORK/cc.out), the client reset before each; prints a row per round, the
# medians and the ratio. Exits 1 when a run fails.
compare() {
  local n=$1 ref=$2 cmdline=$3 refcmd=$4 i t u rc mc mr cs=() rs=()
  printf '%-4s %12s %12s\n' run cloudseed_ms "${ref}_ms"
  for i in $(seq 1 "$n"); do
    reset_client
    RUN=$(mktemp -d "$WORK/run.XXXX")
    read -r t rc < <(timed "$BIN" --cmdline "$cmdline" --run-dir "$RUN" --timeout 20)
    [ "$rc" = 0 ] && [ -s "$RUN/cloud-init/cloud.cfg" ] || { echo "cloudseed run $i failed (rc $rc)"; exit 1; }
    cs+=("$t")
    reset_client
    rm -f "$WORK/cc.out" "$WORK"/*.leases
    read -r u rc < <(timed sh -c "$refcmd")
    [ "$rc" = 0 ] && [ -s "$WORK/cc.out" ] || { echo "$ref run $i failed (rc $rc)"; exit 1; }
    rs+=("$u")
    printf '%-4s %12s %12s\n' "$i" "$t" "$u"
  done
  mc=$(printf '%s\n' "${cs[@]}" | median)
  mr=$(printf '%s\n' "${rs[@]}" | median)
  printf '%-4s %12s %12s\n' median "$mc" "$mr"
  awk -v c="$mc" -v b="$mr" -v r="$ref" 'BEGIN { if (c > 0) printf "ratio %s/cloudseed = %.2f\n", r, b / c; else print "ratio: n/a" }'
}
