// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * enfbench.c - the clients, server and flood of the enforcement stages of
 * the benchmark (tests/bench/run.sh: rst, synflood). No BPF, no libraries.
 *
 *   enfbench server ADDR PORT
 *       accept on ADDR:PORT, echo every byte back, and log what each
 *       connection sent: on SIGUSR1 (and at SIGTERM/SIGINT, before exiting)
 *       one JSON line on stdout,
 *         {"event":"server","accepted":..,"bytes_tls":..,"bytes_plain":..,
 *          "conns":[{"port":..,"bytes":..,"first":..},...]}
 *       where a connection is "tls" when its first byte is 0x16 (a TLS
 *       record of type handshake), "plain" otherwise; "first" is that byte
 *       (-1: nothing received). Prints "enfbench: listening" on stderr.
 *
 *   enfbench rst-client ADDR PORT [-n TRIES] [-t BOUND_MS]
 *       TRIES times, one after the other: connect, send "GET / HTTP/1.1", and
 *       wait (at most BOUND_MS, default 2000) for what the socket reports
 *       first. The time is taken from just before the send() of that first
 *       payload to the moment poll() returns and recv() says ECONNRESET. One
 *       JSON line per try ({"event":"try","outcome":"reset"|"timeout"|"fin"|
 *       "data"|"error"|"connect_failed",...}), then a summary:
 *         {"event":"rst","tries":..,"reset":..,"timeout":..,"fin":..,
 *          "data":..,"other":..,"median_ms":..,"p90_ms":..,"min_ms":..,
 *          "max_ms":..}
 *       (the ms figures over the tries that were reset; null when none was).
 *       Each socket is closed with SO_LINGER 0, so no try leaves
 *       retransmissions behind for the next.
 *
 *   enfbench conns ADDR PORT -k K -H HELLO [-t PROBE_MS] [-w WAIT_MS]
 *       K "TLS" connections, each of which sends the ClientHello in HELLO as
 *       its first bytes (so a monitor decides it tls) and reads the server's
 *       echo; and K plaintext connections, each of which sends a
 *       "GET / HTTP/1.1" request as its first bytes. Prints
 *         {"event":"ready","tls_ok":..,"tls_ports":[..],"plain_ports":[..]}
 *       and then waits for signals:
 *       SIGUSR1  probe: each TLS connection sends a 64-byte request and
 *                waits for its 64-byte echo (all at once, PROBE_MS in all,
 *                default 3000); each plaintext connection's TCP_INFO
 *                (unacked segments, retransmissions). One JSON line,
 *                {"event":"probe","n":..,"tls_ok":..,"tls_failed":..,
 *                 "tls_failed_ports":[..],"plain":[{"port":..,"state":..,
 *                 "unacked":..,"total_retrans":..},...]}
 *       SIGUSR2  the same probe, then each plaintext connection writes 64 more
 *                bytes of its request (a continuation), and waits (WAIT_MS in
 *                all, default 5000) until each of them has retransmitted at
 *                least once since: the server must still get none of it.
 *                One JSON line, "event":"after", with the probe's fields,
 *                "plain_retransmitted" (connections that did, in time) and
 *                per plaintext connection "retrans_since_push". "state" is
 *                the kernel's TCP state (1: established; 7: closed, e.g.
 *                after its retries ran out).
 *       SIGTERM/SIGINT: exit.
 *
 *   enfbench synflood -i IFACE -m DST_MAC -d DST_ADDR [-p PORT] [-n COUNT]
 *                     [-s SRC_NET/LEN] [-b BATCH]
 *       COUNT (default 1000000) TCP SYNs from random source addresses in
 *       SRC_NET/LEN (default 198.18.0.0/15, the benchmarking range of RFC
 *       2544) and random source ports to DST_ADDR:PORT (default 443), as
 *       Ethernet frames to DST_MAC out of IFACE (an AF_PACKET socket,
 *       sendmmsg in batches of BATCH, default 256), as fast as the
 *       interface takes them. Correct IP and TCP checksums, an MSS option.
 *       Prints {"event":"synflood","sent":..,"seconds":..,"per_second":..,
 *       "enobufs_waits":..} on stdout.
 */
#define _GNU_SOURCE /* sendmmsg, accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "enfbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: enfbench server ADDR PORT\n"
			"       enfbench rst-client ADDR PORT [-n TRIES] [-t BOUND_MS]\n"
			"       enfbench conns ADDR PORT -k K -H HELLO [-t PROBE_MS] [-w WAIT_MS]\n"
			"       enfbench synflood -i IFACE -m DST_MAC -d DST_ADDR [-p PORT] "
			"[-n COUNT] [-s SRC_NET/LEN] [-b BATCH]\n");
	exit(2);
}

static struct sockaddr_in addr_of(const char *a, const char *p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(p)) };

	if (inet_pton(AF_INET, a, &sa.sin_addr) != 1) {
		fprintf(stderr, "enfbench: bad address %s\n", a);
		exit(2);
	}
	return sa;
}

/* a connected non-blocking TCP socket, or -1 after timeout_ms */
static int connect_to(const struct sockaddr_in *sa, int timeout_ms)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1, err = 0;
	socklen_t el = sizeof(err);
	struct pollfd p;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) && errno != EINPROGRESS)
		goto fail;
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	if (poll(&p, 1, timeout_ms) != 1)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static void close_rst(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int local_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &l))
		return -1;
	return ntohs(sa.sin_port);
}

/* write all of buf to a non-blocking socket, within timeout_ms */
static int send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char *b = buf;
	double end = now_ms() + timeout_ms;

	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (n > 0) {
			b += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return -1;
		if (now_ms() >= end || poll(&p, 1, (int)(end - now_ms()) + 1) < 0)
			return -1;
	}
	return 0;
}

static const char http_req[] = "GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: enfbench\r\n\r\n";

/* ---------------------------------------------------------------- server */

#define MAX_FD 65536

struct sconn {
	int port, first, open;
	unsigned long long bytes;
};

static void server_dump(const struct sconn *c, int n, unsigned long long accepted)
{
	unsigned long long tls = 0, plain = 0;
	int i, sep = 0;

	for (i = 0; i < n; i++) {
		if (c[i].first == 0x16)
			tls += c[i].bytes;
		else
			plain += c[i].bytes;
	}
	printf("{\"event\":\"server\",\"accepted\":%llu,\"bytes_tls\":%llu,\"bytes_plain\":%llu,"
	       "\"conns\":[",
	       accepted, tls, plain);
	for (i = 0; i < n; i++) {
		printf("%s{\"port\":%d,\"bytes\":%llu,\"first\":%d}", sep ? "," : "", c[i].port,
		       c[i].bytes, c[i].first);
		sep = 1;
	}
	printf("]}\n");
	fflush(stdout);
}

static int cmd_server(int argc, char **argv)
{
	struct sockaddr_in sa;
	static int slot[MAX_FD]; /* fd -> index in conns, + 1 */
	struct sconn *conns;
	int nconns = 0, cap = 4096, lfd, ep, sfd, one = 1;
	unsigned long long accepted = 0;
	struct epoll_event ev;
	sigset_t ss;

	if (argc != 4)
		usage();
	sa = addr_of(argv[2], argv[3]);
	conns = calloc(cap, sizeof(*conns));
	if (!conns)
		die("calloc");
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	sfd = signalfd(-1, &ss, SFD_NONBLOCK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 || sfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4096))
		die("bind/listen");
	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = lfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = sfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	fprintf(stderr, "enfbench: listening\n");
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == sfd) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					server_dump(conns, nconns, accepted);
					if (si.ssi_signo != SIGUSR1)
						return 0;
				}
			} else if (fd == lfd) {
				struct sockaddr_in peer;
				socklen_t pl = sizeof(peer);
				int c;

				while ((c = accept4(lfd, (struct sockaddr *)&peer, &pl,
						    SOCK_NONBLOCK)) >= 0) {
					accepted++;
					if (c >= MAX_FD) {
						close(c);
						continue;
					}
					if (nconns == cap) {
						cap *= 2;
						conns = realloc(conns, cap * sizeof(*conns));
						if (!conns)
							die("realloc");
					}
					conns[nconns] = (struct sconn){
						.port = ntohs(peer.sin_port), .first = -1, .open = 1
					};
					slot[c] = ++nconns;
					ev = (struct epoll_event){ .events = EPOLLIN,
								   .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
					pl = sizeof(peer);
				}
			} else {
				struct sconn *c = &conns[slot[fd] - 1];
				char buf[16384];
				ssize_t r;

				while ((r = recv(fd, buf, sizeof(buf), 0)) > 0) {
					if (c->first < 0)
						c->first = (unsigned char)buf[0];
					c->bytes += r;
					/* the echo: best effort, the clients read it */
					if (send(fd, buf, r, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
						break;
				}
				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
					close(fd);
					c->open = 0;
					slot[fd] = 0;
				}
			}
		}
	}
}

/* ---------------------------------------------------------------- rst-client */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmd_rst_client(int argc, char **argv)
{
	int tries = 20, bound = 2000, opt, i, nres = 0;
	int n_timeout = 0, n_fin = 0, n_data = 0, n_other = 0;
	struct sockaddr_in sa;
	double *ms;

	if (argc < 4)
		usage();
	sa = addr_of(argv[2], argv[3]);
	optind = 4;
	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		switch (opt) {
		case 'n':
			tries = atoi(optarg);
			break;
		case 't':
			bound = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (tries < 1 || bound < 1)
		usage();
	ms = calloc(tries, sizeof(*ms));
	if (!ms)
		die("calloc");
	for (i = 0; i < tries; i++) {
		int fd = connect_to(&sa, 2000), port, err = 0;
		const char *outcome;
		double t0, t1 = 0;
		char buf[512];

		if (fd < 0) {
			n_other++;
			printf("{\"event\":\"try\",\"n\":%d,\"outcome\":\"connect_failed\"}\n", i);
			continue;
		}
		port = local_port(fd);
		t0 = now_ms();
		if (send(fd, http_req, sizeof(http_req) - 1, MSG_NOSIGNAL) < 0) {
			err = errno;
			outcome = err == ECONNRESET ? "reset" : "error";
			t1 = now_ms();
		} else {
			for (;;) {
				struct pollfd p = { .fd = fd, .events = POLLIN };
				double left = t0 + bound - now_ms();
				ssize_t r;

				if (left <= 0 || poll(&p, 1, (int)left + 1) == 0) {
					outcome = "timeout";
					break;
				}
				r = recv(fd, buf, sizeof(buf), 0);
				t1 = now_ms();
				if (r > 0) {
					outcome = "data"; /* the server answered: not blocked */
					break;
				}
				if (r == 0) {
					outcome = "fin";
					break;
				}
				if (errno == EAGAIN || errno == EINTR)
					continue;
				err = errno;
				outcome = err == ECONNRESET ? "reset" : "error";
				break;
			}
		}
		if (!strcmp(outcome, "reset"))
			ms[nres++] = t1 - t0;
		else if (!strcmp(outcome, "timeout"))
			n_timeout++;
		else if (!strcmp(outcome, "fin"))
			n_fin++;
		else if (!strcmp(outcome, "data"))
			n_data++;
		else
			n_other++;
		printf("{\"event\":\"try\",\"n\":%d,\"port\":%d,\"outcome\":\"%s\",\"ms\":", i,
		       port, outcome);
		if (strcmp(outcome, "timeout"))
			printf("%.3f", t1 - t0);
		else
			printf("null");
		printf(",\"errno\":%d}\n", err);
		fflush(stdout);
		close_rst(fd);
	}
	qsort(ms, nres, sizeof(*ms), cmp_d);
	printf("{\"event\":\"rst\",\"tries\":%d,\"bound_ms\":%d,\"reset\":%d,\"timeout\":%d,"
	       "\"fin\":%d,\"data\":%d,\"other\":%d,",
	       tries, bound, nres, n_timeout, n_fin, n_data, n_other);
	if (nres) {
		double med = nres % 2 ? ms[nres / 2] : (ms[nres / 2 - 1] + ms[nres / 2]) / 2;
		int k = (9 * nres + 9) / 10; /* nearest rank: ceil(0.9 n) */

		printf("\"median_ms\":%.3f,\"p90_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f}\n", med,
		       ms[k - 1], ms[0], ms[nres - 1]);
	} else {
		printf("\"median_ms\":null,\"p90_ms\":null,\"min_ms\":null,\"max_ms\":null}\n");
	}
	free(ms);
	return 0;
}

/* ---------------------------------------------------------------- conns */

struct cconn {
	int fd, port, ok;
	unsigned base; /* total_retrans when the continuation was written */
};

static void drain(int fd)
{
	char buf[4096];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* each TLS connection sends 64 bytes and waits for their echo; returns
 * how many got it */
#define PROBE_LEN 64
static int probe_tls(struct cconn *t, int k, int seq, int timeout_ms)
{
	struct pollfd *p = calloc(k, sizeof(*p));
	int *got = calloc(k, sizeof(*got)), i, ok = 0, left = 0;
	char msg[PROBE_LEN];
	double end = now_ms() + timeout_ms;

	if (!p || !got)
		die("calloc");
	for (i = 0; i < k; i++) {
		t[i].ok = 0;
		p[i].fd = -1;
		if (t[i].fd < 0)
			continue;
		drain(t[i].fd);
		memset(msg, '.', sizeof(msg));
		snprintf(msg, 32, "ping %d %d", seq, i);
		msg[PROBE_LEN - 1] = '\n';
		if (send(t[i].fd, msg, PROBE_LEN, MSG_NOSIGNAL) != PROBE_LEN)
			continue;
		p[i].fd = t[i].fd;
		p[i].events = POLLIN;
		left++;
	}
	while (left && now_ms() < end) {
		int n = poll(p, k, (int)(end - now_ms()) + 1);

		if (n <= 0)
			continue;
		for (i = 0; i < k; i++) {
			char buf[PROBE_LEN * 2];
			ssize_t r;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			r = recv(p[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0)
				got[i] += r;
			if (r == 0 || (r < 0 && errno != EAGAIN) || got[i] >= PROBE_LEN) {
				t[i].ok = got[i] >= PROBE_LEN;
				ok += t[i].ok;
				p[i].fd = -1;
				left--;
			}
		}
	}
	free(p);
	free(got);
	return ok;
}

static void tcp_stats(int fd, int *state, unsigned *unacked, unsigned *retrans)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	*state = -1;
	*unacked = *retrans = 0;
	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l))
		return;
	*state = ti.tcpi_state;
	*unacked = ti.tcpi_unacked;
	*retrans = ti.tcpi_total_retrans;
}

static void print_probe(const char *event, int n, struct cconn *t, struct cconn *pl, int k, int ok,
			int retransmitted)
{
	int i, sep = 0;

	printf("{\"event\":\"%s\",\"n\":%d,\"tls_ok\":%d,\"tls_failed\":%d,\"tls_failed_ports\":[",
	       event, n, ok, k - ok);
	for (i = 0; i < k; i++)
		if (!t[i].ok) {
			printf("%s%d", sep ? "," : "", t[i].port);
			sep = 1;
		}
	printf("],\"plain\":[");
	for (i = 0; i < k; i++) {
		int st;
		unsigned un, re;

		tcp_stats(pl[i].fd, &st, &un, &re);
		printf("%s{\"port\":%d,\"state\":%d,\"unacked\":%u,\"total_retrans\":%u",
		       i ? "," : "", pl[i].port, st, un, re);
		if (retransmitted >= 0)
			printf(",\"retrans_since_push\":%u", re - pl[i].base);
		printf("}");
	}
	printf("]");
	if (retransmitted >= 0)
		printf(",\"plain_retransmitted\":%d", retransmitted);
	printf("}\n");
	fflush(stdout);
}

static int cmd_conns(int argc, char **argv)
{
	int k = 0, probe_ms = 3000, wait_ms = 5000, opt, i, sep, n = 0, ok;
	const char *hello_path = NULL;
	struct cconn *t, *pl;
	unsigned char hello[16384];
	size_t hello_len = 0;
	struct sockaddr_in sa;
	sigset_t ss;
	FILE *fp;

	if (argc < 4)
		usage();
	sa = addr_of(argv[2], argv[3]);
	optind = 4;
	while ((opt = getopt(argc, argv, "k:H:t:w:")) != -1) {
		switch (opt) {
		case 'k':
			k = atoi(optarg);
			break;
		case 'H':
			hello_path = optarg;
			break;
		case 't':
			probe_ms = atoi(optarg);
			break;
		case 'w':
			wait_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (k < 1 || !hello_path)
		usage();
	fp = fopen(hello_path, "rb");
	if (!fp)
		die(hello_path);
	hello_len = fread(hello, 1, sizeof(hello), fp);
	fclose(fp);
	if (hello_len < 6 || hello[0] != 0x16) {
		fprintf(stderr, "enfbench: %s is no TLS record\n", hello_path);
		return 1;
	}
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigaddset(&ss, SIGUSR2);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	t = calloc(k, sizeof(*t));
	pl = calloc(k, sizeof(*pl));
	if (!t || !pl)
		die("calloc");
	/* the TLS connections: the ClientHello, then its echo */
	ok = 0;
	for (i = 0; i < k; i++) {
		size_t got = 0;
		double end;

		t[i].fd = connect_to(&sa, 2000);
		if (t[i].fd < 0)
			continue;
		t[i].port = local_port(t[i].fd);
		if (send_all(t[i].fd, hello, hello_len, 2000))
			continue;
		end = now_ms() + 2000;
		while (got < hello_len && now_ms() < end) {
			struct pollfd p = { .fd = t[i].fd, .events = POLLIN };
			char buf[16384];
			ssize_t r;

			if (poll(&p, 1, (int)(end - now_ms()) + 1) <= 0)
				continue;
			r = recv(t[i].fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r <= 0 && !(r < 0 && errno == EAGAIN))
				break;
			if (r > 0)
				got += r;
		}
		t[i].ok = got >= hello_len;
		ok += t[i].ok;
	}
	/* the plaintext ones: a request as their first bytes */
	for (i = 0; i < k; i++) {
		pl[i].fd = connect_to(&sa, 2000);
		if (pl[i].fd < 0)
			continue;
		pl[i].port = local_port(pl[i].fd);
		send_all(pl[i].fd, http_req, sizeof(http_req) - 1, 2000);
	}
	printf("{\"event\":\"ready\",\"tls_ok\":%d,\"tls_ports\":[", ok);
	for (i = 0, sep = 0; i < k; i++, sep = 1)
		printf("%s%d", sep ? "," : "", t[i].port);
	printf("],\"plain_ports\":[");
	for (i = 0, sep = 0; i < k; i++, sep = 1)
		printf("%s%d", sep ? "," : "", pl[i].port);
	printf("]}\n");
	fflush(stdout);

	for (;;) {
		int sig;

		if (sigwait(&ss, &sig))
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			break;
		n++;
		ok = probe_tls(t, k, n, probe_ms);
		if (sig == SIGUSR1) {
			print_probe("probe", n, t, pl, k, ok, -1);
		} else {
			/* a continuation of each request, then a retransmission of
			 * each after it */
			static const char more[] =
				"X-Bench-More: 0123456789abcdef0123456789abcd\r\n";
			unsigned un, re;
			int st, done = 0, j;
			double end = now_ms() + wait_ms;

			for (i = 0; i < k; i++) {
				tcp_stats(pl[i].fd, &st, &un, &pl[i].base);
				if (pl[i].fd >= 0)
					send(pl[i].fd, more, sizeof(more) - 1,
					     MSG_NOSIGNAL | MSG_DONTWAIT);
			}
			while (now_ms() < end) {
				for (j = 0, done = 0; j < k; j++) {
					tcp_stats(pl[j].fd, &st, &un, &re);
					done += pl[j].fd >= 0 && re > pl[j].base;
				}
				if (done == k)
					break;
				usleep(20000);
			}
			print_probe("after", n, t, pl, k, ok, done);
		}
	}
	for (i = 0; i < k; i++) {
		if (t[i].fd >= 0)
			close_rst(t[i].fd);
		if (pl[i].fd >= 0)
			close_rst(pl[i].fd);
	}
	return 0;
}

/* ---------------------------------------------------------------- synflood */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

#define SYN_FRAME 60 /* 14 + 20 + 24 (MSS option), padded to the minimum */

static void syn_frame(unsigned char *f, const unsigned char *dmac, const unsigned char *smac,
		      uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t seq)
{
	unsigned char *ip = f + 14, *tcp = ip + 20, pseudo[12];
	uint16_t c;
	uint32_t s;

	memset(f, 0, SYN_FRAME);
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 44;
	ip[4] = seq >> 8; /* an IP id */
	ip[5] = seq;
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	c = csum_fold(csum_add(0, ip, 20));
	ip[10] = c >> 8;
	ip[11] = c;
	tcp[0] = sport >> 8;
	tcp[1] = sport;
	tcp[2] = dport >> 8;
	tcp[3] = dport;
	tcp[4] = seq >> 24;
	tcp[5] = seq >> 16;
	tcp[6] = seq >> 8;
	tcp[7] = seq;
	tcp[12] = 6 << 4;
	tcp[13] = 0x02; /* SYN */
	tcp[14] = 0xfa;
	tcp[15] = 0xf0;
	tcp[20] = 2; /* MSS 1460 */
	tcp[21] = 4;
	tcp[22] = 1460 >> 8;
	tcp[23] = 1460 & 0xff;
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_TCP;
	pseudo[10] = 0;
	pseudo[11] = 24;
	s = csum_add(0, pseudo, 12);
	c = csum_fold(csum_add(s, tcp, 24));
	tcp[16] = c >> 8;
	tcp[17] = c;
}

static int parse_mac(const char *s, unsigned char *m)
{
	unsigned v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		m[i] = v[i];
	return 0;
}

#define MAX_BATCH 1024

static int cmd_synflood(int argc, char **argv)
{
	const char *ifname = NULL, *dst = NULL, *src_net = "198.18.0.0/15", *mac = NULL;
	long count = 1000000, sent = 0;
	int port = 443, batch = 256, opt, fd, plen, i;
	unsigned long long waits = 0;
	unsigned char dmac[6], smac[6];
	static unsigned char frames[MAX_BATCH][SYN_FRAME];
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	struct in_addr net, d;
	struct ifreq ifr;
	uint32_t hostmask, netbase;
	char netbuf[64], *slash;
	double t0, t1;

	optind = 2;
	while ((opt = getopt(argc, argv, "i:m:d:p:n:s:b:")) != -1) {
		switch (opt) {
		case 'i':
			ifname = optarg;
			break;
		case 'm':
			mac = optarg;
			break;
		case 'd':
			dst = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			count = atol(optarg);
			break;
		case 's':
			src_net = optarg;
			break;
		case 'b':
			batch = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!ifname || !mac || !dst || count < 1 || batch < 1 || batch > MAX_BATCH ||
	    parse_mac(mac, dmac) || inet_pton(AF_INET, dst, &d) != 1)
		usage();
	snprintf(netbuf, sizeof(netbuf), "%s", src_net);
	slash = strchr(netbuf, '/');
	if (!slash)
		usage();
	*slash = 0;
	plen = atoi(slash + 1);
	if (plen < 1 || plen > 30 || inet_pton(AF_INET, netbuf, &net) != 1)
		usage();
	hostmask = (1u << (32 - plen)) - 1;
	netbase = ntohl(net.s_addr) & ~hostmask;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
	if (fd < 0)
		die("AF_PACKET socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("SIOCGIFHWADDR");
	memcpy(smac, ifr.ifr_hwaddr.sa_data, 6);
	ll.sll_ifindex = if_nametoindex(ifname);
	if (!ll.sll_ifindex || bind(fd, (struct sockaddr *)&ll, sizeof(ll)))
		die("bind");
	rng_state ^= (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	for (i = 0; i < batch; i++) {
		iov[i].iov_base = frames[i];
		iov[i].iov_len = SYN_FRAME;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now_ms();
	while (sent < count) {
		int n = count - sent < batch ? (int)(count - sent) : batch, done = 0;

		for (i = 0; i < n; i++) {
			uint64_t r = rnd();
			/* host part 1 .. hostmask - 1: no network or broadcast address */
			uint32_t host = 1 + (uint32_t)(r % (hostmask - 1));
			uint32_t saddr = htonl(netbase | host);

			syn_frame(frames[i], dmac, smac, saddr, d.s_addr,
				  1024 + (uint16_t)((r >> 32) % 64512), port, (uint32_t)(r >> 16));
		}
		while (done < n) {
			int r = sendmmsg(fd, msgs + done, n - done, 0);

			if (r > 0) {
				done += r;
				continue;
			}
			if (r < 0 && (errno == ENOBUFS || errno == EAGAIN)) {
				waits++;
				usleep(50);
				continue;
			}
			die("sendmmsg");
		}
		sent += n;
	}
	t1 = now_ms();
	printf("{\"event\":\"synflood\",\"sent\":%ld,\"seconds\":%.3f,\"per_second\":%.0f,"
	       "\"enobufs_waits\":%llu,\"batch\":%d,\"src_net\":\"%s\"}\n",
	       sent, (t1 - t0) / 1e3, sent / ((t1 - t0) / 1e3), waits, batch, src_net);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		return cmd_server(argc, argv);
	if (!strcmp(argv[1], "rst-client"))
		return cmd_rst_client(argc, argv);
	if (!strcmp(argv[1], "conns"))
		return cmd_conns(argc, argv);
	if (!strcmp(argv[1], "synflood"))
		return cmd_synflood(argc, argv);
	usage();
	return 2;
}
