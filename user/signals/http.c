// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libcurl's global setup, once per process (see http.h). */
#include <errno.h>
#include <pthread.h>
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
