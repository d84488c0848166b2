// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Leveled logging and the libbpf print hook, as text or JSON lines. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "common.h"
#include "log.h"
#include "timestamp.h"

static enum fl_log_level fl_level = FL_LOG_WARN;
static enum fl_log_format fl_format = FL_LOG_TEXT;

static const char *const fl_level_names[] = {
	[FL_LOG_WARN] = "warn",
	[FL_LOG_INFO] = "info",
	[FL_LOG_DEBUG] = "debug",
};

/* One JSON line. Text messages carry their own newlines (and a status
 * line's leading one): a JSON message is the text without them.
 */
static void fl_log_json(enum fl_log_level level, const char *experiment, const char *fmt,
			va_list ap)
{
	char msg[2048], ts[FL_TIMESTAMP_LEN];
	json_object *o;
	size_t n;
	char *m = msg;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	while (*m == '\n')
		m++;
	n = strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == '\r'))
		m[--n] = 0;
	if (!n)
		return;
	fl_timestamp_format(fl_mono_ns(), fl_timestamp_offset(), ts, sizeof(ts));
	o = json_object_new_object();
	if (!o)
		return;
	json_object_object_add(o, "ts", json_object_new_string(ts));
	json_object_object_add(o, "level", json_object_new_string(fl_level_names[level]));
	json_object_object_add(o, "msg", json_object_new_string(m));
	if (experiment)
		json_object_object_add(o, "experiment", json_object_new_string(experiment));
	fprintf(stderr, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static int fl_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are detail for -v; ours say what to do */
	if (fl_level < FL_LOG_DEBUG && level != LIBBPF_WARN)
		return 0;
	if (fl_level < FL_LOG_INFO)
		return 0;
	if (fl_format == FL_LOG_JSON) {
		fl_log_json(FL_LOG_DEBUG, NULL, fmt, ap);
		return 0;
	}
	return vfprintf(stderr, fmt, ap);
}

/* libxdp's levels are libbpf's */
static int fl_libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	return fl_libbpf_print((enum libbpf_print_level)level, fmt, ap);
}

void fl_log_set_level(enum fl_log_level level)
{
	fl_level = level;
	libbpf_set_print(fl_libbpf_print);
	libxdp_set_print(fl_libxdp_print);
}

enum fl_log_level fl_log_get_level(void)
{
	return fl_level;
}

void fl_log_set_format(enum fl_log_format format)
{
	fl_format = format;
}

int fl_log_parse_format(const char *s, enum fl_log_format *out)
{
	if (!strcmp(s, "text"))
		*out = FL_LOG_TEXT;
	else if (!strcmp(s, "json"))
		*out = FL_LOG_JSON;
	else
		return -EINVAL;
	return 0;
}

static void fl_vlog(enum fl_log_level level, const char *experiment, const char *fmt, va_list ap)
{
	if (level > fl_level)
		return;
	if (fl_format == FL_LOG_JSON) {
		fl_log_json(level, experiment, fmt, ap);
		return;
	}
	if (experiment)
		fprintf(stderr, "experiment %s: ", experiment);
	vfprintf(stderr, fmt, ap);
}

void fl_log(enum fl_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fl_vlog(level, NULL, fmt, ap);
	va_end(ap);
}

void fl_log_exp(enum fl_log_level level, const char *experiment, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fl_vlog(level, experiment, fmt, ap);
	va_end(ap);
}
