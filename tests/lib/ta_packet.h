/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_packet.h - what the TC and XDP packet tests share: the loaded skeleton,
 * ring-buffer records split into flow events and capture records, flow-table
 * and counter look-ups, the real ClientHello fixture, and flow openers. Each
 * test defines send_pkt() for its own program type.
 */
#ifndef TA_PACKET_H
#define TA_PACKET_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ta_test.h"
#include "ta_frames.h"
#include "tlsaudit.h"
#include "tlsaudit.skel.h"

#define MAX_EVENTS 16

static void send_pkt(const struct flow_spec *s, int c2s, unsigned seq, unsigned char flags,
		     const void *payload, size_t plen);

static struct tlsaudit *skel;
static struct ring_buffer *rb;
static struct ta_flow_event events[MAX_EVENTS];
static int n_events;
/* handshake capture records (TA_EV_CHUNK, TA_EV_CLOSE), kept apart */
static struct ta_chunk_event chunks[MAX_EVENTS];
static int n_chunks;

static int on_event(void *ctx, void *data, size_t len)
{
	__u32 type = *(__u32 *)data;

	(void)ctx;
	if (type == TA_EV_CHUNK || type == TA_EV_CLOSE) {
		/* a record carries its header and only the bytes it holds */
		if (len >= offsetof(struct ta_chunk_event, data) && n_chunks < MAX_EVENTS) {
			memset(&chunks[n_chunks], 0, sizeof(chunks[0]));
			memcpy(&chunks[n_chunks], data,
			       len < sizeof(chunks[0]) ? len : sizeof(chunks[0]));
		}
		n_chunks++;
		return 0;
	}
	if (len >= sizeof(struct ta_flow_event) && n_events < MAX_EVENTS)
		memcpy(&events[n_events], data, sizeof(struct ta_flow_event));
	n_events++;
	return 0;
}

static inline void drain(void)
{
	n_events = 0;
	n_chunks = 0;
	ring_buffer__consume(rb);
}

/* Returns 1 and fills st if the flow is in the table. */
static inline int flow_lookup(const struct flow_spec *s, struct ta_flow_state *st)
{
	struct ta_flow_key k;

	make_key(&k, s);
	return bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows), &k, st) == 0;
}

static inline void expect_no_event(void)
{
	drain();
	TA_CHECK_EQ(n_events, 0);
	if (n_events)
		TA_CHECK(0, "unexpected event: verdict %d flags 0x%x", events[0].verdict,
			 events[0].flags);
}

static inline __u64 stat_sum(__u32 key)
{
	int ncpu = libbpf_num_possible_cpus(), c;
	__u64 *vals, sum = 0;

	if (ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(__u64));
	if (vals && !bpf_map_lookup_elem(bpf_map__fd(skel->maps.stats), &key, vals))
		for (c = 0; c < ncpu; c++)
			sum += vals[c];
	free(vals);
	return sum;
}

static unsigned char client_hello[1024];
static size_t client_hello_len;

static inline int load_client_hello(void)
{
	FILE *f = fopen("tests/fixtures/tls/curl-tls13.clienthello.bin", "rb");

	if (!f)
		return -1;
	client_hello_len = fread(client_hello, 1, sizeof(client_hello), f);
	fclose(f);
	return client_hello_len >= 64 && client_hello[0] == 0x16 ? 0 : -1;
}

static const char http_get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
#define GET_LEN (sizeof(http_get) - 1)
static unsigned cport_next = 40000;

static inline struct flow_spec v4(void)
{
	struct flow_spec s = { .cli = "10.203.9.1", .srv = "10.203.9.2", .sport = 443 };

	s.cport = cport_next++;
	return s;
}

static inline struct flow_spec v6(void)
{
	struct flow_spec s = { .v6 = 1, .cli = "fd00:203:9::1", .srv = "fd00:203:9::2",
			       .sport = 443 };

	s.cport = cport_next++;
	return s;
}

/* SYN, SYN-ACK, ACK: the whole handshake, all passed. */
static inline void open_flow(const struct flow_spec *s, unsigned isn)
{
	send_pkt(s, 1, isn, SYN, NULL, 0);
	send_pkt(s, 0, 7777, SYN | ACK, NULL, 0);
	send_pkt(s, 1, isn + 1, ACK, NULL, 0);
}

/* The common part of "exactly one flow event, this flow, this verdict";
 * returns the event for the caller's own checks, or NULL. */
static inline const struct ta_flow_event *check_one_event(const struct flow_spec *s, int verdict)
{
	struct ta_flow_key k;

	drain();
	TA_CHECK_EQ(n_events, 1);
	if (n_events < 1)
		return NULL;
	make_key(&k, s);
	TA_CHECK_EQ(events[0].type, TA_EV_FLOW);
	TA_CHECK_EQ(events[0].verdict, verdict);
	TA_CHECK(!memcmp(&events[0].key, &k, sizeof(k)), "event key is not the client->server key");
	return &events[0];
}

#endif /* TA_PACKET_H */
