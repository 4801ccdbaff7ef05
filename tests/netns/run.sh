#!/bin/bash
# Network-namespace suite: cloudseed's own DHCP, rtnetlink, DNS and HTTP
# against a real dnsmasq and tests/support/httpd.py, nothing leaving the host.
# Needs root. Prints PASS/FAIL per case and "N passed, M failed".
# apt: dnsmasq-base iproute2 python3 busybox-static python3-requests python3-yaml
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap ns_cleanup EXIT
BIN=$("$REPO/tests/lib/build.sh") || { echo "FAIL build"; echo "0 passed, 1 failed"; exit 1; }
CACHE=${CLOUDSEED_CACHE:-/var/cache/cloudseed-test}
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

ns_setup
start_httpd
printf '#cloud-config\nhostname: from-url\n' >"$SEED/cc"
mkdir -p "$SEED/min" "$SEED/full"
printf 'instance-id: i-min\n' >"$SEED/min/meta-data"
printf '#cloud-config\n{}\n' >"$SEED/min/user-data"
printf 'instance-id: i-full\n' >"$SEED/full/meta-data"
printf '#cloud-config\nruncmd: [true]\n' >"$SEED/full/user-data"
printf '#cloud-config\n{}\n' >"$SEED/full/vendor-data"
printf 'version: 2\nethernets: {}\n' >"$SEED/full/network-config"
MAC0=$(cat "/sys/class/net/lo/address" >/dev/null; ip netns exec "$CLI" cat /sys/class/net/c0/address)
MAC1=$(ip netns exec "$CLI" cat /sys/class/net/c1/address)

# run_cs CMDLINE [timeout]: runs cloudseed in the client namespace with a
# fresh run dir ($RUN); sets $RC; output in $WORK/out.
run_cs() {
  RUN=$(mktemp -d "$WORK/run.XXXX")
  ip netns exec "$CLI" "$BIN" --cmdline "$1" --run-dir "$RUN" --timeout "${2:-20}" -v \
    >"$WORK/out" 2>&1
  RC=$?
}
# report EXPR: evaluates a Python expression over the report as `r`.
report() {
  "$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print($1)" "$RUN/cloudseed/report.json"
}
# clean_after: c0/c1 have no IPv4 address, no route, and are down.
clean_after() {
  local i
  for i in c0 c1; do
    ip -n "$CLI" -4 addr show dev $i | has inet && { echo "$i keeps an address"; return 1; }
    ip -n "$CLI" link show dev $i | has ',UP' && { echo "$i left up"; return 1; }
  done
  [ -z "$(ip -n "$CLI" -4 route show table main)" ] || { echo "routes left: $(ip -n "$CLI" -4 route)"; return 1; }
}
why() { echo "rc=$RC; $(tail -5 "$WORK/out" | tr '\n' '|')"; }
released() { grep -q "DHCPRELEASE(s0)" "$WORK/dnsmasq.log"; }

start_dnsmasq

# 1. cloud-config-url by address; the network is torn down afterwards.
reset_client
run_cs "cloud-config-url=http://10.77.0.1/cc cloudseed.interface=c0"
if [ $RC = 0 ] && grep -q "hostname: from-url" "$RUN/cloud-init/cloud.cfg" &&
  [ "$(report 'r["network"]["left"]')" = "torn down" ]; then ok cc-url-by-ip; else bad cc-url-by-ip "$(why)"; fi
if msg=$(clean_after) && released; then ok teardown-leaves-nothing; else bad teardown-leaves-nothing "$msg; release seen: $(released && echo yes || echo no)"; fi

# 2. by host name: DNS through the server dnsmasq gave us (option 6).
reset_client
run_cs "cloud-config-url=http://seed.test/cc cloudseed.interface=c0"
if [ $RC = 0 ] && grep -q "hostname: from-url" "$RUN/cloud-init/cloud.cfg" &&
  grep -q "query\[A\] seed.test" "$WORK/dnsmasq.log"; then ok cc-url-by-name; else bad cc-url-by-name "$(why)"; fi

# 3. NoCloud seed over http, without and with the optional files.
reset_client
run_cs "ds=nocloud-net;s=http://10.77.0.1/min/ cloudseed.interface=c0"
S=$RUN/cloud-init/seed/nocloud
if [ $RC = 0 ] && cmp -s "$S/meta-data" "$SEED/min/meta-data" && cmp -s "$S/user-data" "$SEED/min/user-data" &&
  [ ! -e "$S/vendor-data" ] && [ ! -e "$S/network-config" ]; then ok seed-minimal; else bad seed-minimal "$(why)"; fi
reset_client
run_cs "ds=nocloud-net;s=http://seed.test/full/ cloudseed.interface=c0"
S=$RUN/cloud-init/seed/nocloud
if [ $RC = 0 ] && cmp -s "$S/vendor-data" "$SEED/full/vendor-data" && cmp -s "$S/network-config" "$SEED/full/network-config" &&
  cmp -s "$S/user-data" "$SEED/full/user-data"; then ok seed-full; else bad seed-full "$(why)"; fi

# 4. An interface someone else configured: used as is, no DHCP sent.
reset_client
ip -n "$CLI" link set c0 up
ip -n "$CLI" addr add 10.77.0.50/24 dev c0
ip -n "$CLI" route add default via 10.77.0.1
wait_for "ip -n $CLI link show c0 | grep -q LOWER_UP" carrier
before=$(grep -c "DHCPDISCOVER(s0) $MAC0" "$WORK/dnsmasq.log")
run_cs "cloud-config-url=http://10.77.0.1/cc cloudseed.interface=c0"
after=$(grep -c "DHCPDISCOVER(s0) $MAC0" "$WORK/dnsmasq.log")
if [ $RC = 0 ] && [ "$before" = "$after" ] && [ "$(report 'r["network"]["reason"]')" = "existing address" ] &&
  ip -n "$CLI" -4 addr show c0 | has 10.77.0.50/24 && ip -n "$CLI" route | has "default via 10.77.0.1"; then
  ok existing-address-reused; else bad existing-address-reused "$(why); discovers $before -> $after"; fi

# 5. Two NICs, DHCP answered on one only (listed second): it wins, the other is left down.
reset_client
run_cs "cloud-config-url=http://10.77.0.1/cc cloudseed.interface=c1,c0"
if [ $RC = 0 ] && [ "$(report 'r["network"]["interface"]')" = c0 ] && msg=$(clean_after); then
  ok two-nics-one-server; else bad two-nics-one-server "$(why) ${msg:-}"; fi

# 6. BOOTIF picks the second of two NICs that both have a DHCP server.
stop_dnsmasq
DHCP_IFS="s0 s1" start_dnsmasq
reset_client
run_cs "cloud-config-url=http://10.77.0.1/cc BOOTIF=01-${MAC1//:/-}"
if [ $RC = 0 ] && [ "$(report 'r["network"]["interface"], r["network"]["reason"], r["network"]["address"][:8]')" = "c1 BOOTIF 10.77.1." ] &&
  ! grep -q "DHCPDISCOVER(s0) $MAC0" "$WORK/dnsmasq.log"; then ok bootif-second-nic; else bad bootif-second-nic "$(why)"; fi
stop_dnsmasq
start_dnsmasq

# 7. Keep mode: /run/net-<if>.conf that cloud-init's own parser accepts.
CI=$CACHE/cloud-init
if [ ! -d "$CI/root/usr/lib/python3/dist-packages/cloudinit" ]; then
  mkdir -p "$CI" && (cd "$CI" && apt-get download -q cloud-init >/dev/null 2>&1 && dpkg-deb -x cloud-init_*.deb root)
fi
klibc_ok() { # $1 = conf file, $2 = device: cloud-init's _klibc_to_config_entry accepts it
  PYTHONPATH=$CI/root/usr/lib/python3/dist-packages "$PY" - "$1" "$2" "$3" <<'PY'
import sys
from cloudinit.net import cmdline
name, cfg = cmdline._klibc_to_config_entry(open(sys.argv[1]).read())
assert name == sys.argv[2], name
assert cfg["subnets"][0]["type"] == "dhcp", cfg
content = open(sys.argv[1]).read()
if "ip=::::h:" in sys.argv[3]:
    assert "HOSTNAME='h'" in content, content
print(cfg)
PY
}
for c in "ip=dhcp cloudseed.interface=c0" "ip=::::h:BOOTIF:dhcp BOOTIF=01-${MAC0//:/-}"; do
  reset_client
  run_cs "cloud-config-url=http://10.77.0.1/cc $c"
  if [ $RC = 0 ] && [ -f "$RUN/net-c0.conf" ] && out=$(klibc_ok "$RUN/net-c0.conf" c0 "$c" 2>&1) &&
    [ "$(report 'r["network"]["left"]')" = kept ] && ip -n "$CLI" -4 addr show c0 | has "inet 10.77.0.1"; then
    ok "keep-network ($c)"; else bad "keep-network ($c)" "$(why) ${out:-}"; fi
done

# 8. Static ip= with a DNS server: no DHCP at all, name resolved via ip=.
reset_client
before=$(grep -c "DHCPDISCOVER" "$WORK/dnsmasq.log")
run_cs "cloud-config-url=http://seed.test/cc ip=10.77.0.60::10.77.0.1:255.255.255.0:h:c0:none:10.77.0.1 cloudseed.network=teardown"
after=$(grep -c "DHCPDISCOVER" "$WORK/dnsmasq.log")
if [ $RC = 0 ] && [ "$before" = "$after" ] && [ "$(report 'r["network"]["address"]')" = 10.77.0.60 ] && msg=$(clean_after); then
  ok static-ip; else bad static-ip "$(why) ${msg:-} discovers $before -> $after"; fi

# 9. Options 121 (over 3) and 26 applied; teardown restores the MTU.
stop_dnsmasq
start_dnsmasq --dhcp-option=option:mtu,1400 \
  --dhcp-option=option:classless-static-route,192.168.50.0/24,10.77.0.2,0.0.0.0/0,10.77.0.1
reset_client
run_cs "cloud-config-url=http://10.77.0.1/cc cloudseed.interface=c0 cloudseed.network=keep"
routes=$(ip -n "$CLI" -4 route show table main | tr '\n' '|')
kept_ok=no
if [ $RC = 0 ] && ip -n "$CLI" link show c0 | has "mtu 1400" &&
  [[ $routes == *"192.168.50.0/24 via 10.77.0.2"* ]] && [[ $routes == *"default via 10.77.0.1"* ]]; then kept_ok=yes; fi
reset_client
run_cs "cloud-config-url=http://10.77.0.1/cc cloudseed.interface=c0"
if [ $kept_ok = yes ] && [ $RC = 0 ] && ip -n "$CLI" link show c0 | has "mtu 1500" && msg=$(clean_after); then
  ok classless-routes-and-mtu; else bad classless-routes-and-mtu "$(why) kept=$kept_ok routes=$routes ${msg:-}"; fi

# 10. Fault: the DHCP server is silent; the run ends by --timeout with exit 1.
stop_dnsmasq
reset_client
run_cs "cloud-config-url=http://10.77.0.1/cc cloudseed.interface=c0" 3
if [ $RC = 1 ] && report '" ".join(r["errors"])' | has -i "dhcp" && msg=$(clean_after); then
  ok dhcp-silent; else bad dhcp-silent "$(why) ${msg:-} errors=$(report 'r["errors"]' 2>&1)"; fi

# 11. HTTP faults end to end (issue 3): a configured interface is reused, so
# only HTTP varies. Each failing case leaves nothing but the report.
start_dnsmasq
reset_client
ip -n "$CLI" link set c0 up
ip -n "$CLI" addr add 10.77.0.50/24 dev c0
ip -n "$CLI" route add default via 10.77.0.1
wait_for "ip -n $CLI link show c0 | grep -q LOWER_UP" carrier
only_report() { [ "$(cd "$RUN" && find . -type f | sort | tr '\n' ' ')" = "./cloudseed/report.json " ]; }
errors_have() { report '" ".join(r["errors"])' | has -i -- "$1"; }
fault_case() { # name cmdline timeout want_rc error_regex
  run_cs "$2" "$3"
  if [ "$4" = 0 ]; then
    if [ $RC = 0 ] && grep -q "hostname: from-url" "$RUN/cloud-init/cloud.cfg"; then ok "$1"; else bad "$1" "$(why)"; fi
  elif [ $RC = "$4" ] && only_report && errors_have "$5"; then ok "$1"
  else bad "$1" "$(why); files: $(cd "$RUN" && find . -type f | tr '\n' ' '); errors: $(report 'r["errors"]' 2>&1)"; fi
}
U=http://10.77.0.1
CC_SHA=$(sha256sum "$SEED/cc" | cut -d' ' -f1)
fault_case http-500-twice-then-200 "cloud-config-url=$U/fault/500-then-200/cc" 20 0
fault_case http-429-retry-after "cloud-config-url=$U/fault/429/cc" 20 0
fault_case http-chunked "cloud-config-url=$U/fault/chunked/cc" 20 0
fault_case http-slow-past-deadline "cloud-config-url=$U/fault/slow/cc" 2 1 "timed out"
fault_case http-reset-mid-body "cloud-config-url=$U/fault/reset/cc" 4 1 "cloud-config-url"
fault_case http-truncated-chunked "cloud-config-url=$U/fault/truncated-chunked/cc" 4 1 "cloud-config-url"
fault_case http-redirect-loop "cloud-config-url=$U/fault/redirect-loop/cc" 10 1 "redirect"
fault_case http-oversized "cloud-config-url=$U/fault/oversized/cc" 20 1 "limit"
fault_case http-not-cloud-config "cloud-config-url=$U/fault/not-cloud-config/cc" 10 1 "#cloud-config"
fault_case http-404-seed "ds=nocloud-net;s=$U/nonexistent/" 10 1 "nocloud seed"
fault_case sha256-mismatch "cloud-config-url=$U/cc cloudseed.sha256=${CC_SHA//[0-9]/0}" 10 1 "sha256"
fault_case sha256-match "cloud-config-url=$U/cc cloudseed.sha256=$CC_SHA" 10 0

# 12-18. IPv6.
. "$HERE/v6.sh"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
