/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * attach.h - putting the TC programs on interfaces and taking them off again.
 *
 * tcx links are preferred: the kernel removes them when tlsaudit dies, even by
 * SIGKILL, unless they are held (pinned, core/hold.h: --enforce). Kernels
 * without tcx get a clsact filter with a fixed handle, which outlives the
 * process: a stale or held one of ours is replaced in place at start-up, and
 * at exit what we attached is removed unless it is held.
 */
#ifndef TA_ATTACH_H
#define TA_ATTACH_H

#include <net/if.h>
#include <linux/types.h>

#define TA_MAX_IFACES 64

enum ta_attach_mode {
	TA_ATTACH_NONE = 0,
	TA_ATTACH_TCX,
	TA_ATTACH_CLSACT,
	TA_ATTACH_XDP,
};

struct ta_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	int ingress_fd; /* tcx (or XDP) link fds, -1 when not attached */
	int egress_fd;
	int mode;		/* enum ta_attach_mode */
	int created_qdisc;	/* clsact mode: we made the qdisc, so we remove it */
	int hold;		/* set before attach: pin the links, keep them at exit */
	unsigned int took_over; /* bits 1 << enum ta_hold_point: held links taken over */
	int attach_failures;
};

/* Resolve a name; returns the ifindex or 0 if there is no such interface. */
int ta_iface_index(const char *name);
/* Fill names with every interface that is up; returns how many. */
int ta_ifaces_up(char names[][IF_NAMESIZE], int max);
/* Attach both directions (ingress only when egress_prog_fd < 0); returns 0 or
 * -errno (nothing is left half-attached). */
int ta_iface_attach(struct ta_iface *ifc, int ingress_prog_fd, int egress_prog_fd);
/* XDP through a link; 0 or -errno. */
int ta_iface_attach_xdp(struct ta_iface *ifc, int prog_fd);
/* Take the programs off, except, with keep_hold, what this run holds. */
void ta_iface_detach(struct ta_iface *ifc, int keep_hold);
/* Remove our clsact filters (both directions) from ifindex: how many. */
int ta_clsact_remove_ours(int ifindex);

#endif
