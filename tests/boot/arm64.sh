#!/bin/bash
# apt: qemu-system-arm qemu-efi-aarch64 netcat-openbsd cpio gzip kmod dosfstools mtools python3
# The fast QEMU tier on arm64: the static aarch64-unknown-linux-musl build
# (tests/lib/build.sh aarch64, cross-linked by rust-lld), Debian 12's arm64
# kernel and busybox-static:arm64 (downloaded with a private apt state, no
# dpkg architecture added), booted by qemu-system-aarch64 -M virt under TCG
# with tests/boot/guest-init.sh as /init and tests/boot/lib.sh's machinery
# (decoded /run, assertions, HTTP server behind guestfwd, restrict=on).
#   tests/boot/arm64.sh [CASE...]
# The DMI case boots through UEFI firmware (qemu-efi-aarch64): with a direct
# -kernel boot the virt machine has no SMBIOS tables, since they are built by
# the firmware from QEMU's fw_cfg; the no-firmware case checks exactly that.
# Env: CLOUDSEED_CACHE, CSBOOT_TIMEOUT, CLOUDSEED_LOGS as for fast.sh.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap csboot_cleanup EXIT
trap 'exit 130' INT TERM

ALL="cidata-fat cloud-config-url nocloud-net-dmi no-smbios-without-firmware"
CASES=${*:-$ALL}
LOGDIR=${CLOUDSEED_LOGS:-$CSB_ROOT/target/test-logs}/boot-arm64
FIRMWARE=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
CSB_QEMU=qemu-system-aarch64
CSB_MACHINE="-machine virt -accel tcg -cpu cortex-a57"
CSB_CONSOLE=ttyAMA0
pass=0 nfail=0

# Debian's arm64 kernel (Image, uncompressed in the package) with its modules
# and modules.dep, and busybox-static:arm64, cached like tests/lib/kernel.sh.
# Prints "DIR KVER".
arm64_debs() {
  local cache=$CSB_CACHE/kernel-arm64 apt=$CSB_CACHE/apt-arm64
  mkdir -p "$cache"
  exec 7> "$cache/.lock"
  flock 7
  if [ -z "${CLOUDSEED_KERNEL_REFRESH:-}" ] && [ -s "$cache/kver" ] && [ -s "$cache/Image" ] &&
     [ -x "$cache/busybox" ] && [ -s "$cache/root/lib/modules/$(cat "$cache/kver")/modules.dep" ]; then
    echo "$cache $(cat "$cache/kver")"; exec 7>&-; return 0
  fi
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
  : > "$apt/status"
  local o=(-q -o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache" -o "Dir::State::status=$apt/status" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  local dl=$cache/debs
  rm -rf "$dl" "$cache/root.new"; mkdir -p "$dl"
  (cd "$dl" && { apt-get "${o[@]}" download linux-image-arm64 busybox-static > /dev/null 2>&1 ||
    { apt-get "${o[@]}" update > /dev/null && apt-get "${o[@]}" download linux-image-arm64 busybox-static > /dev/null; }; }) ||
    { echo "arm64: apt-get download failed" >&2; return 1; }
  local pkg kver
  pkg=$(dpkg-deb -f "$dl"/linux-image-arm64_*.deb Depends | tr ',' '\n' |
    sed -nE 's/^ *(linux-image-[0-9][^ ]*-arm64)( .*)?$/\1/p' | head -1)
  [ -n "$pkg" ] || { echo "arm64: no linux-image-<ver>-arm64 in the metapackage" >&2; return 1; }
  (cd "$dl" && apt-get "${o[@]}" download "$pkg" > /dev/null) || return 1
  kver=${pkg#linux-image-}
  dpkg-deb -x "$dl/${pkg}"_*.deb "$cache/root.new"
  [ -d "$cache/root.new/lib/modules/$kver" ] ||
    { mkdir -p "$cache/root.new/lib"; mv "$cache/root.new/usr/lib/modules" "$cache/root.new/lib/"; }
  depmod -b "$cache/root.new" "$kver"
  mkdir -p "$dl/bb" && dpkg-deb -x "$dl"/busybox-static_*.deb "$dl/bb"
  install -m 0755 "$dl/bb/bin/busybox" "$cache/busybox"
  rm -rf "$cache/root"; mv "$cache/root.new" "$cache/root"
  cp "$cache/root/boot/vmlinuz-$kver" "$cache/Image" # an uncompressed Image on arm64
  echo "$kver" > "$cache/kver"
  rm -rf "$dl"
  exec 7>&-
  echo "$cache $kver"
}

arm64_setup() {
  local tool
  for tool in qemu-system-aarch64 nc cpio modprobe depmod python3; do
    command -v "$tool" > /dev/null || { echo "missing $tool (see the # apt: line)" >&2; return 1; }
  done
  CSB_WORK=$(mktemp -d /tmp/cloudseed-arm64.XXXXXX)
  csb_log "building cloudseed for aarch64 and the host"
  ARM_BIN=$("$CSB_ROOT/tests/lib/build.sh" aarch64) || return 1
  file "$ARM_BIN" | grep -q 'ARM aarch64.*statically linked' || { echo "not a static aarch64 binary: $ARM_BIN" >&2; return 1; }
  HOST_BIN=$("$CSB_ROOT/tests/lib/build.sh") || return 1 # mkcidata runs on the host
  CSB_BIN=$HOST_BIN
  local kdir kroot
  read -r kdir CSB_KVER < <(arm64_debs) || return 1
  [ -n "${CSB_KVER:-}" ] || return 1
  CSB_KERNEL=$kdir/Image kroot=$kdir/root
  local key dir=$CSB_CACHE/fast-arm64 stage m
  key=$( { cat "$CSB_ROOT/tests/boot/guest-init.sh"; echo "$CSB_KVER $CSB_DRIVERS"; sha256sum < "$kdir/busybox"; } | sha256sum | cut -c1-16)
  dir=$dir/$CSB_KVER-$key
  if [ ! -s "$dir/base.cpio.gz" ]; then
    csb_log "building the arm64 base initramfs in $dir"
    rm -rf "$dir"; stage=$dir/stage
    mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc/csboot,lib/modules,proc,sys,dev,run,tmp}
    cp "$kdir/busybox" "$stage/bin/busybox"; ln -s busybox "$stage/bin/sh"
    install -m 0755 "$CSB_ROOT/tests/boot/guest-init.sh" "$stage/init"
    # shellcheck disable=SC2086
    for m in $(for d in $CSB_DRIVERS; do modprobe -d "$kroot" -S "$CSB_KVER" --show-depends "$d"; done |
               awk '$1 == "insmod" && !seen[$2]++ {print $2}'); do
      cp "$m" "$stage/lib/modules/"; basename "$m" >> "$stage/etc/csboot/modules"
    done
    touch "$stage/etc/csboot/modules.ata"
    (cd "$stage" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$dir/base.cpio.gz.tmp"
    mv "$dir/base.cpio.gz.tmp" "$dir/base.cpio.gz"; rm -rf "$stage"
  fi
  local base=$dir/base.cpio.gz
  mkdir -p "$CSB_WORK/bin-stage/usr/sbin" "$CSB_WORK/bin-stage/usr/lib/cloudseed"
  cp "$ARM_BIN" "$CSB_WORK/bin-stage/usr/sbin/cloudseed"
  install -m 0755 "$CSB_ROOT/dracut/modules.d/50cloudseed/cloudseed-initrd.sh" \
    "$CSB_WORK/bin-stage/usr/lib/cloudseed/cloudseed-initrd"
  local pad=$(((4 - $(stat -c %s "$base") % 4) % 4))
  { cat "$base"; head -c "$pad" /dev/zero
    (cd "$CSB_WORK/bin-stage" && find . | cpio -o -H newc -R 0:0 --quiet); } > "$CSB_WORK/initrd"
  csb_log "arm64 kernel $CSB_KVER, cloudseed $(stat -c %s "$ARM_BIN") bytes, initramfs $(du -k "$CSB_WORK/initrd" | cut -f1) KiB"
}

arm64_setup || { echo "FAIL setup: could not build the arm64 binary/kernel/initramfs"; echo "0 passed, 1 failed"; exit 1; }

D=$CSB_WORK/data
mkdir -p "$D/seed" "$D/www/seed"
printf 'instance-id: arm64-0001\nlocal-hostname: arm64-guest\n' > "$D/seed/meta-data"
printf '#cloud-config\nruncmd:\n  - [ echo, arm64 tier ]\n' > "$D/seed/user-data"
csboot_mkcidata "$D/cidata.img" "$D/seed" || { echo "FAIL setup: cidata image"; echo "0 passed, 1 failed"; exit 1; }
printf '#cloud-config\n# served to the arm64 guest\nbootcmd:\n  - [ echo, from-url ]\n' > "$D/www/cc.cfg"
cp "$D/seed/meta-data" "$D/seed/user-data" "$D/www/seed/"
csboot_httpd "$D/www" || { echo "FAIL setup: http server"; echo "0 passed, 1 failed"; exit 1; }

expect_finished() {
  [ "$B_DONE" = yes ] || fail "guest did not finish (qemu rc $B_QEMU_RC)"
  [ "$B_RC" = 0 ] || fail "failure policy said $B_RC"
  expect_no_meta ' corrupt$'
  expect_grep cloudseed/report.json "\"exit_code\":0[,}]"
}
expect_seed() { # $1 = dir with the source files
  expect_same cloud-init/seed/nocloud/meta-data "$1/meta-data"
  expect_same cloud-init/seed/nocloud/user-data "$1/user-data"
  expect_mode cloud-init/seed/nocloud/user-data 600
  expect_grep cloud-init/cloud.cfg '^datasource_list: \[ NoCloud, None \]'
}
served() { grep -qx "$1" "$HTTP_LOG" || fail "server never saw GET $1"; }

case_cidata-fat() { # the mkcidata disk on virtio; the guest kernel's vfat mounts it too
  csboot_boot "$CASE" --wait block/vda --append " csboot.mount=vda" -- -drive "file=$D/cidata.img,format=raw,if=virtio,readonly=on"
  expect_finished
  expect_meta "^MOUNTED user-data $(sha256sum < "$D/seed/user-data" | cut -d' ' -f1)$"
  expect_seed "$D/seed"
  expect_grep cloudseed/report.json '"source":"NoCloud seed from vfat volume /dev/vda"'
}
case_cloud-config-url() { # DHCP from slirp, GET through guestfwd (restrict=on)
  # The fetch works; the hand-off is identification's call. On arm64,
  # ds-identify's OpenStack check answers "maybe" (non-x86), and with no
  # root to name the cloud-init version, Debian 12's maybe=none and the
  # 22.4.2 release's maybe=all disagree: cloudseed stands aside and writes
  # nothing for cloud-init (README "Fidelity"), which then fetches alone.
  csboot_boot "$CASE" --wait net/eth0 --fwd --append " cloud-config-url=http://10.0.2.100/cc.cfg"
  expect_finished
  served /cc.cfg
  expect_grep cloudseed/report.json '"kind":"http","target":"http://10.0.2.100/cc.cfg","ms":[0-9]+,"outcome":"200"'
  expect_grep cloudseed/report.json '"stand_aside":"identification: cloud-init versions disagree'
  expect_no cloud-init/cloud.cfg
  expect_no cloud-init/.ds-identify.result
  expect_grep cloudseed/report.json '"address":"10.0.2.15"'
  expect_no_meta '^ADDR '
}
case_nocloud-net-dmi() { # UEFI firmware builds SMBIOS from -smbios: seed URL from the serial
  [ -r "$FIRMWARE" ] || { fail "no $FIRMWARE (qemu-efi-aarch64)"; B_WALL=0 B_CS=- B_RC=-; return; }
  csboot_boot "$CASE" --wait net/eth0 --fwd \
    -- -bios "$FIRMWARE" -smbios "type=1,serial=ds=nocloud-net;s=http://10.0.2.100/seed/"
  expect_finished
  expect_seed "$D/www/seed"
  served /seed/meta-data
  served /seed/user-data
}
case_no-smbios-without-firmware() { # direct -kernel boot: the serial is not seen (documented limit)
  csboot_boot "$CASE" --wait net/eth0 --fwd \
    -- -smbios "type=1,serial=ds=nocloud-net;s=http://10.0.2.100/seed/"
  expect_finished
  expect_grep cloudseed/report.json '"source":null'
  grep -q '^/seed/' "$HTTP_LOG" && fail "the seed was fetched: virt has SMBIOS without firmware now (update the docs)"
}

csboot_before_case() { : > "$HTTP_LOG"; }
csboot_time_row() { printf '%-28s boot %5ss  cloudseed %5ss' "$1" "$B_WALL" "$B_CS"; }
csboot_run_cases "arm64 boot times (qemu-system-aarch64 -M virt, TCG, cortex-a57; cloudseed = its run in the guest):"
