// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pcap.c - reading capture files with libpcap. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "capture/pcap.h"

struct ta_pcap {
	pcap_t *p; /* NULL for an empty file: no frames, not an error */
	FILE *f;   /* ours until libpcap has it */
	enum ta_link link;
};

/* The link types the flow machine reads, by libpcap's DLT_ values. */
static int link_of(int dlt, enum ta_link *link)
{
	switch (dlt) {
	case DLT_EN10MB:
		*link = TA_LINK_ETHERNET;
		return 0;
	case DLT_LINUX_SLL:
		*link = TA_LINK_SLL;
		return 0;
	case DLT_LINUX_SLL2:
		*link = TA_LINK_SLL2;
		return 0;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		*link = TA_LINK_RAW;
		return 0;
	case DLT_NULL:
		*link = TA_LINK_NULL;
		return 0;
	case DLT_LOOP:
		*link = TA_LINK_LOOP;
		return 0;
	default:
		return -1;
	}
}

int ta_pcap_open(const char *path, struct ta_pcap **out, char *err, size_t n)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct ta_pcap *c;
	const char *name;
	int dlt, ch;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, n, "%s: %s", path, strerror(errno));
		return -1;
	}
	c->f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!c->f) {
		snprintf(err, n, "%s: %s", path, strerror(errno));
		free(c);
		return -1;
	}
	/* a file with no bytes at all holds no flows, which is not an error */
	ch = getc(c->f);
	if (ch == EOF) {
		*out = c;
		return 0;
	}
	ungetc(ch, c->f);
	c->p = pcap_fopen_offline_with_tstamp_precision(c->f, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!c->p) {
		snprintf(err, n, "%s: %s", path, perr[0] ? perr : "not a capture file");
		ta_pcap_close(c);
		return -1;
	}
	c->f = NULL; /* pcap_close() closes it */
	dlt = pcap_datalink(c->p);
	if (link_of(dlt, &c->link)) {
		name = pcap_datalink_val_to_name(dlt);
		snprintf(err, n,
			 "%s: link type %s (%d) is not one tlsaudit reads (Ethernet, "
			 "Linux cooked v1/v2, raw IP, BSD loopback)",
			 path, name ? name : "unknown", dlt);
		ta_pcap_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

enum ta_link ta_pcap_link(const struct ta_pcap *c)
{
	return c->link;
}

int ta_pcap_next(struct ta_pcap *c, struct ta_frame *f, char *err, size_t n)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	FILE *file;
	int rc;

	if (!c->p)
		return 0;
	file = pcap_file(c->p);
	f->offset = file ? ftell(file) : -1;
	rc = pcap_next_ex(c->p, &h, &data);
	if (rc == 1) {
		f->data = data;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		/* with nanosecond precision, tv_usec holds nanoseconds */
		f->ts_ns = (__u64)h->ts.tv_sec * 1000000000ull + (__u64)h->ts.tv_usec;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (f->offset >= 0)
		snprintf(err, n, "damaged at offset %ld: %s", f->offset, pcap_geterr(c->p));
	else
		snprintf(err, n, "damaged: %s", pcap_geterr(c->p));
	return -1;
}

void ta_pcap_close(struct ta_pcap *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	if (c->f && c->f != stdin)
		fclose(c->f);
	free(c);
}
