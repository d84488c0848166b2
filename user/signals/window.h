/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Sliding windows: a time-ordered store of samples for one signal and the
 * statistics of the samples that fall in the last len_ns before "now".
 *
 * Boundary: the window at now covers (now - len_ns, now]. A sample taken at
 * ts counts for every now in [ts, ts + len_ns) and stops counting at exactly
 * ts + len_ns. Samples newer than now are not counted either, so a query
 * may look a little into the past.
 *
 * Two kinds of sample:
 *  - FL_WINDOW_DELTA: each value is an amount (packets since the previous
 *    poll, or 1 per event). The window's sum is the sum of the values.
 *  - FL_WINDOW_CUMULATIVE: each value is a reading of a counter that only
 *    grows (a counter reset is seen as a drop in value and counts the new
 *    value as the increase). The window's sum is the increase: the newest
 *    reading in the window minus the newest reading at or before the
 *    window's start, with resets accounted for. The first reading ever
 *    added is a baseline only: it adds nothing, since the counter may have
 *    been counting long before the run. Add (start_ns, 0) first when the
 *    counter is known to start at zero.
 *
 * Memory: samples live in a ring buffer that doubles when full, up to
 * FL_WINDOW_MAX_SAMPLES. Adding a sample evicts those that can no longer be
 * in any window ending at or after it (a cumulative window keeps one older
 * reading as the baseline). The buffer does not shrink: its size is the
 * peak number of samples that were in one window.
 */
#ifndef FL_WINDOW_H
#define FL_WINDOW_H

#include <stddef.h>

#include "faultline.h"

#define FL_WINDOW_MAX_SAMPLES	(1u << 20)
#define FL_WINDOW_MIN_CAP	16

enum fl_window_kind {
	FL_WINDOW_DELTA = 0,
	FL_WINDOW_CUMULATIVE = 1,
};

struct fl_sample {
	__u64 ts_ns;
	double value;
};

struct fl_window {
	__u64 len_ns;			/* > 0 */
	__u64 start_ns;			/* data is collected from here on */
	enum fl_window_kind kind;
	struct fl_sample *ring;
	size_t cap;			/* slots in ring, 0 or a power of two */
	size_t head;			/* index of the oldest sample */
	size_t count;			/* samples stored */
	__u64 newest_ts;		/* of the newest sample ever added */
	__u64 n_added;			/* samples accepted */
	__u64 n_clamped;		/* of those, older than newest_ts */
	__u64 n_evicted;
};

/* start_ns is when collection began (the run's start): rates are computed
 * over min(len_ns, now - start_ns), so they are not understated while the
 * window is filling, and every query before or at start_ns has no data.
 * 0, or -EINVAL when len_ns is 0 or kind is unknown. Allocates nothing.
 */
int fl_window_init(struct fl_window *w, __u64 len_ns,
		   enum fl_window_kind kind, __u64 start_ns);
void fl_window_free(struct fl_window *w);

/* 0; -EINVAL for a NaN, or a negative or infinite value in a cumulative
 * window; -ENOMEM or -ENOSPC (FL_WINDOW_MAX_SAMPLES samples in one
 * window), leaving the window unchanged. A delta window takes +-Inf (the
 * sum is then infinite, or NaN when both are in it: a NaN compares false
 * with every threshold, so it never trips).
 * A sample older than the newest one is stored at the newest one's time
 * (samples from several CPUs can arrive slightly out of order); n_clamped
 * counts them.
 */
int fl_window_add(struct fl_window *w, __u64 ts_ns, double value);

/* Samples stored, in or out of the window: what eviction has kept. */
size_t fl_window_stored(const struct fl_window *w);

/* Samples in the window ending at now. */
size_t fl_window_count(const struct fl_window *w, __u64 now_ns);

/* The statistics below return 0, or -ENODATA when now_ns <= start_ns.
 *
 * sum: sum of the values (DELTA) or the increase (CUMULATIVE); 0 over an
 * empty window, which is data: nothing happened.
 * rate: sum per second over min(len_ns, now - start_ns).
 */
int fl_window_sum(const struct fl_window *w, __u64 now_ns, double *out);
int fl_window_rate(const struct fl_window *w, __u64 now_ns, double *out);

/* These need at least one sample in the window, else -ENODATA.
 * mean is the sum of the values over their count (for 0/1 outcomes, the
 * fraction of ones); last is the value of the newest sample in the window.
 * percentile: nearest rank, the smallest value v such that at least pct %
 * of the values are <= v, that is the ceil(pct / 100 * n)-th smallest.
 * pct is 1..100 (-EINVAL otherwise); -ENOMEM possible.
 */
int fl_window_min(const struct fl_window *w, __u64 now_ns, double *out);
int fl_window_max(const struct fl_window *w, __u64 now_ns, double *out);
int fl_window_mean(const struct fl_window *w, __u64 now_ns, double *out);
int fl_window_last(const struct fl_window *w, __u64 now_ns, double *out);
int fl_window_percentile(const struct fl_window *w, __u64 now_ns,
			 unsigned int pct, double *out);

#endif /* FL_WINDOW_H */
