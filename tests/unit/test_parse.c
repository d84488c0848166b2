// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/parse.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "parse.h"

#define SEC	1000000000ULL
#define SENTINEL_U64	0x5a5a5a5a5a5a5a5aULL

static __u64 dur_ok(const char *s)
{
	__u64 ns = SENTINEL_U64;

	assert_int_equal(fl_parse_duration(s, &ns), 0);
	return ns;
}

/* A refused value must also leave the output alone. */
static void dur_bad(const char *s)
{
	__u64 ns = SENTINEL_U64;

	if (fl_parse_duration(s, &ns) != -EINVAL)
		fail_msg("duration \"%s\" was accepted", s);
	assert_int_equal(ns, SENTINEL_U64);
}

static void test_duration_units(void **state)
{
	(void)state;
	assert_int_equal(dur_ok("7ns"), 7);
	assert_int_equal(dur_ok("250us"), 250000);
	assert_int_equal(dur_ok("500ms"), 500000000);
	assert_int_equal(dur_ok("10s"), 10 * SEC);
	assert_int_equal(dur_ok("2m"), 120 * SEC);
	assert_int_equal(dur_ok("1h"), 3600 * SEC);
	assert_int_equal(dur_ok("1h30m"), 5400 * SEC);
	assert_int_equal(dur_ok("1m30s500ms"), 90 * SEC + 500000000);
	assert_int_equal(dur_ok("0s1ns"), 1);
}

static void test_duration_bare_seconds(void **state)
{
	(void)state;
	assert_int_equal(dur_ok("10"), 10 * SEC);
	assert_int_equal(dur_ok("1"), SEC);
	assert_int_equal(dur_ok("0010"), 10 * SEC);
	assert_int_equal(dur_ok("2.5"), 2500000000ULL);
	/* A unitless number after a unit is ambiguous. */
	dur_bad("1h30");
	dur_bad("1s5");
}

static void test_duration_fractions(void **state)
{
	(void)state;
	assert_int_equal(dur_ok("1.5s"), 1500000000ULL);
	assert_int_equal(dur_ok("0.5ms"), 500000);
	assert_int_equal(dur_ok("1.25h"), 4500 * SEC);
	assert_int_equal(dur_ok("0.001s"), 1000000);
	assert_int_equal(dur_ok("1.5us"), 1500);
	assert_int_equal(dur_ok("0.1m"), 6 * SEC);
	/* Sub-nanosecond parts are truncated. */
	assert_int_equal(dur_ok("1.9ns"), 1);
	assert_int_equal(dur_ok("0.0000000015s"), 1);
	/* Many digits must not overflow the fraction's denominator. */
	assert_int_equal(dur_ok("0.333333333333333333333333h"), 1200 * SEC - 1);
	dur_bad("0.5ns");
	dur_bad(".5s");
	dur_bad("5.s");
	dur_bad("1..5s");
	dur_bad("1.5.5s");
}

static void test_duration_zero_and_overflow(void **state)
{
	(void)state;
	dur_bad("0");
	dur_bad("0s");
	dur_bad("0h0m");
	dur_bad("0.0s");
	/* 2^64 - 1 ns is fine, one more is not. */
	assert_int_equal(dur_ok("18446744073709551615ns"), UINT64_MAX);
	dur_bad("18446744073709551616ns");
	dur_bad("99999999999999999999999s");
	/* 5124095 h fits, 5124096 h is 1.8446745600e19 ns. */
	assert_int_equal(dur_ok("5124095h"), 5124095ULL * 3600 * SEC);
	dur_bad("5124096h");
	assert_int_equal(dur_ok("18446744073s"), 18446744073ULL * SEC);
	dur_bad("18446744074s");
	/* Overflow in the sum of two components that each fit. */
	dur_bad("5124095h5124095h");
	dur_bad("18446744073709551615ns1ns");
}

static void test_duration_garbage(void **state)
{
	(void)state;
	dur_bad("");
	dur_bad("s");
	dur_bad("ms");
	dur_bad("-1s");
	dur_bad("+1s");
	dur_bad("10x");
	dur_bad("10sec");
	dur_bad("10 s");
	dur_bad(" 10s");
	dur_bad("10s ");
	dur_bad("10s\n");
	dur_bad("\t10s");
	dur_bad("10S");
	dur_bad("1H");
	dur_bad("10d");
	dur_bad("0x10s");
	dur_bad("1e3ms");
	dur_bad("inf");
	dur_bad("nan");
	dur_bad("10s,5s");
	assert_int_equal(fl_parse_duration(NULL, &(__u64){ 0 }), -EINVAL);
	assert_int_equal(fl_parse_duration("1s", NULL), -EINVAL);
}

static double pct_ok(const char *s)
{
	double pct = -1.0;

	assert_int_equal(fl_parse_percent(s, &pct), 0);
	return pct;
}

static void pct_bad(const char *s)
{
	double pct = -1.0;

	if (fl_parse_percent(s, &pct) != -EINVAL)
		fail_msg("percent \"%s\" was accepted", s);
	assert_true(pct == -1.0);
}

static void test_percent(void **state)
{
	(void)state;
	assert_true(pct_ok("0") == 0.0);
	assert_true(pct_ok("0%") == 0.0);
	assert_true(pct_ok("30") == 30.0);
	assert_true(pct_ok("30%") == 30.0);
	assert_true(pct_ok("100") == 100.0);
	assert_true(pct_ok("100%") == 100.0);
	assert_true(pct_ok("100.0") == 100.0);
	assert_true(pct_ok("100.000000000000000000") == 100.0);
	assert_true(pct_ok("0.01") == 0.01);
	assert_true(pct_ok("12.5%") == 12.5);
	assert_true(pct_ok("99.999") == 99.999);
	assert_true(pct_ok("007") == 7.0);
}

static void test_percent_bad(void **state)
{
	(void)state;
	pct_bad("100.0001");
	/* Above 100 by less than a double can show. */
	pct_bad("100.00000000000000000001");
	pct_bad("101");
	pct_bad("1000");
	pct_bad("99999999999999999999999");
	pct_bad("-0.1");
	pct_bad("-0");
	pct_bad("+5");
	pct_bad("abc");
	pct_bad("");
	pct_bad("%");
	pct_bad("30%%");
	pct_bad("30 %");
	pct_bad(" 30");
	pct_bad("30 ");
	pct_bad("30x");
	pct_bad(".5");
	pct_bad("5.");
	pct_bad("nan");
	pct_bad("inf");
	pct_bad("1e1");
	pct_bad("0x10");
	pct_bad("3,5");
	assert_int_equal(fl_parse_percent(NULL, &(double){ 0 }), -EINVAL);
	assert_int_equal(fl_parse_percent("1", NULL), -EINVAL);
}

static void test_percent_to_prob(void **state)
{
	(void)state;
	assert_int_equal(fl_percent_to_prob(0.0), 0);
	assert_int_equal(fl_percent_to_prob(100.0), FL_PROB_ONE);
	assert_int_equal(fl_percent_to_prob(50.0), FL_PROB_ONE / 2);
	/* 0.3 * 2^32 = 1288490188.8 */
	assert_int_equal(fl_percent_to_prob(30.0), 1288490189ULL);
	/* 0.0001 * 2^32 = 429496.7296: well above the 2^-32 resolution. */
	assert_int_equal(fl_percent_to_prob(0.01), 429497ULL);
	/* The smallest step, 100 / 2^32 %, is representable; half of it
	 * rounds up, less than half rounds to zero.
	 */
	assert_int_equal(fl_percent_to_prob(100.0 / 4294967296.0), 1);
	assert_int_equal(fl_percent_to_prob(50.0 / 4294967296.0), 1);
	assert_int_equal(fl_percent_to_prob(40.0 / 4294967296.0), 0);
	assert_int_equal(fl_percent_to_prob(-5.0), 0);
	assert_int_equal(fl_percent_to_prob(150.0), FL_PROB_ONE);
	assert_int_equal(fl_percent_to_prob(__builtin_inf()), FL_PROB_ONE);
	assert_int_equal(fl_percent_to_prob(-__builtin_inf()), 0);
	assert_int_equal(fl_percent_to_prob(__builtin_nan("")), 0);
	/* Just under 100 % must not round past 2^32. */
	assert_int_equal(fl_percent_to_prob(99.9999999999), FL_PROB_ONE);
	assert_int_equal(fl_percent_to_prob(99.99999), 4294966867ULL);
}

static void test_percent_roundtrip(void **state)
{
	double pct;

	(void)state;
	assert_int_equal(fl_parse_percent("0.01%", &pct), 0);
	assert_int_equal(fl_percent_to_prob(pct), 429497ULL);
	assert_int_equal(fl_parse_percent("100", &pct), 0);
	assert_int_equal(fl_percent_to_prob(pct), FL_PROB_ONE);
}

static void addr_v4(struct fl_addr *a, __u8 b0, __u8 b1, __u8 b2, __u8 b3)
{
	memset(a, 0, sizeof(*a));
	a->u8[10] = 0xff;
	a->u8[11] = 0xff;
	a->u8[12] = b0;
	a->u8[13] = b1;
	a->u8[14] = b2;
	a->u8[15] = b3;
}

static void addr_v6(struct fl_addr *a, const char *text)
{
	assert_int_equal(inet_pton(AF_INET6, text, a->u8), 1);
}

static void cidr_bad(const char *s)
{
	struct fl_cidr c;

	memset(&c, 0xa5, sizeof(c));
	if (fl_parse_cidr(s, &c) != -EINVAL)
		fail_msg("cidr \"%s\" was accepted", s);
	assert_int_equal(c.family, (int)0xa5a5a5a5);
}

static void test_cidr_v4(void **state)
{
	struct fl_cidr c;
	struct fl_addr want;

	(void)state;
	assert_int_equal(fl_parse_cidr("198.18.0.0/15", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefixlen, 15);
	addr_v4(&want, 198, 18, 0, 0);
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("10.1.2.3/0", &c), 0);
	assert_int_equal(c.prefixlen, 0);
	addr_v4(&want, 0, 0, 0, 0);
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("10.1.2.3/32", &c), 0);
	assert_int_equal(c.prefixlen, 32);
	addr_v4(&want, 10, 1, 2, 3);
	assert_memory_equal(&c.addr, &want, sizeof(want));
}

static void test_cidr_v4_host_bits(void **state)
{
	struct fl_cidr c;
	struct fl_addr want;

	(void)state;
	assert_int_equal(fl_parse_cidr("198.19.255.255/15", &c), 0);
	addr_v4(&want, 198, 18, 0, 0);
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("192.168.77.200/24", &c), 0);
	addr_v4(&want, 192, 168, 77, 0);
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("192.168.77.255/27", &c), 0);
	addr_v4(&want, 192, 168, 77, 224);
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("255.255.255.255/1", &c), 0);
	addr_v4(&want, 128, 0, 0, 0);
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("255.255.255.255/31", &c), 0);
	addr_v4(&want, 255, 255, 255, 254);
	assert_memory_equal(&c.addr, &want, sizeof(want));
}

static void test_cidr_v4_bare(void **state)
{
	struct fl_cidr c;
	struct fl_addr want;

	(void)state;
	assert_int_equal(fl_parse_cidr("192.0.2.7", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefixlen, 32);
	addr_v4(&want, 192, 0, 2, 7);
	assert_memory_equal(&c.addr, &want, sizeof(want));
}

static void test_cidr_v6(void **state)
{
	struct fl_cidr c;
	struct fl_addr want;

	(void)state;
	assert_int_equal(fl_parse_cidr("2001:db8::/32", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefixlen, 32);
	addr_v6(&want, "2001:db8::");
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("2001:db8:ffff:1::5/35", &c), 0);
	addr_v6(&want, "2001:db8:e000::");
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("fe80::1:2:3:4/64", &c), 0);
	addr_v6(&want, "fe80::");
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("2001:db8::ffff/127", &c), 0);
	addr_v6(&want, "2001:db8::fffe");
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("::/0", &c), 0);
	assert_int_equal(c.prefixlen, 0);
	addr_v6(&want, "::");
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("2001:db8::1", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefixlen, 128);
	addr_v6(&want, "2001:db8::1");
	assert_memory_equal(&c.addr, &want, sizeof(want));

	assert_int_equal(fl_parse_cidr("2001:db8::1/128", &c), 0);
	assert_int_equal(c.prefixlen, 128);
	assert_memory_equal(&c.addr, &want, sizeof(want));

	/* Mapped text is IPv6 syntax, so the prefix counts 128 bits. */
	assert_int_equal(fl_parse_cidr("::ffff:10.0.0.1/120", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefixlen, 120);
	addr_v4(&want, 10, 0, 0, 0);
	assert_memory_equal(&c.addr, &want, sizeof(want));
}

static void test_cidr_bad(void **state)
{
	(void)state;
	cidr_bad("1.2.3.4/33");
	cidr_bad("1.2.3.4/100");
	cidr_bad("2001:db8::/129");
	cidr_bad("2001:db8::/1000");
	cidr_bad("1.2.3.4/");
	cidr_bad("2001:db8::/");
	cidr_bad("1.2.3/24");
	cidr_bad("1.2.3");
	cidr_bad("1.2.3.4.5");
	cidr_bad("256.1.1.1");
	cidr_bad("1.2.3.4/-1");
	cidr_bad("1.2.3.4/+8");
	cidr_bad("1.2.3.4/8x");
	cidr_bad("1.2.3.4/ 8");
	cidr_bad("1.2.3.4/8/8");
	cidr_bad("1.2.3.4/0x8");
	cidr_bad("/24");
	cidr_bad("");
	cidr_bad(" 1.2.3.4");
	cidr_bad("1.2.3.4 ");
	cidr_bad("example.com");
	cidr_bad("2001:db8:::1/64");
	cidr_bad("2001:db8::g/64");
	cidr_bad("1:2:3:4:5:6:7:8:9");
	cidr_bad("0000:0000:0000:0000:0000:0000:0000:0000:0000/64");
	assert_int_equal(fl_parse_cidr(NULL, &(struct fl_cidr){ 0 }), -EINVAL);
	assert_int_equal(fl_parse_cidr("1.2.3.4", NULL), -EINVAL);
}

static void test_cidr_peer_key(void **state)
{
	struct fl_cidr c;
	__u8 out[16];
	__u32 bits = 0;

	(void)state;
	assert_int_equal(fl_parse_cidr("192.168.1.0/24", &c), 0);
	fl_cidr_to_peer_key_addr(&c, out, &bits);
	assert_int_equal(bits, 120);
	assert_memory_equal(out, c.addr.u8, 16);
	assert_int_equal(out[10], 0xff);
	assert_int_equal(out[11], 0xff);
	assert_int_equal(out[14], 1);

	assert_int_equal(fl_parse_cidr("0.0.0.0/0", &c), 0);
	fl_cidr_to_peer_key_addr(&c, out, &bits);
	assert_int_equal(bits, 96);

	assert_int_equal(fl_parse_cidr("10.0.0.1", &c), 0);
	fl_cidr_to_peer_key_addr(&c, out, &bits);
	assert_int_equal(bits, 128);

	assert_int_equal(fl_parse_cidr("2001:db8::/32", &c), 0);
	fl_cidr_to_peer_key_addr(&c, out, &bits);
	assert_int_equal(bits, 32);
	assert_int_equal(out[0], 0x20);
	assert_int_equal(out[3], 0xb8);

	assert_int_equal(fl_parse_cidr("::/0", &c), 0);
	fl_cidr_to_peer_key_addr(&c, out, &bits);
	assert_int_equal(bits, 0);
}

static void test_format_addr(void **state)
{
	struct fl_addr a;
	char buf[64];

	(void)state;
	addr_v4(&a, 198, 18, 0, 1);
	assert_int_equal(fl_format_addr(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "198.18.0.1");

	addr_v6(&a, "2001:db8::1");
	assert_int_equal(fl_format_addr(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2001:db8::1");

	addr_v6(&a, "::");
	assert_int_equal(fl_format_addr(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "::");

	/* ::fffe:... is not mapped, so it stays IPv6. */
	addr_v6(&a, "::fffe:102:304");
	assert_int_equal(fl_format_addr(&a, buf, sizeof(buf)), 0);
	assert_string_not_equal(buf, "1.2.3.4");

	/* Exactly enough room, then one byte short. */
	addr_v4(&a, 255, 255, 255, 255);
	assert_int_equal(fl_format_addr(&a, buf, 16), 0);
	assert_string_equal(buf, "255.255.255.255");
	assert_int_equal(fl_format_addr(&a, buf, 15), -ENOSPC);
	addr_v6(&a, "2001:db8::1");
	assert_int_equal(fl_format_addr(&a, buf, 11), -ENOSPC);
	assert_int_equal(fl_format_addr(&a, buf, 0), -ENOSPC);

	assert_int_equal(fl_format_addr(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(fl_format_addr(&a, NULL, 16), -EINVAL);
}

static void test_format_parse_roundtrip(void **state)
{
	static const char *const addrs[] = {
		"0.0.0.0", "10.0.0.1", "203.0.113.255", "::1",
		"2001:db8::42", "fe80::1:2:3:4",
	};
	struct fl_cidr c;
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		assert_int_equal(fl_parse_cidr(addrs[i], &c), 0);
		assert_int_equal(fl_format_addr(&c.addr, buf, sizeof(buf)), 0);
		assert_string_equal(buf, addrs[i]);
	}
}

static void port_bad(const char *s)
{
	__u16 port = 4242;

	if (fl_parse_port(s, &port) != -EINVAL)
		fail_msg("port \"%s\" was accepted", s);
	assert_int_equal(port, 4242);
}

/* The report's text for a peer prefix parses back to the same prefix. */
static void cidr_text(const char *in, const char *want)
{
	struct fl_cidr c, back;
	char buf[64];

	assert_int_equal(fl_parse_cidr(in, &c), 0);
	assert_int_equal(fl_format_cidr(&c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
	assert_int_equal(fl_parse_cidr(buf, &back), 0);
	assert_int_equal(back.family, c.family);
	assert_int_equal(back.prefixlen, c.prefixlen);
	assert_memory_equal(&back.addr, &c.addr, sizeof(c.addr));
}

static void test_format_cidr(void **state)
{
	struct fl_cidr c;
	char buf[64];

	(void)state;
	cidr_text("198.18.0.0/15", "198.18.0.0/15");
	cidr_text("198.18.7.9", "198.18.7.9/32");
	cidr_text("2001:db8::/32", "2001:db8::/32");
	/* an IPv6 prefix over mapped addresses stays IPv6 (it read a.b.c.d/128) */
	cidr_text("::ffff:198.18.0.1/128", "::ffff:198.18.0.1/128");
	cidr_text("::ffff:0:0/96", "::ffff:0.0.0.0/96");
	assert_int_equal(fl_parse_cidr("198.18.0.0/15", &c), 0);
	assert_int_equal(fl_format_cidr(&c, buf, strlen("198.18.0.0/15")), -ENOSPC);
	assert_int_equal(fl_format_cidr(&c, buf, strlen("198.18.0.0/15") + 1), 0);
	assert_int_equal(fl_format_cidr(&c, buf, 4), -ENOSPC);
	assert_int_equal(fl_format_cidr(NULL, buf, sizeof(buf)), -EINVAL);
}

static void test_port(void **state)
{
	__u16 port;

	(void)state;
	assert_int_equal(fl_parse_port("1", &port), 0);
	assert_int_equal(port, 1);
	assert_int_equal(fl_parse_port("80", &port), 0);
	assert_int_equal(port, 80);
	assert_int_equal(fl_parse_port("65535", &port), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(fl_parse_port("0443", &port), 0);
	assert_int_equal(port, 443);

	port_bad("0");
	port_bad("00");
	port_bad("65536");
	port_bad("99999999999999999999");
	port_bad("80x");
	port_bad("x80");
	port_bad("");
	port_bad("-1");
	port_bad("+80");
	port_bad(" 80");
	port_bad("80 ");
	port_bad("0x50");
	port_bad("8.0");
	port_bad("http");
	assert_int_equal(fl_parse_port(NULL, &port), -EINVAL);
	assert_int_equal(fl_parse_port("80", NULL), -EINVAL);
}

static void test_proto(void **state)
{
	static const char *const bad[] = {
		"TCP", "Tcp", "UDP", "ICMP", "ANY", "", "tcp ", " tcp",
		"tcp6", "icmpv6", "6", "17", "sctp", "all",
	};
	__u8 proto;
	size_t i;

	(void)state;
	assert_int_equal(fl_parse_proto("tcp", &proto), 0);
	assert_int_equal(proto, FL_PROTO_TCP);
	assert_int_equal(fl_parse_proto("udp", &proto), 0);
	assert_int_equal(proto, FL_PROTO_UDP);
	assert_int_equal(fl_parse_proto("icmp", &proto), 0);
	assert_int_equal(proto, FL_PROTO_ICMP);
	proto = 99;
	assert_int_equal(fl_parse_proto("any", &proto), 0);
	assert_int_equal(proto, FL_PROTO_ANY);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		proto = 99;
		if (fl_parse_proto(bad[i], &proto) != -EINVAL)
			fail_msg("proto \"%s\" was accepted", bad[i]);
		assert_int_equal(proto, 99);
	}
	assert_int_equal(fl_parse_proto(NULL, &proto), -EINVAL);
	assert_int_equal(fl_parse_proto("tcp", NULL), -EINVAL);
}

static void test_direction(void **state)
{
	static const char *const bad[] = {
		"INGRESS", "Ingress", "EGRESS", "Both", "BOTH", "", "in",
		"out", "ingress ", "ingress,egress", "all",
	};
	__u32 dir;
	size_t i;

	(void)state;
	assert_int_equal(fl_parse_direction("ingress", &dir), 0);
	assert_int_equal(dir, FL_DIRM_INGRESS);
	assert_int_equal(fl_parse_direction("egress", &dir), 0);
	assert_int_equal(dir, FL_DIRM_EGRESS);
	assert_int_equal(fl_parse_direction("both", &dir), 0);
	assert_int_equal(dir, FL_DIRM_BOTH);
	assert_int_equal(dir, 3);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dir = 99;
		if (fl_parse_direction(bad[i], &dir) != -EINVAL)
			fail_msg("direction \"%s\" was accepted", bad[i]);
		assert_int_equal(dir, 99);
	}
	assert_int_equal(fl_parse_direction(NULL, &dir), -EINVAL);
	assert_int_equal(fl_parse_direction("both", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units),
		cmocka_unit_test(test_duration_bare_seconds),
		cmocka_unit_test(test_duration_fractions),
		cmocka_unit_test(test_duration_zero_and_overflow),
		cmocka_unit_test(test_duration_garbage),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_percent_bad),
		cmocka_unit_test(test_percent_to_prob),
		cmocka_unit_test(test_percent_roundtrip),
		cmocka_unit_test(test_cidr_v4),
		cmocka_unit_test(test_cidr_v4_host_bits),
		cmocka_unit_test(test_cidr_v4_bare),
		cmocka_unit_test(test_cidr_v6),
		cmocka_unit_test(test_cidr_bad),
		cmocka_unit_test(test_cidr_peer_key),
		cmocka_unit_test(test_format_addr),
		cmocka_unit_test(test_format_parse_roundtrip),
		cmocka_unit_test(test_format_cidr),
		cmocka_unit_test(test_port),
		cmocka_unit_test(test_proto),
		cmocka_unit_test(test_direction),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
