// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_pipeline.c - the userspace stages on records made here: assembly
 * (holds for owners, handshakes and eviction counts, against the clock it is
 * given), enrichment of captured flows, and the sinks (lines, stats).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ta_test.h"
#include "flow/pipeline.h"
#include "output/lines.h"
#include "output/sink.h"

#define MAX_SEEN 16

/* A sink that keeps what it was given. */
struct seen {
	struct ta_sink base;
	struct ta_flow_event ev[MAX_SEEN];
	unsigned int role[MAX_SEEN];
	char reason[MAX_SEEN][24];
	char sni[MAX_SEEN][64];
	int n;
};

static void seen_flow(struct ta_sink *s, const struct ta_flow_record *r)
{
	struct seen *k = (struct seen *)s;

	if (k->n == MAX_SEEN)
		return;
	k->ev[k->n] = r->ev;
	k->role[k->n] = r->role;
	snprintf(k->reason[k->n], sizeof(k->reason[0]), "%s", r->reason ? r->reason : "");
	snprintf(k->sni[k->n], sizeof(k->sni[0]), "%.*s", r->ch ? (int)r->ch->sni_len : 0,
		 r->ch ? r->ch->sni : "");
	k->n++;
}

static void seen_free(struct ta_sink *s)
{
	(void)s;
}

static const struct ta_sink_ops seen_ops = { .flow = seen_flow, .free = seen_free };

static struct seen seen;
static struct ta_sinks sinks;

static struct ta_pipeline *open_pipe(int capture)
{
	memset(&seen, 0, sizeof(seen));
	seen.base.ops = &seen_ops;
	memset(&sinks, 0, sizeof(sinks));
	ta_sinks_add(&sinks, &seen.base);
	return ta_pipeline_new(NULL, capture, 0, &sinks);
}

static struct ta_flow_event flow_event(__u8 verdict, __u16 flags, __u16 cport)
{
	struct ta_flow_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = TA_EV_FLOW;
	ev.verdict = verdict;
	ev.flags = flags;
	ev.key.client[10] = ev.key.client[11] = 0xff;
	ev.key.server[10] = ev.key.server[11] = 0xff;
	ev.key.client[12] = 192;
	ev.key.client[15] = 1;
	/* 198.18.0.2: an address no test machine has */
	ev.key.server[12] = 198;
	ev.key.server[13] = 18;
	ev.key.server[15] = 2;
	ev.key.client_port = cport;
	ev.key.server_port = 443;
	ev.key.l4proto = 6;
	ev.key.family = TA_AF_INET;
	return ev;
}

static unsigned char hello[2048];
static size_t hello_len;

static int load_hello(void)
{
	FILE *f = fopen("tests/fixtures/tls/curl-tls13.clienthello.bin", "rb");

	if (!f)
		return -1;
	hello_len = fread(hello, 1, sizeof(hello), f);
	fclose(f);
	return hello_len > 64 ? 0 : -1;
}

static void chunk(struct ta_pipeline *p, const struct ta_flow_key *key, __u8 dir, __u32 off,
		  const void *data, __u32 n, __u8 flags, __u64 now)
{
	struct ta_chunk_event c;

	memset(&c, 0, sizeof(c));
	c.type = TA_EV_CHUNK;
	c.dir = dir;
	c.flags = flags;
	c.key = *key;
	c.offset = off;
	c.cap_end = hello_len;
	c.len = n;
	memcpy(c.data, data, n);
	ta_pipeline_record(p, &c, offsetof(struct ta_chunk_event, data) + n, now);
}

static void captured_flows(void)
{
	struct ta_pipeline *p = open_pipe(1);
	struct ta_flow_event ev = flow_event(TA_V_PLAINTEXT_HTTP, TA_F_CAPTURED | TA_F_INGRESS, 1);

	ta_case_begin("pipeline: a captured flow is reported at once, role captured");
	ta_pipeline_record(p, &ev, sizeof(ev), 1000);
	TA_CHECK_EQ(seen.n, 1);
	TA_CHECK_EQ(seen.role[0], TA_ROLE_CAPTURED);
	ta_case_end();

	ta_case_begin("pipeline: a captured TLS flow waits for its handshake, in capture time");
	ev = flow_event(TA_V_TLS, TA_F_CAPTURED | TA_F_SYN_SEEN, 2);
	ta_pipeline_record(p, &ev, sizeof(ev), 5000);
	ta_pipeline_tick(p, 5000 + 1000000000ull, 0);
	TA_CHECK_EQ(seen.n, 1);
	chunk(p, &ev.key, TA_CHUNK_CLIENT, 0, hello, hello_len, TA_CHUNK_F_LAST, 5001);
	TA_CHECK_EQ(seen.n, 1);
	chunk(p, &ev.key, TA_CHUNK_SERVER, 0, "\x16\x03\x03\x00\x02\x02\x00", 7, 0, 5002);
	TA_CHECK_EQ(seen.n, 2);
	if (seen.n == 2)
		TA_CHECK(!strcmp(seen.sni[1], "srv.test"), "no SNI parsed from the captured hello");
	ta_case_end();

	ta_case_begin("pipeline: a handshake that never completes is reported at its deadline");
	ev = flow_event(TA_V_TLS, TA_F_CAPTURED | TA_F_SYN_SEEN, 3);
	ta_pipeline_record(p, &ev, sizeof(ev), 10000);
	ta_pipeline_tick(p, 10000 + 1999999999ull, 0);
	TA_CHECK_EQ(seen.n, 2);
	ta_pipeline_tick(p, 10000 + 2000000000ull, 0);
	TA_CHECK_EQ(seen.n, 3);
	ta_case_end();
	ta_pipeline_free(p);
}

/* A midstream verdict's reason comes from an eviction count taken after it
 * arrived: a count taken before cannot know about the flow. */
static void midstream_reason(void)
{
	struct ta_pipeline *p = open_pipe(1);
	struct ta_flow_event ev = flow_event(TA_V_MIDSTREAM, TA_F_CAPTURED, 10);

	ta_case_begin("pipeline: midstream waits for a count, then says start_not_seen");
	ta_pipeline_count(p, 0, 100);
	ta_pipeline_record(p, &ev, sizeof(ev), 200);
	TA_CHECK_EQ(seen.n, 0);
	TA_CHECK(ta_pipeline_wants_count(p), "no count asked for");
	ta_pipeline_count(p, 0, 300);
	TA_CHECK_EQ(seen.n, 1);
	if (seen.n == 1) {
		TA_CHECK(!strcmp(seen.reason[0], "start_not_seen"), "reason %s", seen.reason[0]);
		TA_CHECK_EQ(seen.ev[0].verdict, TA_V_MIDSTREAM);
	}
	ta_case_end();

	ta_case_begin("pipeline: after evictions a midstream flow is unknown, reason evicted");
	ev = flow_event(TA_V_MIDSTREAM, TA_F_CAPTURED, 11);
	ta_pipeline_record(p, &ev, sizeof(ev), 400);
	ta_pipeline_count(p, 3, 500);
	TA_CHECK_EQ(seen.n, 2);
	if (seen.n == 2) {
		TA_CHECK(!strcmp(seen.reason[1], "evicted"), "reason %s", seen.reason[1]);
		TA_CHECK_EQ(seen.ev[1].verdict, TA_V_UNKNOWN);
	}
	ta_case_end();

	ta_case_begin("pipeline: a pre-existing flow needs no count");
	ev = flow_event(TA_V_MIDSTREAM, TA_F_PREEXISTING, 12);
	ta_pipeline_record(p, &ev, sizeof(ev), 600);
	TA_CHECK_EQ(seen.n, 3);
	if (seen.n == 3)
		TA_CHECK(!strcmp(seen.reason[2], "preexisting"), "reason %s", seen.reason[2]);
	ta_case_end();
	ta_pipeline_free(p);
}

/* A server-side verdict waits for the accept() that names its owner. */
static void late_owner(void)
{
	struct ta_pipeline *p = open_pipe(0);
	struct ta_flow_event ev = flow_event(TA_V_PLAINTEXT, 0, 20);
	struct ta_owner_event oe;

	ta_case_begin("pipeline: a verdict held for its server's accept() gets its owner");
	ta_pipeline_record(p, &ev, sizeof(ev), 1000);
	TA_CHECK_EQ(seen.n, 0);
	memset(&oe, 0, sizeof(oe));
	oe.type = TA_EV_OWNER;
	oe.key = ev.key;
	oe.owner.tgid = 4242;
	memcpy(oe.owner.comm, "nginx", 5);
	oe.owner.role = TA_ROLE_SERVER;
	ta_pipeline_record(p, &oe, sizeof(oe), 2000);
	TA_CHECK_EQ(seen.n, 1);
	if (seen.n == 1) {
		TA_CHECK(seen.ev[0].has_owner, "no owner");
		TA_CHECK_EQ(seen.ev[0].owner.tgid, 4242);
		TA_CHECK_EQ(seen.role[0], TA_ROLE_SERVER);
	}
	TA_CHECK_EQ(p->assembly.late_owners, 1);
	ta_case_end();
	ta_pipeline_free(p);
}

/* Records that lie about their length are dropped, not read past. */
static void hostile_records(void)
{
	struct ta_pipeline *p = open_pipe(1);
	struct ta_flow_event ev = flow_event(TA_V_TLS, TA_F_CAPTURED | TA_F_SYN_SEEN, 30);
	struct ta_chunk_event c;

	ta_case_begin("pipeline: short or lying records are ignored");
	ta_pipeline_record(p, &ev, 3, 1);
	ta_pipeline_record(p, &ev, sizeof(ev) - 1, 1);
	TA_CHECK_EQ(seen.n, 0);
	ta_pipeline_record(p, &ev, sizeof(ev), 1);
	memset(&c, 0, sizeof(c));
	c.type = TA_EV_CHUNK;
	c.key = ev.key;
	c.len = TA_CHUNK_MAX; /* says 2048 bytes, carries 10 */
	ta_pipeline_record(p, &c, offsetof(struct ta_chunk_event, data) + 10, 2);
	ta_pipeline_tick(p, 0, 1);
	TA_CHECK_EQ(seen.n, 1);
	ta_case_end();
	ta_pipeline_free(p);
}

/* The lines sink and the stats sink write what they must. */
static void line_sinks(void)
{
	struct ta_flow_record r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ta_sink *lines = ta_lines_sink(f, 1), *stats = ta_stats_sink(f, 1);
	struct ta_counters c;

	ta_case_begin("sinks: a JSON line per flow, and the stats object");
	memset(&r, 0, sizeof(r));
	r.ev = flow_event(TA_V_TLS, TA_F_CAPTURED, 40);
	r.role = TA_ROLE_CAPTURED;
	r.realtime_ns = 1700000000ull * 1000000000ull;
	lines->ops->flow(lines, &r);
	memset(&c, 0, sizeof(c));
	c.stats[TA_STAT_EVENTS] = 7;
	c.capture = 1;
	c.frames = 9;
	stats->ops->finish(stats, &c);
	fflush(f);
	TA_CHECK(strstr(buf, "{\"event\":\"flow\",\"time\":\"2023-11-14T22:13:20.000Z\","
			     "\"verdict\":\"tls\"") != NULL,
		 "flow line: %s", buf);
	TA_CHECK(strstr(buf, "\"role\":\"captured\"") != NULL, "no captured role: %s", buf);
	TA_CHECK(strstr(buf, "\"pid\"") == NULL, "a captured flow has a pid: %s", buf);
	TA_CHECK(strstr(buf, "{\"event\":\"stats\",\"events\":7,") != NULL, "stats: %s", buf);
	TA_CHECK(strstr(buf, "\"frames\":9,\"frames_unparsed\":0") != NULL, "frames: %s", buf);
	lines->ops->free(lines);
	stats->ops->free(stats);
	fclose(f);
	free(buf);
	ta_case_end();
}

int main(void)
{
	if (load_hello()) {
		printf("FAIL: pipeline: fixture tests/fixtures/tls/curl-tls13.clienthello.bin missing\n");
		return 1;
	}
	captured_flows();
	midstream_reason();
	late_owner();
	hostile_records();
	line_sinks();
	TA_TEST_EXIT();
}
