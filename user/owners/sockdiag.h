/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sockdiag.h - the established TCP sockets on watched ports, as sock_diag
 * lists them: connections that predate tlsaudit. Follows the current network
 * namespace only.
 */
#ifndef TA_SOCKDIAG_H
#define TA_SOCKDIAG_H

#include <stddef.h>
#include <linux/types.h>
#include "tlsaudit.h"

/* An established TCP socket on a watched port. */
struct ta_sockinfo {
	struct ta_flow_key key; /* client -> server, like the BPF flow keys */
	__u32 inode;
	__u32 uid;
	__u8 local_is_server;
};

struct ta_socklist {
	struct ta_sockinfo *s;
	size_t n, cap;
};

/* Append the established IPv4 and IPv6 TCP sockets with a watched local or
 * remote port (ports: TA_PORT_BITMAP_LEN bytes) to out. Returns how many,
 * or -errno. */
int ta_list_established(const __u8 *ports, struct ta_socklist *out);
void ta_socklist_free(struct ta_socklist *l);

#endif
