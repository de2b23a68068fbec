// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_packet.c - per-packet cost of each TC path against a no-op TC program,
 * measured side by side in one run with BPF_PROG_TEST_RUN.
 *
 * Paths: an unwatched port; a packet of an already classified flow (repeat
 * 1e6); and, since a "new flow" can only be new once, the SYN that creates a
 * flow and the first payload that decides it and emits the event, each timed
 * with repeat=1 over many distinct flows against the no-op with repeat=1 (the
 * kernel's own timer brackets only the program runs, so both carry the same
 * timer overhead). Medians of TRIALS trials. Not a test: it asserts nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tlsaudit.h"
#include "tlsaudit.skel.h"
#include "noop.skel.h"

#define TRIALS 11
#define REPEAT 1000000
#define NEWFLOWS 20000

struct frame {
	unsigned char b[256];
	unsigned len;
};

static void build(struct frame *f, unsigned cport, unsigned sport, unsigned seq,
		  unsigned char flags, const void *pl, unsigned plen)
{
	unsigned char *ip = f->b + 14, *tcp = ip + 20;

	memset(f->b, 0, sizeof(f->b));
	f->b[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (40 + plen) >> 8;
	ip[3] = (40 + plen) & 0xff;
	ip[8] = 64;
	ip[9] = 6;
	inet_pton(AF_INET, "10.203.7.1", ip + 12);
	inet_pton(AF_INET, "10.203.7.2", ip + 16);
	tcp[0] = cport >> 8;
	tcp[1] = cport;
	tcp[2] = sport >> 8;
	tcp[3] = sport;
	tcp[4] = seq >> 24;
	tcp[5] = seq >> 16;
	tcp[6] = seq >> 8;
	tcp[7] = seq;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	memcpy(tcp + 20, pl, plen);
	f->len = 54 + plen < 60 ? 60 : 54 + plen;
}

static double run_ns(int fd, const struct frame *f, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "test_run: %s\n", strerror(errno));
		exit(1);
	}
	return o.duration; /* average ns per run, measured in the kernel */
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return v[n / 2];
}

static const unsigned char hello[] = { 0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4,
				       0x03, 0x03, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77 };

static int drain_cb(void *c, void *d, size_t l)
{
	(void)c, (void)d, (void)l;
	return 0;
}

int main(void)
{
	double noop[TRIALS], unw[TRIALS], cls[TRIALS], noop1[TRIALS], syn[TRIALS], first[TRIALS];
	struct tlsaudit *ta;
	struct noop *np;
	struct ring_buffer *rb;
	struct frame f;
	struct utsname u;
	int t, i, ta_in, np_fd;
	unsigned cport = 1024;

	if (geteuid()) {
		fprintf(stderr, "bench_packet: needs root\n");
		return 1;
	}
	ta = tlsaudit__open();
	np = noop__open_and_load();
	if (!ta || !np)
		return 1;
	ta->rodata->ta_ports[443 >> 3] |= 1u << (443 & 7);
	if (tlsaudit__load(ta))
		return 1;
	rb = ring_buffer__new(bpf_map__fd(ta->maps.events), drain_cb, NULL, NULL);
	ta_in = bpf_program__fd(ta->progs.ta_tc_ingress);
	np_fd = bpf_program__fd(np->progs.noop_tc);

	/* one classified flow for the "already classified" path */
	build(&f, 999, 443, 1, 0x02, NULL, 0);
	run_ns(ta_in, &f, 1);
	build(&f, 999, 443, 2, 0x18, hello, sizeof(hello));
	run_ns(ta_in, &f, 1);

	for (t = 0; t < TRIALS; t++) {
		double s_syn = 0, s_first = 0, s_noop1 = 0;
		struct frame unwatched, classified;

		build(&unwatched, 999, 80, 2, 0x18, hello, sizeof(hello));
		build(&classified, 999, 443, 2, 0x18, hello, sizeof(hello));
		noop[t] = run_ns(np_fd, &classified, REPEAT);
		unw[t] = run_ns(ta_in, &unwatched, REPEAT);
		cls[t] = run_ns(ta_in, &classified, REPEAT);
		for (i = 0; i < NEWFLOWS / TRIALS; i++) {
			if (++cport > 65000)
				cport = 1024;
			build(&f, cport, 443, 1000, 0x02, NULL, 0);
			s_noop1 += run_ns(np_fd, &f, 1);
			s_syn += run_ns(ta_in, &f, 1);
			build(&f, cport, 443, 1001, 0x18, hello, sizeof(hello));
			s_first += run_ns(ta_in, &f, 1);
			if (i % 1000 == 999)
				ring_buffer__consume(rb);
		}
		ring_buffer__consume(rb);
		noop1[t] = s_noop1 / (NEWFLOWS / TRIALS);
		syn[t] = s_syn / (NEWFLOWS / TRIALS);
		first[t] = s_first / (NEWFLOWS / TRIALS);
	}
	uname(&u);
	printf("# tlsaudit per-packet cost, TC, BPF_PROG_TEST_RUN, median of %d trials\n", TRIALS);
	printf("# kernel %s %s, %ld CPUs\n", u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
	double n = median(noop, TRIALS), n1 = median(noop1, TRIALS);
	double a = median(unw, TRIALS), b = median(cls, TRIALS);
	double c = median(syn, TRIALS), d = median(first, TRIALS);
	printf("%-42s %8s %8s %10s %s\n", "path", "ns", "noop_ns", "over_noop", "target");
	printf("%-42s %8.1f %8.1f %+10.1f %s\n", "unwatched port (repeat 1e6)", a, n, a - n, "<= +5");
	printf("%-42s %8.1f %8.1f %+10.1f %s\n", "classified flow packet (repeat 1e6)", b, n, b - n,
	       "<= +25");
	printf("%-42s %8.1f %8.1f %+10.1f %s\n", "SYN: new flow entry (repeat 1, mean)", c, n1, c - n1,
	       "-");
	printf("%-42s %8.1f %8.1f %+10.1f %s\n", "first payload + event (repeat 1, mean)", d, n1,
	       d - n1, "<= +250");
	ring_buffer__free(rb);
	tlsaudit__destroy(ta);
	noop__destroy(np);
	return 0;
}
