/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* List and watch one collection on a thread of its own, and hand what
 * changes to the main loop through a queue whose eventfd becomes
 * readable: the engine is single-threaded, and only the main loop
 * touches it.
 *
 * A watch first lists (a SYNC event carries every item: the consumer
 * replaces what it had), then watches from the list's resourceVersion
 * with bookmarks, so that a reconnect resumes where it left off. A 410
 * Gone (the version is too old) lists again; any other failure retries
 * with a backoff from 200 ms doubling to 5 s.
 */
#ifndef FL_K8S_WATCH_H
#define FL_K8S_WATCH_H

#include <pthread.h>
#include <json-c/json.h>

#include "client.h"

enum fl_k8s_ev_type {
	FL_K8S_SYNC,		/* obj: the array of every item */
	FL_K8S_ADDED,
	FL_K8S_MODIFIED,
	FL_K8S_DELETED,
};

struct fl_k8s_event {
	struct fl_k8s_event *next;
	int tag;		/* the watch's */
	enum fl_k8s_ev_type type;
	json_object *obj;	/* owned */
};

struct fl_k8s_queue {
	pthread_mutex_t mu;
	struct fl_k8s_event *head, *tail;
	int efd;		/* readable while events wait */
};

int fl_k8s_queue_init(struct fl_k8s_queue *q);
/* The oldest event (the caller frees it with fl_k8s_event_free), or NULL. */
struct fl_k8s_event *fl_k8s_queue_pop(struct fl_k8s_queue *q);
void fl_k8s_event_free(struct fl_k8s_event *ev);
void fl_k8s_queue_free(struct fl_k8s_queue *q);

/* What one line of a watch stream is. */
enum fl_k8s_line {
	FL_K8S_LINE_NONE,	/* no event (not one JSON object with a string
				 * "type" and an object "object"): skipped */
	FL_K8S_LINE_EVENT,	/* ADDED, MODIFIED, DELETED (any other type
				 * counts as MODIFIED) */
	FL_K8S_LINE_BOOKMARK,	/* only the object's resourceVersion counts */
	FL_K8S_LINE_GONE,	/* ERROR with code 410: list again */
	FL_K8S_LINE_ERROR,	/* any other ERROR: the object is its Status */
};

/* Parse one line of @len bytes (no NUL needed). *obj is the event's
 * object, a reference the caller puts, for every kind but NONE.
 */
enum fl_k8s_line fl_k8s_watch_parse(const char *line, size_t len, enum fl_k8s_ev_type *type,
				    json_object **obj);
/* metadata.resourceVersion of @obj into @buf: 0, -ENOENT when absent or
 * not a string, -ENAMETOOLONG when it does not fit.
 */
int fl_k8s_resource_version(json_object *obj, char *buf, size_t len);
/* A list response's "items": 0 and the array (borrowed), or -EPROTO. */
int fl_k8s_list_items(json_object *resp, json_object **items);

#define FL_K8S_WATCH_TIMEOUT_S	300	/* the server ends a watch after this */

struct fl_k8s_watch {
	struct fl_k8s_client *cl;
	struct fl_k8s_queue *q;
	int tag;
	char path[512];		/* the collection, e.g. "/api/v1/pods" */
	char query[512];	/* added to list and watch ("fieldSelector=..."), or "" */
	char rv[64];		/* the last resourceVersion seen */
	pthread_t thread;
	bool started;
	volatile int stop;
};

/* Start @w's thread (path, query, tag, cl and q set). 0 or -errno. */
int fl_k8s_watch_start(struct fl_k8s_watch *w);
/* End it (within about a second) and join. */
void fl_k8s_watch_stop(struct fl_k8s_watch *w);

#endif /* FL_K8S_WATCH_H */
