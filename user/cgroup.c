// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup.c - cgroup id -> path.
 *
 * On cgroup2 the id the BPF helpers return is the kernfs node id, which is
 * also a file handle (FILEID_KERNFS) for the directory: open_by_handle_at()
 * resolves it in O(1) and /proc/self/fd gives the path. Ids are cached since
 * a busy host reuses a few cgroups for many flows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgroup.h"

#define FILEID_KERNFS 0xfe
#define CG_CACHE 256

static char cg_mount[PATH_MAX];
static int cg_mount_fd = -1;

static struct cg_entry {
	__u64 id;
	char path[256];
} cg_cache[CG_CACHE];

const char *ta_cgroup2_mount(void)
{
	struct mntent *m;
	FILE *f;

	if (cg_mount[0])
		return cg_mount;
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return NULL;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(cg_mount, sizeof(cg_mount), "%s", m->mnt_dir);
			break;
		}
	}
	endmntent(f);
	return cg_mount[0] ? cg_mount : NULL;
}

int ta_cgroup_path(__u64 id, char *out, size_t n)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h;
	struct cg_entry *e = &cg_cache[id % CG_CACHE];
	char link[64], target[PATH_MAX];
	size_t mlen;
	ssize_t len;
	int fd;

	if (e->id == id && id) {
		snprintf(out, n, "%s", e->path);
		return 0;
	}
	if (!ta_cgroup2_mount())
		return -ENOENT;
	if (cg_mount_fd < 0) {
		cg_mount_fd = open(cg_mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg_mount_fd < 0)
			return -errno;
	}
	h.fh.handle_bytes = sizeof(__u64);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cg_mount_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, target, sizeof(target) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	mlen = strlen(cg_mount);
	if (strncmp(target, cg_mount, mlen) != 0)
		return -EXDEV;
	snprintf(e->path, sizeof(e->path), "%s", target[mlen] ? target + mlen : "/");
	e->id = id;
	snprintf(out, n, "%s", e->path);
	return 0;
}

void ta_cgroup_cleanup(void)
{
	if (cg_mount_fd >= 0)
		close(cg_mount_fd);
	cg_mount_fd = -1;
}
