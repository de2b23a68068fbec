/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hello.h - reading the first TLS handshake bytes of each side of a flow: the
 * client's ClientHello (what it offers) and the server's first answer
 * (ServerHello, alert, or not TLS at all). JA4 is in ja4.h, the IANA names
 * in names.h, the JSON "tls" object in json.h.
 *
 * Every byte here came off the network from a peer we do not trust. The
 * parsers never read past the length they are given, never trust a length
 * field, never allocate, and fill fixed-size arrays that say when they were
 * cut (overflow) or when the input ended early (truncated).
 */
#ifndef TA_TLS_HELLO_H
#define TA_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

/* The most handshake-message body we reassemble across records. A real
 * ClientHello is well under this even with post-quantum key shares. */
#define TA_TLS_HS_MAX 16384

#define TA_TLS_SNI_MAX 255
#define TA_TLS_ALPN_MAX 16
#define TA_TLS_ALPN_LEN 255
#define TA_TLS_MAX_CIPHERS 256
#define TA_TLS_MAX_EXTS 256
#define TA_TLS_MAX_VERSIONS 16
#define TA_TLS_MAX_GROUPS 64
#define TA_TLS_MAX_KEY_SHARES 16
#define TA_TLS_MAX_SIGALGS 64
#define TA_TLS_SH_MAX_EXTS 32
#define TA_TLS_BANNER_MAX 64

/* TLS ContentType and HandshakeType values we act on */
#define TA_TLS_CT_ALERT 21
#define TA_TLS_CT_HANDSHAKE 22
#define TA_TLS_HS_CLIENT_HELLO 1
#define TA_TLS_HS_SERVER_HELLO 2

/* Extension types we decode */
#define TA_TLS_EXT_SERVER_NAME 0x0000
#define TA_TLS_EXT_SUPPORTED_GROUPS 0x000a
#define TA_TLS_EXT_SIGALGS 0x000d
#define TA_TLS_EXT_ALPN 0x0010
#define TA_TLS_EXT_SUPPORTED_VERSIONS 0x002b
#define TA_TLS_EXT_KEY_SHARE 0x0033
#define TA_TLS_EXT_ECH 0xfe0d

/* Bits of ta_client_hello.overflow / ta_server_hello.overflow: which list was
 * longer than its array (the array holds the first entries, in order). */
#define TA_TLS_OVF_CIPHERS (1u << 0)
#define TA_TLS_OVF_EXTS (1u << 1)
#define TA_TLS_OVF_VERSIONS (1u << 2)
#define TA_TLS_OVF_GROUPS (1u << 3)
#define TA_TLS_OVF_KEY_SHARES (1u << 4)
#define TA_TLS_OVF_SIGALGS (1u << 5)
#define TA_TLS_OVF_ALPN (1u << 6)
#define TA_TLS_OVF_SNI (1u << 7)
#define TA_TLS_OVF_HANDSHAKE (1u << 8) /* announced body > TA_TLS_HS_MAX */

struct ta_tls_alpn {
	uint8_t len;
	uint8_t name[TA_TLS_ALPN_LEN]; /* raw bytes, not terminated */
};

struct ta_client_hello {
	uint16_t record_version; /* legacy_record_version of the first record */
	uint16_t legacy_version; /* ClientHello.legacy_version */
	uint32_t handshake_len;	 /* body length the handshake header announced */
	uint32_t body_len;	 /* body bytes we actually had */
	uint8_t truncated;	 /* fewer bytes than announced (or than TA_TLS_HS_MAX) */
	uint8_t malformed;	 /* a length field disagreed with its container */
	uint8_t sni_present;	 /* server_name extension seen (JA4 "d") */
	uint8_t alpn_present;	 /* ALPN extension seen */
	uint8_t ech;		 /* encrypted_client_hello (0xfe0d) offered */
	uint8_t pq;		 /* a post-quantum group in supported_groups or key_share */
	uint8_t session_id_len;
	uint8_t pad;
	uint32_t overflow; /* TA_TLS_OVF_* */
	uint16_t n_grease; /* GREASE values seen and dropped, all lists */

	/* First host_name of the server_name list: raw bytes, NUL-terminated
	 * for convenience but may itself contain NULs; use sni_len. */
	uint16_t sni_len;
	char sni[TA_TLS_SNI_MAX + 1];

	uint8_t n_alpn;
	struct ta_tls_alpn alpn[TA_TLS_ALPN_MAX];

	/* All lists in wire order, GREASE removed. */
	uint16_t n_ciphers;
	uint16_t ciphers[TA_TLS_MAX_CIPHERS];
	uint16_t n_exts;
	uint16_t exts[TA_TLS_MAX_EXTS];
	uint16_t n_versions; /* supported_versions; 0 when absent */
	uint16_t versions[TA_TLS_MAX_VERSIONS];
	uint16_t n_groups; /* supported_groups */
	uint16_t groups[TA_TLS_MAX_GROUPS];
	uint16_t n_key_shares; /* key_share client_shares */
	uint16_t key_shares[TA_TLS_MAX_KEY_SHARES];
	uint16_t key_share_len[TA_TLS_MAX_KEY_SHARES]; /* announced key_exchange length */
	uint16_t n_sigalgs;			       /* signature_algorithms */
	uint16_t sigalgs[TA_TLS_MAX_SIGALGS];
};

/*
 * Parse the client's first bytes on a TCP stream: one or more TLS records of
 * type handshake carrying a ClientHello, reassembled up to TA_TLS_HS_MAX.
 * Returns 0 when buf starts like a ClientHello (out is filled best effort;
 * check truncated and malformed), -1 when it is not one (out is zeroed).
 */
int ta_parse_client_hello(const uint8_t *buf, size_t len, struct ta_client_hello *out);

/* What the server's first bytes were. The names are part of the JSON. */
enum ta_tls_answer {
	TA_TLS_UNKNOWN = 0,	     /* nothing, or bytes we cannot read */
	TA_TLS_ESTABLISHED = 1,	     /* a ServerHello (or HelloRetryRequest) */
	TA_TLS_ALERT = 2,	     /* a TLS alert record */
	TA_TLS_SERVER_PLAINTEXT = 3, /* printable text, e.g. "HTTP/1.1 400 ..." */
	TA_TLS_NO_RESPONSE = 4,	     /* the flow closed before the server sent a byte */
};

struct ta_server_hello {
	uint8_t kind; /* enum ta_tls_answer */
	uint8_t truncated;
	uint8_t malformed;
	uint8_t hrr;	     /* HelloRetryRequest (RFC 8446 4.1.3 random) */
	uint8_t has_version; /* version is known */
	uint8_t has_cipher;
	uint8_t has_group; /* TLS 1.3 key_share selected group */
	uint8_t has_alert; /* alert_level/alert_desc are known */
	uint16_t record_version;
	uint16_t legacy_version;
	uint16_t version; /* negotiated: supported_versions, else legacy */
	uint16_t cipher;
	uint16_t group;
	uint8_t alert_level;
	uint8_t alert_desc;
	uint8_t alpn_len; /* ALPN the server chose (visible up to TLS 1.2) */
	uint8_t alpn[TA_TLS_ALPN_LEN];
	uint8_t n_exts;
	uint16_t exts[TA_TLS_SH_MAX_EXTS];
	uint32_t overflow;  /* TA_TLS_OVF_EXTS */
	uint8_t banner_len; /* server_plaintext: first line, raw bytes */
	char banner[TA_TLS_BANNER_MAX + 1];
};

/* Classify and parse the server's first bytes. Returns out->kind. */
int ta_parse_server_hello(const uint8_t *buf, size_t len, struct ta_server_hello *out);

/* GREASE (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
static inline int ta_tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* A post-quantum (hybrid or pure ML-KEM, or the Kyber drafts) named group. */
int ta_tls_group_is_pq(uint16_t group);

/* The best version the client offers: supported_versions, else legacy. */
uint16_t ta_tls_highest_offered(const struct ta_client_hello *ch);

#endif /* TA_TLS_HELLO_H */
