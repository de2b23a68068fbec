/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hold.h - enforcement that outlives the process.
 *
 * Under --enforce the links that put the programs on interfaces are pinned in
 * TA_HOLD_DIR, so a stop, a crash or `systemctl restart` leaves the programs
 * judging and blocking with the flow table they share with the next run. That
 * run takes each pinned link over with bpf_link_update(), which swaps the
 * program atomically: no packet goes unjudged in between. Kernels without tcx
 * get a clsact filter that is replaced in place (BPF_TC_F_REPLACE) and, when
 * held, left on the interface at exit. Only `tlsaudit --release` (or a run
 * without --enforce taking the links over) ends a hold.
 *
 * A pin's name says where its link is: the network namespace (its inode), the
 * interface index and the attach point, e.g. net4026531840-if2-ingress. The
 * maps the held programs use (TA_HOLD_MAPS) are pinned beside them as
 * net4026531840-map-flows and so on, so the next run reuses the flow table:
 * connections judged before the restart keep their verdicts.
 */
#ifndef TA_HOLD_H
#define TA_HOLD_H

#include <linux/types.h>

enum ta_hold_point {
	TA_HOLD_INGRESS = 0, /* tcx ingress */
	TA_HOLD_EGRESS,	     /* tcx egress */
	TA_HOLD_XDP,
};

/* Mount bpffs if needed and make TA_HOLD_DIR; 0 or -errno (said why). */
int ta_hold_prepare(void);
/* Where the map named map is pinned for this namespace's hold: the flow
 * table and the ring buffer outlive a run with the links that use them. */
void ta_hold_map_path(char *out, size_t n, const char *map);
/* Take over the link pinned for (ifindex, point) in this network namespace:
 * swap its program for prog_fd and return its fd. -ENOENT when there is no
 * such pin; a pin whose link no longer points at the interface (the device
 * went away) is removed and -ENOENT returned; other errors -errno. */
int ta_hold_take(int ifindex, enum ta_hold_point point, int prog_fd);
/* Pin link_fd for (ifindex, point); 0 or -errno. */
int ta_hold_pin(int ifindex, enum ta_hold_point point, int link_fd);
/* Remove the pin for (ifindex, point), if any: closing the last fd then
 * detaches the link. */
void ta_hold_unpin(int ifindex, enum ta_hold_point point);
/* Names of the holds in this network namespace, for messages: how many. */
int ta_hold_count(void);
/* --release: unpin every hold (all namespaces) and remove the clsact filters
 * of ours on the interfaces of this one. 0, or 1 when something stayed. */
int ta_hold_release(void);

#endif
