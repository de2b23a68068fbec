// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pipeline.c - join, enrich, filter and report flow verdicts. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cgroup.h"
#include "container.h"
#include "netlink.h"
#include "pipeline.h"
#include "procinfo.h"
#include "report.h"
#include "strbuf.h"
#include "tls_hello.h"
#include <stdlib.h>

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void ta_pipeline_init(struct ta_pipeline *p, const struct ta_options *opt,
		      const char *(*iface_name)(__u32))
{
	struct timespec rt;

	memset(p, 0, sizeof(*p));
	p->opt = opt;
	p->iface_name = iface_name;
	p->hold_ns = 1000000000ull;
	p->tls_hold_ns = 2000000000ull;
	clock_gettime(CLOCK_REALTIME, &rt);
	p->boot_to_real_ns = (__u64)rt.tv_sec * 1000000000ull + rt.tv_nsec - boot_ns();
}

static int passes_filters(const struct ta_pipeline *p, const struct ta_flow_event *ev,
			  const char *cgpath, const char *container, const char *pod)
{
	const struct ta_options *o = p->opt;

	if (!o->filter_pid && !o->filter_cgroup[0] && !o->filter_container[0])
		return 1;
	if (!ev->has_owner)
		return 0;
	if (o->filter_pid && ev->owner.tgid != o->filter_pid)
		return 0;
	if (o->filter_cgroup[0] && (!cgpath || !ta_cgroup_is_under(cgpath, o->filter_cgroup)))
		return 0;
	if (o->filter_container[0] && !((container && !strcmp(container, o->filter_container)) ||
					 (pod && !strcmp(pod, o->filter_container))))
		return 0;
	return 1;
}

/*
 * Which local socket a flow belongs to. Both ends may be on this kernel (a
 * client in one namespace, a server in another): a verdict taken at ingress
 * towards one of our addresses is the server's, anything else is the client's
 * first, the server's when only the server is known.
 */
static int pick_server(const struct ta_flow_event *ev)
{
	if (ev->has_server_owner && (ev->flags & TA_F_INGRESS) &&
	    ta_addr_is_local(ev->key.server, ev->key.family))
		return 1;
	return !ev->has_owner && ev->has_server_owner;
}

/* Report one flow: everything userspace knows, then the filters, the tally
 * and the line. */
static void report(struct ta_pipeline *p, const struct ta_flow_event *kev,
		   const struct ta_tls_capture *cap)
{
	static struct ta_client_hello ch;
	static struct ta_server_hello sh;
	const char *tls_version = NULL, *tls_outcome = NULL;
	struct ta_flow_event ev = *kev;
	struct ta_flow_view v = { .ev = &ev };
	struct ta_owner_info info = { 0 };
	struct ta_procinfo pi;
	static char line[TA_TLS_JSON_MAX + 4096];
	char cg[512], cid[80], pod[80], peer[INET6_ADDRSTRLEN + 8];
	struct ta_owner other = { 0 };
	int server = pick_server(kev), has_other;
	struct strbuf sb;

	/* the reported owner goes in ev.owner; the other end, if local, is the peer */
	if (server) {
		ev.owner = kev->server_owner;
		ev.has_owner = 1;
		ev.role = TA_ROLE_SERVER;
		has_other = kev->has_owner;
		other = kev->owner;
		other.role = TA_ROLE_CLIENT;
	} else {
		ev.role = kev->has_owner ? TA_ROLE_CLIENT : TA_ROLE_NONE;
		has_other = kev->has_server_owner;
		other = kev->server_owner;
		other.role = TA_ROLE_SERVER;
	}
	v.role = ev.role;
	v.peer = has_other ? &other : NULL;
	v.realtime_ns = ev.ts_ns + p->boot_to_real_ns;
	v.iface = p->iface_name ? p->iface_name(ev.ifindex) : NULL;
	if (ev.has_owner) {
		if (ta_cgroup_path(ev.owner.cgroup_id, cg, sizeof(cg)) == 0) {
			v.cgroup_path = cg;
			if (ta_container_from_cgroup(cg, cid, sizeof(cid), pod, sizeof(pod))) {
				v.container = cid[0] ? cid : NULL;
				v.pod = pod[0] ? pod : NULL;
			}
		}
		if (ta_procinfo_read(ev.owner.tgid, ev.ts_ns, &pi) == 0) {
			v.exe = pi.exe[0] ? pi.exe : NULL;
			info.start_ticks = pi.start_ticks;
			v.netns_ino = pi.netns_ino;
		}
		if (ev.owner.netns_ino)
			v.netns_ino = ev.owner.netns_ino;
	} else if ((ev.flags & TA_F_FORWARDED) ||
		   (!ta_addr_is_local(ev.key.client, ev.key.family) &&
		    !ta_addr_is_local(ev.key.server, ev.key.family))) {
		/* no local socket and neither end is ours: passing through */
		v.role = ev.role = TA_ROLE_FORWARDED;
	}
	if (!passes_filters(p, &ev, v.cgroup_path, v.container, v.pod)) {
		p->filtered++;
		return;
	}
	if (cap) {
		/* what the handshake said, parsed here from the captured bytes */
		if (cap->have && !ta_parse_client_hello(cap->client, cap->have, &ch)) {
			if (cap->gap)
				ch.truncated = 1;
			v.ch = &ch;
		}
		if (cap->server_len) {
			ta_parse_server_hello(cap->server, cap->server_len, &sh);
			v.sh = &sh;
		} else if (cap->closed) {
			memset(&sh, 0, sizeof(sh));
			sh.kind = TA_TLS_NO_RESPONSE;
			v.sh = &sh;
		}
		v.tls = v.ch || v.sh;
		if (v.sh) {
			tls_outcome = ta_tls_answer_name(v.sh->kind);
			if (v.sh->has_version)
				tls_version = ta_tls_version_name(v.sh->version);
		}
	}
	p->reported++;
	ta_format_addr(ev.role == TA_ROLE_SERVER ? ev.key.client : ev.key.server, ev.key.family,
		       peer, sizeof(peer));
	info.container = v.container ? v.container : v.pod;
	info.peer = peer;
	info.realtime_ns = v.realtime_ns;
	info.tls_version = tls_version;
	ta_summary_add(&p->summary, &ev, &info);
	if (has_other) {
		/* the other local process had this flow too: it counts in its row */
		struct ta_flow_event pe = ev;
		struct ta_owner_info pinfo = { .realtime_ns = v.realtime_ns };
		char ppeer[INET6_ADDRSTRLEN + 8];

		pe.owner = other;
		pe.role = other.role;
		ta_format_addr(pe.role == TA_ROLE_SERVER ? ev.key.client : ev.key.server,
			       ev.key.family, ppeer, sizeof(ppeer));
		pinfo.peer = ppeer;
		pinfo.tls_version = tls_version;
		pinfo.start_ticks = ta_proc_start_ticks(other.tgid);
		ta_summary_add(&p->summary, &pe, &pinfo);
	}
	if (p->on_flow)
		p->on_flow(&ev, info.container, tls_version, tls_outcome, p->on_flow_ctx);
	if (p->quiet)
		return;
	sb_init(&sb, line, sizeof(line));
	if (p->opt->json)
		ta_flow_json(&sb, &v);
	else
		ta_flow_text(&sb, &v);
	puts(line);
	fflush(stdout);
}

static void release(struct ta_pipeline *p, int i)
{
	struct ta_held *h = &p->held[i];

	report(p, &h->ev, h->tls);
	if (h->tls) {
		free(h->tls->client);
		free(h->tls);
	}
	memmove(&p->held[i], &p->held[i + 1], sizeof(p->held[0]) * (p->n_held - i - 1));
	p->n_held--;
}

static void hold(struct ta_pipeline *p, const struct ta_flow_event *ev, int need_owner,
		 int need_tls)
{
	struct ta_held *h;

	if (p->n_held == TA_HOLD_MAX)
		release(p, 0); /* full: the oldest goes out now, as it is, rather than be lost */
	h = &p->held[p->n_held++];
	memset(h, 0, sizeof(*h));
	h->ev = *ev;
	h->arrived_ns = boot_ns();
	h->need_owner = need_owner;
	h->need_tls = need_tls;
	if (need_tls) {
		h->tls = calloc(1, sizeof(*h->tls));
		if (!h->tls)
			h->need_tls = 0;
	}
}

/* The newest held flow with this key (a reused port makes the older stale). */
static int find_held(struct ta_pipeline *p, const struct ta_flow_key *key)
{
	int i;

	for (i = p->n_held - 1; i >= 0; i--)
		if (!memcmp(&p->held[i].ev.key, key, sizeof(*key)))
			return i;
	return -1;
}

static void maybe_release(struct ta_pipeline *p, int i)
{
	struct ta_held *h = &p->held[i];

	if (h->need_tls && h->tls->client_done && h->tls->server_done)
		h->need_tls = 0;
	if (!h->need_owner && !h->need_tls)
		release(p, i);
}

static void owner_arrived(struct ta_pipeline *p, const struct ta_owner_event *oe)
{
	int i = find_held(p, &oe->key);

	if (i < 0 || !p->held[i].need_owner)
		return;
	p->held[i].ev.server_owner = oe->owner;
	p->held[i].ev.has_server_owner = 1;
	p->held[i].need_owner = 0;
	p->late_owners++;
	maybe_release(p, i);
}

static void chunk_arrived(struct ta_pipeline *p, const struct ta_chunk_event *c)
{
	int i = find_held(p, &c->key);
	struct ta_tls_capture *t;
	__u32 len = c->len > TA_CHUNK_MAX ? TA_CHUNK_MAX : c->len;

	if (i < 0 || !p->held[i].tls)
		return;
	t = p->held[i].tls;
	if (c->type == TA_EV_CLOSE) {
		t->server_done = 1;
		t->closed = !t->server_len;
		t->client_done = 1; /* nothing more will come */
	} else if (c->dir == TA_CHUNK_SERVER) {
		if (!t->server_done) {
			memcpy(t->server, c->data, len);
			t->server_len = len;
			t->server_done = 1;
		}
	} else {
		if (!t->client) {
			t->cap_end = c->cap_end > TA_CAP_MAX ? TA_CAP_MAX : c->cap_end;
			t->client = malloc(t->cap_end ? t->cap_end : 1);
			if (!t->client)
				t->client_done = 1;
		}
		/* only the contiguous prefix counts; the kernel sends it in order */
		if (t->client && c->offset == t->have && t->have + len <= t->cap_end) {
			memcpy(t->client + t->have, c->data, len);
			t->have += len;
		}
		if (c->flags & TA_CHUNK_F_GAP) {
			t->gap = 1;
			t->client_done = 1;
		}
		if ((c->flags & TA_CHUNK_F_LAST) || (t->cap_end && t->have >= t->cap_end))
			t->client_done = 1;
	}
	maybe_release(p, i);
}

int ta_pipeline_record(struct ta_pipeline *p, const void *data, size_t len)
{
	const struct ta_flow_event *ev = data;
	int need_owner, need_tls;

	if (len < sizeof(__u32))
		return 0;
	if (ev->type == TA_EV_FLOW && len >= sizeof(*ev)) {
		/* at ingress, towards a local address, before the server's accept() */
		need_owner = !(ev->flags & TA_F_FORWARDED) && (ev->flags & TA_F_INGRESS) &&
			     !ev->has_server_owner && ta_addr_is_local(ev->key.server, ev->key.family);
		/* a TLS verdict on a flow whose start we saw: its handshake follows */
		need_tls = ev->verdict == TA_V_TLS && (ev->flags & TA_F_SYN_SEEN);
		if (need_owner || need_tls)
			hold(p, ev, need_owner, need_tls);
		else
			report(p, ev, NULL);
	} else if (ev->type == TA_EV_OWNER && len >= sizeof(struct ta_owner_event)) {
		owner_arrived(p, data);
	} else if ((ev->type == TA_EV_CHUNK || ev->type == TA_EV_CLOSE) &&
		   len >= sizeof(struct ta_chunk_event)) {
		chunk_arrived(p, data);
	}
	return 0;
}

void ta_pipeline_tick(struct ta_pipeline *p, int flush_all)
{
	__u64 now = boot_ns();
	int i = 0;

	while (i < p->n_held) {
		struct ta_held *h = &p->held[i];
		__u64 limit = h->need_tls ? p->tls_hold_ns : p->hold_ns;

		if (flush_all || now - h->arrived_ns >= limit)
			release(p, i);
		else
			i++;
	}
}

void ta_pipeline_free(struct ta_pipeline *p)
{
	ta_summary_free(&p->summary);
}
