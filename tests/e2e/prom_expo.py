#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""prom_expo.py - a strict reader of the Prometheus text exposition format
0.0.4, for the export test (test_export.sh).

  prom_expo.py json FILE        FILE parsed, as JSON {samples, types, help};
                                exit 1 with the reason when it is not valid
  prom_expo.py reader PATH FLOWS TARGET TIMEOUT OUT
                                read PATH as fast as possible until TARGET
                                replacements were seen; every read must be a
                                whole file (summary as JSON in OUT)
"""
import json, os, re, sys, time

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LNAME = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
VALUE = re.compile(r'(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN)$')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')


class Bad(Exception):
    pass


def parse_labels(s, i, ln):
    labels = {}
    i += 1
    while True:
        if s[i:i + 1] == '}':
            return labels, i + 1
        m = LNAME.match(s, i)
        if not m:
            raise Bad('line %d: bad label name at column %d' % (ln, i + 1))
        key = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise Bad('line %d: want =" after label %s' % (ln, key))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Bad('line %d: unterminated label value' % ln)
            c = s[i]
            if c == '\\':
                e = s[i + 1:i + 2]
                if e == 'n':
                    val.append('\n')
                elif e in ('\\', '"'):
                    val.append(e)
                else:
                    raise Bad('line %d: bad escape \\%s in label %s' % (ln, e, key))
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val.append(c)
                i += 1
        if key in labels:
            raise Bad('line %d: duplicate label %s' % (ln, key))
        labels[key] = ''.join(val)
        if s[i:i + 1] == ',':
            i += 1
        elif s[i:i + 1] != '}':
            raise Bad('line %d: want , or } after label %s' % (ln, key))


def parse(text):
    """Every line well-formed and newline-terminated, a family's samples
    contiguous and after its TYPE, no duplicate series, HELP and TYPE for
    every family."""
    if not text.endswith('\n'):
        raise Bad('does not end with a newline (%d bytes)' % len(text))
    samples, types, helps, seen, done, order = [], {}, {}, set(), set(), []
    cur = None
    for ln, line in enumerate(text[:-1].split('\n'), 1):
        if line == '':
            continue
        if line.startswith('#'):
            p = line.split(None, 3)
            if len(p) >= 3 and p[1] in ('HELP', 'TYPE'):
                name = p[2]
                if not NAME.fullmatch(name):
                    raise Bad('line %d: bad metric name in %s' % (ln, p[1]))
                d = helps if p[1] == 'HELP' else types
                if name in d:
                    raise Bad('line %d: second %s for %s' % (ln, p[1], name))
                if p[1] == 'TYPE':
                    if len(p) != 4 or p[3] not in TYPES:
                        raise Bad('line %d: bad TYPE line' % ln)
                    if name in done or name == cur:
                        raise Bad('line %d: TYPE for %s after its samples' % (ln, name))
                    d[name] = p[3]
                else:
                    d[name] = p[3] if len(p) == 4 else ''
            continue
        m = NAME.match(line)
        if not m:
            raise Bad('line %d: no metric name: %r' % (ln, line[:80]))
        name, i = m.group(0), m.end()
        labels = {}
        if line[i:i + 1] == '{':
            labels, i = parse_labels(line, i, ln)
        rest = line[i:]
        if not rest.startswith(' '):
            raise Bad('line %d: want a space before the value: %r' % (ln, line[:80]))
        f = rest.split()
        if len(f) not in (1, 2) or not VALUE.match(f[0]) or (len(f) == 2 and not re.fullmatch(r'-?[0-9]+', f[1])):
            raise Bad('line %d: bad value or timestamp: %r' % (ln, line[:80]))
        family = name
        for suf in ('_sum', '_count', '_bucket'):
            base = name[:-len(suf)]
            if name.endswith(suf) and types.get(base) in ('summary', 'histogram'):
                family = base
        if family != cur:
            if family in done:
                raise Bad('line %d: samples of %s are not contiguous' % (ln, family))
            if cur is not None:
                done.add(cur)
            cur = family
            order.append(family)
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise Bad('line %d: duplicate series %s%s' % (ln, name, labels))
        seen.add(key)
        samples.append({'name': name, 'family': family, 'labels': labels, 'value': float(f[0])})
    for fam in order:
        if fam not in types or fam not in helps:
            raise Bad('family %s has no %s' % (fam, 'TYPE' if fam not in types else 'HELP'))
    return {'samples': samples, 'types': types, 'help': helps}


def complete(text, want_flows, want_names, want_count):
    """A whole tlsaudit file: parses, has exactly the families and number of
    samples of a whole file, the flow total, and the last-write gauge."""
    d = parse(text)
    names = {s['name'] for s in d['samples']}
    if 'tlsaudit_last_write_timestamp_seconds' not in names:
        raise Bad('no tlsaudit_last_write_timestamp_seconds')
    if names != want_names:
        raise Bad('families differ from a whole file: missing %s, extra %s'
                  % (sorted(want_names - names), sorted(names - want_names)))
    if len(d['samples']) != want_count:
        raise Bad('%d samples, a whole file has %d' % (len(d['samples']), want_count))
    tot = sum(s['value'] for s in d['samples'] if s['name'] == 'tlsaudit_flows_total')
    if tot != want_flows:
        raise Bad('tlsaudit_flows_total sums to %g, want %g' % (tot, want_flows))
    return d


def accepts(text, *want):
    try:
        complete(text, *want)
        return True
    except Bad:
        return False


def reader(path, want_flows, target, timeout, out):
    """Open and read path as fast as possible until `target` replacements of
    it were seen (or timeout); every read must be a whole file, with the
    families, sample count and flow total of the first one (want_flows < 0)
    or the flow total want_flows."""
    want = None
    reads = versions = bad = 0
    first_bad = selftest = last_ver = None
    deadline = time.monotonic() + timeout
    while versions < target and time.monotonic() < deadline:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            time.sleep(0.005)  # no writer has written yet
            continue
        try:
            st = os.fstat(fd)
            chunks = []
            while True:
                b = os.read(fd, 65536)
                if not b:
                    break
                chunks.append(b)
        finally:
            os.close(fd)
        data = b''.join(chunks)
        reads += 1
        ver = (st.st_ino, st.st_ctime_ns, st.st_mtime_ns, st.st_size)
        try:
            text = data.decode('utf-8')
            if want is None:
                d = parse(text)
                names = {s['name'] for s in d['samples']}
                if want_flows < 0:  # whatever the first whole file says
                    want_flows = sum(s['value'] for s in d['samples'] if s['name'] == 'tlsaudit_flows_total')
                complete(text, want_flows, names, len(d['samples']))
                want = (want_flows, names, len(d['samples']))
                # the check itself must reject a torn file: every proper
                # prefix cut at a line end, just before one, or mid-line
                cuts, start = set(), 0
                for k, c in enumerate(text):
                    if c == '\n':
                        cuts.update((k, k + 1, (start + k) // 2))
                        start = k + 1
                cuts = sorted(n for n in cuts if n < len(text))
                weak = [n for n in cuts if accepts(text[:n], *want)]
                selftest = {'cuts': len(cuts), 'accepted': weak[:5], 'bytes': len(text),
                            'flows': want_flows, 'samples': len(d['samples'])}
            else:
                complete(text, *want)
        except (Bad, UnicodeDecodeError) as e:
            bad += 1
            if first_bad is None:
                first_bad = {'error': str(e), 'size': len(data), 'tail': data[-200:].decode('latin-1')}
        if ver != last_ver:
            if last_ver is not None:
                versions += 1
            last_ver = ver
    with open(out, 'w') as f:
        json.dump({'reads': reads, 'versions': versions, 'bad': bad, 'first_bad': first_bad,
                   'selftest': selftest}, f)


if __name__ == '__main__':
    if sys.argv[1] == 'json':
        try:
            with open(sys.argv[2], 'rb') as f:
                d = parse(f.read().decode('utf-8'))
        except (Bad, OSError, UnicodeDecodeError) as e:
            print('%s: %s' % (sys.argv[2], e), file=sys.stderr)
            sys.exit(1)
        json.dump(d, sys.stdout)
    elif sys.argv[1] == 'reader':
        reader(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        sys.exit('usage: prom_expo.py json FILE | reader PATH FLOWS TARGET TIMEOUT OUT')
