// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One experiment in the foreground (see foreground.h). The signal handler
 * clears every armed flag itself, so the faults stop at the signal, not
 * after the slower detach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "common.h"
#include "engine.h"
#include "foreground.h"
#include "log.h"
#include "report.h"
#include "state.h"

#define FL_STATUS_TTY_NS	1000000000ULL
#define FL_STATUS_PLAIN_NS	5000000000ULL

static volatile sig_atomic_t fl_fg_signo;
static volatile sig_atomic_t fl_fg_stopper;	/* pid of `faultline stop`, or 0 */
static struct fl_engine *volatile fl_fg_engine;

static void fl_fg_on_signal(int signo, siginfo_t *si, void *uc)
{
	struct fl_engine *e = fl_fg_engine;

	(void)uc;
	if (e)
		fl_engine_disarm_all(e);
	if (si && si->si_code == SI_QUEUE && si->si_value.sival_int == FL_STOP_SIGVAL)
		fl_fg_stopper = si->si_pid;
	fl_fg_signo = signo;
}

static void fl_fg_signals(void)
{
	struct sigaction sa = {};

	sa.sa_sigaction = fl_fg_on_signal;
	/* no SA_RESTART: the poll must return at once */
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

unsigned long long fl_proc_starttime(pid_t pid)
{
	unsigned long long start = 0;
	char path[64], buf[1024], *p;
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* the command name may hold spaces and parentheses: skip past its end */
	p = strrchr(buf, ')');
	for (i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

/* What `faultline stop [NAME]` reads: this run's name and start time. */
static int fl_fg_write_state(const char *name)
{
	char path[PATH_MAX];
	FILE *f;

	if (!fl_state_dir())
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/exp.%d", fl_state_dir(), getpid());
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\n%llu\n", name, fl_proc_starttime(getpid()));
	return fclose(f) ? -errno : 0;
}

static void fl_fg_forget_state(void)
{
	char path[PATH_MAX];

	if (!fl_state_dir())
		return;
	snprintf(path, sizeof(path), "%s/exp.%d", fl_state_dir(), getpid());
	unlink(path);
}

static void fl_fg_dry_run(const struct fl_job *j)
{
	const struct fl_experiment *x = fl_job_experiment(j);
	const struct fl_run *run = fl_job_run(j);
	char buf[512];
	int i;

	printf("experiment %s: %d target%s, %d fault%s, %d condition%s, %d probe%s, for %.1fs\n",
	       x->name, x->n_targets, x->n_targets == 1 ? "" : "s", x->n_faults,
	       x->n_faults == 1 ? "" : "s", x->n_conditions, x->n_conditions == 1 ? "" : "s",
	       x->n_probes, x->n_probes == 1 ? "" : "s", x->duration_ns / 1e9);
	for (i = 0; i < run->spec.n_targets; i++)
		printf("  target %s (cgroup id %llu, level %u)\n", run->spec.targets[i].path,
		       (unsigned long long)run->spec.targets[i].cgid, run->spec.targets[i].level);
	for (i = 0; i < x->n_faults; i++) {
		fl_fault_describe(&x->faults[i], buf, sizeof(buf));
		printf("  fault %s: %s\n", x->faults[i].name, buf);
	}
	for (i = 0; i < x->n_conditions; i++) {
		const struct fl_condition *c = &x->conditions[i];

		printf("  condition %s: %s %s %g", c->name, fl_signal_name(c->signal),
		       fl_cmp_name(c->cmp), c->threshold);
		if (c->window_ns)
			printf(" over %.1fs", c->window_ns / 1e9);
		if (c->signal == FL_SIG_PROMETHEUS)
			printf(": %s at %s every %.1fs", c->prom_query, c->prom_url,
			       c->prom_interval_ns / 1e9);
		printf("\n");
	}
	for (i = 0; i < x->n_probes; i++) {
		const struct fl_exp_probe *p = &x->probes[i];

		printf("  probe %s: %s %s every %.3fs, timeout %.3fs%s%s\n", p->name,
		       p->kind == FL_PROBE_HTTP ? "HTTP GET" : "TCP connect",
		       p->kind == FL_PROBE_HTTP ? p->url : p->address, p->interval_ns / 1e9,
		       p->timeout_ns / 1e9, p->netns ? ", from " : "", p->netns ? p->netns : "");
	}
	printf("  tc: %s; ingress: %s\n", run->tcx ? "tcx links" : "clsact filters",
	       fl_ingress_name(run->ingress));
	for (i = 0; i < run->n_ns; i++)
		printf("  netns %s: %s\n", run->ns[i].path,
		       run->ns[i].owned ? "owned by a target" : "shared");
	for (i = 0; i < run->n_place; i++) {
		const struct fl_place *p = &run->place[i];

		printf("  would attach %s on %s in %s%s\n",
		       p->peer ? "peer egress (target ingress)" : "egress and ingress",
		       p->ifname, run->ns[p->ns].path, p->fq ? ", with fq as the root qdisc" : "");
	}
	if (run->ingress == FL_INGRESS_CGROUP)
		for (i = 0; i < run->spec.n_targets; i++)
			printf("  would attach cgroup ingress on %s\n", run->spec.targets[i].path);
	if (run->spec.observe_tp)
		printf("  would attach tracepoints for the TCP signals the conditions use\n");
}

static void fl_fg_started(const struct fl_job *j)
{
	const struct fl_experiment *x = fl_job_experiment(j);
	const struct fl_run *run = fl_job_run(j);
	int i;

	fprintf(stderr, "faultline: experiment %s started: %d target%s, %d attachment%s", x->name,
		x->n_targets, x->n_targets == 1 ? "" : "s", run->n_att, run->n_att == 1 ? "" : "s");
	for (i = 0; i < run->n_att; i++)
		fprintf(stderr, "%s %s on %s", i ? "," : ":", fl_hook_name(run->att[i].hook),
			fl_hook_is_cgroup(run->att[i].hook) ? run->att[i].cgroup :
			run->att[i].ifname);
	if (run->n_qd)
		fprintf(stderr, ", fq on %d interface%s", run->n_qd, run->n_qd == 1 ? "" : "s");
	fprintf(stderr, "; %d condition%s, for %.1fs\n", x->n_conditions,
		x->n_conditions == 1 ? "" : "s", x->duration_ns / 1e9);
}

static void fl_fg_loop(struct fl_engine *e, struct fl_job *j, const struct fl_fg_opts *o)
{
	bool tty = isatty(STDERR_FILENO), show = tty || !o->json;
	__u64 every = tty ? FL_STATUS_TTY_NS : FL_STATUS_PLAIN_NS, last = fl_mono_ns();
	struct fl_job_status st;
	bool stopped = false;
	int ret;

	while (!fl_job_ended(j)) {
		if (fl_fg_signo && !stopped) {
			fl_engine_stop_all(e, fl_fg_signo, fl_fg_stopper);
			stopped = true;
		}
		ret = fl_engine_step(e, 100);
		if (ret < 0)
			pr_warn("\n%s: waiting for evidence failed: %s\n", o->who, strerror(-ret));
		if (show && !fl_job_ended(j) && fl_mono_ns() - last >= every) {
			last = fl_mono_ns();
			fl_job_status(j, &st);
			fl_report_status(stderr, tty, &st);
		}
	}
	/* the last line shows the state that ended the run */
	if (show) {
		fl_job_status(j, &st);
		fl_report_status(stderr, tty, &st);
		if (tty)
			fprintf(stderr, "\n");
	}
}

int fl_fg_run(struct fl_experiment *exp, const struct fl_fg_opts *o)
{
	const struct fl_result *res;
	struct fl_engine *e = NULL;
	struct fl_job *j = NULL;
	char err[1024], warn[512], file[PATH_MAX];
	int ret, code = FL_EXIT_RUNTIME;

	snprintf(file, sizeof(file), "%s", exp->file);
	if (fl_caps_check(err, sizeof(err), warn, sizeof(warn))) {
		fprintf(stderr, "%s: missing capabilities: %s; " FL_CAPS_HINT "\n", o->who, err);
		goto cleanup;
	}
	if (warn[0])
		fprintf(stderr, "%s: running without %s\n", o->who, warn);
	/* the capabilities first, so a missing one is named for any uid;
	 * then where this uid keeps its run state, before anything is loaded
	 */
	if (!o->dry_run && fl_state_dir_ready(err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", o->who, err);
		goto cleanup;
	}
	if (fl_engine_new(&e, o->who)) {
		fprintf(stderr, "%s: out of memory\n", o->who);
		goto cleanup;
	}
	ret = fl_engine_add(e, exp, &j, err, sizeof(err));
	if (ret) {
		/* "" when the placement already said why; a file position
		 * stands on its own; anything else gets the command's name
		 */
		if (file[0] && !strncmp(err, file, strlen(file)))
			fprintf(stderr, "%s\n", err);
		else if (err[0])
			fprintf(stderr, "%s: %s\n", o->who, err);
		code = ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
		goto cleanup;
	}
	if (o->dry_run) {
		fl_fg_dry_run(j);
		ret = fl_job_dry_load(j);
		if (ret < 0) {
			fprintf(stderr, "%s: dry run: this kernel refused faultline's BPF programs: %s; "
				"see 'faultline features' and run with -v for the verifier log\n",
				o->who, strerror(-ret));
			goto cleanup;
		}
		printf("  BPF: %d program%s, maps and ring buffer loaded and verified by this kernel, then unloaded\n",
		       ret, ret == 1 ? "" : "s");
		code = FL_EXIT_OK;
		goto cleanup;
	}

	/* resolved (placement read /proc): attaching needs only the four,
	 * and capabilities are per thread, so they go before the probe
	 * threads start; CAP_SYS_PTRACE, when given, stays for a probe's
	 * /proc/PID/ns path, opened at start
	 */
	if (fl_caps_drop_others(true, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", o->who, err);
		goto cleanup;
	}
	fl_fg_signals();
	fl_fg_engine = e;
	fl_fg_write_state(fl_job_experiment(j)->name);
	if (fl_fg_signo)
		fl_job_stop(j, fl_fg_signo, fl_fg_stopper);
	if (!fl_job_start(j) && !fl_job_ended(j))
		fl_fg_started(j);
	/* started: detaching and restoring need only the four */
	if (fl_caps_drop_others(false, err, sizeof(err))) {
		fprintf(stderr, "%s: %s; stopping\n", o->who, err);
		fl_job_stop(j, SIGTERM, fl_fg_stopper);
	}
	fl_fg_loop(e, j, o);

	res = fl_job_result(j);
	if (o->json)
		fl_report_json(stdout, res);
	else
		fl_report_text(stdout, res);
	fflush(stdout);
	if (o->report_dir && fl_report_dir(o->report_dir, res, err, sizeof(err)))
		fprintf(stderr, "%s: %s\n", o->who, err);
	code = fl_state_exit_code(res->state);
	fl_fg_forget_state();
cleanup:
	fl_fg_engine = NULL;
	fl_engine_free(e);
	fl_experiment_free(exp);
	return code;
}
