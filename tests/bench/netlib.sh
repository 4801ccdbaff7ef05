# Sourced by the network benchmarks (net.sh, net6.sh) after tests/netns/lib.sh.
# timed CMD...: runs CMD in the client namespace $CLI; prints "ms status",
#   the wall time read by the same shell before and after.
timed() {
  ip netns exec "$CLI" bash -c 's=$EPOCHREALTIME; "$@" >/dev/null 2>&1; rc=$?; e=$EPOCHREALTIME;
    echo $(( (${e/./} - ${s/./}) / 1000 )) $rc' _ "$@"
}
# median: of the integers on stdin, one per line
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
