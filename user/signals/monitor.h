/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Failure conditions, fed as the evidence arrives: flow records and TCP or
 * HTTP signal records from the ring buffer, probe samples, Prometheus
 * values. The first condition to trip calls back at once, so the caller
 * can disarm the faults in the same breath.
 */
#ifndef FL_MONITOR_H
#define FL_MONITOR_H

#include <stdbool.h>

#include "conditions.h"
#include "flows.h"
#include "probes.h"
#include "window.h"

#define FL_MON_MAX_CONDS	32

/* One target's view of a condition (kernel signals), or the condition's
 * only view (probe and Prometheus signals, which are not a target's).
 */
struct fl_mon_series {
	struct fl_window w;
	bool has_value;
	double value;		/* at the last evaluation */
	__u64 start_ns;		/* a target added later: its own start */
	bool gone;		/* its target was removed: neither judged nor worst */
};

struct fl_mon_cond {
	const struct fl_condition *c;
	struct fl_mon_series *s;	/* [n_s] */
	int n_s;
	bool per_target;
	bool kernel;		/* judged by an in-kernel breaker: values only here */
	bool has_value;
	double value;		/* the worst series' value at the last evaluation */
	int worst;		/* that series (a target id for kernel signals) */
	char error[256];	/* prometheus: the newest query error */
	__u64 n_errors;		/* prometheus: answers that were errors */
	__u64 n_answers;	/* prometheus: all answers */
	/* the signal over time, for the timeline */
	double *t_s, *v;
	int n, cap;
	__u64 last_point_ns;
};

struct fl_monitor {
	int n;
	struct fl_mon_cond conds[FL_MON_MAX_CONDS];
	__u64 start_ns;		/* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	bool closed;		/* the run's end is decided: values still move,
				 * nothing trips any more */
	int tripped;		/* index of the condition that tripped, or -1 */
	int trip_target;	/* its target id, or -1 for probe/Prometheus signals */
	double trip_value;
	__u64 trip_ns;
	void (*on_trip)(void *ctx);
	void *ctx;
};

/* The tracepoint programs (1 << enum fl_prog) that conditions need: only
 * those are attached, since they see every TCP socket on the host.
 */
unsigned int fl_monitor_tracepoints(const struct fl_condition *conds, int n);

/* Kernel signals are judged per target: @n_targets windows per condition,
 * and a condition trips when any one target crosses its threshold (its
 * reported value is the worst target's). Records for a target id at or
 * above @n_targets are ignored.
 */
int fl_monitor_init(struct fl_monitor *m, const struct fl_condition *conds, int n,
		    int n_targets, __u64 start_ns);
void fl_monitor_free(struct fl_monitor *m);
/* A target added at @now_ns gets series id @target in each per-target
 * condition (the next id: ids are never reused), judged from then on;
 * a removed one is judged no more. 0 or -errno.
 */
int fl_monitor_add_target(struct fl_monitor *m, int target, __u64 now_ns);
void fl_monitor_remove_target(struct fl_monitor *m, int target);
void fl_monitor_flow(struct fl_monitor *m, const struct fl_event *e, const struct fl_flow_delta *d);
void fl_monitor_signal(struct fl_monitor *m, const struct fl_event *e);
void fl_monitor_probe(struct fl_monitor *m, const struct fl_probe_sample *s);
void fl_monitor_prom(struct fl_monitor *m, int cond, __u64 ts_ns, double value, const char *err);
/* Condition @i is judged in the kernel: its values are still kept here,
 * but only fl_monitor_kernel_trip() trips it.
 */
void fl_monitor_set_kernel(struct fl_monitor *m, int i);
/* The kernel's breaker for condition @i tripped on target @target with
 * @value at @ts_ns (the crossing event). Returns true if this is the trip.
 */
bool fl_monitor_kernel_trip(struct fl_monitor *m, int i, int target, double value, __u64 ts_ns);
/* Evaluate everything at @now_ns (for conditions that trip on silence,
 * such as a rate below a floor) and add a point to each timeline.
 */
void fl_monitor_tick(struct fl_monitor *m, __u64 now_ns);

#endif /* FL_MONITOR_H */
