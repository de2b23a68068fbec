/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_parse.bpf.h - bounded header parsing with a cursor, for TC and XDP alike.
 *
 * Ethernet -> up to two VLAN tags -> IPv4 (ihl >= 5, options honoured,
 * non-first fragments skipped) or IPv6 (up to TA_MAX_EXTHDR extension headers
 * skipped) -> TCP (doff >= 5) or UDP. Only direct packet access is used for
 * headers; payload bytes are read by the caller with the load_bytes helpers,
 * because a TCP payload often sits outside the linear area.
 */
#ifndef TA_PARSE_BPF_H
#define TA_PARSE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "tlsaudit.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8
#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60
#define IPPROTO_MH 135
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff

#define TA_MAX_VLAN 2
#define TA_MAX_EXTHDR 6

#define TA_TCP_FIN 0x01
#define TA_TCP_SYN 0x02
#define TA_TCP_RST 0x04
#define TA_TCP_ACK 0x10

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
	__u32 payload_off; /* from the start of the frame */
	__u32 payload_len;
	__u8 family;
	__u8 l4proto;
	__u8 tcp_flags;
	__u8 pad;
};

enum ta_parse_rc {
	TA_PARSE_OK = 0,
	TA_PARSE_SKIP = 1,  /* not ours: other protocol, fragment, ... */
	TA_PARSE_SHORT = 2, /* headers run past the linear area */
};

static __always_inline void ta_map_v4(__u8 *dst, __be32 a)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &a, 4);
}

static __always_inline int ta_parse_eth(struct ta_cursor *c, __u16 *proto)
{
	struct ethhdr *eth = c->pos;
	struct vlan_hdr *vh;
	__u16 p;
	int i;

	if ((void *)(eth + 1) > c->end)
		return TA_PARSE_SHORT;
	c->pos = eth + 1;
	p = eth->h_proto;
#pragma unroll
	for (i = 0; i < TA_MAX_VLAN; i++) {
		if (p != bpf_htons(ETH_P_8021Q) && p != bpf_htons(ETH_P_8021AD))
			break;
		vh = c->pos;
		if ((void *)(vh + 1) > c->end)
			return TA_PARSE_SHORT;
		p = vh->h_vlan_encapsulated_proto;
		c->pos = vh + 1;
	}
	*proto = bpf_ntohs(p);
	return TA_PARSE_OK;
}

/* Returns the L4 protocol in *l4 and the L3 payload length in *l3_len. */
static __always_inline int ta_parse_ipv4(struct ta_cursor *c, struct ta_pkt *pkt, __u32 *l3_len)
{
	struct iphdr *ip = c->pos;
	__u32 hlen;

	if ((void *)(ip + 1) > c->end)
		return TA_PARSE_SHORT;
	if (ip->version != 4 || ip->ihl < 5)
		return TA_PARSE_SKIP;
	/* a non-first fragment carries no L4 header */
	if (ip->frag_off & bpf_htons(IP_OFFSET))
		return TA_PARSE_SKIP;
	hlen = ip->ihl * 4;
	if (c->pos + hlen > c->end)
		return TA_PARSE_SHORT;
	pkt->family = TA_AF_INET;
	pkt->l4proto = ip->protocol;
	ta_map_v4(pkt->saddr, ip->saddr);
	ta_map_v4(pkt->daddr, ip->daddr);
	/* tot_len is 0 for BIG TCP super-packets; the caller then uses skb->len */
	*l3_len = bpf_ntohs(ip->tot_len);
	*l3_len = *l3_len > hlen ? *l3_len - hlen : 0;
	c->pos += hlen;
	return TA_PARSE_OK;
}

static __always_inline int ta_parse_ipv6(struct ta_cursor *c, struct ta_pkt *pkt, __u32 *l3_len)
{
	struct ipv6hdr *ip6 = c->pos;
	struct ipv6_opt_hdr *oh;
	struct frag_hdr *fh;
	__u32 len;
	__u8 nh;
	int i;

	if ((void *)(ip6 + 1) > c->end)
		return TA_PARSE_SHORT;
	if (ip6->version != 6)
		return TA_PARSE_SKIP;
	pkt->family = TA_AF_INET6;
	__builtin_memcpy(pkt->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pkt->daddr, &ip6->daddr, 16);
	nh = ip6->nexthdr;
	len = bpf_ntohs(ip6->payload_len);
	c->pos = ip6 + 1;
#pragma unroll
	for (i = 0; i < TA_MAX_EXTHDR; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
			oh = c->pos;
			if ((void *)(oh + 1) > c->end)
				return TA_PARSE_SHORT;
			nh = oh->nexthdr;
			c->pos += (oh->hdrlen + 1) * 8;
			len = len > (oh->hdrlen + 1u) * 8 ? len - (oh->hdrlen + 1u) * 8 : 0;
			break;
		case IPPROTO_FRAGMENT:
			fh = c->pos;
			if ((void *)(fh + 1) > c->end)
				return TA_PARSE_SHORT;
			if (fh->frag_off & bpf_htons(0xfff8))
				return TA_PARSE_SKIP;
			nh = fh->nexthdr;
			c->pos = fh + 1;
			len = len > 8 ? len - 8 : 0;
			break;
		default:
			goto done;
		}
	}
	/* more extension headers than we are willing to walk */
	return TA_PARSE_SKIP;
done:
	pkt->l4proto = nh;
	*l3_len = len;
	return TA_PARSE_OK;
}

static __always_inline int ta_parse_l4(struct ta_cursor *c, struct ta_pkt *pkt, __u32 l3_len)
{
	struct tcphdr *tcp;
	struct udphdr *udp;
	__u32 hlen;

	if (pkt->l4proto == IPPROTO_TCP) {
		tcp = c->pos;
		if ((void *)(tcp + 1) > c->end)
			return TA_PARSE_SHORT;
		hlen = tcp->doff * 4;
		if (hlen < sizeof(*tcp))
			return TA_PARSE_SKIP;
		pkt->sport = bpf_ntohs(tcp->source);
		pkt->dport = bpf_ntohs(tcp->dest);
		pkt->seq = bpf_ntohl(tcp->seq);
		/* the flags byte follows the data offset byte */
		pkt->tcp_flags = ((__u8 *)tcp)[13];
		pkt->payload_len = l3_len > hlen ? l3_len - hlen : 0;
		c->pos += hlen;
		return TA_PARSE_OK;
	}
	if (pkt->l4proto == IPPROTO_UDP) {
		udp = c->pos;
		if ((void *)(udp + 1) > c->end)
			return TA_PARSE_SHORT;
		pkt->sport = bpf_ntohs(udp->source);
		pkt->dport = bpf_ntohs(udp->dest);
		pkt->payload_len = l3_len > sizeof(*udp) ? l3_len - sizeof(*udp) : 0;
		c->pos = udp + 1;
		return TA_PARSE_OK;
	}
	return TA_PARSE_SKIP;
}

/*
 * Parse a frame from data to data_end. frame_len is the full length of the
 * packet (skb->len at TC), used when the IP header gives no length.
 */
static __always_inline int ta_parse(void *data, void *data_end, __u32 frame_len,
				    struct ta_pkt *pkt)
{
	struct ta_cursor c = { .pos = data, .end = data_end };
	__u32 l3_len = 0, hdrs;
	__u16 proto;
	int rc;

	rc = ta_parse_eth(&c, &proto);
	if (rc)
		return rc;
	if (proto == ETH_P_IP)
		rc = ta_parse_ipv4(&c, pkt, &l3_len);
	else if (proto == ETH_P_IPV6)
		rc = ta_parse_ipv6(&c, pkt, &l3_len);
	else
		return TA_PARSE_SKIP;
	if (rc)
		return rc;
	/* no length in the header (BIG TCP) or a frame shorter than it says */
	hdrs = c.pos - data;
	if (l3_len == 0 || hdrs + l3_len > frame_len)
		l3_len = frame_len > hdrs ? frame_len - hdrs : 0;
	rc = ta_parse_l4(&c, pkt, l3_len);
	if (rc)
		return rc;
	pkt->payload_off = c.pos - data;
	return TA_PARSE_OK;
}

#endif /* TA_PARSE_BPF_H */
