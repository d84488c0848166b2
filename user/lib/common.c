// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The small helpers every layer uses (see common.h). */
#include <stdarg.h>
#include <stdio.h>

#include "common.h"

__u64 fl_clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void fl_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
