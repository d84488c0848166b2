// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Prometheus pollers. A query can take up to its timeout, so it runs off
 * the main loop, which must keep taking ring buffer records.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prom.h"
#include "common.h"
#include "prompoll.h"

struct fl_prom_worker {
	struct fl_prompoll *pp;
	const struct fl_condition *c;
	int cond;
	pthread_t thread;
	bool started;
};

struct fl_prompoll {
	int pipe[2];
	volatile int stop;
	int n;
	struct fl_prom_worker w[FL_MAX_PROM_CONDS];
};

static void *fl_prom_worker_main(void *arg)
{
	struct fl_prom_worker *w = arg;
	__u64 next = fl_mono_ns();

	while (!w->pp->stop) {
		struct fl_prom_result r = { .cond = w->cond };
		__u64 now;

		r.ok = !fl_prom_query(w->c->prom_url, w->c->prom_query, w->c->prom_interval_ns,
				      &r.value, r.error, sizeof(r.error));
		r.ts_ns = fl_mono_ns();
		/* a full pipe means the main loop is gone: drop the result */
		if (write(w->pp->pipe[1], &r, sizeof(r)) < 0 && errno != EAGAIN)
			break;
		next += w->c->prom_interval_ns;
		now = fl_mono_ns();
		if (next < now)
			next = now;
		/* sleep in short steps so stop is prompt */
		while (!w->pp->stop && fl_mono_ns() < next) {
			struct timespec ts = { 0, 20000000 };

			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int fl_prompoll_start(struct fl_prompoll **out, const struct fl_condition *conds, int n)
{
	struct fl_prompoll *pp;
	int i, err;

	*out = NULL;
	for (i = 0; i < n; i++)
		if (conds[i].signal == FL_SIG_PROMETHEUS)
			break;
	if (i == n)
		return 0;
	if (n > FL_MAX_PROM_CONDS)
		return -E2BIG;
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return -ENOMEM;
	if (pipe2(pp->pipe, O_CLOEXEC | O_NONBLOCK)) {
		err = -errno;
		free(pp);
		return err;
	}
	for (i = 0; i < n; i++) {
		struct fl_prom_worker *w;

		if (conds[i].signal != FL_SIG_PROMETHEUS)
			continue;
		w = &pp->w[pp->n++];
		w->pp = pp;
		w->c = &conds[i];
		w->cond = i;
		err = -pthread_create(&w->thread, NULL, fl_prom_worker_main, w);
		if (err) {
			fl_prompoll_stop(pp);
			return err;
		}
		w->started = true;
	}
	*out = pp;
	return 0;
}

int fl_prompoll_fd(const struct fl_prompoll *p)
{
	return p ? p->pipe[0] : -1;
}

int fl_prompoll_drain(struct fl_prompoll *p, void (*cb)(const struct fl_prom_result *r, void *arg),
		      void *arg)
{
	struct fl_prom_result r;
	int n = 0;

	if (!p)
		return 0;
	while (read(p->pipe[0], &r, sizeof(r)) == sizeof(r)) {
		cb(&r, arg);
		n++;
	}
	return n;
}

void fl_prompoll_stop(struct fl_prompoll *p)
{
	int i;

	if (!p)
		return;
	p->stop = 1;
	for (i = 0; i < p->n; i++)
		if (p->w[i].started)
			pthread_join(p->w[i].thread, NULL);
	close(p->pipe[0]);
	close(p->pipe[1]);
	free(p);
}
