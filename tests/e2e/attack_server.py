#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""
attack_server.py - the servers of tests/e2e/test_enforce_attacks.sh: every
byte a client gets to the server's socket is written to one log, so the test
asserts at the server that an attack delivered nothing.

    attack_server.py LOG CERT KEY LISTENER...

LISTENER is PROTO,ADDR,PORT,MODE (commas: IPv6 addresses hold colons):
  tcp,ADDR,PORT,plain   logs what it reads; answers each request that ends
                        with an empty line with "HTTP/1.1 200 OK ... ok"
  tcp,ADDR,PORT,banner  as plain, but first sends a plaintext banner at once
                        on accept (a server that speaks first)
  tcp,ADDR,PORT,tls     TLS (CERT, KEY) with TCP_FASTOPEN on the listener;
                        logs the decrypted bytes as "tlsdata", answers like plain
  udp,ADDR,PORT,plain   logs every datagram

Log lines (one write and flush each, under a lock):
  accept PROTO LADDR:LPORT PEER PEERPORT
  data|tlsdata PROTO LADDR:LPORT PEER PEERPORT LEN HEX
  sent PROTO LADDR:LPORT PEER PEERPORT LEN       (a banner or a reply)
  mark TEXT                                     (a "MARK TEXT" message)
  close PROTO LADDR:LPORT PEER PEERPORT HOW
"ready" goes to stdout once every listener is bound.

A MARK message is the test's synchronisation: it is sent after an attack,
over the same path. Before a mark is logged, every socket is drained (a
non-blocking sweep of all listeners and connections), so whatever reached
the server's stack before the mark is in the log before the mark.
Plain, banner and UDP sockets are served by one select loop for that reason;
TLS connections (positive tests only) by a thread each.
"""
import selectors
import socket
import ssl
import sys
import threading

TCP_FASTOPEN = 23
BANNER = b"220 plaintext banner from a server that speaks first\r\n"
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n"
LOCK = threading.Lock()
LOG = None
SEL = selectors.DefaultSelector()


def log(line):
    with LOCK:
        LOG.write(line + "\n")
        LOG.flush()


def where(sock, peer):
    la = sock.getsockname()
    return "%s:%d %s %d" % (la[0], la[1], peer[0], peer[1])


class Conn:
    """A plain or banner connection in the select loop."""

    def __init__(self, c, peer):
        self.c, self.w, self.buf, self.closed = c, where(c, peer), b"", False
        c.setblocking(False)

    def got(self, d, marks):
        if d.startswith(b"MARK "):
            marks.append(d[5:].decode("latin-1").strip())
            return
        log("data tcp %s %d %s" % (self.w, len(d), d.hex()))
        self.buf += d
        # answer every complete request, so a client whose bytes got through
        # also gets an answer (and a keep-alive client a second one)
        while b"\r\n\r\n" in self.buf:
            self.buf = self.buf.split(b"\r\n\r\n", 1)[1]
            self.c.sendall(REPLY)
            log("sent tcp %s %d" % (self.w, len(REPLY)))

    def drain(self, marks):
        """Read all that is queued; False once the connection is over."""
        while not self.closed:
            try:
                d = self.c.recv(65536)
            except BlockingIOError:
                return True
            except OSError as e:
                return self.close(type(e).__name__)
            if not d:
                return self.close("eof")
            self.got(d, marks)
        return False

    def close(self, how):
        # (a select round may still hold this socket's event: closed says so)
        self.closed = True
        SEL.unregister(self.c)
        self.c.close()
        log("close tcp %s %s" % (self.w, how))
        return False


def serve_tls(c, peer, ctx):
    w = where(c, peer)
    buf = b""
    try:
        # the handshake's bytes are TLS by construction; what matters is
        # what the application is given after it
        t = ctx.wrap_socket(c, server_side=True)
        while True:
            d = t.recv(65536)
            if not d:
                break
            log("tlsdata tcp %s %d %s" % (w, len(d), d.hex()))
            buf += d
            while b"\r\n\r\n" in buf:
                buf = buf.split(b"\r\n\r\n", 1)[1]
                t.sendall(REPLY)
                log("sent tcp %s %d" % (w, len(REPLY)))
        how = "eof"
    except (OSError, ssl.SSLError) as e:
        how = type(e).__name__
    c.close()
    log("close tcp %s %s" % (w, how))


def accept_all(ls, mode, ctx, marks):
    while True:
        try:
            c, peer = ls.accept()
        except BlockingIOError:
            return
        log("accept tcp %s" % where(c, peer))
        if mode == "tls":
            c.setblocking(True)
            threading.Thread(target=serve_tls, args=(c, peer, ctx), daemon=True).start()
            continue
        conn = Conn(c, peer)
        SEL.register(c, selectors.EVENT_READ, ("conn", conn))
        if mode == "banner":
            c.sendall(BANNER)
            log("sent tcp %s %d" % (conn.w, len(BANNER)))
        conn.drain(marks)      # its first bytes may be queued already


def udp_all(s, marks):
    while True:
        try:
            d, peer = s.recvfrom(65536)
        except BlockingIOError:
            return
        if d.startswith(b"MARK "):
            marks.append(d[5:].decode("latin-1").strip())
        else:
            log("data udp %s %d %s" % (where(s, peer), len(d), d.hex()))


def handle(data, marks, ctx):
    kind = data[0]
    if kind == "listen":
        accept_all(data[1], data[2], ctx, marks)
    elif kind == "udp":
        udp_all(data[1], marks)
    else:
        data[1].drain(marks)


def main(argv):
    global LOG
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    LOG = open(argv[1], "a")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(argv[2], argv[3])
    for spec in argv[4:]:
        proto, addr, port, mode = spec.split(",")
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        if proto == "udp":
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((addr, int(port)))
            s.setblocking(False)
            SEL.register(s, selectors.EVENT_READ, ("udp", s))
            continue
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if mode == "tls":
            # a queue of pending Fast Open requests: the listener takes SYN data
            s.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 256)
        s.bind((addr, int(port)))
        s.listen(64)
        s.setblocking(False)
        SEL.register(s, selectors.EVENT_READ, ("listen", s, mode))
    print("ready", flush=True)
    while True:
        marks = []
        for key, _ in SEL.select():
            handle(key.data, marks, ctx)
        if marks:
            # the sweep: everything queued before the mark is logged first
            for key in list(SEL.get_map().values()):
                handle(key.data, marks, ctx)
            for m in marks:
                log("mark %s" % m)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
