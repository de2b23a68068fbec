/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ta_test.h - a minimal test harness for the C tests.
 *
 * Each case prints exactly one line that tests/run.sh counts:
 *   PASS: <name>            SKIP: <name>: <why>            FAIL: <name>: <why>
 * A SKIP under CI=true is turned into a failure by the runner, not here.
 */
#ifndef TA_TEST_H
#define TA_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int ta_test_failed;
static int ta_case_failed;
static const char *ta_case_name;

static inline void ta_case_begin(const char *name)
{
	ta_case_name = name;
	ta_case_failed = 0;
}

static inline void ta_case_end(void)
{
	if (!ta_case_failed)
		printf("PASS: %s\n", ta_case_name);
	fflush(stdout);
}

static inline void ta_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (!ta_case_failed)
		printf("FAIL: %s: ", ta_case_name);
	else
		printf("      also: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%s:%d)\n", file, line);
	ta_case_failed = 1;
	ta_test_failed = 1;
}

static inline void ta_skip(const char *name, const char *why)
{
	printf("SKIP: %s: %s\n", name, why);
	fflush(stdout);
}

#define TA_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ta_fail(__FILE__, __LINE__, __VA_ARGS__);                                  \
	} while (0)

#define TA_CHECK_EQ(got, want)                                                                     \
	TA_CHECK((long long)(got) == (long long)(want), "%s = %lld, want %lld", #got,              \
		 (long long)(got), (long long)(want))

#define TA_TEST_EXIT() return ta_test_failed ? 1 : 0

#endif /* TA_TEST_H */
