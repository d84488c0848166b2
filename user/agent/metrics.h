/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's metrics: a snapshot the main loop fills from the engine,
 * rendered in the Prometheus text exposition format (0.0.4), and served
 * by libmicrohttpd's own thread from a copy kept under a mutex, so the
 * HTTP thread never reads engine state.
 */
#ifndef FL_METRICS_H
#define FL_METRICS_H

#include <stdio.h>
#include <linux/types.h>

#include "fault.h"
#include "experiment.h"
#include "result.h"

#define FL_METRICS_ADDR		"127.0.0.1:9464"
/* trip -> faults off, in seconds: the armed flag is one store, so most
 * fall in the first buckets; the last ones catch a loop that stalled
 */
#define FL_METRICS_LAT_BUCKETS	10

struct fl_metrics_fault {
	const char *name;
	struct fl_dir_totals tot[FL_DIR_MAX];
};

struct fl_metrics_cond {
	const char *name;
	double value;
};

struct fl_metrics_exp {
	const char *name;
	enum fl_state state;
	int n_faults;
	struct fl_metrics_fault faults[FL_EXP_MAX_FAULTS];
	int n_conds;
	struct fl_metrics_cond conds[FL_EXP_MAX_CONDITIONS];	/* those with a value */
};

struct fl_metrics_snap {
	const char *version;
	int n_exps;
	struct fl_metrics_exp *exps;
	__u64 trips;			/* since the agent started */
	__u64 ringbuf_lost;		/* failed reservations, every experiment's */
	int links;			/* attached now */
	/* trip -> armed flag cleared, seconds, cumulative per bucket */
	__u64 lat_counts[FL_METRICS_LAT_BUCKETS];
	__u64 lat_count;
	double lat_sum;
};

extern const double fl_metrics_lat_bounds[FL_METRICS_LAT_BUCKETS];

/* Record one trip's latency in the histogram. */
void fl_metrics_observe_latency(struct fl_metrics_snap *s, double seconds);

/* The exposition text; 0 or -errno. */
int fl_metrics_render(FILE *out, const struct fl_metrics_snap *s);
/* A label value escaped as the format wants (\\, \", \n). */
void fl_metrics_escape(FILE *out, const char *v);

struct fl_metrics_server;
/* Serve /metrics and /healthz on @addr ("HOST:PORT", IPv4 or [IPv6]).
 * 0, or -errno with why in @err.
 */
int fl_metrics_start(struct fl_metrics_server **out, const char *addr, char *err, size_t errlen);
/* Replace the text /metrics serves (copied). */
void fl_metrics_publish(struct fl_metrics_server *m, const char *text, size_t len);
void fl_metrics_stop(struct fl_metrics_server *m);

#endif /* FL_METRICS_H */
