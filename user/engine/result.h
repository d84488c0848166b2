/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The result of one experiment: filled once, when it ends, from the kernel
 * maps, the flow table and the monitor, then handed to the renderers (text,
 * JSON, timeline). It owns copies of everything, so a renderer never reads
 * a map and a result outlives the experiment that made it.
 */
#ifndef FL_RESULT_H
#define FL_RESULT_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>

#include "attach.h"
#include "conditions.h"
#include "datapath.h"
#include "fault.h"
#include "flows.h"

#define FL_RESULT_TOP_FLOWS	10

/* One set of states for `inject`, `run` and the agent. */
enum fl_state {
	FL_STATE_PENDING,
	FL_STATE_STARTED,
	FL_STATE_SUCCEEDED,	/* the duration elapsed */
	FL_STATE_FAILED,	/* a condition tripped */
	FL_STATE_ABORTED,	/* a signal or `faultline stop` */
	FL_STATE_ERROR,
};

/* "Pending", "Started", "Succeeded", "Failed", "Aborted", "Error". */
const char *fl_state_name(enum fl_state s);
/* The documented exit code of a run that ended so: 0, 1, 130 or 3. */
int fl_state_exit_code(enum fl_state s);

struct fl_result_attach {
	enum fl_hook hook;
	char netns[PATH_MAX];	/* "" for a cgroup hook */
	char iface[IF_NAMESIZE];
	int ifindex;
	char cgroup[PATH_MAX];	/* a cgroup hook's cgroup */
};

struct fl_result_target {
	char kind[16];		/* what was asked: cgroup, pid, container, pod */
	char ref[PATH_MAX];	/* its value: the path, pid, container id or pod uid */
	char path[PATH_MAX];	/* the cgroup it resolved to */
	__u64 cgid;
	bool added;		/* added while the experiment ran */
	bool removed;		/* removed while it ran: counted until then */
	struct fl_dir_totals tot[FL_DIR_MAX];	/* its rules added up */
};

struct fl_result_fault {
	struct fl_fault f;
	struct fl_dir_totals tot[FL_DIR_MAX];	/* over every target */
};

struct fl_result_cond {
	struct fl_condition c;
	bool has_value;
	double value;		/* final; the worst target's for kernel signals */
	bool per_target;	/* a kernel signal, judged per target */
	bool kernel;		/* judged by an in-kernel breaker */
	int target;		/* the worst target's index, or -1 */
	bool tripped;
	__u64 n_answers, n_errors;	/* prometheus */
	char error[256];		/* prometheus: the newest error */
	double *t_s, *v;	/* the signal over time, for the timeline */
	int n;
};

/* A namespace a target owned at the start and then shared with someone
 * else: from @at_ns on, its ingress was decided at the targets' sockets.
 */
struct fl_result_shared {
	char netns[PATH_MAX];
	__u64 at_ns;		/* CLOCK_MONOTONIC */
	__u64 cgroup_id;	/* the newcomer's cgroup; 0 when the loader's scan found it */
	__u32 pid;
	bool by_scan;
};

struct fl_result_probe {
	char name[FL_NAME_MAX];
	__u64 samples, failures;
};

struct fl_result {
	char name[FL_NAME_MAX];
	enum fl_state state;
	char reason[512];
	/* CLOCK_MONOTONIC times, as the kernel's records; one offset, taken
	 * at the start, turns them all into UTC
	 */
	__s64 real_minus_mono;
	__u64 duration_ns;	/* asked for */
	__u64 start_ns;		/* armed; 0 if it never was */
	__u64 end_ns;		/* the end was decided */
	__u64 disarmed_ns;	/* the armed flag was cleared */
	__u64 detached_ns;	/* the last link gone, everything restored */
	int links;		/* attachments and tracepoint links detached */
	const char *tc;		/* "tcx" or "clsact" */
	const char *ingress;	/* the ingress hook chosen */

	struct fl_result_attach *att;
	int n_att;
	struct fl_result_target *targets;
	int n_targets;
	struct fl_result_fault *faults;
	int n_faults;
	struct fl_result_cond *conds;
	int n_conds;
	struct fl_result_probe *probes;
	int n_probes;
	struct fl_result_shared *shared;
	int n_shared;

	int tripped;		/* index into conds, or -1 */
	double trip_value;
	__u64 trip_ns;		/* the record or sample that crossed */
	int trip_target;	/* index into targets, or -1 */

	struct fl_dp_counters counters;
	__u64 fq_drops;		/* dropped by the fq qdiscs faultline installed */
	__u64 rb_events, rb_signals, rb_bad;
	size_t n_flows;
	struct fl_flow_entry top[FL_RESULT_TOP_FLOWS];	/* by drops */
	int n_top;
};

/* Frees what a result owns and empties it; safe to repeat. */
void fl_result_free(struct fl_result *r);

#endif /* FL_RESULT_H */
