// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* counters.c - the kernel's per-CPU counters, summed, and evictions inferred. */
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/counters.h"
#include "core/loader.h"
#include "tlsaudit.skel.h"

/* Sum a per-CPU array's entries, value_size bytes each, n of them, into
 * out[] (one __u64 per entry per field of fields). */
static void sum_percpu(int fd, __u32 n, size_t value_size, unsigned int fields, __u64 *out)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	unsigned int f;
	char *vals;
	__u64 v;
	__u32 k;

	memset(out, 0, (size_t)n * fields * sizeof(*out));
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, value_size);
	if (!vals)
		return;
	for (k = 0; k < n; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			for (f = 0; f < fields; f++) {
				memcpy(&v, vals + c * value_size + f * sizeof(v), sizeof(v));
				out[k * fields + f] += v;
			}
	}
	free(vals);
}

static __u64 stat_of(struct ta_loader *l, __u32 idx)
{
	__u64 all[TA_STAT_MAX];

	sum_percpu(bpf_map__fd(l->skel->maps.stats), TA_STAT_MAX, sizeof(__u64), 1, all);
	return all[idx];
}

void ta_counters_base(struct ta_loader *l, struct ta_counters_base *b)
{
	b->inserts = stat_of(l, TA_STAT_FLOW_INSERTS);
	b->deletes = stat_of(l, TA_STAT_FLOWS_DELETED);
	/* A flows map taken over from an earlier run starts full: its entries
	 * count as inserted here, or their later eviction would go unseen. */
	b->live = ta_loader_live_flows(l);
}

__u64 ta_evictions(__u64 inserts, __u64 live, __u64 deletes)
{
	return inserts > deletes + live ? inserts - deletes - live : 0;
}

void ta_counters_read(struct ta_loader *l, const struct ta_counters_base *b, __u64 seeded,
		      struct ta_counters *c)
{
	__u64 verdicts[TA_V_MAX * 2], inserts, live, deletes;
	int v;

	sum_percpu(bpf_map__fd(l->skel->maps.stats), TA_STAT_MAX, sizeof(__u64), 1, c->stats);
	inserts = c->stats[TA_STAT_FLOW_INSERTS] - b->inserts + b->live + seeded;
	live = ta_loader_live_flows(l);
	deletes = stat_of(l, TA_STAT_FLOWS_DELETED) - b->deletes;
	c->evictions = ta_evictions(inserts, live, deletes);
	sum_percpu(bpf_map__fd(l->skel->maps.verdict_counters), TA_V_MAX, sizeof(struct ta_counter),
		   2, verdicts);
	for (v = 0; v < TA_V_MAX; v++) {
		c->verdicts[v].pkts = verdicts[2 * v];
		c->verdicts[v].bytes = verdicts[2 * v + 1];
	}
}
