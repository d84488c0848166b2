/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One experiment in the foreground, for `inject` and `run` alike: the
 * engine runs it, this edge owns the signals, the status line, the state
 * record `faultline stop` finds, and the report.
 */
#ifndef FL_FOREGROUND_H
#define FL_FOREGROUND_H

#include <limits.h>
#include <stdbool.h>

#include "experiment.h"

struct fl_fg_opts {
	const char *who;	/* "faultline inject", "faultline run": message prefix */
	bool json;		/* the report as JSON on stdout */
	bool dry_run;		/* resolve, load and unload, list; attach nothing */
	const char *report_dir;	/* NULL or a directory for report.json and timeline.svg */
};

/* Run @exp (moved) to its end and report. Returns the exit code: 0
 * Succeeded, 1 Failed, 2 bad input, 3 runtime error, 130 Aborted.
 */
int fl_fg_run(struct fl_experiment *exp, const struct fl_fg_opts *o);

/* `faultline stop` queues SIGTERM with this value, so a run can tell it
 * from a SIGTERM sent by anything else.
 */
#define FL_STOP_SIGVAL	0x666c7374	/* "flst" */

/* The start time of @pid in clock ticks since boot, or 0: with the pid, it
 * names one process for good.
 */
unsigned long long fl_proc_starttime(pid_t pid);

#endif /* FL_FOREGROUND_H */
