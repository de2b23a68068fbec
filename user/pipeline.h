/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pipeline.h - from kernel records to reported flows.
 *
 * A flow event that has its owner is enriched (cgroup path, container, exe,
 * netns), filtered and reported at once. One decided at ingress without an
 * owner may belong to a local server that has not called accept() yet: it is
 * held until the matching TA_EV_OWNER arrives, or for hold_ns at most, and
 * then reported without an owner ("forwarded" when neither end is local).
 */
#ifndef TA_PIPELINE_H
#define TA_PIPELINE_H

#include <linux/types.h>
#include "options.h"
#include "summary.h"
#include "tlsaudit.h"

#define TA_HOLD_MAX 4096

struct ta_pipeline {
	const struct ta_options *opt;
	__u64 boot_to_real_ns;
	__u64 hold_ns;
	const char *(*iface_name)(__u32 ifindex);
	struct ta_summary summary;
	struct {
		struct ta_flow_event ev;
		__u64 arrived_ns; /* CLOCK_BOOTTIME */
	} held[TA_HOLD_MAX];
	int n_held;
	__u64 reported;     /* flows reported after filtering */
	__u64 filtered;     /* flows the filters hid */
	__u64 preexisting;  /* established connections found at start */
	__u64 late_owners;  /* verdicts joined to an accept() that came after them */
	void (*on_flow)(const struct ta_flow_event *ev, const char *container, void *ctx);
	void *on_flow_ctx;
	int quiet;          /* --top: keep the tally, print no lines */
};

void ta_pipeline_init(struct ta_pipeline *p, const struct ta_options *opt,
		      const char *(*iface_name)(__u32));
/* A record from the ring buffer (any type). */
int ta_pipeline_record(struct ta_pipeline *p, const void *data, size_t len);
/* Report held flows older than hold_ns (all of them when flush_all). */
void ta_pipeline_tick(struct ta_pipeline *p, int flush_all);
void ta_pipeline_free(struct ta_pipeline *p);

#endif
