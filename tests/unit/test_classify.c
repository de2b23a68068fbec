// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_classify.c - unit tests for the first-bytes classifier (ta_classify.h),
 * the same code the BPF programs run.
 *
 * Real ClientHello/ServerHello records come from tests/fixtures/tls (captured
 * by tests/fixtures/capture.sh); the rest are hand-built byte strings and a
 * fixed-seed pseudo-random sweep. Run from the repository root, or set
 * FIXTURE_DIR at build time.
 */
#include <stdint.h>
#include <string.h>

#include "ta_classify.h"
#include "ta_test.h"

#ifndef FIXTURE_DIR
#define FIXTURE_DIR "tests/fixtures/tls"
#endif

#define FIXTURE_MAX 65536

static const char *const fixture_names[] = {
	"curl-tls12", "curl-tls13", "openssl-tls12", "openssl-tls13", "python", "gnutls",
};
#define N_FIXTURES (sizeof(fixture_names) / sizeof(fixture_names[0]))

static const char *vname(int v)
{
	static const char *const names[] = {
		[TA_V_PENDING] = "PENDING",
		[TA_V_TLS] = "TLS",
		[TA_V_PLAINTEXT_HTTP] = "PLAINTEXT_HTTP",
		[TA_V_PLAINTEXT] = "PLAINTEXT",
		[TA_V_SSH] = "SSH",
		[TA_V_QUIC] = "QUIC",
		[TA_V_UNKNOWN] = "UNKNOWN",
		[TA_V_MIDSTREAM] = "MIDSTREAM",
		[TA_V_SSLV2] = "SSLV2",
	};

	if (v < 0 || v >= TA_V_MAX)
		return "<out of range>";
	return names[v];
}

/* ta_classify(b, len, final) must be want. */
#define EXPECT(...) EXPECT_(__VA_ARGS__)
#define EXPECT_(label, b, len, final, want)                                                        \
	do {                                                                                       \
		int __got = ta_classify((const __u8 *)(b), (len), (final));                        \
		TA_CHECK(__got == (want), "%s: ta_classify(len=%u, final=%d) = %s, want %s",       \
			 (label), (unsigned)(len), (final), vname(__got), vname(want));            \
	} while (0)

/* The same answer whether or not the stream has ended. */
#define EXPECT_BOTH(...) EXPECT_BOTH_(__VA_ARGS__)
#define EXPECT_BOTH_(label, b, len, want)                                                          \
	do {                                                                                       \
		EXPECT(label, b, len, 0, want);                                                    \
		EXPECT(label, b, len, 1, want);                                                    \
	} while (0)

/* EXPECT_UDP: the bytes in a datagram of the QUIC minimum; _IN: of dgram bytes */
#define EXPECT_UDP(...) EXPECT_UDP_IN_(__VA_ARGS__, TA_QUIC_MIN_DATAGRAM)
#define EXPECT_UDP_IN(...) EXPECT_UDP_IN_(__VA_ARGS__)
#define EXPECT_UDP_IN_(label, b, len, want, dgram)                                                 \
	do {                                                                                       \
		int __got = ta_classify_udp((const __u8 *)(b), (len), (dgram));                    \
		TA_CHECK(__got == (want), "%s: ta_classify_udp(len=%u, dgram %u) = %s, want %s",   \
			 (label), (unsigned)(len), (unsigned)(dgram), vname(__got), vname(want));  \
	} while (0)

/* A C string literal without its NUL, as the (b, len) pair of the EXPECT
 * macros; those take __VA_ARGS__ first so that the comma expands in time. */
#define S(lit) (const __u8 *)(lit), (__u32)(sizeof(lit) - 1)

/* Load FIXTURE_DIR/<name>.<kind>.bin; returns its size, or -1 (and fails the
 * current case) when it cannot be read. */
static long load_fixture(const char *name, const char *kind, __u8 *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.%s.bin", FIXTURE_DIR, name, kind);
	f = fopen(path, "rb");
	if (!f) {
		TA_CHECK(0, "cannot open %s (run from the repository root)", path);
		return -1;
	}
	n = fread(buf, 1, cap, f);
	TA_CHECK(!ferror(f), "read error on %s", path);
	TA_CHECK(feof(f), "%s is larger than %zu bytes", path, cap);
	fclose(f);
	return (long)n;
}

static void test_fixture_clienthello(const char *name)
{
	static __u8 buf[FIXTURE_MAX];
	char cname[128];
	long n;
	__u32 i;

	snprintf(cname, sizeof(cname), "fixture %s clienthello", name);
	ta_case_begin(cname);
	n = load_fixture(name, "clienthello", buf, sizeof(buf));
	if (n >= 0) {
		/* sanity: the file is one handshake record holding a ClientHello */
		TA_CHECK(n >= 6 && buf[0] == 0x16 && buf[5] == 1, "%s is not a ClientHello record",
			 name);
		TA_CHECK(n == 5 + ((buf[3] << 8) | buf[4]), "%s: %ld bytes, record says %u", name,
			 n, 5u + ((buf[3] << 8) | buf[4]));

		EXPECT_BOTH("whole record", buf, (__u32)n, TA_V_TLS);
		EXPECT_BOTH("first 6 bytes", buf, 6, TA_V_TLS);
		EXPECT_BOTH("first 16 bytes", buf, TA_PEEK_LEN, TA_V_TLS);
		EXPECT("record header only", buf, 5, 0, TA_V_PENDING);
		EXPECT("record header only", buf, 5, 1, TA_V_UNKNOWN);
		/* every shorter prefix is still worth waiting for, never more */
		for (i = 1; i < 5; i++) {
			EXPECT("header prefix", buf, i, 0, TA_V_PENDING);
			EXPECT("header prefix", buf, i, 1, TA_V_UNKNOWN);
		}
		for (i = 6; i <= (__u32)n; i++)
			EXPECT("longer prefix", buf, i, 0, TA_V_TLS);
	}
	ta_case_end();
}

static void test_fixture_serverhello(const char *name)
{
	static __u8 buf[FIXTURE_MAX];
	char cname[128];
	long n;

	snprintf(cname, sizeof(cname), "fixture %s serverhello is not a client hello", name);
	ta_case_begin(cname);
	n = load_fixture(name, "serverhello", buf, sizeof(buf));
	if (n >= 0) {
		TA_CHECK(n >= 6 && buf[0] == 0x16 && buf[5] == 2, "%s is not a ServerHello record",
			 name);
		EXPECT_BOTH("whole record", buf, (__u32)n, TA_V_UNKNOWN);
		EXPECT_BOTH("first 6 bytes", buf, 6, TA_V_UNKNOWN);
		/* a lone record header cannot tell a ServerHello from a ClientHello */
		EXPECT("record header only", buf, 5, 0, TA_V_PENDING);
		EXPECT("record header only", buf, 5, 1, TA_V_UNKNOWN);
	}
	ta_case_end();
}

static const char *const http_requests[] = {
	"GET / HTTP/1.1\r\n",	  "HEAD / HTTP/1.1\r\n",   "POST / HTTP/1.1\r\n",
	"PUT / HTTP/1.1\r\n",	  "DELETE / HTTP/1.1\r\n", "CONNECT x:443 HTTP/1.1\r\n",
	"OPTIONS * HTTP/1.1\r\n", "TRACE / HTTP/1.1\r\n",  "PATCH / HTTP/1.1\r\n",
};
#define N_HTTP (sizeof(http_requests) / sizeof(http_requests[0]))

static void test_http_methods(void)
{
	/* exactly the strings of the brief, and full request lines */
	static const char *const short_forms[] = {
		"GET /",     "HEAD /",	  "POST /",  "PUT /",	"DELETE /",
		"CONNECT x", "OPTIONS *", "TRACE /", "PATCH /",
	};
	size_t i;

	ta_case_begin("http methods are plaintext-http");
	for (i = 0; i < sizeof(short_forms) / sizeof(short_forms[0]); i++)
		EXPECT_BOTH(short_forms[i], short_forms[i], (__u32)strlen(short_forms[i]),
			    TA_V_PLAINTEXT_HTTP);
	for (i = 0; i < N_HTTP; i++)
		EXPECT_BOTH(http_requests[i], http_requests[i], (__u32)strlen(http_requests[i]),
			    TA_V_PLAINTEXT_HTTP);
	ta_case_end();
}

/*
 * A strict prefix of a method word ("GE", "DELET", "CONNECT") waits while the
 * stream is open. Once it has ended the classifier calls it PLAINTEXT: every
 * byte is printable, and with final set ta_classify_text() accepts any length,
 * even below TA_MIN_TEXT: that constant only delays the decision while more
 * bytes may come, it does not stop a short ended stream from being text.
 */
static void test_http_prefixes(void)
{
	size_t i;
	__u32 n, wlen;

	ta_case_begin("http method prefixes wait, then are plaintext");
	EXPECT("GE", S("GE"), 0, TA_V_PENDING);
	EXPECT("GE", S("GE"), 1, TA_V_PLAINTEXT);
	for (i = 0; i < N_HTTP; i++) {
		const char *r = http_requests[i];

		wlen = (__u32)(strchr(r, ' ') - r) + 1; /* method and its space */
		for (n = 1; n < wlen; n++) {
			EXPECT(r, r, n, 0, TA_V_PENDING);
			EXPECT(r, r, n, 1, TA_V_PLAINTEXT);
		}
		EXPECT_BOTH(r, r, wlen, TA_V_PLAINTEXT_HTTP);
	}
	ta_case_end();
}

static void test_http_near_misses(void)
{
	ta_case_begin("http near misses are plain text");
	/* methods are case-sensitive (RFC 9110 9.1) and need their space */
	EXPECT_BOTH("get /", S("get / HTTP/1.1\r\n"), TA_V_PLAINTEXT);
	EXPECT_BOTH("GET/", S("GET/ HTTP/1.1\r\n"), TA_V_PLAINTEXT);
	EXPECT_BOTH("GETS", S("GETS / HTTP/1.1\r\n"), TA_V_PLAINTEXT);
	EXPECT_BOTH("Hello", S("Hello there"), TA_V_PLAINTEXT);
	EXPECT_BOTH("PING", S("PING\r\n"), TA_V_PLAINTEXT);
	EXPECT_BOTH("PRIVMSG", S("PRIVMSG #c :hi\r\n"), TA_V_PLAINTEXT);
	EXPECT_BOTH("PRI * HTTP/1.1", S("PRI * HTTP/1.1\r\n"), TA_V_PLAINTEXT);
	/* a method word, then a non-text byte: not text either */
	EXPECT_BOTH("GETX\\0", S("GETX\0\0\0"), TA_V_UNKNOWN);
	ta_case_end();
}

static void test_h2c_preface(void)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	__u32 n;

	ta_case_begin("h2c prior-knowledge preface");
	EXPECT_BOTH("preface", S(preface), TA_V_PLAINTEXT_HTTP);
	EXPECT("10-byte prefix", preface, 10, 0, TA_V_PENDING);
	EXPECT("10-byte prefix", preface, 10, 1, TA_V_PLAINTEXT);
	/* "PRI * HTTP/2.0" is 14 bytes: every shorter prefix waits */
	for (n = 1; n < 14; n++)
		EXPECT("preface prefix", preface, n, 0, TA_V_PENDING);
	EXPECT_BOTH("14-byte prefix", preface, 14, TA_V_PLAINTEXT_HTTP);
	ta_case_end();
}

static void test_ssh(void)
{
	ta_case_begin("ssh banner");
	EXPECT_BOTH("banner", S("SSH-2.0-OpenSSH_9.2"), TA_V_SSH);
	EXPECT_BOTH("banner crlf", S("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), TA_V_SSH);
	EXPECT_BOTH("SSH-", S("SSH-"), TA_V_SSH);
	EXPECT("SSH", S("SSH"), 0, TA_V_PENDING);
	EXPECT("SSH", S("SSH"), 1, TA_V_PLAINTEXT);
	EXPECT_BOTH("SSH2", S("SSH2"), TA_V_PLAINTEXT);
	EXPECT_BOTH("ssh-", S("ssh-2.0-x"), TA_V_PLAINTEXT);
	ta_case_end();
}

static void test_text(void)
{
	ta_case_begin("plain text protocols");
	EXPECT_BOTH("EHLO", S("EHLO example\r\n"), TA_V_PLAINTEXT);
	EXPECT_BOTH("hello", S("hello"), TA_V_PLAINTEXT);
	EXPECT_BOTH("USER", S("USER anonymous\r\n"), TA_V_PLAINTEXT);
	EXPECT_BOTH("tabs", S("\tkey\tvalue\n"), TA_V_PLAINTEXT);
	/* exactly TA_MIN_TEXT printable bytes are enough to decide */
	EXPECT_BOTH("abcd", S("abcd"), TA_V_PLAINTEXT);
	EXPECT("abc", S("abc"), 0, TA_V_PENDING);
	EXPECT("abc", S("abc"), 1, TA_V_PLAINTEXT);
	/* one non-text byte anywhere in the first TA_PEEK_LEN spoils it */
	EXPECT_BOTH("NUL at 3", S("abc\0defgh"), TA_V_UNKNOWN);
	EXPECT_BOTH("DEL at 15", S("abcdefghijklmno\x7f"), TA_V_UNKNOWN);
	EXPECT_BOTH("ESC at 0", S("\x1b[0m"), TA_V_UNKNOWN);
	/* ... but bytes past TA_PEEK_LEN are not looked at */
	EXPECT_BOTH("NUL at 16", S("abcdefghijklmnop\0"), TA_V_PLAINTEXT);
	/* UTF-8 text has the top bit set: it is not taken for ASCII text */
	EXPECT("utf-8", S("\xc3\xa9t\xc3\xa9 text"), 1, TA_V_UNKNOWN);
	ta_case_end();
}

static void test_short_inputs(void)
{
	static const __u8 dummy[1] = { 0 };

	ta_case_begin("empty, 1-byte and 4-byte inputs");
	EXPECT("empty", dummy, 0, 0, TA_V_PENDING);
	EXPECT("empty", dummy, 0, 1, TA_V_UNKNOWN);
	EXPECT("empty NULL", NULL, 0, 0, TA_V_PENDING);
	EXPECT("empty NULL", NULL, 0, 1, TA_V_UNKNOWN);

	EXPECT("x", S("x"), 0, TA_V_PENDING);
	EXPECT("x", S("x"), 1, TA_V_PLAINTEXT);
	EXPECT("G", S("G"), 0, TA_V_PENDING);
	EXPECT("G", S("G"), 1, TA_V_PLAINTEXT);
	EXPECT("\\n", S("\n"), 1, TA_V_PLAINTEXT);
	EXPECT_BOTH("\\0", S("\0"), TA_V_UNKNOWN);
	EXPECT_BOTH("\\x01", S("\x01"), TA_V_UNKNOWN);
	EXPECT("0x16", S("\x16"), 0, TA_V_PENDING);
	EXPECT("0x16", S("\x16"), 1, TA_V_UNKNOWN);
	EXPECT("0x80", S("\x80"), 0, TA_V_PENDING);
	EXPECT("0x80", S("\x80"), 1, TA_V_UNKNOWN);
	EXPECT("0xff", S("\xff"), 0, TA_V_PENDING);
	EXPECT("0xff", S("\xff"), 1, TA_V_UNKNOWN);

	EXPECT_BOTH("GET ", S("GET "), TA_V_PLAINTEXT_HTTP);
	EXPECT_BOTH("SSH-", S("SSH-"), TA_V_SSH);
	EXPECT_BOTH("wxyz", S("wxyz"), TA_V_PLAINTEXT);
	EXPECT("PUT", S("PUT"), 0, TA_V_PENDING);
	EXPECT("POST", S("POST"), 0, TA_V_PENDING);
	EXPECT("POST", S("POST"), 1, TA_V_PLAINTEXT);
	EXPECT("TLS 4", S("\x16\x03\x01\x00"), 0, TA_V_PENDING);
	EXPECT("TLS 4", S("\x16\x03\x01\x00"), 1, TA_V_UNKNOWN);
	EXPECT("SSLv2 4", S("\x80\x2e\x01\x03"), 0, TA_V_PENDING);
	EXPECT("SSLv2 4", S("\x80\x2e\x01\x03"), 1, TA_V_UNKNOWN);
	EXPECT_BOTH("binary 4", S("\x00\x01\x02\x03"), TA_V_UNKNOWN);
	ta_case_end();
}

/* A 6-byte TLS record header plus handshake type, everything else valid. */
static void tls_hdr(__u8 *b, __u8 ctype, __u8 vmaj, __u8 vmin, __u32 rec_len, __u8 hs_type)
{
	b[0] = ctype;
	b[1] = vmaj;
	b[2] = vmin;
	b[3] = (__u8)(rec_len >> 8);
	b[4] = (__u8)rec_len;
	b[5] = hs_type;
}

static void test_tls_headers(void)
{
	static const char *const names[] = { "curl-tls12", "openssl-tls13", "gnutls" };
	__u8 b[TA_PEEK_LEN] = { 0 };
	__u8 sh[FIXTURE_MAX];
	size_t i;
	long n;
	__u8 v;

	ta_case_begin("tls record headers");
	/* the versions a ClientHello record may carry: SSL 3.0 .. TLS 1.3 */
	for (v = 0; v <= 4; v++) {
		tls_hdr(b, 0x16, 3, v, 512, 1);
		EXPECT_BOTH("3.x ClientHello", b, 6, TA_V_TLS);
	}

	/* handshake type 2, ServerHello, and other handshake types */
	tls_hdr(b, 0x16, 3, 3, 80, 2);
	EXPECT_BOTH("ServerHello", b, 6, TA_V_UNKNOWN);
	EXPECT_BOTH("ServerHello 16", b, sizeof(b), TA_V_UNKNOWN);
	tls_hdr(b, 0x16, 3, 3, 80, 0);
	EXPECT_BOTH("HelloRequest", b, 6, TA_V_UNKNOWN);
	tls_hdr(b, 0x16, 3, 3, 80, 11);
	EXPECT_BOTH("Certificate", b, 6, TA_V_UNKNOWN);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = load_fixture(names[i], "serverhello", sh, sizeof(sh));
		if (n >= 6)
			EXPECT_BOTH(names[i], sh, 6, TA_V_UNKNOWN);
	}

	/* other record types: application data, alert, change_cipher_spec,
	 * heartbeat */
	tls_hdr(b, 0x17, 3, 3, 0x20, 0xab);
	EXPECT_BOTH("application data", b, 6, TA_V_UNKNOWN);
	EXPECT_BOTH("application data 16", b, sizeof(b), TA_V_UNKNOWN);
	EXPECT_BOTH("application data 1", b, 1, TA_V_UNKNOWN);
	tls_hdr(b, 0x15, 3, 3, 2, 2);
	EXPECT_BOTH("alert", b, 7, TA_V_UNKNOWN);
	tls_hdr(b, 0x14, 3, 3, 1, 1);
	EXPECT_BOTH("change_cipher_spec", b, 6, TA_V_UNKNOWN);
	tls_hdr(b, 0x18, 3, 3, 0x40, 1);
	EXPECT_BOTH("heartbeat", b, 6, TA_V_UNKNOWN);

	/* bad record versions are refused as soon as the byte is there */
	tls_hdr(b, 0x16, 2, 0, 512, 1);
	EXPECT_BOTH("version 2.0", b, 6, TA_V_UNKNOWN);
	EXPECT_BOTH("version 2.x early", b, 2, TA_V_UNKNOWN);
	tls_hdr(b, 0x16, 4, 0, 512, 1);
	EXPECT_BOTH("version 4.0", b, 6, TA_V_UNKNOWN);
	tls_hdr(b, 0x16, 3, 5, 512, 1);
	EXPECT_BOTH("version 3.5", b, 6, TA_V_UNKNOWN);
	EXPECT_BOTH("version 3.5 early", b, 3, TA_V_UNKNOWN);
	tls_hdr(b, 0x16, 3, 0xff, 512, 1);
	EXPECT_BOTH("version 3.255", b, 6, TA_V_UNKNOWN);
	tls_hdr(b, 0x16, 0xfe, 0xfd, 512, 1); /* DTLS 1.2 is not TLS over TCP */
	EXPECT_BOTH("DTLS 1.2", b, 6, TA_V_UNKNOWN);

	/* record length: 1 .. 2^14 + 2048 (a ClientHello may span several
	 * records, so a short first record is legal), refused at 5 bytes otherwise */
	tls_hdr(b, 0x16, 3, 1, 0, 1);
	EXPECT_BOTH("length 0", b, 6, TA_V_UNKNOWN);
	EXPECT_BOTH("length 0 header", b, 5, TA_V_UNKNOWN);
	tls_hdr(b, 0x16, 3, 1, 0xffff, 1);
	EXPECT_BOTH("length 0xffff", b, 6, TA_V_UNKNOWN);
	EXPECT_BOTH("length 0xffff header", b, 5, TA_V_UNKNOWN);
	tls_hdr(b, 0x16, 3, 1, 1, 1);
	EXPECT_BOTH("length 1 (fragmented ClientHello)", b, 6, TA_V_TLS);
	tls_hdr(b, 0x16, 3, 1, 42, 1);
	EXPECT_BOTH("length 42", b, 6, TA_V_TLS);
	tls_hdr(b, 0x16, 3, 1, TA_TLS_MAX_RECORD, 1);
	EXPECT_BOTH("length max", b, 6, TA_V_TLS);
	tls_hdr(b, 0x16, 3, 1, TA_TLS_MAX_RECORD + 1, 1);
	EXPECT_BOTH("length max+1", b, 6, TA_V_UNKNOWN);
	ta_case_end();
}

/* An SSLv2-compatible CLIENT-HELLO (RFC 5246 E.2): 2-byte header with the top
 * bit set, msg_type 1, version 3.1, 21 bytes of 3-byte cipher specs, no
 * session id, a 16-byte challenge. */
static void build_sslv2_hello(__u8 *b, __u32 *len)
{
	__u32 i, n = 0;

	b[n++] = 0x80;
	b[n++] = 0x2e; /* 46 = 9 + 21 + 0 + 16 */
	b[n++] = 0x01; /* CLIENT-HELLO */
	b[n++] = 0x03;
	b[n++] = 0x01; /* TLS 1.0 */
	b[n++] = 0x00;
	b[n++] = 0x15; /* cipher_spec_length 21 */
	b[n++] = 0x00;
	b[n++] = 0x00; /* session_id_length 0 */
	b[n++] = 0x00;
	b[n++] = 0x10; /* challenge_length 16 */
	for (i = 0; i < 7; i++) {
		b[n++] = 0x00;
		b[n++] = 0x00;
		b[n++] = (__u8)(0x2f + i);
	}
	for (i = 0; i < 16; i++)
		b[n++] = (__u8)(0xa0 + i);
	*len = n;
}

static void test_sslv2(void)
{
	__u8 b[64];
	__u32 n;

	ta_case_begin("sslv2 client hello");
	build_sslv2_hello(b, &n);
	TA_CHECK_EQ(n, 48);
	EXPECT_BOTH("v2-compatible TLS 1.0", b, n, TA_V_SSLV2);
	EXPECT_BOTH("first 5 bytes", b, 5, TA_V_SSLV2);
	EXPECT("first 4 bytes", b, 4, 0, TA_V_PENDING);
	EXPECT("first 4 bytes", b, 4, 1, TA_V_UNKNOWN);
	b[4] = 0x00;
	EXPECT_BOTH("version 3.0", b, n, TA_V_SSLV2);
	b[4] = 0x03;
	EXPECT_BOTH("version 3.3", b, n, TA_V_SSLV2);
	b[4] = 0x04;
	EXPECT_BOTH("version 3.4", b, n, TA_V_UNKNOWN);
	b[3] = 0x00;
	b[4] = 0x02;
	EXPECT_BOTH("SSL 2.0", b, n, TA_V_SSLV2);
	b[4] = 0x03;
	EXPECT_BOTH("version 0.3", b, n, TA_V_UNKNOWN);
	build_sslv2_hello(b, &n);
	b[2] = 0x04; /* SERVER-HELLO */
	EXPECT_BOTH("msg_type 4", b, n, TA_V_UNKNOWN);
	build_sslv2_hello(b, &n);
	b[1] = 0x08; /* shorter than any CLIENT-HELLO */
	EXPECT_BOTH("length 8", b, n, TA_V_UNKNOWN);
	b[0] = 0xff;
	b[1] = 0xff; /* 32767: allowed by the length rule */
	EXPECT_BOTH("length 0x7fff", b, n, TA_V_SSLV2);
	ta_case_end();
}

/* xorshift32 (Marsaglia), fixed seed: the same buffers on every run. */
static __u32 xorshift32(__u32 *s)
{
	__u32 x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/*
 * Properties every input must have:
 *  - the result is a verdict the classifier may produce (not MIDSTREAM, which
 *    only the flow tracker decides, and within the enum);
 *  - final == 1 never answers PENDING;
 *  - a decision taken with final == 0 is the one final == 1 gives;
 *  - TA_PEEK_LEN bytes are always enough to decide;
 *  - bytes past TA_PEEK_LEN change nothing;
 *  - a datagram is never PENDING.
 * Returns non-zero when one failed, so the sweep stops after a few reports.
 */
static int check_properties(const char *label, const __u8 *b, __u32 len)
{
	int open = ta_classify(b, len, 0);
	int fin = ta_classify(b, len, 1);
	int udp = ta_classify_udp(b, len, TA_QUIC_MIN_DATAGRAM);
	int udp_short = ta_classify_udp(b, len, TA_QUIC_MIN_DATAGRAM - 1);
	int bad = 0;

#define PROP(cond, ...)                                                                            \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			TA_CHECK(0, __VA_ARGS__);                                                  \
			bad = 1;                                                                   \
		}                                                                                  \
	} while (0)

	PROP(open >= TA_V_PENDING && open < TA_V_MAX && open != TA_V_MIDSTREAM,
	     "%s len %u: final=0 gives %d", label, len, open);
	PROP(fin > TA_V_PENDING && fin < TA_V_MAX && fin != TA_V_MIDSTREAM,
	     "%s len %u: final=1 gives %s (%d)", label, len, vname(fin), fin);
	PROP(open == TA_V_PENDING || open == fin, "%s len %u: final=0 says %s, final=1 says %s",
	     label, len, vname(open), vname(fin));
	PROP(len < TA_PEEK_LEN || open != TA_V_PENDING, "%s len %u: still PENDING", label, len);
	if (len > TA_PEEK_LEN) {
		PROP(open == ta_classify(b, TA_PEEK_LEN, 0) &&
			     fin == ta_classify(b, TA_PEEK_LEN, 1),
		     "%s len %u: bytes past TA_PEEK_LEN changed the verdict", label, len);
		PROP(udp == ta_classify_udp(b, TA_PEEK_LEN, TA_QUIC_MIN_DATAGRAM),
		     "%s len %u: bytes past TA_PEEK_LEN changed the UDP verdict", label, len);
	}
	PROP(udp > TA_V_PENDING && udp < TA_V_MAX && udp != TA_V_MIDSTREAM,
	     "%s len %u: udp gives %s (%d)", label, len, vname(udp), udp);
	PROP(udp == TA_V_QUIC || udp == fin, "%s len %u: udp %s but stream final %s", label, len,
	     vname(udp), vname(fin));
	PROP(udp_short == fin, "%s len %u: in a short datagram udp says %s, stream final %s", label,
	     len, vname(udp_short), vname(fin));
#undef PROP
	return bad;
}

static void test_noise(void)
{
	/* arbitrary fixed byte vectors, a few of them near a TLS or QUIC header */
	static const __u8 fixed[][16] = {
		{ 0x9f, 0x3a, 0x71, 0x0c, 0xe2, 0x58, 0x4b, 0xd6, 0x13, 0x87, 0xaa, 0x2f, 0x60,
		  0xc5, 0x3e, 0x91 },
		{ 0x04, 0xbd, 0x7e, 0x29, 0xf0, 0x16, 0x03, 0x01, 0x00, 0x2a, 0x01, 0x55, 0x8c,
		  0xd3, 0x6a, 0x0e },
		{ 0x16, 0x03, 0x09, 0x4d, 0x22, 0x01, 0xee, 0x7b, 0x00, 0x00, 0x31, 0x9c, 0x45,
		  0x12, 0xfa, 0x68 },
		{ 0x5c, 0x21, 0x0d, 0x7f, 0x43, 0x88, 0x1a, 0x39, 0xc0, 0x6e, 0x57, 0xb2, 0x0b,
		  0xe9, 0x74, 0x2d },
		{ 0xc7, 0x00, 0x00, 0x00, 0x02, 0x11, 0x8f, 0x36, 0x5d, 0xa4, 0x90, 0x27, 0x7c,
		  0x03, 0xb8, 0xe1 },
	};
	__u8 buf[40];
	char label[64];
	__u32 seed = 0x7a5c1a55u, i, j, len, mode;
	int failures = 0;
	unsigned counts[TA_V_MAX] = { 0 };

	ta_case_begin("binary noise: fixed vectors");
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		snprintf(label, sizeof(label), "fixed[%u]", i);
		for (len = 0; len <= 16; len++)
			check_properties(label, fixed[i], len);
		EXPECT_BOTH(label, fixed[i], 16, TA_V_UNKNOWN);
		EXPECT_UDP(label, fixed[i], 16, TA_V_UNKNOWN);
	}
	ta_case_end();

	ta_case_begin("binary noise: 10000 xorshift buffers");
	for (i = 0; i < 10000 && failures < 5; i++) {
		len = xorshift32(&seed) % (sizeof(buf) + 1);
		for (j = 0; j < sizeof(buf); j++)
			buf[j] = (__u8)xorshift32(&seed);
		/* steer a share of the buffers into each branch */
		mode = i % 5;
		if (mode == 1) { /* TLS-ish header */
			buf[0] = 0x16;
			buf[1] = (xorshift32(&seed) & 3) ? 3 : buf[1];
			buf[2] &= 7;
			buf[3] &= 0x4f;
			buf[5] = (xorshift32(&seed) & 1) ? 1 : buf[5];
		} else if (mode == 2) { /* SSLv2 / QUIC long header */
			buf[0] |= 0x80;
			buf[2] = (xorshift32(&seed) & 1) ? 1 : buf[2];
			buf[3] &= 3;
			buf[4] &= 3;
		} else if (mode == 3) { /* printable, sometimes a method */
			for (j = 0; j < sizeof(buf); j++)
				buf[j] = (__u8)(0x20 + buf[j] % 95);
			if (xorshift32(&seed) & 1)
				memcpy(buf, http_requests[buf[1] % N_HTTP], 4);
		}
		snprintf(label, sizeof(label), "buffer %u", i);
		failures += check_properties(label, buf, len);
		j = (__u32)ta_classify(buf, len, 1);
		if (j < TA_V_MAX)
			counts[j]++;
	}
	/* the sweep reached the interesting verdicts, or it proves little */
	TA_CHECK(counts[TA_V_TLS] > 50, "only %u TLS buffers", counts[TA_V_TLS]);
	TA_CHECK(counts[TA_V_SSLV2] > 50, "only %u SSLv2 buffers", counts[TA_V_SSLV2]);
	TA_CHECK(counts[TA_V_PLAINTEXT] > 50, "only %u text buffers", counts[TA_V_PLAINTEXT]);
	TA_CHECK(counts[TA_V_PLAINTEXT_HTTP] > 50, "only %u HTTP buffers",
		 counts[TA_V_PLAINTEXT_HTTP]);
	TA_CHECK(counts[TA_V_UNKNOWN] > 1000, "only %u unknown buffers", counts[TA_V_UNKNOWN]);
	ta_case_end();
}

/* A QUIC long header: first byte, 4-byte version, DCID length 8, DCID, SCID
 * length 0 and a few bytes of token length / length / packet number. */
static void quic_hdr(__u8 *b, __u8 first, __u32 version)
{
	static const __u8 rest[] = { 0x08, 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57,
				     0x08, 0x00, 0x00, 0x44, 0x9e, 0x7b, 0x9a, 0xec };
	__u32 i;

	b[0] = first;
	b[1] = (__u8)(version >> 24);
	b[2] = (__u8)(version >> 16);
	b[3] = (__u8)(version >> 8);
	b[4] = (__u8)version;
	for (i = 0; i < sizeof(rest); i++)
		b[5 + i] = rest[i];
}

static void test_udp(void)
{
	__u8 b[32];
	__u32 n = 21;

	ta_case_begin("udp: quic initial packets");
	quic_hdr(b, 0xc3, TA_QUIC_V1); /* v1 Initial: type 00 */
	EXPECT_UDP("v1 Initial", b, n, TA_V_QUIC);
	EXPECT_UDP("v1 Initial 6 bytes", b, 6, TA_V_QUIC);
	/* the header alone unlocks nothing: the datagram must be an Initial's size */
	EXPECT_UDP_IN("v1 Initial in 1199 bytes", b, n, TA_V_UNKNOWN, 1199);
	EXPECT_UDP_IN("v1 Initial header in 6 bytes", b, 6, TA_V_UNKNOWN, 6);
	EXPECT_UDP_IN("v1 Initial in 1200 bytes", b, n, TA_V_QUIC, 1200);
	quic_hdr(b, 0xc0, TA_QUIC_V1);
	EXPECT_UDP("v1 Initial pn len 1", b, n, TA_V_QUIC);
	quic_hdr(b, 0xd3, TA_QUIC_V2); /* v2 Initial: type 01 (RFC 9369 3.2) */
	EXPECT_UDP("v2 Initial", b, n, TA_V_QUIC);
	quic_hdr(b, 0xc3, 0xff00001du); /* draft-29 Initial */
	EXPECT_UDP("draft-29 Initial", b, n, TA_V_QUIC);
	ta_case_end();

	ta_case_begin("udp: other quic packets are not quic initials");
	quic_hdr(b, 0xe3, TA_QUIC_V1); /* v1 Handshake: type 10 */
	EXPECT_UDP("v1 Handshake", b, n, TA_V_UNKNOWN);
	quic_hdr(b, 0xd3, TA_QUIC_V1); /* v1 0-RTT: type 01 */
	EXPECT_UDP("v1 0-RTT", b, n, TA_V_UNKNOWN);
	quic_hdr(b, 0xf3, TA_QUIC_V1); /* v1 Retry: type 11 */
	EXPECT_UDP("v1 Retry", b, n, TA_V_UNKNOWN);
	quic_hdr(b, 0xc3, TA_QUIC_V2); /* type 00 is 0-RTT in v2 */
	EXPECT_UDP("v2 0-RTT", b, n, TA_V_UNKNOWN);
	quic_hdr(b, 0xc3, 0x00000000u); /* version negotiation */
	EXPECT_UDP("version 0", b, n, TA_V_UNKNOWN);
	quic_hdr(b, 0xc3, 0x1a2a3a4au); /* a greased version */
	EXPECT_UDP("grease version", b, n, TA_V_UNKNOWN);
	quic_hdr(b, 0x83, TA_QUIC_V1); /* fixed bit clear */
	EXPECT_UDP("fixed bit clear", b, n, TA_V_UNKNOWN);
	quic_hdr(b, 0x43, TA_QUIC_V1); /* short header */
	EXPECT_UDP("short header", b, n, TA_V_UNKNOWN);
	quic_hdr(b, 0xc3, TA_QUIC_V1);
	EXPECT_UDP("v1 Initial 5 bytes", b, 5, TA_V_UNKNOWN);
	ta_case_end();

	ta_case_begin("udp: non-quic datagrams");
	EXPECT_UDP("random", S("\x3b\x9e\x00\x71\x2c\xd4\x05\x88\xfe\x10\x6a\x33"), TA_V_UNKNOWN);
	EXPECT_UDP("dns query",
		   S("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07"
		     "example"
		     "\x03"
		     "com"
		     "\x00"
		     "\x00\x01\x00\x01"),
		   TA_V_UNKNOWN);
	EXPECT_UDP("hello\\n", S("hello\n"), TA_V_PLAINTEXT);
	EXPECT_UDP("hi", S("hi"), TA_V_PLAINTEXT); /* a datagram is final */
	EXPECT_UDP("http", S("GET / HTTP/1.1\r\n"), TA_V_PLAINTEXT_HTTP);
	EXPECT_UDP("ssh", S("SSH-2.0-x"), TA_V_SSH);
	EXPECT_UDP("empty", NULL, 0, TA_V_UNKNOWN);
	EXPECT_UDP("0x16 alone", S("\x16"), TA_V_UNKNOWN);
	ta_case_end();
}

int main(void)
{
	size_t i;

	for (i = 0; i < N_FIXTURES; i++)
		test_fixture_clienthello(fixture_names[i]);
	for (i = 0; i < N_FIXTURES; i++)
		test_fixture_serverhello(fixture_names[i]);
	test_http_methods();
	test_http_prefixes();
	test_http_near_misses();
	test_h2c_preface();
	test_ssh();
	test_text();
	test_short_inputs();
	test_tls_headers();
	test_sslv2();
	test_noise();
	test_udp();
	TA_TEST_EXIT();
}
