/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Evaluate a target's rules in order; the first rule that matches the
 * packet decides. Matching: direction, protocol, port (source or
 * destination) and peer prefix (one LPM lookup per packet at most).
 * A drop chance is drawn per packet, or per connection from a hash of its
 * tuple (no state, the same answer in both directions and for every
 * packet of it). Burst loss needs the flow's entry, looked up after the
 * rules, so its draw comes later (fl_loss_draw, from fl_decide); rules
 * without it never touch its state.
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
	FL_DUP = 4,	/* sent as it is, and a copy beside it (tc egress only) */
	FL_DNS_NXDOMAIN = 6,	/* a DNS query answered in its place (tc egress only) */
	FL_DNS_SERVFAIL = 7,
};

struct fl_decision {
	struct fl_rule *rule;	/* the rule that matched, or NULL */
	struct fl_rule_stats *rs;	/* its counters, or NULL */
	__u32 rule_id;
	int verdict;
	int loss;		/* 1: burst loss still to draw (fl_loss_draw) */
};

/* One step of a 64-bit multiply-xorshift mix. */
static __always_inline __u64 fl_mix(__u64 h, __u64 w)
{
	h ^= w;
	h *= 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

/* A connection's place in [0, 2^32): its tuple seen from the target (local
 * then peer, so both directions agree) mixed with the rule's seed, so that
 * each run chooses other connections. ICMP keeps its echo id.
 */
static __always_inline __u64 fl_conn_hash(const struct fl_rule *r, const struct fl_pkt *p,
					  __u32 dir)
{
	const struct fl_addr *l = dir == FL_DIR_EGRESS ? &p->src : &p->dst;
	const struct fl_addr *q = dir == FL_DIR_EGRESS ? &p->dst : &p->src;
	__u64 h = r->conn_seed, ports = 0;
	int i;

	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)
		ports = dir == FL_DIR_EGRESS ? (__u64)p->sport << 16 | p->dport :
					       (__u64)p->dport << 16 | p->sport;
	else if (p->proto == IPPROTO_ICMP || p->proto == FL_PROTO_ICMPV6)
		ports = (__u64)p->sport << 16;
	for (i = 0; i < 4; i++)
		h = fl_mix(h, (__u64)l->u32[i] << 32 | q->u32[i]);
	h = fl_mix(h, ports << 8 | p->proto);
	/* a final avalanche, so that the top bits depend on every input bit */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h >> 32;
}

static __always_inline int fl_drop_draw(const struct fl_rule *r, const struct fl_pkt *p, __u32 dir)
{
	if (!r->drop_prob)
		return 0;
	if (r->drop_prob >= FL_PROB_ONE)
		return 1;
	if (r->scope == FL_SCOPE_CONNECTIONS)
		return fl_conn_hash(r, p, dir) < r->drop_prob;
	return (__u64)bpf_get_prandom_u32() < r->drop_prob;
}

/* p < 1 by a draw; 0 and 1 without one */
static __always_inline int fl_chance(__u64 prob)
{
	return prob >= FL_PROB_ONE || (prob && (__u64)bpf_get_prandom_u32() < prob);
}

/* One packet through a Gilbert-Elliott chain: lost or not by the state it
 * finds, then the state moves (netem's gemodel does the same). The state
 * is the flow's, or the rule's when asked or when the flow table refused
 * the flow. CPUs that share a rule's state may race on it; the chain
 * then skips a step, which changes no expectation.
 */
static __always_inline int fl_loss_draw(const struct fl_rule *r, __u32 rid,
					struct fl_flow_val *flow)
{
	struct fl_rule_state *rst;
	__u32 *state, bad;
	int lost;

	if (r->loss_per == FL_LOSS_PER_FLOW && flow) {
		state = &flow->loss_bad;
	} else {
		rst = bpf_map_lookup_elem(&fl_rule_state, &rid);
		if (!rst)
			return 0;
		state = &rst->loss_bad;
	}
	bad = *state;
	lost = fl_chance(bad ? r->ge_loss_bad : r->ge_loss_good);
	if (fl_chance(bad ? r->ge_r : r->ge_p))
		*state = !bad;
	return lost;
}

/* What the matched rule does to a packet that is (or is not) lost. */
static __always_inline void fl_rule_act(struct fl_decision *d, int drop)
{
	const struct fl_rule *r = d->rule;
	struct fl_rule_stats *rs = d->rs;

	if (drop) {
		if (rs)
			rs->dropped++;
		d->verdict = FL_DROP;
	} else if (r->dns_rcode) {
		d->verdict = r->dns_rcode == FL_DNS_RCODE_NXDOMAIN ? FL_DNS_NXDOMAIN :
								    FL_DNS_SERVFAIL;
	} else if (r->delay_ns || r->jitter_ns) {
		if (rs)
			rs->delayed++;
		d->verdict = FL_DELAY;
	} else if (r->rate_unit != FL_RATE_NONE && r->rate) {
		if (rs)
			rs->delayed++;
		d->verdict = FL_PACE;
	} else if (fl_chance(r->dup_prob)) {
		if (rs)
			rs->duplicated++;
		d->verdict = FL_DUP;
	}
}

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
		/* a DNS fault matches the queries for its names only */
		if ((t->dns_rules & (1u << i)) && !(p->dns_mask & (1u << i)))
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
			if (t->dns_rules & (1u << i))
				rs->dns++;
		}
		d->rule = r;
		d->rule_id = rid;
		d->rs = rs;
		if (r->loss)
			d->loss = 1;
		else
			fl_rule_act(d, fl_drop_draw(r, p, dir));
		return;
	}
}

#endif /* FL_RULES_H */
