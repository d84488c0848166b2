// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The reject fault through BPF_PROG_TEST_RUN, with the rules the loader
 * writes (fl_dp_rule_from_fault). Each answer is compared byte for byte
 * with one this test builds on its own from the RFCs, and its checksums are
 * recomputed here over what the program wrote:
 *   TCP SYN (with data)      RST|ACK, SEQ 0, ACK = SEG.SEQ + SEG.LEN + 1
 *   established segment      RST, SEQ = SEG.ACK
 *   FIN without ACK          RST|ACK, ACK = SEG.SEQ + SEG.LEN + 1
 *   UDP, TCP with icmp       ICMP / ICMPv6 port unreachable quoting the IP
 *                            header (options, extension headers) and 8 bytes
 * for IPv4 and IPv6, with and without a VLAN tag, at every tc hook (the
 * return code is the redirect's); what must not be answered (a RST, an ICMP
 * error) is dropped and counted; XDP and cgroup_skb, which cannot answer,
 * drop and count the reason; percent 0 passes the packet untouched;
 * scope connections rejects whole connections (30 % of 4000 within 5
 * sigma), each on every packet and in both directions; 20,000 mutated
 * frames per hook get a well-formed answer or are dropped and counted.
 */
#define _GNU_SOURCE
#include <math.h>
#include <netinet/in.h>

#include "common.h"
#include "datapath.h"
#include "fault.h"
#include "fixture.h"
#include "pkt.h"
#include "tap_start.h"

#define ALL_PROGS	((1u << FL_PROG_MAX) - 1)
#define RID		0
#define TID		1
#define TC_ACT_REDIRECT	7
#define LOCAL4		"198.18.0.2"
#define LOCAL6		"2001:db8::2"
#define PEER4		"198.18.1.7"
#define PEER6		"2001:db8:1::9"

static struct fx F;

static void setup(__u8 proto, double pct, __u8 with)
{
	struct fl_fault f;
	struct fl_rule r;
	struct fl_addr a;
	__u32 rid = RID;

	fl_fault_init(&f, "r");
	f.proto = proto;
	f.has_reject = true;
	f.reject_pct = pct;
	f.reject_prob = fl_percent_to_prob(pct);
	f.reject_with = with;
	fx_reset(&F);
	if (fl_dp_rule_from_fault(&f, &r))
		tap_diag("the rule conversion failed");
	fx_rule(&F, RID, &r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	pkt_addr(LOCAL4, &a);
	fx_owned(&F, &a, TID, &rid, 1, 0);
	pkt_addr(LOCAL6, &a);
	fx_owned(&F, &a, TID, &rid, 1, 0);
}

/* A packet between the target and its peer in the direction of @prog. */
static struct pkt_spec between(enum fl_prog prog, int v6, __u8 proto, __u8 flags, int payload)
{
	const char *local = v6 ? LOCAL6 : LOCAL4, *peer = v6 ? PEER6 : PEER4;
	struct pkt_spec s = { .family = v6 ? 6 : 4, .proto = proto, .tcp_flags = flags,
			      .payload = payload };
	bool eg = fx_code[prog].dir == FL_DIR_EGRESS;

	s.src = eg ? local : peer;
	s.dst = eg ? peer : local;
	s.sport = eg ? 40000 : 5432;
	s.dport = eg ? 5432 : 40000;
	return s;
}

static void put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* The checksum of @l4 (@len bytes) under the pseudo-header of the IP
 * header at @ip; over a segment whose checksum is in place, 0.
 */
static __u16 l4_csum(const __u8 *ip, int v6, __u8 proto, const __u8 *l4, __u32 len)
{
	__u8 buf[PKT_MAX + 40] = {};
	__u32 n;

	if (v6) {
		memcpy(buf, ip + 8, 32);
		put32(buf + 32, len);
		buf[39] = proto;
		n = 40;
	} else {
		memcpy(buf, ip + 12, 8);
		buf[9] = proto;
		buf[10] = len >> 8;
		buf[11] = len;
		n = 12;
	}
	memcpy(buf + n, l4, len);
	return pkt_csum(buf, n + len);
}

/* The answer to @in as the RFCs describe it, built here: the bytes the
 * datapath must write, checksums included.
 */
static __u32 expect(const struct pkt *in, int v6, int icmp, __u8 *out)
{
	__u32 l3 = in->l3_off, iph = v6 ? 40 : 20, l4len, total;
	const __u8 *ip = in->data + l3, *t = in->data + in->l4_off;
	__u8 *h = out + l3, *l4 = h + iph;

	memset(out, 0, PKT_MAX);
	memcpy(out, in->data + 6, 6);
	memcpy(out + 6, in->data, 6);
	memcpy(out + 12, in->data + 12, l3 - 12);	/* VLAN tags and the ethertype */
	l4len = icmp ? 8 + (in->l4_off - l3) + 8 : 20;
	total = iph + l4len;
	if (v6) {
		h[0] = 0x60;
		pkt_put16(h + 4, l4len);
		h[6] = icmp ? IPPROTO_ICMPV6 : IPPROTO_TCP;
		h[7] = 64;
		memcpy(h + 8, ip + 24, 16);
		memcpy(h + 24, ip + 8, 16);
	} else {
		h[0] = 0x45;
		pkt_put16(h + 2, total);
		h[8] = 64;
		h[9] = icmp ? IPPROTO_ICMP : IPPROTO_TCP;
		memcpy(h + 12, ip + 16, 4);
		memcpy(h + 16, ip + 12, 4);
		pkt_put16(h + 10, pkt_csum(h, 20));
	}
	if (icmp) {
		l4[0] = v6 ? 1 : 3;	/* destination unreachable */
		l4[1] = v6 ? 4 : 3;	/* port unreachable */
		memcpy(l4 + 8, ip, l4len - 8);
		pkt_put16(l4 + 2, v6 ? l4_csum(h, 1, IPPROTO_ICMPV6, l4, l4len) :
				       pkt_csum(l4, l4len));
	} else {
		__u32 seg_len = in->len - in->l4_off - 20;
		__u8 fl = t[13];

		memcpy(l4, t + 2, 2);
		memcpy(l4 + 2, t, 2);
		if (fl & PKT_TCP_ACK) {
			memcpy(l4 + 4, t + 8, 4);
			l4[13] = PKT_TCP_RST;
		} else {
			put32(l4 + 8, get32(t + 4) + seg_len + !!(fl & PKT_TCP_SYN) +
					      !!(fl & PKT_TCP_FIN));
			l4[13] = PKT_TCP_RST | PKT_TCP_ACK;
		}
		l4[12] = 0x50;
		pkt_put16(l4 + 16, l4_csum(h, v6, IPPROTO_TCP, l4, 20));
	}
	return l3 + total;
}

/* Run @prog on @in; the answer into @out. */
static int run(enum fl_prog prog, const struct pkt *in, __u8 *out, __u32 *out_len, __u32 *ret)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->data, .data_size_in = in->len,
		    .data_out = out, .data_size_out = PKT_MAX, .repeat = 1);
	int rc = bpf_prog_test_run_opts(F.prog_fd[prog], &o);

	*ret = o.retval;
	*out_len = o.data_size_out;
	return rc;
}

static void check_bytes(const __u8 *got, __u32 got_len, const __u8 *want, __u32 want_len)
{
	__u32 i;

	TAP_EQ(got_len, want_len);
	for (i = 0; i < got_len && i < want_len; i++)
		if (got[i] != want[i])
			break;
	TAP_TRUE(i == want_len && got_len == want_len,
		 "the answer differs from the RFC's at byte %u: 0x%02x, expected 0x%02x", i,
		 i < got_len ? got[i] : 0, i < want_len ? want[i] : 0);
}

/* The checksums of what the program wrote, recomputed: each sums to 0. */
static void check_csums(const __u8 *got, __u32 l3, int v6, int icmp)
{
	const __u8 *h = got + l3;
	__u32 iph = v6 ? 40 : 20;
	__u32 l4len = v6 ? (__u32)(h[4] << 8 | h[5]) : (__u32)(h[2] << 8 | h[3]) - 20;

	if (!v6)
		TAP_EQ(pkt_csum(h, 20), 0);
	if (icmp && !v6)
		TAP_EQ(pkt_csum(h + iph, l4len), 0);
	else
		TAP_EQ(l4_csum(h, v6, icmp ? IPPROTO_ICMPV6 : IPPROTO_TCP, h + iph, l4len), 0);
}

struct rcase {
	const char *what;
	__u8 proto;
	__u8 flags;
	int payload;
	__u32 seq, ack;
	__u8 with;
	int vlans;
	int opt_words;		/* IPv4 options, or (IPv6) one 16-byte destination options header */
};

static const struct rcase cases[] = {
	{ "TCP SYN with data: RST|ACK acknowledging SYN and data", IPPROTO_TCP, PKT_TCP_SYN, 5,
	  0x11223344, 0, FL_REJECT_WITH_AUTO, 0, 0 },
	{ "established TCP segment: RST at SEG.ACK", IPPROTO_TCP, PKT_TCP_ACK | 0x08, 16,
	  0x01020304, 0xa0b0c0d0, FL_REJECT_WITH_AUTO, 0, 0 },
	{ "FIN without ACK: RST|ACK counting the FIN", IPPROTO_TCP, PKT_TCP_FIN, 10, 0xfffffff0, 0,
	  FL_REJECT_WITH_AUTO, 1, 0 },
	{ "UDP: port unreachable quoting header and 8 bytes", IPPROTO_UDP, 0, 32, 0, 0,
	  FL_REJECT_WITH_AUTO, 0, 0 },
	{ "UDP behind options or an extension header, in a VLAN", IPPROTO_UDP, 0, 3, 0, 0,
	  FL_REJECT_WITH_AUTO, 1, 2 },
	{ "TCP SYN with icmp-unreachable: port unreachable", IPPROTO_TCP, PKT_TCP_SYN, 0, 7, 0,
	  FL_REJECT_WITH_ICMP, 0, 0 },
};

static void build(struct pkt *pk, enum fl_prog prog, int v6, const struct rcase *c)
{
	struct pkt_spec s = between(prog, v6, c->proto, c->flags, c->payload);

	s.vlans = c->vlans;
	if (v6 && c->opt_words) {
		s.ext[0] = 60;
		s.n_ext = 1;
	} else if (!v6) {
		s.ip_opt_words = c->opt_words;
	}
	pkt_build(pk, &s);
	if (c->proto == IPPROTO_TCP) {
		put32(pk->data + pk->l4_off + 4, c->seq);
		put32(pk->data + pk->l4_off + 8, c->ack);
	}
}

static void check_answers(enum fl_prog prog)
{
	size_t i;
	int v6;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct rcase *c = &cases[i];

		for (v6 = 0; v6 <= 1; v6++) {
			__u8 out[PKT_MAX], want[PKT_MAX];
			struct fl_rule_stats t[FL_DIR_MAX];
			__u32 dir = fx_code[prog].dir, ret = 0, out_len = 0, want_len;
			int icmp = c->proto != IPPROTO_TCP || c->with == FL_REJECT_WITH_ICMP;
			struct pkt pk;

			tap_begin("%s IPv%d %s", fx_code[prog].name, v6 ? 6 : 4, c->what);
			setup(c->with == FL_REJECT_WITH_AUTO ? FL_PROTO_ANY : c->proto, 100, c->with);
			build(&pk, prog, v6, c);
			want_len = expect(&pk, v6, icmp, want);
			TAP_EQ(run(prog, &pk, out, &out_len, &ret), 0);
			/* back where it came from: bpf_redirect's verdict */
			TAP_EQ(ret, TC_ACT_REDIRECT);
			check_bytes(out, out_len, want, want_len);
			check_csums(out, pk.l3_off, v6, icmp);
			fx_rule_stats(&F, RID, t);
			TAP_EQ(t[dir].rejected, 1);
			TAP_EQ(t[dir].dropped, 0);
			tap_end();
		}
	}
}

/* A RST and an ICMP error are never answered (RFC 9293, RFC 1122): dropped. */
static void check_unanswered(enum fl_prog prog)
{
	struct fl_rule_stats t[FL_DIR_MAX];
	struct fl_stats st[FL_DIR_MAX];
	__u32 dir = fx_code[prog].dir, ret = 0, out_len = 0;
	__u8 out[PKT_MAX];
	struct pkt_spec s;
	struct pkt pk;

	tap_begin("%s a RST, ICMP errors and neighbour discovery are dropped, not answered",
		  fx_code[prog].name);
	setup(FL_PROTO_ANY, 100, FL_REJECT_WITH_AUTO);
	s = between(prog, 0, IPPROTO_TCP, PKT_TCP_RST | PKT_TCP_ACK, 0);
	pkt_build(&pk, &s);
	TAP_EQ(run(prog, &pk, out, &out_len, &ret), 0);
	TAP_EQ(ret, fx_code[prog].drop);
	s = between(prog, 1, IPPROTO_ICMPV6, 0, 0);
	s.icmp_type = 1;	/* destination unreachable */
	pkt_build(&pk, &s);
	TAP_EQ(run(prog, &pk, out, &out_len, &ret), 0);
	TAP_EQ(ret, fx_code[prog].drop);
	s = between(prog, 0, IPPROTO_ICMP, 0, 0);
	s.icmp_type = 3;
	pkt_build(&pk, &s);
	TAP_EQ(run(prog, &pk, out, &out_len, &ret), 0);
	TAP_EQ(ret, fx_code[prog].drop);
	s = between(prog, 1, IPPROTO_ICMPV6, 0, 0);
	s.icmp_type = 135;	/* neighbour solicitation */
	pkt_build(&pk, &s);
	TAP_EQ(run(prog, &pk, out, &out_len, &ret), 0);
	TAP_EQ(ret, fx_code[prog].drop);
	fx_rule_stats(&F, RID, t);
	fx_stats(&F, st);
	TAP_EQ(t[dir].rejected, 0);
	TAP_EQ(t[dir].dropped, 4);
	TAP_EQ(st[dir].drop_reason[FL_DROP_REJECT], 0);
	/* echo requests are answered */
	s = between(prog, 0, IPPROTO_ICMP, 0, 0);
	s.icmp_type = 8;
	pkt_build(&pk, &s);
	TAP_EQ(run(prog, &pk, out, &out_len, &ret), 0);
	TAP_EQ(ret, TC_ACT_REDIRECT);
	TAP_TRUE(out[pk.l3_off + 9] == IPPROTO_ICMP && out[pk.l3_off + 20] == 3,
		 "an echo request answered with ICMP type %u", out[pk.l3_off + 20]);
	s = between(prog, 1, IPPROTO_ICMPV6, 0, 0);
	s.icmp_type = 128;
	pkt_build(&pk, &s);
	TAP_EQ(run(prog, &pk, out, &out_len, &ret), 0);
	TAP_EQ(ret, TC_ACT_REDIRECT);
	TAP_TRUE(out[pk.l3_off + 6] == IPPROTO_ICMPV6 && out[pk.l3_off + 40] == 1,
		 "an ICMPv6 echo request answered with type %u", out[pk.l3_off + 40]);
	tap_end();
}

/* Percent 0: the rule matches, draws, and the packet leaves as it came. */
static void check_zero(enum fl_prog prog)
{
	struct fl_rule_stats t[FL_DIR_MAX];
	__u32 dir = fx_code[prog].dir, ret = 0, out_len = 0;
	__u8 out[PKT_MAX];
	struct pkt_spec s = between(prog, 0, IPPROTO_TCP, PKT_TCP_SYN, 0);
	struct pkt pk;

	tap_begin("%s reject 0 %%: the packet passes untouched", fx_code[prog].name);
	setup(FL_PROTO_ANY, 0, FL_REJECT_WITH_AUTO);
	pkt_build(&pk, &s);
	TAP_EQ(run(prog, &pk, out, &out_len, &ret), 0);
	TAP_EQ(ret, fx_code[prog].pass);
	check_bytes(out, out_len, pk.data, pk.len);
	fx_rule_stats(&F, RID, t);
	TAP_EQ(t[dir].matched, 1);
	TAP_EQ(t[dir].rejected, 0);
	tap_end();
}

/* XDP and cgroup_skb cannot answer: the packet is dropped, and the reason
 * counted (the loader keeps ingress rejects off them).
 */
static void check_no_answer_hook(enum fl_prog prog)
{
	struct fl_stats st[FL_DIR_MAX];
	__u32 dir = fx_code[prog].dir, ret = 0, out_len = 0;
	__u8 out[PKT_MAX];
	struct pkt_spec s = between(prog, 0, IPPROTO_UDP, 0, 8);
	struct pkt pk;
	const __u8 *data = NULL;
	__u32 len;

	tap_begin("%s cannot answer: dropped, counted as reject_unanswered", fx_code[prog].name);
	setup(FL_PROTO_ANY, 100, FL_REJECT_WITH_AUTO);
	pkt_build(&pk, &s);
	data = pk.data;
	len = pk.len;
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len,
			    .data_out = out, .data_size_out = PKT_MAX, .repeat = 1);

		TAP_EQ(bpf_prog_test_run_opts(F.prog_fd[prog], &o), 0);
		ret = o.retval;
		out_len = o.data_size_out;
	}
	TAP_EQ(ret, fx_code[prog].drop);
	/* nothing forged */
	TAP_EQ(out_len, len);
	fx_stats(&F, st);
	TAP_EQ(st[dir].drop_reason[FL_DROP_REJECT], 1);
	tap_end();
}

/* An answer the program wrote for @in is well formed: MACs swapped, its
 * checksums sum to 0, a RST, or port unreachable quoting @in's IP header
 * and what follows as it was. 0 or -1.
 */
static int answer_ok(const struct pkt *in, const __u8 *out, __u32 out_len)
{
	__u32 l3 = in->l3_off, iph, l4len;
	const __u8 *h = out + l3, *l4;
	int v6 = in->data[l3] >> 4 == 6;
	__u8 proto;

	if (memcmp(out, in->data + 6, 6) || memcmp(out + 6, in->data, 6) || out_len < l3 + 28)
		return -1;
	iph = v6 ? 40 : 20;
	if (v6) {
		l4len = h[4] << 8 | h[5];
		proto = h[6];
	} else {
		l4len = (h[2] << 8 | h[3]) - 20;
		proto = h[9];
		if (h[0] != 0x45 || pkt_csum(h, 20))
			return -1;
	}
	if (out_len != l3 + iph + l4len)
		return -1;
	l4 = h + iph;
	if (proto == IPPROTO_TCP)
		return l4len == 20 && (l4[13] & PKT_TCP_RST) &&
		       !l4_csum(h, v6, proto, l4, l4len) ? 0 : -1;
	if (proto != (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) || l4[0] != (v6 ? 1 : 3) ||
	    l4[1] != (v6 ? 4 : 3) || l4len < 8 + 28 || l3 + l4len - 8 > in->len)
		return -1;
	if (v6 ? l4_csum(h, 1, proto, l4, l4len) : pkt_csum(l4, l4len))
		return -1;
	return memcmp(l4 + 8, in->data + l3, l4len - 8) ? -1 : 0;
}

/* Mutated frames (wrong IP lengths, TCP header lengths, cut short, a byte
 * changed) through the builders: each is answered with a well-formed
 * answer, or dropped and counted; nothing else.
 */
static void check_mutated(enum fl_prog prog, __u32 n)
{
	__u64 answered = 0, dropped = 0, passed = 0, bad = 0, other = 0;
	struct fl_rule_stats t[FL_DIR_MAX];
	struct fl_stats st[FL_DIR_MAX];
	__u32 dir = fx_code[prog].dir, i, seed = 12345;

	tap_begin("%s %u mutated frames: a well-formed answer, or dropped and counted",
		  fx_code[prog].name, n);
	setup(FL_PROTO_ANY, 100, FL_REJECT_WITH_AUTO);
	for (i = 0; i < n; i++) {
		const struct rcase *c;
		__u8 out[PKT_MAX];
		__u32 ret = 0, out_len = 0, r, l4;
		struct pkt pk;

		seed = seed * 1103515245 + 12345;
		r = seed >> 8;
		c = &cases[r % ARRAY_SIZE(cases)];
		build(&pk, prog, (r >> 4) & 1, c);
		l4 = pk.l4_off;
		switch ((r >> 5) % 5) {
		case 0:	/* the IP length field */
			pkt_put16(pk.data + pk.l3_off + ((r >> 4) & 1 ? 4 : 2), r >> 12);
			break;
		case 1:	/* the TCP header length (UDP: its length field's high byte) */
			pk.data[l4 + 12 - (c->proto != IPPROTO_TCP ? 8 : 0)] = (r >> 12) << 4;
			break;
		case 2:	/* cut short, but for a whole Ethernet and IP header */
			pk.len = pk.l3_off + (pk.data[pk.l3_off] >> 4 == 6 ? 40 : 20) +
				 (r >> 12) % (pk.len - l4 + 1);
			break;
		case 3:	/* any byte after the Ethernet header */
			pk.data[pk.l3_off + (r >> 12) % (pk.len - pk.l3_off)] ^= 1 + (r & 0x7f);
			break;
		}
		if (run(prog, &pk, out, &out_len, &ret)) {
			other++;
			continue;
		}
		/* tcx drops by a redirect too (to no device): the answer is
		 * the redirect that rewrote the frame
		 */
		if (ret == TC_ACT_REDIRECT && (fx_code[prog].drop != TC_ACT_REDIRECT ||
					       out_len != pk.len || memcmp(out, pk.data, pk.len))) {
			answered++;
			if (answer_ok(&pk, out, out_len) && bad++ < 3)
				tap_fail("frame %u (case %s, mutation %u): a malformed answer", i,
					 c->what, (r >> 5) % 5);
		} else if (ret == fx_code[prog].drop) {
			dropped++;
		} else if (ret == fx_code[prog].pass) {
			passed++;	/* one the parser gave up on */
		} else {
			other++;
		}
	}
	fx_rule_stats(&F, RID, t);
	fx_stats(&F, st);
	TAP_EQ(bad, 0);
	TAP_EQ(other, 0);
	/* rejected counts the decisions; those left unanswered were dropped */
	TAP_EQ(t[dir].rejected - st[dir].drop_reason[FL_DROP_REJECT], answered);
	TAP_EQ(t[dir].dropped + st[dir].drop_reason[FL_DROP_REJECT], dropped);
	TAP_TRUE(answered > n / 2, "only %llu of %u frames answered", (unsigned long long)answered,
		 n);
	tap_diag("%s: %llu answered, %llu dropped (%llu unanswered), %llu passed unparsed",
		 fx_code[prog].name, (unsigned long long)answered, (unsigned long long)dropped,
		 (unsigned long long)st[dir].drop_reason[FL_DROP_REJECT],
		 (unsigned long long)passed);
	tap_end();
}

/* scope connections: the reject percentage chooses whole connections by
 * the tuple's hash, the same for every packet of one and both directions
 */
static void check_connections(void)
{
	const __u32 n = 4000;
	const double p = 0.3, mean = p * n, sd = sqrt(n * p * (1 - p));
	__u32 i, chosen = 0, unstable = 0;
	struct fl_fault f;
	struct fl_rule r;
	struct fl_addr a;
	__u32 rid = RID;
	double dev;

	tap_begin("scope connections: 30 %% of %u connections rejected, each every time and both ways", n);
	fl_fault_init(&f, "c");
	f.has_reject = true;
	f.reject_pct = 30;
	f.reject_prob = fl_percent_to_prob(30);
	f.scope = FL_SCOPE_CONNECTIONS;
	fx_reset(&F);
	TAP_EQ(fl_dp_rule_from_fault(&f, &r), 0);
	fx_rule(&F, RID, &r);
	fx_target(&F, fx_cg.target_id, TID, &rid, 1, 0);
	fx_levels(&F, &fx_cg.target_level, 1);
	pkt_addr(LOCAL4, &a);
	fx_owned(&F, &a, TID, &rid, 1, 0);
	for (i = 0; i < n; i++) {
		struct pkt_spec eg = between(FL_PROG_TCX_EG, 0, IPPROTO_TCP, PKT_TCP_ACK, 8);
		struct pkt_spec in = between(FL_PROG_TC_IN, 0, IPPROTO_TCP, PKT_TCP_ACK, 8);
		__u8 out[PKT_MAX];
		__u32 ret[3], len, k;
		struct pkt pk;

		eg.sport = in.dport = 20000 + i;
		pkt_build(&pk, &eg);
		for (k = 0; k < 2; k++)
			if (run(FL_PROG_TCX_EG, &pk, out, &len, &ret[k]))
				ret[k] = ~0u;
		pkt_build(&pk, &in);
		if (run(FL_PROG_TC_IN, &pk, out, &len, &ret[2]))
			ret[2] = ~0u;
		chosen += ret[0] == TC_ACT_REDIRECT;
		unstable += ret[0] != ret[1] || ret[0] != ret[2];
	}
	TAP_EQ(unstable, 0);
	dev = (chosen - mean) / sd;
	TAP_TRUE(fabs(dev) <= 5, "%u connections rejected, expected %.0f +- %.1f (%.2f sigma)", chosen,
		 mean, sd, dev);
	tap_end();
}

int main(void)
{
	static const enum fl_prog tc[] = { FL_PROG_TCX_EG, FL_PROG_CLS_EG, FL_PROG_TC_IN,
					   FL_PROG_TCX_PIN, FL_PROG_CLS_PIN };
	size_t i;

	if (fx_tap_start(&F, "fl_rj", ALL_PROGS))
		return 1;
	for (i = 0; i < ARRAY_SIZE(tc); i++) {
		check_answers(tc[i]);
		check_unanswered(tc[i]);
		check_zero(tc[i]);
	}
	check_no_answer_hook(FL_PROG_XDP_IN);
	check_no_answer_hook(FL_PROG_CG_IN);
	check_connections();
	check_mutated(FL_PROG_TCX_EG, 20000);
	check_mutated(FL_PROG_TC_IN, 20000);
	fx_close(&F);
	return tap_done();
}
