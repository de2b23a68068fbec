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
static void report(struct ta_pipeline *p, const struct ta_flow_event *kev)
{
	struct ta_flow_event ev = *kev;
	struct ta_flow_view v = { .ev = &ev };
	struct ta_owner_info info = { 0 };
	struct ta_procinfo pi;
	char line[4096], cg[512], cid[80], pod[80], peer[INET6_ADDRSTRLEN + 8];
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
	p->reported++;
	ta_format_addr(ev.role == TA_ROLE_SERVER ? ev.key.client : ev.key.server, ev.key.family,
		       peer, sizeof(peer));
	info.container = v.container ? v.container : v.pod;
	info.peer = peer;
	info.realtime_ns = v.realtime_ns;
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
		pinfo.start_ticks = ta_proc_start_ticks(other.tgid);
		ta_summary_add(&p->summary, &pe, &pinfo);
	}
	if (p->on_flow)
		p->on_flow(&ev, info.container, p->on_flow_ctx);
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

static void hold(struct ta_pipeline *p, const struct ta_flow_event *ev)
{
	if (p->n_held == TA_HOLD_MAX) {
		/* full: the oldest goes out now, ownerless, rather than be lost */
		report(p, &p->held[0].ev);
		memmove(&p->held[0], &p->held[1], sizeof(p->held[0]) * (TA_HOLD_MAX - 1));
		p->n_held--;
	}
	p->held[p->n_held].ev = *ev;
	p->held[p->n_held].arrived_ns = boot_ns();
	p->n_held++;
}

static void owner_arrived(struct ta_pipeline *p, const struct ta_owner_event *oe)
{
	int i;

	for (i = 0; i < p->n_held; i++) {
		struct ta_flow_event *ev = &p->held[i].ev;

		if (memcmp(&ev->key, &oe->key, sizeof(oe->key)))
			continue;
		ev->server_owner = oe->owner;
		ev->has_server_owner = 1;
		p->late_owners++;
		report(p, ev);
		memmove(&p->held[i], &p->held[i + 1], sizeof(p->held[0]) * (p->n_held - i - 1));
		p->n_held--;
		return;
	}
}

int ta_pipeline_record(struct ta_pipeline *p, const void *data, size_t len)
{
	const struct ta_flow_event *ev = data;

	if (len < sizeof(__u32))
		return 0;
	if (ev->type == TA_EV_FLOW && len >= sizeof(*ev)) {
		if (ev->flags & TA_F_FORWARDED) {
			report(p, ev);
			return 0;
		}
		/* at ingress, towards a local address, before the server's accept() */
		if ((ev->flags & TA_F_INGRESS) && !ev->has_server_owner &&
		    ta_addr_is_local(ev->key.server, ev->key.family))
			hold(p, ev);
		else
			report(p, ev);
	} else if (ev->type == TA_EV_OWNER && len >= sizeof(struct ta_owner_event)) {
		owner_arrived(p, data);
	}
	return 0;
}

void ta_pipeline_tick(struct ta_pipeline *p, int flush_all)
{
	__u64 now = boot_ns();
	int i = 0;

	while (i < p->n_held) {
		if (flush_all || now - p->held[i].arrived_ns >= p->hold_ns) {
			report(p, &p->held[i].ev);
			memmove(&p->held[i], &p->held[i + 1],
				sizeof(p->held[0]) * (p->n_held - i - 1));
			p->n_held--;
		} else {
			i++;
		}
	}
}

void ta_pipeline_free(struct ta_pipeline *p)
{
	ta_summary_free(&p->summary);
}
