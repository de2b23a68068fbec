#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""
raw_attack.py ATTACK SRC SERVER - crafted TCP attacks on --enforce (scapy),
for tests/e2e/test_enforce_attacks.sh. Each completes a real handshake with
the real server on port 443, then tries to get plaintext to it; whether it
did is judged at the server (its log), not here. The client netns must drop
its own kernel's RSTs (the kernel knows no socket for scapy's connection).

  badsum      a TLS-looking first segment with a wrong TCP checksum (the
              server drops it), then plaintext at the same sequence number
  noack       the TLS-looking segment without the ACK flag (a stack drops
              its bytes), then plaintext at the same sequence
  ttl         the TLS-looking segment with TTL 1 (the gateway does not
              forward it), then plaintext at the same sequence
  syn-blocked plaintext (blocked), then a SYN with a new ISN on the 4-tuple,
              a TLS-looking segment in the new ISN's space (out of the
              server's window: dropped), plaintext again in the old space
  syn-tls     the TLS-looking segment with a bad checksum (decides "tls"),
              then the SYN, the TLS-looking segment in the new space, and
              plaintext at the old start
  rst-blocked plaintext (blocked), a forged RST with a random sequence
              number (out of window: the server ignores it), plaintext again
  rst-syn     as rst-blocked, then a SYN with a new ISN, a TLS-looking
              segment in its space, and plaintext again in the old space
  frag-tiny   plaintext in an IPv4 packet cut after 8 bytes of TCP header
  frag-data   plaintext whose payload is all in the second IPv4 fragment
              (a 24-byte TCP header: the first fragment is exactly it)
  v6-exthdr   IPv6: plaintext behind 7 destination-options headers
  v6-exthdrN  the same behind N of them (controls: what the parser walks)

raw_attack.py rst-only SRC SERVER SPORT - one RST with a random sequence
number, as SRC:SPORT to SERVER:443 (a forged RST in a real client's
connection); rst-syn-only: that RST, then a SYN with a random ISN.

Prints "sport=N" and one "step ..." line per packet sent on stderr. Exit 0
once everything was sent (2: no SYN-ACK: the handshake itself failed).
"""
import os
import random
import sys

from scapy.all import IP, IPv6, IPv6ExtHdrDestOpt, TCP, Raw, conf, send, sr1

conf.verb = 0
PORT = 443
# a ClientHello's first bytes (record type 22, TLS 1.0 record version, a
# plausible length, handshake type 1, legacy version 3.3), then random
TLS_LIKE = bytes.fromhex("16030100c8010000c40303") + os.urandom(21)
PLAIN = b"GET /attack-plaintext HTTP/1.1\r\nHost: srv.test\r\n\r\n"


def step(what):
    sys.stderr.write("step %s\n" % what)
    sys.stderr.flush()


class Conn:
    """One handshake: addresses, ports, our ISN and the server's."""

    def __init__(self, src, dst):
        self.src, self.dst = src, dst
        self.v6 = ":" in dst
        self.sport = random.randint(20000, 60000)
        self.isn = random.getrandbits(32)
        sys.stderr.write("sport=%d\n" % self.sport)
        sys.stderr.flush()
        for _ in range(3):
            r = sr1(self.ip() / TCP(sport=self.sport, dport=PORT, flags="S", seq=self.isn,
                                    options=[("MSS", 1400)]), timeout=2)
            if r is not None and r.haslayer(TCP) and (r[TCP].flags & 0x12) == 0x12:
                break
        else:
            sys.stderr.write("no SYN-ACK\n")
            sys.exit(2)
        self.ack = (r[TCP].seq + 1) & 0xffffffff
        send(self.ip() / TCP(sport=self.sport, dport=PORT, flags="A", seq=self.isn + 1, ack=self.ack))
        step("handshake")

    def ip(self, **kw):
        if self.v6:
            return IPv6(src=self.src, dst=self.dst, **kw)
        return IP(src=self.src, dst=self.dst, **kw)

    def seg(self, data, flags="PA", seq=None, **tcp):
        seq = self.isn + 1 if seq is None else seq
        return TCP(sport=self.sport, dport=PORT, flags=flags, seq=seq & 0xffffffff,
                   ack=self.ack if "A" in flags else 0, **tcp) / Raw(data)

    def send(self, what, data, flags="PA", seq=None, ipkw=None, **tcp):
        send(self.ip(**(ipkw or {})) / self.seg(data, flags, seq, **tcp))
        step(what)

    def syn(self, isn):
        send(self.ip() / TCP(sport=self.sport, dport=PORT, flags="S", seq=isn & 0xffffffff))
        step("syn new isn")

    def rst(self, what, seq):
        send(self.ip() / TCP(sport=self.sport, dport=PORT, flags="R", seq=seq & 0xffffffff))
        step(what)

    def v4_fragments(self, cut, options=None):
        """The plaintext segment as two IPv4 fragments, cut after `cut`
        bytes of the TCP segment (a multiple of 8)."""
        pkt = IP(src=self.src, dst=self.dst) / self.seg(PLAIN, options=options or [])
        tcp = bytes(IP(bytes(pkt))[TCP])      # with its checksum filled in
        ident = random.getrandbits(16)
        send(IP(src=self.src, dst=self.dst, id=ident, flags="MF", frag=0, proto=6) / Raw(tcp[:cut]))
        send(IP(src=self.src, dst=self.dst, id=ident, frag=cut // 8, proto=6) / Raw(tcp[cut:]))
        step("fragments cut at %d of %d" % (cut, len(tcp)))


def far(isn):
    """A sequence number about half the space away: out of any window."""
    return isn + 0x80000000 + random.getrandbits(24)


def main(argv):
    if len(argv) == 5 and argv[1] in ("rst-only", "rst-syn-only"):
        # no handshake: packets in someone else's connection (a real client's)
        src, dst, sport = argv[2], argv[3], int(argv[4])
        ip = IPv6(src=src, dst=dst) if ":" in dst else IP(src=src, dst=dst)
        send(ip / TCP(sport=sport, dport=PORT, flags="R", seq=random.getrandbits(32)))
        step("forged rst")
        if argv[1] == "rst-syn-only":
            # the server answers it with a challenge ACK and keeps the
            # connection; a flow table that took it for a new one would see
            # the real client's next bytes as far past a new ISN
            send(ip / TCP(sport=sport, dport=PORT, flags="S", seq=random.getrandbits(32)))
            step("forged syn")
        return 0
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    attack, src, dst = argv[1:]
    c = Conn(src, dst)
    if attack in ("badsum", "noack", "ttl"):
        if attack == "badsum":
            c.send("tls-like bad checksum", TLS_LIKE, chksum=0xdead)
        elif attack == "noack":
            c.send("tls-like without ack", TLS_LIKE, flags="P")
        else:
            c.send("tls-like ttl 1", TLS_LIKE, ipkw={"hlim" if c.v6 else "ttl": 1})
        c.send("plaintext same seq", PLAIN)
    elif attack in ("syn-blocked", "syn-tls", "rst-blocked", "rst-syn"):
        if attack == "syn-tls":
            c.send("tls-like bad checksum", TLS_LIKE, chksum=0xdead)
        else:
            c.send("plaintext", PLAIN)
        if attack.startswith("rst"):
            c.rst("forged rst out of window", far(c.isn))
            c.send("plaintext after rst", PLAIN)
        if attack != "rst-blocked":
            isn2 = far(c.isn)
            c.syn(isn2)
            c.send("tls-like in the new isn space", TLS_LIKE, seq=isn2 + 1)
            c.send("plaintext in the old isn space", PLAIN)
    elif attack == "frag-tiny":
        c.v4_fragments(8)
    elif attack == "frag-data":
        c.v4_fragments(24, options=[("NOP", None)] * 4)
    elif attack.startswith("v6-exthdr"):
        # "v6-exthdr" is the attack (7 headers); "v6-exthdrN" a control with N
        n = int(attack[len("v6-exthdr"):] or 7)
        hdrs = IPv6ExtHdrDestOpt()
        for _ in range(n - 1):
            hdrs = hdrs / IPv6ExtHdrDestOpt()
        send(c.ip() / hdrs / c.seg(PLAIN))
        step("plaintext behind %d destination options headers" % n)
    else:
        sys.stderr.write("unknown attack %s\n" % attack)
        return 2
    # leave the server's socket as it was: the test's marker, not a close,
    # says when the attack is over
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
