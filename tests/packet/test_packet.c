// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_packet.c - runs every case of cases.h on every backend, each in an
 * audit instance and an --enforce instance, and prints one line per case and
 * instance: "PASS: <backend>: <case>" (or FAIL / SKIP), as tests/run.sh
 * counts them.
 *
 *   build/tests/packet/test_packet [-k SUBSTRING] [BACKEND...]
 *
 * BACKEND is tc, tc-gw, xdp, host-tc or host-gw (default: all). The kernel
 * backends load BPF programs and SKIP without root (the runner makes that a
 * failure under CI=true); the host backends always run. Run from the
 * repository root: the ClientHello fixture is read from tests/fixtures/.
 *
 * The runner owns what every case shares: sequence numbers, the records a
 * step has not seen yet, counter baselines, and the facts each backend
 * declares about its hook, which it checks on every event and flow entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "output/lines.h"
#include "packet_case.h"
#include "cases.h"
#include "ta_test.h"
#include "ta_parse.h"

#define N_CASES (sizeof(pc_cases) / sizeof(pc_cases[0]))

static const struct pc_backend *const backends[] = {
	&pc_backend_tc,	     &pc_backend_tc_gw,	  &pc_backend_xdp,
	&pc_backend_host_tc, &pc_backend_host_gw,
};
#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

static unsigned char hello[2048];
static size_t hello_len;
static unsigned char big_hello[3000];

/* The bytes of a named payload. */
static const unsigned char *payload_bytes(enum pc_payload pl, size_t *len)
{
	if (pl == PL_BIG_HELLO) {
		*len = sizeof(big_hello);
		return big_hello;
	}
	*len = hello_len;
	return hello;
}

static struct ta_allow_key allow[8];
static int n_allow;

/* one case on one instance */
struct run {
	const struct pc_backend *b;
	void *inst;
	unsigned mode;
	int step;
	struct pc_log log;
	int ev_next, rec_next; /* the first record PC_EVENTS / PC_RECORDS has not seen */
	struct flow_spec spec[PC_MAX_FLOWS];
	int allowed[PC_MAX_FLOWS];
	struct ta_flow_key key[PC_MAX_FLOWS];
	unsigned isn[PC_MAX_FLOWS];
	unsigned next[PC_MAX_FLOWS][2];	       /* stream offset after what each side sent */
	unsigned syn_seq[PC_MAX_FLOWS];	       /* the client's last SYN: what a SYN-ACK acks */
	__u8 first[PC_MAX_FLOWS][TA_PEEK_LEN]; /* the client's first bytes, as sent */
	/* the same, of the connection a REOPEN replaced: its event may come at the
	 * replacing SYN */
	__u8 prev_first[PC_MAX_FLOWS][TA_PEEK_LEN];
	__u32 prev_known[PC_MAX_FLOWS];
	__u32 first_known[PC_MAX_FLOWS]; /* which of them were sent */
	__u64 stats0[TA_STAT_MAX];
	struct ta_counter vc0[TA_V_MAX];
};

static struct run run_state;
static unsigned cport_next = 40000;

#define CHECKF(cond, fmt, ...) TA_CHECK(cond, "step %d: " fmt, r->step, ##__VA_ARGS__)

void pc_log_add(struct pc_log *log, const void *rec, size_t len)
{
	struct pc_record *r;

	if (log->n >= PC_MAX_RECORDS) {
		log->lost++;
		return;
	}
	r = &log->rec[log->n++];
	memset(r, 0, sizeof(*r));
	r->c2s = log->c2s;
	r->len = len;
	memcpy(&r->u, rec, len < sizeof(r->u) ? len : sizeof(r->u));
}

#define TA_STAT_NAME(id, name, family, help) name,
static const char *const stat_names[TA_STAT_MAX] = { TA_STATS(TA_STAT_NAME) };
#undef TA_STAT_NAME

/* for messages: the output stage's names, and "?" for what is none */
static const char *vname(unsigned v)
{
	return v < TA_V_MAX ? ta_verdict_name(v) : "?";
}

/* ---- packets ---- */

static void step_payload(const struct pc_step *s, const void **p, size_t *n)
{
	if (s->pl != PL_BYTES) {
		size_t all, from;
		const unsigned char *b = payload_bytes(s->pl, &all);

		from = s->from < all ? s->from : all;
		*p = b + from;
		*n = s->len ? s->len : all - from;
		if (from + *n > all)
			*n = all - from;
		return;
	}
	*p = s->bytes;
	*n = s->len;
}

/* The client's first bytes as the server's TCP takes them: from segments
 * that deliver data (ACK, or a SYN without ACK; never RST), the first copy of
 * each byte. A segment that contradicts a byte already sent is dropped
 * whole under --enforce (not for an allowed server), so none of it counts. */
static void remember_first(struct run *r, int f, __u8 tcp, unsigned off, const __u8 *p, size_t n)
{
	size_t i;

	if (r->spec[f].udp) {
		/* a UDP flow's first bytes are its first datagram's */
		if (r->first_known[f])
			return;
		off = 0;
	} else if ((tcp & RST) || ((tcp & SYN) ? (tcp & ACK) : !(tcp & ACK))) {
		return;
	}
	if (r->mode == M_ENF && !r->allowed[f])
		for (i = 0; i < n && off + i < TA_PEEK_LEN; i++)
			if ((r->first_known[f] & (1u << (off + i))) && r->first[f][off + i] != p[i])
				return;
	for (i = 0; i < n && off + i < TA_PEEK_LEN; i++) {
		if (r->first_known[f] & (1u << (off + i)))
			continue;
		r->first[f][off + i] = p[i];
		r->first_known[f] |= 1u << (off + i);
	}
}

/* ---- an RST a program made of a packet ---- */

static unsigned csum_add(unsigned sum, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (unsigned)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (unsigned)p[n - 1] << 8;
	return sum;
}

static unsigned csum_fold(unsigned sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static unsigned get32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* The RST answers the sent packet as its receiver's own stack would: back
 * to its sender, the addresses swapped, no payload, seq and ack from the
 * packet (RFC 793 3.4), both checksums right. */
static void check_rst(struct run *r, const struct frame *sent, const struct frame *rst)
{
	struct ta_pkt a, b;
	const unsigned char *ip, *tcp;
	unsigned sum, want_seq, want_ack, want_fl, iplen;

	CHECKF(rst->len > 0, "the RST's frame is missing");
	if (!rst->len)
		return;
	if (ta_parse((void *)sent->b, (void *)(sent->b + sent->len), sent->len, &a) ||
	    ta_parse((void *)rst->b, (void *)(rst->b + rst->len), rst->len, &b)) {
		CHECKF(0, "the RST does not parse");
		return;
	}
	CHECKF(b.l4proto == TA_IPPROTO_TCP && b.family == a.family,
	       "the RST is not TCP of the same family");
	CHECKF(!memcmp(b.saddr, a.daddr, 16) && !memcmp(b.daddr, a.saddr, 16) &&
		       b.sport == a.dport && b.dport == a.sport,
	       "the RST does not go back to the packet's sender");
	CHECKF(!memcmp(rst->b, sent->b + 6, 6) && !memcmp(rst->b + 6, sent->b, 6),
	       "the RST's Ethernet addresses are not the packet's, swapped");
	iplen = b.family == TA_AF_INET ? 20 : 40;
	CHECKF(b.payload_len == 0 && b.l4_off == b.l3_off + iplen &&
		       rst->len == (size_t)b.l3_off + iplen + 20,
	       "the RST carries more than bare headers (%zu bytes)", rst->len);
	ip = rst->b + b.l3_off;
	tcp = rst->b + b.l4_off;
	if (a.tcp_flags & ACK) {
		want_seq = get32(sent->b + a.l4_off + 8);
		want_ack = 0;
		want_fl = RST;
	} else {
		want_seq = 0;
		want_ack = a.seq + a.payload_len + !!(a.tcp_flags & SYN) + !!(a.tcp_flags & FIN);
		want_fl = RST | ACK;
	}
	CHECKF(b.tcp_flags == want_fl && get32(tcp + 4) == want_seq && get32(tcp + 8) == want_ack,
	       "RST flags %#x seq %u ack %u, want %#x %u %u", b.tcp_flags, get32(tcp + 4),
	       get32(tcp + 8), want_fl, want_seq, want_ack);
	if (b.family == TA_AF_INET) {
		CHECKF(csum_fold(csum_add(0, ip, 20)) == 0xffff,
		       "the RST's IPv4 checksum is wrong");
		sum = csum_add(0, ip + 12, 8) + TA_IPPROTO_TCP + 20;
	} else {
		sum = csum_add(0, ip + 8, 32) + TA_IPPROTO_TCP + 20;
	}
	CHECKF(csum_fold(csum_add(sum, tcp, 20)) == 0xffff, "the RST's TCP checksum is wrong");
}

static void set_ack(struct frame *fr, unsigned ack)
{
	struct ta_pkt k;

	if (ta_parse((void *)fr->b, (void *)(fr->b + fr->len), fr->len, &k) == 0 &&
	    k.l4proto == TA_IPPROTO_TCP)
		put32(fr->b + k.l4_off + 8, ack);
}

static void send_one(struct run *r, const struct pc_step *s)
{
	int f = s->flow, c2s = s->c2s, drop = 0, unparsed = -1, reset = 0, want;
	unsigned base = c2s ? r->isn[f] : PC_SERVER_ISN, off, seq;
	char err[256] = "";
	struct frame fr;
	static struct frame reply;
	const void *p;
	size_t n;

	step_payload(s, &p, &n);
	if (n > sizeof(fr.b) - 128) {
		CHECKF(0, "a %zu-byte payload does not fit a test frame", n);
		return;
	}
	off = s->at ? s->at - 1 : r->next[f][c2s];
	/* a SYN carries its ISN: the flow's, or the step's own (.isn) */
	seq = (s->tcp & SYN) ? (s->isn ? s->isn : base) : base + 1 + off;
	build(&fr, &r->spec[f], c2s, seq, s->tcp, p, n);
	/* an ACK acknowledges what the other side sent, as a stack's does; a
	 * SYN-ACK the client's last SYN */
	if (c2s && (s->tcp & SYN))
		r->syn_seq[f] = seq;
	if ((s->tcp & (SYN | ACK)) == (SYN | ACK) && !c2s)
		set_ack(&fr, r->syn_seq[f] + 1);
	else if (s->tcp & ACK)
		set_ack(&fr, c2s ? PC_SERVER_ISN + 1 + r->next[f][SRV]
				 : r->isn[f] + 1 + r->next[f][CLI]);
	if (s->cut && s->cut < fr.len)
		fr.len = s->cut;
	if (n && off + n > r->next[f][c2s])
		r->next[f][c2s] = off + n;
	if (c2s && n)
		remember_first(r, f, s->tcp, off, p, n);

	r->log.c2s = c2s;
	if (r->b->frame(r->inst, &fr, c2s, &drop, &unparsed, &reset, &reply, err, sizeof(err))) {
		CHECKF(0, "%s", err);
		return;
	}
	want = !!((s->drop | s->reset) & r->mode);
	if (!s->either) {
		CHECKF(drop == want, "%s packet of flow %d (seq %u, %zu bytes) %s, want %s",
		       c2s ? "client" : "server", f, seq, n, drop ? "dropped" : "passed",
		       want ? "dropped" : "passed");
		want = !!(s->reset & r->mode);
		CHECKF(reset == want, "%s packet of flow %d (seq %u, %zu bytes) %s, want %s",
		       c2s ? "client" : "server", f, seq, n,
		       reset ? "answered with an RST" : "not answered", want ? "an RST" : "none");
	}
	/* the frame a program made is checked wherever it made one */
	if (reset && r->b->kind & H_KERNEL)
		check_rst(r, &fr, &reply);
	/* (a frame the host build cannot see into and drops enforcing is
	 * reported dropped, not unparsed) */
	if (unparsed >= 0 && !(drop && s->unparsed))
		CHECKF(unparsed == s->unparsed, "frame %s, want %s",
		       unparsed ? "not parsed" : "judged", s->unparsed ? "not parsed" : "judged");
}

static void open_flow(struct run *r, const struct pc_step *s)
{
	struct pc_step syn = { .op = PC_SEND, .flow = s->flow, .c2s = CLI, .tcp = SYN };
	struct pc_step synack = { .op = PC_SEND, .flow = s->flow, .c2s = SRV, .tcp = SYN | ACK };
	struct pc_step ack = { .op = PC_SEND, .flow = s->flow, .c2s = CLI, .tcp = ACK };

	if (s->isn)
		r->isn[s->flow] = s->isn;
	memset(r->next[s->flow], 0, sizeof(r->next[s->flow]));
	memcpy(r->prev_first[s->flow], r->first[s->flow], TA_PEEK_LEN);
	r->prev_known[s->flow] = r->first_known[s->flow];
	r->first_known[s->flow] = 0;
	send_one(r, &syn);
	send_one(r, &synack);
	send_one(r, &ack);
}

/* ---- what every event and flow entry says about its backend ---- */

/* peek[] holds the client's first bytes exactly as they were sent, by this
 * connection or by the one a REOPEN replaced */
static int peek_is(const __u8 *first, __u32 known, const __u8 *peek, unsigned len)
{
	unsigned i;

	for (i = 0; i < len && i < TA_PEEK_LEN; i++)
		if (!(known & (1u << i)) || peek[i] != first[i])
			return 0;
	return 1;
}

static void check_peek(struct run *r, int f, const __u8 *peek, unsigned len, const char *what)
{
	CHECKF(len <= TA_PEEK_LEN, "%s peek_len %u", what, len);
	CHECKF(peek_is(r->first[f], r->first_known[f], peek, len) ||
		       peek_is(r->prev_first[f], r->prev_known[f], peek, len),
	       "%s peek[0..%u) is not the client's first bytes", what, len);
}

/* Every flow in the cases is created by a client packet, so where those
 * carry a socket, every flow has its cookie. */
static void check_cookie(struct run *r, __u64 cookie, const char *what)
{
	if (r->b->cookie == PC_COOKIE_NONE)
		CHECKF(cookie == 0, "%s cookie %llu, want 0: no socket here", what,
		       (unsigned long long)cookie);
	else
		CHECKF(cookie != 0, "%s cookie 0, want the client socket's", what);
}

static void check_event_facts(struct run *r, const struct pc_record *rec)
{
	const struct ta_flow_event *ev = &rec->u.ev;
	const struct pc_backend *b = r->b;
	int ingress = b->gateway || !rec->c2s;

	CHECKF(!!(ev->flags & TA_F_FORWARDED) == b->gateway, "event flags 0x%x: TA_F_FORWARDED %s",
	       ev->flags, b->gateway ? "missing on a gateway" : "on a host");
	CHECKF(!!(ev->flags & TA_F_INGRESS) == ingress,
	       "event flags 0x%x: TA_F_INGRESS %s (decided on a %s packet)", ev->flags,
	       ingress ? "missing" : "set", rec->c2s ? "client" : "server");
	CHECKF(!(ev->flags & TA_F_CAPTURED), "event flags 0x%x: TA_F_CAPTURED", ev->flags);
	CHECKF(ev->ifindex == b->ifindex, "event ifindex %u, want %u", ev->ifindex, b->ifindex);
	CHECKF(!ev->has_owner, "an owner (pid %u) with no socket owner recorded", ev->owner.tgid);
	CHECKF(!ev->has_server_owner, "a server owner (pid %u) with none recorded",
	       ev->server_owner.tgid);
	CHECKF(ev->role == TA_ROLE_NONE, "event role %u set by the kernel", ev->role);
	check_cookie(r, ev->cookie, "event");
}

/* ---- the checks ---- */

static void check_event(struct run *r, const struct pc_ev *w, const struct pc_record *rec)
{
	const struct ta_flow_event *ev = &rec->u.ev;
	__u16 exact = w->flags | (r->mode == M_ENF ? w->enf_flags : 0);

	CHECKF(rec->len == sizeof(*ev), "flow event of %zu bytes, want %zu", rec->len, sizeof(*ev));
	CHECKF(ev->verdict == w->verdict, "event verdict %s, want %s", vname(ev->verdict),
	       vname(w->verdict));
	CHECKF(!memcmp(&ev->key, &r->key[w->flow], sizeof(ev->key)),
	       "event key is not flow %d's client->server key", w->flow);
	CHECKF((ev->flags & PC_EXACT_FLAGS) == exact,
	       "event flags 0x%x: of SYN_SEEN|TRUNCATED|GAP|BLOCKED it has 0x%x, want 0x%x",
	       ev->flags, ev->flags & PC_EXACT_FLAGS, exact);
	CHECKF(ev->flags & TA_F_REPORTED, "event flags 0x%x lack TA_F_REPORTED", ev->flags);
	check_peek(r, w->flow, ev->peek, ev->peek_len, "event");
	check_event_facts(r, rec);
}

static void check_events(struct run *r, const struct pc_step *s)
{
	const struct pc_record *got[PC_MAX_RECORDS];
	char list[512] = "";
	int ng = 0, nw = 0, i;
	size_t used = 0;

	for (i = r->ev_next; i < r->log.n; i++) {
		const struct pc_record *rec = &r->log.rec[i];

		if (rec->u.type == TA_EV_FLOW)
			got[ng++] = rec;
		else if (rec->u.type != TA_EV_CHUNK && rec->u.type != TA_EV_CLOSE)
			CHECKF(0, "a record of type %u from a packet program", rec->u.type);
	}
	r->ev_next = r->log.n;
	while (nw < PC_MAX_EV && s->ev[nw].verdict)
		nw++;
	if (ng != nw) {
		for (i = 0; i < ng && used < sizeof(list) - 64; i++)
			used += snprintf(list + used, sizeof(list) - used, " %s(flags 0x%x)",
					 vname(got[i]->u.ev.verdict), got[i]->u.ev.flags);
		CHECKF(0, "%d flow events, want %d;%s", ng, nw, ng ? list : " none");
	}
	for (i = 0; i < ng && i < nw; i++)
		check_event(r, &s->ev[i], got[i]);
}

static int is_capture(const struct pc_record *rec)
{
	return rec->u.type == TA_EV_CHUNK || rec->u.type == TA_EV_CLOSE;
}

static void check_records(struct run *r, const struct pc_step *s)
{
	const struct pc_record *got[PC_MAX_RECORDS];
	int ng = 0, gi = 0, i, w;

	for (i = r->rec_next; i < r->log.n; i++)
		if (is_capture(&r->log.rec[i]))
			got[ng++] = &r->log.rec[i];
	r->rec_next = r->log.n;
	for (i = 0; i < ng; i++) {
		const struct ta_chunk_event *ch = &got[i]->u.ch;

		/* a record carries its header and exactly the bytes it holds */
		CHECKF(got[i]->len == offsetof(struct ta_chunk_event, data) + ch->len,
		       "capture record %d: %zu bytes for len %u", i, got[i]->len, ch->len);
	}
	for (w = 0; w < PC_MAX_REC && s->rec[w].kind != R_END; w++) {
		const struct pc_rec *want = &s->rec[w];
		const struct ta_chunk_event *ch;
		size_t have = 0, plen;
		const unsigned char *pb = payload_bytes(want->pl, &plen);
		int last = 0, same = 1;

		if (gi >= ng) {
			CHECKF(0, "capture record %d missing (%d records)", w, ng);
			return;
		}
		switch (want->kind) {
		case R_CLIENT:
			ch = &got[gi]->u.ch;
			CHECKF(ch->type == TA_EV_CHUNK && ch->dir == TA_CHUNK_CLIENT,
			       "record %d: type %u dir %u, want the client's ClientHello", w,
			       ch->type, ch->dir);
			while (gi < ng && got[gi]->u.type == TA_EV_CHUNK &&
			       got[gi]->u.ch.dir == TA_CHUNK_CLIENT && have < plen) {
				ch = &got[gi++]->u.ch;
				CHECKF(!memcmp(&ch->key, &r->key[want->flow], sizeof(ch->key)),
				       "client record key is not flow %d's", want->flow);
				CHECKF(ch->offset == have, "client record at offset %u, want %zu",
				       ch->offset, have);
				CHECKF(ch->cap_end == plen, "client record cap_end %u, want %zu",
				       ch->cap_end, plen);
				if (ch->offset != have || have + ch->len > plen) {
					same = 0;
					break;
				}
				same &= !memcmp(pb + have, ch->data, ch->len);
				CHECKF(!!(ch->flags & TA_CHUNK_F_LAST) == (have + ch->len == plen),
				       "client record at %zu flags 0x%x", have, ch->flags);
				have += ch->len;
				last = ch->flags & TA_CHUNK_F_LAST;
			}
			CHECKF(have == plen, "client records carry %zu bytes, want %zu", have,
			       plen);
			CHECKF(same, "captured bytes differ from the ClientHello sent");
			CHECKF(last, "the last client record is not flagged last");
			break;
		case R_SERVER:
			ch = &got[gi++]->u.ch;
			CHECKF(ch->type == TA_EV_CHUNK && ch->dir == TA_CHUNK_SERVER,
			       "record %d: type %u dir %u, want a server chunk", w, ch->type,
			       ch->dir);
			CHECKF(ch->len == want->len, "server record of %u bytes, want %u", ch->len,
			       want->len);
			CHECKF(!memcmp(&ch->key, &r->key[want->flow], sizeof(ch->key)),
			       "server record key is not flow %d's", want->flow);
			break;
		case R_CLOSE:
			ch = &got[gi++]->u.ch;
			CHECKF(ch->type == TA_EV_CLOSE && ch->dir == TA_CHUNK_SERVER && !ch->len,
			       "record %d: type %u dir %u len %u, want a close record", w, ch->type,
			       ch->dir, ch->len);
			CHECKF(!memcmp(&ch->key, &r->key[want->flow], sizeof(ch->key)),
			       "close record key is not flow %d's", want->flow);
			break;
		}
	}
	CHECKF(gi == ng, "%d capture records, want %d", ng, gi);
}

static void check_flow(struct run *r, const struct pc_step *s)
{
	struct ta_flow_state st;
	int f = s->flow, have = r->b->lookup(r->inst, &r->key[f], &st);

	if (s->present == 2) {
		CHECKF(!have, "flow %d is in the table (verdict %s, flags 0x%x)", f,
		       vname(st.verdict), st.flags);
		return;
	}
	CHECKF(have, "flow %d is not in the table", f);
	if (!have)
		return;
	if (s->st_verdict)
		CHECKF(st.verdict == s->st_verdict - 1, "flow %d verdict %s, want %s", f,
		       vname(st.verdict), vname(s->st_verdict - 1));
	if (s->st_peek)
		CHECKF(st.peek_len == s->st_peek - 1, "flow %d peek_len %u, want %d", f,
		       st.peek_len, s->st_peek - 1);
	if (s->st_isn)
		CHECKF(st.isn == r->isn[f], "flow %d isn %u, want %u", f, st.isn, r->isn[f]);
	CHECKF((st.flags & s->st_set) == s->st_set, "flow %d flags 0x%x lack 0x%x", f, st.flags,
	       s->st_set & ~st.flags);
	CHECKF(!(st.flags & s->st_clear), "flow %d flags 0x%x have 0x%x", f, st.flags,
	       st.flags & s->st_clear);
	check_peek(r, f, st.peek, st.peek_len, "entry");
	/* the backend's facts */
	CHECKF(st.ifindex == r->b->ifindex, "flow %d ifindex %u, want %u", f, st.ifindex,
	       r->b->ifindex);
	check_cookie(r, st.cookie, "entry");
	/* a cookie is the client's socket's; no cookie, no role */
	CHECKF(st.cookie_role == (st.cookie ? TA_ROLE_CLIENT : TA_ROLE_NONE),
	       "flow %d cookie_role %u for cookie %llu", f, st.cookie_role,
	       (unsigned long long)st.cookie);
}

static void check_counter(struct run *r, const struct pc_step *s)
{
	__u64 stats[TA_STAT_MAX];
	struct ta_counter vc[TA_V_MAX];
	long long want = r->mode == M_ENF ? s->n_enf : s->n, got;

	r->b->counters(r->inst, stats, vc);
	if (s->op == PC_STAT) {
		got = (long long)(stats[s->id] - (s->total ? 0 : r->stats0[s->id]));
		CHECKF(got == want, "stat %s %s %lld, want %lld", stat_names[s->id],
		       s->total ? "is" : "went up by", got, want);
	} else {
		got = (long long)(vc[s->id].pkts - r->vc0[s->id].pkts);
		CHECKF(got == want, "packets counted as %s went up by %lld, want %lld",
		       vname(s->id), got, want);
	}
}

/* ---- cases ---- */

static void run_case(struct run *r, const struct pc_case *c)
{
	const struct pc_step *s;
	int f, i;

	memset(&r->log, 0, sizeof(r->log));
	r->ev_next = r->rec_next = 0;
	r->step = 0;
	memset(r->first_known, 0, sizeof(r->first_known));
	memset(r->prev_known, 0, sizeof(r->prev_known));
	memset(r->next, 0, sizeof(r->next));
	for (f = 0; f < PC_MAX_FLOWS; f++) {
		struct flow_spec *sp = &r->spec[f];

		*sp = c->flow[f].spec;
		if (!sp->cli)
			sp->cli = sp->v6 ? "fd00:203:9::1" : "10.203.9.1";
		if (!sp->srv)
			sp->srv = sp->v6 ? "fd00:203:9::2" : "10.203.9.2";
		if (!sp->sport)
			sp->sport = 443;
		sp->cport = cport_next++;
		r->isn[f] = c->flow[f].isn;
		r->allowed[f] = c->flow[f].allowed;
		make_key(&r->key[f], sp);
	}
	r->b->counters(r->inst, r->stats0, r->vc0);

	for (i = 0, s = c->steps; s->op != PC_END; i++, s++) {
		if (s->mode && !(s->mode & r->mode))
			continue;
		r->step = i + 1;
		switch (s->op) {
		case PC_OPEN:
			open_flow(r, s);
			break;
		case PC_SEND:
			send_one(r, s);
			break;
		case PC_EVENTS:
			check_events(r, s);
			break;
		case PC_RECORDS:
			check_records(r, s);
			break;
		case PC_FLOW:
			check_flow(r, s);
			break;
		case PC_STAT:
		case PC_PKTS:
			check_counter(r, s);
			break;
		case PC_END:
			break;
		}
	}
	r->step = i;
	/* a flow event no step asked for is a failure too */
	for (i = r->ev_next; i < r->log.n; i++)
		if (r->log.rec[i].u.type == TA_EV_FLOW)
			CHECKF(0, "a flow event after the last check: %s, flags 0x%x",
			       vname(r->log.rec[i].u.ev.verdict), r->log.rec[i].u.ev.flags);
	CHECKF(!r->log.lost, "%d records did not fit the log", r->log.lost);
}

static int case_runs(const struct pc_case *c, const struct pc_backend *b, unsigned mode)
{
	return (!c->hooks || (c->hooks & b->kind)) && (!c->modes || (c->modes & mode));
}

/* ---- set-up ---- */

/* The payloads the cases name: the fixture, and a large ClientHello made here. */
static int load_payloads(void)
{
	FILE *f = fopen("tests/fixtures/tls/curl-tls13.clienthello.bin", "rb");

	if (!f)
		return -1;
	hello_len = fread(hello, 1, sizeof(hello), f);
	fclose(f);
	/* one 3000-byte record, zeros after its start: type 22, TLS 1.0 record
	 * version, length; handshake type 1 (ClientHello), length; TLS 1.2 */
	memcpy(big_hello, "\x16\x03\x01\x0b\xb3\x01\x00\x0b\xaf\x03\x03", 11);
	/* one whole record: the capture must stop exactly at its end */
	if (hello_len < 64 || hello[0] != 0x16)
		return -1;
	return 5 + ((size_t)hello[3] << 8 | hello[4]) == hello_len ? 0 : -1;
}

/* The table's own consistency, and the --allow prefixes every instance gets
 * (the host build takes them at creation, so they are known up front). */
static int check_table(void)
{
	size_t i, j;
	int f;

	for (i = 0; i < N_CASES; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(pc_cases[i].name, pc_cases[j].name)) {
				printf("FAIL: cases.h: two cases named \"%s\"\n", pc_cases[i].name);
				return -1;
			}
		for (f = 0; f < PC_MAX_FLOWS; f++) {
			const struct pc_flow *fl = &pc_cases[i].flow[f];
			struct ta_allow_key *k;

			if (!fl->allowed)
				continue;
			if (!fl->spec.srv || n_allow >= (int)(sizeof(allow) / sizeof(allow[0]))) {
				printf("FAIL: cases.h: \"%s\": an allowed server needs its own "
				       "address\n",
				       pc_cases[i].name);
				return -1;
			}
			k = &allow[n_allow++];
			memset(k, 0, sizeof(*k));
			if (fl->spec.v6) {
				k->prefixlen = 128;
				inet_pton(AF_INET6, fl->spec.srv, k->addr);
			} else {
				k->prefixlen = 96 + 32; /* an IPv4 /32, as IPv4-mapped IPv6 */
				k->addr[10] = k->addr[11] = 0xff;
				inet_pton(AF_INET, fl->spec.srv, k->addr + 12);
			}
		}
	}
	return 0;
}

static int wanted(const struct pc_backend *b, int argc, char **argv, int first)
{
	int i, any = 0;

	for (i = first; i < argc; i++) {
		any = 1;
		if (!strcmp(argv[i], b->name))
			return 1;
	}
	return !any;
}

/* Every case that applies, on one instance of one backend. Returns -1 when
 * the instance could not be opened. */
static int run_instance(const struct pc_backend *b, unsigned mode, const char *filter)
{
	struct pc_config cfg = {
		.port = 443, .enforce = mode == M_ENF, .allow = allow, .n_allow = n_allow
	};
	struct run *r = &run_state;
	char bname[64], name[320], err[256] = "";
	size_t ci;

	snprintf(bname, sizeof(bname), "%s%s", b->name, mode == M_ENF ? "-enforce" : "");
	memset(r, 0, sizeof(*r));
	r->b = b;
	r->mode = mode;
	if (!(b->needs_root && geteuid() != 0)) {
		r->inst = b->open(b, &cfg, &r->log, err, sizeof(err));
		if (!r->inst) {
			printf("FAIL: %s: open: %s\n", bname, err);
			return -1;
		}
	}
	for (ci = 0; ci < N_CASES; ci++) {
		const struct pc_case *c = &pc_cases[ci];

		if (!case_runs(c, b, mode) || (filter && !strstr(c->name, filter)))
			continue;
		snprintf(name, sizeof(name), "%s: %s", bname, c->name);
		if (!r->inst) {
			ta_skip(name, "needs root to load BPF programs");
			continue;
		}
		ta_case_begin(name);
		run_case(r, c);
		ta_case_end();
	}
	if (r->inst)
		b->close(r->inst);
	return 0;
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	int first = 1, bad = 0, i;
	size_t bi;

	if (argc > 2 && !strcmp(argv[1], "-k")) {
		filter = argv[2];
		first = 3;
	}
	for (i = first; i < argc; i++) {
		for (bi = 0; bi < N_BACKENDS && strcmp(argv[i], backends[bi]->name); bi++)
			;
		if (bi == N_BACKENDS) {
			fprintf(stderr,
				"usage: %s [-k SUBSTRING] [tc|tc-gw|xdp|host-tc|host-gw]...\n",
				argv[0]);
			return 2;
		}
	}
	if (load_payloads()) {
		printf("FAIL: fixture: cannot read one whole ClientHello record from "
		       "tests/fixtures/tls/curl-tls13.clienthello.bin "
		       "(run from the repository root)\n");
		return 1;
	}
	if (check_table())
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (bi = 0; bi < N_BACKENDS; bi++) {
		if (!wanted(backends[bi], argc, argv, first))
			continue;
		bad |= run_instance(backends[bi], M_AUDIT, filter) != 0;
		bad |= run_instance(backends[bi], M_ENF, filter) != 0;
	}
	if (bad)
		return 1;
	TA_TEST_EXIT();
}
