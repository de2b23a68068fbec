/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lines.h - a flow as a line: the names of verdicts and roles (part of the JSON
 * contract), addresses, times, the one-line JSON and human renderings of a
 * flow, and the sink that prints them (ta_lines_sink() in sink.h).
 */
#ifndef TA_LINES_H
#define TA_LINES_H

#include <stddef.h>
#include <linux/types.h>
#include "tlsaudit.h"
#include "flow/record.h"
#include "output/strbuf.h"

const char *ta_verdict_name(unsigned int verdict);
const char *ta_role_name(unsigned int role);
/* IPv4-mapped addresses print as dotted quads when family says IPv4. */
void ta_format_addr(const __u8 addr[16], __u8 family, char *out, size_t n);
/* RFC 3339 UTC with milliseconds, from a CLOCK_REALTIME value in ns. */
void ta_format_time(__u64 realtime_ns, char *out, size_t n);

/* One flow as one JSON object (no newline), or as one line of text. */
void ta_flow_json(struct strbuf *sb, const struct ta_flow_record *v);
void ta_flow_text(struct strbuf *sb, const struct ta_flow_record *v);

#endif
