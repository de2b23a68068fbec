/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cases.h - the packet cases: each written once, run by test_packet.c on
 * every backend (TC host mode, TC and XDP gateway, the host build as a host
 * and as a gateway), in an audit instance and in an --enforce instance.
 *
 * The language is packet_case.h's. Reading a case: flows are numbered from
 * 0; a client packet's seq is its flow's ISN + 1 + its stream offset, which
 * is "right after what this side sent" unless AT(n) says otherwise; a packet
 * passes unless .drop names the mode it runs in; counter checks are changes
 * since the case began. Hook facts (TA_F_FORWARDED, TA_F_INGRESS, ifindex,
 * cookies, return codes) are checked by the runner on every event and entry.
 *
 * Included once, by test_packet.c.
 */
#ifndef CASES_H
#define CASES_H

#include "packet_case.h"

/* a QUIC v1 long-header Initial: type bits, version 1, a DCID length */
/* ... in a datagram of the 1200 bytes an Initial needs (RFC 9000 14.1) */
static const unsigned char quic_v1_initial[1200] = { 0xc3, 0x00, 0x00, 0x00, 0x01, 0x08 };
#define QUIC_INITIAL .bytes = quic_v1_initial, .len = sizeof(quic_v1_initial)
/* the same header in a short datagram: what a 6-byte fake would be */
#define QUIC_SHORT .bytes = quic_v1_initial, .len = 64
#define UDP_NOISE TXT("\x9e\x01\xff\x00\x13\x37\x42\x99")
#define APP_DATA TXT("\x17\x03\x03\x00\x20zzzz") /* a TLS record from the middle of a stream */

/*
 * The first client payload decides the flow, once: later packets of the
 * decided flow, both ways, make no second event. Under --enforce a flow that
 * is not TLS is blocked from that payload on (blocked = 1).
 */
#define FIRST_PAYLOAD(nm, payload, v, blocked, ...)                                                \
	{                                                                                          \
		.name = nm, .flow = { { .isn = 1000, __VA_ARGS__ } },                              \
		.steps = STEPS(OPEN(0), NO_EVENTS,                                                 \
			       FLOW(0, VERDICT(TA_V_PENDING), ISN, HAS(TA_F_SYN_SEEN)),            \
			       SEND(CLI, ACK | PSH, payload, .reset = (blocked) ? M_ENF : 0),      \
			       EVENTS(EV_F(0, v, TA_F_SYN_SEEN, (blocked) ? TA_F_BLOCKED : 0)),    \
			       STAT2(BLOCKED, 0, (blocked)), STAT2(BLOCKED_PKTS, 0, (blocked)),    \
			       FLOW(0, VERDICT(v), HAS(TA_F_REPORTED)),                            \
			       FLOW_IN(M_AUDIT, 0, HASNT(TA_F_BLOCKED)),                           \
			       FLOW_IN(M_ENF, 0, HAS((blocked) ? TA_F_BLOCKED : 0),                \
				       HASNT((blocked) ? 0 : TA_F_BLOCKED)),                       \
			       SEND(SRV, ACK | PSH, TXT("xyz"), .reset = (blocked) ? M_ENF : 0),   \
			       SEND(CLI, ACK | PSH, payload, .reset = (blocked) ? M_ENF : 0),      \
			       NO_EVENTS, STAT(EVENTS, 1), STAT(FLOWS_NEW, 1),                     \
			       STAT(FLOW_INSERTS, 1), STAT2(BLOCKED, 0, (blocked)),                \
			       STAT2(BLOCKED_PKTS, 0, 3 * (blocked)), PKTS(TA_V_PENDING, 4),       \
			       PKTS(v, 2))                                                         \
	}

static const struct pc_case pc_cases[] = {
	{
		.name = "unwatched port: no flow, no event, never dropped",
		.flow = { { .isn = 1, .spec.sport = 80 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, GET), NO_EVENTS, NO_FLOW(0),
			       STAT(FLOWS_NEW, 0), PKTS(TA_V_PENDING, 0)),
	},

	FIRST_PAYLOAD("ipv4 ClientHello -> tls", HELLO, TA_V_TLS, 0),
	FIRST_PAYLOAD("ipv4 GET -> plaintext_http", GET, TA_V_PLAINTEXT_HTTP, 1),
	FIRST_PAYLOAD("ipv4 with options GET -> plaintext_http", GET, TA_V_PLAINTEXT_HTTP, 1,
		      .spec.ip_opts = 1),
	FIRST_PAYLOAD("ipv6 ClientHello -> tls", HELLO, TA_V_TLS, 0, .spec.v6 = 1),
	FIRST_PAYLOAD("ipv6 extension headers GET -> plaintext_http", GET, TA_V_PLAINTEXT_HTTP, 1,
		      .spec.v6 = 1, .spec.ext_hdr = 1),
	FIRST_PAYLOAD("vlan ipv4 ClientHello -> tls", HELLO, TA_V_TLS, 0, .spec.vlan = 1),
	FIRST_PAYLOAD("vlan ipv6 GET -> plaintext_http", GET, TA_V_PLAINTEXT_HTTP, 1, .spec.v6 = 1,
		      .spec.vlan = 1),
	FIRST_PAYLOAD("802.1ad+802.1Q ipv4 GET -> plaintext_http", GET, TA_V_PLAINTEXT_HTTP, 1,
		      .spec.vlan = 2),
	FIRST_PAYLOAD("ssh banner -> ssh", TXT("SSH-2.0-OpenSSH_9.2\r\n"), TA_V_SSH, 1),
	FIRST_PAYLOAD("binary -> unknown", TXT("\x00\x01\x02\x03\x04\x05\x06"), TA_V_UNKNOWN, 1),
	FIRST_PAYLOAD("tcp timestamps option GET -> plaintext_http", GET, TA_V_PLAINTEXT_HTTP, 1,
		      .spec.tcp_opts = 1),

	{
		.name = "SYN and pure ACK: pending, no event",
		.flow = { { .isn = 5000 } },
		.steps = STEPS(SEND(CLI, SYN), SEND(CLI, ACK), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PENDING), ISN, PEEK(0), HAS(TA_F_SYN_SEEN),
				    HASNT(TA_F_REPORTED)),
			       STAT(FLOWS_NEW, 1), PKTS(TA_V_PENDING, 2)),
	},
	{
		/* enforcing, the lone header is held: the gate opens at the verdict */
		.name = "record header alone waits for the next segment",
		.flow = { { .isn = 100 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO_PART(0, 5), DROP_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PENDING), PEEK(5)),
			       SEND(CLI, ACK | PSH, HELLO_FROM(5)),
			       EVENTS(EV(0, TA_V_TLS)), /* contiguous: not truncated */
			       STAT(BLOCKED, 0), STAT2(BLOCKED_PKTS, 0, 1)),
	},
	{
		.name = "retransmitted first segment: one event",
		.flow = { { .isn = 200 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, TXT("GE"), DROP_ENF),
			       SEND(CLI, ACK | PSH, AT(0), TXT("GE"), DROP_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PENDING), PEEK(2)),
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), STAT2(BLOCKED_PKTS, 0, 3)),
	},
	{
		/* a segment past a hole is kept: the server queues it and will not
		 * send it again, so when the hole is filled the bytes are all
		 * there; enforcing, it was held at the gate and comes again */
		.name = "out-of-order: a later segment is kept until the hole is filled",
		.flow = { { .isn = 300 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, AT(5), HELLO_PART(5, 100), DROP_ENF),
			       NO_EVENTS, FLOW(0, VERDICT(TA_V_PENDING), PEEK(0), HAS(TA_F_GAP)),
			       STAT(GAP, 1), SEND(CLI, ACK | PSH, AT(0), HELLO_PART(0, 5)),
			       /* the hole was filled: a gap once, not truncated */
			       EVENTS(EV_F(0, TA_V_TLS, TA_F_SYN_SEEN | TA_F_GAP, 0)),
			       FLOW(0, VERDICT(TA_V_TLS), PEEK(16)),
			       SEND(CLI, ACK | PSH, AT(5), HELLO_PART(5, 100)), NO_EVENTS,
			       STAT(GAP, 1), STAT2(BLOCKED_PKTS, 0, 1)),
	},
	{
		.name = "FIN both ways deletes the flow; the same 4-tuple starts a new one",
		.flow = { { .isn = 400 } },
		.steps = STEPS(
			OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			SEND(CLI, FIN | ACK),
			FLOW(0, HAS(TA_F_CLIENT_FIN)), /* a half-close keeps it */
			SEND(SRV, FIN | ACK), NO_FLOW(0), STAT(FLOWS_DELETED, 1), REOPEN(0, 90000),
			FLOW(0, VERDICT(TA_V_PENDING), ISN,
			     HASNT(TA_F_CLIENT_FIN | TA_F_SERVER_FIN)),
			SEND(CLI, ACK | PSH, GET, BLOCK_ENF), EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)),
			STAT(FLOWS_NEW, 2), STAT(FLOW_INSERTS, 2)),
	},
	{
		.name = "server FIN then client FIN deletes the flow too",
		.flow = { { .isn = 410, .spec.v6 = 1 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       SEND(SRV, FIN | ACK), FLOW(0, HAS(TA_F_SERVER_FIN)),
			       SEND(CLI, FIN | ACK), NO_FLOW(0), NO_EVENTS, STAT(FLOWS_DELETED, 1)),
	},
	{
		.name = "server half-close: the client's later bytes stay in the flow",
		.flow = { { .isn = 450 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), SEND(SRV, FIN | ACK),
			       SEND(CLI, ACK | PSH, TXT("\x15\x03\x03\x00\x02"), BLOCK_ENF),
			       NO_EVENTS, /* no second, "midstream" flow */
			       FLOW(0, VERDICT(TA_V_PLAINTEXT_HTTP), HAS(TA_F_SERVER_FIN)),
			       STAT(MIDSTREAM, 0), STAT2(BLOCKED_PKTS, 0, 2)),
	},
	{
		.name = "server FIN before the client's first bytes: still judged, close record",
		.flow = { { .isn = 460 } },
		.steps = STEPS(OPEN(0), SEND(SRV, FIN | ACK), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PENDING), HAS(TA_F_SERVER_FIN)),
			       SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       /* handshake outcome no_response: the server already left */
			       RECORDS(REC_CLOSE(0), REC_HELLO(0))),
	},
	{
		/* a stack answers a SYN on a live connection with a challenge ACK
		 * (RFC 5961 4) and keeps it: so does the flow, whatever its verdict */
		.name = "a SYN with a new ISN on a live TLS flow resets nothing",
		.flow = { { .isn = 500 } },
		.steps =
			STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			      SEND(CLI, SYN, .isn = 123456), NO_EVENTS,
			      FLOW(0, VERDICT(TA_V_TLS), HAS(TA_F_SYN_SEEN)), STAT(SYNS_IN_FLOW, 1),
			      SEND(CLI, ACK | PSH, TXT("\x17\x03\x03\x00\x01x")), NO_EVENTS,
			      STAT(FLOWS_NEW, 1)),
	},
	{
		.name = "a SYN with a new ISN on a live blocked flow unblocks nothing",
		.flow = { { .isn = 520 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), SEND(CLI, SYN, .isn = 123456),
			       NO_EVENTS, STAT(SYNS_IN_FLOW, 1),
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PLAINTEXT_HTTP)), STAT2(BLOCKED_PKTS, 0, 2)),
	},
	{
		/* how a port is really reused: the client answers the challenge ACK
		 * with an RST, then sends its SYN again */
		.name = "port reuse after the old flow's RST: the new SYN starts a flow",
		.flow = { { .isn = 540 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       SEND(CLI, RST | ACK), REOPEN(0, 123456),
			       FLOW(0, VERDICT(TA_V_PENDING), ISN, PEEK(0)),
			       SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), STAT(FLOWS_NEW, 2),
			       STAT(SYNS_IN_FLOW, 0)),
	},
	{
		.name = "a blocked flow that ended is replaced by the next connection's SYN",
		.flow = { { .isn = 560 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), SEND(CLI, RST | ACK),
			       REOPEN(0, 99999), FLOW(0, VERDICT(TA_V_PENDING), ISN, PEEK(0)),
			       SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       STAT(FLOWS_NEW, 2), STAT2(SYNS_IN_FLOW, 0, 1)),
	},
	{
		/* enforcing, "ab" is held, and the RST that decides the flow is
		 * dropped with it; the blocked flow stays known */
		/* enforcing, only client bytes are kept from the server: the RST
		 * that ends the flow goes through, and the blocked flow stays */
		.name = "RST with a few text bytes: decided as final",
		.flow = { { .isn = 600 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, TXT("ab"), DROP_ENF), NO_EVENTS,
			       SEND(CLI, RST), EVENTS(EV_B(0, TA_V_PLAINTEXT)),
			       NO_FLOW_IN(M_AUDIT, 0),
			       FLOW_IN(M_ENF, 0, VERDICT(TA_V_PLAINTEXT), HAS(TA_F_BLOCKED)),
			       STAT2(FLOWS_DELETED, 1, 0), STAT2(BLOCKED_PKTS, 0, 1)),
	},
	{
		/* enforcing, a flow closed before its first byte stays known */
		.name = "FIN with no payload: no event, counted",
		.flow = { { .isn = 700 } },
		.steps = STEPS(OPEN(0), SEND(CLI, FIN | ACK), NO_EVENTS, NO_FLOW_IN(M_AUDIT, 0),
			       FLOW_IN(M_ENF, 0, VERDICT(TA_V_PENDING)), STAT(FLOWS_NO_PAYLOAD, 1),
			       STAT2(FLOWS_DELETED, 1, 0)),
	},
	{
		.name = "payload without a seen SYN -> midstream, once",
		.flow = { { .isn = 98 } },
		.steps = STEPS(SEND(CLI, ACK | PSH, APP_DATA, BLOCK_ENF),
			       EVENTS(EV_F(0, TA_V_MIDSTREAM, 0, TA_F_BLOCKED)),
			       SEND(CLI, ACK | PSH, APP_DATA, BLOCK_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_MIDSTREAM), PEEK(0), HASNT(TA_F_SYN_SEEN)),
			       STAT(MIDSTREAM, 1), STAT(FLOW_INSERTS, 1), STAT(FLOWS_NEW, 0),
			       STAT2(BLOCKED_PKTS, 0, 2)),
	},
	{
		/* found on public captures: a flow seen mid-stream got no event at
		 * all when its first payload carried FIN */
		.name = "regression: an ACK, data with FIN, its retransmission -> one midstream",
		.flow = { { .isn = 5000 } },
		.steps = STEPS(SEND(CLI, ACK), NO_EVENTS,
			       SEND(CLI, ACK | PSH | FIN, AT(0), APP_DATA, BLOCK_ENF),
			       EVENTS(EV_F(0, TA_V_MIDSTREAM, 0, TA_F_BLOCKED)),
			       SEND(CLI, ACK | PSH | FIN, AT(0), APP_DATA, BLOCK_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_MIDSTREAM), HAS(TA_F_CLIENT_FIN)),
			       STAT(MIDSTREAM, 1)),
	},
	{
		/* found on public captures: a second event, midstream, from the
		 * client's segments still in flight behind the server's RST */
		.name = "regression: 2 bytes on the handshake ACK, RST, late segments -> one event",
		.flow = { { .isn = 5100 } },
		.steps = STEPS(SEND(CLI, SYN), SEND(SRV, SYN | ACK),
			       SEND(CLI, ACK, TXT("\x00\x01"), BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_UNKNOWN)), SEND(SRV, RST | ACK),
			       SEND(CLI, ACK | PSH, TXT("\x02\x03\x04"), BLOCK_ENF),
			       SEND(CLI, ACK, AT(0), TXT("\x00\x01"), BLOCK_ENF), NO_EVENTS,
			       NO_FLOW_IN(M_AUDIT, 0), STAT2(LATE_PKTS, 2, 0), STAT(MIDSTREAM, 0)),
	},
	/* found by the flow-machine fuzzer (tests/fuzz/fuzz_flow.c) */
	{
		/* TCP Fast Open: a SYN's data starts the stream at ISN + 1 */
		.name = "fuzz: data in the SYN is judged like any first payload",
		.flow = { { .isn = 6000 }, { .isn = 6010, .spec.v6 = 1 } },
		.steps =
			STEPS(SEND(CLI, SYN, GET, BLOCK_ENF), EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)),
			      FLOW(0, VERDICT(TA_V_PLAINTEXT_HTTP), ISN, HAS(TA_F_SYN_SEEN)),
			      SEND(CLI, SYN, .flow = 1, HELLO), EVENTS(EV(1, TA_V_TLS)),
			      RECORDS(REC_HELLO(1)), STAT2(BLOCKED_PKTS, 0, 1),
			      /* its close is in order after the SYN's data */
			      SEND(SRV, SYN | ACK, .flow = 1), SEND(CLI, FIN | ACK, .flow = 1),
			      SEND(SRV, FIN | ACK, .flow = 1), NO_FLOW(1), STAT(CLOSES_IGNORED, 0)),
	},
	{
		/* a stack drops a SYN with FIN: it starts no connection */
		.name = "fuzz: a SYN with FIN and a new ISN does not start a flow over",
		.flow = { { .isn = 6100 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       RECORDS(REC_HELLO(0)), SEND(CLI, SYN | FIN, .isn = 777777),
			       NO_EVENTS, FLOW(0, VERDICT(TA_V_TLS), ISN), STAT(FLOWS_NEW, 1)),
	},
	{
		/* audit: the reset flow's tombstone knows its SYN and its bytes */
		.name = "fuzz: the SYN of a reset flow, delayed, starts no second flow",
		.flow = { { .isn = 6200 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, TXT("SSH-2.0-x\r\n"), BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_SSH)), SEND(SRV, RST | ACK), SEND(CLI, SYN),
			       SEND(CLI, ACK | PSH, AT(0), TXT("SSH-2.0-x\r\n"), BLOCK_ENF),
			       NO_EVENTS, STAT2(LATE_PKTS, 2, 0), STAT(FLOWS_NEW, 1)),
	},
	{
		/* a midstream entry has no ISN: a SYN with ISN 0 is a new flow */
		.name = "fuzz: a new connection's SYN with ISN 0 replaces an ended midstream entry",
		.flow = { { .isn = 0 } },
		.steps = STEPS(SEND(CLI, ACK | PSH, AT(5000), GET, BLOCK_ENF),
			       EVENTS(EV_F(0, TA_V_MIDSTREAM, 0, TA_F_BLOCKED)),
			       SEND(CLI, RST | ACK, AT(5034)), SEND(CLI, SYN), SEND(SRV, SYN | ACK),
			       SEND(CLI, ACK),
			       FLOW(0, VERDICT(TA_V_PENDING), ISN, HAS(TA_F_SYN_SEEN)),
			       SEND(CLI, ACK | PSH, AT(0), HELLO), EVENTS(EV(0, TA_V_TLS)),
			       RECORDS(REC_HELLO(0))),
	},
	{
		/* the 4-tuple reused before its close was seen */
		.name = "fuzz: a new SYN reports the undecided flow it replaces",
		.flow = { { .isn = 6300 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO_PART(0, 3), DROP_ENF), NO_EVENTS,
			       REOPEN(0, 99999),
			       EVENTS(EV_F(0, TA_V_UNKNOWN, TA_F_SYN_SEEN, TA_F_BLOCKED)),
			       FLOW(0, VERDICT(TA_V_PENDING), ISN, PEEK(0)),
			       SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP))),
	},
	{
		.name = "fuzz: a TLS flow's close record is sent once, however many FINs",
		.flow = { { .isn = 6400 } },
		.steps =
			STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			      RECORDS(REC_HELLO(0)), SEND(SRV, FIN | ACK), RECORDS(REC_CLOSE(0)),
			      SEND(SRV, FIN | ACK, AT(0)), SEND(SRV, FIN | ACK, AT(0)), NO_RECORDS),
	},
	{
		.name = "fuzz: an allowed server's first bytes do not wait at the gate",
		.flow = { { .isn = 6600, .spec.srv = "10.203.9.79", .allowed = 1 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO_PART(0, 5)), NO_EVENTS,
			       SEND(CLI, ACK | PSH, HELLO_FROM(5)), EVENTS(EV(0, TA_V_TLS)),
			       STAT(BLOCKED_PKTS, 0)),
	},
	{
		/* enforcing, only client bytes are kept from the server */
		.name = "fuzz: the server's RST of an undecided flow passes",
		.flow = { { .isn = 6700 } },
		.steps = STEPS(
			OPEN(0), SEND(CLI, ACK | PSH, AT(3), HELLO_FROM(3), DROP_ENF),
			SEND(SRV, RST | ACK),
			EVENTS(EV_F(0, TA_V_UNKNOWN, TA_F_SYN_SEEN | TA_F_GAP | TA_F_TRUNCATED,
				    TA_F_BLOCKED))),
	},
	{
		/* a stack drops the bytes of a segment without ACK, or of a SYN
		 * with ACK from the client (RFC 793, RFC 5961) */
		.name = "fuzz: bytes the server's TCP drops are not the flow's first",
		.flow = { { .isn = 6800 } },
		.steps = STEPS(OPEN(0), SEND(CLI, PSH, HELLO, DROP_ENF),
			       SEND(CLI, SYN | ACK, AT(0), HELLO, DROP_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PENDING), PEEK(0)),
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP))),
	},
	{
		/* enforcing: the ended flow's verdict lets its late bytes by */
		.name = "fuzz: a TLS flow's segment behind its RST is late, not a new flow",
		.flow = { { .isn = 6900 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       RECORDS(REC_HELLO(0)), SEND(CLI, RST | ACK),
			       SEND(CLI, ACK | PSH, AT(0), HELLO), NO_EVENTS, NO_FLOW(0),
			       STAT(LATE_PKTS, 1), STAT(MIDSTREAM, 0)),
	},
	{
		/* the classic way past an IDS: a ClientHello that never reaches the
		 * server (short TTL, bad checksum, a loss past the gate), then
		 * plaintext for the same sequence numbers */
		.name = "a retransmission with other first bytes is counted; enforcing, it blocks the flow",
		.flow = { { .isn = 7000 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       RECORDS(REC_HELLO(0)), SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF),
			       NO_EVENTS, FLOW(0, VERDICT(TA_V_TLS), HAS(TA_F_CONFLICT)),
			       FLOW_IN(M_ENF, 0, HAS(TA_F_BLOCKED)),
			       FLOW_IN(M_AUDIT, 0, HASNT(TA_F_BLOCKED)), STAT(CONFLICTS, 1),
			       STAT2(BLOCKED_PKTS, 0, 1), STAT2(BLOCKED, 0, 1),
			       SEND(CLI, ACK | PSH, AT(0), HELLO, BLOCK_ENF),
			       SEND(CLI, ACK | PSH, TXT("more"), BLOCK_ENF), NO_EVENTS,
			       STAT(CONFLICTS, 1), STAT2(BLOCKED_PKTS, 0, 3)),
	},
	{
		/* enforcing, the held bytes never reached the server: what it will
		 * take is the retransmission, so one that contradicts them stays out */
		.name = "first bytes held at the gate, then other bytes for them: enforcing, blocked",
		.flow = { { .isn = 7100 } },
		.steps = STEPS(
			OPEN(0), SEND(CLI, ACK | PSH, HELLO_PART(0, 5), DROP_ENF), NO_EVENTS,
			SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF),
			EVENTS(EV_F(0, TA_V_UNKNOWN, TA_F_SYN_SEEN | TA_F_CONFLICT, TA_F_BLOCKED)),
			FLOW_IN(M_ENF, 0, VERDICT(TA_V_UNKNOWN), PEEK(5),
				HAS(TA_F_CONFLICT | TA_F_BLOCKED)),
			STAT(CONFLICTS, 1), STAT2(BLOCKED, 0, 1),
			/* the ClientHello after all: too late, which copy the server
			 * kept is unknowable */
			SEND(CLI, ACK | PSH, AT(0), HELLO, .mode = M_ENF, BLOCK_ENF), NO_EVENTS),
	},
	{
		/* a forged close must not open the way either: the tombstone keeps
		 * the first bytes the flow was judged on */
		.name = "a late segment with other first bytes is counted, and dropped enforcing",
		.flow = { { .isn = 7300 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       RECORDS(REC_HELLO(0)), SEND(CLI, RST | ACK),
			       SEND(CLI, ACK | PSH, AT(0), GET, DROP_ENF), NO_EVENTS, NO_FLOW(0),
			       STAT(CONFLICTS, 1), STAT2(LATE_PKTS, 1, 0),
			       SEND(CLI, ACK | PSH, AT(0), HELLO), NO_EVENTS, STAT(CONFLICTS, 1),
			       STAT2(LATE_PKTS, 2, 1), STAT(MIDSTREAM, 0)),
	},
	{
		/* the ClientHello sent up is the one the verdict read */
		.name = "a capture starts from the first bytes held when a segment contradicts them",
		.modes = M_AUDIT, /* enforcing, the contradiction blocks the flow (above) */
		.flow = { { .isn = 7200 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO_PART(0, 5)), NO_EVENTS,
			       SEND(CLI, ACK | PSH, AT(0), BIG_HELLO),
			       EVENTS(EV_F(0, TA_V_TLS, TA_F_SYN_SEEN | TA_F_CONFLICT, 0)),
			       FLOW(0, HAS(TA_F_CONFLICT)), STAT(CONFLICTS, 1)),
	},
	{
		/* enforcing, a server that speaks first on a TLS port is held:
		 * a TLS server waits for the ClientHello */
		.name = "server payload before any client byte: still pending, held enforcing",
		.flow = { { .isn = 800 } },
		.steps = STEPS(OPEN(0), SEND(SRV, ACK | PSH, TXT("220 banner\r\n"), DROP_ENF),
			       SEND(SRV, FIN | ACK | PSH, TXT("bye\r\n"), DROP_ENF),
			       STAT2(BLOCKED_PKTS, 0, 2), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PENDING), PEEK(0)), SEND(CLI, ACK | PSH, HELLO),
			       EVENTS(EV(0, TA_V_TLS))),
	},
	{
		/* the parser cannot see a TCP fragment's stream bytes, the
		 * server's stack will: enforcing, fail closed */
		.name = "non-first IPv4 fragment of TCP: unparsed, counted; enforcing, dropped",
		.flow = { { .isn = 0, .spec.frag_offset = 10 } },
		.steps = STEPS(SEND(CLI, ACK | PSH, GET, .unparsed = 1, DROP_ENF), NO_EVENTS,
			       NO_FLOW(0), STAT(MIDSTREAM, 0), STAT(UNPARSED, 1),
			       PKTS(TA_V_PENDING, 0)),
	},
	{
		/* (RFC 1858: a first fragment need not hold the whole TCP header,
		 * and its payload may be all in the next one) */
		.name = "first IPv4 fragment of TCP: unparsed, counted; enforcing, dropped",
		.flow = { { .isn = 0, .spec.frag_more = 1 } },
		.steps = STEPS(SEND(CLI, ACK | PSH, GET, .unparsed = 1, DROP_ENF), NO_EVENTS,
			       NO_FLOW(0), STAT(UNPARSED, 1)),
	},
	{
		/* a datagram is judged by its first fragment: the later ones pass */
		.name = "non-first IPv4 fragment of UDP is skipped, never dropped",
		.flow = { { .spec.udp = 1, .spec.frag_offset = 10 } },
		.steps = STEPS(SEND(CLI, 0, UDP_NOISE, .unparsed = 1), NO_EVENTS, NO_FLOW(0),
			       STAT(UNPARSED, 0)),
	},
	{
		.name = "three VLAN tags: unparsed, counted; enforcing, dropped",
		.flow = { { .isn = 0, .spec.vlan = 3 } },
		.steps = STEPS(SEND(CLI, ACK | PSH, GET, .unparsed = 1, DROP_ENF), NO_EVENTS,
			       NO_FLOW(0), STAT(UNPARSED, 1)),
	},
	{
		.name = "seven IPv6 extension headers: unparsed, counted; enforcing, dropped",
		.flow = { { .isn = 0, .spec.v6 = 1, .spec.ext_hdr = 7 } },
		.steps = STEPS(SEND(CLI, ACK | PSH, GET, .unparsed = 1, DROP_ENF), NO_EVENTS,
			       NO_FLOW(0), STAT(UNPARSED, 1)),
	},
	/* the limit itself is walked (it was one short) */
	FIRST_PAYLOAD("six IPv6 extension headers GET -> plaintext_http", GET, TA_V_PLAINTEXT_HTTP,
		      1, .spec.v6 = 1, .spec.ext_hdr = 6),
	{
		.name = "truncated TCP header is ignored",
		.flow = { { .isn = 0 } },
		.steps = STEPS(SEND(CLI, SYN, .cut = 14 + 20 + 10, .unparsed = 1), NO_EVENTS,
			       NO_FLOW(0), STAT(FLOWS_NEW, 0)),
	},
	{
		.name = "truncated VLAN tag is ignored",
		.flow = { { .isn = 0, .spec.vlan = 1 } },
		.steps = STEPS(SEND(CLI, SYN, .cut = 14 + 2, .unparsed = 1), NO_EVENTS, NO_FLOW(0),
			       STAT(FLOWS_NEW, 0)),
	},
	{
		.name = "udp: QUIC v1 Initial -> quic; other UDP -> unknown",
		.flow = { { .spec.udp = 1 }, { .spec.udp = 1 } },
		.steps = STEPS(SEND(CLI, 0, QUIC_INITIAL), EVENTS(EV_F(0, TA_V_QUIC, 0, 0)),
			       SEND(CLI, 0, QUIC_INITIAL), NO_EVENTS,
			       SEND(CLI, 0, .flow = 1, UDP_NOISE, DROP_ENF),
			       EVENTS(EV_F(1, TA_V_UNKNOWN, 0, TA_F_BLOCKED)),
			       SEND(CLI, 0, .flow = 1, UDP_NOISE, DROP_ENF),
			       SEND(SRV, 0, .flow = 1, TXT("reply"), DROP_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_QUIC), PEEK(16), HASNT(TA_F_BLOCKED)),
			       FLOW(1, VERDICT(TA_V_UNKNOWN), PEEK(8)), STAT(FLOW_INSERTS, 2),
			       STAT2(BLOCKED, 0, 1), STAT2(BLOCKED_PKTS, 0, 3)),
	},
	{
		/* a QUIC header in a short datagram must not unlock the flow */
		.name = "udp: a QUIC Initial header in a datagram under 1200 bytes -> unknown",
		.flow = { { .spec.udp = 1 } },
		.steps = STEPS(SEND(CLI, 0, QUIC_SHORT, DROP_ENF),
			       EVENTS(EV_F(0, TA_V_UNKNOWN, 0, TA_F_BLOCKED)),
			       SEND(CLI, 0, QUIC_INITIAL, DROP_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_UNKNOWN)), STAT2(BLOCKED_PKTS, 0, 2)),
	},
	{
		.name = "ClientHello captured whole, across segments, then the server's answer",
		.flow = { { .isn = 3000 } },
		.steps = STEPS(
			OPEN(0), SEND(CLI, ACK | PSH, HELLO_PART(0, 5), DROP_ENF),
			SEND(CLI, ACK | PSH, HELLO_PART(5, 100)),
			SEND(CLI, ACK | PSH, HELLO_FROM(105)), EVENTS(EV(0, TA_V_TLS)),
			RECORDS(REC_HELLO(0)),
			FLOW(0, HASNT(TA_F_CAPTURING), HAS(TA_F_AWAIT_SERVER)),
			SEND(SRV, ACK | PSH, TXT("\x16\x03\x03\x00\x5a\x02")),
			SEND(SRV, ACK | PSH, TXT("more")), NO_EVENTS,
			RECORDS(REC_SERVER(0, 6)), /* the first answer only, once */
			FLOW(0, HAS(TA_F_SERVER_SEEN), HASNT(TA_F_CAPTURING | TA_F_AWAIT_SERVER))),
	},
	{
		.name = "TLS flow closed before the server spoke: a close record",
		.flow = { { .isn = 4000 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       RECORDS(REC_HELLO(0)), SEND(SRV, FIN | ACK), NO_EVENTS,
			       RECORDS(REC_CLOSE(0))),
	},

	{
		/* one segment: more than TA_CHUNK_MAX bytes, so two records from one
		 * packet; MSS-sized segments: one record each */
		.name = "3000-byte ClientHello captured whole, in one segment or MSS-sized ones",
		.flow = { { .isn = 5100, .spec.tcp_opts = 1 },
			  { .isn = 5200, .spec.v6 = 1, .spec.tcp_opts = 1 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, BIG_HELLO), EVENTS(EV(0, TA_V_TLS)),
			       RECORDS(REC_CLIENT(0, PL_BIG_HELLO)),
			       FLOW(0, HASNT(TA_F_CAPTURING), HAS(TA_F_AWAIT_SERVER)), OPEN(1),
			       SEND(CLI, ACK, .flow = 1, BIG_HELLO_PART(0, 1428)),
			       SEND(CLI, ACK, .flow = 1, BIG_HELLO_PART(1428, 1428)),
			       FLOW(1, HAS(TA_F_CAPTURING)),
			       SEND(CLI, ACK | PSH, .flow = 1, BIG_HELLO_FROM(2856)),
			       EVENTS(EV(1, TA_V_TLS)), RECORDS(REC_CLIENT(1, PL_BIG_HELLO)),
			       FLOW(1, HASNT(TA_F_CAPTURING), HAS(TA_F_AWAIT_SERVER)),
			       SEND(SRV, ACK | PSH, .flow = 1, TXT("\x16\x03\x03\x00\x5a\x02")),
			       RECORDS(REC_SERVER(1, 6))),
	},

	/* ---- what --enforce is for; each runs audit-only too, where all passes ---- */

	{
		.name = "blocked flow: its bytes reset both ways, bare ACKs pass",
		.flow = { { .isn = 2000 } },
		.steps = STEPS(OPEN(0), NO_EVENTS, SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), STAT2(BLOCKED_PKTS, 0, 1),
			       FLOW_IN(M_ENF, 0, VERDICT(TA_V_PLAINTEXT_HTTP), HAS(TA_F_BLOCKED)),
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF),
			       SEND(CLI, ACK | PSH, TXT("more"), BLOCK_ENF), SEND(CLI, ACK, AT(0)),
			       SEND(SRV, ACK), SEND(SRV, ACK | PSH, TXT("HTTP/1.1 400"), BLOCK_ENF),
			       NO_EVENTS, STAT2(BLOCKED, 0, 1), STAT2(BLOCKED_PKTS, 0, 4)),
	},
	{
		/* an end can be forged: a blocked flow is replaced only once the
		 * server took the new SYN (its SYN-ACK acks it), never by the SYN */
		.name = "forged RST, then a SYN with a new ISN: the blocked flow stays blocked",
		.modes = M_ENF,
		.flow = { { .isn = 2070 } },
		.steps = STEPS(
			OPEN(0), SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), SEND(CLI, RST | ACK, AT(0)),
			SEND(CLI, SYN, .isn = 55555, TXT("\x16\x03\x01\x00\xfa\x01"), BLOCK_ENF),
			FLOW(0, VERDICT(TA_V_PLAINTEXT_HTTP), HAS(TA_F_BLOCKED | TA_F_ALT_SYN)),
			SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF), NO_EVENTS,
			STAT(SYNS_IN_FLOW, 1), STAT(FLOWS_NEW, 1)),
	},
	{
		/* the programs' own count: the host build sends nothing */
		.name = "blocked: each dropped packet with bytes gets one RST, counted; an RST gets none",
		.modes = M_ENF,
		.hooks = H_KERNEL,
		.flow = { { .isn = 2050 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)),
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF), SEND(CLI, ACK),
			       SEND(CLI, RST | ACK, TXT("x"), DROP_ENF), STAT(RESETS, 2),
			       STAT(RESET_FAILURES, 0), STAT(BLOCKED_PKTS, 3)),
	},
	{
		/* A client that sends its request and FIN at once (shutdown(SHUT_WR)):
		 * the bare FIN may pass; the server SACKs it and the client retransmits
		 * the request, which must not pass as a "midstream" flow. (Seen
		 * end-to-end: tests/e2e/test_gateway.sh py_halfclose_blocked_*.) */
		.name = "blocked flow stays blocked after the client's FIN",
		.flow = { { .isn = 2100 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)),
			       SEND(CLI, FIN | ACK, .either = 1),
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF),
			       SEND(CLI, ACK | PSH | FIN, AT(0), GET, BLOCK_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PLAINTEXT_HTTP)),
			       FLOW_IN(M_ENF, 0, HAS(TA_F_BLOCKED)), STAT(MIDSTREAM, 0)),
	},
	{
		.name = "GET and FIN in one segment, retransmitted: dropped",
		.flow = { { .isn = 2200, .spec.v6 = 1 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH | FIN, GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)),
			       SEND(CLI, ACK | PSH | FIN, AT(0), GET, BLOCK_ENF),
			       SEND(CLI, ACK | PSH | FIN, AT(0), GET, BLOCK_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PLAINTEXT_HTTP)), STAT(MIDSTREAM, 0)),
	},
	{
		/* A stray or forged RST/FIN before the first payload (out of the
		 * server's window, so the connection lives on): auditing, the flow
		 * ends and its bytes are midstream; enforcing, it must not make the
		 * plaintext pass as midstream. */
		/* auditing, bytes after the close are late packets of an ended flow
		 * (its tombstone says so): no second flow; enforcing, they are
		 * judged as the flow's first, since a close can be forged */
		.name = "RST or FIN before the first payload opens no bypass",
		.flow = { { .isn = 2150 }, { .isn = 2160, .spec.v6 = 1 } },
		.steps = STEPS(OPEN(0), SEND(CLI, RST, AT(0)), NO_FLOW_IN(M_AUDIT, 0),
			       FLOW_IN(M_ENF, 0, VERDICT(TA_V_PENDING)),
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF), EVENTS_IN(M_AUDIT),
			       EVENTS_IN(M_ENF, EV_B(0, TA_V_PLAINTEXT_HTTP)), OPEN(1),
			       SEND(CLI, FIN | ACK, .flow = 1, AT(0)),
			       SEND(CLI, ACK | PSH, .flow = 1, AT(0), GET, BLOCK_ENF),
			       EVENTS_IN(M_AUDIT), EVENTS_IN(M_ENF, EV_B(1, TA_V_PLAINTEXT_HTTP)),
			       STAT(FLOWS_NO_PAYLOAD, 2), STAT(MIDSTREAM, 0),
			       STAT2(LATE_PKTS, 2, 0)),
	},
	{
		/* RFC 5961: a stack takes an RST only at its sender's next sequence
		 * number, a FIN only in order; anything else is forged or stale */
		.name = "an RST or FIN off its sender's sequence ends nothing; one on it does",
		.flow = { { .isn = 2170 }, { .isn = 2180, .spec.v6 = 1 } },
		.steps = STEPS(OPEN(0), SEND(CLI, RST, AT(1000000)), SEND(SRV, RST | ACK, AT(7)),
			       SEND(CLI, FIN | ACK, AT(100000)), SEND(SRV, FIN | ACK, AT(100000)),
			       FLOW(0, VERDICT(TA_V_PENDING)), STAT(CLOSES_IGNORED, 4),
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), OPEN(1),
			       SEND(CLI, ACK | PSH, .flow = 1, HELLO), EVENTS(EV(1, TA_V_TLS)),
			       SEND(CLI, RST | ACK, .flow = 1, AT(3)), FLOW(1, VERDICT(TA_V_TLS)),
			       SEND(SRV, RST, .flow = 1), NO_FLOW(1), STAT(CLOSES_IGNORED, 5),
			       STAT(FLOWS_DELETED, 1)),
	},
	{
		.name = "ClientHello then application data: all passes, never blocked",
		.flow = { { .isn = 2300 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       SEND(CLI, ACK | PSH, TXT("\x17\x03\x03\x00\x01z")),
			       SEND(SRV, ACK | PSH, TXT("\x16\x03\x03\x00\x01z")), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_TLS), HASNT(TA_F_BLOCKED)), STAT(BLOCKED, 0),
			       STAT(BLOCKED_PKTS, 0)),
	},
	{
		.name = "vlan ipv6 ClientHello passes, vlan ipv6 GET is blocked",
		.flow = { { .isn = 2400, .spec.v6 = 1, .spec.vlan = 1 },
			  { .isn = 2410, .spec.v6 = 1, .spec.vlan = 1 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO), EVENTS(EV(0, TA_V_TLS)),
			       OPEN(1), SEND(CLI, ACK | PSH, .flow = 1, GET, BLOCK_ENF),
			       EVENTS(EV_B(1, TA_V_PLAINTEXT_HTTP))),
	},
	{
		/* the client retransmits the held bytes together with what follows */
		.name = "undecided record header is held, then the whole ClientHello passes",
		.flow = { { .isn = 2500 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, HELLO_PART(0, 5), DROP_ENF), NO_EVENTS,
			       FLOW(0, VERDICT(TA_V_PENDING), PEEK(5)),
			       SEND(CLI, ACK | PSH, AT(0), HELLO), EVENTS(EV(0, TA_V_TLS)),
			       RECORDS(REC_HELLO(0)), STAT(BLOCKED, 0), STAT2(BLOCKED_PKTS, 0, 1)),
	},
	{
		.name = "undecided \"GE\" is held, then the GET is blocked",
		.flow = { { .isn = 2600 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, TXT("GE"), DROP_ENF), NO_EVENTS,
			       SEND(CLI, ACK | PSH, AT(0), GET, BLOCK_ENF),
			       EVENTS(EV_B(0, TA_V_PLAINTEXT_HTTP)), STAT2(BLOCKED, 0, 1),
			       STAT2(BLOCKED_PKTS, 0, 2)),
	},
	{
		.name = "allowed IPv4 server (/32 as 96+32): GET passes, its neighbour's does not",
		.flow = { { .isn = 2700, .spec.srv = "10.203.9.77", .allowed = 1 },
			  { .isn = 2710, .spec.srv = "10.203.9.78" } },
		.steps = STEPS(
			OPEN(0), SEND(CLI, ACK | PSH, GET), EVENTS(EV(0, TA_V_PLAINTEXT_HTTP)),
			SEND(CLI, ACK | PSH, GET), NO_EVENTS,
			FLOW(0, VERDICT(TA_V_PLAINTEXT_HTTP), HASNT(TA_F_BLOCKED)),
			STAT(BLOCKED, 0), OPEN(1), SEND(CLI, ACK | PSH, .flow = 1, GET, BLOCK_ENF),
			EVENTS(EV_B(1, TA_V_PLAINTEXT_HTTP)), STAT2(BLOCKED, 0, 1)),
	},
	{
		.name = "allowed IPv6 server (/128): GET passes",
		.flow = { { .isn = 2800,
			    .spec.v6 = 1,
			    .spec.srv = "fd00:203:9::77",
			    .allowed = 1 } },
		.steps = STEPS(OPEN(0), SEND(CLI, ACK | PSH, GET),
			       EVENTS(EV(0, TA_V_PLAINTEXT_HTTP)),
			       FLOW(0, VERDICT(TA_V_PLAINTEXT_HTTP), HASNT(TA_F_BLOCKED)),
			       STAT(BLOCKED, 0)),
	},

	/* last: what the whole run left on this instance */
	{
		.name = "stats: no ring-buffer drops, no insert failures",
		.steps = STEPS(TOTAL(RINGBUF_DROPS, 0), TOTAL(FLOW_INSERT_FAIL, 0),
			       TOTAL_IN(M_AUDIT, BLOCKED, 0), TOTAL_IN(M_AUDIT, BLOCKED_PKTS, 0)),
	},
};

#endif /* CASES_H */
