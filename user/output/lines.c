// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lines.c - JSON and human renderings of flow verdicts, and their sink. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "output/lines.h"
#include "output/sink.h"
#include "tls/hello.h"
#include "tls/json.h"
#include "tls/names.h"

static const char *const verdict_names[TA_V_MAX] = {
	[TA_V_PENDING] = "pending",
	[TA_V_TLS] = "tls",
	[TA_V_PLAINTEXT_HTTP] = "plaintext_http",
	[TA_V_PLAINTEXT] = "plaintext",
	[TA_V_SSH] = "ssh",
	[TA_V_QUIC] = "quic",
	[TA_V_UNKNOWN] = "unknown",
	[TA_V_MIDSTREAM] = "midstream",
	[TA_V_SSLV2] = "sslv2",
};

const char *ta_verdict_name(unsigned int verdict)
{
	return verdict < TA_V_MAX && verdict_names[verdict] ? verdict_names[verdict] : "unknown";
}

const char *ta_role_name(unsigned int role)
{
	switch (role) {
	case TA_ROLE_CLIENT:
		return "client";
	case TA_ROLE_SERVER:
		return "server";
	case TA_ROLE_FORWARDED:
		return "forwarded";
	case TA_ROLE_CAPTURED:
		return "captured";
	default:
		return NULL;
	}
}

void ta_format_addr(const __u8 addr[16], __u8 family, char *out, size_t n)
{
	if (family == TA_AF_INET)
		inet_ntop(AF_INET, addr + 12, out, n);
	else
		inet_ntop(AF_INET6, addr, out, n);
}

void ta_format_time(__u64 realtime_ns, char *out, size_t n)
{
	time_t sec = realtime_ns / 1000000000ull;
	unsigned int ms = (realtime_ns / 1000000ull) % 1000;
	struct tm tm;
	char base[32];

	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%03uZ", base, ms);
}

static const char *l4_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* Untrusted string fields are cut at this many input bytes (at a character
 * boundary), and a cut field is named in "truncated_fields": with every field
 * bounded, a flow line always fits the sink's buffer. */
#define TA_JSON_FIELD_MAX 1024

enum json_cut {
	CUT_IFACE,
	CUT_CGROUP,
	CUT_EXE,
	CUT_CONTAINER,
	CUT_POD,
	CUT_REASON,
	CUT_TLS, /* the tls object was left out: the line would not fit */
	CUT_MAX,
};

static const char *const cut_names[CUT_MAX] = {
	"iface", "cgroup", "exe", "container", "pod", "reason", "tls",
};

static void json_field(struct strbuf *sb, const char *key, const char *val, unsigned int *cut,
		       enum json_cut which)
{
	size_t n = strlen(val), keep = utf8_prefix_len(val, n, TA_JSON_FIELD_MAX);

	if (keep < n)
		*cut |= 1u << which;
	sb_printf(sb, ",\"%s\":", key);
	sb_json_str(sb, val, keep);
}

static void flow_json(struct strbuf *sb, const struct ta_flow_record *v, int with_tls)
{
	const struct ta_flow_event *ev = &v->ev;
	char t[40], cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN];
	const char *role = ta_role_name(v->role);
	unsigned int cut = 0;
	int i, first = 1;

	ta_format_time(v->realtime_ns, t, sizeof(t));
	ta_format_addr(ev->key.client, ev->key.family, cli, sizeof(cli));
	ta_format_addr(ev->key.server, ev->key.family, srv, sizeof(srv));
	sb_printf(sb, "{\"event\":\"flow\",\"time\":\"%s\",\"verdict\":\"%s\",\"l4\":\"%s\"", t,
		  ta_verdict_name(ev->verdict), l4_name(ev->key.l4proto));
	sb_printf(sb, ",\"client\":\"%s\",\"client_port\":%u,\"server\":\"%s\",\"server_port\":%u",
		  cli, ev->key.client_port, srv, ev->key.server_port);
	if (v->iface)
		json_field(sb, "iface", v->iface, &cut, CUT_IFACE);
	if (ev->has_owner) {
		sb_printf(sb, ",\"pid\":%u,\"comm\":", ev->owner.tgid);
		sb_json_str(sb, ev->owner.comm, ta_field_len(ev->owner.comm, TA_COMM_LEN));
		sb_printf(sb, ",\"uid\":%u", ev->owner.uid);
		if (v->cgroup_path)
			json_field(sb, "cgroup", v->cgroup_path, &cut, CUT_CGROUP);
		else
			sb_printf(sb, ",\"cgroup_id\":%llu",
				  (unsigned long long)ev->owner.cgroup_id);
		if (v->exe)
			json_field(sb, "exe", v->exe, &cut, CUT_EXE);
	}
	if (v->container)
		json_field(sb, "container", v->container, &cut, CUT_CONTAINER);
	if (v->pod)
		json_field(sb, "pod", v->pod, &cut, CUT_POD);
	if (v->netns_ino)
		sb_printf(sb, ",\"netns\":%u", v->netns_ino);
	if (role)
		sb_printf(sb, ",\"role\":\"%s\"", role);
	if (v->peer) {
		sb_printf(sb, ",\"peer\":{\"pid\":%u,\"comm\":", v->peer->tgid);
		sb_json_str(sb, v->peer->comm, ta_field_len(v->peer->comm, TA_COMM_LEN));
		sb_printf(sb, ",\"uid\":%u,\"role\":\"%s\"}", v->peer->uid,
			  ta_role_name(v->peer->role) ? ta_role_name(v->peer->role) : "client");
	}
	if (ev->flags & TA_F_TRUNCATED)
		sb_puts(sb, ",\"truncated\":true");
	if (ev->flags & TA_F_CONFLICT)
		sb_puts(sb, ",\"first_bytes_conflict\":true");
	if (ev->flags & TA_F_BLOCKED)
		sb_puts(sb, ",\"action\":\"blocked\"");
	if (v->reason)
		json_field(sb, "reason", v->reason, &cut, CUT_REASON);
	if (v->tls && !with_tls)
		cut |= 1u << CUT_TLS;
	if (cut) {
		sb_puts(sb, ",\"truncated_fields\":[");
		for (i = 0; i < CUT_MAX; i++) {
			if (!(cut & (1u << i)))
				continue;
			sb_printf(sb, "%s\"%s\"", first ? "" : ",", cut_names[i]);
			first = 0;
		}
		sb_putc(sb, ']');
	}
	if (v->tls && with_tls) {
		sb_putc(sb, ',');
		ta_tls_json(sb, v->ch, v->sh);
	}
	sb_putc(sb, '}');
}

void ta_flow_json(struct strbuf *sb, const struct ta_flow_record *v)
{
	size_t start = sb->len;

	/* A line is printed whole or not at all: one that does not fit is
	 * rendered again without its tls object (named in truncated_fields),
	 * and one that still does not fit keeps only what says which flow it
	 * was. Never a line cut in the middle of an escape. */
	flow_json(sb, v, 1);
	if (!sb->overflow)
		return;
	sb_truncate(sb, start);
	flow_json(sb, v, 0);
	if (!sb->overflow)
		return;
	sb_truncate(sb, start);
	sb_printf(sb,
		  "{\"event\":\"flow\",\"verdict\":\"%s\",\"client_port\":%u,\"server_port\":%u,"
		  "\"truncated_fields\":[\"line\"]}",
		  ta_verdict_name(v->ev.verdict), v->ev.key.client_port, v->ev.key.server_port);
}

void ta_flow_text(struct strbuf *sb, const struct ta_flow_record *v)
{
	const struct ta_flow_event *ev = &v->ev;
	char t[40], cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN];
	const char *role = ta_role_name(v->role);
	int v6 = ev->key.family == TA_AF_INET6;

	ta_format_time(v->realtime_ns, t, sizeof(t));
	ta_format_addr(ev->key.client, ev->key.family, cli, sizeof(cli));
	ta_format_addr(ev->key.server, ev->key.family, srv, sizeof(srv));
	sb_printf(sb, "%s %-14s %s %s%s%s:%u -> %s%s%s:%u", t, ta_verdict_name(ev->verdict),
		  l4_name(ev->key.l4proto), v6 ? "[" : "", cli, v6 ? "]" : "", ev->key.client_port,
		  v6 ? "[" : "", srv, v6 ? "]" : "", ev->key.server_port);
	if (v->iface) {
		sb_puts(sb, " iface=");
		sb_term_str(sb, v->iface, strlen(v->iface));
	}
	if (ev->has_owner) {
		sb_printf(sb, " pid=%u comm=", ev->owner.tgid);
		sb_term_str(sb, ev->owner.comm, ta_field_len(ev->owner.comm, TA_COMM_LEN));
		sb_printf(sb, " uid=%u", ev->owner.uid);
		if (v->cgroup_path) {
			sb_puts(sb, " cgroup=");
			sb_term_str(sb, v->cgroup_path, strlen(v->cgroup_path));
		}
	} else if (v->role != TA_ROLE_FORWARDED && v->role != TA_ROLE_CAPTURED) {
		sb_puts(sb, " owner=?");
	}
	if (v->container) {
		sb_puts(sb, " container=");
		sb_term_str(sb, v->container, strlen(v->container));
	}
	if (role)
		sb_printf(sb, " role=%s", role);
	if (v->peer) {
		sb_printf(sb, " peer=%u/", v->peer->tgid);
		sb_term_str(sb, v->peer->comm, ta_field_len(v->peer->comm, TA_COMM_LEN));
	}
	if (ev->flags & TA_F_TRUNCATED)
		sb_puts(sb, " truncated");
	if (ev->flags & TA_F_CONFLICT)
		sb_puts(sb, " first-bytes-conflict");
	if (ev->flags & TA_F_BLOCKED)
		sb_puts(sb, " BLOCKED");
	if (v->reason)
		sb_printf(sb, " reason=%s", v->reason);
	if (v->ch && v->ch->sni_present) {
		sb_puts(sb, " sni=");
		sb_term_str(sb, v->ch->sni, v->ch->sni_len);
	}
	if (v->sh && v->sh->has_version)
		sb_printf(sb, " tls=%s", ta_tls_version_name(v->sh->version));
	if (v->sh)
		sb_printf(sb, " handshake=%s", ta_tls_answer_name(v->sh->kind));
}

/* ---- the sink: one line per flow, flushed, so a pipe reader sees it at once ---- */

/* Room for the longest line: the tls object, plus owner fields (an exe path
 * of PATH_MAX bytes that escapes to 6 characters each). */
#define TA_LINE_MAX (TA_TLS_JSON_MAX + 6 * 4096 + 4096)

struct lines_sink {
	struct ta_sink base;
	FILE *out;
	int json;
	char line[TA_LINE_MAX];
};

static void lines_flow(struct ta_sink *s, const struct ta_flow_record *r)
{
	struct lines_sink *ls = (struct lines_sink *)s;
	struct strbuf sb;

	sb_init(&sb, ls->line, sizeof(ls->line));
	if (ls->json)
		ta_flow_json(&sb, r);
	else
		ta_flow_text(&sb, r);
	fputs(ls->line, ls->out);
	fputc('\n', ls->out);
	fflush(ls->out);
}

static void lines_free(struct ta_sink *s)
{
	free(s);
}

static const struct ta_sink_ops lines_ops = {
	.flow = lines_flow,
	.free = lines_free,
};

struct ta_sink *ta_lines_sink(FILE *out, int json)
{
	struct lines_sink *ls = calloc(1, sizeof(*ls));

	if (!ls)
		return NULL;
	ls->base.ops = &lines_ops;
	ls->out = out;
	ls->json = json;
	return &ls->base;
}
