// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sockdiag.c - established TCP sockets on watched ports, from sock_diag. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include "owners/sockdiag.h"

#define TCP_ESTABLISHED 1

static int port_set(const __u8 *ports, __u16 p)
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

static int dump_family(int family, const __u8 *ports, struct ta_socklist *out)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nh = { .nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = family,
			 .sdiag_protocol = IPPROTO_TCP,
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
			if (out->n == out->cap) {
				size_t cap = out->cap ? out->cap * 2 : 64;
				struct ta_sockinfo *grown = realloc(out->s, cap * sizeof(*grown));

				if (!grown) {
					count = -ENOMEM;
					done = 1;
					break;
				}
				out->s = grown;
				out->cap = cap;
			}
			out->s[out->n++] = si;
			count++;
		}
	}
out:
	close(fd);
	return count;
}

int ta_list_established(const __u8 *ports, struct ta_socklist *out)
{
	int a = dump_family(AF_INET, ports, out), b;

	if (a < 0)
		return a;
	b = dump_family(AF_INET6, ports, out);
	return b < 0 ? b : a + b;
}

void ta_socklist_free(struct ta_socklist *l)
{
	free(l->s);
	memset(l, 0, sizeof(*l));
}
