// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Guards (guards.h). Each refusal names the guard, what it found, and
 * --force. They run after the placement is resolved and before anything
 * is attached, so a refused run changes nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "guards.h"
#include "targets.h"

int fl_guard_duration(__u64 duration_ns, const char *how, char *err, size_t errlen)
{
	if (duration_ns <= FL_GUARD_MAX_DURATION_NS)
		return 0;
	fl_set_err(err, errlen,
		   "guard: the duration %.0fs is over 1h; a forgotten run would go on for hours; shorten it, or %s",
		   duration_ns / 1e9, how);
	return -EINVAL;
}

/* The cgroup @pid is in, resolved as a target. false for the root cgroup
 * (the root guard covers it) or a process that is gone.
 */
static bool fl_guard_pid_cgroup(pid_t pid, struct fl_target_spec *t)
{
	char why[256];

	memset(t, 0, sizeof(*t));
	if (fl_pid_cgroup(pid, t->path, sizeof(t->path), why, sizeof(why)))
		return false;
	return !fl_target_resolve(t, why, sizeof(why));
}

static int fl_guard_targets(const struct fl_spec *spec, const char *how, char *err, size_t errlen)
{
	struct fl_target_spec init, self;
	bool have_init, have_self;
	int i;

	have_init = fl_guard_pid_cgroup(1, &init);
	have_self = fl_guard_pid_cgroup(getpid(), &self);
	for (i = 0; i < spec->n_targets; i++) {
		const struct fl_target_spec *t = &spec->targets[i];

		if (!strcmp(t->rel, "/")) {
			fl_set_err(err, errlen,
				   "guard: target %s is the root cgroup: every process on the host would be affected; name the service's own cgroup, or %s",
				   t->path, how);
			return -EINVAL;
		}
		if (have_init && fl_target_covers(t, &init)) {
			fl_set_err(err, errlen,
				   "guard: target %s %s the cgroup of PID 1 (%s), the init system; name the service's own cgroup, or %s",
				   t->path, t->cgid == init.cgid ? "is" : "contains", init.path,
				   how);
			return -EINVAL;
		}
		if (have_self && fl_target_covers(t, &self)) {
			fl_set_err(err, errlen,
				   "guard: target %s %s faultline's own cgroup (%s): its faults would cut off faultline's own probes, queries and control; run faultline outside the target, or %s",
				   t->path, t->cgid == self.cgid ? "is" : "contains", self.path,
				   how);
			return -EINVAL;
		}
	}
	return 0;
}

/* Does @ifname carry a default route (IPv4 or IPv6) in the namespace of
 * @pid ("1" or "self")? /proc/PID/net shows that namespace's tables
 * whichever one faultline is in.
 */
static bool fl_guard_default_route(const char *pid, const char *ifname)
{
	char line[512], name[IF_NAMESIZE + 1], dst[40], path[64];
	unsigned int plen, mask;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/net/route", pid);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%16s %39s %*s %*s %*s %*s %*s %x", name, dst, &mask) == 3 &&
		    !strcmp(dst, "00000000") && !mask && !strcmp(name, ifname))
			found = true;
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%s/net/ipv6_route", pid);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%39s %x %*s %*s %*s %*s %*s %*s %*s %16s", dst, &plen, name) == 3 &&
		    !plen && !strcmp(dst, "00000000000000000000000000000000") &&
		    !strcmp(name, ifname))
			found = true;
	if (f)
		fclose(f);
	return found;
}

/* A drop (or partition) above 50 % on the interface the host reaches everything through
 * cuts the host off (its agent, its ssh, its kubelet), whatever the
 * target: the match may be narrow, but that is for --force to say. The
 * host namespace is PID 1's; where its link cannot be read (a sandbox
 * that hides PID 1 even from root), faultline's own, which is the host's
 * for the agent (hostNetwork) and for a run from a shell on the host.
 */
static int fl_guard_host_route(const struct fl_run *run, const char *how, char *err, size_t errlen)
{
	const char *pid = "1";
	struct fl_netns host;
	double worst = 0;
	int i, r = -1;

	for (i = 0; i < run->spec.n_rules; i++) {
		const struct fl_fault *f = &run->spec.rules[i];
		/* a partition drops everything to its peers: 100 % */
		double pct = f->has_partition ? 100 : f->has_drop ? f->drop_pct : 0;

		if (pct > worst) {
			worst = pct;
			r = i;
		}
	}
	if (worst <= FL_GUARD_MAX_HOST_DROP_PCT)
		return 0;
	if (fl_netns_open("/proc/1/ns/net", &host)) {
		pid = "self";
		if (fl_netns_open("/proc/self/ns/net", &host))
			return 0;
	}
	for (i = 0; i < run->n_place; i++) {
		const struct fl_place *p = &run->place[i];
		const struct fl_netns *ns = &run->ns[p->ns];

		if (p->peer || ns->ino != host.ino || ns->dev != host.dev ||
		    !fl_guard_default_route(pid, p->ifname))
			continue;
		fl_set_err(err, errlen,
			   "guard: fault %s drops %g %% on %s, the host namespace's default-route interface: the host's own traffic would be cut off; drop 50 %% or less, name another interface (--iface), or %s",
			   run->spec.rules[r].name, worst, p->ifname, how);
		fl_netns_close(&host);
		return -EINVAL;
	}
	fl_netns_close(&host);
	return 0;
}

int fl_guards_check_spec(const struct fl_spec *spec, const char *how, char *err, size_t errlen)
{
	int ret;

	if (spec->force)
		return 0;
	ret = fl_guard_duration(spec->duration_ns, how, err, errlen);
	if (!ret)
		ret = fl_guard_targets(spec, how, err, errlen);
	return ret;
}

int fl_guards_check_place(const struct fl_run *run, const char *how, char *err, size_t errlen)
{
	if (run->spec.force)
		return 0;
	return fl_guard_host_route(run, how, err, errlen);
}
