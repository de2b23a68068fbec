/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pipeline.h - from kernel records to reported flows.
 *
 * A flow event that has its owner is enriched (cgroup path, container, exe,
 * netns), filtered and reported at once. One decided at ingress without an
 * owner may belong to a local server that has not called accept() yet: it is
 * held until the matching TA_EV_OWNER arrives, or for hold_ns at most, and
 * then reported without an owner ("forwarded" when neither end is local).
 * A TLS flow is held likewise until its ClientHello and the server's first
 * bytes were captured (TA_EV_CHUNK, TA_EV_CLOSE), so its one line carries
 * what the handshake said.
 */
#ifndef TA_PIPELINE_H
#define TA_PIPELINE_H

#include <linux/types.h>
#include "core/options.h"
#include "output/summary.h"
#include "tlsaudit.h"

#define TA_HOLD_MAX 4096

/* What a held TLS flow has gathered of its handshake so far. */
struct ta_tls_capture {
	__u8 *client;        /* malloc'd, cap_end bytes */
	__u32 cap_end;
	__u32 have;          /* contiguous client bytes from offset 0 */
	__u8 client_done;    /* complete, or stopped at a hole */
	__u8 gap;
	__u8 server_done;    /* the server's first bytes arrived, or it closed */
	__u8 closed;         /* closed before the server said anything */
	__u16 server_len;
	__u8 server[TA_CHUNK_MAX];
};

struct ta_held {
	struct ta_flow_event ev;
	__u64 deadline_ns;   /* CLOCK_BOOTTIME: reported as it is by then */
	__u8 live;
	__u8 need_owner;     /* a local server may still accept() it */
	__u8 need_tls;       /* its handshake is still being captured */
	int next;            /* hash chain, -1 at the end */
	struct ta_tls_capture *tls;
};

#define TA_HOLD_BUCKETS 8192

struct ta_pipeline {
	const struct ta_options *opt;
	__u64 boot_to_real_ns;
	__u64 hold_ns;
	const char *(*iface_name)(__u32 ifindex);
	struct ta_summary summary;
	/* held flows: a ring in arrival order, indexed by flow key */
	struct ta_held held[TA_HOLD_MAX];
	int head, n_held;
	int buckets[TA_HOLD_BUCKETS];
	__u64 tls_hold_ns;  /* how long a handshake may take to show up */
	__u64 peer_hold_ns; /* how long a client flow waits for a local server's accept() */
	__u64 reported;     /* flows reported after filtering */
	__u64 filtered;     /* flows the filters hid */
	__u64 preexisting;  /* established connections found at start */
	__u64 late_owners;  /* verdicts joined to an accept() that came after them */
	/* tls_version/tls_outcome are NULL when not a TLS flow or not learned */
	void (*on_flow)(const struct ta_flow_event *ev, const char *container,
			const char *tls_version, const char *tls_outcome, void *ctx);
	void *on_flow_ctx;
	int quiet;          /* --top: keep the tally, print no lines */
	/* LRU evictions so far, to say why a flow was seen mid-stream */
	__u64 (*evictions)(void);
	__u64 evictions_seen, evictions_at_ns;
};

void ta_pipeline_init(struct ta_pipeline *p, const struct ta_options *opt,
		      const char *(*iface_name)(__u32));
/* A record from the ring buffer (any type). */
int ta_pipeline_record(struct ta_pipeline *p, const void *data, size_t len);
/* Report held flows older than hold_ns (all of them when flush_all). */
void ta_pipeline_tick(struct ta_pipeline *p, int flush_all);
void ta_pipeline_free(struct ta_pipeline *p);

#endif
