/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pipeline.h - one way, from kernel records to reported flows:
 *
 *   records -> assembly (holds, handshake chunks) -> enrichment (owners,
 *   cgroups, containers, the handshake parsed) -> filters -> sinks
 *
 * The source (the ring buffer, or a capture file through the host flow
 * machine) pushes records in with the time they arrived; the run loop pushes
 * eviction counts and ticks. Nothing here calls back up.
 */
#ifndef TA_PIPELINE_H
#define TA_PIPELINE_H

#include <stddef.h>
#include <linux/types.h>
#include "flow/assemble.h"
#include "flow/enrich.h"
#include "owners/localaddr.h"
#include "output/sink.h"

struct ta_pipeline {
	struct ta_local_addrs local;
	struct ta_assembly assembly;
	struct ta_enricher enricher;
	struct ta_sinks *sinks;
	__u64 reported; /* flows handed to the sinks */
	__u64 filtered; /* flows the filters hid */
};

/*
 * capture: the records come from a capture file (no end of a flow is ours:
 * no owners, no local addresses); to_realtime_ns turns record times into
 * CLOCK_REALTIME. filters may be NULL. NULL with errno set on failure.
 */
struct ta_pipeline *ta_pipeline_new(const struct ta_filters *filters, int capture,
				    __u64 to_realtime_ns, struct ta_sinks *sinks);
void ta_pipeline_free(struct ta_pipeline *p);
/* A record (any type) that arrived at now, in the records' clock. */
void ta_pipeline_record(struct ta_pipeline *p, const void *data, size_t len, __u64 now);
/* The flow table's eviction count, as taken at now. */
void ta_pipeline_count(struct ta_pipeline *p, __u64 evictions, __u64 now);
/* A held verdict waits for an eviction count. */
int ta_pipeline_wants_count(const struct ta_pipeline *p);
/* Release held flows whose wait is over (all when flush_all). */
void ta_pipeline_tick(struct ta_pipeline *p, __u64 now, int flush_all);
/* The pipeline's own counters (filtered, late owners) into c. */
void ta_pipeline_counters(const struct ta_pipeline *p, struct ta_counters *c);

#endif
