// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* outputs.c - the sinks of a run, in the order they finish. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/outputs.h"
#include "output/prom_sink.h"
#include "output/top.h"

#define EXIT_RUNTIME 1

int ta_outputs_first(struct ta_sinks *ss, const struct ta_options *opt, struct ta_sink **summary)
{
	const struct ta_summary *tally;
	struct ta_sink *top;

	*summary = ta_summary_sink(stdout, opt->json, &tally);
	if (!*summary) {
		fprintf(stderr, "tlsaudit: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (opt->top) {
		top = ta_top_sink(tally, opt->top_containers, STDIN_FILENO, STDOUT_FILENO);
		if (!top) {
			fprintf(stderr, "tlsaudit: --top needs an interactive terminal: %s\n",
				strerror(errno));
			(*summary)->ops->free(*summary);
			*summary = NULL;
			return TA_EXIT_USAGE;
		}
		return ta_sinks_add(ss, top) ? EXIT_RUNTIME : 0;
	}
	if (ta_sinks_add(ss, ta_lines_sink(stdout, opt->json))) {
		(*summary)->ops->free(*summary);
		*summary = NULL;
		return EXIT_RUNTIME;
	}
	return 0;
}

int ta_outputs_rest(struct ta_sinks *ss, const struct ta_options *opt, int series_fd,
		    struct ta_sink *summary)
{
	struct ta_prom_sink_config pc = {
		.path = opt->textfile,
		.interval_s = opt->read_file[0] ? 0 : opt->interval,
		.max_owners = opt->max_series_owners,
		.series_fd = series_fd,
		.version = TA_VERSION,
	};

	if (opt->textfile[0] && ta_sinks_add(ss, ta_prom_sink(&pc))) {
		fprintf(stderr, "tlsaudit: cannot set up the metrics model: %s\n", strerror(errno));
		summary->ops->free(summary);
		return EXIT_RUNTIME;
	}
	if (ta_sinks_add(ss, summary) || ta_sinks_add(ss, ta_stats_sink(stdout, opt->json))) {
		fprintf(stderr, "tlsaudit: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	return 0;
}
