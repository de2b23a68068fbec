/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * privs.h - after loading and attaching, keep only the capabilities the event
 * loop still uses.
 */
#ifndef TA_PRIVS_H
#define TA_PRIVS_H

/* Keep CAP_BPF (map reads), CAP_DAC_READ_SEARCH (cgroup id -> path),
 * CAP_SYS_PTRACE (/proc/PID/exe of other users), and CAP_NET_ADMIN only when
 * new interfaces must still be attached. Everything else goes, from the
 * effective, permitted, inheritable and bounding sets, and no_new_privs is
 * set. Returns 0 or -errno. */
int ta_drop_privileges(int keep_net_admin);
/* The effective capability mask, for tests and diagnostics. */
unsigned long long ta_effective_caps(void);

#endif
