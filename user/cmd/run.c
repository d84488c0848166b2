// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `faultline run`, `validate` and `stop`: experiments from a file, run by
 * the engine in the foreground (foreground.c), as `inject` is.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include <json-c/json.h>

#include "breaker.h"
#include "commands.h"
#include "control.h"
#include "experiment.h"
#include "foreground.h"
#include "guards.h"
#include "log.h"
#include "state.h"

#define FL_WHO		"faultline run"

struct fl_run_args {
	bool json;
	bool dry_run;
	bool explain;
	bool agent;
	bool force;
	const char *socket;
	char report_dir[PATH_MAX];
	const char *path;
};

static void fl_exp_usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline run FILE [--json] [--report-dir DIR] [--dry-run] [--force] [-v]\n"
		"       faultline run FILE --explain [--json]\n"
		"       faultline run FILE --agent [--socket PATH] [--json]\n"
		"       faultline validate FILE [--force]\n"
		"       faultline stop [NAME|--all] [--socket PATH]\n"
		"\n"
		"Run an experiment: inject its faults into its targets for its duration, and\n"
		"stop within milliseconds when a failure condition trips.\n"
		"\n"
		"  --json            print the whole report as JSON on stdout\n"
		"  --report-dir DIR  write DIR/report.json and DIR/timeline.svg\n"
		"  --dry-run         resolve targets and kernel features, load the BPF programs\n"
		"                    and unload them, and show what would be attached where\n"
		"  --explain         say which failure conditions the kernel judges itself (and\n"
		"                    stops the faults the moment one trips) and which the loader\n"
		"                    judges, and why; touches nothing\n"
		"  --force           run past the guards: a duration over 1h; a target that is\n"
		"                    the root cgroup or holds PID 1's or faultline's own; a drop\n"
		"                    over 50%% on the host's default-route interface\n"
		"  --agent           run it in the agent ('faultline agent') and follow it there;\n"
		"                    the same report and exit code\n"
		"  --socket PATH     the agent's control socket (default " FL_AGENT_SOCKET ")\n"
		"\n"
		"Examples are in examples/ (example.yaml; full.yaml uses every field).\n"
		"Exit codes: 0 Succeeded, 1 Failed (a condition tripped), 2 invalid input,\n"
		"3 runtime or kernel error, 130 Aborted (SIGINT, SIGTERM or 'faultline stop').\n");
}

static int fl_exp_parse_args(int argc, char **argv, struct fl_run_args *r, bool *help)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "report-dir", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "explain", no_argument, NULL, 'e' },
		{ "agent", no_argument, NULL, 'a' },
		{ "socket", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jr:neas:fvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			r->json = true;
			break;
		case 'r':
			snprintf(r->report_dir, sizeof(r->report_dir), "%s", optarg);
			break;
		case 'n':
			r->dry_run = true;
			break;
		case 'e':
			r->explain = true;
			break;
		case 'a':
			r->agent = true;
			break;
		case 's':
			r->socket = optarg;
			break;
		case 'f':
			r->force = true;
			break;
		case 'v':
			fl_log_set_level(FL_LOG_DEBUG);
			break;
		case 'h':
			*help = true;
			return 0;
		default:
			fprintf(stderr, FL_WHO ": unknown option or missing value '%s'; see 'faultline run --help'\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, FL_WHO ": expected one experiment FILE; see 'faultline run --help'\n");
		return -EINVAL;
	}
	r->path = argv[optind];
	if (r->explain && (r->agent || r->dry_run || r->report_dir[0] || r->force)) {
		fprintf(stderr, FL_WHO ": --explain takes only --json\n");
		return -EINVAL;
	}
	/* the agent applies the guards with no way past them: see README */
	if (r->agent && (r->dry_run || r->report_dir[0] || r->force)) {
		fprintf(stderr, FL_WHO ": --agent takes only --socket and --json\n");
		return -EINVAL;
	}
	return 0;
}

/* Where each condition is judged (signals/breaker.c decides). */
static void fl_cmd_explain(const struct fl_experiment *exp, bool json)
{
	struct fl_brk_plan plan[FL_EXP_MAX_CONDITIONS];
	json_object *root = NULL, *arr = NULL;
	int i;

	fl_brk_plan(exp->conditions, exp->n_conditions, exp->n_targets, plan);
	if (json) {
		root = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(root, "experiment", json_object_new_string(exp->name));
		json_object_object_add(root, "conditions", arr);
	} else {
		printf("experiment %s: %d condition%s\n", exp->name, exp->n_conditions,
		       exp->n_conditions == 1 ? "" : "s");
	}
	for (i = 0; i < exp->n_conditions; i++) {
		const struct fl_condition *c = &exp->conditions[i];
		const struct fl_brk_plan *p = &plan[i];

		if (json) {
			json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(c->name));
			json_object_object_add(o, "signal",
					       json_object_new_string(fl_signal_name(c->signal)));
			json_object_object_add(o, "judgedIn",
					       json_object_new_string(p->kernel ? "kernel" : "userspace"));
			json_object_object_add(o, "why", json_object_new_string(p->why));
			if (p->kernel) {
				json_object_object_add(o, "tripsAt",
						       json_object_new_uint64(p->cfg.trip_at));
				json_object_object_add(o, "bucket_s",
						       json_object_new_double(p->bucket_ns / 1e9));
			}
			json_object_array_add(arr, o);
			continue;
		}
		if (p->kernel)
			printf("%s: kernel: %s %s %g over %.3gs trips at the event that makes it %llu, "
			       "and that program stops the faults; the window is kept in %u buckets "
			       "of %.3gs (it spans %.3gs to %.3gs)\n",
			       c->name, fl_signal_name(c->signal), fl_cmp_symbol(c->cmp), c->threshold,
			       c->window_ns / 1e9, (unsigned long long)p->cfg.trip_at, p->cfg.n_slots,
			       p->bucket_ns / 1e9, (p->cfg.n_slots - 1) * (p->bucket_ns / 1e9),
			       p->cfg.n_slots * (p->bucket_ns / 1e9));
		else
			printf("%s: userspace: %s %s %g: %s\n", c->name, fl_signal_name(c->signal),
			       fl_cmp_symbol(c->cmp), c->threshold, p->why);
	}
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY));
		json_object_put(root);
	}
}

int fl_cmd_run(int argc, char **argv)
{
	struct fl_run_args args = {};
	struct fl_experiment *exp;
	struct fl_fg_opts o = { .who = FL_WHO };
	bool help = false;
	char err[1024];
	int ret, code;

	if (fl_exp_parse_args(argc, argv, &args, &help))
		return FL_EXIT_USAGE;
	if (help) {
		fl_exp_usage(stdout);
		return FL_EXIT_OK;
	}
	if (args.agent)
		return fl_cmd_run_agent(args.path, args.socket ? args.socket : FL_AGENT_SOCKET,
					args.json);
	exp = calloc(1, sizeof(*exp));
	if (!exp) {
		fprintf(stderr, FL_WHO ": out of memory\n");
		return FL_EXIT_RUNTIME;
	}
	ret = fl_experiment_load(args.path, exp, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		free(exp);
		return ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
	}
	if (args.explain) {
		fl_cmd_explain(exp, args.json);
		fl_experiment_free(exp);
		free(exp);
		return FL_EXIT_OK;
	}
	exp->place.force = args.force;
	o.json = args.json;
	o.dry_run = args.dry_run;
	o.report_dir = args.report_dir[0] ? args.report_dir : NULL;
	code = fl_fg_run(exp, &o);
	free(exp);
	return code;
}

int fl_cmd_validate(int argc, char **argv)
{
	const char *path = NULL;
	struct fl_experiment *exp;
	bool force = false;
	char err[1024];
	int ret, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: faultline validate FILE [--force]\n\n"
			       "Check an experiment file without touching the kernel. The duration\n"
			       "guard (over 1h) is checked here, the others when 'run' resolves the\n"
			       "targets; --force accepts what 'run --force' would.\n");
			return FL_EXIT_OK;
		} else if (!strcmp(argv[i], "--force")) {
			force = true;
		} else if (argv[i][0] != '-' && !path) {
			path = argv[i];
		} else {
			path = NULL;
			break;
		}
	}
	if (!path) {
		fprintf(stderr, "Usage: faultline validate FILE [--force]\n");
		return FL_EXIT_USAGE;
	}
	exp = calloc(1, sizeof(*exp));
	if (!exp) {
		fprintf(stderr, "faultline validate: out of memory\n");
		return FL_EXIT_RUNTIME;
	}
	/* the parser runs every fault through the validator inject uses */
	ret = fl_experiment_load(path, exp, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		free(exp);
		return ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
	}
	/* valid for an agent, but not for this host: as `run` would say */
	if (fl_experiment_check_local(exp, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		fl_experiment_free(exp);
		free(exp);
		return FL_EXIT_USAGE;
	}
	/* the one guard that needs no host; run checks the others */
	if (!force && fl_guard_duration(exp->duration_ns, FL_GUARD_FORCE_HOW, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", path, err);
		fl_experiment_free(exp);
		free(exp);
		return FL_EXIT_USAGE;
	}
	printf("%s: valid: experiment %s, %d target%s, %d fault%s, %d condition%s, %d probe%s\n",
	       path, exp->name, exp->n_targets, exp->n_targets == 1 ? "" : "s", exp->n_faults,
	       exp->n_faults == 1 ? "" : "s", exp->n_conditions, exp->n_conditions == 1 ? "" : "s",
	       exp->n_probes, exp->n_probes == 1 ? "" : "s");
	fl_experiment_free(exp);
	free(exp);
	return FL_EXIT_OK;
}

struct fl_stop_ctx {
	const char *name;
	int stopped;
};

/* Signal the foreground runs recorded in the run-state directory @dir. */
static int fl_stop_in(const char *dir, void *ctx)
{
	struct fl_stop_ctx *sc = ctx;
	const char *name = sc->name;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	while (d && (de = readdir(d))) {
		char path[PATH_MAX + 256], running[256] = "", started[64] = "";
		union sigval v = { .sival_int = FL_STOP_SIGVAL };
		pid_t pid;
		FILE *f;

		if (sscanf(de->d_name, "exp.%d", &pid) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(running, sizeof(running), f))
			running[0] = 0;
		if (!fgets(started, sizeof(started), f))
			started[0] = 0;
		fclose(f);
		running[strcspn(running, "\n")] = 0;
		/* a run that was SIGKILLed left its file; its pid may be
		 * another process's by now
		 */
		if (strtoull(started, NULL, 10) != fl_proc_starttime(pid)) {
			unlink(path);
			continue;
		}
		if (name && strcmp(name, running))
			continue;
		if (!sigqueue(pid, SIGTERM, v)) {
			printf("faultline stop: stopping experiment %s (pid %d)\n", running, pid);
			sc->stopped++;
		} else if (errno == ESRCH) {
			unlink(path);	/* its process is gone */
		}
	}
	if (d)
		closedir(d);
	return 0;
}

int fl_cmd_stop(int argc, char **argv)
{
	const char *name = NULL, *socket = NULL;
	struct fl_stop_ctx sc = {};
	struct stat st;
	bool all = false;
	int stopped = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: faultline stop [NAME|--all] [--socket PATH]\n\n"
			       "Abort running experiments (all, or the one named NAME); they end as\n"
			       "Aborted, with everything detached and restored. When an agent's socket\n"
			       "exists (--socket, default " FL_AGENT_SOCKET "), through the agent;\n"
			       "otherwise the foreground runs: this uid's, and for root every uid's\n"
			       "under /run/user/*/faultline.\n");
			return FL_EXIT_OK;
		} else if (!strcmp(argv[i], "--all")) {
			all = true;
		} else if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			socket = argv[++i];
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			fprintf(stderr, "faultline stop: unexpected '%s'; see 'faultline stop --help'\n",
				argv[i]);
			return FL_EXIT_USAGE;
		}
	}
	if (all && name) {
		fprintf(stderr, "faultline stop: NAME or --all, not both\n");
		return FL_EXIT_USAGE;
	}
	sc.name = name;
	/* an agent named on the command line must be there; the default
	 * one only when it answers (a killed agent leaves its file)
	 */
	if (socket)
		return fl_cmd_stop_agent(socket, name);
	if (!stat(FL_AGENT_SOCKET, &st) && S_ISSOCK(st.st_mode)) {
		int fd = fl_ctl_connect(FL_AGENT_SOCKET);

		if (fd >= 0) {
			close(fd);
			return fl_cmd_stop_agent(FL_AGENT_SOCKET, name);
		}
	}
	fl_state_for_each_dir(fl_stop_in, &sc);
	stopped = sc.stopped;
	if (!stopped) {
		fprintf(stderr, "faultline stop: no running experiment%s%s\n", name ? " named " : "",
			name ? name : "");
		return FL_EXIT_RUNTIME;
	}
	return FL_EXIT_OK;
}
