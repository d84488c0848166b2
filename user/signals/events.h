/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The ring buffer consumer: flow records into the flow table. */
#ifndef FL_EVENTS_H
#define FL_EVENTS_H

#include "flows.h"

struct ring_buffer;

struct fl_events {
	struct ring_buffer *rb;
	struct fl_flow_table *flows;
	__u64 n_events;
	__u64 n_signals;
	__u64 n_bad;	/* records of an unexpected size or kind */
	/* optional, called as each record is taken, on the polling thread */
	void (*on_flow)(void *ctx, const struct fl_event *e, const struct fl_flow_delta *d);
	void (*on_signal)(void *ctx, const struct fl_event *e);
	void (*on_breaker)(void *ctx, const struct fl_event *e);	/* FL_EV_BREAKER */
	void *cb_ctx;
};

int fl_events_open(struct fl_events *ev, int ringbuf_map_fd);
/* Wait up to @timeout_ms for records; returns how many or -errno. */
int fl_events_poll(struct fl_events *ev, int timeout_ms);
/* Take whatever is left without waiting. */
int fl_events_drain(struct fl_events *ev);
/* Fold the live flows of the kernel table in, through on_flow too, for
 * exact final totals and final condition values.
 */
int fl_events_sweep(struct fl_events *ev, int flows_map_fd);
void fl_events_close(struct fl_events *ev);

#endif /* FL_EVENTS_H */
