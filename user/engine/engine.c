// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The runner (see engine.h): every job's lifecycle and the one loop that
 * serves them. Faults stop by a store to the job's armed flag, from the
 * callback that judged the evidence; detaching follows, then the result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "common.h"
#include "breaker.h"
#include "engine.h"
#include "guards.h"
#include "events.h"
#include "k8s_cgroups.h"
#include "monitor.h"
#include "pin.h"
#include "probes.h"
#include "targets.h"
#include "timestamp.h"

#define FL_ENGINE_TICK_MS	50
/* While records come, wake this often even unwoken: the datapath wakes the
 * loader at most every FL_RB_WAKE_NS for flow records (bpf/maps.h), and the
 * last of a burst would otherwise wait for the tick.
 */
#define FL_ENGINE_BUSY_MS	1
/* A flow with no record for this long has ended (userspace expiry). */
#define FL_IDLE_NS		(10ULL * NSEC_PER_SEC)
#define FL_IDLE_EVERY_NS	NSEC_PER_SEC

struct fl_job {
	struct fl_engine *e;
	struct fl_experiment exp;
	struct fl_run run;
	struct fl_events ev;		/* its ring buffer and flow table */
	__u64 ev_seen;			/* ev.n_events at the last step */
	struct fl_monitor mon;
	struct fl_probes *probes;	/* the probes, then the Prometheus queries */
	int prom_cond[FL_EXP_MAX_CONDITIONS];	/* query i - n_probes: its condition */
	enum fl_state state;
	char reason[512];
	__s64 real_minus_mono;
	__u64 start_ns, deadline_ns, end_ns, disarmed_ns, detached_ns, idle_ns;
	int links;
	int n_targets_start;	/* those after it were added while it ran */
	__u64 probe_samples[FL_EXP_MAX_PROBES];
	__u64 probe_failures[FL_EXP_MAX_PROBES];
	int stop_signo;
	pid_t stopper;
	char stop_why[256];		/* the caller's reason for a stop, or "" */
	bool stop_asked;
	bool ended;
	struct fl_result res;
	char pin_dir[PATH_MAX];		/* "": nothing pinned */
	char *pin_note;			/* the caller's, kept in the record */
	__u64 adopted_ns;		/* taken back from pins at this time; 0: not */
	__u32 n_shared_seen;	/* fl_ctl.n_shared when last looked at */
};

struct fl_engine {
	const char *who;	/* the prefix of the kernel layer's messages */
	const char *force_how;	/* how to get past a guard, for its message */
	/* a handler may walk this while the loop runs: a slot is cleared
	 * before its job is freed
	 */
	struct fl_job *volatile jobs[FL_ENGINE_MAX_JOBS];
	int n;
};

int fl_engine_new(struct fl_engine **out, const char *who)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->who = who ? who : "faultline";
	(*out)->force_how = FL_GUARD_FORCE_HOW;
	return 0;
}

void fl_engine_set_force_how(struct fl_engine *e, const char *how)
{
	e->force_how = how;
}

int fl_engine_count(const struct fl_engine *e)
{
	return e->n;
}

/* An experiment's faults become the rules every target gets, in order. */
static int fl_job_spec(struct fl_job *j, char *err, size_t errlen)
{
	const struct fl_experiment *x = &j->exp;
	struct fl_spec *spec = &j->run.spec;
	int i;

	memset(spec, 0, sizeof(*spec));
	if (x->n_targets > FL_SPEC_MAX_TARGETS) {
		fl_set_err(err, errlen, "%d targets; at most %d", x->n_targets, FL_SPEC_MAX_TARGETS);
		return -EINVAL;
	}
	spec->n_targets = x->n_targets;
	/* the other kinds get their path when they are resolved */
	for (i = 0; i < x->n_targets; i++)
		if (x->targets[i].kind == FL_TARGET_CGROUP)
			snprintf(spec->targets[i].path, sizeof(spec->targets[i].path), "%s",
				 x->targets[i].cgroup);
	spec->n_rules = x->n_faults;
	memcpy(spec->rules, x->faults, sizeof(x->faults[0]) * x->n_faults);
	spec->duration_ns = x->duration_ns;
	spec->observe = true;
	spec->observe_tp = fl_monitor_tracepoints(x->conditions, x->n_conditions);
	snprintf(spec->netns, sizeof(spec->netns), "%s", x->place.netns);
	spec->n_ifaces = x->place.n_ifaces;
	memcpy(spec->ifaces, x->place.ifaces, sizeof(spec->ifaces));
	spec->force_qdisc = x->place.force_qdisc;
	spec->force = x->place.force;
	return 0;
}

/* The flag or the file field that named target i, for messages. */
static void fl_job_target_where(const struct fl_job *j, int i, char *buf, size_t len)
{
	static const char *const flag[] = {
		[FL_TARGET_CGROUP] = "--cgroup", [FL_TARGET_PID] = "--pid",
		[FL_TARGET_CONTAINER] = "--container", [FL_TARGET_POD_UID] = "--pod-uid",
	};
	static const char *const field[] = {
		[FL_TARGET_CGROUP] = "cgroup", [FL_TARGET_PID] = "pid",
		[FL_TARGET_CONTAINER] = "container.id", [FL_TARGET_POD_UID] = "pod.uid",
		[FL_TARGET_POD_NAME] = "pod", [FL_TARGET_POD_SELECTOR] = "pods",
	};
	const struct fl_exp_target *t = &j->exp.targets[i];

	if (j->exp.file[0] && t->line)
		snprintf(buf, len, "%s:%d:%d: targets[%d].%s", j->exp.file, t->line, t->col, i,
			 field[t->kind]);
	else
		snprintf(buf, len, "%s %s", t->kind < (int)ARRAY_SIZE(flag) && flag[t->kind] ?
			 flag[t->kind] : fl_target_kind_name(t->kind), t->ref);
}

/* A pid, a container or a pod becomes the cgroup directory it lives in
 * now; from then on it is a cgroup target like any other. A pod's own
 * cgroup is the target, not its containers': a container that restarts
 * gets a new cgroup inside it and stays covered.
 */
static int fl_job_locate(struct fl_job *j, int i, char *root, bool *have_root, char *why,
			 size_t len)
{
	const struct fl_exp_target *t = &j->exp.targets[i];
	struct fl_target_spec *ts = &j->run.spec.targets[i];
	const char *from;
	int ret;

	if (t->kind == FL_TARGET_CGROUP)
		return 0;
	if (t->kind == FL_TARGET_PID)
		return fl_pid_cgroup(t->pid, ts->path, sizeof(ts->path), why, len);
	if (!*have_root) {
		ret = fl_k8s_cgroup_root(j->exp.place.cgroup_root, root, PATH_MAX, &from, why, len);
		if (ret)
			return ret;
		*have_root = true;
	}
	if (t->kind == FL_TARGET_CONTAINER)
		return fl_k8s_container_cgroup(root, t->ref, ts->path, sizeof(ts->path), why, len);
	if (t->kind == FL_TARGET_POD_UID)
		return fl_k8s_pod_cgroup(root, t->ref, ts->path, sizeof(ts->path), why, len);
	fl_set_err(why, len, "cannot be resolved on this node");
	return -EINVAL;
}

/* A target that is not a cgroup v2 directory, or that names none, is bad
 * input like any other: said at its place in the file, or as the flag
 * that named it.
 */
static int fl_job_check_targets(struct fl_job *j, char *err, size_t errlen)
{
	char why[1600], where[PATH_MAX + 64], root[PATH_MAX];
	bool have_root = false;
	int i, k, ret;

	/* before anything is looked up: these need the Kubernetes API */
	ret = fl_experiment_check_local(&j->exp, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < j->exp.n_targets; i++) {
		ret = fl_job_locate(j, i, root, &have_root, why, sizeof(why));
		if (!ret)
			ret = fl_target_resolve(&j->run.spec.targets[i], why, sizeof(why));
		if (!ret)
			continue;
		fl_job_target_where(j, i, where, sizeof(where));
		fl_set_err(err, errlen, "%s: %s", where, why);
		return -EINVAL;
	}
	/* two names for one cgroup (a pid and the container it runs in, an id
	 * and its prefix) would give it two rule sets
	 */
	for (i = 0; i < j->exp.n_targets; i++)
		for (k = 0; k < i; k++) {
			const struct fl_exp_target *o = &j->exp.targets[k];

			if (j->run.spec.targets[i].cgid != j->run.spec.targets[k].cgid)
				continue;
			fl_job_target_where(j, i, where, sizeof(where));
			fl_set_err(err, errlen, "%s: resolves to %s, the cgroup of targets[%d] (%s %s)",
				   where, j->run.spec.targets[i].path, k,
				   fl_target_kind_name(o->kind), o->ref);
			return -EINVAL;
		}
	return 0;
}

/* A pinned link holds its attachment after our descriptor closes: the
 * pins go first, then detaching takes everything off.
 */
static void fl_job_unpin(struct fl_job *j)
{
	if (!j->pin_dir[0])
		return;
	fl_pin_remove(j->pin_dir);
	j->pin_dir[0] = 0;
}

static void fl_job_free(struct fl_job *j)
{
	if (!j)
		return;
	fl_probes_stop(j->probes);
	fl_dp_disarm(&j->run.dp);
	fl_job_unpin(j);
	fl_session_stop(&j->run, j->e->who);
	fl_events_close(&j->ev);
	fl_session_free(&j->run);
	fl_monitor_free(&j->mon);
	fl_experiment_free(&j->exp);
	fl_result_free(&j->res);
	free(j->pin_note);
	free(j);
}

int fl_engine_add(struct fl_engine *e, struct fl_experiment *exp, struct fl_job **out,
		  char *err, size_t errlen)
{
	struct fl_job *j;
	int i, ret, slot = -1;

	*out = NULL;
	for (i = 0; i < FL_ENGINE_MAX_JOBS; i++) {
		if (!e->jobs[i]) {
			if (slot < 0)
				slot = i;
		} else if (!e->jobs[i]->ended && !strcmp(e->jobs[i]->exp.name, exp->name)) {
			fl_set_err(err, errlen, "an experiment named %s is already running; stop it or choose another name",
				   exp->name);
			return -EEXIST;
		}
	}
	if (slot < 0) {
		fl_set_err(err, errlen, "%d experiments already run in this process; stop one first",
			   FL_ENGINE_MAX_JOBS);
		return -EBUSY;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		fl_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	j->e = e;
	j->exp = *exp;
	memset(exp, 0, sizeof(*exp));	/* the strings are the job's now */
	j->run.lock_fd = -1;
	j->mon.tripped = -1;
	j->mon.trip_target = -1;
	j->state = FL_STATE_PENDING;
	/* one clock for every timestamp: monotonic, converted with one
	 * offset, taken here so that a job that fails to start has one too
	 */
	j->real_minus_mono = fl_timestamp_offset();
	ret = fl_job_spec(j, err, errlen);
	if (!ret)
		ret = fl_job_check_targets(j, err, errlen);
	if (!ret)
		ret = fl_guards_check_spec(&j->run.spec, e->force_how, err, errlen);
	if (!ret) {
		/* it says what failed itself, with the engine's prefix */
		ret = fl_place_resolve(&j->run, e->who);
		if (ret)
			fl_set_err(err, errlen, "%s", "");
	}
	if (!ret)
		ret = fl_guards_check_place(&j->run, e->force_how, err, errlen);
	if (ret) {
		fl_job_free(j);
		return ret;
	}
	j->n_targets_start = j->exp.n_targets;
	e->jobs[slot] = j;
	e->n++;
	*out = j;
	return 0;
}

void fl_engine_remove(struct fl_engine *e, struct fl_job *j)
{
	int i;

	for (i = 0; i < FL_ENGINE_MAX_JOBS; i++) {
		if (e->jobs[i] != j)
			continue;
		e->jobs[i] = NULL;
		e->n--;
		break;
	}
	fl_job_free(j);
}

void fl_engine_free(struct fl_engine *e)
{
	int i;

	if (!e)
		return;
	fl_engine_stop_all(e, SIGTERM, 0);
	for (i = 0; i < FL_ENGINE_MAX_JOBS; i++) {
		struct fl_job *j = e->jobs[i];

		if (!j)
			continue;
		e->jobs[i] = NULL;
		fl_job_free(j);
	}
	free(e);
}

int fl_job_dry_load(struct fl_job *j)
{
	unsigned int mask = fl_place_progs(&j->run);
	int ret;

	ret = fl_dp_open(&j->run.dp, mask);
	if (ret)
		return ret;
	fl_dp_close(&j->run.dp);
	return __builtin_popcount(mask);
}

/* ---- evidence ---- */

static void fl_job_on_trip(void *ctx)
{
	struct fl_job *j = ctx;

	/* the faults stop here: one store the programs read on every packet */
	fl_dp_disarm(&j->run.dp);
	j->disarmed_ns = fl_mono_ns();
}

static void fl_job_flow_cb(void *ctx, const struct fl_event *ev, const struct fl_flow_delta *d)
{
	struct fl_job *j = ctx;

	fl_monitor_flow(&j->mon, ev, d);
}

static void fl_job_signal_cb(void *ctx, const struct fl_event *ev)
{
	struct fl_job *j = ctx;

	fl_monitor_signal(&j->mon, ev);
}

/* A breaker tripped in the kernel: it has cleared the armed flag already,
 * at the time it stamped.
 */
static void fl_job_kernel_trip(struct fl_job *j, int cond, int target, double value, __u64 ts,
			       __u64 at)
{
	if (fl_monitor_kernel_trip(&j->mon, cond, target, value, ts)) {
		fl_dp_disarm(&j->run.dp);
		j->disarmed_ns = at;
	}
}

static void fl_job_breaker_cb(void *ctx, const struct fl_event *ev)
{
	struct fl_job *j = ctx;

	fl_job_kernel_trip(j, (int)ev->sig, (int)ev->key.target_id, (double)ev->value, ev->ts_ns,
			   ev->at_ns);
}

/* A trip whose record the ring buffer had no room for is still in the map. */
static void fl_job_read_breakers(struct fl_job *j)
{
	__u32 b, t;

	if (!j->run.dp.skel || j->mon.tripped >= 0)
		return;
	for (b = 0; b < j->run.dp.ctl->n_brk; b++) {
		for (t = 0; t < (__u32)j->exp.n_targets && t < FL_BRK_MAX_TARGETS; t++) {
			struct fl_brk_state st;

			if (fl_dp_read_breaker(&j->run.dp, b, t, &st) || !st.tripped_ns)
				continue;
			fl_job_kernel_trip(j, j->run.dp.ctl->brk[b].cond, (int)t, (double)st.value,
					   st.tripped_ns, st.disarmed_ns);
		}
	}
}

/* Install the conditions the kernel judges, before the faults are armed. */
static void fl_job_plan_breakers(struct fl_job *j)
{
	struct fl_brk_plan plan[FL_EXP_MAX_CONDITIONS];
	volatile struct fl_control *ctl = j->run.dp.ctl;
	int i, n = 0;

	fl_brk_plan(j->exp.conditions, j->exp.n_conditions, j->exp.n_targets, plan);
	for (i = 0; i < j->exp.n_conditions; i++) {
		if (!plan[i].kernel)
			continue;
		ctl->brk[n] = plan[i].cfg;
		ctl->brk_mask |= 1u << plan[i].cfg.ev;
		fl_monitor_set_kernel(&j->mon, i);
		n++;
	}
	ctl->n_brk = n;
}

static void fl_job_probe_cb(const struct fl_probe_sample *s, void *arg)
{
	struct fl_job *j = arg;
	int q = s->probe - j->exp.n_probes;

	if (q >= 0) {
		fl_monitor_prom(&j->mon, j->prom_cond[q], s->ts_ns, s->value,
				s->ok ? NULL : s->error);
		return;
	}
	j->probe_samples[s->probe]++;
	if (!s->ok)
		j->probe_failures[s->probe]++;
	fl_monitor_probe(&j->mon, s);
}

/* The probes, then one query per Prometheus condition, on one scheme. */
static int fl_job_start_probes(struct fl_job *j)
{
	struct fl_probe_cfg *cfgs;
	int i, n = 0, ret;

	cfgs = calloc(j->exp.n_probes + j->exp.n_conditions + 1, sizeof(*cfgs));
	if (!cfgs)
		return -ENOMEM;
	for (i = 0; i < j->exp.n_probes; i++, n++) {
		const struct fl_exp_probe *p = &j->exp.probes[i];

		snprintf(cfgs[n].name, sizeof(cfgs[n].name), "%s", p->name);
		cfgs[n].kind = p->kind;
		if (p->url)
			snprintf(cfgs[n].url, sizeof(cfgs[n].url), "%s", p->url);
		if (p->address)
			snprintf(cfgs[n].address, sizeof(cfgs[n].address), "%s", p->address);
		cfgs[n].expect_status = p->expect_status;
		cfgs[n].interval_ns = p->interval_ns;
		cfgs[n].timeout_ns = p->timeout_ns;
		if (p->netns)
			snprintf(cfgs[n].netns, sizeof(cfgs[n].netns), "%s", p->netns);
	}
	for (i = 0; i < j->exp.n_conditions; i++) {
		const struct fl_condition *c = &j->exp.conditions[i];

		if (c->signal != FL_SIG_PROMETHEUS)
			continue;
		j->prom_cond[n - j->exp.n_probes] = i;
		snprintf(cfgs[n].name, sizeof(cfgs[n].name), "%s", c->name);
		cfgs[n].kind = FL_PROBE_PROM;
		snprintf(cfgs[n].url, sizeof(cfgs[n].url), "%s", c->prom_url);
		cfgs[n].query = c->prom_query;
		/* an answer later than the next one is due is no use */
		cfgs[n].interval_ns = c->prom_interval_ns;
		cfgs[n].timeout_ns = c->prom_interval_ns;
		n++;
	}
	ret = n ? fl_probes_start(&j->probes, cfgs, n) : 0;
	free(cfgs);
	return ret;
}

/* ---- the end of a job ---- */

/* A run cannot have Succeeded when a condition was not judged all along:
 * a Prometheus query that answered with an error or never answered. A
 * trip still counts: it is proof on its own.
 */
static bool fl_job_unjudged(const struct fl_monitor *m, char *reason, size_t len)
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

static void fl_job_decide(struct fl_job *j, int loop_err)
{
	if (j->mon.tripped >= 0) {
		const struct fl_condition *c = j->mon.conds[j->mon.tripped].c;

		j->state = FL_STATE_FAILED;
		snprintf(j->reason, sizeof(j->reason), "condition %s tripped: %s %.6g %s %.6g",
			 c->name, fl_signal_name(c->signal), j->mon.trip_value,
			 fl_cmp_symbol(c->cmp), c->threshold);
	} else if (j->stop_asked) {
		j->state = FL_STATE_ABORTED;
		if (j->stop_why[0])
			snprintf(j->reason, sizeof(j->reason), "%s", j->stop_why);
		else if (j->stopper)
			snprintf(j->reason, sizeof(j->reason), "stopped by 'faultline stop' (pid %d)",
				 (int)j->stopper);
		else
			snprintf(j->reason, sizeof(j->reason), "stopped by %s%s",
				 j->stop_signo ? "SIG" : "",
				 j->stop_signo ? sigabbrev_np(j->stop_signo) : "request");
	} else if (loop_err) {
		j->state = FL_STATE_ERROR;
		snprintf(j->reason, sizeof(j->reason), "waiting for evidence failed: %s",
			 strerror(-loop_err));
	} else if (fl_job_unjudged(&j->mon, j->reason, sizeof(j->reason))) {
		j->state = FL_STATE_ERROR;
	} else {
		j->state = FL_STATE_SUCCEEDED;
		if (j->adopted_ns >= j->deadline_ns)
			snprintf(j->reason, sizeof(j->reason),
				 "the duration elapsed while no agent ran (taken back %.1fs after its end); the conditions were judged only until the previous agent stopped",
				 (j->adopted_ns - j->deadline_ns) / 1e9);
		else if (j->adopted_ns)
			snprintf(j->reason, sizeof(j->reason),
				 "the duration elapsed and no condition tripped (judged again from the agent's restart, %.1fs in)",
				 (j->adopted_ns - j->start_ns) / 1e9);
		else
			snprintf(j->reason, sizeof(j->reason),
				 "the duration elapsed and no condition tripped");
	}
}

static char *fl_strdup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Copy everything a renderer needs, once; the job's kernel objects go
 * right after.
 */
static void fl_job_fill_result(struct fl_job *j)
{
	struct fl_result *r = &j->res;
	const struct fl_run *run = &j->run;
	bool maps = run->dp.skel != NULL;
	int i, t, d;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", j->exp.name);
	r->state = j->state;
	snprintf(r->reason, sizeof(r->reason), "%s", j->reason);
	r->real_minus_mono = j->real_minus_mono;
	r->duration_ns = j->exp.duration_ns;
	r->start_ns = j->start_ns;
	r->end_ns = j->end_ns;
	r->disarmed_ns = j->disarmed_ns;
	r->detached_ns = j->detached_ns;
	r->links = j->links;
	r->tc = run->tcx ? "tcx" : "clsact";
	r->ingress = fl_ingress_name(run->ingress);
	r->fq_drops = run->fq_drops;
	r->rb_events = j->ev.n_events;
	r->rb_signals = j->ev.n_signals;
	r->rb_bad = j->ev.n_bad;
	if (maps)
		fl_dp_read_counters(&run->dp, run->spec.n_targets, run->spec.n_rules, &r->counters);
	if (j->ev.flows) {
		r->n_flows = fl_flows_count(j->ev.flows);
		r->n_top = fl_flows_top(j->ev.flows, r->top, FL_RESULT_TOP_FLOWS);
	}

	r->att = calloc(run->n_att ? run->n_att : 1, sizeof(*r->att));
	for (i = 0; r->att && i < run->n_att; i++) {
		const struct fl_attachment *a = &run->att[i];
		struct fl_result_attach *x = &r->att[r->n_att++];

		x->hook = a->hook;
		if (a->ns)
			snprintf(x->netns, sizeof(x->netns), "%s", a->ns->path);
		snprintf(x->iface, sizeof(x->iface), "%s", a->ifname);
		x->ifindex = a->ifindex;
		snprintf(x->cgroup, sizeof(x->cgroup), "%s", a->cgroup);
	}
	r->targets = calloc(j->exp.n_targets ? j->exp.n_targets : 1, sizeof(*r->targets));
	for (t = 0; r->targets && t < j->exp.n_targets; t++) {
		struct fl_result_target *x = &r->targets[r->n_targets++];

		snprintf(x->path, sizeof(x->path), "%s", run->spec.targets[t].path);
		snprintf(x->kind, sizeof(x->kind), "%s", fl_target_kind_name(j->exp.targets[t].kind));
		snprintf(x->ref, sizeof(x->ref), "%s", j->exp.targets[t].ref);
		x->cgid = run->spec.targets[t].cgid;
		x->added = t >= j->n_targets_start;
		x->removed = run->gone & (1ULL << t);
		if (maps)
			fl_dp_read_target(&run->dp, t, run->spec.n_rules, x->tot);
	}
	r->faults = calloc(j->exp.n_faults ? j->exp.n_faults : 1, sizeof(*r->faults));
	for (i = 0; r->faults && i < j->exp.n_faults; i++) {
		struct fl_result_fault *x = &r->faults[r->n_faults++];

		x->f = j->exp.faults[i];
		for (t = 0; maps && t < run->spec.n_targets; t++) {
			struct fl_dir_totals one[FL_DIR_MAX];

			if (fl_dp_read_rule(&run->dp, fl_rule_id(t, i), one))
				continue;
			for (d = 0; d < FL_DIR_MAX; d++) {
				x->tot[d].seen += one[d].seen;
				x->tot[d].matched += one[d].matched;
				x->tot[d].dropped += one[d].dropped;
				x->tot[d].delayed += one[d].delayed;
				x->tot[d].duplicated += one[d].duplicated;
				x->tot[d].rejected += one[d].rejected;
				x->tot[d].dns += one[d].dns;
				x->tot[d].corrupted += one[d].corrupted;
				x->tot[d].bytes += one[d].bytes;
			}
		}
	}
	r->tripped = j->mon.tripped;
	r->trip_value = j->mon.trip_value;
	r->trip_ns = j->mon.trip_ns;
	r->trip_target = j->mon.trip_target;
	r->conds = calloc(j->exp.n_conditions ? j->exp.n_conditions : 1, sizeof(*r->conds));
	for (i = 0; r->conds && i < j->exp.n_conditions; i++) {
		struct fl_result_cond *x = &r->conds[r->n_conds++];
		struct fl_mon_cond *mc = i < j->mon.n ? &j->mon.conds[i] : NULL;

		x->c = j->exp.conditions[i];
		x->c.prom_url = fl_strdup0(x->c.prom_url);
		x->c.prom_query = fl_strdup0(x->c.prom_query);
		x->target = -1;
		x->tripped = j->mon.tripped == i;
		if (!mc)
			continue;
		x->has_value = mc->has_value;
		x->value = mc->value;
		x->per_target = mc->per_target;
		x->kernel = mc->kernel;
		if (mc->per_target && mc->worst >= 0 && mc->worst < j->exp.n_targets)
			x->target = mc->worst;
		x->n_answers = mc->n_answers;
		x->n_errors = mc->n_errors;
		snprintf(x->error, sizeof(x->error), "%s", mc->error);
		/* the series moves over: the monitor is freed with the job */
		x->t_s = mc->t_s;
		x->v = mc->v;
		x->n = mc->n;
		mc->t_s = mc->v = NULL;
		mc->n = mc->cap = 0;
	}
	r->shared = calloc(run->n_ns ? run->n_ns : 1, sizeof(*r->shared));
	for (i = 0; maps && r->shared && i < run->n_ns; i++) {
		struct fl_result_shared *x;
		struct fl_ns_state st;

		if (!run->ns[i].owned || fl_dp_read_ns(&run->dp, fl_run_ns_slot(i), &st) ||
		    !st.shared_ns)
			continue;
		x = &r->shared[r->n_shared++];
		snprintf(x->netns, sizeof(x->netns), "%s", run->ns[i].path);
		x->at_ns = st.shared_ns;
		x->cgroup_id = st.cgroup_id;
		x->pid = st.pid;
		x->by_scan = st.by_scan;
	}
	r->probes = calloc(j->exp.n_probes ? j->exp.n_probes : 1, sizeof(*r->probes));
	for (i = 0; r->probes && i < j->exp.n_probes; i++) {
		struct fl_result_probe *x = &r->probes[r->n_probes++];

		snprintf(x->name, sizeof(x->name), "%s", j->exp.probes[i].name);
		x->samples = j->probe_samples[i];
		x->failures = j->probe_failures[i];
	}
}

/* Disarm (if the trip did not already), close the monitor, detach and
 * restore, take the last records, fill the result, release the kernel
 * objects. Every end of a job goes through here, once.
 */
static void fl_job_finish(struct fl_job *j, int loop_err)
{
	if (j->ended)
		return;
	fl_dp_disarm(&j->run.dp);
	if (j->state == FL_STATE_STARTED && j->ev.rb) {
		/* a breaker may have tripped while the loader was not looking */
		ring_buffer__consume(j->ev.rb);
		fl_job_read_breakers(j);
	}
	/* decided: records read while detaching update values, trip nothing */
	j->mon.closed = true;
	j->end_ns = fl_mono_ns();
	if (!j->disarmed_ns)
		j->disarmed_ns = j->end_ns;
	if (j->state == FL_STATE_STARTED)
		fl_job_decide(j, loop_err);
	j->links = j->run.n_att + j->run.dp.n_tp_links;
	fl_job_unpin(j);
	fl_session_stop(&j->run, j->e->who);
	j->detached_ns = fl_mono_ns();
	fl_probes_stop(j->probes);
	j->probes = NULL;
	if (j->ev.rb) {
		ring_buffer__consume(j->ev.rb);
		fl_events_sweep(&j->ev, fl_dp_flows_fd(&j->run.dp));
	}
	fl_job_fill_result(j);
	fl_events_close(&j->ev);
	fl_session_free(&j->run);
	j->ended = true;
}

static void fl_job_fail_start(struct fl_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fl_job_fail_start(struct fl_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->reason, sizeof(j->reason), fmt, ap);
	va_end(ap);
	j->state = FL_STATE_ERROR;
	fl_job_finish(j, 0);
}

int fl_job_set_pin(struct fl_job *j, const char *dir, const char *note)
{
	if (j->state != FL_STATE_PENDING)
		return -EALREADY;
	free(j->pin_note);
	j->pin_note = note ? strdup(note) : NULL;
	if (note && !j->pin_note)
		return -ENOMEM;
	snprintf(j->pin_dir, sizeof(j->pin_dir), "%s", dir);
	return 0;
}

/* What the engine needs to take the job back: the experiment's text and
 * its clock. The run's part is pin.c's.
 */
static int fl_job_pin(struct fl_job *j)
{
	json_object *o = json_object_new_object();
	int ret;

	json_object_object_add(o, "name", json_object_new_string(j->exp.name));
	json_object_object_add(o, "file", json_object_new_string(j->exp.file));
	json_object_object_add(o, "text", j->exp.text ? json_object_new_string(j->exp.text) : NULL);
	json_object_object_add(o, "note", j->pin_note ? json_object_new_string(j->pin_note) : NULL);
	json_object_object_add(o, "start_ns", json_object_new_int64(j->start_ns));
	json_object_object_add(o, "deadline_ns", json_object_new_int64(j->deadline_ns));
	json_object_object_add(o, "real_minus_mono", json_object_new_int64(j->real_minus_mono));
	ret = fl_pin_save(&j->run, j->pin_dir, o);
	json_object_put(o);
	return ret;
}

int fl_job_start(struct fl_job *j)
{
	int ret;

	/* a job stopped before it started has ended already */
	if (j->state != FL_STATE_PENDING)
		return -EALREADY;
	ret = fl_session_start(&j->run, j->e->who);
	if (ret) {
		fl_job_fail_start(j, "attaching failed (see above)");
		return ret;
	}
	ret = fl_events_open(&j->ev, fl_dp_events_fd(&j->run.dp));
	if (ret) {
		fl_job_fail_start(j, "opening the ring buffer failed: %s", strerror(-ret));
		return ret;
	}
	j->ev.on_flow = fl_job_flow_cb;
	j->ev.on_signal = fl_job_signal_cb;
	j->ev.on_breaker = fl_job_breaker_cb;
	j->ev.cb_ctx = j;
	j->start_ns = fl_mono_ns();
	j->deadline_ns = j->start_ns + j->exp.duration_ns;
	j->idle_ns = j->start_ns;
	ret = fl_monitor_init(&j->mon, j->exp.conditions, j->exp.n_conditions,
			      j->exp.n_targets, j->start_ns);
	if (ret) {
		fl_job_fail_start(j, "setting up the conditions failed: %s", strerror(-ret));
		return ret;
	}
	j->mon.on_trip = fl_job_on_trip;
	j->mon.ctx = j;
	fl_job_plan_breakers(j);
	/* armed first: a probe sample taken before the faults is no evidence */
	fl_dp_arm(&j->run.dp, j->deadline_ns);
	j->state = FL_STATE_STARTED;
	if (j->pin_dir[0]) {
		ret = fl_job_pin(j);
		if (ret) {
			fl_job_fail_start(j, "pinning it under %s failed (see above); it would not survive an agent restart",
					  j->pin_dir);
			return ret;
		}
	}
	ret = fl_job_start_probes(j);
	if (ret) {
		fl_job_fail_start(j, "starting probes or Prometheus queries failed: %s",
				  strerror(-ret));
		return ret;
	}
	return 0;
}

static const char *fl_json_str(json_object *o, const char *key)
{
	return json_object_get_string(json_object_object_get(o, key));
}

/* Seed the flow table from the ring buffer's backlog and the kernel's
 * table, with no callback: what happened while no one judged is not new
 * evidence, and the next record of a flow must count only what is new.
 */
static int fl_job_adopt_events(struct fl_job *j)
{
	int ret;

	ret = fl_events_open(&j->ev, fl_dp_events_fd(&j->run.dp));
	if (ret)
		return ret;
	ring_buffer__consume(j->ev.rb);
	fl_events_sweep(&j->ev, fl_dp_flows_fd(&j->run.dp));
	j->ev.on_flow = fl_job_flow_cb;
	j->ev.on_signal = fl_job_signal_cb;
	j->ev.on_breaker = fl_job_breaker_cb;
	j->ev.cb_ctx = j;
	return 0;
}

int fl_engine_adopt(struct fl_engine *e, const char *dir, struct fl_job **out, char **note,
		    char *err, size_t errlen)
{
	char why[1024] = "", perr[1024] = "";
	json_object *rec = NULL, *job;
	const char *text, *file, *name;
	struct fl_job *j;
	int i, ret, slot = -1;

	*out = NULL;
	*note = NULL;
	for (i = 0; i < FL_ENGINE_MAX_JOBS && slot < 0; i++)
		if (!e->jobs[i])
			slot = i;
	if (slot < 0) {
		fl_set_err(err, errlen, "%d experiments already run in this process", FL_ENGINE_MAX_JOBS);
		return -EBUSY;
	}
	ret = fl_pin_read(dir, &rec, err, errlen);
	if (ret)
		return ret;
	j = calloc(1, sizeof(*j));
	if (!j) {
		json_object_put(rec);
		fl_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	job = json_object_object_get(rec, "job");
	text = fl_json_str(job, "text");
	file = fl_json_str(job, "file");
	name = fl_json_str(job, "name");
	j->e = e;
	j->run.lock_fd = -1;
	j->mon.tripped = -1;
	j->mon.trip_target = -1;
	j->state = FL_STATE_STARTED;
	j->real_minus_mono = json_object_get_int64(json_object_object_get(job, "real_minus_mono"));
	j->start_ns = json_object_get_int64(json_object_object_get(job, "start_ns"));
	j->deadline_ns = json_object_get_int64(json_object_object_get(job, "deadline_ns"));
	j->adopted_ns = j->idle_ns = fl_mono_ns();
	snprintf(j->pin_dir, sizeof(j->pin_dir), "%s", dir);
	if (fl_json_str(job, "note"))
		*note = strdup(fl_json_str(job, "note"));
	/* the text passed the validator once; if it fails now (another
	 * version), the run is still taken back to be removed
	 */
	ret = text ? fl_experiment_parse(file && file[0] ? file : "<pinned>", text, strlen(text),
					 &j->exp, perr, sizeof(perr)) : -EINVAL;
	if (!ret)
		ret = fl_job_spec(j, perr, sizeof(perr));
	if (ret) {
		snprintf(why, sizeof(why), "its experiment no longer parses: %s", perr[0] ? perr : "no text");
		fl_experiment_free(&j->exp);
		snprintf(j->exp.name, sizeof(j->exp.name), "%s", name ? name : "unknown");
	}
	snprintf(j->exp.file, sizeof(j->exp.file), "%s", file ? file : "");
	/* even when it does not parse: what it holds must come off */
	if (fl_pin_open(&j->run, dir, rec, perr, sizeof(perr)) && !ret) {
		snprintf(why, sizeof(why), "%s", perr);
		ret = -EIO;
	}
	json_object_put(rec);
	e->jobs[slot] = j;
	e->n++;
	*out = j;
	if (!ret) {
		ret = fl_job_adopt_events(j);
		if (ret)
			snprintf(why, sizeof(why), "opening the ring buffer failed: %s", strerror(-ret));
	}
	if (!ret) {
		ret = fl_monitor_init(&j->mon, j->exp.conditions, j->exp.n_conditions,
				      j->exp.n_targets, j->adopted_ns);
		j->mon.on_trip = fl_job_on_trip;
		j->mon.ctx = j;
		if (ret)
			snprintf(why, sizeof(why), "setting up the conditions failed: %s", strerror(-ret));
	}
	if (!ret) {
		__u32 b;

		/* the breakers kept judging in the kernel while no agent ran:
		 * one that tripped then ends the job Failed now
		 */
		for (b = 0; b < j->run.dp.ctl->n_brk && b < FL_MAX_BREAKERS; b++)
			fl_monitor_set_kernel(&j->mon, j->run.dp.ctl->brk[b].cond);
		fl_job_read_breakers(j);
	}
	if (!ret) {
		ret = fl_job_start_probes(j);
		if (ret)
			snprintf(why, sizeof(why), "starting probes or Prometheus queries failed: %s",
				 strerror(-ret));
	}
	if (ret) {
		fl_set_err(err, errlen, "%s", why);
		fl_job_fail_start(j, "taking it back from %s failed: %s", dir, err);
	}
	return ret;
}

/* ---- the loop ---- */

void fl_engine_disarm_all(struct fl_engine *e)
{
	int i;

	for (i = 0; i < FL_ENGINE_MAX_JOBS; i++) {
		struct fl_job *j = e->jobs[i];

		if (j)
			fl_dp_disarm(&j->run.dp);
	}
}

void fl_job_stop(struct fl_job *j, int signo, pid_t stopper)
{
	if (j->ended || j->stop_asked)
		return;
	j->stop_asked = true;
	j->stop_signo = signo;
	j->stopper = stopper;
	fl_dp_disarm(&j->run.dp);
	if (j->state == FL_STATE_PENDING) {
		j->state = FL_STATE_ABORTED;
		snprintf(j->reason, sizeof(j->reason), "stopped before it started");
		fl_job_finish(j, 0);
	}
}

void fl_job_stop_why(struct fl_job *j, const char *why)
{
	if (j->ended || j->stop_asked)
		return;
	snprintf(j->stop_why, sizeof(j->stop_why), "%s", why);
	fl_job_stop(j, 0, 0);
}

void fl_engine_stop_all(struct fl_engine *e, int signo, pid_t stopper)
{
	int i;

	for (i = 0; i < FL_ENGINE_MAX_JOBS; i++)
		if (e->jobs[i])
			fl_job_stop(e->jobs[i], signo, stopper);
}

/* Everything a running job has waiting, then its conditions at @now. */
static void fl_job_serve(struct fl_job *j, __u64 now)
{
	/* records first: each is judged as it is taken */
	ring_buffer__consume(j->ev.rb);
	/* disarmed, yet no trip record came: a full ring buffer lost it, and
	 * the run would otherwise learn of the trip only at its deadline
	 */
	if (j->mon.tripped < 0 && j->run.dp.ctl && !j->run.dp.ctl->armed)
		fl_job_read_breakers(j);
	if (j->run.dp.ctl && j->run.dp.ctl->n_shared != j->n_shared_seen) {
		j->n_shared_seen = j->run.dp.ctl->n_shared;
		fl_session_release_shared(&j->run, j->e->who);
	}
	if (j->probes)
		fl_probes_drain(j->probes, fl_job_probe_cb, j);
	if (j->mon.tripped < 0)
		fl_monitor_tick(&j->mon, now < j->deadline_ns ? now : j->deadline_ns);
	if (now - j->idle_ns >= FL_IDLE_EVERY_NS) {
		j->idle_ns = now;
		fl_flows_expire_idle(j->ev.flows, now, FL_IDLE_NS);
	}
}

static bool fl_job_running(const struct fl_job *j)
{
	return j && j->state == FL_STATE_STARTED && !j->ended;
}

int fl_engine_step(struct fl_engine *e, int timeout_ms)
{
	struct pollfd pfd[FL_ENGINE_MAX_JOBS * 2];
	__u64 now = fl_mono_ns();
	int i, n = 0, ret, running = 0;

	for (i = 0; i < FL_ENGINE_MAX_JOBS; i++) {
		struct fl_job *j = e->jobs[i];
		int left;

		if (!fl_job_running(j))
			continue;
		/* wake for the deadline, and at least every tick for the
		 * conditions that trip on silence
		 */
		left = j->deadline_ns > now ? (j->deadline_ns - now) / NSEC_PER_MSEC + 1 : 0;
		if (left < timeout_ms)
			timeout_ms = left;
		if (j->ev.n_events != j->ev_seen && timeout_ms > FL_ENGINE_BUSY_MS)
			timeout_ms = FL_ENGINE_BUSY_MS;
		j->ev_seen = j->ev.n_events;
		if (j->stop_asked)
			timeout_ms = 0;
		pfd[n++] = (struct pollfd){ .fd = ring_buffer__epoll_fd(j->ev.rb),
					    .events = POLLIN };
		if (j->probes)
			pfd[n++] = (struct pollfd){ .fd = fl_probes_fd(j->probes), .events = POLLIN };
	}
	if (timeout_ms > FL_ENGINE_TICK_MS)
		timeout_ms = FL_ENGINE_TICK_MS;
	if (timeout_ms < 0)
		timeout_ms = 0;
	ret = poll(pfd, n, timeout_ms);
	if (ret < 0 && errno != EINTR)
		ret = -errno;
	else
		ret = 0;
	now = fl_mono_ns();
	for (i = 0; i < FL_ENGINE_MAX_JOBS; i++) {
		struct fl_job *j = e->jobs[i];

		if (!fl_job_running(j))
			continue;
		fl_job_serve(j, now);
		if (j->mon.tripped >= 0 || j->stop_asked || ret || now >= j->deadline_ns)
			fl_job_finish(j, ret);
		else
			running++;
	}
	return ret ? ret : running;
}

/* ---- targets of a running job ---- */

bool fl_engine_overlap(const struct fl_engine *e, const struct fl_job *self,
		       const struct fl_target_spec *t, char *err, size_t errlen)
{
	int i, u;

	for (i = 0; i < FL_ENGINE_MAX_JOBS; i++) {
		const struct fl_job *o = e->jobs[i];

		if (!o || o == self || o->ended)
			continue;
		for (u = 0; u < o->run.spec.n_targets; u++) {
			const struct fl_target_spec *y = &o->run.spec.targets[u];
			const char *how;

			if (o->run.gone & (1ULL << u))
				continue;
			if (t->cgid == y->cgid)
				how = "is the same cgroup as";
			else if (fl_target_covers(t, y))
				how = "is an ancestor of";
			else if (fl_target_covers(y, t))
				how = "is inside";
			else
				continue;
			fl_set_err(err, errlen,
				   "targets overlap: %s %s %s, a target of the running experiment %s; stop it first or choose another target",
				   t->path, how, y->path, o->exp.name);
			return true;
		}
	}
	return false;
}

static bool fl_job_running(const struct fl_job *j);

int fl_job_add_target(struct fl_job *j, struct fl_exp_target *t, char *err, size_t errlen)
{
	struct fl_run *run = &j->run;
	int i = j->exp.n_targets, k, first_ns = 0, first_place = 0, ret;
	char why[1600], root[PATH_MAX];
	struct fl_target_spec *ts;
	struct fl_exp_target *x;
	bool have_root = false;

	if (!fl_job_running(j) || j->stop_asked) {
		fl_set_err(err, errlen, "experiment %s is not running", j->exp.name);
		fl_exp_target_free(t);
		return -EALREADY;
	}
	if (i >= FL_EXP_MAX_TARGETS || i >= FL_SPEC_MAX_TARGETS) {
		fl_set_err(err, errlen, "%s %s: experiment %s has had %d targets, the most one run may have over its life; start another experiment",
			   fl_target_kind_name(t->kind), t->ref ? t->ref : "", j->exp.name, i);
		fl_exp_target_free(t);
		return -E2BIG;
	}
	x = &j->exp.targets[i];
	*x = *t;
	memset(t, 0, sizeof(*t));	/* the job's now; freed below on failure */
	x->line = x->col = 0;
	ts = &run->spec.targets[i];
	memset(ts, 0, sizeof(*ts));
	if (x->kind == FL_TARGET_CGROUP)
		snprintf(ts->path, sizeof(ts->path), "%s", x->cgroup);
	ret = fl_job_locate(j, i, root, &have_root, why, sizeof(why));
	if (!ret)
		ret = fl_target_resolve(ts, why, sizeof(why));
	if (ret) {
		fl_set_err(err, errlen, "%s %s: %s", fl_target_kind_name(x->kind), x->ref, why);
		ret = -EINVAL;
		goto fail;
	}
	for (k = 0; k < i; k++) {
		if ((run->gone & (1ULL << k)) || run->spec.targets[k].cgid != ts->cgid)
			continue;
		fl_set_err(err, errlen, "%s %s: resolves to %s, already a target of experiment %s (%s %s)",
			   fl_target_kind_name(x->kind), x->ref, ts->path, j->exp.name,
			   fl_target_kind_name(j->exp.targets[k].kind), j->exp.targets[k].ref);
		ret = -EEXIST;
		goto fail;
	}
	if (fl_engine_overlap(j->e, j, ts, err, errlen)) {
		ret = -EBUSY;
		goto fail;
	}
	/* counted first: whether a namespace is owned is judged over all of
	 * the job's targets, this one included
	 */
	run->spec.n_targets = i + 1;
	ret = fl_place_add_target(run, i, j->e->who, &first_ns, &first_place, err, errlen);
	if (ret)
		goto fail;
	ret = fl_session_add_target(run, i, first_ns, first_place, j->e->who, err, errlen);
	if (ret) {
		fl_place_undo_target(run, i, first_ns, first_place);
		goto fail;
	}
	ret = fl_monitor_add_target(&j->mon, i, fl_mono_ns());
	if (ret) {
		fl_set_err(err, errlen, "%s %s: setting up its conditions failed: %s",
			   fl_target_kind_name(x->kind), x->ref, strerror(-ret));
		fl_session_remove_target(run, i, j->e->who, why, sizeof(why));
		goto fail_placed;
	}
	j->exp.n_targets = i + 1;
	return 0;
fail_placed:
	/* the id stays taken: its maps and series exist */
	j->exp.n_targets = i + 1;
	return ret;
fail:
	run->spec.n_targets = i;
	memset(ts, 0, sizeof(*ts));
	fl_exp_target_free(x);
	return ret;
}

int fl_job_remove_target(struct fl_job *j, const char *ref, char *err, size_t errlen)
{
	int k;

	if (!fl_job_running(j) || j->stop_asked) {
		fl_set_err(err, errlen, "experiment %s is not running", j->exp.name);
		return -EALREADY;
	}
	for (k = 0; k < j->exp.n_targets; k++)
		if (!(j->run.gone & (1ULL << k)) && j->exp.targets[k].ref &&
		    !strcmp(j->exp.targets[k].ref, ref))
			break;
	if (k == j->exp.n_targets) {
		fl_set_err(err, errlen, "%s is not a target of experiment %s", ref, j->exp.name);
		return -ENOENT;
	}
	fl_monitor_remove_target(&j->mon, k);
	return fl_session_remove_target(&j->run, k, j->e->who, err, errlen);
}

/* ---- views ---- */

bool fl_job_ended(const struct fl_job *j)
{
	return j->ended;
}

const struct fl_experiment *fl_job_experiment(const struct fl_job *j)
{
	return &j->exp;
}

const struct fl_run *fl_job_run(const struct fl_job *j)
{
	return &j->run;
}

const struct fl_result *fl_job_result(const struct fl_job *j)
{
	return j->ended ? &j->res : NULL;
}

void fl_job_status(const struct fl_job *j, struct fl_job_status *st)
{
	__u64 now = fl_mono_ns();
	int i;

	memset(st, 0, sizeof(*st));
	st->name = j->exp.name;
	st->state = j->state;
	st->duration_s = j->exp.duration_ns / 1e9;
	if (j->start_ns)
		st->elapsed_s = ((j->ended ? j->end_ns : now) - j->start_ns) / 1e9;
	if (!j->ended && j->run.dp.skel)
		fl_dp_read_counters(&j->run.dp, j->run.spec.n_targets, j->run.spec.n_rules,
				    &st->counters);
	else if (j->ended)
		st->counters = j->res.counters;
	st->flows = j->ended ? j->res.n_flows : j->ev.flows ? fl_flows_count(j->ev.flows) : 0;
	for (i = 0; i < j->mon.n && i < FL_EXP_MAX_CONDITIONS; i++) {
		const struct fl_mon_cond *mc = &j->mon.conds[i];

		st->conds[i].name = mc->c->name;
		st->conds[i].op = fl_cmp_symbol(mc->c->cmp);
		st->conds[i].threshold = mc->c->threshold;
		st->conds[i].has_value = mc->has_value;
		st->conds[i].value = mc->value;
	}
	st->n_conds = i;
}
