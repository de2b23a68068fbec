// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_server_hello.c - libFuzzer harness for the classifier of the server's
 * first bytes (ServerHello, HelloRetryRequest, alert, plaintext, unknown) and
 * its JSON rendering (user/tls_hello.c). Built and run by tests/fuzz/fuzz.mk.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/strbuf.h"
#include "tls/hello.h"
#include "tls/ja4.h"
#include "tls/json.h"
#include "tls/names.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char json[TA_TLS_JSON_MAX];
	struct ta_server_hello sh;
	struct strbuf sb;
	int kind;

	kind = ta_parse_server_hello(data, size, &sh);
	check(kind == sh.kind && kind >= TA_TLS_UNKNOWN && kind <= TA_TLS_SERVER_PLAINTEXT);
	check(sh.n_exts <= TA_TLS_SH_MAX_EXTS && sh.banner_len <= TA_TLS_BANNER_MAX);
	check(sh.banner[sh.banner_len] == '\0');
	check(!sh.has_alert || kind == TA_TLS_ALERT);
	check(!sh.hrr || kind == TA_TLS_ESTABLISHED);

	sb_init(&sb, json, sizeof(json));
	ta_tls_json(&sb, NULL, &sh);
	check(!sb.overflow && json[sb.len] == '\0' && sb.len == strlen(json));
	return 0;
}
