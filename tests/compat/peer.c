// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * peer.c - both ends of one TCP connection on 127.0.0.1:PORT, for the live
 * check in the 6.1 guest (tests/compat/guest.sh), where there is no curl,
 * openssl or python3: busybox and this static binary only.
 *
 *   ta-compat-peer COMM PORT CLIENT_FILE [SERVER_FILE]
 *
 * Names itself COMM (prctl), listens on 127.0.0.1:PORT, connects, accepts;
 * the client sends CLIENT_FILE's bytes, the server reads them and answers
 * with SERVER_FILE's bytes (if given), the client reads the answer, both
 * close. A plaintext request or a recorded TLS ClientHello (and the
 * ServerHello) is what tlsaudit has to judge. Exit 0 when every byte went
 * both ways.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static size_t slurp(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "ta-compat-peer: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_n(int fd, unsigned char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char cbuf[16384], sbuf[16384], rbuf[16384];
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	size_t clen, slen = 0;
	int lfd, cfd, afd, one = 1;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s COMM PORT CLIENT_FILE [SERVER_FILE]\n", argv[0]);
		return 2;
	}
	prctl(PR_SET_NAME, argv[1]);
	a.sin_port = htons((unsigned short)atoi(argv[2]));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	clen = slurp(argv[3], cbuf, sizeof(cbuf));
	if (argc == 5)
		slen = slurp(argv[4], sbuf, sizeof(sbuf));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || cfd < 0)
		goto fail;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4) ||
	    connect(cfd, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		goto fail;
	setsockopt(afd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (write_all(cfd, cbuf, clen) || read_n(afd, rbuf, clen) || memcmp(rbuf, cbuf, clen))
		goto fail;
	if (slen && (write_all(afd, sbuf, slen) || read_n(cfd, rbuf, slen)))
		goto fail;
	close(cfd);
	close(afd);
	close(lfd);
	return 0;
fail:
	fprintf(stderr, "ta-compat-peer: %s\n", strerror(errno));
	return 1;
}
