#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""
replay_compare.py LIVE.jsonl REPLAY.jsonl - is `tlsaudit -r` the same logic
as the live run? Every live flow must have its twin in the replay (same
l4, client, client_port, server, server_port, as many of them), with the
same verdict, the same "tls" object (JA4 included) and the same truncation;
every replayed flow must say role "captured", carry no process, and be
timed within a second of the live verdict; and no flow may be replayed only.

Prints "OK N flows, M with a JA4" and exits 0, or one line per difference
and exits 1. Lines that are not JSON objects are ignored.
"""
import json
import sys
from datetime import datetime


def flows(path):
    out = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict) and e.get("event") == "flow":
            k = (e["l4"], e["client"], e["client_port"], e["server"], e["server_port"])
            out.setdefault(k, []).append(e)
    return out


def when(e):
    return datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def main():
    live, rep = flows(sys.argv[1]), flows(sys.argv[2])
    bad = []
    for k, evs in sorted(live.items()):
        r = rep.get(k)
        if not r or len(r) != len(evs):
            bad.append("%s: %d live, %d replayed" % (k, len(evs), len(r or [])))
            continue
        for a, b in zip(evs, r):
            for field in ("verdict", "tls", "truncated", "reason"):
                if a.get(field) != b.get(field):
                    bad.append("%s: %s %s live, %s replayed" % (k, field, a.get(field), b.get(field)))
            if b.get("role") != "captured" or "pid" in b or "comm" in b:
                bad.append("%s: replayed as role %s pid %s" % (k, b.get("role"), b.get("pid")))
            if abs(when(a) - when(b)) > 1.0:
                bad.append("%s: time %s live, %s replayed" % (k, a["time"], b["time"]))
    for k in sorted(rep):
        if k not in live:
            bad.append("%s: replayed only" % (k,))
    if bad:
        print("\n".join(bad))
        return 1
    ja4 = sum(1 for evs in live.values() for e in evs if e.get("tls", {}).get("ja4"))
    print("OK %d flows, %d with a JA4" % (sum(len(v) for v in live.values()), ja4))
    return 0


sys.exit(main())
