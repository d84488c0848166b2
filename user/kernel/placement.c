// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where a run attaches. Everything is resolved and checked here, before
 * the kernel is touched, so that bad input leaves nothing behind.
 *
 * Egress: tc egress on the targets' namespaces' interfaces, deciding by
 * the sending socket's cgroup. Ingress: a cgroup_skb program on the
 * target cgroups when a namespace is shared; XDP (or tc ingress) when a
 * target owns its namespace; for delay or rate on ingress, the egress
 * of the host-side veth peer, where a qdisc can hold the packets. Duplicate
 * and reject on ingress need a hook that can copy a packet or send an
 * answer back out: tc ingress (chosen over XDP) or the peer's egress; XDP
 * and cgroup_skb cannot.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "common.h"
#include "log.h"
#include "probe.h"
#include "run.h"
#include "targets.h"

/* The message goes into @err when the caller takes it, else to the log. */
static int fl_place_vfail(const char *who, char *err, size_t errlen, int code, const char *fmt,
			  va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err)
		fl_set_err(err, errlen, "%s", msg);
	else
		pr_warn("%s: %s\n", who, msg);
	return code;
}

static int fl_place_error(const char *who, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fl_place_error(const char *who, int err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fl_place_vfail(who, NULL, 0, err, fmt, ap);
	va_end(ap);
	return ret;
}

static int fl_place_fail(const char *who, char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int fl_place_fail(const char *who, char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fl_place_vfail(who, err, errlen, code, fmt, ap);
	va_end(ap);
	return ret;
}

const char *fl_ingress_name(enum fl_ingress_mode mode)
{
	switch (mode) {
	case FL_INGRESS_CGROUP:
		return "cgroup";
	case FL_INGRESS_XDP:
		return "xdp";
	case FL_INGRESS_TC:
		return "tc";
	case FL_INGRESS_PEER:
		return "peer";
	}
	return "unknown";
}

struct fl_owner_ctx {
	const struct fl_netns *ns;
	int found;
};

static int fl_owner_pid(pid_t pid, void *vctx)
{
	struct fl_owner_ctx *ctx = vctx;
	struct fl_netns probe;
	char path[64];
	int hit;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (fl_netns_open(path, &probe))
		return 0;
	hit = probe.ino == ctx->ns->ino && probe.dev == ctx->ns->dev;
	fl_netns_close(&probe);
	ctx->found |= hit;
	return hit;
}

/* Which target's processes live in @ns (for a namespace a target owns). */
static int fl_netns_owner(const struct fl_spec *spec, const struct fl_netns *ns)
{
	int i;

	for (i = 0; i < spec->n_targets; i++) {
		struct fl_owner_ctx ctx = { .ns = ns };

		fl_target_for_each_pid(&spec->targets[i], fl_owner_pid, &ctx);
		if (ctx.found)
			return i;
	}
	return 0;
}

/* Which targets have a process in @ns: a bit per target id. */
static __u64 fl_netns_targets(const struct fl_spec *spec, const struct fl_netns *ns)
{
	__u64 mask = 0;
	int i;

	for (i = 0; i < spec->n_targets; i++) {
		struct fl_owner_ctx ctx = { .ns = ns };

		fl_target_for_each_pid(&spec->targets[i], fl_owner_pid, &ctx);
		if (ctx.found)
			mask |= 1ULL << i;
	}
	return mask;
}

static int fl_env_choice(const char *who, const char *name, const char *const *values, int n)
{
	const char *v = getenv(name);
	char list[256] = "";
	size_t len = 0;
	int i;

	if (!v || !*v)
		return 0;
	for (i = 0; i < n; i++)
		if (!strcmp(v, values[i]))
			return i;

	for (i = 0; i < n && len < sizeof(list); i++)
		len += snprintf(list + len, sizeof(list) - len, " %s", values[i]);
	pr_warn("%s: ignoring %s='%s': expected one of%s\n", who, name, v, list);
	return 0;
}

static bool fl_iface_selected(const struct fl_spec *spec, const char *name)
{
	int i;

	if (!spec->n_ifaces)
		return true;
	for (i = 0; i < spec->n_ifaces; i++)
		if (!strcmp(spec->ifaces[i], name))
			return true;
	return false;
}

static int fl_place_namespaces(struct fl_run *run, const char *who, bool *all_owned)
{
	struct fl_spec *spec = &run->spec;
	int i, ret;

	if (spec->netns[0]) {
		ret = fl_netns_open(spec->netns, &run->ns[0]);
		if (ret)
			return fl_place_error(who, -EINVAL,
					      "cannot open network namespace '%s': %s; expected a path such as /run/netns/NAME or /proc/PID/ns/net",
					      spec->netns, strerror(-ret));
		run->n_ns = 1;
	} else {
		ret = fl_netns_discover(spec, run->ns, FL_MAX_NETNS, &run->n_ns);
		if (ret == -EACCES)
			return fl_place_error(who, -EPERM,
					      "the target's processes cannot be inspected (/proc/PID/ns/net: permission denied): they hold capabilities faultline lacks; grant CAP_SYS_PTRACE, or name the namespace with --netns");
		if (ret)
			return fl_place_error(who, ret,
					      "finding the targets' network namespaces failed: %s",
					      strerror(-ret));
		if (!run->n_ns)
			return fl_place_error(who, -EINVAL,
					      "no process runs in the target cgroups, so there is no network namespace to attach in; start the workload first, or name one with --netns");
	}
	*all_owned = true;
	for (i = 0; i < run->n_ns; i++) {
		fl_netns_check_owned(&run->ns[i], spec);
		run->ns_owner[i] = fl_netns_owner(spec, &run->ns[i]);
		/* a namespace named for the run holds them all */
		run->ns_targets[i] = spec->netns[0] ? (spec->n_targets >= 64 ? ~0ULL :
						       (1ULL << spec->n_targets) - 1) :
				     fl_netns_targets(spec, &run->ns[i]);
		*all_owned &= run->ns[i].owned;
		pr_debug("netns %s: %s\n", run->ns[i].path,
			 run->ns[i].owned ? "owned by a target" : "shared");
	}
	return 0;
}

static int fl_place_modes(struct fl_run *run, const char *who, bool all_owned)
{
	static const char *const tc_modes[] = { "auto", "tcx", "legacy" };
	static const char *const in_modes[] = { "auto", "cgroup", "xdp", "tc" };
	static const char *const xdp_modes[] = { "auto", "native", "generic" };
	__u32 dirs = fl_spec_dirs(&run->spec), edt = fl_spec_edt_dirs(&run->spec);
	bool ingress = (dirs & FL_DIRM_INGRESS) || run->spec.observe;
	bool dup_in = fl_spec_dup_dirs(&run->spec) & FL_DIRM_INGRESS;
	int tc, in;

	tc = fl_env_choice(who, "FAULTLINE_TC", tc_modes, 3);
	run->tcx = tc == 1 || (tc == 0 && fl_probe_tcx() == 1);
	run->xdp_mode = fl_env_choice(who, "FAULTLINE_XDP", xdp_modes, 3);
	in = fl_env_choice(who, "FAULTLINE_INGRESS", in_modes, 4);
	if (edt & FL_DIRM_INGRESS) {
		/* in a shared namespace the target's packets are known only at
		 * its sockets, past every queue: there is nowhere to hold them
		 */
		if (!all_owned)
			return fl_place_error(who, -EINVAL,
					      "ingress delay and rate need a target that owns its network namespace (a pod): in a shared namespace its packets are told apart only at its sockets, past every queue; use --direction egress, or run the target in a namespace of its own");
		run->ingress = FL_INGRESS_PEER;
		return 0;
	}
	if (fl_spec_reject_dirs(&run->spec) & FL_DIRM_INGRESS) {
		/* the answer is forged on the skb and sent back out: cgroup_skb
		 * may only pass or drop, and XDP has no builder (bpf/reject.h)
		 */
		if (!all_owned)
			return fl_place_error(who, -EINVAL,
					      "an ingress reject answers from tc ingress, which sees a target's packets only in a network namespace it owns; in a shared namespace the target's ingress is told apart at its sockets, where a packet can only pass or be dropped; use --direction egress, or run the target in a namespace of its own");
		if (in == 1 || in == 2)
			return fl_place_error(who, -EINVAL,
					      "FAULTLINE_INGRESS=%s cannot answer a packet, which an ingress reject does; unset it (faultline then uses tc ingress) or set FAULTLINE_INGRESS=tc",
					      in_modes[in]);
		run->ingress = FL_INGRESS_TC;
		return 0;
	}
	run->ingress_auto = in == 0;
	if (in == 0)
		run->ingress = !all_owned ? FL_INGRESS_CGROUP : dup_in ? FL_INGRESS_TC : FL_INGRESS_XDP;
	else
		run->ingress = in == 1 ? FL_INGRESS_CGROUP : in == 2 ? FL_INGRESS_XDP : FL_INGRESS_TC;
	if (ingress && run->ingress != FL_INGRESS_CGROUP && !all_owned)
		return fl_place_error(who, -EINVAL,
				      "FAULTLINE_INGRESS=%s needs namespaces that only the targets use; a shared namespace needs the cgroup ingress hook",
				      in_modes[in]);
	if (dup_in && in == 0 && run->ingress == FL_INGRESS_CGROUP)
		return fl_place_error(who, -EINVAL,
				      "duplicate on ingress copies packets at a tc hook, and in a shared network namespace the target's ingress is told apart only at its sockets (cgroup_skb), which cannot copy a packet; use direction egress, or run the target in a namespace of its own");
	if (dup_in && in != 0 && run->ingress != FL_INGRESS_TC)
		return fl_place_error(who, -EINVAL,
				      "duplicate on ingress copies packets at a tc hook, and FAULTLINE_INGRESS=%s chose %s, which cannot copy a packet; unset FAULTLINE_INGRESS or set FAULTLINE_INGRESS=tc",
				      in_modes[in], in == 2 ? "XDP" : "the cgroup_skb hook");
	return 0;
}

static int fl_place_add(struct fl_run *run, int ns, int ifindex, const char *ifname, bool peer,
			bool fq)
{
	struct fl_place *p;

	if (run->n_place >= FL_MAX_PLACES)
		return -E2BIG;
	p = &run->place[run->n_place++];
	p->ns = ns;
	p->ifindex = ifindex;
	snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
	p->peer = peer;
	p->fq = fq;
	return 0;
}

/* Add the host-side peer of each of the target's interfaces, from place
 * @from on.
 */
static int fl_place_peers(struct fl_run *run, const char *who, int from, char *err,
			  size_t errlen)
{
	static struct fl_netns all[256];
	int n_all = 0, i, n_target_places = run->n_place, ret;

	ret = fl_netns_all(all, 256, &n_all);
	if (ret)
		return fl_place_fail(who, err, errlen, ret, "listing network namespaces failed: %s",
				     strerror(-ret));
	for (i = from; i < n_target_places; i++) {
		struct fl_place *p = &run->place[i];
		char name[IF_NAMESIZE];
		int pns, pifindex, j, k;

		ret = fl_netns_veth_peer(&run->ns[p->ns], p->ifindex, all, n_all, &pns, &pifindex,
					 name);
		if (ret) {
			ret = fl_place_fail(who, err, errlen, -EINVAL,
					    "cannot find the host-side peer of %s in %s, where ingress delay and rate are applied; it must be a veth whose other end is in a namespace faultline can see",
					    p->ifname, run->ns[p->ns].path);
			goto cleanup;
		}
		for (k = 0; k < run->n_ns; k++)
			if (run->ns[k].ino == all[pns].ino && run->ns[k].dev == all[pns].dev)
				break;
		if (k == run->n_ns) {
			if (k >= FL_MAX_NETNS * 2) {
				ret = -E2BIG;
				goto cleanup;
			}
			ret = fl_netns_open(all[pns].path, &run->ns[k]);
			if (ret)
				goto cleanup;
			run->ns_owner[k] = run->ns_owner[p->ns];
			run->n_ns++;
		}
		for (j = 0; j < run->n_place; j++)
			if (run->place[j].peer && run->place[j].ns == k &&
			    run->place[j].ifindex == pifindex)
				break;
		if (j == run->n_place) {
			ret = fl_place_add(run, k, pifindex, name, true, true);
			if (ret)
				goto cleanup;
		}
		run->place[j].targets |= run->place[i].targets;
	}
	ret = 0;
cleanup:
	for (i = 0; i < n_all; i++)
		fl_netns_close(&all[i]);
	return ret;
}

/* An interface that has an XDP program already (xdp-filter, say, often
 * through libxdp's multi-program dispatcher) keeps it, untouched and first:
 * faultline chosen freely takes tc ingress there, which runs after XDP;
 * FAULTLINE_INGRESS=xdp is refused before anything is attached. faultline
 * does not join libxdp's dispatcher: its components are freplace programs
 * that libxdp loads and pins in bpffs, where they would outlive a killed
 * faultline, and faultline's programs share maps in one object.
 */
static int fl_place_check_xdp(struct fl_run *run, const char *who)
{
	__u32 dirs = fl_spec_dirs(&run->spec);
	int i, saved = -1, ret, on;
	char name[BPF_OBJ_NAME_LEN];
	__u32 id;

	if (run->ingress != FL_INGRESS_XDP || (!(dirs & FL_DIRM_INGRESS) && !run->spec.observe))
		return 0;
	for (i = 0; i < run->n_place; i++) {
		const struct fl_place *p = &run->place[i];

		if (p->peer)
			continue;
		ret = fl_netns_enter(&run->ns[p->ns], &saved);
		if (ret)
			return fl_place_error(who, ret, "entering %s failed: %s", run->ns[p->ns].path,
					      strerror(-ret));
		on = fl_xdp_present(p->ifindex, &id, name, sizeof(name));
		fl_netns_restore(saved);
		if (!on)
			continue;
		if (!run->ingress_auto)
			return fl_place_error(who, -EBUSY,
					      "%s already has an XDP program (id %u, %s%s); faultline neither replaces it nor joins libxdp's dispatcher: unset FAULTLINE_INGRESS (faultline then uses tc ingress beside it) or set FAULTLINE_INGRESS=tc",
					      p->ifname, id, name,
					      !strcmp(name, "xdp_dispatcher") ? ": libxdp's multi-program dispatcher" :
					      fl_prog_id_is_ours(id) ? ": another faultline run's" : "");
		pr_info("%s: %s already has an XDP program (id %u, %s): ingress goes to tc, after it\n",
			who, p->ifname, id, name);
		run->ingress = FL_INGRESS_TC;
		return 0;
	}
	return 0;
}

/* fq must exist, and each root it replaces (from place @from on) must be
 * one it may replace.
 */
static int fl_place_check_qdiscs(struct fl_run *run, const char *who, int from, char *err,
				 size_t errlen)
{
	int i, saved = -1, ret;

	for (i = from; i < run->n_place; i++) {
		struct fl_place *p = &run->place[i];
		struct fl_qdisc_saved cur;

		if (!p->fq)
			continue;
		if (fl_probe_qdisc("fq") != 1)
			return fl_place_fail(who, err, errlen, -EOPNOTSUPP,
					     "this kernel has no fq qdisc (CONFIG_NET_SCH_FQ, module sch_fq), which delay and rate need; load it with 'modprobe sch_fq' or use a kernel that has it ('faultline features' shows it)");
		ret = fl_netns_enter(&run->ns[p->ns], &saved);
		if (ret)
			return fl_place_fail(who, err, errlen, ret, "entering %s failed: %s",
					     run->ns[p->ns].path, strerror(-ret));
		ret = fl_qdisc_get_root(p->ifindex, &cur);
		fl_netns_restore(saved);
		if (ret)
			return fl_place_fail(who, err, errlen, ret,
					     "reading the root qdisc of %s failed: %s", p->ifname,
					     strerror(-ret));
		if (!fl_qdisc_replaceable(cur.kind) && !run->spec.force_qdisc)
			return fl_place_fail(who, err, errlen, -EBUSY,
					     "%s has a '%s' root qdisc, which faultline will not replace; remove it, or pass --force-qdisc (only the root is restored afterwards)",
					     p->ifname, cur.kind);
	}
	return 0;
}

int fl_place_resolve(struct fl_run *run, const char *who)
{
	struct fl_spec *spec = &run->spec;
	__u32 dirs = fl_spec_dirs(spec), edt = fl_spec_edt_dirs(spec);
	bool all_owned = false, egress_fq;
	char err[512];
	int i, j, k, n, ret;

	for (i = 0; i < spec->n_targets; i++)
		if (fl_target_resolve(&spec->targets[i], err, sizeof(err)))
			return fl_place_error(who, -EINVAL, "%s", err);
	ret = fl_place_namespaces(run, who, &all_owned);
	if (ret)
		return ret;
	ret = fl_place_modes(run, who, all_owned);
	if (ret)
		return ret;

	egress_fq = edt & FL_DIRM_EGRESS;
	for (j = 0; j < spec->n_ifaces; j++) {
		bool found = false;

		for (i = 0; i < run->n_ns && !found; i++) {
			struct fl_iface ifs[FL_MAX_IFACES];

			if (fl_netns_ifaces(&run->ns[i], ifs, FL_MAX_IFACES, &n))
				continue;
			for (k = 0; k < n; k++)
				found |= !strcmp(ifs[k].name, spec->ifaces[j]);
		}
		if (!found)
			return fl_place_error(who, -EINVAL,
					      "unknown interface '%s': not found in the target's network namespace%s; list them with 'ip link'",
					      spec->ifaces[j], run->n_ns > 1 ? "s" : "");
	}
	for (i = 0; i < run->n_ns; i++) {
		struct fl_iface ifs[FL_MAX_IFACES];

		ret = fl_netns_ifaces(&run->ns[i], ifs, FL_MAX_IFACES, &n);
		if (ret)
			return fl_place_error(who, ret, "listing the interfaces of %s failed: %s",
					      run->ns[i].path, strerror(-ret));
		for (k = 0; k < n; k++) {
			if (!fl_iface_selected(spec, ifs[k].name))
				continue;
			ret = fl_place_add(run, i, ifs[k].ifindex, ifs[k].name, false, egress_fq);
			if (ret)
				return fl_place_error(who, ret, "too many interfaces");
			run->place[run->n_place - 1].targets = run->ns_targets[i];
		}
	}
	if (!run->n_place && (dirs & FL_DIRM_EGRESS || spec->observe ||
			      run->ingress != FL_INGRESS_CGROUP))
		return fl_place_error(who, -EINVAL,
				      "nothing to attach to: the target namespaces have no interface but lo; name one with --netns");
	if ((edt & FL_DIRM_INGRESS) && run->ingress == FL_INGRESS_PEER) {
		ret = fl_place_peers(run, who, 0, NULL, 0);
		if (ret)
			return ret;
	}
	ret = fl_place_check_xdp(run, who);
	if (ret)
		return ret;
	return fl_place_check_qdiscs(run, who, 0, NULL, 0);
}

void fl_place_undo_target(struct fl_run *run, int t, int first_ns, int first_place)
{
	int i;

	for (i = first_ns; i < run->n_ns; i++)
		fl_netns_close(&run->ns[i]);
	run->n_ns = first_ns;
	run->n_place = first_place;
	for (i = 0; i < run->n_ns; i++)
		run->ns_targets[i] &= ~(1ULL << t);
	for (i = 0; i < run->n_place; i++)
		run->place[i].targets &= ~(1ULL << t);
}

/* A namespace of the new target that the run covers already: it adds the
 * target to what passes there. With an ingress hook that tells targets
 * apart by address, a second target there cannot be told apart.
 */
static int fl_place_join(struct fl_run *run, int t, int k, char *err, size_t errlen)
{
	int i;

	if (run->ingress != FL_INGRESS_CGROUP && (run->ns_targets[k] & ~(1ULL << t))) {
		fl_set_err(err, errlen,
			   "%s: its network namespace %s holds another target of this experiment, and this experiment's ingress hook (%s) tells targets apart by address there; give it a namespace of its own",
			   run->spec.targets[t].path, run->ns[k].path, fl_ingress_name(run->ingress));
		return -EINVAL;
	}
	run->ns_targets[k] |= 1ULL << t;
	for (i = 0; i < run->n_place; i++)
		if (run->place[i].ns == k)
			run->place[i].targets |= 1ULL << t;
	return 0;
}

int fl_place_add_target(struct fl_run *run, int t, const char *who, int *first_ns,
			int *first_place, char *err, size_t errlen)
{
	struct fl_spec *spec = &run->spec;
	bool egress_fq = fl_spec_edt_dirs(spec) & FL_DIRM_EGRESS;
	bool need_place = (fl_spec_dirs(spec) & FL_DIRM_EGRESS) || spec->observe ||
			  run->ingress != FL_INGRESS_CGROUP;
	struct fl_netns found[FL_MAX_NETNS];
	int n_found = 0, i, k, m, n, ret;

	*first_ns = run->n_ns;
	*first_place = run->n_place;
	if (spec->netns[0])
		return fl_place_join(run, t, 0, err, errlen);
	ret = fl_netns_discover_one(&spec->targets[t], found, FL_MAX_NETNS, &n_found);
	if (ret) {
		fl_set_err(err, errlen, "finding the network namespaces of %s failed: %s",
			   spec->targets[t].path, strerror(-ret));
		goto fail;
	}
	if (!n_found) {
		fl_set_err(err, errlen,
			   "no process runs in %s, so there is no network namespace to attach in; add it once its workload runs",
			   spec->targets[t].path);
		ret = -EINVAL;
		goto fail;
	}
	for (i = 0; i < n_found; i++) {
		struct fl_iface ifs[FL_MAX_IFACES];

		for (k = 0; k < run->n_ns; k++)
			if (run->ns[k].fd >= 0 && run->ns[k].ino == found[i].ino &&
			    run->ns[k].dev == found[i].dev)
				break;
		if (k < run->n_ns) {
			ret = fl_place_join(run, t, k, err, errlen);
			if (ret)
				goto fail;
			continue;
		}
		if (run->n_ns >= FL_MAX_NETNS * 2) {
			fl_set_err(err, errlen, "%s: the experiment covers %d network namespaces already",
				   spec->targets[t].path, run->n_ns);
			ret = -E2BIG;
			goto fail;
		}
		k = run->n_ns++;
		run->ns[k] = found[i];
		found[i].fd = -1;	/* the run's now */
		fl_netns_check_owned(&run->ns[k], spec);
		run->ns_owner[k] = t;
		run->ns_targets[k] = 1ULL << t;
		if (run->ingress != FL_INGRESS_CGROUP && !run->ns[k].owned) {
			fl_set_err(err, errlen,
				   "%s: its network namespace %s has processes that are not targets, and this experiment's ingress hook (%s) needs namespaces that only targets use",
				   spec->targets[t].path, run->ns[k].path,
				   fl_ingress_name(run->ingress));
			ret = -EINVAL;
			goto fail;
		}
		ret = fl_netns_ifaces(&run->ns[k], ifs, FL_MAX_IFACES, &n);
		if (ret) {
			fl_set_err(err, errlen, "listing the interfaces of %s failed: %s",
				   run->ns[k].path, strerror(-ret));
			goto fail;
		}
		for (m = 0; m < n; m++) {
			if (!fl_iface_selected(spec, ifs[m].name))
				continue;
			ret = fl_place_add(run, k, ifs[m].ifindex, ifs[m].name, false, egress_fq);
			if (ret) {
				fl_set_err(err, errlen, "%s: too many interfaces", run->ns[k].path);
				goto fail;
			}
			run->place[run->n_place - 1].targets = 1ULL << t;
		}
	}
	if (need_place && run->n_place == *first_place) {
		/* only namespaces the run covers already: nothing new is needed */
		for (k = 0; k < run->n_ns; k++)
			if ((run->ns_targets[k] & (1ULL << t)) && k < *first_ns)
				break;
		if (k == run->n_ns) {
			fl_set_err(err, errlen,
				   "nothing to attach to: the network namespace of %s has no interface but lo",
				   spec->targets[t].path);
			ret = -EINVAL;
			goto fail;
		}
	}
	if (run->ingress == FL_INGRESS_PEER) {
		ret = fl_place_peers(run, who, *first_place, err, errlen);
		if (ret)
			goto fail;
	}
	ret = fl_place_check_qdiscs(run, who, *first_place, err, errlen);
	if (ret)
		goto fail;
	return 0;
fail:
	for (i = 0; i < n_found; i++)
		fl_netns_close(&found[i]);
	fl_place_undo_target(run, t, *first_ns, *first_place);
	return ret;
}

unsigned int fl_place_progs(const struct fl_run *run)
{
	__u32 dirs = fl_spec_dirs(&run->spec);
	unsigned int m = run->spec.observe ? run->spec.observe_tp & FL_PROGS_OBSERVE : 0;

	if ((dirs & FL_DIRM_EGRESS) || run->spec.observe)
		m |= 1u << (run->tcx ? FL_PROG_TCX_EG : FL_PROG_CLS_EG);
	if (!(dirs & FL_DIRM_INGRESS) && !run->spec.observe)
		return m;
	/* the cgroup hook always: it is where an owned namespace that turns
	 * shared is decided
	 */
	m |= 1u << FL_PROG_CG_IN;
	if (fl_ingress_by_owner(run->ingress))
		m |= 1u << FL_PROG_SOCK_WATCH;
	switch (run->ingress) {
	case FL_INGRESS_XDP:
		return m | 1u << FL_PROG_XDP_IN;
	case FL_INGRESS_TC:
		return m | 1u << FL_PROG_TC_IN;
	case FL_INGRESS_PEER:
		return m | 1u << (run->tcx ? FL_PROG_TCX_PIN : FL_PROG_CLS_PIN);
	case FL_INGRESS_CGROUP:
		break;
	}
	return m;
}
