// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Test tool: several experiment files in one engine, the way the node
 * agent will hold them. Prints "started NAME" when each is armed and
 * "ended NAME STATE" as each ends, and writes DIR/NAME.json, so a selftest
 * can check that one experiment's trip, deadline and result are its own.
 *
 *   fl_engine_multi --report-dir DIR FILE...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "report.h"

static volatile sig_atomic_t stop_signo;

static void on_signal(int signo)
{
	stop_signo = signo;
}

int main(int argc, char **argv)
{
	struct fl_job *jobs[FL_ENGINE_MAX_JOBS] = {};
	bool reported[FL_ENGINE_MAX_JOBS] = {};
	struct fl_engine *e = NULL;
	const char *dir;
	int n = 0, i, left, ret = 1;
	char err[1024];

	if (argc < 4 || strcmp(argv[1], "--report-dir") || argc - 3 > FL_ENGINE_MAX_JOBS) {
		fprintf(stderr, "usage: fl_engine_multi --report-dir DIR FILE...\n");
		return 2;
	}
	dir = argv[2];
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (fl_engine_new(&e, "fl_engine_multi"))
		return 1;
	for (i = 3; i < argc; i++) {
		struct fl_experiment *x = calloc(1, sizeof(*x));

		if (!x || fl_experiment_load(argv[i], x, err, sizeof(err))) {
			fprintf(stderr, "%s\n", x ? err : "out of memory");
			free(x);
			goto out;
		}
		ret = fl_engine_add(e, x, &jobs[n], err, sizeof(err));
		fl_experiment_free(x);
		free(x);
		if (ret) {
			fprintf(stderr, "%s: %s\n", argv[i], err);
			ret = 1;
			goto out;
		}
		n++;
	}
	for (i = 0; i < n; i++) {
		fl_job_start(jobs[i]);
		printf("started %s\n", fl_job_experiment(jobs[i])->name);
	}
	fflush(stdout);
	do {
		if (stop_signo)
			fl_engine_stop_all(e, stop_signo, 0);
		left = fl_engine_step(e, 100);
		for (i = 0; i < n; i++) {
			const struct fl_result *r = fl_job_result(jobs[i]);
			char path[4096];
			FILE *f;

			if (!r || reported[i])
				continue;
			reported[i] = true;
			printf("ended %s %s\n", r->name, fl_state_name(r->state));
			fflush(stdout);
			snprintf(path, sizeof(path), "%s/%s.json", dir, r->name);
			f = fopen(path, "w");
			if (!f || fl_report_json(f, r))
				fprintf(stderr, "writing %s failed: %s\n", path, strerror(errno));
			if (f)
				fclose(f);
		}
	} while (left > 0);
	ret = 0;
out:
	fl_engine_free(e);
	return ret;
}
