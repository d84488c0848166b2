// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libcurl under the Kubernetes client (client.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "client.h"
#include "common.h"
#include "http.h"

#define FL_K8S_MAX_BODY	(64 << 20)

int fl_k8s_client_init(struct fl_k8s_client *cl, struct fl_k8s_cfg *cfg)
{
	memset(cl, 0, sizeof(*cl));
	if (fl_http_init())
		return -EIO;
	cl->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	if (cl->cfg.token && asprintf(&cl->auth, "Authorization: Bearer %s", cl->cfg.token) < 0) {
		cl->auth = NULL;
		return -ENOMEM;
	}
	return 0;
}

void fl_k8s_client_free(struct fl_k8s_client *cl)
{
	fl_k8s_cfg_free(&cl->cfg);
	free(cl->auth);
	memset(cl, 0, sizeof(*cl));
}

/* A handle for @path with TLS and identity set; @hdrs gets the headers. */
static CURL *fl_k8s_handle(struct fl_k8s_client *cl, const char *path, const char *ctype,
			   struct curl_slist **hdrs)
{
	struct curl_blob blob;
	char url[1024], ct[128];
	CURL *h;

	*hdrs = NULL;
	h = curl_easy_init();
	if (!h)
		return NULL;
	snprintf(url, sizeof(url), "%s%s", cl->cfg.server, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)FL_K8S_CONNECT_TIMEOUT_MS);
	if (cl->cfg.ca) {
		blob = (struct curl_blob){ cl->cfg.ca, cl->cfg.ca_len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (cl->cfg.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cl->cfg.cert && cl->cfg.key) {
		blob = (struct curl_blob){ cl->cfg.cert, cl->cfg.cert_len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		blob = (struct curl_blob){ cl->cfg.key, cl->cfg.key_len, CURL_BLOB_COPY };
		curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
		curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	}
	*hdrs = curl_slist_append(*hdrs, "Accept: application/json");
	if (cl->auth)
		*hdrs = curl_slist_append(*hdrs, cl->auth);
	if (ctype) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		*hdrs = curl_slist_append(*hdrs, ct);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	return h;
}

/* A Status body's message into @err, else the first bytes of @body. */
static void fl_k8s_status_err(long code, const char *body, json_object *o, char *err,
			      size_t errlen)
{
	json_object *m;

	if (o && json_object_object_get_ex(o, "message", &m))
		fl_set_err(err, errlen, "HTTP %ld: %s", code, json_object_get_string(m));
	else
		fl_set_err(err, errlen, "HTTP %ld: %.200s", code, body ? body : "");
}

int fl_k8s_request(struct fl_k8s_client *cl, const char *method, const char *path,
		   const char *ctype, const char *body, json_object **resp, char *err,
		   size_t errlen)
{
	struct fl_http_body b = { .max = FL_K8S_MAX_BODY };
	struct curl_slist *hdrs;
	json_object *o = NULL;
	CURLcode rc;
	long code = 0;
	CURL *h;
	int ret;

	if (resp)
		*resp = NULL;
	h = fl_k8s_handle(cl, path, ctype, &hdrs);
	if (!h)
		return -ENOMEM;
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)FL_K8S_REQ_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fl_http_body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		fl_set_err(err, errlen, "%s %s%s: %s", method, cl->cfg.server, path,
			   curl_easy_strerror(rc));
		ret = -EIO;
		goto cleanup;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (b.buf)
		o = json_tokener_parse(b.buf);
	if (code < 200 || code > 299)
		fl_k8s_status_err(code, b.buf, o, err, errlen);
	ret = (int)code;
	if (resp) {
		*resp = o;
		o = NULL;
	}
cleanup:
	json_object_put(o);
	fl_http_body_free(&b);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return ret;
}

struct fl_k8s_stream_ctx {
	CURL *h;
	struct fl_http_body b;
	fl_k8s_line_fn fn;
	void *ctx;
	volatile int *stop;
	long code;
	int ended;
};

static size_t fl_k8s_lines(char *p, size_t sz, size_t n, void *ud)
{
	struct fl_k8s_stream_ctx *s = ud;
	size_t start = 0, i;

	if (!s->code)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->code);
	if (fl_http_body_add(&s->b, p, sz * n))
		return 0;
	if (s->code != 200)
		return sz * n;	/* the error body, kept whole */
	for (i = 0; i < s->b.len; i++) {
		if (s->b.buf[i] != '\n')
			continue;
		s->b.buf[i] = 0;
		if (i > start && s->fn(s->ctx, s->b.buf + start, i - start)) {
			s->ended = 1;
			return 0;
		}
		start = i + 1;
	}
	memmove(s->b.buf, s->b.buf + start, s->b.len - start);
	s->b.len -= start;
	return sz * n;
}

static int fl_k8s_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct fl_k8s_stream_ctx *s = ud;

	(void)dt, (void)dn, (void)ut, (void)un;
	return *s->stop ? 1 : 0;
}

int fl_k8s_stream(struct fl_k8s_client *cl, const char *path, fl_k8s_line_fn fn, void *ctx,
		  volatile int *stop, char *err, size_t errlen)
{
	struct fl_k8s_stream_ctx s = { .fn = fn, .ctx = ctx, .stop = stop,
					.b = { .max = FL_K8S_MAX_BODY } };
	struct curl_slist *hdrs;
	json_object *o;
	CURLcode rc;
	int ret;

	s.h = fl_k8s_handle(cl, path, NULL, &hdrs);
	if (!s.h)
		return -ENOMEM;
	curl_easy_setopt(s.h, CURLOPT_WRITEFUNCTION, fl_k8s_lines);
	curl_easy_setopt(s.h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(s.h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s.h, CURLOPT_XFERINFOFUNCTION, fl_k8s_progress);
	curl_easy_setopt(s.h, CURLOPT_XFERINFODATA, &s);
	/* a dead connection is noticed: the server sends bookmarks */
	curl_easy_setopt(s.h, CURLOPT_TCP_KEEPALIVE, 1L);
	rc = curl_easy_perform(s.h);
	if (!s.code)
		curl_easy_getinfo(s.h, CURLINFO_RESPONSE_CODE, &s.code);
	if (rc != CURLE_OK && !s.ended && !*stop) {
		fl_set_err(err, errlen, "GET %s%s: %s", cl->cfg.server, path,
			   curl_easy_strerror(rc));
		ret = -EIO;
		goto cleanup;
	}
	if (s.code != 200) {
		o = s.b.buf ? json_tokener_parse(s.b.buf) : NULL;
		fl_k8s_status_err(s.code, s.b.buf, o, err, errlen);
		json_object_put(o);
	}
	ret = (int)s.code;
cleanup:
	fl_http_body_free(&s.b);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(s.h);
	return ret;
}
