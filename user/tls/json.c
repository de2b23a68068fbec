// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* json.c - the JSON "tls" object of a flow, from its parsed handshake. */
#include <string.h>

#include "output/strbuf.h"
#include "tls/hello.h"
#include "tls/ja4.h"
#include "tls/json.h"
#include "tls/names.h"

typedef const char *(*name_fn)(uint16_t);

/* Members are optional, so each one brings its own separator. */
static void json_key(struct strbuf *sb, int *first, const char *key)
{
	sb_printf(sb, "%s\"%s\":", *first ? "" : ",", key);
	*first = 0;
}

static void json_named(struct strbuf *sb, name_fn fn, uint16_t v)
{
	const char *name = fn(v);

	if (name)
		sb_printf(sb, "\"%s\"", name);
	else
		sb_printf(sb, "\"0x%04x\"", v);
}

static void json_named_list(struct strbuf *sb, int *first, const char *key, name_fn fn,
			    const uint16_t *v, unsigned int n)
{
	unsigned int i;

	json_key(sb, first, key);
	sb_putc(sb, '[');
	for (i = 0; i < n; i++) {
		if (i)
			sb_putc(sb, ',');
		json_named(sb, fn, v[i]);
	}
	sb_putc(sb, ']');
}

void ta_tls_json(struct strbuf *sb, const struct ta_client_hello *ch,
		 const struct ta_server_hello *sh)
{
	int est = sh && sh->kind == TA_TLS_ESTABLISHED;
	int first = 1, have_ver = 0;
	uint16_t ver = 0;
	unsigned int i;

	sb_puts(sb, "\"tls\":{");
	if (ch && ch->sni_len) {
		json_key(sb, &first, "sni");
		sb_json_str(sb, ch->sni, ch->sni_len);
	}
	if (ch && ch->n_alpn) {
		json_key(sb, &first, "alpn");
		sb_putc(sb, '[');
		for (i = 0; i < ch->n_alpn; i++) {
			if (i)
				sb_putc(sb, ',');
			sb_json_str(sb, ch->alpn[i].name, ch->alpn[i].len);
		}
		sb_putc(sb, ']');
	}
	/* without supported_versions a client offers up to its legacy_version */
	if (ch && ch->n_versions)
		json_named_list(sb, &first, "offered", ta_tls_version_name, ch->versions,
				ch->n_versions);
	else if (ch && ch->legacy_version)
		json_named_list(sb, &first, "offered", ta_tls_version_name, &ch->legacy_version, 1);
	if (est && sh->has_version) {
		json_key(sb, &first, "version");
		json_named(sb, ta_tls_version_name, sh->version);
	}
	if (est && sh->has_cipher) {
		json_key(sb, &first, "cipher");
		json_named(sb, ta_cipher_name, sh->cipher);
	}
	if (ch && ch->n_groups)
		json_named_list(sb, &first, "groups", ta_group_name, ch->groups, ch->n_groups);
	if (ch && ch->n_key_shares)
		json_named_list(sb, &first, "key_shares", ta_group_name, ch->key_shares,
				ch->n_key_shares);
	if (est && sh->has_group) {
		json_key(sb, &first, "group");
		json_named(sb, ta_group_name, sh->group);
	}
	if (est && sh->alpn_len) {
		json_key(sb, &first, "alpn_chosen");
		sb_json_str(sb, sh->alpn, sh->alpn_len);
	}
	if (ch) {
		char ja4[64];

		json_key(sb, &first, "pq");
		sb_puts(sb, ch->pq ? "true" : "false");
		json_key(sb, &first, "ech");
		sb_puts(sb, ch->ech ? "true" : "false");
		ta_ja4(ch, 0, ja4);
		json_key(sb, &first, "ja4");
		sb_printf(sb, "\"%s\"", ja4);
	}
	if (sh) {
		json_key(sb, &first, "handshake");
		sb_printf(sb, "\"%s\"", ta_tls_answer_name(sh->kind));
	}
	if (est && sh->hrr) {
		json_key(sb, &first, "hrr");
		sb_puts(sb, "true");
	}
	if (sh && sh->kind == TA_TLS_ALERT && sh->has_alert) {
		const char *name = ta_alert_name(sh->alert_desc);

		json_key(sb, &first, "alert");
		if (name)
			sb_printf(sb, "\"%s\"", name);
		else
			sb_printf(sb, "\"%u\"", sh->alert_desc);
		json_key(sb, &first, "alert_level");
		sb_puts(sb, sh->alert_level == 1   ? "\"warning\""
			    : sh->alert_level == 2 ? "\"fatal\""
						   : "\"invalid\"");
	}
	if (sh && sh->kind == TA_TLS_SERVER_PLAINTEXT) {
		json_key(sb, &first, "server_banner");
		sb_json_str(sb, sh->banner, sh->banner_len);
	}

	/* obsolete: the version in use or, with no answer to go by, the best
	 * the client would have accepted is older than TLS 1.2 */
	if (est && sh->has_version) {
		ver = sh->version;
		have_ver = 1;
	} else if (ch && (ch->n_versions || ch->legacy_version)) {
		ver = ta_tls_highest_offered(ch);
		have_ver = 1;
	}
	if (have_ver && ver < 0x0303) {
		json_key(sb, &first, "obsolete");
		sb_puts(sb, "true");
	}
	if ((ch && ch->truncated) || (sh && sh->truncated)) {
		json_key(sb, &first, "truncated");
		sb_puts(sb, "true");
	}
	if ((ch && ch->malformed) || (sh && sh->malformed)) {
		json_key(sb, &first, "malformed");
		sb_puts(sb, "true");
	}
	sb_putc(sb, '}');
}
