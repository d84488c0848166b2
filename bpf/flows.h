/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-flow accounting in an LRU hash, reported through the ring buffer as
 * new / snapshot (at most every FL_SNAPSHOT_NS per flow, FL_SNAPSHOT_FAULT_NS
 * when a packet was dropped) / end records,
 * never one record per packet. A failed reservation is counted.
 *
 * An ended TCP flow keeps its entry, marked: the ACKs and retransmitted
 * FINs that trail a FIN are counted in it without a record (deleting it
 * made the last ACK start a phantom flow), and its departure order holds
 * for them. A SYN or SYN-ACK on the same tuple starts the flow over.
 */
#ifndef FL_FLOWS_H
#define FL_FLOWS_H

#include "maps.h"
#include "parse.h"

/* A record's time is the fine clock, read only when a record is made:
 * the flow table keeps the per-packet coarse clock, but a record's time is
 * a condition's trippedAt, and a tick of lag there (4 ms) would hide the
 * sub-millisecond trip-to-disarm time it is measured against.
 */
static __always_inline void fl_flow_emit(__u32 kind, __u32 reason, const struct fl_flow_key *k,
					 const struct fl_flow_val *v, struct fl_stats *st)
{
	struct fl_event *e;

	e = bpf_ringbuf_reserve(&fl_events, sizeof(*e), 0);
	if (!e) {
		st->ringbuf_fail++;
		return;
	}
	e->kind = kind;
	e->end_reason = reason;
	e->ts_ns = bpf_ktime_get_ns();
	e->key = *k;
	e->cgroup_id = v->cgroup_id;
	e->packets = v->packets;
	e->bytes = v->bytes;
	e->drops = v->drops;
	e->delayed = v->delayed;
	e->sig = 0;
	e->pad = 0;
	e->value = 0;
	bpf_ringbuf_submit(e, fl_rb_flow_flags(e->ts_ns));
}

/* Count the packet in its flow and return the flow's entry (NULL if the
 * table refused it). A FIN or RST is only noted in @end here: the caller
 * ends the flow with fl_flow_finish() after it has used the entry.
 */
static __always_inline struct fl_flow_val *
fl_flow_account(struct fl_flow_key *kp, const struct fl_target *t, const struct fl_pkt *p,
		__u32 dir, __u32 len, __u64 cgid, __u64 now, int dropped, struct fl_stats *st,
		__u32 *endp)
{
	struct fl_flow_key k = {};
	struct fl_flow_val *v;
	__u32 end = 0;
	__u64 last;

	if (dir == FL_DIR_EGRESS) {
		k.local = p->src;
		k.peer = p->dst;
		k.local_port = p->sport;
		k.peer_port = p->dport;
	} else {
		k.local = p->dst;
		k.peer = p->src;
		k.local_port = p->dport;
		k.peer_port = p->sport;
	}
	if (p->proto == IPPROTO_ICMP || p->proto == FL_PROTO_ICMPV6) {
		/* ICMP has no ports: keep the echo id local, type and code peer */
		k.local_port = p->sport;
		k.peer_port = p->dport;
	}
	k.proto = p->proto;
	k.dir = dir;
	k.family = p->family;
	k.target_id = t->target_id;
	if (p->proto == IPPROTO_TCP && p->l4_ok) {
		if (p->tcp_flags & TCP_RST)
			end = FL_END_RST;
		else if (p->tcp_flags & TCP_FIN)
			end = FL_END_FIN;
	}

	*kp = k;
	*endp = end;
	v = bpf_map_lookup_elem(&fl_flows, &k);
	if (v && v->ended) {
		/* a SYN (or, on a server's side, a SYN-ACK) opens a new
		 * connection; nothing of the ended one carries SYN any more
		 */
		if (!(p->proto == IPPROTO_TCP && p->l4_ok && (p->tcp_flags & TCP_SYN))) {
			*endp = 0;
			__sync_fetch_and_add(&v->packets, 1);
			__sync_fetch_and_add(&v->bytes, len);
			if (dropped)
				__sync_fetch_and_add(&v->drops, 1);
			v->last_ns = now;
			return v;
		}
		/* a new connection on the tuple: a new flow */
		bpf_map_delete_elem(&fl_flows, &k);
		v = NULL;
	}
	if (!v) {
		struct fl_flow_val nv = {
			.packets = 1,
			.bytes = len,
			.drops = dropped,
			.first_ns = now,
			.last_ns = now,
			.last_emit_ns = now,
			.cgroup_id = cgid,
		};

		if (!bpf_map_update_elem(&fl_flows, &k, &nv, BPF_NOEXIST)) {
			fl_flow_emit(FL_EV_FLOW_NEW, 0, &k, &nv, st);
			return bpf_map_lookup_elem(&fl_flows, &k);
		}
		/* another CPU inserted it first */
		v = bpf_map_lookup_elem(&fl_flows, &k);
		if (!v)
			return NULL;
	}
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, len);
	if (dropped)
		__sync_fetch_and_add(&v->drops, 1);
	v->last_ns = now;
	if (end)
		return v;
	last = v->last_emit_ns;
	/* the compare-and-swap lets one CPU win the snapshot slot */
	if (now - last >= (dropped ? FL_SNAPSHOT_FAULT_NS : FL_SNAPSHOT_NS) &&
	    __sync_val_compare_and_swap(&v->last_emit_ns, last, now) == last)
		fl_flow_emit(FL_EV_FLOW_SNAPSHOT, 0, &k, v, st);
	return v;
}

static __always_inline void fl_flow_finish(const struct fl_flow_key *k, struct fl_flow_val *v,
					   __u32 end, struct fl_stats *st)
{
	if (!end || !v)
		return;
	fl_flow_emit(FL_EV_FLOW_END, end, k, v, st);
	v->ended = 1;
}

/* A drop decided after the packet was counted in its flow (burst loss,
 * whose state is the flow's): counted now, and reported as soon as a drop
 * would have been.
 */
static __always_inline void fl_flow_late_drop(const struct fl_flow_key *k, struct fl_flow_val *v,
					      __u32 end, __u64 now, struct fl_stats *st)
{
	__u64 last;

	if (!v)
		return;
	__sync_fetch_and_add(&v->drops, 1);
	if (end || v->ended)
		return;
	last = v->last_emit_ns;
	if (now - last >= FL_SNAPSHOT_FAULT_NS &&
	    __sync_val_compare_and_swap(&v->last_emit_ns, last, now) == last)
		fl_flow_emit(FL_EV_FLOW_SNAPSHOT, 0, k, v, st);
}

/* One signal record for target @target_id; counted on failure. */
int fl_brk_signal(__u32 target_id, __u32 sig, __u64 value);

static __always_inline void fl_signal_emit(__u32 target_id, __u32 sig, __u64 value, __u32 dir)
{
	struct fl_event *e;

	/* breakers first: the record below may find the ring buffer full */
	if (fl_ctl.brk_mask & ~FL_BRK_PATH_MASK)
		fl_brk_signal(target_id, sig, value);

	e = bpf_ringbuf_reserve(&fl_events, sizeof(*e), 0);
	if (!e) {
		struct fl_stats *st = bpf_map_lookup_elem(&fl_stats, &dir);

		if (st)
			st->ringbuf_fail++;
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = FL_EV_SIGNAL;
	e->ts_ns = bpf_ktime_get_ns();
	e->key.target_id = target_id;
	e->key.dir = dir;
	e->sig = sig;
	e->value = value;
	bpf_ringbuf_submit(e, fl_rb_urgent_flags());
}

#endif /* FL_FLOWS_H */

