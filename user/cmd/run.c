// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `faultline run`, `validate` and `stop`: experiments from a file. Faults
 * are injected into the targets; failure conditions are measured in the
 * kernel (ring buffer records), by probes and by Prometheus; the first
 * condition to trip clears the armed flag at once (the faults stop there)
 * and everything is then detached and restored, before the report.
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

#include "commands.h"
#include "exp_report.h"
#include "experiment.h"
#include "targets.h"
#include "log.h"
#include "monitor.h"
#include "probes.h"
#include "prompoll.h"
#include "report.h"
#include "run.h"
#include "state.h"

#define FL_WHO		"faultline run"
#define FL_TICK_MS	50

/* `faultline stop` queues SIGTERM with this value, so the report can tell
 * it from a SIGTERM sent by anything else.
 */
#define FL_STOP_SIGVAL	0x666c7374	/* "flst" */

static volatile sig_atomic_t fl_exp_signo;
static volatile sig_atomic_t fl_exp_stopper;	/* pid of `faultline stop`, or 0 */
static struct fl_datapath *volatile fl_exp_dp;

static void fl_exp_on_signal(int signo, siginfo_t *si, void *uc)
{
	(void)uc;
	if (fl_exp_dp)
		fl_dp_disarm(fl_exp_dp);
	if (si && si->si_code == SI_QUEUE && si->si_value.sival_int == FL_STOP_SIGVAL)
		fl_exp_stopper = si->si_pid;
	fl_exp_signo = signo;
}

/* The start time of @pid in clock ticks since boot (field 22 of
 * /proc/PID/stat), or 0: with the pid, it names one process for good.
 */
static unsigned long long fl_proc_starttime(pid_t pid)
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

static __u64 fl_clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The runner: the run of faults plus what watches it. */
struct fl_exp_runner {
	struct fl_experiment exp;
	struct fl_run run;
	struct fl_monitor mon;
	struct fl_probes *probes;
	struct fl_prompoll *prom;
	struct fl_exp_result res;
	bool json;
	bool dry_run;
	char report_dir[PATH_MAX];
	const char *path;
};

static void fl_exp_usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline run FILE [--json] [--report-dir DIR] [--dry-run] [-v]\n"
		"       faultline validate FILE\n"
		"       faultline stop [NAME]\n"
		"\n"
		"Run an experiment: inject its faults into its targets for its duration, and\n"
		"stop within milliseconds when a failure condition trips.\n"
		"\n"
		"  --json            print the whole report as JSON on stdout\n"
		"  --report-dir DIR  write DIR/report.json and DIR/timeline.svg\n"
		"  --dry-run         resolve targets and kernel features and show what would be\n"
		"                    attached where, without attaching\n"
		"\n"
		"Exit codes: 0 Succeeded, 1 Failed (a condition tripped), 2 invalid input,\n"
		"3 runtime or kernel error, 130 Aborted (SIGINT, SIGTERM or 'faultline stop').\n");
}

/* An experiment's faults become the rules every target gets, in order. */
static int fl_exp_to_spec(const struct fl_experiment *exp, struct fl_spec *spec, char *err,
			  size_t errlen)
{
	int i;

	memset(spec, 0, sizeof(*spec));
	if (exp->n_targets > FL_SPEC_MAX_TARGETS) {
		snprintf(err, errlen, "%d targets; at most %d", exp->n_targets, FL_SPEC_MAX_TARGETS);
		return -EINVAL;
	}
	spec->n_targets = exp->n_targets;
	for (i = 0; i < exp->n_targets; i++)
		snprintf(spec->targets[i].path, sizeof(spec->targets[i].path), "%s",
			 exp->targets[i].cgroup);
	spec->n_rules = exp->n_faults;
	for (i = 0; i < exp->n_faults; i++) {
		const struct fl_fault *f = &exp->faults[i];
		struct fl_fault *r = &spec->rules[i];

		r->dir_mask = f->dir_mask;
		r->proto = f->proto;
		r->n_ports = f->n_ports;
		memcpy(r->ports, f->ports, sizeof(r->ports));
		r->n_peers = f->n_peers < FL_FAULT_MAX_PEERS ? f->n_peers : FL_FAULT_MAX_PEERS;
		memcpy(r->peers, f->peers, sizeof(r->peers[0]) * r->n_peers);
		if (f->has_drop) {
			r->drop_pct = f->drop_pct;
			r->drop_prob = f->drop_prob;
		}
		if (f->has_delay) {
			r->delay_ns = f->delay_ns;
			r->jitter_ns = f->jitter_ns;
			r->dist = f->dist;
			r->correlation = f->correlation;
			r->reorder = f->reorder;
		}
		if (f->has_rate) {
			r->rate = f->rate;
			r->rate_unit = f->rate_unit;
			r->rate_per = f->rate_per;
		}
	}
	spec->duration_ns = exp->duration_ns;
	spec->observe = true;
	spec->observe_tp = fl_monitor_tracepoints(exp->conditions, exp->n_conditions);
	return 0;
}

static int fl_exp_parse_args(int argc, char **argv, struct fl_exp_runner *r, bool *help)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "report-dir", required_argument, NULL, 'r' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jr:nvh", opts, NULL)) != -1) {
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
	return 0;
}

/* A target that is not a cgroup v2 directory is bad input like any
 * other: said at its place in the file, before anything is attached.
 */
static int fl_exp_check_targets(struct fl_exp_runner *r, char *err, size_t errlen)
{
	char why[400];
	int i;

	for (i = 0; i < r->exp.n_targets; i++) {
		if (!fl_target_resolve(&r->run.spec.targets[i], why, sizeof(why)))
			continue;
		snprintf(err, errlen, "%s:%d:%d: targets[%d].cgroup: %s", r->path,
			 r->exp.targets[i].line, r->exp.targets[i].col, i, why);
		return -EINVAL;
	}
	return 0;
}

/* A run cannot have Succeeded when a condition was not judged all along:
 * a Prometheus query that answered with an error (no sample, several, not
 * a number, the server down) or never answered. A trip still counts: it
 * is proof on its own.
 */
static bool fl_exp_unjudged(const struct fl_monitor *m, char *reason, size_t len)
{
	int i;

	for (i = 0; i < m->n; i++) {
		const struct fl_mon_cond *mc = &m->conds[i];

		if (mc->c->signal != FL_SIG_PROMETHEUS)
			continue;
		if (!mc->n_answers) {
			snprintf(reason, len, "condition %s was never judged: no answer from %s",
				 mc->c->name, mc->c->prom_url);
			return true;
		}
		if (mc->n_errors) {
			snprintf(reason, len,
				 "condition %s was not judged throughout: %llu of %llu Prometheus answers were errors (newest: %s)",
				 mc->c->name, (unsigned long long)mc->n_errors,
				 (unsigned long long)mc->n_answers, mc->error);
			return true;
		}
	}
	return false;
}

static void fl_exp_on_trip(void *ctx)
{
	struct fl_exp_runner *r = ctx;

	/* the faults stop here: one store the programs read on every packet */
	fl_dp_disarm(&r->run.dp);
	r->res.disarmed_ns = fl_clock_ns(CLOCK_MONOTONIC);
}

static void fl_exp_flow_cb(void *ctx, const struct fl_event *e, const struct fl_flow_delta *d)
{
	struct fl_exp_runner *r = ctx;

	fl_monitor_flow(&r->mon, e, d);
}

static void fl_exp_signal_cb(void *ctx, const struct fl_event *e)
{
	struct fl_exp_runner *r = ctx;

	fl_monitor_signal(&r->mon, e);
}

static void fl_exp_probe_cb(const struct fl_probe_sample *s, void *arg)
{
	struct fl_exp_runner *r = arg;

	r->res.probe_samples[s->probe]++;
	if (!s->ok)
		r->res.probe_failures[s->probe]++;
	fl_monitor_probe(&r->mon, s);
}

static void fl_exp_prom_cb(const struct fl_prom_result *p, void *arg)
{
	struct fl_exp_runner *r = arg;

	fl_monitor_prom(&r->mon, p->cond, p->ts_ns, p->value, p->ok ? NULL : p->error);
}

static int fl_exp_start_probes(struct fl_exp_runner *r)
{
	struct fl_probe_cfg cfgs[FL_EXP_MAX_PROBES];
	int i, ret;

	if (!r->exp.n_probes)
		return 0;
	memset(cfgs, 0, sizeof(cfgs));
	for (i = 0; i < r->exp.n_probes; i++) {
		const struct fl_exp_probe *p = &r->exp.probes[i];

		snprintf(cfgs[i].name, sizeof(cfgs[i].name), "%s", p->name);
		cfgs[i].kind = p->kind;
		if (p->url)
			snprintf(cfgs[i].url, sizeof(cfgs[i].url), "%s", p->url);
		if (p->address)
			snprintf(cfgs[i].address, sizeof(cfgs[i].address), "%s", p->address);
		cfgs[i].expect_status = p->expect_status;
		cfgs[i].interval_ns = p->interval_ns;
		cfgs[i].timeout_ns = p->timeout_ns;
		if (p->netns)
			snprintf(cfgs[i].netns, sizeof(cfgs[i].netns), "%s", p->netns);
	}
	ret = fl_probes_start(&r->probes, cfgs, r->exp.n_probes);
	if (ret)
		fprintf(stderr, FL_WHO ": starting the probes failed: %s\n", strerror(-ret));
	return ret;
}

static void fl_exp_dry_run(const struct fl_exp_runner *r)
{
	const struct fl_run *run = &r->run;
	int i;

	printf("experiment %s: %d target%s, %d fault%s, %d condition%s, %d probe%s, for %.1fs\n",
	       r->exp.name, r->exp.n_targets, r->exp.n_targets == 1 ? "" : "s", r->exp.n_faults,
	       r->exp.n_faults == 1 ? "" : "s", r->exp.n_conditions,
	       r->exp.n_conditions == 1 ? "" : "s", r->exp.n_probes, r->exp.n_probes == 1 ? "" : "s",
	       r->exp.duration_ns / 1e9);
	for (i = 0; i < run->spec.n_targets; i++)
		printf("  target %s (cgroup id %llu, level %u)\n", run->spec.targets[i].path,
		       (unsigned long long)run->spec.targets[i].cgid, run->spec.targets[i].level);
	for (i = 0; i < r->exp.n_faults; i++) {
		const struct fl_fault *f = &r->exp.faults[i];

		printf("  fault %s: %s, %s, %d peer%s, %d port%s:", f->name,
		       f->dir_mask == FL_DIRM_BOTH ? "both directions" :
		       f->dir_mask == FL_DIRM_INGRESS ? "ingress" : "egress",
		       f->proto == FL_PROTO_ANY ? "any protocol" : fl_proto_name(f->proto),
		       f->n_peers, f->n_peers == 1 ? "" : "s", f->n_ports, f->n_ports == 1 ? "" : "s");
		if (f->has_drop)
			printf(" drop %g%%", f->drop_pct);
		if (f->has_delay)
			printf(" delay %.3f ms, jitter %.3f ms", f->delay_ns / 1e6, f->jitter_ns / 1e6);
		if (f->has_rate)
			printf(" rate %llu %s", (unsigned long long)f->rate,
			       f->rate_unit == FL_RATE_PPS ? "packets/s" : "bits/s");
		printf("\n");
	}
	for (i = 0; i < r->exp.n_conditions; i++) {
		const struct fl_condition *c = &r->exp.conditions[i];

		printf("  condition %s: %s %s %g", c->name, fl_signal_name(c->signal),
		       fl_cmp_name(c->cmp), c->threshold);
		if (c->window_ns)
			printf(" over %.1fs", c->window_ns / 1e9);
		if (c->signal == FL_SIG_PROMETHEUS)
			printf(": %s at %s every %.1fs", c->prom_query, c->prom_url,
			       c->prom_interval_ns / 1e9);
		printf("\n");
	}
	for (i = 0; i < r->exp.n_probes; i++) {
		const struct fl_exp_probe *p = &r->exp.probes[i];

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

/* The dry run's kernel check: the programs this run needs are loaded (the
 * verifier passes them, the maps and ring buffer are made) and closed at
 * once, attached nowhere.
 */
static int fl_exp_dry_load(struct fl_exp_runner *r)
{
	unsigned int mask = fl_place_progs(&r->run);
	int ret, n = __builtin_popcount(mask);

	ret = fl_dp_open(&r->run.dp, mask);
	if (ret) {
		fprintf(stderr, FL_WHO ": dry run: this kernel refused faultline's BPF programs: %s; "
			"see 'faultline features' and run with -v for the verifier log\n",
			strerror(-ret));
		return ret;
	}
	fl_dp_close(&r->run.dp);
	printf("  BPF: %d program%s, maps and ring buffer loaded and verified by this kernel, then unloaded\n",
	       n, n == 1 ? "" : "s");
	return 0;
}

static void fl_exp_status(const struct fl_exp_runner *r, __u64 now, bool tty)
{
	int i;

	fprintf(stderr, "%s[%.0fs/%.0fs] %s", tty ? "\r\033[K" : "",
		(now - r->res.start_ns) / 1e9, r->exp.duration_ns / 1e9, r->exp.name);
	for (i = 0; i < r->mon.n; i++) {
		const struct fl_mon_cond *mc = &r->mon.conds[i];

		if (mc->has_value)
			fprintf(stderr, " | %s %.4g (trips %s %.4g)", mc->c->name, mc->value,
				fl_cmp_symbol(mc->c->cmp), mc->c->threshold);
		else
			fprintf(stderr, " | %s (no data)", mc->c->name);
	}
	fprintf(stderr, "%s", tty ? "" : "\n");
	fflush(stderr);
}

static int fl_exp_loop(struct fl_exp_runner *r, __u64 deadline)
{
	bool tty = isatty(STDERR_FILENO);
	__u64 status_every = tty ? 1000000000ULL : 5000000000ULL, last_status;
	struct pollfd pfd[3];
	int npfd = 0, ret;

	pfd[npfd++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(r->run.ev.rb), .events = POLLIN };
	if (r->probes)
		pfd[npfd++] = (struct pollfd){ .fd = fl_probes_fd(r->probes), .events = POLLIN };
	if (r->prom)
		pfd[npfd++] = (struct pollfd){ .fd = fl_prompoll_fd(r->prom), .events = POLLIN };
	last_status = r->res.start_ns;
	while (!fl_exp_signo && r->mon.tripped < 0) {
		__u64 now = fl_clock_ns(CLOCK_MONOTONIC);
		int timeout;

		if (now >= deadline)
			break;
		timeout = (deadline - now) / 1000000 + 1;
		if (timeout > FL_TICK_MS)
			timeout = FL_TICK_MS;
		ret = poll(pfd, npfd, timeout);
		if (ret < 0 && errno != EINTR) {
			fprintf(stderr, "\n" FL_WHO ": poll failed: %s\n", strerror(errno));
			return -errno;
		}
		/* records first: each is judged as it is taken */
		ring_buffer__consume(r->run.ev.rb);
		if (r->probes)
			fl_probes_drain(r->probes, fl_exp_probe_cb, r);
		if (r->prom)
			fl_prompoll_drain(r->prom, fl_exp_prom_cb, r);
		if (r->mon.tripped >= 0)
			break;
		now = fl_clock_ns(CLOCK_MONOTONIC);
		fl_monitor_tick(&r->mon, now < deadline ? now : deadline);
		if (now - last_status >= status_every && (tty || !r->json)) {
			last_status = now;
			fl_exp_status(r, now, tty);
		}
	}
	/* the last line shows the state that ended the run */
	if (tty || !r->json) {
		fl_exp_status(r, fl_clock_ns(CLOCK_MONOTONIC), tty);
		if (tty)
			fprintf(stderr, "\n");
	}
	return 0;
}

static int fl_exp_write_state(const char *name)
{
	char path[128];
	FILE *f;

	mkdir(FL_STATE_DIR, 0700);
	snprintf(path, sizeof(path), FL_STATE_DIR "/exp.%d", getpid());
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\n%llu\n", name, fl_proc_starttime(getpid()));
	return fclose(f) ? -errno : 0;
}

static void fl_exp_forget_state(void)
{
	char path[128];

	snprintf(path, sizeof(path), FL_STATE_DIR "/exp.%d", getpid());
	unlink(path);
}

int fl_cmd_run(int argc, char **argv)
{
	struct fl_exp_runner *r;
	struct sigaction sa = {};
	bool help = false;
	char err[1024];
	__u64 deadline;
	int ret, code = FL_EXIT_RUNTIME;

	r = calloc(1, sizeof(*r));
	if (!r) {
		fprintf(stderr, FL_WHO ": out of memory\n");
		return FL_EXIT_RUNTIME;
	}
	r->run.lock_fd = -1;
	/* a run that fails before its monitor starts reports no trip */
	r->mon.tripped = -1;
	r->mon.trip_target = -1;
	if (fl_exp_parse_args(argc, argv, r, &help)) {
		code = FL_EXIT_USAGE;
		goto out_free;
	}
	if (help) {
		fl_exp_usage(stdout);
		code = FL_EXIT_OK;
		goto out_free;
	}
	ret = fl_experiment_load(r->path, &r->exp, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		code = ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
		goto out_free;
	}
	if (fl_exp_to_spec(&r->exp, &r->run.spec, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", r->path, err);
		code = FL_EXIT_USAGE;
		goto out_exp;
	}
	if (geteuid() != 0) {
		fprintf(stderr, FL_WHO ": needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN); run it with sudo\n");
		goto out_exp;
	}
	r->res.state = FL_EXP_PENDING;
	if (fl_exp_check_targets(r, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		code = FL_EXIT_USAGE;
		goto out_exp;
	}
	ret = fl_place_resolve(&r->run, FL_WHO);
	if (ret) {
		code = ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
		goto cleanup;
	}
	if (r->dry_run) {
		fl_exp_dry_run(r);
		code = fl_exp_dry_load(r) ? FL_EXIT_RUNTIME : FL_EXIT_OK;
		goto cleanup;
	}

	sa.sa_sigaction = fl_exp_on_signal;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fl_exp_dp = &r->run.dp;
	fl_exp_write_state(r->exp.name);

	if (fl_session_start(&r->run, FL_WHO)) {
		r->res.state = FL_EXP_ERROR;
		snprintf(r->res.reason, sizeof(r->res.reason), "attaching failed (see above)");
		goto report;
	}
	r->run.ev.on_flow = fl_exp_flow_cb;
	r->run.ev.on_signal = fl_exp_signal_cb;
	r->run.ev.cb_ctx = r;

	/* one clock for every timestamp: monotonic, converted once */
	r->res.real_minus_mono = (__s64)(fl_clock_ns(CLOCK_REALTIME) - fl_clock_ns(CLOCK_MONOTONIC));
	r->res.start_ns = fl_clock_ns(CLOCK_MONOTONIC);
	deadline = r->res.start_ns + r->exp.duration_ns;
	ret = fl_monitor_init(&r->mon, r->exp.conditions, r->exp.n_conditions, r->exp.n_targets,
			      r->res.start_ns);
	if (ret) {
		r->res.state = FL_EXP_ERROR;
		snprintf(r->res.reason, sizeof(r->res.reason), "setting up the conditions failed: %s",
			 strerror(-ret));
		goto report;
	}
	r->mon.on_trip = fl_exp_on_trip;
	r->mon.ctx = r;
	/* armed first: a probe sample taken before the faults is no evidence */
	if (!fl_exp_signo)
		fl_dp_arm(&r->run.dp, deadline);
	if (fl_exp_start_probes(r) || fl_prompoll_start(&r->prom, r->exp.conditions,
							r->exp.n_conditions)) {
		r->res.state = FL_EXP_ERROR;
		snprintf(r->res.reason, sizeof(r->res.reason), "starting probes or Prometheus queries failed");
		goto report;
	}
	r->res.state = FL_EXP_STARTED;
	fprintf(stderr, "faultline: experiment %s started: %d attachment%s, %d condition%s, for %.1fs\n",
		r->exp.name, r->run.n_att, r->run.n_att == 1 ? "" : "s", r->exp.n_conditions,
		r->exp.n_conditions == 1 ? "" : "s", r->exp.duration_ns / 1e9);

	ret = fl_exp_loop(r, deadline);
	fl_dp_disarm(&r->run.dp);
	/* the state is decided here: records read while detaching update
	 * the final values but trip nothing
	 */
	r->mon.closed = true;
	r->res.end_ns = fl_clock_ns(CLOCK_MONOTONIC);
	if (!r->res.disarmed_ns)
		r->res.disarmed_ns = r->res.end_ns;
	if (r->mon.tripped >= 0) {
		const struct fl_condition *c = r->mon.conds[r->mon.tripped].c;

		r->res.state = FL_EXP_FAILED;
		snprintf(r->res.reason, sizeof(r->res.reason), "condition %s tripped: %s %.6g %s %.6g",
			 c->name, fl_signal_name(c->signal), r->mon.trip_value, fl_cmp_symbol(c->cmp),
			 c->threshold);
	} else if (fl_exp_signo) {
		r->res.state = FL_EXP_ABORTED;
		if (fl_exp_stopper)
			snprintf(r->res.reason, sizeof(r->res.reason),
				 "stopped by 'faultline stop' (pid %d)", (int)fl_exp_stopper);
		else
			snprintf(r->res.reason, sizeof(r->res.reason), "stopped by %s",
				 sigabbrev_np(fl_exp_signo));
	} else if (ret) {
		r->res.state = FL_EXP_ERROR;
		snprintf(r->res.reason, sizeof(r->res.reason), "the run loop failed: %s", strerror(-ret));
	} else if (fl_exp_unjudged(&r->mon, r->res.reason, sizeof(r->res.reason))) {
		r->res.state = FL_EXP_ERROR;
	} else {
		r->res.state = FL_EXP_SUCCEEDED;
		snprintf(r->res.reason, sizeof(r->res.reason), "the duration elapsed and no condition tripped");
	}
report:
	r->res.links = r->run.n_att + r->run.dp.n_tp_links;
	fl_session_stop(&r->run, FL_WHO);
	r->res.detached_ns = fl_clock_ns(CLOCK_MONOTONIC);
	if (!r->res.end_ns)
		r->res.end_ns = r->res.detached_ns;
	fl_probes_stop(r->probes);
	r->probes = NULL;
	fl_prompoll_stop(r->prom);
	r->prom = NULL;
	if (r->run.ev.rb) {
		ring_buffer__consume(r->run.ev.rb);
		fl_events_sweep(&r->run.ev, fl_dp_flows_fd(&r->run.dp));
		fl_dp_read_counters(&r->run.dp, r->run.spec.n_targets, r->run.spec.n_rules,
				    &r->res.counters);
	}
	r->res.exp = &r->exp;
	r->res.run = &r->run;
	r->res.mon = &r->mon;
	if (r->json)
		fl_exp_report_json(stdout, &r->res);
	else
		fl_exp_report_text(stdout, &r->res);
	if (r->report_dir[0] && fl_exp_report_dir(r->report_dir, &r->res, err, sizeof(err)))
		fprintf(stderr, FL_WHO ": %s\n", err);
	switch (r->res.state) {
	case FL_EXP_SUCCEEDED:
		code = FL_EXIT_OK;
		break;
	case FL_EXP_FAILED:
		code = 1;
		break;
	case FL_EXP_ABORTED:
		code = 130;
		break;
	default:
		code = FL_EXIT_RUNTIME;
	}
cleanup:
	fl_session_stop(&r->run, FL_WHO);
	fl_exp_dp = NULL;
	fl_monitor_free(&r->mon);
	fl_session_free(&r->run);
	fl_exp_forget_state();
out_exp:
	fl_experiment_free(&r->exp);
out_free:
	free(r);
	return code;
}

int fl_cmd_validate(int argc, char **argv)
{
	struct fl_experiment exp;
	struct fl_spec *spec;
	char err[1024];
	int ret;

	if (argc != 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc == 2 ? stdout : stderr,
			"Usage: faultline validate FILE\n\nCheck an experiment file without touching the kernel.\n");
		return argc == 2 ? FL_EXIT_OK : FL_EXIT_USAGE;
	}
	ret = fl_experiment_load(argv[1], &exp, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		return ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
	}
	spec = calloc(1, sizeof(*spec));
	ret = spec ? fl_exp_to_spec(&exp, spec, err, sizeof(err)) : -ENOMEM;
	free(spec);
	if (ret) {
		fprintf(stderr, "%s: %s\n", argv[1], ret == -ENOMEM ? "out of memory" : err);
		fl_experiment_free(&exp);
		return FL_EXIT_USAGE;
	}
	printf("%s: valid: experiment %s, %d target%s, %d fault%s, %d condition%s, %d probe%s\n",
	       argv[1], exp.name, exp.n_targets, exp.n_targets == 1 ? "" : "s", exp.n_faults,
	       exp.n_faults == 1 ? "" : "s", exp.n_conditions, exp.n_conditions == 1 ? "" : "s",
	       exp.n_probes, exp.n_probes == 1 ? "" : "s");
	fl_experiment_free(&exp);
	return FL_EXIT_OK;
}

int fl_cmd_stop(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	struct dirent *de;
	int stopped = 0;
	DIR *d;

	if (name && (!strcmp(name, "--help") || !strcmp(name, "-h"))) {
		printf("Usage: faultline stop [NAME]\n\nAbort running experiments (all, or the one named NAME);\nthey end as Aborted, with everything detached and restored.\n");
		return FL_EXIT_OK;
	}
	d = opendir(FL_STATE_DIR);
	while (d && (de = readdir(d))) {
		char path[512], running[256] = "", started[64] = "";
		union sigval v = { .sival_int = FL_STOP_SIGVAL };
		pid_t pid;
		FILE *f;

		if (sscanf(de->d_name, "exp.%d", &pid) != 1)
			continue;
		snprintf(path, sizeof(path), FL_STATE_DIR "/%s", de->d_name);
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
			stopped++;
		} else {
			unlink(path);	/* its process is gone */
		}
	}
	if (d)
		closedir(d);
	if (!stopped) {
		fprintf(stderr, "faultline stop: no running experiment%s%s\n", name ? " named " : "",
			name ? name : "");
		return FL_EXIT_RUNTIME;
	}
	return FL_EXIT_OK;
}
