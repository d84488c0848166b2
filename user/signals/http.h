/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* libcurl, set up once for every HTTP user (probes, Prometheus). */
#ifndef FL_HTTP_H
#define FL_HTTP_H

/* curl_global_init, once per process, thread-safe. 0 or -EIO. */
int fl_http_init(void);

#endif /* FL_HTTP_H */
