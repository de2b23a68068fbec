// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* series.c - the pinned counts behind the Prometheus export. */
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "output/prom.h"
#include "output/series.h"
#include "output/strbuf.h"

static int add_one(int fd, const struct ta_series_key *k)
{
	__u64 v, one = 1;

	if (bpf_map_lookup_elem(fd, k, &v) == 0)
		one = v + 1;
	return bpf_map_update_elem(fd, k, &one, BPF_ANY);
}

void ta_series_add_flow(int fd, const __u8 comm[TA_COMM_LEN], const char *container, __u16 port,
			__u8 verdict)
{
	struct ta_series_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.comm, comm, ta_field_len(comm, TA_COMM_LEN));
	if (container)
		memcpy(k.container, container, ta_field_len(container, sizeof(k.container)));
	k.port = port;
	k.verdict = verdict;
	if (!add_one(fd, &k))
		return;
	/* the pinned table is full: keep the total exact under "other" */
	memset(&k, 0, sizeof(k));
	memcpy(k.comm, "other", 5);
	k.port = port;
	k.verdict = verdict;
	add_one(fd, &k);
}

void ta_series_add_tls(int fd, const char *version, const char *outcome)
{
	struct ta_series_key k;

	memset(&k, 0, sizeof(k));
	k.verdict = TA_SERIES_TLS;
	memcpy(k.comm, version, ta_field_len(version, sizeof(k.comm)));
	memcpy(k.container, outcome, ta_field_len(outcome, sizeof(k.container)));
	add_one(fd, &k);
}

void ta_series_add_preexisting(int fd)
{
	struct ta_series_key k;

	memset(&k, 0, sizeof(k));
	k.verdict = TA_SERIES_PREEXISTING;
	add_one(fd, &k);
}

int ta_series_load(int fd, struct ta_prom *p, __u64 *preexisting)
{
	struct ta_series_key k, next, *prev = NULL;
	char comm[TA_COMM_LEN + 1], container[TA_CONTAINER_LEN + 1];
	int bad = 0;
	__u64 v;

	*preexisting = 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v) != 0)
			continue;
		/* the fields are fixed-size and need not be terminated */
		snprintf(comm, sizeof(comm), "%.*s", (int)ta_field_len(k.comm, TA_COMM_LEN),
			 (const char *)k.comm);
		snprintf(container, sizeof(container), "%.*s",
			 (int)ta_field_len(k.container, TA_CONTAINER_LEN),
			 (const char *)k.container);
		if (k.verdict == TA_SERIES_PREEXISTING)
			*preexisting = v;
		else if (k.verdict == TA_SERIES_TLS)
			ta_prom_add_tls(p, comm, container, v);
		else if (k.verdict < TA_V_MAX)
			ta_prom_add_flow(p, (const char *)k.comm, container, k.port, k.verdict, v);
		else
			bad++;
	}
	return bad;
}
