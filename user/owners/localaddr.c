// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* localaddr.c - is an address one of this network namespace's own? */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include "owners/localaddr.h"

static void refresh(struct ta_local_addrs *la)
{
	struct ifaddrs *ifa, *it;

	la->n = 0;
	if (getifaddrs(&ifa))
		return;
	for (it = ifa; it && la->n < TA_LOCAL_MAX; it = it->ifa_next) {
		__u8 *a = la->addr[la->n].a;

		if (!it->ifa_addr)
			continue;
		if (it->ifa_addr->sa_family == AF_INET) {
			memset(a, 0, 10);
			a[10] = a[11] = 0xff;
			memcpy(a + 12, &((struct sockaddr_in *)it->ifa_addr)->sin_addr, 4);
			la->n++;
		} else if (it->ifa_addr->sa_family == AF_INET6) {
			memcpy(a, &((struct sockaddr_in6 *)it->ifa_addr)->sin6_addr, 16);
			la->n++;
		}
	}
	freeifaddrs(ifa);
}

/* A hit is certain; a miss refreshes the list, at most once a second, since
 * addresses come and go (an interface up, a container started). */
int ta_addr_is_local(struct ta_local_addrs *la, const __u8 addr[16], time_t now)
{
	int i, pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 || !la->at) {
			if (la->at == now && pass == 1)
				return 0;
			refresh(la);
			la->at = now;
		}
		for (i = 0; i < la->n; i++)
			if (!memcmp(la->addr[i].a, addr, 16))
				return 1;
	}
	return 0;
}
