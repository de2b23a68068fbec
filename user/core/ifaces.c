// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ifaces.c - attach to interfaces, follow them, detach. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "core/ifaces.h"
#include "core/linkwatch.h"
#include "tlsaudit.h"
#include "tlsaudit.skel.h"

static int attach_one(struct ta_ifaces *s, const char *name, int ifindex)
{
	struct ta_iface *ifc;
	int err, i;

	for (i = 0; i < s->n; i++)
		if (s->ifc[i].ifindex == ifindex && s->ifc[i].mode != TA_ATTACH_NONE)
			return 0;
	if (s->n == TA_MAX_IFACES) {
		fprintf(stderr, "tlsaudit: cannot watch %s: already watching %d interfaces\n", name,
			TA_MAX_IFACES);
		return -ENOSPC;
	}
	ifc = &s->ifc[s->n++];
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->ifindex = ifindex;
	ifc->ingress_fd = ifc->egress_fd = -1;
	ifc->hold = s->hold;
	if (!ifindex) {
		err = -ENODEV;
		ifc->attach_failures++;
	} else if (s->kind == TA_HOOK_XDP_GATEWAY) {
		err = ta_iface_attach_xdp(ifc, bpf_program__fd(s->skel->progs.ta_xdp_gateway));
	} else if (s->kind == TA_HOOK_TC_GATEWAY) {
		/* forwarded traffic: each direction is some interface's ingress */
		err = ta_iface_attach(ifc, bpf_program__fd(s->skel->progs.ta_tc_gateway), -1);
	} else {
		err = ta_iface_attach(ifc, bpf_program__fd(s->skel->progs.ta_tc_ingress),
				      bpf_program__fd(s->skel->progs.ta_tc_egress));
	}
	if (err)
		fprintf(stderr, "tlsaudit: cannot attach to %s: %s\n", name, strerror(-err));
	else if (ifc->took_over)
		fprintf(stderr, "tlsaudit: %s: took over the enforcement an earlier run held%s\n",
			name,
			ifc->hold ? " (its programs replaced in one step: no packet went unjudged)"
				  : "; this run does not enforce, so it ends now");
	return err;
}

int ta_ifaces_attach(struct ta_ifaces *s, struct tlsaudit *skel, enum ta_hook_kind kind, int hold,
		     const char (*names)[IF_NAMESIZE], int n, int explicit)
{
	int i, ok = 0;

	memset(s, 0, sizeof(*s));
	s->skel = skel;
	s->kind = kind;
	s->hold = hold;
	s->follow_fd = -1;
	for (i = 0; i < n; i++) {
		if (attach_one(s, names[i], ta_iface_index(names[i]))) {
			/* interfaces named by the user must all work */
			if (explicit)
				return -ENODEV;
			continue;
		}
		ok++;
	}
	if (!ok) {
		fprintf(stderr, "tlsaudit: no interface could be attached\n");
		return -ENODEV;
	}
	return 0;
}

int ta_ifaces_follow(struct ta_ifaces *s)
{
	s->follow_fd = ta_linkwatch_open();
	return s->follow_fd < 0 ? s->follow_fd : 0;
}

/* An interface came up, or went: its tcx links went with it. */
static void on_link(struct ta_ifaces *s, const struct ta_link_event *e)
{
	int i;

	for (i = 0; i < s->n; i++) {
		struct ta_iface *ifc = &s->ifc[i];

		if (ifc->ifindex != e->ifindex || ifc->mode == TA_ATTACH_NONE)
			continue;
		if (e->gone) {
			ta_iface_detach(ifc, 0);
			fprintf(stderr, "tlsaudit: interface %s is gone\n", ifc->name);
			*ifc = s->ifc[--s->n];
		}
		return;
	}
	if (e->gone || !e->up || !e->name[0])
		return;
	if (!attach_one(s, e->name, e->ifindex))
		fprintf(stderr, "tlsaudit: watching new interface %s\n", e->name);
}

void ta_ifaces_poll(struct ta_ifaces *s)
{
	struct ta_link_event ev[64];
	int n, i;

	if (s->follow_fd < 0)
		return;
	while ((n = ta_linkwatch_read(s->follow_fd, ev, 64)) > 0 || n == -EAGAIN)
		for (i = 0; i < n; i++)
			on_link(s, &ev[i]);
}

void ta_ifaces_names(const struct ta_ifaces *s, char *out, size_t n)
{
	size_t len = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < s->n && len < n; i++)
		if (s->ifc[i].mode != TA_ATTACH_NONE)
			len += snprintf(out + len, n - len, "%s%s", len ? " " : "", s->ifc[i].name);
}

int ta_ifaces_status(const struct ta_ifaces *s, struct ta_iface_status *out, int max,
		     __u64 *failures)
{
	int i;

	*failures = 0;
	for (i = 0; i < s->n; i++) {
		*failures += s->ifc[i].attach_failures;
		if (i < max) {
			snprintf(out[i].name, sizeof(out[i].name), "%s", s->ifc[i].name);
			out[i].monitored = s->ifc[i].mode != TA_ATTACH_NONE;
			out[i].attach_failures = s->ifc[i].attach_failures;
		}
	}
	return s->n < max ? s->n : max;
}

int ta_ifaces_need_net_admin(const struct ta_ifaces *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->ifc[i].mode == TA_ATTACH_CLSACT)
			return 1;
	return s->follow_fd >= 0;
}

void ta_ifaces_detach(struct ta_ifaces *s, int failed)
{
	char held[TA_MAX_IFACES * (IF_NAMESIZE + 1)];
	size_t len = 0;
	int i;

	held[0] = '\0';
	for (i = 0; i < s->n; i++) {
		/* a run that failed to start leaves nothing of its own attached,
		 * but what an earlier run held stays held */
		int keep = s->hold && (!failed || s->ifc[i].took_over);

		if (keep && s->ifc[i].mode != TA_ATTACH_NONE && len < sizeof(held))
			len += snprintf(held + len, sizeof(held) - len, "%s%s", len ? " " : "",
					s->ifc[i].name);
		ta_iface_detach(&s->ifc[i], keep);
	}
	if (held[0])
		fprintf(stderr,
			"tlsaudit: enforcement stays on for %s (held in %s): the next tlsaudit "
			"--enforce takes it over; tlsaudit --release ends it\n",
			held, TA_HOLD_DIR);
	s->n = 0;
	if (s->follow_fd >= 0)
		close(s->follow_fd);
	s->follow_fd = -1;
}
