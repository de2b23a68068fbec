// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ta_count.bpf.c - how many entries a map holds, from the kernel's own count
 * (bpf_map_sum_elem_count, Linux 6.6), with no walk of the map. The loader
 * reads it for the flow tables, to count what the LRUs evicted exactly enough:
 * evictions = inserts - deletes - live. A separate object, loaded when the
 * kernel has the kfunc; without it the loader walks the table instead.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym;

/* in: the ids of the maps to count (the proven and the new flows); out:
 * their entries summed, and how many of the maps were found */
__u32 target_id = 0;
__u32 target_id2 = 0;
__s64 elems = 0;
__u32 found = 0;

SEC("iter/bpf_map")
int ta_count_map(struct bpf_iter__bpf_map *ctx)
{
	struct bpf_map *map = ctx->map;

	if (!map)
		return 0;
	if (map->id == target_id || map->id == target_id2) {
		elems += bpf_map_sum_elem_count(map);
		found++;
	}
	return 0;
}
