// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* attach.c - tcx links with a clsact fallback. */
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include "core/attach.h"
#include "core/hold.h"

/* Debian's uapi headers and libbpf 1.1 predate tcx (Linux 6.6). */
#define TA_BPF_TCX_INGRESS 46
#define TA_BPF_TCX_EGRESS 47
/* clsact fallback: our filters are recognisable by handle and priority */
#define TA_TC_HANDLE 0x7a5a
#define TA_TC_PRIO 0x7a5a

int ta_iface_index(const char *name)
{
	if (!name || !*name || strlen(name) >= IF_NAMESIZE)
		return 0;
	return (int)if_nametoindex(name);
}

/* getifaddrs() follows the current network namespace (unlike /sys/class/net
 * under nsenter --net) and reports IFF_UP for every link, address or not. */
int ta_ifaces_up(char names[][IF_NAMESIZE], int max)
{
	struct ifaddrs *ifa, *it;
	int n = 0, i, dup;

	if (getifaddrs(&ifa))
		return -errno;
	for (it = ifa; it && n < max; it = it->ifa_next) {
		if (!(it->ifa_flags & IFF_UP) || !it->ifa_name)
			continue;
		for (dup = 0, i = 0; i < n && !dup; i++)
			dup = !strcmp(names[i], it->ifa_name);
		if (dup)
			continue;
		snprintf(names[n++], IF_NAMESIZE, "%s", it->ifa_name);
	}
	freeifaddrs(ifa);
	return n;
}

/* One tcx link: the held one of an earlier run taken over (its program
 * swapped in one step), else a new one; pinned when this run holds. A run
 * that does not hold but took a held link over ends that hold: the link
 * lives on only through this run's fd. */
static int tcx_link(struct ta_iface *ifc, enum ta_hold_point point, int prog_fd)
{
	int fd, err;

	fd = ta_hold_take(ifc->ifindex, point, prog_fd);
	if (fd >= 0) {
		ifc->took_over |= 1u << point;
		if (!ifc->hold)
			ta_hold_unpin(ifc->ifindex, point);
		return fd;
	}
	if (fd != -ENOENT)
		return fd;
	fd = bpf_link_create(prog_fd, ifc->ifindex,
			     (enum bpf_attach_type)(point == TA_HOLD_INGRESS ? TA_BPF_TCX_INGRESS
									     : TA_BPF_TCX_EGRESS),
			     NULL);
	if (fd < 0)
		return -errno;
	if (ifc->hold) {
		err = ta_hold_pin(ifc->ifindex, point, fd);
		if (err) {
			close(fd);
			return err;
		}
	}
	return fd;
}

static int tcx_attach(struct ta_iface *ifc, int in_fd, int eg_fd)
{
	int err;

	ifc->ingress_fd = tcx_link(ifc, TA_HOLD_INGRESS, in_fd);
	if (ifc->ingress_fd < 0) {
		err = ifc->ingress_fd;
		ifc->ingress_fd = -1;
		return err;
	}
	ifc->mode = TA_ATTACH_TCX;
	if (eg_fd < 0)
		return 0;
	ifc->egress_fd = tcx_link(ifc, TA_HOLD_EGRESS, eg_fd);
	if (ifc->egress_fd < 0) {
		err = ifc->egress_fd;
		ifc->egress_fd = -1;
		ta_iface_detach(ifc, 0);
		return err;
	}
	return 0;
}

static int clsact_detach_point(int ifindex, enum bpf_tc_attach_point pt)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = pt);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO);

	return bpf_tc_detach(&hook, &opts);
}

int ta_clsact_remove_ours(int ifindex)
{
	return !clsact_detach_point(ifindex, BPF_TC_INGRESS) +
	       !clsact_detach_point(ifindex, BPF_TC_EGRESS);
}

/* Our filter at a fixed handle and priority, replaced in place when one is
 * there (held by an earlier run, or left by a crash): the kernel swaps the
 * program without a moment in which none runs. */
static int clsact_attach(struct ta_iface *ifc, int in_fd, int eg_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, in_opts, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO,
			    .prog_fd = in_fd, .flags = BPF_TC_F_REPLACE);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, eg_opts, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO,
			    .prog_fd = eg_fd, .flags = BPF_TC_F_REPLACE);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	ifc->created_qdisc = !err;
	hook.attach_point = BPF_TC_INGRESS;
	err = bpf_tc_attach(&hook, &in_opts);
	if (!err && eg_fd >= 0) {
		hook.attach_point = BPF_TC_EGRESS;
		err = bpf_tc_attach(&hook, &eg_opts);
	} else if (!err) {
		/* gateway mode judges at ingress only: an egress filter of a host
		 * mode run before would judge every packet twice */
		clsact_detach_point(ifc->ifindex, BPF_TC_EGRESS);
	}
	ifc->mode = TA_ATTACH_CLSACT;
	if (err)
		ta_iface_detach(ifc, 0);
	return err;
}

int ta_iface_attach(struct ta_iface *ifc, int in_fd, int eg_fd)
{
	int err;

	ifc->ingress_fd = ifc->egress_fd = -1;
	ifc->mode = TA_ATTACH_NONE;
	err = tcx_attach(ifc, in_fd, eg_fd);
	/* EINVAL: this kernel has no tcx attach types */
	if (err == -EINVAL)
		err = clsact_attach(ifc, in_fd, eg_fd);
	if (err)
		ifc->attach_failures++;
	return err;
}

/* Is the interface a veth? Its driver, as ethtool names it. */
static int iface_is_veth(const char *name)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr;
	int fd, veth;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)&info;
	veth = !ioctl(fd, SIOCETHTOOL, &ifr) && !strcmp(info.driver, "veth");
	close(fd);
	return veth;
}

/* Gateway mode, XDP: a link, taken over from a held one like tcx_link's, so
 * that without a hold the kernel detaches it when we die. Native mode where
 * the driver has it (the kernel's choice with no mode flag), generic
 * otherwise, with a notice; on a veth a notice too, since what XDP sends
 * back (the RSTs of --enforce) reaches the other end only if that end runs
 * an XDP program itself. */
int ta_iface_attach_xdp(struct ta_iface *ifc, int prog_fd)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int fd, err;

	ifc->ingress_fd = ifc->egress_fd = -1;
	fd = ta_hold_take(ifc->ifindex, TA_HOLD_XDP, prog_fd);
	if (fd >= 0) {
		ifc->took_over |= 1u << TA_HOLD_XDP;
		if (!ifc->hold)
			ta_hold_unpin(ifc->ifindex, TA_HOLD_XDP);
	} else if (fd == -ENOENT) {
		fd = bpf_link_create(prog_fd, ifc->ifindex, BPF_XDP, NULL);
		if (fd < 0)
			fd = -errno;
		else if (ifc->hold && (err = ta_hold_pin(ifc->ifindex, TA_HOLD_XDP, fd))) {
			close(fd);
			fd = err;
		}
	}
	if (fd < 0) {
		ifc->attach_failures++;
		return fd;
	}
	ifc->ingress_fd = fd;
	ifc->mode = TA_ATTACH_XDP;
	if (!bpf_xdp_query(ifc->ifindex, 0, &q) && q.attach_mode == XDP_ATTACHED_SKB)
		fprintf(stderr,
			"tlsaudit: %s: no native XDP in this driver, using generic mode "
			"(slower)\n",
			ifc->name);
	else if (iface_is_veth(ifc->name))
		fprintf(stderr,
			"tlsaudit: %s: a veth: the RSTs --enforce sends back reach its peer only "
			"if the peer runs an XDP program, and XDP here defeats GRO; --hook tc has "
			"neither limit\n",
			ifc->name);
	return 0;
}

/* Closing a link's last fd detaches it, unless it is pinned (held). */
static void close_link(struct ta_iface *ifc, int *fd, enum ta_hold_point point, int keep)
{
	if (*fd < 0)
		return;
	if (!keep)
		ta_hold_unpin(ifc->ifindex, point);
	close(*fd);
	*fd = -1;
}

void ta_iface_detach(struct ta_iface *ifc, int keep_hold)
{
	int keep = keep_hold && ifc->hold;

	if (ifc->mode == TA_ATTACH_XDP) {
		close_link(ifc, &ifc->ingress_fd, TA_HOLD_XDP, keep);
	} else if (ifc->mode == TA_ATTACH_TCX) {
		close_link(ifc, &ifc->ingress_fd, TA_HOLD_INGRESS, keep);
		close_link(ifc, &ifc->egress_fd, TA_HOLD_EGRESS, keep);
	} else if (ifc->mode == TA_ATTACH_CLSACT && !keep) {
		ta_clsact_remove_ours(ifc->ifindex);
		if (ifc->created_qdisc) {
			DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
					    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
			bpf_tc_hook_destroy(&hook);
		}
	}
	ifc->ingress_fd = ifc->egress_fd = -1;
	ifc->mode = TA_ATTACH_NONE;
}
