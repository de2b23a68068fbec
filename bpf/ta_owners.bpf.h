/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_owners.bpf.h - socket owners, captured in the owning process's context.
 *
 * cgroup connect4/connect6 (and sendmsg4/6 for unconnected UDP) run in the
 * connecting process, so the pid, comm, uid and cgroup they record under the
 * socket cookie are the real owner's. sockops copies them under the 4-tuple
 * for packets seen without their socket (a container's veth); the accept
 * tracepoints record local servers. The pid seen at TC is whatever task was
 * running, so it is never used.
 */
#ifndef TA_OWNERS_BPF_H
#define TA_OWNERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "tlsaudit.h"
#include "ta_parse.h"
#include "ta_maps.bpf.h"

/* What only the task knows: its network namespace, and when its process
 * started, which is what tells a reused pid from the process that had it. */
static __always_inline void ta_task_identity(struct ta_owner *own)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	own->netns_ino = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	own->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
}

static __always_inline void ta_record_owner(struct bpf_sock_addr *ctx)
{
	struct ta_owner own = {};
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	__u64 cookie;

	if (!ta_port_watched(bpf_ntohs(ctx->user_port)))
		return;
	cookie = bpf_get_socket_cookie(ctx);
	own.tgid = id >> 32;
	own.tid = (__u32)id;
	own.uid = (__u32)ug;
	own.gid = ug >> 32;
	own.cgroup_id = bpf_get_current_cgroup_id();
	own.netns_cookie = bpf_get_netns_cookie(ctx);
	own.role = TA_ROLE_CLIENT;
	bpf_get_current_comm(own.comm, sizeof(own.comm));
	ta_task_identity(&own);
	if (bpf_map_update_elem(&owners, &cookie, &own, BPF_ANY))
		ta_stat_inc(TA_STAT_OWNER_INSERT_FAIL);
}

SEC("cgroup/connect4")
int ta_connect4(struct bpf_sock_addr *ctx)
{
	ta_record_owner(ctx);
	return 1; /* never refuse a connect: we only watch */
}

SEC("cgroup/connect6")
int ta_connect6(struct bpf_sock_addr *ctx)
{
	ta_record_owner(ctx);
	return 1;
}

/* Unconnected UDP (sendto) never calls connect: record its owner on the first
 * datagram to a watched port instead. */
static __always_inline void ta_record_sender(struct bpf_sock_addr *ctx)
{
	__u64 cookie;

	if (!ta_port_watched(bpf_ntohs(ctx->user_port)))
		return;
	cookie = bpf_get_socket_cookie(ctx);
	if (bpf_map_lookup_elem(&owners, &cookie))
		return;
	ta_record_owner(ctx);
}

SEC("cgroup/sendmsg4")
int ta_sendmsg4(struct bpf_sock_addr *ctx)
{
	ta_record_sender(ctx);
	return 1;
}

SEC("cgroup/sendmsg6")
int ta_sendmsg6(struct bpf_sock_addr *ctx)
{
	ta_record_sender(ctx);
	return 1;
}

/* Addresses into a flow key, IPv4 and IPv4-mapped IPv6 both as ::ffff:a.b.c.d
 * with family IPv4, because that is what the packets of the flow will show. */
static __always_inline void ta_key_addr(__u8 *dst, __u32 family, __be32 v4, const __u32 *v6,
					__u8 *key_family)
{
	if (family == TA_AF_INET) {
		ta_map_v4(dst, v4);
		*key_family = TA_AF_INET;
		return;
	}
	__builtin_memcpy(dst, v6, 16);
	if (v6[0] == 0 && v6[1] == 0 && v6[2] == bpf_htonl(0xffff))
		*key_family = TA_AF_INET;
	else
		*key_family = TA_AF_INET6;
}

/*
 * sockops TCP_CONNECT_CB runs inside connect(), after the source port was
 * chosen: the first moment the whole 4-tuple of a client socket is known.
 * Copy the owner recorded by connect4/6 under the tuple, for the packets that
 * reach a watched interface without their socket (a container's veth).
 */
SEC("sockops")
int ta_sockops(struct bpf_sock_ops *ctx)
{
	struct ta_flow_key key = {};
	struct ta_owner *own;
	__u64 cookie;
	__u32 lv6[4], rv6[4];
	__u8 fam = 0;

	if (ctx->op != BPF_SOCK_OPS_TCP_CONNECT_CB)
		return 1;
	if (!ta_port_watched(bpf_ntohl(ctx->remote_port)))
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	own = bpf_map_lookup_elem(&owners, &cookie);
	if (!own)
		return 1;
	lv6[0] = ctx->local_ip6[0];
	lv6[1] = ctx->local_ip6[1];
	lv6[2] = ctx->local_ip6[2];
	lv6[3] = ctx->local_ip6[3];
	rv6[0] = ctx->remote_ip6[0];
	rv6[1] = ctx->remote_ip6[1];
	rv6[2] = ctx->remote_ip6[2];
	rv6[3] = ctx->remote_ip6[3];
	ta_key_addr(key.client, ctx->family, ctx->local_ip4, lv6, &fam);
	ta_key_addr(key.server, ctx->family, ctx->remote_ip4, rv6, &fam);
	key.family = fam;
	key.client_port = ctx->local_port;
	key.server_port = bpf_ntohl(ctx->remote_port);
	key.l4proto = IPPROTO_TCP;
	key.pad[0] = TA_ROLE_CLIENT;
	if (bpf_map_update_elem(&tuple_owners, &key, own, BPF_ANY))
		ta_stat_inc(TA_STAT_OWNER_INSERT_FAIL);
	return 1;
}

/* syscalls:sys_exit_accept{,4}: the common header, the syscall nr, the result */
struct ta_sys_exit {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/*
 * accept() returned fd in the server process: the accepted socket is the one
 * the client's first bytes were (or will be) addressed to. Record the server
 * process under the tuple, and tell userspace, which may hold a verdict that
 * was decided before this accept.
 */
static __always_inline int ta_accepted(struct ta_sys_exit *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ta_owner own = {};
	struct ta_owner_event *ev;
	struct ta_flow_key key = {};
	struct file **fds, *file;
	struct socket *sock;
	struct sock *sk;
	__u32 v6[4], fam, fd;
	__u64 id, ug;
	__u16 lport;
	__u8 kfam = 0;

	if (ctx->ret < 0)
		return 0;
	fd = ctx->ret;
	if (fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!ta_port_watched(lport))
		return 0;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam != TA_AF_INET && fam != TA_AF_INET6)
		return 0;
	BPF_CORE_READ_INTO(&v6, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
	ta_key_addr(key.client, fam, BPF_CORE_READ(sk, __sk_common.skc_daddr), v6, &kfam);
	BPF_CORE_READ_INTO(&v6, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
	ta_key_addr(key.server, fam, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), v6, &kfam);
	key.family = kfam;
	key.client_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	key.server_port = lport;
	key.l4proto = IPPROTO_TCP;

	id = bpf_get_current_pid_tgid();
	ug = bpf_get_current_uid_gid();
	own.tgid = id >> 32;
	own.tid = (__u32)id;
	own.uid = (__u32)ug;
	own.gid = ug >> 32;
	own.cgroup_id = bpf_get_current_cgroup_id();
	ta_task_identity(&own);
	own.netns_ino = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	own.role = TA_ROLE_SERVER;
	bpf_get_current_comm(own.comm, sizeof(own.comm));
	key.pad[0] = TA_ROLE_SERVER;
	if (bpf_map_update_elem(&tuple_owners, &key, &own, BPF_ANY))
		ta_stat_inc(TA_STAT_OWNER_INSERT_FAIL);
	key.pad[0] = 0;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		ta_stat_inc(TA_STAT_RINGBUF_DROPS);
		return 0;
	}
	ev->type = TA_EV_OWNER;
	ev->pad = 0;
	ev->ts_ns = bpf_ktime_get_boot_ns();
	__builtin_memcpy(&ev->key, &key, sizeof(key));
	__builtin_memcpy(&ev->owner, &own, sizeof(own));
	bpf_ringbuf_submit(ev, ta_wakeup_flags(&events));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ta_accept4_exit(struct ta_sys_exit *ctx)
{
	return ta_accepted(ctx);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ta_accept_exit(struct ta_sys_exit *ctx)
{
	return ta_accepted(ctx);
}

#endif /* TA_OWNERS_BPF_H */
