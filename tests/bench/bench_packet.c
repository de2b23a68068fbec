// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_packet.c - per-packet cost of tlsaudit's packet programs against a
 * no-op program of the same type, measured side by side with
 * BPF_PROG_TEST_RUN in one process, one trial interleaving both.
 *
 * Hooks: TC (ta_tc_ingress vs noop_tc) and XDP (ta_xdp_gateway vs noop_xdp).
 * Paths, for each hook:
 *
 *   unwatched    a data packet to port 80 (repeat R, default 1e6)
 *   classified   a data packet of a flow that is already decided (repeat R)
 *   new_flow     the first payload after a SYN (a whole ClientHello), which
 *                decides the flow and emits its event
 *   continuation a flow whose first segment was a lone 5-byte TLS record
 *                header (pending); the next segment decides it
 *
 * A flow is new only once, so the last two are timed with repeat=1 over many
 * distinct flows, each next to a repeat=1 run of the no-op program on the
 * same frame: the kernel's own timer brackets only the program runs, so both
 * carry the same timer overhead. The SYN before and the RST after each such
 * flow run untimed (the RST removes the flow entry, as a real close does).
 *
 * Per trial: the steady-state paths' ns is the kernel's mean over R runs, the
 * no-op's is the mean of a run before and a run after them; the repeat=1
 * paths' ns is the median over the trial's flows (one interrupt inside a
 * 500 ns window would otherwise dominate a mean; the means are printed too).
 * Reported: the median over the trials.
 *
 * The ring buffer is drained every BATCH flow pairs, so it never fills (its
 * drop counter is printed to show it). The first
 * event after a drain also pays the ring buffer's wakeup of its reader (an
 * irq_work, a self-IPI: microseconds in a VM); that sample is set apart and
 * its extra cost printed on its own line. An untimed check first shows that
 * each flow's event comes out of the step that is timed, and none out of
 * the lone header.
 *
 * It is a benchmark, not a test: it asserts nothing, it prints each figure
 * next to its target and marks the missed ones.
 *
 *   bench_packet [--trials N] [--repeat R] [--flows K] [--hello FILE] [--json FILE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
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

#define MAX_TRIALS 101
#define FRAME_MAX 1600
#define SERVER_PORT 443
/* flow pairs between two drains of the ring buffer: each pair is two flow
 * events plus whatever else a TLS flow emits (handshake chunks of up to
 * ~2 KB each); 32 pairs stay well inside the 1 MB ring. The ring's own drop
 * counter is printed, so an overflow would show. */
#define BATCH 32

struct frame {
	unsigned char b[FRAME_MAX];
	unsigned len;
};

/* A client->server IPv4 TCP frame of flow `id` (distinct ids are distinct
 * 4-tuples: client 10.<id/64000>.x, port 1024 + id%64000). */
static void build(struct frame *f, unsigned id, unsigned dport, unsigned seq, unsigned char flags,
		  const void *pl, unsigned plen)
{
	unsigned char *ip = f->b + 14, *tcp = ip + 20;
	unsigned cport = 1024 + id % 64000, hi = id / 64000;

	if (plen > FRAME_MAX - 54)
		plen = FRAME_MAX - 54;
	memset(f->b, 0, 54);
	f->b[0] = 0x02; /* dst mac 02:00:00:00:00:02, src 02:00:00:00:00:01 */
	f->b[5] = 0x02;
	f->b[6] = 0x02;
	f->b[11] = 0x01;
	f->b[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (40 + plen) >> 8;
	ip[3] = (40 + plen) & 0xff;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 10;
	ip[13] = 1 + (hi >> 8);
	ip[14] = hi & 0xff;
	ip[15] = 1;
	ip[16] = 10;
	ip[17] = 250;
	ip[18] = 0;
	ip[19] = 2;
	tcp[0] = cport >> 8;
	tcp[1] = cport;
	tcp[2] = dport >> 8;
	tcp[3] = dport;
	tcp[4] = seq >> 24;
	tcp[5] = seq >> 16;
	tcp[6] = seq >> 8;
	tcp[7] = seq;
	tcp[8] = 0x12; /* an ack number, as on every non-SYN segment */
	tcp[11] = 0x34;
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	tcp[14] = 0xfa; /* window */
	if (plen)
		memcpy(tcp + 20, pl, plen);
	f->len = 54 + plen < 60 ? 60 : 54 + plen;
	if (f->len > 54 + plen)
		memset(f->b + 54 + plen, 0, f->len - 54 - plen);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static double run_ns(int fd, const struct frame *f, int repeat)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "bench_packet: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		exit(1);
	}
	return o.duration; /* mean ns per run, timed in the kernel */
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_TRIALS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_d);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* flow verdict events, and every record (other kinds: handshake chunks...) */
static unsigned long long events_seen, records_seen;

static int drain_cb(void *c, void *d, size_t l)
{
	__u32 type = 0;

	(void)c;
	if (l >= sizeof(type))
		memcpy(&type, d, sizeof(type));
	records_seen++;
	if (type == TA_EV_FLOW)
		events_seen++;
	return 0;
}

/* The ClientHello the "new flow" and "continuation" paths send. */
static unsigned char hello[FRAME_MAX];
static unsigned hello_len;

static void load_hello(const char *path)
{
	static const unsigned char fallback[] = { 0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00,
						  0xc4, 0x03, 0x03, 0x11, 0x22, 0x33, 0x44, 0x55 };
	FILE *fp = path ? fopen(path, "rb") : NULL;

	if (fp) {
		hello_len = fread(hello, 1, FRAME_MAX - 54, fp);
		fclose(fp);
	}
	if (hello_len < 6) {
		if (path)
			fprintf(stderr, "bench_packet: cannot read %s; using a 16-byte hello\n",
				path);
		memcpy(hello, fallback, sizeof(fallback));
		hello_len = sizeof(fallback);
	}
}

enum {
	P_UNW,
	P_CLS,
	P_NEW,
	P_CONT,
	P_MAX
};

static const char *const path_key[P_MAX] = { "unwatched", "classified", "new_flow",
					     "continuation" };
static const char *const path_desc[P_MAX] = {
	"unwatched port (repeat R)",
	"classified flow packet (repeat R)",
	"new flow: 1st payload + event (repeat 1)",
	"ClientHello continuation (repeat 1)",
};
/* targets over the no-op, ns */
static const double path_target[P_MAX] = { 3, 15, 200, 200 };

struct hook_res {
	const char *name;
	double ns[P_MAX], noop[P_MAX];
	double syn_ns, hdr_ns;	 /* untimed-path extras: the SYN, the lone header */
	double wakeup_ns;	 /* extra cost of an event the reader was waiting for */
	double mean_over[P_MAX]; /* repeat=1 paths: means instead of medians, over noop */
	unsigned long long ev_expected[P_MAX], ev_seen[P_MAX], ev_batch;
};

struct cfg {
	int trials, repeat, flows;
};

static unsigned next_id;

/* Untimed check that each repeat=1 path is what it claims: the flow's event
 * comes out of the step that is timed, and none out of the lone header. */
#define VALIDATE_FLOWS 100
static void validate(struct hook_res *r, int prog, struct ring_buffer *rb)
{
	struct frame f;
	unsigned long long before;
	int i;

	ring_buffer__consume(rb);
	for (i = 0; i < VALIDATE_FLOWS; i++) {
		unsigned id = next_id++, isn = 0x30000000u + id * 7919u;

		build(&f, id, SERVER_PORT, isn, F_SYN, NULL, 0);
		run_ns(prog, &f, 1);
		ring_buffer__consume(rb);
		before = events_seen;
		build(&f, id, SERVER_PORT, isn + 1, F_PSH | F_ACK, hello, hello_len);
		run_ns(prog, &f, 1);
		ring_buffer__consume(rb);
		r->ev_seen[P_NEW] += events_seen - before;
		build(&f, id, SERVER_PORT, isn + 1 + hello_len, F_RST | F_ACK, NULL, 0);
		run_ns(prog, &f, 1);

		id = next_id++;
		build(&f, id, SERVER_PORT, isn, F_SYN, NULL, 0);
		run_ns(prog, &f, 1);
		ring_buffer__consume(rb);
		before = events_seen;
		build(&f, id, SERVER_PORT, isn + 1, F_PSH | F_ACK, hello, 5);
		run_ns(prog, &f, 1);
		ring_buffer__consume(rb);
		r->ev_seen[P_UNW] += events_seen - before; /* the lone header: want 0 */
		before = events_seen;
		build(&f, id, SERVER_PORT, isn + 6, F_PSH | F_ACK, hello + 5, hello_len - 5);
		run_ns(prog, &f, 1);
		ring_buffer__consume(rb);
		r->ev_seen[P_CONT] += events_seen - before;
		build(&f, id, SERVER_PORT, isn + 1 + hello_len, F_RST | F_ACK, NULL, 0);
		run_ns(prog, &f, 1);
	}
	ring_buffer__consume(rb);
}

/* median of v[0..n), sorting v in place */
static double median_inplace(double *v, int n)
{
	if (n < 1)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double mean(const double *v, int n)
{
	double s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += v[i];
	return n ? s / n : 0;
}

/* per-flow samples of one trial */
enum {
	S_NF,
	S_NF_NOOP,
	S_CO,
	S_CO_NOOP,
	S_SYN,
	S_HDR,
	S_WK,
	S_MAX
};

static void bench_hook(struct hook_res *r, int prog, int noop, struct ring_buffer *rb,
		       const struct cfg *c)
{
	double unw[MAX_TRIALS], cls[MAX_TRIALS], n_rep[MAX_TRIALS];
	double med[S_MAX][MAX_TRIALS], avg[S_MAX][MAX_TRIALS];
	double *smp[S_MAX];
	struct frame unwatched, classified, f;
	unsigned cls_id = next_id++;
	int t, i, k;

	for (k = 0; k < S_MAX; k++) {
		smp[k] = calloc(c->flows, sizeof(double));
		if (!smp[k]) {
			fprintf(stderr, "bench_packet: out of memory\n");
			exit(1);
		}
	}
	validate(r, prog, rb);
	/* one decided flow for the classified path */
	build(&f, cls_id, SERVER_PORT, 1000, F_SYN, NULL, 0);
	run_ns(prog, &f, 1);
	build(&f, cls_id, SERVER_PORT, 1001, F_PSH | F_ACK, hello, hello_len);
	run_ns(prog, &f, 1);
	ring_buffer__consume(rb);
	/* steady-state frames: a small data segment, as most packets of a flow */
	build(&unwatched, cls_id, 80, 5001, F_PSH | F_ACK, hello + 5, 100);
	build(&classified, cls_id, SERVER_PORT, 5001, F_PSH | F_ACK, hello + 5, 100);

	for (t = 0; t < c->trials; t++) {
		int n[S_MAX] = {};
		unsigned long long before;
		double a, b;

		a = run_ns(noop, &classified, c->repeat);
		unw[t] = run_ns(prog, &unwatched, c->repeat);
		cls[t] = run_ns(prog, &classified, c->repeat);
		b = run_ns(noop, &classified, c->repeat);
		n_rep[t] = (a + b) / 2;
		ring_buffer__consume(rb);

		for (i = 0; i < c->flows; i++) {
			unsigned id = next_id++, isn = 0x10000000u + id * 7919u;
			double x, y;

			/* new flow: SYN, then the whole ClientHello decides it */
			build(&f, id, SERVER_PORT, isn, F_SYN, NULL, 0);
			smp[S_SYN][n[S_SYN]++] = run_ns(prog, &f, 1);
			build(&f, id, SERVER_PORT, isn + 1, F_PSH | F_ACK, hello, hello_len);
			y = run_ns(noop, &f, 1);
			x = run_ns(prog, &f, 1);
			if (i % BATCH == 0) {
				/* the first event since the reader caught up: the ring
				 * buffer's wakeup (irq_work) lands in this run */
				smp[S_WK][n[S_WK]++] = x - y;
			} else {
				smp[S_NF_NOOP][n[S_NF_NOOP]++] = y;
				smp[S_NF][n[S_NF]++] = x;
			}
			build(&f, id, SERVER_PORT, isn + 1 + hello_len, F_RST | F_ACK, NULL, 0);
			run_ns(prog, &f, 1);

			/* continuation: SYN, the lone 5-byte header, then the rest */
			id = next_id++;
			isn = 0x20000000u + id * 7919u;
			build(&f, id, SERVER_PORT, isn, F_SYN, NULL, 0);
			run_ns(prog, &f, 1);
			build(&f, id, SERVER_PORT, isn + 1, F_PSH | F_ACK, hello, 5);
			smp[S_HDR][n[S_HDR]++] = run_ns(prog, &f, 1);
			build(&f, id, SERVER_PORT, isn + 6, F_PSH | F_ACK, hello + 5,
			      hello_len - 5);
			smp[S_CO_NOOP][n[S_CO_NOOP]++] = run_ns(noop, &f, 1);
			smp[S_CO][n[S_CO]++] = run_ns(prog, &f, 1);
			build(&f, id, SERVER_PORT, isn + 1 + hello_len, F_RST | F_ACK, NULL, 0);
			run_ns(prog, &f, 1);
			r->ev_expected[P_NEW]++;
			r->ev_expected[P_CONT]++;
			if (i % BATCH == BATCH - 1 || i == c->flows - 1) {
				before = events_seen;
				ring_buffer__consume(rb);
				r->ev_batch += events_seen - before;
			}
		}
		for (k = 0; k < S_MAX; k++) {
			avg[k][t] = mean(smp[k], n[k]);
			med[k][t] = median_inplace(smp[k], n[k]);
		}
	}
	r->ns[P_UNW] = median(unw, c->trials);
	r->ns[P_CLS] = median(cls, c->trials);
	r->noop[P_UNW] = r->noop[P_CLS] = median(n_rep, c->trials);
	r->ns[P_NEW] = median(med[S_NF], c->trials);
	r->noop[P_NEW] = median(med[S_NF_NOOP], c->trials);
	r->ns[P_CONT] = median(med[S_CO], c->trials);
	r->noop[P_CONT] = median(med[S_CO_NOOP], c->trials);
	r->mean_over[P_NEW] = median(avg[S_NF], c->trials) - median(avg[S_NF_NOOP], c->trials);
	r->mean_over[P_CONT] = median(avg[S_CO], c->trials) - median(avg[S_CO_NOOP], c->trials);
	r->syn_ns = median(med[S_SYN], c->trials);
	r->hdr_ns = median(med[S_HDR], c->trials);
	r->wakeup_ns = median(avg[S_WK], c->trials);
	for (k = 0; k < S_MAX; k++)
		free(smp[k]);
}

/* tlsaudit's ringbuf_drops counter, summed over CPUs */
static unsigned long long ringbuf_drops(struct tlsaudit *ta)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u32 key = TA_STAT_RINGBUF_DROPS;
	unsigned long long sum = 0;
	__u64 *v;

	if (ncpu < 1)
		return 0;
	v = calloc(ncpu, sizeof(*v));
	if (v && !bpf_map_lookup_elem(bpf_map__fd(ta->maps.stats), &key, v))
		for (c = 0; c < ncpu; c++)
			sum += v[c];
	free(v);
	return sum;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *fp = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!fp)
		return;
	while (fgets(line, sizeof(line), fp)) {
		char *v = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !v)
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		v[strcspn(v, "\n")] = 0;
		snprintf(buf, len, "%s", v);
		break;
	}
	fclose(fp);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_packet [--trials N] [--repeat R] [--flows K] [--hello FILE] "
			"[--json FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "trials", required_argument, NULL, 't' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "flows", required_argument, NULL, 'f' },
		{ "hello", required_argument, NULL, 'H' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cfg c = { .trials = 11, .repeat = 1000000, .flows = 2000 };
	const char *hello_path = "tests/fixtures/tls/python.clienthello.bin", *json = NULL;
	struct hook_res res[2] = { { .name = "tc" }, { .name = "xdp" } };
	struct tlsaudit *ta;
	struct noop *np;
	struct ring_buffer *rb;
	struct utsname u;
	char cpu[256];
	int opt, h, p, missed = 0;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 't':
			c.trials = atoi(optarg);
			break;
		case 'r':
			c.repeat = atoi(optarg);
			break;
		case 'f':
			c.flows = atoi(optarg);
			break;
		case 'H':
			hello_path = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		default:
			usage();
		}
	}
	if (c.trials < 1 || c.trials > MAX_TRIALS || c.repeat < 1 || c.flows < 1)
		usage();
	if (geteuid()) {
		fprintf(stderr, "bench_packet: needs root\n");
		return 1;
	}
	load_hello(hello_path);
	ta = tlsaudit__open();
	np = noop__open_and_load();
	if (!ta || !np) {
		fprintf(stderr, "bench_packet: cannot open the BPF objects\n");
		return 1;
	}
	ta->rodata->ta_ports[SERVER_PORT >> 3] |= 1u << (SERVER_PORT & 7);
	if (tlsaudit__load(ta)) {
		fprintf(stderr, "bench_packet: cannot load tlsaudit's BPF object\n");
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(ta->maps.events), drain_cb, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "bench_packet: ring buffer: %s\n", strerror(errno));
		return 1;
	}

	bench_hook(&res[0], bpf_program__fd(ta->progs.ta_tc_ingress),
		   bpf_program__fd(np->progs.noop_tc), rb, &c);
	bench_hook(&res[1], bpf_program__fd(ta->progs.ta_xdp_gateway),
		   bpf_program__fd(np->progs.noop_xdp), rb, &c);

	uname(&u);
	cpu_model(cpu, sizeof(cpu));
	printf("# per-packet cost over a no-op program of the same type, BPF_PROG_TEST_RUN\n");
	printf("# kernel %s %s; CPU %s; %ld online CPUs\n", u.release, u.machine, cpu,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("# median of %d trials; R=%d; %d distinct flows per trial per repeat=1 path; "
	       "ClientHello %u bytes\n",
	       c.trials, c.repeat, c.flows, hello_len);
	printf("%-4s %-42s %8s %8s %9s %8s %s\n", "hook", "path", "ns", "noop_ns", "over", "target",
	       "");
	for (h = 0; h < 2; h++) {
		for (p = 0; p < P_MAX; p++) {
			double over = res[h].ns[p] - res[h].noop[p];
			int miss = over > path_target[p];

			missed += miss;
			printf("%-4s %-42s %8.1f %8.1f %+9.1f %8s %s\n", res[h].name, path_desc[p],
			       res[h].ns[p], res[h].noop[p], over,
			       p == P_UNW   ? "<= +3"
			       : p == P_CLS ? "<= +15"
					    : "<= +200",
			       miss ? "MISSED" : "ok");
		}
		printf("%-4s %-42s %+8.1f %+8.1f %9s\n", res[h].name,
		       "  the same two, as means (over noop)", res[h].mean_over[P_NEW],
		       res[h].mean_over[P_CONT], "");
		printf("%-4s %-42s %8.1f %8s\n", res[h].name,
		       "  (untimed step) SYN: new flow entry", res[h].syn_ns, "");
		printf("%-4s %-42s %8.1f %8s\n", res[h].name, "  (untimed step) lone 5-byte header",
		       res[h].hdr_ns, "");
		printf("%-4s %-42s %+8.1f %8s\n", res[h].name,
		       "  ring-buffer wakeup, reader caught up", res[h].wakeup_ns, "");
		printf("%-4s   check (%d flows, untimed): events at the timed step: new flow %llu, "
		       "continuation %llu; at the lone header %llu (want %d, %d, 0); timed: "
		       "%llu flow events for %llu flows\n",
		       res[h].name, VALIDATE_FLOWS, res[h].ev_seen[P_NEW], res[h].ev_seen[P_CONT],
		       res[h].ev_seen[P_UNW], VALIDATE_FLOWS, VALIDATE_FLOWS, res[h].ev_batch,
		       res[h].ev_expected[P_NEW] + res[h].ev_expected[P_CONT]);
	}
	printf("# ring-buffer records drained: %llu, of which flow events: %llu; ringbuf_drops: %llu "
	       "(want 0)\n",
	       records_seen, events_seen, ringbuf_drops(ta));
	printf("# %d of %d per-packet figures missed their target\n", missed, 2 * P_MAX);

	if (json) {
		FILE *fp = fopen(json, "w");

		if (!fp) {
			fprintf(stderr, "bench_packet: %s: %s\n", json, strerror(errno));
			return 1;
		}
		fprintf(fp,
			"{\"trials\":%d,\"repeat\":%d,\"flows_per_trial\":%d,\"hello_bytes\":%u,"
			"\"results\":[",
			c.trials, c.repeat, c.flows, hello_len);
		for (h = 0; h < 2; h++)
			for (p = 0; p < P_MAX; p++)
				fprintf(fp,
					"%s{\"hook\":\"%s\",\"path\":\"%s\",\"ns\":%.1f,"
					"\"noop_ns\":%.1f,\"over_ns\":%.1f,\"target_over_ns\":%.0f,"
					"\"missed\":%s}",
					h || p ? "," : "", res[h].name, path_key[p], res[h].ns[p],
					res[h].noop[p], res[h].ns[p] - res[h].noop[p],
					path_target[p],
					res[h].ns[p] - res[h].noop[p] > path_target[p] ? "true"
										       : "false");
		fprintf(fp, "],\"extra\":[");
		for (h = 0; h < 2; h++)
			fprintf(fp,
				"%s{\"hook\":\"%s\",\"syn_ns\":%.1f,\"lone_header_ns\":%.1f,"
				"\"ringbuf_wakeup_extra_ns\":%.1f,\"new_flow_mean_over_ns\":%.1f,"
				"\"continuation_mean_over_ns\":%.1f,\"check_flows\":%d,"
				"\"check_events_new_flow\":%llu,\"check_events_continuation\":%llu,"
				"\"check_events_lone_header\":%llu,\"timed_flows\":%llu,"
				"\"timed_events\":%llu}",
				h ? "," : "", res[h].name, res[h].syn_ns, res[h].hdr_ns,
				res[h].wakeup_ns, res[h].mean_over[P_NEW], res[h].mean_over[P_CONT],
				VALIDATE_FLOWS, res[h].ev_seen[P_NEW], res[h].ev_seen[P_CONT],
				res[h].ev_seen[P_UNW],
				res[h].ev_expected[P_NEW] + res[h].ev_expected[P_CONT],
				res[h].ev_batch);
		fprintf(fp,
			"],\"ringbuf_records\":%llu,\"flow_events\":%llu,\"ringbuf_drops\":%llu}\n",
			records_seen, events_seen, ringbuf_drops(ta));
		fclose(fp);
	}
	ring_buffer__free(rb);
	tlsaudit__destroy(ta);
	noop__destroy(np);
	return 0;
}
