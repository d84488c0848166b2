// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/signals/breaker.c: which conditions the kernel
 * judges, the count each operator trips at, the window's buckets and its
 * bounds, and the limits (targets, breakers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "breaker.h"

#define SEC	1000000000ULL
#define MS	1000000ULL

static struct fl_condition cond(enum fl_signal s, enum fl_cmp op, double t, __u64 w)
{
	struct fl_condition c = { .signal = s, .cmp = op, .threshold = t, .window_ns = w };

	strcpy(c.name, "c");
	return c;
}

static void test_operators(void **state)
{
	static const struct {
		enum fl_cmp op;
		double t;
		__u64 at;
	} cases[] = {
		{ FL_CMP_ABOVE, 0, 1 },      { FL_CMP_ABOVE, 9, 10 },    { FL_CMP_ABOVE, 2.5, 3 },
		{ FL_CMP_AT_LEAST, 1, 1 },   { FL_CMP_AT_LEAST, 10, 10 }, { FL_CMP_AT_LEAST, 2.5, 3 },
		{ FL_CMP_AT_LEAST, 0.2, 1 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fl_condition c = cond(FL_SIG_FAULTS_DROPPED, cases[i].op, cases[i].t, 10 * SEC);
		struct fl_brk_plan p;

		assert_int_equal(fl_brk_plan(&c, 1, 1, &p), 1);
		assert_true(p.kernel);
		assert_int_equal(p.cfg.trip_at, cases[i].at);
		assert_int_equal(p.cfg.ev, FL_BRK_DROPPED);
		assert_int_equal(p.cfg.cond, 0);
	}
}

/* Floors trip on silence: the loader judges them. */
static void test_floors_stay(void **state)
{
	struct fl_condition c[2] = { cond(FL_SIG_PACKETS_OUT, FL_CMP_BELOW, 5, SEC),
				     cond(FL_SIG_PACKETS_OUT, FL_CMP_AT_MOST, 5, SEC) };
	struct fl_brk_plan p[2];

	(void)state;
	assert_int_equal(fl_brk_plan(c, 2, 1, p), 0);
	assert_false(p[0].kernel);
	assert_false(p[1].kernel);
	assert_non_null(strstr(p[0].why, "silence"));
}

static void test_signals(void **state)
{
	static const struct {
		enum fl_signal s;
		int ev;		/* -1: userspace */
		const char *why;
	} cases[] = {
		{ FL_SIG_PACKETS_IN, FL_BRK_PACKETS_IN, NULL },
		{ FL_SIG_PACKETS_OUT, FL_BRK_PACKETS_OUT, NULL },
		{ FL_SIG_BYTES_IN, FL_BRK_BYTES_IN, NULL },
		{ FL_SIG_BYTES_OUT, FL_BRK_BYTES_OUT, NULL },
		{ FL_SIG_FAULTS_DROPPED, FL_BRK_DROPPED, NULL },
		{ FL_SIG_FAULTS_DELAYED, FL_BRK_DELAYED, NULL },
		{ FL_SIG_TCP_RETRANSMITS, FL_BRK_RETRANS, NULL },
		{ FL_SIG_TCP_RESETS_SENT, FL_BRK_RST_SENT, NULL },
		{ FL_SIG_TCP_RESETS_RECEIVED, FL_BRK_RST_RECV, NULL },
		{ FL_SIG_TCP_CONNECT_FAILURES, FL_BRK_CONNECT_FAIL, NULL },
		{ FL_SIG_HTTP_RESPONSES_5XX, FL_BRK_HTTP_5XX, NULL },
		{ FL_SIG_HTTP_RESPONSES_TOTAL, FL_BRK_HTTP_TOTAL, NULL },
		{ FL_SIG_PACKETS_OUT_RATE, -1, "rate" },
		{ FL_SIG_TCP_RTT_P99, -1, "percentile" },
		{ FL_SIG_TCP_CONNECT_LATENCY_P50, -1, "percentile" },
		{ FL_SIG_HTTP_ERROR_RATE, -1, "ratio" },
		{ FL_SIG_PROBE_FAILURES, -1, "probe" },
		{ FL_SIG_PROMETHEUS, -1, "Prometheus" },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fl_condition c = cond(cases[i].s, FL_CMP_ABOVE, 0.5, 10 * SEC);
		struct fl_brk_plan p;

		fl_brk_plan(&c, 1, 1, &p);
		assert_int_equal(p.kernel, cases[i].ev >= 0);
		if (cases[i].ev >= 0)
			assert_int_equal(p.cfg.ev, cases[i].ev);
		else
			assert_non_null(strstr(p.why, cases[i].why));
	}
}

/* Buckets are a power of two of ns, at most 1/16 of the window; the window
 * is n_slots of them, and spans within one bucket of what was asked.
 */
static void test_buckets(void **state)
{
	static const __u64 windows[] = { 100 * MS, 200 * MS, SEC, 10 * SEC, 60 * SEC, 3600 * SEC,
					 24 * 3600 * SEC };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		struct fl_condition c = cond(FL_SIG_TCP_RETRANSMITS, FL_CMP_ABOVE, 3, windows[i]);
		struct fl_brk_plan p;
		__u64 b;

		fl_brk_plan(&c, 1, 1, &p);
		b = p.bucket_ns;
		assert_true(p.kernel);
		assert_int_equal(b, 1ULL << p.cfg.shift);
		assert_true(b * 16 <= windows[i]);
		assert_true(b * 32 > windows[i]);
		assert_true(p.cfg.n_slots >= 16 && p.cfg.n_slots <= FL_BRK_SLOTS);
		/* spans between (n - 1) and n buckets: within one bucket of the window */
		assert_true((p.cfg.n_slots - 1) * b < windows[i]);
		assert_true(p.cfg.n_slots * b >= windows[i]);
	}
}

static void test_limits(void **state)
{
	struct fl_condition c[10];
	struct fl_brk_plan p[10];
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		c[i] = cond(FL_SIG_FAULTS_DROPPED, FL_CMP_ABOVE, i, SEC);
	/* eight breakers, in order; the rest stay with the loader */
	assert_int_equal(fl_brk_plan(c, 10, 1, p), FL_MAX_BREAKERS);
	for (i = 0; i < 10; i++) {
		assert_int_equal(p[i].kernel, i < FL_MAX_BREAKERS);
		if (p[i].kernel)
			assert_int_equal(p[i].cfg.cond, i);
	}
	assert_non_null(strstr(p[9].why, "breakers"));
	/* more targets than a breaker keeps windows for */
	assert_int_equal(fl_brk_plan(c, 1, FL_BRK_MAX_TARGETS + 1, p), 0);
	assert_non_null(strstr(p[0].why, "targets"));
	assert_int_equal(fl_brk_plan(c, 1, FL_BRK_MAX_TARGETS, p), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_floors_stay),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
