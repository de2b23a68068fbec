// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_tc_packet.c - the real TC programs, loaded into the real kernel, run
 * with BPF_PROG_TEST_RUN on hand-built frames. Each case asserts the return
 * code, the flow table entry, and the exact ring-buffer events.
 *
 * Needs root (it loads BPF programs); without it every case SKIPs, which the
 * runner turns into a failure under CI=true.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ta_packet.h"

/* ---- frame building ---- */

static int run(int egress, const struct frame *f)
{
	struct bpf_program *prog = egress ? skel->progs.ta_tc_egress : skel->progs.ta_tc_ingress;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len,
		    .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	TA_CHECK(!err, "test_run failed: %s", strerror(errno));
	TA_CHECK((int)opts.retval == -1, "retval %d, want -1 (TC_ACT_UNSPEC: pass on)",
		 (int)opts.retval);
	return (int)opts.retval;
}

static void send_pkt(const struct flow_spec *s, int c2s, unsigned seq, unsigned char flags,
		     const void *payload, size_t plen)
{
	struct frame f;

	build(&f, s, c2s, seq, flags, payload, plen);
	run(!c2s, &f); /* client packets at egress: the host is the client */
}

static void expect_one_event(const struct flow_spec *s, int verdict)
{
	check_one_event(s, verdict);
}

static void case_first_payload(const char *name, struct flow_spec s, const void *p, size_t n,
			       int verdict)
{
	struct ta_flow_state st;

	ta_case_begin(name);
	open_flow(&s, 1000);
	expect_no_event();
	TA_CHECK(flow_lookup(&s, &st), "SYN did not create a flow");
	TA_CHECK_EQ(st.verdict, TA_V_PENDING);
	send_pkt(&s, 1, 1001, ACK | PSH, p, n);
	expect_one_event(&s, verdict);
	TA_CHECK(flow_lookup(&s, &st), "flow vanished after the verdict");
	TA_CHECK_EQ(st.verdict, verdict);
	/* later packets of the decided flow: no second event */
	send_pkt(&s, 0, 7778, ACK | PSH, "xyz", 3);
	send_pkt(&s, 1, 1001 + n, ACK | PSH, p, n);
	expect_no_event();
	ta_case_end();
}

int main(void)
{
	struct flow_spec s;
	struct ta_flow_state st;
	struct frame f;
	int err;

	if (geteuid() != 0) {
		ta_skip("packet tests", "needs root to load BPF programs");
		return 0;
	}
	if (load_client_hello()) {
		printf("FAIL: fixture tests/fixtures/tls/curl-tls13.clienthello.bin missing or not a ClientHello\n");
		return 1;
	}
	skel = tlsaudit__open();
	if (!skel) {
		printf("FAIL: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->ta_ports[443 >> 3] |= 1u << (443 & 7);
	err = tlsaudit__load(skel);
	if (err) {
		printf("FAIL: load: %s\n", strerror(-err));
		return 1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		printf("FAIL: ring buffer\n");
		return 1;
	}

	ta_case_begin("unwatched port: no flow, no event");
	s = v4();
	s.sport = 80;
	open_flow(&s, 1);
	send_pkt(&s, 1, 2, ACK | PSH, http_get, sizeof(http_get) - 1);
	expect_no_event();
	TA_CHECK(!flow_lookup(&s, &st), "an unwatched flow entered the table");
	ta_case_end();

	case_first_payload("ipv4 ClientHello -> tls", v4(), client_hello, client_hello_len, TA_V_TLS);
	case_first_payload("ipv4 GET -> plaintext_http", v4(), http_get, sizeof(http_get) - 1,
			   TA_V_PLAINTEXT_HTTP);
	s = v4();
	s.ip_opts = 1;
	case_first_payload("ipv4 with options GET -> plaintext_http", s, http_get,
			   sizeof(http_get) - 1, TA_V_PLAINTEXT_HTTP);
	case_first_payload("ipv6 ClientHello -> tls", v6(), client_hello, client_hello_len, TA_V_TLS);
	s = v6();
	s.ext_hdr = 1;
	case_first_payload("ipv6 extension headers GET -> plaintext_http", s, http_get,
			   sizeof(http_get) - 1, TA_V_PLAINTEXT_HTTP);
	s = v4();
	s.vlan = 1;
	case_first_payload("vlan ipv4 ClientHello -> tls", s, client_hello, client_hello_len,
			   TA_V_TLS);
	case_first_payload("ssh banner -> ssh", v4(), "SSH-2.0-OpenSSH_9.2\r\n", 21, TA_V_SSH);
	case_first_payload("binary -> unknown", v4(), "\x00\x01\x02\x03\x04\x05\x06", 7,
			   TA_V_UNKNOWN);

	ta_case_begin("SYN and pure ACK: pending, no event");
	s = v4();
	send_pkt(&s, 1, 5000, SYN, NULL, 0);
	send_pkt(&s, 1, 5001, ACK, NULL, 0);
	expect_no_event();
	TA_CHECK(flow_lookup(&s, &st), "no flow after SYN");
	TA_CHECK_EQ(st.verdict, TA_V_PENDING);
	TA_CHECK_EQ(st.isn, 5000);
	TA_CHECK_EQ(st.peek_len, 0);
	ta_case_end();

	ta_case_begin("record header alone waits for the next segment");
	s = v4();
	open_flow(&s, 100);
	send_pkt(&s, 1, 101, ACK | PSH, client_hello, 5);
	expect_no_event();
	TA_CHECK(flow_lookup(&s, &st), "flow missing");
	TA_CHECK_EQ(st.verdict, TA_V_PENDING);
	TA_CHECK_EQ(st.peek_len, 5);
	send_pkt(&s, 1, 106, ACK | PSH, client_hello + 5, client_hello_len - 5);
	expect_one_event(&s, TA_V_TLS);
	TA_CHECK(!(events[0].flags & TA_F_TRUNCATED), "contiguous bytes flagged truncated");
	ta_case_end();

	ta_case_begin("retransmitted first segment: one event");
	s = v4();
	open_flow(&s, 200);
	send_pkt(&s, 1, 201, ACK | PSH, "GE", 2);
	send_pkt(&s, 1, 201, ACK | PSH, "GE", 2);
	expect_no_event();
	send_pkt(&s, 1, 201, ACK | PSH, http_get, sizeof(http_get) - 1);
	expect_one_event(&s, TA_V_PLAINTEXT_HTTP);
	ta_case_end();

	ta_case_begin("out-of-order: later segment waits for the hole");
	s = v4();
	open_flow(&s, 300);
	send_pkt(&s, 1, 306, ACK | PSH, client_hello + 5, 100);
	expect_no_event();
	send_pkt(&s, 1, 301, ACK | PSH, client_hello, 5);
	expect_no_event(); /* 5 bytes: still a bare header */
	send_pkt(&s, 1, 306, ACK | PSH, client_hello + 5, 100);
	expect_one_event(&s, TA_V_TLS);
	ta_case_end();

	ta_case_begin("FIN both ways deletes the flow; the same 4-tuple starts a new one");
	s = v4();
	open_flow(&s, 400);
	send_pkt(&s, 1, 401, ACK | PSH, client_hello, client_hello_len);
	expect_one_event(&s, TA_V_TLS);
	send_pkt(&s, 1, 401 + client_hello_len, FIN | ACK, NULL, 0);
	TA_CHECK(flow_lookup(&s, &st), "a half-close removed the flow");
	send_pkt(&s, 0, 7778, FIN | ACK, NULL, 0);
	TA_CHECK(!flow_lookup(&s, &st), "flow kept after both FINs");
	open_flow(&s, 90000);
	send_pkt(&s, 1, 90001, ACK | PSH, http_get, sizeof(http_get) - 1);
	expect_one_event(&s, TA_V_PLAINTEXT_HTTP);
	ta_case_end();

	ta_case_begin("server half-close: the client's later bytes stay in the flow");
	s = v4();
	open_flow(&s, 450);
	send_pkt(&s, 1, 451, ACK | PSH, http_get, sizeof(http_get) - 1);
	expect_one_event(&s, TA_V_PLAINTEXT_HTTP);
	send_pkt(&s, 0, 7778, FIN | ACK, NULL, 0);
	send_pkt(&s, 1, 451 + sizeof(http_get) - 1, ACK | PSH, "\x15\x03\x03\x00\x02", 5);
	expect_no_event(); /* no second, "midstream" flow */
	TA_CHECK(flow_lookup(&s, &st), "flow lost at the server's FIN");
	ta_case_end();

	ta_case_begin("server FIN before the client's first bytes: still judged, no_response");
	s = v4();
	open_flow(&s, 460);
	send_pkt(&s, 0, 7778, FIN | ACK, NULL, 0);
	expect_no_event();
	send_pkt(&s, 1, 461, ACK | PSH, client_hello, client_hello_len);
	expect_one_event(&s, TA_V_TLS);
	{
		int i, closed = 0;

		for (i = 0; i < n_chunks && i < MAX_EVENTS; i++)
			closed |= chunks[i].type == TA_EV_CLOSE;
		TA_CHECK(closed, "no close record for a server that half-closed first");
	}
	ta_case_end();

	ta_case_begin("port reuse without a seen close: new SYN resets the flow");
	s = v4();
	open_flow(&s, 500);
	send_pkt(&s, 1, 501, ACK | PSH, client_hello, client_hello_len);
	expect_one_event(&s, TA_V_TLS);
	open_flow(&s, 123456);
	send_pkt(&s, 1, 123457, ACK | PSH, http_get, sizeof(http_get) - 1);
	expect_one_event(&s, TA_V_PLAINTEXT_HTTP);
	ta_case_end();

	ta_case_begin("RST with a few text bytes: decided as final");
	s = v4();
	open_flow(&s, 600);
	send_pkt(&s, 1, 601, ACK | PSH, "ab", 2);
	expect_no_event();
	send_pkt(&s, 1, 603, RST, NULL, 0);
	expect_one_event(&s, TA_V_PLAINTEXT);
	TA_CHECK(!flow_lookup(&s, &st), "flow kept after RST");
	ta_case_end();

	ta_case_begin("FIN with no payload: no event, counted");
	s = v4();
	open_flow(&s, 700);
	send_pkt(&s, 1, 701, FIN | ACK, NULL, 0);
	expect_no_event();
	TA_CHECK(!flow_lookup(&s, &st), "flow kept after FIN");
	ta_case_end();

	ta_case_begin("payload without a seen SYN -> midstream, once");
	s = v4();
	send_pkt(&s, 1, 99, ACK | PSH, "\x17\x03\x03\x00\x20zzzz", 9);
	expect_one_event(&s, TA_V_MIDSTREAM);
	send_pkt(&s, 1, 108, ACK | PSH, "\x17\x03\x03\x00\x20zzzz", 9);
	expect_no_event();
	ta_case_end();

	ta_case_begin("server payload before any client byte: still pending");
	s = v4();
	open_flow(&s, 800);
	send_pkt(&s, 0, 7778, ACK | PSH, "220 banner\r\n", 12);
	expect_no_event();
	send_pkt(&s, 1, 801, ACK | PSH, client_hello, client_hello_len);
	expect_one_event(&s, TA_V_TLS);
	ta_case_end();

	ta_case_begin("non-first IPv4 fragment is skipped");
	s = v4();
	s.frag_offset = 10;
	build(&f, &s, 1, 1, ACK | PSH, http_get, sizeof(http_get) - 1);
	run(1, &f);
	expect_no_event();
	TA_CHECK(!flow_lookup(&s, &st), "fragment created a flow");
	ta_case_end();

	ta_case_begin("truncated TCP header is ignored");
	s = v4();
	build(&f, &s, 1, 1, SYN, NULL, 0);
	f.len = 14 + 20 + 10; /* cut in the middle of the TCP header */
	run(1, &f);
	expect_no_event();
	TA_CHECK(!flow_lookup(&s, &st), "truncated frame created a flow");
	ta_case_end();

	ta_case_begin("udp QUIC v1 Initial -> quic; random UDP -> unknown");
	s = v4();
	s.udp = 1;
	{
		unsigned char q[64] = { 0xc3, 0x00, 0x00, 0x00, 0x01, 0x08 };
		send_pkt(&s, 1, 0, 0, q, sizeof(q));
		expect_one_event(&s, TA_V_QUIC);
		send_pkt(&s, 1, 0, 0, q, sizeof(q));
		expect_no_event();
	}
	s = v4();
	s.udp = 1;
	send_pkt(&s, 1, 0, 0, "\x9e\x01\xff\x00\x13\x37\x42\x99", 8);
	expect_one_event(&s, TA_V_UNKNOWN);
	ta_case_end();

	ta_case_begin("ClientHello captured whole, across segments, then the server's answer");
	s = v4();
	open_flow(&s, 3000);
	send_pkt(&s, 1, 3001, ACK | PSH, client_hello, 5);
	send_pkt(&s, 1, 3006, ACK | PSH, client_hello + 5, 100);
	send_pkt(&s, 1, 3106, ACK | PSH, client_hello + 105, client_hello_len - 105);
	drain();
	TA_CHECK_EQ(n_events, 1);
	{
		unsigned char got[sizeof(client_hello)] = { 0 };
		size_t have = 0;
		int i, last = 0;

		for (i = 0; i < n_chunks && i < MAX_EVENTS; i++) {
			TA_CHECK_EQ(chunks[i].type, TA_EV_CHUNK);
			TA_CHECK_EQ(chunks[i].dir, TA_CHUNK_CLIENT);
			TA_CHECK_EQ(chunks[i].offset, have);
			if (chunks[i].offset == have && have + chunks[i].len <= sizeof(got)) {
				memcpy(got + have, chunks[i].data, chunks[i].len);
				have += chunks[i].len;
			}
			last = chunks[i].flags & TA_CHUNK_F_LAST;
		}
		TA_CHECK_EQ(have, client_hello_len);
		TA_CHECK(last, "the last chunk is not flagged last");
		TA_CHECK(!memcmp(got, client_hello, client_hello_len),
			 "captured bytes differ from the ClientHello sent");
	}
	send_pkt(&s, 0, 7778, ACK | PSH, "\x16\x03\x03\x00\x5a\x02", 6);
	send_pkt(&s, 0, 7784, ACK | PSH, "more", 4);
	drain();
	TA_CHECK_EQ(n_events, 0);
	TA_CHECK_EQ(n_chunks, 1);
	TA_CHECK_EQ(chunks[0].dir, TA_CHUNK_SERVER);
	TA_CHECK_EQ(chunks[0].len, 6);
	ta_case_end();

	ta_case_begin("TLS flow closed before the server spoke: a close record");
	s = v4();
	open_flow(&s, 4000);
	send_pkt(&s, 1, 4001, ACK | PSH, client_hello, client_hello_len);
	drain();
	TA_CHECK_EQ(n_events, 1);
	send_pkt(&s, 0, 7778, FIN | ACK, NULL, 0);
	drain();
	TA_CHECK_EQ(n_chunks, 1);
	TA_CHECK_EQ(chunks[0].type, TA_EV_CLOSE);
	ta_case_end();

	ta_case_begin("stats: no ring-buffer drops, no insert failures");
	TA_CHECK_EQ(stat_sum(TA_STAT_RINGBUF_DROPS), 0);
	TA_CHECK_EQ(stat_sum(TA_STAT_FLOW_INSERT_FAIL), 0);
	ta_case_end();

	ring_buffer__free(rb);
	tlsaudit__destroy(skel);
	TA_TEST_EXIT();
}
