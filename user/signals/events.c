// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Ring buffer records to flows. */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events.h"

static int fl_events_handle(void *ctx, void *data, size_t size)
{
	const struct fl_event *e = data;
	struct fl_events *ev = ctx;
	struct fl_flow_delta d;

	if (size < sizeof(struct fl_event)) {
		ev->n_bad++;
		return 0;
	}
	if (e->kind == FL_EV_BREAKER) {
		ev->n_signals++;
		if (ev->on_breaker)
			ev->on_breaker(ev->cb_ctx, e);
		return 0;
	}
	if (e->kind == FL_EV_SIGNAL) {
		ev->n_signals++;
		if (ev->on_signal)
			ev->on_signal(ev->cb_ctx, e);
		return 0;
	}
	if (fl_flows_apply_delta(ev->flows, e, &d)) {
		ev->n_bad++;
		return 0;
	}
	ev->n_events++;
	if (ev->on_flow)
		ev->on_flow(ev->cb_ctx, e, &d);
	return 0;
}

int fl_events_open(struct fl_events *ev, int ringbuf_map_fd)
{
	int err;

	memset(ev, 0, sizeof(*ev));
	ev->flows = fl_flows_new(1024);
	if (!ev->flows)
		return -ENOMEM;
	ev->rb = ring_buffer__new(ringbuf_map_fd, fl_events_handle, ev, NULL);
	if (!ev->rb) {
		err = -errno;
		fl_flows_free(ev->flows);
		ev->flows = NULL;
		return err;
	}
	return 0;
}

int fl_events_poll(struct fl_events *ev, int timeout_ms)
{
	return ring_buffer__poll(ev->rb, timeout_ms);
}

int fl_events_drain(struct fl_events *ev)
{
	return ring_buffer__consume(ev->rb);
}

int fl_events_sweep(struct fl_events *ev, int flows_map_fd)
{
	struct fl_flow_key key, next;
	struct fl_flow_val val;
	void *prev = NULL;
	int n = 0;

	/* the records lag the kernel by up to one snapshot period: read
	 * every live flow once at the end so the totals, and the final
	 * values of the conditions, are exact
	 */
	while (!bpf_map_get_next_key(flows_map_fd, prev, &next)) {
		/* an ended flow was reported by its END record */
		if (!bpf_map_lookup_elem(flows_map_fd, &next, &val) && !val.ended) {
			struct fl_event e = {
				.kind = FL_EV_FLOW_SNAPSHOT,
				.ts_ns = val.last_ns,
				.key = next,
				.cgroup_id = val.cgroup_id,
				.packets = val.packets,
				.bytes = val.bytes,
				.drops = val.drops,
				.delayed = val.delayed,
			};
			struct fl_flow_delta d;

			if (!fl_flows_apply_delta(ev->flows, &e, &d)) {
				n++;
				if (ev->on_flow)
					ev->on_flow(ev->cb_ctx, &e, &d);
			}
		}
		key = next;
		prev = &key;
	}
	return n;
}

void fl_events_close(struct fl_events *ev)
{
	if (ev->rb)
		ring_buffer__free(ev->rb);
	if (ev->flows)
		fl_flows_free(ev->flows);
	ev->rb = NULL;
	ev->flows = NULL;
}
