// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_parse.c - userspace cost of reading a handshake: ns per ClientHello
 * parse (and per parse + JA4), and per ServerHello parse, on the captured
 * fixtures. Median of 11 trials of 20000 iterations each.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tls/hello.h"
#include "tls/ja4.h"
#include "tls/json.h"
#include "tls/names.h"

#define TRIALS 11
#define ITERS 20000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static size_t load(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, cap, f);
		fclose(f);
	}
	return n;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/fixtures/tls";
	static unsigned char buf[20000];
	static struct ta_client_hello ch;
	static struct ta_server_hello sh;
	double t[TRIALS], t_ja4[TRIALS];
	char path[512], ja4[64];
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t n;
	int k, i, server;

	if (!d) {
		perror(dir);
		return 1;
	}
	printf("# userspace handshake parsing, median of %d trials x %d iterations\n", TRIALS,
	       ITERS);
	printf("%-36s %6s %12s %14s\n", "fixture", "bytes", "parse_ns", "parse+ja4_ns");
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".bin"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = load(path, buf, sizeof(buf));
		server = strstr(de->d_name, "serverhello") != NULL;
		for (k = 0; k < TRIALS; k++) {
			double a = now_ns();

			for (i = 0; i < ITERS; i++) {
				if (server)
					ta_parse_server_hello(buf, n, &sh);
				else
					ta_parse_client_hello(buf, n, &ch);
			}
			t[k] = (now_ns() - a) / ITERS;
			a = now_ns();
			for (i = 0; i < ITERS && !server; i++) {
				ta_parse_client_hello(buf, n, &ch);
				ta_ja4(&ch, 0, ja4);
			}
			t_ja4[k] = server ? 0 : (now_ns() - a) / ITERS;
		}
		qsort(t, TRIALS, sizeof(t[0]), cmp_d);
		qsort(t_ja4, TRIALS, sizeof(t_ja4[0]), cmp_d);
		printf("%-36s %6zu %12.0f %14.0f\n", de->d_name, n, t[TRIALS / 2],
		       t_ja4[TRIALS / 2]);
	}
	closedir(d);
	return 0;
}
