/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * attach.h - putting the TC programs on interfaces and taking them off again.
 *
 * tcx links are preferred: the kernel removes them when tlsaudit dies, even by
 * SIGKILL. Kernels without tcx get a clsact filter with a fixed handle, which
 * outlives the process, so stale filters of ours are removed at start-up and
 * only what we created is destroyed at exit.
 */
#ifndef TA_ATTACH_H
#define TA_ATTACH_H

#include <net/if.h>
#include <linux/types.h>

struct bpf_link;
struct bpf_program;

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
	int ingress_fd; /* tcx link fds, -1 when not attached */
	int egress_fd;
	int mode;	   /* enum ta_attach_mode */
	int created_qdisc; /* clsact mode: we made the qdisc, so we remove it */
	struct bpf_link *xdp_link;
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
int ta_iface_attach_xdp(struct ta_iface *ifc, struct bpf_program *prog);
void ta_iface_detach(struct ta_iface *ifc);

#endif
