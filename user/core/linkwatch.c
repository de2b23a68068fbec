// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* linkwatch.c - rtnetlink link events: interfaces that come up, or vanish. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "core/linkwatch.h"

int ta_linkwatch_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ta_linkwatch_read(int fd, struct ta_link_event *ev, int max)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh;
	int count = 0;
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n) && count < max;
	     nh = NLMSG_NEXT(nh, n)) {
		struct ifinfomsg *ifi;
		struct rtattr *rta;
		int len;

		if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
			continue;
		ifi = NLMSG_DATA(nh);
		len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
		ev[count].ifindex = ifi->ifi_index;
		ev[count].name[0] = '\0';
		for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
			if (rta->rta_type == IFLA_IFNAME)
				snprintf(ev[count].name, sizeof(ev[count].name), "%.*s",
					 (int)RTA_PAYLOAD(rta), (char *)RTA_DATA(rta));
		ev[count].up = !!(ifi->ifi_flags & IFF_UP);
		ev[count].gone = nh->nlmsg_type == RTM_DELLINK;
		count++;
	}
	/* an empty read of a real datagram (other messages) still says "more may wait" */
	return count ? count : -EAGAIN;
}
