/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* live.h - a live run of tlsaudit, until *stop is set or the duration ends. */
#ifndef TA_LIVE_H
#define TA_LIVE_H

#include <signal.h>
#include "core/options.h"

/* Returns the exit status: 0, 1 on a runtime error, 2 on a usage error. */
int ta_live_run(const struct ta_options *opt, volatile sig_atomic_t *stop);

#endif
