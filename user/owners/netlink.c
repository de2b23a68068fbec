// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* netlink.c - rtnetlink link events, sock_diag listing, local addresses. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include "owners/netlink.h"

#define TCP_ESTABLISHED 1

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

int ta_linkwatch_read(int fd, ta_link_cb cb, void *ctx)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			struct ifinfomsg *ifi;
			struct rtattr *rta;
			char name[IF_NAMESIZE] = "";
			int len;

			if (nh->nlmsg_type != RTM_NEWLINK && nh->nlmsg_type != RTM_DELLINK)
				continue;
			ifi = NLMSG_DATA(nh);
			len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi));
			for (rta = IFLA_RTA(ifi); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
				if (rta->rta_type == IFLA_IFNAME)
					snprintf(name, sizeof(name), "%.*s", (int)RTA_PAYLOAD(rta),
						 (char *)RTA_DATA(rta));
			cb(ifi->ifi_index, name, !!(ifi->ifi_flags & IFF_UP),
			   nh->nlmsg_type == RTM_DELLINK, ctx);
		}
	}
}

static int port_set(const __u8 ports[8192], __u16 p)
{
	return ports[p >> 3] & (1u << (p & 7));
}

static void to_key_addr(__u8 *dst, int family, const __u32 *src, __u8 *kfam)
{
	memset(dst, 0, 16);
	if (family == AF_INET) {
		dst[10] = dst[11] = 0xff;
		memcpy(dst + 12, src, 4);
		*kfam = TA_AF_INET;
		return;
	}
	memcpy(dst, src, 16);
	*kfam = (src[0] == 0 && src[1] == 0 && src[2] == htonl(0xffff)) ? TA_AF_INET : TA_AF_INET6;
}

static int dump_family(int family, const __u8 ports[8192], ta_sock_cb cb, void *ctx)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = 1u << TCP_ESTABLISHED },
	};
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, count = 0, done = 0;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &msg, sizeof(msg), 0) < 0) {
		count = -errno;
		goto out;
	}
	while (!done) {
		struct nlmsghdr *nh;

		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			count = n < 0 ? -errno : count;
			break;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
			struct inet_diag_msg *d;
			struct ta_sockinfo si = {};
			__u16 lport, rport;
			__u8 fam;

			if (nh->nlmsg_type == NLMSG_DONE || nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			d = NLMSG_DATA(nh);
			lport = ntohs(d->id.idiag_sport);
			rport = ntohs(d->id.idiag_dport);
			if (port_set(ports, lport)) {
				si.local_is_server = 1;
				to_key_addr(si.key.client, family, d->id.idiag_dst, &fam);
				to_key_addr(si.key.server, family, d->id.idiag_src, &fam);
				si.key.client_port = rport;
				si.key.server_port = lport;
			} else if (port_set(ports, rport)) {
				to_key_addr(si.key.client, family, d->id.idiag_src, &fam);
				to_key_addr(si.key.server, family, d->id.idiag_dst, &fam);
				si.key.client_port = lport;
				si.key.server_port = rport;
			} else {
				continue;
			}
			si.key.family = fam;
			si.key.l4proto = IPPROTO_TCP;
			si.inode = d->idiag_inode;
			si.uid = d->idiag_uid;
			cb(&si, ctx);
			count++;
		}
	}
out:
	close(fd);
	return count;
}

int ta_list_established(const __u8 ports[8192], ta_sock_cb cb, void *ctx)
{
	int a = dump_family(AF_INET, ports, cb, ctx), b;

	if (a < 0)
		return a;
	b = dump_family(AF_INET6, ports, cb, ctx);
	return b < 0 ? b : a + b;
}

#define TA_MAX_LOCAL 256
static struct {
	__u8 addr[16];
} local_addrs[TA_MAX_LOCAL];
static int n_local;
static time_t local_at;

static void refresh_local(void)
{
	struct ifaddrs *ifa, *it;

	n_local = 0;
	if (getifaddrs(&ifa))
		return;
	for (it = ifa; it && n_local < TA_MAX_LOCAL; it = it->ifa_next) {
		__u8 *a = local_addrs[n_local].addr;

		if (!it->ifa_addr)
			continue;
		if (it->ifa_addr->sa_family == AF_INET) {
			memset(a, 0, 10);
			a[10] = a[11] = 0xff;
			memcpy(a + 12, &((struct sockaddr_in *)it->ifa_addr)->sin_addr, 4);
			n_local++;
		} else if (it->ifa_addr->sa_family == AF_INET6) {
			memcpy(a, &((struct sockaddr_in6 *)it->ifa_addr)->sin6_addr, 16);
			n_local++;
		}
	}
	freeifaddrs(ifa);
}

int ta_addr_is_local(const __u8 addr[16], __u8 family)
{
	time_t now = time(NULL);
	int i, pass;

	(void)family;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 || !local_at) {
			if (local_at == now && pass == 1)
				return 0;
			refresh_local();
			local_at = now;
		}
		for (i = 0; i < n_local; i++)
			if (!memcmp(local_addrs[i].addr, addr, 16))
				return 1;
	}
	return 0;
}
