/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * packet_case.h - the language of the packet-case table (cases.h), and the
 * interface each backend implements (backend_bpf.c, backend_host.c).
 *
 * A case is data: the flows it uses, and steps that send packets and then
 * say what must have happened: the exact flow events, the capture records
 * where the case is about them, the action on each packet (per mode: audit
 * or --enforce), the flow-table entry, and counter deltas. A case never
 * names a hook. What a hook adds on its own (TA_F_FORWARDED and TA_F_INGRESS
 * on events, the ifindex, socket cookies, the program's return codes, the
 * ring buffer) is the backend's, and the runner (test_packet.c) checks it on
 * every event and flow entry from the backend's description.
 */
#ifndef PACKET_CASE_H
#define PACKET_CASE_H

#include <stddef.h>
#include <linux/types.h>
#include "ta_frames.h"
#include "tlsaudit.h"

/* ---- modes and backends ---- */

#define M_AUDIT 1u
#define M_ENF 2u /* --enforce: a second instance, ta_enforce = 1 */
#define M_BOTH (M_AUDIT | M_ENF)

/* Backend kinds a case may be limited to (pc_case.hooks; 0 = every one). */
#define H_TC 1u	      /* ta_tc_egress (client packets) / ta_tc_ingress (server packets) */
#define H_TC_GW 2u    /* ta_tc_gateway, both directions */
#define H_XDP 4u      /* ta_xdp_gateway, both directions */
#define H_HOST_TC 8u  /* ta_hostflow_frame as a host: client packets is_egress */
#define H_HOST_GW 16u /* ta_hostflow_frame as a gateway */
#define H_KERNEL (H_TC | H_TC_GW | H_XDP)
#define H_HOST (H_HOST_TC | H_HOST_GW)

/* ---- flows ---- */

#define PC_MAX_FLOWS 2
#define PC_SERVER_ISN 7777u /* every server's initial sequence number */

struct pc_flow {
	struct flow_spec spec; /* cli/srv default per family, sport 443; cport is the runner's */
	unsigned isn;	       /* the client's ISN, until a REOPEN step changes it */
	int allowed;	       /* the server is under --allow (spec.srv must be its own) */
};

/* ---- steps ---- */

enum pc_op {
	PC_END = 0,
	PC_OPEN,    /* SYN, SYN-ACK, ACK, all passed; .isn: a new ISN (port reuse) */
	PC_SEND,    /* one packet */
	PC_EVENTS,  /* the flow events since the last PC_EVENTS: exactly .ev */
	PC_RECORDS, /* the capture records since the last PC_RECORDS: exactly .rec */
	PC_FLOW,    /* the flow-table entry */
	PC_STAT,    /* an enum ta_stat counter: its change since the case began */
	PC_PKTS,    /* packets counted under a verdict since the case began */
};

enum pc_payload {
	PL_BYTES = 0, /* .bytes, .len */
	PL_HELLO,     /* the curl TLS 1.3 ClientHello fixture, one 260-byte record */
	PL_BIG_HELLO, /* a 3000-byte ClientHello record: more than one capture record */
};
/* PL_HELLO and PL_BIG_HELLO: .len bytes from .from, 0 meaning to the end */

/* An expected flow event. The flags in PC_EXACT_FLAGS must be exactly
 * .flags (plus .enf_flags under --enforce); TA_F_REPORTED is always set. */
#define PC_EXACT_FLAGS (TA_F_SYN_SEEN | TA_F_TRUNCATED | TA_F_GAP | TA_F_BLOCKED | TA_F_CONFLICT)
struct pc_ev {
	__u8 verdict; /* 0 ends the list */
	__u8 flow;
	__u16 flags;
	__u16 enf_flags;
};

enum pc_rec_kind {
	R_END = 0,
	R_CLIENT, /* client records carrying all of .pl from offset 0, the last flagged LAST */
	R_SERVER, /* one server record of .len bytes */
	R_CLOSE,  /* a close record: the server will not answer */
};
struct pc_rec {
	__u8 kind;
	__u8 flow;
	__u16 len;
	enum pc_payload pl;
};

#define PC_MAX_EV 3
#define PC_MAX_REC 4

struct pc_step {
	enum pc_op op;
	unsigned mode; /* 0: both modes, else only in these */
	__u8 flow;
	/* PC_SEND */
	__u8 c2s;    /* CLI or SRV */
	__u8 tcp;    /* TCP flags; a SYN carries the sender's ISN as its seq */
	unsigned at; /* AT(n): at stream offset n; 0: right after what this side sent */
	enum pc_payload pl;
	const void *bytes;
	unsigned from, len;
	unsigned drop;	/* modes in which the packet must be dropped (else passed) */
	unsigned reset; /* modes in which it must be answered with an RST (dropped too) */
	int either;	/* passed or dropped, both acceptable */
	unsigned cut;	/* the frame cut to this many bytes */
	int unparsed;	/* not judged at all (backends that can tell check it) */
	/* PC_OPEN: the new ISN; PC_SEND of a SYN: its sequence number */
	unsigned isn;
	/* PC_EVENTS, PC_RECORDS */
	struct pc_ev ev[PC_MAX_EV];
	struct pc_rec rec[PC_MAX_REC];
	/* PC_FLOW: present (1) or absent (2); IS(x) values, 0 unchecked */
	int present;
	int st_verdict, st_peek;
	int st_isn; /* the entry's ISN is the flow's current one */
	__u32 st_set, st_clear;
	/* PC_STAT (enum ta_stat), PC_PKTS (enum ta_verdict) */
	unsigned id;
	long long n, n_enf; /* audit, enforce */
	int total;	    /* the counter's value, not its change */
};

struct pc_case {
	const char *name;
	unsigned modes; /* 0: both */
	unsigned hooks; /* 0: every backend */
	struct pc_flow flow[PC_MAX_FLOWS];
	const struct pc_step *steps;
};

/* ---- writing cases ---- */

#define CLI 1 /* client -> server */
#define SRV 0 /* server -> client */
#define AT(n) .at = (n) + 1
#define IS(x) ((x) + 1)

#define TXT(s) .bytes = (s), .len = sizeof(s) - 1
#define GET TXT("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
#define HELLO .pl = PL_HELLO
#define HELLO_PART(f, n) .pl = PL_HELLO, .from = (f), .len = (n)
#define HELLO_FROM(f) .pl = PL_HELLO, .from = (f)
#define BIG_HELLO .pl = PL_BIG_HELLO
#define BIG_HELLO_PART(f, n) .pl = PL_BIG_HELLO, .from = (f), .len = (n)
#define BIG_HELLO_FROM(f) .pl = PL_BIG_HELLO, .from = (f)

#define STEPS(...) ((const struct pc_step[]){ __VA_ARGS__, { .op = PC_END } })

#define OPEN(f)                                                                                    \
	{                                                                                          \
		.op = PC_OPEN, .flow = (f)                                                         \
	}
#define REOPEN(f, new_isn)                                                                         \
	{                                                                                          \
		.op = PC_OPEN, .flow = (f), .isn = (new_isn)                                       \
	}
#define SEND(dir, fl, ...)                                                                         \
	{                                                                                          \
		.op = PC_SEND, .c2s = (dir), .tcp = (fl), __VA_ARGS__                              \
	}
#define DROP_ENF .drop = M_ENF
/* blocked: dropped, and its sender answered with an RST */
#define BLOCK_ENF .drop = M_ENF, .reset = M_ENF

#define NO_EVENTS                                                                                  \
	{                                                                                          \
		.op = PC_EVENTS                                                                    \
	}
#define EVENTS(...)                                                                                \
	{                                                                                          \
		.op = PC_EVENTS, .ev = { __VA_ARGS__ }                                             \
	}
#define EVENTS_IN(m, ...)                                                                          \
	{                                                                                          \
		.op = PC_EVENTS, .mode = (m), .ev = { __VA_ARGS__ }                                \
	}
/* a flow event of a flow whose SYN was seen; _B: blocked under --enforce */
#define EV(f, v)                                                                                   \
	{                                                                                          \
		.verdict = (v), .flow = (f), .flags = TA_F_SYN_SEEN                                \
	}
#define EV_B(f, v)                                                                                 \
	{                                                                                          \
		.verdict = (v), .flow = (f), .flags = TA_F_SYN_SEEN, .enf_flags = TA_F_BLOCKED     \
	}
#define EV_F(f, v, fl, enf)                                                                        \
	{                                                                                          \
		.verdict = (v), .flow = (f), .flags = (fl), .enf_flags = (enf)                     \
	}

#define RECORDS(...)                                                                               \
	{                                                                                          \
		.op = PC_RECORDS, .rec = { __VA_ARGS__ }                                           \
	}
#define RECORDS_IN(m, ...)                                                                         \
	{                                                                                          \
		.op = PC_RECORDS, .mode = (m), .rec = { __VA_ARGS__ }                              \
	}
#define NO_RECORDS                                                                                 \
	{                                                                                          \
		.op = PC_RECORDS                                                                   \
	}
#define REC_CLIENT(f, p)                                                                           \
	{                                                                                          \
		.kind = R_CLIENT, .flow = (f), .pl = (p)                                           \
	}
#define REC_HELLO(f) REC_CLIENT(f, PL_HELLO)
#define REC_SERVER(f, n)                                                                           \
	{                                                                                          \
		.kind = R_SERVER, .flow = (f), .len = (n)                                          \
	}
#define REC_CLOSE(f)                                                                               \
	{                                                                                          \
		.kind = R_CLOSE, .flow = (f)                                                       \
	}

/* what the entry must say */
#define VERDICT(v) .st_verdict = IS(v)
#define PEEK(n) .st_peek = IS(n)
#define ISN .st_isn = 1
#define HAS(fl) .st_set = (fl)
#define HASNT(fl) .st_clear = (fl)
#define FLOW(f, ...)                                                                               \
	{                                                                                          \
		.op = PC_FLOW, .flow = (f), .present = 1, __VA_ARGS__                              \
	}
#define FLOW_IN(m, f, ...)                                                                         \
	{                                                                                          \
		.op = PC_FLOW, .mode = (m), .flow = (f), .present = 1, __VA_ARGS__                 \
	}
#define NO_FLOW(f)                                                                                 \
	{                                                                                          \
		.op = PC_FLOW, .flow = (f), .present = 2                                           \
	}
#define NO_FLOW_IN(m, f)                                                                           \
	{                                                                                          \
		.op = PC_FLOW, .mode = (m), .flow = (f), .present = 2                              \
	}

#define STAT(s, v)                                                                                 \
	{                                                                                          \
		.op = PC_STAT, .id = TA_STAT_##s, .n = (v), .n_enf = (v)                           \
	}
#define STAT2(s, audit, enf)                                                                       \
	{                                                                                          \
		.op = PC_STAT, .id = TA_STAT_##s, .n = (audit), .n_enf = (enf)                     \
	}
#define TOTAL(s, v) TOTAL_IN(0, s, v)
#define TOTAL_IN(m, s, v)                                                                          \
	{                                                                                          \
		.op = PC_STAT, .mode = (m), .id = TA_STAT_##s, .n = (v), .n_enf = (v), .total = 1  \
	}
#define PKTS(v, k)                                                                                 \
	{                                                                                          \
		.op = PC_PKTS, .id = (v), .n = (k), .n_enf = (k)                                   \
	}

/* ---- the backends ---- */

/* One record as the ring buffer carries it, with the direction of the
 * packet whose run produced it. */
#define PC_MAX_RECORDS 64
struct pc_record {
	int c2s;
	size_t len;
	union {
		__u32 type;
		struct ta_flow_event ev;
		struct ta_chunk_event ch;
	} u;
};

struct pc_log {
	struct pc_record rec[PC_MAX_RECORDS];
	int n;
	int lost; /* records that did not fit */
	int c2s;  /* the direction of the packet being run */
};

/* A backend's record sink: whatever the program or library emitted. */
void pc_log_add(struct pc_log *log, const void *rec, size_t len);

/* What an instance is opened with: the same for every backend. */
struct pc_config {
	unsigned short port; /* the one watched port */
	int enforce;
	const struct ta_allow_key *allow;
	int n_allow;
};

enum pc_cookie {
	PC_COOKIE_NONE,	  /* no socket anywhere: cookie 0 */
	PC_COOKIE_EGRESS, /* a packet run at egress carries a socket (test_run's own) */
};

struct pc_backend {
	const char *name;
	unsigned kind;	/* H_* */
	int needs_root; /* loads BPF programs */
	/* facts of the hook, checked on every event and flow entry */
	int gateway;   /* TA_F_FORWARDED; both directions are some ingress */
	__u32 ifindex; /* what events and entries name */
	enum pc_cookie cookie;

	/* NULL with a reason in err */
	void *(*open)(const struct pc_backend *b, const struct pc_config *cfg, struct pc_log *log,
		      char *err, size_t errlen);
	void (*close)(void *inst);
	/* run one frame (c2s: which way it goes); 0 with *drop, *unparsed
	 * (-1 when the backend cannot tell) and *reset set, the RST in *reply
	 * where the backend makes one (else reply->len 0); or -1 with a reason
	 * in err */
	int (*frame)(void *inst, const struct frame *f, int c2s, int *drop, int *unparsed,
		     int *reset, struct frame *reply, char *err, size_t errlen);
	/* 1 and *st when the flow is in the table */
	int (*lookup)(void *inst, const struct ta_flow_key *k, struct ta_flow_state *st);
	void (*counters)(void *inst, __u64 stats[TA_STAT_MAX], struct ta_counter vc[TA_V_MAX]);
};

extern const struct pc_backend pc_backend_tc, pc_backend_tc_gw, pc_backend_xdp;
extern const struct pc_backend pc_backend_host_tc, pc_backend_host_gw;

#endif /* PACKET_CASE_H */
