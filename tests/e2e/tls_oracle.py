#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""
tls_oracle.py - what tshark (the reference TLS dissector) says about every TCP
connection in a capture, one JSON object per connection, for
tests/e2e/test_tls_intel.sh to compare with tlsaudit's "tls" object.

    tls_oracle.py PCAP

Per connection (tshark's tcp.stream), keyed by "client" and "client_port"
(the side that sent the SYN):

  TCP level (tshark -T fields):
    client_segments   payload lengths of the client's segments (frames, as
                      captured) before the server's first payload byte
    server_first_hex  the server's first payload bytes, up to 16, in hex
    server_first_line its first line, when that is printable ASCII
    server_payload    bytes of server payload in the whole capture
    server_fin/_rst   the server sent a FIN / RST before any payload byte
  ClientHello (tshark JSON, reassembled by tshark):
    hello_len         handshake length announced in the ClientHello header
    hello_records     TLS records that carried it
    sni, alpn[], offered[] (supported_versions, else [legacy_version]),
    groups[], key_shares[] (names as tshark resolves them), ja4 (computed
    here from tshark's fields, FoxIO JA4 spec: TCP "t", highest non-GREASE
    supported version else legacy, d/i, cipher and extension counts, first
    and last character of the first ALPN value; sha256[:12] of the sorted
    cipher list, and of the sorted extension list without SNI and ALPN
    followed by "_" and the signature algorithms in wire order)
  ServerHello:
    version (supported_versions, else legacy_version), cipher (tshark's
    name), cipher_hex, group (key_share, name), alpn_chosen
  Alert (from the server): alert (description name), alert_level

Then one object per UDP datagram: l4 "udp", client, client_port,
quic_version, protocol and info (tshark's columns), sni (when tshark could
decrypt a QUIC Initial). TCP objects have l4 "tcp".

Version names follow tlsaudit's JSON ("1.3", "1.2", "1.1", "1.0", "ssl3.0");
GREASE values are left out of every list, as tlsaudit does.
"""
import hashlib
import json
import subprocess
import sys

TSHARK = "tshark"
VERSION_NAMES = {0x0304: "1.3", 0x0303: "1.2", 0x0302: "1.1", 0x0301: "1.0", 0x0300: "ssl3.0"}
JA4_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
                0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}
# RFC 8446 / IANA alert descriptions (the ones a handshake can produce)
ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac",
          22: "record_overflow", 40: "handshake_failure", 42: "bad_certificate",
          47: "illegal_parameter", 48: "unknown_ca", 50: "decode_error",
          51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
          80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
          109: "missing_extension", 110: "unsupported_extension",
          112: "unrecognized_name", 116: "certificate_required",
          120: "no_application_protocol"}


def grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def tshark_start(args):
    """tshark runs in parallel (each start costs seconds): Popen now, read later."""
    return (args, subprocess.Popen([TSHARK] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE))


def tshark_out(job):
    args, proc = job
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit("tls_oracle: tshark %s failed: %s" % (" ".join(args), err.decode()))
    return out.decode("utf-8", "replace")


def as_list(x):
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def num(s):
    return int(s, 0)


def find_all(node, key):
    """Every value of key anywhere under node (lists flattened)."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                out.extend(as_list(v))
            else:
                out.extend(find_all(v, key))
    elif isinstance(node, list):
        for v in node:
            out.extend(find_all(v, key))
    return out


def find_dicts(node, pred):
    out = []
    if isinstance(node, dict):
        if pred(node):
            out.append(node)
        for v in node.values():
            out.extend(find_dicts(v, pred))
    elif isinstance(node, list):
        for v in node:
            out.extend(find_dicts(v, pred))
    return out


def extensions(hs):
    """[(type, ext dict)] of a handshake message, in wire order."""
    exts = []
    for k, v in hs.items():
        if k.startswith("Extension: "):
            for e in as_list(v):
                if isinstance(e, dict) and "tls.handshake.extension.type" in e:
                    exts.append((num(e["tls.handshake.extension.type"]), e))
    return exts


def ja4(ciphers, ext_types, sigalgs, versions, legacy, sni, alpn):
    sv = [v for v in versions if not grease(v)]
    ver = max(sv) if sv else legacy
    c = [x for x in ciphers if not grease(x)]
    e = [x for x in ext_types if not grease(x)]
    if alpn:
        first = alpn[0]
        a = first[0] + first[-1]
        if not (a[0].isascii() and a[0].isalnum() and a[1].isascii() and a[1].isalnum()):
            h = first.encode("latin-1").hex()
            a = h[0] + h[-1]
    else:
        a = "00"
    part_a = "t%s%s%02d%02d%s" % (JA4_VERSIONS.get(ver, "00"), "d" if sni else "i",
                                  min(len(c), 99), min(len(e), 99), a)
    cs = ",".join(sorted("%04x" % x for x in c))
    part_b = hashlib.sha256(cs.encode()).hexdigest()[:12] if c else "000000000000"
    es = ",".join(sorted("%04x" % x for x in e if x not in (0x0000, 0x0010)))
    sg = ",".join("%04x" % x for x in sigalgs if not grease(x))
    s = es + ("_" + sg if sg else "")
    part_c = hashlib.sha256(s.encode()).hexdigest()[:12] if e else "000000000000"
    return "%s_%s_%s" % (part_a, part_b, part_c)


def vname(v):
    return VERSION_NAMES.get(v, "0x%04x" % v)


def main(pcap):
    conns = {}

    # ---- TCP level
    fields = ["frame.number", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.dstport",
              "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.len",
              "tcp.payload"]
    cols = ('gui.column.format:"cs","%Cus:tls.handshake.ciphersuite:0:R",'
            '"g","%Cus:tls.handshake.extensions_supported_group:0:R",'
            '"k","%Cus:tls.handshake.extensions_key_share_group:0:R"')
    j_tcp = tshark_start(["-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=\t",
                          "-E", "occurrence=f"] + sum((["-e", f] for f in fields), []))
    j_names = tshark_start(["-r", pcap, "-Y", "tls.handshake.type == 1 || tls.handshake.type == 2",
                            "-o", cols, "-T", "fields", "-E", "separator=\t",
                            "-e", "frame.number", "-e", "_ws.col.cs", "-e", "_ws.col.g",
                            "-e", "_ws.col.k"])
    j_json = tshark_start(["-r", pcap, "-Y",
                           "tls.handshake.type == 1 || tls.handshake.type == 2 || tls.alert_message",
                           "-T", "json", "--no-duplicate-keys"])
    j_udp = tshark_start(["-r", pcap, "-Y", "udp.dstport == 443", "-T", "fields", "-E", "separator=\t",
                          "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport", "-e", "quic.version",
                          "-e", "_ws.col.Protocol", "-e", "_ws.col.Info",
                          "-e", "tls.handshake.extensions_server_name"])

    for line in tshark_out(j_tcp).splitlines():
        p = line.split("\t")
        if len(p) < len(fields):
            continue
        _, stream, src4, src6, sport, dport, syn, ack, fin, rst, tlen, payload = p[:12]
        src = src4 or src6
        c = conns.setdefault(stream, {"stream": int(stream), "client_segments": [],
                                      "server_payload": 0, "server_fin": False,
                                      "server_rst": False})
        if syn in ("1", "True") and ack in ("0", "False"):
            c["client"], c["client_port"], c["server_port"] = src, int(sport), int(dport)
            continue
        if "client" not in c:
            continue
        n = int(tlen or 0)
        from_client = src == c["client"] and int(sport) == c["client_port"]
        if from_client:
            if n and c["server_payload"] == 0:
                c["client_segments"].append(n)
            continue
        if n:
            if c["server_payload"] == 0:
                first = bytes.fromhex(payload.replace(":", ""))
                c["server_first_hex"] = first[:16].hex()
                line = first.split(b"\r\n")[0].split(b"\n")[0]
                if line and all(32 <= b < 127 for b in line):
                    c["server_first_line"] = line.decode("ascii")
            c["server_payload"] += n
        elif c["server_payload"] == 0:
            if fin in ("1", "True"):
                c["server_fin"] = True
            if rst in ("1", "True"):
                c["server_rst"] = True

    # ---- names as tshark resolves them (custom columns, "R" = resolved)
    names = {}
    for line in tshark_out(j_names).splitlines():
        p = line.split("\t")
        if len(p) >= 4:
            names[p[0]] = {"cs": p[1], "g": p[2], "k": p[3]}

    # ---- handshakes
    js = tshark_out(j_json)
    for pkt in json.loads(js or "[]"):
        lay = pkt["_source"]["layers"]
        frame = as_list(lay["frame"])[0]["frame.number"]
        if "tcp" not in lay:
            continue  # QUIC (UDP): tshark dissects its Initials too
        tcp = as_list(lay["tcp"])[0]
        c = conns.get(tcp["tcp.stream"])
        if c is None or "client" not in c:
            continue
        from_client = int(tcp["tcp.srcport"]) == c["client_port"]
        tls = lay.get("tls")
        for hs in find_dicts(tls, lambda d: "tls.handshake.type" in d and not isinstance(d["tls.handshake.type"], list)):
            t = num(hs["tls.handshake.type"])
            exts = extensions(hs)
            ext = {}
            for et, e in exts:
                ext.setdefault(et, e)
            if t == 1 and from_client and "hello_len" not in c:
                c["hello_frame"] = int(frame)
                c["hello_len"] = num(hs["tls.handshake.length"])
                legacy = num(hs["tls.handshake.version"])
                ciphers = [num(x) for x in find_all(hs.get("tls.handshake.ciphersuites", {}),
                                                    "tls.handshake.ciphersuite")]
                sni = find_all(ext.get(0x0000), "tls.handshake.extensions_server_name")
                alpn = find_all(ext.get(0x0010), "tls.handshake.extensions_alpn_str")
                sv = [num(x) for x in find_all(ext.get(0x002b), "tls.handshake.extensions.supported_version")]
                sig = [num(x) for x in find_all(ext.get(0x000d), "tls.handshake.sig_hash_alg")]
                c["sni"] = sni[0] if sni else None
                c["alpn"] = alpn
                c["offered"] = [vname(v) for v in sv if not grease(v)] if 0x002b in ext else [vname(legacy)]
                nm = names.get(frame, {})
                c["groups"] = [g for g in nm.get("g", "").split(",") if g and "GREASE" not in g] \
                    if 0x000a in ext else []
                c["key_shares"] = [g for g in nm.get("k", "").split(",") if g and "GREASE" not in g] \
                    if 0x0033 in ext else []
                c["ja4"] = ja4(ciphers, [et for et, _ in exts], sig, sv, legacy, 0x0000 in ext, alpn)
            elif t == 1 and from_client:
                c["hello_count"] = c.get("hello_count", 1) + 1
            elif t == 2 and not from_client and "cipher_hex" not in c:
                legacy = num(hs["tls.handshake.version"])
                sv = [num(x) for x in find_all(ext.get(0x002b), "tls.handshake.extensions.supported_version")]
                c["version"] = vname(sv[0] if sv else legacy)
                cs = num(hs["tls.handshake.ciphersuite"])
                c["cipher_hex"] = "0x%04x" % cs
                nm = names.get(frame, {})
                c["cipher"] = nm.get("cs") or None
                if 0x0033 in ext:
                    c["group"] = nm.get("k") or None
                alpn = find_all(ext.get(0x0010), "tls.handshake.extensions_alpn_str")
                if alpn:
                    c["alpn_chosen"] = alpn[0]
        if not from_client and "alert" not in c:
            for al in find_dicts(tls, lambda d: "tls.alert_message.desc" in d):
                d = num(al["tls.alert_message.desc"])
                lv = num(al["tls.alert_message.level"])
                c["alert"] = ALERTS.get(d, str(d))
                c["alert_level"] = {1: "warning", 2: "fatal"}.get(lv, "invalid")
                break
        # records carrying the ClientHello: the frame where tshark completed it
        if from_client and c.get("hello_frame") == int(frame) and "hello_records" not in c:
            recs = [r for r in find_dicts(tls, lambda d: "tls.record.content_type" in d)
                    if num(r["tls.record.content_type"]) == 22]
            c["hello_records"] = len(recs)

    for c in sorted(conns.values(), key=lambda x: x["stream"]):
        if "client" in c:
            c["l4"] = "tcp"
            print(json.dumps(c, sort_keys=True))

    # ---- UDP: one object per datagram
    for line in tshark_out(j_udp).splitlines():
        p = line.split("\t")
        if len(p) < 7:
            continue
        print(json.dumps({"l4": "udp", "client": p[0] or p[1], "client_port": int(p[2]),
                          "quic_version": p[3] or None, "protocol": p[4], "info": p[5],
                          "sni": p[6] or None}, sort_keys=True))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    main(sys.argv[1])
