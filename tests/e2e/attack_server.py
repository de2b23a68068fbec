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

Log lines (one write and flush each, under a lock, so lines never mix):
  accept PROTO LADDR:LPORT PEER PEERPORT
  data|tlsdata PROTO LADDR:LPORT PEER PEERPORT LEN HEX
  sent PROTO LADDR:LPORT PEER PEERPORT LEN       (a banner or a reply)
  mark TEXT                                     (a "MARK TEXT\\n" message)
  close PROTO LADDR:LPORT PEER PEERPORT HOW
"ready" goes to stdout once every listener is bound.

A MARK message is the test's synchronisation: it is sent after an attack
over the same path, so once it is logged the attack's packets were handled.
"""
import socket
import ssl
import sys
import threading

TCP_FASTOPEN = 23
BANNER = b"220 plaintext banner from a server that speaks first\r\n"
REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nok\n"
LOCK = threading.Lock()
LOG = None


def log(line):
    with LOCK:
        LOG.write(line + "\n")
        LOG.flush()


def where(sock, peer):
    la = sock.getsockname()
    return "%s:%d %s %d" % (la[0], la[1], peer[0], peer[1])


def serve_conn(c, peer, mode, ctx):
    w = where(c, peer)
    log("accept tcp %s" % w)
    how, kind, buf = "eof", "data", b""
    try:
        if mode == "banner":
            c.sendall(BANNER)
            log("sent tcp %s %d" % (w, len(BANNER)))
        if mode == "tls":
            # the handshake's bytes are TLS by construction; what matters is
            # what the application is given after it
            c = ctx.wrap_socket(c, server_side=True)
            kind = "tlsdata"
        while True:
            d = c.recv(65536)
            if not d:
                break
            if d.startswith(b"MARK "):
                log("mark %s" % d[5:].decode("latin-1").strip())
                continue
            log("%s tcp %s %d %s" % (kind, w, len(d), d.hex()))
            buf += d
            # answer every complete request, so a client that got its bytes
            # through also gets an answer (and a keep-alive client a second)
            while b"\r\n\r\n" in buf:
                buf = buf.split(b"\r\n\r\n", 1)[1]
                c.sendall(REPLY)
                log("sent tcp %s %d" % (w, len(REPLY)))
    except (OSError, ssl.SSLError) as e:
        how = type(e).__name__
    finally:
        c.close()
        log("close tcp %s %s" % (w, how))


def tcp_listener(addr, port, mode, ctx):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if mode == "tls":
        # a queue of pending Fast Open requests: the listener takes SYN data
        ls.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 256)
    ls.bind((addr, port))
    ls.listen(64)

    def loop():
        while True:
            c, peer = ls.accept()
            threading.Thread(target=serve_conn, args=(c, peer, mode, ctx), daemon=True).start()
    return loop


def udp_listener(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))

    def loop():
        while True:
            d, peer = s.recvfrom(65536)
            if d.startswith(b"MARK "):
                log("mark %s" % d[5:].decode("latin-1").strip())
                continue
            log("data udp %s %d %s" % (where(s, peer), len(d), d.hex()))
    return loop


def main(argv):
    global LOG
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    LOG = open(argv[1], "a")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(argv[2], argv[3])
    loops = []
    for spec in argv[4:]:
        proto, addr, port, mode = spec.split(",")
        if proto == "udp":
            loops.append(udp_listener(addr, int(port)))
        else:
            loops.append(tcp_listener(addr, int(port), mode, ctx))
    for f in loops:
        threading.Thread(target=f, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
