/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netlink.h - what the loader asks the kernel's netlink families: link events
 * (rtnetlink, to follow interfaces that come and go), the established TCP
 * sockets that predate us (sock_diag), and which addresses are local.
 * All of them follow the current network namespace, unlike /sys/class/net.
 */
#ifndef TA_NETLINK_H
#define TA_NETLINK_H

#include <linux/types.h>
#include "tlsaudit.h"

/* A non-blocking rtnetlink socket subscribed to link events, or -errno. */
int ta_linkwatch_open(void);
typedef void (*ta_link_cb)(int ifindex, const char *name, int up, int gone, void *ctx);
/* Drain pending link messages, calling cb for each; returns 0 or -errno. */
int ta_linkwatch_read(int fd, ta_link_cb cb, void *ctx);

/* An established TCP socket on a watched port, as sock_diag lists it. */
struct ta_sockinfo {
	struct ta_flow_key key; /* client -> server, like the BPF flow keys */
	__u32 inode;
	__u32 uid;
	__u8 local_is_server;
};
typedef void (*ta_sock_cb)(const struct ta_sockinfo *si, void *ctx);
/* List established TCP sockets (IPv4 and IPv6) with a watched local or
 * remote port. Returns how many were listed, or -errno. */
int ta_list_established(const __u8 ports[8192], ta_sock_cb cb, void *ctx);

/* Is addr (IPv4-mapped for IPv4) an address of this namespace? Cached and
 * refreshed at most once a second. */
int ta_addr_is_local(const __u8 addr[16], __u8 family);

#endif
