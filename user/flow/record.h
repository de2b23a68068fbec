/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record.h - what the stages hand each other, as plain data:
 *
 *   source (ring buffer, capture file) -> raw records (include/tlsaudit.h)
 *   assembly (flow/assemble.c)         -> a flow event with its handshake
 *   enrichment (flow/enrich.c)         -> struct ta_flow_record
 *   sinks (output/)                    <- ta_flow_record, and ta_counters
 *                                         at each tick and at the end
 */
#ifndef TA_RECORD_H
#define TA_RECORD_H

#include <net/if.h>
#include <linux/types.h>
#include "tlsaudit.h"

struct ta_client_hello;
struct ta_server_hello;

/* One reported flow: the kernel's event and what userspace learned. Every
 * pointer may be NULL (unknown); all of them live only for the call. */
struct ta_flow_record {
	/* the event, turned so that ev.owner is the reported end (the server's
	 * when the flow was seen from its side) and ev.has_owner says so */
	struct ta_flow_event ev;
	unsigned int role; /* enum ta_role of the reported end */
	__u64 realtime_ns; /* CLOCK_REALTIME of the verdict */
	__u64 start_ns;	   /* the owner's process start, when the kernel gave none */
	const char *iface;
	const char *cgroup_path;
	const char *exe;
	const char *container;
	const char *pod;
	__u32 netns_ino;
	const struct ta_owner *peer; /* the other end, when it is local too */
	const char *peer_addr;	     /* the other end's address, printable */
	const char *reason;	     /* why the verdict is what it is */
	int tls;		     /* a TLS handshake was captured */
	const struct ta_client_hello *ch;
	const struct ta_server_hello *sh;
	const char *tls_version; /* negotiated, e.g. "1.3" */
	const char *tls_outcome; /* the server's answer, e.g. "established" */
};

/* An interface the run watches, or tried to. */
struct ta_iface_status {
	char name[IF_NAMESIZE];
	int monitored;
	__u64 attach_failures;
};

/* Everything counted, at one moment: the kernel's (or the host flow
 * machine's) counters, and what userspace stages counted themselves. */
struct ta_counters {
	__u64 stats[TA_STAT_MAX];
	struct ta_counter verdicts[TA_V_MAX];
	__u64 evictions;       /* flow-table entries pushed out to make room */
	__u64 preexisting;     /* established connections found at start */
	__u64 late_owners;     /* verdicts joined to an accept() that came after them */
	__u64 filtered;	       /* flows the filters hid */
	__u64 attach_failures; /* interfaces that could not be watched, summed */
	const struct ta_iface_status *ifaces; /* valid for the call only */
	int n_ifaces;
	__u64 frames;	       /* capture files: frames read */
	__u64 frames_unparsed; /* capture files: frames that were not IP TCP/UDP */
	int capture;	       /* the counters of a capture file, not of a kernel */
};

#endif /* TA_RECORD_H */
