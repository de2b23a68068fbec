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
 *
 *   bench_helper rusage FILE CMD [ARG]...
 *       run CMD (stdin, stdout and stderr are its own) and write one JSON
 *       line to FILE: wall_s, user_s, sys_s, cpu_s (user + sys of CMD and
 *       every descendant it waited for: wait4's rusage), max_rss_kb,
 *       exit_status. Microseconds, where GNU time prints hundredths. Exits
 *       with CMD's status (127 if it could not be run).
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static volatile pid_t child;

static void forward_signal(int sig)
{
	if (child > 0)
		kill(child, sig);
}

static int rusage_run(const char *file, char **cmd)
{
	struct sigaction fwd = { .sa_handler = forward_signal };
	struct rusage ru;
	double t0, wall;
	int status, rc;
	FILE *fp;
	pid_t pid;

	/* opened first, so a bad FILE is an error before CMD has run */
	fp = fopen(file, "w");
	if (!fp) {
		fprintf(stderr, "bench_helper: %s: %s\n", file, strerror(errno));
		return 2;
	}
	t0 = now_s();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench_helper: fork: %s\n", strerror(errno));
		fclose(fp);
		return 2;
	}
	if (!pid) {
		fclose(fp);
		execvp(cmd[0], cmd);
		fprintf(stderr, "bench_helper: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	/* SIGINT/SIGTERM/SIGHUP are passed on to CMD, and CMD is still waited
	 * for, so its rusage is reported however it ends */
	child = pid;
	sigaction(SIGINT, &fwd, NULL);
	sigaction(SIGTERM, &fwd, NULL);
	sigaction(SIGHUP, &fwd, NULL);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "bench_helper: wait4: %s\n", strerror(errno));
			fclose(fp);
			return 2;
		}
	}
	wall = now_s() - t0;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	fprintf(fp,
		"{\"wall_s\":%.6f,\"user_s\":%.6f,\"sys_s\":%.6f,\"cpu_s\":%.6f,"
		"\"max_rss_kb\":%ld,\"exit_status\":%d}\n",
		wall, tv_s(ru.ru_utime), tv_s(ru.ru_stime), tv_s(ru.ru_utime) + tv_s(ru.ru_stime),
		ru.ru_maxrss, rc);
	fclose(fp);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "xdp-noop"))
		return xdp_noop(argc - 2, argv + 2);
	if (argc == 2 && !strcmp(argv[1], "bpf-stats"))
		return bpf_stats();
	if (argc >= 4 && !strcmp(argv[1], "rusage"))
		return rusage_run(argv[2], argv + 3);
	fprintf(stderr, "usage: bench_helper xdp-noop IFACE... | bench_helper bpf-stats | "
			"bench_helper rusage FILE CMD [ARG]...\n");
	return 2;
}
