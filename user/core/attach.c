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

static int tcx_attach(struct ta_iface *ifc, int in_fd, int eg_fd)
{
	ifc->ingress_fd = bpf_link_create(in_fd, ifc->ifindex,
					  (enum bpf_attach_type)TA_BPF_TCX_INGRESS, NULL);
	if (ifc->ingress_fd < 0) {
		int err = -errno;
		ifc->ingress_fd = -1;
		return err;
	}
	if (eg_fd < 0) {
		ifc->mode = TA_ATTACH_TCX;
		return 0;
	}
	ifc->egress_fd =
		bpf_link_create(eg_fd, ifc->ifindex, (enum bpf_attach_type)TA_BPF_TCX_EGRESS, NULL);
	if (ifc->egress_fd < 0) {
		int err = -errno;
		close(ifc->ingress_fd);
		ifc->ingress_fd = ifc->egress_fd = -1;
		return err;
	}
	ifc->mode = TA_ATTACH_TCX;
	return 0;
}

static void clsact_detach_point(int ifindex, enum bpf_tc_attach_point pt)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = pt);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO);

	bpf_tc_detach(&hook, &opts);
}

static int clsact_attach(struct ta_iface *ifc, int in_fd, int eg_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, in_opts, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO,
			    .prog_fd = in_fd);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, eg_opts, .handle = TA_TC_HANDLE, .priority = TA_TC_PRIO,
			    .prog_fd = eg_fd);
	int err;

	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return err;
	ifc->created_qdisc = !err;
	/* a crashed earlier run may have left our filters behind */
	clsact_detach_point(ifc->ifindex, BPF_TC_INGRESS);
	clsact_detach_point(ifc->ifindex, BPF_TC_EGRESS);
	hook.attach_point = BPF_TC_INGRESS;
	err = bpf_tc_attach(&hook, &in_opts);
	if (!err && eg_fd >= 0) {
		hook.attach_point = BPF_TC_EGRESS;
		err = bpf_tc_attach(&hook, &eg_opts);
	}
	ifc->mode = TA_ATTACH_CLSACT;
	if (err)
		ta_iface_detach(ifc);
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

/* Gateway mode, XDP: a link, so the kernel detaches it when we die. Native
 * mode where the driver has it, generic otherwise, with a notice; on a veth
 * a notice too, since what XDP sends back (the RSTs of --enforce) reaches
 * the other end only if that end runs an XDP program itself. */
int ta_iface_attach_xdp(struct ta_iface *ifc, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_link *l;

	ifc->ingress_fd = ifc->egress_fd = -1;
	l = bpf_program__attach_xdp(prog, ifc->ifindex);
	if (!l) {
		ifc->attach_failures++;
		return -errno;
	}
	ifc->xdp_link = l;
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

void ta_iface_detach(struct ta_iface *ifc)
{
	if (ifc->mode == TA_ATTACH_XDP) {
		bpf_link__destroy(ifc->xdp_link);
		ifc->xdp_link = NULL;
	} else if (ifc->mode == TA_ATTACH_TCX) {
		if (ifc->ingress_fd >= 0)
			close(ifc->ingress_fd);
		if (ifc->egress_fd >= 0)
			close(ifc->egress_fd);
	} else if (ifc->mode == TA_ATTACH_CLSACT) {
		clsact_detach_point(ifc->ifindex, BPF_TC_INGRESS);
		clsact_detach_point(ifc->ifindex, BPF_TC_EGRESS);
		if (ifc->created_qdisc) {
			DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifc->ifindex,
					    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
			bpf_tc_hook_destroy(&hook);
		}
	}
	ifc->ingress_fd = ifc->egress_fd = -1;
	ifc->mode = TA_ATTACH_NONE;
}
