// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * backend_host.c - the host build of the flow machine (user/capture/hostflow)
 * as a backend: the same ta_flow.h the kernel runs, fed Ethernet frames
 * through ta_hostflow_frame, its records delivered synchronously.
 *
 *   host-tc   as TC host mode sees a flow: client packets leave (is_egress),
 *             server packets arrive
 *   host-gw   as a gateway: every packet forwarded (gateway=1)
 *
 * There are no sockets here, so no cookies; frames are named ifindex 1, as
 * the kernel backends' test runs are (lo). Unlike a program, the library
 * says when it did not judge a frame at all (TA_FRAME_UNPARSED).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "packet_case.h"
#include "capture/hostflow.h"

#define HOST_IFINDEX 1
/* ta_hostflow_frame returns ta_flow.h's enum ta_action, which hostflow.h
 * names but does not declare */
#define HOST_PASS 0
#define HOST_DROP 1
#define HOST_RESET 3

struct host_inst {
	const struct pc_backend *b;
	struct ta_hostflow *hf;
	struct pc_log *log;
	__u64 now;
};

static void on_record(void *ctx, const void *rec, size_t len)
{
	struct host_inst *in = ctx;

	pc_log_add(in->log, rec, len);
}

static void host_close(void *p)
{
	struct host_inst *in = p;

	if (!in)
		return;
	ta_hostflow_free(in->hf);
	free(in);
}

static void *host_open(const struct pc_backend *b, const struct pc_config *cfg, struct pc_log *log,
		       char *err, size_t errlen)
{
	static __u8 ports[TA_PORT_BITMAP_LEN];
	struct ta_hostflow_config hc = { .ports = ports,
					 .max_flows = 65536,
					 .enforce = cfg->enforce,
					 .allow = cfg->allow,
					 .n_allow = cfg->n_allow };
	struct host_inst *in = calloc(1, sizeof(*in));

	if (!in) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(ports, 0, sizeof(ports));
	ports[cfg->port >> 3] |= 1u << (cfg->port & 7);
	in->b = b;
	in->log = log;
	in->now = 1000000000ull;
	in->hf = ta_hostflow_new(&hc, on_record, in);
	if (!in->hf) {
		snprintf(err, errlen, "ta_hostflow_new: %s", strerror(errno));
		free(in);
		return NULL;
	}
	return in;
}

static int host_frame(void *p, const struct frame *f, int c2s, int *drop, int *unparsed, int *reset,
		      struct frame *reply, char *err, size_t errlen)
{
	struct host_inst *in = p;
	struct ta_frame_origin o = { .ifindex = HOST_IFINDEX };
	int rc;

	if (in->b->gateway)
		o.gateway = 1;
	else
		o.is_egress = !!c2s;
	in->now += 1000;
	rc = ta_hostflow_frame(in->hf, TA_LINK_ETHERNET, f->b, f->len, f->len, in->now, &o);
	*drop = rc == HOST_DROP || rc == HOST_RESET;
	*reset = rc == HOST_RESET;
	reply->len = 0; /* the host build says what to do; it sends nothing */
	*unparsed = rc == TA_FRAME_UNPARSED;
	if (rc != HOST_PASS && rc != HOST_DROP && rc != HOST_RESET && rc != TA_FRAME_UNPARSED) {
		snprintf(err, errlen, "ta_hostflow_frame returned %d", rc);
		return -1;
	}
	return 0;
}

static int host_lookup(void *p, const struct ta_flow_key *k, struct ta_flow_state *st)
{
	struct host_inst *in = p;
	const struct ta_flow_state *s = ta_hostflow_lookup(in->hf, k);

	if (!s)
		return 0;
	*st = *s;
	return 1;
}

static void host_counters(void *p, __u64 stats[TA_STAT_MAX], struct ta_counter vc[TA_V_MAX])
{
	struct host_inst *in = p;

	ta_hostflow_counters(in->hf, stats, vc);
}

#define HOST_BACKEND                                                                               \
	.ifindex = HOST_IFINDEX, .cookie = PC_COOKIE_NONE, .open = host_open, .close = host_close, \
	.frame = host_frame, .lookup = host_lookup, .counters = host_counters

const struct pc_backend pc_backend_host_tc = {
	.name = "host-tc",
	.kind = H_HOST_TC,
	HOST_BACKEND,
};

const struct pc_backend pc_backend_host_gw = {
	.name = "host-gw",
	.kind = H_HOST_GW,
	.gateway = 1,
	HOST_BACKEND,
};
