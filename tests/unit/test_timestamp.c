// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/timestamp.c: RFC 3339 layout, the offset, times
 * before 1970, the ends of the range, and buffers that are too short.
 */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "timestamp.h"

#define SEC	1000000000LL

/* the layout the reports promise (README: RFC 3339 UTC with nanoseconds) */
#define RFC3339_NS "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$"

static void assert_ts(__u64 mono, __s64 off, const char *want)
{
	char buf[FL_TIMESTAMP_LEN];

	assert_int_equal(fl_timestamp_format(mono, off, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_epoch(void **state)
{
	(void)state;
	assert_ts(0, 0, "1970-01-01T00:00:00.000000000Z");
	assert_ts(1, 0, "1970-01-01T00:00:00.000000001Z");
	assert_ts(SEC - 1, 0, "1970-01-01T00:00:00.999999999Z");
	assert_ts(SEC, 0, "1970-01-01T00:00:01.000000000Z");
}

static void test_offset_is_added(void **state)
{
	(void)state;
	/* 1700000000 s is 2023-11-14T22:13:20Z */
	assert_ts(123456789, 1700000000LL * SEC, "2023-11-14T22:13:20.123456789Z");
	/* the same instant from another monotonic origin */
	assert_ts(5 * SEC + 123456789, 1699999995LL * SEC, "2023-11-14T22:13:20.123456789Z");
	/* a leap day, and a carry from the nanoseconds into the seconds */
	assert_ts(999999999, 1709207999LL * SEC + 1, "2024-02-29T12:00:00.000000000Z");
	/* a monotonic clock far ahead of an offset below zero */
	assert_ts(1800000000ULL * SEC, -100LL * SEC, "2027-01-15T07:58:20.000000000Z");
}

static void test_before_1970(void **state)
{
	(void)state;
	/* the floor, not C's truncation toward zero */
	assert_ts(0, -1, "1969-12-31T23:59:59.999999999Z");
	assert_ts(0, -SEC, "1969-12-31T23:59:59.000000000Z");
	assert_ts(0, -SEC - 1, "1969-12-31T23:59:58.999999999Z");
}

static void test_range_ends(void **state)
{
	(void)state;
	/* the ends of 64-bit signed nanoseconds */
	assert_ts((__u64)INT64_MAX, 0, "2262-04-11T23:47:16.854775807Z");
	assert_ts(0, INT64_MIN, "1677-09-21T00:12:43.145224192Z");
}

static void test_layout(void **state)
{
	char buf[FL_TIMESTAMP_LEN];
	regex_t re;
	__u64 mono;

	(void)state;
	assert_int_equal(regcomp(&re, RFC3339_NS, REG_EXTENDED | REG_NOSUB), 0);
	for (mono = 0; mono < 400ULL * 24 * 3600 * SEC; mono += 7777777777777ULL) {
		assert_int_equal(fl_timestamp_format(mono, 1764000000LL * SEC, buf, sizeof(buf)), 0);
		assert_int_equal(regexec(&re, buf, 0, NULL, 0), 0);
	}
	regfree(&re);
}

static void test_short_buffer(void **state)
{
	char buf[FL_TIMESTAMP_LEN] = "x";

	(void)state;
	assert_int_equal(fl_timestamp_format(0, 0, buf, FL_TIMESTAMP_LEN - 1), -ERANGE);
	assert_string_equal(buf, "");
	assert_int_equal(fl_timestamp_format(0, 0, buf, 0), -ERANGE);
	assert_int_equal(fl_timestamp_format(0, 0, NULL, FL_TIMESTAMP_LEN), -ERANGE);
}

static __s64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (__s64)ts.tv_sec * SEC + ts.tv_nsec;
}

static void test_offset_now(void **state)
{
	__s64 before, off, after;

	(void)state;
	/* the offset lies between two estimates taken around it; a wall
	 * clock step in between is the only way out, and the slack is 1 s
	 */
	before = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	off = fl_timestamp_offset();
	after = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	assert_true(off > (before < after ? before : after) - SEC);
	assert_true(off < (before > after ? before : after) + SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_offset_is_added),
		cmocka_unit_test(test_before_1970),
		cmocka_unit_test(test_range_ends),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_offset_now),
	};

	return cmocka_run_group_tests_name("timestamp", tests, NULL, NULL);
}
