#!/bin/bash
# Benchmark, IPv6: cloudseed (DHCPv6 + HTTP fetch over IPv6 + hand-off +
# RELEASE and teardown) against ISC `dhclient -6` + curl doing the same
# fetch, in the tests/netns namespaces with one dnsmasq (RA + stateful
# DHCPv6, Rapid Commit) and httpd.py on [fd00::2]:5248. Both clients get the
# same link: accept_dad=0, so neither waits for duplicate address detection.
# Median of N runs each, interleaved. Prints a table and the ratio; asserts
# nothing about time.
#   tests/bench/net6.sh [N]        (root)
# apt: dnsmasq-base iproute2 python3 isc-dhcp-client curl
set -uo pipefail
. "$(dirname "$0")/../netns/lib.sh"
trap ns_cleanup EXIT
N=${1:-10}
BIN=$("$REPO/tests/lib/build.sh") || exit 1
ns_setup
ip netns exec "$SRV" sysctl -qw net.ipv6.conf.s0.accept_dad=0
ip netns exec "$CLI" sysctl -qw net.ipv6.conf.c0.accept_dad=0
ip -n "$SRV" addr add fd00::2/64 dev s0 nodad
: >"$WORK/dnsmasq.log"
ip netns exec "$SRV" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
  --interface=s0 --except-interface=lo --dhcp-range=fd00::100,fd00::1ff,64,1h --enable-ra \
  --dhcp-leasefile="$WORK/leases" --log-facility="$WORK/dnsmasq.log" &
echo $! >"$WORK/dnsmasq.pid"
wait_for "grep -q 'started, version' '$WORK/dnsmasq.log'" dnsmasq
ip netns exec "$SRV" "$PY" "$REPO/tests/support/httpd.py" --root "$SEED" --bind fd00::2 \
  --port 5248 --port-file "$WORK/port" &
echo $! >"$WORK/httpd.pid"
wait_for "test -s '$WORK/port'" httpd
printf '#cloud-config\nhostname: bench\n' >"$SEED/cc"

. "$(dirname "$0")/netlib.sh"

# -1: one try; dhclient-script adds the address; -r afterwards releases.
compare "$N" dhclient \
  "ip=off ip6=dhcp cloudseed.interface=c0 cloudseed.network=teardown cloud-config-url=http://[fd00::2]:5248/cc" \
  "ip link set c0 up &&
    dhclient -6 -1 -lf '$WORK/dhclient6.leases' -pf '$WORK/dhclient6.pid' c0 &&
    curl -sf -o '$WORK/cc.out' 'http://[fd00::2]:5248/cc' &&
    dhclient -6 -r -lf '$WORK/dhclient6.leases' -pf '$WORK/dhclient6.pid' c0 && ip link set c0 down"
