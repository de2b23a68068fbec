// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* prom_sink.c - flows and counters into the Prometheus textfile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "output/prom.h"
#include "output/prom_sink.h"
#include "output/series.h"
#include "output/sink.h"

struct prom_sink {
	struct ta_sink base;
	struct ta_prom *model;
	const char *path;
	__u64 interval_ns;
	__u64 next_write;
	int series_fd;
	__u64 preexisting_base; /* pinned by earlier runs */
	__u64 preexisting;	/* reported by this run */
};

static void prom_flow(struct ta_sink *s, const struct ta_flow_record *r)
{
	struct prom_sink *ps = (struct prom_sink *)s;
	const char *container = r->container ? r->container : r->pod;
	static const __u8 no_comm[TA_COMM_LEN];
	const __u8 *comm = r->ev.has_owner ? r->ev.owner.comm : no_comm;

	ta_prom_add_flow(ps->model, (const char *)comm, container ? container : "",
			 r->ev.key.server_port, r->ev.verdict, 1);
	if (ps->series_fd >= 0)
		ta_series_add_flow(ps->series_fd, comm, container, r->ev.key.server_port,
				   r->ev.verdict);
	if (r->tls_outcome) {
		const char *version = r->tls_version ? r->tls_version : "unknown";

		ta_prom_add_tls(ps->model, version, r->tls_outcome, 1);
		if (ps->series_fd >= 0)
			ta_series_add_tls(ps->series_fd, version, r->tls_outcome);
	}
	if (r->ev.flags & TA_F_PREEXISTING) {
		ps->preexisting++;
		if (ps->series_fd >= 0)
			ta_series_add_preexisting(ps->series_fd);
	}
}

static void write_textfile(struct prom_sink *ps, const struct ta_counters *c)
{
	__u64 pkts[TA_V_MAX], bytes[TA_V_MAX];
	int i, err;

	for (i = 0; i < TA_V_MAX; i++) {
		pkts[i] = c->verdicts[i].pkts;
		bytes[i] = c->verdicts[i].bytes;
	}
	ta_prom_set_stats(ps->model, c->stats);
	ta_prom_set_packets(ps->model, pkts);
	ta_prom_set_bytes(ps->model, bytes);
	ta_prom_set_preexisting(ps->model, ps->preexisting_base + ps->preexisting);
	ta_prom_set_flow_evictions(ps->model, c->evictions);
	for (i = 0; i < c->n_ifaces; i++) {
		ta_prom_set_monitored(ps->model, c->ifaces[i].name, c->ifaces[i].monitored);
		ta_prom_set_attach_failures(ps->model, c->ifaces[i].name,
					    c->ifaces[i].attach_failures);
	}
	err = ta_prom_write_textfile(ps->model, ps->path, time(NULL));
	if (err)
		fprintf(stderr, "tlsaudit: cannot write %s: %s (will retry)\n", ps->path,
			strerror(-err));
}

static int prom_tick(struct ta_sink *s, const struct ta_counters *c, __u64 mono_ns)
{
	struct prom_sink *ps = (struct prom_sink *)s;

	if (!ps->interval_ns || mono_ns < ps->next_write)
		return 0;
	write_textfile(ps, c);
	ps->next_write = mono_ns + ps->interval_ns;
	return 0;
}

static void prom_finish(struct ta_sink *s, const struct ta_counters *c)
{
	write_textfile((struct prom_sink *)s, c);
}

static void prom_free(struct ta_sink *s)
{
	ta_prom_free(((struct prom_sink *)s)->model);
	free(s);
}

static const struct ta_sink_ops prom_ops = {
	.flow = prom_flow,
	.tick = prom_tick,
	.finish = prom_finish,
	.free = prom_free,
};

struct ta_sink *ta_prom_sink(const struct ta_prom_sink_config *cfg)
{
	struct prom_sink *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->model = ta_prom_new(cfg->max_owners);
	if (!ps->model) {
		free(ps);
		return NULL;
	}
	ps->base.ops = &prom_ops;
	ps->path = cfg->path;
	ps->interval_ns = cfg->interval_s * 1000000000ull;
	ps->series_fd = cfg->series_fd;
	ta_prom_set_version(ps->model, cfg->version);
	if (ps->series_fd >= 0 && ta_series_load(ps->series_fd, ps->model, &ps->preexisting_base))
		fprintf(stderr, "tlsaudit: skipped pinned series of an unknown kind\n");
	return &ps->base;
}
