/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup.h - the cgroup2 mount, cgroup ids turned back into paths, and the
 * --cgroup / --container arguments resolved against the running system.
 */
#ifndef TA_CGROUP_H
#define TA_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

/* Longest cgroup path kept (relative to the mount); Kubernetes paths are
 * long, and a cut path would cut the container id at its end. */
#define TA_CGROUP_PATH_MAX 512
#define TA_CGROUP_CACHE 256

/* id -> path, cached: a busy host reuses a few cgroups for many flows. */
struct ta_cgroups {
	char mount[PATH_MAX];
	int mount_fd;
	struct {
		__u64 id;
		char path[TA_CGROUP_PATH_MAX];
	} cache[TA_CGROUP_CACHE];
};

/* The first cgroup2 mount in /proc/self/mounts into out; 0 or -ENOENT. */
int ta_cgroup2_mount(char *out, size_t n);

/* 0, or -ENOENT without a cgroup2 mount (paths are then never known). */
int ta_cgroups_init(struct ta_cgroups *cg);
void ta_cgroups_free(struct ta_cgroups *cg);
/* Path of cgroup id relative to the cgroup2 root ("/" for the root).
 * Returns 0, or -errno when the cgroup is gone or cannot be resolved. */
int ta_cgroups_path(struct ta_cgroups *cg, __u64 id, char *out, size_t n);

/* A --cgroup argument (absolute under the mount, or relative to it) as a path
 * relative to the cgroup2 root; 0 or -ENOENT when it is not a cgroup dir. */
int ta_resolve_cgroup_arg(const char *mnt, const char *arg, char *out, size_t n);
/* Is cgroup path equal to prefix or below it? */
int ta_cgroup_is_under(const char *path, const char *prefix);
/* Find a running container or pod whose id starts with prefix: 0 and the full
 * id in out, -ENOENT when none, -EEXIST when the prefix is ambiguous. */
int ta_find_container(const char *mnt, const char *prefix, char *out, size_t n);
/* cgroup id of pid, from /proc/pid/cgroup ("0::/path"); 0 when unknown. */
__u64 ta_cgroup_id_of_pid(const char *mnt, __u32 pid);

#endif
