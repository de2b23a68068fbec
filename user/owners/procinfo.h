/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procinfo.h - what /proc still says about a process the kernel named in an
 * event: executable path, network namespace, start time. Read only when the
 * process running under that pid started before the event, so a pid reused
 * by a later process never lends its identity to an earlier flow.
 */
#ifndef TA_PROCINFO_H
#define TA_PROCINFO_H

#include <limits.h>
#include <linux/types.h>

struct ta_procinfo {
	__u64 start_ticks;  /* since boot, in clock ticks; 0 when unknown */
	__u32 netns_ino;    /* 0 when unknown */
	char exe[PATH_MAX]; /* "" when unknown */
};

/* Returns 0 when /proc/pid is the process of an event at event_boot_ns
 * (CLOCK_BOOTTIME), -ESRCH when it is gone or a later process has the pid. */
int ta_procinfo_read(__u32 pid, __u64 event_boot_ns, struct ta_procinfo *out);
/* Start time of pid in clock ticks since boot, 0 if unknown. */
__u64 ta_proc_start_ticks(__u32 pid);

/* exe by (pid, start): a busy process makes many flows, and each /proc read
 * costs syscalls; the start time keeps a reused pid from hitting the cache. */
#define TA_EXE_CACHE 256
struct ta_exe_cache {
	struct {
		__u32 pid;
		__u64 start_ns;
		char exe[PATH_MAX];
	} slot[TA_EXE_CACHE];
};

/* The exe of the process (pid, start_ns) that owned a socket at event_ns
 * (CLOCK_BOOTTIME), or NULL when it is not known. */
const char *ta_exe_of(struct ta_exe_cache *c, __u32 pid, __u64 start_ns, __u64 event_ns);

#endif
