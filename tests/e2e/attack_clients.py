#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""
attack_clients.py MODE ARGS... - real-socket clients of
tests/e2e/test_enforce_attacks.sh (the raw-packet ones are raw_attack.py).
Each prints lport=N (or sport=N) on stderr, so the test can find the flow in
tlsaudit's events and in the server's log.

  tfo-plain SERVER        HTTP request in the SYN (sendto MSG_FASTOPEN); waits
                          2 s for a reply, then closes with a RST (SO_LINGER 0)
                          so no retransmission is left behind. Exit 0 with a
                          200 reply, 1 without.
  tfo-tls SERVER          TLS with TCP_FASTOPEN_CONNECT: the ClientHello is the
                          SYN's data. One GET; exit 0 with a 200 reply.
  tls-hold SERVER FIFO    TLS, GET, reply; then "first_ok" on stderr and waits
                          for a line on FIFO (the test forges an RST meanwhile);
                          a second GET on the same connection. Exit 0 when
                          both were answered, 3 when the second was not.
  plain-reset SERVER      plaintext GET; waits 10 s for the reply; prints
                          error=NAME; exit 0 only on ECONNRESET.
  silent SERVER PORT      connects and sends nothing; reads for 2 s; prints
                          got=N (bytes the server's banner brought); exit 0
                          when N is 0.
  udp SERVER PORT KIND    one socket (one 4-tuple): KIND fakequic (a 6-byte
                          QUIC long header) or hello ("hello\\n"), then three
                          plaintext datagrams.
  plain-loop SERVER STOP SRC  a plaintext client that retries, from address
                          SRC (its own, so no other client shares its ports): a new connection,
                          a GET, up to 1 s for the reply, a RST close; again,
                          until the file STOP exists. One "attempt N lport=P
                          RESULT" line on stdout each (RESULT: reply, reset,
                          timeout, refused...). Exit 0.
  mark SERVER PORT PROTO TEXT  "MARK TEXT" over tcp or udp (the test's sync)
"""
import os
import errno
import select
import socket
import ssl
import struct
import sys

MSG_FASTOPEN = 0x20000000
TCP_FASTOPEN_CONNECT = 30
LAST_ERR = [None]           # how the last read_reply() failed
REQ = b"GET /attack HTTP/1.1\r\nHost: srv.test\r\n\r\n"


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def say(k, v):
    sys.stderr.write("%s=%s\n" % (k, v))
    sys.stderr.flush()


def read_reply(s, want=b"ok\n", timeout=3.0):
    """Bytes until the reply's body, EOF or the timeout."""
    s.settimeout(timeout)
    data = b""
    try:
        while not data.endswith(want):
            d = s.recv(4096)
            if not d:
                break
            data += d
    except socket.timeout:
        LAST_ERR[0] = "timeout"
        say("error", "timeout")
    except OSError as e:
        LAST_ERR[0] = errno.errorcode.get(e.errno, str(e))
        say("error", LAST_ERR[0])
    return data


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def tls_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def tfo_plain(srv):
    s = socket.socket(fam(srv), socket.SOCK_STREAM)
    # the port first: under --enforce the SYN is answered with an RST, and
    # sendto() fails with it
    s.bind(("::" if fam(srv) == socket.AF_INET6 else "0.0.0.0", 0))
    say("lport", s.getsockname()[1])
    # connect and send at once: the kernel puts REQ in the SYN
    try:
        s.sendto(REQ, MSG_FASTOPEN, (srv, 443))
    except OSError as e:
        say("error", errno.errorcode.get(e.errno, str(e)))
        s.close()
        return 1
    # 2 s: past the SYN's 1 s retransmission (without data), so the data's
    # own retransmission after the handshake is tried too
    data = read_reply(s, timeout=2.0)
    rst_close(s)
    sys.stdout.write(data.decode("latin-1"))
    return 0 if data.startswith(b"HTTP/1.1 200") else 1


def tfo_tls(srv):
    s = socket.socket(fam(srv), socket.SOCK_STREAM)
    # connect() returns at once; the first write (the ClientHello) goes out
    # in the SYN
    s.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN_CONNECT, 1)
    s.settimeout(10)
    s.connect((srv, 443))
    say("lport", s.getsockname()[1])
    # TLS over memory BIOs: python's wrap_socket() refuses a socket that
    # getpeername() says is not connected yet, which is what Fast Open is
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    t = tls_ctx().wrap_bio(inc, out, server_hostname="srv.test")

    def run(op):
        while True:
            try:
                r = op()
                s.sendall(out.read())
                return r
            except ssl.SSLWantReadError:
                s.sendall(out.read())
                d = s.recv(65536)
                if not d:
                    raise ConnectionError("EOF from the server")
                inc.write(d)
    run(t.do_handshake)
    run(lambda: t.write(REQ))
    data = b""
    while not data.endswith(b"ok\n"):
        data += run(lambda: t.read(4096))
    s.close()
    sys.stdout.write(data.decode("latin-1"))
    return 0 if data.startswith(b"HTTP/1.1 200") else 1


def tls_hold(srv, fifo):
    s = socket.create_connection((srv, 443), timeout=10)
    say("lport", s.getsockname()[1])
    with tls_ctx().wrap_socket(s, server_hostname="srv.test") as t:
        t.sendall(REQ)
        if not read_reply(t).startswith(b"HTTP/1.1 200"):
            return 2
        say("first_ok", 1)
        with open(fifo) as f:   # the test writes once its forged RST went out
            f.readline()
        t.sendall(REQ)
        data = read_reply(t, timeout=5)
    sys.stdout.write(data.decode("latin-1"))
    return 0 if data.startswith(b"HTTP/1.1 200") else 3


def plain_reset(srv):
    s = socket.create_connection((srv, 443), timeout=10)
    say("lport", s.getsockname()[1])
    s.sendall(REQ)
    read_reply(s, timeout=10)
    s.close()
    return 0 if LAST_ERR[0] == "ECONNRESET" else 1


def silent(srv, port):
    s = socket.create_connection((srv, int(port)), timeout=10)
    say("lport", s.getsockname()[1])
    got, end = 0, 2.0   # the banner's first retransmissions come within it
    r, _, _ = select.select([s], [], [], end)
    if r:
        try:
            got = len(s.recv(4096))
        except OSError as e:
            say("error", errno.errorcode.get(e.errno, str(e)))
    say("got", got)
    rst_close(s)
    return 0 if got == 0 else 1


def udp(srv, port, kind):
    s = socket.socket(fam(srv), socket.SOCK_DGRAM)
    s.connect((srv, int(port)))
    say("sport", s.getsockname()[1])
    first = b"\xc0\x00\x00\x00\x01\x00" if kind == "fakequic" else b"hello\n"
    s.send(first)
    for i in range(3):
        s.send(b"GET /udp-%d HTTP/1.1\r\nHost: srv.test\r\n\r\n" % i)
    return 0


def plain_loop(srv, stop, src):
    n = 0
    while not os.path.exists(stop):
        n += 1
        LAST_ERR[0] = None
        try:
            s = socket.create_connection((srv, 443), timeout=1, source_address=(src, 0))
        except OSError as e:
            print("attempt %d lport=0 %s" % (n, errno.errorcode.get(e.errno, "connect")),
                  flush=True)
            continue
        port = s.getsockname()[1]
        try:
            s.sendall(REQ)
            data = read_reply(s, timeout=1)
        except OSError as e:
            data, LAST_ERR[0] = b"", errno.errorcode.get(e.errno, str(e))
        res = "reply" if data else {"ECONNRESET": "reset", "timeout": "timeout"}.get(
            LAST_ERR[0], LAST_ERR[0] or "eof")
        print("attempt %d lport=%d %s" % (n, port, res), flush=True)
        rst_close(s)
    return 0


def mark(srv, port, proto, text):
    msg = b"MARK " + text.encode() + b"\n"
    if proto == "udp":
        s = socket.socket(fam(srv), socket.SOCK_DGRAM)
        s.sendto(msg, (srv, int(port)))
    else:
        s = socket.create_connection((srv, int(port)), timeout=10)
        s.sendall(msg)
    s.close()
    return 0


MODES = {"tfo-plain": (tfo_plain, 1), "tfo-tls": (tfo_tls, 1), "tls-hold": (tls_hold, 2),
         "plain-reset": (plain_reset, 1), "silent": (silent, 2), "udp": (udp, 3),
         "plain-loop": (plain_loop, 3), "mark": (mark, 4)}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in MODES or len(sys.argv) != MODES[sys.argv[1]][1] + 2:
        sys.exit(__doc__)
    sys.exit(MODES[sys.argv[1]][0](*sys.argv[2:]))
