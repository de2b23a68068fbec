/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * report.h - turning kernel flow events into output: the names of verdicts and
 * roles (part of the JSON contract), addresses, times, and the one-line JSON
 * and human renderings of a flow.
 */
#ifndef TA_REPORT_H
#define TA_REPORT_H

#include <stddef.h>
#include <linux/types.h>
#include "tlsaudit.h"
#include "output/strbuf.h"
#include "tls/hello.h"

const char *ta_verdict_name(unsigned int verdict);
const char *ta_role_name(unsigned int role);
/* IPv4-mapped addresses print as dotted quads when family says IPv4. */
void ta_format_addr(const __u8 addr[16], __u8 family, char *out, size_t n);
/* RFC 3339 UTC with milliseconds, from a CLOCK_REALTIME value in ns. */
void ta_format_time(__u64 realtime_ns, char *out, size_t n);

/* What userspace adds to a kernel event before printing it. */
struct ta_flow_view {
	const struct ta_flow_event *ev;
	__u64 realtime_ns;
	const char *iface;       /* NULL when unknown */
	const char *cgroup_path; /* NULL when unknown */
	const char *exe;         /* NULL when unknown */
	const char *container;   /* NULL when the cgroup names none */
	const char *pod;         /* NULL when the cgroup names none */
	__u32 netns_ino;         /* 0 when unknown */
	unsigned int role;       /* enum ta_role, decided by userspace */
	const struct ta_owner *peer; /* the other end's owner when it is local too */
	const char *reason;          /* why the verdict is what it is, or NULL */
	int tls;                     /* append the "tls" object from ch and sh */
	const struct ta_client_hello *ch; /* may be NULL */
	const struct ta_server_hello *sh; /* may be NULL */
};

void ta_flow_json(struct strbuf *sb, const struct ta_flow_view *v);
void ta_flow_text(struct strbuf *sb, const struct ta_flow_view *v);

#endif
