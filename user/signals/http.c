// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libcurl's global setup, once per process (see http.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "http.h"

static pthread_once_t fl_curl_once = PTHREAD_ONCE_INIT;
static CURLcode fl_curl_rc = CURLE_FAILED_INIT;

static void fl_curl_init(void)
{
	fl_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fl_http_init(void)
{
	pthread_once(&fl_curl_once, fl_curl_init);
	return fl_curl_rc == CURLE_OK ? 0 : -EIO;
}

int fl_http_body_add(struct fl_http_body *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->max && b->len + n + 1 > b->max) {
		b->too_big = true;
		return -E2BIG;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->buf, cap);
		if (!p)
			return -ENOMEM;
		b->buf = p;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

size_t fl_http_body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	/* a short count aborts the transfer */
	return fl_http_body_add(arg, ptr, size * nmemb) ? 0 : size * nmemb;
}

void fl_http_body_free(struct fl_http_body *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
