// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_client_hello.c - libFuzzer harness for the ClientHello parser, the
 * JA4 fingerprint and the JSON rendering (user/tls_hello.c). The input plays
 * the client's first bytes and, from a varying offset, the server's answer,
 * so the combined JSON paths are reached too. Built and run by
 * tests/fuzz/fuzz.mk (make fuzz).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/strbuf.h"
#include "tls/hello.h"
#include "tls/ja4.h"
#include "tls/json.h"
#include "tls/names.h"

/* Invariants the parser promises whatever the input; a violation aborts so
 * libFuzzer keeps the input. */
static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char json[TA_TLS_JSON_MAX];
	static char raw[8192];
	struct ta_client_hello ch;
	struct ta_server_hello sh;
	struct strbuf sb;
	char ja4[64];
	size_t rawlen, split;
	int rc;

	rc = ta_parse_client_hello(data, size, &ch);
	check(rc == 0 || rc == -1);
	check(ch.n_ciphers <= TA_TLS_MAX_CIPHERS && ch.n_exts <= TA_TLS_MAX_EXTS);
	check(ch.n_versions <= TA_TLS_MAX_VERSIONS && ch.n_groups <= TA_TLS_MAX_GROUPS);
	check(ch.n_key_shares <= TA_TLS_MAX_KEY_SHARES && ch.n_sigalgs <= TA_TLS_MAX_SIGALGS);
	check(ch.n_alpn <= TA_TLS_ALPN_MAX && ch.sni_len <= TA_TLS_SNI_MAX);
	check(ch.body_len <= ch.handshake_len || ch.body_len == 0);
	check(ch.body_len <= TA_TLS_HS_MAX);

	ta_ja4(&ch, (int)(size & 1), ja4);
	check(strlen(ja4) == TA_JA4_LEN);
	rawlen = ta_ja4_raw(&ch, 0, raw, sizeof(raw));
	check(rawlen < sizeof(raw) && strlen(raw) == rawlen);

	/* the tail of the input as a server answer */
	split = size ? data[0] % (size + 1) : 0;
	ta_parse_server_hello(data + split, size - split, &sh);

	sb_init(&sb, json, sizeof(json));
	ta_tls_json(&sb, rc == 0 ? &ch : NULL, &sh);
	check(!sb.overflow && json[sb.len] == '\0' && sb.len == strlen(json));
	return 0;
}
