#!/bin/bash
# apt: qemu-system-x86 debootstrap debian-archive-keyring e2fsprogs dosfstools mtools netcat-openbsd python3 make util-linux debhelper dpkg-dev fakeroot systemd
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
# Issue 8's acceptance boots, each under one generator only (CI time; the
# image gets its /etc/cloud change in a per-mode copy, via debugfs):
#  dslist  (dracut) image datasource_list [ ConfigDrive, NoCloud, None ], a
#          cidata and a config-2 disk: cloud-init runs DataSourceConfigDrive.
#  cids    (dracut) ci.ds=OpenStack and a config-2 disk: cloudseed stands
#          aside, cloud-init searches what ds-identify alone writes
#          ([ OpenStack, None ]), never ConfigDrive.
#  ec2list (itools) image datasource_list [ Ec2, None ] and a cidata disk:
#          cloudseed stands aside, cloud-init never uses NoCloud (Ec2's
#          max_wait/timeout set small in the same file: the boot stays short).
#  bootif  (itools) two boots of one image: MAAS-style ip=::::host:BOOTIF
#          BOOTIF=01-<mac> cloud-config-url=... on a local root, then a plain
#          cmdline: cloud-init rendered `auto eth0` (not control-manual), no
#          /run/net-eth0.conf, and the second boot has DHCP on eth0.
# Issue 11's read-only root, under both generators:
#  rofs    a second image per variant (rofs_root, made as README's "Read-only
#          (immutable) roots" says: the package's tmpfiles snippet and
#          var-lib-cloud.mount, fstab / ro + tmpfs /var/log and /tmp, ENI and
#          persistent-net links into /run/cloud-init, full/readonly-root.cfg),
#          cmdline ro cloud-config-url=…/ro.cfg (full/ro.cfg) and no ip=: / is
#          ro, bootcmd, write_files and runcmd ran, status done with no error
#          in any stage, cloud-init's own fetch failed in init-local and its
#          init write went through the link into /run, and the body's network:
#          (192.0.2.10/24, MTU 1400), rendered by init-local from cloudseed's
#          /run copy, is on eth0 on this first boot. Then (itools only) the
#          same image with cloud-init alone (rofs-alone: cloudseed.disable,
#          ci.ds=None): the body applies through the links, but init-local
#          had only its DHCP fallback and eth0 lacks 192.0.2.10, MTU 1500.
# The proof also runs the image's ds-identify --force into a scratch dir:
# the list it alone would write is compared with cloud-init's.
# In the cidata and net boots it also runs NoCloud's own _get_data alone and
# with the hand-off (full/nocloud-diff): same instance-id, user-data and
# vendor-data; the dracut cidata boot adds a decoy CIDATA volume that
# NoCloud's reverse-sorted device order skips.
# Root only; no KVM; nothing leaves the machine but the apt-get of dracut.
# env: BOOT_TIMEOUT (s per boot, 600), BOOT_VARIANTS ("itools dracut"),
#      BOOT_MODES ("cidata net ccurl dslist cids ec2list bootif rofs"),
#      CLOUDSEED_CACHE, KEEP=1 (keep the work dir)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
F=$HERE/full
TIMEOUT=${BOOT_TIMEOUT:-600}
SEED_URL=http://10.0.2.100/seed/
MAC=52:54:00:12:34:56
# modes booted under one generator only
declare -A ONLY=([dslist]=dracut [cids]=dracut [ec2list]=itools [bootif]=itools)
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
  install -m 0755 "$F/nocloud-diff" "$r/usr/local/sbin/cloudseed-nocloud-diff"
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
  if wanted rofs; then
    local t0=$SECONDS
    rofs_root "$r" > "$W/rofs-$v.log" 2>&1 || { cat "$W/rofs-$v.log" >&2; return 1; }
    mkfs.ext4 -q -F -L cloudseed-root -d "$r" "$W/$v-rofs.img" "${size}M" > /dev/null 2>&1 || return 1
    log "$v: read-only image in $((SECONDS - t0)) s"
  fi
  rm -rf "$r"
}

# rofs_root ROOT: turns the variant's root (initrd already built) into the
# read-only image of mode rofs, the way README's read-only section tells an
# image builder to, with the files the package installed in it
rofs_root() {
  local r=$1 ro=$1/usr/share/cloudseed/readonly-root
  # the shipped opt-ins: 91_kernel_cmdline_url.cfg -> /run/cloud-init/, and
  # cloud-init's state on tmpfs
  systemd-tmpfiles --root="$r" --create - < "$ro/cloudseed-readonly-root.conf" &&
    cp "$ro/var-lib-cloud.mount" "$r/etc/systemd/system/" &&
    systemctl --root="$r" enable var-lib-cloud.mount || return 1
  # cloud-init's log (written from init-local on, hence the drop-in) and
  # /tmp (the proof's ds-identify run) on tmpfs
  printf '%s\n' '/dev/vda / ext4 ro 0 1' \
    'tmpfs /var/log tmpfs mode=0755,nosuid,nodev 0 0' \
    'tmpfs /tmp tmpfs mode=1777,nosuid,nodev 0 0' > "$r/etc/fstab" &&
    mkdir -p "$r/etc/systemd/system/cloud-init-local.service.d" &&
    printf '[Unit]\nRequiresMountsFor=/var/log\n' \
      > "$r/etc/systemd/system/cloud-init-local.service.d/readonly-root.conf" || return 1
  # what the ENI renderer writes, in init-local and again in init (a
  # dangling link is skipped by ifupdown's `source interfaces.d/*` and udev)
  ln -s /run/cloud-init/50-cloud-init.eni "$r/etc/network/interfaces.d/50-cloud-init" &&
    ln -s /run/cloud-init/70-persistent-net.rules "$r/etc/udev/rules.d/70-persistent-net.rules" &&
    install -m 0644 "$F/readonly-root.cfg" "$r/etc/cloud/cloud.cfg.d/90-readonly-root.cfg" || return 1
  # systemd-logind's StateDirectory: it cannot be made on a read-only root;
  # without it logind fails, and power_state's shutdown waits ~65 s for it
  mkdir -p "$r/var/lib/systemd/linger"
}

wanted() { [[ " ${BOOT_MODES:-$DEFAULT_MODES} " == *" $1 "* ]]; }

# --- seeds ----------------------------------------------------------------------

make_seeds() {
  # made by `cloudseed mkcidata`: cloud-init in the root mounts it too (below)
  "$REPO/target/cloudseed-static" mkcidata "$W/cidata.img" \
    --meta-data "$F/meta-data" --user-data "$F/user-data" || return 1
  mkdir -p "$W/www/seed" && cp "$F/meta-data" "$F/user-data" "$W/www/seed/"
  # ccurl: the same #cloud-config as system config (cloud-config-url=)
  cp "$F/user-data" "$W/www/cc.cfg"
  # rofs: a body whose effects a read-only /etc can take, with a network:
  cp "$F/ro.cfg" "$W/www/ro.cfg"
  # a config-2 drive (vfat, as OpenStack's config_drive_format=vfat makes it)
  # carrying the same user-data
  mkdir -p "$W/c2/openstack/latest" &&
    printf '{"uuid": "cloudseed-cfgdrive-0001", "hostname": "seed-md-host", "name": "seed-md-host"}\n' \
      > "$W/c2/openstack/latest/meta_data.json" &&
    cp "$F/user-data" "$W/c2/openstack/latest/user_data" &&
    mkfs.vfat -n config-2 -C "$W/config2.img" 1024 > /dev/null 2>&1 &&
    MTOOLS_SKIP_CHECK=1 mcopy -s -i "$W/config2.img" "$W/c2/openstack" :: &&
    blkid -o export "$W/config2.img" | grep -qx 'LABEL=config-2' || return 1
  # a second cidata volume with other data (dracut/cidata): NoCloud reads
  # the reverse-sorted first one itself, so cloudseed must hand off that one
  # (the real one is attached after it: /dev/vdc sorts before /dev/vdb)
  mkdir -p "$W/decoy" &&
    printf 'instance-id: decoy-0001\nlocal-hostname: decoy-host\n' > "$W/decoy/meta-data" &&
    printf '#cloud-config\nhostname: decoy-host\n' > "$W/decoy/user-data" &&
    mkfs.vfat -n CIDATA -C "$W/decoy.img" 1024 > /dev/null 2>&1 &&
    MTOOLS_SKIP_CHECK=1 mcopy -i "$W/decoy.img" "$W/decoy/meta-data" "$W/decoy/user-data" :: || return 1
}

# image-level config for boots where no user-data applies: the proof's
# power_state, and the seed's TCG/locale settings (update-locale en_US.UTF-8
# fails in this image, which cloud-init status would report as an error)
POWER='locale: C.UTF-8
ssh_genkeytypes: [ed25519]
power_state:
  mode: poweroff
  delay: now
  timeout: 120
  condition: "/usr/local/sbin/cloudseed-proof; true"'

# mode_image VARIANT MODE: sets IMG (and SNAP) to the image MODE boots: the
# variant's image, or a copy of it with the mode's files written by debugfs
mode_image() {
  local v=$1 mode=$2 d=$W/files-$2 cmds
  IMG=$W/$v.img SNAP=,snapshot=on
  rm -rf "$d" && mkdir -p "$d"
  case $mode in
    dslist) printf 'datasource_list: [ ConfigDrive, NoCloud, None ]\n' > "$d/cfg" ;;
    ec2list)
      # 169.254.169.254 behind restrict=on: SYNs vanish, each try times out
      printf '%s\n' 'datasource_list: [ Ec2, None ]' 'datasource:' '  Ec2:' \
        "    metadata_urls: [ 'http://169.254.169.254' ]" '    max_wait: 4' '    timeout: 2' "$POWER" > "$d/cfg" ;;
    cids) printf '%s\n' "$POWER" > "$d/cfg" ;;
    bootif)
      # boot 2 has no cloud-config-url, hence no power_state: this unit prints
      # the proof once the network is online and powers off; before the serial
      # getty, whose hangup of ttyS0 would cut the proof short. Not after
      # cloud-final.service: that is After=multi-user.target, which this unit
      # is wanted by, and systemd breaks such a cycle by deleting any one job
      # of it (once cloud-final's on boot 1: no power_state, a 600 s hang).
      # On boot 2 cloud-init is disabled (ds-identify finds nothing).
      cat > "$d/unit" <<'EOF'
[Unit]
Description=cloudseed test: second-boot proof
ConditionKernelCommandLine=!cloud-config-url
Wants=network-online.target
After=network-online.target
Before=getty.target serial-getty@ttyS0.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/cloudseed-proof
ExecStart=/bin/systemctl --no-block poweroff
[Install]
WantedBy=multi-user.target
EOF
      ;;
    # made by prepare (rofs_root); snapshot=on all the same: fsck may write
    rofs) IMG=$W/$v-rofs.img; [ -f "$IMG" ]; return ;;
    *) return 0 ;;
  esac
  IMG=$W/$v-$mode.img SNAP=
  cp --sparse=always "$W/$v.img" "$IMG" || return 1
  if [ -f "$d/cfg" ]; then
    cmds="cd /etc/cloud/cloud.cfg.d
write $d/cfg 90-cloudseed-test.cfg"
  else
    cmds="cd /etc/systemd/system
write $d/unit cloudseed-proof2.service
cd /etc/systemd/system/multi-user.target.wants
symlink cloudseed-proof2.service /etc/systemd/system/cloudseed-proof2.service"
  fi
  debugfs -w -f - "$IMG" <<< "$cmds" > "$d/debugfs.log" 2>&1 || return 1
  # read back: debugfs does not fail on a failed write
  if [ -f "$d/cfg" ]; then
    debugfs -R "cat /etc/cloud/cloud.cfg.d/90-cloudseed-test.cfg" "$IMG" 2> /dev/null | cmp -s - "$d/cfg"
  else
    debugfs -R "stat /etc/systemd/system/multi-user.target.wants/cloudseed-proof2.service" "$IMG" 2> /dev/null |
      grep -q 'Fast link dest: "/etc/systemd/system/cloudseed-proof2.service"' &&
      debugfs -R "cat /etc/systemd/system/cloudseed-proof2.service" "$IMG" 2> /dev/null | cmp -s - "$d/unit"
  fi
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

# boot VARIANT MODE: serial console in $W/VARIANT-MODE.log; the disk is
# $IMG (mode_image)
boot() {
  local v=$1 mode=$2 name=$1/$2 slog=$W/$1-$2.log rc=0 t0 wall
  local append="root=/dev/vda rw console=ttyS0,115200 panic=1 net.ifnames=0 systemd.firstboot=off rd.shell=0 rd.emergency=poweroff"
  local net=user,id=n0,restrict=on extra=()
  case $mode in
    cidata|ec2list) extra=(-drive "file=$W/cidata.img,format=raw,if=virtio,readonly=on") ;;&
    cidata)
      [ "$v" = dracut ] && extra=(-drive "file=$W/decoy.img,format=raw,if=virtio,readonly=on" "${extra[@]}") ;;
    dslist) extra=(-drive "file=$W/cidata.img,format=raw,if=virtio,readonly=on"
      -drive "file=$W/config2.img,format=raw,if=virtio,readonly=on") ;;
    cids)
      append="$append ci.ds=OpenStack"
      extra=(-drive "file=$W/config2.img,format=raw,if=virtio,readonly=on") ;;
    bootif-1)
      append="$append ip=::::host:BOOTIF BOOTIF=01-${MAC//:/-} cloud-config-url=http://10.0.2.100/cc.cfg"
      net="$net,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $(cat "$W/port")" ;;
    bootif-2) ;;
    net)
      append="$append ds=nocloud-net;s=$SEED_URL"
      net="$net,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $(cat "$W/port")" ;;
    ccurl)
      append="$append cloud-config-url=http://10.0.2.100/cc.cfg ip=dhcp"
      net="$net,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $(cat "$W/port")" ;;
    rofs|rofs-alone)
      # root mounted read-only from the initramfs on; no ip=: a local root
      append="${append/ rw / ro } cloud-config-url=http://10.0.2.100/ro.cfg"
      # cloud-init alone: cloudseed off; ds-identify finds no datasource on
      # this image (cloud-init would not run at all), ci.ds=None makes it run
      [ "$mode" = rofs ] || append="$append cloudseed.disable ci.ds=None"
      net="$net,guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 $(cat "$W/port")" ;;
  esac
  t0=$(date +%s%N)
  timeout -k 10 "$TIMEOUT" qemu-system-x86_64 \
    -machine pc -accel tcg,thread=multi -cpu qemu64 -smp 2 -m 2048 \
    -nodefaults -no-user-config -display none -monitor none -no-reboot \
    -serial "file:$slog" \
    -kernel "$W/$v.vmlinuz" -initrd "$W/$v.initrd" -append "$append" \
    -drive "file=$IMG,format=raw,if=virtio$SNAP" \
    -netdev "$net" -device virtio-net-pci,netdev=n0,romfile=,mac=$MAC \
    -device virtio-rng-pci "${extra[@]}" < /dev/null > "$W/$v-$mode.qemu" 2>&1 || rc=$?
  wall=$(( ($(date +%s%N) - t0) / 1000000 ))
  check_boot "$name" "$slog" "$rc" "$wall"
}

check_boot() { # NAME SERIAL-LOG QEMU-RC WALL-MS
  local name=$1 proof=$2.proof why= key up kmsg report unit alone
  tr -d '\r' < "$2" | grep -a 'CSP| ' | sed 's/^.*CSP| //' > "$proof"
  key=$(grep '^ *- ssh-ed25519' "$F/user-data" | sed 's/^ *- //')
  [ "$3" = 0 ] || why+="qemu rc=$3$([ "$3" = 124 ] && echo ' (timeout)'); "
  grep -qx END "$proof" || why+="no complete proof on the console; "
  # a cycle makes systemd drop a job of its choice: a boot that passes by luck
  tr -d '\r' < "$2" | grep -aq 'Found ordering cycle' &&
    why+="systemd found an ordering cycle; "
  # the user-data (or cloud-config-url body) applied
  case $name in
  */bootif-2) ;; # boot 1 applied it
  */rofs|*/rofs-alone)
    # a read-only root, and the body's effects where it can take them
    grep -q '^ro-root=ro\(,\|$\)' "$proof" || why+="/ is not mounted ro; "
    grep -qx 'ro-etc=Read-only file system' "$proof" || why+="/etc took a write; "
    grep -qx 'ro-mount /var/lib/cloud=tmpfs' "$proof" || why+="/var/lib/cloud is not a tmpfs; "
    grep -qx 'ro-link91=/run/cloud-init/91_kernel_cmdline_url.cfg head=#cloud-config.*' "$proof" ||
      why+="91_kernel_cmdline_url.cfg is no symlink to cloud-init's own write in /run; "
    grep -q '^ro-bootcmd=bootcmd-ok uptime=' "$proof" || why+="no bootcmd marker; "
    grep -qx 'ro-write-files=cloudseed-rofs-write-files-ok' "$proof" || why+="write_files did not write; "
    grep -qx 'ro-runcmd=cloudseed-runcmd-ok' "$proof" || why+="no runcmd marker; "
    # no error recorded by any stage (EROFS would be one)
    grep -qx 'ro-result-errors=\[\]' "$proof" && [ "$(grep -c '^ro-errors [a-z-]*=\[\]$' "$proof")" = 4 ] ||
      why+="cloud-init recorded errors; "
    # cloud-init's own fetch: none in init-local (no network yet), then in
    # init through the link into /run; the body's network: always in the ENI
    grep -q "^ro-ci init-local: retrieving url 'http://10.0.2.100/ro.cfg' failed" "$proof" ||
      why+="no failed fetch of cloud-init's own in init-local; "
    grep -q '^ro-ci init-local: wrote cloud-config data' "$proof" &&
      why+="cloud-init fetched the URL in init-local; "
    grep -q '^ro-ci init: wrote cloud-config data from cloud-config-url=' "$proof" ||
      why+="cloud-init's own fetch in init did not land in /run; "
    grep -qx 'eni:     address 192.0.2.10/24' "$proof" || why+="ENI lacks the body's address; "
    if [[ $name == */rofs ]]; then
      # on this first boot: rendered by init-local from cloudseed's /run
      # copy and brought up by ifupdown before the proof
      grep -q '^ro-ci init-local: Applying network configuration from system_cfg .*192\.0\.2\.10/24' "$proof" ||
        why+="init-local did not render the body's network; "
      grep -q '^ip4=.*192\.0\.2\.10/24' "$proof" || why+="eth0 lacks 192.0.2.10/24; "
      grep -qx 'ro-mtu=1400' "$proof" || why+="eth0's MTU is not 1400; "
    else
      # alone: init-local had only its fallback (DHCP); init rendered the
      # body's network too late: ifup finds eth0 already configured
      grep -q '^ro-ci init-local: Applying network configuration from fallback' "$proof" ||
        why+="init-local did not fall back to DHCP; "
      grep -q '^ip4=.*192\.0\.2\.10/24' "$proof" && why+="alone, eth0 got 192.0.2.10/24 on this boot; "
      grep -qx 'ro-mtu=1500' "$proof" || why+="alone, eth0's MTU is not 1500; "
      grep -qx 'cfg-head=datasource_list: \[ None \]' "$proof" || why+="cloud.cfg is not ds-identify's alone; "
      grep -q '^status: detail: *DataSourceNone\|^status: DataSourceNone' "$proof" ||
        why+="status does not name DataSourceNone; "
    fi ;;
  */ec2list|*/cids)
    # nothing of the seed's applies: cloud-init ran as it would alone
    grep -q '^hostname=seeded-host' "$proof" && why+="the seed's hostname applied; "
    grep -qx 'marker=cloudseed-runcmd-ok' "$proof" && why+="the seed's runcmd ran; " ;;
  *)
    grep -qx 'hostname=seeded-host etc-hostname=seeded-host' "$proof" || why+="hostname not set; "
    grep -q '^user=seeduser:' "$proof" || why+="no user seeduser; "
    grep -qxF "key=$key" "$proof" || why+="authorized_keys lacks the key; "
    grep -qx 'marker=cloudseed-runcmd-ok' "$proof" || why+="no runcmd marker; " ;;
  esac
  [[ $name == */bootif-2 ]] || grep -qx 'status: status: done' "$proof" || why+="cloud-init status is not done; "
  # the list ds-identify alone writes for this boot, as cloud-init logs a list
  alone=$(sed -n 's/^dsi-alone-dslist=datasource_list: \[ \(.*\) \]$/\1/p' "$proof" | sed "s/\([^, ][^, ]*\)/'\1'/g")
  case $name in
  */rofs-alone) ;; # above
  */ccurl|*/bootif-1|*/rofs)
    # cloud-config-url alone: DataSourceNone, and no search of any other
    # datasource (cloud-init alone would stay disabled; the image's whole
    # list would poll 169.254.169.254 for minutes)
    grep -q '^status: detail: *DataSourceNone\|^status: DataSourceNone' "$proof" ||
      why+="status does not name DataSourceNone; "
    grep -q "^search: .*\['None'\]" "$proof" || why+="no datasource search logged; "
    grep '^search: ' "$proof" | grep -qv "\['None'\]" && why+="cloud-init searched other datasources; "
    grep -q '^cfg-head=#cloud-config' "$proof" || why+="cloud.cfg does not start with the URL's body; "
    grep -q '^net-conf=none$' "$proof" || why+="the initramfs left /run/net-*.conf on a local root; " ;;
  */dslist)
    # the image's list, both disks found: ConfigDrive first, as ds-identify alone
    grep -q '^status: detail: *DataSourceConfigDrive\|^status: DataSourceConfigDrive' "$proof" ||
      why+="status does not name DataSourceConfigDrive; "
    grep -qx 'dsi-alone-dslist=datasource_list: \[ ConfigDrive, NoCloud, None \]' "$proof" ||
      why+="ds-identify alone does not write [ ConfigDrive, NoCloud, None ]; "
    grep -qx 'cfg-dslist=datasource_list: \[ ConfigDrive, NoCloud, None \]' "$proof" ||
      why+="cloud.cfg's list is not [ ConfigDrive, NoCloud, None ]; "
    grep '^search: ' "$proof" | grep -qvF "in: [$alone]" && why+="cloud-init searched other than ds-identify's [$alone]; " ;;
  */ec2list|*/cids)
    # cloudseed stood aside; cloud-init searched exactly ds-identify's list
    grep -q '^stand-aside=.*leaves out' "$proof" || why+="report.json does not say stand_aside; "
    grep -q '^status: detail: *DataSourceNone\|^status: DataSourceNone' "$proof" ||
      why+="status does not name DataSourceNone; "
    grep -q "^search: " "$proof" || why+="no datasource search logged; "
    [ -n "$alone" ] || why+="ds-identify alone wrote no list; "
    grep '^search: ' "$proof" | grep -qvF "in: [$alone]" && why+="cloud-init searched other than ds-identify's [$alone]; "
    grep -qF "cfg-dslist=$(sed -n 's/^dsi-alone-dslist=//p' "$proof")" "$proof" ||
      why+="cloud.cfg's list is not ds-identify's; "
    grep -q 'NoCloud\|ConfigDrive' <<< "$alone" && why+="ds-identify alone lists [$alone]; " ;;
  */bootif-2)
    # the network cloud-init rendered on boot 1 brings eth0 up by DHCP
    grep -q '^ip4=10\.0\.2\.' "$proof" || why+="eth0 has no DHCP address; " ;;
  *)
    grep -q '^status: detail: *DataSourceNoCloud\|^status: DataSourceNoCloud' "$proof" ||
      why+="status does not name DataSourceNoCloud; "
    grep -q '^status: .*file:///run/cloud-init/seed/nocloud/' "$proof" ||
      why+="status does not name cloudseed's /run seed; " ;;
  esac
  case $name in
  */ec2list) grep -q '^status: .*NoCloud' "$proof" && why+="cloud-init used NoCloud; " ;;
  */cids) grep -q "^search: .*'OpenStack'" "$proof" || why+="cloud-init did not search OpenStack; "
    grep -q '^status: .*ConfigDrive' "$proof" && why+="cloud-init used ConfigDrive; " ;;
  */bootif-*)
    # boot 1 rendered DHCP for eth0, not the initramfs's control-manual
    grep -qx 'eni: auto eth0' "$proof" || why+="cloud-init did not render auto eth0; "
    grep -q '^eni: .*control-manual' "$proof" && why+="cloud-init rendered control-manual; "
    grep -q '^net-conf=none$' "$proof" || why+="/run/net-*.conf exists on a local root; " ;;
  esac
  # cidata boots: NoCloud also mounted the mkcidata disk itself (its seed list names it)
  # (dracut: /dev/vdc, after the decoy cidata volume /dev/vdb)
  case $name in
  itools/cidata) grep -q '^status: .*seed=.*,/dev/vdb,' "$proof" ||
    why+="cloud-init did not read the mkcidata disk /dev/vdb; " ;;
  dracut/cidata) grep -q '^status: .*seed=.*,/dev/vdc,' "$proof" ||
    why+="cloud-init did not read the mkcidata disk /dev/vdc; " ;;
  esac
  # issue 8's differential: NoCloud's own _get_data alone (mounting the
  # volumes or fetching the URL itself) and with the hand-off agree
  case $name in
  */cidata|*/net)
    local a h
    a=$(sed -n 's/^ncdiff: alone ok=True //p' "$proof")
    h=$(sed -n 's/^ncdiff: handoff ok=True //p' "$proof")
    if [ -z "$a" ] || [ -z "$h" ]; then
      why+="NoCloud's _get_data did not succeed both alone and with the hand-off; "
    elif [ "$(cut -d' ' -f2-4 <<< "$a")" != "$(cut -d' ' -f2-4 <<< "$h")" ]; then
      why+="NoCloud alone ($a) and with the hand-off ($h) differ; "
    fi
    case $name in
    */net) grep -q '^seed=.*http://' <<< "${a##* }" || why+="NoCloud alone did not fetch the URL; " ;;
    *) grep -q '^seed=.*/dev/vd' <<< "${a##* }" || why+="NoCloud alone did not mount a volume; " ;;
    esac
    grep -q 'seed=.*file:///run/cloud-init/seed/nocloud' <<< "$h" || why+="NoCloud with the hand-off did not read cloudseed's seed; "
    grep -q 'iid=decoy' <<< "$a$h" && why+="the decoy volume's data was used; " ;;
  esac
  case $name in
  */cidata|*/net|*/dslist)
    grep -q '^cfg-head=# cloudseed ' "$proof" && grep -qx 'ds-identify-result=0' "$proof" ||
      why+="ds-identify did not keep cloudseed's cloud.cfg; " ;;
  esac
  up=$(sed -n 's/^BEGIN uptime=//p' "$proof")
  kmsg=$(sed -n 's/^cloudseed-kmsg //p' "$proof")
  report=$(sed -n 's/^report //p' "$proof")
  # dracut: the unit's Starting -> Finished span as systemd logged it
  unit=$(awk -F'[][]' '/^unit: .*Starting cloudseed/{ s = $2 } /^unit: .*Finished cloudseed/{ f = $2 }
    END { if (s != "" && f != "") printf " unit=%.0fms", (f - s) * 1000 }' "$proof")
  timings+=("$(printf 'boot %-19s wall=%d.%03ds proof-at-uptime=%ss cloudseed: %s | %s' \
    "$name" $(($4 / 1000)) $(($4 % 1000)) "${up:-?}" "${kmsg:-no kmsg}$unit" "${report:-no report}")")
  log "$name: wall $(($4 / 1000)) s, proof at uptime ${up:-?} s"
  if [ -z "$why" ]; then ok "full/$name"; else
    ko "full/$name" "${why%; }"
    # CI keeps only this output: the console's end says where the boot stopped
    echo "--- last 40 console lines of $name:"
    tr -d '\r' < "$2" | grep -av '^CSP| ' | tail -40 | sed 's/^/    /'
  fi
}

# --- main -------------------------------------------------------------------------

t=$SECONDS
DEFAULT_MODES="cidata net ccurl dslist cids ec2list bootif rofs"
BASE=$("$REPO/tests/lib/debroot.sh" bookworm) || { ko setup "debroot.sh bookworm failed"; finish; }
timings+=("$(printf '%-24s %4d s' debroot-bookworm $((SECONDS - t)))")
timed make-build make -s -C "$REPO" build > /dev/null || { ko setup "make build failed"; finish; }
t0=$SECONDS
DEB=$("$REPO/tests/package/build-deb.sh" "$W/deb") || { ko setup "the .deb did not build"; finish; }
timings+=("$(printf '%-24s %4d s' deb-build $((SECONDS - t0)))")
make_seeds || { ko setup "could not make the seeds"; finish; }
for v in ${BOOT_VARIANTS:-itools dracut}; do
  if ! timed "image-$v" prepare "$v"; then ko "full/$v" "image build failed"; continue; fi
  for mode in ${BOOT_MODES:-$DEFAULT_MODES}; do
    only=${ONLY[$mode]:-$v}
    [ "$only" = "$v" ] || continue
    case $mode in
      net|ccurl|bootif|rofs) [ -n "$server_pid" ] ||
        start_server || { ko "full/$v/$mode" "http server did not start"; continue; } ;;
      cidata|dslist|cids|ec2list) ;;
      *) ko "full/$v/$mode" "unknown mode"; continue ;;
    esac
    timed "image-$v-$mode" mode_image "$v" "$mode" || { ko "full/$v/$mode" "image change failed"; continue; }
    case $mode in
      bootif) boot "$v" bootif-1 && boot "$v" bootif-2 ;;
      # cloud-init alone on the same image: one generator is enough
      rofs) boot "$v" rofs; [ "$v" != itools ] || boot "$v" rofs-alone ;;
      *) boot "$v" "$mode" ;;
    esac
    [ "$IMG" = "$W/$v.img" ] || rm -f "$IMG"
  done
  rm -f "$W/$v.img"
done
finish
