// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_flow.c - libFuzzer harness for the flow machine (bpf/ta_flow.h) through
 * its host build (user/capture/hostflow.c). The input is a configuration and a
 * sequence of packets on a few fixed endpoints; the harness keeps its own
 * model of every flow (epochs, verdicts, client bytes, capture records) and
 * aborts with a message, and the packets so far, when the machine breaks an
 * invariant. The format, the model and the invariants are described in
 * tests/fuzz/README.flow.md.
 *
 * Built twice by tests/fuzz/fuzz.mk: the fuzzer (build/fuzz/fuzz_flow),
 * and with -DTA_FLOW_TOOL a tool (build/fuzz/flow_decode) that prints an
 * input as a packet list and runs it verbosely (flow_decode FILE...), or
 * turns such a list back into an input (flow_decode -e < list > input).
 *
 * Environment: TA_FUZZ_OFF=1,5r,...  invariants not to check (see inv_names);
 *              TA_FUZZ_ONLY=1d       check only these (to minimise one crash);
 *              TA_FUZZ_LAX_SYN=1     a client SYN with FIN or RST may start a
 *                                    new flow too, as the machine lets it;
 *              TA_FUZZ_DECODE=1      the fuzzer prints what it runs, like the tool.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/hostflow.h"
#include "ta_classify.h"
#include "ta_frames.h"

/* enum ta_action of bpf/ta_flow.h, which cannot be included without its
 * environment: what ta_hostflow_frame() returns */
#define TA_PASS 0
#define TA_DROP 1
#define TA_RESET 3 /* dropped, and its sender answered with an RST */

/* ---- the dictionary of payloads ---- */

struct entry {
	const char *name;
	const __u8 *b;
	__u32 len;
};

/* the captured handshakes (tests/fixtures/tls), as fuzz.mk generates them */
static const struct entry fixtures[] = {
#include "flow_fixtures.h"
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static __u8 quic1[1200], quic2[1200], big_tls[20000], sslv2[48];
static const char http_get[] = "GET / HTTP/1.1\r\nHost: srv.test\r\n\r\n";
static const char h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static const char ssh[] = "SSH-2.0-x\r\n";
static const char text[] = "hello, server\n";
static const char http_resp[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
static const __u8 tls_alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };

#define MAX_ENTRIES 32
static struct entry dict[MAX_ENTRIES];
static unsigned n_dict;

static void dict_add(const char *name, const void *b, __u32 len)
{
	if (n_dict < MAX_ENTRIES)
		dict[n_dict++] = (struct entry){ name, b, len };
}

static void dict_init(void)
{
	unsigned i;

	for (i = 0; i < N_FIXTURES; i++)
		dict_add(fixtures[i].name, fixtures[i].b, fixtures[i].len);
	dict_add("http-get", http_get, sizeof(http_get) - 1);
	dict_add("h2-preface", h2_preface, sizeof(h2_preface) - 1);
	dict_add("ssh", ssh, sizeof(ssh) - 1);
	dict_add("text", text, sizeof(text) - 1);
	/* QUIC v1 Initial: long header, type 0, 8-byte DCID, no SCID, no token */
	memcpy(quic1, "\xc3\x00\x00\x00\x01\x08\x83\x94\xc8\xf0\x3e\x51\x57\x08\x00\x00\x44\x9e",
	       18);
	dict_add("quic-v1", quic1, sizeof(quic1));
	/* QUIC v2 Initial: type 1 in v2 (RFC 9369) */
	memcpy(quic2, "\xd3\x6b\x33\x43\xcf\x08\x83\x94\xc8\xf0\x3e\x51\x57\x08\x00\x00\x44\x9e",
	       18);
	dict_add("quic-v2", quic2, sizeof(quic2));
	/* an SSLv2-compatible ClientHello */
	memcpy(sslv2, "\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10", 11);
	dict_add("sslv2", sslv2, sizeof(sslv2));
	/* a ClientHello announcing more than the capture takes (16 KiB) */
	memcpy(big_tls, "\x16\x03\x01\x40\x00\x01\x00\x4e\x20\x03\x03", 11);
	dict_add("big-tls", big_tls, sizeof(big_tls));
	dict_add("http-resp", http_resp, sizeof(http_resp) - 1);
	dict_add("tls-alert", tls_alert, sizeof(tls_alert));
}

static const __u8 fill_bytes[4] = { 0x00, 'A', 0x16, 0xff };

/* ---- endpoints: the flows a packet can belong to ---- */

#define N_EP 8
#define N_SLOTS (2 * N_EP)
#define WATCHED 443
#define MSS 1460
#define MAX_PKTS 128

static const struct flow_spec eps[N_EP] = {
	{ .cli = "10.0.0.1", .srv = "10.0.0.2", .cport = 40000, .sport = 443 },
	{ .cli = "10.0.0.1", .srv = "10.0.0.2", .cport = 40001, .sport = 443 },
	{ .v6 = 1, .ext_hdr = 1, .cli = "fd00::1", .srv = "fd00::2", .cport = 40000, .sport = 443 },
	{ .ip_opts = 1, .cli = "10.0.0.3", .srv = "10.0.0.4", .cport = 40000, .sport = 443 },
	{ .udp = 1, .cli = "10.0.0.1", .srv = "10.0.0.2", .cport = 40000, .sport = 443 },
	{ .udp = 1, .v6 = 1, .cli = "fd00::1", .srv = "fd00::2", .cport = 40002, .sport = 443 },
	/* not watched: the machine must leave it alone */
	{ .cli = "10.0.0.1", .srv = "10.0.0.2", .cport = 40000, .sport = 8080 },
	/* both ports watched: each direction is a client to the machine */
	{ .vlan = 2, .cli = "10.0.0.1", .srv = "10.0.0.5", .cport = 443, .sport = 443 },
};

/* The ISN of endpoint e, direction d, generation g: near the wrap for
 * endpoint 0, zero (what a midstream entry holds) for endpoint 1. */
static __u32 isn_of(unsigned e, unsigned d, unsigned g, __u8 seed)
{
	static const __u32 base[N_EP] = { 0xffffff80u, 0, 0x12345678u, 0x7ffffff0u,
					  0,	       0, 0x0badf00du, 0xc0ffee00u };
	return base[e] + d * 0x40000000u + g * 0x01000193u + seed * 0x9e3779b1u;
}

/* --allow choices: the server prefixes exempt from --enforce */
static const struct {
	const char *cidr;
	__u8 addr[16];
	__u32 bits;
} allows[4] = {
	{ "10.0.0.2/32", { [10] = 0xff, [11] = 0xff, 10, 0, 0, 2 }, 128 },
	{ "10.0.0.4/32", { [10] = 0xff, [11] = 0xff, 10, 0, 0, 4 }, 128 },
	{ "fd00::/16", { 0xfd, 0x00 }, 16 },
	{ "10.0.0.0/24", { [10] = 0xff, [11] = 0xff, 10, 0, 0, 0 }, 120 },
};

static const __u32 table_sizes[8] = { 1, 2, 3, 4, 6, 8, 16, 64 };

/* one endpoint and direction: its frame headers, and the machine's view */
struct tmpl {
	__u8 b[128];
	__u32 hdr_len, ip_off, l4_off;
	int v6, udp, ext;
	int slot; /* the machine's flow key, -1 when no port is watched */
	int c2s;  /* the machine takes the packet for the client's */
};

static struct tmpl tmpls[N_EP][2];

/* ---- the model: what the harness knows of each flow key ---- */

struct slot {
	struct ta_flow_key key;
	int used, udp, allowed, touched, present;
	/* the current epoch: one flow on this key */
	unsigned epoch;
	int has_isn;
	__u32 last_syn; /* the client's last SYN: what a server's SYN-ACK acks */
	__u32 alt_isn;	/* has_alt: a new SYN on a blocked flow, not taken yet */
	int has_alt;
	__u32 isn;
	int events, event_pkt;
	__u8 verdict, peek_len, peek[TA_PEEK_LEN];
	int closed_pkt;	     /* the machine deleted the entry at this packet, or -1 */
	int stale;	     /* the machine kept the old flow when this one started */
	int synfin;	     /* the machine started over on a SYN with FIN or RST */
	int payload_pkt;     /* first client payload (not on a SYN) while the entry was there */
	int upayload_pkt;    /* first client payload (not on a SYN) while it was not */
	int syn_payload_pkt; /* first client payload on a SYN, or -1 */
	/* the client's first bytes as sent (first copy wins), for invariant 6 */
	__u8 sb[TA_PEEK_LEN];
	__u16 sb_mask;
	int sb_conflict;
	/* capture records of the epoch */
	__u32 cap_next, cap_bytes, cap_end;
	int cap_recs, cap_done, srv_data, srv_close;
};

static int n_slots;
static struct slot slot0[N_SLOTS]; /* keys, filled once */

/* One decoded packet, kept to print the sequence when something breaks. */
struct pkt {
	__u8 ep, dir, flags, newisn, seqmode, kind, sel;
	__s32 seqarg;
	__u32 seq, isn;
	__s32 rel;
	__u32 len, lcode, src_off;
	unsigned gen;
	const __u8 *raw;
	int rc;	   /* TA_PASS, TA_DROP (TA_RESET too), or unparsed */
	int reset; /* TA_RESET: dropped and answered with an RST */
};

enum inv {
	INV_1,
	INV_1D,
	INV_1F,
	INV_1S,
	INV_2,
	INV_2D,
	INV_3,
	INV_3A,
	INV_3B,
	INV_3C,
	INV_3S,
	INV_3R,
	INV_4,
	INV_4S,
	INV_5,
	INV_5U,
	INV_5R,
	INV_5S,
	INV_6,
	INV_C,
	INV_R,
	INV_MAX
};

static const char *const inv_names[INV_MAX] = {
	[INV_1] = "1",	 [INV_1D] = "1d", [INV_1F] = "1f", [INV_1S] = "1s", [INV_2] = "2",
	[INV_2D] = "2d", [INV_3] = "3",	  [INV_3A] = "3a", [INV_3B] = "3b", [INV_3C] = "3c",
	[INV_3S] = "3s", [INV_3R] = "3r", [INV_4] = "4",   [INV_4S] = "4s", [INV_5] = "5",
	[INV_5U] = "5u", [INV_5R] = "5r", [INV_5S] = "5s", [INV_6] = "6",   [INV_C] = "C",
	[INV_R] = "R",
};

static const char *const inv_text[INV_MAX] = {
	[INV_1] = "at most one flow event per flow",
	[INV_1D] = "at most one flow event per flow, also after the machine closed it",
	[INV_1F] = "a client SYN that also carries FIN or RST starts no new flow",
	[INV_1S] = "a client SYN with a new ISN starts a new flow",
	[INV_2] = "a verdict never changes within a flow",
	[INV_2D] = "a verdict never changes within a flow, also after the machine closed it",
	[INV_3] = "enforcing, no client byte of a non-TLS/QUIC or undecided flow passes",
	[INV_3A] = "enforcing, packets to allowed servers are never dropped",
	[INV_3B] = "enforcing, passed client bytes agree with the classified first bytes",
	[INV_3C] =
		"only client packets, and bytes of blocked flows, are dropped; only when enforcing",
	[INV_3S] = "enforcing, no undecided client byte on a SYN passes",
	[INV_3R] = "an RST answers only a TCP packet with bytes of a blocked flow, never an RST",
	[INV_4] = "state and capture records are bounded",
	[INV_4S] = "at most one server chunk and one close record per flow",
	[INV_5] = "a flow with client payload gets its event",
	[INV_5U] = "a flow with client payload gets its event, also if the machine held no entry",
	[INV_5R] = "a flow with client payload gets its event before a new SYN replaces it",
	[INV_5S] = "a flow whose client payload came on a SYN gets its event",
	[INV_6] = "the bytes classified are the client's first bytes, all of those seen at a close",
	[INV_C] = "capture records are contiguous and agree with the classified bytes",
	[INV_R] = "records are well formed and carry the packet's flow key",
};

static const char *const vnames[TA_V_MAX] = {
	"pending", "tls",     "plaintext_http", "plaintext", "ssh",
	"quic",	   "unknown", "midstream",	"sslv2",
};

static const char *vname(unsigned v)
{
	return v < TA_V_MAX ? vnames[v] : "?";
}

/* the whole run; static so that a run allocates nothing per packet */
static struct run {
	struct ta_hostflow *hf;
	int enforce, allow, egress;
	__u32 max_flows;
	__u8 isn_seed;
	__u32 align; /* the frame starts this many bytes past an aligned address */
	struct slot s[N_SLOTS];
	unsigned gen[N_EP][2];
	__u32 next[N_EP][2];
	struct pkt *p; /* pkts[], not cleared per run */
	int n;	       /* packets decoded */
	int cur;       /* the packet being judged */
	int cur_slot;
	int records; /* records during this packet */
	/* a packet that starts a new flow: its records (the machine finishing the
	 * old flow's capture before it starts over) belong to the old one */
	int use_old;
	struct slot old;
	int failed;
} R;

static struct pkt pkts[MAX_PKTS];
static int off[INV_MAX], lax_syn, verbose, tool;
static __u8 ports[TA_PORT_BITMAP_LEN];
static __u8 frame_buf[2048 + 8] __attribute__((aligned(8)));
static __u8 *frame = frame_buf;

/* ---- printing ---- */

static void flag_str(__u8 f, char *o)
{
	static const char l[] = "FSRPAUEC";
	int i, n = 0;

	for (i = 0; i < 8; i++)
		if (f & (1u << i))
			o[n++] = l[i];
	if (!n)
		o[n++] = '-';
	o[n] = 0;
}

/* The packet in the encoder's syntax, then what it means. */
static void print_pkt(FILE *o, const struct pkt *p, int i)
{
	const struct flow_spec *e = &eps[p->ep];
	const struct tmpl *t = &tmpls[p->ep][p->dir];
	char fl[9], seq[32] = "", pay[96] = "";
	unsigned k;

	flag_str(p->flags, fl);
	if (p->seqmode == 0)
		snprintf(seq, sizeof(seq), " seq=auto");
	else if (p->seqmode == 3)
		snprintf(seq, sizeof(seq), " seq=0x%08x", p->seq);
	else
		snprintf(seq, sizeof(seq), " seq=%+d", p->seqarg);
	if (p->kind == 1 && p->lcode)
		snprintf(pay, sizeof(pay), " stream=%s:%u", dict[p->sel % n_dict].name, p->lcode);
	else if (p->kind == 1)
		snprintf(pay, sizeof(pay), " stream=%s", dict[p->sel % n_dict].name);
	else if (p->kind == 2 && p->lcode)
		snprintf(pay, sizeof(pay), " prefix=%s:%u", dict[p->sel % n_dict].name, p->lcode);
	else if (p->kind == 2)
		snprintf(pay, sizeof(pay), " prefix=%s", dict[p->sel % n_dict].name);
	else if (p->kind == 4)
		snprintf(pay, sizeof(pay), " fill=%02x*%u", fill_bytes[p->sel & 3],
			 p->lcode ? p->lcode * 8 : MSS);
	fprintf(o, "%u %c %s%s%s%s", p->ep, p->dir ? 's' : 'c', fl, p->newisn ? " new" : "", seq,
		pay);
	if (p->kind == 3 && p->len) {
		fprintf(o, " raw=");
		for (k = 0; k < p->len; k++)
			fprintf(o, "%02x", p->raw[k]);
	}
	fprintf(o, "\n\t# #%d %s:%u > %s:%u %s", i, p->dir ? e->srv : e->cli,
		p->dir ? e->sport : e->cport, p->dir ? e->cli : e->srv,
		p->dir ? e->cport : e->sport, e->udp ? "udp" : "tcp");
	if (!e->udp && p->rel == -1)
		fprintf(o, " seq=%08x (isn of gen %u)", p->seq, p->gen);
	else if (!e->udp)
		fprintf(o, " seq=%08x (gen %u, offset %d)", p->seq, p->gen, p->rel);
	fprintf(o, " len=%u", p->len);
	if (p->kind == 1 || p->kind == 2)
		fprintf(o, " (%s[%u..%u])", dict[p->sel % n_dict].name, p->src_off,
			p->src_off + p->len);
	if (t->slot < 0)
		fprintf(o, " [not watched]");
	else
		fprintf(o, " [key %d, %s]", t->slot, t->c2s ? "client" : "server");
	if (p->rc != -2)
		fprintf(o, " -> %s",
			p->rc == TA_PASS   ? "PASS"
			: p->reset	   ? "RESET"
			: p->rc == TA_DROP ? "DROP"
					   : "UNPARSED");
	fprintf(o, "\n");
}

static void print_cfg(FILE *o)
{
	fprintf(o, "cfg flows=%u%s", R.max_flows, R.enforce ? " enforce" : "");
	if (R.allow >= 0)
		fprintf(o, " allow=%d", R.allow);
	fprintf(o, "%s isn=%u", R.egress ? " egress" : "", R.isn_seed);
	if (R.align)
		fprintf(o, " align=%u", R.align);
	fprintf(o, "\n");
	if (R.allow >= 0)
		fprintf(o, "\t# --allow %s\n", allows[R.allow].cidr);
}

static void violation(enum inv which, const char *fmt, ...)
{
	va_list ap;
	int i;

	if (off[which])
		return;
	R.failed++;
	/* printed where the packets go, and on stderr for the fuzzer's log */
	for (i = 0; i < 1 + (verbose && !tool); i++) {
		FILE *o = i || !verbose ? stderr : stdout;

		fprintf(o,
			"fuzz_flow: invariant %s violated at packet #%d (%s): ", inv_names[which],
			R.cur, inv_text[which]);
		va_start(ap, fmt);
		vfprintf(o, fmt, ap);
		va_end(ap);
		fprintf(o, "\n");
		fflush(o);
	}
	if (tool)
		return; /* the tool prints the whole run and goes on */
	fprintf(stderr, "fuzz_flow: the packets so far:\n");
	print_cfg(stderr);
	for (i = 0; i <= R.cur && i < R.n; i++)
		print_pkt(stderr, &R.p[i], i);
	abort();
}

/* ---- the model's bookkeeping ---- */

static void epoch_reset(struct slot *s)
{
	s->epoch++;
	s->has_isn = 0;
	s->isn = 0;
	s->events = 0;
	s->event_pkt = -1;
	s->verdict = 0;
	s->peek_len = 0;
	s->payload_pkt = -1;
	s->syn_payload_pkt = -1;
	s->upayload_pkt = -1;
	s->closed_pkt = -1;
	s->stale = 0;
	s->synfin = 0;
	s->sb_mask = 0;
	s->sb_conflict = 0;
	s->cap_next = s->cap_bytes = s->cap_end = 0;
	s->cap_recs = s->cap_done = s->srv_data = s->srv_close = 0;
}

enum end_why {
	END_RESTART,
	END_EVICTED,
	END_INPUT
};

/* Invariant 5: a flow whose client sent bytes was reported by the time it
 * ends, unless an eviction forgot it (or, at the end of the input, it still
 * waits for more bytes). */
static void check_reported(const struct slot *s, int sn, enum end_why why)
{
	const char *what = why == END_RESTART ? "a new SYN replaces the flow" : "the input ends";

	/* (a flow the machine never started is invariant 1s's) */
	if (s->events || why == END_EVICTED || s->stale || s->synfin)
		return;
	/* (bytes after the flow's entry was deleted are late: they belong to a
	 * flow that ended, whose tombstone says so) */
	if (s->payload_pkt < 0 && s->closed_pkt >= 0 &&
	    (s->upayload_pkt < 0 || s->closed_pkt < s->upayload_pkt) &&
	    (s->syn_payload_pkt < 0 || s->closed_pkt < s->syn_payload_pkt))
		return;
	if (s->payload_pkt < 0 && s->upayload_pkt >= 0)
		violation(INV_5U,
			  "key %d: client payload at packet #%d on no entry, no event, "
			  "and %s",
			  sn, s->upayload_pkt, what);
	else if (s->payload_pkt < 0 && s->syn_payload_pkt >= 0)
		violation(INV_5S,
			  "key %d: client payload on the SYN of packet #%d, no event, and %s", sn,
			  s->syn_payload_pkt, what);
	else if (s->payload_pkt < 0)
		return;
	else if (why == END_RESTART)
		violation(INV_5R, "key %d: client payload since packet #%d, no event, and %s", sn,
			  s->payload_pkt, what);
	else
		violation(INV_5, "key %d: client payload since packet #%d, no event, and %s%s", sn,
			  s->payload_pkt, what, s->present ? "" : " (no entry)");
}

/* The epoch on this key is over: replaced by a new SYN, or evicted. */
static void epoch_end(struct slot *s, int sn, enum end_why why)
{
	/* (a flow a new SYN replaces is reported while the machine takes that
	 * SYN: judge() checks it after the packet) */
	if (why != END_RESTART)
		check_reported(s, sn, why);
	if (verbose && why == END_EVICTED)
		printf("\t= key %d evicted: its flow is forgotten\n", sn);
	else if (verbose && (s->has_isn || s->events || s->payload_pkt >= 0))
		printf("\t= key %d: a new flow starts\n", sn);
	epoch_reset(s);
}

static int prefix_match(const __u8 *a, const __u8 *p, __u32 bits)
{
	__u32 i;

	for (i = 0; i < bits; i++)
		if ((a[i / 8] ^ p[i / 8]) & (0x80 >> (i % 8)))
			return 0;
	return 1;
}

/* ---- records ---- */

/* Invariant 6, on a TCP flow whose ISN is known and whose client never sent
 * two different bytes for one offset: the bytes classified are the stream's
 * first bytes, and a flow judged at its close (on too few bytes to decide
 * before) is judged on every contiguous first byte it was shown. */
static void check_first_bytes(const struct slot *s, const struct ta_flow_event *ev)
{
	__u32 have, i, n = ev->peek_len;
	int v;

	if (s->udp || !s->has_isn || s->sb_conflict || s->stale || s->synfin ||
	    ev->verdict == TA_V_MIDSTREAM || n > TA_PEEK_LEN)
		return;
	for (have = 0; have < TA_PEEK_LEN && (s->sb_mask & (1u << have)); have++)
		;
	for (i = 0; i < n; i++)
		if (!(s->sb_mask & (1u << i))) {
			violation(INV_6,
				  "key %d: classified byte %u (%02x) is no byte of the "
				  "stream: only segments the server drops carried it",
				  R.cur_slot, i, ev->peek[i]);
			return;
		} else if (ev->peek[i] != s->sb[i]) {
			violation(INV_6, "key %d: classified byte %u is %02x, the stream's is %02x",
				  R.cur_slot, i, ev->peek[i], s->sb[i]);
			return;
		}
	/* decided at the close: the first bytes alone would have waited (when
	 * enforcing, bytes past a hole were dropped, not let by) */
	if (!R.enforce && n < have && ta_classify(ev->peek, n, 0) == TA_V_PENDING) {
		v = ta_classify(s->sb, have, 1);
		if (v != ev->verdict)
			violation(INV_6,
				  "key %d: %s from %u first bytes at the close, but %u were "
				  "seen, which say %s",
				  R.cur_slot, vname(ev->verdict), n, have, vname(v));
	}
}

static void check_flow_event(struct slot *s, const void *rec, size_t len)
{
	struct ta_flow_event ev;

	if (len != sizeof(ev)) {
		violation(INV_R, "a flow event of %zu bytes, not %zu", len, sizeof(ev));
		return;
	}
	memcpy(&ev, rec, sizeof(ev));
	if (verbose)
		printf("\t-> event %s flags=%#x peek_len=%u\n", vname(ev.verdict), ev.flags,
		       ev.peek_len);
	if (memcmp(&ev.key, &s->key, sizeof(ev.key)))
		violation(INV_R, "the flow event does not carry the packet's key %d", R.cur_slot);
	if (ev.verdict == TA_V_PENDING || ev.verdict >= TA_V_MAX)
		violation(INV_R, "a flow event with verdict %u", ev.verdict);
	if (ev.peek_len > TA_PEEK_LEN)
		violation(INV_R, "a flow event with peek_len %u", ev.peek_len);
	s->events++;
	if (s->events > 1 && s->synfin)
		violation(INV_1F,
			  "key %d: a second event, %s, after the machine started over on a "
			  "SYN with FIN or RST",
			  R.cur_slot, vname(ev.verdict));
	else if (s->events > 1 && s->closed_pkt >= 0)
		violation(INV_1D,
			  "key %d: a second event, %s; the first was %s at packet #%d, "
			  "and the entry was deleted at packet #%d",
			  R.cur_slot, vname(ev.verdict), vname(s->verdict), s->event_pkt,
			  s->closed_pkt);
	else if (s->events > 1)
		violation(INV_1, "key %d: a second event, %s; the first was %s at packet #%d",
			  R.cur_slot, vname(ev.verdict), vname(s->verdict), s->event_pkt);
	if (s->verdict && ev.verdict != s->verdict)
		violation(s->synfin	       ? INV_1F
			  : s->closed_pkt >= 0 ? INV_2D
					       : INV_2,
			  "key %d: an event "
			  "says %s, the flow was %s",
			  R.cur_slot, vname(ev.verdict), vname(s->verdict));
	if (!s->verdict && s->events == 1)
		check_first_bytes(s, &ev);
	if (!s->verdict) {
		s->verdict = ev.verdict;
		s->event_pkt = R.cur;
		s->peek_len = ev.peek_len <= TA_PEEK_LEN ? ev.peek_len : TA_PEEK_LEN;
		memcpy(s->peek, ev.peek, TA_PEEK_LEN);
	}
}

static void check_chunk(struct slot *s, const void *rec, size_t len, __u32 type)
{
	static struct ta_chunk_event ev;
	size_t hdr = offsetof(struct ta_chunk_event, data);
	__u32 i, end;

	if (len < hdr || len > sizeof(ev)) {
		violation(INV_R, "a capture record of %zu bytes", len);
		return;
	}
	memcpy(&ev, rec, len);
	if (verbose)
		printf("\t-> %s %s offset=%u len=%u cap_end=%u%s%s\n",
		       type == TA_EV_CLOSE ? "close" : "chunk",
		       ev.dir == TA_CHUNK_CLIENT ? "client" : "server", ev.offset, ev.len,
		       ev.cap_end, ev.flags & TA_CHUNK_F_LAST ? " LAST" : "",
		       ev.flags & TA_CHUNK_F_GAP ? " GAP" : "");
	if (len != hdr + ev.len || ev.len > TA_CHUNK_MAX) {
		violation(INV_R, "a capture record of %zu bytes says len %u", len, ev.len);
		return;
	}
	if (memcmp(&ev.key, &s->key, sizeof(ev.key)))
		violation(INV_R, "the capture record does not carry the packet's key %d",
			  R.cur_slot);
	if (type == TA_EV_CLOSE && (ev.len || ev.flags))
		violation(INV_R, "a close record with len %u flags %#x", ev.len, ev.flags);
	if (type == TA_EV_CHUNK && !ev.len && !ev.flags)
		violation(INV_R, "an empty chunk record without flags");
	if (ev.dir > TA_CHUNK_SERVER)
		violation(INV_R, "a capture record with dir %u", ev.dir);
	if (ev.offset > TA_CAP_MAX || ev.cap_end > TA_CAP_MAX)
		violation(INV_R, "a capture record at offset %u, cap_end %u (cap %u)", ev.offset,
			  ev.cap_end, TA_CAP_MAX);
	/* after a second event (invariant 1) the machine captures a flow it started
	 * over, which the model does not follow */
	if (s->events > 1 || s->synfin || s->stale)
		return;
	if (s->verdict != TA_V_TLS)
		violation(s->closed_pkt >= 0 ? INV_2D : INV_R,
			  "key %d: a capture record for a %s "
			  "flow",
			  R.cur_slot, vname(s->verdict));
	if (ev.dir == TA_CHUNK_SERVER) {
		if (ev.offset || ev.cap_end)
			violation(INV_R, "a server record at offset %u, cap_end %u", ev.offset,
				  ev.cap_end);
		if (type == TA_EV_CLOSE && ++s->srv_close > 1)
			violation(INV_4S, "key %d: close record #%d", R.cur_slot, s->srv_close);
		if (type == TA_EV_CHUNK && ++s->srv_data > 1)
			violation(INV_4S, "key %d: server chunk #%d", R.cur_slot, s->srv_data);
		return;
	}
	/* the client's capture: in order from 0, at most TA_CAP_MAX bytes, then done */
	if (s->cap_done)
		violation(INV_4, "key %d: a client record after the capture ended", R.cur_slot);
	if (!s->cap_recs++)
		s->cap_end = ev.cap_end;
	else if (ev.cap_end != s->cap_end)
		violation(INV_C, "key %d: cap_end %u, was %u", R.cur_slot, ev.cap_end, s->cap_end);
	if (ev.offset != s->cap_next)
		violation(INV_C, "key %d: a client record at offset %u, expected %u", R.cur_slot,
			  ev.offset, s->cap_next);
	end = ev.offset + ev.len;
	if (end > ev.cap_end)
		violation(INV_C, "key %d: a client record [%u, %u) past cap_end %u", R.cur_slot,
			  ev.offset, end, ev.cap_end);
	for (i = 0; i < ev.len && ev.offset + i < s->peek_len; i++)
		if (ev.data[i] != s->peek[ev.offset + i]) {
			violation(INV_C,
				  "key %d: the capture's byte %u is %02x, the classified "
				  "byte was %02x",
				  R.cur_slot, ev.offset + i, ev.data[i], s->peek[ev.offset + i]);
			break;
		}
	s->cap_bytes += ev.len;
	if (s->cap_bytes > TA_CAP_MAX)
		violation(INV_4, "key %d: %u client bytes captured", R.cur_slot, s->cap_bytes);
	s->cap_next = end;
	if (ev.flags & (TA_CHUNK_F_LAST | TA_CHUNK_F_GAP))
		s->cap_done = 1;
	if ((ev.flags & TA_CHUNK_F_LAST) && end != ev.cap_end)
		violation(INV_C, "key %d: the last client record ends at %u, cap_end %u",
			  R.cur_slot, end, ev.cap_end);
}

static void on_record(void *ctx, const void *rec, size_t len)
{
	struct slot *s;
	__u32 type;

	(void)ctx;
	R.records++;
	if (R.cur_slot < 0) {
		violation(INV_R, "a record for a packet on no watched port");
		return;
	}
	if (len < sizeof(type)) {
		violation(INV_R, "a %zu-byte record", len);
		return;
	}
	memcpy(&type, rec, sizeof(type));
	s = &R.s[R.cur_slot];
	/* A new SYN first ends the flow it replaces (its close, or the event
	 * of a flow still pending), then may judge its own data (Fast Open):
	 * a flow event is the old flow's only while that one still owes it
	 * (it has an entry, and client bytes),
	 * and what follows the new flow's event is the new flow's. */
	if (R.use_old && !s->events &&
	    (type != TA_EV_FLOW || (!R.old.events && R.old.present &&
				    (R.old.payload_pkt >= 0 || R.old.syn_payload_pkt >= 0))))
		s = &R.old;
	if (type == TA_EV_FLOW)
		check_flow_event(s, rec, len);
	else if (type == TA_EV_CHUNK || type == TA_EV_CLOSE)
		check_chunk(s, rec, len, type);
	else
		violation(INV_R, "a record of type %u", type);
}

/* ---- set-up ---- */

static void tmpl_init(void)
{
	struct ta_flow_key k;
	struct flow_spec sp;
	struct frame f;
	unsigned e, d;
	int i, dport, sport;

	ports[WATCHED / 8] |= 1u << (WATCHED % 8);
	for (e = 0; e < N_EP; e++) {
		for (d = 0; d < 2; d++) {
			struct tmpl *t = &tmpls[e][d];
			const struct flow_spec *s = &eps[e];

			build(&f, s, !d, 0, 0, "", 0);
			t->v6 = s->v6;
			t->udp = s->udp;
			t->ext = s->ext_hdr;
			t->ip_off = 14 + 4 * s->vlan;
			t->l4_off = t->ip_off +
				    (s->v6 ? 40 + (s->ext_hdr ? 16 : 0) : (s->ip_opts ? 32 : 20));
			t->hdr_len = t->l4_off + (s->udp ? 8 : 20);
			memcpy(t->b, f.b, t->hdr_len);
			/* the machine's view: towards a watched port is the client */
			dport = d ? s->cport : s->sport;
			sport = d ? s->sport : s->cport;
			t->slot = -1;
			if (dport != WATCHED && sport != WATCHED)
				continue;
			t->c2s = dport == WATCHED;
			sp = *s;
			if (t->c2s == !!d) { /* the machine's client is our server */
				sp.cli = s->srv;
				sp.srv = s->cli;
				sp.cport = s->sport;
				sp.sport = s->cport;
			}
			make_key(&k, &sp);
			for (i = 0; i < n_slots; i++)
				if (!memcmp(&slot0[i].key, &k, sizeof(k)))
					break;
			if (i == n_slots) {
				slot0[i].key = k;
				slot0[i].used = 1;
				slot0[i].udp = s->udp;
				n_slots++;
			}
			t->slot = i;
		}
	}
}

/* "1,5r": set off[] of the invariants named */
static void inv_list(const char *v, int to)
{
	const char *p;
	size_t n;
	int i;

	for (i = 0; v && i < INV_MAX; i++) {
		n = strlen(inv_names[i]);
		for (p = v; (p = strstr(p, inv_names[i])); p += n)
			if ((p == v || p[-1] == ',') && (p[n] == ',' || !p[n]))
				off[i] = to;
	}
}

static void init_once(void)
{
	static int done;
	int i;

	if (done)
		return;
	done = 1;
	dict_init();
	tmpl_init();
	inv_list(getenv("TA_FUZZ_OFF"), 1);
	if (getenv("TA_FUZZ_ONLY") && *getenv("TA_FUZZ_ONLY")) {
		for (i = 0; i < INV_MAX; i++)
			off[i] = 1;
		inv_list(getenv("TA_FUZZ_ONLY"), 0);
	}
	lax_syn = getenv("TA_FUZZ_LAX_SYN") && *getenv("TA_FUZZ_LAX_SYN") == '1';
	if (getenv("TA_FUZZ_DECODE") && *getenv("TA_FUZZ_DECODE") == '1')
		verbose = 1;
}

/* ---- decoding the input ---- */

struct cursor {
	const __u8 *b;
	size_t n, pos;
};

static int take(struct cursor *c, void *to, size_t n)
{
	if (c->n - c->pos < n)
		return -1;
	memcpy(to, c->b + c->pos, n);
	c->pos += n;
	return 0;
}

/* Decode packet i; its payload's bytes come back in *pay. */
static int decode_pkt(struct cursor *c, struct pkt *p, const __u8 **pay)
{
	__u8 h[2], b[4], lc;
	const struct entry *en;
	unsigned e, d;
	__u32 start;

	if (take(c, h, 2))
		return -1;
	memset(p, 0, sizeof(*p));
	p->rc = -2;
	p->ep = e = h[0] & 7;
	p->dir = d = (h[0] >> 3) & 1;
	p->newisn = (h[0] >> 4) & 1;
	p->seqmode = (h[0] >> 5) & 3;
	p->flags = h[1];
	if (p->seqmode == 1) {
		if (take(c, b, 1))
			return -1;
		p->seqarg = (__s8)b[0];
	} else if (p->seqmode == 2) {
		if (take(c, b, 2))
			return -1;
		p->seqarg = (__s16)(b[0] << 8 | b[1]);
	} else if (p->seqmode == 3) {
		if (take(c, b, 4))
			return -1;
		p->seqarg =
			(__s32)((__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3]);
	}
	if (h[0] & 0x80) {
		if (take(c, b, 1))
			return -1;
		p->kind = 1 + (b[0] >> 6);
		p->sel = b[0] & 63;
		if (p->kind == 3) {
			p->len = p->sel + 1;
			if (c->n - c->pos < p->len)
				p->len = c->n - c->pos;
			p->raw = c->b + c->pos;
			c->pos += p->len;
		} else if (take(c, &lc, 1)) {
			return -1;
		} else {
			p->lcode = lc;
		}
	}
	/* the generation and the sequence number */
	if (p->newisn) {
		R.gen[e][d]++;
		R.next[e][d] = 0;
	}
	p->gen = R.gen[e][d];
	p->isn = isn_of(e, d, p->gen, R.isn_seed);
	if (p->seqmode == 0)
		p->seq = (p->flags & SYN) ? p->isn : p->isn + 1 + R.next[e][d];
	else if (p->seqmode == 3)
		p->seq = (__u32)p->seqarg;
	else
		p->seq = p->isn + 1 + (__u32)p->seqarg;
	p->rel = (__s32)(p->seq - (p->isn + 1));
	/* the payload */
	*pay = p->raw;
	if (p->kind == 1 || p->kind == 2) {
		en = &dict[p->sel % n_dict];
		start = 0;
		if (p->kind == 1)
			start = (__u32)p->rel < en->len ? (__u32)p->rel : (__u32)p->rel % en->len;
		p->src_off = start;
		p->len = en->len - start;
		if (p->lcode && p->lcode < p->len)
			p->len = p->lcode;
		if (p->len > MSS)
			p->len = MSS;
		*pay = en->b + start;
	} else if (p->kind == 4) {
		p->len = p->lcode ? p->lcode * 8u : MSS;
		if (p->len > MSS)
			p->len = MSS;
		*pay = NULL;
	}
	if (tmpls[e][d].udp) {
		p->flags = 0;
		p->seq = 0;
	} else if (p->rel >= 0 && p->rel < 0x100000 && (__u32)p->rel + p->len > R.next[e][d]) {
		R.next[e][d] = p->rel + p->len;
	}
	return 0;
}

static __u32 build_frame(const struct tmpl *t, const struct pkt *p, const __u8 *pay, __u32 ack)
{
	__u32 n = t->hdr_len + p->len, l4 = t->l4_off, l3;

	memcpy(frame, t->b, t->hdr_len);
	if (pay)
		memcpy(frame + t->hdr_len, pay, p->len);
	else
		memset(frame + t->hdr_len, fill_bytes[p->sel & 3], p->len);
	if (t->v6) {
		put16(frame + t->ip_off + 4, n - t->ip_off - 40);
	} else {
		l3 = n - t->ip_off;
		put16(frame + t->ip_off + 2, l3);
	}
	if (t->udp) {
		put16(frame + l4 + 4, 8 + p->len);
	} else {
		put32(frame + l4 + 4, p->seq);
		put32(frame + l4 + 8, ack);
		frame[l4 + 13] = p->flags;
	}
	if (n < 60) { /* Ethernet padding: not payload */
		memset(frame + n, 0, 60 - n);
		n = 60;
	}
	return n;
}

/* ---- one packet through the machine, and the invariants around it ---- */

/* Does the server's TCP take this client segment's data? Not without ACK,
 * not with SYN (RFC 5961 4.2: a challenge ACK, and the segment dropped), not
 * with RST (its data is no stream). */
/* Would the server's TCP take this client segment's bytes? On an ACK, or on
 * the SYN itself (Fast Open); never on an RST, a SYN with FIN, nor a client's
 * SYN+ACK. */
static int takes_data(__u8 flags)
{
	if (flags & RST)
		return 0;
	return flags & SYN ? !(flags & (ACK | FIN)) : !!(flags & ACK);
}

/* Keep the first copy of each of the stream's first TA_PEEK_LEN bytes, as
 * the server's TCP would take them. */
static void note_first_bytes(struct slot *s, const struct pkt *p, const __u8 *pay)
{
	__u32 i, o;
	__u8 c;

	for (i = 0; i < p->len; i++) {
		o = p->seq + !!(p->flags & SYN) - (s->isn + 1) + i;
		if (o >= TA_PEEK_LEN)
			continue;
		c = pay ? pay[i] : fill_bytes[p->sel & 3];
		if (!(s->sb_mask & (1u << o))) {
			s->sb[o] = c;
			s->sb_mask |= 1u << o;
		} else if (s->sb[o] != c) {
			s->sb_conflict = 1;
		}
	}
}

/* Does a segment hold any byte at or past the stream's start? One wholly
 * before it (an old duplicate, or a sequence number far out of the window)
 * carries none of the flow's bytes. */
static int reaches_stream(const struct slot *s, const struct pkt *p)
{
	return !s->has_isn || (__s32)(p->seq + !!(p->flags & SYN) + p->len - (s->isn + 1)) > 0;
}

static void judge(struct pkt *p, const __u8 *pay)
{
	const struct tmpl *t = &tmpls[p->ep][p->dir];
	struct ta_frame_origin where = { .ifindex = 1, .is_egress = (__u8)R.egress };
	const struct ta_flow_state *st, *pre, *tomb;
	struct slot *s = NULL;
	__u64 ev0, ev1;
	__u32 flen, live, touched, i, want, v, ob;
	int syn_start = 0, synfin_new = 0, ev_before = 0, c2s = t->c2s, sn = t->slot, k, n_ev;
	__u32 start_isn = 0;
	int pre_pending = 0;
	int udp = t->udp;

	frame = frame_buf + R.align;
	/* a server's SYN-ACK acks the client's last SYN, as a stack's does */
	flen = build_frame(t, p, pay,
			   sn >= 0 && !c2s && (p->flags & (SYN | ACK | FIN | RST)) == (SYN | ACK)
				   ? R.s[sn].last_syn + 1
				   : 0);
	R.cur_slot = sn;
	R.records = 0;
	if (verbose)
		print_pkt(stdout, p, R.cur);
	if (sn >= 0) {
		s = &R.s[sn];
		s->touched = 1;
		synfin_new = !udp && c2s && !lax_syn && (p->flags & SYN) && !(p->flags & ACK) &&
			     (p->flags & (FIN | RST));
		/* (a SYN on a decided flow that has not ended is answered with a
		 * challenge ACK, RFC 5961: no new connection; whether the flow
		 * ended, the machine's entry says) */
		pre = ta_hostflow_lookup(R.hf, &s->key);
		tomb = pre ? NULL : ta_hostflow_tomb(R.hf, &s->key);
		pre_pending = pre && pre->verdict == TA_V_PENDING;
		start_isn = p->seq;
		if (!udp && c2s && (p->flags & SYN) && !(p->flags & (ACK | FIN | RST)))
			s->last_syn = p->seq;
		/* (a new SYN on a decided flow that has not ended, or on a blocked
		 * one, whose end can be forged, waits for the server's SYN-ACK:
		 * the server takes it only once the old connection is gone) */
		if (!udp && c2s && (p->flags & SYN) && !(p->flags & ACK) && !synfin_new &&
		    (!s->has_isn || s->isn != p->seq) && pre && pre->verdict != TA_V_PENDING &&
		    ((pre->flags & TA_F_BLOCKED) || !(pre->flags & TA_F_ENDED))) {
			s->alt_isn = p->seq;
			s->has_alt = 1;
		} else if (!udp && c2s && (p->flags & SYN) && !(p->flags & ACK) && !synfin_new &&
			   tomb && !((tomb->flags & TA_F_SYN_SEEN) && tomb->isn == p->seq)) {
			/* (on an ended flow's tombstone, too: its end can be forged) */
			s->alt_isn = p->seq;
			s->has_alt = 1;
		} else if (!udp && c2s && (p->flags & SYN) && !(p->flags & ACK) && !synfin_new &&
			   (!s->has_isn || s->isn != p->seq)) {
			syn_start = 1;
		} else if (!udp && !c2s && (p->flags & (SYN | ACK | FIN | RST)) == (SYN | ACK) &&
			   s->has_alt && pre && pre->verdict != TA_V_PENDING &&
			   (pre->flags & TA_F_ALT_SYN) && pre->alt_isn == s->alt_isn &&
			   s->last_syn == s->alt_isn) {
			syn_start = 1;
			start_isn = s->alt_isn;
		} else if (!udp && !c2s && (p->flags & (SYN | ACK | FIN | RST)) == (SYN | ACK) &&
			   tomb && (tomb->flags & TA_F_ALT_SYN) && tomb->alt_isn == s->last_syn) {
			syn_start = 1;
			start_isn = tomb->alt_isn;
		}
		if (syn_start) {
			s->has_alt = 0;
			R.old = *s;
			R.use_old = 1;
			epoch_end(s, sn, END_RESTART);
			s->has_isn = 1;
			s->isn = start_isn;
		}
		if (c2s && p->len && !udp && s->has_isn && takes_data(p->flags))
			note_first_bytes(s, p, pay);
		/* (bytes the server's TCP would drop are no payload of the flow) */
		if (c2s && p->len && (udp || (takes_data(p->flags) && reaches_stream(s, p)))) {
			if (!udp && (p->flags & SYN)) {
				if (s->syn_payload_pkt < 0)
					s->syn_payload_pkt = R.cur;
			} else if (s->present && s->payload_pkt < 0) {
				s->payload_pkt = R.cur;
			} else if (!s->present && s->upayload_pkt < 0) {
				s->upayload_pkt = R.cur;
			}
		}
	}
	ev0 = ta_hostflow_evictions(R.hf);
	if (s)
		ev_before = s->events;
	p->rc = ta_hostflow_frame(R.hf, TA_LINK_ETHERNET, frame, flen, flen,
				  1000000ull * (R.cur + 1), &where);
	p->reset = p->rc == TA_RESET;
	if (p->reset)
		p->rc = TA_DROP;
	R.use_old = 0;
	if (syn_start)
		check_reported(&R.old, sn, END_RESTART);
	if (verbose)
		printf("\t=> %s\n", p->rc == TA_PASS   ? "PASS"
				    : p->reset	       ? "RESET"
				    : p->rc == TA_DROP ? "DROP"
						       : "UNPARSED");
	if (p->rc == TA_FRAME_UNPARSED)
		violation(INV_R, "the frame was not parsed");
	if (sn < 0) {
		if (p->rc != TA_PASS)
			violation(INV_3C, "a packet on no watched port was dropped");
		return;
	}

	/* evictions forget flows: which, and were they counted */
	ev1 = ta_hostflow_evictions(R.hf);
	if (ev1 != ev0) {
		n_ev = 0;
		for (k = 0; k < n_slots; k++) {
			if (k == sn || !R.s[k].present || ta_hostflow_lookup(R.hf, &R.s[k].key))
				continue;
			R.s[k].present = 0;
			n_ev++;
			epoch_end(&R.s[k], k, END_EVICTED);
		}
		if ((__u64)n_ev != ev1 - ev0)
			violation(INV_R, "%llu evictions counted, %d entries gone",
				  (unsigned long long)(ev1 - ev0), n_ev);
	}

	st = ta_hostflow_lookup(R.hf, &s->key);
	if (!st && (s->present || ev_before != s->events))
		s->closed_pkt = R.cur; /* deleted, or made and deleted by this packet */
	if (synfin_new && st && st->verdict == TA_V_PENDING && st->isn == p->seq &&
	    (st->flags & TA_F_SYN_SEEN) && !(s->has_isn && s->isn == p->seq)) {
		s->synfin = 1;
		violation(INV_1F,
			  "key %d: the machine started a flow (isn %08x) on a SYN with "
			  "%s%s",
			  sn, p->seq, p->flags & FIN ? "FIN" : "",
			  (p->flags & (FIN | RST)) == (FIN | RST) ? " and RST"
			  : p->flags & RST			  ? "RST"
								  : "");
	}
	s->present = st != NULL;
	/* (data on the SYN, TCP Fast Open, is judged at once: the new flow may
	 * have its verdict, and its event, already) */
	if (syn_start && (!st || st->isn != start_isn || !(st->flags & TA_F_SYN_SEEN) ||
			  (st->verdict != TA_V_PENDING &&
			   !(p->len && s->events && st->verdict == s->verdict)))) {
		s->stale = 1;
		violation(INV_1S, "key %d: after the SYN (isn %08x) the entry is %s%s, isn %08x",
			  sn, start_isn, st ? "" : "gone", st ? vname(st->verdict) : "",
			  st ? st->isn : 0);
	}
	/* a verdict, once taken, stays: on the entry as in the events */
	k = s->stale ? INV_1S : s->synfin ? INV_1F : s->closed_pkt >= 0 ? INV_2D : INV_2;
	if (st && st->verdict != TA_V_PENDING && !s->verdict)
		violation(k, "key %d: the entry says %s, but this flow had no event", sn,
			  vname(st->verdict));
	else if (st && st->verdict != TA_V_PENDING && st->verdict != s->verdict)
		violation(k, "key %d: the entry says %s, the flow was %s", sn, vname(st->verdict),
			  vname(s->verdict));
	else if (st && st->verdict == TA_V_PENDING && s->verdict)
		violation(k, "key %d: the entry is pending again, the flow was %s%s", sn,
			  vname(s->verdict),
			  s->closed_pkt >= 0 ? " (the machine closed it before)" : "");

	/* enforcing: what passes */
	if (p->rc == TA_DROP && !R.enforce)
		violation(INV_3C, "a packet dropped without --enforce");
	else if (p->rc == TA_DROP && !c2s &&
		 !(pre_pending && !udp && p->len && !(p->flags & RST) && R.enforce) &&
		 !(p->len && st && (st->flags & TA_F_BLOCKED)))
		/* (enforcing, a server's bytes before the client's first wait:
		 * a TLS server never speaks first; a blocked flow's are reset) */
		violation(INV_3C, "a server packet (flags %#x, %u bytes) dropped", p->flags,
			  p->len);
	if (p->reset && (udp || !p->len || (p->flags & RST) || !st || !(st->flags & TA_F_BLOCKED)))
		violation(INV_3R,
			  "key %d: a %s packet (flags %#x, %u bytes) answered with an RST%s", sn,
			  udp ? "UDP" : "TCP", p->flags, p->len,
			  st && (st->flags & TA_F_BLOCKED) ? "" : ", its flow not blocked");
	if (p->rc == TA_DROP && s->allowed)
		violation(INV_3A, "key %d: a packet to an allowed server dropped (flow %s)", sn,
			  vname(s->verdict ? s->verdict
				: st	   ? st->verdict
					   : 0));
	if (R.enforce && c2s && p->len && p->rc == TA_PASS && !s->allowed) {
		want = udp ? TA_V_QUIC : TA_V_TLS;
		v = s->verdict ? s->verdict : st ? st->verdict : TA_V_PENDING;
		if (v != want && !udp && (p->flags & SYN) && !(p->flags & ACK))
			violation(INV_3S, "key %d: %u bytes on a SYN passed, flow %s", sn, p->len,
				  vname(v));
		else if (v != want)
			violation(s->stale    ? INV_1S
				  : s->synfin ? INV_1F
					      : INV_3,
				  "key %d: %u client bytes passed, flow %s", sn, p->len, vname(v));
		else if (!udp && s->has_isn && s->peek_len && s->events == 1 && !s->synfin &&
			 takes_data(p->flags))
			for (i = 0; i < p->len; i++) {
				ob = p->seq + !!(p->flags & SYN) - (s->isn + 1) + i;
				__u8 c = pay ? pay[i] : fill_bytes[p->sel & 3];

				if (ob < s->peek_len && c != s->peek[ob]) {
					violation(INV_3B,
						  "key %d: stream byte %u passed as %02x, "
						  "classified as %02x (%s)",
						  sn, ob, c, s->peek[ob], vname(v));
					break;
				}
			}
	}

	/* bounded state */
	live = ta_hostflow_live(R.hf);
	for (touched = 0, k = 0; k < n_slots; k++)
		touched += R.s[k].touched;
	/* (two tables: the proven flows', max_flows, and the new flows') */
	if (live > touched || live > R.max_flows + ta_new_flows_for(R.max_flows))
		violation(INV_4, "%u entries live, %u keys seen, tables of %u", live, touched,
			  R.max_flows + ta_new_flows_for(R.max_flows));
}

/* ---- one input ---- */

static void run_input(const __u8 *data, size_t size)
{
	struct ta_hostflow_config cfg = { .ports = ports };
	struct ta_allow_key ak;
	struct cursor c = { data, size, 0 };
	const struct ta_flow_state *st;
	const __u8 *pay;
	__u8 h[2];
	int k;

	memset(&R, 0, sizeof(R));
	R.p = pkts;
	R.allow = -1;
	R.cur_slot = -1;
	if (take(&c, h, 2))
		return;
	R.enforce = h[0] & 1;
	if (h[0] & 2)
		R.allow = (h[0] >> 2) & 3;
	R.max_flows = table_sizes[(h[0] >> 4) & 7];
	R.egress = h[0] >> 7;
	R.isn_seed = h[1] & 63;
	R.align = h[1] >> 6;
	for (k = 0; k < n_slots; k++) {
		R.s[k] = slot0[k];
		epoch_reset(&R.s[k]);
		R.s[k].epoch = 0;
		R.s[k].allowed =
			R.enforce && R.allow >= 0 &&
			prefix_match(R.s[k].key.server, allows[R.allow].addr, allows[R.allow].bits);
	}
	cfg.max_flows = R.max_flows;
	cfg.enforce = R.enforce;
	if (R.allow >= 0) {
		ak.prefixlen = allows[R.allow].bits;
		memcpy(ak.addr, allows[R.allow].addr, 16);
		cfg.allow = &ak;
		cfg.n_allow = 1;
	}
	R.hf = ta_hostflow_new(&cfg, on_record, &R);
	if (!R.hf)
		abort();
	if (verbose)
		print_cfg(stdout);
	while (R.n < MAX_PKTS && !decode_pkt(&c, &R.p[R.n], &pay)) {
		R.cur = R.n++;
		judge(&R.p[R.cur], pay);
	}
	/* every flow whose client sent bytes was reported, or still waits for more */
	R.cur = R.n;
	for (k = 0; k < n_slots; k++) {
		st = ta_hostflow_lookup(R.hf, &R.s[k].key);
		if (!st || st->verdict != TA_V_PENDING)
			check_reported(&R.s[k], k, END_INPUT);
	}
	ta_hostflow_free(R.hf);
	R.hf = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	run_input(data, size);
	return 0;
}

#ifdef TA_FLOW_TOOL
/* ---- the tool: print and run inputs, or encode a packet list ---- */

static int dict_index(const char *name, size_t n)
{
	unsigned i;
	char *end;
	long v;

	for (i = 0; i < n_dict; i++)
		if (strlen(dict[i].name) == n && !strncmp(dict[i].name, name, n))
			return (int)i;
	v = strtol(name, &end, 0);
	if (end == name + n && v >= 0 && v < 64)
		return (int)v;
	return -1;
}

static int enc_fail(int line, const char *why, const char *tok)
{
	fprintf(stderr, "flow_decode: line %d: %s: %s\n", line, why, tok);
	return 2;
}

/* "<entry>[:len]" */
static int enc_entry(const char *v, int *idx, unsigned *len)
{
	const char *colon = strchr(v, ':');

	*len = 0;
	*idx = dict_index(v, colon ? (size_t)(colon - v) : strlen(v));
	if (colon)
		*len = (unsigned)strtoul(colon + 1, NULL, 0);
	return *idx < 0 || *len > 255 ? -1 : 0;
}

static int encode(FILE *in, FILE *out)
{
	char line[4096], *tok, *save;
	__u8 rec[512];
	int ln = 0, have_cfg = 0;
	unsigned i;

	while (fgets(line, sizeof(line), in)) {
		size_t n = 0;
		char *hash = strchr(line, '#');

		ln++;
		if (hash)
			*hash = 0;
		tok = strtok_r(line, " \t\r\n", &save);
		if (!tok)
			continue;
		if (!strcmp(tok, "cfg")) {
			__u8 h0 = 0, h1 = 0;

			while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
				if (!strcmp(tok, "enforce")) {
					h0 |= 1;
				} else if (!strcmp(tok, "egress")) {
					h0 |= 0x80;
				} else if (!strncmp(tok, "allow=", 6)) {
					h0 |= 2 | (strtoul(tok + 6, NULL, 0) & 3) << 2;
				} else if (!strncmp(tok, "flows=", 6)) {
					unsigned f = strtoul(tok + 6, NULL, 0);

					for (i = 0; i < 7 && table_sizes[i] < f; i++)
						;
					h0 |= i << 4;
				} else if (!strncmp(tok, "isn=", 4)) {
					h1 = (h1 & 0xc0) | (strtoul(tok + 4, NULL, 0) & 63);
				} else if (!strncmp(tok, "align=", 6)) {
					h1 = (h1 & 63) | (strtoul(tok + 6, NULL, 0) & 3) << 6;
				} else {
					return enc_fail(ln, "unknown cfg word", tok);
				}
			}
			fputc(h0, out);
			fputc(h1, out);
			have_cfg = 1;
			continue;
		}
		if (!have_cfg)
			return enc_fail(ln, "the first line must be cfg", tok);
		/* <ep> <c|s> <flags> [new] [seq=...] [payload] */
		{
			__u8 h0, fl = 0, seqb[4], sel = 0, lc = 0;
			int nseq = 0, haspay = 0, idx;
			unsigned len;
			char *dir, *flags;
			const char *letters = "FSRPAUEC", *q;
			long sv;

			h0 = strtoul(tok, NULL, 0) & 7;
			dir = strtok_r(NULL, " \t\r\n", &save);
			flags = strtok_r(NULL, " \t\r\n", &save);
			if (!dir || !flags || (*dir != 'c' && *dir != 's'))
				return enc_fail(ln, "want <ep> <c|s> <flags>", tok);
			if (*dir == 's')
				h0 |= 8;
			for (q = flags; *q && *q != '-'; q++) {
				const char *l = strchr(letters, *q);

				if (!l)
					return enc_fail(ln, "unknown flag", flags);
				fl |= 1u << (l - letters);
			}
			while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
				if (!strcmp(tok, "new")) {
					h0 |= 0x10;
				} else if (!strcmp(tok, "seq=auto")) {
					nseq = 0;
				} else if (!strncmp(tok, "seq=0x", 6)) {
					__u32 a = strtoul(tok + 4, NULL, 16);

					h0 |= 3 << 5;
					nseq = 4;
					put32(seqb, a);
				} else if (!strncmp(tok, "seq=", 4)) {
					sv = strtol(tok + 4, NULL, 0);
					if (sv >= -128 && sv <= 127) {
						h0 |= 1 << 5;
						nseq = 1;
						seqb[0] = (__u8)sv;
					} else if (sv >= -32768 && sv <= 32767) {
						h0 |= 2 << 5;
						nseq = 2;
						put16(seqb, (unsigned)sv & 0xffff);
					} else {
						return enc_fail(ln, "relative seq out of range",
								tok);
					}
				} else if (!strncmp(tok, "stream=", 7) ||
					   !strncmp(tok, "prefix=", 7)) {
					if (enc_entry(tok + 7, &idx, &len))
						return enc_fail(ln, "unknown entry or bad length",
								tok);
					haspay = 1;
					sel = (tok[0] == 's' ? 0 : 0x40) | (idx & 63);
					lc = len;
				} else if (!strncmp(tok, "fill=", 5)) {
					unsigned b = strtoul(tok + 5, NULL, 16), nb;
					const char *star = strchr(tok, '*');

					for (i = 0; i < 4 && fill_bytes[i] != b; i++)
						;
					nb = star ? strtoul(star + 1, NULL, 0) : MSS;
					if (i == 4 ||
					    (nb != MSS && (nb % 8 || nb / 8 > 255 || !nb)))
						return enc_fail(
							ln,
							"fill=00|41|16|ff*N, N a multiple of 8 "
							"up to 2040, or 1460",
							tok);
					haspay = 1;
					sel = 0xc0 | i;
					lc = nb == MSS ? 0 : nb / 8;
				} else if (!strncmp(tok, "raw=", 4)) {
					size_t hl = strlen(tok + 4);

					if (hl % 2 || hl / 2 < 1 || hl / 2 > 64)
						return enc_fail(ln, "raw= wants 1 to 64 hex bytes",
								tok);
					haspay = 2;
					sel = 0x80 | (hl / 2 - 1);
					len = hl / 2;
					for (i = 0; i < len; i++) {
						char hx[3] = { tok[4 + 2 * i], tok[5 + 2 * i], 0 };

						rec[64 + i] = strtoul(hx, NULL, 16);
					}
					lc = len; /* the byte count, copied below */
				} else {
					return enc_fail(ln, "unknown packet word", tok);
				}
			}
			if (haspay)
				h0 |= 0x80;
			rec[n++] = h0;
			rec[n++] = fl;
			memcpy(rec + n, seqb, nseq);
			n += nseq;
			if (haspay) {
				rec[n++] = sel;
				if (haspay == 2) {
					memmove(rec + n, rec + 64, lc);
					n += lc;
				} else {
					rec[n++] = lc;
				}
			}
			fwrite(rec, 1, n, out);
		}
	}
	return have_cfg ? 0 : enc_fail(ln, "no cfg line", "");
}

int main(int argc, char **argv)
{
	static __u8 buf[1 << 16];
	int i, bad = 0;
	size_t n;
	FILE *f;

	tool = 1;
	init_once();
	if (argc == 2 && !strcmp(argv[1], "-e"))
		return encode(stdin, stdout);
	if (argc < 2) {
		fprintf(stderr, "usage: flow_decode FILE...   print and run fuzz_flow inputs\n"
				"       flow_decode -e < LIST > FILE   encode a packet list\n");
		return 2;
	}
	verbose = 1;
	for (i = 1; i < argc; i++) {
		f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 2;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		printf("# %s (%zu bytes)\n", argv[i], n);
		fflush(stdout);
		run_input(buf, n);
		fflush(stdout);
		fflush(stderr);
		if (R.failed) {
			printf("# %s: %d violation(s)\n", argv[i], R.failed);
			bad = 1;
		} else {
			printf("# %s: clean\n", argv[i]);
		}
	}
	return bad;
}
#endif
