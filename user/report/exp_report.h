/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The report of an experiment: for a person, as JSON, and as a report
 * directory (report.json and timeline.svg).
 */
#ifndef FL_EXP_REPORT_H
#define FL_EXP_REPORT_H

#include <stdio.h>

#include "datapath.h"
#include "experiment.h"
#include "monitor.h"
#include "run.h"

enum fl_exp_state {
	FL_EXP_PENDING,
	FL_EXP_STARTED,
	FL_EXP_SUCCEEDED,
	FL_EXP_FAILED,
	FL_EXP_ABORTED,
	FL_EXP_ERROR,
};

struct fl_exp_result {
	enum fl_exp_state state;
	char reason[512];
	__s64 real_minus_mono;	/* CLOCK_REALTIME - CLOCK_MONOTONIC at start */
	__u64 start_ns;		/* CLOCK_MONOTONIC: armed */
	__u64 end_ns;		/* the loop ended */
	__u64 disarmed_ns;	/* the armed flag was cleared */
	__u64 detached_ns;	/* the last link is gone, everything restored */
	int links;		/* attachments and tracepoint links, before detaching */
	__u64 probe_samples[FL_EXP_MAX_PROBES];
	__u64 probe_failures[FL_EXP_MAX_PROBES];
	struct fl_dp_counters counters;
	const struct fl_experiment *exp;
	const struct fl_run *run;
	const struct fl_monitor *mon;
};

const char *fl_exp_state_name(enum fl_exp_state s);
void fl_exp_report_text(FILE *out, const struct fl_exp_result *r);
int fl_exp_report_json(FILE *out, const struct fl_exp_result *r);
int fl_exp_report_dir(const char *dir, const struct fl_exp_result *r, char *err, size_t errlen);

#endif /* FL_EXP_REPORT_H */
