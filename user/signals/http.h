/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* libcurl, set up once for every HTTP user (probes, Prometheus). */
#ifndef FL_HTTP_H
#define FL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* curl_global_init, once per process, thread-safe. 0 or -EIO. */
int fl_http_init(void);

/* A response body as it arrives, NUL-terminated, bounded by @max bytes
 * (0: no bound); zero-initialise it, free it with fl_http_body_free.
 */
struct fl_http_body {
	char *buf;
	size_t len, cap, max;
	bool too_big;		/* it passed max: the transfer was aborted */
};

/* Append @n bytes: 0, -E2BIG past max, -ENOMEM. */
int fl_http_body_add(struct fl_http_body *b, const char *s, size_t n);
/* libcurl's CURLOPT_WRITEFUNCTION for a struct fl_http_body. */
size_t fl_http_body_write(char *ptr, size_t size, size_t nmemb, void *arg);
void fl_http_body_free(struct fl_http_body *b);

#endif /* FL_HTTP_H */
