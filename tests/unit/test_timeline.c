// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/timeline.c: round ticks, argument checks, and a few
 * rendered plots (tripped, not tripped, empty, hostile names, odd samples)
 * checked for structure and escaping and rendered to PNG by rsvg-convert,
 * which must be installed (librsvg2-bin).
 *
 * FL_TIMELINE_EXAMPLE=path also saves the two-panel example there, and
 * FL_TIMELINE_KEEP=1 keeps the rendered files (the directory is printed).
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "timeline.h"

#define N_RAMP	61

static char tmpdir[] = "/tmp/fl_timeline_XXXXXX";

static double ramp_t[N_RAMP], ramp_v[N_RAMP], rate_v[N_RAMP];

/* probe.failures over a 10 s window: quiet, then climbing once faults
 * start at 10 s, tripping at 17 s, falling after they end at 40 s.
 */
static void make_ramp(void)
{
	int i;

	for (i = 0; i < N_RAMP; i++) {
		ramp_t[i] = i;
		if (i < 11)
			ramp_v[i] = i % 3 == 0;
		else if (i <= 40)
			ramp_v[i] = fmin(i - 10, 10) + (i % 4 == 0);
		else
			ramp_v[i] = fmax(10 - (i - 40), 0);
		rate_v[i] = (i >= 12 && i <= 40) ? 0.94 + 0.01 * (i % 3) :
						   0.995 - 0.002 * (i % 2);
	}
}

static const struct fl_tl_series tripped_series = {
	.name = "probe-failures", .signal = "probe.failures", .op = ">",
	.threshold = 5, .t_s = ramp_t, .v = ramp_v, .n = N_RAMP,
	.tripped = 1, .trip_t_s = 17, .trip_v = 7,
};

static const struct fl_tl_series calm_series = {
	.name = "success-rate", .signal = "probe.successRate", .op = "<",
	.threshold = 0.9, .t_s = ramp_t, .v = rate_v, .n = N_RAMP,
};

static const struct fl_tl_series empty_series = {
	.name = "http-5xx", .signal = "http.responses.5xx", .op = ">=",
	.threshold = 3,
};

static const struct fl_tl_series hostile_series = {
	.name = "a<b&c>\"q'", .signal = "x<&>", .op = "<=",
	.threshold = 2, .t_s = ramp_t, .v = ramp_v, .n = 5,
	.tripped = 1, .trip_t_s = 3, .trip_v = 1,
};

/* ---- helpers ------------------------------------------------------- */

static char *path_in(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

/* Every element closed in order, nothing left open, and every '&' the
 * start of an entity: what a careless writer gets wrong first.
 */
static void check_wellformed(const char *doc)
{
	static const char *const ents[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
	};
	char stack[64][32];
	const char *p = doc, *end, *q;
	int depth = 0, roots = 0, ok;
	size_t n, i;

	for (q = strchr(doc, '&'); q; q = strchr(q + 1, '&')) {
		for (ok = 0, i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			ok |= !strncmp(q, ents[i], strlen(ents[i]));
		if (!ok)
			fail_msg("bare '&' at offset %zu", (size_t)(q - doc));
	}
	while ((p = strchr(p, '<'))) {
		if (!strncmp(p, "<?", 2)) {
			end = strstr(p, "?>");
			assert_non_null(end);
			p = end + 2;
			continue;
		}
		if (!strncmp(p, "<!--", 4)) {
			end = strstr(p, "-->");
			assert_non_null(end);
			p = end + 3;
			continue;
		}
		end = strchr(p, '>');
		assert_non_null(end);
		if (p[1] == '/') {
			n = strcspn(p + 2, " \t\n>");
			if (depth == 0)
				fail_msg("close tag with nothing open at %zu",
					 (size_t)(p - doc));
			depth--;
			if (strlen(stack[depth]) != n ||
			    strncmp(stack[depth], p + 2, n))
				fail_msg("</%.*s> closes <%s>", (int)n, p + 2,
					 stack[depth]);
		} else if (end[-1] != '/') {
			n = strcspn(p + 1, " \t\n/>");
			assert_true(n > 0 && n < sizeof(stack[0]));
			assert_true(depth < 64);
			memcpy(stack[depth], p + 1, n);
			stack[depth][n] = '\0';
			if (depth == 0)
				roots++;
			depth++;
		}
		/* No raw '<' inside a tag (an unescaped attribute). */
		q = memchr(p + 1, '<', end - p - 1);
		if (q)
			fail_msg("'<' inside a tag at %zu", (size_t)(q - doc));
		p = end + 1;
	}
	assert_int_equal(depth, 0);
	assert_int_equal(roots, 1);
}

/* rsvg-convert svg -> png; it must exist and succeed. */
static void to_png(const char *svg, const char *png)
{
	struct stat st;
	pid_t pid;
	int status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("rsvg-convert", "rsvg-convert", "-o", png, svg,
		       (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		fail_msg("rsvg-convert not found: install librsvg2-bin");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("rsvg-convert failed on %s (status 0x%x)", svg,
			 status);
	assert_int_equal(stat(png, &st), 0);
	assert_true(st.st_size > 8);
}

/* Save tl as name.svg, check it, render name.png; the text is returned. */
static char *render(const char *name, const struct fl_tl *tl)
{
	char svg[256], png[256];
	char *doc;

	snprintf(svg, sizeof(svg), "%s/%s.svg", tmpdir, name);
	snprintf(png, sizeof(png), "%s/%s.png", tmpdir, name);
	assert_int_equal(fl_timeline_save(svg, tl), 0);
	doc = slurp(svg, NULL);
	assert_true(!strncmp(doc, "<?xml", 5) || !strncmp(doc, "<svg", 4));
	assert_non_null(strstr(doc, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_null(strstr(doc, "<script"));
	assert_null(strstr(doc, "href"));
	assert_null(strstr(doc, "nan"));
	assert_null(strstr(doc, "inf"));
	check_wellformed(doc);
	to_png(svg, png);
	return doc;
}

/* ---- tests --------------------------------------------------------- */

static void test_nice_ticks(void **state)
{
	double first, step;

	(void)state;
	assert_int_equal(fl_timeline_nice_ticks(0, 97, 6, &first, &step), 5);
	assert_true(first == 0 && step == 20);
	assert_int_equal(fl_timeline_nice_ticks(0, 60, 12, &first, &step), 7);
	assert_true(first == 0 && step == 10);
	assert_int_equal(fl_timeline_nice_ticks(0, 1, 6, &first, &step), 6);
	assert_true(first == 0 && fabs(step - 0.2) < 1e-12);
	assert_int_equal(fl_timeline_nice_ticks(-3.7, 12.2, 6, &first, &step),
			 3);
	assert_true(first == 0 && step == 5);
	assert_int_equal(fl_timeline_nice_ticks(0.91, 0.998, 6, &first, &step),
			 4);
	assert_true(fabs(first - 0.92) < 1e-12 && fabs(step - 0.02) < 1e-12);
	assert_int_equal(fl_timeline_nice_ticks(0, 3e12, 6, &first, &step), 4);
	assert_true(step == 1e12);

	assert_int_equal(fl_timeline_nice_ticks(1, 1, 6, &first, &step),
			 -EINVAL);
	assert_int_equal(fl_timeline_nice_ticks(2, 1, 6, &first, &step),
			 -EINVAL);
	assert_int_equal(fl_timeline_nice_ticks(0, NAN, 6, &first, &step),
			 -EINVAL);
	assert_int_equal(fl_timeline_nice_ticks(0, 1, 1, &first, &step),
			 -EINVAL);
}

static void test_bad_args(void **state)
{
	struct fl_tl_series s = { .name = "x", .op = ">", .n = 3 };
	struct fl_tl tl = { .title = "t", .series = &s, .n_series = 1 };
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	assert_int_equal(fl_timeline_write_svg(NULL, &tl), -EINVAL);
	assert_int_equal(fl_timeline_write_svg(f, NULL), -EINVAL);
	assert_int_equal(fl_timeline_write_svg(f, &tl), -EINVAL);
	s.n = -1;
	assert_int_equal(fl_timeline_write_svg(f, &tl), -EINVAL);
	s.n = 0;
	tl.series = NULL;
	assert_int_equal(fl_timeline_write_svg(f, &tl), -EINVAL);
	tl.n_series = -1;
	assert_int_equal(fl_timeline_write_svg(f, &tl), -EINVAL);
	/* Nothing was written for any of them. */
	assert_int_equal(ftell(f), 0);
	fclose(f);

	tl.n_series = 0;
	assert_int_equal(fl_timeline_save(path_in("no/such/dir.svg"), &tl),
			 -ENOENT);
	assert_int_equal(fl_timeline_save(NULL, &tl), -EINVAL);
}

static void test_tripped(void **state)
{
	struct fl_tl tl = {
		.title = "checkout-latency", .state = "Failed",
		.started_at = "2026-11-27T17:57:32.123456789Z",
		.fault_start_s = 10, .fault_end_s = 40, .duration_s = 60,
		.series = &tripped_series, .n_series = 1,
	};
	char *doc;

	(void)state;
	doc = render("tripped", &tl);
	assert_non_null(strstr(doc, "threshold &gt; 5<"));
	assert_non_null(strstr(doc, "tripped: 7 &gt; 5 at t=17s"));
	assert_non_null(strstr(doc, "TRIPPED at 17 s"));
	assert_non_null(strstr(doc, ">Failed<"));
	assert_non_null(strstr(doc, "#d32f2f"));	/* red badge */
	assert_non_null(strstr(doc, "faults active 10\xe2\x80\x93" "40 s"));
	assert_non_null(strstr(doc, "stroke-dasharray"));
	assert_non_null(strstr(doc, ">probe-failures<"));
	/* t = 0 is named in the report's own timestamp format */
	assert_non_null(strstr(doc, "t = 0 at 2026-11-27T17:57:32.123456789Z"));
	free(doc);
}

static void test_not_tripped(void **state)
{
	struct fl_tl tl = {
		.title = "success-rate-holds", .state = "Succeeded",
		/* not a timestamp: left out rather than written unescaped */
		.started_at = "<b>",
		.fault_start_s = 10, .fault_end_s = 40, .duration_s = 60,
		.series = &calm_series, .n_series = 1,
	};
	char *doc;

	(void)state;
	doc = render("calm", &tl);
	assert_non_null(strstr(doc, "threshold &lt; 0.9<"));
	assert_null(strstr(doc, "tripped:"));
	assert_non_null(strstr(doc, ">not tripped<"));
	assert_non_null(strstr(doc, "#2e7d32"));	/* green badge */
	/* Fractions get decimals on the value axis. */
	assert_non_null(strstr(doc, ">0.90<"));
	assert_null(strstr(doc, "t = 0 at"));
	free(doc);
}

static void test_empty(void **state)
{
	struct fl_tl tl = {
		.title = "aborted-early", .state = "Aborted",
		.fault_start_s = NAN, .fault_end_s = NAN, .duration_s = 0,
		.series = &empty_series, .n_series = 1,
	};
	char *doc;

	(void)state;
	doc = render("empty", &tl);
	assert_non_null(strstr(doc, ">no samples<"));
	assert_non_null(strstr(doc, "threshold &gt;= 3<"));
	assert_non_null(strstr(doc, "no faults injected"));
	assert_non_null(strstr(doc, "#757575"));	/* grey badge */
	free(doc);

	tl.n_series = 0;
	tl.series = NULL;
	tl.state = "Error";
	doc = render("none", &tl);
	assert_non_null(strstr(doc, "no conditions to plot"));
	free(doc);
}

static void test_escaping(void **state)
{
	struct fl_tl tl = {
		.title = "t<&>\"'", .state = "<Weird & state>",
		.fault_start_s = 1, .fault_end_s = 2, .duration_s = 5,
		.series = &hostile_series, .n_series = 1,
	};
	char *doc;

	(void)state;
	doc = render("escaping", &tl);
	assert_non_null(strstr(doc, "a&lt;b&amp;c&gt;&quot;q&apos;"));
	assert_non_null(strstr(doc, "x&lt;&amp;&gt;"));
	assert_non_null(strstr(doc, "t&lt;&amp;&gt;&quot;&apos;"));
	assert_non_null(strstr(doc, "&lt;Weird &amp; state&gt;"));
	assert_non_null(strstr(doc, "tripped: 1 &lt;= 2 at t=3s"));
	assert_null(strstr(doc, "a<b"));
	assert_null(strstr(doc, "x<&"));
	free(doc);
}

static void test_odd_samples(void **state)
{
	static const double bad_t[] = { 0, 1, 2, NAN, 4, 5, 6, 7, 8 };
	static const double bad_v[] = { 1, INFINITY, 3, 4, NAN, 2, -INFINITY,
					1e301, 2 };
	static const double one_t[] = { 12.5 }, one_v[] = { 4 };
	static const double flat_t[] = { 0, 10, 20, 30 };
	static const double flat_v[] = { 7, 7, 7, 7 };
	static const double big_v[] = { 0, 4e9, 9.2e9, 1.3e10 };
	const struct fl_tl_series s[] = {
		{ .name = "gaps", .signal = "tcp.retransmits", .op = ">",
		  .threshold = 10, .t_s = bad_t, .v = bad_v, .n = 9 },
		{ .name = "single", .signal = "tcp.resets.sent", .op = ">",
		  .threshold = 3, .t_s = one_t, .v = one_v, .n = 1,
		  .tripped = 1, .trip_t_s = 12.5, .trip_v = 4 },
		{ .name = "flat", .signal = "packets.in", .op = ">",
		  .threshold = 7, .t_s = flat_t, .v = flat_v, .n = 4 },
		{ .name = "big", .signal = "bytes.out", .op = ">",
		  .threshold = 1e10, .t_s = flat_t, .v = big_v, .n = 4,
		  .tripped = 1, .trip_t_s = 30, .trip_v = 1.3e10 },
		{ .name = "no-value-trip", .signal = "x", .op = ">",
		  .threshold = NAN, .t_s = flat_t, .v = flat_v, .n = 4,
		  .tripped = 1, .trip_t_s = 20, .trip_v = NAN },
		{ .name = "bad\xff\xc0utf8\x01", .signal = "y", .op = ">",
		  .threshold = 1 },
	};
	struct fl_tl tl = {
		.title = "odd", .state = "Failed",
		.fault_start_s = 5, .fault_end_s = -1, .duration_s = NAN,
		.series = s, .n_series = 6,
	};
	char *doc;

	(void)state;
	doc = render("odd", &tl);
	assert_non_null(strstr(doc, "faults active from 5 s to the end"));
	assert_non_null(strstr(doc, "tripped: 4 &gt; 3 at t=12.5s"));
	assert_non_null(strstr(doc, "tripped: 13G &gt; 10G at t=30s"));
	assert_non_null(strstr(doc, "tripped at t=20s"));
	assert_non_null(strstr(doc, "bad\xef\xbf\xbd\xef\xbf\xbdutf8"));
	assert_null(strstr(doc, "\x01"));
	assert_non_null(strstr(doc, ">10G<"));	/* scaled axis ticks */
	free(doc);
}

/* A long run is thinned to what the pixels can show. */
static void test_many_samples(void **state)
{
	enum { N = 200000 };
	struct fl_tl_series s = {
		.name = "busy", .signal = "packets.in.rate", .op = ">",
		.threshold = 5e5,
	};
	struct fl_tl tl = {
		.title = "busy", .state = "Succeeded", .fault_start_s = 100,
		.fault_end_s = 200, .duration_s = 300, .series = &s,
		.n_series = 1,
	};
	double *t = malloc(N * sizeof(*t)), *v = malloc(N * sizeof(*v));
	size_t len;
	char *doc;
	int i;

	(void)state;
	assert_non_null(t);
	assert_non_null(v);
	for (i = 0; i < N; i++) {
		t[i] = i * 300.0 / N;
		v[i] = 4e5 + 5e4 * sin(i * 0.01) + (i % 7) * 1000;
	}
	s.t_s = t;
	s.v = v;
	s.n = N;
	doc = render("many", &tl);
	free(doc);
	free(slurp(path_in("many.svg"), &len));
	assert_true(len < 200 * 1024);
	free(t);
	free(v);
}

/* The report's typical shape: two conditions, one trips. */
static void test_example(void **state)
{
	const struct fl_tl_series s[] = { tripped_series, calm_series };
	struct fl_tl tl = {
		.title = "checkout: 30% loss on payments-db", .state = "Failed",
		.fault_start_s = 10, .fault_end_s = 40, .duration_s = 60,
		.series = s, .n_series = 2,
	};
	const char *keep = getenv("FL_TIMELINE_EXAMPLE");

	(void)state;
	free(render("example", &tl));
	if (keep && *keep)
		assert_int_equal(fl_timeline_save(keep, &tl), 0);
}

static int setup(void **state)
{
	(void)state;
	make_ramp();
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	struct dirent *de;
	DIR *d;

	(void)state;
	if (getenv("FL_TIMELINE_KEEP")) {
		printf("# kept %s\n", tmpdir);
		return 0;
	}
	d = opendir(tmpdir);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			unlink(path_in(de->d_name));
	closedir(d);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nice_ticks),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_tripped),
		cmocka_unit_test(test_not_tripped),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_odd_samples),
		cmocka_unit_test(test_many_samples),
		cmocka_unit_test(test_example),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
