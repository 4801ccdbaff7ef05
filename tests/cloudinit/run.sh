#!/bin/bash
# apt: debootstrap debian-archive-keyring dosfstools mtools util-linux iproute2 coreutils dnsmasq-base python3
# Real cloud-init (Debian 12: 22.4.2, Debian 13: 25.1.4) consumes cloudseed's
# hand-off (INTEROP.md section 2). Per suite and case: cloudseed reads a
# cidata FAT image and writes RUN/; RUN/ becomes /run of a throwaway overlay
# of the cached root (tests/lib/debroot.sh), where ds-identify and the four
# cloud-init stages run in private mount, network, UTS and IPC namespaces (a
# dummy "eth0" is the only NIC), so nothing can touch the host. Root only.
#   seed          hostname, user + ssh key, runcmd, network-config "from ds",
#                 ds-identify keeps cloud.cfg, status names NoCloud + /run seed
#   image-no-net  the image's `network: {config: disabled}` still wins
#   cc-url        cloud-config-url fetched by cloudseed's own DHCP + HTTP (in
#                 tests/netns/lib.sh's namespaces, dnsmasq + httpd.py) plus the
#                 cidata seed: cloud.cfg = URL content + datasource keys, and
#                 cloud-init applies both
# env: CLOUDSEED_BIN (use this binary instead of building), CLOUDSEED_CACHE,
#      CLOUDINIT_SUITES ("bookworm trixie"), CLOUDINIT_CASES ("seed image-no-net
#      cc-url"), KEEP=1
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FIX=$HERE/fixtures
STAGE_TIMEOUT=300
pass=0 fail=0

[ "$(id -u)" = 0 ] || { echo "FAIL setup: must run as root"; echo "0 passed, 1 failed"; exit 1; }
WORK=$(mktemp -d /var/tmp/cloudseed-cloudinit.XXXXXX)
cleanup() {
  # mounts live only in the per-case namespaces; nothing to unmount here
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

t=$SECONDS
BIN=${CLOUDSEED_BIN:-$("$REPO/tests/lib/build.sh")} || { ko build "tests/lib/build.sh failed"; echo "$pass passed, $fail failed"; exit 1; }
log "binary $BIN ($((SECONDS - t)) s)"

# The cidata volume, made with the standard tools (not by cloudseed itself)
mkcidata() { # OUT.img
  mkfs.vfat -n CIDATA -C "$1" 1024 >/dev/null &&
    mcopy -i "$1" "$FIX/meta-data" "$FIX/user-data" "$FIX/network-config" ::
}

# Runs inside `unshare -m -n -u -i`: $1 root (read-only cache), $2 case dir,
# $3 extra file to drop into /etc/cloud/cloud.cfg.d/ (or empty).
# Leaves evidence in $2/got/ and $2/*.rc; never writes to $1.
in_namespace() {
  set -u
  local lower=$1 c=$2 extra=$3 r=$2/merged s
  mount --make-rprivate /
  ip link set lo up
  # name matching needs an eth0; a dummy link goes nowhere
  ip link add eth0 type dummy && ip link set eth0 up
  mkdir -p "$c/upper" "$c/ovlwork" "$r" "$c/got"
  if ! mount -t overlay overlay -o "lowerdir=$lower,upperdir=$c/upper,workdir=$c/ovlwork" "$r"; then
    echo "overlayfs unavailable, copying the root" >&2
    cp -a "$lower/." "$r/"
  fi
  mount -t tmpfs -o mode=0755 tmpfs "$r/run"
  cp -a "$c/out/." "$r/run/"
  mount -t proc proc "$r/proc"
  mount -t sysfs sysfs "$r/sys"   # fresh: shows this netns's links only
  # a minimal /dev, not a bind of the host's: cloud-init's NoCloud also
  # probes block devices by label and must not find the host's (or another
  # test's) cidata loop device
  mount -t tmpfs -o mode=0755 tmpfs "$r/dev"
  for s in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    mknod -m 0666 "$r/dev/${s%%:*}" c "$(echo "$s" | cut -d: -f2)" "${s##*:}"
  done
  ln -s /proc/self/fd "$r/dev/fd"
  ln -s /proc/self/fd/0 "$r/dev/stdin"; ln -s /proc/self/fd/1 "$r/dev/stdout"; ln -s /proc/self/fd/2 "$r/dev/stderr"
  mkdir "$r/dev/shm" "$r/dev/pts"
  [ -z "$extra" ] || install -m 0644 "$extra" "$r/etc/cloud/cloud.cfg.d/"
  sha256sum < "$r/run/cloud-init/cloud.cfg" > "$c/cfg.before"
  chroot "$r" /usr/lib/cloud-init/ds-identify > "$c/ds-identify.out" 2>&1
  echo $? > "$c/ds-identify.rc"
  sha256sum < "$r/run/cloud-init/cloud.cfg" > "$c/cfg.after"
  for s in "init --local" "init" "modules --mode config" "modules --mode final"; do
    # shellcheck disable=SC2086
    timeout -k 5 "$STAGE_TIMEOUT" chroot "$r" env LANG=C.UTF-8 cloud-init $s > "$c/stage-${s// /_}.out" 2>&1
    echo "$s rc=$?" >> "$c/stages.rc"
  done
  chroot "$r" cloud-init status --long > "$c/status.out" 2>&1
  cp "$r/etc/hostname" "$r/etc/passwd" "$r/var/log/cloud-init.log" "$c/got/" 2>/dev/null
  cp "$r/home/seeduser/.ssh/authorized_keys" "$c/got/" 2>/dev/null
  cp "$r/var/tmp/cloudseed-runcmd-marker" "$r/var/tmp/cloudseed-from-url" "$c/got/" 2>/dev/null
  for s in etc/network/interfaces.d/50-cloud-init etc/netplan/50-cloud-init.yaml \
           etc/systemd/network/10-cloud-init-eth0.network; do
    [ -e "$r/$s" ] && cat "$r/$s" >> "$c/got/rendered-net"
  done
  cp -a "$r/run/cloud-init" "$c/got/run-cloud-init" 2>/dev/null
  return 0
}

# check_common CASEDIR: failures as "reason; reason" on stdout, empty = good
check_common() {
  local c=$1 key
  key=$(sed -n 's/^ *- //p' "$FIX/user-data" | grep '^ssh-ed25519')
  [ "$(cat "$c/ds-identify.rc")" = 0 ] || echo "ds-identify rc=$(cat "$c/ds-identify.rc")"
  cmp -s "$c/cfg.before" "$c/cfg.after" || echo "ds-identify changed cloud.cfg"
  grep -v ' rc=0$' "$c/stages.rc" | sed 's/^/stage /'
  [ "$(cat "$c/got/hostname" 2>/dev/null)" = seeded-host ] ||
    echo "/etc/hostname is '$(cat "$c/got/hostname" 2>/dev/null)'"
  grep -q '^seeduser:' "$c/got/passwd" 2>/dev/null || echo "user seeduser missing"
  grep -qxF "$key" "$c/got/authorized_keys" 2>/dev/null || echo "authorized_keys lacks the key"
  grep -qx cloudseed-runcmd-ok "$c/got/cloudseed-runcmd-marker" 2>/dev/null || echo "runcmd marker missing"
  grep -q 'DataSourceNoCloud' "$c/status.out" || echo "status does not name DataSourceNoCloud"
  grep -q 'file:///run/cloud-init/seed/nocloud/' "$c/status.out" || echo "status does not name the /run seed"
  grep -q 'WARNING\|Traceback' "$c/got/cloud-init.log" 2>/dev/null &&
    grep -m3 'WARNING\|Traceback' "$c/got/cloud-init.log" | cut -c1-200 | sed 's/^/note: /' >&2
  return 0
}

# run_cc_url CASEDIR: cloudseed with cloud-config-url= and the cidata image,
# in a client namespace whose only way out is a veth to dnsmasq + httpd.py
run_cc_url() (
  NS_TAG=csci$$
  # shellcheck source=../netns/lib.sh
  . "$REPO/tests/netns/lib.sh"
  trap ns_cleanup EXIT
  ns_setup && start_httpd && start_dnsmasq || exit 1
  cp "$FIX/cc-url.cfg" "$SEED/cc"
  ip netns exec "$CLI" "$BIN" --cmdline "cloud-config-url=http://10.77.0.1/cc cloudseed.interface=c0" \
    --device "$1/cidata.img" --run-dir "$1/out" --timeout 30
)

run_case() { # SUITE ROOT CASE
  local suite=$1 root=$2 name=$1/$3 c=$WORK/$1-$3 extra= why t0=$SECONDS
  mkdir -p "$c/out"
  [ "$3" = image-no-net ] && extra=$FIX/99-no-net.cfg
  if ! mkcidata "$c/cidata.img" > "$c/mkcidata.out" 2>&1; then ko "$name" "mkfs.vfat/mcopy failed"; return; fi
  local rc=0
  if [ "$3" = cc-url ]; then
    run_cc_url "$c" > "$c/cloudseed.out" 2>&1 || rc=$?
  else
    "$BIN" --cmdline "quiet" --device "$c/cidata.img" --run-dir "$c/out" --no-network \
      > "$c/cloudseed.out" 2>&1 || rc=$?
  fi
  if [ "$rc" != 0 ]; then ko "$name" "cloudseed exited $rc ($(tail -1 "$c/cloudseed.out"))"; return; fi
  if [ ! -s "$c/out/cloud-init/cloud.cfg" ] || [ ! -s "$c/out/cloud-init/.ds-identify.result" ]; then
    ko "$name" "cloudseed wrote no cloud.cfg/.ds-identify.result"; return
  fi
  unshare -m -n -u -i --propagation private \
    bash -c "$(declare -f in_namespace); STAGE_TIMEOUT=$STAGE_TIMEOUT; in_namespace \"\$@\"" _ \
    "$root" "$c" "$extra" > "$c/ns.out" 2>&1
  why=$(check_common "$c")
  local log=$c/got/cloud-init.log net=$c/got/rendered-net
  case $3 in
    seed)
      grep -q 'Applying network configuration from ds' "$log" 2>/dev/null ||
        why+=$'\n'"log lacks 'Applying network configuration from ds'"
      grep -q '192\.0\.2\.10' "$net" 2>/dev/null || why+=$'\n'"no rendered file holds 192.0.2.10" ;;
    cc-url)
      head -1 "$c/out/cloud-init/cloud.cfg" | grep -qx '#cloud-config' || why+=$'\n'"cloud.cfg does not start with the URL's #cloud-config"
      [ "$(stat -c %a "$c/out/cloud-init/cloud.cfg")" = 600 ] || why+=$'\n'"cloud.cfg is not 0600"
      grep -qx cloudseed-url-ok "$c/got/cloudseed-from-url" 2>/dev/null ||
        why+=$'\n'"the URL's write_files was not applied"
      grep -q 'Applying network configuration from ds' "$log" 2>/dev/null ||
        why+=$'\n'"log lacks 'Applying network configuration from ds'" ;;
    image-no-net)
      grep -q 'network config is disabled' "$log" 2>/dev/null ||
        why+=$'\n'"log lacks 'network config is disabled'"
      grep -q 'Applying network configuration from' "$log" 2>/dev/null &&
        why+=$'\n'"network config was applied anyway"
      [ ! -e "$net" ] || why+=$'\n'"a network config was rendered" ;;
  esac
  why=$(printf '%s\n' "$why" | sed '/^$/d' | paste -sd ';' | sed 's/;/; /g')
  log "$name: $((SECONDS - t0)) s"
  if [ -z "$why" ]; then ok "$name"; else ko "$name" "$why"; KEEP=1; fi
}

for SUITE in ${CLOUDINIT_SUITES:-bookworm trixie}; do
  t=$SECONDS
  if ! ROOT=$("$REPO/tests/lib/debroot.sh" "$SUITE"); then ko "$SUITE" "debroot.sh failed"; continue; fi
  log "root $ROOT ($((SECONDS - t)) s)"
  for CASE in ${CLOUDINIT_CASES:-seed image-no-net cc-url}; do run_case "$SUITE" "$ROOT" "$CASE"; done
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
