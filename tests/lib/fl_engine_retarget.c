// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Test tool: one experiment file in an engine, and targets added to and
 * removed from it while it runs, as the node agent does for pods that
 * come and go. Commands come one per line on stdin:
 *
 *   add cgroup|pid|container|pod-uid VALUE   -> "added VALUE" or "error VALUE: why"
 *   remove REF                               -> "removed REF" or "error REF: why"
 *   stop                                     (or end of input)
 *
 * Each answer line also gives the return value ("rc=-17"). At the end it
 * prints "ended NAME STATE" and writes the JSON report to REPORT. An
 * OTHER experiment file runs beside it in the same engine, untouched, so
 * that a target of the other is refused.
 *
 *   fl_engine_retarget FILE REPORT [OTHER]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "report.h"

static const struct {
	const char *word;
	enum fl_target_kind kind;
} kinds[] = {
	{ "cgroup", FL_TARGET_CGROUP },
	{ "pid", FL_TARGET_PID },
	{ "container", FL_TARGET_CONTAINER },
	{ "pod-uid", FL_TARGET_POD_UID },
};

static void command(struct fl_job *j, char *line, bool *stop)
{
	char err[2048] = "", *verb = strtok(line, " \n"), *a = strtok(NULL, " \n");
	char *b = strtok(NULL, "\n");
	struct fl_exp_target t;
	const char *what;
	size_t i;
	int ret;

	if (!verb)
		return;
	if (!strcmp(verb, "stop")) {
		*stop = true;
		return;
	}
	if (!strcmp(verb, "remove") && a) {
		ret = fl_job_remove_target(j, a, err, sizeof(err));
		if (ret)
			printf("error %s: %s rc=%d\n", a, err, ret);
		else
			printf("removed %s rc=0\n", a);
		return;
	}
	for (i = 0; verb && !strcmp(verb, "add") && a && b && i < sizeof(kinds) / sizeof(kinds[0]);
	     i++) {
		if (strcmp(a, kinds[i].word))
			continue;
		ret = fl_exp_target_set(&t, kinds[i].kind, b, &what);
		if (ret) {
			printf("error %s: expected %s rc=%d\n", b, what, ret);
			return;
		}
		ret = fl_job_add_target(j, &t, err, sizeof(err));
		fl_exp_target_free(&t);
		if (ret)
			printf("error %s: %s rc=%d\n", b, err, ret);
		else
			printf("added %s rc=0\n", b);
		return;
	}
	printf("error: unknown command\n");
}

int main(int argc, char **argv)
{
	struct fl_experiment *x = NULL;
	struct fl_engine *e = NULL;
	const struct fl_result *r;
	bool stop = false, eof = false;
	struct fl_job *j = NULL, *o = NULL;
	char err[1024], line[4096];
	size_t have = 0;
	int ret = 1;
	FILE *f;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: fl_engine_retarget FILE REPORT [OTHER]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	x = calloc(1, sizeof(*x));
	if (!x || fl_experiment_load(argv[1], x, err, sizeof(err))) {
		fprintf(stderr, "%s\n", x ? err : "out of memory");
		goto out;
	}
	if (fl_engine_new(&e, "fl_engine_retarget"))
		goto out;
	if (fl_engine_add(e, x, &j, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		goto out;
	}
	if (fl_job_start(j)) {
		fprintf(stderr, "%s: starting failed\n", argv[1]);
		goto out;
	}
	if (argc == 4) {
		fl_experiment_free(x);
		memset(x, 0, sizeof(*x));
		if (fl_experiment_load(argv[3], x, err, sizeof(err)) ||
		    fl_engine_add(e, x, &o, err, sizeof(err)) || fl_job_start(o)) {
			fprintf(stderr, "%s: %s\n", argv[3], err);
			goto out;
		}
		printf("started %s\n", fl_job_experiment(o)->name);
	}
	printf("started %s\n", fl_job_experiment(j)->name);
	while (!fl_job_ended(j)) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		ssize_t n;
		char *nl;

		if (stop)
			fl_job_stop(j, 0, 0);
		fl_engine_step(e, 20);
		if (eof || stop || poll(&p, 1, 0) <= 0)
			continue;
		n = read(0, line + have, sizeof(line) - 1 - have);
		if (n <= 0) {
			eof = stop = true;
			continue;
		}
		have += n;
		line[have] = 0;
		while ((nl = strchr(line, '\n'))) {
			size_t len = nl - line + 1;
			char cmd[4096];

			memcpy(cmd, line, len);
			cmd[len] = 0;
			memmove(line, line + len, have - len + 1);
			have -= len;
			command(j, cmd, &stop);
		}
	}
	r = fl_job_result(j);
	printf("ended %s %s\n", r->name, fl_state_name(r->state));
	f = fopen(argv[2], "w");
	if (!f || fl_report_json(f, r))
		fprintf(stderr, "writing %s failed: %s\n", argv[2], strerror(errno));
	if (f)
		fclose(f);
	ret = 0;
out:
	if (x) {
		fl_experiment_free(x);
		free(x);
	}
	fl_engine_free(e);
	return ret;
}
