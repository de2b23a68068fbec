// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_helper.c - small privileged helpers for tests/bench/run.sh. Each one
 * holds what it set up only while it runs: kill it (SIGINT/SIGTERM) and the
 * kernel undoes it, even on SIGKILL.
 *
 *   bench_helper xdp-noop IFACE...
 *       attach the no-op XDP program (tests/bench/noop.bpf.c) to each IFACE
 *       of the current network namespace through BPF links, the baseline of
 *       the XDP gateway throughput figures, the same way tlsaudit attaches
 *       its own (bpf_program__attach_xdp)
 *   bench_helper bpf-stats
 *       hold a BPF_ENABLE_STATS fd: while it runs, every BPF program's
 *       run_time_ns/run_cnt are counted (and every program pays for that)
 *
 * Both print "bench_helper: ready" on stderr once set up, then wait for a
 * signal.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "noop.skel.h"

#define MAX_IFACES 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void wait_for_signal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fprintf(stderr, "bench_helper: ready\n");
	fflush(stderr);
	while (!stop)
		pause();
}

static int xdp_noop(int n, char **ifaces)
{
	struct bpf_link *links[MAX_IFACES] = {};
	struct noop *np;
	int i, rc = 0;

	if (n < 1 || n > MAX_IFACES) {
		fprintf(stderr, "bench_helper: xdp-noop takes 1 to %d interfaces\n", MAX_IFACES);
		return 2;
	}
	np = noop__open_and_load();
	if (!np) {
		fprintf(stderr, "bench_helper: cannot load the no-op programs\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		unsigned idx = if_nametoindex(ifaces[i]);

		if (!idx) {
			fprintf(stderr, "bench_helper: no interface %s\n", ifaces[i]);
			rc = 1;
			goto out;
		}
		links[i] = bpf_program__attach_xdp(np->progs.noop_xdp, idx);
		if (!links[i]) {
			fprintf(stderr, "bench_helper: XDP attach to %s: %s\n", ifaces[i],
				strerror(errno));
			rc = 1;
			goto out;
		}
	}
	wait_for_signal();
out:
	for (i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	noop__destroy(np);
	return rc;
}

static int bpf_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0) {
		fprintf(stderr, "bench_helper: BPF_ENABLE_STATS: %s\n", strerror(-fd));
		return 1;
	}
	wait_for_signal();
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "xdp-noop"))
		return xdp_noop(argc - 2, argv + 2);
	if (argc == 2 && !strcmp(argv[1], "bpf-stats"))
		return bpf_stats();
	fprintf(stderr, "usage: bench_helper xdp-noop IFACE... | bench_helper bpf-stats\n");
	return 2;
}
