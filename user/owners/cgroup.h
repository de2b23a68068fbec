/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgroup.h - finding the cgroup2 mount and turning cgroup ids back into paths.
 */
#ifndef TA_CGROUP_H
#define TA_CGROUP_H

#include <stddef.h>
#include <linux/types.h>

/* The first cgroup2 mount in /proc/self/mounts, or NULL. */
const char *ta_cgroup2_mount(void);
/* Path of cgroup id relative to the cgroup2 root ("/" for the root), cached.
 * Returns 0, or -errno when the cgroup is gone or cannot be resolved. */
int ta_cgroup_path(__u64 id, char *out, size_t n);
void ta_cgroup_cleanup(void);
/* A --cgroup argument (absolute under the mount, or relative to it) as a path
 * relative to the cgroup2 root; 0 or -ENOENT when it is not a cgroup dir. */
int ta_resolve_cgroup_arg(const char *arg, char *out, size_t n);
/* Is cgroup path equal to prefix or below it? */
int ta_cgroup_is_under(const char *path, const char *prefix);
/* Find a running container or pod whose id starts with prefix: 0 and the full
 * id in out, -ENOENT when none, -EEXIST when the prefix is ambiguous. */
int ta_find_container(const char *prefix, char *out, size_t n);
/* cgroup id of pid, from /proc/pid/cgroup ("0::/path"); 0 when unknown. */
__u64 ta_cgroup_id_of_pid(__u32 pid);

#endif
