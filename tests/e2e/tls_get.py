#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tls_get.py SERVER [SOURCE] [--comm NAME] [--want-pid N] [--any-200] [--hold] - a
real python ssl client for the end-to-end tests and the demo: TLS to
SERVER:443 with SNI srv.test (no verification: the servers use throw-away
certificates), one GET, the reply on stdout.

On stderr it says pid=N and lport=N, so a test can match the process and the
flow it sees with what tlsaudit reports. Exit 0 only for "HTTP/1.1 200 ... ok"
(with --any-200: any HTTP/1.x 200 reply, as `openssl s_server -www` gives).

--want-pid N: exit 99 at once, before anything else, unless this process has
pid N (a test that makes a pid be reused retries then). --comm NAME: set the
process name (prctl PR_SET_NAME) first; exit 98 if that fails. --hold: after
the handshake, print "handshake VERSION LPORT PID" and wait for a line on
stdin before the request (a connection that is older than what watches it).
"""
import argparse
import ctypes
import os
import re
import socket
import ssl
import sys

ap = argparse.ArgumentParser()
ap.add_argument("server")
ap.add_argument("source", nargs="?")
ap.add_argument("--comm")
ap.add_argument("--want-pid", type=int)
ap.add_argument("--any-200", action="store_true")
ap.add_argument("--hold", action="store_true")
a = ap.parse_args()
if a.want_pid is not None and os.getpid() != a.want_pid:
    sys.exit(99)
if a.comm is not None and ctypes.CDLL(None).prctl(15, a.comm.encode(), 0, 0, 0) != 0:
    sys.exit(98)
sys.stderr.write("pid=%d\n" % os.getpid())
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
source = (a.source, 0) if a.source else None
with socket.create_connection((a.server, 443), timeout=10, source_address=source) as s:
    sys.stderr.write("lport=%d\n" % s.getsockname()[1])
    sys.stderr.flush()
    with ctx.wrap_socket(s, server_hostname="srv.test") as t:
        if a.hold:
            print("handshake %s %d %d" % (t.version(), t.getsockname()[1], os.getpid()), flush=True)
            sys.stdin.readline()
        t.sendall(b"GET / HTTP/1.1\r\nHost: srv.test\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = t.recv(4096)
            if not chunk:
                break
            data += chunk
sys.stdout.write(data.decode("latin-1"))
if a.any_200:
    sys.exit(0 if re.match(rb"HTTP/1\.[01] 200 ", data) else 3)
sys.exit(0 if data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok\n") else 3)
