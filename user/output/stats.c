// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stats.c - the stats line at the end of a run: every counter, losses
 * first in mind. JSON to the run's output with -j, text on stderr otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include "output/sink.h"
#include "output/strbuf.h"

#define TA_STAT_NAME(id, name, family, help) [TA_STAT_##id] = name,
static const char *const stat_names[TA_STAT_MAX] = { TA_STATS(TA_STAT_NAME) };
#undef TA_STAT_NAME

struct stats_sink {
	struct ta_sink base;
	FILE *out;
	int json;
};

static void field(struct strbuf *sb, int json, const char *name, unsigned long long v)
{
	sb_printf(sb, json ? ",\"%s\":%llu" : " %s=%llu", name, v);
}

static void stats_finish(struct ta_sink *s, const struct ta_counters *c)
{
	struct stats_sink *ss = (struct stats_sink *)s;
	char buf[2048];
	struct strbuf sb;
	int i;

	sb_init(&sb, buf, sizeof(buf));
	sb_puts(&sb, ss->json ? "{\"event\":\"stats\"" : "stats:");
	for (i = 0; i < TA_STAT_MAX; i++)
		field(&sb, ss->json, stat_names[i], c->stats[i]);
	if (c->capture) {
		field(&sb, ss->json, "frames", c->frames);
		field(&sb, ss->json, "frames_unparsed", c->frames_unparsed);
	} else {
		field(&sb, ss->json, "attach_failures", c->attach_failures);
	}
	field(&sb, ss->json, "flow_evictions", c->evictions);
	field(&sb, ss->json, "preexisting", c->preexisting);
	field(&sb, ss->json, "late_owners", c->late_owners);
	field(&sb, ss->json, "filtered", c->filtered);
	if (ss->json)
		sb_putc(&sb, '}');
	fprintf(ss->json ? ss->out : stderr, "%s\n", buf);
	fflush(ss->json ? ss->out : stderr);
	if (c->stats[TA_STAT_RINGBUF_DROPS])
		fprintf(stderr, "tlsaudit: %llu flow events were lost (ring buffer full)\n",
			(unsigned long long)c->stats[TA_STAT_RINGBUF_DROPS]);
	if (c->stats[TA_STAT_CAPTURES_LOST])
		fprintf(stderr,
			"tlsaudit: %llu handshake capture records were lost (their ring buffer was "
			"full): some TLS flows lack their SNI and JA4\n",
			(unsigned long long)c->stats[TA_STAT_CAPTURES_LOST]);
}

static void stats_free(struct ta_sink *s)
{
	free(s);
}

static const struct ta_sink_ops stats_ops = {
	.finish = stats_finish,
	.free = stats_free,
};

struct ta_sink *ta_stats_sink(FILE *out, int json)
{
	struct stats_sink *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->base.ops = &stats_ops;
	ss->out = out;
	ss->json = json;
	return &ss->base;
}
