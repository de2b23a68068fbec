/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_frames.h - hand-built Ethernet frames for the packet cases, the same
 * bytes for every backend (BPF_PROG_TEST_RUN on TC and XDP, the host build):
 * VLAN/QinQ, IPv4 with options and fragments, IPv6 with extension headers,
 * TCP or UDP, and the client->server flow key they should be filed under.
 */
#ifndef TA_FRAMES_H
#define TA_FRAMES_H

#include <arpa/inet.h>
#include <string.h>
#include "tlsaudit.h"

struct frame {
	unsigned char b[4096]; /* a test run takes up to a page, headroom included */
	size_t len;
};

struct flow_spec {
	int v6;
	int vlan;    /* 802.1Q tags: 1, or 2 (802.1ad outer + 802.1Q inner), or 3 (two outer) */
	int ip_opts; /* IPv4: 12 bytes of options (ihl 8) */
	int ext_hdr; /* IPv6: hop-by-hop + destination options headers; N > 2: N of them */
	int udp;
	int tcp_opts;	 /* TCP: NOP, NOP, timestamps (doff 8), as Linux sends */
	int frag_offset; /* IPv4 fragment offset in 8-byte units */
	int frag_more;	 /* IPv4: the more-fragments flag */
	const char *cli, *srv;
	unsigned short cport, sport;
};

static inline void put16(unsigned char *p, unsigned v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put32(unsigned char *p, unsigned v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Build one frame, client->server when c2s, else server->client. */
static inline void build(struct frame *f, const struct flow_spec *s, int c2s, unsigned seq,
			 unsigned char flags, const void *payload, size_t plen)
{
	unsigned char *p = f->b, *ip, *l4;
	size_t iphl, l4hl = s->udp ? 8 : s->tcp_opts ? 32 : 20;
	const char *src = c2s ? s->cli : s->srv, *dst = c2s ? s->srv : s->cli;
	unsigned short sp = c2s ? s->cport : s->sport, dp = c2s ? s->sport : s->cport;

	memset(f->b, 0, sizeof(f->b));
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p += 12;
	if (s->vlan >= 2) {
		put16(p, 0x88a8); /* 802.1ad service tag outside */
		put16(p + 2, 100);
		p += 4;
	}
	if (s->vlan >= 3) {
		put16(p, 0x88a8);
		put16(p + 2, 101);
		p += 4;
	}
	if (s->vlan) {
		put16(p, 0x8100);
		put16(p + 2, 42);
		p += 4;
	}
	put16(p, s->v6 ? 0x86dd : 0x0800);
	p += 2;
	ip = p;
	if (!s->v6) {
		iphl = s->ip_opts ? 32 : 20;
		ip[0] = 0x40 | (iphl / 4);
		put16(ip + 2, iphl + l4hl + plen);
		put16(ip + 6, s->frag_offset | (s->frag_more ? 0x2000 : 0));
		ip[8] = 64;
		ip[9] = s->udp ? 17 : 6;
		inet_pton(AF_INET, src, ip + 12);
		inet_pton(AF_INET, dst, ip + 16);
		if (s->ip_opts)
			memset(ip + 20, 1, 12); /* NOP options */
	} else {
		int n_ext = s->ext_hdr > 2 ? s->ext_hdr : s->ext_hdr ? 2 : 0, i;
		size_t ext = 8 * n_ext;

		iphl = 40 + ext;
		ip[0] = 0x60;
		put16(ip + 4, ext + l4hl + plen);
		ip[6] = s->ext_hdr ? 0 : (s->udp ? 17 : 6);
		ip[7] = 64;
		inet_pton(AF_INET6, src, ip + 8);
		inet_pton(AF_INET6, dst, ip + 24);
		/* hop-by-hop first, then destination options, 8 bytes each */
		for (i = 0; i < n_ext; i++) {
			ip[40 + 8 * i] = i + 1 < n_ext ? 60 : (s->udp ? 17 : 6);
			ip[41 + 8 * i] = 0;
		}
	}
	l4 = ip + iphl;
	put16(l4, sp);
	put16(l4 + 2, dp);
	if (s->udp) {
		put16(l4 + 4, 8 + plen);
	} else {
		put32(l4 + 4, seq);
		l4[12] = (l4hl / 4) << 4;
		if (s->tcp_opts) {
			memcpy(l4 + 20, "\x01\x01\x08\x0a", 4);
			put32(l4 + 24, 0x01020304); /* TSval */
			put32(l4 + 28, 0);	    /* TSecr */
		}
		l4[13] = flags;
		put16(l4 + 14, 65535);
	}
	memcpy(l4 + l4hl, payload, plen);
	f->len = (l4 + l4hl + plen) - f->b;
	if (f->len < 60)
		f->len = 60; /* Ethernet minimum: padding must not count as payload */
}

#define SYN 0x02
#define ACK 0x10
#define PSH 0x08
#define FIN 0x01
#define RST 0x04

static inline void make_key(struct ta_flow_key *k, const struct flow_spec *s)
{
	memset(k, 0, sizeof(*k));
	if (s->v6) {
		inet_pton(AF_INET6, s->cli, k->client);
		inet_pton(AF_INET6, s->srv, k->server);
		k->family = TA_AF_INET6;
	} else {
		k->client[10] = k->client[11] = k->server[10] = k->server[11] = 0xff;
		inet_pton(AF_INET, s->cli, k->client + 12);
		inet_pton(AF_INET, s->srv, k->server + 12);
		k->family = TA_AF_INET;
	}
	k->client_port = s->cport;
	k->server_port = s->sport;
	k->l4proto = s->udp ? 17 : 6;
}

#endif /* TA_FRAMES_H */
