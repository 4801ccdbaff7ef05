#!/bin/sh
# /init of the boot-netlogical initramfs (busybox sh, Debian kernel with the
# 8021q, bonding and veth modules this host's kernel lacks). A "server"
# network namespace (held by an `unshare -n` process) gets one end of each
# veth pair and runs busybox udhcpd + httpd; cloudseed runs in the init
# namespace over VLAN or bond links it creates itself. Results go to the
# serial console as "CSNL <case> <key> <value>" lines; the host asserts.
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /run /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t tmpfs -o mode=0755 tmpfs /run
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
say() { echo "CSNL $*"; }
for m in $(cat /etc/netlogical/modules); do
  # bonding with its default max_bonds=1: it makes an empty bond0 (down),
  # which the first bond case must configure rather than trip over
  insmod "/lib/modules/$m" || say setup insmod-failed "$m"
done
[ -e /sys/class/net/bond0 ] && say setup premade-bond0 yes
echo 1 > /proc/sys/kernel/printk
ip link set lo up
# The server namespace, held open by a process for its lifetime.
unshare -n sh -c 'echo ready > /tmp/srv-up; exec tail -f /dev/null' < /dev/null &
SRV=$!
i=0; while [ ! -e /tmp/srv-up ] && [ $i -lt 100 ]; do usleep 20000; i=$((i + 1)); done
srv() { nsenter -n -t "$SRV" "$@"; }
srv ip link set lo up
# Veth pairs: busybox names the peer itself (vethN, in creation order).
for s in s0 s1 s2 s3 s4; do ip link add "$s" type veth; ip link set dev "$s" netns "$SRV"; done
say setup links "$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ',')"
mkdir -p /www
printf '#cloud-config\nhostname: netlogical\n' > /www/cc
start_servers() { # IFACE ADDR: udhcpd and httpd on IFACE in the server namespace
  cat > /tmp/udhcpd.conf <<CONF
start ${2%.1}.100
end ${2%.1}.150
interface $1
lease_file /tmp/udhcpd.leases
pidfile /tmp/udhcpd.pid
opt subnet 255.255.255.0
opt lease 3600
CONF
  : > /tmp/udhcpd.leases
  srv udhcpd -f /tmp/udhcpd.conf > /tmp/udhcpd.log 2>&1 &
  UDHCPD=$!
  srv httpd -f -p "$2:80" -h /www &
  HTTPD=$!
}
stop_servers() { kill $UDHCPD $HTTPD; wait $UDHCPD $HTTPD 2> /dev/null; }
run() { # CASE CMDLINE: cloudseed in the init namespace, results as CSNL lines
  rm -rf "/run/$1"; mkdir -p "/run/$1"
  /usr/sbin/cloudseed --cmdline "$2" --run-dir "/run/$1" --timeout 30 > "/tmp/$1.out" 2>&1
  say "$1" rc $?
  grep -q "hostname: netlogical" "/run/$1/cloud-init/cloud.cfg" 2> /dev/null && say "$1" fetched yes
  say "$1" report "$(tr -d '\n' < "/run/$1/cloudseed/report.json")"
  say "$1" links "$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ',')"
  for f in "/run/$1"/net-*.conf; do [ -f "$f" ] && say "$1" conf "${f##*/}" "$(tr '\n' ' ' < "$f")"; done
  sed "s/^/CSNL $1 out /" "/tmp/$1.out"
}

# VLAN: DHCP and HTTP only on VLAN 100 of s0; untagged s0 has nothing.
srv ip link add link s0 name s0.100 type vlan id 100
srv ip addr add 10.100.0.1/24 dev s0.100
srv ip link set s0 up
srv ip link set s0.100 up
start_servers s0.100 10.100.0.1
run vlan "vlan=vlan100:veth0 ip=vlan100:dhcp cloud-config-url=http://10.100.0.1/cc cloudseed.network=teardown"
# no ip=: the VLAN is the candidate (not veth0), rd.neednet=1 keeps it
run vlan-neednet "vlan=vlan100:veth0 rd.neednet=1 cloud-config-url=http://10.100.0.1/cc"
ip link del vlan100
ip link set veth0 down
run vlan-keep "vlan=vlan100:veth0 ip=vlan100:dhcp cloud-config-url=http://10.100.0.1/cc"
say vlan-keep tagged "$(cat /proc/net/vlan/vlan100 2> /dev/null | grep -c 'VID: 100')"
stop_servers

# Bond: active-backup over veth1 (primary, no carrier: s1 stays down) and
# veth2; the servers sit behind veth2 only.
srv ip addr add 10.101.0.1/24 dev s2
srv ip link set s2 up
start_servers s2 10.101.0.1
run bond "bond=bond0:veth1,veth2:mode=active-backup,miimon=100,primary=veth1 ip=bond0:dhcp cloud-config-url=http://10.101.0.1/cc cloudseed.network=teardown"
say bond slaves-after "$(ip -o link show | grep -c 'master bond0')"
run bond-keep "bond=bond0:veth1,veth2:mode=active-backup,miimon=100,primary=veth1 ip=bond0:dhcp cloud-config-url=http://10.101.0.1/cc"
say bond-keep active "$(cat /sys/class/net/bond0/bonding/active_slave 2> /dev/null)"
say bond-keep mode "$(cat /sys/class/net/bond0/bonding/mode 2> /dev/null)"
say bond-keep primary "$(cat /sys/class/net/bond0/bonding/primary 2> /dev/null)"
stop_servers

# VLAN 200 on top of a bond: DHCP on the VLAN only (ip=dhcp names nothing),
# over veth3 (s4 stays down, so veth4 has no carrier).
srv ip link add link s3 name s3.200 type vlan id 200
srv ip addr add 10.102.0.1/24 dev s3.200
srv ip link set s3 up
srv ip link set s3.200 up
start_servers s3.200 10.102.0.1
run vlan-on-bond "bond=bond1:veth3,veth4:mode=active-backup,miimon=100 vlan=vlan200:bond1 ip=dhcp cloud-config-url=http://10.102.0.1/cc cloudseed.network=teardown"
stop_servers
say DONE
kill $SRV
poweroff -f
