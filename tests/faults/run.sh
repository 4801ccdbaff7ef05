#!/bin/bash
# Fault matrix: what cloudseed does when /run, /dev/kmsg, the block devices,
# the network or the clock misbehave, when a signal arrives, or when its
# arguments are not UTF-8. Each case says what cloudseed must do
# and checks it. Root: mounts happen in private mount namespaces (unshare -m),
# the network in namespaces this script creates, so nothing leaks.
#   tests/faults/run.sh [case…]
# apt: dosfstools mtools util-linux strace iproute2 python3 coreutils
# (and a kernel with fuse, for device-hangs)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BIN=$("$root/tests/lib/build.sh") || { echo "FAIL build"; echo "0 passed, 1 failed"; exit 1; }
T=$(mktemp -d /tmp/cloudseed-faults.XXXXXX)
NS=csf$$
LOOP=""
cleanup() {
  [ -n "$LOOP" ] && losetup -d "$LOOP" 2> /dev/null
  [ -f "$T/httpd.pid" ] && kill "$(cat "$T/httpd.pid")" 2> /dev/null
  [ -f "$T/cs.pid" ] && kill -KILL "$(cat "$T/cs.pid")" 2> /dev/null
  ip netns del "$NS-srv" 2> /dev/null
  ip netns del "$NS-cli" 2> /dev/null
  rm -rf "$T"
}
trap cleanup EXIT
pass=0 fail=0
want=" $* "
selected() { [ "$want" = "  " ] || [[ "$want" == *" $1 "* ]]; }
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
# check CASE CONDITION-DESCRIPTION… : runs the collected reasons
verdict() { # case reasons-file
  if [ -s "$2" ]; then bad "$1" "$(paste -sd ';' "$2")"; else ok "$1"; fi
  rm -f "$2"
}
need() { echo "$*" >> "$T/why"; }
# files DIR: regular files under DIR, relative, one per line
files() { (cd "$1" 2> /dev/null && find . -type f | sed 's|^\./||' | sort); }
report() { # run-dir python-expression-on-r → prints the value
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1/cloudseed/report.json" "$2" 2> /dev/null
}

# ---------------------------------------------------------------- fixtures
mkdir -p "$T/src/small" "$T/src/big"
printf 'instance-id: faults\n' > "$T/src/small/meta-data"
printf '#cloud-config\nhostname: faults\n' > "$T/src/small/user-data"
cp "$T/src/small/meta-data" "$T/src/big/"
head -c 65536 /dev/zero | tr '\0' 'x' > "$T/src/big/user-data"
mkfat() { mkfs.vfat -n "$2" -C "$1" "$3" > /dev/null 2>&1 && mcopy -i "$1" "$4"/* ::/; }
mkfat "$T/small.img" cidata 256 "$T/src/small"
mkfat "$T/big.img" cidata 1024 "$T/src/big"
mkfat "$T/good.img" cidata 256 "$T/src/small"
CMD=(--cmdline quiet --no-network)
handoff_files="cloud-init/cloud.cfg cloud-init/.ds-identify.result cloud-init/seed/nocloud/user-data cloud-init/seed/nocloud/meta-data"

# ---------------------------------------------------------------- /run read-only
# Must: exit 1, say "hand-off" on stderr, write nothing at all.
if selected run-readonly; then
  mkdir -p "$T/ro"
  unshare -m bash -c "mount -t tmpfs -o ro,size=1m tmpfs '$T/ro' &&
    '$BIN' ${CMD[*]} --device '$T/small.img' --run-dir '$T/ro' > '$T/out' 2> '$T/err'; echo \$? > '$T/rc';
    find '$T/ro' -mindepth 1 > '$T/left'"
  [ "$(cat "$T/rc")" = 1 ] || need "exit $(cat "$T/rc"), want 1"
  grep -q 'hand-off' "$T/err" || need "no hand-off error on stderr"
  [ -s "$T/left" ] && need "left behind: $(paste -sd ' ' "$T/left")"
  verdict run-readonly "$T/why"
fi

# ---------------------------------------------------------------- /run full
# Must: exit 1; no temp file, no seed file, no cloud.cfg, no .ds-identify.result
# (the report may or may not fit; it is ours).
if selected run-full; then
  mkdir -p "$T/full"
  unshare -m bash -c "mount -t tmpfs -o size=8k tmpfs '$T/full' &&
    '$BIN' ${CMD[*]} --device '$T/big.img' --run-dir '$T/full' > '$T/out' 2> '$T/err'; echo \$? > '$T/rc';
    cd '$T/full' && find . -type f | sort > '$T/left'; find . -mindepth 1 -type d | sort > '$T/dirs'"
  [ "$(cat "$T/rc")" = 1 ] || need "exit $(cat "$T/rc"), want 1"
  grep -q 'hand-off' "$T/err" || need "no hand-off error on stderr"
  grep -v '^./cloudseed/report.json$' "$T/left" > "$T/partial"
  [ -s "$T/partial" ] && need "partial files: $(paste -sd ' ' "$T/partial")"
  verdict run-full "$T/why"
  [ -s "$T/dirs" ] && echo "  note: empty directories remain: $(paste -sd ' ' "$T/dirs")"
fi

# ---------------------------------------------------------------- no /dev/kmsg
# Real-paths mode (no --run-dir) with /run a fresh tmpfs and /dev without
# kmsg: logs fall back to stderr and the hand-off lands in /run.
if selected kmsg-missing; then
  unshare -m bash -c "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /dev &&
    mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && mknod -m 666 /dev/urandom c 1 9 &&
    '$BIN' ${CMD[*]} --device '$T/small.img' > '$T/out' 2> '$T/err'; echo \$? > '$T/rc';
    test -e /dev/kmsg && echo kmsg-present > '$T/left';
    cd /run && find . -type f | sort >> '$T/left'"
  [ "$(cat "$T/rc")" = 0 ] || need "exit $(cat "$T/rc"), want 0"
  grep -q '^cloudseed: info: ' "$T/err" || need "no log lines on stderr"
  grep -qx './cloud-init/.ds-identify.result' "$T/left" || need "no /run/cloud-init/.ds-identify.result"
  grep -qx './cloudseed/report.json' "$T/left" || need "no /run/cloudseed/report.json"
  grep -q kmsg-present "$T/left" && need "/dev/kmsg was not hidden"
  verdict kmsg-missing "$T/why"
fi

# ---------------------------------------------------------------- EIO
# /proc/self/mem at offset 0 is a real kernel EIO on read. Must: report the
# device with an I/O error, carry on to the next device, hand off from it.
if selected device-eio; then
  r=$T/r-eio
  "$BIN" "${CMD[@]}" --run-dir "$r" --device /proc/self/mem --device "$T/good.img" > /dev/null 2> "$T/err"
  rc=$?
  [ $rc = 0 ] || need "exit $rc, want 0"
  v=$(report "$r" 'r["devices"][0]["verdict"]')
  [[ "$v" == error*"os error 5"* ]] || need "first device verdict '$v', want an I/O error"
  [ -f "$r/cloud-init/.ds-identify.result" ] || need "no hand-off from the good device"
  verdict device-eio "$T/why"
fi

# A probe helper that dies of SIGABRT on a device, as a parser panic ends it
# in a release build (fatfs once did that on tests/fixtures/volumes/
# fat12-cluster1.img; cloudseed's own FAT reader refuses that image without
# a panic). strace sends the signal at the helper's third seek on the image:
# the agent itself seeks only once on it (blkid_device, after the helper is
# gone). Must: exit 0, the abort is that device's contained panic in the
# report, the next device is read by a new helper and handed off.
if selected panic-contained; then
  r=$T/r-panic
  cp "$T/good.img" "$T/panic.img"
  strace -f -qq -o /dev/null -P "$T/panic.img" -e trace=lseek -e inject=lseek:signal=SIGABRT:when=3 \
    "$BIN" "${CMD[@]}" --run-dir "$r" --device "$T/panic.img" \
    --device "$T/good.img" > /dev/null 2> "$T/err"
  rc=$?
  [ $rc = 0 ] || need "exit $rc, want 0 ($(tail -1 "$T/err"))"
  v=$(report "$r" 'r["devices"][0]["verdict"]')
  [[ "$v" == "error: internal panic contained"* ]] || need "first device verdict '$v', want a contained panic"
  [ "$(report "$r" 'r["devices"][1]["verdict"]')" = nocloud ] || need "second device not read after the panic"
  cmp -s "$r/cloud-init/seed/nocloud/user-data" "$T/src/small/user-data" || need "no hand-off from the good device"
  verdict panic-contained "$T/why"
fi

# Reads that start failing half-way through a volume (strace fault injection
# on that one path, deterministic: the Nth read onwards). Must: the device is
# an error in the report, nothing partial is written, the next device wins.
reads_of() { # image → number of read syscalls cloudseed makes on it
  strace -f -qq -P "$1" -e trace=read,pread64,readv,preadv -o "$T/st" "$BIN" probe "$1" > /dev/null 2>&1
  grep -cE '^[0-9]+ +(read|pread64|readv|preadv)\(' "$T/st"
}
inject_case() { # name strace-inject-action expected-verdict-regex
  local name=$1 action=$2 re=$3 r=$T/r-$1 n
  n=$(reads_of "$T/big.img")
  if [ "${n:-0}" -lt 4 ]; then bad "$name" "only ${n:-0} reads of the image: cannot inject mid-read"; return; fi
  strace -f -qq -o /dev/null -P "$T/big.img" -e trace=read,pread64,readv,preadv \
    -e inject=read,pread64,readv,preadv:"$action":when=$((n / 2))+ \
    "$BIN" "${CMD[@]}" --run-dir "$r" --device "$T/big.img" > /dev/null 2> "$T/err"
  local rc=$?
  [ $rc = 0 ] || need "exit $rc, want 0"
  local v
  v=$(report "$r" 'r["devices"][0]["verdict"]')
  [[ "$v" =~ $re ]] || need "verdict '$v' does not match /$re/"
  for f in $handoff_files; do [ -e "$r/$f" ] && need "partial hand-off: $f"; done
  files "$r" | grep -q 'cloudseed-tmp' && need "temp files left"
  # and with a good device after it, that one is handed off
  strace -f -qq -o /dev/null -P "$T/big.img" -e trace=read,pread64,readv,preadv \
    -e inject=read,pread64,readv,preadv:"$action":when=$((n / 2))+ \
    "$BIN" "${CMD[@]}" --run-dir "$r.2" --device "$T/big.img" --device "$T/good.img" > /dev/null 2>&1
  [ "$(cat "$r.2/cloud-init/seed/nocloud/user-data" 2> /dev/null)" = "$(cat "$T/src/small/user-data")" ] ||
    need "the good device after it was not handed off"
  verdict "$name" "$T/why"
}
selected device-eio-mid-read && inject_case device-eio-mid-read error=EIO '^error: .*(os error 5|I/O error)'
# A device that vanishes mid-read: from the Nth read on, end of file.
selected device-vanishes-mid-read && inject_case device-vanishes-mid-read retval=0 '^error: '

# ---------------------------------------------------------------- shrunk device
# A loop device whose backing file was cut half-way through user-data: the
# FAT still claims the whole size. Must: an error (truncated/short read) for
# the device, nothing written, exit 0 (no source was named).
if selected device-shrunk; then
  cp "$T/big.img" "$T/shrink.img"
  LOOP=$(losetup -f --show "$T/shrink.img" 2> /dev/null)
  if [ -z "$LOOP" ]; then
    bad device-shrunk "no loop device (losetup -f failed)"
  else
    at=$(grep -boa xxxxxxxxxxxxxxxx "$T/shrink.img" | head -1 | cut -d: -f1)
    truncate -s $(((at + 32768) / 512 * 512)) "$T/shrink.img"
    losetup -c "$LOOP"
    r=$T/r-shrunk
    "$BIN" "${CMD[@]}" --run-dir "$r" --device "$LOOP" > /dev/null 2> "$T/err"
    rc=$?
    [ $rc = 0 ] || need "exit $rc, want 0"
    v=$(report "$r" 'r["devices"][0]["verdict"]')
    [[ "$v" == error* ]] || need "verdict '$v', want an error"
    for f in $handoff_files; do [ -e "$r/$f" ] && need "partial hand-off: $f"; done
    verdict device-shrunk "$T/why"
    losetup -d "$LOOP"; LOOP=""
  fi
fi

# ---------------------------------------------------------------- no medium / blocking open
# A FIFO with no writer blocks open(O_RDONLY) forever; with O_NONBLOCK it
# opens at once. An unbound loop device is a drive without medium. Must: both
# probed without stalling (a 20 s guard catches a hang), the run finishes 0.
if selected no-medium-no-stall; then
  mkfifo "$T/fifo"
  L=$(losetup -f)
  r=$T/r-nomedium
  timeout 20 "$BIN" "${CMD[@]}" --run-dir "$r" --device "$T/fifo" --device "$L" --device "$T/good.img" > /dev/null 2> "$T/err"
  rc=$?
  [ $rc = 124 ] && need "stalled: killed by the 20 s guard"
  [ $rc = 0 ] || [ $rc = 124 ] || need "exit $rc, want 0"
  [ -f "$r/cloud-init/.ds-identify.result" ] || need "no hand-off from the good device"
  verdict no-medium-no-stall "$T/why"
fi

# ---------------------------------------------------------------- hung device
# A device whose reads stop being answered (a dead disk, a stuck iSCSI path):
# here a FUSE file (tests/faults/fusehang.py) that answers the first 32 KiB,
# so the probe sees a cidata FAT, then never answers again. Must: the process
# exits by its deadline (--timeout 3), within a 20 s guard; the init system
# waits for the exit, not for the report. A reader stuck in the kernel
# cannot be killed (not even by exit_group), so only a reader in another
# process can be abandoned. Afterwards the server is killed to free it.
if selected device-hangs; then
  mkdir -p "$T/fuse"
  unshare -m bash -c "
    python3 '$here/fusehang.py' '$T/fuse' '$T/good.img' 32768 '$T/fuse.ready' 2> '$T/fuse.err' & sp=\$!
    for i in \$(seq 100); do [ -s '$T/fuse.ready' ] && break; sleep 0.05; done
    '$BIN' ${CMD[*]} --timeout 3 --run-dir '$T/r-hang' --device '$T/fuse/disk.img' > /dev/null 2> '$T/err' & cp=\$!
    for i in \$(seq 200); do kill -0 \$cp 2> /dev/null || break; sleep 0.1; done
    if kill -0 \$cp 2> /dev/null; then
      echo \"hung: still running after 20 s, state \$(sed -n 's/^State:\t//p' /proc/\$cp/status)\" > '$T/hang'
      [ -f '$T/r-hang/cloudseed/report.json' ] && echo ' (report written: a reader thread keeps the process from exiting)' >> '$T/hang'
    fi
    kill \$sp; wait \$cp; wait \$sp
    umount -l '$T/fuse' 2> /dev/null"
  [ -s "$T/fuse.ready" ] || need "fusehang.py did not mount: $(tail -1 "$T/fuse.err")"
  [ -s "$T/hang" ] && need "$(cat "$T/hang") with a 3 s deadline"
  verdict device-hangs "$T/why"
fi

# ---------------------------------------------------------------- SIGTERM / SIGINT
# A veth pair: c0 in a client namespace (down, no address: what cloudseed
# finds at boot), s0 in a server namespace at 10.79.0.1.
netns_up() {
  ip netns add "$NS-srv" && ip netns add "$NS-cli"
  ip link add "${NS}c" type veth peer name "${NS}s"
  ip link set "${NS}c" netns "$NS-cli"; ip link set "${NS}s" netns "$NS-srv"
  ip -n "$NS-cli" link set "${NS}c" name c0; ip -n "$NS-srv" link set "${NS}s" name s0
  ip -n "$NS-srv" addr add 10.79.0.1/24 dev s0; ip -n "$NS-srv" link set s0 up
  ip -n "$NS-srv" link set lo up; ip -n "$NS-cli" link set lo up
}
netns_down() {
  [ -f "$T/httpd.pid" ] && kill "$(cat "$T/httpd.pid")" 2> /dev/null; rm -f "$T/httpd.pid"
  ip netns del "$NS-srv" 2> /dev/null; ip netns del "$NS-cli" 2> /dev/null
}
# signal_case NAME SIGNAL WANT-EXIT READY-FILE READY-REGEX CMDLINE…: starts
# cloudseed in the client namespace, waits (polling, 10 s at most) until
# READY-REGEX shows in READY-FILE, sends SIGNAL, then checks: the process
# ends within 1 s with WANT-EXIT; the report says WANT-EXIT and names the
# signal; c0 is as it was (down, no IPv4 address); no temp file, no hand-off.
signal_case() {
  local name=$1 sig=$2 want=$3 ready=$4 re=$5 r=$T/r-$1; shift 5
  ip netns exec "$NS-cli" "$BIN" -v --cmdline "$*" --run-dir "$r" > /dev/null 2> "$T/err" &
  local pid=$!; echo $pid > "$T/cs.pid"
  for i in $(seq 200); do grep -qE "$re" "$ready" 2> /dev/null && break; sleep 0.05; done
  grep -qE "$re" "$ready" 2> /dev/null || need "never reached /$re/: $(tail -2 "$T/err" | paste -sd ' ')"
  local t0 ms rc
  t0=$(date +%s%N)
  kill -"$sig" $pid
  for i in $(seq 100); do kill -0 $pid 2> /dev/null || break; sleep 0.01; done
  ms=$((($(date +%s%N) - t0) / 1000000))
  if kill -0 $pid 2> /dev/null; then need "still running 1 s after SIG$sig"; kill -KILL $pid; fi
  wait $pid 2> /dev/null; rc=$?
  rm -f "$T/cs.pid"
  [ $rc = "$want" ] || need "exit $rc, want $want"
  [ "$(report "$r" 'r["exit_code"]')" = "$want" ] || need "report exit_code '$(report "$r" 'r["exit_code"]')', want $want"
  report "$r" '" | ".join(r["errors"])' | grep -q "stopped by SIG$sig" || need "report errors do not name SIG$sig"
  [ -n "$(ip -n "$NS-cli" -4 -o addr show dev c0)" ] && need "c0 keeps $(ip -n "$NS-cli" -4 -o addr show dev c0 | awk '{print $4}')"
  ip -n "$NS-cli" -o link show dev c0 | grep -q '[<,]UP[,>]' && need "c0 left up"
  files "$r" | grep -q 'cloudseed-tmp' && need "temp files left: $(files "$r" | paste -sd ' ')"
  for f in $handoff_files; do [ -e "$r/$f" ] && need "partial hand-off: $f"; done
  echo "  note: $name: exit $rc ${ms} ms after SIG$sig"
  verdict "$name" "$T/why"
}

# SIGTERM while the HTTP body trickles in (httpd.py /fault/slow/, one byte
# every 0.25 s), the address set by cloudseed from a static ip= (torn down
# on the way out: cloudseed.network=teardown).
if selected sigterm-during-fetch; then
  netns_up
  mkdir -p "$T/www"
  head -c 4096 /dev/zero | tr '\0' '#' | sed '1s/^/#cloud-config\n/' > "$T/www/cc"
  ip netns exec "$NS-srv" python3 "$root/tests/support/httpd.py" --root "$T/www" --bind 10.79.0.1 --port 80 \
    --port-file "$T/port" --log "$T/httpd.log" > /dev/null 2>&1 &
  echo $! > "$T/httpd.pid"
  for i in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  signal_case sigterm-during-fetch TERM 143 "$T/httpd.log" '/fault/slow/cc' \
    "ip=10.79.0.2::10.79.0.1:255.255.255.0:term:c0:none cloud-config-url=http://10.79.0.1/fault/slow/cc?token=x cloudseed.network=teardown cloudseed.timeout=60"
  netns_down
fi

# SIGTERM (and SIGINT) while DHCP waits for a server that never answers: the
# link cloudseed raised goes down again.
for sig in TERM INT; do
  name=sig$(echo $sig | tr 'A-Z' 'a-z')-during-dhcp
  selected "$name" || continue
  netns_up
  code=143; [ $sig = INT ] && code=130
  signal_case "$name" $sig $code "$T/err" 'dhcp: c0 has carrier' \
    "cloud-config-url=http://10.79.0.1/cc cloudseed.interface=c0 cloudseed.timeout=60"
  netns_down
done

# ---------------------------------------------------------------- arguments
# Bytes that are not UTF-8 in --cmdline and in a path: no panic (SIGABRT,
# exit 134); the cmdline is read lossily and the run goes on.
if selected non-utf8-argument; then
  r=$T/r-bytes
  "$BIN" --cmdline "$(printf 'quiet \xff\xfe')" --no-network --run-dir "$r" --device "$T/good.img" > /dev/null 2> "$T/err"
  rc=$?
  [ $rc = 0 ] || need "exit $rc with a non-UTF-8 --cmdline, want 0 ($(tail -1 "$T/err"))"
  [ -f "$r/cloud-init/.ds-identify.result" ] || need "no hand-off"
  "$BIN" probe "$(printf '%s/\xff.img' "$T")" > /dev/null 2>&1
  rc=$?
  [ $rc = 0 ] || need "probe of a non-UTF-8 path: exit $rc, want 0"
  "$BIN" "$(printf -- '--\xff')" > /dev/null 2> "$T/err"
  rc=$?
  [ $rc = 2 ] || need "a non-UTF-8 flag: exit $rc, want 2 (usage)"
  verdict non-utf8-argument "$T/why"
fi

# ---------------------------------------------------------------- pins, keep mode
# A NoCloud seed over http, a static ip= and the network kept
# (cloudseed.network=keep). pin-network-config: a mismatching
# cloudseed.sha256.network-config hands off nothing: exit 1, no seed, no
# cloud.cfg, and no /run/net-c0.conf either. keep-run-dir-missing: with the
# right pin and a run dir that does not exist yet, net-c0.conf is written
# there (it was lost before) along with the hand-off.
if selected pin-network-config || selected keep-run-dir-missing; then
  ip netns add "$NS-srv" && ip netns add "$NS-cli"
  ip link add "${NS}c" type veth peer name "${NS}s"
  ip link set "${NS}c" netns "$NS-cli"; ip link set "${NS}s" netns "$NS-srv"
  ip -n "$NS-cli" link set "${NS}c" name c0; ip -n "$NS-srv" link set "${NS}s" name s0
  ip -n "$NS-srv" addr add 10.79.0.1/24 dev s0; ip -n "$NS-srv" link set s0 up
  ip -n "$NS-srv" link set lo up; ip -n "$NS-cli" link set lo up
  mkdir -p "$T/www/seed"
  printf 'instance-id: pinned\n' > "$T/www/seed/meta-data"
  printf '#cloud-config\nhostname: pinned\n' > "$T/www/seed/user-data"
  printf 'version: 2\nethernets:\n  c0:\n    dhcp4: true\n' > "$T/www/seed/network-config"
  rm -f "$T/port"
  ip netns exec "$NS-srv" python3 "$root/tests/support/httpd.py" --root "$T/www" --bind 10.79.0.1 --port 80 \
    --port-file "$T/port" --log "$T/httpd.log" > /dev/null 2>&1 &
  echo $! > "$T/httpd.pid"
  for i in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  good=$(sha256sum < "$T/www/seed/network-config" | cut -c1-64)
  bad=$(printf 'version: 1\n' | sha256sum | cut -c1-64)
  base="ip=10.79.0.2::10.79.0.1:255.255.255.0:pin:c0:none ds=nocloud-net;s=http://10.79.0.1/seed/ cloudseed.network=keep cloudseed.timeout=20"
  if selected pin-network-config; then
    r=$T/r-pin
    ip netns exec "$NS-cli" "$BIN" --cmdline "$base cloudseed.sha256.network-config=$bad" --run-dir "$r" > /dev/null 2> "$T/err"
    rc=$?
    [ $rc = 1 ] || need "exit $rc, want 1 ($(tail -1 "$T/err"))"
    [ "$(files "$r" | paste -sd ' ')" = "cloudseed/report.json" ] || need "wrote $(files "$r" | paste -sd ' ')"
    report "$r" "any('network-config does not match cloudseed.sha256.network-config' in e for e in r['errors'])" | grep -qx True ||
      need "the report does not name the network-config pin"
    verdict pin-network-config "$T/why"
    ip -n "$NS-cli" addr flush dev c0
  fi
  if selected keep-run-dir-missing; then
    r=$T/missing/deeper/run
    ip netns exec "$NS-cli" "$BIN" --cmdline "$base cloudseed.sha256.network-config=$good" --run-dir "$r" > /dev/null 2> "$T/err"
    rc=$?
    [ $rc = 0 ] || need "exit $rc, want 0 ($(tail -1 "$T/err"))"
    grep -qx "DEVICE='c0'" "$r/net-c0.conf" 2> /dev/null || need "no net-c0.conf in the new run dir: $(files "$r" | paste -sd ' ')"
    for f in $handoff_files cloud-init/seed/nocloud/network-config; do [ -e "$r/$f" ] || need "no $f"; done
    verdict keep-run-dir-missing "$T/why"
  fi
  kill "$(cat "$T/httpd.pid")" 2> /dev/null; rm -f "$T/httpd.pid"
  ip netns del "$NS-srv"; ip netns del "$NS-cli"
fi

# ---------------------------------------------------------------- hooks
# The boot scripts never word-split or glob the kernel cmdline: the binary
# reads it and says through exit 3 alone whether the boot must stop. The
# scripts run in a chroot (static busybox, the static binary, a fake
# /proc/cmdline and /scripts/functions) whose / holds files that `*` and `?`
# would expand to (one named cloudseed.required=0).
if selected hooks-glob; then
  h=$T/hookroot
  mkdir -p "$h/bin" "$h/usr/sbin" "$h/usr/lib/cloudseed" "$h/scripts" "$h/proc" "$h/run" "$h/root/etc" "$h/sys/class/block"
  cp "$(command -v busybox)" "$h/bin/busybox"
  for a in sh cat echo; do ln -sf busybox "$h/bin/$a"; done
  cp "$BIN" "$h/usr/sbin/cloudseed"
  install -m 0755 "$root/initramfs-tools/scripts/init-premount/cloudseed" "$h/premount"
  install -m 0755 "$root/initramfs-tools/scripts/init-bottom/cloudseed" "$h/bottom"
  install -m 0755 "$root/dracut/modules.d/50cloudseed/cloudseed-initrd.sh" "$h/usr/lib/cloudseed/cloudseed-initrd"
  printf 'panic() { echo "PANIC $*" >> /verdict; }\nlog_warning_msg() { echo "WARN $*" >> /verdict; }\n' > "$h/scripts/functions"
  printf '#!/bin/sh\necho "systemctl $*" >> /verdict\n' > "$h/bin/systemctl"; chmod 0755 "$h/bin/systemctl"
  : > "$h/cloudseed.required=0"; : > "$h/x"
  in_hook() { (cd "$h" && env -i PATH=/bin:/usr/sbin SERVICE_RESULT="${SR:-}" chroot "$h" /bin/sh "$@" 2> /dev/null); }
  while IFS='|' read -r cmdline required; do
    printf '%s\n' "$cmdline" > "$h/proc/cmdline"
    rm -rf "$h/verdict" "$h/run"/*
    in_hook /premount
    v=$(cat "$h/verdict" 2> /dev/null)
    if [ "$required" = yes ]; then
      [[ "$v" == PANIC*"exit 3"* ]] || need "[$cmdline] init-premount: no panic (${v:-nothing})"
    else
      [ -z "$v" ] || need "[$cmdline] init-premount said: $v"
      [ -f "$h/run/cloudseed/stage/state" ] || need "[$cmdline] init-premount staged nothing"
      in_hook /bottom
      [ -s "$h/verdict" ] && need "[$cmdline] init-bottom said: $(cat "$h/verdict")"
      [ -e "$h/run/cloudseed/stage" ] && need "[$cmdline] init-bottom left the stage"
    fi
    in_hook /usr/lib/cloudseed/cloudseed-initrd stage; rc=$?
    [ "$rc" = "$([ "$required" = yes ] && echo 1 || echo 0)" ] || need "[$cmdline] dracut stage: exit $rc"
    rm -f "$h/verdict"
    SR=timeout in_hook /usr/lib/cloudseed/cloudseed-initrd stop-post
    if [ "$required" = yes ]; then
      grep -q 'start --job-mode=replace-irreversibly emergency.target' "$h/verdict" 2> /dev/null ||
        need "[$cmdline] stop-post after a timeout: no emergency"
    else
      [ -s "$h/verdict" ] && need "[$cmdline] stop-post after a timeout: $(cat "$h/verdict")"
    fi
  done << 'C'
quiet * ? cloudseed.required|yes
quiet ?* [a-z]* cloudseed.required|yes
quiet cloudseed.required *|yes
quiet * ?|no
cloudseed.required * cloudseed.required=0|no
C
  verdict hooks-glob "$T/why"
fi

# ---------------------------------------------------------------- clocks
# Wall clock: cloudseed reads only CLOCK_MONOTONIC (src/sys.rs), so a jump of
# the wall clock cannot move a deadline. Checked in the source: no other
# clock is read anywhere.
if selected clock-wall-unused; then
  hits=$(grep -rnE 'SystemTime|UNIX_EPOCH|Realtime|REALTIME|gettimeofday|Instant::now' "$root/src" | grep -v '^\s*//' )
  [ -n "$hits" ] && need "wall-clock reads: $(echo "$hits" | head -3 | paste -sd ' ')"
  grep -q 'ClockId::Monotonic' "$root/src/sys.rs" || need "sys::now does not read CLOCK_MONOTONIC"
  verdict clock-wall-unused "$T/why"
fi
# Monotonic clock far from zero (+100 years) and close to zero, via a time
# namespace: a volume hand-off still works, and a deadline of 3 s on a source
# that cannot be reached (DHCP on a veth nobody answers, in a network
# namespace of its own) ends the run with exit 1 well before a 30 s guard.
if selected clock-monotonic-offset; then
  up=$(cut -d. -f1 /proc/uptime)
  for off in 3153600000 $((2 - up)); do
    r=$T/r-time$off
    unshare --fork -T --monotonic "$off" --boottime "$off" \
      "$BIN" "${CMD[@]}" --run-dir "$r" --device "$T/good.img" > /dev/null 2> "$T/err"
    rc=$?
    [ $rc = 0 ] || need "offset $off: volume run exit $rc ($(tail -1 "$T/err"))"
    [ -f "$r/cloud-init/.ds-identify.result" ] || need "offset $off: no hand-off"
    s=$(date +%s)
    timeout 30 unshare --fork -n -T --monotonic "$off" --boottime "$off" bash -c \
      "ip link add v0 type veth peer name v1 && ip link set v1 up && exec '$BIN' --cmdline 'cloud-config-url=http://10.9.9.9/cc cloudseed.interface=v0 cloudseed.timeout=3' --run-dir '$r.net'" \
      > /dev/null 2> "$T/err"
    rc=$?
    [ $rc = 124 ] && need "offset $off: hung past the 3 s deadline (killed at 30 s)"
    [ $rc = 1 ] || [ $rc = 124 ] || need "offset $off: unreachable source exit $rc, want 1"
    e=$(($(date +%s) - s))
    [ $e -lt 2 ] && need "offset $off: ended after ${e} s, before the deadline could matter ($(tail -1 "$T/err"))"
    echo "  note: offset ${off}s: unreachable source ended after ${e} s (deadline 3 s): $(grep -m1 -o 'cloud-config-url.*' "$T/err")"
  done
  verdict clock-monotonic-offset "$T/why"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
