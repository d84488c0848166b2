// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Leveled logging and the libbpf print hook. */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum fl_log_level fl_level = FL_LOG_WARN;

static int fl_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are detail for -v; ours say what to do */
	if (fl_level < FL_LOG_DEBUG && level != LIBBPF_WARN)
		return 0;
	if (fl_level < FL_LOG_INFO)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void fl_log_set_level(enum fl_log_level level)
{
	fl_level = level;
	libbpf_set_print(fl_libbpf_print);
}

enum fl_log_level fl_log_get_level(void)
{
	return fl_level;
}

void fl_log(enum fl_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > fl_level)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
