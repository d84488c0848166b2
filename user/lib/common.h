/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The small helpers every layer uses, defined once. */
#ifndef FL_COMMON_H
#define FL_COMMON_H

#include <stddef.h>
#include <time.h>
#include <linux/types.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define NSEC_PER_USEC	1000ULL
#define NSEC_PER_MSEC	1000000ULL
#define NSEC_PER_SEC	1000000000ULL

/* @clk now, in ns. CLOCK_MONOTONIC is the clock of bpf_ktime_get_ns(),
 * which every time in a run is kept in.
 */
__u64 fl_clock_ns(clockid_t clk);

static inline __u64 fl_mono_ns(void)
{
	return fl_clock_ns(CLOCK_MONOTONIC);
}

/* snprintf into an error buffer; NULL or 0 bytes: nothing. */
void fl_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Control characters in @s (up to its NUL or @len bytes) become '?': a
 * message that quotes what a file, a client or a server sent stays one
 * line and carries no terminal escapes. NULL: nothing.
 */
void fl_str_printable(char *s, size_t len);

/* Read all of @path (to the end, so pipes work too), NUL-terminated, into
 * a new buffer in *out: 0, -EFBIG past @max bytes, or another -errno.
 */
int fl_read_file(const char *path, size_t max, char **out, size_t *len);

#endif /* FL_COMMON_H */
