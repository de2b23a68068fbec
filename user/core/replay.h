/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * replay.h - `tlsaudit -r FILE`: a capture file through the host build of the
 * flow machine and the same pipeline and sinks as a live run.
 */
#ifndef TA_REPLAY_H
#define TA_REPLAY_H

#include <signal.h>
#include "core/options.h"

/* Returns the exit status: 0, or 1 when the file cannot be read or is damaged
 * (every flow seen before the damage is still reported). */
int ta_replay_run(const struct ta_options *opt, volatile sig_atomic_t *stop);

#endif
