/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * prom.h - the Prometheus exporter: an in-memory model of everything tlsaudit
 * counts, rendered in the text exposition format 0.0.4 and written atomically
 * into node_exporter's textfile-collector directory.
 *
 * The loader owns one struct ta_prom, feeds it as events and counters arrive,
 * and every --interval seconds calls ta_prom_write_textfile(). Nothing here
 * touches BPF, so the whole module is unit-tested on the host.
 *
 * Cardinality is bounded by construction: the only labels are the verdict,
 * the process name (comm), the container id, the server port, interface names
 * and the TLS version/outcome names. No pid, address or SNI is ever a label.
 *
 * Worst-case number of samples in one rendered file:
 *
 *   tlsaudit_flows_total:  (max_owners + 1) * TA_V_MAX * (TA_PROM_MAX_PORTS + 1)
 *   fixed families:        2 * TA_V_MAX (packets, bytes) + TA_STAT_MAX
 *                          + 2 * TA_PROM_MAX_IFACES (monitored, attach failures)
 *                          + TA_PROM_MAX_TLS + 1 + 6
 *
 * "+ 1" is the comm="other" owner, port="other", or the TLS "other" row. With
 * today's header (TA_V_MAX 9, TA_STAT_MAX 11) and the default of 100 owners
 * that is 101 * 9 * 33 = 29997 flow series plus at most
 * 18 + 11 + 128 + 65 + 6 = 228 others. The usual case, one port and the eight
 * verdicts that reach userspace, is (max_owners + 1) * 8 = 808 flow series.
 */
#ifndef TA_PROM_H
#define TA_PROM_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include "tlsaudit.h"

/* Default for --max-series-owners, and the most the model accepts. */
#define TA_PROM_DEFAULT_MAX_OWNERS 100
#define TA_PROM_MAX_SERIES_OWNERS 4000

/*
 * Fixed capacities, chosen so the model stays around 1.2 MiB however long
 * tlsaudit runs:
 *
 * - TA_PROM_TRACKED_OWNERS distinct (comm, container) pairs are remembered,
 *   the comm="other" owner included. A pair seen after that is counted under
 *   comm="other",container="" from then on.
 * - TA_PROM_SERIES_SLOTS open-addressing slots (16 bytes each) hold one count
 *   per (owner, port, verdict). Ordinary owners may fill three quarters of
 *   them; the next eighth is kept for the "other" owner, so an overflowing
 *   flow still finds its (other, port, verdict) row. If even that is full, the
 *   flow is counted in a per-verdict row with port="other". The last eighth
 *   stays empty so that probing stays short.
 *
 * Each of those fallbacks keeps the sum over all series exact, and is counted
 * in tlsaudit_series_overflow_flows_total.
 */
#define TA_PROM_TRACKED_OWNERS 4096
#define TA_PROM_SERIES_SLOTS 65536
/* Server ports that get their own port label; the rest is port="other". */
#define TA_PROM_MAX_PORTS 32
/* Interface names remembered for the per-interface families: as many as the
 * loader can watch (TA_MAX_IFACES in attach.h). */
#define TA_PROM_MAX_IFACES 64
/* Distinct (version, outcome) pairs of tlsaudit_tls_flows_total. */
#define TA_PROM_MAX_TLS 64
/* Longest container id kept (bytes); longer ones are cut, which can only merge
 * two owners into one series, never lose a flow. Runtime ids are 64 hex. */
#define TA_PROM_CONTAINER_MAX 128

struct ta_prom;

/* NULL with errno set (EINVAL if max_owners > TA_PROM_MAX_SERIES_OWNERS). */
struct ta_prom *ta_prom_new(size_t max_owners);
void ta_prom_free(struct ta_prom *p);

/*
 * Count n flows with this verdict to server port, owned by the process named
 * comm (the kernel's 16 raw bytes, NUL-padded or not; all-zero when no local
 * process is known) in container (NULL or "" outside containers). Never fails:
 * when a table is full the flows go to comm="other" (see above).
 */
void ta_prom_add_flow(struct ta_prom *p, const char comm[TA_COMM_LEN], const char *container,
		      __u16 port, unsigned int verdict, __u64 n);

/* Absolute values, summed over CPUs by the caller; arrays indexed by enum
 * ta_verdict and enum ta_stat. */
void ta_prom_set_packets(struct ta_prom *p, const __u64 pkts[TA_V_MAX]);
void ta_prom_set_bytes(struct ta_prom *p, const __u64 bytes[TA_V_MAX]);
void ta_prom_set_stats(struct ta_prom *p, const __u64 stats[TA_STAT_MAX]);

/* Per interface; 0, or -ENOSPC past TA_PROM_MAX_IFACES names (the value is
 * then not exported). Call set_attach_failures(name, 0) for every watched
 * interface at start so the counter exists before it first moves, and
 * set_monitored(name, 0) when an interface goes away: an entry that is not
 * monitored and has no failures frees its slot. */
int ta_prom_set_attach_failures(struct ta_prom *p, const char *ifname, __u64 n);
int ta_prom_set_monitored(struct ta_prom *p, const char *ifname, int monitored);

/* Optional families: left out of the output until first set. */
void ta_prom_set_preexisting(struct ta_prom *p, __u64 n);
void ta_prom_set_flow_evictions(struct ta_prom *p, __u64 n);
/* Add n flows to tlsaudit_tls_flows_total{version,outcome}, e.g. ("TLSv1.3",
 * "completed"). The family is absent until the first call. 0 or -ENOSPC past
 * TA_PROM_MAX_TLS pairs (then counted as version="other",outcome="other"). */
int ta_prom_add_tls(struct ta_prom *p, const char *version, const char *outcome, __u64 n);

void ta_prom_set_write_errors(struct ta_prom *p, __u64 n);
void ta_prom_set_version(struct ta_prom *p, const char *version);
void ta_prom_set_last_write(struct ta_prom *p, __s64 unix_seconds);

/* Flows the fallbacks above moved to comm="other" or port="other" (tests). */
__u64 ta_prom_overflow_flows(const struct ta_prom *p);

/* The exposition text. 0, -ENOMEM, or -EIO when the stream failed. */
int ta_prom_render(const struct ta_prom *p, FILE *out);

/*
 * Replace path with data, atomically: a hidden temp file in the same directory
 * (".NAME.XXXXXX", which node_exporter ignores), mode 0644, fsync, rename,
 * fsync of the directory. Refuses to replace a symlink (-ELOOP) or a directory
 * (-EISDIR); never follows a symlink. 0 or -errno, with the temp file removed.
 */
int ta_prom_write_atomic(const char *path, const char *data, size_t len);

/*
 * Start-up check of --textfile PATH (the file, not its directory): the
 * directory exists, is a directory, is writable; PATH is not a symlink or a
 * directory and ends in ".prom". 0, or -errno with a one-line reason in err.
 */
int ta_prom_check_dir(const char *path, char *err, size_t n);

/* The loader's periodic call: stamp the write time, render, write atomically.
 * A failure is counted in tlsaudit_textfile_write_errors_total and returned
 * as -errno; the previous file stays in place. */
int ta_prom_write_textfile(struct ta_prom *p, const char *path, __s64 now);

#endif
