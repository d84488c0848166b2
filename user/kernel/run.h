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
#define FL_MAX_ATTACH	(FL_MAX_PLACES * 2 + FL_SPEC_MAX_TARGETS)
#define FL_MAX_QDISC	(FL_MAX_NETNS * 4)

enum fl_ingress_mode {
	FL_INGRESS_CGROUP,	/* cgroup_skb on the target cgroups: shared namespaces */
	FL_INGRESS_XDP,		/* XDP on a namespace a target owns */
	FL_INGRESS_TC,		/* tc ingress on a namespace a target owns */
	FL_INGRESS_PEER,	/* egress of the host-side veth peer: can delay */
};

/* An interface faultline attaches to, resolved before anything changes. */
struct fl_place {
	int ns;			/* index into fl_run.ns */
	int ifindex;
	char ifname[IF_NAMESIZE];
	bool peer;		/* a host-side peer: the target's ingress */
	bool fq;		/* needs fq as its root qdisc */
};

struct fl_run {
	struct fl_spec spec;
	struct fl_netns ns[FL_MAX_NETNS * 2];
	int ns_owner[FL_MAX_NETNS * 2];
	int n_ns;		/* the targets' namespaces, then those of peers */
	struct fl_place place[FL_MAX_PLACES];
	int n_place;
	struct fl_attachment att[FL_MAX_ATTACH];
	int n_att;
	struct fl_qdisc_saved qd[FL_MAX_QDISC];
	int qd_place[FL_MAX_QDISC];
	int n_qd;
	__u64 fq_drops;		/* what faultline's fq qdiscs dropped, read before restoring */
	struct fl_datapath dp;
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
/* Take everything off and put back what was replaced. Idempotent. */
void fl_session_stop(struct fl_run *run, const char *who);
/* Release what is left (maps, ring buffer, namespaces, lock). */
void fl_session_free(struct fl_run *run);

#endif /* FL_RUN_H */
