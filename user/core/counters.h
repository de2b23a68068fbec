/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * counters.h - the kernel's counters read into struct ta_counters: per-CPU
 * maps summed, and the flow table's evictions, which the LRU does silently,
 * inferred as what went in and was neither taken out nor is still there.
 */
#ifndef TA_COUNTERS_H
#define TA_COUNTERS_H

#include <linux/types.h>
#include "flow/record.h"

struct ta_loader;

/* The pinned counters carry earlier runs; the flow table is this run's. */
struct ta_counters_base {
	__u64 inserts;
	__u64 deletes;
	__u64 live; /* entries already in a reused (pinned or held) flows map */
};

void ta_counters_base(struct ta_loader *l, struct ta_counters_base *b);
/*
 * Fill c's kernel part. seeded: flow entries userspace put in the table
 * itself (pre-existing connections). Read in the order inserts, live
 * entries, deletes, so that flows coming and going during the read can
 * only make the eviction count low for a moment, never high.
 */
void ta_counters_read(struct ta_loader *l, const struct ta_counters_base *b, __u64 seeded,
		      struct ta_counters *c);
/* The same inference, on numbers (tests). */
__u64 ta_evictions(__u64 inserts, __u64 live, __u64 deletes);

#endif
