// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * churn.c - connection-churn load generator and its server, for the
 * benchmarks (tests/bench/run.sh). No BPF, no libraries.
 *
 *   churn server ADDR PORT [-w WORKERS] [-x]
 *       listen on ADDR:PORT until SIGINT/SIGTERM, WORKERS processes sharing
 *       the socket; each accepted connection is closed as soon as its
 *       client's first bytes (or close) arrive, as by a server that reads a
 *       request. -x: close right after accept instead, so the server's FIN
 *       usually comes before the client's first bytes (a half-close the
 *       monitor must not take for the end of the client's stream).
 *       Prints "churn: listening" on stderr.
 *
 *   churn client ADDR PORT -n N [-w WORKERS] [-k CONCURRENT] [-H HELLO] [-t SEC]
 *       make N short TCP connections to ADDR:PORT as fast as it can:
 *       WORKERS processes, each keeping CONCURRENT non-blocking connects in
 *       flight with poll(). Connection i sends, once connected, a TLS
 *       ClientHello (the file HELLO) if i is even, or a plaintext
 *       "GET / HTTP/1.1" request if i is odd, and is then closed with an RST
 *       (SO_LINGER 0), so no TIME_WAIT piles up and client ports are reused
 *       at once, as on a busy client. Stops at N or after SEC seconds.
 *       Prints one JSON line on stdout:
 *         {"connections":..,"tls":..,"http":..,"failed":..,"seconds":..,"per_second":..}
 *       where "connections" counts the connections that were established
 *       and whose whole payload was handed to the kernel.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 64
#define MAX_CONC 1024

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void handle_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_addr(const char *a, const char *p, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char *end;
	long port = strtol(p, &end, 10);

	if (*end || port < 1 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* ---------------------------------------------------------------- server */

/* One worker: accept what comes; by default wait for the client's first
 * bytes (or its close) before closing, as a server that reads a request does,
 * so the client's bytes always come before the server's FIN. With
 * close_first, close right after accept instead. */
static void server_worker(int lfd, int close_first)
{
	struct epoll_event ev, evs[256];
	int ep = epoll_create1(EPOLL_CLOEXEC), n, i;

	if (ep < 0)
		_exit(1);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		_exit(1);
	while (!stop) {
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd != lfd) {
				close(fd); /* bytes, EOF or RST: done with it */
				continue;
			}
			for (;;) {
				int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (c < 0) {
					if (errno == EMFILE || errno == ENFILE)
						usleep(1000);
					break;
				}
				ev.events = EPOLLIN | EPOLLRDHUP;
				ev.data.fd = c;
				if (close_first || epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev))
					close(c);
			}
		}
	}
	_exit(0);
}

static int server(struct sockaddr_storage *ss, socklen_t len, int workers, int close_first)
{
	pid_t kids[MAX_WORKERS];
	int fd, one = 1, i;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)ss, len) || listen(fd, 4096)) {
		fprintf(stderr, "churn: server: %s\n", strerror(errno));
		return 1;
	}
	handle_signals();
	for (i = 0; i < workers; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			fprintf(stderr, "churn: fork: %s\n", strerror(errno));
			workers = i;
			stop = 1;
			break;
		}
		if (kids[i] == 0)
			server_worker(fd, close_first);
	}
	fprintf(stderr, "churn: listening\n");
	fflush(stderr);
	while (!stop)
		pause();
	for (i = 0; i < workers; i++)
		kill(kids[i], SIGTERM);
	for (i = 0; i < workers; i++)
		waitpid(kids[i], NULL, 0);
	close(fd);
	return 0;
}

/* ---------------------------------------------------------------- client */

struct counts {
	unsigned long long connections, tls, http, failed, started;
};

static const char http_req[] = "GET / HTTP/1.1\r\nHost: srv.test\r\nUser-Agent: churn\r\n"
			       "Accept: */*\r\n\r\n";

struct slot {
	int fd;
	int is_tls;
};

/* One worker: connections index, index+stride, ... below n. */
static void client_worker(struct sockaddr_storage *ss, socklen_t len, unsigned long long first,
			  unsigned long long stride, unsigned long long n, int conc,
			  const unsigned char *hello, size_t hello_len, double deadline,
			  struct counts *out)
{
	static struct slot slots[MAX_CONC];
	static struct pollfd pfd[MAX_CONC];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long long next = first;
	int active = 0, i;

	for (i = 0; i < conc; i++)
		slots[i].fd = -1;
	for (;;) {
		/* fill the free slots */
		for (i = 0; i < conc && !stop && next < n; i++) {
			int fd;

			if (slots[i].fd >= 0)
				continue;
			fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				out->failed++;
				next += stride;
				continue;
			}
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			out->started++;
			slots[i].is_tls = (next % 2) == 0;
			next += stride;
			if (connect(fd, (struct sockaddr *)ss, len) && errno != EINPROGRESS) {
				out->failed++;
				close(fd);
				continue;
			}
			slots[i].fd = fd;
			active++;
		}
		if (!active)
			break;
		for (i = 0; i < conc; i++) {
			pfd[i].fd = slots[i].fd;
			pfd[i].events = POLLOUT;
			pfd[i].revents = 0;
		}
		if (poll(pfd, conc, 100) < 0 && errno != EINTR)
			break;
		if (now_s() > deadline)
			stop = 1;
		for (i = 0; i < conc; i++) {
			int err = 0, fd = slots[i].fd;
			socklen_t el = sizeof(err);
			const void *pl;
			size_t pl_len;

			if (fd < 0 || !(pfd[i].revents || stop))
				continue;
			if (!pfd[i].revents || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) ||
			    err) {
				out->failed++;
			} else {
				pl = slots[i].is_tls ? (const void *)hello : (const void *)http_req;
				pl_len = slots[i].is_tls ? hello_len : sizeof(http_req) - 1;
				if (send(fd, pl, pl_len, MSG_NOSIGNAL) == (ssize_t)pl_len) {
					out->connections++;
					if (slots[i].is_tls)
						out->tls++;
					else
						out->http++;
				} else {
					out->failed++;
				}
			}
			close(fd); /* SO_LINGER 0: an RST, no TIME_WAIT */
			slots[i].fd = -1;
			active--;
		}
	}
}

static int client(struct sockaddr_storage *ss, socklen_t len, unsigned long long n, int workers,
		  int conc, const char *hello_path, double timeout)
{
	static unsigned char hello[16384];
	size_t hello_len = 0;
	struct counts *shared, total = {};
	pid_t kids[MAX_WORKERS];
	double t0, t1, deadline;
	FILE *fp;
	int i;

	fp = fopen(hello_path, "rb");
	if (!fp) {
		fprintf(stderr, "churn: %s: %s\n", hello_path, strerror(errno));
		return 1;
	}
	hello_len = fread(hello, 1, sizeof(hello), fp);
	fclose(fp);
	if (!hello_len) {
		fprintf(stderr, "churn: %s is empty\n", hello_path);
		return 1;
	}
	shared = mmap(NULL, sizeof(*shared) * MAX_WORKERS, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		fprintf(stderr, "churn: mmap: %s\n", strerror(errno));
		return 1;
	}
	handle_signals();
	t0 = now_s();
	deadline = t0 + timeout;
	for (i = 0; i < workers; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			fprintf(stderr, "churn: fork: %s\n", strerror(errno));
			return 1;
		}
		if (kids[i] == 0) {
			client_worker(ss, len, i, workers, n, conc, hello, hello_len, deadline,
				      &shared[i]);
			_exit(0);
		}
	}
	for (i = 0; i < workers; i++) {
		while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR) {
			if (stop) /* pass a stop on to the workers */
				kill(kids[i], SIGTERM);
		}
	}
	t1 = now_s();
	for (i = 0; i < workers; i++) {
		total.connections += shared[i].connections;
		total.tls += shared[i].tls;
		total.http += shared[i].http;
		total.failed += shared[i].failed;
		total.started += shared[i].started;
	}
	printf("{\"connections\":%llu,\"tls\":%llu,\"http\":%llu,\"failed\":%llu,\"started\":%llu,"
	       "\"workers\":%d,\"concurrent\":%d,\"seconds\":%.3f,\"per_second\":%.1f,"
	       "\"timed_out\":%s}\n",
	       total.connections, total.tls, total.http, total.failed, total.started, workers, conc,
	       t1 - t0, (t1 - t0) > 0 ? total.connections / (t1 - t0) : 0.0,
	       t1 > deadline ? "true" : "false");
	fflush(stdout);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: churn server ADDR PORT [-w WORKERS] [-x]\n"
		"       churn client ADDR PORT -n N [-w WORKERS] [-k CONCURRENT] [-H HELLO] [-t SEC]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *hello = "tests/fixtures/tls/python.clienthello.bin";
	unsigned long long n = 0;
	int workers = 2, conc = 16, opt, is_server, close_first = 0;
	double timeout = 120;
	struct sockaddr_storage ss;
	socklen_t len;

	if (argc < 4)
		usage();
	if (!strcmp(argv[1], "server"))
		is_server = 1;
	else if (!strcmp(argv[1], "client"))
		is_server = 0;
	else
		usage();
	if (parse_addr(argv[2], argv[3], &ss, &len)) {
		fprintf(stderr, "churn: bad address %s port %s\n", argv[2], argv[3]);
		return 2;
	}
	optind = 4;
	while ((opt = getopt(argc, argv, "n:w:k:H:t:x")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			workers = atoi(optarg);
			break;
		case 'k':
			conc = atoi(optarg);
			break;
		case 'H':
			hello = optarg;
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'x':
			close_first = 1;
			break;
		default:
			usage();
		}
	}
	if (workers < 1 || workers > MAX_WORKERS || conc < 1 || conc > MAX_CONC || timeout <= 0)
		usage();
	if (is_server)
		return server(&ss, len, workers, close_first);
	if (!n)
		usage();
	return client(&ss, len, n, workers, conc, hello, timeout);
}
