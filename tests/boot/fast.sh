#!/bin/bash
# apt: qemu-system-x86 netcat-openbsd busybox-static cpio gzip kmod genisoimage dosfstools mtools python3 dnsmasq-base iproute2
# The fast QEMU tier: the Debian kernel + a hand-built initramfs whose /init
# runs cloudseed with its real defaults (/proc/cmdline, /sys/class/block,
# /run), then dumps what it wrote to the serial console. Each case asserts on
# that /run content as decoded on the host. TCG only, user networking with
# restrict=on, the only way out a guestfwd to a server on 127.0.0.1.
#   tests/boot/fast.sh              every case
#   tests/boot/fast.sh CASE...      some (names as printed)
# Env: CLOUDSEED_CACHE (kernel, base initramfs), CSBOOT_TIMEOUT (s per boot),
#      CLOUDSEED_LOGS (serial logs of failed cases are copied there).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
trap csboot_cleanup EXIT
trap 'exit 130' INT TERM

ALL="policy-stop-post cidata-fat cidata-iso config-2 none disabled required-nothing cloud-config-url nocloud-net-dmi dead-second-nic dead-first-nic url-404 ip-dhcp-kept ipv6-only"
CASES=${*:-$ALL}
LOGDIR=${CLOUDSEED_LOGS:-$CSB_ROOT/target/test-logs}/boot-fast
pass=0 nfail=0

csboot_setup || { echo "FAIL setup: could not build the kernel/initramfs"; echo "0 passed, 1 failed"; exit 1; }

# --- fixtures ---------------------------------------------------------------
D=$CSB_WORK/data
mkdir -p "$D/seed" "$D/iso" "$D/cfg2/openstack/latest" "$D/www/seed"
printf 'instance-id: fast-0001\nlocal-hostname: fast-guest\n' > "$D/seed/meta-data"
printf '#cloud-config\nruncmd:\n  - [ echo, fast tier ]\nwrite_files:\n  - path: /tmp/x\n    content: "caf\xc3\xa9 \\t binary-safe\\n"\n' > "$D/seed/user-data"
printf 'version: 2\nethernets:\n  eth0:\n    dhcp4: true\n' > "$D/seed/network-config"

# cidata FAT made by `cloudseed mkcidata` (seed minus network-config)
mkdir -p "$D/fat"
cp "$D/seed/user-data" "$D/seed/meta-data" "$D/fat/"
csboot_mkcidata "$D/cidata.img" "$D/fat" || { echo "FAIL setup: cidata image"; echo "0 passed, 1 failed"; exit 1; }
cp "$D/seed/user-data" "$D/seed/meta-data" "$D/seed/network-config" "$D/iso/"
genisoimage -quiet -V cidata -joliet -rock -o "$D/cidata.iso" "$D/iso"
printf '{"uuid": "0f0e0d0c-fast-4000-8000-000000000002", "hostname": "cfg2"}\n' \
  > "$D/cfg2/openstack/latest/meta_data.json"
printf '#cloud-config\nruncmd: [ [ echo, cfg2 ] ]\n' > "$D/cfg2/openstack/latest/user_data"
genisoimage -quiet -V config-2 -joliet -rock -o "$D/config-2.iso" "$D/cfg2"
# served over HTTP: a system cloud-config and a NoCloud seed
printf '#cloud-config\n# served by the fast tier\nbootcmd:\n  - [ echo, from-url ]\n' > "$D/www/cc.cfg"
cp "$D/seed/meta-data" "$D/seed/user-data" "$D/www/seed/"
csboot_httpd "$D/www" || { echo "FAIL setup: http server"; echo "0 passed, 1 failed"; exit 1; }

# --- shared expectations ------------------------------------------------------
expect_finished() { # $1 = cloudseed's exit code, $2 = the policy's verdict (default 0)
  [ "$B_DONE" = yes ] || fail "guest did not finish (qemu rc $B_QEMU_RC)"
  [ "$B_RC" = "${2:-0}" ] || fail "failure policy said $B_RC, want ${2:-0}"
  expect_no_meta ' corrupt$'
  expect_file cloudseed/report.json
  expect_grep cloudseed/report.json "\"exit_code\":$1[,}]"
}
expect_nocloud_seed() { # $1 = dir with the source files
  expect_same cloud-init/seed/nocloud/meta-data "$1/meta-data"
  expect_same cloud-init/seed/nocloud/user-data "$1/user-data"
  expect_mode cloud-init/seed/nocloud/user-data 600
  expect_mode cloud-init/seed/nocloud/meta-data 644
  expect_grep cloud-init/cloud.cfg '^datasource_list: \[ NoCloud, None \]'
  expect_grep cloud-init/cloud.cfg 'seedfrom: file:///run/cloud-init/seed/nocloud/'
  expect_ds_result
}
expect_ds_result() {
  [ "$(od -An -c "$B_DIR/cloud-init/.ds-identify.result" 2> /dev/null | tr -d ' ')" = '0\n' ] ||
    fail ".ds-identify.result is not \"0\\n\""
}
expect_nothing_for_cloud_init() {
  [ -z "$(ls -A "$B_DIR/cloud-init" 2> /dev/null)" ] || fail "/run/cloud-init has $(ls -A "$B_DIR/cloud-init" | tr '\n' ' ')"
}
expect_network_left_clean() { # no ip= on the cmdline: the lease is released
  expect_no_meta '^ADDR '
  expect_no_meta '^ROUTE default'
  [ -z "$(ls "$B_DIR"/net-*.conf 2> /dev/null)" ] || fail "net-*.conf written without ip="
}
served() { grep -qx "$1" "$HTTP_LOG" || fail "server never saw GET $1"; }

# --- cases ----------------------------------------------------------------------
case_cidata-fat() { # also: the guest kernel's vfat mounts the mkcidata image
  csboot_boot "$CASE" --wait block/vda --append " csboot.mount=vda" -- -drive "file=$D/cidata.img,format=raw,if=virtio,readonly=on"
  expect_finished 0
  expect_meta "^MOUNTED meta-data $(sha256sum < "$D/fat/meta-data" | cut -d' ' -f1)$"
  expect_meta "^MOUNTED user-data $(sha256sum < "$D/fat/user-data" | cut -d' ' -f1)$"
  expect_nocloud_seed "$D/seed"
  expect_no cloud-init/seed/nocloud/network-config
  expect_grep cloudseed/report.json '"source":"NoCloud seed from vfat volume /dev/vda"'
  expect_network_left_clean
}
case_cidata-iso() { # on the IDE CD-ROM: the ata_piix/sr_mod path, /dev/sr0
  csboot_boot "$CASE" --wait block/sr0 -- -cdrom "$D/cidata.iso"
  expect_finished 0
  expect_nocloud_seed "$D/seed"
  expect_same cloud-init/seed/nocloud/network-config "$D/seed/network-config"
  expect_grep cloud-init/cloud.cfg '^    network-config: \|'
  expect_grep cloud-init/cloud.cfg '^      ethernets:'
  expect_grep cloudseed/report.json 'iso9660 volume /dev/sr0'
}
case_config-2() {
  csboot_boot "$CASE" --wait block/vda -- -drive "file=$D/config-2.iso,format=raw,if=virtio,readonly=on"
  expect_finished 0
  expect_grep cloud-init/cloud.cfg '^datasource_list: \[ ConfigDrive, None \]'
  expect_ds_result
  expect_no cloud-init/seed
  expect_grep cloudseed/report.json '"verdict":"config-2"'
}
case_none() { # no source at all: only the report, exit 0, network untouched
  csboot_boot "$CASE" --wait net/eth0
  expect_finished 0
  expect_nothing_for_cloud_init
  expect_grep cloudseed/report.json '"source":null'
  expect_no_meta '^ADDR '
  [ "$(find "$B_DIR" -type f | wc -l)" = 1 ] || fail "more than the report under /run: $(cd "$B_DIR" && find . -type f | tr '\n' ' ')"
}
case_disabled() { # cloud-init=disabled wins over a present seed
  csboot_boot "$CASE" --wait block/vda --append " cloud-init=disabled" \
    -- -drive "file=$D/cidata.img,format=raw,if=virtio,readonly=on"
  expect_finished 0
  expect_nothing_for_cloud_init
  expect_grep cloudseed/report.json '"cloud_init_disabled":true'
}
case_cloud-config-url() { # DHCP from slirp, GET through guestfwd
  csboot_boot "$CASE" --wait net/eth0 --fwd --append " cloud-config-url=http://10.0.2.100/cc.cfg"
  expect_finished 0
  expect_file cloud-init/cloud.cfg
  head -c "$(stat -c %s "$D/www/cc.cfg")" "$B_DIR/cloud-init/cloud.cfg" 2> /dev/null | cmp -s - "$D/www/cc.cfg" ||
    fail "cloud.cfg does not start with the served #cloud-config"
  expect_mode cloud-init/cloud.cfg 600
  expect_ds_result
  served /cc.cfg
  expect_grep cloudseed/report.json '"address":"10.0.2.15"'
  expect_network_left_clean
}
case_nocloud-net-dmi() { # seed URL from the SMBIOS serial, as some clouds pass it
  csboot_boot "$CASE" --wait net/eth0 --fwd \
    -- -smbios "type=1,serial=ds=nocloud-net;s=http://10.0.2.100/seed/"
  expect_finished 0
  expect_nocloud_seed "$D/www/seed"
  served /seed/meta-data
  served /seed/user-data
  expect_network_left_clean
}
case_dead-second-nic() { # eth1 has carrier but nothing answers: eth0 must still serve
  csboot_boot "$CASE" --wait net/eth0,net/eth1 --fwd --dead-nic \
    --append " cloud-config-url=http://10.0.2.100/cc.cfg"
  expect_finished 0
  expect_file cloud-init/cloud.cfg
  served /cc.cfg
  expect_grep cloudseed/report.json '"interface":"eth0"'
  expect_network_left_clean
}

case_dead-first-nic() { # the dead NIC is eth0 (a storage network without DHCP): eth1 must serve
  csboot_boot "$CASE" --wait net/eth0,net/eth1 --fwd --dead-nic-first \
    --append " cloud-config-url=http://10.0.2.100/cc.cfg"
  expect_finished 0
  expect_file cloud-init/cloud.cfg
  served /cc.cfg
  expect_grep cloudseed/report.json '"interface":"eth1"'
  expect_network_left_clean
}
case_required-nothing() { # cloudseed.required and no source: the boot must stop
  csboot_boot "$CASE" --wait net/eth0 --append " cloudseed.required"
  expect_finished 3 1
  expect_nothing_for_cloud_init
  expect_grep cloudseed/report.json 'cloudseed.required: no source found'
}
case_url-404() { # a named source fails, not required: reported, boot goes on
  csboot_boot "$CASE" --wait net/eth0 --fwd --append " cloud-config-url=http://10.0.2.100/missing.cfg"
  expect_finished 1 0
  expect_nothing_for_cloud_init
  served /missing.cfg
  expect_grep cloudseed/report.json '"outcome":"404"'
  expect_network_left_clean
}
case_ip-dhcp-kept() { # ip=dhcp asks for initramfs networking: keep it, write net-eth0.conf
  csboot_boot "$CASE" --wait net/eth0 --fwd \
    --append " ip=dhcp cloud-config-url=http://10.0.2.100/cc.cfg"
  expect_finished 0
  served /cc.cfg
  expect_meta '^ADDR eth0=10\.0\.2\.15/24$'
  expect_file net-eth0.conf
  expect_grep net-eth0.conf "^DEVICE='eth0'$"
  expect_grep net-eth0.conf "^PROTO='dhcp'$"
  expect_grep net-eth0.conf "^IPV4ADDR='10\.0\.2\.15'$"
  expect_grep net-eth0.conf "^IPV4NETMASK='255\.255\.255\.0'$"
}
# IPv6 only, MAAS-style: eth0 is a tap in a network namespace where dnsmasq
# sends RAs and answers DHCPv6 and httpd.py serves [fd00::2]:5248 (QEMU's user
# networking cannot forward to an IPv6 server). No IPv4 at all.
case_ipv6-only() {
  local ns=csb6-$$ w=$CSB_WORK/v6 pf
  mkdir -p "$w/www/MAAS/metadata/latest"
  cp "$D/www/cc.cfg" "$w/www/MAAS/metadata/latest/enlist-preseed"
  CSB_NETNS=$ns
  ip netns add "$ns" && ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 &&
    ip -n "$ns" tuntap add dev tap0 mode tap && ip -n "$ns" link set tap0 up && ip -n "$ns" link set lo up &&
    ip -n "$ns" addr add fd00::2/64 dev tap0 nodad || { fail "namespace setup"; return; }
  ip netns exec "$ns" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-dynamic --interface=tap0 \
    --dhcp-range=fd00::100,fd00::1ff,64,1h --enable-ra --dhcp-leasefile="$w/leases" \
    --log-dhcp --log-facility="$w/dnsmasq.log" &
  CSB_PIDS+=($!)
  ip netns exec "$ns" python3 "$CSB_ROOT/tests/support/httpd.py" --root "$w/www" --bind fd00::2 --port 5248 \
    --port-file "$w/port" --log "$w/httpd.log" 2>> "$w/httpd.err" &
  CSB_PIDS+=($!)
  for pf in $(seq 100); do [ -s "$w/port" ] && break; sleep 0.05; done # bounded poll for the port file
  csboot_boot "$CASE" --wait net/eth0 --tap "$ns:tap0" \
    --append " ip=off ip6=dhcp cloud-config-url=http://[fd00::2]:5248/MAAS/metadata/latest/enlist-preseed/?op=get_enlist_preseed"
  expect_finished 0
  grep -qx /MAAS/metadata/latest/enlist-preseed/ "$w/httpd.log" || fail "server never saw the enlist-preseed GET"
  grep -q "DHCPREPLY(tap0) fd00::1" "$w/dnsmasq.log" || fail "no DHCPv6 reply in dnsmasq's log"
  expect_file net6-eth0.conf
  expect_grep net6-eth0.conf "^DEVICE6='eth0'$"
  expect_grep net6-eth0.conf "^IPV6PROTO='dhcp6'$"
  expect_grep net6-eth0.conf "^IPV6ADDR='fd00::1"
  expect_no net-eth0.conf
  ip netns del "$ns"; CSB_NETNS=
}
# No boot: the systemd unit's ExecStopPost half of the failure policy, with a
# fake systemctl that records what it was asked. (The "run" half is in every boot.)
case_policy-stop-post() {
  local p=$CSB_WORK/policy w=$CSB_ROOT/dracut/modules.d/50cloudseed/cloudseed-initrd.sh
  mkdir -p "$p/bin" "$p/proc"
  printf '#!/bin/sh\necho "$*" >> "%s/calls"\n' "$p" > "$p/bin/systemctl"
  chmod +x "$p/bin/systemctl"
  B_WALL=0 B_CS=- B_RC=-
  local cmdline result want status
  while IFS='|' read -r cmdline result want; do
    echo "$cmdline" > "$p/proc/cmdline"
    rm -f "$p/calls"
    # exit-code=N: systemd's EXIT_STATUS; without it the wrapper asks the binary.
    status=; [ "${result#*=}" = "$result" ] || status=${result#*=}
    CLOUDSEED_BIN=$CSB_BIN CLOUDSEED_PROC=$p/proc SERVICE_RESULT=${result%%=*} EXIT_STATUS=$status \
      PATH="$p/bin:$PATH" sh "$w" stop-post 2> /dev/null ||
      fail "stop-post exited non-zero ($cmdline, $result)"
    if [ "$want" = emergency ]; then
      grep -q 'start --job-mode=replace-irreversibly emergency.target' "$p/calls" 2> /dev/null ||
        fail "no emergency for [$cmdline] $result"
    elif [ -e "$p/calls" ]; then
      fail "emergency for [$cmdline] $result"
    fi
  done << 'T'
quiet cloudseed.required|exit-code|emergency
cloudseed.required=1|timeout|emergency
cloudseed.required|success|none
quiet|exit-code|none
quiet|timeout|none
cloudseed.required cloudseed.required=0|exit-code|none
cloudseed.required=off cloudseed.required|signal|emergency
* ? cloudseed.required|timeout|emergency
cloudseed.required|exit-code=3|emergency
cloudseed.required|exit-code=1|none
quiet|exit-code=1|none
T
}

# --- run ------------------------------------------------------------------------
csboot_time_row() { printf '%-18s boot %5ss  cloudseed %5ss  verdict %s' "$1" "$B_WALL" "$B_CS" "$B_RC"; }
csboot_run_cases "boot times (QEMU wall clock, TCG; cloudseed = its run in the guest; verdict 1 = stop the boot):"
