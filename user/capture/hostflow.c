// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostflow.c - the flow machine's host environment: an LRU flow table that
 * counts its evictions, counter arrays, payload loads bounded by the captured
 * length, and records handed to a function instead of a ring buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "capture/hostflow.h"
#include "ta_flow.h"

/* ---- the flow table: chained hash + LRU list over slab-allocated nodes ---- */

#define SLAB_SHIFT 10
#define SLAB_NODES (1u << SLAB_SHIFT)
#define NIL 0u /* node references are index + 1 */

struct node {
	struct ta_flow_key key;
	struct ta_flow_state st;
	__u32 hnext; /* bucket chain, or the free list */
	__u32 prev;  /* LRU list: head is the most recently used */
	__u32 next;
};

struct table {
	struct node **slabs;
	__u32 n_slabs;
	__u32 n_nodes; /* allocated so far, at most max */
	__u32 max;
	__u32 *buckets;
	__u32 mask;
	__u32 free;
	__u32 head, tail;
	__u32 live;
	__u64 evictions;
};

struct ta_hostflow {
	struct table flows;	/* proven TCP flows (TA_F_PROVEN) */
	struct table new_flows; /* every other: new, UDP, midstream */
	struct table tombs;	/* flows that ended; their states' isn and verdict */
	__u8 ports[TA_PORT_BITMAP_LEN];
	int enforce;
	struct ta_allow_key *allow;
	int n_allow;
	__u64 stats[TA_STAT_MAX];
	struct ta_counter verdicts[TA_V_MAX];
	ta_record_fn out;
	void *out_ctx;
	struct ta_chunk_event chunk;		    /* scratch for capture records */
	struct ta_flow_state fresh;		    /* scratch for a new flow's state */
	struct ta_flow_tomb tomb_found, tomb_built; /* a tombstone looked up; one to insert */
	__u8 bytes[TA_PEEK_LEN];		    /* payload bytes loaded to compare */
	__u8 *realigned;			    /* a frame copied so its IP header is aligned */
	__u32 realigned_cap;
};

static inline struct node *node_at(const struct table *t, __u32 ref)
{
	return &t->slabs[(ref - 1) >> SLAB_SHIFT][(ref - 1) & (SLAB_NODES - 1)];
}

/* The key is 40 bytes: five words, mixed. */
static __u32 key_hash(const struct ta_flow_key *k)
{
	__u64 w[5], h = 0x9e3779b97f4a7c15ull;
	int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (__u32)h;
}

static int table_init(struct table *t, __u32 max)
{
	__u32 nb = 1;

	memset(t, 0, sizeof(*t));
	if (!max)
		max = 1;
	t->max = max;
	while (nb < max && nb < (1u << 24))
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->n_slabs = (max + SLAB_NODES - 1) / SLAB_NODES;
	t->slabs = calloc(t->n_slabs, sizeof(*t->slabs));
	if (!t->buckets || !t->slabs)
		return -ENOMEM;
	t->mask = nb - 1;
	return 0;
}

static void table_free(struct table *t)
{
	__u32 i;

	for (i = 0; t->slabs && i < t->n_slabs; i++)
		free(t->slabs[i]);
	free(t->slabs);
	free(t->buckets);
}

static void lru_unlink(struct table *t, __u32 ref)
{
	struct node *n = node_at(t, ref);

	if (n->prev)
		node_at(t, n->prev)->next = n->next;
	else
		t->head = n->next;
	if (n->next)
		node_at(t, n->next)->prev = n->prev;
	else
		t->tail = n->prev;
	n->prev = n->next = NIL;
}

static void lru_push(struct table *t, __u32 ref)
{
	struct node *n = node_at(t, ref);

	n->prev = NIL;
	n->next = t->head;
	if (t->head)
		node_at(t, t->head)->prev = ref;
	t->head = ref;
	if (!t->tail)
		t->tail = ref;
}

/* The reference to key's node, and where the chain points to it. */
static __u32 find(struct table *t, const struct ta_flow_key *key, __u32 **link)
{
	__u32 *l = &t->buckets[key_hash(key) & t->mask];

	while (*l && memcmp(&node_at(t, *l)->key, key, sizeof(*key)))
		l = &node_at(t, *l)->hnext;
	if (link)
		*link = l;
	return *l;
}

static void unhash(struct table *t, __u32 ref)
{
	__u32 *link;

	if (find(t, &node_at(t, ref)->key, &link) == ref)
		*link = node_at(t, ref)->hnext;
}

static struct ta_flow_state *table_lookup(struct table *t, const struct ta_flow_key *key)
{
	__u32 ref = find(t, key, NULL);

	if (!ref)
		return NULL;
	lru_unlink(t, ref);
	lru_push(t, ref);
	return &node_at(t, ref)->st;
}

/* A free node: from the free list, a fresh one, or the least recently used
 * (an eviction, counted). NIL only when memory ran out. */
static __u32 take_node(struct table *t)
{
	__u32 ref = t->free, slab;

	if (ref) {
		t->free = node_at(t, ref)->hnext;
		return ref;
	}
	if (t->n_nodes < t->max) {
		slab = t->n_nodes >> SLAB_SHIFT;
		if (!t->slabs[slab]) {
			t->slabs[slab] = malloc(SLAB_NODES * sizeof(struct node));
			if (!t->slabs[slab])
				return NIL;
		}
		return ++t->n_nodes;
	}
	ref = t->tail;
	if (!ref)
		return NIL;
	lru_unlink(t, ref);
	unhash(t, ref);
	t->live--;
	t->evictions++;
	return ref;
}

static int table_insert(struct table *t, const struct ta_flow_key *key,
			const struct ta_flow_state *st, int noexist)
{
	__u32 *link, ref = find(t, key, &link);
	struct node *n;

	if (ref) {
		if (noexist)
			return -EEXIST;
		node_at(t, ref)->st = *st;
		lru_unlink(t, ref);
		lru_push(t, ref);
		return 0;
	}
	ref = take_node(t);
	if (!ref)
		return -ENOMEM;
	n = node_at(t, ref);
	n->key = *key;
	n->st = *st;
	/* the eviction may have changed the chain: find the end again */
	find(t, key, &link);
	n->hnext = NIL;
	*link = ref;
	lru_push(t, ref);
	t->live++;
	return 0;
}

static int table_delete(struct table *t, const struct ta_flow_key *key)
{
	__u32 *link, ref = find(t, key, &link);

	if (!ref)
		return -ENOENT;
	*link = node_at(t, ref)->hnext;
	lru_unlink(t, ref);
	node_at(t, ref)->hnext = t->free;
	t->free = ref;
	t->live--;
	return 0;
}

/* ---- the flow machine's environment ---- */

struct ta_env {
	struct ta_hook hook;
	struct ta_hostflow *hf;
	const __u8 *frame;
	__u32 caplen;
	__u64 now;
};

static __always_inline const struct ta_hook *ta_env_hook(struct ta_env *env)
{
	return &env->hook;
}

static __always_inline int ta_env_enforce(struct ta_env *env)
{
	return env->hf->enforce;
}

static __always_inline int ta_env_port_watched(struct ta_env *env, __u16 port)
{
	return env->hf->ports[port >> 3] & (1u << (port & 7));
}

/* as in bpf/ta_env.bpf.h: two tables, so that a SYN flood evicts no proven flow */
static __always_inline struct ta_flow_state *ta_env_flow_lookup(struct ta_env *env,
								const struct ta_flow_key *key)
{
	struct ta_flow_state *st = table_lookup(&env->hf->flows, key);

	return st ? st : table_lookup(&env->hf->new_flows, key);
}

static __always_inline struct ta_flow_state *ta_env_flow_lookup_new(struct ta_env *env,
								    const struct ta_flow_key *key)
{
	return table_lookup(&env->hf->new_flows, key);
}

static __always_inline int ta_env_flow_insert(struct ta_env *env, const struct ta_flow_key *key,
					      const struct ta_flow_state *st, int noexist)
{
	if (!noexist)
		table_delete(&env->hf->flows, key);
	return table_insert(&env->hf->new_flows, key, st, noexist);
}

static __always_inline int ta_env_flow_delete(struct ta_env *env, const struct ta_flow_key *key)
{
	if (!table_delete(&env->hf->flows, key))
		return 0;
	return table_delete(&env->hf->new_flows, key);
}

static __always_inline struct ta_flow_state *
ta_env_flow_promote(struct ta_env *env, const struct ta_flow_key *key, struct ta_flow_state *st)
{
	st->flags |= TA_F_PROVEN;
	if (table_insert(&env->hf->flows, key, st, 0)) {
		st->flags &= ~TA_F_PROVEN;
		return st;
	}
	table_delete(&env->hf->new_flows, key);
	env->hf->stats[TA_STAT_FLOWS_PROVEN]++;
	return table_lookup(&env->hf->flows, key);
}

static __always_inline struct ta_flow_state *ta_env_scratch(struct ta_env *env)
{
	return &env->hf->fresh;
}

static __always_inline const struct ta_flow_tomb *ta_env_tomb_lookup(struct ta_env *env,
								     const struct ta_flow_key *key)
{
	__u32 ref = find(&env->hf->tombs, key, NULL);
	struct ta_flow_tomb *out = &env->hf->tomb_found;

	if (!ref)
		return NULL;
	const struct ta_flow_state *st = &node_at(&env->hf->tombs, ref)->st;

	out->isn = st->isn;
	out->verdict = st->verdict;
	out->syn_seen = !!(st->flags & TA_F_SYN_SEEN);
	out->peek_mask = st->peek_mask;
	out->alt_isn = st->alt_isn;
	out->has_alt = !!(st->flags & TA_F_ALT_SYN);
	memcpy(out->peek, st->peek, sizeof(out->peek));
	return out;
}

static __always_inline struct ta_flow_tomb *ta_env_tomb_scratch(struct ta_env *env)
{
	return &env->hf->tomb_built;
}

static __always_inline __u8 *ta_env_bytes_scratch(struct ta_env *env)
{
	return env->hf->bytes;
}

static __always_inline void ta_env_tomb_insert(struct ta_env *env, const struct ta_flow_key *key,
					       const struct ta_flow_tomb *tomb)
{
	struct ta_flow_state st = { .isn = tomb->isn,
				    .verdict = tomb->verdict,
				    .flags = tomb->syn_seen ? TA_F_SYN_SEEN : 0,
				    .peek_mask = tomb->peek_mask };

	memcpy(st.peek, tomb->peek, sizeof(st.peek));
	table_insert(&env->hf->tombs, key, &st, 0);
}

static __always_inline void ta_env_tomb_alt(struct ta_env *env, const struct ta_flow_key *key,
					    __u32 isn)
{
	__u32 ref = find(&env->hf->tombs, key, NULL);

	if (ref) {
		node_at(&env->hf->tombs, ref)->st.alt_isn = isn;
		node_at(&env->hf->tombs, ref)->st.flags |= TA_F_ALT_SYN;
	}
}

static __always_inline void ta_env_tomb_delete(struct ta_env *env, const struct ta_flow_key *key)
{
	table_delete(&env->hf->tombs, key);
}

static __always_inline long ta_env_load(struct ta_env *env, __u32 off, void *to, __u32 len,
					const int hook)
{
	(void)hook;
	if (off > env->caplen || len > env->caplen - off)
		return -EFAULT; /* cut by the capture's snap length */
	memcpy(to, env->frame + off, len);
	return 0;
}

static __always_inline __u64 ta_env_now(struct ta_env *env)
{
	return env->now;
}

static __always_inline __u64 ta_env_cookie(struct ta_env *env, const int hook)
{
	(void)env;
	(void)hook;
	return 0; /* no sockets here */
}

static __always_inline void ta_env_stat(struct ta_env *env, __u32 idx)
{
	if (idx < TA_STAT_MAX)
		env->hf->stats[idx]++;
}

static __always_inline void ta_env_unstat(struct ta_env *env, __u32 idx)
{
	if (idx < TA_STAT_MAX)
		env->hf->stats[idx]--;
}

static __always_inline void ta_env_count(struct ta_env *env, __u32 verdict, __u32 bytes)
{
	if (verdict < TA_V_MAX) {
		env->hf->verdicts[verdict].pkts++;
		env->hf->verdicts[verdict].bytes += bytes;
	}
}

static int prefix_match(const __u8 *a, const __u8 *p, __u32 bits)
{
	__u32 bytes = bits / 8, rest = bits % 8;

	if (bits > 128 || memcmp(a, p, bytes))
		return 0;
	return !rest || !((a[bytes] ^ p[bytes]) & (0xff00 >> rest));
}

static __always_inline int ta_env_allowed(struct ta_env *env, const struct ta_flow_key *key)
{
	int i;

	for (i = 0; i < env->hf->n_allow; i++)
		if (prefix_match(key->server, env->hf->allow[i].addr, env->hf->allow[i].prefixlen))
			return 1;
	return 0;
}

static __always_inline int ta_env_emit_flow(struct ta_env *env, const struct ta_flow_key *key,
					    const struct ta_flow_state *st, __u8 verdict,
					    __u16 flags)
{
	struct ta_flow_event ev;

	ta_flow_event_fill(&ev, &env->hook, key, st, verdict, flags, env->now);
	env->hf->stats[TA_STAT_EVENTS]++;
	env->hf->out(env->hf->out_ctx, &ev, sizeof(ev));
	return 0;
}

static __always_inline int ta_env_chunk(struct ta_env *env, const struct ta_flow_key *key, __u8 dir,
					__u32 offset, __u32 cap_end, __u32 pkt_off, __u32 n,
					__u8 flags, const __u8 *from_peek, const int hook)
{
	struct ta_chunk_event *ev = &env->hf->chunk;

	if (ta_chunk_fill(env, ev, key, dir, offset, cap_end, pkt_off, n, flags, from_peek, hook))
		return -1;
	env->hf->out(env->hf->out_ctx, ev, offsetof(struct ta_chunk_event, data) + ev->len);
	return 0;
}

/* ---- frames ---- */

struct ta_hostflow *ta_hostflow_new(const struct ta_hostflow_config *cfg, ta_record_fn out,
				    void *out_ctx)
{
	struct ta_hostflow *hf = calloc(1, sizeof(*hf));

	if (!hf)
		return NULL;
	if (table_init(&hf->flows, cfg->max_flows) ||
	    table_init(&hf->new_flows, ta_new_flows_for(cfg->max_flows)) ||
	    table_init(&hf->tombs, ta_tombs_for(cfg->max_flows)))
		goto fail;
	memcpy(hf->ports, cfg->ports, sizeof(hf->ports));
	hf->enforce = cfg->enforce;
	if (cfg->n_allow > 0) {
		hf->allow = calloc(cfg->n_allow, sizeof(*hf->allow));
		if (!hf->allow)
			goto fail;
		memcpy(hf->allow, cfg->allow, cfg->n_allow * sizeof(*hf->allow));
		hf->n_allow = cfg->n_allow;
	}
	hf->out = out;
	hf->out_ctx = out_ctx;
	return hf;
fail:
	ta_hostflow_free(hf);
	errno = ENOMEM;
	return NULL;
}

void ta_hostflow_free(struct ta_hostflow *hf)
{
	if (!hf)
		return;
	table_free(&hf->flows);
	table_free(&hf->new_flows);
	table_free(&hf->tombs);
	free(hf->allow);
	free(hf->realigned);
	free(hf);
}

/* Where the network header starts and which EtherType announces it, for the
 * link types other than Ethernet (which the shared parser reads itself). */
static int link_l3(enum ta_link link, const __u8 *f, __u32 caplen, __u32 *off, __u16 *proto)
{
	__u32 af;

	switch (link) {
	case TA_LINK_SLL: /* packet type, ARPHRD, addr len, addr[8], protocol */
		if (caplen < 16)
			return -1;
		*off = 16;
		*proto = (__u16)(f[14] << 8 | f[15]);
		return 0;
	case TA_LINK_SLL2: /* protocol, reserved, ifindex, ARPHRD, type, len, addr[8] */
		if (caplen < 20)
			return -1;
		*off = 20;
		*proto = (__u16)(f[0] << 8 | f[1]);
		return 0;
	case TA_LINK_RAW:
		if (caplen < 1)
			return -1;
		*off = 0;
		*proto = (f[0] >> 4) == 6 ? TA_ETH_P_IPV6 : TA_ETH_P_IP;
		return 0;
	case TA_LINK_NULL:
	case TA_LINK_LOOP:
		if (caplen < 4)
			return -1;
		memcpy(&af, f, 4);
		if (link == TA_LINK_LOOP)
			af = bpf_ntohl(af);
		else if (af > 0xffff) /* written on a host of the other byte order */
			af = __builtin_bswap32(af);
		*off = 4;
		/* AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30 by OS */
		if (af == 2)
			*proto = TA_ETH_P_IP;
		else if (af == 10 || af == 24 || af == 28 || af == 30)
			*proto = TA_ETH_P_IPV6;
		else
			return -1;
		return 0;
	default:
		return -1;
	}
}

/* The frame copied into hf's own buffer at a place where its byte l3_off is
 * 8-byte aligned; NULL when memory runs out. */
static const void *realign(struct ta_hostflow *hf, const void *frame, __u32 caplen, __u32 l3_off)
{
	__u32 pad = (8 - (l3_off & 7)) & 7;

	if (caplen + pad > hf->realigned_cap) {
		__u32 cap = caplen + 8 > 2048 ? caplen + 8 : 2048;
		__u8 *buf = realloc(hf->realigned, cap);

		if (!buf)
			return NULL;
		hf->realigned = buf;
		hf->realigned_cap = cap;
	}
	memcpy(hf->realigned + pad, frame, caplen);
	return hf->realigned + pad;
}

int ta_hostflow_frame(struct ta_hostflow *hf, enum ta_link link, const void *frame, __u32 caplen,
		      __u32 wirelen, __u64 ts_ns, const struct ta_frame_origin *where)
{
	struct ta_env env = { .hf = hf, .frame = frame, .caplen = caplen, .now = ts_ns };
	void *data = (void *)frame, *end = (__u8 *)data + caplen;
	struct ta_pkt pkt;
	struct ta_cursor c;
	__u32 off;
	__u16 proto = 0;
	int rc, c2s;

	/* ta_parse.h reads header fields through struct pointers, as the kernel
	 * does; the host's C needs them aligned. A capture reader's buffer puts
	 * frames anywhere, so a frame whose IP header is off 4-byte alignment is
	 * copied first (VLAN tags, IPv4 options and IPv6 extension headers all
	 * keep the 4-byte phase). */
	if (link == TA_LINK_ETHERNET)
		off = sizeof(struct ta_eth_hdr);
	else if (link_l3(link, frame, caplen, &off, &proto))
		return TA_FRAME_UNPARSED;
	if (((uintptr_t)frame + off) & 3) {
		frame = realign(hf, frame, caplen, off);
		if (!frame)
			return TA_FRAME_UNPARSED;
		env.frame = frame;
		data = (void *)frame;
		end = (__u8 *)data + caplen;
	}
	env.hook.ifindex = where->ifindex;
	env.hook.is_egress = where->is_egress;
	env.hook.gateway = where->gateway;
	env.hook.captured = where->captured;
	if (wirelen < caplen)
		wirelen = caplen;
	if (link == TA_LINK_ETHERNET) {
		rc = ta_parse(data, end, wirelen, &pkt);
	} else {
		c.pos = (__u8 *)data + off;
		c.end = end;
		rc = ta_parse_l3(&c, proto, data, wirelen, &pkt);
	}
	if (rc == TA_PARSE_BLIND) {
		/* as the kernel's hooks do: counted, and enforcing, dropped */
		ta_env_stat(&env, TA_STAT_UNPARSED);
		if (ta_env_enforce(&env)) {
			ta_env_stat(&env, TA_STAT_BLOCKED_PKTS);
			return TA_DROP;
		}
	}
	if (rc != TA_PARSE_OK)
		return TA_FRAME_UNPARSED;
	c2s = ta_flow_direction(&env, &pkt);
	if (c2s < 0)
		return TA_PASS;
	return ta_flow_answer(ta_flow_l4(&env, &pkt, c2s, 0), &pkt);
}

void ta_hostflow_counters(const struct ta_hostflow *hf, __u64 stats[TA_STAT_MAX],
			  struct ta_counter verdicts[TA_V_MAX])
{
	if (stats)
		memcpy(stats, hf->stats, sizeof(hf->stats));
	if (verdicts)
		memcpy(verdicts, hf->verdicts, sizeof(hf->verdicts));
}

const struct ta_flow_state *ta_hostflow_tomb(struct ta_hostflow *hf, const struct ta_flow_key *key)
{
	__u32 ref = find(&hf->tombs, key, NULL);

	return ref ? &node_at(&hf->tombs, ref)->st : NULL;
}

__u64 ta_hostflow_evictions(const struct ta_hostflow *hf)
{
	return hf->flows.evictions + hf->new_flows.evictions;
}

__u32 ta_hostflow_live(const struct ta_hostflow *hf)
{
	return hf->flows.live + hf->new_flows.live;
}

const struct ta_flow_state *ta_hostflow_lookup(struct ta_hostflow *hf,
					       const struct ta_flow_key *key)
{
	__u32 ref = find(&hf->flows, key, NULL);

	if (ref)
		return &node_at(&hf->flows, ref)->st;
	ref = find(&hf->new_flows, key, NULL);
	return ref ? &node_at(&hf->new_flows, ref)->st : NULL;
}
