/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_env.bpf.h - the flow machine's environment in the kernel: its flow
 * table, counters and records are the maps of ta_maps.bpf.h, its bytes come
 * from the skb or the XDP buffer, and its verdict events carry the owners the
 * process-context hooks recorded. `hook` is TA_HOOK_SKB or TA_HOOK_XDP, a
 * constant at every call.
 */
#ifndef TA_ENV_BPF_H
#define TA_ENV_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tlsaudit.h"
#include "ta_flow.h"
#include "ta_maps.bpf.h"

#define TA_HOOK_SKB 0
#define TA_HOOK_XDP 1

struct ta_env {
	struct ta_hook hook;
	void *ctx; /* struct __sk_buff or struct xdp_md */
};

static __always_inline const struct ta_hook *ta_env_hook(struct ta_env *env)
{
	return &env->hook;
}

static __always_inline int ta_env_enforce(struct ta_env *env)
{
	(void)env;
	return ta_enforce;
}

static __always_inline int ta_env_port_watched(struct ta_env *env, __u16 port)
{
	(void)env;
	return ta_port_watched(port);
}

/* One of the flow tables (TA_TABLE_*), through the array of maps. */
static __always_inline void *ta_table(__u32 which)
{
	return bpf_map_lookup_elem(&flow_tables, &which);
}

/* A TCP flow's entry, proven or not (ta_new_flows_for in tlsaudit.h). */
static __always_inline struct ta_flow_state *ta_env_flow_lookup(struct ta_env *env,
								const struct ta_flow_key *key)
{
	struct ta_flow_state *st = NULL;
	void *t;

	(void)env;
	t = ta_table(TA_TABLE_PROVEN);
	if (t)
		st = bpf_map_lookup_elem(t, key);
	if (!st) {
		t = ta_table(TA_TABLE_NEW);
		st = t ? bpf_map_lookup_elem(t, key) : NULL;
	}
	return st;
}

/* An unproven entry: a UDP flow's (never proven), or one just inserted. */
static __always_inline struct ta_flow_state *ta_env_flow_lookup_new(struct ta_env *env,
								    const struct ta_flow_key *key)
{
	void *t = ta_table(TA_TABLE_NEW);

	(void)env;
	return t ? bpf_map_lookup_elem(t, key) : NULL;
}

/* A new flow starts unproven. Over what the key held (a new connection on a
 * reused port, !noexist): a proven entry goes too. */
static __always_inline int ta_env_flow_insert(struct ta_env *env, const struct ta_flow_key *key,
					      const struct ta_flow_state *st, int noexist)
{
	void *t;

	(void)env;
	if (!noexist) {
		t = ta_table(TA_TABLE_PROVEN);
		if (t)
			bpf_map_delete_elem(t, key);
	}
	t = ta_table(TA_TABLE_NEW);
	if (!t)
		return -1;
	return bpf_map_update_elem(t, key, st, noexist ? BPF_NOEXIST : BPF_ANY);
}

static __always_inline int ta_env_flow_delete(struct ta_env *env, const struct ta_flow_key *key)
{
	void *t = ta_table(TA_TABLE_PROVEN);

	(void)env;
	if (t && !bpf_map_delete_elem(t, key))
		return 0;
	t = ta_table(TA_TABLE_NEW);
	return t ? bpf_map_delete_elem(t, key) : -1;
}

/* The handshake completed: the entry moves to the proven table. Its new
 * place, or the old one when the proven table refused it. */
static __always_inline struct ta_flow_state *
ta_env_flow_promote(struct ta_env *env, const struct ta_flow_key *key, struct ta_flow_state *st)
{
	struct ta_flow_state *moved;
	void *proven = ta_table(TA_TABLE_PROVEN), *fresh = ta_table(TA_TABLE_NEW);

	(void)env;
	if (!proven || !fresh)
		return st;
	__sync_fetch_and_or(&st->flags, TA_F_PROVEN);
	if (bpf_map_update_elem(proven, key, st, BPF_ANY)) {
		__sync_fetch_and_and(&st->flags, ~TA_F_PROVEN);
		return st;
	}
	moved = bpf_map_lookup_elem(proven, key);
	if (!moved) { /* evicted at once by another CPU's insert: keep the old */
		__sync_fetch_and_and(&st->flags, ~TA_F_PROVEN);
		return st;
	}
	bpf_map_delete_elem(fresh, key);
	ta_stat_inc(TA_STAT_FLOWS_PROVEN);
	return moved;
}

static __always_inline struct ta_flow_state *ta_env_scratch(struct ta_env *env)
{
	__u32 zero = 0;

	struct ta_flow_scratch *s;

	(void)env;
	s = bpf_map_lookup_elem(&flow_scratch, &zero);
	return s ? &s->fresh : NULL;
}

/* The map's value itself: it stays readable for the rest of the program,
 * even if another CPU deletes the entry meanwhile (RCU). */
static __always_inline const struct ta_flow_tomb *ta_env_tomb_lookup(struct ta_env *env,
								     const struct ta_flow_key *key)
{
	(void)env;
	return bpf_map_lookup_elem(&tombs, key);
}

static __always_inline struct ta_flow_tomb *ta_env_tomb_scratch(struct ta_env *env)
{
	struct ta_flow_scratch *s;
	__u32 zero = 0;

	(void)env;
	s = bpf_map_lookup_elem(&flow_scratch, &zero);
	return s ? &s->tomb : NULL;
}

static __always_inline __u8 *ta_env_bytes_scratch(struct ta_env *env)
{
	struct ta_flow_scratch *s;
	__u32 zero = 0;

	(void)env;
	s = bpf_map_lookup_elem(&flow_scratch, &zero);
	return s ? s->bytes : NULL;
}

static __always_inline void ta_env_tomb_insert(struct ta_env *env, const struct ta_flow_key *key,
					       const struct ta_flow_tomb *tomb)
{
	(void)env;
	bpf_map_update_elem(&tombs, key, tomb, BPF_ANY);
}

static __always_inline void ta_env_tomb_alt(struct ta_env *env, const struct ta_flow_key *key,
					    __u32 isn)
{
	struct ta_flow_tomb *t = bpf_map_lookup_elem(&tombs, key);

	(void)env;
	if (t) {
		t->alt_isn = isn;
		t->has_alt = 1;
	}
}

static __always_inline void ta_env_tomb_delete(struct ta_env *env, const struct ta_flow_key *key)
{
	(void)env;
	bpf_map_delete_elem(&tombs, key);
}

static __always_inline __u64 ta_env_now(struct ta_env *env)
{
	(void)env;
	return bpf_ktime_get_boot_ns();
}

static __always_inline void ta_env_stat(struct ta_env *env, __u32 idx)
{
	(void)env;
	ta_stat_inc(idx);
}

static __always_inline void ta_env_unstat(struct ta_env *env, __u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	(void)env;
	if (v)
		*v -= 1;
}

static __always_inline void ta_env_count(struct ta_env *env, __u32 verdict, __u32 bytes)
{
	struct ta_counter *c = bpf_map_lookup_elem(&verdict_counters, &verdict);

	(void)env;
	if (c) {
		c->pkts += 1;
		c->bytes += bytes;
	}
}

static __always_inline int ta_env_allowed(struct ta_env *env, const struct ta_flow_key *key)
{
	struct ta_allow_key ak = { .prefixlen = 128 };

	(void)env;
	__builtin_memcpy(ak.addr, key->server, 16);
	return bpf_map_lookup_elem(&allow, &ak) != NULL;
}

static __always_inline long ta_env_load(struct ta_env *env, __u32 off, void *to, __u32 len,
					const int hook)
{
	if (hook == TA_HOOK_XDP)
		return bpf_xdp_load_bytes(env->ctx, off, to, len);
	return bpf_skb_load_bytes(env->ctx, off, to, len);
}

static __always_inline __u64 ta_env_cookie(struct ta_env *env, const int hook)
{
	/* only egress packets carry their local socket */
	if (hook == TA_HOOK_XDP || env->hook.gateway || !env->hook.is_egress)
		return 0;
	return bpf_get_socket_cookie(env->ctx);
}

/* The verdict event, with the owners of both ends when they are local: the
 * client's by socket cookie or, for a container seen from outside its veth,
 * by 4-tuple; the server's by 4-tuple from its accept(). */
static __always_inline int ta_env_emit_flow(struct ta_env *env, const struct ta_flow_key *key,
					    const struct ta_flow_state *st, __u8 verdict,
					    __u16 flags)
{
	struct ta_flow_event *ev;
	struct ta_flow_key end;
	struct ta_owner *own;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		ta_stat_inc(TA_STAT_RINGBUF_DROPS);
		return -1;
	}
	ta_flow_event_fill(ev, &env->hook, key, st, verdict, flags, bpf_ktime_get_boot_ns());
	if (env->hook.gateway)
		goto submit;
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
	bpf_ringbuf_submit(ev, ta_wakeup_flags(&events));
	ta_stat_inc(TA_STAT_EVENTS);
	return 0;
}

/* Capture records go through per-CPU scratch so that each reserves only the
 * bytes it carries (bpf_ringbuf_output) instead of a fixed TA_CHUNK_MAX. */
static __always_inline int ta_env_chunk(struct ta_env *env, const struct ta_flow_key *key, __u8 dir,
					__u32 offset, __u32 cap_end, __u32 pkt_off, __u32 n,
					__u8 flags, const __u8 *from_peek, const int hook)
{
	struct ta_chunk_event *ev;
	__u32 zero = 0, size;

	ev = bpf_map_lookup_elem(&chunk_scratch, &zero);
	if (!ev)
		return -1;
	if (ta_chunk_fill(env, ev, key, dir, offset, cap_end, pkt_off, n, flags, from_peek, hook))
		return -1;
	size = offsetof(struct ta_chunk_event, data) + ev->len;
	/* Linux 6.1's verifier loses the bound below on clang's copy of size */
	asm volatile("" : "+r"(size));
	if (size > sizeof(*ev))
		size = sizeof(*ev);
	if (bpf_ringbuf_output(&captures, ev, size, ta_wakeup_flags(&captures))) {
		ta_stat_inc(TA_STAT_CAPTURES_LOST);
		return -1;
	}
	return 0;
}

#endif /* TA_ENV_BPF_H */
