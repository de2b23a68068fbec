// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup.c - cgroup id -> path, and the cgroup arguments of the filters.
 *
 * On cgroup2 the id the BPF helpers return is the kernfs node id, which is
 * also a file handle (FILEID_KERNFS) for the directory: open_by_handle_at()
 * resolves it in O(1) and /proc/self/fd gives the path.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "owners/cgroup.h"
#include "owners/container.h"

#define FILEID_KERNFS 0xfe
#define FIND_MAX_DEPTH 32

int ta_cgroup2_mount(char *out, size_t n)
{
	struct mntent *m;
	int rc = -ENOENT;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(out, n, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	}
	endmntent(f);
	return rc;
}

int ta_cgroups_init(struct ta_cgroups *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->mount_fd = -1;
	if (ta_cgroup2_mount(cg->mount, sizeof(cg->mount)))
		return -ENOENT;
	cg->mount_fd = open(cg->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return cg->mount_fd < 0 ? -errno : 0;
}

void ta_cgroups_free(struct ta_cgroups *cg)
{
	if (cg->mount_fd >= 0)
		close(cg->mount_fd);
	cg->mount_fd = -1;
}

int ta_cgroups_path(struct ta_cgroups *cg, __u64 id, char *out, size_t n)
{
	struct {
		struct file_handle fh;
		__u64 id;
	} h;
	unsigned int slot = id % TA_CGROUP_CACHE;
	char link[64], target[PATH_MAX];
	size_t mlen;
	ssize_t len;
	int fd;

	if (id && cg->cache[slot].id == id) {
		snprintf(out, n, "%s", cg->cache[slot].path);
		return 0;
	}
	if (cg->mount_fd < 0)
		return -ENOENT;
	h.fh.handle_bytes = sizeof(__u64);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cg->mount_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, target, sizeof(target) - 1);
	close(fd);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	mlen = strlen(cg->mount);
	if (strncmp(target, cg->mount, mlen) != 0)
		return -EXDEV;
	snprintf(cg->cache[slot].path, sizeof(cg->cache[slot].path), "%s",
		 target[mlen] ? target + mlen : "/");
	cg->cache[slot].id = id;
	snprintf(out, n, "%s", cg->cache[slot].path);
	return 0;
}

int ta_resolve_cgroup_arg(const char *mnt, const char *arg, char *out, size_t n)
{
	char full[PATH_MAX + 32], real[PATH_MAX];
	size_t mlen = strlen(mnt);
	struct stat st;

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

struct find {
	const char *prefix;
	char result[80];
	int count;
};

static void find_note(struct find *f, const char *id)
{
	if (!id[0] || strncmp(id, f->prefix, strlen(f->prefix)))
		return;
	if (strcmp(f->result, id))
		f->count++;
	snprintf(f->result, sizeof(f->result), "%s", id);
}

/* Every cgroup directory below path, depth first, on this file system only. */
static void find_walk(struct find *f, const char *path, dev_t dev, int depth)
{
	char id[80], pod[80], sub[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (ta_container_from_cgroup(path, id, sizeof(id), pod, sizeof(pod))) {
		find_note(f, id);
		find_note(f, pod);
	}
	if (depth >= FIND_MAX_DEPTH || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= (int)sizeof(sub))
			continue;
		if (lstat(sub, &st) || !S_ISDIR(st.st_mode) || st.st_dev != dev)
			continue;
		find_walk(f, sub, dev, depth + 1);
	}
	closedir(d);
}

int ta_find_container(const char *mnt, const char *prefix, char *out, size_t n)
{
	struct find f = { .prefix = prefix };
	struct stat st;

	if (stat(mnt, &st))
		return -ENOENT;
	find_walk(&f, mnt, st.st_dev, 0);
	if (!f.count)
		return -ENOENT;
	if (f.count > 1)
		return -EEXIST;
	snprintf(out, n, "%s", f.result);
	return 0;
}

__u64 ta_cgroup_id_of_pid(const char *mnt, __u32 pid)
{
	char path[64], line[PATH_MAX], full[PATH_MAX + 256];
	struct stat st;
	__u64 id = 0;
	FILE *f;

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
