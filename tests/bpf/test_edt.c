// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Departure times at tc egress, through BPF_PROG_TEST_RUN: a rate limit
 * spaces a flow's packets by exactly one slot and, once its queue holds
 * FL_RATE_QUEUE_NS of departures, drops the rest without moving its clock;
 * a delay sends a copy due at now + delay and drops the original, and the
 * copy's second pass gets its time and mark back; jitter keeps a flow's
 * departures monotonic unless the rule allows reordering; a departure past
 * FL_HORIZON_NS is dropped and counted.
 *
 * bpf_clone_redirect() really transmits the copy, on the test run's
 * device: the test runs in a network namespace of its own, on its
 * loopback, so nothing reaches the host's network.
 */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <sched.h>

#include "fixture.h"
#include "pkt.h"
#include "tap_start.h"

#define RID		0
#define TID		1
#define MS		1000000ULL

static struct fx F;

static void setup(const struct fl_rule *r)
{
	__u32 rid = RID;

	fx_reset(&F);
	fx_rule(&F, RID, r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
}

static void udp_pkt(struct pkt *p, __u16 sport)
{
	struct pkt_spec s = { .family = 4, .src = "198.18.0.1", .dst = "198.18.0.2",
			      .proto = IPPROTO_UDP, .sport = sport, .dport = 5201,
			      .payload = 64 };

	pkt_build(p, &s);
}

/* One run with @mark; the verdict, and the skb's tstamp and mark after it. */
static int run1(enum fl_prog prog, const struct pkt *p, __u32 mark, __u32 *ret, __u64 *tstamp,
		__u32 *mark_out)
{
	struct __sk_buff in = { .mark = mark }, out = {};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->data, .data_size_in = p->len,
		    .ctx_in = &in, .ctx_size_in = sizeof(in), .ctx_out = &out,
		    .ctx_size_out = sizeof(out), .repeat = 1);
	int rc = bpf_prog_test_run_opts(F.prog_fd[prog], &o);

	*ret = o.retval;
	if (tstamp)
		*tstamp = out.tstamp;
	if (mark_out)
		*mark_out = out.mark;
	return rc;
}

/* The departure time the last first pass left for its copy (this CPU). */
static __u64 pending_tstamp(void)
{
	struct {
		__u64 tstamp;
		__u32 mark, pad;
	} v[F.ncpu];
	__u32 k = 0;
	int cpu = sched_getcpu();

	if (bpf_map_lookup_elem(bpf_map__fd(F.skel->maps.fl_scratch), &k, v) || cpu < 0 ||
	    cpu >= F.ncpu)
		return 0;
	return v[cpu].tstamp;
}

static __u64 rate_clock(void)
{
	struct fl_rule_state rs = {};
	__u32 k = RID;

	bpf_map_lookup_elem(bpf_map__fd(F.skel->maps.fl_rule_state), &k, &rs);
	return rs.rate_next_ns;
}

static void test_rate_slots(enum fl_prog prog)
{
	/* 100 ms slots: back-to-back runs stay inside one even under emulation */
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .proto = FL_PROTO_UDP,
			     .rate_unit = FL_RATE_PPS, .rate = 10 };
	__u64 t[5], before;
	__u32 ret, i;
	struct pkt p;
	int bad = 0;

	tap_begin("%s rate 10 pps: back-to-back packets leave 100 ms apart, on the packet itself",
		  fx_code[prog].name);
	setup(&r);
	udp_pkt(&p, 40000);
	before = fx_now();
	for (i = 0; i < 5; i++) {
		TAP_EQ(run1(prog, &p, 0, &ret, &t[i], NULL), 0);
		bad += ret != fx_code[prog].pass;
	}
	TAP_EQ(bad, 0);
	TAP_TRUE(t[0] >= before && t[0] <= fx_now(), "first departure %llu is not now",
		 (unsigned long long)t[0]);
	for (i = 1; i < 5; i++)
		TAP_EQ(t[i] - t[i - 1], 100 * MS);
	tap_end();
}

static void test_rate_queue(enum fl_prog prog)
{
	/* 10 ms slots: a queue of 1 s is 100 of them, and the loop below
	 * frees one slot for every 10 ms it takes
	 */
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .proto = FL_PROTO_UDP,
			     .rate_unit = FL_RATE_PPS, .rate = 100 };
	__u32 ret, i, paced = 0, dropped = 0, other = 0, first_drop = 0;
	struct fl_stats st[FL_DIR_MAX];
	__u64 start, end, clock;
	struct pkt p;

	tap_begin("%s rate 100 pps: a queue of 1 s is full after about 100 packets; the rest are dropped, counted, and do not move the clock",
		  fx_code[prog].name);
	setup(&r);
	udp_pkt(&p, 40001);
	start = fx_now();
	for (i = 0; i < 300; i++) {
		TAP_EQ(run1(prog, &p, 0, &ret, NULL, NULL), 0);
		if (ret == fx_code[prog].pass) {
			paced++;
		} else if (ret == fx_code[prog].drop) {
			if (!dropped++)
				first_drop = i;
		} else {
			other++;
		}
	}
	end = fx_now();
	clock = rate_clock();
	fx_stats(&F, st);
	TAP_EQ(other, 0);
	TAP_TRUE(paced >= 100 && paced <= 102 + (end - start) / (10 * MS),
		 "%u paced in %.1f ms", paced, (end - start) / 1e6);
	TAP_TRUE(dropped > 0 && first_drop >= 100, "%u dropped, the first at packet %u", dropped,
		 first_drop);
	TAP_EQ(st[FL_DIR_EGRESS].drop_reason[FL_DROP_RATE_QUEUE], dropped);
	TAP_EQ(st[FL_DIR_EGRESS].drop_reason[FL_DROP_HORIZON], 0);
	TAP_TRUE(clock <= end + FL_RATE_QUEUE_NS + 10 * MS,
		 "the clock ran %.1f ms past now + 1 s", ((double)clock - end - FL_RATE_QUEUE_NS) / 1e6);
	tap_diag("%u paced, %u dropped in %.1f ms", paced, dropped, (end - start) / 1e6);
	tap_end();
}

static void test_delay(enum fl_prog prog)
{
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .proto = FL_PROTO_UDP,
			     .delay_ns = 20 * MS };
	struct fl_stats st[FL_DIR_MAX];
	__u32 ret, mark = 0;
	__u64 before, after, due, ts = 0;
	struct pkt p;

	tap_begin("%s delay 20 ms: the original is dropped silently, its copy is due in 20 ms, and the copy's second pass passes with its time and mark",
		  fx_code[prog].name);
	setup(&r);
	udp_pkt(&p, 40002);
	before = fx_now();
	TAP_EQ(run1(prog, &p, 0x1234, &ret, NULL, &mark), 0);
	after = fx_now();
	TAP_EQ(ret, fx_code[prog].drop);
	TAP_EQ(mark, 0x1234);	/* the original keeps its mark */
	due = pending_tstamp();
	TAP_TRUE(due >= before + 20 * MS && due <= after + 20 * MS,
		 "due %.3f ms after the run", ((double)due - before) / 1e6);
	fx_stats(&F, st);
	TAP_EQ(st[FL_DIR_EGRESS].delayed, 1);
	TAP_EQ(st[FL_DIR_EGRESS].drop_reason[FL_DROP_CLONE], 0);
	TAP_EQ(run1(prog, &p, FL_EDT_MARK, &ret, &ts, &mark), 0);
	TAP_EQ(ret, fx_code[prog].pass);
	TAP_EQ(ts, due);
	TAP_EQ(mark, 0x1234);
	fx_stats(&F, st);
	TAP_EQ(st[FL_DIR_EGRESS].target_packets, 1);	/* the copy is not counted again */
	tap_end();
}

/* @n first passes of one flow under 20 ms +- 10 ms uniform jitter: how many
 * departures were earlier than the one before.
 */
static __u32 jitter_inversions(enum fl_prog prog, int reorder, __u32 n)
{
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .proto = FL_PROTO_UDP,
			     .delay_ns = 20 * MS, .jitter_ns = 10 * MS,
			     .dist = FL_DIST_UNIFORM, .reorder = reorder };
	__u64 last = 0, t;
	__u32 i, ret, inv = 0;
	struct pkt p;

	setup(&r);
	udp_pkt(&p, 40003);
	for (i = 0; i < n; i++) {
		if (run1(prog, &p, 0, &ret, NULL, NULL) || ret != fx_code[prog].drop)
			return ~0u;
		t = pending_tstamp();
		inv += t < last;
		last = t;
	}
	return inv;
}

static void test_jitter_order(enum fl_prog prog)
{
	__u32 inv;

	tap_begin("%s jitter: 200 departures of a flow never go backwards by default",
		  fx_code[prog].name);
	inv = jitter_inversions(prog, 0, 200);
	TAP_EQ(inv, 0);
	tap_end();
	tap_begin("%s jitter with reorder: departures of a flow go backwards",
		  fx_code[prog].name);
	inv = jitter_inversions(prog, 1, 200);
	/* back-to-back draws from 20 +- 10 ms: about half go backwards */
	TAP_TRUE(inv >= 50 && inv != ~0u, "%u of 200 went backwards", inv);
	tap_diag("with reorder, %u of 200 departures were earlier than the one before", inv);
	tap_end();
}

static void test_horizon(enum fl_prog prog)
{
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .proto = FL_PROTO_UDP,
			     .delay_ns = FL_HORIZON_NS + MS };
	struct fl_stats st[FL_DIR_MAX];
	struct pkt p;
	__u32 ret;

	tap_begin("%s a departure past the %llu s horizon is dropped and counted, no copy made",
		  fx_code[prog].name, FL_HORIZON_NS / 1000000000ULL);
	setup(&r);
	udp_pkt(&p, 40004);
	TAP_EQ(run1(prog, &p, 0, &ret, NULL, NULL), 0);
	TAP_EQ(ret, fx_code[prog].drop);
	fx_stats(&F, st);
	TAP_EQ(st[FL_DIR_EGRESS].drop_reason[FL_DROP_HORIZON], 1);
	TAP_EQ(st[FL_DIR_EGRESS].delayed, 0);
	tap_end();
}

int main(void)
{
	static const enum fl_prog progs[] = { FL_PROG_TCX_EG, FL_PROG_CLS_EG };
	cpu_set_t cpus;
	size_t i;

	/* one CPU: the pending departure is per CPU */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (fx_tap_start(&F, "fl_edt", (1u << FL_PROG_TCX_EG) | (1u << FL_PROG_CLS_EG)))
		return 1;
	if (fx_private_netns()) {
		printf("Bail out! a network namespace of its own with lo up: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		test_rate_slots(progs[i]);
		test_rate_queue(progs[i]);
		test_delay(progs[i]);
		test_jitter_order(progs[i]);
		test_horizon(progs[i]);
	}
	fx_close(&F);
	return tap_done();
}
