// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* In-kernel breakers, through BPF_PROG_TEST_RUN with the loader's own plan
 * (fl_brk_plan) installed as the engine installs it:
 *  - the packet that crosses the threshold trips the breaker: the armed
 *    flag is cleared by the program itself, a FL_EV_BREAKER record carries
 *    the condition, the target and the value, trippedAt <= disarmedAt; the
 *    packets before the crossing are dropped, the crossing one too (it is
 *    the event that was counted), every one after it passes;
 *  - "above N" trips at N + 1 events and "atLeast N" at N, on each of the
 *    entry points that count drops (XDP, tc ingress, tcx and clsact egress,
 *    cgroup ingress);
 *  - window edges: events older than the window no longer count, events
 *    inside it do (a 200 ms window);
 *  - packets.out counts passed packets too; http.responses.5xx counts the
 *    500 status lines the egress program sees and not the 200 ones;
 *  - another target's events are its own: target 2's drops do not trip
 *    target 1's breaker. (On tc egress: on 6.1 and 6.12 a cgroup_skb test
 *    run's packet is no cgroup's, so fl_cg_in sees no target there.)
 */
#include <netinet/in.h>

#include "breaker.h"
#include "fixture.h"
#include "pkt.h"
#include "tap_start.h"

#define ALL_PROGS	((1u << FL_PROG_MAX) - 1)
#define RID		0
#define TID		1
#define COND		3	/* any index: the record must carry it back */

static struct fx F;

static __u32 setup(enum fl_signal sig, enum fl_cmp cmp, double threshold, __u64 window_ns,
		   __u64 prob, int observe)
{
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .proto = FL_PROTO_ANY, .drop_prob = prob };
	struct fl_condition c[COND + 1] = {};
	struct fl_brk_plan plan[COND + 1];
	struct fl_addr a;
	struct fl_brk_state zero = {};
	__u32 rid = RID, k;

	fx_reset(&F);
	fx_rule(&F, RID, &r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	pkt_addr("198.18.0.2", &a);
	fx_owned(&F, &a, TID, &rid, 1, 0);
	for (k = 0; k < FL_MAX_BREAKERS * FL_BRK_MAX_TARGETS; k++)
		bpf_map_update_elem(bpf_map__fd(F.skel->maps.fl_brk), &k, &zero, BPF_ANY);
	/* conditions before COND are of a kind the kernel does not judge */
	for (k = 0; k < COND; k++) {
		c[k].signal = FL_SIG_TCP_RTT_P99;
		c[k].cmp = FL_CMP_ABOVE;
		c[k].threshold = 1e9;
		c[k].window_ns = window_ns;
	}
	c[COND].signal = sig;
	c[COND].cmp = cmp;
	c[COND].threshold = threshold;
	c[COND].window_ns = window_ns;
	fl_brk_plan(c, COND + 1, 2, plan);
	F.ctl->observe = observe;
	F.ctl->n_brk = 0;
	F.ctl->brk_mask = 0;
	if (!plan[COND].kernel)
		return 0;
	F.ctl->brk[0] = plan[COND].cfg;
	F.ctl->brk_mask = 1u << plan[COND].cfg.ev;
	F.ctl->n_brk = 1;
	return (__u32)plan[COND].cfg.trip_at;
}

static void brk_state(__u32 target, struct fl_brk_state *st)
{
	__u32 key = target;	/* breaker 0 */

	memset(st, 0xff, sizeof(*st));
	bpf_map_lookup_elem(bpf_map__fd(F.skel->maps.fl_brk), &key, st);
}

static const struct fl_event *breaker_record(void)
{
	int i;

	fx_events(&F);
	for (i = 0; i < F.n_ev; i++)
		if (F.ev[i].kind == FL_EV_BREAKER)
			return &F.ev[i];
	return NULL;
}

static void udp(struct pkt *pk)
{
	struct pkt_spec s = { .family = 4, .src = "198.18.0.1", .dst = "198.18.0.2",
			      .proto = IPPROTO_UDP, .sport = 40000, .dport = 5201, .payload = 64 };

	pkt_build(pk, &s);
}

/* Each packet's verdict until the breaker trips at the trip_at-th drop. */
static void check_trip(enum fl_prog prog, enum fl_cmp cmp, double threshold, __u32 want_at)
{
	const struct fx_codes *code = &fx_code[prog];
	const struct fl_event *e;
	struct fl_brk_state st;
	__u32 at, i, ret;
	struct pkt pk;

	tap_begin("%s: faults.dropped %s %g trips at drop %u; the next packet passes", code->name,
		  fl_cmp_name(cmp), threshold, want_at);
	udp(&pk);
	at = setup(FL_SIG_FAULTS_DROPPED, cmp, threshold, 10000000000ULL, FL_PROB_ONE, 0);
	TAP_EQ(at, want_at);
	for (i = 1; i <= at; i++) {
		ret = 0;
		TAP_EQ(fx_run(&F, prog, pk.data, pk.len, 1, &ret, NULL), 0);
		TAP_EQ(ret, code->drop);
		TAP_EQ(F.ctl->armed, i < at ? 1u : 0u);
	}
	ret = 0;
	TAP_EQ(fx_run(&F, prog, pk.data, pk.len, 1, &ret, NULL), 0);
	TAP_EQ(ret, code->pass);
	brk_state(TID, &st);
	TAP_EQ(st.value, at);
	TAP_TRUE(st.tripped_ns && st.tripped_ns <= st.disarmed_ns,
		 "tripped %llu, disarmed %llu", (unsigned long long)st.tripped_ns,
		 (unsigned long long)st.disarmed_ns);
	e = breaker_record();
	TAP_TRUE(e != NULL, "a FL_EV_BREAKER record");
	if (e) {
		TAP_EQ(e->sig, COND);
		TAP_EQ(e->key.target_id, TID);
		TAP_EQ(e->value, at);
		TAP_EQ(e->ts_ns, st.tripped_ns);
		TAP_EQ(e->at_ns, st.disarmed_ns);
		tap_diag("crossing to armed flag cleared: %llu ns",
			 (unsigned long long)(e->at_ns - e->ts_ns));
	}
	tap_end();
}

static void drops(__u32 n)
{
	struct pkt pk;
	__u32 i;

	udp(&pk);
	for (i = 0; i < n; i++)
		fx_run(&F, FL_PROG_TCX_EG, pk.data, pk.len, 1, NULL, NULL);
}

static void check_window(void)
{
	struct fl_brk_state st;
	__u32 at;

	tap_begin("tcx egress: faults.dropped > 4 over 200 ms: drops older than the window no longer count");
	at = setup(FL_SIG_FAULTS_DROPPED, FL_CMP_ABOVE, 4, 200000000ULL, FL_PROB_ONE, 0);
	TAP_EQ(at, 5u);
	drops(4);
	/* past the window and one bucket (at most 1/16 of it) */
	usleep(260000);
	drops(4);
	brk_state(TID, &st);
	TAP_EQ(st.sum, 4u);
	TAP_EQ(st.tripped_ns, 0u);
	TAP_EQ(F.ctl->armed, 1u);
	drops(1);
	brk_state(TID, &st);
	TAP_EQ(st.value, 5u);
	TAP_EQ(F.ctl->armed, 0u);
	tap_end();

	tap_begin("tcx egress: faults.dropped > 4 over 200 ms: drops inside the window count");
	setup(FL_SIG_FAULTS_DROPPED, FL_CMP_ABOVE, 4, 200000000ULL, FL_PROB_ONE, 0);
	drops(4);
	/* well inside: the window spans at least 200 ms less one bucket */
	usleep(100000);
	TAP_EQ(F.ctl->armed, 1u);
	drops(1);
	brk_state(TID, &st);
	TAP_EQ(st.value, 5u);
	TAP_EQ(F.ctl->armed, 0u);
	tap_end();
}

static void check_packets(void)
{
	struct fl_brk_state st;
	struct pkt pk;
	__u32 i, ret;

	tap_begin("tcx egress: packets.out > 9 counts packets that pass: the 10th disarms");
	udp(&pk);
	setup(FL_SIG_PACKETS_OUT, FL_CMP_ABOVE, 9, 10000000000ULL, 0, 0);
	for (i = 1; i <= 10; i++) {
		TAP_EQ(fx_run(&F, FL_PROG_TCX_EG, pk.data, pk.len, 1, &ret, NULL), 0);
		TAP_EQ(F.ctl->armed, i < 10 ? 1u : 0u);
	}
	brk_state(TID, &st);
	TAP_EQ(st.value, 10u);
	tap_end();
}

static void check_http(void)
{
	struct pkt_spec s = { .family = 4, .src = "198.18.0.1", .dst = "198.18.0.2",
			      .proto = IPPROTO_TCP, .sport = 8080, .dport = 40000,
			      .tcp_flags = 0x18, .payload = 64 };
	struct fl_brk_state st;
	struct pkt ok, err;
	__u32 at, i;

	tap_begin("tcx egress: http.responses.5xx > 1: two 500s trip it, 200s do not count");
	pkt_build(&ok, &s);
	pkt_build(&err, &s);
	memcpy(ok.data + ok.l4_end, "HTTP/1.1 200 OK\r\n", 17);
	memcpy(err.data + err.l4_end, "HTTP/1.1 500 Internal", 21);
	at = setup(FL_SIG_HTTP_RESPONSES_5XX, FL_CMP_ABOVE, 1, 10000000000ULL, 0, 1);
	TAP_EQ(at, 2u);
	for (i = 0; i < 5; i++)
		fx_run(&F, FL_PROG_TCX_EG, ok.data, ok.len, 1, NULL, NULL);
	fx_run(&F, FL_PROG_TCX_EG, err.data, err.len, 1, NULL, NULL);
	TAP_EQ(F.ctl->armed, 1u);
	fx_run(&F, FL_PROG_TCX_EG, err.data, err.len, 1, NULL, NULL);
	TAP_EQ(F.ctl->armed, 0u);
	brk_state(TID, &st);
	TAP_EQ(st.value, 2u);
	tap_end();
}

static void check_other_target(void)
{
	struct fl_brk_state st;
	struct pkt pk;
	__u32 rid = RID, i;

	tap_begin("tcx egress: each target has its own window: target 2's drops trip its own breaker, not target 1's");
	udp(&pk);
	setup(FL_SIG_FAULTS_DROPPED, FL_CMP_ABOVE, 4, 10000000000ULL, FL_PROB_ONE, 0);
	/* the test process's cgroup is now target 2 */
	fx_target(&F, fx_cg.target_id, 2, &rid, 1, 0);
	for (i = 0; i < 4; i++)
		fx_run(&F, FL_PROG_TCX_EG, pk.data, pk.len, 1, NULL, NULL);
	TAP_EQ(F.ctl->armed, 1u);
	brk_state(TID, &st);
	TAP_EQ(st.sum, 0u);
	brk_state(2, &st);
	TAP_EQ(st.sum, 4u);
	fx_run(&F, FL_PROG_TCX_EG, pk.data, pk.len, 1, NULL, NULL);
	brk_state(2, &st);
	TAP_EQ(st.value, 5u);
	TAP_EQ(F.ctl->armed, 0u);
	brk_state(TID, &st);
	TAP_EQ(st.tripped_ns, 0u);
	tap_end();
}

int main(void)
{
	if (fx_tap_start(&F, "fl_bk", ALL_PROGS))
		return 1;
	check_trip(FL_PROG_TCX_EG, FL_CMP_ABOVE, 4, 5);
	check_trip(FL_PROG_TCX_EG, FL_CMP_AT_LEAST, 3, 3);
	check_trip(FL_PROG_CLS_EG, FL_CMP_ABOVE, 2.5, 3);
	check_trip(FL_PROG_CLS_EG, FL_CMP_AT_LEAST, 2.5, 3);
	check_trip(FL_PROG_XDP_IN, FL_CMP_ABOVE, 0, 1);
	check_trip(FL_PROG_TC_IN, FL_CMP_AT_LEAST, 1, 1);
	check_window();
	check_packets();
	check_http();
	check_other_target();
	fx_close(&F);
	return tap_done();
}
