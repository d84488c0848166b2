// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Flow records on the ring buffer, through BPF_PROG_TEST_RUN: a NEW record
 * for the first packet of a flow with its 5-tuple from the target's point
 * of view, nothing more within the snapshot interval, a SNAPSHOT after it,
 * an END for a TCP FIN or RST (the entry kept, marked ended, so the packets
 * that trail it start no phantom flow), and no record for
 * packets that are not a target's or could not be parsed.
 */
#include <netinet/in.h>

#include "fixture.h"
#include "pkt.h"
#include "tap_start.h"

#define ALL_PROGS	((1u << FL_PROG_MAX) - 1)
#define RID		0
#define TID		7
#define SPORT		40000
#define DPORT		5201
#define ICMP_ID		0x4242

#define IP4(s, d, ...) { .family = 4, .src = s, .dst = d, __VA_ARGS__ }
#define IP6(s, d, ...) { .family = 6, .src = s, .dst = d, __VA_ARGS__ }
#define V4(...) IP4("198.18.0.1", "198.18.0.2", __VA_ARGS__)
#define V6(...) IP6("2001:db8::1", "2001:db8::2", __VA_ARGS__)
#define TCP	.proto = IPPROTO_TCP, .sport = SPORT, .dport = DPORT
#define UDP	.proto = IPPROTO_UDP, .sport = SPORT, .dport = DPORT

static struct fx F;

/* Our cgroup and 198.18.0.2 / 2001:db8::2 are target TID, rule RID. */
static void setup(__u64 prob)
{
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .drop_prob = prob };
	struct fl_addr a4, a6;
	__u32 rid = RID;

	fx_reset(&F);
	fx_rule(&F, RID, &r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	pkt_addr("198.18.0.2", &a4);
	pkt_addr("2001:db8::2", &a6);
	fx_owned(&F, &a4, TID, &rid, 1, 0);
	fx_owned(&F, &a6, TID, &rid, 1, 0);
}

/* The key the datapath should file @s under, seen from the target. */
static struct fl_flow_key key_of(const struct pkt_spec *s, __u32 dir, int l4)
{
	struct fl_flow_key k;
	__u16 sport = s->sport, dport = s->dport;

	memset(&k, 0, sizeof(k));
	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6)
		dport = (__u16)(s->icmp_type << 8 | s->icmp_code);
	if (!l4)
		sport = dport = 0;
	pkt_addr(dir == FL_DIR_EGRESS ? s->src : s->dst, &k.local);
	pkt_addr(dir == FL_DIR_EGRESS ? s->dst : s->src, &k.peer);
	k.local_port = dir == FL_DIR_EGRESS ? sport : dport;
	k.peer_port = dir == FL_DIR_EGRESS ? dport : sport;
	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6) {
		/* both directions: the echo id local, type and code peer */
		k.local_port = sport;
		k.peer_port = dport;
	}
	k.proto = s->proto;
	k.dir = dir;
	k.family = s->family;
	k.target_id = TID;
	return k;
}

/* What the counters hold for a packet: its IP bytes, at every hook. */
#define IPB(pk)	((pk).len - (pk).l3_off)

struct want_ev {
	__u32 kind, reason;
	__u64 cgroup_id, packets, bytes, drops;
};

static void check_event(const struct fl_event *e, const struct want_ev *w,
			const struct fl_flow_key *k, __u64 t0, __u64 t1)
{
	TAP_EQ(e->kind, w->kind);
	TAP_EQ(e->end_reason, w->reason);
	TAP_TRUE(e->ts_ns >= t0 && e->ts_ns <= t1, "ts_ns %llu outside [%llu, %llu]",
		 (unsigned long long)e->ts_ns, (unsigned long long)t0, (unsigned long long)t1);
	TAP_TRUE(!memcmp(e->key.local.u8, k->local.u8, 16), "local address differs");
	TAP_TRUE(!memcmp(e->key.peer.u8, k->peer.u8, 16), "peer address differs");
	TAP_EQ(e->key.local_port, k->local_port);
	TAP_EQ(e->key.peer_port, k->peer_port);
	TAP_EQ(e->key.proto, k->proto);
	TAP_EQ(e->key.dir, k->dir);
	TAP_EQ(e->key.family, k->family);
	TAP_EQ(e->key.target_id, k->target_id);
	TAP_EQ(e->cgroup_id, w->cgroup_id);
	TAP_EQ(e->packets, w->packets);
	TAP_EQ(e->bytes, w->bytes);
	TAP_EQ(e->drops, w->drops);
}

static int flow_present(const struct fl_flow_key *k, struct fl_flow_val *v)
{
	return !bpf_map_lookup_elem(bpf_map__fd(F.skel->maps.fl_flows), k, v);
}

static __u32 run(enum fl_prog prog, const struct pkt *p, __u32 len)
{
	__u32 ret = 0xdeadbeef;

	TAP_EQ(fx_run(&F, prog, p->data, len, 1, &ret, NULL), 0);
	return ret;
}

/* One run whose records are then read: [*t0, *t1] bounds their time,
 * on the fine clock (a record's time is a condition's trippedAt).
 */
static void run_read(enum fl_prog prog, const struct pkt *p, __u64 *t0, __u64 *t1)
{
	*t0 = fx_now();
	run(prog, p, p->len);
	*t1 = fx_now();
	fx_events(&F);
}

/* A fresh flow at drop chance @prob: @before packets, then @gap_ms later
 * one more, whose run [*t0, *t1] bounds. The records are left unread.
 */
static void run_after(const struct pkt *p, __u64 prob, int before, long gap_ms, __u64 *t0,
		      __u64 *t1)
{
	struct timespec ts = { gap_ms / 1000, (gap_ms % 1000) * 1000000 };
	int i;

	setup(prob);
	for (i = 0; i < before; i++)
		run(FL_PROG_CLS_EG, p, p->len);
	nanosleep(&ts, NULL);
	*t0 = fx_now();
	run(FL_PROG_CLS_EG, p, p->len);
	*t1 = fx_now();
}

/* One packet of a fresh flow: exactly one NEW record, as described. */
static void case_new(enum fl_prog prog, const char *what, const struct pkt_spec *s, __u64 prob,
		     __u64 cgid)
{
	__u32 dir = fx_code[prog].dir;
	struct fl_flow_key k = key_of(s, dir, 1);
	struct fl_flow_val v;
	struct pkt p;
	__u64 t0, t1;
	__u32 bytes;

	tap_begin("%s %s: one NEW record with the flow's tuple", fx_code[prog].name, what);
	pkt_build(&p, s);
	bytes = p.len - p.l3_off;	/* IP bytes, at every hook */
	setup(prob);
	run_read(prog, &p, &t0, &t1);
	TAP_EQ(F.n_ev_total, 1);
	if (F.n_ev >= 1)
		check_event(&F.ev[0], &(struct want_ev){ FL_EV_FLOW_NEW, 0, cgid, 1, bytes,
							  prob ? 1 : 0 }, &k, t0, t1);
	TAP_TRUE(flow_present(&k, &v), "no flow entry under the expected key");
	tap_end();
}

static void test_new(void)
{
	static const struct pkt_spec udp4 = V4(UDP, .payload = 20);
	static const struct pkt_spec tcp6 = V6(TCP, .tcp_flags = PKT_TCP_SYN);
	static const struct pkt_spec icmp4 = V4(.proto = IPPROTO_ICMP, .icmp_type = 8,
						.sport = ICMP_ID);
	static const struct pkt_spec icmp6 = V6(.proto = IPPROTO_ICMPV6, .icmp_type = 128,
						.sport = ICMP_ID);
	static const struct pkt_spec unreach4 = V4(.proto = IPPROTO_ICMP, .icmp_type = 3,
						   .icmp_code = 4, .sport = 0);
	static const struct pkt_spec vlan6 = V6(UDP, .vlans = 1, .ext = { 0 }, .n_ext = 1);
	__u64 cg = fx_cg.target_id;

	case_new(FL_PROG_CLS_EG, "ipv4/udp passed", &udp4, 0, cg);
	case_new(FL_PROG_CLS_EG, "ipv4/udp dropped (drops 1)", &udp4, FL_PROB_ONE, cg);
	case_new(FL_PROG_TCX_EG, "ipv6/tcp syn", &tcp6, 0, cg);
	case_new(FL_PROG_TCX_EG, "vlan/ipv6+hbh/udp dropped", &vlan6, FL_PROB_ONE, cg);
	case_new(FL_PROG_CLS_EG, "icmp echo (local port = id, peer port = 8 << 8)", &icmp4, 0, cg);
	case_new(FL_PROG_CLS_EG, "icmpv6 echo (peer port = 128 << 8)", &icmp6, 0, cg);
	case_new(FL_PROG_CLS_EG, "icmp unreachable 3/4 (peer port = 0x0304)", &unreach4, 0, cg);
	case_new(FL_PROG_XDP_IN, "ipv4/udp (local = destination, no cgroup)", &udp4, 0, 0);
	case_new(FL_PROG_XDP_IN, "ipv6/tcp dropped", &tcp6, FL_PROB_ONE, 0);
	case_new(FL_PROG_TC_IN, "ipv6/tcp", &tcp6, 0, 0);
	case_new(FL_PROG_XDP_IN, "icmp echo (id local, type and code peer, at ingress too)",
		 &icmp4, 0, 0);
	case_new(FL_PROG_CG_IN, "icmpv6 echo", &icmp6, FL_PROB_ONE, cg);
	case_new(FL_PROG_CG_IN, "ipv4/udp (local = destination, the target's cgroup)", &udp4, 0,
		 cg);
	case_new(FL_PROG_CG_IN, "ipv6/tcp dropped", &tcp6, FL_PROB_ONE, cg);
}

static void test_lifecycle(void)
{
	struct pkt_spec s = V6(TCP, .tcp_flags = PKT_TCP_SYN, .payload = 10);
	struct pkt_spec u100 = V4(UDP, .payload = 100);
	struct fl_flow_key k = key_of(&s, FL_DIR_EGRESS, 1);
	__u64 cg = fx_cg.target_id, t0, t1;
	struct pkt syn, synack, ack, fin, rst, p;
	struct fl_flow_val v;

	pkt_build(&syn, &s);
	s.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK;
	pkt_build(&synack, &s);
	s.tcp_flags = PKT_TCP_ACK;
	pkt_build(&ack, &s);
	s.tcp_flags = PKT_TCP_FIN | PKT_TCP_ACK;
	pkt_build(&fin, &s);

	tap_begin("fl_cls_eg tcp: later packets within 100 ms add no record, the entry counts them");
	setup(0);
	run(FL_PROG_CLS_EG, &syn, syn.len);
	run(FL_PROG_CLS_EG, &ack, ack.len);
	TAP_EQ(fx_run(&F, FL_PROG_CLS_EG, ack.data, ack.len, 98, NULL, NULL), 0);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 1);
	TAP_TRUE(flow_present(&k, &v), "flow entry missing");
	TAP_EQ(v.packets, 100);
	TAP_EQ(v.bytes, 100 * IPB(syn));
	TAP_EQ(v.drops, 0);
	TAP_EQ(v.cgroup_id, cg);
	tap_end();

	tap_begin("fl_cls_eg tcp: FIN ends the flow with an END record; the entry stays, marked ended");
	fx_events_clear(&F);
	run_read(FL_PROG_CLS_EG, &fin, &t0, &t1);
	TAP_EQ(F.n_ev_total, 1);
	if (F.n_ev >= 1)
		check_event(&F.ev[0], &(struct want_ev){ FL_EV_FLOW_END, FL_END_FIN, cg, 101,
							  101 * IPB(syn), 0 }, &k, t0, t1);
	TAP_TRUE(flow_present(&k, &v) && v.ended == 1, "no entry marked ended after FIN");
	tap_end();

	tap_begin("fl_cls_eg tcp: the ACK and FIN that trail a FIN add no record (no phantom flow); the entry counts them");
	fx_events_clear(&F);
	run(FL_PROG_CLS_EG, &ack, ack.len);
	run(FL_PROG_CLS_EG, &fin, fin.len);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 0);
	TAP_TRUE(flow_present(&k, &v), "flow entry missing");
	TAP_EQ(v.packets, 103);
	TAP_EQ(v.ended, 1);
	tap_end();

	tap_begin("fl_cls_eg tcp: a SYN on the ended tuple starts a new flow with a NEW record");
	fx_events_clear(&F);
	run_read(FL_PROG_CLS_EG, &syn, &t0, &t1);
	TAP_EQ(F.n_ev_total, 1);
	if (F.n_ev >= 1)
		check_event(&F.ev[0], &(struct want_ev){ FL_EV_FLOW_NEW, 0, cg, 1, IPB(syn), 0 },
			    &k, t0, t1);
	TAP_TRUE(flow_present(&k, &v), "flow entry missing");
	TAP_EQ(v.packets, 1);
	TAP_EQ(v.ended, 0);
	tap_end();

	tap_begin("fl_cls_eg tcp: on a server's side, a SYN-ACK on an ended tuple starts a new flow too");
	run(FL_PROG_CLS_EG, &fin, fin.len);
	fx_events_clear(&F);
	run(FL_PROG_CLS_EG, &synack, synack.len);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 1);
	if (F.n_ev >= 1)
		TAP_EQ(F.ev[0].kind, FL_EV_FLOW_NEW);
	TAP_TRUE(flow_present(&k, &v), "flow entry missing");
	TAP_EQ(v.packets, 1);
	TAP_EQ(v.ended, 0);
	tap_end();

	tap_begin("fl_tcx_eg tcp: an RST as first packet gives NEW then END (RST), the entry marked ended");
	setup(0);
	s.sport = SPORT + 1;
	s.tcp_flags = PKT_TCP_RST;
	pkt_build(&rst, &s);
	k = key_of(&s, FL_DIR_EGRESS, 1);
	run_read(FL_PROG_TCX_EG, &rst, &t0, &t1);
	TAP_EQ(F.n_ev_total, 2);
	if (F.n_ev >= 2) {
		check_event(&F.ev[0], &(struct want_ev){ FL_EV_FLOW_NEW, 0, cg, 1, IPB(rst), 0 }, &k,
			    t0, t1);
		check_event(&F.ev[1], &(struct want_ev){ FL_EV_FLOW_END, FL_END_RST, cg, 1,
							  IPB(rst), 0 }, &k, t0, t1);
	}
	TAP_TRUE(flow_present(&k, &v) && v.ended == 1, "no entry marked ended after RST");
	tap_end();

	tap_begin("fl_xdp_in tcp: a dropped RST+FIN ends as RST with drops counted");
	setup(FL_PROB_ONE);
	s.sport = SPORT + 2;
	s.tcp_flags = PKT_TCP_ACK;
	pkt_build(&ack, &s);
	s.tcp_flags = PKT_TCP_RST | PKT_TCP_FIN;
	pkt_build(&rst, &s);
	k = key_of(&s, FL_DIR_INGRESS, 1);
	run(FL_PROG_XDP_IN, &ack, ack.len);
	run_read(FL_PROG_XDP_IN, &rst, &t0, &t1);
	TAP_EQ(F.n_ev_total, 2);
	if (F.n_ev >= 2)
		check_event(&F.ev[1], &(struct want_ev){ FL_EV_FLOW_END, FL_END_RST, 0, 2,
							  2 * IPB(rst), 2 }, &k, t0, t1);
	TAP_TRUE(flow_present(&k, &v) && v.ended == 1, "no entry marked ended after RST");
	tap_end();

	tap_begin("fl_cls_eg udp: a packet 100 ms later gives a SNAPSHOT with the totals");
	k = key_of(&u100, FL_DIR_EGRESS, 1);
	pkt_build(&p, &u100);
	run_after(&p, 0, 2, 110, &t0, &t1);
	run(FL_PROG_CLS_EG, &p, p.len);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 2);
	if (F.n_ev >= 2)
		check_event(&F.ev[1], &(struct want_ev){ FL_EV_FLOW_SNAPSHOT, 0, cg, 3,
							  3 * IPB(p), 0 }, &k, t0, t1);
	tap_end();

	tap_begin("fl_cls_eg udp: dropped, 20 ms later a SNAPSHOT (passed: none before 100 ms)");
	/* passed: the packet 20 ms on gives no snapshot */
	run_after(&p, 0, 1, 20, &t0, &t1);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 1);
	/* dropped: a condition on faults.dropped must not wait 100 ms */
	run_after(&p, FL_PROB_ONE, 1, 20, &t0, &t1);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 2);
	if (F.n_ev >= 2)
		check_event(&F.ev[1], &(struct want_ev){ FL_EV_FLOW_SNAPSHOT, 0, cg, 2,
							  2 * IPB(p), 2 }, &k, t0, t1);
	tap_end();
}

static void test_attribution(void)
{
	struct pkt_spec frag = V4(UDP, .frag_off = 100, .payload = 16);
	struct pkt_spec udp = V4(UDP);
	struct fl_flow_key k;
	__u32 rid = RID;
	struct pkt p;
	__u64 t0, t1;

	tap_begin("fl_cls_eg ipv4 non-first fragment: a flow with ports 0");
	pkt_build(&p, &frag);
	k = key_of(&frag, FL_DIR_EGRESS, 0);
	setup(0);
	run_read(FL_PROG_CLS_EG, &p, &t0, &t1);
	TAP_EQ(F.n_ev_total, 1);
	if (F.n_ev >= 1)
		check_event(&F.ev[0], &(struct want_ev){ FL_EV_FLOW_NEW, 0, fx_cg.target_id, 1,
							  IPB(p), 0 }, &k, t0, t1);
	tap_end();

	tap_begin("fl_cls_eg nested: a parent target records its own cgroup id");
	pkt_build(&p, &udp);
	k = key_of(&udp, FL_DIR_EGRESS, 1);
	setup(0);
	fx_clear_hash(bpf_map__fd(F.skel->maps.fl_targets), sizeof(__u64));
	fx_target(&F, fx_cg.base_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.base_level, 1);
	run_read(FL_PROG_CLS_EG, &p, &t0, &t1);
	TAP_EQ(F.n_ev_total, 1);
	if (F.n_ev >= 1)
		check_event(&F.ev[0], &(struct want_ev){ FL_EV_FLOW_NEW, 0, fx_cg.base_id, 1,
							  IPB(p), 0 }, &k, t0, t1);
	tap_end();

	tap_begin("fl_cls_eg / fl_xdp_in: no record for a packet that is not a target's");
	setup(FL_PROB_ONE);
	fx_clear_hash(bpf_map__fd(F.skel->maps.fl_targets), sizeof(__u64));
	fx_clear_hash(bpf_map__fd(F.skel->maps.fl_owned), sizeof(struct fl_addr));
	fx_target(&F, fx_cg.other_id, TID, &rid, 1, 0);
	run(FL_PROG_CLS_EG, &p, p.len);
	run(FL_PROG_XDP_IN, &p, p.len);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 0);
	tap_end();

	tap_begin("fl_cls_eg / fl_xdp_in: no record for a truncated packet");
	setup(0);
	run(FL_PROG_CLS_EG, &p, p.l4_end - 1);
	run(FL_PROG_XDP_IN, &p, p.l4_end - 1);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 0);
	TAP_EQ(bpf_map_get_next_key(bpf_map__fd(F.skel->maps.fl_flows), NULL, &k), -ENOENT);
	tap_end();

	tap_begin("fl_cls_eg disarmed and past the deadline: no record");
	setup(0);
	F.ctl->armed = 0;
	run(FL_PROG_CLS_EG, &p, p.len);
	F.ctl->armed = 1;
	F.ctl->deadline_ns = fx_now_coarse() - 1;
	run(FL_PROG_CLS_EG, &p, p.len);
	fx_events(&F);
	TAP_EQ(F.n_ev_total, 0);
	tap_end();
}

int main(void)
{

	if (fx_tap_start(&F, "fl_bt", ALL_PROGS))
		return 1;
	test_new();
	test_lifecycle();
	test_attribution();
	fx_close(&F);
	return tap_done();
}
