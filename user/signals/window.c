// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Sliding windows over time-ordered samples; see window.h for the
 * boundary rule and the two kinds of sample.
 *
 * Samples are kept sorted by time (late ones are clamped on arrival), so
 * the samples of a window are one contiguous run of the ring, found by
 * binary search. Queries never modify the window: only adding evicts.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "window.h"


static const struct fl_sample *sample_at(const struct fl_window *w, size_t i)
{
	return &w->ring[(w->head + i) & (w->cap - 1)];
}

int fl_window_init(struct fl_window *w, __u64 len_ns,
		   enum fl_window_kind kind, __u64 start_ns)
{
	if (!w || !len_ns)
		return -EINVAL;
	if (kind != FL_WINDOW_DELTA && kind != FL_WINDOW_CUMULATIVE)
		return -EINVAL;
	memset(w, 0, sizeof(*w));
	w->len_ns = len_ns;
	w->kind = kind;
	w->start_ns = start_ns;
	return 0;
}

void fl_window_free(struct fl_window *w)
{
	if (!w)
		return;
	free(w->ring);
	w->ring = NULL;
	w->cap = 0;
	w->head = 0;
	w->count = 0;
}

/* Samples at the front that no window ending at or after t can hold:
 * those with ts <= t - len. A cumulative window keeps the newest of them,
 * as the baseline for the increase.
 */
static size_t evictable(const struct fl_window *w, __u64 t)
{
	size_t n = 0, keep = w->kind == FL_WINDOW_CUMULATIVE ? 1 : 0;
	__u64 cutoff;

	if (t < w->len_ns)
		return 0;
	cutoff = t - w->len_ns;
	while (n + keep < w->count && sample_at(w, n + keep)->ts_ns <= cutoff)
		n++;
	return n;
}

static int grow(struct fl_window *w)
{
	size_t cap = w->cap ? w->cap * 2 : FL_WINDOW_MIN_CAP;
	struct fl_sample *ring;
	size_t i;

	if (cap > FL_WINDOW_MAX_SAMPLES)
		return -ENOSPC;
	ring = malloc(cap * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (i = 0; i < w->count; i++)
		ring[i] = *sample_at(w, i);
	free(w->ring);
	w->ring = ring;
	w->cap = cap;
	w->head = 0;
	return 0;
}

int fl_window_add(struct fl_window *w, __u64 ts_ns, double value)
{
	size_t n_ev;
	int clamped = 0;
	int err;

	if (!w || isnan(value))
		return -EINVAL;
	/* A counter reading is a finite count; an amount may be infinite
	 * (Prometheus answers +Inf for a ratio over nothing).
	 */
	if (w->kind == FL_WINDOW_CUMULATIVE && (value < 0 || isinf(value)))
		return -EINVAL;
	if (w->n_added && ts_ns < w->newest_ts) {
		ts_ns = w->newest_ts;
		clamped = 1;
	}

	/* Decide everything before changing anything, so that a failed
	 * allocation leaves the window as it was.
	 */
	n_ev = evictable(w, ts_ns);
	if (w->count - n_ev == w->cap) {
		err = grow(w);
		if (err)
			return err;
	}
	if (n_ev) {
		w->head = (w->head + n_ev) & (w->cap - 1);
		w->count -= n_ev;
		w->n_evicted += n_ev;
	}
	w->ring[(w->head + w->count) & (w->cap - 1)] = (struct fl_sample){
		.ts_ns = ts_ns,
		.value = value,
	};
	w->count++;
	w->n_added++;
	w->n_clamped += clamped;
	w->newest_ts = ts_ns;
	return 0;
}

size_t fl_window_stored(const struct fl_window *w)
{
	return w ? w->count : 0;
}

/* Index of the first stored sample with ts > t, or count. */
static size_t first_after(const struct fl_window *w, __u64 t)
{
	size_t lo = 0, hi = w->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sample_at(w, mid)->ts_ns <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The samples in (now - len, now] are the indices [*lo, *hi). */
static void window_range(const struct fl_window *w, __u64 now_ns, size_t *lo,
			 size_t *hi)
{
	*lo = now_ns < w->len_ns ? 0 : first_after(w, now_ns - w->len_ns);
	*hi = first_after(w, now_ns);
	if (*lo > *hi)
		*lo = *hi;
}

size_t fl_window_count(const struct fl_window *w, __u64 now_ns)
{
	size_t lo, hi;

	if (!w)
		return 0;
	window_range(w, now_ns, &lo, &hi);
	return hi - lo;
}

static int has_started(const struct fl_window *w, __u64 now_ns)
{
	return now_ns > w->start_ns;
}

/* Increase of a counter from the baseline, the newest reading at or before
 * the window's start, to the newest reading in the window. Without such a
 * reading the oldest one stored is the baseline: it was the first ever,
 * or the query looks further back than eviction has kept.
 */
static double increase(const struct fl_window *w, size_t lo, size_t hi)
{
	size_t base = lo ? lo - 1 : 0, i;
	double inc = 0, prev, cur;

	if (hi <= base + 1)
		return 0;
	prev = sample_at(w, base)->value;
	for (i = base + 1; i < hi; i++) {
		cur = sample_at(w, i)->value;
		/* A reading below the previous one is a counter reset: the
		 * counter has counted cur since it restarted from zero.
		 */
		inc += cur >= prev ? cur - prev : cur;
		prev = cur;
	}
	return inc;
}

static double sum_values(const struct fl_window *w, size_t lo, size_t hi)
{
	double sum = 0;
	size_t i;

	for (i = lo; i < hi; i++)
		sum += sample_at(w, i)->value;
	return sum;
}

int fl_window_sum(const struct fl_window *w, __u64 now_ns, double *out)
{
	size_t lo, hi;

	if (!w || !out)
		return -EINVAL;
	if (!has_started(w, now_ns))
		return -ENODATA;
	window_range(w, now_ns, &lo, &hi);
	if (w->kind == FL_WINDOW_CUMULATIVE)
		*out = increase(w, lo, hi);
	else
		*out = sum_values(w, lo, hi);
	return 0;
}

int fl_window_rate(const struct fl_window *w, __u64 now_ns, double *out)
{
	__u64 span;
	double sum;
	int err;

	if (!w || !out)
		return -EINVAL;
	err = fl_window_sum(w, now_ns, &sum);
	if (err)
		return err;
	span = now_ns - w->start_ns;
	if (span > w->len_ns)
		span = w->len_ns;
	*out = sum / ((double)span / (double)NSEC_PER_SEC);
	return 0;
}

/* The non-empty range of the window, or -ENODATA. */
static int nonempty_range(const struct fl_window *w, __u64 now_ns,
			  size_t *lo, size_t *hi)
{
	if (!has_started(w, now_ns))
		return -ENODATA;
	window_range(w, now_ns, lo, hi);
	return *lo < *hi ? 0 : -ENODATA;
}

int fl_window_min(const struct fl_window *w, __u64 now_ns, double *out)
{
	size_t lo, hi, i;
	double v;
	int err;

	if (!w || !out)
		return -EINVAL;
	err = nonempty_range(w, now_ns, &lo, &hi);
	if (err)
		return err;
	v = sample_at(w, lo)->value;
	for (i = lo + 1; i < hi; i++)
		if (sample_at(w, i)->value < v)
			v = sample_at(w, i)->value;
	*out = v;
	return 0;
}

int fl_window_max(const struct fl_window *w, __u64 now_ns, double *out)
{
	size_t lo, hi, i;
	double v;
	int err;

	if (!w || !out)
		return -EINVAL;
	err = nonempty_range(w, now_ns, &lo, &hi);
	if (err)
		return err;
	v = sample_at(w, lo)->value;
	for (i = lo + 1; i < hi; i++)
		if (sample_at(w, i)->value > v)
			v = sample_at(w, i)->value;
	*out = v;
	return 0;
}

int fl_window_mean(const struct fl_window *w, __u64 now_ns, double *out)
{
	size_t lo, hi;
	int err;

	if (!w || !out)
		return -EINVAL;
	err = nonempty_range(w, now_ns, &lo, &hi);
	if (err)
		return err;
	*out = sum_values(w, lo, hi) / (double)(hi - lo);
	return 0;
}

int fl_window_last(const struct fl_window *w, __u64 now_ns, double *out)
{
	size_t lo, hi;
	int err;

	if (!w || !out)
		return -EINVAL;
	err = nonempty_range(w, now_ns, &lo, &hi);
	if (err)
		return err;
	*out = sample_at(w, hi - 1)->value;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int fl_window_percentile(const struct fl_window *w, __u64 now_ns,
			 unsigned int pct, double *out)
{
	size_t lo, hi, n, rank, i;
	double *v;
	int err;

	if (!w || !out || !pct || pct > 100)
		return -EINVAL;
	err = nonempty_range(w, now_ns, &lo, &hi);
	if (err)
		return err;
	n = hi - lo;
	v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		v[i] = sample_at(w, lo + i)->value;
	qsort(v, n, sizeof(*v), cmp_double);
	/* Nearest rank: ceil(pct * n / 100), in integers so that p99 of
	 * 100 values is exactly the 99th. n <= 2^20, no overflow.
	 */
	rank = (pct * n + 99) / 100;
	*out = v[rank - 1];
	free(v);
	return 0;
}
