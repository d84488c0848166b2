// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The datapath's decisions on crafted frames, through BPF_PROG_TEST_RUN:
 * parsing (VLAN, IPv4 options, IPv6 extension headers, fragments,
 * truncation at every length), rule matching (protocol, ports, peer
 * prefixes, direction, order), target selection (cgroup levels, owned
 * addresses), arming and the deadline, and the counters each of these
 * moves. Every check compares exact values.
 */
#include <netinet/in.h>

#include "fixture.h"
#include "pkt.h"
#include "tap_start.h"

#define ALL_PROGS	((1u << FL_PROG_MAX) - 1)
#define RID		0	/* the rule most cases install */
#define TID		1	/* its target id */
#define SPORT		40000
#define DPORT		5201
#define ICMP_ID		0x4242
#define NONTARGET_RUNS	100000

#define IP4(s, d, ...) { .family = 4, .src = s, .dst = d, __VA_ARGS__ }
#define IP6(s, d, ...) { .family = 6, .src = s, .dst = d, __VA_ARGS__ }
#define V4(...) IP4("198.18.0.1", "198.18.0.2", __VA_ARGS__)
#define V6(...) IP6("2001:db8::1", "2001:db8::2", __VA_ARGS__)
#define TCP	.proto = IPPROTO_TCP, .sport = SPORT, .dport = DPORT, .tcp_flags = PKT_TCP_ACK
#define UDP	.proto = IPPROTO_UDP, .sport = SPORT, .dport = DPORT
#define ICMP4	.proto = IPPROTO_ICMP, .icmp_type = 8, .sport = ICMP_ID
#define ICMP6	.proto = IPPROTO_ICMPV6, .icmp_type = 128, .sport = ICMP_ID

struct variant {
	const char *name;
	struct pkt_spec s;
};

/* The frames every parsing case runs over. */
static const struct variant variants[] = {
	{ "ipv4/tcp", V4(TCP, .payload = 32) },
	{ "ipv4/udp", V4(UDP, .payload = 32) },
	{ "ipv4/icmp", V4(ICMP4, .payload = 16) },
	{ "ipv6/tcp", V6(TCP, .payload = 32) },
	{ "ipv6/udp", V6(UDP, .payload = 32) },
	{ "ipv6/icmpv6", V6(ICMP6, .payload = 16) },
	{ "vlan/ipv4/udp", V4(UDP, .vlans = 1, .payload = 8) },
	{ "qinq/ipv4/tcp", V4(TCP, .vlans = 2, .payload = 8) },
	{ "vlan/ipv6/tcp", V6(TCP, .vlans = 1, .payload = 8) },
	{ "qinq/ipv6/icmpv6", V6(ICMP6, .vlans = 2, .payload = 8) },
	{ "ipv4+opts(ihl=6)/udp", V4(UDP, .ip_opt_words = 1, .payload = 8) },
	{ "ipv4+opts(ihl=15)/tcp", V4(TCP, .ip_opt_words = 10, .payload = 8) },
	{ "ipv4 first fragment/udp", V4(UDP, .more_frags = 1, .payload = 64) },
	{ "ipv6+hop-by-hop/udp", V6(UDP, .ext = { 0 }, .n_ext = 1, .payload = 8) },
	{ "ipv6+dstopts/tcp", V6(TCP, .ext = { 60 }, .n_ext = 1, .payload = 8) },
	{ "ipv6+hbh+routing+dstopts/udp", V6(UDP, .ext = { 0, 43, 60 }, .n_ext = 3, .payload = 8) },
	{ "ipv6+hbh+fragment(first)/tcp",
	  V6(TCP, .ext = { 0, 44 }, .n_ext = 2, .more_frags = 1, .payload = 8) },
	{ "vlan/ipv6+dstopts/icmpv6", V6(ICMP6, .vlans = 1, .ext = { 60 }, .n_ext = 1) },
};

#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

static const enum fl_prog all_progs[] = { FL_PROG_XDP_IN, FL_PROG_TC_IN, FL_PROG_TCX_PIN,
					  FL_PROG_CLS_PIN, FL_PROG_TCX_EG, FL_PROG_CLS_EG,
					  FL_PROG_CG_IN };
#define N_PROGS (sizeof(all_progs) / sizeof(all_progs[0]))

/* The entry points that find the target by the destination address. */
static const enum fl_prog owner_progs[] = { FL_PROG_XDP_IN, FL_PROG_TC_IN, FL_PROG_TCX_PIN,
					    FL_PROG_CLS_PIN };
#define N_OWNER_PROGS (sizeof(owner_progs) / sizeof(owner_progs[0]))

static struct fx F;

struct expect {
	__u64 seen, matched, dropped, bytes;		/* rule RID, this direction */
	__u64 target_packets, target_bytes;		/* fl_stats, this direction */
	__u64 parse_skipped, drop_fault, passed_disarmed;
};

static int is_icmp(__u8 proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static struct fl_rule rule(__u32 dirm, __u8 proto, __u16 port, __u64 prob)
{
	struct fl_rule r = { .dir_mask = dirm, .proto = proto, .drop_prob = prob };

	if (port) {
		r.n_ports = 1;
		r.ports[0] = port;
	}
	return r;
}

static void build(struct pkt *p, const struct pkt_spec *s)
{
	if (pkt_build(p, s))
		tap_fail("pkt_build failed for this spec");
}

/* Our own cgroup (and, for the ingress hooks, the frames' destination
 * address) is target TID with the single rule RID.
 */
static void setup(const struct fl_rule *r)
{
	struct fl_addr a4, a6;
	__u32 rid = RID;

	fx_reset(&F);
	fx_rule(&F, RID, r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	pkt_addr("198.18.0.2", &a4);
	pkt_addr("2001:db8::2", &a6);
	fx_owned(&F, &a4, TID, &rid, 1, 0);
	fx_owned(&F, &a6, TID, &rid, 1, 0);
}

static void expect_verdict(enum fl_prog prog, const void *data, __u32 len, int drop)
{
	__u32 ret = 0xdeadbeef;
	int rc;

	rc = fx_run(&F, prog, data, len, 1, &ret, NULL);
	TAP_EQ(rc, 0);
	if (drop)
		TAP_EQ(ret, fx_code[prog].drop);
	else
		TAP_EQ(ret, fx_code[prog].pass);
}

/* Counters of rule @rid and fl_stats in @dir; the other direction zero. */
static void expect_counters(__u32 rid, __u32 dir, const struct expect *e)
{
	struct fl_rule_stats t[FL_DIR_MAX];
	struct fl_stats st[FL_DIR_MAX];
	__u32 o = !dir;
	int i;

	fx_rule_stats(&F, rid, t);
	fx_stats(&F, st);
	TAP_EQ(t[dir].seen, e->seen);
	TAP_EQ(t[dir].matched, e->matched);
	TAP_EQ(t[dir].dropped, e->dropped);
	if (e->bytes != (__u64)-1)
		TAP_EQ(t[dir].bytes, e->bytes);
	TAP_EQ(st[dir].target_packets, e->target_packets);
	if (e->target_bytes != (__u64)-1)
		TAP_EQ(st[dir].target_bytes, e->target_bytes);
	TAP_EQ(st[dir].parse_skipped, e->parse_skipped);
	TAP_EQ(st[dir].drop_reason[FL_DROP_FAULT], e->drop_fault);
	TAP_EQ(st[dir].passed_disarmed, e->passed_disarmed);
	TAP_EQ(st[dir].ringbuf_fail, 0);
	for (i = 1; i < FL_DROP_REASON_MAX; i++)
		TAP_EQ(st[dir].drop_reason[i], 0);
	TAP_EQ(t[o].seen + t[o].matched + t[o].dropped + t[o].bytes, 0);
	TAP_EQ(st[o].target_packets + st[o].parse_skipped + st[o].passed_disarmed +
		       st[o].drop_reason[FL_DROP_FAULT], 0);
}

/* A target packet that the first rule evaluates once. */
static struct expect one(int matched, int dropped, __u32 len)
{
	struct expect e = {
		.seen = 1, .matched = matched, .dropped = dropped,
		.bytes = matched ? len : 0,
		.target_packets = 1, .target_bytes = len, .drop_fault = dropped,
	};

	return e;
}

static const struct expect none = { 0 };

/* Rule RID saw one target packet of @len bytes in @dir. */
static void expect_one(__u32 dir, int matched, int dropped, __u32 len)
{
	struct expect e = one(matched, dropped, len);

	expect_counters(RID, dir, &e);
}

/* ---- protocols and encapsulations through both egress programs ---- */

static void test_egress_matrix(void)
{
	static const enum fl_prog progs[] = { FL_PROG_CLS_EG, FL_PROG_TCX_EG };
	size_t i, j;

	for (j = 0; j < 2; j++) {
		enum fl_prog prog = progs[j];

		for (i = 0; i < N_VARIANTS; i++) {
			const struct variant *v = &variants[i];
			__u8 proto = v->s.proto;
			struct fl_rule r;
			struct pkt p;

			/* a rule on the protocol and the destination port drops */
			tap_begin("%s %s: rule on %s drops, counted once", fx_code[prog].name,
				  v->name, is_icmp(proto) ? "icmp" : "dport");
			build(&p, &v->s);
			r = rule(FL_DIRM_EGRESS, is_icmp(proto) ? FL_PROTO_ICMP : proto,
				 is_icmp(proto) ? 0 : DPORT, FL_PROB_ONE);
			setup(&r);
			expect_verdict(prog, p.data, p.len, 1);
			expect_one(FL_DIR_EGRESS, 1, 1, p.len - p.l3_off);
			tap_end();

			/* the source port matches too; ICMP has no ports to match */
			tap_begin("%s %s: rule on %s", fx_code[prog].name, v->name,
				  is_icmp(proto) ? "icmp with a port (= echo id) passes" :
						   "sport drops");
			r = rule(FL_DIRM_EGRESS, is_icmp(proto) ? FL_PROTO_ICMP : proto,
				 is_icmp(proto) ? ICMP_ID : SPORT, FL_PROB_ONE);
			setup(&r);
			expect_verdict(prog, p.data, p.len, !is_icmp(proto));
			expect_one(FL_DIR_EGRESS, !is_icmp(proto), !is_icmp(proto), p.len - p.l3_off);
			tap_end();

			/* another port, or another protocol, passes and is seen */
			tap_begin("%s %s: rule on %s passes", fx_code[prog].name, v->name,
				  is_icmp(proto) ? "tcp" : "another port");
			r = rule(FL_DIRM_EGRESS, is_icmp(proto) ? FL_PROTO_TCP : proto,
				 is_icmp(proto) ? 0 : DPORT + 1, FL_PROB_ONE);
			setup(&r);
			expect_verdict(prog, p.data, p.len, 0);
			expect_one(FL_DIR_EGRESS, 0, 0, p.len - p.l3_off);
			tap_end();
		}
	}
}

/* ---- rule matching --------------------------------------------------- */

struct match_case {
	const char *name;
	struct pkt_spec s;
	struct fl_rule r;
	int drop;
	int matched;
};

static void test_matching(void)
{
	static const struct match_case cases[] = {
		{ "icmp rule matches icmpv6", V6(ICMP6), { .dir_mask = 3, .proto = FL_PROTO_ICMP,
							    .drop_prob = FL_PROB_ONE }, 1, 1 },
		{ "icmpv6 rule does not match icmp", V4(ICMP4),
		  { .dir_mask = 3, .proto = FL_PROTO_ICMPV6, .drop_prob = FL_PROB_ONE }, 0, 0 },
		{ "icmp rule does not match udp", V4(UDP),
		  { .dir_mask = 3, .proto = FL_PROTO_ICMP, .drop_prob = FL_PROB_ONE }, 0, 0 },
		{ "tcp rule does not match udp", V6(UDP),
		  { .dir_mask = 3, .proto = FL_PROTO_TCP, .drop_prob = FL_PROB_ONE }, 0, 0 },
		{ "udp rule does not match tcp", V4(TCP),
		  { .dir_mask = 3, .proto = FL_PROTO_UDP, .drop_prob = FL_PROB_ONE }, 0, 0 },
		{ "any rule matches icmp", V4(ICMP4),
		  { .dir_mask = 3, .proto = FL_PROTO_ANY, .drop_prob = FL_PROB_ONE }, 1, 1 },
		{ "any rule matches ipv6 udp", V6(UDP),
		  { .dir_mask = 3, .proto = FL_PROTO_ANY, .drop_prob = FL_PROB_ONE }, 1, 1 },
		{ "any rule with a port does not match icmp whose id is that port", V6(ICMP6),
		  { .dir_mask = 3, .n_ports = 1, .ports = { ICMP_ID }, .drop_prob = FL_PROB_ONE },
		  0, 0 },
		{ "any rule with a port matches tcp on it", V4(TCP),
		  { .dir_mask = 3, .n_ports = 1, .ports = { DPORT }, .drop_prob = FL_PROB_ONE },
		  1, 1 },
		{ "8-port rule matches on its last slot", V4(UDP),
		  { .dir_mask = 3, .proto = FL_PROTO_UDP, .n_ports = 8,
		    .ports = { 1, 2, 3, 4, 5, 6, 7, DPORT }, .drop_prob = FL_PROB_ONE }, 1, 1 },
		{ "7-port rule ignores the port in slot 8", V4(UDP),
		  { .dir_mask = 3, .proto = FL_PROTO_UDP, .n_ports = 7,
		    .ports = { 1, 2, 3, 4, 5, 6, 7, DPORT }, .drop_prob = FL_PROB_ONE }, 0, 0 },
		{ "ingress-only rule does not match egress", V4(UDP),
		  { .dir_mask = FL_DIRM_INGRESS, .drop_prob = FL_PROB_ONE }, 0, 0 },
		{ "rule matching at 0 % passes and counts the match", V4(TCP),
		  { .dir_mask = 3, .proto = FL_PROTO_TCP, .drop_prob = 0 }, 0, 1 },
		{ "rule matching at 100 % drops", V4(TCP),
		  { .dir_mask = 3, .proto = FL_PROTO_TCP, .drop_prob = FL_PROB_ONE }, 1, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct match_case *c = &cases[i];
		struct pkt p;

		tap_begin("fl_cls_eg match: %s", c->name);
		build(&p, &c->s);
		setup(&c->r);
		expect_verdict(FL_PROG_CLS_EG, p.data, p.len, c->drop);
		expect_one(FL_DIR_EGRESS, c->matched, c->drop, p.len - p.l3_off);
		tap_end();
	}
}

/* Rules run in order and the first that matches decides. */
static void test_rule_order(void)
{
	struct fl_rule r_tcp80 = rule(FL_DIRM_BOTH, FL_PROTO_TCP, DPORT, 0);
	struct fl_rule r_all = rule(FL_DIRM_BOTH, FL_PROTO_ANY, 0, FL_PROB_ONE);
	struct pkt_spec s_tcp = V4(TCP), s_udp = V4(UDP);
	__u32 rids[3] = { 5, 6, 7 };
	struct fl_rule_stats t5[2], t6[2], t7[2];
	struct fl_stats st[2];
	struct pkt p;

	tap_begin("fl_cls_eg rule order: the first matching rule (0 %%) wins over a later 100 %%");
	fx_reset(&F);
	fx_rule(&F, 5, &r_tcp80);
	fx_rule(&F, 6, &r_all);
	fx_target(&F, fx_cg.target_id, TID, rids, 2, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	build(&p, &s_tcp);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	fx_rule_stats(&F, 5, t5);
	fx_rule_stats(&F, 6, t6);
	TAP_EQ(t5[1].seen, 1);
	TAP_EQ(t5[1].matched, 1);
	TAP_EQ(t6[1].seen, 0);
	tap_end();

	tap_begin("fl_cls_eg rule order: a packet the first rule misses falls to the second");
	build(&p, &s_udp);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 1);
	fx_rule_stats(&F, 5, t5);
	fx_rule_stats(&F, 6, t6);
	TAP_EQ(t5[1].seen, 2);
	TAP_EQ(t5[1].matched, 1);
	TAP_EQ(t6[1].seen, 1);
	TAP_EQ(t6[1].matched, 1);
	TAP_EQ(t6[1].dropped, 1);
	tap_end();

	tap_begin("fl_cls_eg rule order: n_rules bounds the walk");
	fx_reset(&F);
	fx_rule(&F, 5, &r_tcp80);
	fx_rule(&F, 6, &r_all);
	fx_target(&F, fx_cg.target_id, TID, rids, 1, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	fx_rule_stats(&F, 6, t6);
	TAP_EQ(t6[1].seen, 0);
	tap_end();

	tap_begin("fl_cls_eg rule order: a target without rules passes and is counted");
	fx_reset(&F);
	fx_target(&F, fx_cg.target_id, TID, rids, 0, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	fx_stats(&F, st);
	TAP_EQ(st[1].target_packets, 1);
	TAP_EQ(st[1].drop_reason[FL_DROP_FAULT], 0);
	tap_end();

	tap_begin("fl_cls_eg rule order: a rule id outside the rules map is skipped");
	fx_reset(&F);
	rids[0] = FL_MAX_RULES + 5;
	rids[1] = 7;
	fx_rule(&F, 7, &r_all);
	fx_target(&F, fx_cg.target_id, TID, rids, 2, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 1);
	fx_rule_stats(&F, 7, t7);
	TAP_EQ(t7[1].seen, 1);
	TAP_EQ(t7[1].dropped, 1);
	tap_end();
}

/* ---- peer prefixes --------------------------------------------------- */

struct peer_case {
	const char *name;
	const char *src, *dst;
	int drop, matched;
};

static void run_peer_cases(int family, const char *prefix, const struct peer_case *cases, int n,
			   __u32 peer_tid)
{
	struct fl_rule r = rule(FL_DIRM_BOTH, FL_PROTO_UDP, 0, FL_PROB_ONE);
	__u32 rid = RID;
	int i;

	for (i = 0; i < n; i++) {
		struct pkt_spec s = { .family = family, UDP, .src = cases[i].src,
				      .dst = cases[i].dst };
		struct pkt p;

		tap_begin("fl_cls_eg peer %s: %s", prefix, cases[i].name);
		fx_reset(&F);
		fx_rule(&F, RID, &r);
		fx_target(&F, fx_cg.target_id, TID, &rid, 1, 1);
		fx_levels(&F, &fx_cg.target_level, 1);
		TAP_EQ(fx_peer(&F, peer_tid, prefix, 1), 0);
		build(&p, &s);
		expect_verdict(FL_PROG_CLS_EG, p.data, p.len, cases[i].drop);
		expect_one(FL_DIR_EGRESS, cases[i].matched, cases[i].drop, p.len - p.l3_off);
		tap_end();
	}
}

static void test_peers(void)
{
	static const struct peer_case v4[] = {
		{ "destination inside drops", "198.18.0.1", "198.18.4.7", 1, 1 },
		{ "destination at the prefix's last address drops", "198.18.0.1", "198.18.4.255",
		  1, 1 },
		{ "destination outside passes", "198.18.0.1", "198.18.5.7", 0, 0 },
		{ "source inside, destination outside passes (the peer is the destination)",
		  "198.18.4.7", "198.18.5.7", 0, 0 },
	};
	static const struct peer_case v6[] = {
		{ "destination inside drops", "2001:db8::1", "2001:db8:4::7", 1, 1 },
		{ "destination outside passes", "2001:db8::1", "2001:db8:5::7", 0, 0 },
		{ "source inside, destination outside passes", "2001:db8:4::7", "2001:db8:5::7",
		  0, 0 },
	};
	static const struct peer_case other[] = {
		{ "a prefix of another target does not apply", "198.18.0.1", "198.18.4.7", 0, 0 },
	};
	struct fl_rule r_wide = rule(FL_DIRM_BOTH, FL_PROTO_ANY, 0, 0);
	struct fl_rule r_narrow = rule(FL_DIRM_BOTH, FL_PROTO_ANY, 0, FL_PROB_ONE);
	struct fl_rule r_port = rule(FL_DIRM_BOTH, FL_PROTO_UDP, DPORT, FL_PROB_ONE);
	struct pkt_spec s = IP4("198.18.0.1", "198.18.4.7", UDP);
	struct fl_rule_stats t[2];
	__u32 rids[2];
	struct pkt p;

	run_peer_cases(4, "198.18.4.0/24", v4, 4, TID);
	run_peer_cases(6, "2001:db8:4::/48", v6, 3, TID);
	run_peer_cases(4, "198.18.4.0/24", other, 1, TID + 1);

	/* Two rules with nested prefixes. The LPM answers with the longest
	 * prefix only, so its mask carries the rules of covering prefixes too.
	 */
	tap_begin("fl_cls_eg peer: rule 0 on /16 (0 %%) wins over rule 1 on /24 (100 %%) in the /24");
	fx_reset(&F);
	rids[0] = 0;
	rids[1] = 1;
	fx_rule(&F, 0, &r_wide);
	fx_rule(&F, 1, &r_narrow);
	fx_target(&F, fx_cg.target_id, TID, rids, 2, 3);
	fx_levels(&F, &fx_cg.target_level, 1);
	TAP_EQ(fx_peer(&F, TID, "198.18.0.0/16", 1), 0);
	TAP_EQ(fx_peer(&F, TID, "198.18.4.0/24", 3), 0);
	build(&p, &s);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	fx_rule_stats(&F, 0, t);
	TAP_EQ(t[1].matched, 1);
	fx_rule_stats(&F, 1, t);
	TAP_EQ(t[1].seen, 0);
	tap_end();

	tap_begin("fl_cls_eg peer: rule 0 on /24 (100 %%) drops inside, rule 1 on /16 (0 %%) takes the rest");
	fx_reset(&F);
	fx_rule(&F, 0, &r_narrow);
	fx_rule(&F, 1, &r_wide);
	fx_target(&F, fx_cg.target_id, TID, rids, 2, 3);
	fx_levels(&F, &fx_cg.target_level, 1);
	TAP_EQ(fx_peer(&F, TID, "198.18.0.0/16", 2), 0);
	TAP_EQ(fx_peer(&F, TID, "198.18.4.0/24", 3), 0);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 1);
	s.dst = "198.18.9.1";
	build(&p, &s);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	fx_rule_stats(&F, 0, t);
	TAP_EQ(t[1].seen, 2);
	TAP_EQ(t[1].matched, 1);
	TAP_EQ(t[1].dropped, 1);
	fx_rule_stats(&F, 1, t);
	TAP_EQ(t[1].seen, 1);
	TAP_EQ(t[1].matched, 1);
	TAP_EQ(t[1].dropped, 0);
	tap_end();

	tap_begin("fl_cls_eg peer: a peer rule with a port needs both");
	fx_reset(&F);
	fx_rule(&F, 0, &r_port);
	fx_target(&F, fx_cg.target_id, TID, rids, 1, 1);
	fx_levels(&F, &fx_cg.target_level, 1);
	TAP_EQ(fx_peer(&F, TID, "198.18.4.0/24", 1), 0);
	s.dst = "198.18.4.7";
	build(&p, &s);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 1);
	s.dport = DPORT + 1;
	build(&p, &s);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	s.dport = DPORT;
	s.dst = "198.18.5.7";
	build(&p, &s);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	fx_rule_stats(&F, 0, t);
	TAP_EQ(t[1].seen, 3);
	TAP_EQ(t[1].matched, 1);
	TAP_EQ(t[1].dropped, 1);
	tap_end();
}

/* ---- fragments --------------------------------------------------------- */

static void test_fragments(void)
{
	/* Non-first fragments: the bytes where an L4 header would be hold
	 * the rule's ports, so a parser that read them would match.
	 */
	static const struct {
		const char *name;
		struct pkt_spec s;
	} frags[] = {
		{ "ipv4 non-first fragment/udp", V4(UDP, .frag_off = 185, .payload = 16) },
		{ "ipv4 last fragment/tcp", V4(TCP, .frag_off = 1, .payload = 16) },
		{ "ipv6 non-first fragment/udp", V6(UDP, .ext = { 44 }, .n_ext = 1, .frag_off = 185,
						    .more_frags = 1, .payload = 16) },
		{ "ipv6+hbh non-first fragment/tcp",
		  V6(TCP, .ext = { 0, 44 }, .n_ext = 2, .frag_off = 7, .payload = 16) },
	};
	size_t i;

	for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		__u8 proto = frags[i].s.proto;
		struct fl_rule r;
		struct pkt p;

		build(&p, &frags[i].s);

		tap_begin("fl_cls_eg %s: a rule with ports never matches it", frags[i].name);
		r = rule(FL_DIRM_BOTH, proto, DPORT, FL_PROB_ONE);
		r.n_ports = 2;
		r.ports[1] = SPORT;
		setup(&r);
		expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
		expect_one(FL_DIR_EGRESS, 0, 0, p.len - p.l3_off);
		tap_end();

		tap_begin("fl_cls_eg %s: a protocol rule without ports drops it", frags[i].name);
		r = rule(FL_DIRM_BOTH, proto, 0, FL_PROB_ONE);
		setup(&r);
		expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 1);
		expect_one(FL_DIR_EGRESS, 1, 1, p.len - p.l3_off);
		tap_end();

		tap_begin("fl_tcx_eg %s: an any-protocol rule without ports drops it", frags[i].name);
		r = rule(FL_DIRM_BOTH, FL_PROTO_ANY, 0, FL_PROB_ONE);
		setup(&r);
		expect_verdict(FL_PROG_TCX_EG, p.data, p.len, 1);
		expect_one(FL_DIR_EGRESS, 1, 1, p.len - p.l3_off);
		tap_end();
	}
}

/* ---- truncation --------------------------------------------------------- */

/* Cut @v at every length. The kernel refuses frames shorter than Ethernet
 * and, for an IP ethertype, shorter than the fixed IP header: those
 * lengths are allowed to fail with EINVAL, nothing else is. A frame whose
 * headers up to L4 are incomplete passes as parse_skipped; from there on
 * the port rule drops it.
 */
static void truncate_one(enum fl_prog prog, const struct variant *v)
{
	struct fl_stats st0[2], st1[2];
	struct fl_rule_stats t0[2], t1[2];
	__u32 dir = fx_code[prog].dir, len, ret;
	int refused = 0, skipped = 0, dropped = 0, ingress_owner;
	struct fl_rule r;
	struct pkt p;

	/* the owner's hooks find the target after parsing: no counters */
	ingress_owner = fx_code[prog].dir == FL_DIR_INGRESS && prog != FL_PROG_CG_IN;
	tap_begin("%s %s: cut at every length 0..full", fx_code[prog].name, v->name);
	build(&p, &v->s);
	r = rule(FL_DIRM_BOTH, is_icmp(v->s.proto) ? FL_PROTO_ICMP : v->s.proto,
		 is_icmp(v->s.proto) ? 0 : DPORT, FL_PROB_ONE);
	setup(&r);
	for (len = 0; len <= p.len; len++) {
		int complete = len >= p.l4_end, rc;
		__u32 bytes = len - p.l3_off;	/* IP bytes, at every hook */

		fx_rule_stats(&F, RID, t0);
		fx_stats(&F, st0);
		ret = 0xdeadbeef;
		rc = fx_run(&F, prog, p.data, len, 1, &ret, NULL);
		if (rc == -EINVAL && len < p.ip_fixed_end) {
			refused++;
			continue;
		}
		if (rc) {
			tap_fail("len %u: test run failed: %s", len, strerror(-rc));
			break;
		}
		fx_rule_stats(&F, RID, t1);
		fx_stats(&F, st1);
		if (ret != (complete ? fx_code[prog].drop : fx_code[prog].pass)) {
			tap_fail("len %u (L4 header ends at %u): verdict %d", len, p.l4_end,
				 (int)ret);
			break;
		}
		if (complete) {
			dropped++;
			if (t1[dir].dropped != t0[dir].dropped + 1 ||
			    st1[dir].target_packets != st0[dir].target_packets + 1 ||
			    st1[dir].target_bytes != st0[dir].target_bytes + bytes) {
				tap_fail("len %u: a complete frame was not counted as one drop of %u bytes",
					 len, bytes);
				break;
			}
			continue;
		}
		skipped++;
		if (st1[dir].parse_skipped != st0[dir].parse_skipped + !ingress_owner ||
		    st1[dir].target_packets != st0[dir].target_packets ||
		    t1[dir].seen != t0[dir].seen) {
			tap_fail("len %u: parse_skipped %llu -> %llu, target_packets %llu -> %llu, seen %llu -> %llu",
				 len, (unsigned long long)st0[dir].parse_skipped,
				 (unsigned long long)st1[dir].parse_skipped,
				 (unsigned long long)st0[dir].target_packets,
				 (unsigned long long)st1[dir].target_packets,
				 (unsigned long long)t0[dir].seen, (unsigned long long)t1[dir].seen);
			break;
		}
	}
	/* the kernel must have let through every cut from the fixed IP header on */
	TAP_TRUE(refused <= (int)p.ip_fixed_end, "refused %d lengths", refused);
	TAP_TRUE(skipped >= (int)(p.l4_end - p.ip_fixed_end), "only %d truncated runs", skipped);
	TAP_EQ(dropped, p.len - p.l4_end + 1);
	tap_diag("%s %s: %d lengths refused by the kernel, %d truncated passed, %d complete dropped",
		 fx_code[prog].name, v->name, refused, skipped, dropped);
	tap_end();
}

static void test_truncation(void)
{
	static const struct pkt_spec arp = { .family = 0, .ethertype = PKT_ETH_P_ARP };
	enum fl_prog progs[] = { FL_PROG_CLS_EG, FL_PROG_TCX_EG, FL_PROG_XDP_IN, FL_PROG_TC_IN,
				 FL_PROG_TCX_PIN, FL_PROG_CLS_PIN };
	struct fl_rule r = rule(FL_DIRM_BOTH, FL_PROTO_ANY, 0, FL_PROB_ONE);
	size_t i, j;
	__u32 len;
	struct pkt p;

	for (j = 0; j < sizeof(progs) / sizeof(progs[0]); j++)
		for (i = 0; i < N_VARIANTS; i++)
			truncate_one(progs[j], &variants[i]);
	/* cgroup_skb sees plain IP only */
	for (i = 0; i < 6; i++)
		truncate_one(FL_PROG_CG_IN, &variants[i]);

	/* ARP at every length: never dropped, skipped once it is accepted */
	for (j = 0; j < 2; j++) {
		enum fl_prog prog = progs[j];
		int runs = 0, bad = 0;
		struct fl_stats st[2];

		tap_begin("%s arp: passes at every length and counts as parse_skipped",
			  fx_code[prog].name);
		build(&p, &arp);
		setup(&r);
		for (len = 0; len <= p.len; len++) {
			__u32 ret = 0;
			int rc = fx_run(&F, prog, p.data, len, 1, &ret, NULL);

			if (rc == -EINVAL && len < 14)
				continue;
			if (rc || ret != fx_code[prog].pass)
				bad++;
			runs++;
		}
		fx_stats(&F, st);
		TAP_EQ(bad, 0);
		TAP_EQ(runs, p.len - 14 + 1);
		TAP_EQ(st[1].parse_skipped, runs);
		TAP_EQ(st[1].target_packets, 0);
		tap_end();
	}

	tap_begin("fl_cg_in arp: passes and counts as parse_skipped");
	build(&p, &arp);
	setup(&r);
	expect_verdict(FL_PROG_CG_IN, p.data, p.len, 0);
	expect_counters(RID, FL_DIR_INGRESS, &(struct expect){ .parse_skipped = 1 });
	tap_end();
}

/* ---- which packets are a target's --------------------------------------- */

static void test_non_target(void)
{
	static const enum fl_prog progs[] = { FL_PROG_CLS_EG, FL_PROG_TCX_EG, FL_PROG_CG_IN };
	struct fl_rule r = rule(FL_DIRM_BOTH, FL_PROTO_ANY, 0, FL_PROB_ONE);
	struct pkt_spec s = V4(UDP);
	__u32 rid = RID, ret;
	struct pkt p;
	size_t j;

	build(&p, &s);
	for (j = 0; j < sizeof(progs) / sizeof(progs[0]); j++) {
		tap_begin("%s non-target: %d runs with a 100 %% rule on a sibling cgroup, 0 drops",
			  fx_code[progs[j]].name, NONTARGET_RUNS);
		fx_reset(&F);
		fx_rule(&F, RID, &r);
		fx_target(&F, fx_cg.other_id, TID, &rid, 1, 0);
		fx_levels(&F, &fx_cg.target_level, 1);
		ret = 0xdeadbeef;
		TAP_EQ(fx_run(&F, progs[j], p.data, p.len, NONTARGET_RUNS, &ret, NULL), 0);
		TAP_EQ(ret, fx_code[progs[j]].pass);
		expect_counters(RID, fx_code[progs[j]].dir, &none);
		tap_end();
	}

	/* the owner's hooks: a destination nobody owns */
	{
		struct pkt_spec s3 = IP4("198.18.0.1", "198.18.0.3", UDP);
		struct pkt p3;

		build(&p3, &s3);
		for (j = 0; j < N_OWNER_PROGS; j++) {
			enum fl_prog prog = owner_progs[j];

			tap_begin("%s non-target: %d runs to an address nobody owns, 0 drops",
				  fx_code[prog].name, NONTARGET_RUNS);
			setup(&r);
			ret = 0xdeadbeef;
			TAP_EQ(fx_run(&F, prog, p3.data, p3.len, NONTARGET_RUNS, &ret, NULL), 0);
			TAP_EQ(ret, fx_code[prog].pass);
			expect_counters(RID, FL_DIR_INGRESS, &none);
			tap_end();
		}
	}

	tap_begin("fl_cls_eg non-target: our cgroup id at a level that is not configured");
	fx_reset(&F);
	fx_rule(&F, RID, &r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.base_level, 1);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	expect_counters(RID, FL_DIR_EGRESS, &none);
	tap_end();

	tap_begin("fl_cls_eg non-target: no levels configured at all");
	fx_reset(&F);
	fx_rule(&F, RID, &r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
	expect_counters(RID, FL_DIR_EGRESS, &none);
	tap_end();

	tap_begin("fl_cls_eg target: a parent cgroup as target covers its descendants");
	fx_reset(&F);
	fx_rule(&F, RID, &r);
	fx_target(&F, fx_cg.base_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.base_level, 1);
	expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 1);
	expect_one(FL_DIR_EGRESS, 1, 1, p.len - p.l3_off);
	tap_end();

	tap_begin("fl_cls_eg target: the deepest target wins over its parent");
	{
		struct fl_rule pass = rule(FL_DIRM_BOTH, FL_PROTO_ANY, 0, 0);
		__u32 levels[2] = { fx_cg.target_level, fx_cg.base_level };
		__u32 r1 = 1;
		struct fl_rule_stats t[2];
		struct expect e = one(1, 0, p.len - p.l3_off);

		fx_reset(&F);
		fx_rule(&F, RID, &pass);
		fx_rule(&F, 1, &r);
		fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
		fx_target(&F, fx_cg.base_id, TID + 1, &r1, 1, 0);
		fx_levels(&F, levels, 2);
		expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 0);
		expect_counters(RID, FL_DIR_EGRESS, &e);
		fx_rule_stats(&F, 1, t);
		TAP_EQ(t[1].seen, 0);
	}
	tap_end();

	tap_begin("fl_cls_eg target: a level with no target is skipped for the next one");
	{
		__u32 levels[2] = { fx_cg.target_level, fx_cg.base_level };
		struct expect e = one(1, 1, p.len - p.l3_off);

		fx_reset(&F);
		fx_rule(&F, RID, &r);
		fx_target(&F, fx_cg.base_id, TID, &rid, 1, 0);
		fx_levels(&F, levels, 2);
		expect_verdict(FL_PROG_CLS_EG, p.data, p.len, 1);
		expect_counters(RID, FL_DIR_EGRESS, &e);
	}
	tap_end();
}

/* ---- arming and the deadline ------------------------------------------ */

static void test_arming(void)
{
	struct fl_rule r = rule(FL_DIRM_BOTH, FL_PROTO_ANY, 0, FL_PROB_ONE);
	struct pkt_spec s = V4(UDP);
	struct pkt p;
	size_t i;

	build(&p, &s);
	for (i = 0; i < N_PROGS; i++) {
		enum fl_prog prog = all_progs[i];
		__u32 dir = fx_code[prog].dir;

		tap_begin("%s disarmed: passes, counts nothing", fx_code[prog].name);
		setup(&r);
		F.ctl->armed = 0;
		expect_verdict(prog, p.data, p.len, 0);
		expect_counters(RID, dir, &none);
		tap_end();

		tap_begin("%s past the deadline: passes, counts passed_disarmed", fx_code[prog].name);
		setup(&r);
		F.ctl->deadline_ns = fx_now() - 1000000000ULL;
		expect_verdict(prog, p.data, p.len, 0);
		TAP_EQ(fx_run(&F, prog, p.data, p.len, 999, NULL, NULL), 0);
		expect_counters(RID, dir, &(struct expect){ .passed_disarmed = 1000 });
		tap_end();

		tap_begin("%s deadline 0 (never set): passes", fx_code[prog].name);
		setup(&r);
		F.ctl->deadline_ns = 0;
		expect_verdict(prog, p.data, p.len, 0);
		expect_counters(RID, dir, &(struct expect){ .passed_disarmed = 1 });
		tap_end();

		tap_begin("%s armed, deadline ahead: the same rule drops", fx_code[prog].name);
		setup(&r);
		F.ctl->deadline_ns = fx_now() + 1000000000ULL;
		expect_verdict(prog, p.data, p.len, 1);
		{
			__u32 len = p.len - p.l3_off;
			struct expect e = one(1, 1, len);

			expect_counters(RID, dir, &e);
		}
		tap_end();
	}
}

/* ---- ingress: by owned address, and by cgroup ------------------------- */

struct in_case {
	const char *name;
	struct pkt_spec s;
	struct fl_rule r;
	int target;	/* counted as a target packet */
	int drop, matched;
	const char *peer;	/* peer prefix on the rule, or NULL */
};

static void test_ingress(void)
{
	static const struct in_case cases[] = {
		{ "ipv4 to an owned address drops", V4(UDP),
		  { .dir_mask = 3, .proto = FL_PROTO_UDP, .drop_prob = FL_PROB_ONE }, 1, 1, 1, NULL },
		{ "ipv6 to an owned address drops", V6(TCP),
		  { .dir_mask = 3, .proto = FL_PROTO_TCP, .drop_prob = FL_PROB_ONE }, 1, 1, 1, NULL },
		{ "vlan/ipv4 to an owned address drops", V4(UDP, .vlans = 1),
		  { .dir_mask = 3, .drop_prob = FL_PROB_ONE }, 1, 1, 1, NULL },
		{ "qinq/ipv6+dstopts/icmpv6 to an owned address drops",
		  V6(ICMP6, .vlans = 2, .ext = { 60 }, .n_ext = 1),
		  { .dir_mask = 3, .proto = FL_PROTO_ICMP, .drop_prob = FL_PROB_ONE }, 1, 1, 1, NULL },
		{ "a port rule matches the destination port", V4(UDP),
		  { .dir_mask = 3, .n_ports = 1, .ports = { DPORT }, .drop_prob = FL_PROB_ONE },
		  1, 1, 1, NULL },
		{ "a port rule matches the source port", V6(UDP),
		  { .dir_mask = 3, .n_ports = 1, .ports = { SPORT }, .drop_prob = FL_PROB_ONE },
		  1, 1, 1, NULL },
		{ "a rule at 0 % passes and counts the match", V4(UDP),
		  { .dir_mask = 3, .drop_prob = 0 }, 1, 0, 1, NULL },
		{ "ipv4 to another address passes untouched", IP4("198.18.0.1", "198.18.0.3", UDP),
		  { .dir_mask = 3, .drop_prob = FL_PROB_ONE }, 0, 0, 0, NULL },
		{ "ipv6 to another address passes untouched", IP6("2001:db8::1", "2001:db8::3", UDP),
		  { .dir_mask = 3, .drop_prob = FL_PROB_ONE }, 0, 0, 0, NULL },
		{ "from an owned address to another passes (decided by destination)",
		  IP4("198.18.0.2", "198.18.0.3", UDP),
		  { .dir_mask = 3, .drop_prob = FL_PROB_ONE }, 0, 0, 0, NULL },
		{ "an egress-only rule does not apply", V4(UDP),
		  { .dir_mask = FL_DIRM_EGRESS, .drop_prob = FL_PROB_ONE }, 1, 0, 0, NULL },
		{ "a peer rule matches the source", IP4("198.18.4.7", "198.18.0.2", UDP),
		  { .dir_mask = 3, .drop_prob = FL_PROB_ONE }, 1, 1, 1, "198.18.4.0/24" },
		{ "a peer rule does not match another source", IP4("198.18.5.7", "198.18.0.2", UDP),
		  { .dir_mask = 3, .drop_prob = FL_PROB_ONE }, 1, 0, 0, "198.18.4.0/24" },
		{ "an ipv6 peer rule matches the source", IP6("2001:db8:4::9", "2001:db8::2", UDP),
		  { .dir_mask = 3, .drop_prob = FL_PROB_ONE }, 1, 1, 1, "2001:db8:4::/48" },
	};
	size_t i, j;

	for (j = 0; j < N_OWNER_PROGS; j++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct in_case *c = &cases[i];
			struct pkt p;

			tap_begin("%s: %s", fx_code[owner_progs[j]].name, c->name);
			build(&p, &c->s);
			setup(&c->r);
			if (c->peer) {
				struct fl_addr a4, a6;
				__u32 rid = RID;

				pkt_addr("198.18.0.2", &a4);
				pkt_addr("2001:db8::2", &a6);
				fx_owned(&F, &a4, TID, &rid, 1, 1);
				fx_owned(&F, &a6, TID, &rid, 1, 1);
				TAP_EQ(fx_peer(&F, TID, c->peer, 1), 0);
			}
			expect_verdict(owner_progs[j], p.data, p.len, c->drop);
			if (c->target)
				expect_one(FL_DIR_INGRESS, c->matched, c->drop, p.len - p.l3_off);
			else
				expect_counters(RID, FL_DIR_INGRESS, &none);
			tap_end();
		}
	}

	/* cgroup_skb: the receiving socket's cgroup decides, not the address */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct in_case *c = &cases[i];
		struct pkt p;
		int drop;

		if (c->s.vlans)
			continue;	/* cgroup_skb never sees a VLAN tag */
		tap_begin("fl_cg_in (in the target cgroup): %s", c->name);
		build(&p, &c->s);
		setup(&c->r);
		if (c->peer) {
			__u32 rid = RID;

			fx_target(&F, fx_cg.target_id, TID, &rid, 1, 1);
			TAP_EQ(fx_peer(&F, TID, c->peer, 1), 0);
		}
		/* every frame here is ours: the address does not matter */
		drop = c->target ? c->drop : 1;
		expect_verdict(FL_PROG_CG_IN, p.data, p.len, drop);
		expect_one(FL_DIR_INGRESS, c->target ? c->matched : 1, drop, p.len - p.l3_off);
		tap_end();
	}
}

int main(void)
{

	if (fx_tap_start(&F, "fl_bt", ALL_PROGS))
		return 1;
	test_egress_matrix();
	test_matching();
	test_rule_order();
	test_peers();
	test_fragments();
	test_truncation();
	test_non_target();
	test_arming();
	test_ingress();
	fx_close(&F);
	return tap_done();
}
