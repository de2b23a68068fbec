// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* assemble.c - hold flow events until what completes them has arrived. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "flow/assemble.h"
#include "owners/localaddr.h"

void ta_assembly_init(struct ta_assembly *a, struct ta_local_addrs *local, ta_release_fn release,
		      void *ctx)
{
	memset(a, 0, sizeof(*a));
	a->release = release;
	a->ctx = ctx;
	a->local = local;
	a->hold_ns = 1000000000ull;
	a->peer_hold_ns = 300000000ull;
	a->tls_hold_ns = 2000000000ull;
	a->count_hold_ns = 2000000000ull;
	memset(a->buckets, 0xff, sizeof(a->buckets));
}

static unsigned int key_hash(const struct ta_flow_key *k)
{
	const unsigned char *b = (const unsigned char *)k;
	unsigned int h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h % TA_HOLD_BUCKETS;
}

static void unlink_held(struct ta_assembly *a, int slot)
{
	int *link = &a->buckets[key_hash(&a->held[slot].ev.key)];

	while (*link >= 0 && *link != slot)
		link = &a->held[*link].next;
	if (*link == slot)
		*link = a->held[slot].next;
}

/* Hand a held flow on as it is now and free its slot. */
static void release(struct ta_assembly *a, int slot)
{
	struct ta_held *h = &a->held[slot];

	if (!h->live)
		return;
	h->live = 0;
	unlink_held(a, slot);
	a->release(a->ctx, &h->ev, h->tls, a->evictions != 0);
	if (h->tls) {
		free(h->tls->client);
		free(h->tls);
		h->tls = NULL;
	}
}

/* Drop released slots from the old end of the ring. */
static void trim(struct ta_assembly *a)
{
	while (a->n_held && !a->held[a->head].live) {
		a->head = (a->head + 1) % TA_HOLD_MAX;
		a->n_held--;
	}
}

static void hold(struct ta_assembly *a, const struct ta_flow_event *ev, int need_owner,
		 int need_tls, int need_count, __u64 now, __u64 wait_ns)
{
	struct ta_held *h;
	unsigned int b;
	int slot;

	if (a->n_held == TA_HOLD_MAX) {
		/* full: the oldest goes out now, as it is, rather than be lost */
		release(a, a->head);
		trim(a);
	}
	slot = (a->head + a->n_held) % TA_HOLD_MAX;
	a->n_held++;
	h = &a->held[slot];
	memset(h, 0, sizeof(*h));
	h->ev = *ev;
	h->arrived_ns = now;
	h->deadline_ns = now + wait_ns;
	h->live = 1;
	h->need_owner = need_owner;
	h->need_tls = need_tls;
	h->need_count = need_count;
	if (need_tls) {
		h->tls = calloc(1, sizeof(*h->tls));
		if (!h->tls)
			h->need_tls = 0;
	}
	/* newest first in its chain: a reused port finds its own flow */
	b = key_hash(&ev->key);
	h->next = a->buckets[b];
	a->buckets[b] = slot;
}

static int find_held(struct ta_assembly *a, const struct ta_flow_key *key)
{
	int slot = a->buckets[key_hash(key)];

	while (slot >= 0 && memcmp(&a->held[slot].ev.key, key, sizeof(*key)))
		slot = a->held[slot].next;
	return slot;
}

static void maybe_release(struct ta_assembly *a, int i)
{
	struct ta_held *h = &a->held[i];

	if (h->need_tls && h->tls->client_done && h->tls->server_done)
		h->need_tls = 0;
	if (!h->need_owner && !h->need_tls && !h->need_count) {
		release(a, i);
		trim(a);
	}
}

/* A local server accepted a watched connection: whichever way the flow was
 * seen, its server end now has an owner. */
static void owner_arrived(struct ta_assembly *a, const struct ta_owner_event *oe)
{
	int i = find_held(a, &oe->key);

	if (i < 0)
		return;
	if (!a->held[i].ev.has_server_owner) {
		a->held[i].ev.server_owner = oe->owner;
		a->held[i].ev.has_server_owner = 1;
		a->late_owners++;
	}
	a->held[i].need_owner = 0;
	maybe_release(a, i);
}

static void chunk_arrived(struct ta_assembly *a, const struct ta_chunk_event *c)
{
	int i = find_held(a, &c->key);
	struct ta_tls_capture *t;
	__u32 len = c->len > TA_CHUNK_MAX ? TA_CHUNK_MAX : c->len;

	if (i < 0 || !a->held[i].tls)
		return;
	t = a->held[i].tls;
	if (c->type == TA_EV_CLOSE) {
		/* the server will not answer; the client may still finish its
		 * hello (it half-closed first, or the hold's deadline ends it) */
		t->server_done = 1;
		t->closed = !t->server_len;
	} else if (c->dir == TA_CHUNK_SERVER) {
		if (!t->server_done) {
			memcpy(t->server, c->data, len);
			t->server_len = len;
			t->server_done = 1;
		}
		t->client_done = 1; /* the kernel stops the client capture here */
	} else {
		if (!t->client) {
			t->cap_end = c->cap_end > TA_CAP_MAX ? TA_CAP_MAX : c->cap_end;
			t->client = malloc(t->cap_end ? t->cap_end : 1);
			if (!t->client)
				t->client_done = 1;
		}
		/* only the contiguous prefix counts; the kernel sends it in order */
		if (t->client && c->offset == t->have && t->have + len <= t->cap_end) {
			memcpy(t->client + t->have, c->data, len);
			t->have += len;
		}
		if (c->flags & TA_CHUNK_F_GAP) {
			t->gap = 1;
			t->client_done = 1;
		}
		if ((c->flags & TA_CHUNK_F_LAST) || (t->cap_end && t->have >= t->cap_end))
			t->client_done = 1;
	}
	maybe_release(a, i);
}

static void flow_arrived(struct ta_assembly *a, const struct ta_flow_event *ev, __u64 now)
{
	int server_side, need_owner, need_tls, need_count;
	__u64 wait = 0;

	/* at ingress towards a local address: the server's, once it accept()s */
	server_side = a->local && (ev->flags & TA_F_INGRESS) &&
		      ta_addr_is_local(a->local, ev->key.server, time(NULL));
	need_owner = a->local && !(ev->flags & (TA_F_FORWARDED | TA_F_CAPTURED)) &&
		     !ev->has_server_owner && ev->verdict != TA_V_MIDSTREAM;
	if (need_owner)
		/* a client flow waits briefly for a peer on this kernel */
		wait = server_side ? a->hold_ns : a->peer_hold_ns;
	/* a TLS verdict on a flow whose start we saw: its handshake follows */
	need_tls = ev->verdict == TA_V_TLS && (ev->flags & TA_F_SYN_SEEN);
	if (need_tls && wait < a->tls_hold_ns)
		wait = a->tls_hold_ns;
	/* was the flow lost from the table? only a count taken from now on says */
	need_count = ev->verdict == TA_V_MIDSTREAM && !(ev->flags & TA_F_PREEXISTING);
	if (need_count && wait < a->count_hold_ns)
		wait = a->count_hold_ns;
	if (need_owner || need_tls || need_count) {
		hold(a, ev, need_owner, need_tls, need_count, now, wait);
		return;
	}
	a->release(a->ctx, ev, NULL, a->evictions != 0);
}

void ta_assembly_record(struct ta_assembly *a, const void *data, size_t len, __u64 now)
{
	const struct ta_flow_event *ev = data;

	if (len < sizeof(__u32))
		return;
	if (ev->type == TA_EV_FLOW && len >= sizeof(*ev)) {
		flow_arrived(a, ev, now);
	} else if (ev->type == TA_EV_OWNER && len >= sizeof(struct ta_owner_event)) {
		owner_arrived(a, data);
	} else if ((ev->type == TA_EV_CHUNK || ev->type == TA_EV_CLOSE) &&
		   len >= offsetof(struct ta_chunk_event, data)) {
		/* records carry only their bytes; never trust len beyond them */
		const struct ta_chunk_event *c = data;

		if (c->len <= len - offsetof(struct ta_chunk_event, data))
			chunk_arrived(a, c);
	}
}

void ta_assembly_count(struct ta_assembly *a, __u64 evictions, __u64 now)
{
	int k, slot;

	a->evictions = evictions;
	a->counted_ns = now;
	for (k = 0; k < a->n_held; k++) {
		slot = (a->head + k) % TA_HOLD_MAX;
		if (a->held[slot].live && a->held[slot].need_count &&
		    a->held[slot].arrived_ns <= now) {
			a->held[slot].need_count = 0;
			maybe_release(a, slot);
		}
	}
	trim(a);
}

int ta_assembly_wants_count(const struct ta_assembly *a)
{
	int k, slot;

	for (k = 0; k < a->n_held; k++) {
		slot = (a->head + k) % TA_HOLD_MAX;
		if (a->held[slot].live && a->held[slot].need_count)
			return 1;
	}
	return 0;
}

void ta_assembly_tick(struct ta_assembly *a, __u64 now, int flush_all)
{
	int k, slot;

	for (k = 0; k < a->n_held; k++) {
		slot = (a->head + k) % TA_HOLD_MAX;
		if (a->held[slot].live && (flush_all || now >= a->held[slot].deadline_ns))
			release(a, slot);
	}
	trim(a);
}

void ta_assembly_free(struct ta_assembly *a)
{
	int k;

	for (k = 0; k < TA_HOLD_MAX; k++) {
		if (a->held[k].tls) {
			free(a->held[k].tls->client);
			free(a->held[k].tls);
			a->held[k].tls = NULL;
		}
	}
}
