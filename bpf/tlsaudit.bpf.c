// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlsaudit.bpf.c - the programs: thin shells that parse a packet and hand it
 * to the flow machine (ta_flow.h, in its kernel environment ta_env.bpf.h),
 * one per hook, and the process-context hooks that name socket owners
 * (ta_owners.bpf.h).
 *
 *   ta_tc_ingress, ta_tc_egress   host mode: the local sockets' traffic
 *   ta_tc_gateway                 gateway mode at TC ingress (keeps GRO)
 *   ta_xdp_gateway                gateway mode at XDP
 *
 * Packet path: parse -> port test (the only cost for unwatched traffic) ->
 * the flow machine, as a BPF subprogram per context type.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tlsaudit.h"
#include "ta_env.bpf.h"
#include "ta_owners.bpf.h"

#define TC_ACT_UNSPEC (-1) /* also TCX_NEXT: let the next program decide */
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The flow machine as BPF subprograms, one per context type: the packet stays
 * in memory (clang 14 otherwise splits it into registers and spills them in
 * ways the verifier refuses), each is verified once per call site, and each
 * keeps only the payload helper its program type may call. */
static __noinline int ta_l4_skb(struct ta_env *env, const struct ta_pkt *pkt, int c2s)
{
	return ta_flow_l4(env, pkt, c2s, TA_HOOK_SKB);
}

static __noinline int ta_l4_xdp(struct ta_env *env, const struct ta_pkt *pkt, int c2s)
{
	return ta_flow_l4(env, pkt, c2s, TA_HOOK_XDP);
}

/* The header parser as a subprogram: its spills stay off the frame that
 * the flow machine's call chain shares (512 bytes in all, on 6.1). */
static __noinline int ta_parse_frame(void *data, void *data_end, __u32 frame_len,
				     struct ta_pkt *pkt)
{
	return ta_parse(data, data_end, frame_len, pkt);
}

#include "ta_reset.bpf.h" /* (it parses with ta_parse_frame too) */

/* A frame whose TCP or UDP header the parser cannot see, though the stack
 * behind will (TA_PARSE_BLIND): counted, and enforcing, dropped, since its
 * bytes could be any flow's. */
static __noinline int ta_unseen(void)
{
	ta_stat_inc(TA_STAT_UNPARSED);
	if (!ta_enforce)
		return TA_PASS;
	ta_stat_inc(TA_STAT_BLOCKED_PKTS);
	return TA_DROP;
}

/* Hand one parsed frame (rc from ta_parse_frame) to the flow machine: its
 * action. One call site per program: a static subprogram is verified once
 * per call site, and the flow machine is most of what the verifier walks. */
static __always_inline int ta_handle(struct ta_env *env, const struct ta_pkt *pkt, int rc, int xdp)
{
	int c2s;

	if (rc == TA_PARSE_BLIND)
		return ta_unseen();
	if (rc != TA_PARSE_OK)
		return TA_PASS;
	c2s = ta_flow_direction(env, pkt);
	if (c2s < 0)
		return TA_PASS;
	return xdp ? ta_l4_xdp(env, pkt, c2s) : ta_l4_skb(env, pkt, c2s);
}

static __always_inline int ta_tc(struct __sk_buff *skb, int is_egress, int gateway)
{
	struct ta_env env = {
		.hook = { .ifindex = skb->ifindex, .is_egress = is_egress, .gateway = gateway },
		.ctx = skb
	};
	struct ta_pkt pkt;
	int rc, act;

	rc = ta_parse_frame((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len, &pkt);
	/* Headers outside the linear area: pull just the headers and parse again. */
	if (rc == TA_PARSE_SHORT && skb->data_end - skb->data < skb->len) {
		if (bpf_skb_pull_data(skb, skb->len < 128 ? skb->len : 128))
			return TC_ACT_UNSPEC;
		rc = ta_parse_frame((void *)(long)skb->data, (void *)(long)skb->data_end, skb->len,
				    &pkt);
	}
	act = ta_handle(&env, &pkt, rc, 0);
	if (act == TA_RESET)
		return ta_reset_skb(skb, is_egress);
	return act & TA_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

SEC("tc")
int ta_tc_ingress(struct __sk_buff *skb)
{
	return ta_tc(skb, 0, 0);
}

SEC("tc")
int ta_tc_egress(struct __sk_buff *skb)
{
	return ta_tc(skb, 1, 0);
}

/* Gateway mode at TC ingress: forwarded flows, both directions seen as each
 * side's ingress. Keeps GRO, which XDP on a veth defeats. */
SEC("tc")
int ta_tc_gateway(struct __sk_buff *skb)
{
	return ta_tc(skb, 0, 1);
}

/* Gateway mode at XDP: the earliest and cheapest hook on real NICs. */
SEC("xdp")
int ta_xdp_gateway(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ta_env env = { .hook = { .ifindex = ctx->ingress_ifindex, .gateway = 1 },
			      .ctx = ctx };
	struct ta_pkt pkt;
	int act;

	act = ta_handle(&env, &pkt, ta_parse_frame(data, data_end, data_end - data, &pkt), 1);
	if (act == TA_RESET)
		return ta_reset_xdp(ctx);
	return act & TA_DROP ? XDP_DROP : XDP_PASS;
}
