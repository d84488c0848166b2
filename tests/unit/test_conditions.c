// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/conditions.c: the signal table, thresholds, every
 * operator around its threshold, each class of signal on its window, and
 * the --abort-if short form.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "conditions.h"

#define SEC	1000000000ULL
#define MS	1000000ULL
#define ERR_LEN	512

/* The names are a contract with experiment files: in enum order. */
static const char *const names[FL_SIG_MAX] = {
	"packets.in", "packets.in.rate", "packets.out", "packets.out.rate",
	"bytes.in", "bytes.in.rate", "bytes.out", "bytes.out.rate",
	"faults.dropped", "faults.delayed", "tcp.retransmits",
	"tcp.resets.sent", "tcp.resets.received", "tcp.connect.failures",
	"tcp.connect.latency.p50", "tcp.connect.latency.p99",
	"tcp.rtt.p50", "tcp.rtt.p99", "http.responses.5xx",
	"http.responses.total", "http.errorRate", "probe.failures",
	"probe.latency.p50", "probe.latency.p99", "probe.successRate",
	"prometheus",
};

static void test_signal_names(void **state)
{
	enum fl_signal s;
	unsigned int i;

	(void)state;
	for (i = 0; i < FL_SIG_MAX; i++) {
		assert_string_equal(fl_signal_name((enum fl_signal)i), names[i]);
		s = FL_SIG_MAX;
		assert_int_equal(fl_signal_parse(names[i], &s), 0);
		assert_int_equal(s, i);
	}
	assert_null(fl_signal_name(FL_SIG_MAX));
	assert_null(fl_signal_name((enum fl_signal)-1));
	assert_null(fl_signal_info(FL_SIG_MAX));
	s = FL_SIG_MAX;
	assert_int_equal(fl_signal_parse("probe.successrate", &s), -EINVAL);
	assert_int_equal(fl_signal_parse("packets", &s), -EINVAL);
	assert_int_equal(fl_signal_parse("packets.in ", &s), -EINVAL);
	assert_int_equal(fl_signal_parse("", &s), -EINVAL);
	assert_int_equal(s, FL_SIG_MAX);
}

/* How each signal is read, and in which unit. */
static void test_signal_classes(void **state)
{
	static const struct {
		enum fl_signal s;
		enum fl_stat stat;
		enum fl_unit unit;
		bool probe;
	} want[] = {
		{ FL_SIG_PACKETS_IN, FL_STAT_SUM, FL_UNIT_COUNT, false },
		{ FL_SIG_PACKETS_OUT_RATE, FL_STAT_RATE, FL_UNIT_PER_SEC, false },
		{ FL_SIG_BYTES_OUT, FL_STAT_SUM, FL_UNIT_BYTES, false },
		{ FL_SIG_BYTES_IN_RATE, FL_STAT_RATE, FL_UNIT_PER_SEC, false },
		{ FL_SIG_FAULTS_DELAYED, FL_STAT_SUM, FL_UNIT_COUNT, false },
		{ FL_SIG_TCP_RESETS_RECEIVED, FL_STAT_SUM, FL_UNIT_COUNT, false },
		{ FL_SIG_TCP_CONNECT_LATENCY_P50, FL_STAT_P50, FL_UNIT_NS, false },
		{ FL_SIG_TCP_RTT_P99, FL_STAT_P99, FL_UNIT_NS, false },
		{ FL_SIG_HTTP_RESPONSES_5XX, FL_STAT_SUM, FL_UNIT_COUNT, false },
		{ FL_SIG_HTTP_ERROR_RATE, FL_STAT_RATIO, FL_UNIT_RATIO, false },
		{ FL_SIG_PROBE_FAILURES, FL_STAT_SUM, FL_UNIT_COUNT, true },
		{ FL_SIG_PROBE_LATENCY_P50, FL_STAT_P50, FL_UNIT_NS, true },
		{ FL_SIG_PROBE_LATENCY_P99, FL_STAT_P99, FL_UNIT_NS, true },
		{ FL_SIG_PROBE_SUCCESS_RATE, FL_STAT_RATIO, FL_UNIT_RATIO, true },
		{ FL_SIG_PROMETHEUS, FL_STAT_LAST, FL_UNIT_ANY, false },
	};
	unsigned int i, n_probe = 0;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct fl_signal_info *si = fl_signal_info(want[i].s);

		assert_non_null(si);
		assert_int_equal(si->stat, want[i].stat);
		assert_int_equal(si->unit, want[i].unit);
		assert_int_equal(si->needs_probe, want[i].probe);
	}
	/* Every .rate signal is a rate, and only probe.* name a probe. */
	for (i = 0; i < FL_SIG_MAX; i++) {
		const struct fl_signal_info *si = fl_signal_info(i);
		size_t len = strlen(si->name);

		assert_int_equal(si->stat == FL_STAT_RATE,
				 len > 5 && !strcmp(si->name + len - 5, ".rate"));
		assert_int_equal(si->needs_probe,
				 !strncmp(si->name, "probe.", 6));
		n_probe += si->needs_probe;
	}
	assert_int_equal(n_probe, 4);
}

static void test_cmp(void **state)
{
	(void)state;
	assert_string_equal(fl_cmp_name(FL_CMP_ABOVE), "above");
	assert_string_equal(fl_cmp_name(FL_CMP_BELOW), "below");
	assert_string_equal(fl_cmp_name(FL_CMP_AT_LEAST), "atLeast");
	assert_string_equal(fl_cmp_name(FL_CMP_AT_MOST), "atMost");
	assert_string_equal(fl_cmp_symbol(FL_CMP_ABOVE), ">");
	assert_string_equal(fl_cmp_symbol(FL_CMP_BELOW), "<");
	assert_string_equal(fl_cmp_symbol(FL_CMP_AT_LEAST), ">=");
	assert_string_equal(fl_cmp_symbol(FL_CMP_AT_MOST), "<=");
	assert_null(fl_cmp_name(FL_CMP_NONE));
	assert_null(fl_cmp_symbol((enum fl_cmp)5));

	/* Below, at and above the threshold. */
	assert_int_equal(fl_cmp_eval(FL_CMP_ABOVE, 9.999, 10), 0);
	assert_int_equal(fl_cmp_eval(FL_CMP_ABOVE, 10, 10), 0);
	assert_int_equal(fl_cmp_eval(FL_CMP_ABOVE, 10.001, 10), 1);
	assert_int_equal(fl_cmp_eval(FL_CMP_BELOW, 9.999, 10), 1);
	assert_int_equal(fl_cmp_eval(FL_CMP_BELOW, 10, 10), 0);
	assert_int_equal(fl_cmp_eval(FL_CMP_BELOW, 10.001, 10), 0);
	assert_int_equal(fl_cmp_eval(FL_CMP_AT_LEAST, 9.999, 10), 0);
	assert_int_equal(fl_cmp_eval(FL_CMP_AT_LEAST, 10, 10), 1);
	assert_int_equal(fl_cmp_eval(FL_CMP_AT_LEAST, 10.001, 10), 1);
	assert_int_equal(fl_cmp_eval(FL_CMP_AT_MOST, 9.999, 10), 1);
	assert_int_equal(fl_cmp_eval(FL_CMP_AT_MOST, 10, 10), 1);
	assert_int_equal(fl_cmp_eval(FL_CMP_AT_MOST, 10.001, 10), 0);
	assert_int_equal(fl_cmp_eval(FL_CMP_NONE, 1, 0), 0);
}

static double thr_ok(enum fl_signal s, const char *text)
{
	double v = NAN;

	if (fl_threshold_parse(s, text, &v))
		fail_msg("threshold '%s' for %s refused", text,
			 fl_signal_name(s));
	return v;
}

static void thr_bad(enum fl_signal s, const char *text, int want)
{
	double v = 42;

	assert_int_equal(fl_threshold_parse(s, text, &v), want);
	assert_true(v == 42);
}

static void test_thresholds(void **state)
{
	(void)state;
	/* Counts and rates: plain decimals, not negative. */
	assert_true(thr_ok(FL_SIG_PACKETS_IN, "10") == 10);
	assert_true(thr_ok(FL_SIG_PACKETS_IN, "0") == 0);
	assert_true(thr_ok(FL_SIG_PACKETS_IN_RATE, "2.5") == 2.5);
	assert_true(thr_ok(FL_SIG_BYTES_OUT, "0.3") == 0.3);
	assert_true(thr_ok(FL_SIG_BYTES_OUT, "123456789.125") == 123456789.125);
	assert_true(thr_ok(FL_SIG_BYTES_OUT, "0.000001") == 0.000001);
	assert_true(thr_ok(FL_SIG_BYTES_OUT, "18446744073709551616") ==
		    18446744073709551616.0);
	thr_bad(FL_SIG_PACKETS_IN, "-1", -ERANGE);
	thr_bad(FL_SIG_PACKETS_IN, "1e3", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "ten", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, " 1", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "1 ", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, ".5", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "5.", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "1.2.3", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "+1", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "0x10", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "inf", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "10%", -EINVAL);
	thr_bad(FL_SIG_PACKETS_IN, "10ms", -EINVAL);
	/* Latencies: durations, in nanoseconds; a bare number is seconds. */
	assert_true(thr_ok(FL_SIG_TCP_RTT_P99, "200ms") == 200e6);
	assert_true(thr_ok(FL_SIG_PROBE_LATENCY_P50, "1.5s") == 1.5e9);
	assert_true(thr_ok(FL_SIG_TCP_CONNECT_LATENCY_P99, "0.5") == 0.5e9);
	assert_true(thr_ok(FL_SIG_TCP_RTT_P50, "250us") == 250e3);
	thr_bad(FL_SIG_TCP_RTT_P99, "fast", -EINVAL);
	thr_bad(FL_SIG_TCP_RTT_P99, "0ms", -EINVAL);
	thr_bad(FL_SIG_TCP_RTT_P99, "-1ms", -EINVAL);
	/* Ratios: a fraction or a percentage. */
	assert_true(thr_ok(FL_SIG_PROBE_SUCCESS_RATE, "0.95") == 0.95);
	assert_true(thr_ok(FL_SIG_PROBE_SUCCESS_RATE, "95%") == 0.95);
	assert_true(thr_ok(FL_SIG_HTTP_ERROR_RATE, "1") == 1);
	assert_true(thr_ok(FL_SIG_HTTP_ERROR_RATE, "100%") == 1);
	assert_true(thr_ok(FL_SIG_HTTP_ERROR_RATE, "0") == 0);
	assert_true(thr_ok(FL_SIG_HTTP_ERROR_RATE, "0.5%") == 0.005);
	thr_bad(FL_SIG_HTTP_ERROR_RATE, "1.01", -ERANGE);
	thr_bad(FL_SIG_HTTP_ERROR_RATE, "-0.1", -ERANGE);
	thr_bad(FL_SIG_HTTP_ERROR_RATE, "101%", -EINVAL);
	thr_bad(FL_SIG_HTTP_ERROR_RATE, "-5%", -ERANGE);
	thr_bad(FL_SIG_HTTP_ERROR_RATE, "%", -EINVAL);
	/* Prometheus: any plain number. */
	assert_true(thr_ok(FL_SIG_PROMETHEUS, "-3") == -3);
	assert_true(thr_ok(FL_SIG_PROMETHEUS, "-0.25") == -0.25);
	assert_true(thr_ok(FL_SIG_PROMETHEUS, "1000000") == 1e6);
	thr_bad(FL_SIG_PROMETHEUS, "--3", -EINVAL);
	thr_bad(FL_SIG_PROMETHEUS, "-", -EINVAL);
	thr_bad(FL_SIG_PROMETHEUS, "NaN", -EINVAL);
	thr_bad(FL_SIG_MAX, "1", -EINVAL);

	assert_string_equal(fl_threshold_expect(FL_SIG_PACKETS_IN),
			    "a number >= 0 like 10 or 2.5");
	assert_string_equal(fl_threshold_expect(FL_SIG_TCP_RTT_P50),
			    "a duration like 200ms or 1.5s");
	assert_string_equal(fl_threshold_expect(FL_SIG_PROBE_SUCCESS_RATE),
			    "a fraction from 0 to 1 or a percentage like 95%");
	assert_string_equal(fl_threshold_expect(FL_SIG_PROMETHEUS),
			    "a number like 0.5 or -3");
}

static void test_pointless(void **state)
{
	struct fl_condition c = { .signal = FL_SIG_PACKETS_IN };

	(void)state;
	c.cmp = FL_CMP_BELOW;
	c.threshold = 0;
	assert_string_equal(fl_condition_pointless(&c),
			    "can never trip: the value is never below 0");
	c.threshold = 0.001;
	assert_null(fl_condition_pointless(&c));
	c.cmp = FL_CMP_AT_LEAST;
	c.threshold = 0;
	assert_string_equal(fl_condition_pointless(&c),
			    "always trips: the value is always at least 0");
	c.cmp = FL_CMP_ABOVE;
	assert_null(fl_condition_pointless(&c));
	c.cmp = FL_CMP_AT_MOST;
	assert_null(fl_condition_pointless(&c));

	c.signal = FL_SIG_PROBE_SUCCESS_RATE;
	c.threshold = 1;
	c.cmp = FL_CMP_ABOVE;
	assert_string_equal(fl_condition_pointless(&c),
			    "can never trip: a ratio is never above 1");
	c.cmp = FL_CMP_AT_MOST;
	assert_string_equal(fl_condition_pointless(&c),
			    "always trips: a ratio is always at most 1");
	c.cmp = FL_CMP_BELOW;
	assert_null(fl_condition_pointless(&c));
	c.cmp = FL_CMP_AT_LEAST;
	assert_null(fl_condition_pointless(&c));
	c.threshold = 0.99;
	c.cmp = FL_CMP_ABOVE;
	assert_null(fl_condition_pointless(&c));

	c.signal = FL_SIG_PROMETHEUS;
	c.threshold = -5;
	c.cmp = FL_CMP_BELOW;
	assert_null(fl_condition_pointless(&c));
}

static struct fl_condition cond(enum fl_signal s, enum fl_cmp op,
				double threshold, __u64 window_ns)
{
	struct fl_condition c = {
		.signal = s,
		.cmp = op,
		.threshold = threshold,
		.window_ns = window_ns,
		.probe_idx = -1,
	};

	return c;
}

/* Evaluates and checks the value seen; returns the verdict. */
static int eval(const struct fl_condition *c, const struct fl_window *w,
		__u64 now, double want_value)
{
	double v = NAN;
	int ret;

	ret = fl_condition_eval(c, w, now, &v);
	assert_true(ret == 0 || ret == 1);
	if (v != want_value)
		fail_msg("%s: value %g, want %g", fl_signal_name(c->signal), v,
			 want_value);
	return ret;
}

static void test_eval_operators(void **state)
{
	static const struct {
		enum fl_cmp op;
		int below, at, above;	/* verdicts for 9, 10, 11 failures */
	} ops[] = {
		{ FL_CMP_ABOVE, 0, 0, 1 },
		{ FL_CMP_BELOW, 1, 0, 0 },
		{ FL_CMP_AT_LEAST, 0, 1, 1 },
		{ FL_CMP_AT_MOST, 1, 1, 0 },
	};
	struct fl_window w;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct fl_condition c = cond(FL_SIG_PROBE_FAILURES, ops[i].op,
					     10, 60 * SEC);

		/* One sample per failure, a second apart. */
		assert_int_equal(fl_window_init(&w, 60 * SEC, FL_WINDOW_DELTA, 0),
				 0);
		for (n = 1; n <= 9; n++)
			assert_int_equal(fl_window_add(&w, n * SEC, 1), 0);
		assert_int_equal(eval(&c, &w, 9 * SEC, 9), ops[i].below);
		assert_int_equal(fl_window_add(&w, 10 * SEC, 1), 0);
		assert_int_equal(eval(&c, &w, 10 * SEC, 10), ops[i].at);
		assert_int_equal(fl_window_add(&w, 11 * SEC, 1), 0);
		assert_int_equal(eval(&c, &w, 11 * SEC, 11), ops[i].above);
		/* The first failure leaves the window at 61s. */
		assert_int_equal(eval(&c, &w, 61 * SEC, 10), ops[i].at);
		fl_window_free(&w);
	}
}

static void test_eval_empty(void **state)
{
	struct fl_condition c;
	struct fl_window w;
	double v = 42;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 100 * SEC),
			 0);
	/* Before the start nothing is judged, whatever the operator. */
	c = cond(FL_SIG_PACKETS_OUT_RATE, FL_CMP_BELOW, 1000, 10 * SEC);
	assert_int_equal(fl_condition_eval(&c, &w, 100 * SEC, &v), -ENODATA);
	assert_true(v == 42);
	/* After it, no packets is a rate of 0: an outage, and it trips. */
	assert_int_equal(eval(&c, &w, 101 * SEC, 0), 1);
	c = cond(FL_SIG_TCP_RETRANSMITS, FL_CMP_ABOVE, 0, 10 * SEC);
	assert_int_equal(eval(&c, &w, 101 * SEC, 0), 0);

	/* No samples: no percentile, no ratio, no query result. */
	c = cond(FL_SIG_PROBE_LATENCY_P99, FL_CMP_ABOVE, 1, 10 * SEC);
	assert_int_equal(fl_condition_eval(&c, &w, 101 * SEC, &v), -ENODATA);
	c = cond(FL_SIG_TCP_RTT_P50, FL_CMP_BELOW, 1e12, 10 * SEC);
	assert_int_equal(fl_condition_eval(&c, &w, 101 * SEC, &v), -ENODATA);
	c = cond(FL_SIG_PROBE_SUCCESS_RATE, FL_CMP_BELOW, 0.9, 10 * SEC);
	assert_int_equal(fl_condition_eval(&c, &w, 101 * SEC, &v), -ENODATA);
	c = cond(FL_SIG_PROMETHEUS, FL_CMP_BELOW, 1, 0);
	assert_int_equal(fl_condition_eval(&c, &w, 101 * SEC, &v), -ENODATA);
	assert_true(v == 42);

	/* Samples that have left count as none. */
	assert_int_equal(fl_window_add(&w, 101 * SEC, 5 * MS), 0);
	c = cond(FL_SIG_PROBE_LATENCY_P99, FL_CMP_ABOVE, 1, 10 * SEC);
	assert_int_equal(eval(&c, &w, 110 * SEC, 5 * MS), 1);
	assert_int_equal(fl_condition_eval(&c, &w, 111 * SEC, &v), -ENODATA);
	fl_window_free(&w);
}

static void test_eval_classes(void **state)
{
	struct fl_condition c;
	struct fl_window w;
	int i;

	(void)state;
	/* Count, from a cumulative counter: the increase. */
	assert_int_equal(fl_window_init(&w, 30 * SEC, FL_WINDOW_CUMULATIVE, 0),
			 0);
	assert_int_equal(fl_window_add(&w, 0, 1000), 0);
	assert_int_equal(fl_window_add(&w, 10 * SEC, 1003), 0);
	assert_int_equal(fl_window_add(&w, 20 * SEC, 1005), 0);
	c = cond(FL_SIG_TCP_RETRANSMITS, FL_CMP_AT_LEAST, 5, 30 * SEC);
	assert_int_equal(eval(&c, &w, 20 * SEC, 5), 1);
	assert_int_equal(eval(&c, &w, 40 * SEC, 2), 0);
	fl_window_free(&w);

	/* Rate: packets per second over the window. */
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	for (i = 1; i <= 10; i++)
		assert_int_equal(fl_window_add(&w, i * SEC, 1500), 0);
	c = cond(FL_SIG_PACKETS_OUT_RATE, FL_CMP_BELOW, 1000, 10 * SEC);
	assert_int_equal(eval(&c, &w, 10 * SEC, 1500), 0);
	assert_int_equal(eval(&c, &w, 14 * SEC, 900), 1);
	fl_window_free(&w);

	/* Percentiles of latencies, in ns. */
	assert_int_equal(fl_window_init(&w, 60 * SEC, FL_WINDOW_DELTA, 0), 0);
	for (i = 1; i <= 100; i++)
		assert_int_equal(fl_window_add(&w, SEC, i * MS), 0);
	c = cond(FL_SIG_PROBE_LATENCY_P50, FL_CMP_ABOVE, 50 * MS, 60 * SEC);
	assert_int_equal(eval(&c, &w, SEC, 50 * MS), 0);
	c.threshold = 49 * MS;
	assert_int_equal(eval(&c, &w, SEC, 50 * MS), 1);
	c = cond(FL_SIG_PROBE_LATENCY_P99, FL_CMP_AT_LEAST, 99 * MS, 60 * SEC);
	assert_int_equal(eval(&c, &w, SEC, 99 * MS), 1);
	c = cond(FL_SIG_TCP_CONNECT_LATENCY_P99, FL_CMP_ABOVE, 99 * MS,
		 60 * SEC);
	assert_int_equal(eval(&c, &w, SEC, 99 * MS), 0);
	fl_window_free(&w);

	/* Ratio of 0/1 outcomes: 19 successes and 1 failure. */
	assert_int_equal(fl_window_init(&w, 60 * SEC, FL_WINDOW_DELTA, 0), 0);
	for (i = 1; i <= 20; i++)
		assert_int_equal(fl_window_add(&w, i * SEC, i == 7 ? 0 : 1), 0);
	c = cond(FL_SIG_PROBE_SUCCESS_RATE, FL_CMP_BELOW, 0.95, 60 * SEC);
	assert_int_equal(eval(&c, &w, 20 * SEC, 0.95), 0);
	assert_int_equal(fl_window_add(&w, 21 * SEC, 0), 0);
	assert_int_equal(eval(&c, &w, 21 * SEC, 19.0 / 21), 1);
	fl_window_free(&w);

	/* Prometheus: the newest result in the window. */
	assert_int_equal(fl_window_init(&w, 3 * SEC, FL_WINDOW_DELTA, 0), 0);
	assert_int_equal(fl_window_add(&w, SEC, 0.9), 0);
	assert_int_equal(fl_window_add(&w, 2 * SEC, 0.2), 0);
	c = cond(FL_SIG_PROMETHEUS, FL_CMP_ABOVE, 0.5, 0);
	assert_int_equal(eval(&c, &w, 2 * SEC, 0.2), 0);
	assert_int_equal(eval(&c, &w, 2 * SEC - 1, 0.9), 1);
	fl_window_free(&w);
}

static void test_eval_ratio(void **state)
{
	struct fl_window num, den;
	struct fl_condition c;
	double v = 42;
	int i;

	(void)state;
	assert_int_equal(fl_window_init(&num, 60 * SEC, FL_WINDOW_CUMULATIVE, 0),
			 0);
	assert_int_equal(fl_window_init(&den, 60 * SEC, FL_WINDOW_CUMULATIVE, 0),
			 0);
	c = cond(FL_SIG_HTTP_ERROR_RATE, FL_CMP_ABOVE, 0.05, 60 * SEC);
	/* No responses yet: nothing to judge. */
	assert_int_equal(fl_window_add(&num, 0, 0), 0);
	assert_int_equal(fl_window_add(&den, 0, 0), 0);
	assert_int_equal(fl_condition_eval_ratio(&c, &num, &den, SEC, &v),
			 -ENODATA);
	assert_true(v == 42);
	for (i = 1; i <= 10; i++) {
		assert_int_equal(fl_window_add(&num, i * SEC, i * 5), 0);
		assert_int_equal(fl_window_add(&den, i * SEC, i * 100), 0);
	}
	/* 50 of 1000: exactly at 5 %, not above it. */
	assert_int_equal(fl_condition_eval_ratio(&c, &num, &den, 10 * SEC, &v),
			 0);
	assert_true(v == 0.05);
	assert_int_equal(fl_window_add(&num, 11 * SEC, 56), 0);
	assert_int_equal(fl_window_add(&den, 11 * SEC, 1100), 0);
	assert_int_equal(fl_condition_eval_ratio(&c, &num, &den, 11 * SEC, &v),
			 1);
	assert_true(v == 56.0 / 1100);

	/* Not a ratio signal, or windows of other lengths. */
	c = cond(FL_SIG_HTTP_RESPONSES_5XX, FL_CMP_ABOVE, 1, 60 * SEC);
	assert_int_equal(fl_condition_eval_ratio(&c, &num, &den, 11 * SEC, &v),
			 -EINVAL);
	c = cond(FL_SIG_HTTP_ERROR_RATE, FL_CMP_ABOVE, 0.05, 30 * SEC);
	assert_int_equal(fl_condition_eval_ratio(&c, &num, &den, 11 * SEC, &v),
			 -EINVAL);
	fl_window_free(&num);
	fl_window_free(&den);
}

static void test_eval_misuse(void **state)
{
	struct fl_condition c;
	struct fl_window w;
	double v = 42;

	(void)state;
	assert_int_equal(fl_window_init(&w, 10 * SEC, FL_WINDOW_DELTA, 0), 0);
	assert_int_equal(fl_window_add(&w, SEC, 1), 0);
	/* A window of another length than the condition's. */
	c = cond(FL_SIG_PACKETS_IN, FL_CMP_ABOVE, 0, 60 * SEC);
	assert_int_equal(fl_condition_eval(&c, &w, SEC, &v), -EINVAL);
	c = cond(FL_SIG_PACKETS_IN, FL_CMP_NONE, 0, 10 * SEC);
	assert_int_equal(fl_condition_eval(&c, &w, SEC, &v), -EINVAL);
	c = cond(FL_SIG_MAX, FL_CMP_ABOVE, 0, 10 * SEC);
	assert_int_equal(fl_condition_eval(&c, &w, SEC, &v), -EINVAL);
	assert_true(v == 42);
	c = cond(FL_SIG_PACKETS_IN, FL_CMP_ABOVE, 0, 10 * SEC);
	assert_int_equal(fl_condition_eval(&c, &w, SEC, NULL), -EINVAL);
	assert_int_equal(fl_condition_eval(&c, NULL, SEC, &v), -EINVAL);
	fl_window_free(&w);
}

static void short_ok(const char *s, enum fl_signal sig, enum fl_cmp op,
		     double threshold, __u64 window_ns, const char *probe,
		     const char *name)
{
	struct fl_condition c;
	char err[ERR_LEN] = "";

	if (fl_condition_parse_short(s, &c, err, sizeof(err)))
		fail_msg("'%s' refused: %s", s, err);
	assert_int_equal(c.signal, sig);
	assert_int_equal(c.cmp, op);
	if (c.threshold != threshold)
		fail_msg("'%s': threshold %g, want %g", s, c.threshold,
			 threshold);
	assert_int_equal(c.window_ns, window_ns);
	assert_string_equal(c.probe, probe);
	assert_int_equal(c.probe_idx, -1);
	assert_string_equal(c.name, name);
	assert_null(c.prom_url);
	assert_null(c.prom_query);
}

static void test_short_form(void **state)
{
	(void)state;
	short_ok("probe.failures > 10/1m", FL_SIG_PROBE_FAILURES, FL_CMP_ABOVE,
		 10, 60 * SEC, "", "probe.failures > 10/1m");
	short_ok("tcp.retransmits >= 5/30s", FL_SIG_TCP_RETRANSMITS,
		 FL_CMP_AT_LEAST, 5, 30 * SEC, "", "tcp.retransmits >= 5/30s");
	short_ok("packets.out.rate < 1000", FL_SIG_PACKETS_OUT_RATE,
		 FL_CMP_BELOW, 1000, 60 * SEC, "", "packets.out.rate < 1000/1m");
	short_ok("bytes.in <= 2.5/100ms", FL_SIG_BYTES_IN, FL_CMP_AT_MOST, 2.5,
		 100 * MS, "", "bytes.in <= 2.5/100ms");
	/* Blanks are optional, and allowed around every token. */
	short_ok("tcp.resets.sent>0/10s", FL_SIG_TCP_RESETS_SENT, FL_CMP_ABOVE,
		 0, 10 * SEC, "", "tcp.resets.sent > 0/10s");
	short_ok("  http.errorRate \t>  5%  /  2m ", FL_SIG_HTTP_ERROR_RATE,
		 FL_CMP_ABOVE, 0.05, 120 * SEC, "", "http.errorRate > 5%/2m");
	/* Latencies take durations; a probe may be named after '@'. */
	short_ok("probe.latency.p99@web > 250ms/30s", FL_SIG_PROBE_LATENCY_P99,
		 FL_CMP_ABOVE, 250e6, 30 * SEC, "web",
		 "probe.latency.p99@web > 250ms/30s");
	short_ok("probe.successRate@api-v2.1 < 0.99/24h",
		 FL_SIG_PROBE_SUCCESS_RATE, FL_CMP_BELOW, 0.99,
		 24 * 3600 * SEC, "api-v2.1",
		 "probe.successRate@api-v2.1 < 0.99/24h");
	short_ok("tcp.rtt.p50<=1.5", FL_SIG_TCP_RTT_P50, FL_CMP_AT_MOST, 1.5e9,
		 60 * SEC, "", "tcp.rtt.p50 <= 1.5/1m");
	/* A long name is shortened, never overrun. */
	short_ok("probe.latency.p99@a23456789012345678901234567890 >= 123456789ms/23h59m59s",
		 FL_SIG_PROBE_LATENCY_P99, FL_CMP_AT_LEAST,
		 123456789e6, (24 * 3600 - 1) * SEC,
		 "a23456789012345678901234567890",
		 "probe.latency.p99@a23456789012345678901234567890 >= 12345678...");
}

static void short_bad(const char *s, const char *msg)
{
	struct fl_condition c, untouched;
	char err[ERR_LEN] = "";

	memset(&c, 0x5a, sizeof(c));
	memset(&untouched, 0x5a, sizeof(untouched));
	if (fl_condition_parse_short(s, &c, err, sizeof(err)) != -EINVAL)
		fail_msg("'%s' accepted", s);
	assert_string_equal(err, msg);
	/* A refused condition leaves the output alone. */
	assert_memory_equal(&c, &untouched, sizeof(c));
	/* Without a buffer it still refuses. */
	assert_int_equal(fl_condition_parse_short(s, &c, NULL, 0), -EINVAL);
}

static void test_short_form_errors(void **state)
{
	(void)state;
	short_bad("", "expected a signal at the start of '', like 'probe.failures > 10/1m'");
	short_bad("> 10", "expected a signal at the start of '> 10', like 'probe.failures > 10/1m'");
	short_bad("probe.failure > 10/1m", "unknown signal 'probe.failure'");
	short_bad("Packets.in > 1", "unknown signal 'Packets.in'");
	short_bad("packets.in 10", "expected >, <, >= or <= after 'packets.in'");
	short_bad("packets.in", "expected >, <, >= or <= after 'packets.in'");
	short_bad("packets.in == 10", "'==' is not an operator here; use >, <, >= or <=");
	short_bad("packets.in = 10", "'=' is not an operator here; use >, <, >= or <=");
	short_bad("packets.in != 10", "'!=' is not an operator here; use >, <, >= or <=");
	short_bad("packets.in >> 10", "unknown operator '>>'; use >, <, >= or <=");
	short_bad("packets.in <== 10", "unknown operator '<=='; use >, <, >= or <=");
	short_bad("packets.in >", "missing threshold after '>'");
	short_bad("packets.in > /1m", "missing threshold after '>'");
	short_bad("packets.in > ten/1m",
		  "bad threshold 'ten' for packets.in: expected a number >= 0 like 10 or 2.5");
	short_bad("packets.in > -1",
		  "bad threshold '-1' for packets.in: expected a number >= 0 like 10 or 2.5");
	short_bad("probe.successRate < 2",
		  "bad threshold '2' for probe.successRate: expected a fraction from 0 to 1 or a percentage like 95%");
	short_bad("tcp.rtt.p99 > slow",
		  "bad threshold 'slow' for tcp.rtt.p99: expected a duration like 200ms or 1.5s");
	short_bad("packets.in > 10/", "missing window after '/'");
	short_bad("packets.in > 10/1y",
		  "bad window '1y': expected a duration like 30s or 1m");
	short_bad("packets.in > 10/0s",
		  "bad window '0s': expected a duration like 30s or 1m");
	short_bad("packets.in > 10/99ms",
		  "window '99ms' is too short: at least 100ms");
	short_bad("packets.in > 10/24h1s", "window '24h1s' is too long: at most 24h");
	short_bad("packets.in > 10/1m and more",
		  "unexpected 'and more' at the end of 'packets.in > 10/1m and more'");
	short_bad("packets.in > 10 20", "unexpected '20' at the end of 'packets.in > 10 20'");
	short_bad("prometheus > 1",
		  "prometheus needs a url and a query: use an experiment file");
	short_bad("packets.in@web > 1",
		  "'@' names a probe, and packets.in is not a probe.* signal");
	short_bad("probe.failures@ > 1", "bad probe name '' after '@'");
	short_bad("probe.failures@-web > 1", "bad probe name '-web' after '@'");
	short_bad("packets.in < 0", "'packets.in < 0' can never trip: the value is never below 0");
	short_bad("faults.dropped >= 0/5s",
		  "'faults.dropped >= 0/5s' always trips: the value is always at least 0");
	short_bad("http.errorRate > 100%",
		  "'http.errorRate > 100%' can never trip: a ratio is never above 1");
}

/* From the command line to a verdict. */
static void test_short_form_eval(void **state)
{
	struct fl_condition c;
	struct fl_window w;
	char err[ERR_LEN];
	double v;
	int i;

	(void)state;
	assert_int_equal(fl_condition_parse_short("probe.failures > 10/1m", &c,
						  err, sizeof(err)),
			 0);
	assert_int_equal(fl_window_init(&w, c.window_ns, FL_WINDOW_DELTA, 0), 0);
	for (i = 0; i < 11; i++)
		assert_int_equal(fl_window_add(&w, (__u64)(i + 1) * SEC, 1), 0);
	assert_int_equal(fl_condition_eval(&c, &w, 11 * SEC, &v), 1);
	assert_true(v == 11);
	assert_int_equal(fl_condition_eval(&c, &w, 61 * SEC, &v), 0);
	assert_true(v == 10);
	fl_window_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_signal_classes),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_thresholds),
		cmocka_unit_test(test_pointless),
		cmocka_unit_test(test_eval_operators),
		cmocka_unit_test(test_eval_empty),
		cmocka_unit_test(test_eval_classes),
		cmocka_unit_test(test_eval_ratio),
		cmocka_unit_test(test_eval_misuse),
		cmocka_unit_test(test_short_form),
		cmocka_unit_test(test_short_form_errors),
		cmocka_unit_test(test_short_form_eval),
	};

	return cmocka_run_group_tests_name("conditions", tests, NULL, NULL);
}
