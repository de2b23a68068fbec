/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * strbuf.h - a bounded, always-terminated string builder, and the escapers
 * every output format shares. Anything that came from the network or from a
 * process (comm, cgroup names, SNI) goes through an escaper before it is
 * printed: it can never close a JSON string, start a new line, or move the
 * terminal cursor.
 */
#ifndef TA_STRBUF_H
#define TA_STRBUF_H

#include <stddef.h>
#include <stdarg.h>

struct strbuf {
	char *buf;
	size_t cap;
	size_t len;
	int overflow; /* set once anything was cut */
};

void sb_init(struct strbuf *sb, char *buf, size_t cap);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_putc(struct strbuf *sb, char c);
void sb_puts(struct strbuf *sb, const char *s);
/* Back to the first len bytes, overflow cleared: a renderer's second try. */
void sb_truncate(struct strbuf *sb, size_t len);
/* The longest prefix of s[0..n) of at most max bytes that does not end
 * inside a UTF-8 sequence. */
size_t utf8_prefix_len(const void *s, size_t n, size_t max);
/* A JSON string literal, quotes included. Invalid UTF-8 becomes U+FFFD;
 * C0 and C1 controls, DEL, U+2028/U+2029, the bidirectional overrides and
 * isolates and U+FEFF become \uXXXX, so neither a terminal nor a reader's
 * eye can be fooled by what a peer sent. */
void sb_json_str(struct strbuf *sb, const void *s, size_t n);
/* Printable ASCII for a terminal; everything else as \xNN, backslash doubled. */
void sb_term_str(struct strbuf *sb, const void *s, size_t n);
/* strnlen for fixed-size byte fields from the kernel */
size_t ta_field_len(const void *s, size_t max);
/* Length of a valid UTF-8 sequence at s (1..4), or 0 if invalid. */
int utf8_seq_len(const unsigned char *s, size_t n);
/* Write all n bytes to fd, through short writes and EINTR; 0 or -errno.
 * Only write(): safe in a signal handler. */
int ta_write_all(int fd, const void *p, size_t n);

#endif
