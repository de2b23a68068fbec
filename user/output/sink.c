// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sink.c - the set of sinks a run reports to, called in the order added. */
#include <errno.h>
#include "output/sink.h"

int ta_sinks_add(struct ta_sinks *ss, struct ta_sink *s)
{
	if (!s)
		return -ENOMEM;
	if (ss->n == TA_MAX_SINKS) {
		s->ops->free(s);
		return -ENOSPC;
	}
	ss->s[ss->n++] = s;
	return 0;
}

void ta_sinks_flow(struct ta_sinks *ss, const struct ta_flow_record *r)
{
	int i;

	for (i = 0; i < ss->n; i++)
		if (ss->s[i]->ops->flow)
			ss->s[i]->ops->flow(ss->s[i], r);
}

int ta_sinks_tick(struct ta_sinks *ss, const struct ta_counters *c, __u64 mono_ns)
{
	int i, stop = 0;

	for (i = 0; i < ss->n; i++)
		if (ss->s[i]->ops->tick)
			stop |= ss->s[i]->ops->tick(ss->s[i], c, mono_ns);
	return stop;
}

void ta_sinks_finish(struct ta_sinks *ss, const struct ta_counters *c)
{
	int i;

	for (i = 0; i < ss->n; i++)
		if (ss->s[i]->ops->finish)
			ss->s[i]->ops->finish(ss->s[i], c);
}

void ta_sinks_free(struct ta_sinks *ss)
{
	int i;

	for (i = 0; i < ss->n; i++)
		ss->s[i]->ops->free(ss->s[i]);
	ss->n = 0;
}
