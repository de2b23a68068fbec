/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pcap.h - frames from a capture file (pcap or pcapng) through libpcap, with
 * their link type mapped onto the host flow machine's, their time in ns and
 * the file offset each starts at, for errors that say where.
 */
#ifndef TA_CAPTURE_PCAP_H
#define TA_CAPTURE_PCAP_H

#include <stddef.h>
#include <linux/types.h>
#include "capture/hostflow.h"

struct ta_pcap;

struct ta_frame {
	const __u8 *data;
	__u32 caplen;
	__u32 wirelen;
	__u64 ts_ns; /* CLOCK_REALTIME of the packet, as the file says */
	long offset; /* where its record starts in the file; -1 when unknown */
};

/* Open path ("-" for stdin). 0, or -1 with a one-line reason in err: not a
 * capture file, or a link type the flow machine cannot read (named). */
int ta_pcap_open(const char *path, struct ta_pcap **out, char *err, size_t n);
enum ta_link ta_pcap_link(const struct ta_pcap *c);
/* The next frame: 1, 0 at the end of the file, or -1 with a one-line reason
 * (naming the offset) in err when the file is damaged from there on. */
int ta_pcap_next(struct ta_pcap *c, struct ta_frame *f, char *err, size_t n);
void ta_pcap_close(struct ta_pcap *c);

#endif
