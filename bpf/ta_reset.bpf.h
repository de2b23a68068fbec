/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_reset.bpf.h - answer a packet of a blocked TCP flow with an RST to its
 * sender, made from the packet itself: a program cannot allocate one. The
 * frame keeps its link-layer header (addresses swapped, VLAN tags as they
 * were) and gets a fresh IP header without options or extension headers and
 * a bare TCP header; the payload is cut off, so none of the blocked bytes
 * travels on, not even inside the RST.
 *
 * The RST is the one the peer's own stack would send to a segment it has no
 * connection for (RFC 793 3.4, as Linux does it): to a segment with ACK, seq
 * = its ack, no ACK; else seq 0 and ACK = its seq + length (a Fast Open SYN,
 * whose sender is in SYN-SENT and takes only an RST that acknowledges it).
 * A stack that follows RFC 5961 takes it, since that seq is exactly the
 * next one it expects.
 *
 * Both checksums are computed whole. An skb whose TCP checksum was left to
 * the device (CHECKSUM_PARTIAL) only comes from a local socket or a veth,
 * and the RST goes back the same way, where that state means "already
 * checked": the value written is then never read.
 */
#ifndef TA_RESET_BPF_H
#define TA_RESET_BPF_H

#include "ta_parse.h"

#define TA_RST_TTL 64
#define TA_RST_MAX_L2 (sizeof(struct ta_eth_hdr) + TA_MAX_VLAN * sizeof(struct ta_vlan_hdr))

/* The new L3 and L4 headers, back to back: IPv4 20 + 20, or IPv6 40 + 20. */
struct ta_rst_hdrs {
	union {
		struct {
			struct ta_ip4_hdr ip;
			struct ta_tcp_hdr tcp;
		} v4;
		struct {
			struct ta_ip6_hdr ip;
			struct ta_tcp_hdr tcp;
		} v6;
	};
};

static __always_inline __u16 ta_csum_fold(__s64 sum)
{
	__u32 v = (__u32)sum;

	v = (v & 0xffff) + (v >> 16);
	v = (v & 0xffff) + (v >> 16);
	return (__u16)~v;
}

/* The RST's TCP header, its checksum left 0; ack the packet's own ACK
 * field, as sent (not in struct ta_pkt: the flow machine never needs it). */
static __always_inline void ta_rst_tcp(struct ta_tcp_hdr *t, const struct ta_pkt *pkt, __be32 ack)
{
	__u8 fl = pkt->tcp_flags;

	t->source = bpf_htons(pkt->dport);
	t->dest = bpf_htons(pkt->sport);
	t->doff_res = (sizeof(*t) / 4) << 4;
	t->window = 0;
	t->check = 0;
	t->urg_ptr = 0;
	if (fl & TA_TCP_ACK) {
		t->seq = ack;
		t->ack_seq = 0;
		t->flags = TA_TCP_RST;
	} else {
		t->seq = 0;
		t->ack_seq = bpf_htonl(pkt->seq + pkt->payload_len + !!(fl & TA_TCP_SYN) +
				       !!(fl & TA_TCP_FIN));
		t->flags = TA_TCP_RST | TA_TCP_ACK;
	}
}

/* Build the headers; returns their length (40 or 60), 0 if it cannot. */
static __always_inline __u32 ta_rst_build(struct ta_rst_hdrs *h, const struct ta_pkt *pkt,
					  __be32 ack)
{
	struct {
		__u8 saddr[16];
		__u8 daddr[16];
		__be32 len;
		__be32 nexthdr;
	} ph6;
	struct {
		__be32 saddr;
		__be32 daddr;
		__be16 proto;
		__be16 len;
	} ph4;
	__s64 sum;

	__builtin_memset(h, 0, sizeof(*h));
	if (pkt->family == TA_AF_INET) {
		h->v4.ip.ver_ihl = 0x45;
		h->v4.ip.tot_len = bpf_htons(sizeof(h->v4));
		h->v4.ip.frag_off = bpf_htons(0x4000); /* DF */
		h->v4.ip.ttl = TA_RST_TTL;
		h->v4.ip.protocol = TA_IPPROTO_TCP;
		__builtin_memcpy(&h->v4.ip.saddr, pkt->daddr + 12, 4);
		__builtin_memcpy(&h->v4.ip.daddr, pkt->saddr + 12, 4);
		sum = bpf_csum_diff(NULL, 0, (__be32 *)&h->v4.ip, sizeof(h->v4.ip), 0);
		if (sum < 0)
			return 0;
		h->v4.ip.check = ta_csum_fold(sum);
		ta_rst_tcp(&h->v4.tcp, pkt, ack);
		ph4.saddr = h->v4.ip.saddr;
		ph4.daddr = h->v4.ip.daddr;
		ph4.proto = bpf_htons(TA_IPPROTO_TCP);
		ph4.len = bpf_htons(sizeof(h->v4.tcp));
		sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph4, sizeof(ph4), 0);
		if (sum >= 0)
			sum = bpf_csum_diff(NULL, 0, (__be32 *)&h->v4.tcp, sizeof(h->v4.tcp), sum);
		if (sum < 0)
			return 0;
		h->v4.tcp.check = ta_csum_fold(sum);
		return sizeof(h->v4);
	}
	h->v6.ip.ver_tc_flow = bpf_htonl(0x60000000);
	h->v6.ip.payload_len = bpf_htons(sizeof(h->v6.tcp));
	h->v6.ip.nexthdr = TA_IPPROTO_TCP;
	h->v6.ip.hop_limit = TA_RST_TTL;
	__builtin_memcpy(h->v6.ip.saddr, pkt->daddr, 16);
	__builtin_memcpy(h->v6.ip.daddr, pkt->saddr, 16);
	ta_rst_tcp(&h->v6.tcp, pkt, ack);
	__builtin_memcpy(ph6.saddr, pkt->daddr, 16);
	__builtin_memcpy(ph6.daddr, pkt->saddr, 16);
	ph6.len = bpf_htonl(sizeof(h->v6.tcp));
	ph6.nexthdr = bpf_htonl(TA_IPPROTO_TCP);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)&ph6, sizeof(ph6), 0);
	if (sum >= 0)
		sum = bpf_csum_diff(NULL, 0, (__be32 *)&h->v6.tcp, sizeof(h->v6.tcp), sum);
	if (sum < 0)
		return 0;
	h->v6.tcp.check = ta_csum_fold(sum);
	return sizeof(h->v6);
}

/* Swap the frame's Ethernet addresses in place (12 bytes at data). */
static __always_inline void ta_rst_swap_mac(__u8 *mac)
{
	__u8 tmp[6];

	__builtin_memcpy(tmp, mac, 6);
	__builtin_memcpy(mac, mac + 6, 6);
	__builtin_memcpy(mac + 6, tmp, 6);
}

/*
 * TC: the RST goes back where the packet came from: out of the device it
 * arrived on (ingress), or up into the local stack it left (egress). Returns
 * the program's verdict: TC_ACT_REDIRECT, or TC_ACT_SHOT if no RST could be
 * made (the packet is dropped all the same).
 */
static __always_inline int ta_reset_skb_make(struct __sk_buff *skb, const struct ta_pkt *pkt,
					     int is_egress)
{
	struct ta_rst_hdrs h;
	__u8 mac[12];
	__u32 l3 = pkt->l3_off, n;
	__be32 ack;

	if (bpf_skb_load_bytes(skb, pkt->l4_off + 8, &ack, sizeof(ack)) ||
	    bpf_skb_load_bytes(skb, 0, mac, sizeof(mac)))
		return TC_ACT_SHOT;
	n = ta_rst_build(&h, pkt, ack);
	if (!n || l3 > TA_RST_MAX_L2)
		return TC_ACT_SHOT;
	ta_rst_swap_mac(mac);
	if (skb->len > l3 + n && bpf_skb_change_tail(skb, l3 + n, 0))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, 0, mac, sizeof(mac), 0))
		return TC_ACT_SHOT;
	if (n == sizeof(h.v4) ? bpf_skb_store_bytes(skb, l3, &h, sizeof(h.v4), 0)
			      : bpf_skb_store_bytes(skb, l3, &h, sizeof(h.v6), 0))
		return TC_ACT_SHOT;
	return bpf_redirect(skb->ifindex, is_egress ? BPF_F_INGRESS : 0);
}

/*
 * The packet is parsed again here: the hook's parse stays on its own stack
 * frame only until the flow machine returns, which keeps the call chain's
 * stack within budget, and an RST is rare enough for a second parse.
 * A subprogram, so that its frame is not on the flow machine's chain.
 */
static __noinline int ta_reset_skb(struct __sk_buff *skb, int is_egress)
{
	struct ta_pkt pkt;
	int rc;

	if (ta_parse_frame((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len, &pkt))
		rc = TC_ACT_SHOT;
	else if (!ta_flow_answerable(&pkt))
		return TC_ACT_SHOT;
	else
		rc = ta_reset_skb_make(skb, &pkt, is_egress);
	ta_stat_inc(rc == TC_ACT_REDIRECT ? TA_STAT_RESETS : TA_STAT_RESET_FAILURES);
	return rc;
}

/* XDP: the RST goes out of the device the packet came in on. Returns XDP_TX,
 * or XDP_DROP if no RST could be made. */
static __always_inline int ta_reset_xdp_make(struct xdp_md *ctx, const struct ta_pkt *pkt)
{
	struct ta_rst_hdrs h;
	__u32 l3 = pkt->l3_off, l4 = pkt->l4_off, n, len;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ta_tcp_hdr *tcp;

	/* (the parser bounds l4_off; the verifier wants it said again) */
	if (l4 > 512)
		return XDP_DROP;
	tcp = data + l4;
	if ((void *)(tcp + 1) > end)
		return XDP_DROP;
	n = ta_rst_build(&h, pkt, tcp->ack_seq);
	if (!n || l3 > TA_RST_MAX_L2)
		return XDP_DROP;
	len = end - data;
	if (len > l3 + n && bpf_xdp_adjust_tail(ctx, (int)(l3 + n) - (int)len))
		return XDP_DROP;
	/* read again, each on its own: clang would merge the two loads into
	 * one at a computed offset, which the verifier refuses for ctx */
	data = (void *)(long)*(volatile __u32 *)&ctx->data;
	end = (void *)(long)*(volatile __u32 *)&ctx->data_end;
	if (data + 12 > end)
		return XDP_DROP;
	ta_rst_swap_mac(data);
	if (n == sizeof(h.v4)) {
		if (data + l3 + sizeof(h.v4) > end)
			return XDP_DROP;
		__builtin_memcpy(data + l3, &h, sizeof(h.v4));
	} else {
		if (data + l3 + sizeof(h.v6) > end)
			return XDP_DROP;
		__builtin_memcpy(data + l3, &h, sizeof(h.v6));
	}
	return XDP_TX;
}

static __noinline int ta_reset_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ta_pkt pkt;
	int rc;

	if (ta_parse_frame(data, end, end - data, &pkt))
		rc = XDP_DROP;
	else if (!ta_flow_answerable(&pkt))
		return XDP_DROP;
	else
		rc = ta_reset_xdp_make(ctx, &pkt);
	ta_stat_inc(rc == XDP_TX ? TA_STAT_RESETS : TA_STAT_RESET_FAILURES);
	return rc;
}

#endif /* TA_RESET_BPF_H */
