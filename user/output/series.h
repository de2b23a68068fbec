/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * series.h - the exporter's counts that must survive a restart of tlsaudit,
 * kept in the pinned BPF map "series" (struct ta_series_key -> __u64): flows
 * per (comm, container, port, verdict), TLS flows per (version, outcome)
 * and the pre-existing flows reported (the reserved key values of
 * tlsaudit.h).
 */
#ifndef TA_SERIES_H
#define TA_SERIES_H

#include <linux/types.h>
#include "tlsaudit.h"

struct ta_prom;

/* Add 1 to a flow's (comm, container, port, verdict) count; when the map is
 * full, to (other, "", port, verdict), so the total stays exact. comm is the
 * kernel's 16 raw bytes; container NULL or a C string. */
void ta_series_add_flow(int fd, const __u8 comm[TA_COMM_LEN], const char *container, __u16 port,
			__u8 verdict);
void ta_series_add_tls(int fd, const char *version, const char *outcome);
void ta_series_add_preexisting(int fd);
/* Feed every count the map holds into the model; the pre-existing count goes
 * in *preexisting. Keys that do not hold what they must are skipped, and
 * counted in the return value. */
int ta_series_load(int fd, struct ta_prom *p, __u64 *preexisting);

#endif
