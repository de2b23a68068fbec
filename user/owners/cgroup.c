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
#include <ftw.h>
#include <sys/stat.h>
#include "owners/container.h"
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "owners/cgroup.h"

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

int ta_resolve_cgroup_arg(const char *arg, char *out, size_t n)
{
	const char *mnt = ta_cgroup2_mount();
	char full[PATH_MAX + 32], real[PATH_MAX];
	size_t mlen;
	struct stat st;

	if (!mnt)
		return -ENOENT;
	mlen = strlen(mnt);
	if (!strncmp(arg, mnt, mlen) && (arg[mlen] == '/' || !arg[mlen]))
		snprintf(full, sizeof(full), "%s", arg);
	else
		snprintf(full, sizeof(full), "%s/%s", mnt, arg[0] == '/' ? arg + 1 : arg);
	if (!realpath(full, real) || stat(real, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;
	if (strncmp(real, mnt, mlen) || (real[mlen] && real[mlen] != '/'))
		return -ENOENT;
	/* a cgroup directory always has cgroup.procs */
	snprintf(full, sizeof(full), "%s/cgroup.procs", real);
	if (access(full, F_OK))
		return -ENOENT;
	snprintf(out, n, "%s", real[mlen] ? real + mlen : "/");
	return 0;
}

int ta_cgroup_is_under(const char *path, const char *prefix)
{
	size_t l = strlen(prefix);

	if (!strcmp(prefix, "/"))
		return 1;
	return !strncmp(path, prefix, l) && (path[l] == '\0' || path[l] == '/');
}

static const char *find_prefix;
static char find_result[80];
static int find_count;

static int find_visit(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	char id[80], pod[80];

	(void)sb;
	(void)ftw;
	if (type != FTW_D)
		return 0;
	if (!ta_container_from_cgroup(fpath, id, sizeof(id), pod, sizeof(pod)))
		return 0;
	if (id[0] && !strncmp(id, find_prefix, strlen(find_prefix))) {
		if (strcmp(find_result, id))
			find_count++;
		snprintf(find_result, sizeof(find_result), "%s", id);
	} else if (pod[0] && !strncmp(pod, find_prefix, strlen(find_prefix))) {
		if (strcmp(find_result, pod))
			find_count++;
		snprintf(find_result, sizeof(find_result), "%s", pod);
	}
	return 0;
}

int ta_find_container(const char *prefix, char *out, size_t n)
{
	const char *mnt = ta_cgroup2_mount();

	if (!mnt)
		return -ENOENT;
	find_prefix = prefix;
	find_result[0] = '\0';
	find_count = 0;
	nftw(mnt, find_visit, 32, FTW_PHYS | FTW_MOUNT);
	if (!find_count)
		return -ENOENT;
	if (find_count > 1)
		return -EEXIST;
	snprintf(out, n, "%s", find_result);
	return 0;
}

__u64 ta_cgroup_id_of_pid(__u32 pid)
{
	const char *mnt = ta_cgroup2_mount();
	char path[64], line[PATH_MAX], full[PATH_MAX + 256];
	struct stat st;
	__u64 id = 0;
	FILE *f;

	if (!mnt)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(full, sizeof(full), "%s%s", mnt, line + 3);
		if (!stat(full, &st))
			id = st.st_ino;
		break;
	}
	fclose(f);
	return id;
}
