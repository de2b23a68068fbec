// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* enrich.c - owners, cgroups, containers and handshakes added to a flow. */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "flow/enrich.h"
#include "output/lines.h"
#include "owners/container.h"
#include "owners/localaddr.h"
#include "tls/names.h"

void ta_enricher_init(struct ta_enricher *e, const struct ta_filters *filters, __u64 to_realtime_ns,
		      struct ta_local_addrs *local)
{
	memset(e, 0, sizeof(*e));
	e->filters = filters;
	e->to_realtime_ns = to_realtime_ns;
	e->local = local;
	/* captured flows have no owners to look up */
	e->have_cgroups = local && !ta_cgroups_init(&e->cgroups);
}

void ta_enricher_free(struct ta_enricher *e)
{
	if (e->have_cgroups)
		ta_cgroups_free(&e->cgroups);
	e->have_cgroups = 0;
}

static int is_local(struct ta_enricher *e, const __u8 addr[16])
{
	return e->local && ta_addr_is_local(e->local, addr, time(NULL));
}

static int passes_filters(const struct ta_filters *f, const struct ta_flow_record *r)
{
	if (!f || (!f->pid && !f->cgroup[0] && !f->container[0]))
		return 1;
	if (!r->ev.has_owner)
		return 0;
	if (f->pid && r->ev.owner.tgid != f->pid)
		return 0;
	if (f->cgroup[0] && (!r->cgroup_path || !ta_cgroup_is_under(r->cgroup_path, f->cgroup)))
		return 0;
	if (f->container[0] && !((r->container && !strcmp(r->container, f->container)) ||
				 (r->pod && !strcmp(r->pod, f->container))))
		return 0;
	return 1;
}

/*
 * Which local socket a flow belongs to. Both ends may be on this kernel (a
 * client in one namespace, a server in another): a verdict taken at ingress
 * towards one of our addresses is the server's, anything else is the client's
 * first, the server's when only the server is known.
 */
static int pick_server(struct ta_enricher *e, const struct ta_flow_event *ev)
{
	if (ev->has_server_owner && (ev->flags & TA_F_INGRESS) && is_local(e, ev->key.server))
		return 1;
	return !ev->has_owner && ev->has_server_owner;
}

/* The reported end goes in r->ev.owner; the other end, if local, is the peer. */
static void pick_ends(struct ta_enricher *e, const struct ta_flow_event *kev,
		      struct ta_flow_record *r)
{
	int server = pick_server(e, kev), has_other;

	if (server) {
		r->ev.owner = kev->server_owner;
		r->ev.has_owner = 1;
		r->role = TA_ROLE_SERVER;
		has_other = kev->has_owner;
		e->peer = kev->owner;
		e->peer.role = TA_ROLE_CLIENT;
	} else {
		r->role = kev->has_owner ? TA_ROLE_CLIENT : TA_ROLE_NONE;
		has_other = kev->has_server_owner;
		e->peer = kev->server_owner;
		e->peer.role = TA_ROLE_SERVER;
	}
	r->peer = has_other ? &e->peer : NULL;
	if (kev->flags & TA_F_CAPTURED)
		r->role = TA_ROLE_CAPTURED;
	else if (!r->ev.has_owner &&
		 ((kev->flags & TA_F_FORWARDED) ||
		  (!is_local(e, kev->key.client) && !is_local(e, kev->key.server))))
		/* no local socket and neither end is ours: passing through */
		r->role = TA_ROLE_FORWARDED;
	r->ev.role = r->role;
}

/* The name of the interface a verdict was taken on; names rarely change,
 * but can, so each is asked again after a second. */
static const char *iface_name(struct ta_enricher *e, __u32 ifindex)
{
	unsigned int i = ifindex % TA_IFNAME_CACHE;
	time_t now = time(NULL);

	if (!ifindex)
		return NULL;
	if (e->ifname[i].ifindex != ifindex || e->ifname[i].at != now) {
		e->ifname[i].ifindex = ifindex;
		e->ifname[i].at = now;
		if (!if_indextoname(ifindex, e->ifname[i].name))
			e->ifname[i].name[0] = '\0';
	}
	return e->ifname[i].name[0] ? e->ifname[i].name : NULL;
}

/* The owner's cgroup path, container and pod, exe and network namespace. */
static void owner_details(struct ta_enricher *e, struct ta_flow_record *r)
{
	const struct ta_owner *o = &r->ev.owner;
	struct ta_procinfo pi;

	if (e->have_cgroups &&
	    !ta_cgroups_path(&e->cgroups, o->cgroup_id, e->cgroup_path, sizeof(e->cgroup_path))) {
		r->cgroup_path = e->cgroup_path;
		if (ta_container_from_cgroup(e->cgroup_path, e->container, sizeof(e->container),
					     e->pod, sizeof(e->pod))) {
			r->container = e->container[0] ? e->container : NULL;
			r->pod = e->pod[0] ? e->pod : NULL;
		}
	}
	if (o->start_ns) {
		/* the kernel named the process exactly: /proc is only for exe */
		r->exe = ta_exe_of(&e->exe, o->tgid, o->start_ns, r->ev.ts_ns);
	} else if (ta_procinfo_read(o->tgid, r->ev.ts_ns, &pi) == 0) {
		memcpy(e->exe_buf, pi.exe, sizeof(e->exe_buf));
		r->exe = e->exe_buf[0] ? e->exe_buf : NULL;
		r->start_ns = pi.start_ticks * (1000000000ull / sysconf(_SC_CLK_TCK));
		r->netns_ino = pi.netns_ino;
	}
	if (o->netns_ino)
		r->netns_ino = o->netns_ino;
}

/* What the handshake said, parsed here from the captured bytes. */
static void handshake(struct ta_enricher *e, const struct ta_tls_capture *cap,
		      struct ta_flow_record *r)
{
	if (cap->have && !ta_parse_client_hello(cap->client, cap->have, &e->ch)) {
		if (cap->gap)
			e->ch.truncated = 1;
		r->ch = &e->ch;
	}
	if (cap->server_len) {
		ta_parse_server_hello(cap->server, cap->server_len, &e->sh);
		r->sh = &e->sh;
	} else if (cap->closed) {
		memset(&e->sh, 0, sizeof(e->sh));
		e->sh.kind = TA_TLS_NO_RESPONSE;
		r->sh = &e->sh;
	}
	r->tls = r->ch || r->sh;
	if (r->sh) {
		r->tls_outcome = ta_tls_answer_name(r->sh->kind);
		if (r->sh->has_version)
			r->tls_version = ta_tls_version_name(r->sh->version);
	}
}

int ta_enrich(struct ta_enricher *e, const struct ta_flow_event *ev,
	      const struct ta_tls_capture *cap, int evicted, struct ta_flow_record *r)
{
	memset(r, 0, sizeof(*r));
	r->ev = *ev;
	pick_ends(e, ev, r);
	if (ev->verdict == TA_V_MIDSTREAM) {
		/* why the first bytes were never seen: the flow was there before
		 * us, or the flow table lost it, or it started before its
		 * interface was watched */
		if (ev->flags & TA_F_PREEXISTING)
			r->reason = "preexisting";
		else
			r->reason = evicted ? "evicted" : "start_not_seen";
		/* a flow the table lost before its verdict is not "midstream" by
		 * nature: its first bytes went by unjudged, so it is unknown */
		if (evicted && !(ev->flags & TA_F_PREEXISTING))
			r->ev.verdict = TA_V_UNKNOWN;
	}
	r->realtime_ns = ev->ts_ns + e->to_realtime_ns;
	if (e->local)
		r->iface = iface_name(e, ev->ifindex);
	if (r->ev.has_owner)
		owner_details(e, r);
	if (!passes_filters(e->filters, r))
		return 1;
	if (cap)
		handshake(e, cap, r);
	ta_format_addr(r->role == TA_ROLE_SERVER ? ev->key.client : ev->key.server, ev->key.family,
		       e->peer_addr, sizeof(e->peer_addr));
	r->peer_addr = e->peer_addr;
	return 0;
}
