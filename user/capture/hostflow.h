/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hostflow.h - the flow machine (bpf/ta_flow.h) built for the host: what
 * stands in for the kernel when tlsaudit reads a capture file, and what the
 * flow-machine fuzzer and the packet tests drive directly.
 *
 * Its flow table is an LRU hash of at most max_flows entries, like the
 * kernel's, but it counts its evictions exactly. Counters are the kernel's
 * enum ta_stat and per-verdict arrays. Every record the kernel would put in
 * the ring buffer (flow events, capture records) goes to the record function
 * instead, synchronously, in the same format.
 */
#ifndef TA_HOSTFLOW_H
#define TA_HOSTFLOW_H

#include <stddef.h>
#include <linux/types.h>
#include "tlsaudit.h"

/* How a frame begins: the link-layer header types a capture file can hold. */
enum ta_link {
	TA_LINK_ETHERNET = 0, /* Ethernet II, with VLAN tags */
	TA_LINK_SLL,	      /* Linux cooked capture v1 (16 bytes) */
	TA_LINK_SLL2,	      /* Linux cooked capture v2 (20 bytes) */
	TA_LINK_RAW,	      /* raw IPv4 or IPv6, the version nibble says which */
	TA_LINK_NULL,	      /* BSD loopback: 4-byte address family, host order */
	TA_LINK_LOOP,	      /* OpenBSD loopback: the same, network order */
};

/* Where and how frames are judged. */
struct ta_hostflow_config {
	const __u8 *ports;		  /* TA_PORT_BITMAP_LEN bytes, one bit per port */
	__u32 max_flows;		  /* flow table size */
	int enforce;			  /* decide drops as --enforce would */
	const struct ta_allow_key *allow; /* servers exempt from enforce */
	int n_allow;
};

/* Receives each record (struct ta_flow_event, ta_chunk_event, ...), which is
 * only valid during the call. */
typedef void (*ta_record_fn)(void *ctx, const void *rec, size_t len);

/* Where a frame was seen: captured (a file), forwarded (a gateway), or a
 * host's egress/ingress; ifindex as the events should name it. */
struct ta_frame_origin {
	__u32 ifindex;
	__u8 is_egress;
	__u8 gateway;
	__u8 captured;
};

struct ta_hostflow;

/* NULL with errno set. The config's arrays are copied. */
struct ta_hostflow *ta_hostflow_new(const struct ta_hostflow_config *cfg, ta_record_fn out,
				    void *out_ctx);
void ta_hostflow_free(struct ta_hostflow *hf);

/* Not judged: the frame is not IPv4/IPv6 TCP or UDP, a non-first fragment,
 * or its headers are cut short. */
#define TA_FRAME_UNPARSED (-1)

/*
 * Judge one frame. caplen bytes are at frame; wirelen is the frame's length
 * on the wire (caplen is less when the capture cut it); ts_ns the time the
 * records will carry. Returns TA_PASS, TA_DROP, or TA_FRAME_UNPARSED.
 */
int ta_hostflow_frame(struct ta_hostflow *hf, enum ta_link link, const void *frame, __u32 caplen,
		      __u32 wirelen, __u64 ts_ns, const struct ta_frame_origin *where);

/* Counters as the kernel's maps hold them (summed over CPUs). */
void ta_hostflow_counters(const struct ta_hostflow *hf, __u64 stats[TA_STAT_MAX],
			  struct ta_counter verdicts[TA_V_MAX]);
/* Entries the LRU pushed out to make room, and entries in the table now. */
__u64 ta_hostflow_evictions(const struct ta_hostflow *hf);
__u32 ta_hostflow_live(const struct ta_hostflow *hf);
/* The state of one flow, or NULL (tests and the fuzzer's invariants). */
const struct ta_flow_state *ta_hostflow_lookup(struct ta_hostflow *hf,
					       const struct ta_flow_key *key);
/* The tombstone of an ended flow, or NULL: its state's isn, verdict, and
 * TA_F_ALT_SYN with alt_isn when a new SYN waits for the server's SYN-ACK. */
const struct ta_flow_state *ta_hostflow_tomb(struct ta_hostflow *hf, const struct ta_flow_key *key);

#endif /* TA_HOSTFLOW_H */
