// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What a run holds in the kernel: the loaded object, its maps, the root
 * qdiscs it replaced and its attachments; and taking all of it back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "log.h"
#include "run.h"
#include "state.h"
#include "targets.h"

static int fl_session_fill(struct fl_run *run, const char *who)
{
	struct fl_spec *spec = &run->spec;
	int i, j, n, ret;

	for (i = 0; i < spec->n_targets; i++) {
		ret = fl_dp_add_target(&run->dp, &spec->targets[i], i, spec->rules, spec->n_rules);
		if (ret) {
			pr_warn("%s: installing target %s failed: %s\n", who,
				spec->targets[i].path, strerror(-ret));
			return ret;
		}
	}
	if (run->ingress == FL_INGRESS_CGROUP)
		return 0;
	/* the addresses of the namespaces the targets own (not of peers) */
	for (i = 0; i < run->n_ns; i++) {
		struct fl_addr addrs[FL_MAX_ADDRS];
		__u64 cookie;

		if (!run->ns[i].owned)
			continue;
		ret = fl_netns_addrs(&run->ns[i], addrs, FL_MAX_ADDRS, &n);
		if (ret) {
			pr_warn("%s: reading the addresses of %s failed: %s\n", who,
				run->ns[i].path, strerror(-ret));
			return ret;
		}
		ret = fl_netns_cookie(&run->ns[i], &cookie);
		if (!ret)
			ret = fl_dp_add_owned_ns(&run->dp, fl_run_ns_slot(i), cookie);
		if (ret) {
			pr_warn("%s: watching %s for other processes' sockets failed: %s\n", who,
				run->ns[i].path, strerror(-ret));
			return ret;
		}
		for (j = 0; j < n; j++) {
			ret = fl_dp_add_owned(&run->dp, &addrs[j], run->ns_owner[i],
					      fl_run_ns_slot(i), spec->rules, spec->n_rules);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* The watcher sees sockets made after it was attached; a process that
 * came in between the first scan and then is found by scanning again.
 */
static int fl_session_recheck_owned(struct fl_run *run, const char *who)
{
	int i, ret;

	for (i = 0; i < run->n_ns; i++) {
		bool any_target;
		pid_t pid;

		if (!run->ns[i].owned)
			continue;
		ret = fl_netns_foreign_pid(&run->ns[i], &run->spec, &pid, &any_target);
		if (ret)
			return ret;
		if (!pid)
			continue;
		pr_info("%s: %s is no longer the targets' alone (pid %d came in): its ingress is decided at the targets' sockets\n",
			who, run->ns[i].path, pid);
		ret = fl_dp_mark_shared(&run->dp, fl_run_ns_slot(i), pid, fl_mono_ns());
		if (ret)
			return ret;
	}
	return 0;
}

static int fl_session_qdiscs(struct fl_run *run, const char *who)
{
	struct fl_fq_params fq;
	char err[512];
	__u64 pps, hold, queue;
	int i, saved = -1, ret;

	/* size for 100k pps by default, or the rate limit (in minimal frames),
	 * over the longest hold: a delay, plus the queue a rate limit builds
	 */
	pps = 100000;
	queue = 0;
	for (i = 0; i < run->spec.n_rules; i++) {
		const struct fl_fault *r = &run->spec.rules[i];
		__u64 rp = r->rate_unit == FL_RATE_PPS ? r->rate :
			   r->rate_unit == FL_RATE_BPS ? r->rate / (64 * 8) : 0;

		if (rp > pps)
			pps = rp;
		if (r->rate_unit != FL_RATE_NONE && r->rate)
			queue = FL_RATE_QUEUE_NS;
	}
	hold = fl_spec_max_hold(&run->spec, 4) + queue;
	fl_fq_size(&fq, pps, hold ? hold : 1000000);
	for (i = 0; i < run->n_place; i++) {
		struct fl_place *p = &run->place[i];
		struct fl_qdisc_saved *q = &run->qd[run->n_qd];

		if (!p->fq)
			continue;
		ret = fl_netns_enter(&run->ns[p->ns], &saved);
		if (ret)
			return ret;
		ret = fl_qdisc_install_fq(p->ifindex, p->ifname, &fq, run->spec.force_qdisc, q, err,
					  sizeof(err));
		fl_netns_restore(saved);
		if (ret) {
			pr_warn("%s: %s\n", who, err);
			return ret;
		}
		run->qd_place[run->n_qd++] = i;
		fl_state_record_qdisc(run->rec, run->ns[p->ns].ino, run->ns[p->ns].dev, p->ifname, q);
	}
	return 0;
}

static int fl_session_attach(struct fl_run *run, const char *who)
{
	const struct fl_spec *spec = &run->spec;
	bool egress = (fl_spec_dirs(spec) & FL_DIRM_EGRESS) || spec->observe;
	bool ingress = (fl_spec_dirs(spec) & FL_DIRM_INGRESS) || spec->observe;
	char err[512];
	int i, ret = 0;

	if (ingress && fl_ingress_by_owner(run->ingress)) {
		char root[PATH_MAX];

		ret = fl_cgroup2_mount(root, sizeof(root));
		if (ret) {
			snprintf(err, sizeof(err), "finding the cgroup v2 mount failed: %s",
				 strerror(-ret));
			goto fail;
		}
		/* at the root: whoever enters a target's namespace, from any cgroup */
		ret = fl_attach_cgroup(&run->att[run->n_att], root, FL_HOOK_CGROUP_SOCK,
				       fl_dp_prog_fd(&run->dp, FL_PROG_SOCK_WATCH), err, sizeof(err));
		if (ret)
			goto fail;
		run->n_att++;
		ret = fl_session_recheck_owned(run, who);
		if (ret)
			return ret;
		run->dp.ctl->owner_in = 1;
	}
	for (i = 0; i < run->n_place; i++) {
		const struct fl_place *p = &run->place[i];
		struct fl_netns *ns = &run->ns[p->ns];
		struct fl_attachment *a;

		if (p->peer) {
			a = &run->att[run->n_att];
			ret = fl_attach_tc(a, ns, p->ifname,
					   fl_dp_prog_fd(&run->dp, run->tcx ? FL_PROG_TCX_PIN : FL_PROG_CLS_PIN),
					   true, run->tcx, run->rec, err, sizeof(err));
			if (ret)
				goto fail;
			run->n_att++;
			continue;
		}
		if (egress) {
			a = &run->att[run->n_att];
			ret = fl_attach_tc(a, ns, p->ifname,
					   fl_dp_prog_fd(&run->dp, run->tcx ? FL_PROG_TCX_EG : FL_PROG_CLS_EG),
					   true, run->tcx, run->rec, err, sizeof(err));
			if (ret)
				goto fail;
			run->n_att++;
		}
		if (ingress && (run->ingress == FL_INGRESS_XDP || run->ingress == FL_INGRESS_TC)) {
			a = &run->att[run->n_att];
			if (run->ingress == FL_INGRESS_XDP)
				ret = fl_attach_xdp(a, ns, p->ifname, fl_dp_prog_fd(&run->dp, FL_PROG_XDP_IN),
						    run->xdp_mode, err, sizeof(err));
			else
				ret = fl_attach_tc(a, ns, p->ifname, fl_dp_prog_fd(&run->dp, FL_PROG_TC_IN),
						   false, run->tcx, run->rec, err, sizeof(err));
			if (ret)
				goto fail;
			run->n_att++;
		}
	}
	if (spec->observe) {
		ret = fl_dp_attach_observe(&run->dp);
		if (ret)
			return ret;
		run->dp.ctl->observe = 1;
	}
	if (ingress) {
		for (i = 0; i < spec->n_targets; i++) {
			ret = fl_attach_cgroup(&run->att[run->n_att], spec->targets[i].path,
					       FL_HOOK_CGROUP_INGRESS,
					       fl_dp_prog_fd(&run->dp, FL_PROG_CG_IN), err, sizeof(err));
			if (ret)
				goto fail;
			run->n_att++;
		}
	}
	return 0;
fail:
	pr_warn("%s: %s\n", who, err);
	return ret;
}

int fl_session_start(struct fl_run *run, const char *who)
{
	int ret;

	run->rec = fl_state_new_record();
	ret = fl_state_lock(false, &run->lock_fd);
	if (ret) {
		pr_warn("%s: locking %s failed: %s; is 'faultline cleanup' running?\n", who,
			FL_STATE_DIR, strerror(-ret));
		return ret;
	}
	ret = fl_dp_open(&run->dp, fl_place_progs(run));
	if (ret)
		return ret;
	ret = fl_session_fill(run, who);
	if (ret)
		return ret;
	ret = fl_session_qdiscs(run, who);
	if (ret)
		return ret;
	return fl_session_attach(run, who);
}

static void fl_sleep_ns(__u64 ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool fl_hook_is_xdp(enum fl_hook hook)
{
	return hook == FL_HOOK_XDP_NATIVE || hook == FL_HOOK_XDP_GENERIC;
}

static int fl_session_detach(struct fl_attachment *a, const char *who)
{
	int ret = fl_detach(a);

	if (ret)
		pr_warn("%s: detaching %s from %s failed: %s; run 'faultline cleanup'\n",
			who, fl_hook_name(a->hook),
			fl_hook_is_cgroup(a->hook) ? a->cgroup : a->ifname, strerror(-ret));
	return ret;
}

void fl_session_stop(struct fl_run *run, const char *who)
{
	bool held = false, failed = false;
	__u64 hold;
	int i, saved = -1, ret;

	fl_dp_disarm(&run->dp);
	fl_dp_detach_observe(&run->dp);
	/* XDP links last: closing one leaves a grace period running, and the
	 * tcx close after it waited for that one and a new one (24 ms for
	 * XDP then tcx here, 16 ms for tcx then XDP; bench/RESULTS.md)
	 */
	for (i = run->n_att - 1; i >= 0; i--)
		if (!fl_hook_is_xdp(run->att[i].hook))
			failed |= fl_session_detach(&run->att[i], who) != 0;
	for (i = run->n_att - 1; i >= 0; i--)
		if (fl_hook_is_xdp(run->att[i].hook))
			failed |= fl_session_detach(&run->att[i], who) != 0;
	/* packets fq still holds are dropped with it: let them leave first */
	for (i = 0; i < run->n_qd; i++)
		held |= run->qd[i].installed;
	hold = fl_spec_max_hold(&run->spec, 3);
	if (held && hold)
		fl_sleep_ns(hold < 1000000000ULL ? hold : 1000000000ULL);
	for (i = run->n_qd - 1; i >= 0; i--) {
		const struct fl_place *p = &run->place[run->qd_place[i]];

		if (!run->qd[i].installed)
			continue;
		ret = fl_netns_enter(&run->ns[p->ns], &saved);
		if (!ret) {
			__u64 drops = 0;

			if (!fl_qdisc_fq_drops(p->ifindex, &drops))
				run->fq_drops += drops;
			ret = fl_qdisc_restore(&run->qd[i]);
			fl_netns_restore(saved);
		}
		failed |= ret != 0;
		if (ret)
			pr_warn("%s: restoring the %s root qdisc of %s failed: %s; run 'faultline cleanup'\n",
				who, run->qd[i].kind, p->ifname, strerror(-ret));
	}
	/* keep the records for 'faultline cleanup' when something stayed */
	if (!failed)
		fl_state_forget(run->rec);
}

void fl_session_free(struct fl_run *run)
{
	int i;

	fl_dp_close(&run->dp);
	fl_state_unlock(run->lock_fd);
	run->lock_fd = -1;
	for (i = 0; i < run->n_ns; i++)
		fl_netns_close(&run->ns[i]);
	run->n_ns = 0;
}
