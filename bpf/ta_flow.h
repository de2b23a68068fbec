/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_flow.h - the flow machine: what tlsaudit does with one parsed packet of
 * a watched flow. Compiled twice, like ta_classify.h: into the BPF programs
 * (bpf/ta_env.bpf.h gives it maps and helpers) and into the host library
 * (user/flow/hostflow.c gives it a hash table and a record sink), so the
 * capture-file reader, the fuzzer and the kernel run the same logic.
 *
 * Per flow it owns: first-bytes collection by sequence number, the verdict,
 * the handshake capture decisions, the enforcement decisions, and close,
 * port-reuse and midstream handling. A decided flow costs one lookup and one
 * counter update.
 *
 * Its environment is declared below and defined by the includer, after this
 * file: `struct ta_env` (opaque here) and the ta_env_*() operations, all
 * static __always_inline. `hook` is a compile-time constant at every call, so
 * each BPF program keeps only the helpers its type may call.
 */
#ifndef TA_FLOW_H
#define TA_FLOW_H

#include "ta_portable.h"
#include "tlsaudit.h"
#include "ta_classify.h"
#include "ta_parse.h"

/* Where a packet was seen. */
struct ta_hook {
	__u32 ifindex;
	__u8 is_egress; /* leaving through this hook: it may carry its socket */
	__u8 gateway;	/* forwarded traffic: no local socket by design */
	__u8 captured;	/* read from a capture file: no socket, no process */
	__u8 pad;
};

/* ---- the environment: the includer defines these ---- */

struct ta_env;

/* where the packet was seen */
static __always_inline const struct ta_hook *ta_env_hook(struct ta_env *env);
/* --enforce is in effect */
static __always_inline int ta_env_enforce(struct ta_env *env);
static __always_inline int ta_env_port_watched(struct ta_env *env, __u16 port);
/* the flow table: lookup; insert (0, or < 0 when it exists under noexist or
 * the table refused); delete (0 when the entry was there) */
static __always_inline struct ta_flow_state *ta_env_flow_lookup(struct ta_env *env,
								const struct ta_flow_key *key);
/* the same in the table of unproven flows only: UDP, or an entry just inserted */
static __always_inline struct ta_flow_state *ta_env_flow_lookup_new(struct ta_env *env,
								    const struct ta_flow_key *key);
static __always_inline int ta_env_flow_insert(struct ta_env *env, const struct ta_flow_key *key,
					      const struct ta_flow_state *st, int noexist);
static __always_inline int ta_env_flow_delete(struct ta_env *env, const struct ta_flow_key *key);
/* the handshake of st's flow completed: move it to the proven flows, which
 * a SYN flood cannot evict; where it is now (st, when it could not move) */
static __always_inline struct ta_flow_state *
ta_env_flow_promote(struct ta_env *env, const struct ta_flow_key *key, struct ta_flow_state *st);
/* room for a new flow's state, to fill and insert from (per CPU in the
 * kernel: the stack is too small for two of them); NULL when there is none */
static __always_inline struct ta_flow_state *ta_env_scratch(struct ta_env *env);
/* flows that ended, remembered in a table of their own (an LRU): lookup
 * (1 and *out filled when there), insert, delete */
static __always_inline const struct ta_flow_tomb *ta_env_tomb_lookup(struct ta_env *env,
								     const struct ta_flow_key *key);
/* where a tombstone is built before it is inserted, and where payload bytes
 * are loaded to be compared (not the stack: it is full) */
static __always_inline struct ta_flow_tomb *ta_env_tomb_scratch(struct ta_env *env);
static __always_inline __u8 *ta_env_bytes_scratch(struct ta_env *env);
static __always_inline void ta_env_tomb_insert(struct ta_env *env, const struct ta_flow_key *key,
					       const struct ta_flow_tomb *tomb);
static __always_inline void ta_env_tomb_delete(struct ta_env *env, const struct ta_flow_key *key);
/* remember a new connection's SYN on the tombstone, until the server takes it */
static __always_inline void ta_env_tomb_alt(struct ta_env *env, const struct ta_flow_key *key,
					    __u32 isn);
/* len payload bytes from frame offset off; 0, or < 0 when out of reach */
static __always_inline long ta_env_load(struct ta_env *env, __u32 off, void *to, __u32 len,
					const int hook);
/* ns: CLOCK_BOOTTIME in the kernel, the packet's own time in a capture */
static __always_inline __u64 ta_env_now(struct ta_env *env);
/* the cookie of the local socket that sent the packet, or 0 */
static __always_inline __u64 ta_env_cookie(struct ta_env *env, const int hook);
/* counters: enum ta_stat += 1 (ta_env_unstat: -= 1); packets and payload
 * bytes by verdict */
static __always_inline void ta_env_stat(struct ta_env *env, __u32 idx);
static __always_inline void ta_env_unstat(struct ta_env *env, __u32 idx);
static __always_inline void ta_env_count(struct ta_env *env, __u32 verdict, __u32 bytes);
/* the flow's server is exempt from --enforce (--allow) */
static __always_inline int ta_env_allowed(struct ta_env *env, const struct ta_flow_key *key);
/* the flow's one verdict event (ta_flow_event_fill() gives its common part);
 * 0, or < 0 when there was no room for it */
static __always_inline int ta_env_emit_flow(struct ta_env *env, const struct ta_flow_key *key,
					    const struct ta_flow_state *st, __u8 verdict,
					    __u16 flags);
/* a capture record (ta_chunk_fill() makes it); 0, or < 0 when it could not
 * be made or sent */
static __always_inline int ta_env_chunk(struct ta_env *env, const struct ta_flow_key *key, __u8 dir,
					__u32 offset, __u32 cap_end, __u32 pkt_off, __u32 n,
					__u8 flags, const __u8 *from_peek, const int hook);

/* Fill the fields of a verdict event that the flow itself knows; the
 * environment adds the owners it can see. */
static __always_inline void ta_flow_event_fill(struct ta_flow_event *ev, const struct ta_hook *h,
					       const struct ta_flow_key *key,
					       const struct ta_flow_state *st, __u8 verdict,
					       __u16 flags, __u64 now)
{
	ev->type = TA_EV_FLOW;
	ev->ifindex = h->ifindex;
	ev->ts_ns = now;
	ev->cookie = st->cookie;
	__builtin_memcpy(&ev->key, key, sizeof(*key));
	ev->verdict = verdict;
	ev->flags = flags;
	ev->peek_len = st->peek_len;
	__builtin_memcpy(ev->peek, st->peek, TA_PEEK_LEN);
	ev->has_owner = 0;
	ev->has_server_owner = 0;
	ev->role = TA_ROLE_NONE;
	__builtin_memset(&ev->owner, 0, sizeof(ev->owner));
	__builtin_memset(&ev->server_owner, 0, sizeof(ev->server_owner));
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
}

/* n, already checked to be in [1, max] (max a power of two), restated so that
 * Linux 6.1's verifier sees the bounds at the load: clang folds the check
 * into a compare of n - 1 or of a 32-bit copy, whose bounds 6.1 does not
 * carry back to n. The value is unchanged. */
static __always_inline __u32 ta_len_bound(__u32 n, __u32 max)
{
	n -= 1;
#ifdef __bpf__
	asm volatile("" : "+r"(n));
#endif
	return (n & (max - 1)) + 1;
}

/* A capture record: its header, and its n bytes from frame offset pkt_off,
 * or from from_peek (TA_PEEK_LEN bytes) when not NULL. 0, or -1 when the
 * bytes are out of reach. The environment sends it. */
static __always_inline int ta_chunk_fill(struct ta_env *env, struct ta_chunk_event *ev,
					 const struct ta_flow_key *key, __u8 dir, __u32 offset,
					 __u32 cap_end, __u32 pkt_off, __u32 n, __u8 flags,
					 const __u8 *from_peek, const int hook)
{
	ev->type = n || flags ? TA_EV_CHUNK : TA_EV_CLOSE;
	ev->dir = dir;
	ev->flags = flags;
	ev->ts_ns = ta_env_now(env);
	__builtin_memcpy(&ev->key, key, sizeof(*key));
	ev->offset = offset;
	ev->cap_end = cap_end;
	ev->len = 0;
	if (from_peek) {
		__builtin_memcpy(ev->data, from_peek, TA_PEEK_LEN);
		ev->len = n > TA_PEEK_LEN ? TA_PEEK_LEN : n;
	} else if (n >= 1 && n <= TA_CHUNK_MAX) {
		if (ta_env_load(env, pkt_off, ev->data, ta_len_bound(n, TA_CHUNK_MAX), hook))
			return -1;
		ev->len = n;
	}
	return 0;
}

/* Under --enforce, does a flow with this verdict get blocked? */
static __always_inline int ta_should_block(struct ta_env *env, const struct ta_flow_key *key,
					   __u8 verdict)
{
	/* midstream too: bytes we could not check are not TLS we checked, and
	 * closing a flow before its first payload must not open a bypass */
	if (!ta_env_enforce(env))
		return 0;
	if (verdict == (key->l4proto == TA_IPPROTO_UDP ? TA_V_QUIC : TA_V_TLS))
		return 0;
	return !ta_env_allowed(env, key);
}

/* ---- TCP segments as the server's stack takes them ---- */

/* The stream offset of a segment's first data byte. A SYN's data (TCP Fast
 * Open) starts at ISN + 1, like the data that follows the handshake. */
static __always_inline __u32 ta_seq_off(__u32 isn, const struct ta_pkt *pkt)
{
	return pkt->seq + !!(pkt->tcp_flags & TA_TCP_SYN) - (isn + 1);
}

static __always_inline __u32 ta_stream_off(const struct ta_flow_state *st, const struct ta_pkt *pkt)
{
	return ta_seq_off(st->isn, pkt);
}

/* Does the server's TCP take this client segment's bytes? Data rides on ACK
 * segments, or on the SYN itself (TCP Fast Open); a stack drops the bytes
 * of an RST, of a segment without ACK, and of a SYN with ACK from the client
 * (RFC 793 3.9, RFC 5961 4.2). */
static __always_inline int ta_client_data(const struct ta_pkt *pkt)
{
	__u8 fl = pkt->tcp_flags;

	if (!pkt->payload_len || (fl & TA_TCP_RST))
		return 0;
	if (fl & TA_TCP_SYN)
		return !(fl & TA_TCP_ACK);
	return !!(fl & TA_TCP_ACK);
}

/* A client SYN that opens a connection: no ACK, and no FIN or RST with it. */
static __always_inline int ta_client_syn(__u8 fl)
{
	return (fl & (TA_TCP_SYN | TA_TCP_ACK | TA_TCP_FIN | TA_TCP_RST)) == TA_TCP_SYN;
}

/* A FIN that a stack takes: it rides on an ACK (RFC 793 3.9 drops a segment
 * without ACK before it looks at FIN). */
static __always_inline int ta_fin(__u8 fl)
{
	return (fl & (TA_TCP_FIN | TA_TCP_ACK)) == (TA_TCP_FIN | TA_TCP_ACK);
}

/* A server's SYN-ACK, as a stack takes it. */
static __always_inline int ta_syn_ack(__u8 fl)
{
	return (fl & (TA_TCP_SYN | TA_TCP_ACK | TA_TCP_FIN | TA_TCP_RST)) ==
	       (TA_TCP_SYN | TA_TCP_ACK);
}

/* A SYN with FIN or RST: every TCP stack drops it, so it changes nothing. */
static __always_inline int ta_bogus_syn(__u8 fl)
{
	return (fl & TA_TCP_SYN) && (fl & (TA_TCP_FIN | TA_TCP_RST));
}

/* Emit the one event of a flow. The caller has already won TA_F_REPORTED;
 * when the ring is full, TA_F_UNREPORTED says to send it again. */
static __always_inline int ta_emit(struct ta_env *env, const struct ta_flow_key *key,
				   struct ta_flow_state *st, __u8 verdict)
{
	__u16 flags = st->flags;

	if (!ta_env_hook(env)->is_egress)
		flags |= TA_F_INGRESS;
	if (ta_env_hook(env)->gateway)
		flags |= TA_F_FORWARDED;
	if (ta_env_hook(env)->captured)
		flags |= TA_F_CAPTURED;
	if (!ta_env_emit_flow(env, key, st, verdict, flags))
		return 0;
	__sync_fetch_and_or(&st->flags, TA_F_UNREPORTED);
	return -1;
}

/* A verdict whose event found the ring full is sent again, by the one CPU
 * that clears TA_F_UNREPORTED; a flow that ends first has its last chance
 * here too, and is counted lost if that fails. */
static __always_inline void ta_report_again(struct ta_env *env, const struct ta_flow_key *key,
					    struct ta_flow_state *st, int last)
{
	if (!(__sync_fetch_and_and(&st->flags, ~TA_F_UNREPORTED) & TA_F_UNREPORTED))
		return;
	if (!ta_emit(env, key, st, st->verdict))
		ta_env_stat(env, TA_STAT_EVENTS_RETRIED);
	else if (last)
		ta_env_stat(env, TA_STAT_VERDICTS_LOST);
}

/* Decide once: the CPU that flips TA_F_REPORTED is the one that reports.
 * Returns TA_DROP when --enforce blocks the flow from this packet on. */
static __always_inline int ta_decide(struct ta_env *env, const struct ta_flow_key *key,
				     struct ta_flow_state *st, __u8 verdict)
{
	int block = ta_should_block(env, key, verdict);

	if (block)
		__sync_fetch_and_or(&st->flags, TA_F_BLOCKED);
	st->verdict = verdict;
	if (__sync_fetch_and_or(&st->flags, TA_F_REPORTED) & TA_F_REPORTED)
		return block ? TA_DROP : TA_PASS;
	if (block)
		ta_env_stat(env, TA_STAT_BLOCKED);
	ta_emit(env, key, st, verdict);
	return block ? TA_DROP : TA_PASS;
}

/* A client payload --enforce keeps from the server: counted. */
static __always_inline int ta_drop(struct ta_env *env)
{
	ta_env_stat(env, TA_STAT_BLOCKED_PKTS);
	return TA_DROP;
}

/* A packet of a blocked flow: dropped, and its sender answered with an RST,
 * so that the connection fails now rather than retransmitting into the drop;
 * bytes only held back until a verdict get ta_drop, never this. Which
 * packets cannot be answered, ta_flow_answer says (the packet is not read
 * here: keeping it at hand costs the call chain stack it does not have). */
static __always_inline int ta_reject(struct ta_env *env, const struct ta_pkt *pkt)
{
	(void)pkt;
	ta_env_stat(env, TA_STAT_BLOCKED_PKTS);
	return TA_RESET;
}

static __always_inline void ta_make_key(struct ta_flow_key *key, const struct ta_pkt *pkt, int c2s)
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

/* 1 when x, 0 or a power of two below 2^31, is not 0: without a compare, so
 * the verifier walks one path, not two. */
#define TA_NONZERO(x) ((((x) | (0u - (x))) >> 31) & 1)

/* How many of the bytes are there from the first on: the mask's ones from bit
 * 0. v below is a power of two; its log2, without a ctz (BPF has none). */
static __always_inline __u32 ta_prefix_len(__u32 mask)
{
	__u32 v = (mask & ~(mask + 1)) + 1;

	return TA_NONZERO(v & 0xaaaaaaaau) | TA_NONZERO(v & 0xccccccccu) << 1 |
	       TA_NONZERO(v & 0xf0f0f0f0u) << 2 | TA_NONZERO(v & 0xff00ff00u) << 3 |
	       TA_NONZERO(v & 0xffff0000u) << 4;
}

/* Where a client segment falls in the stream's first TA_PEEK_LEN bytes: its
 * payload from *off, *n bytes of it, at stream offset *rel. 0 when it holds
 * none of them; then *rel says whether it starts past them. */
static __always_inline int ta_first_window(__u32 isn, const struct ta_pkt *pkt, __u32 *off,
					   __u32 *rel, __u32 *n)
{
	__u32 r = ta_seq_off(isn, pkt), o = pkt->payload_off, len = pkt->payload_len;

	*rel = 0;
	if ((__s32)r < 0) {
		/* it starts before the stream: only its tail is stream bytes */
		if (-r >= len)
			return 0;
		o += -r;
		len -= -r;
		r = 0;
	}
	*rel = r;
	if (r >= TA_PEEK_LEN)
		return 0;
	*n = len < TA_PEEK_LEN - r ? len : TA_PEEK_LEN - r;
	*off = o;
	return *n >= 1 && *n <= TA_PEEK_LEN;
}

/* Bits of the first-bytes mask that a window covers. */
static __always_inline __u32 ta_window_bits(__u32 rel, __u32 n)
{
	return (((1u << n) - 1) << (rel & (TA_PEEK_LEN - 1))) & 0xffffu;
}

/* A real TCP resends the same bytes. A segment that brings other bytes for
 * first bytes already held is a client or a network that lies: which copy the
 * server keeps depends on which one reached it. Said once per flow. */
static __always_inline void ta_mark_conflict(struct ta_env *env, struct ta_flow_state *st)
{
	if (!(__sync_fetch_and_or(&st->flags, TA_F_CONFLICT) & TA_F_CONFLICT))
		ta_env_stat(env, TA_STAT_CONFLICTS);
}

/* Does this client segment carry bytes of the stream's start again? */
static __always_inline int ta_resends_start(const struct ta_flow_state *st,
					    const struct ta_pkt *pkt)
{
	return (st->flags & TA_F_SYN_SEEN) && ta_client_data(pkt) &&
	       (__s32)ta_stream_off(st, pkt) < (__s32)st->peek_len;
}

/* Does a client segment bring other bytes than the first bytes held (those
 * of mask in peek, for a stream that starts after isn)? */
static __always_inline int ta_differs(struct ta_env *env, __u32 isn, __u32 mask, const __u8 *peek,
				      const struct ta_pkt *pkt, const int hook)
{
	__u8 *tmp, diff = 0;
	__u32 off, rel, n, bits, i;

	if (!ta_first_window(isn, pkt, &off, &rel, &n))
		return 0;
	bits = ta_window_bits(rel, n) & mask;
	tmp = ta_env_bytes_scratch(env);
	if (!bits || !tmp)
		return 0;
	__builtin_memset(tmp, 0, TA_PEEK_LEN);
	if (ta_env_load(env, off, tmp, ta_len_bound(n, TA_PEEK_LEN), hook))
		return 0;
	rel &= TA_PEEK_LEN - 1;
#pragma GCC unroll 16
	for (i = 0; i < TA_PEEK_LEN; i++)
		diff |= (peek[i] ^ tmp[(i - rel) & (TA_PEEK_LEN - 1)]) &
			(__u8)(0u - ((bits >> i) & 1));
	return diff != 0;
}

/* Does a segment of a decided flow bring other bytes than the first bytes it
 * was judged on? Only a retransmission of the stream's start can. */
static __always_inline int ta_conflicts(struct ta_env *env, struct ta_flow_state *st,
					const struct ta_pkt *pkt, const int hook)
{
	if (!ta_differs(env, st->isn, st->peek_mask, st->peek, pkt, hook))
		return 0;
	ta_mark_conflict(env, st);
	return 1;
}

/*
 * Keep the client bytes of this segment that fall in the stream's first
 * TA_PEEK_LEN bytes, wherever the segment is: one past a hole is kept too
 * (the server may have queued it, and will not need it again), and the first
 * copy of a byte wins. st->peek_len is how many of them are contiguous from
 * the start, st->peek_mask which are there. Returns TA_COLLECT_* bits.
 */
#define TA_COLLECT_GREW 1     /* the contiguous first bytes grew */
#define TA_COLLECT_CONFLICT 2 /* the segment contradicts first bytes held */

static __always_inline int ta_collect(struct ta_env *env, struct ta_flow_state *st,
				      const struct ta_pkt *pkt, const int hook)
{
	__u8 *tmp, diff = 0;
	__u32 have = st->peek_len, mask = st->peek_mask, off, rel, n, new_bits, old_bits, i;
	int in;

	if (have >= TA_PEEK_LEN)
		return 0;
	in = ta_first_window(st->isn, pkt, &off, &rel, &n);
	/* a hole before it, for now */
	if (rel > have && !(__sync_fetch_and_or(&st->flags, TA_F_GAP) & TA_F_GAP))
		ta_env_stat(env, TA_STAT_GAP);
	if (!in) {
		if (rel >= TA_PEEK_LEN)
			__sync_fetch_and_or(&st->flags, TA_F_BEYOND);
		return 0;
	}
	if (!mask && !rel) {
		/* the common case: the whole first segment, straight into the flow */
		if (ta_env_load(env, off, st->peek, ta_len_bound(n, TA_PEEK_LEN), hook))
			return 0;
		st->peek_mask = (1u << n) - 1;
		st->peek_len = n;
		return TA_COLLECT_GREW;
	}
	tmp = ta_env_bytes_scratch(env);
	if (!tmp)
		return 0;
	__builtin_memset(tmp, 0, TA_PEEK_LEN);
	if (ta_env_load(env, off, tmp, ta_len_bound(n, TA_PEEK_LEN), hook))
		return 0;
	/* the bytes that are new: in this segment's range, not held yet; those
	 * held already must be the same */
	old_bits = ta_window_bits(rel, n) & mask;
	new_bits = ta_window_bits(rel, n) & ~mask;
	rel &= TA_PEEK_LEN - 1;
	/* compare and merge byte by byte with masks, not branches: every index
	 * constant or masked, one path for the verifier */
#pragma GCC unroll 16
	for (i = 0; i < TA_PEEK_LEN; i++)
		diff |= (st->peek[i] ^ tmp[(i - rel) & (TA_PEEK_LEN - 1)]) &
			(__u8)(0u - ((old_bits >> i) & 1));
	if (diff) {
		ta_mark_conflict(env, st);
		/* enforcing, the segment is dropped: none of its bytes count */
		if (ta_env_enforce(env))
			return TA_COLLECT_CONFLICT;
	}
#pragma GCC unroll 16
	for (i = 0; i < TA_PEEK_LEN; i++)
		st->peek[i] ^= (st->peek[i] ^ tmp[(i - rel) & (TA_PEEK_LEN - 1)]) &
			       (__u8)(0u - ((new_bits >> i) & 1));
	mask |= new_bits;
	st->peek_mask = mask;
	st->peek_len = ta_prefix_len(mask);
	return (st->peek_len > have ? TA_COLLECT_GREW : 0) | (diff ? TA_COLLECT_CONFLICT : 0);
}

/* Some client byte was seen that is not in the contiguous prefix: a hole
 * that was never filled. */
static __always_inline int ta_holed(const struct ta_flow_state *st)
{
	return st->peek_len < TA_PEEK_LEN &&
	       ((st->peek_mask >> st->peek_len) || (st->flags & TA_F_BEYOND));
}

/* A flow entry goes when its flow ended; a tombstone remembers the flow, so
 * that its late packets (a retransmitted FIN, segments in flight behind an
 * RST) are known as late and not taken for a new flow seen mid-stream. */
static __always_inline void ta_delete(struct ta_env *env, const struct ta_flow_key *key,
				      struct ta_flow_state *st)
{
	struct ta_flow_tomb *tomb;

	if (__builtin_expect(!!(st->flags & TA_F_UNREPORTED), 0))
		ta_report_again(env, key, st, 1);

	tomb = ta_env_tomb_scratch(env);
	if (tomb) {
		__builtin_memset(tomb, 0, sizeof(*tomb));
		tomb->isn = st->isn;
		tomb->verdict = st->verdict;
		if (st->flags & TA_F_SYN_SEEN) {
			tomb->syn_seen = 1;
			tomb->peek_mask = st->peek_mask;
			__builtin_memcpy(tomb->peek, st->peek, TA_PEEK_LEN);
		}
		ta_env_tomb_insert(env, key, tomb);
	}
	/* counted before the entry goes, and taken back if it was not there: a
	 * reader of the eviction count that misses the entry in the table must
	 * already see it among the deleted, or it would count an eviction */
	ta_env_stat(env, TA_STAT_FLOWS_DELETED);
	if (ta_env_flow_delete(env, key))
		ta_env_unstat(env, TA_STAT_FLOWS_DELETED);
}

/* Where a segment's sender goes on from: its bytes, and a FIN's one. */
static __always_inline __u32 ta_seg_end(const struct ta_pkt *pkt)
{
	return pkt->seq + pkt->payload_len + !!(pkt->tcp_flags & TA_TCP_FIN);
}

/* Each side's stream, followed in order as its peer's stack takes it: a
 * segment moves it on only when it starts at or before where it stands (a
 * segment further on waits in the peer's queue, and a blind guess must land
 * inside the bytes it carries). Not a SYN's: ISNs come from the handshake.
 * First seen mid-stream, a side starts where its first segment ends. */
static __always_inline void ta_track_nxt(struct ta_flow_state *st, const struct ta_pkt *pkt,
					 int c2s)
{
	__u32 known = c2s ? TA_F_CLI_NXT : TA_F_SRV_NXT, end = ta_seg_end(pkt);
	__u32 *nxt = c2s ? &st->cli_nxt : &st->srv_nxt;

	if (pkt->tcp_flags & (TA_TCP_RST | TA_TCP_SYN))
		return;
	if (!(st->flags & known)) {
		*nxt = end;
		__sync_fetch_and_or(&st->flags, known);
		return;
	}
	if ((__s32)(pkt->seq - *nxt) <= 0 && (__s32)(end - *nxt) > 0)
		*nxt = end;
}

/* Would the peer's stack take this RST or FIN (the ideas of RFC 5961)? An
 * RST only at the sequence number where its sender's stream stands (a stack
 * sends its own next one); a FIN only at the end of the stream so far (its
 * segment moved it there, or repeats it). Not known where the side stands
 * (seen mid-stream from the other side only): taken, as before. A close a
 * stack would not take is counted and ends nothing. */
static __always_inline int ta_close_in_window(struct ta_env *env, const struct ta_flow_state *st,
					      const struct ta_pkt *pkt, int c2s)
{
	__u32 known = c2s ? TA_F_CLI_NXT : TA_F_SRV_NXT;
	__u32 nxt = c2s ? st->cli_nxt : st->srv_nxt;
	__u32 at = pkt->tcp_flags & TA_TCP_RST ? pkt->seq : ta_seg_end(pkt);

	if (!(st->flags & known) || at == nxt)
		return 1;
	ta_env_stat(env, TA_STAT_CLOSES_IGNORED);
	return 0;
}

/* A flow ends with an RST, or once both sides sent FIN: a server's FIN alone
 * is a half-close after which the client may still send (close_notify, an
 * upload), and those bytes belong to this flow, not to a new unknown one. */
static __always_inline int ta_flow_ended(struct ta_env *env, struct ta_flow_state *st,
					 const struct ta_pkt *pkt, int c2s)
{
	__u32 mine, other, was;
	__u8 fl = pkt->tcp_flags;

	if (!(fl & TA_TCP_RST) && !ta_fin(fl))
		return 0;
	if (!ta_close_in_window(env, st, pkt, c2s))
		return 0;
	if (fl & TA_TCP_RST)
		return 1;
	mine = c2s ? TA_F_CLIENT_FIN : TA_F_SERVER_FIN;
	other = c2s ? TA_F_SERVER_FIN : TA_F_CLIENT_FIN;
	was = __sync_fetch_and_or(&st->flags, mine);
	return !!(was & other);
}

/* The flow's end: its entry goes, but a blocked flow's stays (its
 * retransmissions must not pass as a flow never seen), marked ended so that
 * a new connection's SYN may replace it. */
static __always_inline void ta_end(struct ta_env *env, const struct ta_flow_key *key,
				   struct ta_flow_state *st)
{
	if (st->flags & TA_F_BLOCKED)
		__sync_fetch_and_or(&st->flags, TA_F_ENDED);
	else
		ta_delete(env, key, st);
}

/* A new flow's state, seen here first: in the scratch space, zeroed. */
static __always_inline struct ta_flow_state *ta_fresh(struct ta_env *env, const int hook)
{
	struct ta_flow_state *fresh = ta_env_scratch(env);

	if (!fresh)
		return NULL;
	__builtin_memset(fresh, 0, sizeof(*fresh));
	fresh->first_ns = ta_env_now(env);
	fresh->ifindex = ta_env_hook(env)->ifindex;
	fresh->cookie = ta_env_cookie(env, hook);
	fresh->cookie_role = fresh->cookie ? TA_ROLE_CLIENT : TA_ROLE_NONE;
	return fresh;
}

/* A client payload for a flow whose SYN we never saw: we cannot know its first
 * bytes, so say "midstream" once rather than guess from the middle. The
 * packet may end the flow too (data with FIN or RST). */
static __always_inline int ta_midstream(struct ta_env *env, const struct ta_flow_key *key,
					const struct ta_pkt *pkt, const int hook)
{
	struct ta_flow_state *fresh = ta_fresh(env, hook), *st;
	int act;

	if (!fresh)
		return TA_PASS;
	fresh->verdict = TA_V_MIDSTREAM;
	if (ta_env_flow_insert(env, key, fresh, 1)) {
		/* another CPU raced us in, or the table refused: look again */
		if (!ta_env_flow_lookup(env, key))
			ta_env_stat(env, TA_STAT_FLOW_INSERT_FAIL);
		return TA_PASS;
	}
	ta_env_stat(env, TA_STAT_FLOW_INSERTS);
	st = ta_env_flow_lookup_new(env, key);
	if (!st)
		return TA_PASS;
	ta_env_stat(env, TA_STAT_MIDSTREAM);
	act = ta_decide(env, key, st, TA_V_MIDSTREAM);
	ta_track_nxt(st, pkt, 1);
	if (ta_flow_ended(env, st, pkt, 1))
		ta_end(env, key, st);
	return act == TA_DROP ? ta_reject(env, pkt) : act;
}

/* ---- TLS handshake capture: the ClientHello and the server's first bytes ---- */

/* A TLS verdict starts the capture: what peek[] holds goes first, the rest of
 * the first record (capped) follows from this and later segments. */
static __always_inline void ta_capture_start(struct ta_env *env, const struct ta_flow_key *key,
					     struct ta_flow_state *st, const struct ta_pkt *pkt,
					     const int hook)
{
	__u32 rec = ((__u32)st->peek[3] << 8) | st->peek[4], end = 5 + rec, hs, n;

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
	if (ta_stream_off(st, pkt) == 0 && pkt->payload_len >= st->peek_len &&
	    !(st->flags & TA_F_CONFLICT)) {
		/* the common case: this segment starts the stream and holds what
		 * decided (no segment contradicted it), so the capture copies it
		 * from its first byte, in one record */
		st->cap_next = 0;
	} else {
		/* the first bytes came in earlier segments: only peek[] has them,
		 * and no more of them than the capture wants */
		n = st->peek_len < end ? st->peek_len : end;
		st->cap_next = n;
		ta_env_chunk(env, key, TA_CHUNK_CLIENT, 0, end, 0, n,
			     n >= end ? TA_CHUNK_F_LAST : 0, st->peek, hook);
		if (n >= end)
			__sync_fetch_and_and(&st->flags, ~TA_F_CAPTURING);
	}
	/* the server already half-closed: it will not answer */
	if (st->flags & TA_F_SERVER_FIN) {
		__sync_fetch_and_and(&st->flags, ~TA_F_AWAIT_SERVER);
		ta_env_chunk(env, key, TA_CHUNK_SERVER, 0, 0, 0, 0, 0, NULL, hook);
	}
}

/* Copy the part of this client segment that continues the capture. */
static __always_inline void ta_capture_client(struct ta_env *env, const struct ta_flow_key *key,
					      struct ta_flow_state *st, const struct ta_pkt *pkt,
					      const int hook)
{
	__u32 rel = ta_stream_off(st, pkt), next = st->cap_next, end = st->cap_end;
	__u32 skip, left, n, i;

	if (next >= end)
		goto done;
	if (rel > next) {
		/* a hole: what we have is all we will get, and it says so */
		ta_env_chunk(env, key, TA_CHUNK_CLIENT, next, end, 0, 0, TA_CHUNK_F_GAP, NULL,
			     hook);
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
		if (ta_env_chunk(env, key, TA_CHUNK_CLIENT, next, end, pkt->payload_off + skip, n,
				 next + n >= end ? TA_CHUNK_F_LAST : 0, NULL, hook))
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
static __always_inline void ta_capture_server(struct ta_env *env, const struct ta_flow_key *key,
					      struct ta_flow_state *st, const struct ta_pkt *pkt,
					      const int hook)
{
	__u32 n = pkt->payload_len > TA_CHUNK_MAX ? TA_CHUNK_MAX : pkt->payload_len;

	if (!(__sync_fetch_and_and(&st->flags, ~TA_F_AWAIT_SERVER) & TA_F_AWAIT_SERVER))
		return;
	/* the client's handshake flight is over once the server answers */
	__sync_fetch_and_and(&st->flags, ~TA_F_CAPTURING);
	__sync_fetch_and_or(&st->flags, TA_F_SERVER_SEEN);
	ta_env_chunk(env, key, TA_CHUNK_SERVER, 0, 0, pkt->payload_off, n, 0, NULL, hook);
}

/* The slow part of a decided TLS flow's packets, while the handshake is
 * still being captured. */
static __always_inline void ta_tls_track(struct ta_env *env, const struct ta_flow_key *key,
					 struct ta_flow_state *st, const struct ta_pkt *pkt,
					 int c2s, const int hook)
{
	__u32 fl = st->flags;

	if (c2s && ta_client_data(pkt) && (fl & TA_F_CAPTURING))
		ta_capture_client(env, key, st, pkt, hook);
	else if (!c2s && pkt->payload_len && (fl & TA_F_AWAIT_SERVER))
		ta_capture_server(env, key, st, pkt, hook);
	/* reset, or the server closed, before it said anything: said once */
	if (((pkt->tcp_flags & TA_TCP_RST) || (!c2s && ta_fin(pkt->tcp_flags))) &&
	    (__sync_fetch_and_and(&st->flags, ~TA_F_AWAIT_SERVER) & TA_F_AWAIT_SERVER))
		ta_env_chunk(env, key, TA_CHUNK_SERVER, 0, 0, 0, 0, 0, NULL, hook);
}

/* A client's close a stack would take: not one from before the stream began
 * (a sequence number that precedes ISN + 1 is out of any window), or a forged
 * FIN could end a flow before its first bytes were judged. */
static __always_inline int ta_closes_stream(const struct ta_flow_state *st,
					    const struct ta_pkt *pkt)
{
	return !(st->flags & TA_F_SYN_SEEN) || (__s32)ta_stream_off(st, pkt) >= 0;
}

/* A packet with payload of a flow --enforce blocked: never let it by. The
 * client's is answered with an RST; so is the server's, since a server that
 * saw the flow's bytes (one seen mid-stream) would otherwise keep it open. */
static __always_inline int ta_blocked_pkt(struct ta_env *env, const struct ta_flow_state *st,
					  const struct ta_pkt *pkt)
{
	if (!ta_env_enforce(env) || !pkt->payload_len || !(st->flags & TA_F_BLOCKED))
		return TA_PASS;
	return ta_reject(env, pkt);
}

/* A decided flow whose start came again with other bytes: which copy the
 * server kept is unknowable, so enforcing, the flow is blocked from now on
 * (its one event, sent already, stays as it was; the counter says it). */
static __always_inline int ta_block_decided(struct ta_env *env, struct ta_flow_state *st,
					    const struct ta_pkt *pkt)
{
	if (!(__sync_fetch_and_or(&st->flags, TA_F_BLOCKED) & TA_F_BLOCKED))
		ta_env_stat(env, TA_STAT_BLOCKED);
	return ta_reject(env, pkt);
}

/* Enforcing, client bytes the machine does not judge (on a segment without
 * ACK, an RST, a SYN with FIN) pass only to an allowed server: a conformant
 * stack drops them, but the gate does not count on every stack behind it. */
static __always_inline int ta_unjudged_gate(struct ta_env *env, const struct ta_flow_key *key,
					    const struct ta_pkt *pkt, int c2s)
{
	if (c2s && pkt->payload_len && ta_env_enforce(env) && !ta_env_allowed(env, key))
		return ta_drop(env);
	return TA_PASS;
}

/* The same SYN again (a retransmission, or seen on a second interface). */
static __always_inline int ta_same_syn(const struct ta_flow_state *st, const struct ta_pkt *pkt)
{
	return (st->flags & TA_F_SYN_SEEN) && st->isn == pkt->seq;
}

static __always_inline void ta_take_cookie(struct ta_env *env, struct ta_flow_state *st, int c2s,
					   const int hook)
{
	if (!st->cookie && c2s && ta_env_hook(env)->is_egress) {
		st->cookie = ta_env_cookie(env, hook);
		st->cookie_role = st->cookie ? TA_ROLE_CLIENT : TA_ROLE_NONE;
	}
}

/* An undecided stream ended, or a new connection replaced it: judge what its
 * client sent, and say so when a hole was never filled. The decision's
 * action, or -1 when the client sent nothing at all. */
static __always_inline int ta_judge_at_end(struct ta_env *env, const struct ta_flow_key *key,
					   struct ta_flow_state *st)
{
	if (ta_holed(st))
		__sync_fetch_and_or(&st->flags, TA_F_TRUNCATED);
	if (st->peek_len)
		return ta_decide(env, key, st, ta_classify(st->peek, st->peek_len, 1));
	if (st->peek_mask || (st->flags & TA_F_BEYOND))
		return ta_decide(env, key, st, TA_V_UNKNOWN);
	return -1;
}

/* The packet of a flow not decided yet: its client bytes collected and
 * judged; the stream's end; and, enforcing, the gate. */
static __always_inline int ta_pending(struct ta_env *env, const struct ta_flow_key *key,
				      struct ta_flow_state *st, const struct ta_pkt *pkt, int c2s,
				      const int hook)
{
	__u8 fl = pkt->tcp_flags;
	int verdict, act, got, closing;

	ta_env_count(env, TA_V_PENDING, pkt->payload_len);
	ta_take_cookie(env, st, c2s, hook);
	if (ta_bogus_syn(fl))
		return ta_unjudged_gate(env, key, pkt, c2s);
	got = c2s && ta_client_data(pkt) ? ta_collect(env, st, pkt, hook) : 0;
	/* a segment that contradicts the first bytes never passes the gate, and
	 * the flow goes with it: which copy the server kept is unknowable */
	if ((got & TA_COLLECT_CONFLICT) && ta_env_enforce(env) && !ta_env_allowed(env, key))
		return ta_decide(env, key, st, TA_V_UNKNOWN) == TA_DROP ? ta_reject(env, pkt)
									: ta_drop(env);
	if (got & TA_COLLECT_GREW) {
		verdict = ta_classify(st->peek, st->peek_len, 0);
		if (verdict != TA_V_PENDING) {
			act = ta_decide(env, key, st, verdict);
			if (verdict == TA_V_TLS && (st->flags & TA_F_SYN_SEEN)) {
				ta_capture_start(env, key, st, pkt, hook);
				ta_capture_client(env, key, st, pkt, hook);
			}
			return act == TA_DROP ? ta_reject(env, pkt) : act;
		}
	}
	closing = ((fl & TA_TCP_RST) || ta_fin(fl)) && ta_close_in_window(env, st, pkt, c2s);
	if (!c2s && ta_fin(fl) && !(fl & TA_TCP_RST)) {
		/* a server half-close: the client may still send its first bytes */
		if (closing)
			__sync_fetch_and_or(&st->flags, TA_F_SERVER_FIN);
	} else if (closing && (!c2s || ta_closes_stream(st, pkt))) {
		if (ta_judge_at_end(env, key, st) < 0)
			ta_env_stat(env, TA_STAT_FLOWS_NO_PAYLOAD);
		/* a blocked flow stays known, so its retransmissions stay blocked;
		 * enforcing, a flow closed before its first byte stays known too,
		 * so bytes sent after the close are still judged as its first */
		if (!(st->flags & TA_F_BLOCKED) &&
		    !(ta_env_enforce(env) && !st->peek_mask && !(st->flags & TA_F_BEYOND)))
			ta_delete(env, key, st);
		else
			__sync_fetch_and_or(&st->flags, TA_F_ENDED);
		/* only client bytes are kept from the server, never a close; an
		 * RST's bytes are never judged */
		if (c2s && pkt->payload_len && (st->flags & TA_F_BLOCKED))
			return ta_reject(env, pkt);
		return ta_client_data(pkt) ? TA_PASS : ta_unjudged_gate(env, key, pkt, c2s);
	}
	/* an RST a stack would not take (off its sender's sequence): its bytes
	 * are no stream's, as an RST's never are */
	if (fl & TA_TCP_RST)
		return ta_unjudged_gate(env, key, pkt, c2s);
	/* Enforcing: undecided client bytes wait at the gate (not for an
	 * allowed server). The client will retransmit them, with more, and the
	 * verdict is taken then. A server that speaks first is no TLS server:
	 * its bytes before the client's ClientHello stay out too. */
	if (ta_env_enforce(env) && pkt->payload_len && !ta_env_allowed(env, key))
		return ta_drop(env);
	return TA_PASS;
}

/* A new connection's state under the key, from its client's ISN, over
 * whatever the key held; on a client packet (else the socket cookie is the
 * client's next one). 0, or -1 when it could not be put in the table. */
static __always_inline int ta_open(struct ta_env *env, const struct ta_flow_key *key, __u32 isn,
				   int c2s, const int hook)
{
	struct ta_flow_state *fresh = ta_fresh(env, hook);

	if (!fresh)
		return -1;
	if (!c2s) {
		fresh->cookie = 0;
		fresh->cookie_role = TA_ROLE_NONE;
	}
	fresh->isn = isn;
	fresh->cli_nxt = isn + 1;
	fresh->flags = TA_F_SYN_SEEN | TA_F_CLI_NXT;
	if (ta_env_flow_insert(env, key, fresh, 0)) {
		ta_env_stat(env, TA_STAT_FLOW_INSERT_FAIL);
		return -1;
	}
	ta_env_stat(env, TA_STAT_FLOWS_NEW);
	return 0;
}

/* A client SYN opens a connection on the key: a pending flow it replaces is
 * reported first, as it stands; the SYN's own data (TCP Fast Open) is the
 * new flow's first bytes. */
static __always_inline int ta_new_flow(struct ta_env *env, const struct ta_flow_key *key,
				       struct ta_flow_state *st, const struct ta_pkt *pkt,
				       const int hook)
{
	if (st && st->verdict == TA_V_PENDING)
		ta_judge_at_end(env, key, st);
	if (ta_open(env, key, pkt->seq, 1, hook))
		return TA_PASS;
	if (!st) /* not a reused port's entry overwritten in place */
		ta_env_stat(env, TA_STAT_FLOW_INSERTS);
	if (!pkt->payload_len) {
		ta_env_count(env, TA_V_PENDING, 0);
		return TA_PASS;
	}
	st = ta_env_flow_lookup_new(env, key);
	if (!st)
		return TA_PASS;
	/* (TCP Fast Open: the SYN's data is the stream's start, in order) */
	st->cli_nxt = pkt->seq + 1 + pkt->payload_len;
	return ta_pending(env, key, st, pkt, 1, hook);
}

/* A client packet of a flow that ended (its tombstone): late, counted, and
 * passed. A close can be forged, though: enforcing, late bytes pass only if
 * the ended flow's verdict would pass them (a delayed SYN's data; the caller
 * checked the others) and they repeat the first bytes it was judged on. */
static __always_inline int ta_late(struct ta_env *env, const struct ta_flow_key *key,
				   const struct ta_flow_tomb *tomb, const struct ta_pkt *pkt,
				   int delayed_syn, const int hook)
{
	int gated = pkt->payload_len && ta_env_enforce(env) && !ta_env_allowed(env, key);

	if (pkt->payload_len &&
	    ta_differs(env, tomb->isn, tomb->peek_mask, tomb->peek, pkt, hook)) {
		ta_env_stat(env, TA_STAT_CONFLICTS);
		if (gated)
			return ta_drop(env);
	}
	if (gated && delayed_syn && ta_should_block(env, key, tomb->verdict))
		return ta_drop(env);
	ta_env_stat(env, TA_STAT_LATE_PKTS);
	return TA_PASS;
}

/* A flow is proven once its handshake completes before our eyes: the
 * server's SYN-ACK takes the client's ISN, then the client acknowledges the
 * server's ISN. A spoofed SYN gets no further (its SYN-ACK goes to the
 * address it forged), so a SYN flood fills only the table of unproven flows
 * and evicts none of the connections judged, or blocked, before it. (Who can
 * forge both ends of a gateway can forge a handshake too.) The entry, where
 * it is now. */
static __always_inline struct ta_flow_state *ta_prove(struct ta_env *env,
						      const struct ta_flow_key *key,
						      struct ta_flow_state *st,
						      const struct ta_pkt *pkt, int c2s)
{
	__u8 fl = pkt->tcp_flags;

	if ((st->flags & (TA_F_SYN_SEEN | TA_F_PROVEN)) != TA_F_SYN_SEEN)
		return st;
	if (!c2s) {
		if (ta_syn_ack(fl) && pkt->ack_seq == st->isn + 1) {
			st->srv_isn = pkt->seq;
			st->srv_nxt = pkt->seq + 1;
			__sync_fetch_and_or(&st->flags, TA_F_SYNACK | TA_F_SRV_NXT);
		}
		return st;
	}
	if (!(st->flags & TA_F_SYNACK) ||
	    (fl & (TA_TCP_ACK | TA_TCP_SYN | TA_TCP_RST)) != TA_TCP_ACK ||
	    pkt->ack_seq != st->srv_isn + 1 || (__s32)(pkt->seq - (st->isn + 1)) < 0)
		return st;
	return ta_env_flow_promote(env, key, st);
}

/* The server took a new connection's SYN, and the state was opened on its
 * SYN-ACK: that is the server's ISN. */
static __always_inline void ta_opened_by_syn_ack(struct ta_env *env, const struct ta_flow_key *key,
						 const struct ta_pkt *pkt)
{
	struct ta_flow_state *st = ta_env_flow_lookup_new(env, key);

	if (!st)
		return;
	st->srv_isn = pkt->seq;
	st->srv_nxt = pkt->seq + 1;
	__sync_fetch_and_or(&st->flags, TA_F_SYNACK | TA_F_SRV_NXT);
}

static __always_inline int ta_flow_tcp(struct ta_env *env, const struct ta_pkt *pkt, int c2s,
				       const int hook)
{
	const struct ta_flow_tomb *tomb;
	struct ta_flow_key key;
	struct ta_flow_state *st;
	__u8 fl = pkt->tcp_flags;
	int act;

	ta_make_key(&key, pkt, c2s);
	st = ta_env_flow_lookup(env, &key);
	if (st && !(st->flags & TA_F_PROVEN))
		st = ta_prove(env, &key, st, pkt, c2s);
	if (st)
		ta_track_nxt(st, pkt, c2s);

	/* Fast path: a decided, proven flow costs one lookup and one counter. */
	if (st && st->verdict != TA_V_PENDING) {
		ta_env_count(env, st->verdict, pkt->payload_len);
		if (st->flags & (TA_F_CAPTURING | TA_F_AWAIT_SERVER | TA_F_UNREPORTED)) {
			/* the verdict goes before the capture that follows it */
			if (__builtin_expect(!!(st->flags & TA_F_UNREPORTED), 0))
				ta_report_again(env, &key, st, 0);
			ta_tls_track(env, &key, st, pkt, c2s, hook);
		}
		act = ta_blocked_pkt(env, st, pkt);
		if (c2s && ta_client_syn(fl) && !ta_same_syn(st, pkt)) {
			/* a new connection on the key, once this one ended, unless
			 * it was blocked: an end can be forged, so that one waits
			 * for the server to take the SYN. Before, a stack answers
			 * the SYN with a challenge ACK and keeps the connection
			 * (RFC 5961 4), and so does the flow: an injected SYN resets
			 * nothing, and its bytes are not the flow's either */
			if ((st->flags & (TA_F_ENDED | TA_F_BLOCKED)) == TA_F_ENDED)
				return ta_new_flow(env, &key, st, pkt, hook);
			ta_env_stat(env, TA_STAT_SYNS_IN_FLOW);
			st->alt_isn = pkt->seq;
			__sync_fetch_and_or(&st->flags, TA_F_ALT_SYN);
			return act == TA_PASS ? ta_unjudged_gate(env, &key, pkt, c2s) : act;
		}
		/* the server took that SYN: its old connection is gone */
		if (__builtin_expect(!c2s && (st->flags & TA_F_ALT_SYN), 0) && ta_syn_ack(fl) &&
		    pkt->ack_seq == st->alt_isn + 1) {
			if (!ta_open(env, &key, st->alt_isn, 0, hook))
				ta_opened_by_syn_ack(env, &key, pkt);
			return TA_PASS;
		}
		if (__builtin_expect(c2s && act == TA_PASS && ta_resends_start(st, pkt), 0) &&
		    ta_conflicts(env, st, pkt, hook) && ta_env_enforce(env) &&
		    !ta_env_allowed(env, &key))
			return ta_block_decided(env, st, pkt);
		if (!(fl & TA_TCP_SYN) && ta_flow_ended(env, st, pkt, c2s))
			ta_end(env, &key, st);
		return act;
	}

	if (c2s && ta_client_syn(fl)) {
		if (st && ta_same_syn(st, pkt))
			return ta_pending(env, &key, st, pkt, c2s, hook);
		if (!st && (tomb = ta_env_tomb_lookup(env, &key))) {
			/* the SYN of a flow that ended, delayed: no new connection */
			if (tomb->syn_seen && tomb->isn == pkt->seq)
				return ta_late(env, &key, tomb, pkt, 1, hook);
			/* a new connection on the key, once the server takes it:
			 * the end can be forged, and a forged SYN after it would
			 * make the live connection's bytes look far past a new ISN
			 * (its bytes wait, as on any SYN the server has not taken) */
			ta_env_tomb_alt(env, &key, pkt->seq);
			return ta_unjudged_gate(env, &key, pkt, c2s);
		}
		return ta_new_flow(env, &key, st, pkt, hook);
	}

	/* the server took a new connection's SYN on an ended flow's key: what
	 * the ended one left is no guide to it any more */
	if (!st && !c2s && ta_syn_ack(fl) && (tomb = ta_env_tomb_lookup(env, &key)) &&
	    tomb->has_alt && pkt->ack_seq == tomb->alt_isn + 1) {
		if (!ta_open(env, &key, tomb->alt_isn, 0, hook)) {
			ta_env_stat(env, TA_STAT_FLOW_INSERTS);
			ta_opened_by_syn_ack(env, &key, pkt);
		}
		ta_env_tomb_delete(env, &key);
		return TA_PASS;
	}

	if (!st) {
		if (!c2s || !ta_client_data(pkt))
			return ta_unjudged_gate(env, &key, pkt, c2s);
		/* a late packet of a flow that ended is not a new flow; enforcing,
		 * only when the ended flow's own verdict would pass it, since a
		 * close can be forged */
		tomb = ta_env_tomb_lookup(env, &key);
		if (tomb && !ta_should_block(env, &key, tomb->verdict))
			return ta_late(env, &key, tomb, pkt, 0, hook);
		return ta_midstream(env, &key, pkt, hook);
	}

	return ta_pending(env, &key, st, pkt, c2s, hook);
}

/* UDP: the first client datagram decides the flow; there is no close. */
static __always_inline int ta_flow_udp(struct ta_env *env, const struct ta_pkt *pkt, int c2s,
				       const int hook)
{
	struct ta_flow_state *fresh, *st;
	struct ta_flow_key key;
	__u8 verdict;
	__u32 n;

	ta_make_key(&key, pkt, c2s);
	st = ta_env_flow_lookup_new(env, &key);
	if (st) {
		ta_env_count(env, st->verdict, pkt->payload_len);
		return ta_blocked_pkt(env, st, pkt) & TA_DROP; /* no RST for UDP */
	}
	if (!c2s || !pkt->payload_len)
		return TA_PASS;
	n = pkt->payload_len < TA_PEEK_LEN ? pkt->payload_len : TA_PEEK_LEN;
	if (n < 1 || n > TA_PEEK_LEN)
		return TA_PASS;
	fresh = ta_fresh(env, hook);
	if (!fresh)
		return TA_PASS;
	if (ta_env_load(env, pkt->payload_off, fresh->peek, ta_len_bound(n, TA_PEEK_LEN), hook))
		return TA_PASS;
	fresh->peek_len = n;
	fresh->verdict = verdict = ta_classify_udp(fresh->peek, n, pkt->payload_len);
	if (ta_env_flow_insert(env, &key, fresh, 1)) {
		if (!ta_env_flow_lookup(env, &key))
			ta_env_stat(env, TA_STAT_FLOW_INSERT_FAIL);
		return TA_PASS;
	}
	ta_env_stat(env, TA_STAT_FLOW_INSERTS);
	st = ta_env_flow_lookup_new(env, &key);
	if (!st)
		return TA_PASS;
	ta_env_count(env, verdict, pkt->payload_len);
	return ta_decide(env, &key, st, verdict) == TA_DROP ? ta_drop(env) : TA_PASS;
}

/* Which way a packet goes, from the watched port: towards it, the packet is
 * the client's. 1 client->server, 0 server->client, -1 not watched. */
static __always_inline int ta_flow_direction(struct ta_env *env, const struct ta_pkt *pkt)
{
	if (ta_env_port_watched(env, pkt->dport))
		return 1;
	if (ta_env_port_watched(env, pkt->sport))
		return 0;
	return -1;
}

/* Can a packet the machine said TA_RESET to be answered with an RST? Not an
 * RST (RFC 793 3.4), nor UDP. Asked outside the machine's call chain. */
static __always_inline int ta_flow_answerable(const struct ta_pkt *pkt)
{
	return pkt->l4proto == TA_IPPROTO_TCP && !(pkt->tcp_flags & TA_TCP_RST);
}

static __always_inline int ta_flow_answer(int act, const struct ta_pkt *pkt)
{
	return act == TA_RESET && !ta_flow_answerable(pkt) ? TA_DROP : act;
}

/* One parsed packet of a watched flow. Returns enum ta_action. */
static __always_inline int ta_flow_l4(struct ta_env *env, const struct ta_pkt *pkt, int c2s,
				      const int hook)
{
	if (pkt->l4proto == TA_IPPROTO_TCP)
		return ta_flow_tcp(env, pkt, c2s, hook);
	return ta_flow_udp(env, pkt, c2s, hook);
}

#endif /* TA_FLOW_H */
