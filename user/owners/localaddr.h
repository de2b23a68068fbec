/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * localaddr.h - the addresses of this network namespace, to tell which end of
 * a flow is local. getifaddrs() follows the current namespace.
 */
#ifndef TA_LOCALADDR_H
#define TA_LOCALADDR_H

#include <time.h>
#include <linux/types.h>

#define TA_LOCAL_MAX 256

struct ta_local_addrs {
	struct {
		__u8 a[16]; /* IPv4 as IPv4-mapped IPv6 */
	} addr[TA_LOCAL_MAX];
	int n;
	time_t at; /* when the list was read; 0: never */
};

/* Is addr (IPv4-mapped for IPv4) an address of this namespace? now is
 * time(NULL). Zero-initialise la before the first call. */
int ta_addr_is_local(struct ta_local_addrs *la, const __u8 addr[16], time_t now);

#endif
