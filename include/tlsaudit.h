/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tlsaudit.h - the ABI shared by the BPF programs and the userspace loader.
 *
 * Every struct here crosses the kernel/user boundary (map keys, map values,
 * ring-buffer records), so it uses fixed-width __u* types only, with explicit
 * padding, and is never mirrored by hand anywhere else.
 */
#ifndef TLSAUDIT_H
#define TLSAUDIT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TA_COMM_LEN 16
/* Watched ports: one bit per port, in the BPF rodata and the options alike. */
#define TA_PORT_BITMAP_LEN 8192
/* Bytes of the first client payload kept to classify a flow. Enough for the
 * longest fixed pattern we match ("PRI * HTTP/2.0" is 14 bytes). */
#define TA_PEEK_LEN 16

/* Verdicts. 0 means "not decided yet" and never leaves the kernel. The string
 * names (ta_verdict_name) are part of the JSON and metrics contract. */
enum ta_verdict {
	TA_V_PENDING = 0,
	TA_V_TLS = 1,
	TA_V_PLAINTEXT_HTTP = 2,
	TA_V_PLAINTEXT = 3,
	TA_V_SSH = 4,
	TA_V_QUIC = 5,
	TA_V_UNKNOWN = 6,
	TA_V_MIDSTREAM = 7,
	TA_V_SSLV2 = 8,
	TA_V_MAX,
};

/* What the flow machine tells its hook to do with a packet: a bit set.
 * TA_RESET drops the packet and answers its sender with an RST, so that a
 * blocked TCP connection fails at once instead of retransmitting into the
 * drop (and past it, should enforcement ever lapse). */
enum ta_action {
	TA_PASS = 0,
	TA_DROP = 1,
	TA_RESET = 3, /* TA_DROP | answer with an RST */
};

/* Which side of the connection the attributed socket is on. */
enum ta_role {
	TA_ROLE_NONE = 0,
	TA_ROLE_CLIENT = 1,
	TA_ROLE_SERVER = 2,
	TA_ROLE_FORWARDED = 3,
	TA_ROLE_CAPTURED = 4, /* a flow read from a capture file */
};

/*
 * Per-CPU error and activity counters (map "stats"; userspace sums CPUs).
 * The one table of them: enum id, the name in the stats line and JSON, the
 * Prometheus family, and its help text. Append only: the index is the key in
 * a map that is pinned across restarts.
 */
#define TA_STATS(X)                                                                                \
	X(EVENTS, "events", "tlsaudit_events_total",                                               \
	  "Flow verdict events the kernel wrote to the ring buffer.")                              \
	X(RINGBUF_DROPS, "ringbuf_drops", "tlsaudit_ringbuf_events_lost_total",                    \
	  "Flow verdict events lost because the ring buffer was full.")                            \
	X(FLOW_INSERT_FAIL, "flow_insert_failures", "tlsaudit_flow_insert_failures_total",         \
	  "Flows the kernel flow table could not take: never classified.")                         \
	X(OWNER_INSERT_FAIL, "owner_insert_failures", "tlsaudit_owner_insert_failures_total",      \
	  "Sockets whose owning process could not be recorded.")                                   \
	X(FLOWS_NEW, "flows_new", "tlsaudit_flows_opened_total",                                   \
	  "Flows whose opening SYN was seen.")                                                     \
	X(FLOWS_NO_PAYLOAD, "flows_no_payload", "tlsaudit_flows_no_payload_total",                 \
	  "Flows that closed before the client sent a byte.")                                      \
	X(MIDSTREAM, "midstream", "tlsaudit_midstream_flows_total",                                \
	  "Flows first seen in the middle, so their first bytes are unknown.")                     \
	X(GAP, "first_bytes_gaps", "tlsaudit_first_bytes_gaps_total",                              \
	  "Flows whose first client bytes arrived after a hole in the stream.")                    \
	X(BLOCKED, "blocked", "tlsaudit_enforce_blocked_flows_total",                              \
	  "Flows --enforce blocked because of their verdict.")                                     \
	X(BLOCKED_PKTS, "blocked_packets", "tlsaudit_enforce_dropped_packets_total",               \
	  "Packets --enforce dropped: packets with bytes of blocked flows, client bytes held "     \
	  "back until a verdict, and server bytes sent before the client's first.")                \
	X(FLOWS_DELETED, "flows_closed", "tlsaudit_flows_closed_total",                            \
	  "Flow entries removed when their flow ended (FIN or RST).")                              \
	X(FLOW_INSERTS, "flow_inserts", "tlsaudit_flow_table_inserts_total",                       \
	  "Flow entries added to the kernel flow table under a new key.")                          \
	X(LATE_PKTS, "late_packets", "tlsaudit_late_packets_total",                                \
	  "Client payload packets of flows that had already ended: retransmissions, or segments "  \
	  "in flight behind a reset.")                                                             \
	X(EVENTS_RETRIED, "events_retried", "tlsaudit_events_retried_total",                       \
	  "Flow verdict events that found the ring buffer full and were sent with a later "        \
	  "packet of the flow.")                                                                   \
	X(VERDICTS_LOST, "verdicts_lost", "tlsaudit_verdicts_lost_total",                          \
	  "Flows that ended before their verdict event, lost to a full ring buffer, could be "     \
	  "sent again.")                                                                           \
	X(SYNS_IN_FLOW, "syns_in_flow", "tlsaudit_syns_in_flow_total",                             \
	  "Client SYNs with a new ISN on a decided flow that had not ended: a stack answers them " \
	  "with a challenge ACK and keeps the connection, so they reset nothing.")                 \
	X(CONFLICTS, "first_bytes_conflicts", "tlsaudit_first_bytes_conflicts_total",              \
	  "Flows whose client resent its first bytes with other content (a network or a client "   \
	  "that lies): once per flow, and once per such packet after the flow ended.")             \
	X(RESETS, "resets_sent", "tlsaudit_enforce_resets_sent_total",                             \
	  "RSTs --enforce sent to the sender of a blocked TCP flow's packet.")                     \
	X(RESET_FAILURES, "reset_failures", "tlsaudit_enforce_reset_failures_total",               \
	  "Packets of blocked TCP flows dropped without the RST that should answer them: the "     \
	  "packet could not be turned into one.")                                                  \
	X(UNPARSED, "unparsed", "tlsaudit_unparsed_packets_total",                                 \
	  "Packets whose TCP or UDP header the parser could not see though the receiver's stack "  \
	  "will (TCP in IP fragments, more than 6 IPv6 extension headers or 2 VLAN tags): "        \
	  "dropped under --enforce.")                                                              \
	X(FLOWS_PROVEN, "flows_proven", "tlsaudit_flows_proven_total",                             \
	  "TCP flows whose handshake was seen to complete (the server's SYN-ACK took the "         \
	  "client's ISN, the client acknowledged the server's), moved to the table of proven "     \
	  "flows that a SYN flood cannot evict.")                                                  \
	X(CLOSES_IGNORED, "closes_ignored", "tlsaudit_closes_ignored_total",                       \
	  "RSTs and FINs not at the sequence number where their sender's stream stands: a TCP "    \
	  "stack would not take them (RFC 5961), so the flow goes on. Forged, or sent after "      \
	  "segments this hook did not see.")                                                       \
	X(CAPTURES_LOST, "captures_lost", "tlsaudit_captures_lost_total",                          \
	  "Handshake capture records lost because their ring buffer was full: the flows keep "     \
	  "their verdicts (verdicts have a ring of their own), some lose their TLS details.")

#define TA_STAT_ENUM(id, name, family, help) TA_STAT_##id,
enum ta_stat {
	TA_STATS(TA_STAT_ENUM) TA_STAT_MAX,
};
#undef TA_STAT_ENUM

/* Per-CPU packet and byte counters by verdict (map "verdict_counters",
 * indexed by enum ta_verdict; index TA_V_PENDING counts undecided flows). */
struct ta_counter {
	__u64 pkts;
	__u64 bytes; /* L4 payload bytes */
};

/* --allow prefixes, an LPM trie key: the address as IPv4-mapped IPv6. */
struct ta_allow_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Maps pinned under TA_PIN_DIR when exporting (--textfile), so the exported
 * counters survive a restart of tlsaudit (a reboot clears them). Each entry is
 * the map's name in the BPF object and the file name of its pin. */
#define TA_PIN_DIR "/sys/fs/bpf/tlsaudit"
#define TA_PIN_MAPS(X) X(stats) X(verdict_counters) X(series)
/* --enforce: the links and the maps the held programs share with the next
 * run, pinned per network namespace (user/core/hold.h) */
#define TA_HOLD_DIR TA_PIN_DIR "/hold"
#define TA_HOLD_MAPS(X) X(flows) X(new_flows) X(tombs) X(events) X(captures)

/*
 * Flow counts by bounded owner labels, kept by userspace in the pinned map
 * "series". A key's verdict is an enum ta_verdict, or one of the reserved
 * values below for the exporter's own counters, which must survive restarts
 * too. Text fields are NUL-padded and need not be terminated.
 */
#define TA_CONTAINER_LEN 72
#define TA_SERIES_MAX 16384
struct ta_series_key {
	__u8 comm[TA_COMM_LEN];
	__u8 container[TA_CONTAINER_LEN];
	__u16 port;
	__u8 verdict;
	__u8 pad[5];
};
/* comm = the TLS version name, container = the handshake outcome name */
#define TA_SERIES_TLS 0xfe
/* the number of pre-existing flows reported so far; other fields zero */
#define TA_SERIES_PREEXISTING 0xfd

/* Address family as stored in keys: AF_INET / AF_INET6 values. */
#define TA_AF_INET 2
#define TA_AF_INET6 10

/*
 * A flow, always written from the client's point of view: client -> server,
 * whichever direction the packet that built it was travelling. IPv4 addresses
 * are stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) so one key shape serves both.
 * Ports are in host byte order.
 */
struct ta_flow_key {
	__u8 client[16];
	__u8 server[16];
	__u16 client_port;
	__u16 server_port;
	__u8 l4proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;  /* TA_AF_INET or TA_AF_INET6 as seen on the wire */
	__u8 pad[2];
};

/* flow state flags */
#define TA_F_SYN_SEEN (1u << 0)	    /* we saw the client's SYN: isn is valid */
#define TA_F_REPORTED (1u << 1)	    /* the verdict event was emitted */
#define TA_F_TRUNCATED (1u << 2)    /* decided without the first bytes complete */
#define TA_F_GAP (1u << 3)	    /* a client segment arrived past a hole */
#define TA_F_INGRESS (1u << 4)	    /* decided on an ingress hook */
#define TA_F_FORWARDED (1u << 5)    /* gateway mode: no local socket by design */
#define TA_F_BLOCKED (1u << 6)	    /* --enforce dropped it: not TLS on a TLS port */
#define TA_F_CAPTURING (1u << 7)    /* TLS: still copying the ClientHello out */
#define TA_F_AWAIT_SERVER (1u << 8) /* TLS: the server's first bytes not seen yet */
#define TA_F_SERVER_SEEN (1u << 9)  /* the server's first bytes were sent up */
#define TA_F_PREEXISTING (1u << 10) /* userspace: established before tlsaudit started */
#define TA_F_CLIENT_FIN (1u << 11)  /* the client sent FIN */
#define TA_F_SERVER_FIN (1u << 12)  /* the server sent FIN: a half-close, not the end */
#define TA_F_CAPTURED (1u << 13)    /* read from a capture file: no socket, no process */
#define TA_F_BEYOND (1u << 14)	    /* a client segment began past the first TA_PEEK_LEN bytes */
#define TA_F_CONFLICT (1u << 15)    /* a client segment carried other first bytes than held */
/* flow state only, past the event's 16 bits: */
#define TA_F_UNREPORTED (1u << 16) /* the verdict event found the ring full: sent again later */
#define TA_F_ENDED (1u << 17)	   /* a kept entry (blocked, or enforcing) whose flow ended */
#define TA_F_ALT_SYN (1u << 18)	   /* alt_isn holds a new connection's SYN, not yet taken */
#define TA_F_SYNACK (1u << 19)	   /* the server's SYN-ACK took isn: srv_isn is valid */
#define TA_F_PROVEN (1u << 20)	   /* the handshake completed: the entry is in "flows" */
#define TA_F_CLI_NXT (1u << 21)	   /* cli_nxt is known */
#define TA_F_SRV_NXT (1u << 22)	   /* srv_nxt is known */

/* A flow that ended (map "tombs", an LRU): its late packets are known, and
 * so are the first bytes it was judged on, which a late copy must repeat. */
struct ta_flow_tomb {
	__u32 isn;
	__u8 verdict;
	__u8 syn_seen;	 /* isn is the client's: the flow's SYN was seen */
	__u16 peek_mask; /* which of peek[] are the stream's */
	__u8 peek[TA_PEEK_LEN];
	__u32 alt_isn; /* has_alt: a new connection's SYN, until the server takes it */
	__u8 has_alt;
	__u8 pad[3];
};

/* The tombstone table's size for a flow table of max_flows: ended flows
 * matter only for as long as their late packets may come. */
static inline __u32 ta_tombs_for(__u32 max_flows)
{
	return max_flows / 4 > 1024 ? max_flows / 4 : 1024;
}

/* Two flow tables, so that a SYN flood cannot evict judged connections:
 * "new_flows" takes every flow as it starts (and UDP, and TCP seen only
 * midstream or in one direction); a TCP flow moves to "flows" once its
 * handshake is seen to complete, which a spoofed SYN never does. The table
 * of unproven flows is half the size of the proven one (--max-flows): a
 * handshake spends milliseconds there. */
static inline __u32 ta_new_flows_for(__u32 max_flows)
{
	if (max_flows <= 1024)
		return max_flows;
	return max_flows / 2 > 1024 ? max_flows / 2 : 1024;
}

struct ta_flow_state {
	__u64 first_ns;	  /* bpf_ktime_get_boot_ns() when the flow was created */
	__u64 cookie;	  /* socket cookie of the local socket, 0 if none seen */
	__u32 isn;	  /* client's initial sequence number */
	__u32 ifindex;	  /* interface where the flow was first seen */
	__u32 flags;	  /* TA_F_*; 32 bits so it can be updated atomically */
	__u8 verdict;	  /* enum ta_verdict */
	__u8 cookie_role; /* enum ta_role of the socket behind cookie */
	__u8 peek_len;	  /* bytes collected in peek[] */
	__u8 pad;
	__u16 cap_next;	 /* TLS capture: next client stream offset to copy */
	__u16 cap_end;	 /* TLS capture: stream offset where the capture stops */
	__u16 peek_mask; /* which of peek[] are there (bytes past a hole too) */
	__u16 pad2;
	__u8 peek[TA_PEEK_LEN];
	__u32 alt_isn; /* TA_F_ALT_SYN: a client SYN's ISN the server has not taken yet */
	__u32 srv_isn; /* TA_F_SYNACK: the server's initial sequence number */
	/* where each side's stream has got to, in order (TA_F_CLI_NXT,
	 * TA_F_SRV_NXT): an RST or FIN elsewhere is one a stack would not take */
	__u32 cli_nxt;
	__u32 srv_nxt;
};

/* ClientHello capture: up to TA_CAP_MAX client bytes (the first record's
 * announced length, capped), in chunks of at most TA_CHUNK_MAX bytes, and the
 * first TA_CHUNK_MAX bytes the server answers with. */
#define TA_CAP_MAX 16384
#define TA_CHUNK_MAX 2048
#define TA_CHUNKS_PER_PKT 8

/* Process identity captured in process context (cgroup connect hooks), keyed
 * by socket cookie. Captured in the kernel so that a process that exits at
 * once still has its name. */
struct ta_owner {
	__u64 cgroup_id;
	__u64 netns_cookie;
	__u32 netns_ino; /* network namespace inode, 0 when not known */
	__u32 pad0;
	__u64 start_ns; /* the process's start (CLOCK_BOOTTIME): tells a reused pid apart */
	__u32 tgid;
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u8 comm[TA_COMM_LEN];
	__u8 role; /* enum ta_role */
	__u8 pad[7];
};

enum ta_event_type {
	TA_EV_FLOW = 1,
	TA_EV_OWNER = 2, /* a local server accepted a watched connection */
	TA_EV_CHUNK = 3, /* handshake bytes of a TLS flow */
	TA_EV_CLOSE = 4, /* a TLS flow closed before its server said anything */
};

enum ta_chunk_dir {
	TA_CHUNK_CLIENT = 0,
	TA_CHUNK_SERVER = 1,
};

struct ta_chunk_event {
	__u32 type; /* TA_EV_CHUNK, or TA_EV_CLOSE with len 0 */
	__u16 len;  /* bytes in data */
	__u8 dir;   /* enum ta_chunk_dir */
	__u8 flags; /* TA_CHUNK_F_* */
	__u64 ts_ns;
	struct ta_flow_key key;
	__u32 offset;  /* client stream offset of data[0] */
	__u32 cap_end; /* where the client capture stops */
	__u8 data[TA_CHUNK_MAX];
};

#define TA_CHUNK_F_LAST 1 /* the client capture is complete */
#define TA_CHUNK_F_GAP 2  /* a hole: the capture stopped short (truncated) */

/* Sent when accept() returns a watched connection, so a verdict that was
 * decided before the accept can still be joined to the server process. */
struct ta_owner_event {
	__u32 type; /* TA_EV_OWNER */
	__u32 pad;
	__u64 ts_ns;
	struct ta_flow_key key;
	struct ta_owner owner;
};

/* One ring-buffer record per flow verdict. */
struct ta_flow_event {
	__u32 type; /* enum ta_event_type */
	__u32 ifindex;
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() at the verdict */
	__u64 cookie;
	struct ta_flow_key key;
	struct ta_owner owner;	      /* the client socket's owner, when has_owner */
	struct ta_owner server_owner; /* the server socket's, when has_server_owner */
	__u8 verdict;
	__u8 has_owner;
	__u8 has_server_owner;
	__u8 peek_len;
	__u16 flags; /* TA_F_* of the flow at the verdict */
	__u8 role;   /* enum ta_role of owner; set by userspace */
	__u8 pad[1];
	__u8 peek[TA_PEEK_LEN];
};

#endif /* TLSAUDIT_H */
