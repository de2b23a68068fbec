// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* preexisting.c - the connections that predate tlsaudit, and their owners. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "owners/cgroup.h"
#include "owners/preexisting.h"
#include "owners/sockdiag.h"

struct inode_slot {
	__u32 inode;
	__u32 idx;
};

static int cmp_inode(const void *a, const void *b)
{
	__u32 x = ((const struct inode_slot *)a)->inode, y = ((const struct inode_slot *)b)->inode;

	return (x > y) - (x < y);
}

/* One pass over every process's fds names the owner of every listed socket:
 * a busy server at start has thousands of them, and a /proc walk each would
 * take minutes. pid[i] is the owner of l->s[i], 0 when not found. */
static int resolve_owners(const struct ta_socklist *l, __u32 *pid)
{
	struct inode_slot *slots, key, *hit;
	char path[600], target[64];
	struct dirent *pd, *fd;
	DIR *proc, *fds;
	size_t i;
	ssize_t n;

	slots = calloc(l->n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < l->n; i++)
		slots[i] = (struct inode_slot){ l->s[i].inode, i };
	qsort(slots, l->n, sizeof(*slots), cmp_inode);
	proc = opendir("/proc");
	if (!proc) {
		free(slots);
		return -errno;
	}
	while ((pd = readdir(proc))) {
		if (pd->d_name[0] < '1' || pd->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pd->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while ((fd = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pd->d_name, fd->d_name);
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 8 || strncmp(target, "socket:[", 8))
				continue;
			target[n] = '\0';
			key.inode = strtoul(target + 8, NULL, 10);
			hit = bsearch(&key, slots, l->n, sizeof(*slots), cmp_inode);
			if (hit && !pid[hit->idx])
				pid[hit->idx] = strtoul(pd->d_name, NULL, 10);
		}
		closedir(fds);
	}
	closedir(proc);
	free(slots);
	return 0;
}

static void fill_owner(struct ta_owner *o, const struct ta_sockinfo *si, __u32 pid,
		       const char *cg_mount)
{
	char comm_path[64];
	FILE *f;

	o->tgid = o->tid = pid;
	o->uid = si->uid;
	o->cgroup_id = cg_mount ? ta_cgroup_id_of_pid(cg_mount, pid) : 0;
	o->role = si->local_is_server ? TA_ROLE_SERVER : TA_ROLE_CLIENT;
	snprintf(comm_path, sizeof(comm_path), "/proc/%u/comm", pid);
	f = fopen(comm_path, "r");
	if (f) {
		if (fgets((char *)o->comm, TA_COMM_LEN, f))
			o->comm[strcspn((char *)o->comm, "\n")] = '\0';
		fclose(f);
	}
}

int ta_preexisting_scan(const __u8 *ports, int flows_fd, const char *cg_mount, __u64 now_boot_ns,
			struct ta_preexisting *out)
{
	/* established sockets: the kernel saw their handshakes, so they are proven */
	struct ta_flow_state st = { .verdict = TA_V_MIDSTREAM,
				    .flags = TA_F_REPORTED | TA_F_PROVEN };
	struct ta_socklist l = { 0 };
	__u32 *pid = NULL;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	err = ta_list_established(ports, &l);
	if (err <= 0)
		goto done;
	err = 0;
	pid = calloc(l.n, sizeof(*pid));
	out->ev = calloc(l.n, sizeof(*out->ev));
	if (!pid || !out->ev) {
		err = -ENOMEM;
		goto done;
	}
	resolve_owners(&l, pid);
	for (i = 0; i < l.n; i++) {
		const struct ta_sockinfo *si = &l.s[i];
		struct ta_flow_event *ev = &out->ev[out->n];

		/* the kernel must not report these again when their next packet passes */
		if (bpf_map_update_elem(flows_fd, &si->key, &st, BPF_NOEXIST))
			continue; /* both ends are local and the other socket was listed first */
		memset(ev, 0, sizeof(*ev));
		ev->type = TA_EV_FLOW;
		ev->verdict = TA_V_MIDSTREAM;
		ev->flags = TA_F_PREEXISTING;
		ev->ts_ns = now_boot_ns;
		ev->key = si->key;
		if (pid[i]) {
			fill_owner(si->local_is_server ? &ev->server_owner : &ev->owner, si, pid[i],
				   cg_mount);
			if (si->local_is_server)
				ev->has_server_owner = 1;
			else
				ev->has_owner = 1;
		}
		out->n++;
	}
done:
	free(pid);
	ta_socklist_free(&l);
	return err < 0 ? err : 0;
}

void ta_preexisting_free(struct ta_preexisting *p)
{
	free(p->ev);
	memset(p, 0, sizeof(*p));
}
