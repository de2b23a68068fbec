/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_maps.bpf.h - the BPF object's maps and load-time configuration. Pinned
 * maps are named by TA_PIN_* in tlsaudit.h; the loader sizes `flows` and
 * `new_flows` (--max-flows) and fills `allow` (--allow) and the rodata between open and
 * load.
 */
#ifndef TA_MAPS_BPF_H
#define TA_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tlsaudit.h"

/* Watched ports, one bit each; set by the loader between open and load. */
const volatile __u8 ta_ports[8192] = {};
/* --enforce: drop client packets of flows that do not start with TLS (QUIC). */
const volatile __u8 ta_enforce = 0;

/* --allow: servers exempt from --enforce */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ta_allow_key);
	__type(value, __u8);
} allow SEC(".maps");

/* The flow tables: one type, so that the verifier sees the same kind of
 * pointer whichever table an entry came from (two map types would double
 * every path after a lookup). Sized by the loader (--max-flows). */
struct ta_flow_table {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct ta_flow_key);
	__type(value, struct ta_flow_state);
};

/* Proven TCP flows: their handshake was seen to complete (TA_F_PROVEN). */
struct ta_flow_table flows SEC(".maps");
/* Every other flow: new, UDP, midstream. A SYN flood evicts only these
 * (ta_new_flows_for in tlsaudit.h). */
struct ta_flow_table new_flows SEC(".maps");

#define TA_TABLE_PROVEN 0
#define TA_TABLE_NEW 1
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct ta_flow_table);
} flow_tables SEC(".maps") = {
	.values = { [TA_TABLE_PROVEN] = &flows, [TA_TABLE_NEW] = &new_flows },
};

/* Flows that ended, so their late packets are not taken for new ones. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* resized by the loader, with flows */
	__type(key, struct ta_flow_key);
	__type(value, struct ta_flow_tomb);
} tombs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* socket cookie */
	__type(value, struct ta_owner);
} owners SEC(".maps");

/* Owners keyed by the flow's 4-tuple, for packets that carry no socket: a
 * container's traffic seen on the host side of its veth (sockops, at connect)
 * and connections accepted by local servers (accept tracepoints). Both ends of
 * one flow can be local, so the key's pad[0] says which end: enum ta_role. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ta_flow_key);
	__type(value, struct ta_owner);
} tuple_owners SEC(".maps");

/* Written by userspace only; pinned with the counters (TA_PIN_SERIES). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TA_SERIES_MAX);
	__type(key, struct ta_series_key);
	__type(value, __u64);
} series SEC(".maps");

/* 16 MiB: at 10k new flows/s with their handshakes (~1 KiB each) the loader
 * drains ~1 MiB per 100 ms poll, so bursts have room. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* The handshake captures (ClientHello and the server's first bytes), in a
 * ring of their own: a burst of big handshakes can fill it, and lose
 * captures (counted), but never a verdict. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} captures SEC(".maps");

/* Per-CPU room for a new flow's state, and for a tombstone, before they are
 * inserted: the programs' stack has none to spare (6.1 allows 512 bytes for
 * a whole call chain). */
struct ta_flow_scratch {
	struct ta_flow_state fresh;
	struct ta_flow_tomb tomb;
	__u8 bytes[TA_PEEK_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_flow_scratch);
} flow_scratch SEC(".maps");

/* Per-CPU scratch for handshake chunks, so that each record reserves only the
 * bytes it carries (bpf_ringbuf_output) instead of a fixed TA_CHUNK_MAX. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_chunk_event);
} chunk_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_V_MAX);
	__type(key, __u32);
	__type(value, struct ta_counter);
} verdict_counters SEC(".maps");

static __always_inline int ta_port_watched(__u16 port)
{
	__u32 idx = port >> 3;

	/* keep clang from dropping the mask, which Linux 6.1's verifier needs:
	 * it does not bound the result of the byte swap the port came from */
	asm volatile("" : "+r"(idx));
	return ta_ports[idx & 8191] & (1u << (port & 7));
}

static __always_inline void ta_stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* Waking the reader costs microseconds; it polls every 100 ms anyway, so only
 * wake it early when a good part of the ring is waiting. */
static __always_inline __u64 ta_wakeup_flags(void *ring)
{
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) > (4 << 20) ? BPF_RB_FORCE_WAKEUP
								      : BPF_RB_NO_WAKEUP;
}

#endif /* TA_MAPS_BPF_H */
