/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * outputs.h - the sinks a run reports to, as the options ask: --top or the
 * lines (JSON with -j), the summary, the Prometheus textfile, the stats line.
 */
#ifndef TA_OUTPUTS_H
#define TA_OUTPUTS_H

#include "core/options.h"
#include "output/sink.h"

struct ta_summary;

/* The terminal first, before anything is loaded: a --top that cannot have
 * it is a usage error. Adds --top or the lines; makes the summary (whose
 * tally --top draws) into *summary, for ta_outputs_rest(). 0, or the exit
 * status with the reason said (and *summary NULL). */
int ta_outputs_first(struct ta_sinks *ss, const struct ta_options *opt, struct ta_sink **summary);
/* Then the textfile (series_fd: the pinned series map, -1 for none), the
 * summary and the stats line, in the order they finish: the terminal is
 * back and the textfile written before the summary prints. Takes summary
 * in any case. 0, or the exit status with the reason said. */
int ta_outputs_rest(struct ta_sinks *ss, const struct ta_options *opt, int series_fd,
		    struct ta_sink *summary);

#endif
