/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Failure conditions: the signals a run can watch, how each one is read
 * from a sliding window, and the test that trips a condition.
 *
 * Units of signal values, thresholds and window samples:
 *  - counts (packets, faults, tcp.*, http.responses.*, probe.failures):
 *    events; bytes.* in bytes. Summed over the window.
 *  - .rate: the same per second over the window.
 *  - latencies (*.p50, *.p99): nanoseconds, one sample per measurement;
 *    a threshold is written as a duration ("200ms"; a bare number is
 *    seconds) and kept in nanoseconds.
 *  - ratios (http.errorRate, probe.successRate): 0..1, the fraction of
 *    outcomes that were errors or successes; a threshold is written as a
 *    fraction ("0.95") or a percentage ("95%").
 *  - prometheus: whatever the query returns; the newest result counts.
 */
#ifndef FL_CONDITIONS_H
#define FL_CONDITIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "faultline.h"
#include "window.h"

#define FL_NAME_MAX			64	/* names: 1..63 bytes */
#define FL_CONDITION_DEFAULT_WINDOW_NS	(60ULL * 1000000000ULL)
#define FL_CONDITION_MIN_WINDOW_NS	(100ULL * 1000000ULL)
#define FL_CONDITION_MAX_WINDOW_NS	(24ULL * 3600 * 1000000000ULL)

enum fl_signal {
	FL_SIG_PACKETS_IN = 0,
	FL_SIG_PACKETS_IN_RATE,
	FL_SIG_PACKETS_OUT,
	FL_SIG_PACKETS_OUT_RATE,
	FL_SIG_BYTES_IN,
	FL_SIG_BYTES_IN_RATE,
	FL_SIG_BYTES_OUT,
	FL_SIG_BYTES_OUT_RATE,
	FL_SIG_FAULTS_DROPPED,
	FL_SIG_FAULTS_DELAYED,
	FL_SIG_TCP_RETRANSMITS,
	FL_SIG_TCP_RESETS_SENT,
	FL_SIG_TCP_RESETS_RECEIVED,
	FL_SIG_TCP_CONNECT_FAILURES,
	FL_SIG_TCP_CONNECT_LATENCY_P50,
	FL_SIG_TCP_CONNECT_LATENCY_P99,
	FL_SIG_TCP_RTT_P50,
	FL_SIG_TCP_RTT_P99,
	FL_SIG_HTTP_RESPONSES_5XX,
	FL_SIG_HTTP_RESPONSES_TOTAL,
	FL_SIG_HTTP_ERROR_RATE,
	FL_SIG_PROBE_FAILURES,
	FL_SIG_PROBE_LATENCY_P50,
	FL_SIG_PROBE_LATENCY_P99,
	FL_SIG_PROBE_SUCCESS_RATE,
	FL_SIG_PROMETHEUS,
	FL_SIG_MAX,
};

/* The window statistic a signal is read with. */
enum fl_stat {
	FL_STAT_SUM = 0,	/* fl_window_sum */
	FL_STAT_RATE,		/* fl_window_rate */
	FL_STAT_P50,		/* fl_window_percentile(50) */
	FL_STAT_P99,		/* fl_window_percentile(99) */
	FL_STAT_RATIO,		/* fl_window_mean of 0/1 outcomes, or num/den */
	FL_STAT_LAST,		/* fl_window_last */
};

enum fl_unit {
	FL_UNIT_COUNT = 0,	/* >= 0 */
	FL_UNIT_BYTES,		/* >= 0 */
	FL_UNIT_PER_SEC,	/* >= 0 */
	FL_UNIT_NS,		/* > 0, thresholds are durations */
	FL_UNIT_RATIO,		/* 0..1 */
	FL_UNIT_ANY,		/* any number, sign allowed */
};

struct fl_signal_info {
	const char *name;
	enum fl_stat stat;
	enum fl_unit unit;
	bool needs_probe;	/* probe.*: names the probe it watches */
};

enum fl_cmp {
	FL_CMP_NONE = 0,
	FL_CMP_ABOVE,		/* value >  threshold */
	FL_CMP_BELOW,		/* value <  threshold */
	FL_CMP_AT_LEAST,	/* value >= threshold */
	FL_CMP_AT_MOST,		/* value <= threshold */
};

struct fl_condition {
	char name[FL_NAME_MAX];
	enum fl_signal signal;
	enum fl_cmp cmp;
	double threshold;	/* in the signal's unit, see above */
	__u64 window_ns;	/* 0 for prometheus */
	char probe[FL_NAME_MAX];	/* probe.* signals; "" in the short
					 * form means the run's only probe */
	int probe_idx;		/* index in the experiment's probes, or -1 */
	/* signal == FL_SIG_PROMETHEUS; owned by the experiment */
	char *prom_url;
	char *prom_query;
	__u64 prom_interval_ns;
};

/* 1 when s[0..len) is a valid name: 1..FL_NAME_MAX-1 bytes of letters,
 * digits, '-', '_' and '.', starting with a letter or a digit.
 */
bool fl_name_valid(const char *s, size_t len);

/* NULL for a value out of range. */
const char *fl_signal_name(enum fl_signal s);
const struct fl_signal_info *fl_signal_info(enum fl_signal s);
/* Exact, case-sensitive names as in the table; 0 or -EINVAL. */
int fl_signal_parse(const char *name, enum fl_signal *s);

/* "above", "below", "atLeast", "atMost" and ">", "<", ">=", "<=". */
const char *fl_cmp_name(enum fl_cmp op);
const char *fl_cmp_symbol(enum fl_cmp op);

/* A threshold for signal s in the signal's unit (see the top of this
 * file): 0, or -EINVAL (bad text) / -ERANGE (outside the unit's range).
 * fl_threshold_expect() says what was expected, for error messages.
 */
int fl_threshold_parse(enum fl_signal s, const char *text, double *v);
const char *fl_threshold_expect(enum fl_signal s);

/* NULL, or why the comparison is decided by the unit's range alone:
 * "can never trip" (below 0) or "always trips" (atLeast 0 on a count).
 */
const char *fl_condition_pointless(const struct fl_condition *c);

/* 1 when value compared with the threshold by op holds, else 0. */
int fl_cmp_eval(enum fl_cmp op, double value, double threshold);

/* Evaluates c on the window that collects its signal's samples (see the
 * units above; ratios take 0/1 outcomes, 1 for a success or an error
 * respectively). The statistic comes from the signal: sum, rate,
 * percentile, mean, or the newest value for prometheus.
 * Returns 1 tripped, 0 not, or a negative errno and *value untouched:
 * -ENODATA when there is nothing to judge (before the window's start, or a
 * percentile, ratio or prometheus value over an empty window): no data
 * never trips. -EINVAL when c->window_ns is set and differs from the
 * window's length, or for a bad condition.
 * Sums and rates over an empty window are 0, which is data.
 */
int fl_condition_eval(const struct fl_condition *c, const struct fl_window *w,
		      __u64 now_ns, double *value);

/* Ratio signals from two counter windows, e.g. 5xx responses over all
 * responses: value = sum(num) / sum(den) over the same window.
 * -ENODATA when den sums to 0; -EINVAL for a signal that is not a ratio.
 */
int fl_condition_eval_ratio(const struct fl_condition *c,
			    const struct fl_window *num,
			    const struct fl_window *den, __u64 now_ns,
			    double *value);

/* The --abort-if short form: "SIGNAL[@PROBE] OP THRESHOLD[/WINDOW]", e.g.
 * "probe.failures > 10/1m", "tcp.retransmits >= 5/30s",
 * "packets.out.rate < 1000", "probe.latency.p99@web > 250ms/30s".
 * OP is one of > < >= <=; blanks around tokens are allowed; the window
 * defaults to 1m. The name becomes the text in canonical spacing.
 * prometheus is refused: it needs a url and a query.
 * 0, or -EINVAL with a message in err (which may be NULL).
 */
int fl_condition_parse_short(const char *s, struct fl_condition *c, char *err,
			     size_t errlen);

#endif /* FL_CONDITIONS_H */
