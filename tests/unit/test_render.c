// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_render.c - every flow line the sinks print is one valid JSON object,
 * whatever the network and the processes put in its fields, and no text line
 * carries a byte that a terminal would act on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flow/record.h"
#include "output/lines.h"
#include "output/sink.h"
#include "output/strbuf.h"
#include "tls/hello.h"
#include "ta_json_check.h"
#include "ta_test.h"

static unsigned long long rng_state = 0x9e3779b97f4a7c15ull;

static unsigned int rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned int)(rng_state >> 11);
}

/* Bytes a hostile peer or process would choose: controls, C1 in UTF-8, bidi
 * overrides, broken sequences, quotes and backslashes, and plain text. */
static void hostile_bytes(char *out, size_t n)
{
	static const char *const pieces[] = { "\xc2\x9b",
					      "\xc2\x9d",
					      "\xe2\x80\xae",
					      "\xe2\x80\xa8",
					      "\xe2\x81\xa6",
					      "\xef\xbb\xbf",
					      "\x1b[2J",
					      "\"",
					      "\\",
					      "\n",
					      "\xc3",
					      "\xed\xa0\x80",
					      "\xf4\x90\x80\x80",
					      "a",
					      "\xe2\x82\xac",
					      "\x7f",
					      "\xff" };
	size_t i = 0;

	while (i + 4 < n) {
		const char *p;
		size_t l;

		if (rnd() % 3) {
			p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
			l = strlen(p);
			memcpy(out + i, p, l);
			i += l;
		} else {
			out[i++] = (char)(rnd() % 255 + 1);
		}
	}
	out[i] = '\0';
}

struct rendered {
	char *buf;
	size_t len;
};

/* What the real line sink prints for one record: one sink of each kind,
 * writing into a fixed buffer rewound before every record. */
static char sink_out[2][256 * 1024];
static FILE *sink_file[2];
static struct ta_sink *sinks[2];

static struct rendered render_sink(const struct ta_flow_record *r, int json)
{
	struct rendered out;
	long len;

	if (!sinks[json]) {
		sink_file[json] = fmemopen(sink_out[json], sizeof(sink_out[json]), "w");
		if (!sink_file[json] || !(sinks[json] = ta_lines_sink(sink_file[json], json)))
			abort();
	}
	rewind(sink_file[json]);
	sinks[json]->ops->flow(sinks[json], r);
	len = ftell(sink_file[json]);
	out.buf = sink_out[json];
	out.len = len > 0 ? (size_t)len : 0;
	return out;
}

static int has_raw_c1_or_bidi(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		unsigned char a = (unsigned char)s[i], b = (unsigned char)s[i + 1];

		if (a == 0xc2 && b >= 0x80 && b <= 0x9f)
			return 1;
		if (i + 2 < n && a == 0xe2 && b == 0x80 && (unsigned char)s[i + 2] >= 0xa8 &&
		    (unsigned char)s[i + 2] <= 0xae)
			return 1;
		if (i + 2 < n && a == 0xe2 && b == 0x81 && (unsigned char)s[i + 2] >= 0xa6 &&
		    (unsigned char)s[i + 2] <= 0xa9)
			return 1;
	}
	return 0;
}

/* One line, newline-terminated, a valid object, nothing a terminal acts on. */
static int check_json_line(const struct rendered *o, char *why, size_t n)
{
	size_t err;

	if (!o->len || o->buf[o->len - 1] != '\n' || memchr(o->buf, '\n', o->len - 1)) {
		snprintf(why, n, "not exactly one line (%zu bytes)", o->len);
		return -1;
	}
	err = ta_json_object_error(o->buf, o->len - 1);
	if (err) {
		snprintf(why, n, "invalid JSON at byte %zu of %zu: ...%.40s", err - 1, o->len,
			 o->buf + (err > 20 ? err - 20 : 0));
		return -1;
	}
	if (has_raw_c1_or_bidi(o->buf, o->len)) {
		snprintf(why, n, "a raw C1 control or bidi override reached the line");
		return -1;
	}
	return 0;
}

static int check_text_line(const struct rendered *o, char *why, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < o->len; i++) {
		unsigned char c = (unsigned char)o->buf[i];

		if (c < 0x20 || c >= 0x7f) {
			snprintf(why, n, "byte 0x%02x at %zu of a text line", c, i);
			return -1;
		}
	}
	return 0;
}

static void base_record(struct ta_flow_record *r)
{
	memset(r, 0, sizeof(*r));
	r->ev.verdict = TA_V_TLS;
	r->ev.key.family = TA_AF_INET;
	r->ev.key.l4proto = 6;
	r->ev.key.client_port = 40000;
	r->ev.key.server_port = 443;
	r->ev.has_owner = 1;
	r->ev.owner.tgid = 42;
	memcpy(r->ev.owner.comm, "curl", 4);
	r->role = TA_ROLE_CLIENT;
}

static void test_c1_escaped(void)
{
	struct ta_flow_record r;
	struct ta_client_hello ch;
	struct rendered o;
	char why[160];

	ta_case_begin("a C1 control, a bidi override or U+2028 from a peer or a process is "
		      "escaped in JSON");
	base_record(&r);
	memset(&ch, 0, sizeof(ch));
	memcpy(r.ev.owner.comm,
	       "x\xc2\x9b"
	       "31m",
	       6);
	r.exe = "/tmp/\xe2\x80\xae"
		"txt.exe";
	memcpy(ch.sni,
	       "a\xc2\x9d"
	       "0;pwned\x07.test\xe2\x80\xa8",
	       19);
	ch.sni_len = 19;
	r.tls = 1;
	r.ch = &ch;
	o = render_sink(&r, 1);
	TA_CHECK(!check_json_line(&o, why, sizeof(why)), "%s", why);
	TA_CHECK(strstr(o.buf, "\"comm\":\"x\\u009b31m\"") != NULL, "comm not escaped: %s", o.buf);
	TA_CHECK(strstr(o.buf, "\\u202etxt.exe") != NULL, "exe not escaped: %s", o.buf);
	TA_CHECK(strstr(o.buf, "a\\u009d0;pwned\\u0007.test\\u2028") != NULL, "sni not escaped: %s",
		 o.buf);
	ta_case_end();
}

/* The line: a 4 KiB exe of control bytes, as long a cgroup path,
 * and a ClientHello with 16 ALPN names of 255 bytes. */
static void test_longest_line(void)
{
	static char exe[4097], cg[4097];
	struct ta_flow_record r;
	static struct ta_client_hello ch;
	struct rendered o;
	char why[160];
	int i;

	ta_case_begin("a record longer than the line buffer prints as one valid JSON line that "
		      "names what it cut");
	base_record(&r);
	memset(exe, 0x01, 4096);
	memset(cg, 0x02, 4096);
	r.exe = exe;
	r.cgroup_path = cg;
	r.container = cg;
	r.pod = exe;
	memset(&ch, 0, sizeof(ch));
	ch.n_alpn = TA_TLS_ALPN_MAX;
	for (i = 0; i < TA_TLS_ALPN_MAX; i++) {
		ch.alpn[i].len = 255;
		memset(ch.alpn[i].name, 0x03, 255);
	}
	r.tls = 1;
	r.ch = &ch;
	o = render_sink(&r, 1);
	TA_CHECK(!check_json_line(&o, why, sizeof(why)), "%s", why);
	TA_CHECK(strstr(o.buf, "\"truncated_fields\":[\"cgroup\",\"exe\",\"container\",\"pod\"]") !=
			 NULL,
		 "no truncated_fields naming the cut fields: %.200s", o.buf);
	TA_CHECK(strstr(o.buf, "\"alpn\":[") != NULL,
		 "the tls object was dropped although it fits");
	ta_case_end();
}

static void random_record(struct ta_flow_record *r, struct ta_client_hello *ch,
			  struct ta_owner *peer, char fields[6][2048])
{
	int i;

	base_record(r);
	r->ev.verdict = (__u8)(rnd() % (TA_V_MAX + 2));
	r->ev.flags = rnd();
	r->role = rnd() % 5;
	r->ev.owner.tgid = rnd();
	for (i = 0; i < TA_COMM_LEN; i++)
		r->ev.owner.comm[i] = (__u8)rnd();
	for (i = 0; i < 6; i++)
		hostile_bytes(fields[i], 1 + rnd() % (i < 2 && rnd() % 32 == 0 ? 2048 : 64));
	r->iface = rnd() % 2 ? fields[2] : NULL;
	r->cgroup_path = rnd() % 2 ? fields[0] : NULL;
	r->exe = rnd() % 2 ? fields[1] : NULL;
	r->container = rnd() % 2 ? fields[3] : NULL;
	r->pod = rnd() % 4 ? NULL : fields[4];
	r->reason = rnd() % 4 ? NULL : "no_client_hello";
	if (rnd() % 3 == 0) {
		memset(peer, 0, sizeof(*peer));
		for (i = 0; i < TA_COMM_LEN; i++)
			peer->comm[i] = (__u8)rnd();
		peer->role = rnd() % 4;
		r->peer = peer;
	}
	r->tls = rnd() % 2;
	if (r->tls) {
		memset(ch, 0, sizeof(*ch));
		ch->sni_len = rnd() % TA_TLS_SNI_MAX;
		for (i = 0; i < ch->sni_len; i++)
			ch->sni[i] = (char)rnd();
		ch->n_alpn = rnd() % (TA_TLS_ALPN_MAX + 1);
		for (i = 0; i < ch->n_alpn; i++) {
			ch->alpn[i].len = rnd() % 256;
			memcpy(ch->alpn[i].name, fields[5],
			       ch->alpn[i].len < 60 ? ch->alpn[i].len : 60);
		}
		ch->n_ciphers = rnd() % 8;
		for (i = 0; i < ch->n_ciphers; i++)
			ch->ciphers[i] = (uint16_t)rnd();
		ch->n_versions = rnd() % 4;
		for (i = 0; i < ch->n_versions; i++)
			ch->versions[i] = (uint16_t)rnd();
		r->ch = rnd() % 8 ? ch : NULL;
	}
}

static void test_random_records(void)
{
	static char fields[6][2048];
	static struct ta_client_hello ch;
	struct ta_flow_record r;
	struct ta_owner peer;
	const char *env = getenv("TA_RENDER_RECORDS");
	long n = env ? atol(env) : 1000000, i;
	char why[160];

	ta_case_begin("random hostile records through the line sink: every JSON line is valid, "
		      "every text line is printable ASCII");
	for (i = 0; i < n && !ta_case_failed; i++) {
		struct rendered o;

		random_record(&r, &ch, &peer, fields);
		o = render_sink(&r, i & 1 ? 0 : 1);
		if (i & 1)
			TA_CHECK(!check_text_line(&o, why, sizeof(why)), "record %ld: %s", i, why);
		else
			TA_CHECK(!check_json_line(&o, why, sizeof(why)), "record %ld: %s", i, why);
	}
	printf("# %ld records rendered\n", i);
	ta_case_end();
}

int main(void)
{
	test_c1_escaped();
	test_longest_line();
	test_random_records();
	return ta_test_failed ? 1 : 0;
}
