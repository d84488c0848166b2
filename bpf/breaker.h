/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* In-kernel breakers: the program that counts a condition's signal also
 * judges it, and the one that sees the crossing clears the armed flag
 * itself, so the faults stop from the next packet on whether or not the
 * loader is running. See struct fl_brk_state for the window.
 *
 * Error bounds, documented in the README: the window covers between
 * (n_slots - 1) and n_slots bucket widths of history; two CPUs that count
 * at the very instant a bucket is recycled may lose one of their counts.
 */
#ifndef FL_BREAKER_H
#define FL_BREAKER_H

#include "maps.h"

/* Defined in faultline.bpf.c (global: verified once). */
int fl_brk_path(__u32 target_id, __u32 dir, __u32 len, __u32 verdict);
int fl_brk_signal(__u32 target_id, __u32 sig, __u64 value);

/* Expire the buckets that left the window, once per new bucket: only the
 * CPU that moves last_epoch on does it.
 */
static __always_inline void fl_brk_rotate(struct fl_brk_state *st, __u64 epoch, __u32 n_slots)
{
	__u64 last = st->last_epoch;
	int i;

	if (last == epoch || __sync_val_compare_and_swap(&st->last_epoch, last, epoch) != last)
		return;
	for (i = 0; i < FL_BRK_SLOTS; i++) {
		__u64 old;

		if (st->slot_epoch[i] + n_slots > epoch)
			continue;
		old = __sync_lock_test_and_set(&st->slot_count[i], 0);
		if (old)
			__sync_fetch_and_sub(&st->total, old);
	}
	st->slot_epoch[epoch & (FL_BRK_SLOTS - 1)] = epoch;
}

static __always_inline void fl_brk_trip(struct fl_brk_state *st, const struct fl_brk_cfg *c,
					__u32 target_id, __u64 total, __u64 now)
{
	struct fl_event *e;

	if (__sync_val_compare_and_swap(&st->tripped_ns, 0, now) != 0)
		return;
	/* the faults stop here, before the record is even written */
	fl_ctl.armed = 0;
	st->disarmed_ns = bpf_ktime_get_ns();
	st->value = total;
	e = bpf_ringbuf_reserve(&fl_events, sizeof(*e), 0);
	if (!e)
		return;		/* the loader reads fl_brk at the end */
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = FL_EV_BREAKER;
	e->ts_ns = now;
	e->at_ns = st->disarmed_ns;
	e->key.target_id = target_id;
	e->sig = c->cond;
	e->value = total;
	bpf_ringbuf_submit(e, 0);
}

/* Count @v for every breaker on @ev of target @target_id. */
static __always_inline void fl_brk_count(__u32 ev, __u32 target_id, __u64 v)
{
	__u64 now = 0;
	__u32 b;

	if (!(fl_ctl.brk_mask & (1u << ev)) || target_id >= FL_BRK_MAX_TARGETS)
		return;
	for (b = 0; b < FL_MAX_BREAKERS; b++) {
		const struct fl_brk_cfg *c;
		struct fl_brk_state *st;
		__u64 epoch, total;
		__u32 key;

		if (b >= fl_ctl.n_brk)
			break;
		c = &fl_ctl.brk[b];
		if (c->ev != ev)
			continue;
		key = b * FL_BRK_MAX_TARGETS + target_id;
		st = bpf_map_lookup_elem(&fl_brk, &key);
		if (!st)
			continue;
		if (!now)
			now = bpf_ktime_get_ns();
		epoch = now >> (c->shift & 63);
		fl_brk_rotate(st, epoch, c->n_slots);
		__sync_fetch_and_add(&st->slot_count[epoch & (FL_BRK_SLOTS - 1)], v);
		total = __sync_add_and_fetch(&st->total, v);
		if (total >= c->trip_at && !st->tripped_ns)
			fl_brk_trip(st, c, target_id, total, now);
	}
}

#endif /* FL_BREAKER_H */
