/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a run tells: the live status line, the summary, the JSON report. */
#ifndef FL_REPORT_H
#define FL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "attach.h"
#include "datapath.h"
#include "events.h"
#include "monitor.h"
#include "spec.h"

#define FL_REPORT_TOP_FLOWS	10

struct fl_report {
	const char *state;	/* "completed", "aborted" or "error" */
	const char *reason;	/* "duration", "signal", "condition", "error" */
	int signo;
	double duration_s;
	double elapsed_s;
	/* CLOCK_MONOTONIC times, as the kernel's records; one offset, taken
	 * once, turns them all into UTC
	 */
	__s64 real_minus_mono;
	__u64 start_ns;		/* armed */
	__u64 disarmed_ns;	/* the armed flag was cleared */
	__u64 detached_ns;	/* the last link is gone, everything restored */
	const struct fl_spec *spec;
	struct fl_dp_counters counters;
	struct fl_dir_totals per_target[FL_SPEC_MAX_TARGETS][FL_DIR_MAX];
	const struct fl_attachment *att;
	int n_att;
	int links;		/* what was detached: n_att and tracepoint links */
	const struct fl_events *ev;
	const struct fl_monitor *mon;	/* --abort-if, or NULL */
	__u64 fq_drops;			/* dropped by the fq qdiscs faultline installed */
};

/* One status line: redrawn in place on a TTY, a plain line otherwise. */
void fl_report_status(FILE *out, bool tty, double elapsed_s, double duration_s,
		      const struct fl_dp_counters *c, const struct fl_events *ev);
void fl_report_text(FILE *out, const struct fl_report *r);
int fl_report_json(FILE *out, const struct fl_report *r);

struct json_object;
/* The attachments as a JSON array (hook, and netns/iface or cgroup). */
struct json_object *fl_report_attach_json(const struct fl_attachment *att, int n);
/* Drops by reason: the datapath's (fault, horizon, clone_failed) and fq's. */
struct json_object *fl_report_drops_json(const struct fl_dp_counters *c, __u64 fq_drops);
/* A CLOCK_MONOTONIC time as an RFC 3339 string (JSON null for 0), and a
 * number (null when not finite): how every report writes them.
 */
struct json_object *fl_json_ts(__u64 mono_ns, __s64 real_minus_mono);
struct json_object *fl_json_num(double v);
/* The failureReport object of the condition that tripped, or JSON null
 * when none did: what crossed (and in which of @spec's targets, for a
 * kernel signal), and when the faults stopped and everything was detached
 * (CLOCK_MONOTONIC times, turned into UTC with the offset). @links counts
 * what was detached: links, legacy tc filters and tracepoint links.
 */
struct json_object *fl_report_failure_json(const struct fl_monitor *mon, const struct fl_spec *spec,
					   __s64 real_minus_mono, __u64 disarmed_ns,
					   __u64 detached_ns, int links);

#endif /* FL_REPORT_H */
