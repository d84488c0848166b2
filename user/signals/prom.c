// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Prometheus instant queries: one GET with libcurl, the answer read with
 * json-c (see prom.h for what is accepted and the error codes).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "common.h"
#include "http.h"
#include "prom.h"

#ifndef FL_VERSION
#define FL_VERSION	"0"
#endif



static const char *str_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A sample's value: [ <unix time>, "<number>" ]. */
static int parse_value(json_object *pair, double *value, char *err, size_t errlen)
{
	json_object *v;
	const char *s;
	char *end;
	double d;

	if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2) {
		fl_set_err(err, errlen, "malformed answer: a value is not a [time, \"number\"] pair");
		return -EPROTO;
	}
	v = json_object_array_get_idx(pair, 1);
	if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) {
		d = json_object_get_double(v);
	} else if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		d = strtod(s, &end);
		if (end == s || *end) {
			fl_set_err(err, errlen, "malformed answer: value \"%.40s\" is not a number", s);
			return -EPROTO;
		}
	} else {
		fl_set_err(err, errlen, "malformed answer: a value is not a number");
		return -EPROTO;
	}
	if (isnan(d)) {
		fl_set_err(err, errlen,
			"query returned NaN (e.g. 0/0, or a ratio of rates that are both 0); a condition needs a number");
		return -EDOM;
	}
	*value = d;
	return 0;
}

/* Labels of a vector sample, for messages: name{k="v",...}, shortened. */
static void format_series(json_object *sample, char *buf, size_t len)
{
	json_object *metric;
	const char *name = NULL;
	size_t off = 0;
	int first = 1;

	buf[0] = '\0';
	if (!json_object_object_get_ex(sample, "metric", &metric) ||
	    !json_object_is_type(metric, json_type_object))
		return;
	name = str_member(metric, "__name__");
	off = snprintf(buf, len, "%s{", name ? name : "");
	json_object_object_foreach(metric, k, v) {
		if (off >= len)
			break;
		if (!strcmp(k, "__name__"))
			continue;
		off += snprintf(buf + off, len - off, "%s%s=\"%s\"", first ? "" : ",", k,
				json_object_get_string(v));
		first = 0;
	}
	if (off < len)
		snprintf(buf + off, len - off, "}");
	if (off >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

static int parse_vector(json_object *result, double *value, char *err, size_t errlen)
{
	json_object *sample, *pair;
	size_t n = json_object_array_length(result);
	char series[96];

	if (n == 0) {
		fl_set_err(err, errlen,
			"query returned no samples: no series matches, or none has a sample in the last 5 minutes");
		return -ENODATA;
	}
	sample = json_object_array_get_idx(result, 0);
	if (!json_object_is_type(sample, json_type_object)) {
		fl_set_err(err, errlen, "malformed answer: a vector sample is not an object");
		return -EPROTO;
	}
	if (n > 1) {
		format_series(sample, series, sizeof(series));
		fl_set_err(err, errlen,
			"query returned %zu samples; a condition needs exactly one: aggregate it, e.g. sum(...) (first: %s)",
			n, series);
		return -ENOTUNIQ;
	}
	if (json_object_object_get_ex(sample, "value", &pair))
		return parse_value(pair, value, err, errlen);
	if (json_object_object_get_ex(sample, "histogram", &pair)) {
		fl_set_err(err, errlen,
			"query returned a native histogram; a condition needs a number, e.g. histogram_quantile(0.99, ...)");
		return -EDOM;
	}
	fl_set_err(err, errlen, "malformed answer: the sample has no value");
	return -EPROTO;
}

/* @api_error: set when the body is a well-formed "status": "error". */
static int parse_body(const char *body, double *value, char *err, size_t errlen, int *api_error)
{
	json_tokener *tok;
	json_object *root, *data, *result;
	const char *status, *type;
	enum json_tokener_error jerr;
	size_t len, used;
	int ret = -EPROTO;

	*api_error = 0;
	if (!body || !value) {
		fl_set_err(err, errlen, "no answer to parse");
		return -EINVAL;
	}
	len = strlen(body);
	tok = json_tokener_new();
	if (!tok) {
		fl_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	root = json_tokener_parse_ex(tok, body, len);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_success && !root) {
		fl_set_err(err, errlen, "malformed answer: not a JSON object");
		return -EPROTO;
	}
	if (!root || jerr != json_tokener_success) {
		fl_set_err(err, errlen, "malformed answer: not JSON (%s at byte %zu)",
			jerr == json_tokener_continue ? "unexpected end" :
			json_tokener_error_desc(jerr), used);
		json_object_put(root);
		return -EPROTO;
	}
	while (used < len && isspace((unsigned char)body[used]))
		used++;
	if (used < len) {
		fl_set_err(err, errlen, "malformed answer: text after the JSON object at byte %zu", used);
		goto out;
	}
	if (!json_object_is_type(root, json_type_object)) {
		fl_set_err(err, errlen, "malformed answer: not a JSON object");
		goto out;
	}
	status = str_member(root, "status");
	if (!status) {
		fl_set_err(err, errlen, "malformed answer: no \"status\"");
		goto out;
	}
	if (!strcmp(status, "error")) {
		const char *etype = str_member(root, "errorType");
		const char *emsg = str_member(root, "error");

		*api_error = 1;
		fl_set_err(err, errlen, "Prometheus: %s: %s", etype ? etype : "error",
			emsg ? emsg : "(no message)");
		if (etype && !strcmp(etype, "bad_data"))
			ret = -EINVAL;
		else if (etype && !strcmp(etype, "timeout"))
			ret = -ETIMEDOUT;
		else
			ret = -EIO;
		goto out;
	}
	if (strcmp(status, "success")) {
		fl_set_err(err, errlen, "malformed answer: status \"%.40s\"", status);
		goto out;
	}
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_is_type(data, json_type_object) ||
	    !(type = str_member(data, "resultType")) ||
	    !json_object_object_get_ex(data, "result", &result)) {
		fl_set_err(err, errlen, "malformed answer: no data.resultType and data.result");
		goto out;
	}
	if (!strcmp(type, "scalar")) {
		ret = parse_value(result, value, err, errlen);
	} else if (!strcmp(type, "vector")) {
		if (json_object_is_type(result, json_type_array))
			ret = parse_vector(result, value, err, errlen);
		else
			fl_set_err(err, errlen, "malformed answer: the vector is not an array");
	} else if (!strcmp(type, "matrix")) {
		fl_set_err(err, errlen,
			"query returned a range vector (matrix); a condition needs one instant value: remove the [range] or wrap it, e.g. rate(x[1m])");
		ret = -ENOTSUP;
	} else if (!strcmp(type, "string")) {
		fl_set_err(err, errlen, "query returned a string; a condition needs a number");
		ret = -ENOTSUP;
	} else {
		fl_set_err(err, errlen, "malformed answer: unknown resultType \"%.40s\"", type);
	}
out:
	json_object_put(root);
	return ret;
}

int fl_prom_parse(const char *body, double *value, char *err, size_t errlen)
{
	int api_error;

	if (err && errlen)
		err[0] = '\0';
	return parse_body(body, value, err, errlen, &api_error);
}

/* ---- HTTP ---- */

/* The first line of a non-API answer, printable, for a message. */
static void body_excerpt(const struct fl_http_body *b, char *out, size_t len)
{
	size_t i, j = 0;

	for (i = 0; b->buf && i < b->len && j + 1 < len; i++) {
		unsigned char c = b->buf[i];

		if (c == '\n' || c == '\r')
			break;
		out[j++] = isprint(c) ? c : '?';
	}
	out[j] = '\0';
}

int fl_prom_query(const char *base_url, const char *query, __u64 timeout_ns, double *value,
		  char *err, size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "", excerpt[80];
	struct fl_http_body b = { .max = FL_PROM_MAX_BODY };
	char *url = NULL, *q = NULL;
	size_t blen;
	long code = 0;
	double v = 0;
	__u64 ms;
	CURLcode rc;
	CURL *c;
	int ret, bad = 0, api_error;

	if (err && errlen)
		err[0] = '\0';
	if (!base_url || !query || !value || !*query) {
		fl_set_err(err, errlen, "no Prometheus URL or query");
		return -EINVAL;
	}
	if (strncasecmp(base_url, "http://", 7) && strncasecmp(base_url, "https://", 8)) {
		fl_set_err(err, errlen, "Prometheus URL '%s' must start with http:// or https://", base_url);
		return -EINVAL;
	}
	if (!timeout_ns)
		timeout_ns = FL_PROM_TIMEOUT_NS;
	ms = (timeout_ns + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
	if (ms > LONG_MAX)
		ms = LONG_MAX;
	if (fl_http_init()) {
		fl_set_err(err, errlen, "cannot initialise libcurl");
		return -EIO;
	}
	c = curl_easy_init();
	if (!c) {
		fl_set_err(err, errlen, "cannot initialise libcurl");
		return -ENOMEM;
	}
	q = curl_easy_escape(c, query, 0);
	blen = strlen(base_url);
	while (blen && base_url[blen - 1] == '/')
		blen--;
	if (!q || asprintf(&url, "%.*s/api/v1/query?query=%s", (int)blen, base_url, q) < 0) {
		url = NULL;
		fl_set_err(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	bad |= curl_easy_setopt(c, CURLOPT_URL, url);
	bad |= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ms);
	bad |= curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "faultline/" FL_VERSION);
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fl_http_body_write);
	bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	if (bad) {
		fl_set_err(err, errlen, "cannot set up the request to %s", base_url);
		ret = -EINVAL;
		goto out;
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		if (b.too_big) {
			fl_set_err(err, errlen, "%s: the answer is larger than %d bytes", base_url,
				FL_PROM_MAX_BODY);
			ret = -EPROTO;
		} else if (rc == CURLE_OPERATION_TIMEDOUT) {
			fl_set_err(err, errlen, "%s: no answer within %llu ms", base_url,
				(unsigned long long)ms);
			ret = -ETIMEDOUT;
		} else {
			fl_set_err(err, errlen, "%s: %s", base_url,
				curl_err[0] ? curl_err : curl_easy_strerror(rc));
			ret = rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
		}
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	ret = parse_body(b.buf ? b.buf : "", &v, err, errlen, &api_error);
	if (code == 200) {
		if (!ret)
			*value = v;
		goto out;
	}
	if (api_error) {
		/* Prometheus's own answer to a bad or failed query. */
		char msg[256];

		snprintf(msg, sizeof(msg), "%s", err && errlen ? err : "");
		fl_set_err(err, errlen, "HTTP %ld: %s", code, msg);
		goto out;
	}
	body_excerpt(&b, excerpt, sizeof(excerpt));
	fl_set_err(err, errlen, "%s: HTTP status %ld%s%s (is this the Prometheus server URL?)",
		base_url, code, excerpt[0] ? ": " : "", excerpt);
	ret = -EIO;
out:
	free(url);
	curl_free(q);
	fl_http_body_free(&b);
	curl_easy_cleanup(c);
	return ret;
}
