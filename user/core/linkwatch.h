/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * linkwatch.h - rtnetlink link events, to follow interfaces that come and go.
 * It follows the current network namespace, unlike /sys/class/net.
 */
#ifndef TA_LINKWATCH_H
#define TA_LINKWATCH_H

#include <net/if.h>

struct ta_link_event {
	int ifindex;
	char name[IF_NAMESIZE];
	int up;
	int gone;
};

/* A non-blocking rtnetlink socket subscribed to link events, or -errno. */
int ta_linkwatch_open(void);
/* The link events of one pending datagram (at most max; 64 hold any) into
 * ev: how many; 0 when nothing is pending; -EAGAIN when the datagram held
 * none (read again); another -errno on failure. */
int ta_linkwatch_read(int fd, struct ta_link_event *ev, int max);

#endif
