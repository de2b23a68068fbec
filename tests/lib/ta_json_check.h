/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_json_check.h - a strict RFC 8259 checker for the tests: one JSON value
 * and nothing after it, UTF-8 checked, no raw control character in a string,
 * only the escapes the RFC names. It answers valid or not, and where.
 */
#ifndef TA_JSON_CHECK_H
#define TA_JSON_CHECK_H

#include <stddef.h>
#include <string.h>

struct ta_jc {
	const unsigned char *p, *end;
	int depth;
};

static int ta_jc_value(struct ta_jc *c);

static void ta_jc_ws(struct ta_jc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int ta_jc_hex(unsigned char h)
{
	return (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
}

/* Length of a valid UTF-8 sequence at p (no overlongs, surrogates or
 * beyond U+10FFFF), 0 when invalid: written apart from strbuf.c's so the
 * test does not trust the code under test. */
static int ta_jc_utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned int cp;
	int len, i;

	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (end - p < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int ta_jc_string(struct ta_jc *c)
{
	if (c->p >= c->end || *c->p != '"')
		return -1;
	c->p++;
	while (c->p < c->end) {
		unsigned char ch = *c->p;
		int l;

		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch == '\\') {
			if (c->end - c->p < 2)
				return -1;
			ch = c->p[1];
			if (ch == 'u') {
				if (c->end - c->p < 6 || !ta_jc_hex(c->p[2]) ||
				    !ta_jc_hex(c->p[3]) || !ta_jc_hex(c->p[4]) ||
				    !ta_jc_hex(c->p[5]))
					return -1;
				c->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", ch) || !ch)
				return -1;
			c->p += 2;
			continue;
		}
		l = ta_jc_utf8(c->p, c->end);
		if (!l)
			return -1;
		c->p += l;
	}
	return -1;
}

static int ta_jc_number(struct ta_jc *c)
{
	const unsigned char *s = c->p;

	if (c->p < c->end && *c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (c->p < c->end && *c->p >= '1' && *c->p <= '9')
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	else
		return -1;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return -1;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (c->p >= c->end || *c->p < '0' || *c->p > '9')
			return -1;
		while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
			c->p++;
	}
	return c->p > s ? 0 : -1;
}

static int ta_jc_word(struct ta_jc *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
		return -1;
	c->p += n;
	return 0;
}

static int ta_jc_members(struct ta_jc *c, int object)
{
	char close = object ? '}' : ']';

	c->p++;
	if (++c->depth > 64)
		return -1;
	ta_jc_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		c->depth--;
		return 0;
	}
	for (;;) {
		ta_jc_ws(c);
		if (object) {
			if (ta_jc_string(c))
				return -1;
			ta_jc_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return -1;
			c->p++;
			ta_jc_ws(c);
		}
		if (ta_jc_value(c))
			return -1;
		ta_jc_ws(c);
		if (c->p >= c->end)
			return -1;
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p != close)
			return -1;
		c->p++;
		c->depth--;
		return 0;
	}
}

static int ta_jc_value(struct ta_jc *c)
{
	if (c->p >= c->end)
		return -1;
	switch (*c->p) {
	case '{':
		return ta_jc_members(c, 1);
	case '[':
		return ta_jc_members(c, 0);
	case '"':
		return ta_jc_string(c);
	case 't':
		return ta_jc_word(c, "true");
	case 'f':
		return ta_jc_word(c, "false");
	case 'n':
		return ta_jc_word(c, "null");
	default:
		return ta_jc_number(c);
	}
}

/* 0 when s[0..n) is exactly one JSON object; otherwise the offset + 1 of
 * the first byte the checker could not accept. */
static inline size_t ta_json_object_error(const char *s, size_t n)
{
	struct ta_jc c = { (const unsigned char *)s, (const unsigned char *)s + n, 0 };

	ta_jc_ws(&c);
	if (c.p >= c.end || *c.p != '{' || ta_jc_value(&c))
		return (size_t)(c.p - (const unsigned char *)s) + 1;
	ta_jc_ws(&c);
	if (c.p != c.end)
		return (size_t)(c.p - (const unsigned char *)s) + 1;
	return 0;
}

#endif
