/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus conditions: one thread per condition runs its query at its
 * interval; results reach the main loop through a pipe, like probes.
 */
#ifndef FL_PROMPOLL_H
#define FL_PROMPOLL_H

#include "conditions.h"
#include "monitor.h"

/* every condition may be a Prometheus one: none may go unpolled */
#define FL_MAX_PROM_CONDS	FL_MON_MAX_CONDS

struct fl_prompoll;

struct fl_prom_result {
	int cond;		/* index in the conditions given to start */
	__u64 ts_ns;		/* CLOCK_MONOTONIC when the answer came */
	double value;
	int ok;
	char error[200];
};

/* Starts a poller for each prometheus condition among @conds (none: *out
 * is NULL and 0 is returned); -E2BIG for more than FL_MAX_PROM_CONDS.
 */
int fl_prompoll_start(struct fl_prompoll **out, const struct fl_condition *conds, int n);
int fl_prompoll_fd(const struct fl_prompoll *p);	/* -1 when none */
int fl_prompoll_drain(struct fl_prompoll *p, void (*cb)(const struct fl_prom_result *r, void *arg),
		      void *arg);
void fl_prompoll_stop(struct fl_prompoll *p);

#endif /* FL_PROMPOLL_H */
