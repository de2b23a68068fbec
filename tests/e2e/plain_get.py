#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""plain_get.py MODE ARGS... - plaintext HTTP clients on port 443 for the
end-to-end tests; each sends one request and reads the reply to its end.

  halfclose SERVER SOURCE   HTTP/1.0 request, then shutdown(SHUT_WR) at once
                            (as `nc -N`, socat with a file on stdin, or any
                            request-then-EOF client do); reads for at most 5 s.
  forged-rst SERVER SOURCE  first sends a forged RST of its own connection
                            with a sequence number far out of the server's
                            window: the server ignores it (RFC 5961) and the
                            connection lives on, but a middlebox that forgets
                            the flow at any RST would then see the request as
                            the middle of a flow it never saw.
      Both print lport=N (and error=NAME after N ms, if the read failed) on
      stderr, the reply on stdout; exit 0 with an HTTP/1.1 200 reply, 1
      without one (timeout or reset).
  named NAME ADDR           names itself NAME (a python bytes literal; prctl
                            PR_SET_NAME, which the kernel cuts to 15 bytes),
                            checks /proc/self/comm, then one HTTP/1.0 request.
                            Exit 0 with an HTTP/1.1 200 reply, 3 without.
  many ADDR N PAR           N children named c000.., PAR at a time, each one
                            HTTP/1.0 request; exit 0 when all got a 200.
"""
import ast
import ctypes
import os
import socket
import struct
import sys
import time

T0 = time.monotonic()
LIBC = ctypes.CDLL(None, use_errno=True)


def read_all(s, note_errors=False):
    """The reply up to EOF; with note_errors, a failed read ends it and is
    said on stderr."""
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError as e:
        if not note_errors:
            raise
        sys.stderr.write("error=%s after %.0f ms\n" % (type(e).__name__, (time.monotonic() - T0) * 1000))
    return data


def set_name(name):
    if LIBC.prctl(15, ctypes.c_char_p(name), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)):
        return "prctl failed: errno %d" % ctypes.get_errno()
    comm = open("/proc/self/comm", "rb").read()
    if comm != name[:15] + b"\n":
        return "comm is %r, want %r" % (comm, name[:15])
    return None


def connect_from(srv, src):
    s = socket.create_connection((srv, 443), timeout=5, source_address=(src, 0))
    sys.stderr.write("lport=%d\n" % s.getsockname()[1])
    sys.stderr.flush()
    return s


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff


def forge_rst(srv, src, lport):
    fam = socket.AF_INET6 if ":" in srv else socket.AF_INET
    seq = (int.from_bytes(os.urandom(4), "big") | 0x80000000) & 0xffffffff
    tcp = struct.pack("!HHIIBBHHH", lport, 443, seq, 0, 5 << 4, 0x04, 0, 0, 0)
    sa, da = socket.inet_pton(fam, src), socket.inet_pton(fam, srv)
    if fam == socket.AF_INET6:
        pseudo = sa + da + struct.pack("!I3xB", len(tcp), 6)
    else:
        pseudo = sa + da + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    r = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
    r.bind((src, 0))
    r.sendto(tcp, (srv, 0))
    r.close()


def halfclose(srv, src):
    s = connect_from(srv, src)
    s.sendall(b"GET /halfclose HTTP/1.0\r\nHost: srv.test\r\n\r\n")
    s.shutdown(socket.SHUT_WR)
    return reply_status(read_all(s, note_errors=True))


def forged_rst(srv, src):
    s = connect_from(srv, src)
    forge_rst(srv, src, s.getsockname()[1])
    s.sendall(b"GET /afterrst HTTP/1.1\r\nHost: srv.test\r\nConnection: close\r\n\r\n")
    return reply_status(read_all(s, note_errors=True))


def reply_status(data):
    sys.stdout.write(data.decode("latin-1"))
    return 0 if data.startswith(b"HTTP/1.1 200") else 1


def get10(addr):
    """One HTTP/1.0 request without name resolution; True for a 200."""
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((addr, 443))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = read_all(s)
    s.close()
    return data.startswith(b"HTTP/1.1 200")


def named(name, addr):
    why = set_name(ast.literal_eval(name))
    if why:
        sys.exit(why)
    return 0 if get10(addr) else 3


def many(addr, n, par):
    def child(i):
        try:
            name = b"c%03d" % i
            if set_name(name):
                os._exit(4)
            os._exit(0 if get10(addr) else 3)
        except BaseException:
            os._exit(5)
    running, fails, i = {}, [], 0
    while i < n or running:
        while i < n and len(running) < par:
            pid = os.fork()
            if pid == 0:
                child(i)
            running[pid] = i
            i += 1
        pid, st = os.wait()
        if st:
            fails.append((running[pid], st))
        del running[pid]
    print("failed:", fails)
    return 1 if fails else 0


MODES = {"halfclose": (halfclose, 2), "forged-rst": (forged_rst, 2), "named": (named, 2), "many": (many, 3)}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in MODES or len(sys.argv) != MODES[sys.argv[1]][1] + 2:
        sys.exit(__doc__)
    fn, _ = MODES[sys.argv[1]]
    args = sys.argv[2:]
    if fn is many:
        args = [args[0], int(args[1]), int(args[2])]
    sys.exit(fn(*args))
