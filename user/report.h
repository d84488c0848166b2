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
	const struct fl_spec *spec;
	struct fl_dp_counters counters;
	struct fl_dir_totals per_target[FL_SPEC_MAX_TARGETS][FL_DIR_MAX];
	const struct fl_attachment *att;
	int n_att;
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

#endif /* FL_REPORT_H */
