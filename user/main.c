// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tlsaudit - which processes really encrypt their traffic, from the wire.
 *
 * main parses the options, runs one of four things, and maps how it ended
 * to the exit status (0 clean stop, 1 runtime error, 2 bad option):
 *
 *   tlsaudit [options]      a live run (core/live.c)
 *   tlsaudit -r FILE        a capture file (core/replay.c)
 *   tlsaudit --reset        forget the pinned counters (core/pins.c)
 *   tlsaudit --release      end the enforcement earlier runs hold (core/hold.c)
 *
 * See docs/architecture.md for the stages a flow goes through.
 */
#include <signal.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "core/hold.h"
#include "core/live.h"
#include "core/options.h"
#include "core/pins.h"
#include "core/replay.h"

/* The one piece of mutable file-scope state: set by SIGINT/SIGTERM, and by
 * SIGPIPE when the reader of our output went away (tlsaudit -j | head), read
 * by the run loops, which stop cleanly at their next round: detached, exit 0. */
static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

/* A daemon's manager sends SIGHUP to reload; there is nothing to reload yet,
 * and its default action would kill the run with its filters attached on
 * kernels without tcx. write(2) only: async-signal-safe. */
static void on_hangup(int sig)
{
	static const char msg[] = "tlsaudit: SIGHUP: nothing to reload, still running\n";
	ssize_t n;

	(void)sig;
	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
}

/* -v shows libbpf's messages, -vv its debug output (verifier logs) too. */
static int libbpf_print_all(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

static int libbpf_print_info(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static int libbpf_print_none(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }, hup = { .sa_handler = on_hangup };
	struct ta_options opt;
	int err;

	err = ta_parse_options(argc, argv, &opt);
	if (err)
		return err;
	libbpf_set_print(opt.verbose >= 2 ? libbpf_print_all
			 : opt.verbose	  ? libbpf_print_info
					  : libbpf_print_none);
	if (opt.reset)
		return ta_pins_reset();
	if (opt.release)
		return ta_hold_release();

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&hup.sa_mask);
	hup.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &hup, NULL);
	if (opt.read_file[0])
		return ta_replay_run(&opt, &exiting);
	return ta_live_run(&opt, &exiting);
}
