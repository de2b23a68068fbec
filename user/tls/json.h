/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* json.h - the JSON "tls" object of a flow. */
#ifndef TA_TLS_JSON_H
#define TA_TLS_JSON_H

struct strbuf;
struct ta_client_hello;
struct ta_server_hello;

/* Room for the longest ta_tls_json() output: 16 ALPN names of 255 bytes that
 * each escape to 6 characters dominate it. */
#define TA_TLS_JSON_MAX 32768

/*
 * Append "tls":{...} for a flow to sb. ch may be NULL (no ClientHello parsed),
 * sh may be NULL (no server answer seen). Network strings are escaped. Members,
 * in this order, each only when known:
 *   sni, alpn[] (offered), offered[] (versions), version, cipher (negotiated),
 *   groups[] (supported_groups), key_shares[], group (server's), alpn_chosen,
 *   pq, ech, ja4 (with a ClientHello), handshake (with an answer: established,
 *   alert, server_plaintext, unknown), hrr, alert, alert_level, server_banner,
 *   obsolete, truncated, malformed (true or absent).
 * Code points without a name print as "0x%04x".
 */
void ta_tls_json(struct strbuf *sb, const struct ta_client_hello *ch,
		 const struct ta_server_hello *sh);

#endif /* TA_TLS_JSON_H */
