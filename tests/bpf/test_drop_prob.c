// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The drop probability, counted over many BPF_PROG_TEST_RUN repetitions
 * by the rule's own counters: 0 % and 100 % exactly, anything between
 * inside five standard deviations of the binomial count. The datapath
 * drops when bpf_get_prandom_u32() < drop_prob, so the exact probability
 * is drop_prob / 2^32.
 */
#include <math.h>
#include <netinet/in.h>

#include "fixture.h"
#include "pkt.h"
#include "tap_start.h"

#define ALL_PROGS	((1u << FL_PROG_MAX) - 1)
#define RID		0
#define TID		1
#define RUNS		1000000u
#define RUNS_RARE	4000000u	/* 0.01 %: about 400 drops, 5 sigma = 100 */

static struct fx F;

static void setup(__u64 prob)
{
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .proto = FL_PROTO_UDP, .n_ports = 1,
			     .ports = { 5201 }, .drop_prob = prob };
	struct fl_addr a;
	__u32 rid = RID;

	fx_reset(&F);
	fx_rule(&F, RID, &r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	pkt_addr("198.18.0.2", &a);
	fx_owned(&F, &a, TID, &rid, 1, 0);
}

static void check_prob(enum fl_prog prog, double pct, __u32 runs)
{
	struct pkt_spec s = { .family = 4, .src = "198.18.0.1", .dst = "198.18.0.2",
			      .proto = IPPROTO_UDP, .sport = 40000, .dport = 5201,
			      .payload = 64 };
	__u64 prob = fl_percent_to_prob(pct);
	double p = (double)prob / (double)FL_PROB_ONE;
	double mean = p * runs, sd = sqrt(runs * p * (1 - p));
	__u32 dir = fx_code[prog].dir, ret = 0;
	struct fl_rule_stats t[FL_DIR_MAX];
	struct fl_stats st[FL_DIR_MAX];
	struct pkt pk;

	tap_begin("%s drop %g %%: %u runs, dropped within 5 sigma of %.1f", fx_code[prog].name,
		  pct, runs, mean);
	pkt_build(&pk, &s);
	setup(prob);
	TAP_EQ(fx_run(&F, prog, pk.data, pk.len, runs, &ret, NULL), 0);
	fx_rule_stats(&F, RID, t);
	fx_stats(&F, st);
	TAP_EQ(t[dir].seen, runs);
	TAP_EQ(t[dir].matched, runs);
	TAP_EQ(st[dir].target_packets, runs);
	TAP_EQ(st[dir].drop_reason[FL_DROP_FAULT], t[dir].dropped);
	if (prob == 0 || prob >= FL_PROB_ONE) {
		TAP_EQ(t[dir].dropped, prob ? runs : 0);
		/* with repeat, the verdict returned is the last run's */
		TAP_EQ(ret, prob ? fx_code[prog].drop : fx_code[prog].pass);
	} else {
		double dev = ((double)t[dir].dropped - mean) / sd;

		TAP_TRUE(fabs(dev) <= 5.0, "dropped %llu, expected %.1f +- %.1f (%.2f sigma)",
			 (unsigned long long)t[dir].dropped, mean, sd, dev);
		tap_diag("dropped %llu of %u: %.5f %%, %+.2f sigma",
			 (unsigned long long)t[dir].dropped, runs,
			 100.0 * t[dir].dropped / runs, dev);
	}
	tap_end();
}

int main(void)
{
	static const enum fl_prog progs[] = { FL_PROG_CLS_EG, FL_PROG_TCX_EG, FL_PROG_XDP_IN,
					      FL_PROG_TC_IN, FL_PROG_CG_IN };
	size_t i;

	if (fx_tap_start(&F, "fl_bt", ALL_PROGS))
		return 1;
	check_prob(FL_PROG_CLS_EG, 0, RUNS);
	check_prob(FL_PROG_CLS_EG, 100, RUNS);
	check_prob(FL_PROG_CLS_EG, 0.01, RUNS_RARE);
	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		check_prob(progs[i], 30, RUNS);
	check_prob(FL_PROG_TCX_EG, 0, RUNS);
	check_prob(FL_PROG_TCX_EG, 100, RUNS);
	check_prob(FL_PROG_XDP_IN, 100, RUNS);
	check_prob(FL_PROG_CG_IN, 100, RUNS);
	fx_close(&F);
	return tap_done();
}
