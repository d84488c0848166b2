// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Aggregation of ring buffer flow records.
 *
 * Records carry cumulative counters, but each CPU has its own position in
 * the ring buffer, so a record can be overtaken by a later one of the same
 * flow. And the BPF side forgets a flow when it ends or when its LRU map
 * evicts it, after which the same key starts again from zero. The rules,
 * applied to each record by its timestamp:
 *
 *  1. Within one incarnation of a key, each counter is the maximum seen,
 *     so an overtaken record can never lower it.
 *  2. A record cannot belong to the current incarnation, and so starts a
 *     new one, when it is a NEW later than every record of the current
 *     incarnation (the kernel emits NEW only when it creates the flow, so
 *     nothing of an incarnation predates its NEW), or when it is any
 *     record later than the current incarnation's END (its own NEW was
 *     lost, e.g. to a full ring buffer).
 *  3. A new incarnation adds the finished one's counters to a base, and
 *     the entry reports base + current: totals never go down.
 *  4. A late record of the previous incarnation (no later than its END,
 *     or before the current one started if it had no END) still raises
 *     that incarnation's counters, and the base by the difference. Records
 *     older than the previous incarnation are ignored: what they counted
 *     is already in the base.
 *  5. Idle expiry is a guess made here, not an END from the kernel: a
 *     later record of the same incarnation revives the flow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flows.h"

#define MIN_FLOWS	16

struct counters {
	__u64 packets;
	__u64 bytes;
	__u64 drops;
	__u64 delayed;
};

struct flow {
	struct fl_flow_entry e;	/* what callers see */
	struct counters base;	/* finished incarnations, prev included */
	struct counters prev;	/* the last finished incarnation alone */
	struct counters cur;
	__u64 prev_start_ns;
	__u64 prev_end_ns;	/* valid when prev_kernel_ended */
	__u64 cur_start_ns;
	__u64 cur_last_ns;
	__u64 cur_end_ns;	/* valid when cur_kernel_ended */
	__u8 has_prev;
	__u8 prev_kernel_ended;
	__u8 cur_kernel_ended;
};

/* Open addressing with linear probing; the table only grows, since flows
 * are never removed, so there are no tombstones to deal with.
 */
struct bucket {
	__u32 hash;		/* high half of the hash; low half: slot */
	__u32 idx;		/* 1 + index into flows[]; 0: empty */
};

struct fl_flow_table {
	struct flow *flows;	/* dense, so scans touch no empty slots */
	size_t n_flows;
	size_t cap_flows;
	struct bucket *buckets;
	size_t n_buckets;	/* power of two */
};

/* FNV-1a, then a 64-bit finalizer: FNV alone mixes the last bytes of the
 * key (target_id) poorly into the low bits that pick the bucket.
 */
static __u64 hash_key(const struct fl_flow_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	__u64 h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static size_t buckets_for(size_t n_flows)
{
	size_t n = 2 * MIN_FLOWS;

	/* At most half full keeps linear probe runs short. */
	while (n < 2 * n_flows)
		n *= 2;
	return n;
}

/* Returns the bucket holding key, or the empty one where it would go. */
static struct bucket *find_bucket(const struct fl_flow_table *t, __u64 h,
				  const struct fl_flow_key *key)
{
	size_t mask = t->n_buckets - 1;
	size_t i = (size_t)h & mask;

	for (;;) {
		struct bucket *b = &t->buckets[i];

		if (!b->idx)
			return b;
		if (b->hash == (__u32)(h >> 32) &&
		    !memcmp(&t->flows[b->idx - 1].e.key, key, sizeof(*key)))
			return b;
		i = (i + 1) & mask;
	}
}

static int rehash(struct fl_flow_table *t, size_t n_buckets)
{
	struct bucket *nb, *old = t->buckets;
	size_t i;

	nb = calloc(n_buckets, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	t->buckets = nb;
	t->n_buckets = n_buckets;
	for (i = 0; i < t->n_flows; i++) {
		__u64 h = hash_key(&t->flows[i].e.key);
		struct bucket *b = find_bucket(t, h, &t->flows[i].e.key);

		b->hash = (__u32)(h >> 32);
		b->idx = (__u32)(i + 1);
	}
	free(old);
	return 0;
}

/* Makes room for one more flow; on failure nothing has changed. */
static int reserve_one(struct fl_flow_table *t)
{
	if (t->n_flows >= UINT32_MAX - 1)
		return -ENOMEM;
	if (t->n_flows == t->cap_flows) {
		size_t cap = t->cap_flows * 2;
		struct flow *nf;

		if (cap / 2 != t->cap_flows || cap > SIZE_MAX / sizeof(*nf))
			return -ENOMEM;
		nf = realloc(t->flows, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		t->flows = nf;
		t->cap_flows = cap;
	}
	if (2 * (t->n_flows + 1) > t->n_buckets)
		return rehash(t, t->n_buckets * 2);
	return 0;
}

struct fl_flow_table *fl_flows_new(size_t capacity_hint)
{
	struct fl_flow_table *t;

	if (capacity_hint < MIN_FLOWS)
		capacity_hint = MIN_FLOWS;
	/* Beyond this the hint is surely a mistake; growth still works. */
	if (capacity_hint > (1u << 24))
		capacity_hint = 1u << 24;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap_flows = capacity_hint;
	t->n_buckets = buckets_for(capacity_hint);
	t->flows = calloc(t->cap_flows, sizeof(*t->flows));
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (!t->flows || !t->buckets) {
		fl_flows_free(t);
		return NULL;
	}
	return t;
}

void fl_flows_free(struct fl_flow_table *t)
{
	if (!t)
		return;
	free(t->flows);
	free(t->buckets);
	free(t);
}

static void counters_from(struct counters *c, const struct fl_event *ev)
{
	c->packets = ev->packets;
	c->bytes = ev->bytes;
	c->drops = ev->drops;
	c->delayed = ev->delayed;
}

static void max_into(__u64 *have, __u64 v, __u64 *base)
{
	if (v <= *have)
		return;
	if (base)
		*base += v - *have;
	*have = v;
}

static void publish(struct flow *f)
{
	f->e.packets = f->base.packets + f->cur.packets;
	f->e.bytes = f->base.bytes + f->cur.bytes;
	f->e.drops = f->base.drops + f->cur.drops;
	f->e.delayed = f->base.delayed + f->cur.delayed;
}

static void start_incarnation(struct flow *f, const struct fl_event *ev)
{
	int is_end = ev->kind == FL_EV_FLOW_END;

	counters_from(&f->cur, ev);
	f->cur_start_ns = ev->ts_ns;
	f->cur_last_ns = ev->ts_ns;
	f->cur_end_ns = ev->ts_ns;
	f->cur_kernel_ended = is_end;
	f->e.ended = is_end;
	f->e.end_reason = is_end ? ev->end_reason : 0;
}

static void finish_incarnation(struct flow *f)
{
	f->base.packets += f->cur.packets;
	f->base.bytes += f->cur.bytes;
	f->base.drops += f->cur.drops;
	f->base.delayed += f->cur.delayed;
	f->prev = f->cur;
	f->prev_start_ns = f->cur_start_ns;
	f->prev_end_ns = f->cur_end_ns;
	f->prev_kernel_ended = f->cur_kernel_ended;
	f->has_prev = 1;
}

static int belongs_to_prev(const struct flow *f, __u64 ts)
{
	if (!f->has_prev)
		return 0;
	if (f->prev_kernel_ended)
		return ts <= f->prev_end_ns;
	return ts < f->cur_start_ns;
}

static void apply_prev(struct flow *f, const struct fl_event *ev)
{
	max_into(&f->prev.packets, ev->packets, &f->base.packets);
	max_into(&f->prev.bytes, ev->bytes, &f->base.bytes);
	max_into(&f->prev.drops, ev->drops, &f->base.drops);
	max_into(&f->prev.delayed, ev->delayed, &f->base.delayed);
	if (ev->kind == FL_EV_FLOW_END && !f->prev_kernel_ended) {
		f->prev_kernel_ended = 1;
		f->prev_end_ns = ev->ts_ns;
	}
}

static void apply_cur(struct flow *f, const struct fl_event *ev)
{
	max_into(&f->cur.packets, ev->packets, NULL);
	max_into(&f->cur.bytes, ev->bytes, NULL);
	max_into(&f->cur.drops, ev->drops, NULL);
	max_into(&f->cur.delayed, ev->delayed, NULL);

	if (ev->kind == FL_EV_FLOW_END) {
		if (!f->cur_kernel_ended || ev->ts_ns >= f->cur_end_ns) {
			f->cur_end_ns = ev->ts_ns;
			f->e.end_reason = ev->end_reason;
		}
		f->cur_kernel_ended = 1;
		f->e.ended = 1;
	} else if (f->e.ended && !f->cur_kernel_ended &&
		   ev->ts_ns > f->cur_last_ns) {
		f->e.ended = 0;
		f->e.end_reason = 0;
	}
	if (ev->ts_ns < f->cur_start_ns)
		f->cur_start_ns = ev->ts_ns;
	if (ev->ts_ns > f->cur_last_ns)
		f->cur_last_ns = ev->ts_ns;
}

static void update(struct flow *f, const struct fl_event *ev)
{
	__u64 ts = ev->ts_ns;

	if (f->has_prev && ts < f->prev_start_ns)
		return;

	if (belongs_to_prev(f, ts)) {
		apply_prev(f, ev);
	} else if ((ev->kind == FL_EV_FLOW_NEW && ts > f->cur_last_ns) ||
		   (f->cur_kernel_ended && ts > f->cur_end_ns)) {
		finish_incarnation(f);
		start_incarnation(f, ev);
	} else {
		apply_cur(f, ev);
	}

	if (ev->cgroup_id)
		f->e.cgroup_id = ev->cgroup_id;
	if (ts < f->e.first_ns)
		f->e.first_ns = ts;
	if (ts > f->e.last_ns)
		f->e.last_ns = ts;
	publish(f);
}

int fl_flows_apply_delta(struct fl_flow_table *t, const struct fl_event *ev,
			 struct fl_flow_delta *d)
{
	struct fl_flow_entry before = {};
	struct bucket *b;
	struct flow *f;
	__u64 h;
	int err;

	if (!t || !ev)
		return -EINVAL;
	if (ev->kind != FL_EV_FLOW_NEW && ev->kind != FL_EV_FLOW_SNAPSHOT &&
	    ev->kind != FL_EV_FLOW_END)
		return -EINVAL;

	h = hash_key(&ev->key);
	b = find_bucket(t, h, &ev->key);
	if (b->idx) {
		f = &t->flows[b->idx - 1];
		before = f->e;
		update(f, ev);
	} else {
		err = reserve_one(t);
		if (err)
			return err;
		/* Growing may have moved the buckets. */
		b = find_bucket(t, h, &ev->key);
		f = &t->flows[t->n_flows];
		memset(f, 0, sizeof(*f));
		f->e.key = ev->key;
		f->e.cgroup_id = ev->cgroup_id;
		f->e.first_ns = ev->ts_ns;
		f->e.last_ns = ev->ts_ns;
		start_incarnation(f, ev);
		publish(f);
		b->hash = (__u32)(h >> 32);
		b->idx = (__u32)(++t->n_flows);
	}
	if (d) {
		/* totals only move up, so the differences are never negative */
		d->packets = f->e.packets - before.packets;
		d->bytes = f->e.bytes - before.bytes;
		d->drops = f->e.drops - before.drops;
		d->delayed = f->e.delayed - before.delayed;
	}
	return 0;
}

int fl_flows_apply(struct fl_flow_table *t, const struct fl_event *ev)
{
	return fl_flows_apply_delta(t, ev, NULL);
}

size_t fl_flows_count(const struct fl_flow_table *t)
{
	return t ? t->n_flows : 0;
}

/* > 0 when a ranks above b. Ties end on the key so the order is total
 * and a refreshing display does not shuffle equal rows.
 */
static int rank_cmp(const struct fl_flow_entry *a,
		    const struct fl_flow_entry *b)
{
	if (a->drops != b->drops)
		return a->drops > b->drops ? 1 : -1;
	if (a->packets != b->packets)
		return a->packets > b->packets ? 1 : -1;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? 1 : -1;
	return -memcmp(&a->key, &b->key, sizeof(a->key));
}

static void swap_entries(struct fl_flow_entry *a, struct fl_flow_entry *b)
{
	struct fl_flow_entry tmp = *a;

	*a = *b;
	*b = tmp;
}

/* The heap keeps the lowest ranked entry at the root. */
static void sift_down(struct fl_flow_entry *h, size_t i, size_t size)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;

		if (l < size && rank_cmp(&h[l], &h[w]) < 0)
			w = l;
		if (r < size && rank_cmp(&h[r], &h[w]) < 0)
			w = r;
		if (w == i)
			return;
		swap_entries(&h[i], &h[w]);
		i = w;
	}
}

static void sift_up(struct fl_flow_entry *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (rank_cmp(&h[i], &h[p]) >= 0)
			return;
		swap_entries(&h[i], &h[p]);
		i = p;
	}
}

/* A bounded heap in out[] itself: O(flows * log n) and no allocation,
 * since the caller refreshes this often over a table of up to
 * FL_MAX_FLOWS and more.
 */
size_t fl_flows_top(const struct fl_flow_table *t, struct fl_flow_entry *out,
		    size_t n)
{
	size_t i, k = 0;

	if (!t || !out || !n)
		return 0;
	for (i = 0; i < t->n_flows; i++) {
		const struct fl_flow_entry *e = &t->flows[i].e;

		if (k < n) {
			out[k] = *e;
			sift_up(out, k++);
		} else if (rank_cmp(e, &out[0]) > 0) {
			out[0] = *e;
			sift_down(out, 0, k);
		}
	}
	/* Moving the lowest to the back each time leaves best first. */
	for (i = k; i > 1; i--) {
		swap_entries(&out[0], &out[i - 1]);
		sift_down(out, 0, i - 1);
	}
	return k;
}

void fl_flows_totals(const struct fl_flow_table *t, int dir, __u64 *packets,
		     __u64 *bytes, __u64 *drops)
{
	__u64 p = 0, b = 0, d = 0;
	size_t i;

	for (i = 0; t && i < t->n_flows; i++) {
		const struct fl_flow_entry *e = &t->flows[i].e;

		if (dir >= 0 && e->key.dir != dir)
			continue;
		p += e->packets;
		b += e->bytes;
		d += e->drops;
	}
	if (packets)
		*packets = p;
	if (bytes)
		*bytes = b;
	if (drops)
		*drops = d;
}

size_t fl_flows_expire_idle(struct fl_flow_table *t, __u64 now_ns,
			    __u64 idle_ns)
{
	size_t i, n = 0;
	__u64 cutoff;

	if (!t || idle_ns > now_ns)
		return 0;
	cutoff = now_ns - idle_ns;
	for (i = 0; i < t->n_flows; i++) {
		struct fl_flow_entry *e = &t->flows[i].e;

		if (e->ended || e->last_ns >= cutoff)
			continue;
		e->ended = 1;
		e->end_reason = FL_END_IDLE;
		n++;
	}
	return n;
}
