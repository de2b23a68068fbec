// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlsaudit.bpf.c - per-flow first-bytes verdicts at TC, and socket owners
 * captured in process context.
 *
 * Packet path: parse -> port test (the only cost for unwatched traffic) ->
 * flow lookup. A decided flow costs one lookup and one per-CPU counter update.
 * An undecided flow collects up to TA_PEEK_LEN contiguous client bytes across
 * segments, classifies them with the shared pure classifier, and emits exactly
 * one ring-buffer event per flow.
 *
 * Owner path: cgroup connect4/connect6 run in the connecting process, so the
 * pid, comm, uid and cgroup they record under the socket cookie are the real
 * owner's. TC egress sees the same cookie on the socket's packets; TC ingress
 * has no socket at all, and the pid seen in TC is whatever task was running,
 * so it is never used.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "tlsaudit.h"
#include "ta_classify.h"
#include "ta_parse.bpf.h"

#define TC_ACT_UNSPEC (-1) /* also TCX_NEXT: let the next program decide */
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144); /* resized by the loader (--max-flows) */
	__type(key, struct ta_flow_key);
	__type(value, struct ta_flow_state);
} flows SEC(".maps");

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

/* Written by userspace only; pinned with the counters under /sys/fs/bpf/tlsaudit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ta_series_key);
	__type(value, __u64);
} series SEC(".maps");

/* 16 MiB: at 10k new flows/s with their handshakes (~1 KiB each) the loader
 * drains ~1 MiB per 100 ms poll, so bursts have room. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Per-CPU scratch for handshake chunks, so that each record reserves only the
 * bytes it carries (bpf_ringbuf_output) instead of a fixed TA_CHUNK_MAX. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_chunk_event);
} chunk_scratch SEC(".maps");

/* Waking the reader costs microseconds; it polls every 100 ms anyway, so only
 * wake it early when a good part of the ring is waiting. */
static __always_inline __u64 ta_wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > (4 << 20) ? BPF_RB_FORCE_WAKEUP
									 : BPF_RB_NO_WAKEUP;
}

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
	return ta_ports[(port >> 3) & 8191] & (1u << (port & 7));
}

static __always_inline void ta_stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline void ta_count(__u32 verdict, __u32 bytes)
{
	struct ta_counter *c = bpf_map_lookup_elem(&verdict_counters, &verdict);

	if (c) {
		c->pkts += 1;
		c->bytes += bytes;
	}
}

/* Where the packet came from, and how to read its payload. */
struct ta_hook {
	void *ctx;
	__u32 ifindex;
	__u8 is_egress;
	__u8 is_xdp;
	__u8 gateway; /* forwarded traffic: there is no local socket to look for */
};

enum ta_action {
	TA_PASS = 0,
	TA_DROP = 1,
};

/* xdp is a compile-time constant at every call, so each program keeps only
 * the helper its type may call. */
static __always_inline long ta_load_payload(struct ta_hook *h, __u32 off, void *to, __u32 len,
					    const int xdp)
{
	if (xdp)
		return bpf_xdp_load_bytes(h->ctx, off, to, len);
	return bpf_skb_load_bytes(h->ctx, off, to, len);
}

static __always_inline __u64 ta_socket_cookie(struct ta_hook *h, const int xdp)
{
	/* only egress packets carry their local socket */
	if (xdp || h->gateway || !h->is_egress)
		return 0;
	return bpf_get_socket_cookie(h->ctx);
}

/* Under --enforce, does a flow with this verdict get blocked? */
static __always_inline int ta_should_block(const struct ta_flow_key *key, __u8 verdict)
{
	struct ta_allow_key ak = { .prefixlen = 128 };

	/* midstream too: bytes we could not check are not TLS we checked, and
	 * closing a flow before its first payload must not open a bypass */
	if (!ta_enforce)
		return 0;
	if (verdict == (key->l4proto == IPPROTO_UDP ? TA_V_QUIC : TA_V_TLS))
		return 0;
	__builtin_memcpy(ak.addr, key->server, 16);
	return !bpf_map_lookup_elem(&allow, &ak);
}

/* Emit the one event of a flow. The caller has already won TA_F_REPORTED. */
static __always_inline void ta_emit(struct ta_hook *h, const struct ta_flow_key *key,
				    struct ta_flow_state *st, __u8 verdict)
{
	struct ta_flow_event *ev;
	struct ta_flow_key end;
	struct ta_owner *own;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		ta_stat_inc(TA_STAT_RINGBUF_DROPS);
		return;
	}
	ev->type = TA_EV_FLOW;
	ev->ifindex = h->ifindex;
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->cookie = st->cookie;
	__builtin_memcpy(&ev->key, key, sizeof(*key));
	ev->verdict = verdict;
	ev->flags = st->flags;
	ev->peek_len = st->peek_len;
	__builtin_memcpy(ev->peek, st->peek, TA_PEEK_LEN);
	ev->has_owner = 0;
	ev->has_server_owner = 0;
	ev->role = TA_ROLE_NONE;
	__builtin_memset(&ev->owner, 0, sizeof(ev->owner));
	__builtin_memset(&ev->server_owner, 0, sizeof(ev->server_owner));
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	if (!h->is_egress)
		ev->flags |= TA_F_INGRESS;
	if (h->gateway) {
		ev->flags |= TA_F_FORWARDED;
		goto submit;
	}
	__builtin_memcpy(&end, key, sizeof(end));
	end.pad[0] = TA_ROLE_CLIENT;
	own = st->cookie ? bpf_map_lookup_elem(&owners, &st->cookie) : NULL;
	if (!own)
		own = bpf_map_lookup_elem(&tuple_owners, &end);
	if (own) {
		__builtin_memcpy(&ev->owner, own, sizeof(*own));
		ev->has_owner = 1;
	}
	end.pad[0] = TA_ROLE_SERVER;
	own = bpf_map_lookup_elem(&tuple_owners, &end);
	if (own) {
		__builtin_memcpy(&ev->server_owner, own, sizeof(*own));
		ev->has_server_owner = 1;
	}
submit:
	bpf_ringbuf_submit(ev, ta_wakeup_flags());
	ta_stat_inc(TA_STAT_EVENTS);
}

/* Decide once: the CPU that flips TA_F_REPORTED is the one that reports.
 * Returns TA_DROP when --enforce blocks the flow from this packet on. */
static __always_inline int ta_decide(struct ta_hook *h, const struct ta_flow_key *key,
				     struct ta_flow_state *st, __u8 verdict)
{
	int block = ta_should_block(key, verdict);

	if (block)
		__sync_fetch_and_or(&st->flags, TA_F_BLOCKED);
	st->verdict = verdict;
	if (__sync_fetch_and_or(&st->flags, TA_F_REPORTED) & TA_F_REPORTED)
		return block ? TA_DROP : TA_PASS;
	if (block) {
		ta_stat_inc(TA_STAT_BLOCKED);
		ta_stat_inc(TA_STAT_BLOCKED_PKTS); /* the first payload, dropped here */
	}
	ta_emit(h, key, st, verdict);
	return block ? TA_DROP : TA_PASS;
}

static __always_inline void ta_make_key(struct ta_flow_key *key, const struct ta_pkt *pkt,
					int c2s)
{
	if (c2s) {
		__builtin_memcpy(key->client, pkt->saddr, 16);
		__builtin_memcpy(key->server, pkt->daddr, 16);
		key->client_port = pkt->sport;
		key->server_port = pkt->dport;
	} else {
		__builtin_memcpy(key->client, pkt->daddr, 16);
		__builtin_memcpy(key->server, pkt->saddr, 16);
		key->client_port = pkt->dport;
		key->server_port = pkt->sport;
	}
	key->l4proto = pkt->l4proto;
	key->family = pkt->family;
	key->pad[0] = 0;
	key->pad[1] = 0;
}

/*
 * Append the client bytes of this segment that extend the contiguous prefix
 * in st->peek. Returns 1 if the prefix grew.
 */
static __always_inline int ta_collect(struct ta_hook *h, struct ta_flow_state *st,
				      const struct ta_pkt *pkt, const int xdp)
{
	__u8 tmp[TA_PEEK_LEN] = {}, merged[TA_PEEK_LEN];
	__u32 have = st->peek_len, rel, skip, n, i;

	if (have >= TA_PEEK_LEN)
		return 0;
	rel = pkt->seq - (st->isn + 1); /* stream offset of this segment */
	if (rel > have) {
		/* a hole before this segment: wait for the retransmission */
		if (!(__sync_fetch_and_or(&st->flags, TA_F_GAP) & TA_F_GAP))
			ta_stat_inc(TA_STAT_GAP);
		return 0;
	}
	skip = have - rel;
	if (skip >= pkt->payload_len)
		return 0; /* a retransmission of bytes we already hold */
	n = pkt->payload_len - skip;
	if (n > TA_PEEK_LEN - have)
		n = TA_PEEK_LEN - have;
	if (n < 1 || n > TA_PEEK_LEN)
		return 0;
	if (have == 0) {
		/* the common case: the whole first segment, straight into the flow */
		if (ta_load_payload(h, pkt->payload_off + skip, st->peek, n, xdp))
			return 0;
		st->peek_len = n;
		return 1;
	}
	if (ta_load_payload(h, pkt->payload_off + skip, tmp, n, xdp))
		return 0;
	/* merge on the stack so every index the verifier sees is constant-bounded */
	__builtin_memcpy(merged, st->peek, TA_PEEK_LEN);
	for (i = 0; i < TA_PEEK_LEN; i++) {
		if (i >= have && i - have < n)
			merged[i] = tmp[(i - have) & (TA_PEEK_LEN - 1)];
	}
	__builtin_memcpy(st->peek, merged, TA_PEEK_LEN);
	st->peek_len = have + n;
	return 1;
}

/* A client payload for a flow whose SYN we never saw: we cannot know its first
 * bytes, so say "midstream" once rather than guess from the middle. */
static __always_inline int ta_midstream(struct ta_hook *h, const struct ta_flow_key *key,
					const int xdp)
{
	struct ta_flow_state fresh = {}, *st;

	fresh.first_ns = bpf_ktime_get_boot_ns();
	fresh.ifindex = h->ifindex;
	fresh.verdict = TA_V_MIDSTREAM;
	fresh.cookie = ta_socket_cookie(h, xdp);
	fresh.cookie_role = fresh.cookie ? TA_ROLE_CLIENT : TA_ROLE_NONE;
	if (bpf_map_update_elem(&flows, key, &fresh, BPF_NOEXIST)) {
		/* another CPU raced us in, or the table refused: look again */
		if (!bpf_map_lookup_elem(&flows, key))
			ta_stat_inc(TA_STAT_FLOW_INSERT_FAIL);
		return TA_PASS;
	}
	ta_stat_inc(TA_STAT_FLOW_INSERTS);
	st = bpf_map_lookup_elem(&flows, key);
	if (!st)
		return TA_PASS;
	ta_stat_inc(TA_STAT_MIDSTREAM);
	return ta_decide(h, key, st, TA_V_MIDSTREAM);
}

static __always_inline void ta_delete(const struct ta_flow_key *key)
{
	if (!bpf_map_delete_elem(&flows, key))
		ta_stat_inc(TA_STAT_FLOWS_DELETED);
}

/* ---- TLS handshake capture: the ClientHello and the server's first bytes ---- */

static __always_inline int ta_chunk(struct ta_hook *h, const struct ta_flow_key *key, __u8 dir,
				    __u32 offset, __u32 cap_end, __u32 off, __u32 n, __u8 flags,
				    const __u8 *from_peek, const int xdp)
{
	struct ta_chunk_event *ev;
	__u32 zero = 0, size;

	ev = bpf_map_lookup_elem(&chunk_scratch, &zero);
	if (!ev)
		return -1;
	ev->type = n || flags ? TA_EV_CHUNK : TA_EV_CLOSE;
	ev->dir = dir;
	ev->flags = flags;
	ev->ts_ns = bpf_ktime_get_boot_ns();
	__builtin_memcpy(&ev->key, key, sizeof(*key));
	ev->offset = offset;
	ev->cap_end = cap_end;
	ev->len = 0;
	if (from_peek) {
		__builtin_memcpy(ev->data, from_peek, TA_PEEK_LEN);
		ev->len = n > TA_PEEK_LEN ? TA_PEEK_LEN : n;
	} else if (n >= 1 && n <= TA_CHUNK_MAX) {
		if (ta_load_payload(h, off, ev->data, n, xdp))
			return -1;
		ev->len = n;
	}
	size = offsetof(struct ta_chunk_event, data) + ev->len;
	if (size > sizeof(*ev))
		size = sizeof(*ev);
	if (bpf_ringbuf_output(&events, ev, size, ta_wakeup_flags())) {
		ta_stat_inc(TA_STAT_RINGBUF_DROPS);
		return -1;
	}
	return 0;
}

/* A TLS verdict starts the capture: what peek[] holds goes first, the rest of
 * the first record (capped) follows from this and later segments. */
static __always_inline void ta_capture_start(struct ta_hook *h, const struct ta_flow_key *key,
					     struct ta_flow_state *st, const struct ta_pkt *pkt,
					     const int xdp)
{
	__u32 rec = ((__u32)st->peek[3] << 8) | st->peek[4], end = 5 + rec, hs;

	/* a ClientHello longer than its first record continues in more records
	 * (RFC 8446 5.1): take everything up to the cap, until the server speaks */
	if (st->peek_len >= 9) {
		hs = ((__u32)st->peek[6] << 16) | ((__u32)st->peek[7] << 8) | st->peek[8];
		if (4 + hs > rec)
			end = TA_CAP_MAX;
	}
	if (end > TA_CAP_MAX)
		end = TA_CAP_MAX;
	st->cap_end = end;
	__sync_fetch_and_or(&st->flags, TA_F_CAPTURING | TA_F_AWAIT_SERVER);
	if (pkt->seq == st->isn + 1) {
		/* the common case: this segment starts the stream, so the capture
		 * copies it from its first byte, in one record */
		st->cap_next = 0;
	} else {
		/* the first bytes came in earlier segments: only peek[] has them */
		st->cap_next = st->peek_len;
		ta_chunk(h, key, TA_CHUNK_CLIENT, 0, end, 0, st->peek_len, 0, st->peek, xdp);
	}
	/* the server already half-closed: it will not answer */
	if (st->flags & TA_F_SERVER_FIN) {
		__sync_fetch_and_and(&st->flags, ~TA_F_AWAIT_SERVER);
		ta_chunk(h, key, TA_CHUNK_SERVER, 0, 0, 0, 0, 0, NULL, xdp);
	}
}

/* Copy the part of this client segment that continues the capture. */
static __always_inline void ta_capture_client(struct ta_hook *h, const struct ta_flow_key *key,
					      struct ta_flow_state *st, const struct ta_pkt *pkt,
					      const int xdp)
{
	__u32 rel = pkt->seq - (st->isn + 1), next = st->cap_next, end = st->cap_end;
	__u32 skip, left, n, i;

	if (next >= end)
		goto done;
	if (rel > next) {
		/* a hole: what we have is all we will get, and it says so */
		ta_chunk(h, key, TA_CHUNK_CLIENT, next, end, 0, 0, TA_CHUNK_F_GAP, NULL, xdp);
		goto done;
	}
	skip = next - rel;
	if (skip >= pkt->payload_len)
		return; /* a retransmission of what was already copied */
	left = pkt->payload_len - skip;
	if (left > end - next)
		left = end - next;
	for (i = 0; i < TA_CHUNKS_PER_PKT && left; i++) {
		n = left > TA_CHUNK_MAX ? TA_CHUNK_MAX : left;
		if (ta_chunk(h, key, TA_CHUNK_CLIENT, next, end, pkt->payload_off + skip, n,
			     next + n >= end ? TA_CHUNK_F_LAST : 0, NULL, xdp))
			goto done;
		next += n;
		skip += n;
		left -= n;
	}
	st->cap_next = next;
	if (next < end)
		return;
done:
	__sync_fetch_and_and(&st->flags, ~TA_F_CAPTURING);
}

/* The server's first payload, once. */
static __always_inline void ta_capture_server(struct ta_hook *h, const struct ta_flow_key *key,
					      struct ta_flow_state *st, const struct ta_pkt *pkt,
					      const int xdp)
{
	__u32 n = pkt->payload_len > TA_CHUNK_MAX ? TA_CHUNK_MAX : pkt->payload_len;

	if (!(__sync_fetch_and_and(&st->flags, ~TA_F_AWAIT_SERVER) & TA_F_AWAIT_SERVER))
		return;
	/* the client's handshake flight is over once the server answers */
	__sync_fetch_and_and(&st->flags, ~TA_F_CAPTURING);
	__sync_fetch_and_or(&st->flags, TA_F_SERVER_SEEN);
	ta_chunk(h, key, TA_CHUNK_SERVER, 0, 0, pkt->payload_off, n, 0, NULL, xdp);
}

/* The slow part of a decided TLS flow's packets, while the handshake is
 * still being captured. */
static __always_inline void ta_tls_track(struct ta_hook *h, const struct ta_flow_key *key,
					 struct ta_flow_state *st, const struct ta_pkt *pkt,
					 int c2s, const int xdp)
{
	__u32 fl = st->flags;

	if (c2s && pkt->payload_len && (fl & TA_F_CAPTURING))
		ta_capture_client(h, key, st, pkt, xdp);
	else if (!c2s && pkt->payload_len && (fl & TA_F_AWAIT_SERVER))
		ta_capture_server(h, key, st, pkt, xdp);
	if (((pkt->tcp_flags & TA_TCP_RST) || (!c2s && (pkt->tcp_flags & TA_TCP_FIN))) &&
	    (st->flags & TA_F_AWAIT_SERVER))
		/* reset, or the server closed, before it said anything */
		ta_chunk(h, key, TA_CHUNK_SERVER, 0, 0, 0, 0, 0, NULL, xdp);
}

/* A flow ends with an RST, or once both sides sent FIN: a server's FIN alone
 * is a half-close after which the client may still send (close_notify, an
 * upload), and those bytes belong to this flow, not to a new unknown one. */
static __always_inline int ta_flow_ended(struct ta_flow_state *st, __u8 fl, int c2s)
{
	__u32 mine, other, was;

	if (fl & TA_TCP_RST)
		return 1;
	if (!(fl & TA_TCP_FIN))
		return 0;
	mine = c2s ? TA_F_CLIENT_FIN : TA_F_SERVER_FIN;
	other = c2s ? TA_F_SERVER_FIN : TA_F_CLIENT_FIN;
	was = __sync_fetch_and_or(&st->flags, mine);
	return !!(was & other);
}

/* A client packet with payload of a flow --enforce blocked: never let it by. */
static __always_inline int ta_blocked_pkt(const struct ta_flow_state *st, const struct ta_pkt *pkt,
					  int c2s)
{
	if (!ta_enforce || !c2s || !pkt->payload_len || !(st->flags & TA_F_BLOCKED))
		return TA_PASS;
	ta_stat_inc(TA_STAT_BLOCKED_PKTS);
	return TA_DROP;
}

static __always_inline int ta_tcp(struct ta_hook *h, const struct ta_pkt *pkt, int c2s,
				  const int xdp)
{
	struct ta_flow_key key;
	struct ta_flow_state *st;
	__u8 fl = pkt->tcp_flags;
	int verdict, act;

	ta_make_key(&key, pkt, c2s);
	st = bpf_map_lookup_elem(&flows, &key);

	/* Fast path: a decided flow costs this lookup and one counter. */
	if (st && st->verdict != TA_V_PENDING) {
		ta_count(st->verdict, pkt->payload_len);
		if (st->flags & (TA_F_CAPTURING | TA_F_AWAIT_SERVER))
			ta_tls_track(h, &key, st, pkt, c2s, xdp);
		act = ta_blocked_pkt(st, pkt, c2s);
		/* a blocked flow stays known after FIN/RST: its retransmissions must
		 * not pass as a flow we never saw; a new SYN resets it */
		if (!(fl & TA_TCP_SYN) && ta_flow_ended(st, fl, c2s) &&
		    !(st->flags & TA_F_BLOCKED))
			ta_delete(&key);
		else if (c2s && (fl & TA_TCP_SYN) && !(fl & TA_TCP_ACK) && st->isn != pkt->seq)
			goto new_flow; /* port reuse before we saw the old close */
		return act;
	}

	if (c2s && (fl & TA_TCP_SYN) && !(fl & TA_TCP_ACK)) {
		/* the same SYN seen again (retransmit, or a second interface) */
		if (st && st->isn == pkt->seq) {
			if (!st->cookie && h->is_egress) {
				st->cookie = ta_socket_cookie(h, xdp);
				st->cookie_role = TA_ROLE_CLIENT;
			}
			return TA_PASS;
		}
		goto new_flow;
	}

	if (!st) {
		/* (a payload with FIN after we deleted the flow is a late
		 * retransmission: not worth an event, unless we must gate it) */
		if (c2s && pkt->payload_len && (ta_enforce || !(fl & (TA_TCP_FIN | TA_TCP_RST))))
			return ta_midstream(h, &key, xdp);
		return TA_PASS;
	}

	/* Undecided flow. */
	ta_count(TA_V_PENDING, pkt->payload_len);
	if (!st->cookie && c2s && h->is_egress) {
		st->cookie = ta_socket_cookie(h, xdp);
		st->cookie_role = TA_ROLE_CLIENT;
	}
	if (c2s && pkt->payload_len && ta_collect(h, st, pkt, xdp)) {
		verdict = ta_classify(st->peek, st->peek_len, 0);
		if (verdict == TA_V_PENDING)
			goto undecided;
		act = ta_decide(h, &key, st, verdict);
		if (verdict == TA_V_TLS && (st->flags & TA_F_SYN_SEEN)) {
			ta_capture_start(h, &key, st, pkt, xdp);
			ta_capture_client(h, &key, st, pkt, xdp);
		}
		return act;
	}
undecided:
	if (!c2s && (fl & TA_TCP_FIN) && !(fl & TA_TCP_RST)) {
		/* a server half-close: the client may still send its first bytes */
		__sync_fetch_and_or(&st->flags, TA_F_SERVER_FIN);
	} else if (fl & (TA_TCP_FIN | TA_TCP_RST)) {
		/* the stream ended undecided: say what the bytes we have are, and
		 * that they were not all there if a hole was never filled */
		act = TA_PASS;
		if (st->flags & TA_F_GAP)
			__sync_fetch_and_or(&st->flags, TA_F_TRUNCATED);
		if (st->peek_len)
			act = ta_decide(h, &key, st, ta_classify(st->peek, st->peek_len, 1));
		else if (st->flags & TA_F_GAP)
			act = ta_decide(h, &key, st, TA_V_UNKNOWN);
		else
			ta_stat_inc(TA_STAT_FLOWS_NO_PAYLOAD);
		/* enforcing, a flow closed before its first byte stays known, so
		 * bytes sent after the close are still judged as its first */
		if (act != TA_DROP && !(ta_enforce && !st->peek_len))
			ta_delete(&key);
		return act;
	}
	/* Enforcing: undecided client bytes wait at the gate. The client will
	 * retransmit them, with more, and the verdict is taken then. */
	if (ta_enforce && c2s && pkt->payload_len) {
		ta_stat_inc(TA_STAT_BLOCKED_PKTS);
		return TA_DROP;
	}
	return TA_PASS;

new_flow: {
	struct ta_flow_state fresh = {};

	fresh.first_ns = bpf_ktime_get_boot_ns();
	fresh.isn = pkt->seq;
	fresh.ifindex = h->ifindex;
	fresh.flags = TA_F_SYN_SEEN;
	fresh.cookie = ta_socket_cookie(h, xdp);
	fresh.cookie_role = fresh.cookie ? TA_ROLE_CLIENT : TA_ROLE_NONE;
	if (bpf_map_update_elem(&flows, &key, &fresh, BPF_ANY)) {
		ta_stat_inc(TA_STAT_FLOW_INSERT_FAIL);
	} else {
		ta_stat_inc(TA_STAT_FLOWS_NEW);
		if (!st) /* not a reused port's entry overwritten in place */
			ta_stat_inc(TA_STAT_FLOW_INSERTS);
	}
	ta_count(TA_V_PENDING, 0);
	}
	return TA_PASS;
}

/* UDP: the first client datagram decides the flow; there is no close. */
static __always_inline int ta_udp(struct ta_hook *h, const struct ta_pkt *pkt, int c2s,
				  const int xdp)
{
	struct ta_flow_state fresh = {}, *st;
	struct ta_flow_key key;
	__u32 n;

	ta_make_key(&key, pkt, c2s);
	st = bpf_map_lookup_elem(&flows, &key);
	if (st) {
		ta_count(st->verdict, pkt->payload_len);
		return ta_blocked_pkt(st, pkt, c2s);
	}
	if (!c2s || !pkt->payload_len)
		return TA_PASS;
	n = pkt->payload_len < TA_PEEK_LEN ? pkt->payload_len : TA_PEEK_LEN;
	if (n < 1 || n > TA_PEEK_LEN)
		return TA_PASS;
	if (ta_load_payload(h, pkt->payload_off, fresh.peek, n, xdp))
		return TA_PASS;
	fresh.peek_len = n;
	fresh.first_ns = bpf_ktime_get_boot_ns();
	fresh.ifindex = h->ifindex;
	fresh.cookie = ta_socket_cookie(h, xdp);
	fresh.cookie_role = fresh.cookie ? TA_ROLE_CLIENT : TA_ROLE_NONE;
	fresh.verdict = ta_classify_udp(fresh.peek, n);
	if (bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST)) {
		if (!bpf_map_lookup_elem(&flows, &key))
			ta_stat_inc(TA_STAT_FLOW_INSERT_FAIL);
		return TA_PASS;
	}
	ta_stat_inc(TA_STAT_FLOW_INSERTS);
	st = bpf_map_lookup_elem(&flows, &key);
	if (!st)
		return TA_PASS;
	ta_count(fresh.verdict, pkt->payload_len);
	return ta_decide(h, &key, st, fresh.verdict);
}

/* The flow logic as BPF subprograms, one per context type: the packet stays in
 * memory (clang 14 otherwise splits it into registers and spills them in ways
 * the verifier refuses), each is verified once per call site, and each keeps
 * only the payload helper its program type may call. */
static __noinline int ta_l4_skb(struct ta_hook *h, const struct ta_pkt *pkt, int c2s)
{
	if (pkt->l4proto == IPPROTO_TCP)
		return ta_tcp(h, pkt, c2s, 0);
	return ta_udp(h, pkt, c2s, 0);
}

static __noinline int ta_l4_xdp(struct ta_hook *h, const struct ta_pkt *pkt, int c2s)
{
	if (pkt->l4proto == IPPROTO_TCP)
		return ta_tcp(h, pkt, c2s, 1);
	return ta_udp(h, pkt, c2s, 1);
}

/* Parse and handle one frame. Returns TA_PARSE_SHORT when the headers were
 * not all in reach, else TA_PARSE_OK with the verdict's action in *act. */
static __always_inline int ta_handle(struct ta_hook *h, void *data, void *data_end,
				     __u32 frame_len, int *act)
{
	struct ta_pkt pkt;
	int c2s;

	*act = TA_PASS;
	if (ta_parse(data, data_end, frame_len, &pkt) != TA_PARSE_OK)
		return TA_PARSE_SHORT;
	if (ta_port_watched(pkt.dport))
		c2s = 1;
	else if (ta_port_watched(pkt.sport))
		c2s = 0;
	else
		return TA_PARSE_OK;

	*act = h->is_xdp ? ta_l4_xdp(h, &pkt, c2s) : ta_l4_skb(h, &pkt, c2s);
	return TA_PARSE_OK;
}

static __always_inline int ta_tc(struct __sk_buff *skb, int is_egress, int gateway)
{
	struct ta_hook h = { .ctx = skb, .ifindex = skb->ifindex, .is_egress = is_egress,
			     .gateway = gateway };
	int rc, act;

	rc = ta_handle(&h, (void *)(long)skb->data, (void *)(long)skb->data_end, skb->len, &act);
	/* Headers outside the linear area: pull just the headers and retry. */
	if (rc == TA_PARSE_SHORT && skb->data_end - skb->data < skb->len) {
		if (bpf_skb_pull_data(skb, skb->len < 128 ? skb->len : 128))
			return TC_ACT_UNSPEC;
		ta_handle(&h, (void *)(long)skb->data, (void *)(long)skb->data_end, skb->len, &act);
	}
	return act == TA_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

SEC("tc")
int ta_tc_ingress(struct __sk_buff *skb)
{
	return ta_tc(skb, 0, 0);
}

SEC("tc")
int ta_tc_egress(struct __sk_buff *skb)
{
	return ta_tc(skb, 1, 0);
}

/* Gateway mode at TC ingress: forwarded flows, both directions seen as each
 * side's ingress. Keeps GRO, which XDP on a veth defeats. */
SEC("tc")
int ta_tc_gateway(struct __sk_buff *skb)
{
	return ta_tc(skb, 0, 1);
}

/* Gateway mode at XDP: the earliest and cheapest hook on real NICs. */
SEC("xdp")
int ta_xdp_gateway(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ta_hook h = { .ctx = ctx, .ifindex = ctx->ingress_ifindex, .is_xdp = 1,
			     .gateway = 1 };
	int act;

	ta_handle(&h, data, data_end, data_end - data, &act);
	return act == TA_DROP ? XDP_DROP : XDP_PASS;
}

/* ---- socket owners, captured in the owning process's context ---- */

/* What only the task knows: its network namespace, and when its process
 * started, which is what tells a reused pid from the process that had it. */
static __always_inline void ta_task_identity(struct ta_owner *own)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	own->netns_ino = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	own->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
}

static __always_inline void ta_record_owner(struct bpf_sock_addr *ctx)
{
	struct ta_owner own = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	__u64 cookie;

	if (!ta_port_watched(bpf_ntohs(ctx->user_port)))
		return;
	cookie = bpf_get_socket_cookie(ctx);
	own.tgid = id >> 32;
	own.tid = (__u32)id;
	own.uid = (__u32)ug;
	own.gid = ug >> 32;
	own.cgroup_id = bpf_get_current_cgroup_id();
	own.netns_cookie = bpf_get_netns_cookie(ctx);
	own.role = TA_ROLE_CLIENT;
	bpf_get_current_comm(own.comm, sizeof(own.comm));
	ta_task_identity(&own);
	if (bpf_map_update_elem(&owners, &cookie, &own, BPF_ANY))
		ta_stat_inc(TA_STAT_OWNER_INSERT_FAIL);
}

SEC("cgroup/connect4")
int ta_connect4(struct bpf_sock_addr *ctx)
{
	ta_record_owner(ctx);
	return 1; /* never refuse a connect: we only watch */
}

SEC("cgroup/connect6")
int ta_connect6(struct bpf_sock_addr *ctx)
{
	ta_record_owner(ctx);
	return 1;
}

/* Unconnected UDP (sendto) never calls connect: record its owner on the first
 * datagram to a watched port instead. */
static __always_inline void ta_record_sender(struct bpf_sock_addr *ctx)
{
	__u64 cookie;

	if (!ta_port_watched(bpf_ntohs(ctx->user_port)))
		return;
	cookie = bpf_get_socket_cookie(ctx);
	if (bpf_map_lookup_elem(&owners, &cookie))
		return;
	ta_record_owner(ctx);
}

SEC("cgroup/sendmsg4")
int ta_sendmsg4(struct bpf_sock_addr *ctx)
{
	ta_record_sender(ctx);
	return 1;
}

SEC("cgroup/sendmsg6")
int ta_sendmsg6(struct bpf_sock_addr *ctx)
{
	ta_record_sender(ctx);
	return 1;
}

/* Addresses into a flow key, IPv4 and IPv4-mapped IPv6 both as ::ffff:a.b.c.d
 * with family IPv4, because that is what the packets of the flow will show. */
static __always_inline void ta_key_addr(__u8 *dst, __u32 family, __be32 v4, const __u32 *v6,
					__u8 *key_family)
{
	if (family == TA_AF_INET) {
		ta_map_v4(dst, v4);
		*key_family = TA_AF_INET;
		return;
	}
	__builtin_memcpy(dst, v6, 16);
	if (v6[0] == 0 && v6[1] == 0 && v6[2] == bpf_htonl(0xffff))
		*key_family = TA_AF_INET;
	else
		*key_family = TA_AF_INET6;
}

/*
 * sockops TCP_CONNECT_CB runs inside connect(), after the source port was
 * chosen: the first moment the whole 4-tuple of a client socket is known.
 * Copy the owner recorded by connect4/6 under the tuple, for the packets that
 * reach a watched interface without their socket (a container's veth).
 */
SEC("sockops")
int ta_sockops(struct bpf_sock_ops *ctx)
{
	struct ta_flow_key key = {};
	struct ta_owner *own;
	__u64 cookie;
	__u32 lv6[4], rv6[4];
	__u8 fam = 0;

	if (ctx->op != BPF_SOCK_OPS_TCP_CONNECT_CB)
		return 1;
	if (!ta_port_watched(bpf_ntohl(ctx->remote_port)))
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	own = bpf_map_lookup_elem(&owners, &cookie);
	if (!own)
		return 1;
	lv6[0] = ctx->local_ip6[0];
	lv6[1] = ctx->local_ip6[1];
	lv6[2] = ctx->local_ip6[2];
	lv6[3] = ctx->local_ip6[3];
	rv6[0] = ctx->remote_ip6[0];
	rv6[1] = ctx->remote_ip6[1];
	rv6[2] = ctx->remote_ip6[2];
	rv6[3] = ctx->remote_ip6[3];
	ta_key_addr(key.client, ctx->family, ctx->local_ip4, lv6, &fam);
	ta_key_addr(key.server, ctx->family, ctx->remote_ip4, rv6, &fam);
	key.family = fam;
	key.client_port = ctx->local_port;
	key.server_port = bpf_ntohl(ctx->remote_port);
	key.l4proto = IPPROTO_TCP;
	key.pad[0] = TA_ROLE_CLIENT;
	if (bpf_map_update_elem(&tuple_owners, &key, own, BPF_ANY))
		ta_stat_inc(TA_STAT_OWNER_INSERT_FAIL);
	return 1;
}

/* syscalls:sys_exit_accept{,4}: the common header, the syscall nr, the result */
struct ta_sys_exit {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/*
 * accept() returned fd in the server process: the accepted socket is the one
 * the client's first bytes were (or will be) addressed to. Record the server
 * process under the tuple, and tell userspace, which may hold a verdict that
 * was decided before this accept.
 */
static __always_inline int ta_accepted(struct ta_sys_exit *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ta_owner own = {};
	struct ta_owner_event *ev;
	struct ta_flow_key key = {};
	struct file **fds, *file;
	struct socket *sock;
	struct sock *sk;
	__u32 v6[4], fam, fd;
	__u64 id, ug;
	__u16 lport;
	__u8 kfam = 0;

	if (ctx->ret < 0)
		return 0;
	fd = ctx->ret;
	if (fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!ta_port_watched(lport))
		return 0;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != TA_AF_INET && fam != TA_AF_INET6)
		return 0;
	BPF_CORE_READ_INTO(&v6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	ta_key_addr(key.client, fam, BPF_CORE_READ(sk, __sk_common.skc_daddr), v6, &kfam);
	BPF_CORE_READ_INTO(&v6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
	ta_key_addr(key.server, fam, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), v6, &kfam);
	key.family = kfam;
	key.client_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	key.server_port = lport;
	key.l4proto = IPPROTO_TCP;

	id = bpf_get_current_pid_tgid();
	ug = bpf_get_current_uid_gid();
	own.tgid = id >> 32;
	own.tid = (__u32)id;
	own.uid = (__u32)ug;
	own.gid = ug >> 32;
	own.cgroup_id = bpf_get_current_cgroup_id();
	ta_task_identity(&own);
	own.netns_ino = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	own.role = TA_ROLE_SERVER;
	bpf_get_current_comm(own.comm, sizeof(own.comm));
	key.pad[0] = TA_ROLE_SERVER;
	if (bpf_map_update_elem(&tuple_owners, &key, &own, BPF_ANY))
		ta_stat_inc(TA_STAT_OWNER_INSERT_FAIL);
	key.pad[0] = 0;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		ta_stat_inc(TA_STAT_RINGBUF_DROPS);
		return 0;
	}
	ev->type = TA_EV_OWNER;
	ev->pad = 0;
	ev->ts_ns = bpf_ktime_get_boot_ns();
	__builtin_memcpy(&ev->key, &key, sizeof(key));
	__builtin_memcpy(&ev->owner, &own, sizeof(own));
	bpf_ringbuf_submit(ev, ta_wakeup_flags());
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ta_accept4_exit(struct ta_sys_exit *ctx)
{
	return ta_accepted(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ta_accept_exit(struct ta_sys_exit *ctx)
{
	return ta_accepted(ctx);
}
