#!/bin/bash
# dracut module "cloudseed": puts the static cloudseed binary in the initrd and
# runs it in two phases: after udev has loaded the disk and NIC drivers (scan,
# network, fetch; before the root mount) and once the root is mounted (the
# image's /etc/cloud decides the hand-off), before switch_root. It writes
# only to /run, which survives switch_root.

# Included only on request (add_dracutmodules+=" cloudseed "), as Ignition and
# Afterburn do: a generic image must not start talking DHCP because a package
# happens to be installed.
check() {
    require_binaries /usr/sbin/cloudseed || return 1
    return 255
}

depends() {
    return 0
}

# A generic (--no-hostonly) image gets NIC drivers only from a network module,
# and a hostonly one only those the build host uses; a cloud VM needs the
# virtio ones whatever the build host was, hence hostonly=''. af_packet is
# built in on Debian (CONFIG_PACKET=y); instmods skips built-in modules, and a
# kernel with it as a module needs it for cloudseed's own DHCP.
installkernel() {
    hostonly='' instmods virtio_pci virtio_net virtio_blk virtio_scsi af_packet
}

install() {
    inst_binary /usr/sbin/cloudseed
    inst_script "$moddir/cloudseed-initrd.sh" /usr/lib/cloudseed/cloudseed-initrd
    # What network is left behind depends on whether dracut's own network
    # would run: only with one of its network modules in the image.
    local gen=dracut m
    for m in network network-legacy network-manager systemd-networkd; do
        dracut_module_included "$m" && gen=dracut-net
    done
    mkdir -p "$initdir/usr/lib/cloudseed"
    echo "$gen" > "$initdir/usr/lib/cloudseed/generator"
    if dracut_module_included "systemd"; then
        inst_multiple udevadm systemctl
        mkdir -p "$initdir$systemdsystemunitdir"
        sed "s/@GENERATOR@/$gen/" "$moddir/cloudseed.service" \
            > "$initdir$systemdsystemunitdir/cloudseed.service"
        inst_simple "$moddir/cloudseed-handoff.service" "$systemdsystemunitdir/cloudseed-handoff.service"
        $SYSTEMCTL -q --root "$initdir" enable cloudseed.service cloudseed-handoff.service
    else
        # No systemd in the initrd: dracut's own init sources hooks; pre-mount
        # runs once, after the initqueue (udev settled, dracut's network up
        # if it was asked for) and before the root is mounted; pre-pivot once
        # the root is mounted on $NEWROOT.
        inst_hook pre-mount 50 "$moddir/cloudseed-hook.sh"
        inst_hook pre-pivot 50 "$moddir/cloudseed-pre-pivot.sh"
    fi
}
