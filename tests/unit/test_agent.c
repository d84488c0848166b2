// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/agent/: the control socket's request parser
 * (control.c) and the metrics text renderer (metrics.c).
 *
 * Groups:
 *   ctl_parse       good requests of each op; malformed JSON, a non-object,
 *                   an unknown or missing op, missing and mistyped fields;
 *   metrics_render  label values escaped, HELP and TYPE once per family
 *                   and before its samples, histogram buckets cumulative.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "control.h"
#include "metrics.h"

static int parse(const char *line, struct fl_ctl_req *r, char *err)
{
	return fl_ctl_parse(line, r, err, 256);
}

static void test_ctl_good(void **state)
{
	struct fl_ctl_req r;
	char err[256];

	(void)state;
	assert_int_equal(parse("{\"op\":\"submit\",\"file\":\"/a/b.yaml\",\"follow\":true}", &r, err), 0);
	assert_int_equal(r.op, FL_CTL_SUBMIT);
	assert_string_equal(r.file, "/a/b.yaml");
	assert_null(r.yaml);
	assert_true(r.follow);
	fl_ctl_req_free(&r);
	assert_int_equal(parse("{\"op\":\"submit\",\"yaml\":\"kind: Experiment\\n\"}", &r, err), 0);
	assert_string_equal(r.yaml, "kind: Experiment\n");
	assert_false(r.follow);
	fl_ctl_req_free(&r);
	assert_int_equal(parse("  {\"op\":\"status\"}  ", &r, err), 0);
	assert_int_equal(r.op, FL_CTL_STATUS);
	fl_ctl_req_free(&r);
	assert_int_equal(parse("{\"op\":\"stop\",\"name\":\"x\"}", &r, err), 0);
	assert_int_equal(r.op, FL_CTL_STOP);
	assert_string_equal(r.name, "x");
	assert_false(r.all);
	fl_ctl_req_free(&r);
	assert_int_equal(parse("{\"op\":\"stop\",\"all\":true}", &r, err), 0);
	assert_true(r.all);
	assert_null(r.name);
	fl_ctl_req_free(&r);
	assert_int_equal(parse("{\"op\":\"follow\",\"name\":\"x\"}", &r, err), 0);
	assert_int_equal(r.op, FL_CTL_FOLLOW);
	fl_ctl_req_free(&r);
}

/* Each bad line is -EINVAL with a message containing @want. */
static void bad(const char *line, const char *want)
{
	struct fl_ctl_req r;
	char err[256] = "";

	assert_int_equal(parse(line, &r, err), -22);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' lacks '%s'", line, err, want);
	assert_null(r.obj);
}

static void test_ctl_malformed(void **state)
{
	(void)state;
	bad("", "not JSON");
	bad("{\"op\":", "not JSON");
	bad("{op: status}", "not JSON");
	bad("[\"status\"]", "a request is a JSON object");
	bad("\"status\"", "a request is a JSON object");
}

static void test_ctl_op(void **state)
{
	(void)state;
	bad("{}", "needs \"op\"");
	bad("{\"op\":3}", "needs \"op\"");
	bad("{\"op\":\"restart\"}", "unknown op 'restart'");
	bad("{\"op\":\"STATUS\"}", "unknown op");
}

static void test_ctl_fields(void **state)
{
	(void)state;
	bad("{\"op\":\"submit\"}", "exactly one of \"file\" and \"yaml\"");
	bad("{\"op\":\"submit\",\"file\":\"/a\",\"yaml\":\"x\"}", "exactly one of");
	bad("{\"op\":\"submit\",\"file\":\"rel.yaml\"}", "absolute path");
	bad("{\"op\":\"submit\",\"file\":7}", "\"file\" must be a string");
	bad("{\"op\":\"submit\",\"yaml\":\"x\",\"follow\":\"yes\"}", "\"follow\" must be true or false");
	bad("{\"op\":\"stop\"}", "\"name\" or \"all\"");
	bad("{\"op\":\"stop\",\"name\":\"a\",\"all\":true}", "\"name\" or \"all\"");
	bad("{\"op\":\"stop\",\"all\":1}", "\"all\" must be true or false");
	bad("{\"op\":\"follow\"}", "follow needs \"name\"");
	bad("{\"op\":\"follow\",\"name\":\"\"}", "follow needs \"name\"");
}

static char *render(const struct fl_metrics_snap *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(fl_metrics_render(f, s), 0);
	fclose(f);
	return text;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

static void test_metrics_escape(void **state)
{
	struct fl_metrics_exp x[1] = {};
	struct fl_metrics_snap s = { .version = "v\"1\\\n", .n_exps = 1, .exps = x };
	char *t;

	(void)state;
	x[0].name = "we\"ird\\name\nx";
	x[0].state = FL_STATE_STARTED;
	x[0].n_faults = 1;
	x[0].faults[0].name = "f";
	x[0].faults[0].tot[FL_DIR_EGRESS].dropped = 7;
	x[0].n_conds = 1;
	x[0].conds[0].name = "c";
	x[0].conds[0].value = 0.5;
	t = render(&s);
	assert_non_null(strstr(t, "faultline_build_info{version=\"v\\\"1\\\\\\n\"} 1\n"));
	assert_non_null(strstr(t, "faultline_fault_packets_total{experiment=\"we\\\"ird\\\\name\\nx\",fault=\"f\",direction=\"egress\",action=\"dropped\"} 7\n"));
	assert_non_null(strstr(t, "faultline_condition_value{experiment=\"we\\\"ird\\\\name\\nx\",condition=\"c\"} 0.5\n"));
	/* no raw newline inside any sample line: every line is a comment or NAME... VALUE */
	assert_int_equal(count(t, "\nx\""), 0);
	free(t);
}

static void test_metrics_families(void **state)
{
	static const char *const families[] = {
		"faultline_build_info gauge", "faultline_experiments gauge",
		"faultline_fault_packets_total counter", "faultline_condition_value gauge",
		"faultline_trips_total counter", "faultline_trip_disarm_seconds histogram",
		"faultline_ringbuf_lost_total counter", "faultline_links_attached gauge",
	};
	struct fl_metrics_exp x[2] = {};
	struct fl_metrics_snap s = { .version = "1", .n_exps = 2, .exps = x, .trips = 3 };
	char *t, want[128], *help, *type, *first;
	size_t i;

	(void)state;
	x[0].name = "a";
	x[0].state = FL_STATE_STARTED;
	x[0].n_faults = 2;
	x[0].faults[0].name = "f0";
	x[0].faults[1].name = "f1";
	x[1].name = "b";
	x[1].state = FL_STATE_FAILED;
	x[1].n_faults = 1;
	x[1].faults[0].name = "f0";
	fl_metrics_observe_latency(&s, 0.0003);
	fl_metrics_observe_latency(&s, 2);
	t = render(&s);
	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char name[64];

		sscanf(families[i], "%63s", name);
		snprintf(want, sizeof(want), "# TYPE %s\n", families[i]);
		assert_int_equal(count(t, want), 1);
		snprintf(want, sizeof(want), "# HELP %s ", name);
		assert_int_equal(count(t, want), 1);
		help = strstr(t, want);
		snprintf(want, sizeof(want), "# TYPE %s ", name);
		type = strstr(t, want);
		snprintf(want, sizeof(want), "\n%s", name);
		first = strstr(t, want);
		/* HELP, then TYPE, then the samples */
		assert_true(help < type);
		if (first)
			assert_true(type < first);
	}
	/* 3 faults, 2 directions, 6 actions (matched, dropped, delayed, duplicated, rejected, corrupted) */
	assert_int_equal(count(t, "\nfaultline_fault_packets_total{"), 3 * 2 * 6);
	assert_non_null(strstr(t, "faultline_experiments{phase=\"Started\"} 1\n"));
	assert_non_null(strstr(t, "faultline_experiments{phase=\"Failed\"} 1\n"));
	assert_non_null(strstr(t, "faultline_experiments{phase=\"Aborted\"} 0\n"));
	assert_non_null(strstr(t, "faultline_trips_total 3\n"));
	/* cumulative buckets: 0.0003 is in le=0.0005 and above, 2 only in +Inf */
	assert_non_null(strstr(t, "faultline_trip_disarm_seconds_bucket{le=\"0.00025\"} 0\n"));
	assert_non_null(strstr(t, "faultline_trip_disarm_seconds_bucket{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(t, "faultline_trip_disarm_seconds_bucket{le=\"1\"} 1\n"));
	assert_non_null(strstr(t, "faultline_trip_disarm_seconds_bucket{le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(t, "faultline_trip_disarm_seconds_count 2\n"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest ctl_tests[] = {
		cmocka_unit_test(test_ctl_good),
		cmocka_unit_test(test_ctl_malformed),
		cmocka_unit_test(test_ctl_op),
		cmocka_unit_test(test_ctl_fields),
	};
	const struct CMUnitTest metrics_tests[] = {
		cmocka_unit_test(test_metrics_escape),
		cmocka_unit_test(test_metrics_families),
	};
	int failed = 0;

	failed |= cmocka_run_group_tests_name("ctl_parse", ctl_tests, NULL, NULL);
	failed |= cmocka_run_group_tests_name("metrics_render", metrics_tests, NULL, NULL);
	return failed ? 1 : 0;
}
