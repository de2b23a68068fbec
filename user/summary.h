/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * summary.h - per-process tally of flow verdicts, printed when tlsaudit exits.
 */
#ifndef TA_SUMMARY_H
#define TA_SUMMARY_H

#include <stdio.h>
#include <linux/types.h>
#include "tlsaudit.h"

struct ta_proc {
	__u32 pid;
	__u32 uid;
	__u64 cgroup_id;
	char comm[TA_COMM_LEN];
	__u32 roles; /* bit (1 << enum ta_role) for each role seen */
	__u64 flows[TA_V_MAX];
};

struct ta_summary {
	struct ta_proc *procs;
	size_t n, cap;
	__u64 unattributed[TA_V_MAX]; /* flows with no known local owner */
};

/* Returns 0, or -ENOMEM (the flow is then counted as unattributed). */
int ta_summary_add(struct ta_summary *s, const struct ta_flow_event *ev);
/* "encrypted", "plaintext", "mixed" or "unknown" for a verdict tally. */
const char *ta_status(const __u64 flows[TA_V_MAX]);
void ta_summary_print(const struct ta_summary *s, FILE *out, int json);
void ta_summary_free(struct ta_summary *s);

#endif
