/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Evaluate a target's rules in order; the first rule that matches the
 * packet decides. Matching: direction, protocol, port (source or
 * destination) and peer prefix (one LPM lookup per packet at most).
 */
#ifndef FL_RULES_H
#define FL_RULES_H

#include "maps.h"
#include "parse.h"

enum fl_verdict {
	FL_PASS = 0,
	FL_DROP = 1,
	FL_DELAY = 2,	/* a departure time on a socketless copy (delay, maybe rate) */
	FL_PACE = 3,	/* a departure time on the packet itself (rate alone) */
};

struct fl_decision {
	struct fl_rule *rule;	/* the rule that matched, or NULL */
	__u32 rule_id;
	int verdict;
};

static __always_inline int fl_proto_match(const struct fl_rule *r, const struct fl_pkt *p)
{
	if (r->proto == FL_PROTO_ANY || r->proto == p->proto)
		return 1;
	return r->proto == FL_PROTO_ICMP && p->proto == FL_PROTO_ICMPV6;
}

static __always_inline int fl_port_match(const struct fl_rule *r, const struct fl_pkt *p)
{
	__u32 n = r->n_ports;
	int i;

	if (!n)
		return 1;
	if (!p->l4_ok || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return 0;
	for (i = 0; i < FL_PORTS_PER_RULE; i++) {
		if (i >= n)
			break;
		if (r->ports[i] == p->sport || r->ports[i] == p->dport)
			return 1;
	}
	return 0;
}

static __always_inline __u32 fl_peer_mask(const struct fl_target *t, const struct fl_pkt *p,
					  __u32 dir)
{
	struct fl_peer_key k = {
		.prefixlen = 32 + 128,
		.target_id = bpf_htonl(t->target_id),
	};
	struct fl_peer_val *v;

	__builtin_memcpy(k.addr, dir == FL_DIR_EGRESS ? p->dst.u8 : p->src.u8, 16);
	v = bpf_map_lookup_elem(&fl_peers, &k);
	return v ? v->rule_mask : 0;
}

/* The first matching rule decides; counts per rule and direction. */
static __always_inline void fl_rules_eval(const struct fl_target *t, const struct fl_pkt *p,
					  __u32 dir, __u32 len, struct fl_decision *d)
{
	__u32 n = t->n_rules;
	__u32 peer_mask = 0;
	int peers_done = 0;
	int i;

	for (i = 0; i < FL_RULES_PER_TARGET; i++) {
		struct fl_rule_stats *rs;
		struct fl_rule *r;
		__u32 rid, sidx;

		if (i >= n)
			break;
		rid = t->rule_ids[i];
		r = bpf_map_lookup_elem(&fl_rules, &rid);
		if (!r)
			continue;
		sidx = rid * FL_DIR_MAX + dir;
		rs = bpf_map_lookup_elem(&fl_rule_stats, &sidx);
		if (rs)
			rs->seen++;
		if (!(r->dir_mask & (1u << dir)) || !fl_proto_match(r, p) || !fl_port_match(r, p))
			continue;
		if (t->peer_rules & (1u << i)) {
			if (!peers_done) {
				peer_mask = fl_peer_mask(t, p, dir);
				peers_done = 1;
			}
			if (!(peer_mask & (1u << i)))
				continue;
		}
		if (rs) {
			rs->matched++;
			rs->bytes += len;
		}
		d->rule = r;
		d->rule_id = rid;
		if (r->drop_prob &&
		    (r->drop_prob >= FL_PROB_ONE || (__u64)bpf_get_prandom_u32() < r->drop_prob)) {
			if (rs)
				rs->dropped++;
			d->verdict = FL_DROP;
		} else if (r->delay_ns || r->jitter_ns) {
			if (rs)
				rs->delayed++;
			d->verdict = FL_DELAY;
		} else if (r->rate_unit != FL_RATE_NONE && r->rate) {
			if (rs)
				rs->delayed++;
			d->verdict = FL_PACE;
		}
		return;
	}
}

#endif /* FL_RULES_H */
