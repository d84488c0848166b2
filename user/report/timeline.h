/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* timeline.svg: a plot of each abort condition's signal over an experiment,
 * one panel per condition stacked on a shared time axis (seconds since the
 * experiment started). Each panel shows the signal, its threshold as a
 * dashed line with a faint red tint on the side where the condition holds,
 * the time the faults were active as an orange band, and the trip as a red
 * line and dot labelled "tripped: 7 > 5 at t=17s". A header gives the
 * experiment's title, its final state as a coloured badge (Failed red,
 * Succeeded green, anything else grey), a one-line summary (with the time
 * t = 0 stands for, when given) and a legend.
 * 900 px wide, 220 px per panel; values from a million on read "2.5M".
 *
 * The output is self-contained SVG 1.1: no scripts, no external fonts or
 * images. All text is escaped for XML (and bytes that are not valid UTF-8
 * are replaced), so names can hold anything.
 *
 * Input rules:
 *  - Samples with a non-finite time or value, or a value beyond +-1e300,
 *    are skipped; the line is broken at them rather than bridged.
 *  - Samples should be in time order; many samples are thinned to what one
 *    pixel column can show (its first, last, lowest and highest value).
 *  - The time axis runs from 0 (or the earliest sample) to the latest of
 *    duration_s, fault_end_s, the last sample and any trip.
 *  - fault_start_s negative or NaN: no faults were active, no band.
 *    fault_end_s below fault_start_s or NaN: faults were still active at the
 *    end, the band runs to the end of the axis.
 *  - tripped with a NaN trip_v draws the marker without a dot or value.
 *  - NULL strings are drawn as empty; a NULL op as "?".
 */
#ifndef FL_TIMELINE_H
#define FL_TIMELINE_H

#include <stdio.h>

struct fl_tl_series {
	const char *name;	/* condition name */
	const char *signal;	/* e.g. "probe.failures" */
	const char *op;		/* ">", "<", ">=", "<=" */
	double threshold;
	const double *t_s;	/* sample times, seconds since start */
	const double *v;	/* sample values */
	int n;			/* number of samples */
	int tripped;
	double trip_t_s;
	double trip_v;
};

struct fl_tl {
	const char *title;	/* experiment name */
	const char *state;	/* "Succeeded", "Failed", "Aborted", "Error" */
	const char *started_at;	/* t = 0 as an RFC 3339 time, or NULL */
	double fault_start_s, fault_end_s, duration_s;
	const struct fl_tl_series *series;
	int n_series;
};

/* Write the SVG document to out. 0, -EINVAL for a malformed fl_tl (NULL
 * pointers where samples or series are promised, negative counts), -EIO
 * when out reports a write error.
 */
int fl_timeline_write_svg(FILE *out, const struct fl_tl *tl);

/* Write the SVG to path, through a temporary file renamed into place, so
 * path holds either the old file or the complete new one. 0 or -errno.
 */
int fl_timeline_save(const char *path, const struct fl_tl *tl);

/* Round axis ticks: the multiples of a step of 1, 2 or 5 times a power of
 * ten that lie in [lo, hi], with the smallest such step that gives at most
 * max_ticks of them. Sets *first (the lowest tick) and *step; returns the
 * number of ticks (0 is possible for a range much narrower than its
 * step), or -EINVAL unless lo < hi are finite and max_ticks >= 2. Tick i
 * is first + i * step.
 */
int fl_timeline_nice_ticks(double lo, double hi, int max_ticks,
			   double *first, double *step);

#endif /* FL_TIMELINE_H */
