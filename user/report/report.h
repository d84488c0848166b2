/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One result, rendered three ways: text for a person, JSON for machines,
 * and a report directory (report.json and timeline.svg). Also the live
 * status line. Everything here reads a struct fl_result or a status
 * snapshot, never a map.
 */
#ifndef FL_REPORT_H
#define FL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "engine.h"
#include "result.h"

/* One status line: redrawn in place on a TTY, a plain line otherwise. */
void fl_report_status(FILE *out, bool tty, const struct fl_job_status *st);

void fl_report_text(FILE *out, const struct fl_result *r);
int fl_report_json(FILE *out, const struct fl_result *r);
/* DIR/report.json and DIR/timeline.svg; @err says what failed. */
int fl_report_dir(const char *dir, const struct fl_result *r, char *err, size_t errlen);

struct json_object;
/* The report as a JSON object (the caller puts it). */
struct json_object *fl_report_json_object(const struct fl_result *r);
/* A CLOCK_MONOTONIC time as an RFC 3339 string (JSON null for 0), and a
 * number (JSON null when not finite).
 */
struct json_object *fl_json_ts(__u64 mono_ns, __s64 real_minus_mono);
struct json_object *fl_json_num(double v);

#endif /* FL_REPORT_H */
