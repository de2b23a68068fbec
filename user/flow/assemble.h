/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * assemble.h - from the raw record stream to complete flows.
 *
 * A flow event is released at once when nothing more is coming for it, and
 * held (for a bounded time, then released as it is) while it waits for:
 *  - its server's owner: a verdict taken at ingress towards a local address
 *    belongs to a local server that may not have called accept() yet
 *    (TA_EV_OWNER); a client flow waits briefly for a local peer likewise;
 *  - its TLS handshake: the ClientHello and the server's first bytes, which
 *    the kernel sends as capture records (TA_EV_CHUNK, TA_EV_CLOSE);
 *  - an eviction count taken after it arrived: a midstream verdict's reason
 *    says whether the flow table lost the flow, which only a count taken
 *    since can tell.
 * Times are in the records' own clock (CLOCK_BOOTTIME live, the packets'
 * time in a capture file), given by the caller with every call.
 */
#ifndef TA_ASSEMBLE_H
#define TA_ASSEMBLE_H

#include <stddef.h>
#include <linux/types.h>
#include "tlsaudit.h"

struct ta_local_addrs;

#define TA_HOLD_MAX 4096
#define TA_HOLD_BUCKETS 8192

/* What a held TLS flow has gathered of its handshake. */
struct ta_tls_capture {
	__u8 *client; /* malloc'd, cap_end bytes */
	__u32 cap_end;
	__u32 have;	  /* contiguous client bytes from offset 0 */
	__u8 client_done; /* complete, or stopped at a hole */
	__u8 gap;
	__u8 server_done; /* the server's first bytes arrived, or it closed */
	__u8 closed;	  /* closed before the server said anything */
	__u16 server_len;
	__u8 server[TA_CHUNK_MAX];
};

/* A complete flow goes on to enrichment; evicted says whether the flow table
 * had lost flows, by the latest count (for a midstream verdict's reason). */
typedef void (*ta_release_fn)(void *ctx, const struct ta_flow_event *ev,
			      const struct ta_tls_capture *cap, int evicted);

struct ta_held {
	struct ta_flow_event ev;
	__u64 arrived_ns;
	__u64 deadline_ns;
	__u8 live;
	__u8 need_owner; /* a local server may still accept() it */
	__u8 need_tls;	 /* its handshake is still being captured */
	__u8 need_count; /* midstream: waits for an eviction count */
	int next;	 /* hash chain, -1 at the end */
	struct ta_tls_capture *tls;
};

struct ta_assembly {
	ta_release_fn release;
	void *ctx;
	/* NULL in a capture file: no end of a captured flow is ours */
	struct ta_local_addrs *local;
	__u64 hold_ns;	     /* a server-side verdict waits this long for accept() */
	__u64 peer_hold_ns;  /* a client flow waits this long for a local server */
	__u64 tls_hold_ns;   /* how long a handshake may take to show up */
	__u64 count_hold_ns; /* how long a midstream verdict waits for a count */
	__u64 evictions;     /* the latest eviction count */
	__u64 counted_ns;    /* ... and when it was taken */
	__u64 late_owners;   /* verdicts joined to an accept() that came after them */
	/* held flows: a ring in arrival order, indexed by flow key */
	struct ta_held held[TA_HOLD_MAX];
	int head, n_held;
	int buckets[TA_HOLD_BUCKETS];
};

/* a is large: allocate it. local may be NULL (capture files). */
void ta_assembly_init(struct ta_assembly *a, struct ta_local_addrs *local, ta_release_fn release,
		      void *ctx);
/* One record from the ring buffer or the host flow machine (any type). */
void ta_assembly_record(struct ta_assembly *a, const void *data, size_t len, __u64 now);
/* The flow table's eviction count as taken at now: releases the midstream
 * verdicts that arrived before. */
void ta_assembly_count(struct ta_assembly *a, __u64 evictions, __u64 now);
/* Release held flows whose wait is over (all of them when flush_all). */
void ta_assembly_tick(struct ta_assembly *a, __u64 now, int flush_all);
/* A midstream verdict waits for a count (ta_assembly_count). */
int ta_assembly_wants_count(const struct ta_assembly *a);
void ta_assembly_free(struct ta_assembly *a);

#endif
