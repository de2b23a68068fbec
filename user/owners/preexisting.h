/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * preexisting.h - connections on watched ports that were established before
 * the hooks were attached. Their first bytes went by unseen, so each is
 * reported once, as midstream with reason "preexisting", with its owner from
 * /proc; and each is seeded into the kernel's flow table, so that its next
 * packet is not reported again.
 */
#ifndef TA_PREEXISTING_H
#define TA_PREEXISTING_H

#include <stddef.h>
#include <linux/types.h>
#include "tlsaudit.h"

struct ta_preexisting {
	struct ta_flow_event *ev; /* TA_EV_FLOW records, flags TA_F_PREEXISTING */
	size_t n;
};

/*
 * List the established TCP sockets of this network namespace with a watched
 * port (ports: TA_PORT_BITMAP_LEN bytes), seed each into the flow table
 * flows_fd, and make its record. Sockets whose flow is already in the table
 * (both ends local: the other socket was listed first) are skipped.
 * cg_mount may be NULL (no cgroup ids then). Returns 0, or -errno with what
 * could be listed in out.
 */
int ta_preexisting_scan(const __u8 *ports, int flows_fd, const char *cg_mount, __u64 now_boot_ns,
			struct ta_preexisting *out);
void ta_preexisting_free(struct ta_preexisting *p);

#endif
