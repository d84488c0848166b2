/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One run of faults: where it attaches (placement.c) and what it holds in
 * the kernel while it runs (session.c).
 */
#ifndef FL_RUN_H
#define FL_RUN_H

#include <stdbool.h>

#include "attach.h"
#include "datapath.h"
#include "netns.h"
#include "qdisc.h"
#include "spec.h"

#define FL_MAX_PLACES	(FL_MAX_NETNS * FL_MAX_IFACES)
#define FL_MAX_ATTACH	(FL_MAX_PLACES * 2 + FL_SPEC_MAX_TARGETS + 1)
#define FL_MAX_QDISC	(FL_MAX_NETNS * 4)

enum fl_ingress_mode {
	FL_INGRESS_CGROUP,	/* cgroup_skb on the target cgroups: shared namespaces */
	FL_INGRESS_XDP,		/* XDP on a namespace a target owns */
	FL_INGRESS_TC,		/* tc ingress on a namespace a target owns */
	FL_INGRESS_PEER,	/* egress of the host-side veth peer: can delay */
};

/* The owner hooks (XDP, tc, peer) decide by address while the targets own
 * their namespaces; a socket watcher ends that in the kernel, and the
 * cgroup hook takes over. The cgroup mode never owned anything.
 */
static inline bool fl_ingress_by_owner(enum fl_ingress_mode mode)
{
	return mode != FL_INGRESS_CGROUP;
}

/* fl_nsstate slot of run->ns[i], an owned namespace; 0 is never used */
static inline __u32 fl_run_ns_slot(int i)
{
	return (__u32)i + 1;
}

/* An interface faultline attaches to, resolved before anything changes. */
struct fl_place {
	int ns;			/* index into fl_run.ns */
	int ifindex;
	char ifname[IF_NAMESIZE];
	bool peer;		/* a host-side peer: the target's ingress */
	bool fq;		/* needs fq as its root qdisc */
	bool xdp_mp;		/* XDP ingress joins libxdp's dispatcher there */
	__u64 targets;		/* bit per target id whose traffic passes here:
				 * the place goes when its last target does */
};

struct fl_run {
	struct fl_spec spec;
	struct fl_netns ns[FL_MAX_NETNS * 2];
	int ns_owner[FL_MAX_NETNS * 2];
	__u64 ns_targets[FL_MAX_NETNS * 2];	/* bit per target with a process there */
	bool ns_released[FL_MAX_NETNS * 2];	/* owned, then shared: owner hooks taken off */
	int n_ns;		/* the targets' namespaces, then those of peers */
	struct fl_place place[FL_MAX_PLACES];
	int n_place;
	struct fl_attachment att[FL_MAX_ATTACH];
	int att_place[FL_MAX_ATTACH];	/* its place, or -1 for a target's cgroup link */
	int att_target[FL_MAX_ATTACH];	/* a cgroup link's target, else -1 */
	int n_att;
	struct fl_qdisc_saved qd[FL_MAX_QDISC];
	int qd_place[FL_MAX_QDISC];
	int n_qd;
	__u64 fq_drops;		/* what faultline's fq qdiscs dropped, read before restoring */
	struct fl_datapath dp;
	__u64 gone;		/* targets removed while it ran (their ids stay taken) */
	int lock_fd;
	unsigned int rec;	/* its record in the state directory */
	bool tcx;
	enum fl_ingress_mode ingress;
	bool ingress_auto;	/* chosen by faultline, not FAULTLINE_INGRESS */
	enum fl_xdp_mode xdp_mode;
};

/* Resolve targets, namespaces, interfaces and hooks, and check that the
 * kernel and the root qdiscs allow it; changes nothing. Errors are printed
 * with @who as prefix: -EINVAL for bad input (exit 2), else exit 3.
 */
int fl_place_resolve(struct fl_run *run, const char *who);
/* The programs the placement needs (mask of 1 << enum fl_prog). */
unsigned int fl_place_progs(const struct fl_run *run);
const char *fl_ingress_name(enum fl_ingress_mode mode);

/* Load, fill the maps, install qdiscs, attach. Not yet armed. */
int fl_session_start(struct fl_run *run, const char *who);
/* An owned namespace that turned shared has owner hooks (XDP, tcx ingress)
 * that only pass its packets now: take them off, so that the newcomer's
 * traffic pays nothing for them. Returns how many were taken off.
 */
int fl_session_release_shared(struct fl_run *run, const char *who);
/* Take everything off and put back what was replaced. Idempotent. */
void fl_session_stop(struct fl_run *run, const char *who);
/* Release what is left (maps, ring buffer, namespaces, lock). */
void fl_session_free(struct fl_run *run);

/* A target added to a running session: spec.targets[@t] is resolved and
 * spec.n_targets counts it. fl_place_add_target finds the namespaces of
 * its processes that the run does not cover yet, and their interfaces
 * (and host-side peers for ingress delay), and checks them as
 * fl_place_resolve does; fl_session_add_target then fills its map
 * entries, installs fq where needed and attaches. On failure each takes
 * back what it added and says why in @err.
 */
int fl_place_add_target(struct fl_run *run, int t, const char *who, int *first_ns,
			int *first_place, char *err, size_t errlen);
int fl_session_add_target(struct fl_run *run, int t, int first_ns, int first_place,
			  const char *who, char *err, size_t errlen);
/* Take back what fl_place_add_target added (after a failed session add). */
void fl_place_undo_target(struct fl_run *run, int t, int first_ns, int first_place);
/* Take target @t out: its map entries first (its packets pass from then
 * on), then the cgroup link and every attachment and fq qdisc that only
 * it needed, restoring what fq replaced. Its counters stay in the maps.
 * 0, or the first error (with @err); what could not be taken back is
 * left to fl_session_stop.
 */
int fl_session_remove_target(struct fl_run *run, int t, const char *who, char *err,
			     size_t errlen);

#endif /* FL_RUN_H */
