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
	__u64 start_ns; /* process start, CLOCK_BOOTTIME: tells a reused pid apart; 0 unknown */
	char comm[TA_COMM_LEN];
	char container[72]; /* container or pod id parsed from the cgroup, or "" */
	char last_peer[48]; /* the other end of the latest flow, printable */
	__u16 last_port;    /* the server port of the latest flow */
	__u32 roles;	    /* bit (1 << enum ta_role) for each role seen */
	__u64 flows[TA_V_MAX];
	__u64 last_ns; /* CLOCK_REALTIME of the latest flow */
	/* TLS flows by negotiated version, as ta_tls_version_name() names them */
	struct {
		char name[8];
		__u64 n;
	} tls_versions[6];
};

/* What userspace learned about an event's owner beyond the kernel record. */
struct ta_owner_info {
	__u64 start_ns;	       /* overrides the owner's when the kernel had none */
	const char *container; /* may be NULL */
	const char *peer;      /* may be NULL */
	__u64 realtime_ns;
	const char *tls_version; /* negotiated, NULL when not known */
};

struct ta_summary {
	struct ta_proc *procs;
	size_t n, cap;
	__u64 unattributed[TA_V_MAX]; /* flows with no known local owner */
};

/* Returns 0, or -ENOMEM (the flow is then counted as unattributed).
 * info may be NULL. */
int ta_summary_add(struct ta_summary *s, const struct ta_flow_event *ev,
		   const struct ta_owner_info *info);
/* "encrypted", "plaintext", "mixed" or "unknown" for a verdict tally. */
const char *ta_status(const __u64 flows[TA_V_MAX]);
/* ta_status() for a process row: "weak" when its only flows are sslv2 or TLS
 * that negotiated 1.1 or less. */
const char *ta_proc_status(const struct ta_proc *p);
/* "client", "server", "both", or NULL when no role is known */
const char *ta_roles_name(__u32 roles);
void ta_summary_print(const struct ta_summary *s, FILE *out, int json);
void ta_summary_free(struct ta_summary *s);

#endif
