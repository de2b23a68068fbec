// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* strbuf.c - bounded string building and output escaping. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include "output/strbuf.h"

void sb_init(struct strbuf *sb, char *buf, size_t cap)
{
	sb->buf = buf;
	sb->cap = cap;
	sb->len = 0;
	sb->overflow = 0;
	if (cap)
		buf[0] = '\0';
}

static void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	size_t room = sb->cap - sb->len;
	int n = vsnprintf(sb->buf + sb->len, room, fmt, ap);

	if (n < 0)
		return;
	if ((size_t)n >= room) {
		sb->overflow = 1;
		sb->len = sb->cap ? sb->cap - 1 : 0;
	} else {
		sb->len += n;
	}
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

void sb_putc(struct strbuf *sb, char c)
{
	if (sb->len + 1 >= sb->cap) {
		sb->overflow = 1;
		return;
	}
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

void sb_truncate(struct strbuf *sb, size_t len)
{
	if (len >= sb->cap)
		return;
	sb->len = len;
	sb->buf[len] = '\0';
	sb->overflow = 0;
}

size_t utf8_prefix_len(const void *s, size_t n, size_t max)
{
	const unsigned char *p = s;
	size_t back = 0;

	if (n <= max)
		return n;
	/* p[max] is the first byte left out: while it continues a sequence,
	 * the sequence started inside the prefix, so leave it out whole */
	while (back < 3 && back < max && (p[max - back] & 0xc0) == 0x80)
		back++;
	return max - back;
}

void sb_puts(struct strbuf *sb, const char *s)
{
	while (*s)
		sb_putc(sb, *s++);
}

size_t ta_field_len(const void *s, size_t max)
{
	const char *p = memchr(s, '\0', max);

	return p ? (size_t)(p - (const char *)s) : max;
}

int utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	int len, i;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The code point of a sequence utf8_seq_len() accepted. */
static unsigned int utf8_code_point(const unsigned char *s, int len)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned int cp = s[0] & lead_mask[len];
	int i;

	for (i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

/* Valid characters that must still not reach a reader raw: the C1 controls
 * (U+009B is a terminal CSI, U+009D an OSC), the line and paragraph
 * separators that end a line in JavaScript, and the bidirectional overrides
 * and isolates that make a name display as something else (CVE-2021-42574). */
static int json_must_escape(unsigned int cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

void sb_json_str(struct strbuf *sb, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i = 0;
	int l;

	sb_putc(sb, '"');
	while (i < n) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			sb_putc(sb, '\\');
			sb_putc(sb, c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			sb_printf(sb, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			sb_putc(sb, c);
			i++;
		} else if ((l = utf8_seq_len(p + i, n - i)) > 0) {
			unsigned int cp = utf8_code_point(p + i, l);

			if (json_must_escape(cp)) {
				sb_printf(sb, "\\u%04x", cp);
				i += l;
			} else {
				while (l--)
					sb_putc(sb, p[i++]);
			}
		} else {
			sb_puts(sb, "\\ufffd");
			i++;
		}
	}
	sb_putc(sb, '"');
}

void sb_term_str(struct strbuf *sb, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\')
			sb_puts(sb, "\\\\");
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			sb_putc(sb, p[i]);
		else
			sb_printf(sb, "\\x%02x", p[i]);
	}
}

int ta_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
