#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""
split_hello.py - a real TLS client (python's ssl, OpenSSL) whose ClientHello
goes out in pieces the test chooses, for tests/e2e/test_tls_intel.sh.

    split_hello.py HOST [options]

  --port N         server port (443)
  --sni NAME       server_hostname (SNI), default srv.test
  --alpn A,B,..    ALPN protocols to offer (default: none)
  --big-alpn N:L   offer N extra ALPN protocols of L bytes each before the
                   --alpn ones ("p00xxx..."), to make the ClientHello large
  --tls12          TLS 1.2 only (default: TLS 1.2 and 1.3, as OpenSSL offers)
  --records N      re-frame the ClientHello handshake message into N TLS
                   records (type 22) of about equal size; the handshake
                   message itself is not changed, so the handshake completes
  --wait-server-fin  before sending anything, wait (bounded, 10 s) for the
                   server's FIN (recv MSG_PEEK returns EOF): a ClientHello
                   that surely follows a server's half-close
  --unwrap         after the answer, wait for the server's FIN (EOF on the
                   socket; the "Connection: close" request makes nginx close first),
                   then send our own close_notify (SSLObject.unwrap), as a
                   polite client does: client payload after the server's FIN
  --split OFFS     comma-separated byte offsets into the (re-framed) bytes of
                   the ClientHello flight: each piece is sent with its own
                   send() on a TCP_NODELAY socket, and before the next piece
                   the client waits until every byte sent so far is ACKed
                   (polling TCP_INFO tcpi_unacked, bounded at 5 s), so each
                   piece is its own TCP segment (or, if it exceeds the MSS,
                   several)

The ClientHello is produced by SSLObject.do_handshake() into a MemoryBIO;
after it is sent the handshake is finished over the socket through the BIO
pair, then "GET / HTTP/1.1" is sent and the answer read to EOF.

stderr: pid=N, sport=N, hello_bytes=N (the flight as sent), pieces=a,b,..,
version=TLSv1.x. stdout: the HTTP answer. Exit 0 when the answer is
"HTTP/1.1 200", 3 for another answer, 4 on a handshake failure, 5 when
--unwrap could not produce a close_notify.
"""
import argparse
import os
import socket
import ssl
import struct
import sys
import time


def wait_all_acked(sock, timeout=5.0):
    """Bounded poll: until tcpi_unacked (struct tcp_info offset 24) is 0."""
    deadline = time.monotonic() + timeout
    while True:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
        unacked = struct.unpack_from("I", info, 24)[0]
        if unacked == 0:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.001)


def reframe(flight, n):
    """One handshake record -> n records carrying the same handshake bytes."""
    if n <= 1:
        return flight
    if flight[0] != 22:
        raise SystemExit("split_hello: first record is not a handshake record")
    rlen = struct.unpack("!H", flight[3:5])[0]
    if 5 + rlen != len(flight):
        raise SystemExit("split_hello: ClientHello flight is not exactly one record")
    body, ver = flight[5:], flight[1:3]
    size = (len(body) + n - 1) // n
    out = b""
    for i in range(0, len(body), size):
        chunk = body[i:i + size]
        out += b"\x16" + ver + struct.pack("!H", len(chunk)) + chunk
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--sni", default="srv.test")
    ap.add_argument("--alpn", default="")
    ap.add_argument("--big-alpn", default="")
    ap.add_argument("--tls12", action="store_true")
    ap.add_argument("--records", type=int, default=1)
    ap.add_argument("--split", default="")
    ap.add_argument("--unwrap", action="store_true")
    ap.add_argument("--wait-server-fin", action="store_true")
    a = ap.parse_args()

    sys.stderr.write("pid=%d\n" % os.getpid())
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if a.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    alpn = []
    if a.big_alpn:
        n, ln = (int(x) for x in a.big_alpn.split(":"))
        alpn += [("p%02d" % i + "x" * ln)[:ln] for i in range(n)]
    if a.alpn:
        alpn += a.alpn.split(",")
    if alpn:
        ctx.set_alpn_protocols(alpn)

    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.connect((a.host, a.port))
    sys.stderr.write("sport=%d\n" % sock.getsockname()[1])
    if a.wait_server_fin:
        if sock.recv(1, socket.MSG_PEEK) != b"":
            raise SystemExit("split_hello: the server sent data, not a FIN")
        sys.stderr.write("server_fin_seen\n")

    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=a.sni)
    try:
        obj.do_handshake()
        raise SystemExit("split_hello: handshake finished without the server?")
    except ssl.SSLWantReadError:
        pass
    flight = reframe(out.read(), a.records)
    sys.stderr.write("hello_bytes=%d\n" % len(flight))

    cuts = [int(x) for x in a.split.split(",") if x] if a.split else []
    bounds = [0] + [c for c in cuts if 0 < c < len(flight)] + [len(flight)]
    pieces = []
    for i in range(len(bounds) - 1):
        piece = flight[bounds[i]:bounds[i + 1]]
        sock.sendall(piece)
        pieces.append(len(piece))
        if i < len(bounds) - 2 and not wait_all_acked(sock):
            raise SystemExit("split_hello: piece %d never ACKed" % i)
    sys.stderr.write("pieces=%s\n" % ",".join(str(p) for p in pieces))

    def pump():
        data = out.read()
        if data:
            sock.sendall(data)

    def feed():
        data = sock.recv(65536)
        if not data:
            inc.write_eof()
            return False
        inc.write(data)
        return True

    try:
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pump()
                if not feed():
                    obj.do_handshake()  # raises the real error
                    break
        pump()
    except (ssl.SSLError, OSError) as e:
        sys.stderr.write("handshake failed: %s\n" % e)
        return 4
    sys.stderr.write("version=%s\n" % obj.version())

    obj.write(b"GET / HTTP/1.1\r\nHost: srv.test\r\nConnection: close\r\n\r\n")
    pump()
    answer, eof = b"", False
    while True:
        try:
            chunk = obj.read(65536)
            if not chunk:
                break
            answer += chunk
        except ssl.SSLWantReadError:
            pump()
            if not feed():
                eof = True
                break
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ssl.SSLSyscallError):
            break
    if a.unwrap:
        # wait for the server's FIN itself (EOF on the socket), so that our
        # close_notify surely follows it on the wire
        while not eof:
            eof = not sock.recv(65536)
        try:
            obj.unwrap()
        except (ssl.SSLError, OSError):
            pass  # no close_notify from the server: ours is written anyway
        data = out.read()
        if not data:
            sys.stderr.write("unwrap wrote no close_notify\n")
            return 5
        sock.sendall(data)
        sys.stderr.write("close_notify_sent=%d\n" % len(data))
    sock.close()
    sys.stdout.write(answer.decode("latin-1"))
    return 0 if answer.startswith(b"HTTP/1.1 200") else 3


if __name__ == "__main__":
    sys.exit(main())
