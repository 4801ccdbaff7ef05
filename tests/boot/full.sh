#!/bin/bash
# apt: qemu-system-x86 debootstrap debian-archive-keyring e2fsprogs dosfstools mtools netcat-openbsd python3 make util-linux debhelper dpkg-dev fakeroot
# Full boot tier: the Debian 12 root from tests/lib/debroot.sh, cloudseed
# installed from its .deb (tests/package/build-deb.sh; dpkg -i), the initramfs
# built by the real generator through the package's own update-initramfs
# trigger (initramfs-tools) and dracut.conf.d file (dracut), booted under QEMU
# TCG. Each variant boots three times: with a cidata disk, over the network
# (ds=nocloud-net;s=http://… served by python on 127.0.0.1 through a
# restrict=on guestfwd), and with cloud-config-url=… ip=dhcp and no cc: on
# this local root (ccurl: issue 8's "cloud-config-url alone": the body
# applies, cloud-init searches no datasource but None, and the NIC is not
# left configured by the initramfs). cloud-init's
# power_state condition runs the image's cloudseed-proof after the final
# stage, which prints the evidence (prefix "CSP| ") on the serial console and
# lets the VM power off. Asserted: hostname, user + ssh key, runcmd marker,
# `cloud-init status --long` done with DataSourceNoCloud and cloudseed's /run
# seed (cloud-init finding the seed by itself would name /dev/vdb or http://),
# and /run/cloud-init/cloud.cfg still cloudseed's after ds-identify ran.
# Root only; no KVM; nothing leaves the machine but the apt-get of dracut.
# env: BOOT_TIMEOUT (s per boot, 600), BOOT_VARIANTS ("itools dracut"),
#      BOOT_MODES ("cidata net ccurl"), CLOUDSEED_CACHE, KEEP=1 (keep the work dir)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
F=$HERE/full
TIMEOUT=${BOOT_TIMEOUT:-600}
SEED_URL=http://10.0.2.100/seed/
pass=0 fail=0 server_pid=
timings=()

[ "$(id -u)" = 0 ] || { echo "FAIL setup: must run as root"; echo "0 passed, 1 failed"; exit 1; }
W=$(mktemp -d /var/tmp/cloudseed-boot.XXXXXX)
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null
  if [ -z "${KEEP:-}" ]; then rm -rf "$W"; else echo "kept $W" >&2; fi
}
trap cleanup EXIT
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); KEEP=1; }
timed() { # NAME CMD...: runs CMD, records its duration
  local name=$1 t0=$SECONDS rc=0
  shift
  "$@" || rc=$?
  timings+=("$(printf '%-24s %4d s%s' "$name" $((SECONDS - t0)) "$([ $rc = 0 ] || echo " (rc=$rc)")")")
  return $rc
}
finish() {
  printf 'timing %s\n' "${timings[@]}"
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
  exit
}

# --- image build --------------------------------------------------------------

# Runs in a private mount namespace: $1 = root dir, $2 = variant.
build_initrd() {
  set -eu
  local r=$1 v=$2 kver
  kver=$(ls "$r/lib/modules")
  mount -t proc proc "$r/proc"
  mount -t sysfs sysfs "$r/sys"
  mount --bind /dev "$r/dev"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
  printf '#!/bin/sh\nexit 101\n' > "$r/usr/sbin/policy-rc.d"
  chmod 0755 "$r/usr/sbin/policy-rc.d"
  in_root() { LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive chroot "$r" "$@"; }
  # the package's update-initramfs trigger rebuilds the initramfs (itools)
  in_root dpkg -i /tmp/cloudseed.deb
  rm -f "$r/tmp/cloudseed.deb"
  case $v in
    itools)
      in_root lsinitramfs "/boot/initrd.img-$kver" > "$r.list" ;;
    dracut)
      # generic image, never the build host's view; the module comes from
      # the package's /usr/lib/dracut/dracut.conf.d/50-cloudseed.conf
      mkdir -p "$r/etc/dracut.conf.d"
      cat > "$r/etc/dracut.conf.d/90-cloudseed-test.conf" <<'EOF'
hostonly="no"
hostonly_cmdline="no"
EOF
      in_root apt-get -q update
      # replaces initramfs-tools (Conflicts); dracut provides linux-initramfs-tool.
      # Its trigger already builds the initrd with the config above.
      in_root apt-get -q -y install --no-install-recommends dracut
      in_root apt-get clean
      rm -rf "$r"/var/lib/apt/lists/*
      if ! in_root lsinitrd "/boot/initrd.img-$kver" | grep -q 'cloudseed.service$'; then
        in_root dracut --force --no-hostonly --kver "$kver" "/boot/initrd.img-$kver"
      fi
      in_root lsinitrd "/boot/initrd.img-$kver" > "$r.list" ;;
  esac
  rm -f "$r/usr/sbin/policy-rc.d"
}

# prepare VARIANT: $W/VARIANT.{img,vmlinuz,initrd}
prepare() {
  local v=$1 r=$W/root-$1 kver size
  cp -a "$BASE" "$r" || return 1
  # every boot of the snapshot image is a first boot: no machine-id, no
  # interactive firstboot on the serial console, root locked
  : > "$r/etc/machine-id"
  rm -f "$r/var/lib/dbus/machine-id"
  ln -sf /dev/null "$r/etc/systemd/system/systemd-firstboot.service"
  echo '/dev/vda / ext4 defaults 0 1' > "$r/etc/fstab"
  echo image > "$r/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 image\n' > "$r/etc/hosts"
  passwd -R "$r" -l root > /dev/null
  install -m 0755 "$F/cloudseed-proof" "$r/usr/local/sbin/cloudseed-proof"
  cp "$DEB" "$r/tmp/cloudseed.deb" || return 1
  unshare -m --propagation private bash -c "$(declare -f build_initrd); build_initrd \"\$@\"" _ "$r" "$v" \
    > "$W/build-$v.log" 2>&1 || { tail -20 "$W/build-$v.log" >&2; return 1; }
  case $v in
    itools) grep -qx 'usr/sbin/cloudseed' "$r.list" && grep -qx 'scripts/init-premount/cloudseed' "$r.list" &&
      grep -qx 'scripts/init-bottom/cloudseed' "$r.list" ;;
    dracut) grep -q ' usr/sbin/cloudseed$' "$r.list" && grep -q 'cloudseed.service$' "$r.list" &&
      { grep -q 'cloudseed-handoff.service$' "$r.list" || grep -q 'pre-pivot/50-cloudseed-pre-pivot.sh$' "$r.list"; } ;;
  esac || { echo "the $v initrd lacks cloudseed" >&2; return 1; }
  grep -q 'virtio_net.ko' "$r.list" || { echo "the $v initrd lacks virtio_net" >&2; return 1; }
  kver=$(ls "$r/lib/modules")
  size=$(( $(du -sm "$r" | cut -f1) * 13 / 10 + 512 ))
  mkfs.ext4 -q -F -L cloudseed-root -d "$r" "$W/$v.img" "${size}M" > /dev/null 2>&1 || return 1
  debugfs -R "dump /boot/vmlinuz-$kver $W/$v.vmlinuz" "$W/$v.img" 2> /dev/null
  debugfs -R "dump /boot/initrd.img-$kver $W/$v.initrd" "$W/$v.img" 2> /dev/null
  cmp -s "$W/$v.initrd" "$r/boot/initrd.img-$kver" && [ -s "$W/$v.vmlinuz" ] ||
    { echo "debugfs could not read the kernel/initrd back" >&2; return 1; }
  log "$v: initrd $(du -h "$W/$v.initrd" | cut -f1), image ${size}M"
  rm -rf "$r"
}

# --- seeds ----------------------------------------------------------------------

make_seeds() {
  # made by `cloudseed mkcidata`: cloud-init in the root mounts it too (below)
  "$REPO/target/cloudseed-static" mkcidata "$W/cidata.img" \
    --meta-data "$F/meta-data" --user-data "$F/user-data" || return 1
  mkdir -p "$W/www/seed" && cp "$F/meta-data" "$F/user-data" "$W/www/seed/"
  # ccurl: the same #cloud-config as system config (cloud-config-url=)
  cp "$F/user-data" "$W/www/cc.cfg"
}

# python on 127.0.0.1, a free port written to $W/port once it listens
start_server() {
  rm -f "$W/port"
  python3 - "$W/www" "$W/port" > "$W/http.log" 2>&1 <<'EOF' &
import functools, http.server, os, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
EOF
  server_pid=$!
  local i
  for i in $(seq 100); do [ -s "$W/port" ] && return 0; sleep 0.1; done
  return 1
}

# --- boots ----------------------------------------------------------------------

# boot VARIANT MODE: serial console in $W/VARIANT-MODE.log
boot() {
  local v=$1 mode=$2 name=$1/$2 slog=$W/$1-$2.log rc=0 t0 wall
  local append="root=/dev/vda rw console=ttyS0,115200 panic=1 net.ifnames=0 systemd.firstboot=off rd.shell=0 rd.emergency=poweroff"
  local net=user,id=n0,restrict=on extra=()
  case $mode in
    cidata) extra=(-drive "file=$W/cidata.img,format=raw,if=virtio,readonly=on") ;;
    net)
      append="$append ds=nocloud-net;s=$SEED_URL"
      net="$net,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $(cat "$W/port")" ;;
    ccurl)
      append="$append cloud-config-url=http://10.0.2.100/cc.cfg ip=dhcp"
      net="$net,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $(cat "$W/port")" ;;
  esac
  t0=$(date +%s%N)
  timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
    -machine pc -accel tcg,thread=multi -cpu qemu64 -smp 2 -m 2048 \
    -nodefaults -no-user-config -display none -monitor none -no-reboot \
    -serial "file:$slog" \
    -kernel "$W/$v.vmlinuz" -initrd "$W/$v.initrd" -append "$append" \
    -drive "file=$W/$v.img,format=raw,if=virtio,snapshot=on" \
    -netdev "$net" -device virtio-net-pci,netdev=n0,romfile= \
    -device virtio-rng-pci "${extra[@]}" < /dev/null > "$W/$v-$mode.qemu" 2>&1 || rc=$?
  wall=$(( ($(date +%s%N) - t0) / 1000000 ))
  check_boot "$name" "$slog" "$rc" "$wall"
}

check_boot() { # NAME SERIAL-LOG QEMU-RC WALL-MS
  local name=$1 proof=$2.proof why= key up kmsg report unit
  tr -d '\r' < "$2" | grep -a 'CSP| ' | sed 's/^.*CSP| //' > "$proof"
  key=$(grep '^ *- ssh-ed25519' "$F/user-data" | sed 's/^ *- //')
  [ "$3" = 0 ] || why+="qemu rc=$3$([ "$3" = 124 ] && echo ' (timeout)'); "
  grep -qx 'hostname=seeded-host etc-hostname=seeded-host' "$proof" || why+="hostname not set; "
  grep -q '^user=seeduser:' "$proof" || why+="no user seeduser; "
  grep -qxF "key=$key" "$proof" || why+="authorized_keys lacks the key; "
  grep -qx 'marker=cloudseed-runcmd-ok' "$proof" || why+="no runcmd marker; "
  grep -qx 'status: status: done' "$proof" || why+="cloud-init status is not done; "
  case $name in
  */ccurl)
    # cloud-config-url alone: DataSourceNone, and no search of any other
    # datasource (cloud-init alone would stay disabled; the image's whole
    # list would poll 169.254.169.254 for minutes)
    grep -q '^status: detail: *DataSourceNone\|^status: DataSourceNone' "$proof" ||
      why+="status does not name DataSourceNone; "
    grep -q "^search: .*\['None'\]" "$proof" || why+="no datasource search logged; "
    grep '^search: ' "$proof" | grep -qv "\['None'\]" && why+="cloud-init searched other datasources; "
    grep -q '^cfg-head=#cloud-config' "$proof" || why+="cloud.cfg does not start with the URL's body; "
    grep -q '^net-conf=none$' "$proof" || why+="the initramfs left /run/net-*.conf on a local root; " ;;
  *)
    grep -q '^status: detail: *DataSourceNoCloud\|^status: DataSourceNoCloud' "$proof" ||
      why+="status does not name DataSourceNoCloud; "
    grep -q '^status: .*file:///run/cloud-init/seed/nocloud/' "$proof" ||
      why+="status does not name cloudseed's /run seed; " ;;
  esac
  # cidata boots: NoCloud also mounted the mkcidata disk itself (its seed list names it)
  case $name in */cidata) grep -q '^status: .*seed=.*,/dev/vdb,' "$proof" ||
    why+="cloud-init did not read the mkcidata disk /dev/vdb; " ;; esac
  { grep -q '^cfg-head=# cloudseed ' "$proof" || [[ $name == */ccurl ]]; } && grep -qx 'ds-identify-result=0' "$proof" ||
    why+="ds-identify did not keep cloudseed's cloud.cfg; "
  up=$(sed -n 's/^BEGIN uptime=//p' "$proof")
  kmsg=$(sed -n 's/^cloudseed-kmsg //p' "$proof")
  report=$(sed -n 's/^report //p' "$proof")
  # dracut: the unit's Starting -> Finished span as systemd logged it
  unit=$(awk -F'[][]' '/^unit: .*Starting cloudseed/{ s = $2 } /^unit: .*Finished cloudseed/{ f = $2 }
    END { if (s != "" && f != "") printf " unit=%.0fms", (f - s) * 1000 }' "$proof")
  timings+=("$(printf 'boot %-19s wall=%d.%03ds proof-at-uptime=%ss cloudseed: %s | %s' \
    "$name" $(($4 / 1000)) $(($4 % 1000)) "${up:-?}" "${kmsg:-no kmsg}$unit" "${report:-no report}")")
  log "$name: wall $(($4 / 1000)) s, proof at uptime ${up:-?} s"
  if [ -z "$why" ]; then ok "full/$name"; else ko "full/$name" "${why%; }"; fi
}

# --- main -------------------------------------------------------------------------

t=$SECONDS
BASE=$("$REPO/tests/lib/debroot.sh" bookworm) || { ko setup "debroot.sh bookworm failed"; finish; }
timings+=("$(printf '%-24s %4d s' debroot-bookworm $((SECONDS - t)))")
timed make-build make -s -C "$REPO" build > /dev/null || { ko setup "make build failed"; finish; }
t0=$SECONDS
DEB=$("$REPO/tests/package/build-deb.sh" "$W/deb") || { ko setup "the .deb did not build"; finish; }
timings+=("$(printf '%-24s %4d s' deb-build $((SECONDS - t0)))")
make_seeds || { ko setup "could not make the seeds"; finish; }
for v in ${BOOT_VARIANTS:-itools dracut}; do
  if ! timed "image-$v" prepare "$v"; then ko "full/$v" "image build failed"; continue; fi
  for mode in ${BOOT_MODES:-cidata net ccurl}; do
    if [ "$mode" != cidata ] && [ -z "$server_pid" ]; then
      start_server || { ko "full/$v/net" "http server did not start"; continue; }
    fi
    boot "$v" "$mode"
  done
  rm -f "$W/$v.img"
done
finish
