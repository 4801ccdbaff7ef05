#!/bin/sh
# /init of the fast tier's hand-built initramfs (busybox sh). Sets up what an
# initramfs has by the time cloudseed runs (proc, sys, devtmpfs, tmpfs /run,
# drivers loaded, devices present), runs cloudseed with its real defaults,
# prints everything it wrote base64-encoded between markers on the serial
# console, and powers off. RC is the wrapper's verdict (1 = stop the boot). Kernel cmdline knobs:
#   csboot.wait=block/vda,net/eth0   /sys/class entries to wait for (udev settle's job)
#   csboot.ata                       also load the IDE/ATAPI drivers (for -cdrom)
#   csboot.mount=vda                 after cloudseed, mount it with the kernel's
#                                    vfat driver and report each file's sha256
PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH
/bin/busybox mkdir -p /proc /sys /dev /run /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin

say() { echo "CSBOOT $*"; }
wait_for= mount_dev=
lists=/etc/csboot/modules
for tok in $(cat /proc/cmdline); do
  case $tok in
    csboot.wait=*) wait_for=$(echo "${tok#*=}" | tr ',' ' ') ;;
    csboot.ata) lists="$lists /etc/csboot/modules.ata" ;;
    csboot.mount=*) mount_dev=${tok#*=} ;;
  esac
done
for m in $(cat $lists); do
  insmod "/lib/modules/$m" || say "insmod $m failed"
done
# Bounded wait (200 x 50 ms) for the devices the host attached: SCSI/ATA
# probing finishes after insmod returns.
i=0
while [ $i -lt 200 ]; do
  missing=
  for p in $wait_for; do [ -e "/sys/class/$p" ] || missing="$missing $p"; done
  [ -z "$missing" ] && break
  usleep 50000
  i=$((i + 1))
done
[ -n "$missing" ] && say "devices missing:$missing"

read -r up0 _ < /proc/uptime
say "START uptime=$up0"
# Through the failure-policy wrapper that dracut's hook and unit use, so a
# boot also checks cloudseed.required; cloudseed's own exit code is in the report.
/usr/lib/cloudseed/cloudseed-initrd run
rc=$?
read -r up1 _ < /proc/uptime
# Quiet the console so kernel messages cannot split the dump's lines.
echo 1 > /proc/sys/kernel/printk
if [ -n "$mount_dev" ]; then
  mkdir -p /mnt
  if mount -t vfat -o ro "/dev/$mount_dev" /mnt; then
    for f in /mnt/*; do say "MOUNTED ${f#/mnt/} $(sha256sum < "$f" | cut -d' ' -f1)"; done
    umount /mnt
  else
    say "MOUNT-FAILED $mount_dev"
  fi
fi
say "RC $rc uptime=$up1"
for a in $(ip -4 -o addr show | awk '$2 != "lo" {print $2 "=" $4}'); do say "ADDR $a"; done
for r in $(ip -4 route show | tr ' ' '_'); do say "ROUTE $r"; done
for f in $(find /run -type f | sort); do
  say "FILE ${f#/run/} $(stat -c %a "$f") $(sha256sum < "$f" | cut -d' ' -f1)"
  base64 < "$f" | sed 's/^/CSB64 /'
  say "END"
done
say "DONE"
sync
poweroff -f
