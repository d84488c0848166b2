// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The node agent (see agent.h): its experiments, its clients and its one
 * loop. The loop polls the agent's own descriptors without waiting, then
 * lets the engine wait for evidence (at most a tick): a request waits at
 * most one tick, and the engine's timing is the foreground run's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "agent.h"
#include "common.h"
#include "control.h"
#include "controller.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "pin.h"
#include "report.h"
#include "specdir.h"
#include "targets.h"

#define FL_AGENT_TICK_MS	50
#define FL_AGENT_MAX_CLIENTS	32
#define FL_AGENT_MAX_EXPS	(FL_ENGINE_MAX_JOBS + FL_AGENT_KEEP_ENDED)
#define FL_AGENT_STATUS_NS	NSEC_PER_SEC
#define FL_AGENT_METRICS_NS	(NSEC_PER_SEC / 2)
/* SIGTERM must end the agent within 5 s: detaching is ~8 ms per link */
#define FL_AGENT_DRAIN_NS	(4 * NSEC_PER_SEC)

/* One experiment the agent holds: running (job), or ended (its report). */
struct fl_agent_exp {
	bool used;
	char name[FL_NAME_MAX];
	char source[PATH_MAX];		/* the spec directory's file, or "" */
	struct timespec mtime;		/* of source, when it was read */
	struct fl_job *job;		/* NULL once ended */
	__u64 seq;			/* submission order */
	bool adopted;			/* taken back from a previous agent's pins */
	bool k8s;			/* an Experiment of the Kubernetes API */
	bool held;			/* adopted from the API: kept, even ended, until
					 * the controller's first list claims it */
	/* once ended */
	enum fl_state state;
	double elapsed_s, duration_s;
	int exit_code;
	json_object *report;
	char *text;
};

struct fl_agent_client {
	int fd;				/* -1: a free slot */
	uid_t uid;
	pid_t pid;
	struct fl_ctl_lines in;
	struct fl_agent_exp *follow;	/* the experiment it follows, or NULL */
	__u64 next_status_ns;
};

struct fl_agent {
	struct fl_agent_opts o;
	struct fl_engine *e;
	int listen_fd;
	int pin_fd;			/* the pin directory, flocked */
	bool pinning;			/* it is on bpffs: experiments are pinned */
	struct fl_specdir sd;
	struct fl_metrics_server *metrics;
	struct fl_k8s_ctl *k8s;		/* NULL: no Kubernetes API */
	struct fl_agent_exp exps[FL_AGENT_MAX_EXPS];
	struct fl_agent_client clients[FL_AGENT_MAX_CLIENTS];
	__u64 seq;
	/* for /metrics: what ended experiments add */
	struct fl_metrics_snap totals;
	__u64 next_metrics_ns;
};

static json_object *fl_agent_error(const char *class, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(false));
	json_object_object_add(o, "class", json_object_new_string(class));
	json_object_object_add(o, "exit_code",
			       json_object_new_int(!strcmp(class, FL_CTL_INVALID) ?
						   FL_EXIT_USAGE : FL_EXIT_RUNTIME));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

/* Send and drop @o; a client that cannot take it is closed later. */
static void fl_agent_reply(struct fl_agent_client *c, json_object *o)
{
	if (c && c->fd >= 0 && fl_ctl_send(c->fd, o))
		c->follow = NULL;
	json_object_put(o);
}

static void fl_agent_client_close(struct fl_agent_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	fl_ctl_lines_free(&c->in);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* ---- experiments ---- */

static struct fl_agent_exp *fl_agent_find(struct fl_agent *a, const char *name, bool running)
{
	struct fl_agent_exp *best = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a->exps); i++) {
		struct fl_agent_exp *x = &a->exps[i];

		if (!x->used || strcmp(x->name, name) || (running && !x->job))
			continue;
		if (x->job)
			return x;
		/* the newest ended one of that name */
		if (!best || x->seq > best->seq)
			best = x;
	}
	return best;
}

static struct fl_agent_exp *fl_agent_find_source(struct fl_agent *a, const char *source)
{
	struct fl_agent_exp *best = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a->exps); i++) {
		struct fl_agent_exp *x = &a->exps[i];

		if (x->used && x->source[0] && !strcmp(x->source, source) &&
		    (!best || x->seq > best->seq))
			best = x;
	}
	return best;
}

static void fl_agent_exp_clear(struct fl_agent_exp *x)
{
	json_object_put(x->report);
	free(x->text);
	memset(x, 0, sizeof(*x));
}

/* A free slot, the oldest ended experiment's if none is free. */
static struct fl_agent_exp *fl_agent_slot(struct fl_agent *a)
{
	struct fl_agent_exp *old = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a->exps); i++) {
		struct fl_agent_exp *x = &a->exps[i];

		if (!x->used)
			return x;
		if (!x->job && (!old || x->seq < old->seq))
			old = x;
	}
	if (old)
		fl_agent_exp_clear(old);
	return old;
}

/* Does @j's target overlap a running experiment's? Says which in @err. */
static bool fl_agent_overlaps(struct fl_agent *a, struct fl_job *j, char *err, size_t errlen)
{
	const struct fl_spec *s = &fl_job_run(j)->spec;
	int t;

	for (t = 0; t < s->n_targets; t++)
		if (fl_engine_overlap(a->e, j, &s->targets[t], err, errlen))
			return true;
	return false;
}

static void fl_agent_send_started(struct fl_agent_client *c, struct fl_agent_exp *x)
{
	const struct fl_run *run = fl_job_run(x->job);
	json_object *o = json_object_new_object();
	char line[512];

	snprintf(line, sizeof(line),
		 "faultline: experiment %s started in the agent: %d attachment%s, for %.1fs",
		 x->name, run->n_att, run->n_att == 1 ? "" : "s", x->duration_s);
	json_object_object_add(o, "event", json_object_new_string("started"));
	json_object_object_add(o, "name", json_object_new_string(x->name));
	json_object_object_add(o, "line", json_object_new_string(line));
	fl_agent_reply(c, o);
}

static void fl_agent_send_end(struct fl_agent_client *c, struct fl_agent_exp *x)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string("end"));
	json_object_object_add(o, "name", json_object_new_string(x->name));
	json_object_object_add(o, "state", json_object_new_string(fl_state_name(x->state)));
	json_object_object_add(o, "exit_code", json_object_new_int(x->exit_code));
	json_object_object_add(o, "report", json_object_get(x->report));
	json_object_object_add(o, "text", json_object_new_string(x->text ? x->text : ""));
	fl_agent_reply(c, o);
	c->follow = NULL;
}

/* Take an ended job's result into its record, and let the engine go. */
static void fl_agent_reap(struct fl_agent *a, struct fl_agent_exp *x)
{
	const struct fl_result *r = fl_job_result(x->job);
	size_t i, len = 0;
	FILE *f;
	int d;

	x->state = r->state;
	x->exit_code = fl_state_exit_code(r->state);
	x->elapsed_s = r->start_ns ? (r->end_ns - r->start_ns) / 1e9 : 0;
	x->report = fl_report_json_object(r);
	f = open_memstream(&x->text, &len);
	if (f) {
		fl_report_text(f, r);
		fclose(f);
	}
	if (r->tripped >= 0) {
		a->totals.trips++;
		if (r->trip_ns && r->disarmed_ns)
			fl_metrics_observe_latency(&a->totals, r->disarmed_ns > r->trip_ns ?
						   (r->disarmed_ns - r->trip_ns) / 1e9 : 0);
	}
	for (d = 0; d < FL_DIR_MAX; d++)
		a->totals.ringbuf_lost += r->counters.stats[d].ringbuf_fail;
	fl_log_exp(FL_LOG_INFO, x->name, "ended %s: %s\n", fl_state_name(r->state), r->reason);
	if (a->k8s)
		fl_k8s_ctl_ended(a->k8s, x->name, r, x->report);
	fl_engine_remove(a->e, x->job);
	x->job = NULL;
	for (i = 0; i < ARRAY_SIZE(a->clients); i++)
		if (a->clients[i].fd >= 0 && a->clients[i].follow == x)
			fl_agent_send_end(&a->clients[i], x);
}

static void fl_agent_reap_all(struct fl_agent *a)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a->exps); i++)
		if (a->exps[i].used && a->exps[i].job && !a->exps[i].held &&
		    fl_job_ended(a->exps[i].job))
			fl_agent_reap(a, &a->exps[i]);
}

/* Once the controller has its first list: the taken-back Experiments it
 * claimed are its own again (their ends are written to their entries);
 * the others were deleted while no agent ran, and stop.
 */
static void fl_agent_k8s_claims(struct fl_agent *a)
{
	size_t i;

	if (!a->k8s || !fl_k8s_ctl_synced(a->k8s))
		return;
	for (i = 0; i < ARRAY_SIZE(a->exps); i++) {
		struct fl_agent_exp *x = &a->exps[i];

		if (!x->used || !x->held)
			continue;
		x->held = false;
		if (x->job && !fl_job_ended(x->job) && !fl_k8s_ctl_owns(a->k8s, x->name)) {
			fl_log_exp(FL_LOG_INFO, x->name, "taken back, then stopped: its Experiment is gone\n");
			fl_job_stop_why(x->job, "its Experiment was deleted while the agent was down");
		}
	}
}

/* Stop one experiment and wait for its end (a restart needs its name and
 * targets free); the engine serves the others meanwhile.
 */
static void fl_agent_stop_wait(struct fl_agent *a, struct fl_agent_exp *x)
{
	__u64 end = fl_mono_ns() + FL_AGENT_DRAIN_NS;

	if (!x->job)
		return;
	fl_job_stop(x->job, 0, 0);
	while (!fl_job_ended(x->job) && fl_mono_ns() < end)
		fl_engine_step(a->e, 0);
	fl_agent_reap_all(a);
}

/* The pins of experiment @name: <pin-dir>/<name>, its '.' spelled '+'
 * (bpffs refuses a dot in a name; a name has no '+': fl_name_valid).
 */
static void fl_agent_pin_path(struct fl_agent *a, const char *name, char *buf, size_t len)
{
	char *p;
	int n;

	n = snprintf(buf, len, "%s/", a->o.pin_dir);
	snprintf(buf + n, len - n, "%s", name);
	for (p = buf + n; *p; p++)
		if (*p == '.')
			*p = '+';
}

/* What the agent needs besides the engine's part to take @x back: where it
 * came from, and the spec file's mtime then (a file changed while no agent
 * ran starts afresh).
 */
static int fl_agent_pin(struct fl_agent *a, struct fl_agent_exp *x)
{
	json_object *o = json_object_new_object();
	char path[PATH_MAX];
	struct stat st;
	int ret;

	if (x->source[0] && !stat(x->source, &st)) {
		x->mtime = st.st_mtim;
		json_object_object_add(o, "mtime_s", json_object_new_int64(st.st_mtim.tv_sec));
		json_object_object_add(o, "mtime_ns", json_object_new_int64(st.st_mtim.tv_nsec));
	}
	json_object_object_add(o, "source", json_object_new_string(x->source));
	json_object_object_add(o, "k8s", json_object_new_boolean(x->k8s));
	fl_agent_pin_path(a, x->name, path, sizeof(path));
	ret = fl_job_set_pin(x->job, path, json_object_to_json_string(o));
	json_object_put(o);
	return ret;
}

/* Add, check and start @exp (moved). On success the record; otherwise
 * NULL with the error's class and message.
 */
static struct fl_agent_exp *fl_agent_submit(struct fl_agent *a, struct fl_experiment *exp,
					    const char *source, bool k8s, const char **class,
					    char *err, size_t errlen)
{
	struct fl_agent_exp *x;
	char name[FL_NAME_MAX];
	struct fl_job *j;
	int ret;

	*class = FL_CTL_RUNTIME;
	snprintf(name, sizeof(name), "%s", exp->name);
	err[0] = 0;
	if (a->o.cgroup_root && !exp->place.cgroup_root[0])
		snprintf(exp->place.cgroup_root, sizeof(exp->place.cgroup_root), "%s",
			 a->o.cgroup_root);
	ret = fl_engine_add(a->e, exp, &j, err, errlen);
	if (ret) {
		if (ret == -EINVAL)
			*class = FL_CTL_INVALID;
		if (!err[0])
			fl_set_err(err, errlen, "experiment %s: resolving where to attach failed: %s (the agent's log says more)",
				   name, strerror(-ret));
		return NULL;
	}
	if (fl_agent_overlaps(a, j, err, errlen)) {
		fl_engine_remove(a->e, j);
		return NULL;
	}
	x = fl_agent_slot(a);
	if (!x) {
		fl_engine_remove(a->e, j);
		fl_set_err(err, errlen, "the agent holds %d experiments; stop one first",
			   FL_AGENT_MAX_EXPS);
		return NULL;
	}
	x->used = true;
	x->job = j;
	x->seq = ++a->seq;
	snprintf(x->name, sizeof(x->name), "%s", name);
	snprintf(x->source, sizeof(x->source), "%s", source ? source : "");
	x->duration_s = fl_job_experiment(j)->duration_ns / 1e9;
	x->k8s = k8s;
	if (a->pinning)
		ret = fl_agent_pin(a, x);
	else
		ret = 0;
	if (!ret)
		ret = fl_job_start(j);
	if (ret || fl_job_ended(j)) {
		const struct fl_result *r = fl_job_result(j);

		fl_set_err(err, errlen, "experiment %s: %s", name,
			   r ? r->reason : strerror(-ret));
		fl_agent_reap(a, x);
		return NULL;
	}
	fl_log_exp(FL_LOG_INFO, name, "started%s%s: %d attachment%s, for %.1fs\n",
		   source ? " from " : "", source ? source : "", fl_job_run(j)->n_att,
		   fl_job_run(j)->n_att == 1 ? "" : "s", x->duration_s);
	return x;
}

/* ---- the Kubernetes API (controller.h) ---- */

static int fl_agent_k8s_start(void *ctx, const char *yaml, char *err, size_t errlen)
{
	struct fl_experiment *exp = calloc(1, sizeof(*exp));
	struct fl_agent *a = ctx;
	struct fl_agent_exp *x;
	const char *class;
	int ret;

	if (!exp)
		return -ENOMEM;
	ret = fl_experiment_parse("<Experiment>", yaml, strlen(yaml), exp, err, errlen);
	if (ret) {
		free(exp);
		return ret;
	}
	x = fl_agent_submit(a, exp, NULL, true, &class, err, errlen);
	fl_experiment_free(exp);
	free(exp);
	return x ? 0 : -EINVAL;
}

static void fl_agent_k8s_stop(void *ctx, const char *name)
{
	struct fl_agent_exp *x = fl_agent_find(ctx, name, true);

	if (x && x->job)
		fl_job_stop(x->job, 0, 0);
}

static int fl_agent_k8s_status(void *ctx, const char *name, struct fl_job_status *st)
{
	struct fl_agent_exp *x = fl_agent_find(ctx, name, true);

	if (!x || !x->job)
		return -ENOENT;
	fl_job_status(x->job, st);
	return 0;
}

static int fl_agent_k8s_add_pod(void *ctx, const char *name, const char *uid, char *err,
				size_t errlen)
{
	struct fl_agent_exp *x = fl_agent_find(ctx, name, true);
	struct fl_exp_target t;
	const char *what;
	int ret;

	if (!x || !x->job) {
		fl_set_err(err, errlen, "experiment %s is not running here", name);
		return -ENOENT;
	}
	ret = fl_exp_target_set(&t, FL_TARGET_POD_UID, uid, &what);
	if (ret) {
		fl_set_err(err, errlen, "pod uid %s: expected %s", uid, what);
		return ret;
	}
	ret = fl_job_add_target(x->job, &t, err, errlen);
	fl_exp_target_free(&t);
	return ret;
}

static int fl_agent_k8s_remove_pod(void *ctx, const char *name, const char *uid, char *err,
				   size_t errlen)
{
	struct fl_agent_exp *x = fl_agent_find(ctx, name, true);

	if (!x || !x->job) {
		fl_set_err(err, errlen, "experiment %s is not running here", name);
		return -ENOENT;
	}
	return fl_job_remove_target(x->job, uid, err, errlen);
}

static const struct fl_k8s_ops fl_agent_k8s_ops = {
	.start = fl_agent_k8s_start,
	.stop = fl_agent_k8s_stop,
	.status = fl_agent_k8s_status,
	.add_pod = fl_agent_k8s_add_pod,
	.remove_pod = fl_agent_k8s_remove_pod,
};

/* ---- the spec directory ---- */

static void fl_agent_spec_start(struct fl_agent *a, const char *path, const struct stat *st)
{
	struct fl_experiment *exp = calloc(1, sizeof(*exp));
	struct fl_agent_exp *x;
	const char *class;
	char err[1024];
	int ret;

	if (!exp)
		return;
	ret = fl_experiment_load(path, exp, err, sizeof(err));
	if (ret) {
		/* the validator's FILE:LINE:COL; the file is skipped */
		pr_warn("spec dir: skipped: %s\n", err);
		free(exp);
		return;
	}
	x = fl_agent_submit(a, exp, path, false, &class, err, sizeof(err));
	fl_experiment_free(exp);
	free(exp);
	if (!x) {
		pr_warn("spec dir: %s: not started: %s\n", path, err);
		return;
	}
	if (st)
		x->mtime = st->st_mtim;
}

static void fl_agent_on_spec(void *ctx, const char *path, enum fl_specdir_event ev)
{
	struct fl_agent *a = ctx;
	struct fl_agent_exp *x = fl_agent_find_source(a, path);
	struct stat st;

	if (ev == FL_SPECDIR_REMOVED) {
		if (x && x->job) {
			fl_log_exp(FL_LOG_INFO, x->name, "%s was removed: stopping\n", path);
			fl_agent_stop_wait(a, x);
		}
		return;
	}
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return;
	if (x && x->mtime.tv_sec == st.st_mtim.tv_sec && x->mtime.tv_nsec == st.st_mtim.tv_nsec)
		return;	/* read already (a rescan, or an event for what was scanned) */
	if (x && x->job) {
		fl_log_exp(FL_LOG_INFO, x->name, "%s changed: restarting\n", path);
		fl_agent_stop_wait(a, x);
	}
	fl_agent_spec_start(a, path, &st);
}

/* SIGHUP: what the directory holds now. Started or restarted through
 * the same path as events; files that are gone stop their experiments.
 */
static void fl_agent_rescan(struct fl_agent *a)
{
	size_t i;

	pr_info("spec dir: rereading %s\n", a->sd.dir);
	for (i = 0; i < ARRAY_SIZE(a->exps); i++) {
		struct fl_agent_exp *x = &a->exps[i];

		if (x->used && x->job && x->source[0] && access(x->source, F_OK))
			fl_agent_on_spec(a, x->source, FL_SPECDIR_REMOVED);
	}
	fl_specdir_scan(&a->sd, fl_agent_on_spec, a);
}

/* ---- requests ---- */

static json_object *fl_agent_exp_json(struct fl_agent_exp *x)
{
	json_object *o = json_object_new_object(), *conds = json_object_new_array();
	struct fl_job_status st;
	int i;

	json_object_object_add(o, "name", json_object_new_string(x->name));
	json_object_object_add(o, "source", x->source[0] ?
			       json_object_new_string(x->source) : NULL);
	if (x->adopted)
		json_object_object_add(o, "adopted", json_object_new_boolean(true));
	if (!x->job) {
		json_object_object_add(o, "phase", json_object_new_string(fl_state_name(x->state)));
		json_object_object_add(o, "elapsed_s", fl_json_num(x->elapsed_s));
		json_object_object_add(o, "duration_s", fl_json_num(x->duration_s));
		json_object_object_add(o, "conditions", json_object_get(json_object_object_get(
					       x->report, "conditions")));
		json_object_put(conds);
		return o;
	}
	fl_job_status(x->job, &st);
	json_object_object_add(o, "phase", json_object_new_string(fl_state_name(st.state)));
	json_object_object_add(o, "elapsed_s", fl_json_num(st.elapsed_s));
	json_object_object_add(o, "duration_s", fl_json_num(st.duration_s));
	for (i = 0; i < st.n_conds; i++) {
		json_object *c = json_object_new_object();

		json_object_object_add(c, "name", json_object_new_string(st.conds[i].name));
		json_object_object_add(c, "operator", json_object_new_string(st.conds[i].op));
		json_object_object_add(c, "threshold", fl_json_num(st.conds[i].threshold));
		json_object_object_add(c, "value", st.conds[i].has_value ?
				       fl_json_num(st.conds[i].value) : NULL);
		json_object_array_add(conds, c);
	}
	json_object_object_add(o, "conditions", conds);
	return o;
}

static void fl_agent_do_status(struct fl_agent *a, struct fl_agent_client *c)
{
	json_object *o = json_object_new_object(), *list = json_object_new_array();
	struct fl_agent_exp *order[FL_AGENT_MAX_EXPS];
	size_t i, n = 0, k;

	/* in submission order */
	for (i = 0; i < ARRAY_SIZE(a->exps); i++) {
		if (!a->exps[i].used)
			continue;
		for (k = n; k > 0 && order[k - 1]->seq > a->exps[i].seq; k--)
			order[k] = order[k - 1];
		order[k] = &a->exps[i];
		n++;
	}
	for (i = 0; i < n; i++)
		json_object_array_add(list, fl_agent_exp_json(order[i]));
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "experiments", list);
	fl_agent_reply(c, o);
}

static void fl_agent_do_stop(struct fl_agent *a, struct fl_agent_client *c,
			     const struct fl_ctl_req *r)
{
	json_object *o, *names = json_object_new_array();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(a->exps); i++) {
		struct fl_agent_exp *x = &a->exps[i];

		if (!x->used || !x->job || (!r->all && strcmp(x->name, r->name)))
			continue;
		/* the peer's pid names who stopped it in the report */
		fl_job_stop(x->job, 0, c->pid ? c->pid : 0);
		fl_log_exp(FL_LOG_INFO, x->name, "stop asked (pid %d)\n", (int)c->pid);
		json_object_array_add(names, json_object_new_string(x->name));
	}
	if (!r->all && !json_object_array_length(names)) {
		char msg[128];

		json_object_put(names);
		snprintf(msg, sizeof(msg), "no running experiment named %s", r->name);
		fl_agent_reply(c, fl_agent_error(FL_CTL_RUNTIME, msg));
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "stopped", names);
	fl_agent_reply(c, o);
}

static void fl_agent_follow(struct fl_agent_client *c, struct fl_agent_exp *x)
{
	if (!x->job) {
		fl_agent_send_end(c, x);
		return;
	}
	c->follow = x;
	c->next_status_ns = fl_mono_ns() + FL_AGENT_STATUS_NS;
	fl_agent_send_started(c, x);
}

static void fl_agent_do_submit(struct fl_agent *a, struct fl_agent_client *c,
			       const struct fl_ctl_req *r)
{
	struct fl_experiment *exp = calloc(1, sizeof(*exp));
	struct fl_agent_exp *x;
	const char *class = FL_CTL_INVALID;
	char err[1024];
	json_object *o;
	int ret;

	if (!exp) {
		fl_agent_reply(c, fl_agent_error(FL_CTL_RUNTIME, "out of memory"));
		return;
	}
	if (r->file)
		ret = fl_experiment_load(r->file, exp, err, sizeof(err));
	else
		ret = fl_experiment_parse("<submitted>", r->yaml, strlen(r->yaml), exp, err,
					  sizeof(err));
	if (ret) {
		free(exp);
		fl_agent_reply(c, fl_agent_error(ret == -EINVAL ? FL_CTL_INVALID : FL_CTL_RUNTIME,
						 err));
		return;
	}
	x = fl_agent_submit(a, exp, NULL, false, &class, err, sizeof(err));
	fl_experiment_free(exp);
	free(exp);
	if (!x) {
		pr_warn("refused a submitted experiment: %s\n", err);
		fl_agent_reply(c, fl_agent_error(class, err));
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "name", json_object_new_string(x->name));
	fl_agent_reply(c, o);
	if (r->follow)
		fl_agent_follow(c, x);
}

static void fl_agent_request(struct fl_agent *a, struct fl_agent_client *c, const char *line)
{
	struct fl_ctl_req r;
	struct fl_agent_exp *x;
	char err[512];

	if (fl_ctl_parse(line, &r, err, sizeof(err))) {
		fl_agent_reply(c, fl_agent_error(FL_CTL_INVALID, err));
		return;
	}
	switch (r.op) {
	case FL_CTL_SUBMIT:
		fl_agent_do_submit(a, c, &r);
		break;
	case FL_CTL_STATUS:
		fl_agent_do_status(a, c);
		break;
	case FL_CTL_STOP:
		fl_agent_do_stop(a, c, &r);
		break;
	case FL_CTL_FOLLOW:
		x = fl_agent_find(a, r.name, false);
		if (x) {
			fl_agent_follow(c, x);
		} else {
			snprintf(err, sizeof(err), "no experiment named %s", r.name);
			fl_agent_reply(c, fl_agent_error(FL_CTL_RUNTIME, err));
		}
		break;
	}
	fl_ctl_req_free(&r);
}

/* ---- clients ---- */

static void fl_agent_accept(struct fl_agent *a)
{
	struct timeval tv = { .tv_sec = 2 };
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t i;
	int fd;

	while ((fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct fl_agent_client *c = NULL;

		for (i = 0; i < ARRAY_SIZE(a->clients); i++)
			if (a->clients[i].fd < 0) {
				c = &a->clients[i];
				break;
			}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
			close(fd);
			continue;
		}
		/* a slow reader stalls the loop for at most this long */
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (cred.uid != 0 && (!a->o.allow_uid || cred.uid != a->o.allow_uid)) {
			json_object *o = fl_agent_error(FL_CTL_RUNTIME,
							"permission denied: the agent answers root only");

			pr_warn("control: refused a peer with uid %u (pid %d)\n", cred.uid, cred.pid);
			fl_ctl_send(fd, o);
			json_object_put(o);
			close(fd);
			continue;
		}
		if (!c) {
			json_object *o = fl_agent_error(FL_CTL_RUNTIME, "too many clients; try again");

			fl_ctl_send(fd, o);
			json_object_put(o);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->uid = cred.uid;
		c->pid = cred.pid;
	}
}

static void fl_agent_serve_client(struct fl_agent *a, struct fl_agent_client *c)
{
	size_t used;
	char *line;
	int ret;

	ret = fl_ctl_read(c->fd, &c->in);
	while ((line = fl_ctl_next_line(&c->in, &used))) {
		if (line[0])
			fl_agent_request(a, c, line);
		fl_ctl_consume(&c->in, used);
	}
	if (ret == -E2BIG) {
		fl_agent_reply(c, fl_agent_error(FL_CTL_INVALID, "request line too long"));
		ret = 0;
	}
	if (ret <= 0)
		fl_agent_client_close(c);
}

static void fl_agent_send_status(struct fl_agent_client *c, __u64 now)
{
	struct fl_job_status st;
	json_object *o;
	char *line = NULL;
	size_t len = 0;
	FILE *f;

	if (!c->follow || !c->follow->job || now < c->next_status_ns)
		return;
	c->next_status_ns = now + FL_AGENT_STATUS_NS;
	fl_job_status(c->follow->job, &st);
	f = open_memstream(&line, &len);
	if (!f)
		return;
	fl_report_status(f, false, &st);
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	o = json_object_new_object();
	json_object_object_add(o, "event", json_object_new_string("status"));
	json_object_object_add(o, "name", json_object_new_string(st.name));
	json_object_object_add(o, "phase", json_object_new_string(fl_state_name(st.state)));
	json_object_object_add(o, "elapsed_s", fl_json_num(st.elapsed_s));
	json_object_object_add(o, "line", json_object_new_string(line));
	free(line);
	fl_agent_reply(c, o);
}

/* ---- metrics ---- */

static void fl_agent_metrics_exp(struct fl_metrics_exp *m, struct fl_agent_exp *x,
				 struct fl_metrics_snap *s)
{
	const struct fl_experiment *e;
	const struct fl_run *run;
	struct fl_job_status st;
	int f, t, d;

	m->name = x->name;
	if (!x->job) {
		m->state = x->state;
		return;	/* its counters were final in its report */
	}
	e = fl_job_experiment(x->job);
	run = fl_job_run(x->job);
	fl_job_status(x->job, &st);
	m->state = st.state;
	for (d = 0; d < FL_DIR_MAX; d++)
		s->ringbuf_lost += st.counters.stats[d].ringbuf_fail;
	s->links += run->n_att + run->dp.n_tp_links;
	m->n_faults = e->n_faults;
	for (f = 0; f < e->n_faults; f++) {
		m->faults[f].name = e->faults[f].name;
		for (t = 0; run->dp.skel && t < run->spec.n_targets; t++) {
			struct fl_dir_totals one[FL_DIR_MAX];

			if (fl_dp_read_rule(&run->dp, fl_rule_id(t, f), one))
				continue;
			for (d = 0; d < FL_DIR_MAX; d++) {
				m->faults[f].tot[d].matched += one[d].matched;
				m->faults[f].tot[d].dropped += one[d].dropped;
				m->faults[f].tot[d].delayed += one[d].delayed;
				m->faults[f].tot[d].duplicated += one[d].duplicated;
				m->faults[f].tot[d].rejected += one[d].rejected;
				m->faults[f].tot[d].dns += one[d].dns;
				m->faults[f].tot[d].corrupted += one[d].corrupted;
			}
		}
	}
	for (f = 0; f < st.n_conds; f++)
		if (st.conds[f].has_value) {
			m->conds[m->n_conds].name = st.conds[f].name;
			m->conds[m->n_conds++].value = st.conds[f].value;
		}
}

/* The main loop renders, the HTTP thread serves a copy. */
static void fl_agent_metrics(struct fl_agent *a, bool now)
{
	struct fl_metrics_snap s = a->totals;
	char *text = NULL;
	size_t i, len = 0;
	FILE *f;

	if (!a->metrics || (!now && fl_mono_ns() < a->next_metrics_ns))
		return;
	a->next_metrics_ns = fl_mono_ns() + FL_AGENT_METRICS_NS;
	s.version = FL_VERSION;
	s.exps = calloc(ARRAY_SIZE(a->exps), sizeof(*s.exps));
	if (!s.exps)
		return;
	for (i = 0; i < ARRAY_SIZE(a->exps); i++)
		if (a->exps[i].used)
			fl_agent_metrics_exp(&s.exps[s.n_exps++], &a->exps[i], &s);
	f = open_memstream(&text, &len);
	if (f) {
		fl_metrics_render(f, &s);
		fclose(f);
		fl_metrics_publish(a->metrics, text, len);
	}
	free(text);
	free(s.exps);
}

/* ---- life ---- */

static int fl_agent_pin_dir(struct fl_agent *a, char *err, size_t errlen)
{
	const char *dir = a->o.pin_dir;
	int ret;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		fl_set_err(err, errlen, "--pin-dir %s: %s", dir, strerror(errno));
		return ret;
	}
	a->pin_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->pin_fd < 0) {
		ret = -errno;
		fl_set_err(err, errlen, "--pin-dir %s: %s", dir, strerror(errno));
		return ret;
	}
	/* one agent per pin directory, as one per socket */
	if (flock(a->pin_fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		fl_set_err(err, errlen, "--pin-dir %s: another agent holds it; give this one its own",
			   dir);
		return ret;
	}
	return 0;
}

/* What a taken-back experiment holds, for the log: "tcx_egress on veth1,
 * fq on veth1 (puts back noqueue)".
 */
static void fl_agent_held(const struct fl_run *run, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < run->n_att && off < len; i++)
		if (run->att[i].attached)
			off += snprintf(buf + off, len - off, "%s%s on %s", off ? ", " : "",
					fl_hook_name(run->att[i].hook), run->att[i].ifname[0] ?
					run->att[i].ifname : run->att[i].cgroup);
	for (i = 0; i < run->n_qd && off < len; i++)
		if (run->qd[i].installed)
			off += snprintf(buf + off, len - off, "%sfq on %s (puts back %s)",
					off ? ", " : "", run->place[run->qd_place[i]].ifname,
					run->qd[i].kind);
	if (!buf[0])
		snprintf(buf, len, "nothing attached any more");
}

/* Is the adopted @x still wanted by its source? A spec file must still be
 * in this agent's spec directory; a socket's has no source and runs on;
 * an Experiment's is judged once the API's list is in (fl_agent_k8s_claims).
 */
static bool fl_agent_source_wants(struct fl_agent *a, struct fl_agent_exp *x, const char **why)
{
	size_t n = a->o.spec_dir ? strlen(a->o.spec_dir) : 0;

	*why = NULL;
	if (x->k8s) {
		if (!a->o.k8s)
			*why = "it came from the Kubernetes API, which this agent does not watch";
		return !*why;
	}
	if (!x->source[0])
		return true;
	if (!n || strncmp(x->source, a->o.spec_dir, n) || x->source[n] != '/')
		*why = "its spec file is not in this agent's spec directory";
	else if (access(x->source, F_OK))
		*why = "its spec file was removed";
	return !*why;
}

/* The previous agent's experiments, found in the pin directory: taken
 * back (--on-restart adopt) or taken off (clean), before any source starts
 * anything, so that a spec file or an Experiment meets its own leftovers
 * no more.
 */
static void fl_agent_restart(struct fl_agent *a)
{
	char path[PATH_MAX], err[1024], held[1024];
	struct fl_job_status js;
	struct dirent *de;
	struct stat st;
	DIR *d;

	a->pinning = fl_pin_dir_ok(a->o.pin_dir);
	if (!a->pinning) {
		pr_warn("agent: --pin-dir %s is not on bpffs: experiments are not pinned and do not outlive this agent\n",
			a->o.pin_dir);
		return;
	}
	d = opendir(a->o.pin_dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *why, *name;
		struct fl_agent_exp *x;
		json_object *note;
		struct fl_job *j;
		char *text = NULL;
		int ret;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", a->o.pin_dir, de->d_name);
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		ret = fl_engine_adopt(a->e, path, &j, &text, err, sizeof(err));
		if (!j) {
			pr_warn("agent: %s: %s; removing it (its links go with it; 'faultline cleanup' removes a legacy filter or root qdisc it may have left)\n",
				path, err);
			fl_pin_remove(path);
			continue;
		}
		x = fl_agent_slot(a);
		x->used = true;
		x->job = j;
		x->seq = ++a->seq;
		x->adopted = true;
		name = fl_job_experiment(j)->name;
		snprintf(x->name, sizeof(x->name), "%s", name);
		x->duration_s = fl_job_experiment(j)->duration_ns / 1e9;
		note = text ? json_tokener_parse(text) : NULL;
		free(text);
		snprintf(x->source, sizeof(x->source), "%s",
			 json_object_get_string(json_object_object_get(note, "source")) ?: "");
		x->k8s = json_object_get_boolean(json_object_object_get(note, "k8s"));
		x->mtime.tv_sec = json_object_get_int64(json_object_object_get(note, "mtime_s"));
		x->mtime.tv_nsec = json_object_get_int64(json_object_object_get(note, "mtime_ns"));
		x->held = x->k8s && a->o.k8s;
		json_object_put(note);
		fl_agent_held(fl_job_run(j), held, sizeof(held));
		if (ret) {
			fl_log_exp(FL_LOG_WARN, name, "could not be taken back: %s; removed what was found\n",
				   err);
		} else if (!a->o.adopt) {
			fl_log_exp(FL_LOG_INFO, name, "--on-restart clean: removing what the previous agent left: %s\n",
				   held);
			fl_job_stop_why(j, "removed at the agent's restart (--on-restart clean)");
			fl_agent_stop_wait(a, x);
		} else if (fl_job_status(j, &js), js.elapsed_s >= js.duration_s) {
			/* its end came while no agent ran: the next step says so */
			fl_log_exp(FL_LOG_INFO, name, "taken back after its end: %s\n", held);
		} else if (!fl_agent_source_wants(a, x, &why)) {
			fl_log_exp(FL_LOG_INFO, name, "taken back, then stopped: %s\n", why);
			fl_job_stop_why(j, why);
			fl_agent_stop_wait(a, x);
		} else {
			fl_log_exp(FL_LOG_INFO, name, "taken back from %s (--on-restart adopt): %s; it ends at its deadline, in %.1fs\n",
				   path, held, js.duration_s > js.elapsed_s ?
				   js.duration_s - js.elapsed_s : 0);
		}
	}
	closedir(d);
	fl_agent_reap_all(a);
}

int fl_agent_new(struct fl_agent **out, const struct fl_agent_opts *o, char *err, size_t errlen)
{
	struct fl_agent *a;
	size_t i;
	int ret;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->o = *o;
	a->listen_fd = -1;
	a->pin_fd = -1;
	a->sd.fd = -1;
	for (i = 0; i < ARRAY_SIZE(a->clients); i++)
		a->clients[i].fd = -1;
	ret = fl_agent_pin_dir(a, err, errlen);
	if (ret)
		goto fail;
	ret = fl_engine_new(&a->e, "faultline agent");
	if (ret) {
		fl_set_err(err, errlen, "out of memory");
		goto fail;
	}
	/* its experiments come from files and API objects whose authors need
	 * not be this node's administrator: no way past the guards here
	 */
	fl_engine_set_force_how(a->e, "run it in the foreground with 'faultline run --force' if that is what you mean (the agent has no way past the guards)");
	fl_agent_restart(a);
	if (o->spec_dir) {
		ret = fl_specdir_open(&a->sd, o->spec_dir, err, errlen);
		if (ret)
			goto fail;
	}
	if (o->metrics_addr) {
		ret = fl_metrics_start(&a->metrics, o->metrics_addr, err, errlen);
		if (ret)
			goto fail;
	}
	ret = fl_ctl_listen(o->socket, err, errlen);
	if (ret < 0)
		goto fail;
	a->listen_fd = ret;
	if (o->k8s) {
		struct fl_k8s_opts ko = { .kubeconfig = o->kubeconfig, .node = o->node_name };

		ret = fl_k8s_ctl_new(&a->k8s, &ko, &fl_agent_k8s_ops, a, err, errlen);
		if (ret) {
			close(a->listen_fd);
			a->listen_fd = -1;
			unlink(o->socket);
			goto fail;
		}
	}
	fl_agent_metrics(a, true);
	pr_info("agent: listening on %s%s%s%s%s\n", o->socket,
		o->metrics_addr ? ", metrics on http://" : "", o->metrics_addr ? o->metrics_addr : "",
		o->spec_dir ? ", spec dir " : "", o->spec_dir ? o->spec_dir : "");
	if (o->spec_dir)
		fl_specdir_scan(&a->sd, fl_agent_on_spec, a);
	*out = a;
	return 0;
fail:
	/* the socket is not ours unless we listened: keep another agent's */
	a->o.socket = NULL;
	fl_agent_free(a);
	return ret;
}

void fl_agent_disarm_all(struct fl_agent *a)
{
	if (a && a->e)
		fl_engine_disarm_all(a->e);
}

static void fl_agent_poll_own(struct fl_agent *a)
{
	struct pollfd pfd[3 + FL_AGENT_MAX_CLIENTS];
	int idx[FL_AGENT_MAX_CLIENTS];
	size_t i;
	int n = 0, k = 0;

	pfd[n++] = (struct pollfd){ .fd = a->listen_fd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = a->sd.fd, .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = a->k8s ? fl_k8s_ctl_fd(a->k8s) : -1, .events = POLLIN };
	for (i = 0; i < ARRAY_SIZE(a->clients); i++)
		if (a->clients[i].fd >= 0) {
			idx[k++] = i;
			pfd[n++] = (struct pollfd){ .fd = a->clients[i].fd, .events = POLLIN };
		}
	if (poll(pfd, n, 0) <= 0)
		return;
	if (pfd[0].revents)
		fl_agent_accept(a);
	if (pfd[1].revents && fl_specdir_read(&a->sd, fl_agent_on_spec, a) == -ENOENT) {
		pr_warn("spec dir: %s is gone; no longer watched\n", a->sd.dir);
		fl_specdir_close(&a->sd);
	}
	if (pfd[2].revents)
		fl_k8s_ctl_process(a->k8s);
	for (i = 0; i < (size_t)k; i++)
		if (pfd[3 + i].revents && a->clients[idx[i]].fd >= 0)
			fl_agent_serve_client(a, &a->clients[idx[i]]);
}

int fl_agent_run(struct fl_agent *a, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup)
{
	__u64 end;
	size_t i;
	int ret;

	while (!*stop) {
		if (*hup) {
			*hup = 0;
			if (a->sd.fd >= 0)
				fl_agent_rescan(a);
		}
		fl_agent_poll_own(a);
		ret = fl_engine_step(a->e, FL_AGENT_TICK_MS);
		if (ret < 0)
			pr_warn("agent: waiting for evidence failed: %s\n", strerror(-ret));
		fl_agent_reap_all(a);
		if (a->k8s) {
			fl_agent_k8s_claims(a);
			fl_k8s_ctl_tick(a->k8s);
		}
		for (i = 0; i < ARRAY_SIZE(a->clients); i++) {
			struct fl_agent_client *c = &a->clients[i];

			if (c->fd >= 0)
				fl_agent_send_status(c, fl_mono_ns());
		}
		fl_agent_metrics(a, false);
	}
	pr_info("agent: %s: stopping every experiment\n", sigabbrev_np(*stop) ?: "signal");
	fl_engine_stop_all(a->e, *stop, 0);
	end = fl_mono_ns() + FL_AGENT_DRAIN_NS;
	while (fl_mono_ns() < end && fl_engine_step(a->e, 0) > 0)
		;
	fl_engine_step(a->e, 0);
	fl_agent_reap_all(a);
	return 0;
}

void fl_agent_free(struct fl_agent *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < ARRAY_SIZE(a->clients); i++)
		if (a->clients[i].fd >= 0)
			fl_agent_client_close(&a->clients[i]);
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	if (a->o.socket)
		unlink(a->o.socket);
	fl_engine_free(a->e);
	fl_k8s_ctl_free(a->k8s);
	for (i = 0; i < ARRAY_SIZE(a->exps); i++)
		fl_agent_exp_clear(&a->exps[i]);
	fl_metrics_stop(a->metrics);
	fl_specdir_close(&a->sd);
	if (a->pin_fd >= 0)
		close(a->pin_fd);
	free(a);
}
