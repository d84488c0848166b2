/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Earliest departure times for delay and rate. fq holds each packet until
 * skb->tstamp. A delayed packet leaves as a clone, which carries no socket:
 * fq holding the sender's own skb would keep it charged to the socket and
 * TCP Small Queues would stall the flow (FACTS.md: 1.5 Mbit/s instead of
 * about 800 under 30 ms). A rate limit alone paces the packet itself, so
 * that the sender feels the bottleneck, as it would on a real link.
 */
#ifndef FL_EDT_H
#define FL_EDT_H

#include "maps.h"
#include "rules.h"

#define FL_NSEC	1000000000ULL

/* The delay for one packet, from the rule's distribution. */
static __always_inline __u64 fl_edt_delay(const struct fl_rule *r, struct fl_rule_state *rs)
{
	__u32 rnd = bpf_get_prandom_u32();
	__u64 mag, delay = r->delay_ns;
	__u32 idx;
	__s32 *v;

	if (!r->jitter_ns)
		return delay;
	if (r->correlation && rs) {
		__u64 c = r->correlation;

		rnd = ((__u64)rs->last_rand * c + (__u64)rnd * (100 - c)) / 100;
		rs->last_rand = rnd;
	}
	if (r->dist == FL_DIST_UNIFORM) {
		/* 20 random bits keep the product inside 64 bits for any jitter */
		mag = ((__u64)(rnd >> 12) * (2 * r->jitter_ns)) >> 20;
		if (mag >= r->jitter_ns)
			return delay + (mag - r->jitter_ns);
		mag = r->jitter_ns - mag;
		return delay > mag ? delay - mag : 0;
	}
	idx = r->dist * FL_DIST_SIZE + (rnd >> 20);
	v = bpf_map_lookup_elem(&fl_dist, &idx);
	if (!v)
		return delay;
	/* no signed division before cpu v4: work on the magnitude */
	if (*v >= 0)
		return delay + r->jitter_ns * (__u64)*v / FL_DIST_SCALE;
	mag = r->jitter_ns * (__u64)(-(__s64)*v) / FL_DIST_SCALE;
	return delay > mag ? delay - mag : 0;
}

/* The next pacing slot of a shared clock, claimed with compare-and-swap so
 * two CPUs cannot take the same slot; 0 when the queue in front of it is
 * already FL_RATE_QUEUE_NS long. The full queue drops the packet like a
 * bottleneck's tail drop, and leaves the clock alone: a slot handed to a
 * packet that is then dropped would push every later packet further out.
 */
static __always_inline __u64 fl_edt_rate_slot(__u64 *next, __u64 now, __u64 cost)
{
	__u64 old, t = now;
	int i;

	for (i = 0; i < 4; i++) {
		old = *next;
		t = old > now ? old : now;
		if (t - now > FL_RATE_QUEUE_NS)
			return 0;
		if (__sync_val_compare_and_swap(next, old, t + cost) == old)
			break;
	}
	return t;
}

/* Departure time for a packet of a rule with delay and/or rate; 0 when it
 * would be held past the horizon, FL_EDT_QUEUE_FULL when the rate limit's
 * queue is full (the caller drops and counts either).
 */
#define FL_EDT_QUEUE_FULL	1
static __always_inline __u64 fl_edt_departure(const struct fl_decision *d, __u32 len,
					      struct fl_flow_val *flow, __u64 now)
{
	const struct fl_rule *r = d->rule;
	struct fl_rule_state *rs;
	__u32 rid = d->rule_id;
	__u64 t = now;

	rs = bpf_map_lookup_elem(&fl_rule_state, &rid);
	if (r->rate_unit != FL_RATE_NONE && r->rate) {
		__u64 cost = r->rate_unit == FL_RATE_BPS ? (__u64)len * 8 * FL_NSEC / r->rate :
							   FL_NSEC / r->rate;

		if (r->rate_per == FL_RATE_PER_FLOW && flow)
			t = fl_edt_rate_slot(&flow->rate_next_ns, now, cost);
		else if (rs)
			t = fl_edt_rate_slot(&rs->rate_next_ns, now, cost);
		if (!t)
			return FL_EDT_QUEUE_FULL;
	}
	t += fl_edt_delay(r, rs);
	/* in order by default: jitter shows as delay variation, not overtaking */
	if (flow && !r->reorder) {
		if (t < flow->edt_last_ns)
			t = flow->edt_last_ns;
		flow->edt_last_ns = t;
	}
	if (t - now > FL_HORIZON_NS)
		return 0;
	return t;
}

/* Is this the clone of a delayed packet, back for its second visit? Then
 * give it its departure time and its mark back, and let it pass to fq.
 */
static __always_inline int fl_edt_second_visit(struct __sk_buff *skb)
{
	struct fl_edt_pending *pend;
	__u32 k = 0;

	if (skb->mark != FL_EDT_MARK)
		return 0;
	pend = bpf_map_lookup_elem(&fl_scratch, &k);
	if (!pend) {
		skb->mark = 0;
		return 1;
	}
	skb->mark = pend->mark;
	skb->tstamp = pend->tstamp;
	return 1;
}

/* Send a socketless copy departing at @tstamp; the caller then drops the
 * original silently. Returns 0 or the helper's error.
 */
static __always_inline int fl_edt_send_clone(struct __sk_buff *skb, __u64 tstamp)
{
	struct fl_edt_pending *pend;
	__u32 k = 0, mark = skb->mark;
	int ret;

	pend = bpf_map_lookup_elem(&fl_scratch, &k);
	if (!pend)
		return -1;
	pend->mark = mark;
	pend->tstamp = tstamp;
	skb->mark = FL_EDT_MARK;
	ret = bpf_clone_redirect(skb, skb->ifindex, 0);
	skb->mark = mark;
	return ret;
}

#endif /* FL_EDT_H */
