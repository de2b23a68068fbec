/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_classify.h - the first-bytes classifier.
 *
 * A pure function over a small bounded buffer, compiled into the BPF programs
 * and into the host unit tests and fuzzers alike, so what the tests prove is
 * exactly what the kernel runs. No helpers, no globals, no loops without a
 * constant bound (the verifier must see every bound).
 *
 * ta_classify() answers TA_V_PENDING when the bytes so far are a prefix of
 * something it could still recognise (a lone 5-byte TLS record header, "GE")
 * and the caller has not said the stream ended (final == 0). It never guesses.
 */
#ifndef TA_CLASSIFY_H
#define TA_CLASSIFY_H

#include "tlsaudit.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* While more bytes may come, fewer printable bytes than this do not yet make
 * a stream "text" (they may still become an HTTP method or a banner). */
#define TA_MIN_TEXT 4
/* Largest TLSPlaintext/TLSCompressed record: 2^14 + 2048. */
#define TA_TLS_MAX_RECORD (16384 + 2048)

enum ta_match {
	TA_NOMATCH = 0,
	TA_MATCH = 1,
	TA_PARTIAL = 2, /* the bytes are a strict prefix of the pattern */
};

/* Compare b[0..len) with a literal pattern. Always inlined with a constant
 * pattern, so the loop unrolls and the characters become immediates. */
static __always_inline int ta_match_lit(const __u8 *b, __u32 len, const char *pat, __u32 patlen)
{
	__u32 i;

	for (i = 0; i < TA_PEEK_LEN; i++) {
		if (i >= patlen)
			return TA_MATCH;
		if (i >= len)
			return TA_PARTIAL;
		if (b[i] != (__u8)pat[i])
			return TA_NOMATCH;
	}
	return patlen <= TA_PEEK_LEN ? TA_MATCH : TA_NOMATCH;
}

#define TA_LIT(b, len, s) ta_match_lit((b), (len), (s), sizeof(s) - 1)

static __always_inline int ta_is_text(__u8 c)
{
	return (c >= 0x20 && c <= 0x7e) || c == '\t' || c == '\r' || c == '\n';
}

/*
 * TLS record header (RFC 8446 5.1) followed by the handshake type:
 *   [0]=22 handshake, [1]=3, [2]=0..4 (SSL 3.0 .. TLS 1.3 legacy), [3..4]
 *   record length, [5]=1 ClientHello.
 * Each byte is checked as soon as it is present, so a bad header is refused
 * early and a good partial one waits.
 */
static __always_inline int ta_classify_tls(const __u8 *b, __u32 len, int final)
{
	__u32 rec_len;

	if (len >= 2 && b[1] != 3)
		return TA_V_UNKNOWN;
	if (len >= 3 && b[2] > 4)
		return TA_V_UNKNOWN;
	if (len >= 5) {
		rec_len = ((__u32)b[3] << 8) | b[4];
		/* RFC 8446 lets a ClientHello span several records, so the first
		 * record may be short; it may not be empty or oversized */
		if (rec_len == 0 || rec_len > TA_TLS_MAX_RECORD)
			return TA_V_UNKNOWN;
	}
	if (len < 6)
		return final ? TA_V_UNKNOWN : TA_V_PENDING;
	return b[5] == 1 ? TA_V_TLS : TA_V_UNKNOWN;
}

/*
 * SSLv2 CLIENT-HELLO, or the SSLv2-compatible hello old clients send
 * (RFC 6101 E.2, RFC 5246 E.2): 2-byte length with the top bit set,
 * msg_type 1, version 0x0002 or 0x0300..0x0303.
 */
static __always_inline int ta_classify_sslv2(const __u8 *b, __u32 len, int final)
{
	__u32 rec_len;

	if (len < 5)
		return final ? TA_V_UNKNOWN : TA_V_PENDING;
	rec_len = ((__u32)(b[0] & 0x7f) << 8) | b[1];
	if (rec_len < 9 || b[2] != 1)
		return TA_V_UNKNOWN;
	if ((b[3] == 0 && b[4] == 2) || (b[3] == 3 && b[4] <= 3))
		return TA_V_SSLV2;
	return TA_V_UNKNOWN;
}

/* Printable text: every byte seen is text, and there are enough of them. */
static __always_inline int ta_classify_text(const __u8 *b, __u32 len, int final)
{
	__u32 i;

	/* unrolled: Linux 6.1's verifier refuses this loop as clang shapes it
	 * (entered in the middle, closed by a fall-through) */
#pragma GCC unroll 16
	for (i = 0; i < TA_PEEK_LEN; i++) {
		if (i >= len)
			break;
		if (!ta_is_text(b[i]))
			return TA_V_UNKNOWN;
	}
	if (len < TA_MIN_TEXT && !final)
		return TA_V_PENDING;
	return TA_V_PLAINTEXT;
}

/* Fold one pattern result into the running answer: a full match wins, a
 * partial match means "wait" unless the stream is over. */
#define TA_TRY(res, verdict)                                                                       \
	do {                                                                                       \
		int __m = (res);                                                                   \
		if (__m == TA_MATCH)                                                               \
			return (verdict);                                                          \
		if (__m == TA_PARTIAL && !final)                                                   \
			partial = 1;                                                               \
	} while (0)

/* HTTP/1.x request line (RFC 9110 9.3 methods plus PATCH), the HTTP/2
 * prior-knowledge preface (RFC 9113 3.4), and the SSH banner (RFC 4253 4.2). */
static __always_inline int ta_classify_words(const __u8 *b, __u32 len, int final)
{
	int partial = 0;

	switch (b[0]) {
	case 'G':
		TA_TRY(TA_LIT(b, len, "GET "), TA_V_PLAINTEXT_HTTP);
		break;
	case 'H':
		TA_TRY(TA_LIT(b, len, "HEAD "), TA_V_PLAINTEXT_HTTP);
		break;
	case 'P':
		TA_TRY(TA_LIT(b, len, "POST "), TA_V_PLAINTEXT_HTTP);
		TA_TRY(TA_LIT(b, len, "PUT "), TA_V_PLAINTEXT_HTTP);
		TA_TRY(TA_LIT(b, len, "PATCH "), TA_V_PLAINTEXT_HTTP);
		TA_TRY(TA_LIT(b, len, "PRI * HTTP/2.0"), TA_V_PLAINTEXT_HTTP);
		break;
	case 'D':
		TA_TRY(TA_LIT(b, len, "DELETE "), TA_V_PLAINTEXT_HTTP);
		break;
	case 'C':
		TA_TRY(TA_LIT(b, len, "CONNECT "), TA_V_PLAINTEXT_HTTP);
		break;
	case 'O':
		TA_TRY(TA_LIT(b, len, "OPTIONS "), TA_V_PLAINTEXT_HTTP);
		break;
	case 'T':
		TA_TRY(TA_LIT(b, len, "TRACE "), TA_V_PLAINTEXT_HTTP);
		break;
	case 'S':
		TA_TRY(TA_LIT(b, len, "SSH-"), TA_V_SSH);
		break;
	default:
		break;
	}
	if (partial)
		return TA_V_PENDING;
	return ta_classify_text(b, len, final);
}

/*
 * Classify the first bytes a client sent on a stream.
 * b: the bytes, len: how many (only the first TA_PEEK_LEN are looked at),
 * final: non-zero when no more bytes will come (FIN/RST, or a datagram).
 * Returns an enum ta_verdict; TA_V_PENDING only when final == 0.
 */
static __always_inline int ta_classify(const __u8 *b, __u32 len, int final)
{
	if (len > TA_PEEK_LEN)
		len = TA_PEEK_LEN;
	if (len == 0)
		return final ? TA_V_UNKNOWN : TA_V_PENDING;
	if (b[0] == 0x16)
		return ta_classify_tls(b, len, final);
	if (b[0] & 0x80)
		return ta_classify_sslv2(b, len, final);
	return ta_classify_words(b, len, final);
}

/* QUIC versions (RFC 9000, RFC 9369, and the IETF drafts 0xff0000xx). */
#define TA_QUIC_V1 0x00000001u
#define TA_QUIC_V2 0x6b3343cfu

static __always_inline __u32 ta_quic_version(const __u8 *b)
{
	return ((__u32)b[1] << 24) | ((__u32)b[2] << 16) | ((__u32)b[3] << 8) | b[4];
}

/* A client's Initial rides in a UDP datagram of at least 1200 bytes (RFC 9000
 * 14.1): a shorter one is no QUIC connection a server would open. */
#define TA_QUIC_MIN_DATAGRAM 1200u

/*
 * Classify the first datagram a client sent on a UDP flow: its first len
 * bytes in b, of dgram_len in all. A QUIC long-header Initial (header form
 * and fixed bits set, Initial type for the version) in a datagram of
 * TA_QUIC_MIN_DATAGRAM bytes or more is "quic"; anything else falls back to
 * the stream rules with final set, since a datagram is complete in itself.
 */
static __always_inline int ta_classify_udp(const __u8 *b, __u32 len, __u32 dgram_len)
{
	__u32 ver;
	__u8 type;

	if (len > TA_PEEK_LEN)
		len = TA_PEEK_LEN;
	/* long header: form, fixed bit, version, DCID len, DCID ... */
	if (len >= 6 && (b[0] & 0xc0) == 0xc0 && dgram_len >= TA_QUIC_MIN_DATAGRAM) {
		ver = ta_quic_version(b);
		type = (b[0] >> 4) & 0x3;
		if ((ver == TA_QUIC_V1 || (ver & 0xffffff00u) == 0xff000000u) && type == 0)
			return TA_V_QUIC;
		if (ver == TA_QUIC_V2 && type == 1)
			return TA_V_QUIC;
	}
	return ta_classify(b, len, 1);
}

#endif /* TA_CLASSIFY_H */
