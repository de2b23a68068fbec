// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* summary.c - the per-process verdict tally. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/lines.h"
#include "output/strbuf.h"
#include "output/sink.h"
#include "output/summary.h"

/* Start times from the kernel are exact; those read from /proc have clock-tick
 * resolution. Unknown (0) matches only when nothing better is known. */
static int same_start(__u64 a, __u64 b)
{
	if (!a || !b)
		return 1;
	return (a > b ? a - b : b - a) <= 20000000ull;
}

/* A process is its pid, its name and its start time: a pid reused by a later
 * process (even one with the same name) is a different row. */
static struct ta_proc *find_or_add(struct ta_summary *s, const struct ta_owner *o, __u64 start_ns)
{
	struct ta_proc *p, *grown;
	size_t i;

	for (i = 0; i < s->n; i++) {
		p = &s->procs[i];
		if (p->pid == o->tgid && !memcmp(p->comm, o->comm, TA_COMM_LEN) &&
		    same_start(p->start_ns, start_ns))
			return p;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		grown = realloc(s->procs, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		s->procs = grown;
		s->cap = cap;
	}
	p = &s->procs[s->n++];
	memset(p, 0, sizeof(*p));
	p->pid = o->tgid;
	p->uid = o->uid;
	p->cgroup_id = o->cgroup_id;
	p->start_ns = start_ns;
	memcpy(p->comm, o->comm, TA_COMM_LEN);
	return p;
}

int ta_summary_add(struct ta_summary *s, const struct ta_flow_event *ev,
		   const struct ta_owner_info *info)
{
	unsigned int v = ev->verdict < TA_V_MAX ? ev->verdict : TA_V_UNKNOWN;
	struct ta_proc *p;

	if (!ev->has_owner) {
		s->unattributed[v]++;
		return 0;
	}
	p = find_or_add(s, &ev->owner,
			ev->owner.start_ns ? ev->owner.start_ns
			: info		   ? info->start_ns
					   : 0);
	if (!p) {
		s->unattributed[v]++;
		return -ENOMEM;
	}
	p->flows[v]++;
	p->roles |= 1u << (ev->role & 7);
	p->last_port = ev->key.server_port;
	if (info) {
		if (info->container)
			snprintf(p->container, sizeof(p->container), "%s", info->container);
		if (info->peer)
			snprintf(p->last_peer, sizeof(p->last_peer), "%s", info->peer);
		if (info->tls_version && v == TA_V_TLS) {
			size_t i;

			for (i = 0; i < sizeof(p->tls_versions) / sizeof(p->tls_versions[0]); i++) {
				if (!p->tls_versions[i].name[0])
					snprintf(p->tls_versions[i].name,
						 sizeof(p->tls_versions[i].name), "%s",
						 info->tls_version);
				if (!strcmp(p->tls_versions[i].name, info->tls_version)) {
					p->tls_versions[i].n++;
					break;
				}
			}
		}
		p->last_ns = info->realtime_ns;
	}
	return 0;
}

/*
 * Any plaintext is a finding: plaintext alone is "plaintext", next to
 * encrypted flows it is "mixed". Encrypted flows next to undecided ones
 * (unknown, midstream) are "mixed" too: not proven all encrypted.
 */
const char *ta_status(const __u64 f[TA_V_MAX])
{
	__u64 enc = f[TA_V_TLS] + f[TA_V_QUIC] + f[TA_V_SSH];
	__u64 plain = f[TA_V_PLAINTEXT_HTTP] + f[TA_V_PLAINTEXT];
	__u64 other = f[TA_V_UNKNOWN] + f[TA_V_MIDSTREAM] + f[TA_V_SSLV2];

	if (plain && (enc || f[TA_V_SSLV2]))
		return "mixed";
	if (plain)
		return "plaintext";
	if (enc && other)
		return "mixed";
	if (enc)
		return "encrypted";
	return "unknown";
}

static int weak_version(const char *name)
{
	return !strcmp(name, "1.1") || !strcmp(name, "1.0") || !strcmp(name, "ssl3.0");
}

const char *ta_proc_status(const struct ta_proc *p)
{
	__u64 total = 0, weak = p->flows[TA_V_SSLV2];
	size_t i;
	int v;

	for (v = TA_V_PENDING + 1; v < TA_V_MAX; v++)
		total += p->flows[v];
	for (i = 0; i < sizeof(p->tls_versions) / sizeof(p->tls_versions[0]); i++)
		if (p->tls_versions[i].name[0] && weak_version(p->tls_versions[i].name))
			weak += p->tls_versions[i].n;
	if (total && weak == total)
		return "weak";
	return ta_status(p->flows);
}

static void print_flows(struct strbuf *sb, const __u64 f[TA_V_MAX], int json)
{
	int v, first = 1;

	if (json)
		sb_putc(sb, '{');
	for (v = TA_V_PENDING + 1; v < TA_V_MAX; v++) {
		if (!f[v])
			continue;
		if (json)
			sb_printf(sb, "%s\"%s\":%llu", first ? "" : ",", ta_verdict_name(v),
				  (unsigned long long)f[v]);
		else
			sb_printf(sb, "%s%s=%llu", first ? "" : " ", ta_verdict_name(v),
				  (unsigned long long)f[v]);
		first = 0;
	}
	if (json)
		sb_putc(sb, '}');
}

const char *ta_roles_name(__u32 roles)
{
	int c = roles & (1u << TA_ROLE_CLIENT), s = roles & (1u << TA_ROLE_SERVER);

	if (c && s)
		return "both";
	if (c)
		return "client";
	if (s)
		return "server";
	return NULL;
}

void ta_summary_print(const struct ta_summary *s, FILE *out, int json)
{
	char buf[1024];
	struct strbuf sb;
	size_t i;
	int v, any_unattr = 0;

	for (i = 0; i < s->n; i++) {
		const struct ta_proc *p = &s->procs[i];
		const char *role = ta_roles_name(p->roles);
		size_t clen = ta_field_len(p->comm, TA_COMM_LEN);

		sb_init(&sb, buf, sizeof(buf));
		if (json) {
			sb_printf(&sb, "{\"event\":\"process\",\"pid\":%u,\"comm\":", p->pid);
			sb_json_str(&sb, p->comm, clen);
			sb_printf(&sb, ",\"uid\":%u,\"flows\":", p->uid);
			print_flows(&sb, p->flows, 1);
			sb_printf(&sb, ",\"status\":\"%s\"", ta_proc_status(p));
			if (p->tls_versions[0].name[0]) {
				size_t k;

				sb_puts(&sb, ",\"tls_versions\":{");
				for (k = 0;
				     k < sizeof(p->tls_versions) / sizeof(p->tls_versions[0]) &&
				     p->tls_versions[k].name[0];
				     k++)
					sb_printf(&sb, "%s\"%s\":%llu", k ? "," : "",
						  p->tls_versions[k].name,
						  (unsigned long long)p->tls_versions[k].n);
				sb_putc(&sb, '}');
			}
			if (role)
				sb_printf(&sb, ",\"role\":\"%s\"", role);
			if (p->container[0]) {
				sb_puts(&sb, ",\"container\":");
				sb_json_str(&sb, p->container, strlen(p->container));
			}
			sb_putc(&sb, '}');
		} else {
			sb_printf(&sb, "process pid=%u comm=", p->pid);
			sb_term_str(&sb, p->comm, clen);
			sb_printf(&sb, " status=%s flows: ", ta_proc_status(p));
			print_flows(&sb, p->flows, 0);
			if (role)
				sb_printf(&sb, " role=%s", role);
			if (p->container[0]) {
				sb_puts(&sb, " container=");
				sb_term_str(&sb, p->container, strlen(p->container));
			}
		}
		fprintf(out, "%s\n", buf);
	}
	for (v = 0; v < TA_V_MAX; v++)
		any_unattr |= s->unattributed[v] != 0;
	if (any_unattr) {
		sb_init(&sb, buf, sizeof(buf));
		if (json) {
			sb_puts(&sb, "{\"event\":\"unattributed\",\"flows\":");
			print_flows(&sb, s->unattributed, 1);
			sb_putc(&sb, '}');
		} else {
			sb_puts(&sb, "unattributed (no local socket seen) flows: ");
			print_flows(&sb, s->unattributed, 0);
		}
		fprintf(out, "%s\n", buf);
	}
	fflush(out);
}

void ta_summary_free(struct ta_summary *s)
{
	free(s->procs);
	s->procs = NULL;
	s->n = s->cap = 0;
}

/* ---- the sink: tally every flow, print the table at the end ---- */

struct summary_sink {
	struct ta_sink base;
	struct ta_summary tally;
	FILE *out;
	int json;
};

static void summary_flow(struct ta_sink *s, const struct ta_flow_record *r)
{
	struct summary_sink *ss = (struct summary_sink *)s;
	struct ta_owner_info info = {
		.start_ns = r->start_ns,
		.container = r->container ? r->container : r->pod,
		.peer = r->peer_addr,
		.realtime_ns = r->realtime_ns,
		.tls_version = r->tls_version,
	};

	ta_summary_add(&ss->tally, &r->ev, &info);
	if (r->peer) {
		/* the other local process had this flow too: it counts in its row */
		struct ta_flow_event pe = r->ev;
		struct ta_owner_info pinfo = { .realtime_ns = r->realtime_ns,
					       .tls_version = r->tls_version };
		char peer[INET6_ADDRSTRLEN + 8];

		pe.owner = *r->peer;
		pe.role = r->peer->role;
		ta_format_addr(pe.role == TA_ROLE_SERVER ? r->ev.key.client : r->ev.key.server,
			       r->ev.key.family, peer, sizeof(peer));
		pinfo.peer = peer;
		ta_summary_add(&ss->tally, &pe, &pinfo);
	}
}

static void summary_finish(struct ta_sink *s, const struct ta_counters *c)
{
	struct summary_sink *ss = (struct summary_sink *)s;

	(void)c;
	ta_summary_print(&ss->tally, ss->out, ss->json);
}

static void summary_free(struct ta_sink *s)
{
	struct summary_sink *ss = (struct summary_sink *)s;

	ta_summary_free(&ss->tally);
	free(ss);
}

static const struct ta_sink_ops summary_ops = {
	.flow = summary_flow,
	.finish = summary_finish,
	.free = summary_free,
};

struct ta_sink *ta_summary_sink(FILE *out, int json, const struct ta_summary **tally)
{
	struct summary_sink *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->base.ops = &summary_ops;
	ss->out = out;
	ss->json = json;
	if (tally)
		*tally = &ss->tally;
	return &ss->base;
}
