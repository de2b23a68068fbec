// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* noop.bpf.c - the baseline programs every per-packet figure is compared to. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int noop_tc(struct __sk_buff *skb)
{
	(void)skb;
	return -1; /* TC_ACT_UNSPEC, as tlsaudit returns */
}

SEC("xdp")
int noop_xdp(struct xdp_md *ctx)
{
	(void)ctx;
	return 2; /* XDP_PASS */
}
