#!/bin/bash
# apt: qemu-system-x86 busybox-static cpio gzip kmod python3 python3-yaml
# Suite boot-netlogical: dracut's vlan= and bond= end to end. This host's
# kernel has no 8021q or bonding, so the Debian kernel runs them under QEMU
# (TCG, one boot, no NIC at all: everything is veth pairs inside the guest).
# tests/boot/netlogical-init.sh is the guest's /init; it prints
# "CSNL <case> <key> <value>" lines, asserted here:
#   vlan       vlan=vlan100:veth0 ip=vlan100:dhcp: DHCP and HTTP exist only on
#              tagged VLAN 100; fetched; the VLAN is deleted on teardown
#   vlan-neednet  vlan=vlan100:veth0 rd.neednet=1, no ip=: DHCP on the VLAN
#              (not its parent), kept; cloud-init ignores net-vlan100.conf
#   vlan-keep  ip=vlan100:dhcp, network kept: vlan100 stays, net-vlan100.conf
#   bond       bond=bond0:veth1,veth2:mode=active-backup,miimon=100,primary=veth1
#              with the primary's carrier down: fetched over veth2; deleted,
#              slaves released on teardown
#              (the first over the empty bond0 the bonding module makes
#              with its default max_bonds=1, which cloudseed configures)
#   bond-keep  the same, kept (a bond0 it creates itself): active slave
#              veth2, mode and primary as asked
#   vlan-on-bond  bond=bond1:veth3,veth4:… vlan=vlan200:bond1 ip=dhcp: DHCP
#              on vlan200 only, both links deleted on teardown
# Env: CLOUDSEED_CACHE (the kernel), CSBOOT_TIMEOUT (s for the boot).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TIMEOUT=${CSBOOT_TIMEOUT:-300}
LOGDIR=${CLOUDSEED_LOGS:-$ROOT/target/test-logs}/boot-netlogical
WORK=$(mktemp -d /tmp/cloudseed-netlogical.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
pass=0 fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
die() { echo "FAIL setup: $1"; echo "0 passed, 1 failed"; exit 1; }

ldd /bin/busybox > /dev/null 2>&1 && die "/bin/busybox is dynamic: install busybox-static"
BIN=$("$ROOT/tests/lib/build.sh") || die "build"
read -r KDIR KVER < <("$ROOT/tests/lib/kernel.sh") || die "kernel"
S=$WORK/stage
mkdir -p "$S"/{bin,sbin,usr/sbin,etc/netlogical,lib/modules,proc,sys,dev,run,tmp}
cp /bin/busybox "$S/bin/busybox"
ln -s busybox "$S/bin/sh"
install -m 0755 "$ROOT/tests/boot/netlogical-init.sh" "$S/init"
cp "$BIN" "$S/usr/sbin/cloudseed"
for m in $(for d in veth 8021q bonding; do modprobe -d "$KDIR/root" -S "$KVER" --show-depends "$d"; done |
           awk '$1 == "insmod" && !seen[$2]++ {print $2}'); do
  cp "$m" "$S/lib/modules/"
  basename "$m" >> "$S/etc/netlogical/modules"
done
(cd "$S" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$WORK/initrd" || die "initramfs"

t0=$SECONDS
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -machine pc -accel tcg -cpu qemu64 -smp 2 -m 512 \
  -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
  -kernel "$KDIR/vmlinux" -initrd "$WORK/initrd" -append "console=ttyS0,115200 panic=1" \
  < /dev/null > "$WORK/serial.log" 2>&1
qrc=$?
echo "boot: ${SECONDS}s wall, qemu rc $qrc"
tr -d '\r' < "$WORK/serial.log" | sed -n 's/^.*CSNL //p' > "$WORK/r"
get() { sed -n "s/^$1 $2 //p" "$WORK/r" | head -1; }
rep() { # CASE EXPR over the report json as r
  get "$1" report | python3 -c "import json,sys; r=json.load(sys.stdin); print($2)" 2>&1
}
check() { # NAME CONDITION-RESULT... : every argument must be "y"
  local name=$1 why=""; shift
  for c in "$@"; do [ "$c" = y ] || why="$why $c"; done
  if [ -z "$why" ]; then ok "$name"; else bad "$name" "$why; $(grep "^${name} out" "$WORK/r" | tail -4 | tr '\n' '|')"; fi
}
is() { [ "$1" = "$2" ] && echo y || echo "[$3: '$1' != '$2']"; }
has() { [[ $1 == *"$2"* ]] && echo y || echo "[$3 lacks '$2']"; }
lacks() { [[ $1 != *"$2"* ]] && echo y || echo "[$3 has '$2']"; }

grep -q "^DONE" "$WORK/r" || bad guest-finished "no DONE (qemu rc $qrc); last lines: $(tail -5 "$WORK/serial.log" | tr '\n' '|')"
grep "^setup" "$WORK/r" | grep -q insmod-failed && bad modules "$(grep '^setup' "$WORK/r")"

check vlan "$(is "$(get vlan rc)" 0 rc)" "$(is "$(get vlan fetched)" yes fetched)" \
  "$(is "$(rep vlan 'r["network"]["interface"], r["network"]["left"]')" "vlan100 torn down" network)" \
  "$(lacks "$(get vlan links)" vlan100 links-after)"
check vlan-keep "$(is "$(get vlan-keep rc)" 0 rc)" "$(is "$(get vlan-keep fetched)" yes fetched)" \
  "$(has "$(get vlan-keep links)" vlan100@veth0 links)" "$(is "$(get vlan-keep tagged)" 1 'VID 100')" \
  "$(has "$(get vlan-keep conf)" "net-vlan100.conf DEVICE='vlan100'" conf)"
check vlan-neednet "$(is "$(get vlan-neednet rc)" 0 rc)" "$(is "$(get vlan-neednet fetched)" yes fetched)" \
  "$(is "$(rep vlan-neednet 'r["network"]["interface"], r["network"]["left"]')" "vlan100 kept" network)" \
  "$(has "$(get vlan-neednet conf)" "net-vlan100.conf DEVICE='vlan100'" conf)"
check bond "$(is "$(get setup premade-bond0)" yes premade-bond0)" "$(is "$(get bond rc)" 0 rc)" "$(is "$(get bond fetched)" yes fetched)" \
  "$(is "$(rep bond 'r["network"]["interface"], r["network"]["left"]')" "bond0 torn down" network)" \
  "$(lacks "$(get bond links)" bond0 links-after)" "$(is "$(get bond slaves-after)" 0 slaves-after)"
check bond-keep "$(is "$(get bond-keep rc)" 0 rc)" "$(is "$(get bond-keep fetched)" yes fetched)" \
  "$(is "$(get bond-keep active)" veth2 active-slave)" "$(is "$(get bond-keep mode)" "active-backup 1" mode)" \
  "$(is "$(get bond-keep primary)" veth1 primary)" "$(has "$(get bond-keep conf)" "net-bond0.conf DEVICE='bond0'" conf)"

check vlan-on-bond "$(is "$(get vlan-on-bond rc)" 0 rc)" "$(is "$(get vlan-on-bond fetched)" yes fetched)" \
  "$(is "$(rep vlan-on-bond 'r["network"]["interface"], r["network"]["left"]')" "vlan200 torn down" network)" \
  "$(lacks "$(get vlan-on-bond links)" vlan200 links-after)" "$(lacks "$(get vlan-on-bond links)" bond1 links-after)"

# What cloud-init in the root makes of net-vlan100.conf (docs-netcfg.md):
# a "physical" vlan100, no VLAN id, no parent. If this ever fails, cloud-init
# learned more and the documentation must change.
CI=${CLOUDSEED_CACHE:-/var/cache/cloudseed-test}/cloud-init
if [ ! -d "$CI/root/usr/lib/python3/dist-packages/cloudinit" ]; then
  mkdir -p "$CI" && (cd "$CI" && apt-get download -q cloud-init > /dev/null 2>&1 && dpkg-deb -x cloud-init_*.deb root)
fi
get vlan-keep conf | sed 's/^net-vlan100.conf //; s/'"' "'/'"'\n"'/g' > "$WORK/net-vlan100.conf"
seen=$(PYTHONPATH=$CI/root/usr/lib/python3/dist-packages python3 -c '
import sys
from cloudinit.net import cmdline
name, cfg = cmdline._klibc_to_config_entry(open(sys.argv[1]).read())
print(name, cfg["type"], cfg["subnets"][0]["type"], "vlan_id" in cfg)' "$WORK/net-vlan100.conf" 2>&1)
check cloud-init-reads-vlan-as-physical "$(is "$seen" "vlan100 physical dhcp False" cloud-init)"
# ... and without ip= on the command line it does not use the file at all.
used=$(PYTHONPATH=$CI/root/usr/lib/python3/dist-packages python3 -c '
import sys
from cloudinit.net import cmdline
for line in sys.argv[2:]:
    print(cmdline.KlibcNetworkConfigSource(_files=[sys.argv[1]], _mac_addrs={}, _cmdline=line).is_applicable())
' "$WORK/net-vlan100.conf" "vlan=vlan100:eth0 rd.neednet=1" "vlan=vlan100:eth0 ip=vlan100:dhcp" 2>&1 | tr '\n' ' ')
check cloud-init-ignores-it-without-ip "$(is "$used" "False True " is_applicable)"

if [ "$fail" != 0 ]; then mkdir -p "$LOGDIR" && cp "$WORK/serial.log" "$LOGDIR/" && echo "serial log: $LOGDIR/serial.log"; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
