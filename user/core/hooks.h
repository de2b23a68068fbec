/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hooks.h - the process-context hooks that name socket owners: connect4/6,
 * sendmsg4/6 and sockops on the cgroup2 root (every process on the machine,
 * containers included), and the accept tracepoints for local servers. All
 * are links: the kernel detaches them when tlsaudit dies.
 */
#ifndef TA_HOOKS_H
#define TA_HOOKS_H

struct tlsaudit;
struct bpf_link;

#define TA_MAX_HOOKS 8

struct ta_hooks {
	struct bpf_link *links[TA_MAX_HOOKS];
	int n;
	int cg_fd;
};

/* 0, or -errno with the reason said; what was attached stays in h for
 * ta_hooks_detach(). */
int ta_hooks_attach(struct ta_hooks *h, struct tlsaudit *skel, const char *cg_mount, int verbose);
void ta_hooks_detach(struct ta_hooks *h);

#endif
