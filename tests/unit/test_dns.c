// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/spec/dns.c and the DNS part of the fault validator:
 * names to wire format (case, trailing dot, wildcards, limits), the hash
 * of a suffix being the hash of the same bytes on their own (what the
 * datapath relies on), actions, and fl_fault_check's messages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dns.h"
#include "fault.h"

static void name_ok(const char *text, const char *wire, __u32 len, bool wild, __u32 labels)
{
	struct fl_dns_name n;
	char msg[256] = "";

	if (fl_dns_name_parse(text, &n, msg, sizeof(msg)))
		fail_msg("'%s' refused: %s", text, msg);
	assert_int_equal(n.len, len);
	assert_memory_equal(n.wire, wire, len);
	assert_int_equal(n.wild, wild);
	assert_int_equal(n.labels, labels);
}

static void name_bad(const char *text, const char *want)
{
	struct fl_dns_name n;
	char msg[256] = "";

	if (fl_dns_name_parse(text, &n, msg, sizeof(msg)) != -EINVAL)
		fail_msg("'%s' accepted", text);
	if (!strstr(msg, want))
		fail_msg("'%s': message '%s' lacks '%s'", text, msg, want);
}

static void test_names(void **state)
{
	(void)state;
	name_ok("exact.name", "\5exact\4name", 12, false, 2);
	name_ok("Exact.NAME.", "\5exact\4name", 12, false, 2);
	name_ok("*.example.internal", "\7example\10internal", 18, true, 2);
	name_ok("_sip._udp.my-host", "\4_sip\4_udp\7my-host", 19, false, 3);
	name_ok("x", "\1x", 3, false, 1);
	name_bad("", "is not a name");
	name_bad(".", "is not a name");
	name_bad("*", "alone would match every name");
	name_bad("a..b", "empty label");
	name_bad(".a", "empty label");
	name_bad("a.*.b", "may only start a name");
	name_bad("*a.b", "may only start a name");
	name_bad("a b", "which is not a letter");
	name_bad("caf\xc3\xa9.fr", "which is not a letter");
	name_bad("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
		 "a label of 64 characters");
}

/* 126 characters is 128 wire bytes, the limit; a wildcard needs room for a
 * label more.
 */
static void test_name_limits(void **state)
{
	char name[200];
	struct fl_dns_name n;
	char msg[256];

	(void)state;
	memset(name, 'a', 126);
	name[63] = '.';
	name[126] = 0;
	assert_int_equal(fl_dns_name_parse(name, &n, msg, sizeof(msg)), 0);
	assert_int_equal(n.len, FL_DNS_NAME_MAX);
	name[126] = 'a';
	name[127] = 0;
	name_bad(name, "too long");
	/* *. and a suffix of 124 characters (126 wire bytes): a name below
	 * it is 128 bytes at least
	 */
	memcpy(name, "*.", 2);
	name[126] = 0;
	assert_int_equal(fl_dns_name_parse(name, &n, msg, sizeof(msg)), 0);
	name[126] = 'a';
	name[127] = 0;
	name_bad(name, "a wildcard needs room for one more label");
}

/* The datapath hashes a query's name once from its end and takes each
 * suffix's hash on the way: that must be the hash of the suffix alone.
 */
static void test_suffix_hash(void **state)
{
	struct fl_dns_name full, suffix;
	__u64 h = FL_DNS_HASH_SEED, w = 0, at_suffix = 0;
	char msg[256];
	__u32 j, off;

	(void)state;
	assert_int_equal(fl_dns_name_parse("a-long-first-label.b.example.internal", &full, msg,
					   sizeof(msg)), 0);
	assert_int_equal(fl_dns_name_parse("*.example.internal", &suffix, msg, sizeof(msg)), 0);
	off = full.len - suffix.len;
	for (j = 0; j < full.len; j++) {
		w = w << 8 | full.wire[full.len - 1 - j];
		if ((j & 7) == 7) {
			h = fl_dns_mix(h, w);
			w = 0;
		}
		if (full.len - 1 - j == off)
			at_suffix = fl_dns_hash_end(h, w, j + 1);
	}
	assert_true(at_suffix == fl_dns_name_hash(suffix.wire, suffix.len));
	assert_true(fl_dns_hash_end(h, w, full.len) == fl_dns_name_hash(full.wire, full.len));
	/* and names differ */
	assert_true(fl_dns_name_hash(full.wire, full.len) !=
		    fl_dns_name_hash(suffix.wire, suffix.len));
}

static void test_actions(void **state)
{
	static const char *const names[] = { "drop", "delay", "nxdomain", "servfail" };
	__u8 a = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		assert_int_equal(fl_dns_parse_action(names[i], &a), 0);
		assert_string_equal(fl_dns_action_name(a), names[i]);
	}
	assert_int_equal(fl_dns_parse_action("NXDOMAIN", &a), -EINVAL);
	assert_int_equal(fl_dns_parse_action("refused", &a), -EINVAL);
}

static void dns_fault(struct fl_fault *f, const char *name, __u8 action)
{
	fl_fault_init(f, "d");
	f->has_dns = true;
	f->dns_action = action;
	if (name)
		snprintf(f->dns_names[f->n_dns_names++], FL_DNS_TEXT_MAX, "%s", name);
}

static void check_bad(const struct fl_fault *f, const char *field, const char *want)
{
	const char *got = "";
	char msg[400] = "";

	if (fl_fault_check(f, &got, msg, sizeof(msg)) != -EINVAL)
		fail_msg("accepted (want %s: %s)", field, want);
	assert_string_equal(got, field);
	if (!strstr(msg, want))
		fail_msg("%s: message '%s' lacks '%s'", field, msg, want);
}

static void test_validator(void **state)
{
	struct fl_fault f;
	const char *field;
	char msg[400];

	(void)state;
	dns_fault(&f, "*.example.internal", FL_DNS_ACT_NXDOMAIN);
	assert_int_equal(fl_fault_check(&f, &field, msg, sizeof(msg)), 0);
	assert_true(fl_fault_dns_labels(&f) == 1ULL << 2);
	assert_false(fl_fault_needs_edt(&f));

	dns_fault(&f, NULL, FL_DNS_ACT_DROP);
	check_bad(&f, "dns.match.names", "at least one name");
	dns_fault(&f, "a..b", FL_DNS_ACT_DROP);
	check_bad(&f, "dns.match.names", "empty label");
	dns_fault(&f, "x.y", FL_DNS_ACT_NONE);
	check_bad(&f, "dns.action", "drop, delay, nxdomain or servfail");
	dns_fault(&f, "x.y", FL_DNS_ACT_DELAY);
	check_bad(&f, "dns.delay", "needs a duration");
	f.dns_delay_ns = 11000000000ULL;
	check_bad(&f, "dns.delay", "longer than 10s");
	f.dns_delay_ns = 2000000000ULL;
	assert_int_equal(fl_fault_check(&f, &field, msg, sizeof(msg)), 0);
	assert_true(fl_fault_needs_edt(&f));
	assert_true(fl_fault_max_hold(&f) == 2000000000ULL);
	dns_fault(&f, "x.y", FL_DNS_ACT_SERVFAIL);
	f.dns_delay_ns = 1;
	check_bad(&f, "dns.delay", "give action: delay");
	dns_fault(&f, "x.y", FL_DNS_ACT_SERVFAIL);
	f.has_drop = true;
	check_bad(&f, "dns", "in a fault of their own");
	dns_fault(&f, "x.y", FL_DNS_ACT_SERVFAIL);
	f.dir_mask = FL_DIRM_INGRESS;
	check_bad(&f, "direction", "as they leave it");
	dns_fault(&f, "x.y", FL_DNS_ACT_SERVFAIL);
	f.proto = FL_PROTO_TCP;
	check_bad(&f, "match.protocol", "UDP only");
	dns_fault(&f, "x.y", FL_DNS_ACT_SERVFAIL);
	f.ports[f.n_ports++] = 53;
	check_bad(&f, "match.ports", "port 53");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_suffix_hash),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_validator),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
