#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tls_get.py SERVER [SOURCE] - a real python ssl client for the end-to-end
tests and the demo: TLS to SERVER:443 with SNI srv.test (no verification: the
servers use throw-away certificates), one GET, the reply on stdout.

On stderr it says pid=N and lport=N, so a test can match the process and the
flow it sees with what tlsaudit reports. Exit 0 only for "HTTP/1.1 200 ... ok".
"""
import os
import socket
import ssl
import sys

server = sys.argv[1]
source = (sys.argv[2], 0) if len(sys.argv) > 2 else None
sys.stderr.write("pid=%d\n" % os.getpid())
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with socket.create_connection((server, 443), timeout=10, source_address=source) as s:
    sys.stderr.write("lport=%d\n" % s.getsockname()[1])
    sys.stderr.flush()
    with ctx.wrap_socket(s, server_hostname="srv.test") as t:
        t.sendall(b"GET / HTTP/1.1\r\nHost: srv.test\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = t.recv(4096)
            if not chunk:
                break
            data += chunk
sys.stdout.write(data.decode("latin-1"))
sys.exit(0 if data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok\n") else 3)
