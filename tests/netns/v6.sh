# IPv6 cases of the network-namespace suite, sourced by run.sh after its
# IPv4 cases (same namespaces, helpers and counters). Servers: dnsmasq (RA,
# stateful and stateless DHCPv6, DNS), radvd with RDNSS, Kea DHCPv6; HTTP
# from tests/support/httpd.py on [fd00::2]:5248.
# apt: dnsmasq-base radvd kea-dhcp6-server iproute2 python3

stop_dnsmasq
ip netns exec "$SRV" sysctl -qw net.ipv6.conf.s0.accept_dad=0
ip -n "$SRV" addr add fd00::2/64 dev s0 nodad
rm -f "$WORK/port"
ip netns exec "$SRV" "$PY" "$REPO/tests/support/httpd.py" --root "$SEED" \
  --bind fd00::2 --port 5248 --port-file "$WORK/port6" --log "$WORK/httpd6.log" &
echo $! >"$WORK/httpd6.pid"
wait_for "test -s '$WORK/port6'" "httpd on [fd00::2]:5248"
mkdir -p "$SEED/MAAS/metadata/latest"
printf '#cloud-config\nhostname: maas-enlist\n' >"$SEED/MAAS/metadata/latest/enlist-preseed"
MAAS_URL="http://[fd00::2]:5248/MAAS/metadata/latest/enlist-preseed/?op=get_enlist_preseed"
BOOTIF0="BOOTIF=01-${MAC0//:/-}"

# start_dnsmasq6 ARGS…: dnsmasq on s0 for IPv6 (and IPv4 DHCP for dual
# stack), DNS with seed.test (A and AAAA) and seed6.test (AAAA only).
start_dnsmasq6() {
  : >"$WORK/dnsmasq.log"
  ip netns exec "$SRV" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
    --bind-interfaces --interface=s0 --except-interface=lo --no-ping \
    --host-record=seed.test,10.77.0.1,fd00::2 --host-record=seed6.test,fd00::2 \
    --dhcp-leasefile="$WORK/leases" --log-dhcp --log-queries --log-facility="$WORK/dnsmasq.log" \
    --pid-file="$WORK/dnsmasq.dpid" "$@" &
  echo $! >"$WORK/dnsmasq.pid"
  wait_for "grep -q 'started, version' '$WORK/dnsmasq.log'" "dnsmasq"
}
stop_server() { # name: a server started here
  [ -f "$WORK/$1.pid" ] || return 0
  kill "$(cat "$WORK/$1.pid")" 2>/dev/null
  wait "$(cat "$WORK/$1.pid")" 2>/dev/null
  rm -f "$WORK/$1.pid"
}
# clean6: nothing global of IPv6 left on the client, links down.
clean6() {
  local i
  for i in c0 c1; do
    [ -z "$(ip -n "$CLI" -6 addr show dev $i scope global)" ] || { echo "$i keeps $(ip -n "$CLI" -6 -br addr show dev $i)"; return 1; }
    ip -n "$CLI" link show dev $i | has ',UP' && { echo "$i left up"; return 1; }
  done
  [ -z "$(ip -n "$CLI" -6 route show table main | grep -v '^fe80::')" ] || { echo "routes left: $(ip -n "$CLI" -6 route | tr '\n' '|')"; return 1; }
}
# net6_ok FILE PROTO: cloud-init's own klibc parser accepts the net6 file.
net6_ok() {
  PYTHONPATH=$CI/root/usr/lib/python3/dist-packages "$PY" - "$1" "$2" <<'PY'
import sys
from cloudinit.net import cmdline
name, cfg = cmdline._klibc_to_config_entry(open(sys.argv[1]).read())
assert name == "c0", name
sub = cfg["subnets"][0]
assert sub["type"] == sys.argv[2], cfg
assert sub.get("dns_nameservers") == ["fd00::2"], cfg
print(cfg)
PY
}
# both_ok NET NET6: cloud-init merges the two files into one interface with
# an IPv4 dhcp subnet and an IPv6 dhcp6 one.
both_ok() {
  PYTHONPATH=$CI/root/usr/lib/python3/dist-packages "$PY" - "$1" "$2" <<'PY'
import sys
from cloudinit.net import cmdline
cfg = cmdline.config_from_klibc_net_cfg(files=sys.argv[1:3])
(iface,) = cfg["config"]
assert iface["name"] == "c0", cfg
assert sorted(s["type"] for s in iface["subnets"]) == ["dhcp", "dhcp6"], cfg
PY
}
v6_addr() { ip -n "$CLI" -6 -br addr show dev c0 scope global | awk '{print $3}'; }

# 12. MAAS over IPv6: ip=off ip6=dhcp, a bracketed literal on port 5248 with
# a query string; torn down: RELEASE seen, nothing global left.
start_dnsmasq6 --dhcp-range=fd00::100,fd00::1ff,64,1h --enable-ra \
  --dhcp-option=option6:dns-server,[fd00::2]
reset_client
run_cs "ip=off ip6=dhcp $BOOTIF0 cloud-config-url=$MAAS_URL cloudseed.network=teardown"
if [ $RC = 0 ] && grep -q "hostname: maas-enlist" "$RUN/cloud-init/cloud.cfg" &&
  [ "$(report 'r["network"]["address"][:6]')" = "fd00::" ] && ! grep -q DHCPDISCOVER "$WORK/dnsmasq.log" &&
  grep -q "enlist-preseed" "$WORK/httpd6.log"; then ok maas-ip6-dhcp; else bad maas-ip6-dhcp "$(why)"; fi
if msg=$(clean6) && grep -q "DHCPRELEASE(s0)" "$WORK/dnsmasq.log"; then ok ipv6-teardown-release; else
  bad ipv6-teardown-release "${msg:-} release: $(grep -c DHCPRELEASE "$WORK/dnsmasq.log")"; fi

# 13. Keep mode: /run/net6-c0.conf that cloud-init's parser accepts.
reset_client
run_cs "ip=off ip6=dhcp $BOOTIF0 cloud-config-url=$MAAS_URL"
if [ $RC = 0 ] && [ -f "$RUN/net6-c0.conf" ] && out=$(net6_ok "$RUN/net6-c0.conf" dhcp6 2>&1) &&
  [ "$(report 'r["network"]["left"]')" = kept ] && [[ "$(v6_addr)" == fd00::1* ]]; then
  ok ipv6-keep-net6-file; else bad ipv6-keep-net6-file "$(why) ${out:-}"; fi

# 14. Dual stack: ip=dhcp ip6=dhcp; seed.test has A and AAAA, only IPv6
# serves port 5248, so the fetch must go over IPv6 (RFC 8305 order).
stop_server dnsmasq
start_dnsmasq6 --dhcp-range=fd00::100,fd00::1ff,64,1h --enable-ra \
  --dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,1h --dhcp-option=option6:dns-server,[fd00::2]
for c in "ip=dhcp ip6=dhcp" "ip=dhcp,dhcp6"; do
  reset_client
  before=$(grep -c "DHCPACK(s0) 10.77.0" "$WORK/dnsmasq.log")
  run_cs "$c cloudseed.interface=c0 cloud-config-url=http://seed.test:5248/cc"
  if [ $RC = 0 ] && grep -q "hostname: from-url" "$RUN/cloud-init/cloud.cfg" && [ -f "$RUN/net-c0.conf" ] &&
    [ -f "$RUN/net6-c0.conf" ] && grep -q "query\[AAAA\] seed.test" "$WORK/dnsmasq.log" &&
    [ "$(grep -c "DHCPACK(s0) 10.77.0" "$WORK/dnsmasq.log")" -gt "$before" ] && [[ "$(v6_addr)" == fd00::1* ]] &&
    out=$(both_ok "$RUN/net-c0.conf" "$RUN/net6-c0.conf" 2>&1); then
    ok "dual-stack ($c)"; else bad "dual-stack ($c)" "$(why) ${out:-}"; fi
done

# 15. ip=auto6: SLAAC (the kernel's) and stateless DHCPv6 for DNS; the name
# has only an AAAA record.
stop_server dnsmasq
start_dnsmasq6 --dhcp-range=fd00::,ra-stateless,64 --dhcp-option=option6:dns-server,[fd00::2]
reset_client
run_cs "ip=auto6 cloudseed.interface=c0 cloud-config-url=http://seed6.test:5248/cc cloudseed.network=teardown"
if [ $RC = 0 ] && grep -q "hostname: from-url" "$RUN/cloud-init/cloud.cfg" &&
  grep -q "query\[AAAA\] seed6.test" "$WORK/dnsmasq.log" && grep -qi "information-request" "$WORK/dnsmasq.log" &&
  msg=$(clean6); then ok auto6-aaaa-only; else bad auto6-aaaa-only "$(why) ${msg:-}"; fi

# 16. Static IPv6 from ip=: no DHCPv6 sent, the given address and DNS used.
before=$(grep -c "DHCPSOLICIT\|DHCPINFORMATION" "$WORK/dnsmasq.log")
reset_client
run_cs "ip=[fd00::60]::[fd00::2]:64:h:c0:none:[fd00::2] cloud-config-url=http://seed6.test:5248/cc cloudseed.network=teardown"
after=$(grep -c "DHCPSOLICIT\|DHCPINFORMATION" "$WORK/dnsmasq.log")
if [ $RC = 0 ] && [ "$before" = "$after" ] && [ "$(report 'r["network"]["address"]')" = fd00::60 ] &&
  grep -q "hostname: from-url" "$RUN/cloud-init/cloud.cfg" && msg=$(clean6); then
  ok static-ipv6; else bad static-ipv6 "$(why) ${msg:-} dhcpv6 $before -> $after"; fi
stop_server dnsmasq

# 17. radvd with RDNSS (no DHCPv6 at all): SLAAC plus the RA's DNS server.
start_dnsmasq6 --port=53 --listen-address=fd00::2
cat >"$WORK/radvd.conf" <<EOF
interface s0 {
  AdvSendAdvert on; MinRtrAdvInterval 30; MaxRtrAdvInterval 100;
  prefix fd00::/64 { AdvOnLink on; AdvAutonomous on; };
  RDNSS fd00::2 { AdvRDNSSLifetime 300; };
  DNSSL test { AdvDNSSLLifetime 300; };
};
EOF
ip netns exec "$SRV" sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns exec "$SRV" radvd -n -C "$WORK/radvd.conf" -p "$WORK/radvd.rpid" -m logfile -l "$WORK/radvd.log" &
echo $! >"$WORK/radvd.pid"
wait_for "grep -q 'started' '$WORK/radvd.log'" "radvd"
reset_client
run_cs "ip=auto6 cloudseed.interface=c0 cloud-config-url=http://seed6.test:5248/cc cloudseed.network=teardown"
if [ $RC = 0 ] && grep -q "hostname: from-url" "$RUN/cloud-init/cloud.cfg" &&
  grep -q "query\[AAAA\] seed6.test" "$WORK/dnsmasq.log" && [ "$(report 'r["network"]["dns"]')" = "['fd00::2']" ] &&
  msg=$(clean6); then ok radvd-rdnss; else bad radvd-rdnss "$(why) ${msg:-}"; fi
stop_server radvd
ip netns exec "$SRV" sysctl -qw net.ipv6.conf.all.forwarding=0

# 18. Kea, stateful without Rapid Commit (ADVERTISE, REQUEST, REPLY), no
# RA: the address is installed /64 and the server reached on link.
cat >"$WORK/kea.json" <<EOF
{ "Dhcp6": {
  "interfaces-config": { "interfaces": [ "s0" ] },
  "lease-database": { "type": "memfile", "persist": false },
  "server-id": { "type": "LL", "persist": false },
  "option-data": [ { "name": "dns-servers", "data": "fd00::2" } ],
  "subnet6": [ { "id": 1, "subnet": "fd00::/64", "interface": "s0",
                 "pools": [ { "pool": "fd00::1000-fd00::1fff" } ] } ],
  "loggers": [ { "name": "kea-dhcp6", "severity": "DEBUG", "debuglevel": 40,
                 "output_options": [ { "output": "$WORK/kea.log" } ] } ]
} }
EOF
# Kea opens its sockets only on a running link: give s0 its carrier first.
ip -n "$CLI" link set c0 up
wait_for "ip -n $SRV link show s0 | grep -q LOWER_UP" "carrier on s0"
KEA_PIDFILE_DIR=$WORK KEA_LOCKFILE_DIR=$WORK ip netns exec "$SRV" kea-dhcp6 -c "$WORK/kea.json" &
echo $! >"$WORK/kea.pid"
wait_for "grep -q 'DHCP6_STARTED' '$WORK/kea.log'" "kea"
reset_client
run_cs "ip=dhcp6 cloudseed.interface=c0 cloud-config-url=http://seed6.test:5248/cc cloudseed.network=teardown"
if [ $RC = 0 ] && [ "$(report 'r["network"]["address"][:8]')" = "fd00::10" ] &&
  grep -q "DHCP6_LEASE_ALLOC" "$WORK/kea.log" && grep -q "DHCP6_RELEASE_NA " "$WORK/kea.log" && msg=$(clean6); then
  ok kea-stateful; else bad kea-stateful "$(why) ${msg:-} kea: $(grep -m3 'ERROR\|WARN' "$WORK/kea.log" | cut -c1-300 | tr '\n' '|')"; fi
stop_server kea
stop_server dnsmasq

# 19. Reuse, never race: a link that already has a global IPv6 address and
# a default route is used as it is (no RS answered, no DHCPv6 sent, nothing
# removed afterwards).
start_dnsmasq6 --dhcp-range=fd00::100,fd00::1ff,64,1h
reset_client
ip -n "$CLI" link set c0 up
ip -n "$CLI" addr add fd00::50/64 dev c0 nodad
ip -n "$CLI" -6 route add default via fd00::2 dev c0
wait_for "ip -n $CLI link show c0 | grep -q LOWER_UP" carrier
run_cs "ip=off ip6=dhcp cloudseed.interface=c0 cloud-config-url=http://[fd00::2]:5248/cc cloudseed.network=teardown"
if [ $RC = 0 ] && [ "$(report 'r["network"]["reason"]')" = "existing address" ] &&
  ! grep -q "DHCPSOLICIT" "$WORK/dnsmasq.log" && [ "$(v6_addr)" = fd00::50/64 ] &&
  ip -n "$CLI" -6 route | has "default via fd00::2"; then ok ipv6-existing-reused; else
  bad ipv6-existing-reused "$(why) addr=$(v6_addr)"; fi
stop_server dnsmasq
stop_server httpd6
