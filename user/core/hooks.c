// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hooks.c - attach the owner hooks, and detach them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "core/hooks.h"
#include "tlsaudit.skel.h"

/* Syscall tracepoints need tracefs; a minimal system may not have mounted it. */
static void ensure_tracefs(int verbose)
{
	struct stat st;

	if (!stat("/sys/kernel/tracing/events", &st) ||
	    !stat("/sys/kernel/debug/tracing/events", &st))
		return;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) && verbose)
		fprintf(stderr, "tlsaudit: cannot mount tracefs: %s\n", strerror(errno));
}

static int keep(struct ta_hooks *h, struct bpf_link *l, const char *what)
{
	int err;

	if (!l) {
		err = -errno;
		fprintf(stderr, "tlsaudit: cannot attach %s: %s\n", what, strerror(-err));
		return err;
	}
	if (h->n == TA_MAX_HOOKS) {
		bpf_link__destroy(l);
		return -ENOSPC;
	}
	h->links[h->n++] = l;
	return 0;
}

int ta_hooks_attach(struct ta_hooks *h, struct tlsaudit *sk, const char *cg_mount, int verbose)
{
	int err;

	h->n = 0;
	h->cg_fd = -1;
	if (!cg_mount) {
		fprintf(stderr,
			"tlsaudit: no cgroup2 mount found: process attribution needs one\n");
		return -ENOENT;
	}
	h->cg_fd = open(cg_mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->cg_fd < 0) {
		err = -errno;
		fprintf(stderr, "tlsaudit: cannot open cgroup2 mount %s: %s\n", cg_mount,
			strerror(-err));
		return err;
	}
	ensure_tracefs(verbose);
	if ((err = keep(h, bpf_program__attach_cgroup(sk->progs.ta_connect4, h->cg_fd),
			"connect4")) ||
	    (err = keep(h, bpf_program__attach_cgroup(sk->progs.ta_connect6, h->cg_fd),
			"connect6")) ||
	    (err = keep(h, bpf_program__attach_cgroup(sk->progs.ta_sendmsg4, h->cg_fd),
			"sendmsg4")) ||
	    (err = keep(h, bpf_program__attach_cgroup(sk->progs.ta_sendmsg6, h->cg_fd),
			"sendmsg6")) ||
	    (err = keep(h, bpf_program__attach_cgroup(sk->progs.ta_sockops, h->cg_fd),
			"sockops")) ||
	    (err = keep(h, bpf_program__attach(sk->progs.ta_accept4_exit), "accept4 tracepoint")) ||
	    (err = keep(h, bpf_program__attach(sk->progs.ta_accept_exit), "accept tracepoint")))
		return err;
	return 0;
}

void ta_hooks_detach(struct ta_hooks *h)
{
	int i;

	for (i = 0; i < h->n; i++)
		bpf_link__destroy(h->links[i]);
	h->n = 0;
	if (h->cg_fd >= 0)
		close(h->cg_fd);
	h->cg_fd = -1;
}
