// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/flows.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flows.h"

#define CGROUP	4242

static struct fl_flow_key make_key(__u32 id, __u8 dir)
{
	struct fl_flow_key k;

	memset(&k, 0, sizeof(k));
	k.local.u8[10] = 0xff;
	k.local.u8[11] = 0xff;
	k.local.u8[12] = 10;
	k.local.u8[13] = (__u8)(id >> 16);
	k.local.u8[14] = (__u8)(id >> 8);
	k.local.u8[15] = (__u8)id;
	k.peer.u8[10] = 0xff;
	k.peer.u8[11] = 0xff;
	k.peer.u8[12] = 198;
	k.peer.u8[13] = 18;
	k.peer.u8[15] = 1;
	k.local_port = (__u16)(32768 + (id & 0x3fff));
	k.peer_port = 443;
	k.proto = FL_PROTO_TCP;
	k.dir = dir;
	k.family = 4;
	k.target_id = 7;
	return k;
}

static struct fl_event make_ev(__u32 kind, __u64 ts,
			       const struct fl_flow_key *k, __u64 packets,
			       __u64 bytes, __u64 drops)
{
	struct fl_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.ts_ns = ts;
	ev.key = *k;
	ev.cgroup_id = CGROUP;
	ev.packets = packets;
	ev.bytes = bytes;
	ev.drops = drops;
	return ev;
}

static void apply(struct fl_flow_table *t, __u32 kind, __u64 ts,
		  const struct fl_flow_key *k, __u64 packets, __u64 bytes,
		  __u64 drops)
{
	struct fl_event ev = make_ev(kind, ts, k, packets, bytes, drops);

	assert_int_equal(fl_flows_apply(t, &ev), 0);
}

static void apply_end(struct fl_flow_table *t, __u64 ts,
		      const struct fl_flow_key *k, __u32 reason,
		      __u64 packets, __u64 bytes, __u64 drops)
{
	struct fl_event ev = make_ev(FL_EV_FLOW_END, ts, k, packets, bytes,
				     drops);

	ev.end_reason = reason;
	assert_int_equal(fl_flows_apply(t, &ev), 0);
}

/* The table has no lookup; top-N over everything is the way in. */
static struct fl_flow_entry get(const struct fl_flow_table *t,
				const struct fl_flow_key *k)
{
	size_t n = fl_flows_count(t), got, i;
	struct fl_flow_entry *all, e;

	all = calloc(n ? n : 1, sizeof(*all));
	assert_non_null(all);
	got = fl_flows_top(t, all, n);
	assert_int_equal(got, n);
	for (i = 0; i < got; i++) {
		if (!memcmp(&all[i].key, k, sizeof(*k))) {
			e = all[i];
			free(all);
			return e;
		}
	}
	free(all);
	fail_msg("flow not found");
	memset(&e, 0, sizeof(e));
	return e;
}

static void assert_counts(const struct fl_flow_entry *e, __u64 packets,
			  __u64 bytes, __u64 drops)
{
	assert_int_equal(e->packets, packets);
	assert_int_equal(e->bytes, bytes);
	assert_int_equal(e->drops, drops);
}

static void test_new_then_snapshot(void **state)
{
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_key k = make_key(1, FL_DIR_EGRESS);
	struct fl_flow_entry e;

	(void)state;
	assert_non_null(t);
	assert_int_equal(fl_flows_count(t), 0);

	apply(t, FL_EV_FLOW_NEW, 100, &k, 1, 60, 0);
	assert_int_equal(fl_flows_count(t), 1);
	e = get(t, &k);
	assert_counts(&e, 1, 60, 0);
	assert_int_equal(e.first_ns, 100);
	assert_int_equal(e.last_ns, 100);
	assert_int_equal(e.cgroup_id, CGROUP);
	assert_int_equal(e.ended, 0);
	assert_memory_equal(&e.key, &k, sizeof(k));

	apply(t, FL_EV_FLOW_SNAPSHOT, 200, &k, 10, 1000, 2);
	assert_int_equal(fl_flows_count(t), 1);
	e = get(t, &k);
	assert_counts(&e, 10, 1000, 2);
	assert_int_equal(e.first_ns, 100);
	assert_int_equal(e.last_ns, 200);
	assert_int_equal(e.ended, 0);

	fl_flows_free(t);
}

static void test_out_of_order(void **state)
{
	struct fl_flow_table *t = fl_flows_new(4);
	struct fl_flow_key k = make_key(1, FL_DIR_INGRESS);
	struct fl_flow_key k2 = make_key(2, FL_DIR_INGRESS);
	struct fl_flow_entry e;

	(void)state;
	apply(t, FL_EV_FLOW_NEW, 100, &k, 1, 60, 0);
	apply(t, FL_EV_FLOW_SNAPSHOT, 300, &k, 30, 3000, 3);
	apply(t, FL_EV_FLOW_SNAPSHOT, 200, &k, 20, 2000, 2);
	e = get(t, &k);
	assert_counts(&e, 30, 3000, 3);
	assert_int_equal(e.first_ns, 100);
	assert_int_equal(e.last_ns, 300);

	/* Each counter keeps its own maximum. */
	apply(t, FL_EV_FLOW_SNAPSHOT, 250, &k, 25, 3500, 1);
	e = get(t, &k);
	assert_counts(&e, 30, 3500, 3);

	/* A NEW overtaken by its snapshots is the same incarnation. */
	apply(t, FL_EV_FLOW_SNAPSHOT, 200, &k2, 20, 2000, 2);
	apply(t, FL_EV_FLOW_NEW, 150, &k2, 1, 60, 0);
	e = get(t, &k2);
	assert_counts(&e, 20, 2000, 2);
	assert_int_equal(e.first_ns, 150);
	assert_int_equal(e.last_ns, 200);

	/* A repeated NEW at the same time is not a new incarnation. */
	apply(t, FL_EV_FLOW_NEW, 200, &k2, 1, 60, 0);
	e = get(t, &k2);
	assert_counts(&e, 20, 2000, 2);

	assert_int_equal(fl_flows_count(t), 2);
	fl_flows_free(t);
}

static void test_end(void **state)
{
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_key k = make_key(1, FL_DIR_EGRESS);
	struct fl_flow_key k2 = make_key(2, FL_DIR_EGRESS);
	struct fl_flow_entry e;

	(void)state;
	apply(t, FL_EV_FLOW_NEW, 100, &k, 1, 60, 0);
	apply(t, FL_EV_FLOW_SNAPSHOT, 200, &k, 30, 3000, 1);
	apply_end(t, 300, &k, FL_END_FIN, 40, 4000, 2);
	e = get(t, &k);
	assert_int_equal(e.ended, 1);
	assert_int_equal(e.end_reason, FL_END_FIN);
	assert_counts(&e, 40, 4000, 2);
	assert_int_equal(e.last_ns, 300);

	/* A snapshot overtaken by the END neither revives nor lowers it. */
	apply(t, FL_EV_FLOW_SNAPSHOT, 250, &k, 35, 3500, 1);
	e = get(t, &k);
	assert_int_equal(e.ended, 1);
	assert_int_equal(e.end_reason, FL_END_FIN);
	assert_counts(&e, 40, 4000, 2);
	assert_int_equal(fl_flows_count(t), 1);

	/* A flow first seen through its END still counts. */
	apply_end(t, 500, &k2, FL_END_RST, 3, 180, 0);
	e = get(t, &k2);
	assert_int_equal(e.ended, 1);
	assert_int_equal(e.end_reason, FL_END_RST);
	assert_counts(&e, 3, 180, 0);

	fl_flows_free(t);
}

static void test_renew_after_end(void **state)
{
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_key k = make_key(1, FL_DIR_EGRESS);
	struct fl_flow_entry e;

	(void)state;
	apply(t, FL_EV_FLOW_NEW, 100, &k, 1, 60, 0);
	apply_end(t, 300, &k, FL_END_FIN, 40, 4000, 2);

	apply(t, FL_EV_FLOW_NEW, 400, &k, 1, 60, 0);
	e = get(t, &k);
	assert_int_equal(fl_flows_count(t), 1);
	assert_int_equal(e.ended, 0);
	assert_int_equal(e.end_reason, 0);
	assert_counts(&e, 41, 4060, 2);
	assert_int_equal(e.first_ns, 100);
	assert_int_equal(e.last_ns, 400);

	apply(t, FL_EV_FLOW_SNAPSHOT, 500, &k, 10, 600, 1);
	e = get(t, &k);
	assert_counts(&e, 50, 4600, 3);

	/* Late records of the finished incarnation: a higher one raises
	 * the total, a lower one changes nothing.
	 */
	apply_end(t, 300, &k, FL_END_FIN, 45, 4500, 2);
	e = get(t, &k);
	assert_counts(&e, 55, 5100, 3);
	assert_int_equal(e.ended, 0);
	apply(t, FL_EV_FLOW_SNAPSHOT, 250, &k, 30, 3000, 1);
	e = get(t, &k);
	assert_counts(&e, 55, 5100, 3);
	assert_int_equal(e.last_ns, 500);

	apply_end(t, 600, &k, FL_END_RST, 20, 1200, 4);
	e = get(t, &k);
	assert_int_equal(e.ended, 1);
	assert_int_equal(e.end_reason, FL_END_RST);
	assert_counts(&e, 65, 5700, 6);

	/* Third incarnation; now the first is too old to count. */
	apply(t, FL_EV_FLOW_NEW, 700, &k, 2, 120, 0);
	e = get(t, &k);
	assert_counts(&e, 67, 5820, 6);
	apply(t, FL_EV_FLOW_SNAPSHOT, 200, &k, 1000, 100000, 100);
	e = get(t, &k);
	assert_counts(&e, 67, 5820, 6);
	assert_int_equal(e.first_ns, 100);
	assert_int_equal(e.last_ns, 700);

	fl_flows_free(t);
}

static void test_renew_without_end(void **state)
{
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_key k = make_key(1, FL_DIR_INGRESS);
	struct fl_flow_entry e;

	(void)state;
	/* LRU eviction: the kernel forgets the flow without an END. */
	apply(t, FL_EV_FLOW_NEW, 100, &k, 1, 100, 0);
	apply(t, FL_EV_FLOW_SNAPSHOT, 200, &k, 50, 5000, 5);
	apply(t, FL_EV_FLOW_NEW, 300, &k, 1, 100, 0);
	e = get(t, &k);
	assert_counts(&e, 51, 5100, 5);
	assert_int_equal(e.ended, 0);
	/* From before the new incarnation started: the old one's. */
	apply(t, FL_EV_FLOW_SNAPSHOT, 250, &k, 60, 6000, 6);
	e = get(t, &k);
	assert_counts(&e, 61, 6100, 6);

	/* Lost NEW: a record after the END starts the next incarnation. */
	apply_end(t, 400, &k, FL_END_FIN, 3, 300, 0);
	e = get(t, &k);
	assert_counts(&e, 63, 6300, 6);
	assert_int_equal(e.ended, 1);
	apply(t, FL_EV_FLOW_SNAPSHOT, 500, &k, 5, 500, 1);
	e = get(t, &k);
	assert_counts(&e, 68, 6800, 7);
	assert_int_equal(e.ended, 0);

	fl_flows_free(t);
}

static void test_top_order(void **state)
{
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_key ka = make_key(1, 0), kb = make_key(2, 0),
			   kc = make_key(3, 1), kd = make_key(4, 1),
			   ke = make_key(5, 0);
	struct fl_flow_entry out[10];

	(void)state;
	apply(t, FL_EV_FLOW_SNAPSHOT, 1, &ka, 10, 1000, 5);
	apply(t, FL_EV_FLOW_SNAPSHOT, 1, &kb, 20, 2000, 5);
	apply(t, FL_EV_FLOW_SNAPSHOT, 1, &kc, 1, 100, 9);
	apply(t, FL_EV_FLOW_SNAPSHOT, 1, &kd, 100, 10000, 0);
	apply(t, FL_EV_FLOW_SNAPSHOT, 1, &ke, 50, 5000, 0);

	assert_int_equal(fl_flows_top(t, out, 3), 3);
	assert_memory_equal(&out[0].key, &kc, sizeof(kc));
	assert_memory_equal(&out[1].key, &kb, sizeof(kb));
	assert_memory_equal(&out[2].key, &ka, sizeof(ka));

	assert_int_equal(fl_flows_top(t, out, 10), 5);
	assert_memory_equal(&out[0].key, &kc, sizeof(kc));
	assert_memory_equal(&out[1].key, &kb, sizeof(kb));
	assert_memory_equal(&out[2].key, &ka, sizeof(ka));
	assert_memory_equal(&out[3].key, &kd, sizeof(kd));
	assert_memory_equal(&out[4].key, &ke, sizeof(ke));
	assert_counts(&out[3], 100, 10000, 0);

	assert_int_equal(fl_flows_top(t, out, 1), 1);
	assert_memory_equal(&out[0].key, &kc, sizeof(kc));
	assert_int_equal(fl_flows_top(t, out, 0), 0);
	assert_int_equal(fl_flows_top(t, NULL, 5), 0);

	/* Drops decide over packets. */
	apply(t, FL_EV_FLOW_SNAPSHOT, 2, &ke, 50, 5000, 10);
	assert_int_equal(fl_flows_top(t, out, 2), 2);
	assert_memory_equal(&out[0].key, &ke, sizeof(ke));
	assert_memory_equal(&out[1].key, &kc, sizeof(kc));

	fl_flows_free(t);
}

struct ref {
	__u64 drops, packets;
};

static int ref_cmp_desc(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	if (x->drops != y->drops)
		return x->drops < y->drops ? 1 : -1;
	if (x->packets != y->packets)
		return x->packets < y->packets ? 1 : -1;
	return 0;
}

static void test_top_against_sort(void **state)
{
	enum { N = 5000, TOP = 100 };
	struct fl_flow_table *t = fl_flows_new(0);
	struct ref *ref = calloc(N, sizeof(*ref));
	struct fl_flow_entry *out = calloc(N, sizeof(*out));
	__u32 x = 12345;
	size_t i;

	(void)state;
	assert_non_null(ref);
	assert_non_null(out);
	for (i = 0; i < N; i++) {
		struct fl_flow_key k = make_key((__u32)i, (__u8)(i & 1));

		/* Few distinct drop counts, so ties fall to packets. */
		x = x * 1103515245 + 12345;
		ref[i].drops = (x >> 16) % 20;
		x = x * 1103515245 + 12345;
		ref[i].packets = (x >> 16) % 100000;
		apply(t, FL_EV_FLOW_SNAPSHOT, 1, &k, ref[i].packets, 0,
		      ref[i].drops);
	}
	qsort(ref, N, sizeof(*ref), ref_cmp_desc);

	assert_int_equal(fl_flows_top(t, out, TOP), TOP);
	for (i = 0; i < TOP; i++) {
		assert_int_equal(out[i].drops, ref[i].drops);
		assert_int_equal(out[i].packets, ref[i].packets);
	}
	assert_int_equal(fl_flows_top(t, out, N), N);
	for (i = 0; i < N; i++) {
		assert_int_equal(out[i].drops, ref[i].drops);
		assert_int_equal(out[i].packets, ref[i].packets);
	}

	free(out);
	free(ref);
	fl_flows_free(t);
}

static void test_totals(void **state)
{
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_key in1 = make_key(1, FL_DIR_INGRESS),
			   in2 = make_key(2, FL_DIR_INGRESS),
			   eg1 = make_key(3, FL_DIR_EGRESS);
	__u64 p = 1, b = 1, d = 1;

	(void)state;
	fl_flows_totals(t, -1, &p, &b, &d);
	assert_int_equal(p, 0);
	assert_int_equal(b, 0);
	assert_int_equal(d, 0);

	apply(t, FL_EV_FLOW_SNAPSHOT, 1, &in1, 10, 1000, 1);
	apply(t, FL_EV_FLOW_SNAPSHOT, 1, &in2, 20, 2000, 2);
	apply(t, FL_EV_FLOW_SNAPSHOT, 1, &eg1, 300, 30000, 30);
	/* An older record must not change any total. */
	apply(t, FL_EV_FLOW_SNAPSHOT, 0, &eg1, 3, 300, 0);

	fl_flows_totals(t, FL_DIR_INGRESS, &p, &b, &d);
	assert_int_equal(p, 30);
	assert_int_equal(b, 3000);
	assert_int_equal(d, 3);
	fl_flows_totals(t, FL_DIR_EGRESS, &p, &b, &d);
	assert_int_equal(p, 300);
	assert_int_equal(b, 30000);
	assert_int_equal(d, 30);
	fl_flows_totals(t, -1, &p, &b, &d);
	assert_int_equal(p, 330);
	assert_int_equal(b, 33000);
	assert_int_equal(d, 33);
	fl_flows_totals(t, FL_DIR_MAX, &p, &b, &d);
	assert_int_equal(p, 0);
	assert_int_equal(b, 0);
	assert_int_equal(d, 0);

	/* Outputs are optional. */
	p = 0;
	fl_flows_totals(t, -1, &p, NULL, NULL);
	assert_int_equal(p, 330);

	/* Ended and re-born flows keep their totals. */
	apply_end(t, 5, &eg1, FL_END_FIN, 400, 40000, 40);
	apply(t, FL_EV_FLOW_NEW, 6, &eg1, 1, 100, 0);
	fl_flows_totals(t, FL_DIR_EGRESS, &p, &b, &d);
	assert_int_equal(p, 401);
	assert_int_equal(b, 40100);
	assert_int_equal(d, 40);

	fl_flows_free(t);
}

static void test_expire_idle(void **state)
{
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_key k1 = make_key(1, 0), k2 = make_key(2, 0),
			   k3 = make_key(3, 0), k4 = make_key(4, 0);
	struct fl_flow_entry e;

	(void)state;
	apply(t, FL_EV_FLOW_NEW, 100, &k1, 1, 10, 0);
	apply(t, FL_EV_FLOW_NEW, 500, &k2, 1, 10, 0);
	apply(t, FL_EV_FLOW_NEW, 600, &k3, 1, 10, 0);
	apply(t, FL_EV_FLOW_NEW, 50, &k4, 1, 10, 0);
	apply_end(t, 60, &k4, FL_END_RST, 2, 20, 0);

	/* now < idle: nothing can be older than that. */
	assert_int_equal(fl_flows_expire_idle(t, 400, 500), 0);

	/* Cutoff 600: k1 and k2 are idle, k3 is exactly at the cutoff,
	 * k4 has already ended.
	 */
	assert_int_equal(fl_flows_expire_idle(t, 1100, 500), 2);
	e = get(t, &k1);
	assert_int_equal(e.ended, 1);
	assert_int_equal(e.end_reason, FL_END_IDLE);
	e = get(t, &k2);
	assert_int_equal(e.ended, 1);
	assert_int_equal(e.end_reason, FL_END_IDLE);
	e = get(t, &k3);
	assert_int_equal(e.ended, 0);
	e = get(t, &k4);
	assert_int_equal(e.end_reason, FL_END_RST);
	assert_int_equal(fl_flows_expire_idle(t, 1100, 500), 0);
	assert_int_equal(fl_flows_count(t), 4);

	/* A quiet flow that speaks again was not gone: same incarnation,
	 * so its cumulative counters are not added twice.
	 */
	apply(t, FL_EV_FLOW_SNAPSHOT, 1200, &k1, 5, 50, 1);
	e = get(t, &k1);
	assert_int_equal(e.ended, 0);
	assert_int_equal(e.end_reason, 0);
	assert_counts(&e, 5, 50, 1);

	/* A NEW after idle expiry is a new incarnation. */
	apply(t, FL_EV_FLOW_NEW, 1300, &k2, 1, 10, 0);
	e = get(t, &k2);
	assert_int_equal(e.ended, 0);
	assert_counts(&e, 2, 20, 0);

	/* A stale record does not revive an expired flow. */
	assert_int_equal(fl_flows_expire_idle(t, 2000, 100), 3);
	apply(t, FL_EV_FLOW_SNAPSHOT, 550, &k3, 1, 10, 0);
	e = get(t, &k3);
	assert_int_equal(e.ended, 1);
	assert_int_equal(e.end_reason, FL_END_IDLE);

	fl_flows_free(t);
}

static void test_many_flows(void **state)
{
	enum { N = 100000 };
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_entry *out = calloc(N, sizeof(*out));
	__u64 p, b, d, want_p = 0;
	size_t i;

	(void)state;
	assert_non_null(t);
	assert_non_null(out);
	for (i = 0; i < N; i++) {
		struct fl_flow_key k = make_key((__u32)i, (__u8)(i & 1));

		apply(t, FL_EV_FLOW_NEW, 1, &k, 1, 100, 0);
	}
	assert_int_equal(fl_flows_count(t), N);
	for (i = 0; i < N; i++) {
		struct fl_flow_key k = make_key((__u32)i, (__u8)(i & 1));

		apply(t, FL_EV_FLOW_SNAPSHOT, 2, &k, i + 1, 0, i % 7);
		want_p += i + 1;
	}
	assert_int_equal(fl_flows_count(t), N);
	fl_flows_totals(t, -1, &p, &b, &d);
	assert_int_equal(p, want_p);
	assert_int_equal(b, (__u64)N * 100);

	/* Every flow is still found under its own key after the growth. */
	assert_int_equal(fl_flows_top(t, out, N), N);
	for (i = 0; i < N; i++) {
		__u32 id = ((__u32)out[i].key.local.u8[13] << 16) |
			   ((__u32)out[i].key.local.u8[14] << 8) |
			   out[i].key.local.u8[15];

		assert_int_equal(out[i].packets, id + 1);
		assert_int_equal(out[i].drops, id % 7);
		if (i) {
			assert_true(out[i - 1].drops > out[i].drops ||
				    (out[i - 1].drops == out[i].drops &&
				     out[i - 1].packets > out[i].packets));
		}
	}
	assert_int_equal(out[0].drops, 6);
	assert_int_equal(out[0].packets, 99995);

	free(out);
	fl_flows_free(t);
}

static void test_bad_input(void **state)
{
	struct fl_flow_table *t = fl_flows_new(0);
	struct fl_flow_key k = make_key(1, 0);
	struct fl_event ev = make_ev(0, 1, &k, 1, 1, 1);

	(void)state;
	assert_int_equal(fl_flows_apply(t, &ev), -EINVAL);
	ev.kind = 4;
	assert_int_equal(fl_flows_apply(t, &ev), -EINVAL);
	ev.kind = UINT32_MAX;
	assert_int_equal(fl_flows_apply(t, &ev), -EINVAL);
	assert_int_equal(fl_flows_count(t), 0);
	assert_int_equal(fl_flows_apply(t, NULL), -EINVAL);
	ev.kind = FL_EV_FLOW_NEW;
	assert_int_equal(fl_flows_apply(NULL, &ev), -EINVAL);
	assert_int_equal(fl_flows_count(NULL), 0);

	/* Keys are compared whole: padding is part of the identity. */
	assert_int_equal(fl_flows_apply(t, &ev), 0);
	ev.key.pad = 1;
	assert_int_equal(fl_flows_apply(t, &ev), 0);
	assert_int_equal(fl_flows_count(t), 2);

	fl_flows_free(t);
	fl_flows_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_then_snapshot),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_end),
		cmocka_unit_test(test_renew_after_end),
		cmocka_unit_test(test_renew_without_end),
		cmocka_unit_test(test_top_order),
		cmocka_unit_test(test_top_against_sort),
		cmocka_unit_test(test_totals),
		cmocka_unit_test(test_expire_idle),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests_name("flows", tests, NULL, NULL);
}
