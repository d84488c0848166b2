/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Leveled messages on stderr; libbpf's and libxdp's own output one level lower. Text
 * by default; JSON lines (ts, level, msg, and fields such as experiment)
 * for a long-running process whose stderr a log collector reads.
 */
#ifndef FL_LOG_H
#define FL_LOG_H

enum fl_log_level {
	FL_LOG_WARN = 0,
	FL_LOG_INFO = 1,
	FL_LOG_DEBUG = 2,
};

enum fl_log_format {
	FL_LOG_TEXT,
	FL_LOG_JSON,
};

void fl_log_set_level(enum fl_log_level level);
enum fl_log_level fl_log_get_level(void);
void fl_log_set_format(enum fl_log_format format);
/* "text" or "json"; -EINVAL for anything else. */
int fl_log_parse_format(const char *s, enum fl_log_format *out);
void fl_log(enum fl_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One message about an experiment: a field of its own in JSON, a
 * "experiment NAME: " prefix in text.
 */
void fl_log_exp(enum fl_log_level level, const char *experiment, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pr_warn(...)	fl_log(FL_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	fl_log(FL_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	fl_log(FL_LOG_DEBUG, __VA_ARGS__)

/* Exit codes, a contract for scripts. */
#define FL_EXIT_OK	0
#define FL_EXIT_USAGE	2
#define FL_EXIT_RUNTIME	3

#endif /* FL_LOG_H */
