#!/bin/bash
# ISC dhcpd sends a reply too big for the client's 1500-byte limit: option 121
# (156 classless routes, no router) is continued in the BOOTP `file` field
# (option 52 = 1, RFC 3396 split). The only route to the HTTP server,
# 10.79.0.0/24 via 10.77.0.1, is the last one, carried in `file`: cloudseed
# fetches through it only if it reads the overloaded field. Also: dracut's
# nameserver= reaches the resolver (case 4).
# Suite `netns-dhcpd-overload` (tests/run-all). Needs root. Prints PASS/FAIL
# per case and "N passed, M failed".
# apt: isc-dhcp-server dnsmasq-base iproute2 python3
set -uo pipefail
NS_TAG=ov$$
. "$(dirname "$0")/lib.sh"
trap ns_cleanup EXIT
BIN=$("$REPO/tests/lib/build.sh") || { echo "FAIL build"; echo "0 passed, 1 failed"; exit 1; }
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

ns_setup
# The HTTP server lives on 10.79.0.1, an address on the server's loopback.
ip -n "$SRV" addr add 10.79.0.1/32 dev lo
printf '#cloud-config\nhostname: via-route-in-file\n' >"$SEED/cc"
rm -f "$WORK/port"
ip netns exec "$SRV" "$PY" "$REPO/tests/support/httpd.py" --root "$SEED" \
  --bind 10.79.0.1 --port 80 --port-file "$WORK/port" --log "$WORK/httpd.log" &
echo $! >"$WORK/httpd.pid"
wait_for "test -s '$WORK/port'" httpd

routes=""
for i in $(seq 0 154); do routes+="24,172,$((16 + i / 100)),$((i % 100)),10,77,0,1, "; done
cat >"$WORK/dhcpd.conf" <<CONF
option rfc3442-classless-static-routes code 121 = array of integer 8;
default-lease-time 3600; max-lease-time 3600; authoritative; ping-check false;
subnet 10.77.0.0 netmask 255.255.255.0 {
  range 10.77.0.100 10.77.0.150;
  option subnet-mask 255.255.255.0;
  option rfc3442-classless-static-routes ${routes}24,10,79,0,10,77,0,1;
}
CONF
: >"$WORK/dhcpd.leases"
ip netns exec "$SRV" dhcpd -4 -f -cf "$WORK/dhcpd.conf" -lf "$WORK/dhcpd.leases" \
  -pf "$WORK/dhcpd.dpid" s0 >"$WORK/dhcpd.log" 2>&1 &
echo $! >"$WORK/dhcpd.pid"
wait_for "grep -q 'Listening on LPF/s0' '$WORK/dhcpd.log'" dhcpd

run_cs() { # CMDLINE: fresh run dir $RUN, exit code $RC, output in $WORK/out
  RUN=$(mktemp -d "$WORK/run.XXXX")
  ip netns exec "$CLI" "$BIN" --cmdline "$1" --run-dir "$RUN" --timeout 20 -v >"$WORK/out" 2>&1
  RC=$?
}
report() { "$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print($1)" "$RUN/cloudseed/report.json"; }
why() { echo "rc=$RC; $(tail -5 "$WORK/out" | tr '\n' '|')"; }

# 1. The ACK on the wire is overloaded (so the case below tests what it says).
rm -f "$WORK/ready" "$WORK"/ov-*.bin
ip netns exec "$CLI" "$REPO/tests/fixtures/dhcp-capture/sniff.py" c0 "$WORK" ov 25 &
sniff=$!
wait_for "test -e '$WORK/ready'" sniffer
reset_client
run_cs "cloud-config-url=http://10.79.0.1/cc cloudseed.interface=c0 cloudseed.network=keep"
wait $sniff
overloaded=$("$PY" - "$WORK/ov-ack.bin" <<'PY' 2>&1
import sys
p = open(sys.argv[1], "rb").read()
def opts(b):
    i, out = 0, []
    while i < len(b) and b[i] != 255:
        if b[i] == 0:
            i += 1
            continue
        out.append((b[i], b[i + 2:i + 2 + b[i + 1]]))
        i += 2 + b[i + 1]
    return out
main, file = opts(p[240:]), opts(p[108:236])
assert (52, b"\x01") in main, main
assert [c for c, _ in file] == [121], file
assert file[0][1].endswith(bytes([24, 10, 79, 0, 10, 77, 0, 1])), file
print("yes")
PY
)
if [ "$overloaded" = yes ]; then ok ack-is-overloaded; else bad ack-is-overloaded "$overloaded"; fi

# 2. cloudseed fetched through the route from `file`, installed all 156
# routes, and reported no dropped option.
# (routes read once: `ip … | grep -q` under pipefail fails when grep exits early)
routes=$(ip -n "$CLI" -4 route show table main)
nroutes=$(grep -c " via 10.77.0.1 " <<<"$routes")
if [ $RC = 0 ] && grep -q "hostname: via-route-in-file" "$RUN/cloud-init/cloud.cfg" &&
  grep -q "^10.79.0.0/24 via 10.77.0.1 dev c0" <<<"$routes" &&
  [ "$nroutes" = 156 ] && [ "$(report 'len([w for w in r["warnings"] if "dhcp" in w])')" = 0 ]; then
  ok fetch-through-classless-route-in-file
else bad fetch-through-classless-route-in-file "$(why) routes=$nroutes warnings=$(report 'r["warnings"]' 2>&1)"; fi

# 3. The same with teardown: nothing is left behind.
reset_client
run_cs "cloud-config-url=http://10.79.0.1/cc cloudseed.interface=c0"
if [ $RC = 0 ] && grep -q "hostname: via-route-in-file" "$RUN/cloud-init/cloud.cfg" &&
  [ -z "$(ip -n "$CLI" -4 route show table main)" ] && ! ip -n "$CLI" -4 addr show c0 | grep -q inet; then
  ok teardown-removes-overloaded-routes
else bad teardown-removes-overloaded-routes "$(why) routes: $(ip -n "$CLI" -4 route | wc -l)"; fi

# 4. nameserver= (dracut) feeds DNS: this dhcpd sends no option 6, so the
# name resolves only through the server the command line names.
ip netns exec "$SRV" dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
  --listen-address=10.79.0.1 --bind-interfaces --host-record=seed.test,10.79.0.1 \
  --log-queries --log-facility="$WORK/dns.log" --pid-file="$WORK/dns.dpid" &
echo $! >"$WORK/dns.pid"
wait_for "test -s '$WORK/dns.dpid'" dnsmasq
reset_client
run_cs "cloud-config-url=http://seed.test/cc cloudseed.interface=c0 nameserver=10.79.0.1"
if [ $RC = 0 ] && grep -q "hostname: via-route-in-file" "$RUN/cloud-init/cloud.cfg" &&
  grep -q "query\[A\] seed.test" "$WORK/dns.log"; then ok nameserver-arg
else bad nameserver-arg "$(why)"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
