// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pipeline.c - join, enrich, filter and report flow verdicts. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "owners/cgroup.h"
#include "owners/container.h"
#include "owners/netlink.h"
#include "flow/pipeline.h"
#include "owners/procinfo.h"
#include "output/report.h"
#include "output/strbuf.h"
#include "tls/hello.h"
#include <limits.h>
#include <stddef.h>
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
	p->peer_hold_ns = 300000000ull;
	memset(p->buckets, 0xff, sizeof(p->buckets));
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

/* exe by (pid, start): a busy process makes many flows, and each /proc read
 * costs syscalls; the start time keeps a reused pid from hitting the cache. */
#define EXE_CACHE 256
static struct {
	__u32 pid;
	__u64 start_ns;
	char exe[PATH_MAX];
} exe_cache[EXE_CACHE];

static const char *exe_of(__u32 pid, __u64 start_ns, __u64 event_ns)
{
	struct ta_procinfo pi;
	unsigned int i = pid % EXE_CACHE;

	if (exe_cache[i].pid == pid && exe_cache[i].start_ns == start_ns)
		return exe_cache[i].exe[0] ? exe_cache[i].exe : NULL;
	if (ta_procinfo_read(pid, event_ns, &pi))
		return NULL; /* gone, or a later process has the pid: not cached */
	exe_cache[i].pid = pid;
	exe_cache[i].start_ns = start_ns;
	snprintf(exe_cache[i].exe, sizeof(exe_cache[i].exe), "%s", pi.exe);
	return exe_cache[i].exe[0] ? exe_cache[i].exe : NULL;
}

/* Why a flow's first bytes were never seen: it was there before us, or the
 * flow table evicted it (when evictions happened: counted, at most once a
 * second, since the count walks the table), or it started before its
 * interface was watched. */
static const char *midstream_reason(struct ta_pipeline *p, const struct ta_flow_event *ev)
{
	__u64 now = boot_ns();

	if (ev->flags & TA_F_PREEXISTING)
		return "preexisting";
	if (p->evictions && now - p->evictions_at_ns > 1000000000ull) {
		p->evictions_seen = p->evictions();
		p->evictions_at_ns = now;
	}
	return p->evictions_seen ? "evicted" : "start_not_seen";
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
	if (ev.verdict == TA_V_MIDSTREAM) {
		v.reason = midstream_reason(p, &ev);
		/* a flow the table lost before its verdict is not "midstream" by
		 * nature: its first bytes went by unjudged, so it is unknown */
		if (!strcmp(v.reason, "evicted"))
			ev.verdict = TA_V_UNKNOWN;
	}
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
		if (ev.owner.start_ns) {
			/* the kernel named the process exactly: /proc is only for exe */
			v.exe = exe_of(ev.owner.tgid, ev.owner.start_ns, ev.ts_ns);
		} else if (ta_procinfo_read(ev.owner.tgid, ev.ts_ns, &pi) == 0) {
			v.exe = pi.exe[0] ? pi.exe : NULL;
			info.start_ns = pi.start_ticks * (1000000000ull / sysconf(_SC_CLK_TCK));
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
		pinfo.start_ns = 0; /* the kernel's other.start_ns is used */
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

static unsigned int key_hash(const struct ta_flow_key *k)
{
	const unsigned char *b = (const unsigned char *)k;
	unsigned int h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h % TA_HOLD_BUCKETS;
}

static void unlink_held(struct ta_pipeline *p, int slot)
{
	int *link = &p->buckets[key_hash(&p->held[slot].ev.key)];

	while (*link >= 0 && *link != slot)
		link = &p->held[*link].next;
	if (*link == slot)
		*link = p->held[slot].next;
}

/* Report a held flow as it is now and free its slot. */
static void release(struct ta_pipeline *p, int slot)
{
	struct ta_held *h = &p->held[slot];

	if (!h->live)
		return;
	h->live = 0;
	unlink_held(p, slot);
	report(p, &h->ev, h->tls);
	if (h->tls) {
		free(h->tls->client);
		free(h->tls);
		h->tls = NULL;
	}
}

/* Drop released slots from the old end of the ring. */
static void trim(struct ta_pipeline *p)
{
	while (p->n_held && !p->held[p->head].live) {
		p->head = (p->head + 1) % TA_HOLD_MAX;
		p->n_held--;
	}
}

static void hold(struct ta_pipeline *p, const struct ta_flow_event *ev, int need_owner,
		 int need_tls, __u64 wait_ns)
{
	struct ta_held *h;
	unsigned int b;
	int slot;

	if (p->n_held == TA_HOLD_MAX) {
		/* full: the oldest goes out now, as it is, rather than be lost */
		release(p, p->head);
		trim(p);
	}
	slot = (p->head + p->n_held) % TA_HOLD_MAX;
	p->n_held++;
	h = &p->held[slot];
	memset(h, 0, sizeof(*h));
	h->ev = *ev;
	h->deadline_ns = boot_ns() + wait_ns;
	h->live = 1;
	h->need_owner = need_owner;
	h->need_tls = need_tls;
	if (need_tls) {
		h->tls = calloc(1, sizeof(*h->tls));
		if (!h->tls)
			h->need_tls = 0;
	}
	/* newest first in its chain: a reused port finds its own flow */
	b = key_hash(&ev->key);
	h->next = p->buckets[b];
	p->buckets[b] = slot;
}

static int find_held(struct ta_pipeline *p, const struct ta_flow_key *key)
{
	int slot = p->buckets[key_hash(key)];

	while (slot >= 0 && memcmp(&p->held[slot].ev.key, key, sizeof(*key)))
		slot = p->held[slot].next;
	return slot;
}

static void maybe_release(struct ta_pipeline *p, int i)
{
	struct ta_held *h = &p->held[i];

	if (h->need_tls && h->tls->client_done && h->tls->server_done)
		h->need_tls = 0;
	if (!h->need_owner && !h->need_tls) {
		release(p, i);
		trim(p);
	}
}

/* A local server accepted a watched connection: whichever way the flow was
 * seen, its server end now has an owner. */
static void owner_arrived(struct ta_pipeline *p, const struct ta_owner_event *oe)
{
	int i = find_held(p, &oe->key);

	if (i < 0)
		return;
	if (!p->held[i].ev.has_server_owner) {
		p->held[i].ev.server_owner = oe->owner;
		p->held[i].ev.has_server_owner = 1;
		p->late_owners++;
	}
	p->held[i].need_owner = 0;
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
		/* the server will not answer; the client may still finish its
		 * hello (it half-closed first, or the hold's deadline ends it) */
		t->server_done = 1;
		t->closed = !t->server_len;
	} else if (c->dir == TA_CHUNK_SERVER) {
		if (!t->server_done) {
			memcpy(t->server, c->data, len);
			t->server_len = len;
			t->server_done = 1;
		}
		t->client_done = 1; /* the kernel stops the client capture here */
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
	int server_side, need_owner, need_tls;
	__u64 wait = 0;

	if (len < sizeof(__u32))
		return 0;
	if (ev->type == TA_EV_FLOW && len >= sizeof(*ev)) {
		/* at ingress towards a local address: the server's, once it accept()s */
		server_side = (ev->flags & TA_F_INGRESS) &&
			      ta_addr_is_local(ev->key.server, ev->key.family);
		need_owner = !(ev->flags & TA_F_FORWARDED) && !ev->has_server_owner &&
			     ev->verdict != TA_V_MIDSTREAM;
		if (need_owner)
			/* a client flow waits briefly for a peer on this kernel */
			wait = server_side ? p->hold_ns : p->peer_hold_ns;
		/* a TLS verdict on a flow whose start we saw: its handshake follows */
		need_tls = ev->verdict == TA_V_TLS && (ev->flags & TA_F_SYN_SEEN);
		if (need_tls && wait < p->tls_hold_ns)
			wait = p->tls_hold_ns;
		if (need_owner || need_tls)
			hold(p, ev, need_owner, need_tls, wait);
		else
			report(p, ev, NULL);
	} else if (ev->type == TA_EV_OWNER && len >= sizeof(struct ta_owner_event)) {
		owner_arrived(p, data);
	} else if ((ev->type == TA_EV_CHUNK || ev->type == TA_EV_CLOSE) &&
		   len >= offsetof(struct ta_chunk_event, data)) {
		/* records carry only their bytes; never trust len beyond them */
		const struct ta_chunk_event *c = data;

		if (c->len <= len - offsetof(struct ta_chunk_event, data))
			chunk_arrived(p, c);
	}
	return 0;
}

void ta_pipeline_tick(struct ta_pipeline *p, int flush_all)
{
	__u64 now = boot_ns();
	int k, slot;

	for (k = 0; k < p->n_held; k++) {
		slot = (p->head + k) % TA_HOLD_MAX;
		if (p->held[slot].live && (flush_all || now >= p->held[slot].deadline_ns))
			release(p, slot);
	}
	trim(p);
}

void ta_pipeline_free(struct ta_pipeline *p)
{
	ta_summary_free(&p->summary);
}
