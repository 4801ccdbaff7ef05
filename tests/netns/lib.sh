# Helpers for the network-namespace suites (sourced by run.sh and
# tests/bench/net.sh). Everything created here is named after $NS_TAG and
# removed by ns_cleanup, which the caller installs as an EXIT trap.
#
# Layout: server namespace $SRV with veth ends s0 (10.77.0.1/24, dnsmasq for
# DHCP + DNS, httpd.py on :80) and s1 (10.77.1.1/24, up, no server); client
# namespace $CLI with their peers c0 and c1 (no address). Interface names are
# short and fixed: each namespace has its own.

NS_TAG=${NS_TAG:-cs$$}
SRV=$NS_TAG-srv
CLI=$NS_TAG-cli
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=$(mktemp -d /tmp/cloudseed-netns.XXXXXX)
SEED=$WORK/www
mkdir -p "$SEED"

ns_cleanup() {
  local p
  for p in "$WORK"/*.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
  done
  ip netns del "$SRV" 2>/dev/null
  ip netns del "$CLI" 2>/dev/null
  rm -rf "/etc/netns/$SRV" "/etc/netns/$CLI"
  rm -rf "$WORK"
}

# ns_setup: namespaces, two veth pairs, addresses on the server side.
ns_setup() {
  # `ip netns exec` bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf:
  # a client's script (dhclient-script, udhcpc's) then writes there, never
  # into the host's resolver config.
  local ns
  for ns in "$SRV" "$CLI"; do
    mkdir -p "/etc/netns/$ns" && : > "/etc/netns/$ns/resolv.conf"
  done
  ip netns add "$SRV"
  ip netns add "$CLI"
  local i
  for i in 0 1; do
    ip link add "$NS_TAG"c$i type veth peer name "$NS_TAG"s$i
    ip link set "$NS_TAG"c$i netns "$CLI"
    ip link set "$NS_TAG"s$i netns "$SRV"
    ip -n "$CLI" link set "$NS_TAG"c$i name c$i
    ip -n "$SRV" link set "$NS_TAG"s$i name s$i
    ip -n "$SRV" addr add 10.77.$i.1/24 dev s$i
    ip -n "$SRV" link set s$i up
  done
  ip -n "$SRV" link set lo up
  ip -n "$CLI" link set lo up
}

# start_dnsmasq [extra args…]: DHCP on the interfaces in $DHCP_IFS (default
# s0), DNS with a host record seed.test. Router and DNS server default to
# dnsmasq's own address on each subnet. --no-ping: no 3 s address probe.
start_dnsmasq() {
  : >"$WORK/dnsmasq.log"
  local i args=()
  for i in ${DHCP_IFS:-s0}; do
    args+=(--interface="$i" --dhcp-range=10.77.${i#s}.100,10.77.${i#s}.150,255.255.255.0,1h)
  done
  # DNS is answered on s0 only when DHCP runs on s1 alone
  [[ " ${DHCP_IFS:-s0} " == *" s0 "* ]] || args+=(--interface=s0)
  ip netns exec "$SRV" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
    --bind-interfaces --except-interface=lo --no-ping "${args[@]}" \
    --dhcp-leasefile="$WORK/leases" --host-record=seed.test,10.77.0.1 \
    --log-dhcp --log-queries --log-facility="$WORK/dnsmasq.log" \
    --pid-file="$WORK/dnsmasq.dpid" "$@" &
  echo $! >"$WORK/dnsmasq.pid"
  wait_for "grep -q 'DHCP, IP range' '$WORK/dnsmasq.log'" "dnsmasq"
}

stop_dnsmasq() {
  kill "$(cat "$WORK/dnsmasq.pid")" 2>/dev/null
  wait "$(cat "$WORK/dnsmasq.pid")" 2>/dev/null
  rm -f "$WORK/dnsmasq.pid" "$WORK/leases"
}

start_httpd() {
  rm -f "$WORK/port"
  ip netns exec "$SRV" "$PY" "$REPO/tests/support/httpd.py" --root "$SEED" \
    --bind 10.77.0.1 --port 80 --port-file "$WORK/port" --log "$WORK/httpd.log" &
  echo $! >"$WORK/httpd.pid"
  wait_for "test -s '$WORK/port'" "httpd"
}

# has GREP-ARGS: grep that reads all of its input. `cmd | grep -q` under
# pipefail fails at random when grep exits before cmd has written everything
# (cmd dies of SIGPIPE): `ip addr show` writes a line after the match.
has() { grep "$@" >/dev/null; }

# wait_for CMD WHAT: a bounded poll loop on a condition (no fixed sleeps).
wait_for() {
  local i
  for i in $(seq 1 100); do
    eval "$1" && return 0
    sleep 0.05
  done
  echo "timed out waiting for $2" >&2
  return 1
}

# reset_client: links down, no addresses, no routes, as a fresh initramfs.
reset_client() {
  local i
  for i in 0 1; do
    ip -n "$CLI" addr flush dev c$i
    ip -n "$CLI" link set c$i down mtu 1500
  done
  ip -n "$CLI" route flush table main 2>/dev/null
}
