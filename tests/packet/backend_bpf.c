// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * backend_bpf.c - the kernel backends: the real programs of tlsaudit.bpf.o,
 * loaded into the running kernel and run with BPF_PROG_TEST_RUN.
 *
 *   tc      host mode: client packets through ta_tc_egress (they carry
 *           test_run's own socket, so flows get a cookie), server packets
 *           through ta_tc_ingress; TC_ACT_UNSPEC passes, TC_ACT_SHOT drops
 *   tc-gw   ta_tc_gateway for both directions
 *   xdp     ta_xdp_gateway for both directions, entering on lo (ifindex 1);
 *           XDP_PASS / XDP_DROP
 *
 * An instance is one skeleton with ta_enforce in its rodata and only the
 * programs under test loaded; its ring buffer is drained into the log after
 * every run, so each record is tagged with the packet that produced it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "packet_case.h"
#include "tlsaudit.skel.h"

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7
#define LO_IFINDEX 1

struct bpf_inst {
	const struct pc_backend *b;
	struct tlsaudit *skel;
	struct ring_buffer *rb;	      /* verdicts */
	struct ring_buffer *captures; /* handshake captures */
	struct pc_log *log;
};

static int on_record(void *ctx, void *data, size_t len)
{
	struct bpf_inst *in = ctx;

	pc_log_add(in->log, data, len);
	return 0;
}

/* as the loader does: a capture goes after the verdicts already sent */
static int on_capture(void *ctx, void *data, size_t len)
{
	struct bpf_inst *in = ctx;

	ring_buffer__consume(in->rb);
	pc_log_add(in->log, data, len);
	return 0;
}

static int prog_wanted(const struct pc_backend *b, const struct tlsaudit *skel,
		       const struct bpf_program *prog)
{
	switch (b->kind) {
	case H_TC:
		return prog == skel->progs.ta_tc_egress || prog == skel->progs.ta_tc_ingress;
	case H_TC_GW:
		return prog == skel->progs.ta_tc_gateway;
	case H_XDP:
		return prog == skel->progs.ta_xdp_gateway;
	}
	return 0;
}

static void bpf_close(void *p)
{
	struct bpf_inst *in = p;

	if (!in)
		return;
	ring_buffer__free(in->captures);
	ring_buffer__free(in->rb);
	tlsaudit__destroy(in->skel);
	free(in);
}

static void *bpf_open(const struct pc_backend *b, const struct pc_config *cfg, struct pc_log *log,
		      char *err, size_t errlen)
{
	struct bpf_inst *in = calloc(1, sizeof(*in));
	struct bpf_program *prog;
	__u8 one = 1;
	int rc, i;

	if (!in) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	in->b = b;
	in->log = log;
	in->skel = tlsaudit__open();
	if (!in->skel) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		goto fail;
	}
	in->skel->rodata->ta_ports[cfg->port >> 3] |= 1u << (cfg->port & 7);
	in->skel->rodata->ta_enforce = cfg->enforce;
	/* verifying the programs no case runs here would only cost time */
	bpf_object__for_each_program (prog, in->skel->obj)
		bpf_program__set_autoload(prog, prog_wanted(b, in->skel, prog));
	rc = tlsaudit__load(in->skel);
	if (rc) {
		snprintf(err, errlen, "load: %s", strerror(-rc));
		goto fail;
	}
	for (i = 0; i < cfg->n_allow; i++)
		if (bpf_map_update_elem(bpf_map__fd(in->skel->maps.allow), &cfg->allow[i], &one,
					BPF_ANY)) {
			snprintf(err, errlen, "allow map: %s", strerror(errno));
			goto fail;
		}
	in->rb = ring_buffer__new(bpf_map__fd(in->skel->maps.events), on_record, in, NULL);
	if (in->rb)
		in->captures = ring_buffer__new(bpf_map__fd(in->skel->maps.captures), on_capture,
						in, NULL);
	if (!in->rb || !in->captures) {
		snprintf(err, errlen, "ring buffer: %s", strerror(errno));
		goto fail;
	}
	return in;
fail:
	bpf_close(in);
	return NULL;
}

static int bpf_frame(void *p, const struct frame *f, int c2s, int *drop, int *unparsed, int *reset,
		     struct frame *reply, char *err, size_t errlen)
{
	struct bpf_inst *in = p;
	struct xdp_md xctx = { .data = 0, .data_end = f->len, .ingress_ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len, .repeat = 1,
		    .data_out = reply->b, .data_size_out = sizeof(reply->b));
	struct bpf_program *prog;
	int rc, rv;

	*unparsed = -1; /* a program cannot say it did not parse the frame */
	switch (in->b->kind) {
	case H_TC:
		prog = c2s ? in->skel->progs.ta_tc_egress : in->skel->progs.ta_tc_ingress;
		break;
	case H_TC_GW:
		prog = in->skel->progs.ta_tc_gateway;
		break;
	default:
		prog = in->skel->progs.ta_xdp_gateway;
		opts.ctx_in = &xctx;
		opts.ctx_size_in = sizeof(xctx);
		break;
	}
	rc = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	/* what it emitted, tagged by the runner with this packet's direction */
	ring_buffer__consume(in->rb);
	ring_buffer__consume(in->captures);
	if (rc) {
		snprintf(err, errlen, "test_run %s: %s", bpf_program__name(prog), strerror(errno));
		return -1;
	}
	rv = (int)opts.retval;
	/* the frame as the program left it: the RST, when it made one */
	reply->len = opts.data_size_out;
	if (in->b->kind == H_XDP) {
		if (rv != XDP_PASS && rv != XDP_DROP && rv != XDP_TX) {
			snprintf(err, errlen, "XDP action %d, not XDP_PASS, XDP_DROP or XDP_TX",
				 rv);
			return -1;
		}
		*drop = rv != XDP_PASS;
		*reset = rv == XDP_TX;
		if (!*reset)
			reply->len = 0;
		return 0;
	}
	if (rv != TC_ACT_UNSPEC && rv != TC_ACT_SHOT && rv != TC_ACT_REDIRECT) {
		snprintf(err, errlen, "TC action %d, not TC_ACT_UNSPEC, _SHOT or _REDIRECT", rv);
		return -1;
	}
	*drop = rv != TC_ACT_UNSPEC;
	*reset = rv == TC_ACT_REDIRECT;
	if (!*reset)
		reply->len = 0;
	return 0;
}

static int bpf_lookup(void *p, const struct ta_flow_key *k, struct ta_flow_state *st)
{
	struct bpf_inst *in = p;

	return bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.flows), k, st) == 0 ||
	       bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.new_flows), k, st) == 0;
}

/* per-CPU maps, summed as userspace does */
static void bpf_counters(void *p, __u64 stats[TA_STAT_MAX], struct ta_counter vc[TA_V_MAX])
{
	struct bpf_inst *in = p;
	int ncpu = libbpf_num_possible_cpus(), c;
	__u32 k;
	__u64 *sv = ncpu > 0 ? calloc(ncpu, sizeof(*sv)) : NULL;
	struct ta_counter *cv = ncpu > 0 ? calloc(ncpu, sizeof(*cv)) : NULL;

	memset(stats, 0, TA_STAT_MAX * sizeof(*stats));
	memset(vc, 0, TA_V_MAX * sizeof(*vc));
	for (k = 0; sv && k < TA_STAT_MAX; k++)
		if (!bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.stats), &k, sv))
			for (c = 0; c < ncpu; c++)
				stats[k] += sv[c];
	for (k = 0; cv && k < TA_V_MAX; k++)
		if (!bpf_map_lookup_elem(bpf_map__fd(in->skel->maps.verdict_counters), &k, cv))
			for (c = 0; c < ncpu; c++) {
				vc[k].pkts += cv[c].pkts;
				vc[k].bytes += cv[c].bytes;
			}
	free(sv);
	free(cv);
}

#define BPF_BACKEND                                                                                \
	.needs_root = 1, .ifindex = LO_IFINDEX, .open = bpf_open, .close = bpf_close,              \
	.frame = bpf_frame, .lookup = bpf_lookup, .counters = bpf_counters

const struct pc_backend pc_backend_tc = {
	.name = "tc",
	.kind = H_TC,
	.cookie = PC_COOKIE_EGRESS,
	BPF_BACKEND,
};

const struct pc_backend pc_backend_tc_gw = {
	.name = "tc-gw",
	.kind = H_TC_GW,
	.gateway = 1,
	.cookie = PC_COOKIE_NONE,
	BPF_BACKEND,
};

const struct pc_backend pc_backend_xdp = {
	.name = "xdp",
	.kind = H_XDP,
	.gateway = 1,
	.cookie = PC_COOKIE_NONE,
	BPF_BACKEND,
};
