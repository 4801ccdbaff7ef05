#!/bin/bash
# Benchmark: cloudseed (DHCP + HTTP fetch + hand-off + teardown) against
# busybox udhcpc + wget doing the same fetch, in the tests/netns namespaces
# with the same dnsmasq (--no-ping) and httpd.py. Median of N runs each,
# interleaved. Prints a table and the ratio; asserts nothing about time.
#   tests/bench/net.sh [N]        (root)
# apt: dnsmasq-base iproute2 python3 busybox-static
set -uo pipefail
. "$(dirname "$0")/../netns/lib.sh"
trap ns_cleanup EXIT
N=${1:-10}
BIN=$("$REPO/tests/lib/build.sh") || exit 1
ns_setup
start_dnsmasq
start_httpd
printf '#cloud-config\nhostname: bench\n' >"$SEED/cc"
# udhcpc only reports a lease; this script applies it as klibc would.
cat >"$WORK/udhcpc.sh" <<'SH'
#!/bin/sh
[ "$1" = bound ] || exit 0
ip addr add "$ip/$mask" dev "$interface"
[ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
exit 0
SH
chmod +x "$WORK/udhcpc.sh"

. "$(dirname "$0")/netlib.sh"

compare "$N" busybox "cloud-config-url=http://10.77.0.1/cc cloudseed.interface=c0" \
  "ip link set c0 up && busybox udhcpc -i c0 -n -q -f -R -s '$WORK/udhcpc.sh' &&
    busybox wget -q -O '$WORK/cc.out' http://10.77.0.1/cc && ip addr flush dev c0 && ip link set c0 down"
