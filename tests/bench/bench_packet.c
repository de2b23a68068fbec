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
 * Every flow completes its handshake (the client's SYN, the server's SYN-ACK,
 * then segments that acknowledge it), as on a host that sees both
 * directions: the classified flow is a proven one, and the new_flow and
 * continuation paths include the move to the proven table.
 *
 * A flow is new only once, so the last two are timed with repeat=1 over many
 * distinct flows, each next to a repeat=1 run of the no-op program on the
 * same frame: the kernel's own timer brackets only the program runs, so both
 * carry the same timer overhead. The SYN and SYN-ACK before and the RST
 * after each such flow run untimed (the RST removes the flow entry, as a
 * real close does).
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
 * With --enforce, a second pass measures --enforce against audit mode: see
 * bench_enforce() below. Its lines start with "enforce:" and come after all
 * the others, and its JSON keys are "enforce", "enforce_extra" and
 * "enforce_flow_events": the output without it is unchanged.
 *
 *   bench_packet [--trials N] [--repeat R] [--flows K] [--hello FILE] [--json FILE] [--enforce]
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

/* The server's SYN-ACK to flow id's SYN of isn: the ISN the client's
 * segments acknowledge (build's 0x12000034, less one), so the flow's
 * handshake completes and its entry is proven, as on a host that sees both
 * directions. */
static void build_syn_ack(struct frame *f, unsigned id, unsigned isn)
{
	unsigned char *ip = f->b + 14, *tcp = ip + 20, t[4];

	build(f, id, SERVER_PORT, 0x12000033u, F_SYN | F_ACK, NULL, 0);
	memcpy(t, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, t, 4);
	memcpy(t, tcp, 2);
	memcpy(tcp, tcp + 2, 2);
	memcpy(tcp + 2, t, 2);
	isn++;
	tcp[8] = isn >> 24;
	tcp[9] = isn >> 16;
	tcp[10] = isn >> 8;
	tcp[11] = isn;
}

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

/* the same, keeping the program's return value (its action) in *act */
static double run_act(int fd, const struct frame *f, int repeat, int *act)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = f->len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o)) {
		fprintf(stderr, "bench_packet: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		exit(1);
	}
	*act = (int)o.retval;
	return o.duration;
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
	build_syn_ack(&f, cls_id, 1000);
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
			build_syn_ack(&f, id, isn);
			run_ns(prog, &f, 1);
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
			build_syn_ack(&f, id, isn);
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

/*
 * Enforcement against audit: two more instances of the object, fresh (their
 * tables as empty as the first instance's were), one loaded with rodata
 * ta_enforce = 0 and one with ta_enforce = 1, so the only difference between
 * them is --enforce. In each trial both run every path on the same frames,
 * next to the same no-op runs, in an order that alternates (trial by trial
 * for the repeat=R paths, flow by flow for the repeat=1 ones). Paths: the
 * four above, and
 *
 *   blocked      a data segment of a flow whose first payload was a plaintext
 *                HTTP request (repeat R): audit passes it as a classified
 *                flow's; enforce has blocked the flow and drops it
 *
 * Under enforce the lone 5-byte header of the continuation path is held at
 * the gate (dropped until the verdict), and the continuation segment then
 * decides the flow, as in audit: the same frames, so the same work but the
 * gate. Every timed run's action is kept: the check line shows what each
 * instance did with each path.
 */
enum {
	E_UNW,
	E_CLS,
	E_NEW,
	E_CONT,
	E_BLK,
	E_MAX
};

static const char *const e_key[E_MAX] = { "unwatched", "classified", "new_flow", "continuation",
					  "blocked" };
static const char *const e_desc[E_MAX] = {
	"unwatched port (repeat R)",
	"classified flow packet (repeat R)",
	"new flow: 1st payload + event (repeat 1)",
	"ClientHello continuation (repeat 1)",
	"blocked flow: next plaintext segment (R)",
};

/* instance 0: audit, 1: enforce */
struct enf_res {
	const char *name;
	double ns[2][E_MAX], noop[E_MAX];
	/* the actions of the timed runs: how many passed, how many dropped */
	unsigned long long pass[2][E_MAX], drop[2][E_MAX];
	/* the lone header of the continuation path, untimed */
	unsigned long long hdr_pass[2], hdr_drop[2];
	unsigned long long ev_expected, ev_seen[2];
};

static unsigned long long enf_events[2];

static int enf_drain_cb(void *c, void *d, size_t l)
{
	__u32 type = 0;

	if (l >= sizeof(type))
		memcpy(&type, d, sizeof(type));
	if (type == TA_EV_FLOW)
		enf_events[(long)c]++;
	return 0;
}

static void enf_act(struct enf_res *r, int inst, int path, int act, int drop_act)
{
	if (act == drop_act)
		r->drop[inst][path]++;
	else
		r->pass[inst][path]++;
}

static const char plain_req[] = "GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: bench_packet\r\n\r\n";

static void bench_enforce(struct enf_res *r, const int prog[2], int noop, struct ring_buffer *rb[2],
			  int drop_act, const struct cfg *c)
{
	double unw[2][MAX_TRIALS], cls[2][MAX_TRIALS], blk[2][MAX_TRIALS], n_rep[MAX_TRIALS];
	double med[6][MAX_TRIALS];
	double *smp[6]; /* new flow a/e/noop, continuation a/e/noop */
	struct frame unwatched, classified, blocked, f;
	unsigned cls_id = next_id++, blk_id = next_id++;
	int t, i, k, j, act;

	for (k = 0; k < 6; k++) {
		smp[k] = calloc(c->flows, sizeof(double));
		if (!smp[k]) {
			fprintf(stderr, "bench_packet: out of memory\n");
			exit(1);
		}
	}
	/* a decided TLS flow, and a plaintext one (blocked by enforce), in both */
	for (j = 0; j < 2; j++) {
		build(&f, cls_id, SERVER_PORT, 1000, F_SYN, NULL, 0);
		run_ns(prog[j], &f, 1);
		build_syn_ack(&f, cls_id, 1000);
		run_ns(prog[j], &f, 1);
		build(&f, cls_id, SERVER_PORT, 1001, F_PSH | F_ACK, hello, hello_len);
		run_ns(prog[j], &f, 1);
		build(&f, blk_id, SERVER_PORT, 7000, F_SYN, NULL, 0);
		run_ns(prog[j], &f, 1);
		build_syn_ack(&f, blk_id, 7000);
		run_ns(prog[j], &f, 1);
		build(&f, blk_id, SERVER_PORT, 7001, F_PSH | F_ACK, plain_req,
		      sizeof(plain_req) - 1);
		run_ns(prog[j], &f, 1);
		ring_buffer__consume(rb[j]);
	}
	build(&unwatched, cls_id, 80, 5001, F_PSH | F_ACK, hello + 5, 100);
	build(&classified, cls_id, SERVER_PORT, 5001, F_PSH | F_ACK, hello + 5, 100);
	/* the request's continuation: the next 100 bytes of the stream */
	build(&blocked, blk_id, SERVER_PORT, 7001 + sizeof(plain_req) - 1, F_PSH | F_ACK, hello + 5,
	      100);

	for (t = 0; t < c->trials; t++) {
		int n = 0, nc = 0;
		double a, b;

		a = run_ns(noop, &classified, c->repeat);
		for (k = 0; k < 2; k++) {
			j = (t + k) % 2; /* audit first in even trials */
			unw[j][t] = run_act(prog[j], &unwatched, c->repeat, &act);
			enf_act(r, j, E_UNW, act, drop_act);
			cls[j][t] = run_act(prog[j], &classified, c->repeat, &act);
			enf_act(r, j, E_CLS, act, drop_act);
			blk[j][t] = run_act(prog[j], &blocked, c->repeat, &act);
			enf_act(r, j, E_BLK, act, drop_act);
		}
		b = run_ns(noop, &classified, c->repeat);
		n_rep[t] = (a + b) / 2;
		for (j = 0; j < 2; j++)
			ring_buffer__consume(rb[j]);

		for (i = 0; i < c->flows; i++) {
			unsigned id = next_id++, isn = 0x40000000u + id * 7919u;
			double x[2], y;

			/* new flow: the same SYN and ClientHello in both instances */
			build(&f, id, SERVER_PORT, isn, F_SYN, NULL, 0);
			for (j = 0; j < 2; j++)
				run_ns(prog[j], &f, 1);
			build_syn_ack(&f, id, isn);
			for (j = 0; j < 2; j++)
				run_ns(prog[j], &f, 1);
			build(&f, id, SERVER_PORT, isn + 1, F_PSH | F_ACK, hello, hello_len);
			y = run_ns(noop, &f, 1);
			for (k = 0; k < 2; k++) {
				j = (i + k) % 2;
				x[j] = run_act(prog[j], &f, 1, &act);
				enf_act(r, j, E_NEW, act, drop_act);
			}
			if (i % BATCH) { /* not the first event after a drain: see above */
				smp[0][n] = x[0];
				smp[1][n] = x[1];
				smp[2][n++] = y;
			}
			build(&f, id, SERVER_PORT, isn + 1 + hello_len, F_RST | F_ACK, NULL, 0);
			for (j = 0; j < 2; j++)
				run_ns(prog[j], &f, 1);

			/* continuation: SYN, the lone header (held by enforce), the rest */
			id = next_id++;
			isn = 0x50000000u + id * 7919u;
			build(&f, id, SERVER_PORT, isn, F_SYN, NULL, 0);
			for (j = 0; j < 2; j++)
				run_ns(prog[j], &f, 1);
			build_syn_ack(&f, id, isn);
			for (j = 0; j < 2; j++)
				run_ns(prog[j], &f, 1);
			build(&f, id, SERVER_PORT, isn + 1, F_PSH | F_ACK, hello, 5);
			for (j = 0; j < 2; j++) {
				run_act(prog[j], &f, 1, &act);
				if (act == drop_act)
					r->hdr_drop[j]++;
				else
					r->hdr_pass[j]++;
			}
			build(&f, id, SERVER_PORT, isn + 6, F_PSH | F_ACK, hello + 5,
			      hello_len - 5);
			smp[5][nc] = run_ns(noop, &f, 1);
			for (k = 0; k < 2; k++) {
				j = (i + k) % 2;
				smp[3 + j][nc] = run_act(prog[j], &f, 1, &act);
				enf_act(r, j, E_CONT, act, drop_act);
			}
			nc++;
			build(&f, id, SERVER_PORT, isn + 1 + hello_len, F_RST | F_ACK, NULL, 0);
			for (j = 0; j < 2; j++)
				run_ns(prog[j], &f, 1);
			r->ev_expected += 2;
			if (i % BATCH == BATCH - 1 || i == c->flows - 1)
				for (j = 0; j < 2; j++)
					ring_buffer__consume(rb[j]);
		}
		for (k = 0; k < 3; k++)
			med[k][t] = median_inplace(smp[k], n);
		for (k = 3; k < 6; k++)
			med[k][t] = median_inplace(smp[k], nc);
	}
	for (j = 0; j < 2; j++) {
		r->ns[j][E_UNW] = median(unw[j], c->trials);
		r->ns[j][E_CLS] = median(cls[j], c->trials);
		r->ns[j][E_BLK] = median(blk[j], c->trials);
		r->ns[j][E_NEW] = median(med[j], c->trials);
		r->ns[j][E_CONT] = median(med[3 + j], c->trials);
		r->ev_seen[j] = enf_events[j];
	}
	r->noop[E_UNW] = r->noop[E_CLS] = r->noop[E_BLK] = median(n_rep, c->trials);
	r->noop[E_NEW] = median(med[2], c->trials);
	r->noop[E_CONT] = median(med[5], c->trials);
	for (k = 0; k < 6; k++)
		free(smp[k]);
}

/* enforce / audit of the cost over the no-op; null when audit's is under
 * 1 ns (the unwatched path: noise over nothing) */
static int enf_ratio(const struct enf_res *r, int p, double *ratio)
{
	double a = r->ns[0][p] - r->noop[p], e = r->ns[1][p] - r->noop[p];

	if (a < 1)
		return 0;
	*ratio = e / a;
	return 1;
}

static void enf_print(const struct enf_res *er, int drop_act)
{
	int h, p;

	(void)drop_act;
	printf("# enforce vs audit: two more instances, fresh, loaded with rodata ta_enforce = 0 and "
	       "= 1, run on the same frames in each trial (order alternating), over the same no-op\n");
	printf("enforce: %-4s %-42s %9s %9s %8s %8s %8s %8s %8s %8s\n", "hook", "path", "audit",
	       "enforce", "e-a", "e/a", "audit_ns", "enf_ns", "noop_ns", "e/a(ns)");
	for (h = 0; h < 2; h++) {
		const struct enf_res *r = &er[h];

		for (p = 0; p < E_MAX; p++) {
			double ratio, a = r->ns[0][p] - r->noop[p], e = r->ns[1][p] - r->noop[p];
			char rs[16];

			if (enf_ratio(r, p, &ratio))
				snprintf(rs, sizeof(rs), "%.3f", ratio);
			else
				snprintf(rs, sizeof(rs), "n/a");
			printf("enforce: %-4s %-42s %+9.1f %+9.1f %+8.1f %8s %8.1f %8.1f %8.1f %8.3f\n",
			       r->name, e_desc[p], a, e, e - a, rs, r->ns[0][p], r->ns[1][p],
			       r->noop[p], r->ns[0][p] > 0 ? r->ns[1][p] / r->ns[0][p] : 0);
		}
		printf("enforce: %-4s   check, actions of the timed runs (pass/drop), audit | enforce: "
		       "unwatched %llu/%llu | %llu/%llu, classified %llu/%llu | %llu/%llu, new flow "
		       "%llu/%llu | %llu/%llu, continuation %llu/%llu | %llu/%llu, blocked %llu/%llu | "
		       "%llu/%llu; lone header (untimed) %llu/%llu | %llu/%llu (want enforce to drop "
		       "only the blocked and the lone header)\n",
		       r->name, r->pass[0][E_UNW], r->drop[0][E_UNW], r->pass[1][E_UNW],
		       r->drop[1][E_UNW], r->pass[0][E_CLS], r->drop[0][E_CLS], r->pass[1][E_CLS],
		       r->drop[1][E_CLS], r->pass[0][E_NEW], r->drop[0][E_NEW], r->pass[1][E_NEW],
		       r->drop[1][E_NEW], r->pass[0][E_CONT], r->drop[0][E_CONT],
		       r->pass[1][E_CONT], r->drop[1][E_CONT], r->pass[0][E_BLK], r->drop[0][E_BLK],
		       r->pass[1][E_BLK], r->drop[1][E_BLK], r->hdr_pass[0], r->hdr_drop[0],
		       r->hdr_pass[1], r->hdr_drop[1]);
	}
}

static void enf_json(FILE *fp, const struct enf_res *er)
{
	int h, p, first = 1;

	fprintf(fp, ",\"enforce\":[");
	for (h = 0; h < 2; h++)
		for (p = 0; p < E_MAX; p++) {
			const struct enf_res *r = &er[h];
			double ratio, a = r->ns[0][p] - r->noop[p], e = r->ns[1][p] - r->noop[p];
			char rs[32];

			if (enf_ratio(r, p, &ratio))
				snprintf(rs, sizeof(rs), "%.3f", ratio);
			else
				snprintf(rs, sizeof(rs), "null");
			fprintf(fp,
				"%s{\"hook\":\"%s\",\"path\":\"%s\",\"audit_ns\":%.1f,"
				"\"enforce_ns\":%.1f,\"noop_ns\":%.1f,\"audit_over_ns\":%.1f,"
				"\"enforce_over_ns\":%.1f,\"enforce_minus_audit_ns\":%.1f,"
				"\"ratio_over\":%s,\"ratio_ns\":%.3f,\"audit_pass\":%llu,"
				"\"audit_drop\":%llu,\"enforce_pass\":%llu,\"enforce_drop\":%llu}",
				first ? "" : ",", r->name, e_key[p], r->ns[0][p], r->ns[1][p],
				r->noop[p], a, e, e - a, rs,
				r->ns[0][p] > 0 ? r->ns[1][p] / r->ns[0][p] : 0, r->pass[0][p],
				r->drop[0][p], r->pass[1][p], r->drop[1][p]);
			first = 0;
		}
	fprintf(fp, "],\"enforce_extra\":[");
	for (h = 0; h < 2; h++)
		fprintf(fp,
			"%s{\"hook\":\"%s\",\"lone_header_audit_pass\":%llu,"
			"\"lone_header_audit_drop\":%llu,\"lone_header_enforce_pass\":%llu,"
			"\"lone_header_enforce_drop\":%llu}",
			h ? "," : "", er[h].name, er[h].hdr_pass[0], er[h].hdr_drop[0],
			er[h].hdr_pass[1], er[h].hdr_drop[1]);
	fprintf(fp, "],\"enforce_flow_events\":{\"audit\":%llu,\"enforce\":%llu}", enf_events[0],
		enf_events[1]);
}

/* an instance of the object for the enforce pass: port 443 watched, enforce
 * as asked */
static struct tlsaudit *enf_open(int enforce)
{
	struct tlsaudit *t = tlsaudit__open();

	if (!t)
		return NULL;
	t->rodata->ta_ports[SERVER_PORT >> 3] |= 1u << (SERVER_PORT & 7);
	t->rodata->ta_enforce = enforce;
	if (tlsaudit__load(t)) {
		tlsaudit__destroy(t);
		return NULL;
	}
	return t;
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
			"[--json FILE] [--enforce]\n");
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
		{ "enforce", no_argument, NULL, 'E' },
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
	struct enf_res er[2] = { { .name = "tc" }, { .name = "xdp" } };
	struct tlsaudit *ei[2] = {};
	struct ring_buffer *erb[2] = {};
	int opt, h, p, missed = 0, do_enforce = 0;

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
		case 'E':
			do_enforce = 1;
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
	/* verdicts and captures, each ring drained as the loader does */
	rb = ring_buffer__new(bpf_map__fd(ta->maps.events), drain_cb, NULL, NULL);
	if (rb && ring_buffer__add(rb, bpf_map__fd(ta->maps.captures), drain_cb, NULL)) {
		ring_buffer__free(rb);
		rb = NULL;
	}
	if (!rb) {
		fprintf(stderr, "bench_packet: ring buffer: %s\n", strerror(errno));
		return 1;
	}

	bench_hook(&res[0], bpf_program__fd(ta->progs.ta_tc_ingress),
		   bpf_program__fd(np->progs.noop_tc), rb, &c);
	bench_hook(&res[1], bpf_program__fd(ta->progs.ta_xdp_gateway),
		   bpf_program__fd(np->progs.noop_xdp), rb, &c);

	if (do_enforce) {
		int tc[2], xdp[2];

		for (h = 0; h < 2; h++) {
			ei[h] = enf_open(h);
			if (!ei[h]) {
				fprintf(stderr, "bench_packet: cannot load the %s instance\n",
					h ? "enforce" : "audit");
				return 1;
			}
			erb[h] = ring_buffer__new(bpf_map__fd(ei[h]->maps.events), enf_drain_cb,
						  (void *)(long)h, NULL);
			if (erb[h] && ring_buffer__add(erb[h], bpf_map__fd(ei[h]->maps.captures),
						       enf_drain_cb, (void *)(long)h)) {
				ring_buffer__free(erb[h]);
				erb[h] = NULL;
			}
			if (!erb[h]) {
				fprintf(stderr, "bench_packet: ring buffer: %s\n", strerror(errno));
				return 1;
			}
			tc[h] = bpf_program__fd(ei[h]->progs.ta_tc_ingress);
			xdp[h] = bpf_program__fd(ei[h]->progs.ta_xdp_gateway);
		}
		bench_enforce(&er[0], tc, bpf_program__fd(np->progs.noop_tc), erb,
			      2 /* TC_ACT_SHOT */, &c);
		bench_enforce(&er[1], xdp, bpf_program__fd(np->progs.noop_xdp), erb,
			      1 /* XDP_DROP */, &c);
	}

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
	if (do_enforce) {
		enf_print(er, 0);
		/* 2 setup flows per hook (the classified and the blocked one) */
		printf("# enforce pass: flow events audit %llu, enforce %llu (want %llu each); "
		       "ringbuf_drops audit %llu, enforce %llu (want 0)\n",
		       enf_events[0], enf_events[1], er[0].ev_expected + er[1].ev_expected + 4,
		       ringbuf_drops(ei[0]), ringbuf_drops(ei[1]));
	}

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
			"],\"ringbuf_records\":%llu,\"flow_events\":%llu,\"ringbuf_drops\":%llu",
			records_seen, events_seen, ringbuf_drops(ta));
		if (do_enforce) {
			enf_json(fp, er);
			fprintf(fp, ",\"enforce_ringbuf_drops\":{\"audit\":%llu,\"enforce\":%llu}",
				ringbuf_drops(ei[0]), ringbuf_drops(ei[1]));
		}
		fprintf(fp, "}\n");
		fclose(fp);
	}
	ring_buffer__free(rb);
	for (h = 0; h < 2; h++) {
		ring_buffer__free(erb[h]);
		tlsaudit__destroy(ei[h]);
	}
	tlsaudit__destroy(ta);
	noop__destroy(np);
	return 0;
}
