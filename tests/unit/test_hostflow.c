// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_hostflow.c - the host build of the flow machine (user/capture/hostflow.c):
 * link types, the LRU table's exact eviction count, and the regressions of
 * defects found by running public captures through the machine.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "ta_test.h"
#include "ta_frames.h"
#include "capture/hostflow.h"

#define MAX_REC 32

static struct ta_flow_event events[MAX_REC];
static int n_events, n_records;

static void on_record(void *ctx, const void *rec, size_t len)
{
	const struct ta_flow_event *ev = rec;

	(void)ctx;
	n_records++;
	if (ev->type == TA_EV_FLOW && len == sizeof(*ev) && n_events < MAX_REC)
		events[n_events++] = *ev;
}

static struct ta_hostflow *open_hf(__u32 max_flows)
{
	static __u8 ports[TA_PORT_BITMAP_LEN];
	struct ta_hostflow_config cfg = { .ports = ports, .max_flows = max_flows };

	ports[443 >> 3] |= 1u << (443 & 7);
	n_events = n_records = 0;
	return ta_hostflow_new(&cfg, on_record, NULL);
}

static const struct ta_frame_origin captured = { .captured = 1 };

static int feed(struct ta_hostflow *hf, const struct flow_spec *s, int c2s, unsigned seq,
		unsigned char flags, const void *p, size_t n)
{
	struct frame f;

	build(&f, s, c2s, seq, flags, p, n);
	return ta_hostflow_frame(hf, TA_LINK_ETHERNET, f.b, f.len, f.len, 1000, &captured);
}

/* The server's SYN-ACK for the client's SYN isn: it acks isn + 1 (IPv4
 * without options or tags, as spec() makes them). */
static int feed_synack(struct ta_hostflow *hf, const struct flow_spec *s, unsigned seq,
		       unsigned isn)
{
	struct frame f;

	build(&f, s, 0, seq, SYN | ACK, NULL, 0);
	put32(f.b + 14 + 20 + 8, isn + 1);
	return ta_hostflow_frame(hf, TA_LINK_ETHERNET, f.b, f.len, f.len, 1000, &captured);
}

static struct flow_spec spec(unsigned cport)
{
	struct flow_spec s = { .cli = "10.9.0.1", .srv = "10.9.0.2", .sport = 443 };

	s.cport = cport;
	return s;
}

static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

/* The same IPv4 GET behind each link-layer header a capture can carry. */
static void link_types(void)
{
	static const struct {
		const char *name;
		enum ta_link link;
		unsigned char hdr[20];
		unsigned hlen;
	} links[] = {
		{ "ethernet", TA_LINK_ETHERNET, { 0 }, 0 },
		{ "linux cooked v1",
		  TA_LINK_SLL,
		  { 0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00 },
		  16 },
		{ "linux cooked v2",
		  TA_LINK_SLL2,
		  { 0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0 },
		  20 },
		{ "raw ip", TA_LINK_RAW, { 0 }, 0 },
		{ "bsd null (host order)", TA_LINK_NULL, { 2, 0, 0, 0 }, 4 },
		{ "bsd null (other order)", TA_LINK_NULL, { 0, 0, 0, 2 }, 4 },
		{ "openbsd loop", TA_LINK_LOOP, { 0, 0, 0, 2 }, 4 },
	};
	unsigned i;

	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		struct ta_hostflow *hf = open_hf(64);
		struct flow_spec s = spec(1000 + i);
		unsigned char buf[2048];
		struct frame f;
		unsigned k, len;
		char name[96];

		snprintf(name, sizeof(name), "hostflow: link type %s -> plaintext_http",
			 links[i].name);
		ta_case_begin(name);
		for (k = 0; k < 3; k++) {
			if (k == 0)
				build(&f, &s, 1, 100, SYN, NULL, 0);
			else if (k == 1)
				build(&f, &s, 0, 900, SYN | ACK, NULL, 0);
			else
				build(&f, &s, 1, 101, ACK | PSH, get, sizeof(get) - 1);
			if (links[i].link == TA_LINK_ETHERNET) {
				memcpy(buf, f.b, f.len);
				len = f.len;
			} else {
				/* the IP packet without its 14-byte Ethernet header */
				memcpy(buf, links[i].hdr, links[i].hlen);
				memcpy(buf + links[i].hlen, f.b + 14, f.len - 14);
				len = links[i].hlen + f.len - 14;
			}
			TA_CHECK_EQ(
				ta_hostflow_frame(hf, links[i].link, buf, len, len, 5, &captured),
				TA_PASS);
		}
		TA_CHECK_EQ(n_events, 1);
		if (n_events == 1) {
			TA_CHECK_EQ(events[0].verdict, TA_V_PLAINTEXT_HTTP);
			TA_CHECK(events[0].flags & TA_F_CAPTURED, "flags 0x%x lack CAPTURED",
				 events[0].flags);
			TA_CHECK_EQ(events[0].ts_ns, 5);
		}
		ta_hostflow_free(hf);
		ta_case_end();
	}

	ta_case_begin("hostflow: an unknown address family is not parsed");
	{
		struct ta_hostflow *hf = open_hf(64);
		unsigned char buf[64] = { 7, 0, 0, 0, 0x45 };

		TA_CHECK_EQ(ta_hostflow_frame(hf, TA_LINK_NULL, buf, 24, 24, 1, &captured),
			    TA_FRAME_UNPARSED);
		TA_CHECK_EQ(ta_hostflow_frame(hf, TA_LINK_SLL2, buf, 10, 10, 1, &captured),
			    TA_FRAME_UNPARSED);
		ta_hostflow_free(hf);
	}
	ta_case_end();
}

/* A snap length that cuts the payload: judged on what was captured. */
static void snaplen(void)
{
	struct ta_hostflow *hf = open_hf(64);
	struct flow_spec s = spec(2000);
	struct frame f;

	ta_case_begin("hostflow: a payload cut by the snap length is never read past it");
	feed(hf, &s, 1, 100, SYN, NULL, 0);
	build(&f, &s, 1, 101, ACK | PSH, get, sizeof(get) - 1);
	/* 14 + 20 + 20 header bytes, and 3 of the payload's */
	TA_CHECK_EQ(ta_hostflow_frame(hf, TA_LINK_ETHERNET, f.b, 57, f.len, 1, &captured), TA_PASS);
	TA_CHECK_EQ(n_events, 0);
	feed(hf, &s, 1, 101, ACK | PSH, get, sizeof(get) - 1);
	TA_CHECK_EQ(n_events, 1);
	if (n_events)
		TA_CHECK_EQ(events[0].verdict, TA_V_PLAINTEXT_HTTP);
	ta_hostflow_free(hf);
	ta_case_end();
}

/* More flows than the table holds: every eviction is counted, and
 * inserts - deletes - live equals them exactly. */
static void evictions(void)
{
	struct ta_hostflow *hf = open_hf(8);
	__u64 stats[TA_STAT_MAX];
	unsigned i;

	ta_case_begin("hostflow: evictions counted exactly");
	for (i = 0; i < 20; i++) {
		struct flow_spec s = spec(3000 + i);

		feed(hf, &s, 1, 100, SYN, NULL, 0);
	}
	ta_hostflow_counters(hf, stats, NULL);
	TA_CHECK_EQ(ta_hostflow_live(hf), 8);
	TA_CHECK_EQ(ta_hostflow_evictions(hf), 12);
	TA_CHECK_EQ(stats[TA_STAT_FLOW_INSERTS] - stats[TA_STAT_FLOWS_DELETED] -
			    ta_hostflow_live(hf),
		    12);
	ta_hostflow_free(hf);
	ta_case_end();
}

/*
 * Defect found on public captures: a flow seen mid-stream as an ACK, then data
 * with FIN, then that segment's retransmission got no event at all (a payload
 * with FIN on an unknown flow was taken for a late retransmission).
 */
static void midstream_fin(void)
{
	struct ta_hostflow *hf = open_hf(64);
	struct flow_spec s = spec(4000);

	ta_case_begin("hostflow: regression: ACK, data+FIN, retransmission -> one midstream event");
	feed(hf, &s, 1, 5000, ACK, NULL, 0);
	feed(hf, &s, 1, 5000, ACK | PSH | FIN, "\x17\x03\x03\x00\x10zzzz", 9);
	feed(hf, &s, 1, 5000, ACK | PSH | FIN, "\x17\x03\x03\x00\x10zzzz", 9);
	TA_CHECK_EQ(n_events, 1);
	if (n_events)
		TA_CHECK_EQ(events[0].verdict, TA_V_MIDSTREAM);
	ta_hostflow_free(hf);
	ta_case_end();
}

/*
 * Defect found on public captures: a flow whose handshake ACK carried 2
 * payload bytes, reset by the server, got a second event ("midstream") from
 * the client's segments still in flight behind the RST.
 */
static void late_after_reset(void)
{
	struct ta_hostflow *hf = open_hf(64);
	struct flow_spec s = spec(4100);

	ta_case_begin(
		"hostflow: regression: 2-byte handshake ACK, RST, late segments -> one event");
	feed(hf, &s, 1, 100, SYN, NULL, 0);
	feed(hf, &s, 0, 900, SYN | ACK, NULL, 0);
	feed(hf, &s, 1, 101, ACK, "\x00\x01", 2);
	feed(hf, &s, 0, 901, RST | ACK, NULL, 0);
	feed(hf, &s, 1, 103, ACK | PSH, "\x02\x03\x04", 3);
	feed(hf, &s, 1, 101, ACK, "\x00\x01", 2);
	TA_CHECK_EQ(n_events, 1);
	if (n_events)
		TA_CHECK_EQ(events[0].verdict, TA_V_UNKNOWN);
	ta_hostflow_free(hf);
	ta_case_end();

	hf = open_hf(64);
	s = spec(4101);
	ta_case_begin("hostflow: a retransmitted FIN with data after both FINs -> no second event");
	feed(hf, &s, 1, 100, SYN, NULL, 0);
	feed(hf, &s, 1, 101, ACK | PSH, get, sizeof(get) - 1);
	feed(hf, &s, 0, 901, FIN | ACK, NULL, 0);
	feed(hf, &s, 1, 101 + sizeof(get) - 1, FIN | ACK | PSH, "bye", 3);
	feed(hf, &s, 1, 101 + sizeof(get) - 1, FIN | ACK | PSH, "bye", 3);
	TA_CHECK_EQ(n_events, 1);
	TA_CHECK_EQ(ta_hostflow_live(hf), 0);
	/* the same 4-tuple reused with a new SYN is a new flow, once the
	 * server takes it (a close can be forged) */
	feed(hf, &s, 1, 77777, SYN, NULL, 0);
	feed_synack(hf, &s, 5000, 77777);
	feed(hf, &s, 1, 77778, ACK | PSH, "SSH-2.0-x\r\n", 11);
	TA_CHECK_EQ(n_events, 2);
	if (n_events == 2)
		TA_CHECK_EQ(events[1].verdict, TA_V_SSH);
	ta_hostflow_free(hf);
	ta_case_end();
}

/* Found by the flow fuzzer: a first record announced as 1 byte, decided on 7
 * bytes that came in two segments, was captured as [0, 7) past its cap_end
 * of 6, which userspace drops: the capture came out empty. */
static struct ta_chunk_event chunk;
static int n_chunks;

static void on_chunk(void *ctx, const void *rec, size_t len)
{
	const struct ta_chunk_event *c = rec;

	on_record(ctx, rec, len);
	if (c->type == TA_EV_CHUNK && len >= offsetof(struct ta_chunk_event, data)) {
		memcpy(&chunk, rec, len < sizeof(chunk) ? len : sizeof(chunk));
		n_chunks++;
	}
}

static void capture_within_cap_end(void)
{
	static __u8 ports[TA_PORT_BITMAP_LEN];
	struct ta_hostflow_config cfg = { .ports = ports, .max_flows = 64 };
	struct ta_hostflow *hf;
	struct flow_spec s = spec(4200);

	ta_case_begin("hostflow: regression: a capture never goes past its first record's end");
	ports[443 >> 3] |= 1u << (443 & 7);
	n_events = n_records = n_chunks = 0;
	hf = ta_hostflow_new(&cfg, on_chunk, NULL);
	feed(hf, &s, 1, 100, SYN, NULL, 0);
	feed(hf, &s, 1, 101, ACK | PSH, "\x16\x03\x01", 3);
	feed(hf, &s, 1, 104, ACK | PSH, "\x00\x01\x01\x41", 4);
	TA_CHECK_EQ(n_events, 1);
	TA_CHECK_EQ(n_chunks, 1);
	if (n_chunks == 1) {
		TA_CHECK_EQ(chunk.offset, 0);
		TA_CHECK_EQ(chunk.len, 6);
		TA_CHECK_EQ(chunk.cap_end, 6);
		TA_CHECK(chunk.flags & TA_CHUNK_F_LAST, "flags 0x%x lack LAST", chunk.flags);
	}
	ta_hostflow_free(hf);
	ta_case_end();
}

int main(void)
{
	link_types();
	snaplen();
	evictions();
	midstream_fin();
	late_after_reset();
	capture_within_cap_end();
	TA_TEST_EXIT();
}
