// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* privs.c - capability dropping with the raw capset(2) interface (no libcap). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "core/privs.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#define TA_CAP_LAST 63

static int capget_sets(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

unsigned long long ta_effective_caps(void)
{
	struct __user_cap_data_struct d[2];

	if (capget_sets(d))
		return 0;
	return ((unsigned long long)d[1].effective << 32) | d[0].effective;
}

int ta_drop_privileges(int keep_net_admin)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	unsigned long long keep =
		(1ull << CAP_BPF) | (1ull << CAP_DAC_READ_SEARCH) | (1ull << CAP_SYS_PTRACE);
	int cap;

	if (keep_net_admin)
		keep |= 1ull << CAP_NET_ADMIN;
	if (capget_sets(d))
		return -errno;
	/* the bounding set first: dropping from it needs CAP_SETPCAP, which goes next */
	for (cap = 0; cap <= TA_CAP_LAST; cap++) {
		if (keep & (1ull << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			break;
	}
	keep &= ((unsigned long long)d[1].permitted << 32) | d[0].permitted;
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (__u32)keep;
	d[1].effective = d[1].permitted = (__u32)(keep >> 32);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}
