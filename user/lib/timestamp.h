/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Report timestamps: every time a report gives is taken on CLOCK_MONOTONIC
 * (the clock of bpf_ktime_get_ns(), so kernel records and userspace agree)
 * and turned into UTC with one offset taken once per run, so that the
 * differences between a report's timestamps are exact even if the wall
 * clock steps during the run.
 */
#ifndef FL_TIMESTAMP_H
#define FL_TIMESTAMP_H

#include <stddef.h>
#include <linux/types.h>

/* "2026-11-25T09:30:00.000000001Z" and its NUL, with room to spare */
#define FL_TIMESTAMP_LEN	32

/* CLOCK_REALTIME - CLOCK_MONOTONIC now, in ns. */
__s64 fl_timestamp_offset(void);

/* mono_ns + real_minus_mono as RFC 3339 UTC with nanoseconds, e.g.
 * "2026-11-25T09:30:00.000000001Z". Returns 0, or -ERANGE (buf is then "",
 * if there is one) when buf is shorter than FL_TIMESTAMP_LEN.
 */
int fl_timestamp_format(__u64 mono_ns, __s64 real_minus_mono, char *buf, size_t len);

#endif /* FL_TIMESTAMP_H */
