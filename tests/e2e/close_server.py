#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""
close_server.py - a TCP server that never sends a byte, for
tests/e2e/test_tls_intel.sh (the "no_response" handshake outcome).

    close_server.py MODE ADDR PORT

  fin   on accept, shutdown(SHUT_WR) at once: a FIN goes out before any byte,
        whether or not the client's first bytes have arrived (shutdown, unlike
        close with unread data, never turns into a RST); then read to EOF and
        close
  fin-after  on accept, wait (bounded, 5 s) until the client's first bytes
        are there (MSG_PEEK), then shutdown(SHUT_WR) without reading them: a
        FIN after the ClientHello, still before any byte; then read to EOF
  rst   on accept, wait (bounded, 5 s) until the client's first bytes are
        there (MSG_PEEK), then close with SO_LINGER {1, 0}: a RST and no byte

Serves connections one at a time until killed. Each accepted connection is
logged on stderr as "accepted ADDR PORT" and "closed ADDR PORT MODE".
"""
import select
import socket
import struct
import sys


def main(argv):
    if len(argv) != 4 or argv[1] not in ("fin", "fin-after", "rst"):
        sys.stderr.write(__doc__)
        return 2
    mode, addr, port = argv[1], argv[2], int(argv[3])
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(16)
    while True:
        c, peer = ls.accept()
        sys.stderr.write("accepted %s %d\n" % (peer[0], peer[1]))
        sys.stderr.flush()
        try:
            if mode in ("fin", "fin-after"):
                if mode == "fin-after":
                    r, _, _ = select.select([c], [], [], 5)
                    if r:
                        c.recv(1, socket.MSG_PEEK)
                c.shutdown(socket.SHUT_WR)
                c.settimeout(10)
                while c.recv(65536):
                    pass
            else:
                r, _, _ = select.select([c], [], [], 5)
                if r:
                    c.recv(1, socket.MSG_PEEK)
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError as e:
            sys.stderr.write("error %s\n" % e)
        c.close()
        sys.stderr.write("closed %s %d %s\n" % (peer[0], peer[1], mode))
        sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
