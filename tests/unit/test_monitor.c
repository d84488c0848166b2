// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/monitor.c: kernel signals judged per target, the
 * warm-up of low-count conditions, records routed to their conditions,
 * probe samples, and Prometheus answers and errors.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "monitor.h"

#define SEC	1000000000ULL
#define MS	1000000ULL
#define T0	(100 * SEC)

static int trips;

static void on_trip(void *ctx)
{
	(void)ctx;
	trips++;
}

static struct fl_condition cond(enum fl_signal sig, enum fl_cmp cmp, double threshold,
				__u64 window_ns)
{
	struct fl_condition c = {
		.signal = sig, .cmp = cmp, .threshold = threshold, .window_ns = window_ns,
		.probe_idx = -1,
	};

	snprintf(c.name, sizeof(c.name), "c%d", (int)sig);
	return c;
}

static void start(struct fl_monitor *m, const struct fl_condition *c, int n, int n_targets)
{
	trips = 0;
	assert_int_equal(fl_monitor_init(m, c, n, n_targets, T0), 0);
	m->on_trip = on_trip;
}

static void flow(struct fl_monitor *m, __u32 target, __u32 dir, __u64 ts, __u64 packets,
		 __u64 drops)
{
	struct fl_event e = { .kind = FL_EV_FLOW_SNAPSHOT, .ts_ns = ts };
	struct fl_flow_delta d = { .packets = packets, .bytes = packets * 100, .drops = drops };

	e.key.target_id = target;
	e.key.dir = dir;
	fl_monitor_flow(m, &e, &d);
}

static void ksig(struct fl_monitor *m, __u32 target, __u32 sig, __u64 ts, __u64 value)
{
	struct fl_event e = { .kind = FL_EV_SIGNAL, .ts_ns = ts, .sig = sig, .value = value };

	e.key.target_id = target;
	fl_monitor_signal(m, &e);
}

/* Two targets, each below the threshold on its own, together above it:
 * no trip. Then one target crosses: a trip, with that target's value.
 */
static void test_per_target(void **state)
{
	struct fl_condition c = cond(FL_SIG_FAULTS_DROPPED, FL_CMP_ABOVE, 10, 60 * SEC);
	struct fl_monitor m;

	(void)state;
	start(&m, &c, 1, 2);
	flow(&m, 0, FL_DIR_EGRESS, T0 + 1 * SEC, 8, 8);
	flow(&m, 1, FL_DIR_EGRESS, T0 + 2 * SEC, 8, 8);
	assert_int_equal(m.tripped, -1);
	assert_int_equal(trips, 0);
	assert_true(m.conds[0].has_value);
	assert_true(m.conds[0].value == 8);
	flow(&m, 1, FL_DIR_INGRESS, T0 + 3 * SEC, 3, 3);
	assert_int_equal(m.tripped, 0);
	assert_int_equal(m.trip_target, 1);
	assert_true(m.trip_value == 11);
	assert_int_equal(m.trip_ns, T0 + 3 * SEC);
	assert_int_equal(trips, 1);
	/* one trip only, whatever follows */
	flow(&m, 0, FL_DIR_EGRESS, T0 + 4 * SEC, 20, 20);
	assert_int_equal(trips, 1);
	assert_int_equal(m.trip_target, 1);
	fl_monitor_free(&m);
}

/* A record for a target the monitor was not told of counts nowhere. */
static void test_unknown_target(void **state)
{
	struct fl_condition c = cond(FL_SIG_TCP_RETRANSMITS, FL_CMP_AT_LEAST, 1, 10 * SEC);
	struct fl_monitor m;

	(void)state;
	start(&m, &c, 1, 2);
	ksig(&m, 2, FL_KSIG_RETRANS, T0 + SEC, 1);
	ksig(&m, 1000, FL_KSIG_RETRANS, T0 + SEC, 1);
	assert_int_equal(m.tripped, -1);
	ksig(&m, 1, FL_KSIG_RETRANS, T0 + 2 * SEC, 1);
	assert_int_equal(m.tripped, 0);
	assert_int_equal(m.trip_target, 1);
	fl_monitor_free(&m);
}

/* Direction: packets.out counts egress records only. */
static void test_direction(void **state)
{
	struct fl_condition c[2] = {
		cond(FL_SIG_PACKETS_OUT, FL_CMP_ABOVE, 100, 10 * SEC),
		cond(FL_SIG_BYTES_IN, FL_CMP_ABOVE, 1e9, 10 * SEC),
	};
	struct fl_monitor m;

	(void)state;
	start(&m, c, 2, 1);
	flow(&m, 0, FL_DIR_INGRESS, T0 + SEC, 500, 0);
	assert_int_equal(m.tripped, -1);
	assert_true(m.conds[1].value == 50000);
	flow(&m, 0, FL_DIR_EGRESS, T0 + 2 * SEC, 101, 0);
	assert_int_equal(m.tripped, 0);
	fl_monitor_free(&m);
}

/* "below" on a rate: silence is judged only after one whole window, and
 * then per target: one silent target trips even while another is busy.
 */
static void test_below_warmup(void **state)
{
	struct fl_condition c = cond(FL_SIG_PACKETS_OUT_RATE, FL_CMP_BELOW, 10, 5 * SEC);
	struct fl_monitor m;
	__u64 t;

	(void)state;
	start(&m, &c, 1, 2);
	for (t = T0 + 100 * MS; t < T0 + 5 * SEC; t += 100 * MS) {
		flow(&m, 0, FL_DIR_EGRESS, t, 10, 0);	/* 100 pps */
		fl_monitor_tick(&m, t);
	}
	assert_int_equal(m.tripped, -1);
	flow(&m, 0, FL_DIR_EGRESS, T0 + 5 * SEC, 10, 0);
	fl_monitor_tick(&m, T0 + 5 * SEC);
	assert_int_equal(m.tripped, 0);
	assert_int_equal(m.trip_target, 1);
	assert_true(m.trip_value == 0);
	fl_monitor_free(&m);
}

/* The reported value is the worst target's: highest for above, lowest
 * for below.
 */
static void test_worst(void **state)
{
	struct fl_condition c[2] = {
		cond(FL_SIG_TCP_RTT_P50, FL_CMP_ABOVE, 1e9, 10 * SEC),
		cond(FL_SIG_TCP_RTT_P50, FL_CMP_BELOW, 0, 10 * SEC),
	};
	struct fl_monitor m;

	(void)state;
	start(&m, c, 2, 3);
	ksig(&m, 0, FL_KSIG_RTT, T0 + SEC, 5 * MS);
	ksig(&m, 1, FL_KSIG_RTT, T0 + SEC, 50 * MS);
	ksig(&m, 2, FL_KSIG_RTT, T0 + SEC, 20 * MS);
	assert_true(m.conds[0].value == 50 * MS);
	assert_int_equal(m.conds[0].worst, 1);
	assert_true(m.conds[1].value == 5 * MS);
	assert_int_equal(m.conds[1].worst, 0);
	assert_int_equal(m.tripped, -1);
	fl_monitor_free(&m);
}

/* HTTP: 5xx counts, totals, and the error rate as the share of 5xx. */
static void test_http(void **state)
{
	struct fl_condition c[3] = {
		cond(FL_SIG_HTTP_RESPONSES_5XX, FL_CMP_ABOVE, 100, 10 * SEC),
		cond(FL_SIG_HTTP_RESPONSES_TOTAL, FL_CMP_ABOVE, 100, 10 * SEC),
		cond(FL_SIG_HTTP_ERROR_RATE, FL_CMP_ABOVE, 0.5, 10 * SEC),
	};
	struct fl_monitor m;
	int i;

	(void)state;
	start(&m, c, 3, 1);
	for (i = 0; i < 4; i++)
		ksig(&m, 0, FL_KSIG_HTTP, T0 + SEC + i * MS, i == 3 ? 503 : 200);
	assert_true(m.conds[0].value == 1);
	assert_true(m.conds[1].value == 4);
	assert_true(fabs(m.conds[2].value - 0.25) < 1e-9);
	assert_int_equal(m.tripped, -1);
	for (i = 0; i < 5; i++)
		ksig(&m, 0, FL_KSIG_HTTP, T0 + 2 * SEC + i * MS, 500);
	assert_int_equal(m.tripped, 2);
	/* 2/5, 3/6 (not above 0.5), then 4/7 */
	assert_true(fabs(m.trip_value - 4.0 / 7) < 1e-9);
	fl_monitor_free(&m);
}

/* Probe samples are not a target's: one series, by probe index. */
static void test_probe(void **state)
{
	struct fl_condition c[2] = {
		cond(FL_SIG_PROBE_FAILURES, FL_CMP_ABOVE, 2, 60 * SEC),
		cond(FL_SIG_PROBE_FAILURES, FL_CMP_ABOVE, 0, 60 * SEC),
	};
	struct fl_probe_sample s = { .probe = 0 };
	struct fl_monitor m;
	int i;

	(void)state;
	c[0].probe_idx = 0;
	c[1].probe_idx = 1;
	start(&m, c, 2, 4);
	assert_int_equal(m.conds[0].n_s, 1);
	for (i = 0; i < 3; i++) {
		s.ts_ns = T0 + (i + 1) * SEC;
		fl_monitor_probe(&m, &s);
	}
	assert_int_equal(m.tripped, 0);
	assert_int_equal(m.trip_target, -1);
	assert_true(m.trip_value == 3);
	assert_false(m.conds[1].has_value);
	fl_monitor_free(&m);
}

/* Prometheus: errors are counted and kept even after good answers. */
static void test_prometheus(void **state)
{
	struct fl_condition c = cond(FL_SIG_PROMETHEUS, FL_CMP_ABOVE, 5, 0);
	struct fl_monitor m;

	(void)state;
	c.prom_interval_ns = SEC;
	start(&m, &c, 1, 2);
	fl_monitor_prom(&m, 0, T0 + SEC, 0, "no sample");
	fl_monitor_prom(&m, 0, T0 + 2 * SEC, 3, NULL);
	assert_int_equal(m.conds[0].n_answers, 2);
	assert_int_equal(m.conds[0].n_errors, 1);
	assert_string_equal(m.conds[0].error, "no sample");
	assert_true(m.conds[0].value == 3);
	assert_int_equal(m.tripped, -1);
	fl_monitor_prom(&m, 0, T0 + 3 * SEC, 6, NULL);
	assert_int_equal(m.tripped, 0);
	assert_int_equal(m.trip_target, -1);
	fl_monitor_prom(&m, 5, T0 + 3 * SEC, 6, NULL);	/* no such condition */
	assert_int_equal(trips, 1);
	fl_monitor_free(&m);
}

static void test_init_errors(void **state)
{
	struct fl_condition c = cond(FL_SIG_PACKETS_IN, FL_CMP_ABOVE, 1, SEC);
	struct fl_monitor m;

	(void)state;
	assert_int_equal(fl_monitor_init(&m, &c, 1, 0, T0), -EINVAL);
	fl_monitor_free(&m);
	assert_int_equal(fl_monitor_init(&m, &c, FL_MON_MAX_CONDS + 1, 1, T0), -E2BIG);
	fl_monitor_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_target),
		cmocka_unit_test(test_unknown_target),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_below_warmup),
		cmocka_unit_test(test_worst),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_init_errors),
	};

	return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
