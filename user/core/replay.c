// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replay.c - a capture file judged as the kernel would have judged it: each
 * frame through the host flow machine, its records into the pipeline with
 * the packet's own time, which is also the clock of every hold. Needs no
 * privileges and touches no kernel state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "capture/hostflow.h"
#include "capture/pcap.h"
#include "core/outputs.h"
#include "core/replay.h"
#include "flow/pipeline.h"

#define EXIT_RUNTIME 1
/* held flows are looked at every this much capture time */
#define TICK_NS 100000000ull

struct replay {
	struct ta_pipeline *pipe;
	__u64 now; /* the current frame's time */
};

/* the host flow machine -> the pipeline, at the frame's time */
static void on_record(void *ctx, const void *rec, size_t len)
{
	struct replay *r = ctx;

	ta_pipeline_record(r->pipe, rec, len, r->now);
}

static void counters(struct ta_hostflow *hf, const struct ta_pipeline *pipe, __u64 frames,
		     __u64 unparsed, struct ta_counters *c)
{
	memset(c, 0, sizeof(*c));
	ta_hostflow_counters(hf, c->stats, c->verdicts);
	c->evictions = ta_hostflow_evictions(hf);
	c->frames = frames;
	c->frames_unparsed = unparsed;
	c->capture = 1;
	ta_pipeline_counters(pipe, c);
}

int ta_replay_run(const struct ta_options *opt, volatile sig_atomic_t *stop)
{
	static const struct ta_frame_origin captured = { .captured = 1 };
	struct ta_hostflow_config hc = { .ports = opt->ports, .max_flows = opt->max_flows };
	struct ta_hostflow *hf = NULL;
	struct ta_pcap *pc = NULL;
	struct ta_sinks sinks = { 0 };
	struct ta_sink *summary = NULL;
	struct replay r = { 0 };
	struct ta_counters c;
	__u64 frames = 0, unparsed = 0, next_tick = 0;
	char err[512] = "";
	struct ta_frame f;
	int rc, got;

	if (ta_pcap_open(opt->read_file, &pc, err, sizeof(err))) {
		fprintf(stderr, "tlsaudit: %s\n", err);
		return EXIT_RUNTIME;
	}
	rc = ta_outputs_first(&sinks, opt, &summary);
	if (!rc)
		rc = ta_outputs_rest(&sinks, opt, -1, summary);
	if (rc)
		goto out;
	rc = EXIT_RUNTIME;
	r.pipe = ta_pipeline_new(NULL, 1, 0, &sinks);
	hf = r.pipe ? ta_hostflow_new(&hc, on_record, &r) : NULL;
	if (!hf) {
		fprintf(stderr, "tlsaudit: %s\n", strerror(errno));
		goto out;
	}
	while (!*stop && (got = ta_pcap_next(pc, &f, err, sizeof(err))) > 0) {
		frames++;
		r.now = f.ts_ns;
		if (ta_hostflow_frame(hf, ta_pcap_link(pc), f.data, f.caplen, f.wirelen, f.ts_ns,
				      &captured) == TA_FRAME_UNPARSED)
			unparsed++;
		if (r.now >= next_tick || r.now + TICK_NS < next_tick) {
			/* the host table's eviction count is exact and current */
			ta_pipeline_count(r.pipe, ta_hostflow_evictions(hf), r.now);
			ta_pipeline_tick(r.pipe, r.now, 0);
			next_tick = r.now + TICK_NS;
		}
	}
	/* what the file held up to its end, or up to the damage, is reported */
	ta_pipeline_count(r.pipe, ta_hostflow_evictions(hf), r.now);
	ta_pipeline_tick(r.pipe, r.now, 1);
	counters(hf, r.pipe, frames, unparsed, &c);
	ta_sinks_finish(&sinks, &c);
	rc = 0;
	if (err[0]) {
		fprintf(stderr, "tlsaudit: %s: %s\n", opt->read_file, err);
		rc = EXIT_RUNTIME;
	}
out:
	ta_hostflow_free(hf);
	ta_pipeline_free(r.pipe);
	ta_sinks_free(&sinks);
	ta_pcap_close(pc);
	return rc;
}
