// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DNS faults through BPF_PROG_TEST_RUN, with the rule and the names the
 * loader writes (fl_dp_rule_from_fault, fl_dp_add_dns_names):
 *   answers   a query for a listed name comes back as the exact frame a
 *             server would send (built here from scratch, not from the
 *             query): NXDOMAIN and SERVFAIL, IPv4 and IPv6, MACs,
 *             addresses and ports swapped, the query's OPT record cut,
 *             RA as the query's RD; the IP and UDP checksums are checked
 *             again by summing the output
 *   names     exact and wildcard names, any case in the query; the
 *             wildcard's suffix itself, a name that only ends like it,
 *             a subname of an exact name and another name pass untouched
 *   malformed a query cut inside its name or its question, a compressed
 *             name, two questions, a response, another port, the first
 *             fragment of a datagram: untouched
 *   drop      a matching query is dropped as a drop fault drops it
 *   peers     with match.peers, only the queries to those resolvers
 *   fuzz      100,000 mutated queries: each passes byte for byte or comes
 *             back a well-formed answer (checksums, QR, ID, ports)
 *   counters  the rule's dns count is the number of matching queries
 */
#define _GNU_SOURCE
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
#define CLIENT_PORT	40053
#define FRAME_MAX	512

static struct fx F;

/* The target's rule @f on the test's cgroup, as the loader installs it. */
static void setup(const struct fl_fault *f)
{
	struct fl_target t = { .target_id = TID, .n_rules = 1, .rule_ids = { RID } };
	struct fl_rule r;
	__u32 bit = fl_filter_bit(fx_cg.target_id);
	int i;

	fx_reset(&F);
	if (fl_dp_rule_from_fault(f, &r))
		tap_diag("the rule conversion failed");
	fx_rule(&F, RID, &r);
	if (fl_dp_add_dns_names(bpf_map__fd(F.skel->maps.fl_dns), F.skel->bss->fl_dns_filter, TID,
				0, f))
		tap_diag("the names could not be installed");
	t.dns_rules = 1;
	t.dns_labels = fl_fault_dns_labels(f);
	for (i = 0; i < f->n_peers; i++) {
		char buf[64];

		fl_format_cidr(&f->peers[i], buf, sizeof(buf));
		fx_peer(&F, TID, buf, 1);
		t.peer_rules = 1;
	}
	F.skel->bss->fl_ctl.filter[bit >> 6] |= 1ULL << (bit & 63);
	bpf_map_update_elem(bpf_map__fd(F.skel->maps.fl_targets), &fx_cg.target_id, &t, BPF_ANY);
	fx_levels(&F, &fx_cg.target_level, 1);
}

static void dns_fault(struct fl_fault *f, __u8 action)
{
	fl_fault_init(f, "dns");
	f->has_dns = true;
	f->dns_action = action;
	snprintf(f->dns_names[f->n_dns_names++], FL_DNS_TEXT_MAX, "*.example.internal");
	snprintf(f->dns_names[f->n_dns_names++], FL_DNS_TEXT_MAX, "exact.name");
	snprintf(f->dns_names[f->n_dns_names++], FL_DNS_TEXT_MAX, "_dmarc.My-Host.name");
}

/* 54 + 1 + 54 + 1 + 16 characters: 128 bytes in wire format (a length
 * byte per label and the root's 0), the most faultline reads; one more
 * character in the first label makes 129
 */
#define LONG_NAME(first)	first "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."	\
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.internal"

/* "a.Example.internal" in wire format, as written (case kept). */
static __u32 wire(const char *name, __u8 *out)
{
	__u32 n = 0;
	const char *s = name, *dot;

	while (*s) {
		dot = strchr(s, '.');
		if (!dot)
			dot = s + strlen(s);
		out[n++] = dot - s;
		memcpy(out + n, s, dot - s);
		n += dot - s;
		s = *dot ? dot + 1 : dot;
	}
	out[n++] = 0;
	return n;
}

/* The sum of @len bytes at @p as 16-bit big-endian words, unfolded. */
static __u32 sum16(const __u8 *p, __u32 len, __u32 sum)
{
	__u32 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The UDP checksum field's value for the datagram at @udp (its own field
 * taken as 0), or the sum with the field as it is when @verify: 0xffff
 * for a datagram whose checksum is right.
 */
static __u16 udp_sum(int family, const __u8 *l3, const __u8 *udp, __u32 ulen, int verify)
{
	__u32 sum;
	__u8 tmp[FRAME_MAX];

	memcpy(tmp, udp, ulen);
	if (!verify) {
		tmp[6] = 0;
		tmp[7] = 0;
	}
	if (family == 4)
		sum = sum16(l3 + 12, 8, 0);
	else
		sum = sum16(l3 + 8, 32, 0);
	sum += IPPROTO_UDP + ulen;
	sum = fold(sum16(tmp, ulen, sum));
	if (verify)
		return sum;
	sum = ~sum & 0xffff;
	return sum ? sum : 0xffff;
}

/* A frame from (@src, @sport) to (@dst, @dport) carrying @msg, every
 * length and checksum as a sender computes them. Returns its length.
 */
static __u32 frame(__u8 *d, int family, const __u8 *dmac, const __u8 *smac, const char *src,
		   const char *dst, __u16 sport, __u16 dport, const __u8 *msg, __u32 mlen)
{
	__u32 l3 = 14, hl = family == 4 ? 20 : 40, ulen = 8 + mlen;
	__u8 *ip = d + l3, *udp = ip + hl;

	memset(d, 0, l3 + hl + ulen);
	memcpy(d, dmac, 6);
	memcpy(d + 6, smac, 6);
	pkt_put16(d + 12, family == 4 ? PKT_ETH_P_IP : PKT_ETH_P_IPV6);
	if (family == 4) {
		ip[0] = 0x45;
		pkt_put16(ip + 2, hl + ulen);
		pkt_put16(ip + 4, 0x1234);
		pkt_put16(ip + 6, 0x4000);	/* DF */
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		inet_pton(AF_INET, src, ip + 12);
		inet_pton(AF_INET, dst, ip + 16);
		pkt_put16(ip + 10, pkt_csum(ip, hl));
	} else {
		ip[0] = 0x60;
		pkt_put16(ip + 4, ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		inet_pton(AF_INET6, src, ip + 8);
		inet_pton(AF_INET6, dst, ip + 24);
	}
	pkt_put16(udp, sport);
	pkt_put16(udp + 2, dport);
	pkt_put16(udp + 4, ulen);
	memcpy(udp + 8, msg, mlen);
	pkt_put16(udp + 6, udp_sum(family, ip, udp, ulen, 0));
	return l3 + hl + ulen;
}

static const __u8 client_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const __u8 server_mac[6] = { 0x02, 0, 0, 0, 0, 0x35 };

static const char *client_addr(int family)
{
	return family == 4 ? "198.18.0.2" : "2001:db8::2";
}

static const char *server_addr(int family)
{
	return family == 4 ? "198.18.0.53" : "2001:db8::53";
}

/* another resolver */
static const char *other_server(int family)
{
	return family == 4 ? "198.18.0.54" : "2001:db8::54";
}

struct query {
	int family;
	const char *name;	/* NULL: @raw holds the message */
	__u16 qtype;
	__u8 flags0, flags1;	/* the header's flag bytes */
	__u16 qdcount;
	int opt;		/* an EDNS OPT record after the question */
	__u16 dport;
	int cut;		/* bytes cut off the message's end */
	int other_server;	/* to other_server() instead */
	int first_frag;		/* IPv4: the first fragment of a longer datagram */
	const __u8 *raw;
	__u32 raw_len;
};

/* The message of @q: header, question, maybe OPT. */
static __u32 query_msg(const struct query *q, __u8 *m)
{
	static const __u8 opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	__u32 n;

	if (q->raw) {
		memcpy(m, q->raw, q->raw_len);
		return q->raw_len - q->cut;
	}
	memset(m, 0, 12);
	m[0] = 0xbe;
	m[1] = 0xef;
	m[2] = q->flags0;
	m[3] = q->flags1;
	pkt_put16(m + 4, q->qdcount ? q->qdcount : 1);
	pkt_put16(m + 10, q->opt ? 1 : 0);
	n = 12 + wire(q->name, m + 12);
	pkt_put16(m + n, q->qtype);
	pkt_put16(m + n + 2, 1);	/* IN */
	n += 4;
	if (q->opt) {
		memcpy(m + n, opt, sizeof(opt));
		n += sizeof(opt);
	}
	return n - q->cut;
}

static __u32 query_frame(const struct query *q, __u8 *d)
{
	__u8 m[FRAME_MAX];
	__u32 n = query_msg(q, m), len;

	if (q->first_frag) {
		/* MF, and a UDP length that covers 100 bytes still to come */
		len = frame(d, q->family, server_mac, client_mac, client_addr(q->family),
			    server_addr(q->family), CLIENT_PORT, 53, m, n);
		pkt_put16(d + 14 + 6, 0x2000);
		pkt_put16(d + 14 + 10, 0);
		pkt_put16(d + 14 + 10, pkt_csum(d + 14, 20));
		pkt_put16(d + 14 + 20 + 4, 8 + n + 100);
		return len;
	}
	return frame(d, q->family, server_mac, client_mac, client_addr(q->family),
		     q->other_server ? other_server(q->family) : server_addr(q->family),
		     CLIENT_PORT, q->dport ? q->dport : 53, m, n);
}

/* What a server without EDNS answers to @q with @rcode and no records. */
static __u32 answer_frame(const struct query *q, __u8 rcode, __u8 *d)
{
	__u8 m[FRAME_MAX];
	__u32 n;

	memset(m, 0, 12);
	m[0] = 0xbe;
	m[1] = 0xef;
	m[2] = 0x80 | (q->flags0 & 0x01);
	m[3] = ((q->flags0 & 0x01) ? 0x80 : 0) | rcode;
	pkt_put16(m + 4, 1);
	n = 12 + wire(q->name, m + 12);
	pkt_put16(m + n, q->qtype);
	pkt_put16(m + n + 2, 1);
	n += 4;
	return frame(d, q->family, client_mac, server_mac, server_addr(q->family),
		     client_addr(q->family), 53, CLIENT_PORT, m, n);
}

/* Run @prog on @q: its return value, and the frame out. */
static int run(enum fl_prog prog, const struct query *q, __u8 *out, __u32 *out_len, __u8 *in,
	       __u32 *in_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out, .data_size_out = FRAME_MAX,
		    .repeat = 1);
	int rc;

	*in_len = query_frame(q, in);
	o.data_in = in;
	o.data_size_in = *in_len;
	rc = bpf_prog_test_run_opts(F.prog_fd[prog], &o);
	if (rc) {
		tap_fail("BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	*out_len = o.data_size_out;
	return o.retval;
}

static void hexdiff(const __u8 *got, __u32 glen, const __u8 *want, __u32 wlen)
{
	__u32 i;

	if (glen != wlen)
		tap_fail("length %u, want %u", glen, wlen);
	for (i = 0; i < glen && i < wlen; i++)
		if (got[i] != want[i]) {
			tap_fail("first difference at byte %u: 0x%02x, want 0x%02x", i, got[i],
				 want[i]);
			return;
		}
}

/* @q answered with @rcode by @prog: the exact frame, checksums summed again. */
static void expect_answer(enum fl_prog prog, const struct query *q, __u8 rcode)
{
	__u8 in[FRAME_MAX], out[FRAME_MAX], want[FRAME_MAX];
	__u32 in_len, out_len, want_len, hl = q->family == 4 ? 20 : 40;
	int ret = run(prog, q, out, &out_len, in, &in_len);

	TAP_EQ(ret, 7);	/* TC_ACT_REDIRECT: to the target's ingress */
	want_len = answer_frame(q, rcode, want);
	hexdiff(out, out_len, want, want_len);
	if (out_len < 14 + hl + 8)
		return;
	if (q->family == 4)
		TAP_EQ(pkt_csum(out + 14, 20), 0);
	TAP_EQ(udp_sum(q->family, out + 14, out + 14 + hl, out_len - 14 - hl, 1), 0xffff);
}

/* @q goes on untouched: the pass code, the frame as it was. */
static void expect_pass(enum fl_prog prog, const struct query *q)
{
	__u8 in[FRAME_MAX], out[FRAME_MAX];
	__u32 in_len, out_len;
	int ret = run(prog, q, out, &out_len, in, &in_len);

	TAP_EQ((__u32)ret, fx_code[prog].pass);
	hexdiff(out, out_len, in, in_len);
}

static __u64 dns_count(void)
{
	struct fl_rule_stats t[FL_DIR_MAX];

	fx_rule_stats(&F, RID, t);
	return t[FL_DIR_EGRESS].dns;
}

static void check_answers(enum fl_prog prog, __u8 action)
{
	__u8 rcode = action == FL_DNS_ACT_NXDOMAIN ? 3 : 2;
	const char *what = action == FL_DNS_ACT_NXDOMAIN ? "NXDOMAIN" : "SERVFAIL";
	struct fl_fault f;
	int fam;

	dns_fault(&f, action);
	for (fam = 4; fam <= 6; fam += 2) {
		struct query q = { .family = fam, .name = "a.example.internal", .qtype = 1,
				   .flags0 = 0x01, .flags1 = 0x20, .opt = 1 };

		tap_begin("%s %s, IPv%d: a wildcard's name answered with the exact frame, checksums right",
			  fx_code[prog].name, what, fam);
		setup(&f);
		expect_answer(prog, &q, rcode);
		q.name = "exact.name";
		q.qtype = 28;
		expect_answer(prog, &q, rcode);
		/* no recursion asked: none offered */
		q.flags0 = 0;
		q.opt = 0;
		expect_answer(prog, &q, rcode);
		TAP_EQ(dns_count(), 3);
		tap_end();
	}
}

static void check_names(void)
{
	static const char *const answered[] = {
		"a.example.internal", "A.EXAMPLE.INTERNAL", "x.y.z.Example.Internal",
		"exact.name", "EXACT.Name", "_sip._udp.example.internal",
		"_DMARC.my-host.NAME", "ABCDEFGHIJKLMNOPQRSTUVWXYZ.example.internal",
		"a-fairly-long-label-of-forty-characters0.another-label.EXAMPLE.internal",
		LONG_NAME(""),
	};
	static const char *const passed[] = {
		"example.internal",	/* *.x does not match x itself */
		"aexample.internal",	/* only at a label boundary */
		"a.example.internal.evil",
		"foo.exact.name",	/* an exact name has no subnames */
		"xact.name", "name", "other.test",
		"_dmarc.my-host.nam", "dmarc.my-host.name", "_dmarc_my-host.name",
		LONG_NAME("a"),	/* 129 bytes: longer than faultline reads */
	};
	struct fl_fault f;
	size_t i;
	int fam;

	dns_fault(&f, FL_DNS_ACT_NXDOMAIN);
	for (fam = 4; fam <= 6; fam += 2) {
		tap_begin("fl_cls_eg IPv%d: exact and wildcard names in any case answered, others pass untouched",
			  fam);
		setup(&f);
		for (i = 0; i < ARRAY_SIZE(answered); i++) {
			struct query q = { .family = fam, .name = answered[i], .qtype = 1,
					   .flags0 = 0x01 };

			int before = tap.case_fails;

			expect_answer(FL_PROG_CLS_EG, &q, 3);
			if (tap.case_fails != before)
				tap_diag("  for %s", q.name);
		}
		for (i = 0; i < ARRAY_SIZE(passed); i++) {
			struct query q = { .family = fam, .name = passed[i], .qtype = 1,
					   .flags0 = 0x01 };

			expect_pass(FL_PROG_CLS_EG, &q);
		}
		TAP_EQ(dns_count(), ARRAY_SIZE(answered));
		tap_end();
	}
}

/* cut, compressed, two questions, a response, another opcode, another
 * port, the first fragment of a datagram: untouched
 */
static void check_malformed(void)
{
	/* a.example.internal with "example.internal" as a pointer to offset 12 */
	static const __u8 compressed[] = {
		0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		1, 'a', 0xc0, 0x0c, 0, 1, 0, 1,
	};
	struct fl_fault f;
	struct query q = { .family = 4, .name = "a.example.internal", .qtype = 1, .flags0 = 0x01 };
	int cut;

	dns_fault(&f, FL_DNS_ACT_NXDOMAIN);
	tap_begin("fl_cls_eg: cut, compressed, two questions, a response, another port, a first fragment: untouched");
	setup(&f);
	/* cut inside the name, in QTYPE and QCLASS, and down to the header */
	for (cut = 1; cut <= 4 + 15; cut++) {
		q.cut = cut;
		expect_pass(FL_PROG_CLS_EG, &q);
	}
	q.cut = 0;
	q.qdcount = 2;
	expect_pass(FL_PROG_CLS_EG, &q);
	q.qdcount = 1;
	q.flags0 = 0x81;	/* QR: a response */
	expect_pass(FL_PROG_CLS_EG, &q);
	q.flags0 = 0x01 | (2 << 3);	/* opcode 2: status */
	expect_pass(FL_PROG_CLS_EG, &q);
	q.flags0 = 0x01;
	q.dport = 5353;
	expect_pass(FL_PROG_CLS_EG, &q);
	q.dport = 0;
	q.first_frag = 1;
	expect_pass(FL_PROG_CLS_EG, &q);
	q.first_frag = 0;
	q.raw = compressed;
	q.raw_len = sizeof(compressed);
	expect_pass(FL_PROG_CLS_EG, &q);
	TAP_EQ(dns_count(), 0);
	/* and the same query whole is answered */
	q.raw = NULL;
	expect_answer(FL_PROG_CLS_EG, &q, 3);
	TAP_EQ(dns_count(), 1);
	tap_end();
}

static void check_drop(void)
{
	struct fl_fault f;
	struct query q = { .family = 6, .name = "b.example.internal", .qtype = 28, .flags0 = 1 };
	__u8 in[FRAME_MAX], out[FRAME_MAX];
	__u32 in_len, out_len;

	dns_fault(&f, FL_DNS_ACT_DROP);
	tap_begin("fl_cls_eg and fl_tcx_eg drop: a matching query dropped silently, others pass");
	setup(&f);
	TAP_EQ(run(FL_PROG_CLS_EG, &q, out, &out_len, in, &in_len), fx_code[FL_PROG_CLS_EG].drop);
	TAP_EQ(run(FL_PROG_TCX_EG, &q, out, &out_len, in, &in_len), fx_code[FL_PROG_TCX_EG].drop);
	/* the blackhole redirect leaves the frame as it was */
	hexdiff(out, out_len, in, in_len);
	q.name = "other.test";
	expect_pass(FL_PROG_CLS_EG, &q);
	expect_pass(FL_PROG_TCX_EG, &q);
	TAP_EQ(dns_count(), 2);
	tap_end();
}

#define FUZZ_RUNS	100000

/* Mutated queries (bytes of the message flipped, the frame cut, both
 * families) through both egress programs: each one passes byte for byte,
 * or comes back as an answer whose checksums are right, with QR set, the
 * query's ID, the ports swapped, and no byte more than the query had.
 */
static void check_fuzz(void)
{
	static const char *const names[] = { "a.example.internal", "exact.name", "other.test",
					      "x.Example.Internal" };
	__u8 in[FRAME_MAX], out[FRAME_MAX], m[FRAME_MAX];
	__u32 i, answered = 0, passed = 0, bad = 0;
	struct fl_fault f;

	dns_fault(&f, FL_DNS_ACT_NXDOMAIN);
	tap_begin("%d mutated queries: each passes untouched or comes back a well-formed answer",
		  FUZZ_RUNS);
	setup(&f);
	srandom(16);
	for (i = 0; i < FUZZ_RUNS && bad < 5; i++) {
		struct query q = { .family = (random() & 1) ? 6 : 4,
				   .name = names[random() % 4], .qtype = 1,
				   .flags0 = random() & 1, .opt = random() & 1 };
		enum fl_prog prog = (random() & 1) ? FL_PROG_TCX_EG : FL_PROG_CLS_EG;
		__u32 hl = q.family == 4 ? 20 : 40, mlen, len, flips, k;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out, .data_size_out = FRAME_MAX,
			    .repeat = 1);

		mlen = query_msg(&q, m);
		/* flip up to 3 bytes of the message, maybe one of the header's */
		flips = random() % 4;
		for (k = 0; k < flips; k++)
			m[random() % mlen] ^= 1 << (random() % 8);
		len = frame(in, q.family, server_mac, client_mac, client_addr(q.family),
			    server_addr(q.family), CLIENT_PORT, 53, m, mlen);
		/* and sometimes the frame cut short, lengths as they were */
		if (random() % 4 == 0)
			len -= random() % (mlen + 1);
		o.data_in = in;
		o.data_size_in = len;
		if (bpf_prog_test_run_opts(F.prog_fd[prog], &o)) {
			bad++;
			tap_fail("run %u: BPF_PROG_TEST_RUN: %s", i, strerror(errno));
			continue;
		}
		if (o.retval == fx_code[prog].pass) {
			passed++;
			if (o.data_size_out != len || memcmp(out, in, len)) {
				bad++;
				tap_fail("run %u: passed, but the frame changed", i);
			}
			continue;
		}
		answered++;
		if (o.retval != 7 || o.data_size_out > len || o.data_size_out < 14 + hl + 8 + 12 ||
		    (q.family == 4 && pkt_csum(out + 14, 20)) ||
		    udp_sum(q.family, out + 14, out + 14 + hl, o.data_size_out - 14 - hl, 1) != 0xffff ||
		    !(out[14 + hl + 8 + 2] & 0x80) || memcmp(out + 14 + hl + 8, m, 2) ||
		    memcmp(out + 14 + hl, in + 14 + hl + 2, 2) || memcmp(out + 14 + hl + 2, in + 14 + hl, 2)) {
			bad++;
			tap_fail("run %u: returned %u, %u bytes: not a well-formed answer", i,
				 o.retval, o.data_size_out);
		}
	}
	TAP_EQ(bad, 0);
	TAP_TRUE(answered > FUZZ_RUNS / 20 && passed > FUZZ_RUNS / 20,
		 "both outcomes seen: %u answered, %u passed", answered, passed);
	tap_diag("%u answered, %u passed", answered, passed);
	tap_end();
}

/* match.peers: only the queries to that resolver */
static void check_peers(void)
{
	struct fl_fault f;
	int fam;

	dns_fault(&f, FL_DNS_ACT_SERVFAIL);
	fl_parse_cidr("198.18.0.53/32", &f.peers[f.n_peers++]);
	fl_parse_cidr("2001:db8::53/128", &f.peers[f.n_peers++]);
	tap_begin("fl_tcx_eg dns with match.peers: a listed name to that resolver answered, to another passes");
	setup(&f);
	for (fam = 4; fam <= 6; fam += 2) {
		struct query q = { .family = fam, .name = "exact.name", .qtype = 1, .flags0 = 1 };

		expect_answer(FL_PROG_TCX_EG, &q, 2);
		q.other_server = 1;
		expect_pass(FL_PROG_TCX_EG, &q);
	}
	TAP_EQ(dns_count(), 2);
	tap_end();
}

int main(void)
{
	if (fx_tap_start(&F, "fl_bd", ALL_PROGS))
		return 1;
	check_answers(FL_PROG_CLS_EG, FL_DNS_ACT_NXDOMAIN);
	check_answers(FL_PROG_CLS_EG, FL_DNS_ACT_SERVFAIL);
	check_answers(FL_PROG_TCX_EG, FL_DNS_ACT_NXDOMAIN);
	check_answers(FL_PROG_TCX_EG, FL_DNS_ACT_SERVFAIL);
	check_names();
	check_malformed();
	check_drop();
	check_peers();
	check_fuzz();
	fx_close(&F);
	return tap_done();
}
