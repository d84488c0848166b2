// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The fault types beyond drop, through BPF_PROG_TEST_RUN, with the rules
 * the loader writes (fl_dp_rule_from_fault: the same conversion as a run):
 *   partition    every packet with the peers dropped, both ways, at every
 *                entry point; other peers pass
 *   burst loss   200,000 packets one by one: the loss rate and the mean
 *                burst length inside 5 sigma of the Gilbert-Elliott chain's
 *                own expectation (derived below), per flow and per fault
 *   connections  20 % of 100,000 tuples chosen (5 sigma of the binomial),
 *                each the same on every packet and in both directions, and
 *                another seed chooses others; the same for delay (20 % of
 *                4,000 tuples, egress and the peer's egress) and duplicate
 *                (egress and tc ingress); with drop and duplicate in one
 *                fault, the two choose independently
 *   duplicate    the packet passes, and a copy is really transmitted for
 *                each one counted (the loopback's tx counter, in a network
 *                namespace of the test's own), 30 % within 5 sigma; the
 *                copy's second visit passes it untouched. On ingress: at
 *                the peer's egress the same, at tc ingress the copy is
 *                received on the loopback (a packet socket counts it)
 *                copy's second visit passes it untouched
 *   corrupt      TCP and UDP over IPv4 and IPv6, odd and even payloads:
 *                each packet leaves with exactly one bit flipped, inside
 *                the L4 payload, the headers as they were but for the
 *                checksum, which recomputation finds valid with
 *                fixChecksum and invalid without (BPF_PROG_TEST_RUN's skb
 *                is CHECKSUM_NONE: the field holds the full checksum); a
 *                packet with no payload passes unchanged and uncounted; a
 *                UDP/IPv4 datagram sent without a checksum keeps none; 30 %
 *                within 5 sigma; scope connections: a tuple is always or
 *                never corrupted
 */
#define _GNU_SOURCE
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <sched.h>
#include <stddef.h>

#include "common.h"
#include "datapath.h"
#include "fault.h"
#include "fixture.h"
#include "pkt.h"
#include "tap_start.h"

#define ALL_PROGS	((1u << FL_PROG_MAX) - 1)
#define RID		0
#define TID		1
#define LOSS_RUNS	200000
#define CONN_TUPLES	100000
#define KIND_TUPLES	4000

static struct fx F;

/* One rule made from @f by the loader's conversion, on the test's cgroup
 * and on the owned address 198.18.0.2 (and 2001:db8::2).
 */
static void setup(const struct fl_fault *f)
{
	struct fl_rule r;
	struct fl_addr a;
	__u32 rid = RID, peer_rules = 0;
	const struct fl_cidr *peers;
	int n, i;

	fx_reset(&F);
	if (fl_dp_rule_from_fault(f, &r))
		tap_diag("the rule conversion failed");
	fx_rule(&F, RID, &r);
	peers = fl_fault_peers(f, &n);
	for (i = 0; i < n; i++) {
		char buf[64];

		fl_format_addr(&peers[i].addr, buf, sizeof(buf) - 5);
		snprintf(buf + strlen(buf), 5, "/%u", peers[i].prefixlen);
		fx_peer(&F, TID, buf, 1);
		peer_rules = 1;
	}
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, peer_rules);
	fx_levels(&F, &fx_cg.target_level, 1);
	pkt_addr("198.18.0.2", &a);
	fx_owned(&F, &a, TID, &rid, 1, peer_rules);
	pkt_addr("2001:db8::2", &a);
	fx_owned(&F, &a, TID, &rid, 1, peer_rules);
}

static int dropped(enum fl_prog prog, const struct pkt_spec *s)
{
	struct pkt pk;
	__u32 ret = 0;

	pkt_build(&pk, s);
	if (fx_run(&F, prog, pk.data, pk.len, 1, &ret, NULL))
		return -1;
	if (ret == fx_code[prog].drop)
		return 1;
	return ret == fx_code[prog].pass ? 0 : -1;
}

/* A packet between the target (198.18.0.2 or 2001:db8::2, the owner and
 * the cgroup side) and @peer, in the direction of @prog.
 */
static struct pkt_spec between(enum fl_prog prog, const char *peer, __u16 peer_port,
			       __u16 local_port)
{
	bool v6 = strchr(peer, ':');
	const char *local = v6 ? "2001:db8::2" : "198.18.0.2";
	struct pkt_spec s = { .family = v6 ? 6 : 4, .proto = IPPROTO_TCP,
			      .tcp_flags = PKT_TCP_ACK, .payload = 16 };

	if (fx_code[prog].dir == FL_DIR_EGRESS) {
		s.src = local;
		s.dst = peer;
		s.sport = local_port;
		s.dport = peer_port;
	} else {
		s.src = peer;
		s.dst = local;
		s.sport = peer_port;
		s.dport = local_port;
	}
	return s;
}

static void check_partition(void)
{
	static const enum fl_prog progs[] = { FL_PROG_CLS_EG, FL_PROG_TCX_EG, FL_PROG_XDP_IN,
					      FL_PROG_TC_IN, FL_PROG_CG_IN, FL_PROG_TCX_PIN,
					      FL_PROG_CLS_PIN };
	struct fl_fault f;
	size_t i;

	fl_fault_init(&f, "p");
	f.has_partition = true;
	fl_parse_cidr("198.18.1.0/24", &f.part_peers[f.n_part_peers++]);
	fl_parse_cidr("2001:db8:1::/48", &f.part_peers[f.n_part_peers++]);
	for (i = 0; i < ARRAY_SIZE(progs); i++) {
		enum fl_prog prog = progs[i];
		struct fl_rule_stats t[FL_DIR_MAX];
		struct pkt_spec s;
		__u32 dir = fx_code[prog].dir;

		tap_begin("%s partition: the peers' packets dropped (both families), others pass",
			  fx_code[prog].name);
		setup(&f);
		s = between(prog, "198.18.1.7", 80, 40000);
		TAP_EQ(dropped(prog, &s), 1);
		s = between(prog, "2001:db8:1::9", 443, 40001);
		TAP_EQ(dropped(prog, &s), 1);
		s = between(prog, "198.18.0.1", 80, 40000);
		TAP_EQ(dropped(prog, &s), 0);
		s = between(prog, "2001:db8:2::1", 80, 40000);
		TAP_EQ(dropped(prog, &s), 0);
		/* UDP and ICMP are cut too */
		s = between(prog, "198.18.1.200", 53, 40002);
		s.proto = IPPROTO_UDP;
		TAP_EQ(dropped(prog, &s), 1);
		fx_rule_stats(&F, RID, t);
		TAP_EQ(t[dir].matched, 3);
		TAP_EQ(t[dir].dropped, 3);
		tap_end();
	}
}

/* ---- burst loss ---- */

struct ge {
	double p, r, lg, lb;
};

/* The chain's expectations. Stationary: piB = p / (p + r), the loss rate
 * L = piG lg + piB lb. The loss of packet t is a function of the state
 * plus independent noise, and the state's autocorrelation at lag j is
 * lambda^j with lambda = 1 - p - r, so over N packets
 *   Var(mean) = [L (1 - L) + 2 (lb - lg)^2 piG piB lambda / (1 - lambda)] / N.
 * A burst (a run of losses) of the simple chain (lg 0, lb 1) is a stay in
 * the bad state: geometric, mean 1 / r, variance (1 - r) / r^2, so the mean
 * of M bursts has the standard deviation sqrt((1 - r) / M) / r. For the
 * general chain the mean burst is L / P(no loss, then loss), with
 * P(01) = sum over s, s' of pi_s (1 - l_s) T(s, s') l_s'.
 */
static void ge_expect(const struct ge *g, long n, double *l, double *sd_l, double *burst)
{
	double pib = g->p / (g->p + g->r), pig = 1 - pib, lam = 1 - g->p - g->r;
	double p01;

	*l = pig * g->lg + pib * g->lb;
	*sd_l = sqrt((*l * (1 - *l) +
		      2 * (g->lb - g->lg) * (g->lb - g->lg) * pig * pib * lam / (1 - lam)) / n);
	p01 = pig * (1 - g->lg) * ((1 - g->p) * g->lg + g->p * g->lb) +
	      pib * (1 - g->lb) * (g->r * g->lg + (1 - g->r) * g->lb);
	*burst = *l / p01;
}

struct run_stats {
	long n, lost, bursts;
	int in_burst;
};

static void run_add(struct run_stats *rs, int lost)
{
	rs->n++;
	if (lost) {
		rs->lost++;
		if (!rs->in_burst)
			rs->bursts++;
	}
	rs->in_burst = lost;
}

static void ge_check(const char *what, const struct ge *g, const struct run_stats *rs)
{
	double l, sd_l, burst, got_l = (double)rs->lost / rs->n, got_b, dev;

	ge_expect(g, rs->n, &l, &sd_l, &burst);
	dev = (got_l - l) / sd_l;
	TAP_TRUE(fabs(dev) <= 5, "%s: loss rate %.5f, expected %.5f +- %.5f (%.2f sigma)", what,
		 got_l, l, sd_l, dev);
	got_b = rs->bursts ? (double)rs->lost / rs->bursts : 0;
	if (g->lg == 0 && g->lb == 1) {
		double sd_b = sqrt((1 - g->r) / rs->bursts) / g->r;

		dev = (got_b - burst) / sd_b;
		TAP_TRUE(fabs(dev) <= 5, "%s: mean burst %.3f, expected %.3f +- %.3f (%.2f sigma)",
			 what, got_b, burst, sd_b, dev);
	}
	tap_diag("%s: %ld packets, loss %.4f %% (model %.4f %%, %+.2f sigma), %ld bursts, mean %.3f (model %.3f)",
		 what, rs->n, 100 * got_l, 100 * l, (got_l - l) / sd_l, rs->bursts, got_b, burst);
}

/* @f's chain over LOSS_RUNS packets: of one flow, or of two flows taking
 * turns (A, B, A, B, ...): with per-flow state each flow is its own chain,
 * with per-fault state the packets of both are one.
 */
static void check_loss(const char *name, const struct fl_fault *f, bool two_flows)
{
	enum fl_prog prog = FL_PROG_CLS_EG;
	struct run_stats all = {}, fa = {}, fb = {};
	struct pkt_spec a = between(prog, "198.18.0.1", 5201, 40000), b = a;
	struct fl_rule_stats t[FL_DIR_MAX];
	struct fl_stats st[FL_DIR_MAX];
	struct pkt pa, pb;
	struct ge g;
	long i, bad = 0;

	a.proto = b.proto = IPPROTO_UDP;
	b.sport = 40001;
	pkt_build(&pa, &a);
	pkt_build(&pb, &b);
	fl_fault_loss_model(f, &g.p, &g.r, &g.lg, &g.lb);
	tap_begin("burst loss %s (p %g r %g, loss %g / %g), %s, %d packets", name, g.p, g.r, g.lg,
		  g.lb, two_flows ? "two flows in turn" : "one flow", LOSS_RUNS);
	setup(f);
	for (i = 0; i < LOSS_RUNS; i++) {
		bool is_b = two_flows && (i & 1);
		__u32 ret = 0;
		int lost;

		if (fx_run(&F, prog, is_b ? pb.data : pa.data, is_b ? pb.len : pa.len, 1, &ret,
			   NULL)) {
			bad++;
			continue;
		}
		lost = ret == fx_code[prog].drop;
		bad += !lost && ret != fx_code[prog].pass;
		run_add(&all, lost);
		run_add(is_b ? &fb : &fa, lost);
	}
	TAP_EQ(bad, 0);
	fx_rule_stats(&F, RID, t);
	fx_stats(&F, st);
	TAP_EQ(t[FL_DIR_EGRESS].dropped, (__u64)all.lost);
	TAP_EQ(st[FL_DIR_EGRESS].drop_reason[FL_DROP_FAULT], (__u64)all.lost);
	if (!two_flows || f->loss_per == FL_LOSS_PER_FAULT) {
		ge_check("all packets", &g, &all);
	} else {
		ge_check("flow A", &g, &fa);
		ge_check("flow B", &g, &fb);
	}
	tap_end();
}

static void loss_fault(struct fl_fault *f, double p, double r, int h, int k, __u8 per)
{
	fl_fault_init(f, "l");
	f->has_loss = true;
	f->loss_p = p;
	f->loss_r = r;
	f->loss_given = FL_LOSS_GIVEN_P | FL_LOSS_GIVEN_R;
	if (h >= 0) {
		f->loss_h = h;
		f->loss_given |= FL_LOSS_GIVEN_H;
	}
	if (k >= 0) {
		f->loss_k = k;
		f->loss_given |= FL_LOSS_GIVEN_K;
	}
	f->loss_per = per;
}

static void check_losses(void)
{
	struct fl_fault f;

	/* the simple Gilbert chain: L = 1 / 26, bursts of 4 on average */
	loss_fault(&f, 1, 25, -1, -1, FL_LOSS_PER_FLOW);
	check_loss("gemodel 1 25", &f, false);
	check_loss("gemodel 1 25 per flow", &f, true);
	f.loss_per = FL_LOSS_PER_FAULT;
	check_loss("gemodel 1 25 per fault", &f, true);
	/* the full model: losses in both states */
	loss_fault(&f, 5, 30, 20, 99, FL_LOSS_PER_FLOW);
	check_loss("gemodel 5 30 h 20 k 99", &f, false);
	/* the simple form: 5 % with correlation 50: p 2.5 %, r 47.5 % */
	fl_fault_init(&f, "s");
	f.has_loss = true;
	f.loss_pct = 5;
	f.loss_corr = 50;
	f.loss_given = FL_LOSS_GIVEN_PCT | FL_LOSS_GIVEN_CORR;
	check_loss("percent 5 correlation 50", &f, false);
	/* correlation 0 is independent loss at the rate */
	f.loss_pct = 10;
	f.loss_corr = 0;
	f.loss_given = FL_LOSS_GIVEN_PCT;
	check_loss("percent 10", &f, false);
}

/* ---- per-connection scope ---- */

static void check_connections(void)
{
	enum fl_prog eg = FL_PROG_CLS_EG, in = FL_PROG_CG_IN;
	long chosen = 0, mismatch = 0, changed = 0, both = 0, i;
	double p = 0.2, mean = p * CONN_TUPLES, sd = sqrt(CONN_TUPLES * p * (1 - p)), dev;
	struct fl_fault f;
	struct fl_rule r;
	unsigned char *first;

	first = calloc(CONN_TUPLES, 1);
	fl_fault_init(&f, "c");
	f.has_drop = true;
	f.drop_pct = 20;
	f.drop_prob = fl_percent_to_prob(20);
	f.scope = FL_SCOPE_CONNECTIONS;
	tap_begin("scope connections, drop 20 %%: %d tuples, chosen within 5 sigma of %.0f, the same on every packet and both ways",
		  CONN_TUPLES, mean);
	setup(&f);
	for (i = 0; i < CONN_TUPLES && first; i++) {
		char peer[32];
		struct pkt_spec s;
		int d1, d2, d3;

		snprintf(peer, sizeof(peer), "198.18.%ld.%ld", 1 + i / 50000 % 200, 1 + i % 200);
		s = between(eg, peer, 80, 10000 + i % 50000 / 200);
		d1 = dropped(eg, &s);
		d2 = dropped(eg, &s);
		s = between(in, peer, 80, 10000 + i % 50000 / 200);
		d3 = dropped(in, &s);
		first[i] = d1;
		chosen += d1 == 1;
		mismatch += d1 != d2;
		both += d1 != d3;
	}
	dev = (chosen - mean) / sd;
	TAP_TRUE(fabs(dev) <= 5, "chosen %ld, expected %.0f +- %.1f (%.2f sigma)", chosen, mean,
		 sd, dev);
	TAP_EQ(mismatch, 0);
	TAP_EQ(both, 0);
	tap_diag("chosen %ld of %d tuples (%.3f %%, %+.2f sigma)", chosen, CONN_TUPLES,
		 100.0 * chosen / CONN_TUPLES, dev);
	/* another run's seed: an independent choice overlaps in p^2 */
	bpf_map_lookup_elem(bpf_map__fd(F.skel->maps.fl_rules), &(__u32){ RID }, &r);
	r.conn_seed ^= 0x5a5a5a5a;
	fx_rule(&F, RID, &r);
	for (i = 0; i < CONN_TUPLES / 10 && first; i++) {
		char peer[32];
		struct pkt_spec s;

		snprintf(peer, sizeof(peer), "198.18.%ld.%ld", 1 + i / 50000 % 200, 1 + i % 200);
		s = between(eg, peer, 80, 10000 + i % 50000 / 200);
		changed += dropped(eg, &s) != first[i];
	}
	/* expected changes: 2 p (1 - p) of the tuples */
	mean = 2 * p * (1 - p) * (CONN_TUPLES / 10);
	sd = sqrt(CONN_TUPLES / 10 * 2 * p * (1 - p) * (1 - 2 * p * (1 - p)));
	TAP_TRUE(fabs(changed - mean) <= 5 * sd, "another seed changed %ld choices, expected %.0f +- %.1f",
		 changed, mean, sd);
	free(first);
	tap_end();
}

/* Did the rule's counter at @off (delayed, duplicated) move for one packet? */
static int acted(enum fl_prog prog, const struct pkt_spec *s, size_t off)
{
	struct fl_rule_stats t0[FL_DIR_MAX], t1[FL_DIR_MAX];
	__u32 dir = fx_code[prog].dir, ret = 0;
	struct pkt pk;

	pkt_build(&pk, s);
	fx_rule_stats(&F, RID, t0);
	if (fx_run(&F, prog, pk.data, pk.len, 1, &ret, NULL))
		return -1;
	fx_rule_stats(&F, RID, t1);
	return *(__u64 *)((char *)&t1[dir] + off) != *(__u64 *)((char *)&t0[dir] + off);
}

/* A fault other than drop with scope connections: KIND_TUPLES tuples, each
 * sent twice from the target (@eg) and once to it (@in); every packet of a
 * tuple gets the same answer, and the share chosen is @p within 5 sigma.
 */
static void check_conn_kind(const char *what, const struct fl_fault *f, double p,
			    enum fl_prog eg, enum fl_prog in, size_t off)
{
	double mean = p * KIND_TUPLES, sd = sqrt(KIND_TUPLES * p * (1 - p)), dev;
	long chosen = 0, mismatch = 0, both = 0, bad = 0, i;

	tap_begin("scope connections, %s: %d tuples at %s and %s, chosen within 5 sigma of %.0f, the same on every packet and both ways",
		  what, KIND_TUPLES, fx_code[eg].name, fx_code[in].name, mean);
	setup(f);
	for (i = 0; i < KIND_TUPLES; i++) {
		char peer[32];
		struct pkt_spec s;
		int a1, a2, a3;

		snprintf(peer, sizeof(peer), "198.18.%ld.%ld", 1 + i / 200 % 200, 1 + i % 200);
		s = between(eg, peer, 80, 20000 + i % 7);
		s.proto = IPPROTO_UDP;
		a1 = acted(eg, &s, off);
		a2 = acted(eg, &s, off);
		s = between(in, peer, 80, 20000 + i % 7);
		s.proto = IPPROTO_UDP;
		a3 = acted(in, &s, off);
		bad += a1 < 0 || a2 < 0 || a3 < 0;
		chosen += a1 == 1;
		mismatch += a1 != a2;
		both += a1 != a3;
	}
	dev = (chosen - mean) / sd;
	TAP_EQ(bad, 0);
	TAP_TRUE(fabs(dev) <= 5, "chosen %ld, expected %.0f +- %.1f (%.2f sigma)", chosen, mean,
		 sd, dev);
	TAP_EQ(mismatch, 0);
	TAP_EQ(both, 0);
	tap_diag("%s: chosen %ld of %d tuples (%+.2f sigma)", what, chosen, KIND_TUPLES, dev);
	tap_end();
}

/* Drop 20 % and duplicate 20 % of connections in one fault: each kind
 * hashes under its own seed, so a fifth of the connections that are not
 * dropped are duplicated (one hash for both would duplicate none).
 */
static void check_conn_independent(void)
{
	enum fl_prog eg = FL_PROG_CLS_EG;
	long kept = 0, dup = 0, i;
	double mean, sd, dev;
	struct fl_fault f;

	fl_fault_init(&f, "dd");
	f.dir_mask = FL_DIRM_EGRESS;
	f.scope = FL_SCOPE_CONNECTIONS;
	f.has_drop = true;
	f.drop_prob = fl_percent_to_prob(20);
	f.has_duplicate = true;
	f.dup_prob = fl_percent_to_prob(20);
	tap_begin("scope connections, drop 20 %% and duplicate 20 %%: the kept connections are duplicated at 20 %%, not 0");
	setup(&f);
	for (i = 0; i < KIND_TUPLES; i++) {
		char peer[32];
		struct pkt_spec s;
		int d;

		snprintf(peer, sizeof(peer), "198.18.%ld.%ld", 1 + i / 200 % 200, 1 + i % 200);
		s = between(eg, peer, 80, 30000 + i % 5);
		s.proto = IPPROTO_UDP;
		if (dropped(eg, &s) != 0)
			continue;
		kept++;
		d = acted(eg, &s, offsetof(struct fl_rule_stats, duplicated));
		dup += d == 1;
	}
	mean = 0.2 * kept;
	sd = sqrt(kept * 0.2 * 0.8);
	dev = kept ? (dup - mean) / sd : -99;
	TAP_TRUE(fabs(dev) <= 5, "duplicated %ld of %ld kept, expected %.0f +- %.1f (%.2f sigma)",
		 dup, kept, mean, sd, dev);
	tap_end();
}

static void check_conn_kinds(void)
{
	struct fl_fault f;

	fl_fault_init(&f, "cd");
	f.scope = FL_SCOPE_CONNECTIONS;
	f.has_delay = true;
	f.delay_ns = 200000000;
	f.has_delay_pct = true;
	f.delay_pct = 20;
	check_conn_kind("delay 200 ms to 20 %", &f, 0.2, FL_PROG_CLS_EG, FL_PROG_CLS_PIN,
			offsetof(struct fl_rule_stats, delayed));
	fl_fault_init(&f, "cu");
	f.scope = FL_SCOPE_CONNECTIONS;
	f.has_duplicate = true;
	f.dup_pct = 20;
	f.dup_prob = fl_percent_to_prob(20);
	check_conn_kind("duplicate 20 %", &f, 0.2, FL_PROG_CLS_EG, FL_PROG_TC_IN,
			offsetof(struct fl_rule_stats, duplicated));
	check_conn_independent();
}

/* ---- duplicate ---- */

/* Packets the loopback of this namespace sent: /proc/net/dev follows the
 * caller's namespace (sysfs would show the one it was mounted in).
 */
static long long lo_tx(void)
{
	unsigned long long v[10];
	char line[512];
	long long tx = -1;
	FILE *f = fopen("/proc/net/dev", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "lo:");

		if (!p || sscanf(p + 3, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
				 &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) != 10)
			continue;
		tx = v[9];
	}
	fclose(f);
	return tx;
}

/* A packet socket on this namespace's loopback, for the copies tc ingress
 * hands to its receive path (they are received, not sent: no tx count).
 */
static int lo_rx_open(void)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	int big = 64 << 20;

	if (fd < 0)
		return -1;
	a.sll_ifindex = if_nametoindex("lo");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Frames received (not sent) on the loopback with UDP destination port
 * @dport, waiting up to a second for @want of them.
 */
static long long lo_rx_count(int fd, __u16 dport, long long want)
{
	long long n = 0;
	int idle = 0;

	while (n < want && idle < 100) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		__u8 buf[256];
		ssize_t len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);

		if (len < 0) {
			idle++;
			usleep(10000);
			continue;
		}
		/* Ethernet, IPv4 without options, UDP */
		if (from.sll_pkttype == PACKET_OUTGOING || len < 14 + 20 + 8)
			continue;
		if (((__u16)buf[14 + 20 + 2] << 8 | buf[14 + 20 + 3]) == dport)
			n++;
	}
	return n;
}

static void check_duplicate(enum fl_prog prog, double pct, __u32 runs)
{
	struct pkt_spec s = between(prog, "198.18.0.1", 5201, 40000);
	double p = pct / 100, mean = p * runs, sd = sqrt(runs * p * (1 - p));
	struct fl_rule_stats t[FL_DIR_MAX];
	struct fl_stats st[FL_DIR_MAX];
	struct fl_fault f;
	__u32 dir = fx_code[prog].dir, ret = 0;
	bool rx = prog == FL_PROG_TC_IN;
	long long tx0, tx1;
	int fd = -1;
	struct pkt pk;

	fl_fault_init(&f, "d");
	f.dir_mask = dir == FL_DIR_INGRESS ? FL_DIRM_INGRESS : FL_DIRM_EGRESS;
	f.has_duplicate = true;
	f.dup_pct = pct;
	f.dup_prob = fl_percent_to_prob(pct);
	s.proto = IPPROTO_UDP;
	pkt_build(&pk, &s);
	tap_begin("%s duplicate %g %%: %u packets pass, a copy sent for each one counted", fx_code[prog].name,
		  pct, runs);
	setup(&f);
	if (rx) {
		fd = lo_rx_open();
		TAP_TRUE(fd >= 0, "a packet socket on lo: %s", strerror(errno));
	}
	tx0 = lo_tx();
	TAP_EQ(fx_run(&F, prog, pk.data, pk.len, runs, &ret, NULL), 0);
	tx1 = lo_tx();
	fx_rule_stats(&F, RID, t);
	fx_stats(&F, st);
	if (rx) {
		/* copies handed to the receive path, and none sent */
		TAP_EQ(tx1 - tx0, 0);
		tx0 = 0;
		tx1 = fd >= 0 ? lo_rx_count(fd, s.dport, t[dir].duplicated + 1) : -1;
		if (fd >= 0)
			close(fd);
	}
	TAP_EQ(ret, fx_code[prog].pass);
	TAP_EQ(t[dir].matched, runs);
	TAP_EQ(t[dir].dropped, 0);
	TAP_EQ(st[dir].drop_reason[FL_DROP_CLONE], 0);
	/* every copy counted left on the device, and nothing else did */
	TAP_EQ(tx1 - tx0, (long long)t[dir].duplicated);
	if (pct >= 100) {
		TAP_EQ(t[dir].duplicated, runs);
	} else {
		double dev = (t[dir].duplicated - mean) / sd;

		TAP_TRUE(fabs(dev) <= 5, "duplicated %llu, expected %.0f +- %.1f (%.2f sigma)",
			 (unsigned long long)t[dir].duplicated, mean, sd, dev);
	}
	/* the copy's second visit: passed as it is, its mark given back */
	{
		struct __sk_buff in = { .mark = FL_EDT_MARK }, out = {};
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pk.data, .data_size_in = pk.len,
			    .ctx_in = &in, .ctx_size_in = sizeof(in), .ctx_out = &out,
			    .ctx_size_out = sizeof(out), .repeat = 1);
		__u64 before = t[dir].matched;

		TAP_EQ(bpf_prog_test_run_opts(F.prog_fd[prog], &o), 0);
		TAP_EQ(o.retval, fx_code[prog].pass);
		TAP_TRUE(out.mark != FL_EDT_MARK, "the copy keeps the mark %#x", out.mark);
		fx_rule_stats(&F, RID, t);
		TAP_EQ(t[dir].matched, before);
	}
	tap_end();
}

/* ---- corrupt ---- */

/* The ones' complement sum over the pseudo header and the L4 bytes of
 * frame @d, folded and inverted: 0 when the L4 checksum in it is right.
 */
static __u16 l4_csum(const __u8 *d, __u32 len, __u32 l3, __u32 l4, int family, __u8 proto)
{
	__u8 buf[40 + PKT_MAX];
	__u32 n = 0, l4len = len - l4;

	if (family == 4) {
		memcpy(buf, d + l3 + 12, 8);
		n = 8;
	} else {
		memcpy(buf, d + l3 + 8, 32);
		n = 32;
	}
	buf[n++] = 0;
	buf[n++] = proto;	/* IPv4: zero, proto, length; the order does not change the sum */
	buf[n++] = l4len >> 8;
	buf[n++] = l4len & 0xff;
	memcpy(buf + n, d + l4, l4len);
	return pkt_csum(buf, n + l4len);
}

static __u32 csum_field(__u8 proto)
{
	return proto == IPPROTO_TCP ? 16 : 6;
}

/* A frame of @s with its L4 checksum right (or, @no_csum, 0: UDP/IPv4
 * without one).
 */
static void corrupt_pkt(struct pkt *pk, const struct pkt_spec *s, bool no_csum)
{
	__u8 *field;
	__u16 c;

	pkt_build(pk, s);
	field = pk->data + pk->l4_off + csum_field(s->proto);
	field[0] = field[1] = 0;
	if (no_csum)
		return;
	c = l4_csum(pk->data, pk->len, pk->l3_off, pk->l4_off, s->family, s->proto);
	if (s->proto == IPPROTO_UDP && !c)
		c = 0xffff;
	pkt_put16(field, c);
}

static void corrupt_fault(struct fl_fault *f, double pct, bool fix)
{
	fl_fault_init(f, "c");
	f->dir_mask = FL_DIRM_EGRESS;
	f->has_corrupt = true;
	f->corrupt_pct = pct;
	f->corrupt_prob = fl_percent_to_prob(pct);
	f->corrupt_fix = fix;
}

/* One run of @in through @prog; the frame that leaves in @out. */
static int corrupt_run(enum fl_prog prog, const struct pkt *in, struct pkt *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->data, .data_size_in = in->len,
		    .data_out = out->data, .data_size_out = sizeof(out->data), .repeat = 1);

	if (bpf_prog_test_run_opts(F.prog_fd[prog], &o) || o.retval != fx_code[prog].pass)
		return -1;
	out->len = o.data_size_out;
	return 0;
}

#define CORRUPT_RUNS	2000

static void check_corrupt(enum fl_prog prog, int family, __u8 proto, int payload, bool fix)
{
	struct pkt_spec s = between(prog, family == 4 ? "198.18.0.1" : "2001:db8::1", 5201, 40000);
	__u32 pay_off, csum_off, bytes_hit = 0, bad = 0, i, j;
	struct fl_rule_stats t[FL_DIR_MAX];
	struct fl_fault f;
	struct pkt in, out;
	__u8 hit[256] = {};

	s.proto = proto;
	s.payload = payload;
	corrupt_pkt(&in, &s, false);
	pay_off = in.l4_end;
	csum_off = in.l4_off + csum_field(proto);
	corrupt_fault(&f, 100, fix);
	setup(&f);
	tap_begin("%s corrupt %s/IPv%d, %d-byte payload, fixChecksum %s: one payload bit flipped, checksum %s",
		  fx_code[prog].name, proto == IPPROTO_TCP ? "TCP" : "UDP", family, payload,
		  fix ? "true" : "false", fix ? "valid" : "invalid");
	TAP_EQ(l4_csum(in.data, in.len, in.l3_off, in.l4_off, family, proto), 0);
	for (i = 0; i < CORRUPT_RUNS; i++) {
		int flipped = 0, where = -1, other = 0;
		__u16 sum;

		if (corrupt_run(prog, &in, &out) || out.len != in.len) {
			bad++;
			continue;
		}
		for (j = 0; j < in.len; j++) {
			__u8 x = in.data[j] ^ out.data[j];

			if (!x)
				continue;
			if (j == csum_off || j == csum_off + 1)
				continue;
			if (j < pay_off)
				other++;
			flipped += __builtin_popcount(x);
			where = j;
		}
		sum = l4_csum(out.data, out.len, out.l3_off = in.l3_off, in.l4_off, family, proto);
		if (flipped != 1 || other || where < (int)pay_off || (fix ? sum != 0 : sum == 0)) {
			if (!bad)
				tap_diag("run %u: %d bits flipped, %d header bytes changed, last at %d (payload from %u), checksum sum %#x",
					 i, flipped, other, where, pay_off, sum);
			bad++;
			continue;
		}
		if (!hit[where - pay_off]++)
			bytes_hit++;
	}
	TAP_EQ(bad, 0);
	/* the bit is drawn over the whole payload: 2000 draws miss one of
	 * 64 bytes with a chance below 64 (63/64)^2000, about 1e-12
	 */
	TAP_EQ(bytes_hit, (__u32)payload);
	fx_rule_stats(&F, RID, t);
	TAP_EQ(t[FL_DIR_EGRESS].matched, CORRUPT_RUNS);
	TAP_EQ(t[FL_DIR_EGRESS].corrupted, CORRUPT_RUNS);
	TAP_EQ(t[FL_DIR_EGRESS].dropped, 0);
	tap_end();
}

/* Packets that have no bit to flip, or no checksum to leave wrong. */
static void check_corrupt_edges(enum fl_prog prog)
{
	struct pkt_spec s = between(prog, "198.18.0.1", 5201, 40000);
	struct fl_rule_stats t[FL_DIR_MAX];
	struct pkt in, out;
	struct fl_fault f;
	__u32 i, diff = 0;

	tap_begin("%s corrupt: a TCP segment and a UDP datagram with no payload pass unchanged, uncounted",
		  fx_code[prog].name);
	corrupt_fault(&f, 100, false);
	setup(&f);
	s.payload = 0;
	corrupt_pkt(&in, &s, false);
	TAP_EQ(corrupt_run(prog, &in, &out), 0);
	TAP_EQ(out.len, in.len);
	TAP_EQ(memcmp(in.data, out.data, in.len), 0);
	s.proto = IPPROTO_UDP;
	corrupt_pkt(&in, &s, false);
	TAP_EQ(corrupt_run(prog, &in, &out), 0);
	TAP_EQ(memcmp(in.data, out.data, in.len), 0);
	fx_rule_stats(&F, RID, t);
	TAP_EQ(t[FL_DIR_EGRESS].matched, 2);
	TAP_EQ(t[FL_DIR_EGRESS].corrupted, 0);
	tap_end();

	tap_begin("%s corrupt: a UDP/IPv4 datagram sent without a checksum keeps none (0)",
		  fx_code[prog].name);
	s.payload = 32;
	corrupt_pkt(&in, &s, true);
	for (i = 0; i < 20; i++) {
		TAP_EQ(corrupt_run(prog, &in, &out), 0);
		diff += memcmp(in.data, out.data, in.len) != 0;
		TAP_EQ(out.data[in.l4_off + 6] | out.data[in.l4_off + 7], 0);
	}
	TAP_EQ(diff, 20);
	tap_end();
}

static void check_corrupt_rate(enum fl_prog prog)
{
	struct pkt_spec s = between(prog, "198.18.0.1", 5201, 40000);
	const __u32 runs = 20000;
	double p = 0.3, mean = p * runs, sd = sqrt(runs * p * (1 - p)), dev;
	struct fl_rule_stats t[FL_DIR_MAX];
	struct pkt in, out;
	struct fl_fault f;
	__u32 i, diff = 0;

	s.proto = IPPROTO_UDP;
	s.payload = 32;
	corrupt_pkt(&in, &s, false);
	corrupt_fault(&f, 30, false);
	setup(&f);
	tap_begin("%s corrupt 30 %%: %u datagrams, those changed are those counted, within 5 sigma",
		  fx_code[prog].name, runs);
	for (i = 0; i < runs; i++) {
		if (corrupt_run(prog, &in, &out))
			break;
		diff += memcmp(in.data, out.data, in.len) != 0;
	}
	TAP_EQ(i, runs);
	fx_rule_stats(&F, RID, t);
	TAP_EQ(t[FL_DIR_EGRESS].corrupted, diff);
	dev = (diff - mean) / sd;
	TAP_TRUE(fabs(dev) <= 5, "corrupted %u, expected %.0f +- %.1f (%.2f sigma)", diff, mean,
		 sd, dev);
	tap_end();
}

/* scope connections: the tuple's hash chooses; each tuple always or never */
static void check_corrupt_conns(enum fl_prog prog)
{
	struct pkt_spec s = between(prog, "198.18.0.1", 5201, 40000);
	struct fl_rule_stats t[FL_DIR_MAX];
	__u32 tuples = 200, mixed = 0, chosen = 0, i, k;
	struct pkt in, out;
	struct fl_fault f;

	corrupt_fault(&f, 50, true);
	f.scope = FL_SCOPE_CONNECTIONS;
	setup(&f);
	s.proto = IPPROTO_UDP;
	s.payload = 8;
	tap_begin("%s corrupt 50 %% of connections: each of %u tuples corrupted on all 10 packets or none",
		  fx_code[prog].name, tuples);
	for (i = 0; i < tuples; i++) {
		__u32 n = 0;

		s.sport = 30000 + i;
		corrupt_pkt(&in, &s, false);
		for (k = 0; k < 10; k++)
			if (!corrupt_run(prog, &in, &out))
				n += memcmp(in.data, out.data, in.len) != 0;
		mixed += n != 0 && n != 10;
		chosen += n == 10;
	}
	TAP_EQ(mixed, 0);
	/* 200 tuples at 50 %: 5 sigma is about 35 */
	TAP_TRUE(chosen >= 65 && chosen <= 135, "%u of %u tuples chosen", chosen, tuples);
	fx_rule_stats(&F, RID, t);
	TAP_EQ(t[FL_DIR_EGRESS].corrupted, chosen * 10);
	tap_end();
}

int main(void)
{
	cpu_set_t cpus;

	/* one CPU: a copy's pending mark and time are per CPU */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (fx_tap_start(&F, "fl_bf", ALL_PROGS))
		return 1;
	/* the copies are really sent: on a loopback of the test's own */
	if (fx_private_netns()) {
		printf("Bail out! a network namespace of its own with lo up: %s\n", strerror(errno));
		return 1;
	}
	check_partition();
	check_losses();
	check_connections();
	check_conn_kinds();
	check_duplicate(FL_PROG_TCX_EG, 100, 1000);
	check_duplicate(FL_PROG_CLS_EG, 100, 1000);
	check_duplicate(FL_PROG_TCX_EG, 30, 100000);
	check_duplicate(FL_PROG_CLS_EG, 30, 100000);
	check_duplicate(FL_PROG_TC_IN, 100, 1000);
	check_duplicate(FL_PROG_TC_IN, 30, 20000);
	check_duplicate(FL_PROG_CLS_PIN, 30, 20000);
	check_duplicate(FL_PROG_TCX_PIN, 100, 1000);
	{
		static const enum fl_prog eg[] = { FL_PROG_TCX_EG, FL_PROG_CLS_EG };
		static const __u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP };
		size_t a, b;
		int fam, fix;

		for (a = 0; a < 2; a++) {
			for (b = 0; b < 2; b++)
				for (fam = 4; fam <= 6; fam += 2)
					for (fix = 0; fix <= 1; fix++)
						check_corrupt(eg[a], fam, protos[b],
							      fam == 4 ? 64 : 63, fix);
			check_corrupt_edges(eg[a]);
			check_corrupt_rate(eg[a]);
			check_corrupt_conns(eg[a]);
		}
	}
	fx_close(&F);
	return tap_done();
}
