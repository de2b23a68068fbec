/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ifaces.h - the interfaces a live run watches: the packet programs attached
 * to each (TC host mode, TC or XDP gateway mode), and, when no interface was
 * named, every interface that comes up later (rtnetlink), with those that
 * vanish forgotten.
 */
#ifndef TA_IFACES_H
#define TA_IFACES_H

#include <net/if.h>
#include "core/attach.h"
#include "flow/record.h"

struct tlsaudit;

enum ta_hook_kind {
	TA_HOOK_TC_HOST = 0, /* ingress and egress: the local sockets' traffic */
	TA_HOOK_TC_GATEWAY,  /* forwarded traffic at TC ingress */
	TA_HOOK_XDP_GATEWAY, /* forwarded traffic at XDP */
};

struct ta_ifaces {
	struct ta_iface ifc[TA_MAX_IFACES];
	int n;
	enum ta_hook_kind kind;
	struct tlsaudit *skel;
	int hold;      /* --enforce: the links outlive the run (core/hold.h) */
	int follow_fd; /* rtnetlink, when following every interface; else -1 */
};

/* Attach to names (all must work when explicit, at least one otherwise),
 * holding the links when hold. 0, or -errno with the reason said; what was
 * attached stays for detach. */
int ta_ifaces_attach(struct ta_ifaces *s, struct tlsaudit *skel, enum ta_hook_kind kind, int hold,
		     const char (*names)[IF_NAMESIZE], int n, int explicit);
/* Follow interfaces as they come and go; 0 or -errno. */
int ta_ifaces_follow(struct ta_ifaces *s);
/* Handle what the link watch has to say; call from the run loop. */
void ta_ifaces_poll(struct ta_ifaces *s);
/* Watched interface names, space-separated, for the ready line. */
void ta_ifaces_names(const struct ta_ifaces *s, char *out, size_t n);
/* Status for the counters; returns how many were filled (at most max). */
int ta_ifaces_status(const struct ta_ifaces *s, struct ta_iface_status *out, int max,
		     __u64 *failures);
/* Some interface is attached the legacy way (clsact): removing its filters
 * at exit needs CAP_NET_ADMIN. */
int ta_ifaces_need_net_admin(const struct ta_ifaces *s);
/* Detach all, keeping (and saying so) what this run holds; after a failed
 * start only what it took over from an earlier run. */
void ta_ifaces_detach(struct ta_ifaces *s, int failed);

#endif
