// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/window.c: edges of the window, eviction, the two
 * kinds of sample, percentiles and growth of the ring.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "window.h"

#define SEC	1000000000ULL
#define MS	1000000ULL

static double sum_at(const struct fl_window *w, __u64 now)
{
	double v = NAN;

	assert_int_equal(fl_window_sum(w, now, &v), 0);
	return v;
}

static double rate_at(const struct fl_window *w, __u64 now)
{
	double v = NAN;

	assert_int_equal(fl_window_rate(w, now, &v), 0);
	return v;
}

static double pct_at(const struct fl_window *w, __u64 now, unsigned int p)
{
	double v = NAN;

	assert_int_equal(fl_window_percentile(w, now, p, &v), 0);
	return v;
}

static void add(struct fl_window *w, __u64 ts, double v)
{
	assert_int_equal(fl_window_add(w, ts, v), 0);
}

static void test_init(void **state)
{
	struct fl_window w;

	(void)state;
	assert_int_equal(fl_window_init(&w, 0, FL_WINDOW_DELTA, 0), -EINVAL);
	assert_int_equal(fl_window_init(&w, SEC, 7, 0), -EINVAL);
	assert_int_equal(fl_window_init(NULL, SEC, FL_WINDOW_DELTA, 0), -EINVAL);
	assert_int_equal(fl_window_init(&w, SEC, FL_WINDOW_CUMULATIVE, 5), 0);
	assert_int_equal(w.len_ns, SEC);
	assert_int_equal(w.start_ns, 5);
	assert_int_equal(w.kind, FL_WINDOW_CUMULATIVE);
	assert_int_equal(fl_window_stored(&w), 0);
	assert_null(w.ring);
	fl_window_free(&w);
	fl_window_free(&w);
	fl_window_free(NULL);
}

/* Nothing added: sums are 0 once collection has started, everything
 * else has no data.
 */
static void test_empty(void **state)
{
	struct fl_window w;
	double v = 42;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 100 * SEC),
			 0);
	/* At or before the start there is no data at all. */
	assert_int_equal(fl_window_sum(&w, 100 * SEC, &v), -ENODATA);
	assert_int_equal(fl_window_rate(&w, 99 * SEC, &v), -ENODATA);
	assert_true(v == 42);
	/* After it, an empty window sums to 0: nothing happened. */
	assert_true(sum_at(&w, 100 * SEC + 1) == 0);
	assert_true(rate_at(&w, 105 * SEC) == 0);
	assert_int_equal(fl_window_count(&w, 105 * SEC), 0);
	assert_int_equal(fl_window_min(&w, 105 * SEC, &v), -ENODATA);
	assert_int_equal(fl_window_max(&w, 105 * SEC, &v), -ENODATA);
	assert_int_equal(fl_window_mean(&w, 105 * SEC, &v), -ENODATA);
	assert_int_equal(fl_window_last(&w, 105 * SEC, &v), -ENODATA);
	assert_int_equal(fl_window_percentile(&w, 105 * SEC, 50, &v), -ENODATA);
	assert_true(v == 42);
	fl_window_free(&w);
}

/* The window at now is (now - len, now]: a sample at ts counts from ts
 * up to, not including, ts + len.
 */
static void test_boundary(void **state)
{
	const __u64 ts = 5 * SEC, len = 10 * SEC;
	struct fl_window w;
	double v;

	(void)state;
	assert_int_equal(fl_window_init(&w, len, FL_WINDOW_DELTA, 0), 0);
	add(&w, ts, 3);

	assert_int_equal(fl_window_count(&w, ts - 1), 0);	/* not yet */
	assert_true(sum_at(&w, ts - 1) == 0);
	assert_int_equal(fl_window_count(&w, ts), 1);		/* at once */
	assert_true(sum_at(&w, ts) == 3);
	assert_int_equal(fl_window_count(&w, ts + len - 1), 1);	/* inside */
	assert_true(sum_at(&w, ts + len - 1) == 3);
	assert_int_equal(fl_window_last(&w, ts + len - 1, &v), 0);
	assert_true(v == 3);
	assert_int_equal(fl_window_count(&w, ts + len), 0);	/* gone */
	assert_true(sum_at(&w, ts + len) == 0);
	assert_int_equal(fl_window_last(&w, ts + len, &v), -ENODATA);
	assert_int_equal(fl_window_count(&w, ts + len + 1), 0);

	/* A sample exactly at the start of a window is out, one just
	 * after it is in.
	 */
	add(&w, 20 * SEC, 1);
	add(&w, 20 * SEC + 1, 10);
	assert_true(sum_at(&w, 30 * SEC) == 10);
	assert_true(sum_at(&w, 30 * SEC - 1) == 11);
	assert_true(sum_at(&w, 30 * SEC + 1) == 0);
	fl_window_free(&w);
}

/* Early in a run, now - len is "negative": everything since 0 counts. */
static void test_early(void **state)
{
	struct fl_window w;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	add(&w, 0, 2);
	add(&w, 1, 3);
	assert_int_equal(fl_window_count(&w, 1), 2);
	assert_true(sum_at(&w, 1) == 5);
	assert_true(sum_at(&w, 10 * SEC - 1) == 5);
	assert_true(sum_at(&w, 10 * SEC) == 3);
	assert_true(sum_at(&w, 10 * SEC + 1) == 0);
	fl_window_free(&w);
}

static void test_delta_stream(void **state)
{
	struct fl_window w;
	__u64 t;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	/* 10 packets a second, one poll a second. */
	for (t = 1; t <= 20; t++)
		add(&w, t * SEC, 10);
	assert_int_equal(fl_window_count(&w, 20 * SEC), 10);
	assert_true(sum_at(&w, 20 * SEC) == 100);
	assert_true(rate_at(&w, 20 * SEC) == 10);
	/* Half a second later nothing has left: the sample at 11s counts
	 * until 21s.
	 */
	assert_true(sum_at(&w, 20 * SEC + 500 * MS) == 100);
	assert_true(sum_at(&w, 21 * SEC) == 90);
	assert_true(rate_at(&w, 21 * SEC) == 9);
	assert_true(sum_at(&w, 30 * SEC) == 0);
	assert_true(rate_at(&w, 30 * SEC) == 0);
	fl_window_free(&w);
}

/* While the window fills, a rate is over the time since the start. */
static void test_rate_filling(void **state)
{
	struct fl_window w;
	double v;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 100 * SEC),
			 0);
	add(&w, 101 * SEC, 10);
	add(&w, 102 * SEC, 10);
	assert_true(rate_at(&w, 102 * SEC) == 10);
	assert_true(rate_at(&w, 104 * SEC) == 5);
	assert_true(rate_at(&w, 110 * SEC) == 2);
	/* Full: over the whole window. */
	assert_true(rate_at(&w, 111 * SEC) == 1);
	assert_true(rate_at(&w, 100 * SEC + 500 * MS) == 0);
	assert_int_equal(fl_window_rate(&w, 100 * SEC, &v), -ENODATA);
	fl_window_free(&w);
}

static void test_eviction(void **state)
{
	struct fl_window w;
	__u64 t;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	for (t = 1; t <= 1000; t++)
		add(&w, t * SEC, 1);
	/* Only (990s, 1000s] can still be in a window. */
	assert_int_equal(fl_window_stored(&w), 10);
	assert_int_equal(w.cap, FL_WINDOW_MIN_CAP);
	assert_int_equal(w.n_evicted, 990);
	assert_int_equal(w.n_added, 1000);
	assert_true(sum_at(&w, 1000 * SEC) == 10);
	fl_window_free(&w);

	/* A cumulative window keeps one more: the baseline. */
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_CUMULATIVE, 0),
			 0);
	for (t = 1; t <= 1000; t++)
		add(&w, t * SEC, (double)t);
	assert_int_equal(fl_window_stored(&w), 11);
	assert_true(sum_at(&w, 1000 * SEC) == 10);
	fl_window_free(&w);

	/* A long gap evicts everything but the new sample. */
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	for (t = 1; t <= 5; t++)
		add(&w, t * SEC, 1);
	add(&w, 100 * SEC, 7);
	assert_int_equal(fl_window_stored(&w), 1);
	assert_true(sum_at(&w, 100 * SEC) == 7);
	fl_window_free(&w);
}

/* Readings of a counter: the increase over the window, with the newest
 * reading at or before the window's start as the baseline.
 */
static void test_cumulative(void **state)
{
	struct fl_window w;
	double v;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_CUMULATIVE, 0),
			 0);
	assert_int_equal(fl_window_add(&w, SEC, -1), -EINVAL);
	add(&w, 0, 100);
	add(&w, 5 * SEC, 150);
	add(&w, 10 * SEC, 160);
	add(&w, 12 * SEC, 200);

	assert_true(sum_at(&w, 10 * SEC) == 60);	/* baseline at 0 */
	assert_true(sum_at(&w, 12 * SEC) == 100);
	/* The 50 of the reading at 5s counts until 15s exactly. */
	assert_true(sum_at(&w, 15 * SEC - 1) == 100);
	assert_true(sum_at(&w, 15 * SEC) == 50);
	assert_true(rate_at(&w, 15 * SEC) == 5);
	assert_true(sum_at(&w, 20 * SEC) == 40);
	assert_true(sum_at(&w, 22 * SEC) == 0);

	/* A reset: 200 -> 20 counts 20. */
	add(&w, 13 * SEC, 20);
	assert_true(sum_at(&w, 13 * SEC) == 50 + 10 + 40 + 20);
	/* The mean and percentiles see the raw readings. */
	assert_int_equal(fl_window_max(&w, 13 * SEC, &v), 0);
	assert_true(v == 200);
	fl_window_free(&w);

	/* The first reading ever is only a baseline. */
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_CUMULATIVE, 0),
			 0);
	add(&w, SEC, 1000);
	assert_true(sum_at(&w, 2 * SEC) == 0);
	add(&w, 2 * SEC, 1005);
	assert_true(sum_at(&w, 2 * SEC) == 5);
	assert_true(rate_at(&w, 2 * SEC) == 2.5);	/* 5 over 2s since start */
	/* Only its delta leaves: at 12s the reading at 2s is the baseline. */
	assert_true(sum_at(&w, 12 * SEC) == 0);
	assert_true(sum_at(&w, 12 * SEC - 1) == 5);
	fl_window_free(&w);
}

static void test_stats(void **state)
{
	static const double vals[] = { -2, 9.5, 0, 3 };
	struct fl_window w;
	double v;
	size_t i;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	add(&w, 2 * SEC, 1000);	/* leaves the window at 12s */
	add(&w, 11 * SEC, 4);
	assert_int_equal(fl_window_count(&w, 11 * SEC), 2);
	assert_int_equal(fl_window_max(&w, 12 * SEC - 1, &v), 0);
	assert_true(v == 1000);
	assert_int_equal(fl_window_max(&w, 12 * SEC, &v), 0);
	assert_true(v == 4);
	assert_int_equal(fl_window_mean(&w, 11 * SEC, &v), 0);
	assert_true(v == 502);

	for (i = 0; i < 4; i++)
		add(&w, (12 + i) * SEC, vals[i]);
	assert_int_equal(fl_window_count(&w, 15 * SEC), 5);
	assert_int_equal(fl_window_min(&w, 15 * SEC, &v), 0);
	assert_true(v == -2);
	assert_int_equal(fl_window_max(&w, 15 * SEC, &v), 0);
	assert_true(v == 9.5);
	assert_int_equal(fl_window_mean(&w, 15 * SEC, &v), 0);
	assert_true(v == 14.5 / 5);
	assert_int_equal(fl_window_last(&w, 15 * SEC, &v), 0);
	assert_true(v == 3);
	/* The last as of 13s is the sample at 13s. */
	assert_int_equal(fl_window_last(&w, 13 * SEC, &v), 0);
	assert_true(v == 9.5);
	fl_window_free(&w);
}

/* Nearest rank: the ceil(p/100 * n)-th smallest value. */
static void test_percentiles(void **state)
{
	struct fl_window w;
	double v;
	unsigned int i;

	(void)state;
	assert_int_equal(fl_window_init(&w, 1000 * SEC, FL_WINDOW_DELTA, 0), 0);
	/* 1..100 in a scrambled order: 37 is prime to 100. */
	for (i = 0; i < 100; i++)
		add(&w, (i + 1) * SEC, (double)((i * 37) % 100 + 1));
	assert_true(pct_at(&w, 100 * SEC, 50) == 50);
	assert_true(pct_at(&w, 100 * SEC, 99) == 99);
	assert_true(pct_at(&w, 100 * SEC, 100) == 100);
	assert_true(pct_at(&w, 100 * SEC, 1) == 1);
	assert_true(pct_at(&w, 100 * SEC, 90) == 90);
	/* Only the samples in the window: at 50s, the first 50 values,
	 * whose 25th smallest is 48.
	 */
	assert_true(pct_at(&w, 50 * SEC, 50) == 48);
	assert_int_equal(fl_window_percentile(&w, 100 * SEC, 0, &v), -EINVAL);
	assert_int_equal(fl_window_percentile(&w, 100 * SEC, 101, &v), -EINVAL);
	fl_window_free(&w);

	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	add(&w, SEC, 5);
	assert_true(pct_at(&w, SEC, 50) == 5);
	assert_true(pct_at(&w, SEC, 99) == 5);
	add(&w, SEC, 1);
	/* n = 2: p50 is the 1st, p51 and p99 the 2nd. */
	assert_true(pct_at(&w, SEC, 50) == 1);
	assert_true(pct_at(&w, SEC, 51) == 5);
	assert_true(pct_at(&w, SEC, 99) == 5);
	add(&w, SEC, 3);
	add(&w, SEC, 2);
	/* n = 4, values 1 2 3 5: p50 rank 2, p75 rank 3, p76 rank 4. */
	assert_true(pct_at(&w, SEC, 50) == 2);
	assert_true(pct_at(&w, SEC, 75) == 3);
	assert_true(pct_at(&w, SEC, 76) == 5);
	assert_true(pct_at(&w, SEC, 99) == 5);
	fl_window_free(&w);

	/* n = 10, values 10..100: p99 rank 10, p90 rank 9. */
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	for (i = 10; i >= 1; i--)
		add(&w, SEC, i * 10.0);
	assert_true(pct_at(&w, SEC, 99) == 100);
	assert_true(pct_at(&w, SEC, 90) == 90);
	assert_true(pct_at(&w, SEC, 91) == 100);
	assert_true(pct_at(&w, SEC, 50) == 50);
	fl_window_free(&w);
}

/* Samples that arrive late are kept at the newest time seen. */
static void test_late_samples(void **state)
{
	struct fl_window w;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	add(&w, 10 * SEC, 1);
	add(&w, 5 * SEC, 2);
	assert_int_equal(w.n_clamped, 1);
	assert_int_equal(fl_window_count(&w, 10 * SEC), 2);
	assert_int_equal(fl_window_count(&w, 10 * SEC - 1), 0);
	assert_true(sum_at(&w, 20 * SEC - 1) == 3);
	assert_true(sum_at(&w, 20 * SEC) == 0);
	fl_window_free(&w);
}

static void test_bad_values(void **state)
{
	struct fl_window w;
	double v;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	add(&w, SEC, 1);
	assert_int_equal(fl_window_add(&w, 2 * SEC, NAN), -EINVAL);
	assert_int_equal(fl_window_add(&w, 2 * SEC, -NAN), -EINVAL);
	/* Refused samples change nothing, not even the newest time. */
	assert_int_equal(w.n_added, 1);
	assert_int_equal(w.newest_ts, SEC);
	add(&w, SEC, -1);	/* deltas may be negative */
	assert_true(sum_at(&w, SEC) == 0);
	/* An infinite amount is a value: Prometheus answers +Inf. */
	add(&w, 2 * SEC, INFINITY);
	assert_int_equal(fl_window_last(&w, 2 * SEC, &v), 0);
	assert_true(isinf(v) && v > 0);
	assert_true(isinf(sum_at(&w, 2 * SEC)));
	fl_window_free(&w);

	/* Counter readings are finite and not negative. */
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_CUMULATIVE, 0),
			 0);
	assert_int_equal(fl_window_add(&w, SEC, INFINITY), -EINVAL);
	assert_int_equal(fl_window_add(&w, SEC, -1), -EINVAL);
	assert_int_equal(fl_window_add(&w, SEC, NAN), -EINVAL);
	assert_int_equal(w.n_added, 0);
	fl_window_free(&w);
}

/* The ring doubles, keeping order also when it had wrapped around. */
static void test_growth(void **state)
{
	struct fl_window w;
	double v;
	__u64 t;
	int i;

	(void)state;
	assert_int_equal(fl_window_init(&w, 100 * SEC, FL_WINDOW_DELTA, 0), 0);
	for (t = 1; t <= 16; t++)
		add(&w, t * SEC, (double)t);
	assert_int_equal(w.cap, 16);
	assert_int_equal(w.n_evicted, 0);
	/* 110s evicts 1..10: the oldest is now in slot 10 and the next
	 * samples wrap around to slot 0.
	 */
	add(&w, 110 * SEC, 100);
	assert_int_equal(fl_window_stored(&w), 7);
	assert_int_equal(w.head, 10);
	for (i = 1; i < 10; i++)
		add(&w, 110 * SEC, 100 + i);
	assert_int_equal(fl_window_stored(&w), 16);
	assert_int_equal(w.cap, 16);
	/* Full and wrapped: the next one grows it and unwraps it. */
	add(&w, 110 * SEC, 1000);
	assert_int_equal(w.cap, 32);
	assert_int_equal(w.head, 0);
	assert_int_equal(fl_window_stored(&w), 17);
	/* In (10s, 110s]: 11..16, 100..109 and 1000. */
	assert_int_equal(fl_window_count(&w, 110 * SEC), 17);
	assert_true(sum_at(&w, 110 * SEC) == 81 + 1045 + 1000);
	assert_int_equal(fl_window_min(&w, 110 * SEC, &v), 0);
	assert_true(v == 11);
	assert_int_equal(fl_window_last(&w, 110 * SEC, &v), 0);
	assert_true(v == 1000);
	/* 17 values: the 9th smallest. */
	assert_true(pct_at(&w, 110 * SEC, 50) == 102);
	/* In (11s, 111s], 11 has left. */
	assert_true(sum_at(&w, 111 * SEC) == 70 + 1045 + 1000);
	fl_window_free(&w);

	/* Many in one window. */
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	for (i = 0; i < 5000; i++)
		add(&w, SEC + (__u64)i * MS, 1);
	assert_int_equal(w.cap, 8192);
	assert_int_equal(fl_window_count(&w, 6 * SEC), 5000);
	assert_true(sum_at(&w, 6 * SEC) == 5000);
	/* At 11.5s, the samples up to 1.5s (i <= 500) are gone. */
	assert_int_equal(fl_window_count(&w, 11 * SEC + 500 * MS), 4499);
	fl_window_free(&w);
}

static void test_max_samples(void **state)
{
	struct fl_window w;
	unsigned int i;

	(void)state;
	assert_int_equal(fl_window_init(&w, SEC, FL_WINDOW_DELTA, 0), 0);
	for (i = 0; i < FL_WINDOW_MAX_SAMPLES; i++)
		if (fl_window_add(&w, 1, 1))
			fail_msg("sample %u refused", i);
	assert_int_equal(fl_window_add(&w, 1, 1), -ENOSPC);
	assert_int_equal(fl_window_stored(&w), FL_WINDOW_MAX_SAMPLES);
	/* Once the old ones leave, there is room again. */
	assert_int_equal(fl_window_add(&w, 1 + SEC, 5), 0);
	assert_int_equal(fl_window_stored(&w), 1);
	assert_true(sum_at(&w, 1 + SEC) == 5);
	fl_window_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_early),
		cmocka_unit_test(test_delta_stream),
		cmocka_unit_test(test_rate_filling),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_cumulative),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_late_samples),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_max_samples),
	};

	return cmocka_run_group_tests_name("window", tests, NULL, NULL);
}
