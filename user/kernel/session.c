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

static void fl_sleep_ns(__u64 ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ULL, .tv_nsec = ns % 1000000000ULL };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}


/* The addresses of namespace @i, which target ns_owner[i] owns, become
 * that target's (not those of peers: they are not owned).
 */
static int fl_session_own_ns(struct fl_run *run, int i, char *err, size_t errlen)
{
	struct fl_spec *spec = &run->spec;
	struct fl_addr addrs[FL_MAX_ADDRS];
	int j, n, ret;

	__u64 cookie;

	if (run->ingress == FL_INGRESS_CGROUP || !run->ns[i].owned)
		return 0;
	ret = fl_netns_addrs(&run->ns[i], addrs, FL_MAX_ADDRS, &n);
	if (ret) {
		fl_set_err(err, errlen, "reading the addresses of %s failed: %s", run->ns[i].path,
			   strerror(-ret));
		return ret;
	}
	/* the socket watcher ends the ownership of the namespace it knows */
	ret = fl_netns_cookie(&run->ns[i], &cookie);
	if (!ret)
		ret = fl_dp_add_owned_ns(&run->dp, fl_run_ns_slot(i), cookie);
	if (ret) {
		fl_set_err(err, errlen, "watching %s for other processes' sockets failed: %s",
			   run->ns[i].path, strerror(-ret));
		return ret;
	}
	for (j = 0; j < n; j++) {
		ret = fl_dp_add_owned(&run->dp, &addrs[j], run->ns_owner[i], fl_run_ns_slot(i),
				      spec->rules, spec->n_rules);
		if (ret) {
			fl_set_err(err, errlen, "installing an address of %s failed: %s",
				   run->ns[i].path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* The watcher sees sockets made after it was attached; a process that
 * came into namespaces @from.. between the first scan and then is found by
 * scanning again.
 */
static int fl_session_recheck_owned(struct fl_run *run, int from, const char *who)
{
	int i, ret;

	for (i = from; i < run->n_ns; i++) {
		bool any_target;
		pid_t pid;

		if (run->ingress == FL_INGRESS_CGROUP || !run->ns[i].owned)
			continue;
		ret = fl_netns_foreign_pid(&run->ns[i], &run->spec, &pid, &any_target);
		if (ret)
			return ret;
		if (!pid)
			continue;
		pr_warn("%s: %s is no longer the targets' alone (pid %d came in): its ingress is decided at the targets' sockets\n",
			who, run->ns[i].path, pid);
		ret = fl_dp_mark_shared(&run->dp, fl_run_ns_slot(i), pid, fl_mono_ns());
		if (ret)
			return ret;
	}
	return 0;
}

static int fl_session_fill(struct fl_run *run, const char *who)
{
	struct fl_spec *spec = &run->spec;
	char err[512];
	int i, ret;

	for (i = 0; i < spec->n_targets; i++) {
		ret = fl_dp_add_target(&run->dp, &spec->targets[i], i, spec->rules, spec->n_rules);
		if (ret) {
			pr_warn("%s: installing target %s failed: %s\n", who,
				spec->targets[i].path, strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < run->n_ns; i++) {
		ret = fl_session_own_ns(run, i, err, sizeof(err));
		if (ret) {
			pr_warn("%s: %s\n", who, err);
			return ret;
		}
	}
	return 0;
}

/* fq on the places from @from on that need it; @err NULL: said in the log. */
static int fl_session_qdiscs(struct fl_run *run, const char *who, int from, char *msg,
			     size_t msglen)
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
	for (i = from; i < run->n_place; i++) {
		struct fl_place *p = &run->place[i];
		struct fl_qdisc_saved *q = &run->qd[run->n_qd];

		if (!p->fq)
			continue;
		if (run->n_qd >= FL_MAX_QDISC) {
			snprintf(err, sizeof(err), "%s: more than %d fq qdiscs in one run", p->ifname,
				 FL_MAX_QDISC);
			ret = -E2BIG;
			goto fail;
		}
		ret = fl_netns_enter(&run->ns[p->ns], &saved);
		if (ret) {
			snprintf(err, sizeof(err), "entering %s failed: %s", run->ns[p->ns].path,
				 strerror(-ret));
			goto fail;
		}
		ret = fl_qdisc_install_fq(p->ifindex, p->ifname, &fq, run->spec.force_qdisc, q, err,
					  sizeof(err));
		fl_netns_restore(saved);
		if (ret)
			goto fail;
		run->qd_place[run->n_qd++] = i;
		fl_state_record_qdisc(run->rec, run->ns[p->ns].ino, run->ns[p->ns].dev, p->ifname, q);
	}
	return 0;
fail:
	if (msg)
		fl_set_err(msg, msglen, "%s", err);
	else
		pr_warn("%s: %s\n", who, err);
	return ret;
}

/* The next attachment slot, owned by place @place or target @target. */
static struct fl_attachment *fl_session_slot(struct fl_run *run, int place, int target)
{
	if (run->n_att >= FL_MAX_ATTACH)
		return NULL;
	run->att_place[run->n_att] = place;
	run->att_target[run->n_att] = target;
	return &run->att[run->n_att];
}

/* The interface programs on the places from @from on. */
static int fl_session_attach_places(struct fl_run *run, int from, char *err, size_t errlen)
{
	const struct fl_spec *spec = &run->spec;
	bool egress = (fl_spec_dirs(spec) & FL_DIRM_EGRESS) || spec->observe;
	bool ingress = (fl_spec_dirs(spec) & FL_DIRM_INGRESS) || spec->observe;
	int i, k, ret = 0;

	for (i = from; i < run->n_place; i++) {
		const struct fl_place *p = &run->place[i];
		struct fl_netns *ns = &run->ns[p->ns];
		/* what goes on this interface, in order */
		enum fl_prog progs[2];
		int n = 0;

		if (p->peer) {
			progs[n++] = run->tcx ? FL_PROG_TCX_PIN : FL_PROG_CLS_PIN;
		} else {
			if (egress)
				progs[n++] = run->tcx ? FL_PROG_TCX_EG : FL_PROG_CLS_EG;
			if (ingress && run->ingress == FL_INGRESS_XDP)
				progs[n++] = FL_PROG_XDP_IN;
			else if (ingress && run->ingress == FL_INGRESS_TC)
				progs[n++] = FL_PROG_TC_IN;
		}
		for (k = 0; k < n; k++) {
			struct fl_attachment *a = fl_session_slot(run, i, -1);
			int fd = fl_dp_prog_fd(&run->dp, progs[k]);

			if (!a) {
				fl_set_err(err, errlen, "%s: more than %d attachments in one run",
					   p->ifname, FL_MAX_ATTACH);
				return -E2BIG;
			}
			if (progs[k] == FL_PROG_XDP_IN)
				ret = fl_attach_xdp(a, ns, p->ifname, fd, run->xdp_mode, err, errlen);
			else
				ret = fl_attach_tc(a, ns, p->ifname, fd, progs[k] != FL_PROG_TC_IN,
						   run->tcx, run->rec, err, errlen);
			if (ret)
				return ret;
			run->n_att++;
		}
	}
	return 0;
}

/* Target @t's cgroup ingress link. */
static int fl_session_attach_cgroup(struct fl_run *run, int t, char *err, size_t errlen)
{
	const struct fl_spec *spec = &run->spec;
	bool ingress = (fl_spec_dirs(spec) & FL_DIRM_INGRESS) || spec->observe;
	struct fl_attachment *a;
	int ret;

	/* with every ingress hook: where an owned namespace that turns
	 * shared is decided
	 */
	if (!ingress)
		return 0;
	a = fl_session_slot(run, -1, t);
	if (!a) {
		fl_set_err(err, errlen, "%s: more than %d attachments in one run",
			   spec->targets[t].path, FL_MAX_ATTACH);
		return -E2BIG;
	}
	ret = fl_attach_cgroup(a, spec->targets[t].path, FL_HOOK_CGROUP_INGRESS,
			       fl_dp_prog_fd(&run->dp, FL_PROG_CG_IN), err, errlen);
	if (!ret)
		run->n_att++;
	return ret;
}

/* The socket watcher, on the cgroup root: whoever enters a namespace a
 * target owns, from any cgroup, ends that ownership.
 */
static int fl_session_attach_watcher(struct fl_run *run, const char *who, char *err,
				     size_t errlen)
{
	const struct fl_spec *spec = &run->spec;
	bool ingress = (fl_spec_dirs(spec) & FL_DIRM_INGRESS) || spec->observe;
	struct fl_attachment *a;
	char root[PATH_MAX];
	int ret;

	if (!ingress || !fl_ingress_by_owner(run->ingress))
		return 0;
	ret = fl_cgroup2_mount(root, sizeof(root));
	if (ret) {
		fl_set_err(err, errlen, "finding the cgroup v2 mount failed: %s", strerror(-ret));
		return ret;
	}
	a = fl_session_slot(run, -1, -1);
	if (!a) {
		fl_set_err(err, errlen, "more than %d attachments in one run", FL_MAX_ATTACH);
		return -E2BIG;
	}
	ret = fl_attach_cgroup(a, root, FL_HOOK_CGROUP_SOCK,
			       fl_dp_prog_fd(&run->dp, FL_PROG_SOCK_WATCH), err, errlen);
	if (ret)
		return ret;
	run->n_att++;
	ret = fl_session_recheck_owned(run, 0, who);
	if (ret) {
		fl_set_err(err, errlen, "scanning the owned namespaces again failed: %s",
			   strerror(-ret));
		return ret;
	}
	run->dp.ctl->owner_in = 1;
	return 0;
}

static int fl_session_attach(struct fl_run *run, const char *who)
{
	const struct fl_spec *spec = &run->spec;
	char err[512];
	int i, ret;

	ret = fl_session_attach_watcher(run, who, err, sizeof(err));
	if (ret)
		goto fail;
	ret = fl_session_attach_places(run, 0, err, sizeof(err));
	if (ret)
		goto fail;
	if (spec->observe) {
		ret = fl_dp_attach_observe(&run->dp);
		if (ret)
			return ret;
		run->dp.ctl->observe = 1;
	}
	for (i = 0; i < spec->n_targets; i++) {
		ret = fl_session_attach_cgroup(run, i, err, sizeof(err));
		if (ret)
			goto fail;
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
			fl_state_dir() ?: FL_STATE_DIR, strerror(-ret));
		return ret;
	}
	ret = fl_dp_open(&run->dp, fl_place_progs(run));
	if (ret)
		return ret;
	ret = fl_session_fill(run, who);
	if (ret)
		return ret;
	ret = fl_session_qdiscs(run, who, 0, NULL, 0);
	if (ret)
		return ret;
	return fl_session_attach(run, who);
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

/* Put back the root qdisc fq replaced (qd[@i]), counting what fq dropped. */
static int fl_session_restore_qd(struct fl_run *run, int i)
{
	const struct fl_place *p = &run->place[run->qd_place[i]];
	int saved = -1, ret;
	__u64 drops = 0;

	ret = fl_netns_enter(&run->ns[p->ns], &saved);
	if (ret)
		return ret;
	if (!fl_qdisc_fq_drops(p->ifindex, &drops))
		run->fq_drops += drops;
	ret = fl_qdisc_restore(&run->qd[i]);
	fl_netns_restore(saved);
	return ret;
}

void fl_session_stop(struct fl_run *run, const char *who)
{
	bool held = false, failed = false;
	__u64 hold;
	int i, ret;

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
		ret = fl_session_restore_qd(run, i);
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

/* ---- targets added and removed while the run goes on ---- */

static bool fl_gone_ok(int ret)
{
	/* the interface or namespace went first (a pod deleted): its
	 * attachments and qdiscs went with it
	 */
	return !ret || ret == -ENODEV || ret == -ENOENT || ret == -EINVAL;
}

/* Detach attachment @i and close the gap, keeping the order. */
static int fl_session_drop_att(struct fl_run *run, int i, const char *who)
{
	int ret = fl_detach(&run->att[i]);

	if (!fl_gone_ok(ret))
		pr_warn("%s: detaching %s from %s failed: %s\n", who, fl_hook_name(run->att[i].hook),
			fl_hook_is_cgroup(run->att[i].hook) ? run->att[i].cgroup :
			run->att[i].ifname, strerror(-ret));
	else
		ret = 0;
	if (!ret) {
		memmove(&run->att[i], &run->att[i + 1], (run->n_att - i - 1) * sizeof(run->att[0]));
		memmove(&run->att_place[i], &run->att_place[i + 1],
			(run->n_att - i - 1) * sizeof(run->att_place[0]));
		memmove(&run->att_target[i], &run->att_target[i + 1],
			(run->n_att - i - 1) * sizeof(run->att_target[0]));
		run->n_att--;
	}
	return ret;
}

int fl_session_release_shared(struct fl_run *run, const char *who)
{
	int i, k, n = 0;

	for (k = 0; k < run->n_ns; k++) {
		struct fl_ns_state st;
		int m = 0;

		if (!run->ns[k].owned || run->ns_released[k] ||
		    fl_dp_read_ns(&run->dp, fl_run_ns_slot(k), &st) || !st.shared_ns)
			continue;
		run->ns_released[k] = true;
		for (i = run->n_att - 1; i >= 0; i--) {
			enum fl_hook h = run->att[i].hook;
			int p = run->att_place[i];

			/* a legacy filter stays: its clsact may hold the egress
			 * filter too; it passes these packets all the same
			 */
			if (p < 0 || run->place[p].peer || run->place[p].ns != k ||
			    (h != FL_HOOK_XDP_NATIVE && h != FL_HOOK_XDP_GENERIC &&
			     h != FL_HOOK_TCX_INGRESS))
				continue;
			if (!fl_session_drop_att(run, i, who))
				m++;
		}
		n += m;
		pr_warn("%s: %s is shared now (pid %u came in): %d owner hook%s taken off; the targets' ingress is decided at their sockets\n",
			who, run->ns[k].path, st.pid, m, m == 1 ? "" : "s");
	}
	return n;
}

/* Put back the root qdisc fq replaced on a place no target needs now. */
static int fl_session_drop_qd(struct fl_run *run, int i, const char *who)
{
	const struct fl_place *p = &run->place[run->qd_place[i]];
	int ret = 0;

	if (run->qd[i].installed)
		ret = fl_session_restore_qd(run, i);
	if (!fl_gone_ok(ret)) {
		pr_warn("%s: restoring the %s root qdisc of %s failed: %s\n", who, run->qd[i].kind,
			p->ifname, strerror(-ret));
		return ret;
	}
	memmove(&run->qd[i], &run->qd[i + 1], (run->n_qd - i - 1) * sizeof(run->qd[0]));
	memmove(&run->qd_place[i], &run->qd_place[i + 1],
		(run->n_qd - i - 1) * sizeof(run->qd_place[0]));
	run->n_qd--;
	return 0;
}

/* Take off what places from @first_place on and target @t's cgroup link
 * hold, after a failed add: the places are new, so only @t used them.
 */
static void fl_session_unadd(struct fl_run *run, int t, int first_place, const char *who)
{
	int i;

	fl_dp_remove_target(&run->dp, &run->spec.targets[t]);
	fl_dp_remove_owned(&run->dp, t);
	for (i = run->n_att - 1; i >= 0; i--)
		if (run->att_place[i] >= first_place || run->att_target[i] == t)
			fl_session_drop_att(run, i, who);
	for (i = run->n_qd - 1; i >= 0; i--)
		if (run->qd_place[i] >= first_place)
			fl_session_drop_qd(run, i, who);
}

int fl_session_add_target(struct fl_run *run, int t, int first_ns, int first_place,
			  const char *who, char *err, size_t errlen)
{
	struct fl_spec *spec = &run->spec;
	int i, ret;

	ret = fl_dp_add_target(&run->dp, &spec->targets[t], t, spec->rules, spec->n_rules);
	if (ret) {
		fl_set_err(err, errlen, "installing target %s failed: %s", spec->targets[t].path,
			   ret == -E2BIG ? "too many targets or cgroup depths in one run" :
			   strerror(-ret));
		goto fail;
	}
	for (i = first_ns; i < run->n_ns; i++) {
		ret = fl_session_own_ns(run, i, err, errlen);
		if (ret)
			goto fail;
	}
	/* the watcher runs already: only the gap before the cookies went in */
	ret = fl_session_recheck_owned(run, first_ns, who);
	if (ret) {
		fl_set_err(err, errlen, "scanning the new namespaces failed: %s", strerror(-ret));
		goto fail;
	}
	ret = fl_session_qdiscs(run, who, first_place, err, errlen);
	if (ret)
		goto fail;
	ret = fl_session_attach_places(run, first_place, err, errlen);
	if (!ret)
		ret = fl_session_attach_cgroup(run, t, err, errlen);
	if (ret)
		goto fail;
	return 0;
fail:
	fl_session_unadd(run, t, first_place, who);
	return ret;
}

int fl_session_remove_target(struct fl_run *run, int t, const char *who, char *err,
			     size_t errlen)
{
	__u64 bit = 1ULL << t, hold;
	bool held = false;
	int i, k, ret, first = 0;

	/* its packets pass from here on */
	ret = fl_dp_remove_target(&run->dp, &run->spec.targets[t]);
	if (ret && ret != -ENOENT) {
		fl_set_err(err, errlen, "removing target %s from the maps failed: %s",
			   run->spec.targets[t].path, strerror(-ret));
		return ret;
	}
	ret = fl_dp_remove_owned(&run->dp, t);
	if (ret) {
		fl_set_err(err, errlen, "removing the addresses of target %s failed: %s",
			   run->spec.targets[t].path, strerror(-ret));
		return ret;
	}
	run->gone |= bit;
	for (i = 0; i < run->n_ns; i++)
		run->ns_targets[i] &= ~bit;
	for (i = 0; i < run->n_place; i++)
		run->place[i].targets &= ~bit;
	for (i = run->n_att - 1; i >= 0; i--) {
		int p = run->att_place[i];

		if (run->att_target[i] != t && (p < 0 || run->place[p].targets))
			continue;
		ret = fl_session_drop_att(run, i, who);
		if (ret && !first) {
			first = ret;
			fl_set_err(err, errlen, "detaching %s from %s failed: %s; it is taken off when the experiment ends",
				   fl_hook_name(run->att[i].hook), run->att[i].ifname, strerror(-ret));
		}
	}
	/* packets fq still holds go with it: let them leave first */
	for (i = 0; i < run->n_qd; i++)
		held |= run->qd[i].installed && !run->place[run->qd_place[i]].targets;
	hold = fl_spec_max_hold(&run->spec, 3);
	if (held && hold)
		fl_sleep_ns(hold < 1000000000ULL ? hold : 1000000000ULL);
	for (i = run->n_qd - 1; i >= 0; i--) {
		if (run->place[run->qd_place[i]].targets)
			continue;
		ret = fl_session_drop_qd(run, i, who);
		if (ret && !first) {
			first = ret;
			fl_set_err(err, errlen, "restoring a root qdisc failed: %s; it is restored when the experiment ends",
				   strerror(-ret));
		}
	}
	/* a namespace no place and no target uses now is let go, so a
	 * deleted pod's namespace is not kept alive by the run
	 */
	for (k = 0; k < run->n_ns; k++) {
		bool used = run->ns_targets[k] != 0;

		for (i = 0; i < run->n_place && !used; i++)
			used = run->place[i].ns == k && run->place[i].targets;
		for (i = 0; i < run->n_att && !used; i++)
			used = run->att[i].ns == &run->ns[k];
		for (i = 0; i < run->n_qd && !used; i++)
			used = run->place[run->qd_place[i]].ns == k;
		if (used || run->ns[k].fd < 0)
			continue;
		fl_netns_close(&run->ns[k]);
		run->ns[k].ino = 0;
		run->ns[k].dev = 0;
	}
	return first;
}
