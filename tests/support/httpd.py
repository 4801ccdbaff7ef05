#!/usr/bin/env python3
"""A small HTTP/1.1 file server with fault modes, for cloudseed's tests.

    httpd.py --root DIR --port-file FILE [--log FILE] [--bind 127.0.0.1] [--port 0]

Serves files under --root (GET only). Binds --bind:--port (port 0 = a free
one) and, once listening, writes the port number to --port-file atomically
(write + rename), so callers wait for that file instead of sleeping. --log
gets one line per request: the path, never the query string. Python 3
standard library only.

Fault modes are path prefixes; <name> is a file under --root:
  /fault/500-then-200/<name>   first N requests for this path get 500
                               (N = ?n=K in the query, default 2), then the file
  /fault/429/<name>            first request 429 with Retry-After: 1, then the file
  /fault/503/<name>            always 503
  /fault/403/<name>            always 403
  /fault/slow/<name>           Content-Length of the file, body trickled one
                               byte every 0.25 s
  /fault/hang/<name>           reads the request, then says nothing
  /fault/reset/<name>          sends half the body, then closes with RST (SO_LINGER 0)
  /fault/truncated-chunked/<name>  one valid chunk, then close without the last chunk
  /fault/chunked/<name>        the file as a valid chunked body, with a chunk
                               extension and a trailer field
  /fault/content-length-lie/<name>  Content-Length twice the file's size, file, close
  /fault/redirect/<name>       302 to /<name>
  /fault/redirect-https/<name> 302 to https://<same host>/<name>
  /fault/redirect-loop/<name>  302 to /fault/redirect-loop-b/<name>, which 302s back
  /fault/redirect-endless/<k>  302 to /fault/redirect-endless/<k+1>
  /fault/oversized/<name>      Content-Length 17 MiB, then streams zeros
  /fault/oversized-chunked/<name>  endless 64 KiB chunks
  /fault/not-cloud-config/<name>  200 with an HTML page instead of the file
Anything else: the file, with Content-Length, or 404.
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

COUNTS = {}
COUNTS_LOCK = threading.Lock()
LOG_LOCK = threading.Lock()
ARGS = None


def hit(path):
    """How many times this path was asked for before, counting this one."""
    with COUNTS_LOCK:
        COUNTS[path] = COUNTS.get(path, 0) + 1
        return COUNTS[path]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cloudseed-test-httpd"

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def read_file(self, name):
        root = os.path.realpath(ARGS.root)
        path = os.path.realpath(os.path.join(root, name.lstrip("/")))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def head(self, status, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()

    def reply(self, status, body=b"", headers=()):
        self.head(status, [("Content-Length", str(len(body)))] + list(headers))
        self.wfile.write(body)

    def serve_file(self, name):
        data = self.read_file(name)
        if data is None:
            self.reply(404, b"not found\n")
        else:
            self.reply(200, data)

    def do_GET(self):
        self.close_connection = True
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if ARGS.log:
            with LOG_LOCK, open(ARGS.log, "a") as f:
                f.write(path + "\n")
        if not path.startswith("/fault/"):
            return self.serve_file(path)
        _, _, mode, rest = path.split("/", 3) if path.count("/") >= 3 else ("", "", path[7:], "")
        try:
            self.fault(mode, rest, path, query)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def fault(self, mode, name, path, query):
        n = hit(path)
        data = self.read_file(name) or b""
        if mode == "500-then-200":
            if n <= int(query.get("n", ["2"])[0]):
                return self.reply(500, b"try again\n")
            return self.serve_file(name)
        if mode == "429":
            if n == 1:
                return self.reply(429, b"slow down\n", [("Retry-After", "1")])
            return self.serve_file(name)
        if mode in ("503", "403"):
            return self.reply(int(mode), b"no\n")
        if mode == "slow":
            self.head(200, [("Content-Length", str(len(data)))])
            for b in data:
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(0.25)
            return
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "reset":
            self.head(200, [("Content-Length", str(len(data)))])
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            # SO_LINGER with a zero timeout: close() sends RST, not FIN. Close
            # the fd itself so that socketserver's shutdown(SHUT_WR) cannot
            # send a FIN first.
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            os.close(self.connection.detach())
            return
        if mode == "truncated-chunked":
            self.head(200, [("Transfer-Encoding", "chunked")])
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            return
        if mode == "chunked":
            self.head(200, [("Transfer-Encoding", "chunked"), ("Trailer", "X-Check")])
            half = len(data) // 2
            for piece in (data[:half], data[half:]):
                if piece:
                    self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Check: done\r\n\r\n")
            return
        if mode == "content-length-lie":
            self.head(200, [("Content-Length", str(2 * len(data) + 1))])
            self.wfile.write(data)
            return
        if mode == "redirect":
            return self.reply(302, b"", [("Location", "/" + name)])
        if mode == "redirect-https":
            host = self.headers.get("Host", "127.0.0.1")
            return self.reply(302, b"", [("Location", "https://%s/%s" % (host, name))])
        if mode == "redirect-loop":
            return self.reply(302, b"", [("Location", "/fault/redirect-loop-b/" + name)])
        if mode == "redirect-loop-b":
            return self.reply(302, b"", [("Location", "/fault/redirect-loop/" + name)])
        if mode == "redirect-endless":
            k = int(name) if name.isdigit() else 0
            return self.reply(302, b"", [("Location", "/fault/redirect-endless/%d" % (k + 1))])
        if mode == "oversized":
            size = 17 << 20
            self.head(200, [("Content-Length", str(size))])
            block = b"\0" * 65536
            for _ in range(size // len(block)):
                self.wfile.write(block)
            return
        if mode == "oversized-chunked":
            self.head(200, [("Transfer-Encoding", "chunked")])
            block = b"%x\r\n%s\r\n" % (65536, b"\0" * 65536)
            for _ in range(1024):  # 64 MiB at most, then give up
                self.wfile.write(block)
            return
        if mode == "not-cloud-config":
            return self.reply(200, b"<html><body>captive portal</body></html>\n",
                              [("Content-Type", "text/html")])
        self.reply(400, b"unknown fault mode\n")


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    ARGS = p.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    if ":" in ARGS.bind:  # an IPv6 literal (the IPv6 netns cases)
        ThreadingHTTPServer.address_family = socket.AF_INET6
    srv = ThreadingHTTPServer((ARGS.bind, ARGS.port), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
