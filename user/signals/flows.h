/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Aggregation of the flow records that the BPF side sends through the
 * ring buffer. See flows.c for how out-of-order records and re-used keys
 * are reconciled.
 */
#ifndef FL_FLOWS_H
#define FL_FLOWS_H

#include <stddef.h>

#include "faultline.h"

struct fl_flow_entry {
	struct fl_flow_key key;
	__u64 cgroup_id;
	__u64 packets, bytes, drops;	/* all incarnations of the key */
	__u64 delayed;
	__u64 first_ns, last_ns;	/* earliest and latest record seen */
	int ended;			/* current incarnation has ended */
	__u32 end_reason;		/* FL_END_*, valid when ended */
};

struct fl_flow_table;

/* NULL when out of memory. capacity_hint may be 0. */
struct fl_flow_table *fl_flows_new(size_t capacity_hint);
void fl_flows_free(struct fl_flow_table *t);

/* 0; -EINVAL for an unknown kind; -ENOMEM, leaving the table unchanged.
 * The key is compared bytewise, padding included: senders zero it.
 */
int fl_flows_apply(struct fl_flow_table *t, const struct fl_event *ev);

/* How much a record raised a flow's totals. */
struct fl_flow_delta {
	__u64 packets, bytes, drops, delayed;
};

/* fl_flows_apply, also telling how much the flow's totals rose. */
int fl_flows_apply_delta(struct fl_flow_table *t, const struct fl_event *ev,
			 struct fl_flow_delta *d);

size_t fl_flows_count(const struct fl_flow_table *t);

/* The n flows with most drops, then most packets, best first.
 * Returns how many were written.
 */
size_t fl_flows_top(const struct fl_flow_table *t, struct fl_flow_entry *out,
		    size_t n);

/* Sums over flows whose key.dir is dir (enum fl_dir), or all when dir < 0.
 * Any output pointer may be NULL.
 */
void fl_flows_totals(const struct fl_flow_table *t, int dir, __u64 *packets,
		     __u64 *bytes, __u64 *drops);

/* Marks flows not yet ended whose last_ns is older than now_ns - idle_ns
 * as ended with FL_END_IDLE. Returns how many were marked.
 */
size_t fl_flows_expire_idle(struct fl_flow_table *t, __u64 now_ns,
			    __u64 idle_ns);

#endif /* FL_FLOWS_H */
