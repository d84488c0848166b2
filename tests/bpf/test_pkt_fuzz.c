// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Random and mutated frames through every entry point, by
 * BPF_PROG_TEST_RUN: whole random frames, and frames built by pkt.h then
 * cut short, given wrong IP lengths and header lengths, stacked with more
 * VLAN tags than the parser follows, IPv6 extension chains up to 16 long,
 * fragments, and flipped bytes. Three worlds, each case one program:
 *
 *  - bystander: the only target is a sibling cgroup and an address no
 *    frame is sent to, with a 100 % drop rule. Every frame passes, out
 *    byte for byte as it went in, and no counter moves.
 *  - target, 0 %: our cgroup and the frames' destination are the target,
 *    its one rule matches everything and drops nothing. Every frame passes
 *    unchanged; the counters add up (below).
 *  - target, 100 %: the same rule drops all. A frame passes unchanged
 *    (one the parser gives up on) or is dropped, and the drops counted
 *    equal the drops returned.
 *
 * The counters add up: a frame that reaches the decision is counted once
 * as parse_skipped or as a target packet, never both; the rule saw and
 * matched every target packet, its bytes are the target bytes, and its
 * drops are the fault drops are the drop verdicts. At the cgroup hooks
 * every frame reaches the decision (the target is known before parsing).
 *
 * The frames come from a fixed seed, so a run is repeatable: a failure
 * prints the case and the frame's index. FL_PKT_FUZZ_N is the number of
 * test runs in all (default 1050000; 'make stress' runs 10500000),
 * FL_PKT_FUZZ_SEED another seed.
 */
#include <netinet/in.h>

#include "fixture.h"
#include "pkt.h"
#include "tap_start.h"

#define ALL_PROGS	((1u << FL_PROG_MAX) - 1)
#define RID		0
#define TID		1
#define N_DEFAULT	1050000
#define BIG		(PKT_MAX + 64)	/* a frame may grow by inserted tags */

static const enum fl_prog progs[] = { FL_PROG_XDP_IN, FL_PROG_TC_IN, FL_PROG_TCX_PIN,
				      FL_PROG_CLS_PIN, FL_PROG_TCX_EG, FL_PROG_CLS_EG,
				      FL_PROG_CG_IN };
#define N_PROGS (sizeof(progs) / sizeof(progs[0]))

enum world { BYSTANDER, TARGET_0, TARGET_100, N_WORLDS };
static const char *world_name[] = { "bystander", "target 0 %", "target 100 %" };

static struct fx F;
static __u64 rng;

static __u32 rnd(void)
{
	/* xorshift64*: fast, and the same sequence on every machine */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (__u32)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static __u32 rnd_n(__u32 n)
{
	return n ? rnd() % n : 0;
}

static int is_cgroup_prog(enum fl_prog p)
{
	return p == FL_PROG_TCX_EG || p == FL_PROG_CLS_EG || p == FL_PROG_CG_IN;
}

/* Put a VLAN tag in front of the ethertype, as many times as asked. */
static void add_vlans(__u8 *d, __u32 *len, int n)
{
	while (n-- > 0 && *len >= 14 && *len + 4 <= BIG) {
		memmove(d + 16, d + 12, *len - 12);
		pkt_put16(d + 12, rnd_n(2) ? PKT_ETH_P_8021Q : PKT_ETH_P_8021AD);
		pkt_put16(d + 14, rnd_n(4096));
		*len += 4;
	}
}

/* Destination options headers in front of what follows the fixed IPv6
 * header at @l3, @n of them: chains longer than pkt.h builds (and than
 * the parser walks).
 */
static void add_ext_chain(__u8 *d, __u32 *len, __u32 l3, int n)
{
	__u32 at = l3 + 40, grow = 8 * n;
	int i;

	if (*len < at || *len + grow > BIG)
		return;
	memmove(d + at + grow, d + at, *len - at);
	for (i = 0; i < n; i++) {
		__u8 *h = d + at + 8 * i;

		memset(h, 0, 8);	/* Pad1 options */
		h[0] = i + 1 < n ? 60 : d[l3 + 6];
	}
	d[l3 + 6] = 60;
	pkt_put16(d + l3 + 4, ((d[l3 + 4] << 8) | d[l3 + 5]) + grow);
	*len += grow;
}

/* A frame built from a random spec and then broken in random ways. */
static void gen_mutated(__u8 *d, __u32 *len)
{
	static const __u8 exts[] = { 0, 43, 44, 60 };
	static const char *src4[] = { "198.18.0.1", "198.18.1.7" };
	static const char *src6[] = { "2001:db8::1", "2001:db8::77" };
	static const char *dst4[] = { "198.18.0.2", "198.18.0.2", "198.18.0.2", "198.18.0.9" };
	static const char *dst6[] = { "2001:db8::2", "2001:db8::2", "2001:db8::2", "2001:db8::9" };
	struct pkt_spec s = { 0 };
	struct pkt p;
	__u32 l3, m, k;
	int v6;

	s.family = rnd_n(12) ? (rnd_n(2) ? 4 : 6) : 0;
	v6 = s.family == 6;
	if (!s.family)
		s.ethertype = rnd_n(2) ? PKT_ETH_P_ARP : rnd();
	switch (rnd_n(4)) {
	case 0: s.proto = IPPROTO_TCP; s.tcp_flags = rnd(); break;
	case 1: s.proto = IPPROTO_UDP; break;
	default: s.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP; s.icmp_type = rnd(); break;
	}
	s.src = v6 ? src6[rnd_n(2)] : src4[rnd_n(2)];
	s.dst = v6 ? dst6[rnd_n(4)] : dst4[rnd_n(4)];
	s.sport = rnd();
	s.dport = rnd();
	s.vlans = rnd_n(3);
	if (!v6)
		s.ip_opt_words = rnd_n(3) ? 0 : rnd_n(11);
	if (v6) {
		s.n_ext = rnd_n(PKT_MAX_EXT + 1);
		for (k = 0; k < (__u32)s.n_ext; k++)
			s.ext[k] = exts[rnd_n(4)];
	}
	if (!rnd_n(4)) {
		s.frag_off = rnd_n(3) ? 0 : rnd_n(8192);
		s.more_frags = rnd_n(2);
		if (v6 && s.n_ext < PKT_MAX_EXT)
			s.ext[s.n_ext++] = 44;
	}
	s.payload = rnd_n(4) ? rnd_n(64) : rnd_n(300);
	if (pkt_build(&p, &s)) {
		/* a spec pkt.h cannot express: a plain one */
		struct pkt_spec plain = { .family = 4, .proto = IPPROTO_UDP,
					  .src = "198.18.0.1", .dst = "198.18.0.2" };

		if (pkt_build(&p, &plain))
			abort();
	}
	memcpy(d, p.data, p.len);
	*len = p.len;
	l3 = p.l3_off;
	if (v6 && !rnd_n(4))
		add_ext_chain(d, len, l3, 1 + rnd_n(12));
	for (m = rnd_n(4); m > 0; m--) {
		switch (rnd_n(8)) {
		case 0:		/* cut anywhere, down to the Ethernet header */
			*len = 14 + rnd_n(*len - 14 + 1);
			break;
		case 1:		/* cut inside the headers */
			if (p.l4_end > 14)
				*len = 14 + rnd_n(p.l4_end - 14 + 1);
			break;
		case 2:		/* a wrong IP length */
			if (l3 + 6 <= *len)
				pkt_put16(d + l3 + (v6 ? 4 : 2), rnd());
			break;
		case 3:		/* a wrong IPv4 header length or version */
			if (l3 < *len)
				d[l3] = rnd();
			break;
		case 4:		/* more VLAN tags than the parser follows */
			add_vlans(d, len, 1 + rnd_n(4));
			l3 += 0;	/* the L3 offset is no longer known */
			break;
		case 5:		/* a few bytes anywhere in the headers */
			for (k = rnd_n(4) + 1; k > 0; k--)
				d[rnd_n(p.l4_end < *len ? p.l4_end : *len)] = rnd();
			break;
		case 6:		/* another next header or protocol */
			if (l3 + 10 <= *len)
				d[l3 + (v6 ? 6 : 9)] = rnd();
			break;
		case 7:		/* garbage after it */
			for (k = rnd_n(64); k > 0 && *len < BIG; k--)
				d[(*len)++] = rnd();
			break;
		}
	}
}

/* Whole random frames: random bytes, or a real ethertype on random bytes. */
static void gen_random(__u8 *d, __u32 *len)
{
	static const __u16 types[] = { PKT_ETH_P_IP, PKT_ETH_P_IPV6, PKT_ETH_P_8021Q,
				       PKT_ETH_P_8021AD };
	__u32 i;

	*len = 14 + rnd_n(rnd_n(4) ? 120 : PKT_MAX - 14);
	for (i = 0; i < *len; i++)
		d[i] = rnd();
	if (rnd_n(4))
		pkt_put16(d + 12, types[rnd_n(4)]);
}

static void gen(__u8 *d, __u32 *len)
{
	if (rnd_n(5))
		gen_mutated(d, len);
	else
		gen_random(d, len);
}

static void setup(enum world w)
{
	struct fl_rule r = { .dir_mask = FL_DIRM_BOTH, .proto = FL_PROTO_ANY };
	struct fl_addr a4, a6;
	__u32 rid = RID;

	fx_reset(&F);
	r.drop_prob = w == TARGET_0 ? 0 : FL_PROB_ONE;
	fx_rule(&F, RID, &r);
	fx_levels(&F, &fx_cg.target_level, 1);
	if (w == BYSTANDER) {
		fx_target(&F, fx_cg.other_id, TID, &rid, 1, 0);
		/* owned, so the ingress hooks look up, but never sent to */
		pkt_addr("198.19.255.254", &a4);
		pkt_addr("2001:db8:ffff::fe", &a6);
	} else {
		fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
		pkt_addr("198.18.0.2", &a4);
		pkt_addr("2001:db8::2", &a6);
	}
	fx_owned(&F, &a4, TID, &rid, 1, 0);
	fx_owned(&F, &a6, TID, &rid, 1, 0);
}

/* The counters of one case, zeroed in between. */
static void zero_counters(void)
{
	struct faultline_bpf *s = F.skel;

	fx_zero_percpu(bpf_map__fd(s->maps.fl_rule_stats), 0, FX_RESET_RULES * FL_DIR_MAX,
		       sizeof(struct fl_rule_stats), F.ncpu);
	fx_zero_percpu(bpf_map__fd(s->maps.fl_stats), 0, FL_DIR_MAX, sizeof(struct fl_stats),
		       F.ncpu);
}

static void run_case(enum world w, enum fl_prog prog, __u64 seed, __u32 n)
{
	static __u8 in[BIG], out[BIG + 64];
	__u64 passed = 0, dropped = 0, other = 0, changed = 0, reported = 0, refused = 0;
	__u32 max_refused = 0;
	struct fl_rule_stats rs[FL_DIR_MAX];
	struct fl_stats st[FL_DIR_MAX];
	__u32 i, len, dir = fx_code[prog].dir, o = !dir;
	int j;

	tap_begin("%s %s: %u frames (seed %llu)", world_name[w], fx_code[prog].name, n,
		  (unsigned long long)seed);
	zero_counters();
	fx_events_clear(&F);
	rng = seed;
	for (i = 0; i < n; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);
		__u32 off;
		int rc;

		gen(in, &len);
		opts.data_size_in = len;
		rc = bpf_prog_test_run_opts(F.prog_fd[prog], &opts);
		/* the kernel refuses some short frames before any program
		 * runs (an skb needs a whole IP header for its protocol)
		 */
		if (rc == -EINVAL && len < 14 + 40) {
			refused++;
			if (len > max_refused)
				max_refused = len;
			continue;
		}
		if (rc) {
			if (reported++ < 3)
				tap_fail("frame %u (%u bytes): test run failed: %s", i, len,
					 strerror(-rc));
			continue;
		}
		if (opts.retval == fx_code[prog].pass) {
			passed++;
		} else if (opts.retval == fx_code[prog].drop) {
			dropped++;
			continue;
		} else {
			other++;
			if (reported++ < 3)
				tap_fail("frame %u (%u bytes): verdict %u", i, len, opts.retval);
			continue;
		}
		/* cgroup_skb runs from the network header: the test run puts
		 * back a zeroed Ethernet header of its own
		 */
		off = prog == FL_PROG_CG_IN ? 14 : 0;
		if (opts.data_size_out != len || memcmp(out + off, in + off, len - off)) {
			changed++;
			if (reported++ < 3)
				tap_fail("frame %u (%u bytes): passed changed (%u bytes out)", i,
					 len, opts.data_size_out);
		}
		if (!(i % 4096))
			fx_events_clear(&F);
	}
	fx_events_clear(&F);
	fx_rule_stats(&F, RID, rs);
	fx_stats(&F, st);
	TAP_EQ(other, 0);
	TAP_EQ(changed, 0);
	TAP_EQ(passed + dropped + refused, n);
	/* most frames run: the refused ones are the kernel's business */
	TAP_TRUE(refused < n / 10, "%llu of %u frames refused by the test run",
		 (unsigned long long)refused, n);
	/* nothing in the other direction, ever */
	TAP_EQ(rs[o].seen + rs[o].matched + rs[o].dropped, 0);
	TAP_EQ(st[o].target_packets + st[o].parse_skipped + st[o].passed_disarmed, 0);
	for (j = 0; j < FL_DROP_REASON_MAX; j++)
		TAP_EQ(st[dir].drop_reason[j] + st[o].drop_reason[j],
		       j == FL_DROP_FAULT ? dropped : 0);
	TAP_EQ(st[dir].passed_disarmed, 0);
	TAP_EQ(st[dir].delayed, 0);
	if (w == BYSTANDER) {
		TAP_EQ(dropped, 0);
		TAP_EQ(rs[dir].seen, 0);
		TAP_EQ(st[dir].target_packets, 0);
		TAP_EQ(st[dir].parse_skipped, 0);
		tap_end();
		return;
	}
	/* one rule that matches everything: seen = matched = target packets */
	TAP_EQ(rs[dir].seen, st[dir].target_packets);
	TAP_EQ(rs[dir].matched, st[dir].target_packets);
	TAP_EQ(rs[dir].bytes, st[dir].target_bytes);
	TAP_EQ(rs[dir].dropped, dropped);
	if (w == TARGET_0)
		TAP_EQ(dropped, 0);
	else
		TAP_EQ(dropped, st[dir].target_packets);
	if (is_cgroup_prog(prog)) {
		/* the target is known first: every frame is decided on */
		TAP_EQ(st[dir].target_packets + st[dir].parse_skipped, n - refused);
	} else {
		/* by address: a frame must parse to be known as a target's */
		TAP_EQ(st[dir].parse_skipped, 0);
		TAP_TRUE(st[dir].target_packets <= n, "%llu target packets of %u frames",
			 (unsigned long long)st[dir].target_packets, n);
	}
	/* the mix reaches both outcomes, or the case tests little */
	TAP_TRUE(st[dir].target_packets > n / 10, "only %llu of %u frames were target packets",
		 (unsigned long long)st[dir].target_packets, n);
	if (is_cgroup_prog(prog))
		TAP_TRUE(st[dir].parse_skipped > 0, "no frame was skipped by the parser");
	tap_diag("%s %s: %llu passed, %llu dropped, %llu target packets, %llu skipped by the parser, %llu refused by the kernel (%u bytes at most)",
		 world_name[w], fx_code[prog].name, (unsigned long long)passed,
		 (unsigned long long)dropped, (unsigned long long)st[dir].target_packets,
		 (unsigned long long)st[dir].parse_skipped, (unsigned long long)refused,
		 max_refused);
	tap_end();
}

int main(void)
{
	const char *env_n = getenv("FL_PKT_FUZZ_N"), *env_seed = getenv("FL_PKT_FUZZ_SEED");
	unsigned long long total = env_n ? strtoull(env_n, NULL, 0) : N_DEFAULT;
	__u64 seed = env_seed ? strtoull(env_seed, NULL, 0) : 0x5eed0f17ULL;
	__u32 per_case;
	size_t i;
	int w;

	if (fx_tap_start(&F, "fl_pf", ALL_PROGS))
		return 1;
	/* every case runs its own share; the same frames in every case */
	per_case = (total + N_WORLDS * N_PROGS - 1) / (N_WORLDS * N_PROGS);
	tap_diag("%u frames per case, %llu test runs in all", per_case,
		 (unsigned long long)per_case * N_WORLDS * N_PROGS);
	for (w = 0; w < N_WORLDS; w++) {
		setup(w);
		for (i = 0; i < N_PROGS; i++)
			run_case(w, progs[i], seed | 1, per_case);
	}
	fx_close(&F);
	return tap_done();
}
