/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Evaluate a target's rules in order; the first rule that matches the
 * packet decides. Matching: direction, protocol, port (source or
 * destination) and peer prefix (one LPM lookup per packet at most).
 * Each fault's chance is drawn per packet, or per connection from a hash
 * of its tuple (no state, the same answer in both directions and for every
 * packet of it): fl_fault_draw, the one draw every fault makes. Burst
 * loss needs the flow's entry, looked up after the rules, so its draw
 * comes later (fl_loss_draw, from fl_decide); rules without it never
 * touch its state.
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
	FL_DUP = 4,	/* sent as it is, and a copy beside it (tc hooks only) */
	FL_REJECT_RST = 5,	/* answered with a TCP RST instead (bpf/reject.h) */
	FL_REJECT_ICMP = 6,	/* answered with ICMP port unreachable instead */
	/* from FL_REJECT_RST to FL_DNS_SERVFAIL, the packet is answered and
	 * goes no further (fl_verdict_answered)
	 */
	FL_DNS_NXDOMAIN = 7,	/* a DNS query answered in its place (tc egress only) */
	FL_DNS_SERVFAIL = 8,
	FL_CORRUPT = 9,	/* one payload bit flipped, then sent on (tc egress only; corrupt.h) */
};

/* Was the packet answered in its place (reject, DNS)? A corrupted one is
 * sent on, and is not.
 */
static __always_inline int fl_verdict_answered(int verdict)
{
	return verdict >= FL_REJECT_RST && verdict <= FL_DNS_SERVFAIL;
}

struct fl_decision {
	struct fl_rule *rule;	/* the rule that matched, or NULL */
	struct fl_rule_stats *rs;	/* its counters, or NULL */
	__u32 rule_id;
	int verdict;
	int loss;		/* 1: burst loss still to draw (fl_loss_draw) */
	/* the packet's IP bytes: corrupt is drawn in fl_rule_act, where it
	 * decides; a draw held from fl_rules_eval took fl_decide's frame past
	 * 6.1's 512-byte stack for the call chain
	 */
	__u32 len;
};

/* One step of a 64-bit multiply-xorshift mix. */
static __always_inline __u64 fl_mix(__u64 h, __u64 w)
{
	h ^= w;
	h *= 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

/* A connection's place in [0, 2^32): its tuple seen from the target (local
 * then peer, so both directions agree) mixed with @seed, the rule's (new
 * each run, so that each run chooses other connections). ICMP keeps its
 * echo id. Global, so the verifier walks it once per program: inlined at
 * each fault's draw, it was a third of every packet program's walk.
 */
__noinline __u64 fl_conn_hash(const struct fl_pkt *p, __u32 dir, __u32 seed)
{
	const struct fl_addr *l, *q;
	__u64 h = seed, ports = 0;
	int i;

	if (!p)		/* a global function's pointer may be NULL */
		return 0;
	l = dir == FL_DIR_EGRESS ? &p->src : &p->dst;
	q = dir == FL_DIR_EGRESS ? &p->dst : &p->src;

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

/* p < 1 by a draw; 0 and 1 without one */
static __always_inline int fl_chance(__u64 prob)
{
	return prob >= FL_PROB_ONE || (prob && (__u64)bpf_get_prandom_u32() < prob);
}

/* What a draw is for: with scope connections each kind hashes the tuple
 * under its own seed, so that a fault with drop 20 % and duplicate 20 %
 * duplicates other connections than those it drops (one hash for all
 * would duplicate exactly the dropped ones, i.e. none). Drop's seed is
 * the rule's own.
 */
enum fl_fault_kind {
	FL_FK_DROP = 0,
	FL_FK_EDT = 1,		/* delay and rate: one draw for both */
	FL_FK_DUP = 2,
	FL_FK_REJECT = 3,
	FL_FK_CORRUPT = 4,
};

/* Does the fault of @kind, with chance @prob (0 .. FL_PROB_ONE), apply to
 * this packet? Per packet a fresh draw; with scope connections the
 * connection's place under the kind's seed, the same for each of its
 * packets both ways. 0 and FL_PROB_ONE never hash nor draw.
 */
static __always_inline int fl_fault_draw(const struct fl_rule *r, __u64 prob,
					 const struct fl_pkt *p, __u32 dir, __u32 kind)
{
	if (!prob)
		return 0;
	if (prob >= FL_PROB_ONE)
		return 1;
	if (r->scope == FL_SCOPE_CONNECTIONS)
		return fl_conn_hash(p, dir, r->conn_seed ^ kind * 0x9E3779B9u) < prob;
	return (__u64)bpf_get_prandom_u32() < prob;
}

/* Corrupt this packet? Only a TCP or UDP packet with payload has a bit to
 * flip; any other passes as it is, uncounted. With scope connections the
 * tuple's hash under corrupt's seed chooses: the chosen connections have
 * every payload packet corrupted.
 */
static __always_inline int fl_corrupt_draw(const struct fl_rule *r, const struct fl_pkt *p,
					   __u32 dir, __u32 ip_len)
{
	if (!r->corrupt_prob || !p->l4_ok || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
		return 0;
	if (ip_len + p->l3_off <= p->payload_off)
		return 0;
	return fl_fault_draw(r, r->corrupt_prob, p, dir, FL_FK_CORRUPT);
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

/* What the matched rule does to a packet that is (or is not) lost. Delay
 * and rate apply to the share of packets (or connections) that edt_skip
 * leaves them; a packet they pass by goes on to the next fault.
 */
static __always_inline void fl_rule_act(struct fl_decision *d, int drop,
					const struct fl_pkt *p, __u32 dir)
{
	const struct fl_rule *r = d->rule;
	struct fl_rule_stats *rs = d->rs;
	int delay = r->delay_ns || r->jitter_ns;
	int rate = r->rate_unit != FL_RATE_NONE && r->rate;

	if (drop) {
		if (rs)
			rs->dropped++;
		d->verdict = FL_DROP;
		return;
	}
	if (r->dns_rcode) {
		d->verdict = r->dns_rcode == FL_DNS_RCODE_NXDOMAIN ? FL_DNS_NXDOMAIN :
								    FL_DNS_SERVFAIL;
		return;
	}
	if ((delay || rate) && r->edt_skip &&
	    !fl_fault_draw(r, FL_PROB_ONE - r->edt_skip, p, dir, FL_FK_EDT))
		delay = rate = 0;
	if (delay) {
		if (rs)
			rs->delayed++;
		d->verdict = FL_DELAY;
	} else if (rate) {
		if (rs)
			rs->delayed++;
		d->verdict = FL_PACE;
	} else if (fl_fault_draw(r, r->dup_prob, p, dir, FL_FK_DUP)) {
		if (rs)
			rs->duplicated++;
		d->verdict = FL_DUP;
	} else if (fl_corrupt_draw(r, p, dir, d->len)) {
		if (rs)
			rs->corrupted++;
		d->verdict = FL_CORRUPT;
	}
}

/* Which answer a reject rule's packet gets, or FL_DROP for a packet that must
 * not be answered: a RST (RFC 9293), an ICMP error (RFC 1122 3.2.2, RFC 4443
 * 2.4) or any ICMP but a request (no refusing peer answers neighbour
 * discovery with an error), a non-first fragment (nothing to match).
 */
static __always_inline int fl_reject_answer(const struct fl_rule *r, const struct fl_pkt *p)
{
	if (!p->l4_ok)
		return FL_DROP;
	if (p->proto == IPPROTO_TCP && r->reject_with != FL_REJECT_WITH_ICMP)
		return p->tcp_flags & TCP_RST ? FL_DROP : FL_REJECT_RST;
	if (p->proto == IPPROTO_ICMP && (p->dport >> 8) != 8 && (p->dport >> 8) != 13)
		return FL_DROP;	/* only echo and timestamp requests are answered */
	if (p->proto == FL_PROTO_ICMPV6 && (p->dport >> 8) != 128)
		return FL_DROP;	/* errors, and neighbour discovery: only echo requests */
	return FL_REJECT_ICMP;
}

/* A reject rule answers a chosen packet, or drops one that must not be
 * answered; the validator keeps every other action out of it.
 */
static __always_inline void fl_reject_act(struct fl_decision *d, const struct fl_pkt *p, int hit)
{
	struct fl_rule_stats *rs = d->rs;

	if (!hit)
		return;
	d->verdict = fl_reject_answer(d->rule, p);
	if (rs) {
		if (d->verdict == FL_DROP)
			rs->dropped++;
		else
			rs->rejected++;
	}
}

static __always_inline int fl_proto_match(const struct fl_rule *r, const struct fl_pkt *p)
{
	if (r->proto == FL_PROTO_ANY || r->proto == p->proto)
		return 1;
	return r->proto == FL_PROTO_ICMP && p->proto == FL_PROTO_ICMPV6;
}

/* Global, so the verifier walks its loop once per program, not once for
 * each of the eight rules. Called only for a rule with ports: a rule
 * without passes on without the call.
 */
__noinline int fl_port_match(const struct fl_rule *r, const struct fl_pkt *p)
{
	__u32 n;
	int i;

	if (!r || !p)	/* a global function's pointers may be NULL */
		return 0;
	n = r->n_ports;
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
	struct fl_rule *r;
	int i;

	for (i = 0; i < FL_RULES_PER_TARGET; i++) {
		struct fl_rule_stats *rs;
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
		if (!(r->dir_mask & (1u << dir)) || !fl_proto_match(r, p) ||
		    (r->n_ports && !fl_port_match(r, p)))
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
		d->len = len;
		break;
	}
	/* The action once, after the loop: inside it, the verifier walked
	 * every fault's code once for each of the eight rules.
	 */
	r = d->rule;
	if (!r)
		return;
	if (r->loss)
		d->loss = 1;
	else if (r->reject_prob)
		fl_reject_act(d, p, fl_fault_draw(r, r->reject_prob, p, dir, FL_FK_REJECT));
	else
		fl_rule_act(d, fl_fault_draw(r, r->drop_prob, p, dir, FL_FK_DROP), p, dir);
}

#endif /* FL_RULES_H */
