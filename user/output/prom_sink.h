/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * prom_sink.h - the Prometheus sink: every flow into the model (prom.h) and,
 * live, into the pinned series map (series.h), so the counts survive a
 * restart; the textfile written every interval and at the end.
 */
#ifndef TA_PROM_SINK_H
#define TA_PROM_SINK_H

#include <stddef.h>

struct ta_sink;

struct ta_prom_sink_config {
	const char *path;	  /* the .prom file */
	unsigned long interval_s; /* between writes; 0: only at the end */
	size_t max_owners;	  /* --max-series-owners */
	int series_fd;		  /* the pinned series map, or -1 (capture files) */
	const char *version;
};

/* NULL with errno set. The counts pinned by earlier runs are loaded. */
struct ta_sink *ta_prom_sink(const struct ta_prom_sink_config *cfg);

#endif
