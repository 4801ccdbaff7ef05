#!/usr/bin/python3
"""Captures DHCP replies (UDP to port 68) on one interface and writes each
UDP payload to OUTDIR/<msgtype>.bin; exits after COUNT replies or TIMEOUT s.
Used once to make tests/fixtures/dhcp/ (see its README); needs root.

    capture.py IFACE OUTDIR COUNT TIMEOUT
"""
import os
import select
import socket
import struct
import sys
import time

TYPES = {2: "offer", 5: "ack", 6: "nak"}


def main():
    ifname, outdir, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.bind((ifname, 0x0800))
    open(os.path.join(outdir, "ready"), "w").close()
    end = time.monotonic() + timeout
    got = 0
    while got < count and time.monotonic() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        pkt, addr = s.recvfrom(4096)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        ihl = (pkt[0] & 15) * 4
        if pkt[9] != 17:
            continue
        sport, dport, ulen = struct.unpack("!HHH", pkt[ihl:ihl + 6])
        if dport != 68:
            continue
        payload = pkt[ihl + 8:ihl + ulen]
        # option 53 is the first option dnsmasq writes
        mtype = payload[242] if payload[240] == 53 else 0
        with open(os.path.join(outdir, TYPES.get(mtype, "other%d" % mtype) + ".bin"), "wb") as f:
            f.write(payload)
        got += 1


if __name__ == "__main__":
    main()
