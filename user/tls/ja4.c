// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ja4.c - the JA4 TLS client fingerprint (FoxIO JA4.md) of a parsed
 * ClientHello, and its raw (un-hashed) form.
 */
#include <string.h>

#include "tls/hello.h"
#include "tls/ja4.h"
#include "tls/sha256.h"

/* ---- JA4 (FoxIO JA4.md, TLS client fingerprint) ---- */

/* Writes to a bounded buffer and/or a running hash, counting every byte so
 * the raw form can report its full length. */
struct sink {
	char *out;
	size_t cap;
	size_t n;
	struct ta_sha256 *sha;
};

static void sink_put(struct sink *s, const char *p, size_t n)
{
	size_t i;

	if (s->sha)
		ta_sha256_update(s->sha, p, n);
	for (i = 0; i < n; i++, s->n++)
		if (s->out && s->n + 1 < s->cap)
			s->out[s->n] = p[i];
	if (s->out && s->cap)
		s->out[s->n < s->cap ? s->n : s->cap - 1] = '\0';
}

static void sink_hex16(struct sink *s, uint16_t v)
{
	static const char hx[] = "0123456789abcdef";
	char b[4] = { hx[v >> 12], hx[(v >> 8) & 15], hx[(v >> 4) & 15], hx[v & 15] };

	sink_put(s, b, 4);
}

static void sink_list(struct sink *s, const uint16_t *v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i)
			sink_put(s, ",", 1);
		sink_hex16(s, v[i]);
	}
}

static void sort_u16(uint16_t *v, unsigned int n)
{
	unsigned int i, j;

	/* at most a few hundred entries: insertion sort is plenty */
	for (i = 1; i < n; i++) {
		uint16_t x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The 10-character JA4_a section. */
static void ja4_a(const struct ta_client_hello *ch, int quic, char a[11])
{
	static const char hx[] = "0123456789abcdef";
	const char *ver;
	unsigned int nc = ch->n_ciphers > 99 ? 99 : ch->n_ciphers;
	unsigned int ne = ch->n_exts > 99 ? 99 : ch->n_exts;
	char first = '0', last = '0';

	switch (ta_tls_highest_offered(ch)) {
	case 0x0304:
		ver = "13";
		break;
	case 0x0303:
		ver = "12";
		break;
	case 0x0302:
		ver = "11";
		break;
	case 0x0301:
		ver = "10";
		break;
	case 0x0300:
		ver = "s3";
		break;
	case 0x0002:
		ver = "s2";
		break;
	case 0xfeff:
		ver = "d1";
		break;
	case 0xfefd:
		ver = "d2";
		break;
	case 0xfefc:
		ver = "d3";
		break;
	default:
		ver = "00";
		break;
	}
	if (ch->n_alpn && ch->alpn[0].len) {
		const struct ta_tls_alpn *p = &ch->alpn[0];
		uint8_t f = p->name[0], l = p->name[p->len - 1];

		/* JA4.md: the first and last characters when both are
		 * alphanumeric, else the first and last hex digits of the value */
		if (alnum(f) && alnum(l)) {
			first = (char)f;
			last = (char)l;
		} else {
			first = hx[f >> 4];
			last = hx[l & 15];
		}
	}
	a[0] = quic ? 'q' : 't';
	a[1] = ver[0];
	a[2] = ver[1];
	a[3] = ch->sni_present ? 'd' : 'i';
	a[4] = (char)('0' + nc / 10);
	a[5] = (char)('0' + nc % 10);
	a[6] = (char)('0' + ne / 10);
	a[7] = (char)('0' + ne % 10);
	a[8] = first;
	a[9] = last;
	a[10] = '\0';
}

/* JA4_b input: cipher suites, sorted. */
static void ja4_b(const struct ta_client_hello *ch, struct sink *s)
{
	uint16_t v[TA_TLS_MAX_CIPHERS];
	unsigned int n = ch->n_ciphers;

	memcpy(v, ch->ciphers, n * sizeof(v[0]));
	sort_u16(v, n);
	sink_list(s, v, n);
}

/* JA4_c input: extensions sorted, without SNI and ALPN (section a has them),
 * then "_" and the signature algorithms in wire order when there are any.
 * Returns how many extensions went in. */
static unsigned int ja4_c(const struct ta_client_hello *ch, struct sink *s)
{
	uint16_t v[TA_TLS_MAX_EXTS];
	unsigned int i, n = 0;

	for (i = 0; i < ch->n_exts; i++)
		if (ch->exts[i] != TA_TLS_EXT_SERVER_NAME && ch->exts[i] != TA_TLS_EXT_ALPN)
			v[n++] = ch->exts[i];
	sort_u16(v, n);
	sink_list(s, v, n);
	if (ch->n_sigalgs) {
		sink_put(s, "_", 1);
		sink_list(s, ch->sigalgs, ch->n_sigalgs);
	}
	return n;
}

static void hash12(struct ta_sha256 *c, char *out)
{
	static const char hx[] = "0123456789abcdef";
	uint8_t d[TA_SHA256_LEN];
	int i;

	ta_sha256_final(c, d);
	for (i = 0; i < 6; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
}

void ta_ja4(const struct ta_client_hello *ch, int quic, char out[64])
{
	struct ta_sha256 c;
	struct sink s = { 0 };
	char a[11];

	ja4_a(ch, quic, a);
	memcpy(out, a, 10);
	out[10] = '_';
	/* "000000000000" marks an empty list rather than the hash of nothing */
	memset(out + 11, '0', 12);
	out[23] = '_';
	memset(out + 24, '0', 12);
	out[36] = '\0';

	if (ch->n_ciphers) {
		ta_sha256_init(&c);
		s.sha = &c;
		ja4_b(ch, &s);
		hash12(&c, out + 11);
	}
	ta_sha256_init(&c);
	s.sha = &c;
	if (ja4_c(ch, &s))
		hash12(&c, out + 24);
}

size_t ta_ja4_raw(const struct ta_client_hello *ch, int quic, char *out, size_t cap)
{
	struct sink s = { .out = out, .cap = cap };
	char a[11];

	if (out && cap)
		out[0] = '\0';
	ja4_a(ch, quic, a);
	sink_put(&s, a, 10);
	sink_put(&s, "_", 1);
	ja4_b(ch, &s);
	sink_put(&s, "_", 1);
	ja4_c(ch, &s);
	return s.n;
}
