/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_parse.h - bounded header parsing with a cursor, compiled twice: into the
 * BPF programs (TC and XDP, direct packet access) and into the host library
 * (capture files, the flow-machine fuzzer). The header structs are our own,
 * byte-exact and without bitfields, so both compilers lay them out alike;
 * like the kernel's, they are not packed: a packed struct makes clang load
 * every field byte by byte.
 *
 * Ethernet -> up to TA_MAX_VLAN VLAN tags -> IPv4 (ihl >= 5, options
 * honoured) or IPv6 (up to TA_MAX_EXTHDR extension headers, AH among them,
 * skipped) -> TCP (doff >= 5) or UDP. What it cannot see through (TCP in
 * fragments, more tags or headers) it says so: TA_PARSE_BLIND. Payload bytes are not
 * read here: the caller loads them through its environment, because a TCP
 * payload often sits outside the linear area of an skb.
 */
#ifndef TA_PARSE_H
#define TA_PARSE_H

#include "ta_portable.h"
#include "tlsaudit.h"

#define TA_ETH_P_IP 0x0800
#define TA_ETH_P_IPV6 0x86DD
#define TA_ETH_P_8021Q 0x8100
#define TA_ETH_P_8021AD 0x88A8

#define TA_IPV6_HOPOPTS 0
#define TA_IPV6_ROUTING 43
#define TA_IPV6_FRAGMENT 44
#define TA_IPV6_DSTOPTS 60
#define TA_IPV6_AH 51
#define TA_IPV6_MH 135
#define TA_IP_MF 0x2000
#define TA_IP_OFFSET 0x1fff

#define TA_MAX_VLAN 2
#define TA_MAX_EXTHDR 6

#define TA_TCP_FIN 0x01
#define TA_TCP_SYN 0x02
#define TA_TCP_RST 0x04
#define TA_TCP_ACK 0x10

struct ta_eth_hdr {
	__u8 dst[6];
	__u8 src[6];
	__be16 proto;
};

struct ta_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct ta_ip4_hdr {
	__u8 ver_ihl; /* version << 4 | header length in 32-bit words */
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__be16 check;
	__be32 saddr;
	__be32 daddr;
};

struct ta_ip6_hdr {
	__be32 ver_tc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct ta_ip6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-byte units, not counting the first 8 */
};

struct ta_ip6_frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

struct ta_tcp_hdr {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff_res; /* data offset << 4 */
	__u8 flags;
	__be16 window;
	__be16 check;
	__be16 urg_ptr;
};

struct ta_udp_hdr {
	__be16 source;
	__be16 dest;
	__be16 len;
	__be16 check;
};

_Static_assert(sizeof(struct ta_eth_hdr) == 14 && sizeof(struct ta_vlan_hdr) == 4 &&
		       sizeof(struct ta_ip4_hdr) == 20 && sizeof(struct ta_ip6_hdr) == 40 &&
		       sizeof(struct ta_ip6_opt_hdr) == 2 && sizeof(struct ta_ip6_frag_hdr) == 8 &&
		       sizeof(struct ta_tcp_hdr) == 20 && sizeof(struct ta_udp_hdr) == 8,
	       "header structs are wire-exact");

struct ta_cursor {
	void *pos;
	void *end;
};

/* What one packet says about itself, addresses as IPv4-mapped IPv6. */
struct ta_pkt {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u32 seq;
	__u32 ack_seq;	   /* TCP: the acknowledgment number */
	__u16 payload_off; /* from the start of the frame, as the two below */
	__u16 l4_off;	   /* the TCP or UDP header */
	__u32 payload_len;
	__u8 family;
	__u8 l4proto;
	__u8 tcp_flags;
	__u8 l3_off; /* the IP header: after Ethernet and at most TA_MAX_VLAN tags */
};

enum ta_parse_rc {
	TA_PARSE_OK = 0,
	TA_PARSE_SKIP = 1,  /* not ours: other protocol, a UDP datagram's later fragment, ... */
	TA_PARSE_SHORT = 2, /* headers run past the linear area */
	/* IP whose TCP or UDP header, or the bytes after it, the parser cannot
	 * see, while the receiver's stack will: a fragment of TCP (a first one
	 * need not hold the whole header, RFC 1858), a UDP first fragment too
	 * short for its header, more extension headers or VLAN tags than are
	 * walked. --enforce drops them (fail closed); they are counted. */
	TA_PARSE_BLIND = 3,
};

static __always_inline void ta_map_v4(__u8 *dst, __be32 a)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &a, 4);
}

/* Ethernet and up to TA_MAX_VLAN tags; the EtherType that follows in *proto. */
static __always_inline int ta_parse_eth(struct ta_cursor *c, __u16 *proto)
{
	struct ta_eth_hdr *eth = c->pos;
	struct ta_vlan_hdr *vh;
	__u16 p;
	int i;

	if ((void *)(eth + 1) > c->end)
		return TA_PARSE_SHORT;
	c->pos = eth + 1;
	p = eth->proto;
	TA_UNROLL
	for (i = 0; i < TA_MAX_VLAN; i++) {
		if (p != bpf_htons(TA_ETH_P_8021Q) && p != bpf_htons(TA_ETH_P_8021AD))
			break;
		vh = c->pos;
		if ((void *)(vh + 1) > c->end)
			return TA_PARSE_SHORT;
		p = vh->proto;
		c->pos = vh + 1;
	}
	/* more tags than walked: what they carry is unseen */
	if (p == bpf_htons(TA_ETH_P_8021Q) || p == bpf_htons(TA_ETH_P_8021AD))
		return TA_PARSE_BLIND;
	*proto = bpf_ntohs(p);
	return TA_PARSE_OK;
}

/* The L4 protocol goes in pkt, the L3 payload length in *l3_len. */
static __always_inline int ta_parse_ipv4(struct ta_cursor *c, struct ta_pkt *pkt, __u32 *l3_len)
{
	struct ta_ip4_hdr *ip = c->pos;
	__u32 hlen;

	if ((void *)(ip + 1) > c->end)
		return TA_PARSE_SHORT;
	if ((ip->ver_ihl >> 4) != 4 || (ip->ver_ihl & 0xf) < 5)
		return TA_PARSE_SKIP;
	/* a fragment of TCP: the stream's bytes the parser would judge are not
	 * all in this packet; a later fragment of UDP carries no header, and
	 * its datagram is judged by its first */
	if (ip->frag_off & bpf_htons(TA_IP_OFFSET | TA_IP_MF)) {
		if (ip->protocol == TA_IPPROTO_TCP)
			return TA_PARSE_BLIND;
		if (ip->frag_off & bpf_htons(TA_IP_OFFSET))
			return TA_PARSE_SKIP;
		if (bpf_ntohs(ip->tot_len) < (ip->ver_ihl & 0xf) * 4 + sizeof(struct ta_udp_hdr))
			return TA_PARSE_BLIND;
	}
	hlen = (ip->ver_ihl & 0xf) * 4;
	if (c->pos + hlen > c->end)
		return TA_PARSE_SHORT;
	pkt->family = TA_AF_INET;
	pkt->l4proto = ip->protocol;
	ta_map_v4(pkt->saddr, ip->saddr);
	ta_map_v4(pkt->daddr, ip->daddr);
	/* tot_len is 0 for BIG TCP super-packets; the caller then uses the frame's */
	*l3_len = bpf_ntohs(ip->tot_len);
	*l3_len = *l3_len > hlen ? *l3_len - hlen : 0;
	c->pos += hlen;
	return TA_PARSE_OK;
}

static __always_inline int ta_parse_ipv6(struct ta_cursor *c, struct ta_pkt *pkt, __u32 *l3_len)
{
	struct ta_ip6_hdr *ip6 = c->pos;
	struct ta_ip6_opt_hdr *oh;
	struct ta_ip6_frag_hdr *fh;
	__u32 len, hl;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return TA_PARSE_SHORT;
	if ((((__u8 *)ip6)[0] >> 4) != 6)
		return TA_PARSE_SKIP;
	pkt->family = TA_AF_INET6;
	__builtin_memcpy(pkt->saddr, ip6->saddr, 16);
	__builtin_memcpy(pkt->daddr, ip6->daddr, 16);
	nh = ip6->nexthdr;
	len = bpf_ntohs(ip6->payload_len);
	c->pos = ip6 + 1;
	TA_UNROLL
	for (i = 0; i < TA_MAX_EXTHDR; i++) {
		switch (nh) {
		case TA_IPV6_HOPOPTS:
		case TA_IPV6_ROUTING:
		case TA_IPV6_DSTOPTS:
		case TA_IPV6_MH:
		case TA_IPV6_AH:
			oh = c->pos;
			if ((void *)(oh + 1) > c->end)
				return TA_PARSE_SHORT;
			/* AH counts 4-byte units, less 2; the others 8-byte, less 1 */
			hl = nh == TA_IPV6_AH ? (oh->hdrlen + 2u) * 4 : (oh->hdrlen + 1u) * 8;
			nh = oh->nexthdr;
			c->pos += hl;
			len = len > hl ? len - hl : 0;
			break;
		case TA_IPV6_FRAGMENT:
			fh = c->pos;
			if ((void *)(fh + 1) > c->end)
				return TA_PARSE_SHORT;
			/* TCP in fragments: unseen, as in IPv4; UDP's later ones
			 * are judged by the first */
			if (fh->nexthdr == TA_IPPROTO_TCP)
				return TA_PARSE_BLIND;
			if (fh->frag_off & bpf_htons(0xfff8))
				return TA_PARSE_SKIP;
			if (len < 8 + sizeof(struct ta_udp_hdr))
				return TA_PARSE_BLIND;
			nh = fh->nexthdr;
			c->pos = fh + 1;
			len = len > 8 ? len - 8 : 0;
			break;
		default:
			goto done;
		}
	}
	/* TA_MAX_EXTHDR walked: what follows must be no extension header */
	if (nh == TA_IPV6_HOPOPTS || nh == TA_IPV6_ROUTING || nh == TA_IPV6_DSTOPTS ||
	    nh == TA_IPV6_MH || nh == TA_IPV6_AH || nh == TA_IPV6_FRAGMENT)
		return TA_PARSE_BLIND; /* more than we are willing to walk */
done:
	pkt->l4proto = nh;
	*l3_len = len;
	return TA_PARSE_OK;
}

static __always_inline int ta_parse_l4(struct ta_cursor *c, struct ta_pkt *pkt, __u32 l3_len)
{
	struct ta_tcp_hdr *tcp;
	struct ta_udp_hdr *udp;
	__u32 hlen;

	if (pkt->l4proto == TA_IPPROTO_TCP) {
		tcp = c->pos;
		if ((void *)(tcp + 1) > c->end)
			return TA_PARSE_SHORT;
		hlen = (tcp->doff_res >> 4) * 4;
		if (hlen < sizeof(*tcp))
			return TA_PARSE_SKIP;
		pkt->sport = bpf_ntohs(tcp->source);
		pkt->dport = bpf_ntohs(tcp->dest);
		pkt->seq = bpf_ntohl(tcp->seq);
		pkt->ack_seq = bpf_ntohl(tcp->ack_seq);
		pkt->tcp_flags = tcp->flags;
		pkt->payload_len = l3_len > hlen ? l3_len - hlen : 0;
		c->pos += hlen;
		return TA_PARSE_OK;
	}
	if (pkt->l4proto == TA_IPPROTO_UDP) {
		udp = c->pos;
		if ((void *)(udp + 1) > c->end)
			return TA_PARSE_SHORT;
		pkt->sport = bpf_ntohs(udp->source);
		pkt->dport = bpf_ntohs(udp->dest);
		pkt->tcp_flags = 0;
		pkt->seq = 0;
		pkt->ack_seq = 0;
		pkt->payload_len = l3_len > sizeof(*udp) ? l3_len - sizeof(*udp) : 0;
		c->pos = udp + 1;
		return TA_PARSE_OK;
	}
	return TA_PARSE_SKIP;
}

/*
 * From the network header on: c->pos at the IP header, proto the EtherType
 * that announced it, data the start of the frame (offsets are from there),
 * frame_len the packet's full length (skb->len at TC), used when the IP
 * header gives no length.
 */
static __always_inline int ta_parse_l3(struct ta_cursor *c, __u16 proto, void *data,
				       __u32 frame_len, struct ta_pkt *pkt)
{
	__u32 l3_len = 0, hdrs;
	int rc;

	pkt->l3_off = c->pos - data;
	if (proto == TA_ETH_P_IP)
		rc = ta_parse_ipv4(c, pkt, &l3_len);
	else if (proto == TA_ETH_P_IPV6)
		rc = ta_parse_ipv6(c, pkt, &l3_len);
	else
		return TA_PARSE_SKIP;
	if (rc)
		return rc;
	/* no length in the header (BIG TCP) or a frame shorter than it says */
	hdrs = c->pos - data;
	pkt->l4_off = hdrs;
	if (l3_len == 0 || hdrs + l3_len > frame_len)
		l3_len = frame_len > hdrs ? frame_len - hdrs : 0;
	rc = ta_parse_l4(c, pkt, l3_len);
	if (rc)
		return rc;
	pkt->payload_off = c->pos - data;
	return TA_PARSE_OK;
}

/* An Ethernet frame from data to data_end (the part the parser may read). */
static __always_inline int ta_parse(void *data, void *data_end, __u32 frame_len, struct ta_pkt *pkt)
{
	struct ta_cursor c = { .pos = data, .end = data_end };
	__u16 proto;
	int rc;

	rc = ta_parse_eth(&c, &proto);
	if (rc)
		return rc;
	return ta_parse_l3(&c, proto, data, frame_len, pkt);
}

#endif /* TA_PARSE_H */
