// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* List + watch threads and their queue (watch.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "common.h"
#include "log.h"
#include "watch.h"

#define FL_K8S_BACKOFF_MIN_MS	200
#define FL_K8S_BACKOFF_MAX_MS	5000

int fl_k8s_queue_init(struct fl_k8s_queue *q)
{
	memset(q, 0, sizeof(*q));
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0)
		return -errno;
	pthread_mutex_init(&q->mu, NULL);
	return 0;
}

static void fl_k8s_queue_push(struct fl_k8s_queue *q, int tag, enum fl_k8s_ev_type type,
			      json_object *obj)
{
	struct fl_k8s_event *ev = calloc(1, sizeof(*ev));
	__u64 one = 1;

	if (!ev) {
		json_object_put(obj);
		return;
	}
	ev->tag = tag;
	ev->type = type;
	ev->obj = obj;
	pthread_mutex_lock(&q->mu);
	if (q->tail)
		q->tail->next = ev;
	else
		q->head = ev;
	q->tail = ev;
	pthread_mutex_unlock(&q->mu);
	if (write(q->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("k8s: eventfd: %s\n", strerror(errno));
}

struct fl_k8s_event *fl_k8s_queue_pop(struct fl_k8s_queue *q)
{
	struct fl_k8s_event *ev;
	__u64 n;

	pthread_mutex_lock(&q->mu);
	ev = q->head;
	if (ev) {
		q->head = ev->next;
		if (!q->head)
			q->tail = NULL;
		ev->next = NULL;
	} else if (read(q->efd, &n, sizeof(n)) < 0) {
		/* drained: nothing waits (EAGAIN) */
	}
	pthread_mutex_unlock(&q->mu);
	return ev;
}

void fl_k8s_event_free(struct fl_k8s_event *ev)
{
	if (!ev)
		return;
	json_object_put(ev->obj);
	free(ev);
}

void fl_k8s_queue_free(struct fl_k8s_queue *q)
{
	struct fl_k8s_event *ev;

	if (q->efd < 0 && !q->head)
		return;
	while ((ev = fl_k8s_queue_pop(q)))
		fl_k8s_event_free(ev);
	if (q->efd >= 0)
		close(q->efd);
	q->efd = -1;
	pthread_mutex_destroy(&q->mu);
}

/* Sleep @ms in slices, unless stopped. */
static void fl_k8s_nap(struct fl_k8s_watch *w, int ms)
{
	while (ms > 0 && !w->stop) {
		struct timespec ts = { 0, (ms > 100 ? 100 : ms) * NSEC_PER_MSEC };

		nanosleep(&ts, NULL);
		ms -= 100;
	}
}

int fl_k8s_resource_version(json_object *obj, char *buf, size_t len)
{
	json_object *md, *rv;
	int n;

	if (!json_object_object_get_ex(obj, "metadata", &md) ||
	    !json_object_object_get_ex(md, "resourceVersion", &rv) ||
	    !json_object_is_type(rv, json_type_string))
		return -ENOENT;
	n = snprintf(buf, len, "%s", json_object_get_string(rv));
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A version that does not fit is not taken: resuming from a cut one
 * would be wrong, and the next list brings a good one.
 */
static void fl_k8s_take_rv(struct fl_k8s_watch *w, json_object *obj)
{
	char rv[sizeof(w->rv)];

	if (!fl_k8s_resource_version(obj, rv, sizeof(rv)))
		memcpy(w->rv, rv, sizeof(rv));
}

int fl_k8s_list_items(json_object *resp, json_object **items)
{
	if (!json_object_object_get_ex(resp, "items", items) ||
	    !json_object_is_type(*items, json_type_array)) {
		*items = NULL;
		return -EPROTO;
	}
	return 0;
}

/* GET the list: a SYNC event and its resourceVersion. 0 or -errno. */
static int fl_k8s_list(struct fl_k8s_watch *w)
{
	char path[1100], err[512] = "";
	json_object *o = NULL, *items;
	int ret;

	snprintf(path, sizeof(path), "%s%s%s", w->path, w->query[0] ? "?" : "", w->query);
	ret = fl_k8s_request(w->cl, "GET", path, NULL, NULL, &o, err, sizeof(err));
	if (ret != 200 || fl_k8s_list_items(o, &items)) {
		pr_warn("k8s: list %s: %s\n", w->path, err[0] ? err : "no \"items\" array");
		json_object_put(o);
		return ret < 0 ? ret : -EIO;
	}
	fl_k8s_take_rv(w, o);
	fl_k8s_queue_push(w->q, w->tag, FL_K8S_SYNC, json_object_get(items));
	json_object_put(o);
	return 0;
}

struct fl_k8s_watch_line {
	struct fl_k8s_watch *w;
	bool gone;		/* 410: list again */
	bool any;
};

enum fl_k8s_line fl_k8s_watch_parse(const char *line, size_t len, enum fl_k8s_ev_type *type,
				    json_object **obj)
{
	struct json_tokener *tok;
	json_object *o = NULL, *t, *code;
	enum fl_k8s_line ret = FL_K8S_LINE_NONE;
	const char *ts;
	size_t end;

	*obj = NULL;
	*type = FL_K8S_MODIFIED;
	if (len > INT_MAX)
		return FL_K8S_LINE_NONE;
	tok = json_tokener_new();
	if (!tok)
		return FL_K8S_LINE_NONE;
	o = json_tokener_parse_ex(tok, line, (int)len);
	/* one object per line: what follows it may only be blank */
	for (end = o ? json_tokener_get_parse_end(tok) : len; end < len; end++) {
		if (!strchr(" \t\r", line[end]) || !line[end]) {
			json_object_put(o);
			o = NULL;
			break;
		}
	}
	json_tokener_free(tok);
	if (!o || !json_object_object_get_ex(o, "type", &t) ||
	    !json_object_is_type(t, json_type_string) ||
	    !json_object_object_get_ex(o, "object", obj) ||
	    !json_object_is_type(*obj, json_type_object)) {
		*obj = NULL;
		goto cleanup;
	}
	json_object_get(*obj);
	ts = json_object_get_string(t);
	if (!strcmp(ts, "ERROR")) {
		ret = json_object_object_get_ex(*obj, "code", &code) &&
		      json_object_is_type(code, json_type_int) && json_object_get_int(code) == 410 ?
			FL_K8S_LINE_GONE : FL_K8S_LINE_ERROR;
	} else if (!strcmp(ts, "BOOKMARK")) {
		ret = FL_K8S_LINE_BOOKMARK;
	} else {
		ret = FL_K8S_LINE_EVENT;
		*type = !strcmp(ts, "ADDED") ? FL_K8S_ADDED : !strcmp(ts, "DELETED") ?
			FL_K8S_DELETED : FL_K8S_MODIFIED;
	}
cleanup:
	json_object_put(o);
	return ret;
}

static int fl_k8s_on_line(void *ud, const char *line, size_t len)
{
	struct fl_k8s_watch_line *l = ud;
	struct fl_k8s_watch *w = l->w;
	enum fl_k8s_ev_type t;
	json_object *obj;

	switch (fl_k8s_watch_parse(line, len, &t, &obj)) {
	case FL_K8S_LINE_NONE:
		return 0;
	case FL_K8S_LINE_GONE:
		l->any = true;
		l->gone = true;
		json_object_put(obj);
		return 1;
	case FL_K8S_LINE_ERROR:
		l->any = true;
		pr_warn("k8s: watch %s: %s\n", w->path, json_object_get_string(obj));
		json_object_put(obj);
		return 1;
	case FL_K8S_LINE_BOOKMARK:
		l->any = true;
		fl_k8s_take_rv(w, obj);
		json_object_put(obj);
		return 0;
	case FL_K8S_LINE_EVENT:
		break;
	}
	l->any = true;
	fl_k8s_take_rv(w, obj);
	fl_k8s_queue_push(w->q, w->tag, t, obj);
	return 0;
}

static void *fl_k8s_watch_thread(void *arg)
{
	struct fl_k8s_watch *w = arg;
	int backoff = FL_K8S_BACKOFF_MIN_MS;
	bool listed = false;

	while (!w->stop) {
		struct fl_k8s_watch_line l = { .w = w };
		char path[1400], err[512] = "";
		int ret;

		if (!listed) {
			if (fl_k8s_list(w)) {
				fl_k8s_nap(w, backoff);
				backoff = backoff * 2 > FL_K8S_BACKOFF_MAX_MS ?
					FL_K8S_BACKOFF_MAX_MS : backoff * 2;
				continue;
			}
			listed = true;
		}
		snprintf(path, sizeof(path),
			 "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%d%s%s",
			 w->path, w->rv, FL_K8S_WATCH_TIMEOUT_S, w->query[0] ? "&" : "", w->query);
		ret = fl_k8s_stream(w->cl, path, fl_k8s_on_line, &l, &w->stop, err, sizeof(err));
		if (w->stop)
			break;
		if (l.gone || ret == 410) {
			pr_info("k8s: watch %s: resourceVersion %s is gone (410): listing again\n",
				w->path, w->rv);
			listed = false;
			continue;
		}
		if (ret == 200) {
			backoff = FL_K8S_BACKOFF_MIN_MS;	/* the server's timeout: resume */
			if (l.any)
				continue;
		} else {
			pr_warn("k8s: watch %s: %s; retrying in %d ms\n", w->path, err, backoff);
		}
		fl_k8s_nap(w, backoff);
		backoff = backoff * 2 > FL_K8S_BACKOFF_MAX_MS ? FL_K8S_BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

int fl_k8s_watch_start(struct fl_k8s_watch *w)
{
	sigset_t all, old;
	int ret;

	w->stop = 0;
	/* signals are the main thread's: its poll must wake */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&w->thread, NULL, fl_k8s_watch_thread, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	w->started = true;
	return 0;
}

void fl_k8s_watch_stop(struct fl_k8s_watch *w)
{
	if (!w->started)
		return;
	w->stop = 1;
	pthread_join(w->thread, NULL);
	w->started = false;
}
