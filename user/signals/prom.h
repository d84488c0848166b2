/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Prometheus instant queries whose answer is one number.
 *
 * A condition compares one value, so a query must come back as a scalar
 * or as a vector of exactly one sample. Everything else is an error with
 * a message that says what to change. Both functions return 0 or a
 * negative errno and never print; @err (may be NULL) gets the message.
 *
 *   -EINVAL     bad arguments, or Prometheus rejected the query (bad_data)
 *   -ENODATA    the vector is empty: no series matches, or none is recent
 *   -ENOTUNIQ   the vector holds more than one sample
 *   -EDOM       the value is NaN, or a sample holds a histogram
 *   -ENOTSUP    the result is a matrix (a range query) or a string
 *   -EPROTO     the body is not a Prometheus API answer
 *   -ETIMEDOUT  no full answer within the timeout
 *   -EIO        any other failure: connection, HTTP status, query error
 *
 * +Inf and -Inf are values (a ratio over nothing is +Inf), NaN is not.
 */
#ifndef FL_PROM_H
#define FL_PROM_H

#include <stddef.h>
#include <linux/types.h>

/* Default timeout of fl_prom_query when 0 is given. */
#define FL_PROM_TIMEOUT_NS	(10 * 1000000000ULL)

/* Answers larger than this are refused (-EPROTO): one value never needs it. */
#define FL_PROM_MAX_BODY	(4 << 20)

/* GET @base_url/api/v1/query?query=@query (URL-encoded), http or https,
 * without a proxy, within @timeout_ns (0: FL_PROM_TIMEOUT_NS). @base_url
 * may carry a path prefix and a trailing slash: "http://127.0.0.1:9090",
 * "https://mon.example/prometheus/". Blocks the caller for up to the
 * timeout. Safe to call from several threads.
 */
int fl_prom_query(const char *base_url, const char *query, __u64 timeout_ns, double *value,
		  char *err, size_t errlen);

/* Parses the JSON body of an instant query answer. */
int fl_prom_parse(const char *body, double *value, char *err, size_t errlen);

#endif /* FL_PROM_H */
