/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * options.h - command-line options, validated before anything is loaded, so a
 * bad option costs a one-line error and exit code 2 and touches no kernel state.
 */
#ifndef TA_OPTIONS_H
#define TA_OPTIONS_H

#include <net/if.h>
#include <linux/types.h>
#include "core/attach.h"
#include "flow/enrich.h"
#include "tlsaudit.h"

#define TA_EXIT_USAGE 2
#define TA_DEFAULT_MAX_FLOWS 262144

struct ta_options {
	int verbose;
	int json;
	unsigned long duration; /* seconds, 0 = until a signal */
	__u32 max_flows;
	char ifaces[TA_MAX_IFACES][IF_NAMESIZE];
	int n_ifaces;
	int ifaces_explicit;		/* named with -i, rather than "every interface up" */
	__u8 ports[TA_PORT_BITMAP_LEN]; /* bitmap of watched ports */
	char ports_text[256];
	int top;	    /* live table instead of lines */
	int top_containers; /* --top starts with one row per container */
	/* filters: only flows whose owner matches are reported */
	struct ta_filters filters;
	/* -r: judge the flows of a capture file instead of live traffic */
	char read_file[4096];
	/* gateway mode and enforcement */
	int gateway;  /* forwarded traffic: no local sockets, role "forwarded" */
	int hook_xdp; /* --gateway --hook xdp (default) rather than tc */
	int hook_set;
	int enforce;
	int no_hold; /* --no-hold: enforcement ends with the run */
	int release; /* --release: end held enforcement and exit */
	struct ta_allow_key allow[64];
	int n_allow;
	/* Prometheus textfile export */
	char textfile[4096];
	unsigned long interval; /* seconds between textfile writes */
	unsigned long max_series_owners;
	int reset; /* clear the pinned counters and exit */
};

/* Parse "10.0.0.0/8", "fd00::/8" or a bare address into an LPM key with the
 * address IPv4-mapped; 0 or -EINVAL. */
int ta_parse_cidr(const char *text, struct ta_allow_key *key);

/* Returns 0, or the exit code to leave with (2 for a usage error). */
int ta_parse_options(int argc, char **argv, struct ta_options *opt);
/* Parse "443,8443,9000-9010" into a bitmap; 0 or -EINVAL with the token
 * that is wrong copied to bad (n bytes). */
int ta_parse_ports(const char *text, __u8 bitmap[TA_PORT_BITMAP_LEN], char *bad, size_t n);

static inline int ta_port_isset(const struct ta_options *opt, unsigned int port)
{
	return port < 65536 && (opt->ports[port >> 3] & (1u << (port & 7)));
}

#endif
