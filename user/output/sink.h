/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sink.h - where reported flows go: one interface, several sinks.
 *
 *   lines     one JSON object or one text line per flow (lines.c)
 *   summary   the per-process tally, printed at the end (summary.c)
 *   top       the live terminal table over the summary's tally (top_sink.c)
 *   prom      the Prometheus textfile and its pinned series (prom_sink.c)
 *   stats     the loss and activity counters line, at the end (stats.c)
 *
 * The pipeline calls flow() for every reported flow; the run loop calls
 * tick() now and then and finish() once, in the order the sinks were added.
 * A sink never calls back into the stages before it.
 */
#ifndef TA_SINK_H
#define TA_SINK_H

#include <stdio.h>
#include <linux/types.h>
#include "flow/record.h"

struct ta_sink;
struct ta_summary;

struct ta_sink_ops {
	void (*flow)(struct ta_sink *s, const struct ta_flow_record *r);
	/* mono_ns: CLOCK_MONOTONIC. Non-zero asks the run to end ('q' in --top). */
	int (*tick)(struct ta_sink *s, const struct ta_counters *c, __u64 mono_ns);
	void (*finish)(struct ta_sink *s, const struct ta_counters *c);
	void (*free)(struct ta_sink *s);
};

struct ta_sink {
	const struct ta_sink_ops *ops;
};

#define TA_MAX_SINKS 8

struct ta_sinks {
	struct ta_sink *s[TA_MAX_SINKS];
	int n;
};

/* Takes ownership; 0, or -ENOSPC (the sink is freed). A NULL sink (its
 * constructor failed) gives -ENOMEM. */
int ta_sinks_add(struct ta_sinks *ss, struct ta_sink *s);
void ta_sinks_flow(struct ta_sinks *ss, const struct ta_flow_record *r);
int ta_sinks_tick(struct ta_sinks *ss, const struct ta_counters *c, __u64 mono_ns);
void ta_sinks_finish(struct ta_sinks *ss, const struct ta_counters *c);
void ta_sinks_free(struct ta_sinks *ss);

/* The sinks; NULL with errno set when they cannot be made. */
struct ta_sink *ta_lines_sink(FILE *out, int json);
/* *tally points to the summary the sink keeps, for the top sink to draw. */
struct ta_sink *ta_summary_sink(FILE *out, int json, const struct ta_summary **tally);
struct ta_sink *ta_stats_sink(FILE *out, int json);

#endif /* TA_SINK_H */
