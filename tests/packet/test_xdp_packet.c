// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_xdp_packet.c - the gateway XDP program (ta_xdp_gateway), loaded into
 * the real kernel and run with BPF_PROG_TEST_RUN on hand-built frames. Each
 * case asserts the XDP verdict (XDP_PASS / XDP_DROP), the flow table entry
 * and the exact ring-buffer events.
 *
 * Gateway mode sees both directions of a forwarded flow as some interface's
 * ingress, so client and server packets all run the same program; the
 * direction comes from the watched port. The frames enter on "lo" (ifindex 1,
 * through the test-run context), which the events must name.
 *
 * Part 1: an audit-only instance (ta_enforce = 0): every frame passes.
 * Part 2: a second instance opened with ta_enforce = 1 before load: a
 * plaintext first payload is dropped and the flow blocked (and counted as a
 * dropped packet), TLS passes, undecided first bytes are held, an `allow`
 * prefix exempts a server; a blocked flow stays blocked after the client's
 * FIN, and a stray RST/FIN before the first payload opens no bypass.
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
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ta_packet.h"
#define LO_IFINDEX 1

/* the instance under test: part 1 audit, part 2 enforce */
/* ---- frame building ---- */

/* Run the XDP program on one frame, entering on lo; returns the XDP action. */
static int run(const struct frame *f)
{
	struct xdp_md ctx = { .data = 0, .data_end = f->len, .ingress_ifindex = LO_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = f->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ta_xdp_gateway), &opts);
	TA_CHECK(!err, "test_run failed: %s", strerror(errno));
	return err ? -1 : (int)opts.retval;
}

static const char *xdp_name(int rv)
{
	return rv == XDP_PASS ? "XDP_PASS" : rv == XDP_DROP ? "XDP_DROP" : "other";
}

#define CHECK_ACT(got, want)                                                                       \
	TA_CHECK((got) == (want), "retval %d (%s), want %d (%s)", (got), xdp_name(got), (want),    \
		 xdp_name(want))

/* send one packet and check the XDP action */
static void send_pkt_act(const struct flow_spec *s, int c2s, unsigned seq, unsigned char flags,
			 const void *payload, size_t plen, int want)
{
	struct frame f;
	int rv;

	build(&f, s, c2s, seq, flags, payload, plen);
	rv = run(&f);
	CHECK_ACT(rv, want);
}

/* audit mode: everything passes */
static void send_pkt(const struct flow_spec *s, int c2s, unsigned seq, unsigned char flags,
		     const void *payload, size_t plen)
{
	send_pkt_act(s, c2s, seq, flags, payload, plen, XDP_PASS);
}

/* Exactly one event, for this flow, with this verdict; a forwarded flow's:
 * TA_F_FORWARDED, no owner of either end, no cookie, the ingress ifindex.
 * TA_F_BLOCKED must be set exactly when blocked. */
static void expect_one_event_b(const struct flow_spec *s, int verdict, int blocked)
{
	const struct ta_flow_event *ev = check_one_event(s, verdict);

	if (!ev)
		return;
	TA_CHECK(ev->flags & TA_F_FORWARDED, "event flags 0x%x lack TA_F_FORWARDED", ev->flags);
	TA_CHECK(!ev->has_owner, "forwarded flow with an owner (pid %u)", ev->owner.tgid);
	TA_CHECK(!ev->has_server_owner, "forwarded flow with a server owner (pid %u)",
		 ev->server_owner.tgid);
	TA_CHECK_EQ(ev->cookie, 0);
	TA_CHECK_EQ(ev->ifindex, LO_IFINDEX);
	if (blocked)
		TA_CHECK(ev->flags & TA_F_BLOCKED, "event flags 0x%x lack TA_F_BLOCKED", ev->flags);
	else
		TA_CHECK(!(ev->flags & TA_F_BLOCKED), "event flags 0x%x have TA_F_BLOCKED",
			 ev->flags);
}

static void expect_one_event(const struct flow_spec *s, int verdict)
{
	expect_one_event_b(s, verdict, 0);
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
	TA_CHECK_EQ(st.isn, 1000);
	TA_CHECK_EQ(st.ifindex, LO_IFINDEX);
	TA_CHECK_EQ(st.cookie, 0);
	send_pkt(&s, 1, 1001, ACK | PSH, p, n);
	expect_one_event(&s, verdict);
	TA_CHECK(flow_lookup(&s, &st), "flow vanished after the verdict");
	TA_CHECK_EQ(st.verdict, verdict);
	TA_CHECK(st.flags & TA_F_REPORTED, "flow flags 0x%x lack TA_F_REPORTED", st.flags);
	/* later packets of the decided flow, both ways: no second event */
	send_pkt(&s, 0, 7778, ACK | PSH, "xyz", 3);
	send_pkt(&s, 1, 1001 + n, ACK | PSH, p, n);
	expect_no_event();
	ta_case_end();
}

static int open_instance(int enforce)
{
	struct bpf_program *prog;
	int err;

	skel = tlsaudit__open();
	if (!skel) {
		printf("FAIL: open%s: %s\n", enforce ? " (enforce)" : "", strerror(errno));
		return -1;
	}
	skel->rodata->ta_ports[443 >> 3] |= 1u << (443 & 7);
	skel->rodata->ta_enforce = enforce;
	/* only the program under test: the others are test_tc_packet's, and
	 * verifying them twice more would only cost time */
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, prog == skel->progs.ta_xdp_gateway);
	err = tlsaudit__load(skel);
	if (err) {
		printf("FAIL: load%s: %s\n", enforce ? " (enforce)" : "", strerror(-err));
		return -1;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		printf("FAIL: ring buffer%s\n", enforce ? " (enforce)" : "");
		return -1;
	}
	return 0;
}

static void close_instance(void)
{
	ring_buffer__free(rb);
	rb = NULL;
	tlsaudit__destroy(skel);
	skel = NULL;
}

/* ---------------------------------------------------------------- part 1 */

static void audit_cases(void)
{
	struct flow_spec s;
	struct ta_flow_state st;
	struct frame f;

	ta_case_begin("xdp: unwatched port: no flow, no event");
	s = v4();
	s.sport = 80;
	open_flow(&s, 1);
	send_pkt(&s, 1, 2, ACK | PSH, http_get, GET_LEN);
	expect_no_event();
	TA_CHECK(!flow_lookup(&s, &st), "an unwatched flow entered the table");
	ta_case_end();

	case_first_payload("xdp: ipv4 ClientHello -> tls", v4(), client_hello, client_hello_len,
			   TA_V_TLS);
	case_first_payload("xdp: ipv4 GET -> plaintext_http", v4(), http_get, GET_LEN,
			   TA_V_PLAINTEXT_HTTP);
	s = v4();
	s.ip_opts = 1;
	case_first_payload("xdp: ipv4 with options GET -> plaintext_http", s, http_get, GET_LEN,
			   TA_V_PLAINTEXT_HTTP);
	case_first_payload("xdp: ipv6 ClientHello -> tls", v6(), client_hello, client_hello_len,
			   TA_V_TLS);
	s = v6();
	s.ext_hdr = 1;
	case_first_payload("xdp: ipv6 extension headers GET -> plaintext_http", s, http_get,
			   GET_LEN, TA_V_PLAINTEXT_HTTP);
	s = v4();
	s.vlan = 1;
	case_first_payload("xdp: vlan ipv4 ClientHello -> tls", s, client_hello, client_hello_len,
			   TA_V_TLS);
	s = v6();
	s.vlan = 1;
	case_first_payload("xdp: vlan ipv6 GET -> plaintext_http", s, http_get, GET_LEN,
			   TA_V_PLAINTEXT_HTTP);
	s = v4();
	s.vlan = 2;
	case_first_payload("xdp: 802.1ad+802.1Q ipv4 GET -> plaintext_http", s, http_get, GET_LEN,
			   TA_V_PLAINTEXT_HTTP);

	ta_case_begin("xdp: SYN and pure ACK: pending, no event");
	s = v4();
	send_pkt(&s, 1, 5000, SYN, NULL, 0);
	send_pkt(&s, 1, 5001, ACK, NULL, 0);
	expect_no_event();
	TA_CHECK(flow_lookup(&s, &st), "no flow after SYN");
	TA_CHECK_EQ(st.verdict, TA_V_PENDING);
	TA_CHECK_EQ(st.isn, 5000);
	TA_CHECK_EQ(st.peek_len, 0);
	TA_CHECK(st.flags & TA_F_SYN_SEEN, "flow flags 0x%x lack TA_F_SYN_SEEN", st.flags);
	ta_case_end();

	ta_case_begin("xdp: record header alone waits for the next segment");
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

	ta_case_begin("xdp: ClientHello captured whole across segments (bpf_xdp_load_bytes)");
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
	drain();
	TA_CHECK_EQ(n_events, 0);
	TA_CHECK_EQ(n_chunks, 1);
	TA_CHECK_EQ(chunks[0].dir, TA_CHUNK_SERVER);
	TA_CHECK_EQ(chunks[0].len, 6);
	ta_case_end();

	ta_case_begin("xdp: FIN deletes the flow; the same 4-tuple starts a new one");
	s = v4();
	open_flow(&s, 400);
	send_pkt(&s, 1, 401, ACK | PSH, client_hello, client_hello_len);
	expect_one_event(&s, TA_V_TLS);
	send_pkt(&s, 1, 401 + client_hello_len, FIN | ACK, NULL, 0);
	TA_CHECK(flow_lookup(&s, &st), "a half-close removed the flow");
	send_pkt(&s, 0, 7778, FIN | ACK, NULL, 0);
	TA_CHECK(!flow_lookup(&s, &st), "flow kept after both FINs");
	open_flow(&s, 90000);
	TA_CHECK(flow_lookup(&s, &st) && st.isn == 90000, "second SYN did not start a new flow");
	send_pkt(&s, 1, 90001, ACK | PSH, http_get, GET_LEN);
	expect_one_event(&s, TA_V_PLAINTEXT_HTTP);
	ta_case_end();

	ta_case_begin("xdp: server FIN then client FIN deletes the flow too");
	s = v6();
	open_flow(&s, 410);
	send_pkt(&s, 1, 411, ACK | PSH, client_hello, client_hello_len);
	expect_one_event(&s, TA_V_TLS);
	send_pkt(&s, 0, 7778, FIN | ACK, NULL, 0);
	TA_CHECK(flow_lookup(&s, &st), "the server's half-close removed the flow");
	send_pkt(&s, 1, 411 + client_hello_len, FIN | ACK, NULL, 0);
	TA_CHECK(!flow_lookup(&s, &st), "flow kept after both FINs");
	expect_no_event();
	ta_case_end();

	ta_case_begin("xdp: non-first IPv4 fragment is skipped");
	s = v4();
	s.frag_offset = 10;
	build(&f, &s, 1, 1, ACK | PSH, http_get, GET_LEN);
	CHECK_ACT(run(&f), XDP_PASS);
	expect_no_event();
	TA_CHECK(!flow_lookup(&s, &st), "fragment created a flow");
	ta_case_end();

	ta_case_begin("xdp: truncated TCP header is ignored");
	s = v4();
	build(&f, &s, 1, 1, SYN, NULL, 0);
	f.len = 14 + 20 + 10; /* cut in the middle of the TCP header */
	CHECK_ACT(run(&f), XDP_PASS);
	expect_no_event();
	TA_CHECK(!flow_lookup(&s, &st), "truncated frame created a flow");
	ta_case_end();

	ta_case_begin("xdp: truncated VLAN tag is ignored");
	s = v4();
	s.vlan = 1;
	build(&f, &s, 1, 1, SYN, NULL, 0);
	f.len = 14 + 2; /* Ethernet + half a tag */
	CHECK_ACT(run(&f), XDP_PASS);
	expect_no_event();
	TA_CHECK(!flow_lookup(&s, &st), "truncated frame created a flow");
	ta_case_end();

	ta_case_begin("xdp: payload without a seen SYN -> midstream, once");
	s = v4();
	send_pkt(&s, 1, 99, ACK | PSH, "\x17\x03\x03\x00\x20zzzz", 9);
	expect_one_event(&s, TA_V_MIDSTREAM);
	send_pkt(&s, 1, 108, ACK | PSH, "\x17\x03\x03\x00\x20zzzz", 9);
	expect_no_event();
	ta_case_end();

	ta_case_begin("xdp: udp QUIC v1 Initial -> quic; random UDP -> unknown");
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

	ta_case_begin("xdp: stats: no drops, nothing blocked in audit mode");
	TA_CHECK_EQ(stat_sum(TA_STAT_RINGBUF_DROPS), 0);
	TA_CHECK_EQ(stat_sum(TA_STAT_FLOW_INSERT_FAIL), 0);
	TA_CHECK_EQ(stat_sum(TA_STAT_BLOCKED), 0);
	TA_CHECK_EQ(stat_sum(TA_STAT_BLOCKED_PKTS), 0);
	ta_case_end();
}

/* ---------------------------------------------------------------- part 2 */

static void allow_server(const struct flow_spec *s)
{
	struct ta_allow_key k = { 0 };
	__u8 one = 1;
	int err;

	if (s->v6) {
		k.prefixlen = 128;
		inet_pton(AF_INET6, s->srv, k.addr);
	} else {
		k.prefixlen = 96 + 32; /* an IPv4 /32, as IPv4-mapped IPv6 */
		k.addr[10] = k.addr[11] = 0xff;
		inet_pton(AF_INET, s->srv, k.addr + 12);
	}
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.allow), &k, &one, BPF_ANY);
	TA_CHECK(!err, "allow map update: %s", strerror(errno));
}

static void enforce_cases(void)
{
	struct flow_spec s;
	struct ta_flow_state st;
	__u64 blocked0, pkts0;

	ta_case_begin("xdp enforce: GET first payload -> XDP_DROP, blocked event");
	blocked0 = stat_sum(TA_STAT_BLOCKED);
	pkts0 = stat_sum(TA_STAT_BLOCKED_PKTS);
	s = v4();
	open_flow(&s, 2000);
	expect_no_event();
	send_pkt_act(&s, 1, 2001, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 1);
	TA_CHECK(flow_lookup(&s, &st), "blocked flow left the table");
	TA_CHECK_EQ(st.verdict, TA_V_PLAINTEXT_HTTP);
	TA_CHECK(st.flags & TA_F_BLOCKED, "flow flags 0x%x lack TA_F_BLOCKED", st.flags);
	TA_CHECK_EQ(stat_sum(TA_STAT_BLOCKED) - blocked0, 1);
	/* the dropped GET is a client packet --enforce dropped */
	TA_CHECK_EQ(stat_sum(TA_STAT_BLOCKED_PKTS) - pkts0, 1);
	ta_case_end();

	ta_case_begin("xdp enforce: blocked flow: retransmission dropped, ACKs and server pass");
	pkts0 = stat_sum(TA_STAT_BLOCKED_PKTS);
	send_pkt_act(&s, 1, 2001, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	send_pkt_act(&s, 1, 2001 + GET_LEN, ACK | PSH, "more", 4, XDP_DROP);
	send_pkt_act(&s, 1, 2001, ACK, NULL, 0, XDP_PASS);
	send_pkt_act(&s, 0, 7778, ACK, NULL, 0, XDP_PASS);
	send_pkt_act(&s, 0, 7778, ACK | PSH, "HTTP/1.1 400", 12, XDP_PASS);
	expect_no_event();
	TA_CHECK_EQ(stat_sum(TA_STAT_BLOCKED_PKTS) - pkts0, 2);
	ta_case_end();

	/* A client that sends its request and FIN at once (shutdown(SHUT_WR)):
	 * the FIN carries no payload and passes; the server SACKs it and the
	 * client retransmits the request at once. That retransmission must not
	 * pass as a "midstream" flow. (Seen end-to-end: tests/e2e/test_gateway.sh
	 * py_halfclose_blocked_*.) */
	ta_case_begin("xdp enforce: blocked flow stays blocked after the client's FIN");
	s = v4();
	open_flow(&s, 2100);
	send_pkt_act(&s, 1, 2101, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 1);
	{
		struct frame f;

		build(&f, &s, 1, 2101 + GET_LEN, FIN | ACK, NULL, 0);
		run(&f); /* passing or dropping the bare FIN are both acceptable */
	}
	send_pkt_act(&s, 1, 2101, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	send_pkt_act(&s, 1, 2101, ACK | PSH | FIN, http_get, GET_LEN, XDP_DROP);
	expect_no_event();
	TA_CHECK_EQ(stat_sum(TA_STAT_MIDSTREAM), 0);
	ta_case_end();

	ta_case_begin("xdp enforce: GET and FIN in one segment, retransmitted: dropped");
	s = v6();
	open_flow(&s, 2200);
	send_pkt_act(&s, 1, 2201, ACK | PSH | FIN, http_get, GET_LEN, XDP_DROP);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 1);
	send_pkt_act(&s, 1, 2201, ACK | PSH | FIN, http_get, GET_LEN, XDP_DROP);
	send_pkt_act(&s, 1, 2201, ACK | PSH | FIN, http_get, GET_LEN, XDP_DROP);
	expect_no_event();
	ta_case_end();

	/* A stray or forged RST/FIN before the first payload (out of the
	 * server's window, so the server ignores it and the connection lives
	 * on) must not make the flow's plaintext pass as "midstream". */
	ta_case_begin("xdp enforce: RST or FIN before the first payload opens no bypass");
	s = v4();
	open_flow(&s, 2150);
	send_pkt(&s, 1, 2151 + 1000000, RST, NULL, 0);
	send_pkt_act(&s, 1, 2151, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 1);
	s = v6();
	open_flow(&s, 2160);
	send_pkt(&s, 1, 2161 + 1000000, FIN | ACK, NULL, 0);
	send_pkt_act(&s, 1, 2161, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 1);
	ta_case_end();

	ta_case_begin("xdp enforce: ClientHello -> XDP_PASS, tls, not blocked");
	s = v4();
	open_flow(&s, 2300);
	send_pkt_act(&s, 1, 2301, ACK | PSH, client_hello, client_hello_len, XDP_PASS);
	expect_one_event_b(&s, TA_V_TLS, 0);
	send_pkt_act(&s, 1, 2301 + client_hello_len, ACK | PSH, "\x17\x03\x03\x00\x01z", 6,
		     XDP_PASS);
	send_pkt_act(&s, 0, 7778, ACK | PSH, "\x16\x03\x03\x00\x01z", 6, XDP_PASS);
	expect_no_event();
	TA_CHECK(flow_lookup(&s, &st) && !(st.flags & TA_F_BLOCKED), "TLS flow blocked");
	ta_case_end();

	ta_case_begin("xdp enforce: vlan ipv6 ClientHello passes, vlan ipv6 GET dropped");
	s = v6();
	s.vlan = 1;
	open_flow(&s, 2400);
	send_pkt_act(&s, 1, 2401, ACK | PSH, client_hello, client_hello_len, XDP_PASS);
	expect_one_event_b(&s, TA_V_TLS, 0);
	s = v6();
	s.vlan = 1;
	open_flow(&s, 2410);
	send_pkt_act(&s, 1, 2411, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 1);
	ta_case_end();

	ta_case_begin("xdp enforce: undecided record header is held, then the ClientHello passes");
	s = v4();
	open_flow(&s, 2500);
	send_pkt_act(&s, 1, 2501, ACK | PSH, client_hello, 5, XDP_DROP);
	expect_no_event();
	TA_CHECK(flow_lookup(&s, &st), "flow missing");
	TA_CHECK_EQ(st.verdict, TA_V_PENDING);
	/* the client retransmits the held bytes together with what follows */
	send_pkt_act(&s, 1, 2501, ACK | PSH, client_hello, client_hello_len, XDP_PASS);
	expect_one_event_b(&s, TA_V_TLS, 0);
	ta_case_end();

	ta_case_begin("xdp enforce: undecided \"GE\" is held, then the GET is blocked");
	s = v4();
	open_flow(&s, 2600);
	send_pkt_act(&s, 1, 2601, ACK | PSH, "GE", 2, XDP_DROP);
	expect_no_event();
	send_pkt_act(&s, 1, 2601, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 1);
	ta_case_end();

	ta_case_begin("xdp enforce: allowed IPv4 server (/32 as 96+32): GET passes");
	blocked0 = stat_sum(TA_STAT_BLOCKED);
	s = v4();
	s.srv = "10.203.9.77";
	allow_server(&s);
	open_flow(&s, 2700);
	send_pkt_act(&s, 1, 2701, ACK | PSH, http_get, GET_LEN, XDP_PASS);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 0);
	send_pkt_act(&s, 1, 2701 + GET_LEN, ACK | PSH, http_get, GET_LEN, XDP_PASS);
	expect_no_event();
	TA_CHECK(flow_lookup(&s, &st) && !(st.flags & TA_F_BLOCKED), "allowed flow blocked");
	TA_CHECK_EQ(stat_sum(TA_STAT_BLOCKED) - blocked0, 0);
	/* the neighbour address is not covered by the /32 */
	s = v4();
	s.srv = "10.203.9.78";
	open_flow(&s, 2710);
	send_pkt_act(&s, 1, 2711, ACK | PSH, http_get, GET_LEN, XDP_DROP);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 1);
	ta_case_end();

	ta_case_begin("xdp enforce: allowed IPv6 server (/128): GET passes");
	s = v6();
	s.srv = "fd00:203:9::77";
	allow_server(&s);
	open_flow(&s, 2800);
	send_pkt_act(&s, 1, 2801, ACK | PSH, http_get, GET_LEN, XDP_PASS);
	expect_one_event_b(&s, TA_V_PLAINTEXT_HTTP, 0);
	ta_case_end();

	ta_case_begin("xdp enforce: udp: QUIC Initial passes, other UDP dropped");
	s = v4();
	s.udp = 1;
	{
		unsigned char q[64] = { 0xc3, 0x00, 0x00, 0x00, 0x01, 0x08 };

		send_pkt_act(&s, 1, 0, 0, q, sizeof(q), XDP_PASS);
		expect_one_event_b(&s, TA_V_QUIC, 0);
	}
	s = v4();
	s.udp = 1;
	send_pkt_act(&s, 1, 0, 0, "\x9e\x01\xff\x00\x13\x37\x42\x99", 8, XDP_DROP);
	expect_one_event_b(&s, TA_V_UNKNOWN, 1);
	send_pkt_act(&s, 1, 0, 0, "\x9e\x01\xff\x00\x13\x37\x42\x99", 8, XDP_DROP);
	send_pkt_act(&s, 0, 0, 0, "reply", 5, XDP_PASS);
	expect_no_event();
	ta_case_end();

	ta_case_begin("xdp enforce: unwatched port is never dropped");
	s = v4();
	s.sport = 80;
	open_flow(&s, 2900);
	send_pkt_act(&s, 1, 2901, ACK | PSH, http_get, GET_LEN, XDP_PASS);
	expect_no_event();
	ta_case_end();

	ta_case_begin("xdp enforce: stats: no drops, no insert failures");
	TA_CHECK_EQ(stat_sum(TA_STAT_RINGBUF_DROPS), 0);
	TA_CHECK_EQ(stat_sum(TA_STAT_FLOW_INSERT_FAIL), 0);
	ta_case_end();
}

int main(void)
{
	if (geteuid() != 0) {
		ta_skip("xdp packet tests", "needs root to load BPF programs");
		return 0;
	}
	if (load_client_hello()) {
		printf("FAIL: fixture: cannot read tests/fixtures/tls/curl-tls13.clienthello.bin "
		       "(run from the repository root)\n");
		return 1;
	}
	if (open_instance(0))
		return 1;
	audit_cases();
	close_instance();

	if (open_instance(1))
		return 1;
	enforce_cases();
	close_instance();
	TA_TEST_EXIT();
}
