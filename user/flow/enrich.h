/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * enrich.h - what userspace adds to a complete flow before it is reported:
 * which end is reported (the client's, or a local server's) and which is
 * the peer, the cgroup path, container and pod, the exe, the network
 * namespace, why a midstream verdict is what it is, and what the captured
 * handshake said. Then the filters (--pid, --cgroup, --container).
 */
#ifndef TA_ENRICH_H
#define TA_ENRICH_H

#include <arpa/inet.h>
#include <limits.h>
#include <net/if.h>
#include <time.h>
#include <linux/types.h>
#include "flow/assemble.h"
#include "flow/record.h"
#include "owners/cgroup.h"
#include "owners/procinfo.h"
#include "tls/hello.h"

/* Only flows whose owner matches are reported; all empty: every flow. */
struct ta_filters {
	__u32 pid;
	char cgroup[TA_CGROUP_PATH_MAX]; /* relative to the cgroup2 root */
	char container[72];		 /* a full container or pod id */
};

struct ta_enricher {
	const struct ta_filters *filters;
	__u64 to_realtime_ns;	      /* added to a record's time: its CLOCK_REALTIME */
	struct ta_local_addrs *local; /* NULL for capture files: no end is ours */
	int have_cgroups;
	struct ta_cgroups cgroups;
	struct ta_exe_cache exe;
	/* the parts of the record that are not in the event */
	struct ta_client_hello ch;
	struct ta_server_hello sh;
	struct ta_owner peer;
	char cgroup_path[TA_CGROUP_PATH_MAX];
	char container[80];
	char pod[80];
	char peer_addr[INET6_ADDRSTRLEN + 8];
	char exe_buf[PATH_MAX];
#define TA_IFNAME_CACHE 64
	struct {
		__u32 ifindex;
		time_t at;
		char name[IF_NAMESIZE];
	} ifname[TA_IFNAME_CACHE];
};

/* e is large: allocate it. local NULL for a capture file. */
void ta_enricher_init(struct ta_enricher *e, const struct ta_filters *filters, __u64 to_realtime_ns,
		      struct ta_local_addrs *local);
void ta_enricher_free(struct ta_enricher *e);
/* Make r from ev and its handshake (cap may be NULL). r points into e until
 * the next call. Returns 0, or 1 when the filters hide the flow. */
int ta_enrich(struct ta_enricher *e, const struct ta_flow_event *ev,
	      const struct ta_tls_capture *cap, int evicted, struct ta_flow_record *r);

#endif
