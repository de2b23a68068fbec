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

#endif
