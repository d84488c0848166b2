// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The small helpers every layer uses (see common.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

void fl_str_printable(char *s, size_t len)
{
	for (; s && len && *s; s++, len--)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int fl_read_file(const char *path, size_t max, char **out, size_t *len)
{
	size_t n = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t got;
	int fd, ret = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				ret = -EFBIG;
				goto cleanup;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				ret = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto cleanup;
		}
		if (!got)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		ret = -EFBIG;
		goto cleanup;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf) {
			ret = -ENOMEM;
			goto cleanup;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return ret;
}
