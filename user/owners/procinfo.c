// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procinfo.c - exe, netns and start time from /proc, guarded against pid reuse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "owners/procinfo.h"

__u64 ta_proc_start_ticks(__u32 pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	size_t n;
	FILE *f;
	int field;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields restart after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* field 3 (state) follows; starttime is field 22 */
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

int ta_procinfo_read(__u32 pid, __u64 event_boot_ns, struct ta_procinfo *out)
{
	long hz = sysconf(_SC_CLK_TCK);
	char path[64];
	struct stat st;
	ssize_t n;
	__u64 start_ns;

	memset(out, 0, sizeof(*out));
	if (!pid)
		return -ESRCH;
	out->start_ticks = ta_proc_start_ticks(pid);
	if (!out->start_ticks)
		return -ESRCH;
	/* a process that started after the event cannot be its owner */
	start_ns = out->start_ticks * (1000000000ull / (hz > 0 ? hz : 100));
	if (start_ns > event_boot_ns + 1000000000ull / (hz > 0 ? hz : 100)) {
		out->start_ticks = 0;
		return -ESRCH;
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, out->exe, sizeof(out->exe) - 1);
	out->exe[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
	if (!stat(path, &st))
		out->netns_ino = st.st_ino;
	return 0;
}

const char *ta_exe_of(struct ta_exe_cache *c, __u32 pid, __u64 start_ns, __u64 event_ns)
{
	struct ta_procinfo pi;
	unsigned int i = pid % TA_EXE_CACHE;

	if (c->slot[i].pid == pid && c->slot[i].start_ns == start_ns)
		return c->slot[i].exe[0] ? c->slot[i].exe : NULL;
	if (ta_procinfo_read(pid, event_ns, &pi))
		return NULL; /* gone, or a later process has the pid: not cached */
	c->slot[i].pid = pid;
	c->slot[i].start_ns = start_ns;
	snprintf(c->slot[i].exe, sizeof(c->slot[i].exe), "%s", pi.exe);
	return c->slot[i].exe[0] ? c->slot[i].exe : NULL;
}
