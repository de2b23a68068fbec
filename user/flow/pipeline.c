// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pipeline.c - records in, reported flows out to the sinks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "flow/pipeline.h"

/* assembly -> enrichment -> filters -> sinks */
static void released(void *ctx, const struct ta_flow_event *ev, const struct ta_tls_capture *cap,
		     int evicted)
{
	struct ta_pipeline *p = ctx;
	struct ta_flow_record r;

	if (ta_enrich(&p->enricher, ev, cap, evicted, &r)) {
		p->filtered++;
		return;
	}
	p->reported++;
	ta_sinks_flow(p->sinks, &r);
}

struct ta_pipeline *ta_pipeline_new(const struct ta_filters *filters, int capture,
				    __u64 to_realtime_ns, struct ta_sinks *sinks)
{
	struct ta_pipeline *p = calloc(1, sizeof(*p));
	struct ta_local_addrs *local;

	if (!p)
		return NULL;
	local = capture ? NULL : &p->local;
	p->sinks = sinks;
	ta_assembly_init(&p->assembly, local, released, p);
	ta_enricher_init(&p->enricher, filters, to_realtime_ns, local);
	return p;
}

void ta_pipeline_free(struct ta_pipeline *p)
{
	if (!p)
		return;
	ta_assembly_free(&p->assembly);
	ta_enricher_free(&p->enricher);
	free(p);
}

void ta_pipeline_record(struct ta_pipeline *p, const void *data, size_t len, __u64 now)
{
	ta_assembly_record(&p->assembly, data, len, now);
}

void ta_pipeline_count(struct ta_pipeline *p, __u64 evictions, __u64 now)
{
	ta_assembly_count(&p->assembly, evictions, now);
}

int ta_pipeline_wants_count(const struct ta_pipeline *p)
{
	return ta_assembly_wants_count(&p->assembly);
}

void ta_pipeline_tick(struct ta_pipeline *p, __u64 now, int flush_all)
{
	ta_assembly_tick(&p->assembly, now, flush_all);
}

void ta_pipeline_counters(const struct ta_pipeline *p, struct ta_counters *c)
{
	c->filtered = p->filtered;
	c->late_owners = p->assembly.late_owners;
}
