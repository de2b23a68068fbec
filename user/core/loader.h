/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader.h - the BPF object, from open to load: rodata set between open and
 * load (ports, --enforce), the flow and tombstone tables sized, the counters
 * pinned when they are exported, the --allow prefixes filled in. Also the
 * optional element-count iterator (ta_count.bpf.c).
 */
#ifndef TA_LOADER_H
#define TA_LOADER_H

#include <linux/types.h>
#include "tlsaudit.h"

struct tlsaudit;
struct ta_count;
struct bpf_link;

struct ta_loader_config {
	const __u8 *ports; /* TA_PORT_BITMAP_LEN bytes */
	int enforce;
	__u32 max_flows;
	int pin;  /* pin the counters (TA_PIN_MAPS) */
	int hold; /* --enforce: pin the flow table and ring (TA_HOLD_MAPS) */
	const struct ta_allow_key *allow;
	int n_allow;
	__u32 ringbuf_bytes;  /* the events ring's size, a power of 2 pages; 0: the default */
	__u32 captures_bytes; /* the captures ring's, the same way */
};

struct ta_loader {
	struct tlsaudit *skel;
	struct ta_count *count; /* NULL when the kernel cannot count */
	struct bpf_link *count_link;
};

/* 0, or -errno with the reason said in one line. */
int ta_loader_load(struct ta_loader *l, const struct ta_loader_config *cfg);
void ta_loader_close(struct ta_loader *l);
/* Entries in the flow tables (proven and new) now: the kernel's own count,
 * or a walk. */
__u64 ta_loader_live_flows(struct ta_loader *l);

#endif
