#!/usr/bin/env python3
"""A one-file FUSE filesystem whose reads stop answering: a disk that hangs.

    fusehang.py MOUNTPOINT IMAGE ANSWER_BYTES READY_FILE

Mounts MOUNTPOINT (raw /dev/fuse protocol, no libfuse needed) holding one
file, `disk.img`, with IMAGE's size. Reads of bytes below ANSWER_BYTES get
IMAGE's bytes; a read reaching past it is never answered, as a dead device
whose requests sit in a queue. Writes READY_FILE once mounted. Runs until
killed; closing /dev/fuse aborts the connection and unblocks the readers.
Root only (mount). Python 3 standard library only.
"""

import os
import struct
import subprocess
import sys
import time

mnt, image, answer_bytes, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
data = open(image, "rb").read()

LOOKUP, FORGET, GETATTR, OPEN, READ, RELEASE, FLUSH, INIT, INTERRUPT = 1, 2, 3, 14, 15, 18, 25, 26, 36
ENOENT, ENOSYS = 2, 38
ROOT, FILE = 1, 2
IN_HDR = struct.Struct("<IIQQIIIHH")  # len opcode unique nodeid uid gid pid extlen pad
OUT_HDR = struct.Struct("<IiQ")  # len error unique


def attr(node):
    if node == ROOT:
        size, mode, nlink = 0, 0o040755, 2
    else:
        size, mode, nlink = len(data), 0o100444, 1
    # ino size blocks atime mtime ctime (ns x3) mode nlink uid gid rdev blksize flags
    return struct.pack("<QQQQQQIIIIIIIIII", node, size, (size + 511) // 512, 0, 0, 0, 0, 0, 0,
                       mode, nlink, 0, 0, 0, 4096, 0)


fd = os.open("/dev/fuse", os.O_RDWR)
opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0"
mounter = subprocess.Popen(["mount", "-t", "fuse", "-o", opts, "fusehang", mnt], pass_fds=(fd,))


def reply(unique, payload=b"", error=0):
    os.write(fd, OUT_HDR.pack(OUT_HDR.size + len(payload), -error, unique) + payload)


started = False
tries = 0
while True:
    try:
        req = os.read(fd, 1 << 18)  # > max_write + headers, or EINVAL
    except OSError:
        # Before mount(2) the device has nothing to read; after, an error
        # means unmounted or aborted.
        tries += 1
        if started or tries > 1000:
            break
        time.sleep(0.005)
        continue
    started = True
    _, op, unique, node, *_ = IN_HDR.unpack_from(req)
    body = req[IN_HDR.size:]
    if op == INIT:
        major, minor, readahead, flags = struct.unpack_from("<IIII", body)
        # fuse_init_out (64 bytes): 7.31, no flags, 128 KiB writes.
        reply(unique, struct.pack("<IIIIHHIIHHII", 7, 31, readahead, 0, 16, 12, 1 << 17, 1, 32, 0, 0, 0)
              + bytes(24))
        if mounter.wait() == 0:
            open(ready, "w").write("mounted\n")
    elif op == LOOKUP:
        name = body.split(b"\0", 1)[0]
        if node == ROOT and name == b"disk.img":
            reply(unique, struct.pack("<QQQQII", FILE, 0, 60, 60, 0, 0) + attr(FILE))
        else:
            reply(unique, error=ENOENT)
    elif op == GETATTR:
        reply(unique, struct.pack("<QII", 60, 0, 0) + attr(node))
    elif op == OPEN:
        reply(unique, struct.pack("<QIi", 0, 0, 0))
    elif op == READ:
        _, offset, size = struct.unpack_from("<QQI", body)
        if offset + size <= answer_bytes or offset >= len(data):
            reply(unique, data[offset:offset + size])
        # else: the device hangs; this request is never answered
    elif op in (RELEASE, FLUSH):
        reply(unique)
    elif op in (FORGET, INTERRUPT):
        pass  # no reply expected (an interrupted read stays hung)
    else:
        reply(unique, error=ENOSYS)
