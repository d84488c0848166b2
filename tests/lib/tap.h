/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TAP output for the BPF tests: a case is opened with tap_begin(), any
 * number of TAP_EQ() checks record what differed, and tap_end() prints
 * one "ok" or "not ok" line with the differences as diagnostics.
 * tap_done() prints the plan and gives the exit status.
 */
#ifndef FL_TEST_TAP_H
#define FL_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TAP_SKIP_EXIT	4	/* kselftest: skipped */

struct tap_state {
	int n;
	int failed;
	int case_fails;		/* checks failed in the open case */
	char name[256];
};

static struct tap_state tap;

static inline void __attribute__((format(printf, 1, 2))) tap_begin(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tap.name, sizeof(tap.name), fmt, ap);
	va_end(ap);
	tap.case_fails = 0;
}

static inline void __attribute__((format(printf, 1, 2))) tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Record a failed check; diagnostics print before the case's line. */
static inline void __attribute__((format(printf, 1, 2))) tap_fail(const char *fmt, ...)
{
	va_list ap;

	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	tap.case_fails++;
}

#define TAP_EQ(got, want)							\
	do {									\
		unsigned long long __g = (unsigned long long)(got);		\
		unsigned long long __w = (unsigned long long)(want);		\
		if (__g != __w)							\
			tap_fail("%s:%d: %s = %lld (0x%llx), want %lld (0x%llx)",	\
				 __FILE__, __LINE__, #got, (long long)__g, __g,	\
				 (long long)__w, __w);				\
	} while (0)

#define TAP_TRUE(cond, ...)							\
	do {									\
		if (!(cond)) {							\
			printf("#   %s:%d: %s: ", __FILE__, __LINE__, #cond);	\
			printf(__VA_ARGS__);					\
			printf("\n");						\
			tap.case_fails++;					\
		}								\
	} while (0)

static inline int tap_end(void)
{
	int ok = tap.case_fails == 0;

	tap.n++;
	if (!ok)
		tap.failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", tap.n, tap.name);
	fflush(stdout);
	return ok;
}

static inline void tap_header(void)
{
	printf("TAP version 13\n");
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap.n);
	if (tap.failed)
		tap_diag("%d of %d failed", tap.failed, tap.n);
	fflush(stdout);
	return tap.failed ? 1 : 0;
}

static inline void tap_skip_all(const char *why)
{
	printf("TAP version 13\n1..0 # SKIP %s\n", why);
	fflush(stdout);
	exit(TAP_SKIP_EXIT);
}

#endif /* FL_TEST_TAP_H */
