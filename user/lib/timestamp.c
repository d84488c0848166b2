// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Report timestamps: CLOCK_MONOTONIC plus one offset, as RFC 3339 UTC. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "common.h"
#include "timestamp.h"


__s64 fl_timestamp_offset(void)
{
	__s64 m1, real, m2;

	/* the wall clock read between two monotonic reads: pair it with
	 * their midpoint, so a preemption in between costs half as much
	 */
	m1 = (__s64)fl_clock_ns(CLOCK_MONOTONIC);
	real = (__s64)fl_clock_ns(CLOCK_REALTIME);
	m2 = (__s64)fl_clock_ns(CLOCK_MONOTONIC);
	return real - (m1 + (m2 - m1) / 2);
}

int fl_timestamp_format(__u64 mono_ns, __s64 real_minus_mono, char *buf, size_t len)
{
	__s64 real = (__s64)mono_ns + real_minus_mono;
	__s64 sec = real / (__s64)NSEC_PER_SEC, nsec = real % (__s64)NSEC_PER_SEC;
	time_t t;
	struct tm tm;
	int n;

	if (buf && len)
		buf[0] = '\0';
	if (!buf || len < FL_TIMESTAMP_LEN)
		return -ERANGE;
	/* C division truncates toward zero; a time before 1970 needs the floor */
	if (nsec < 0) {
		nsec += (__s64)NSEC_PER_SEC;
		sec--;
	}
	t = sec;
	if (!gmtime_r(&t, &tm))
		return -ERANGE;
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)nsec);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -ERANGE;
	}
	return 0;
}
