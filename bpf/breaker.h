/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* In-kernel breakers: the program that counts a condition's signal also
 * judges it, and the one that sees the crossing clears the armed flag
 * itself, so the faults stop from the next packet on whether or not the
 * loader is running. See struct fl_brk_state for the window.
 *
 * Error bounds, documented in the README: the window covers between
 * (n_slots - 1) and n_slots bucket widths of history, by the coarse clock
 * (a tick behind at most); an event another CPU counts at the very instant
 * a bucket begins may land in the bucket before.
 */
#ifndef FL_BREAKER_H
#define FL_BREAKER_H

#include "maps.h"
#include "rules.h"	/* enum fl_verdict */

/* Global: verified once per program, whatever the number of callers. */
int fl_brk_signal(__u32 target_id, __u32 sig, __u64 value);
int fl_brk_count(__u32 ev, __u32 target_id, __u64 v, __u64 now);

/* Begin the buckets from the newest one seen back to @epoch, once per new
 * bucket: only the CPU that moves last_epoch on does it. Buckets that had
 * no event begin with the count as it is now, which is what it was then.
 */
static __always_inline void fl_brk_rotate(struct fl_brk_state *st, __u64 epoch)
{
	__u64 last = st->last_epoch, count;
	int k;

	if (last == epoch || __sync_val_compare_and_swap(&st->last_epoch, last, epoch) != last)
		return;
	count = st->count;
	for (k = 0; k < FL_BRK_SLOTS; k++) {
		__u64 e = epoch - k;

		if (e <= last && last)
			break;
		st->slot_start[e & (FL_BRK_SLOTS - 1)] = count;
		st->slot_epoch[e & (FL_BRK_SLOTS - 1)] = e;
	}
}

static __always_inline void fl_brk_trip(struct fl_brk_state *st, const struct fl_brk_cfg *c,
					__u32 target_id, __u64 sum)
{
	/* the fine clock for the stamps: they are the report's trippedAt */
	__u64 now = bpf_ktime_get_ns();
	struct fl_event *e;

	if (__sync_val_compare_and_swap(&st->tripped_ns, 0, now) != 0)
		return;
	/* the faults stop here, before the record is even written */
	fl_ctl.armed = 0;
	st->disarmed_ns = bpf_ktime_get_ns();
	st->value = sum;
	e = bpf_ringbuf_reserve(&fl_events, sizeof(*e), 0);
	if (!e)
		return;		/* the loader reads fl_brk at the end */
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = FL_EV_BREAKER;
	e->ts_ns = now;
	e->at_ns = st->disarmed_ns;
	e->key.target_id = target_id;
	e->sig = c->cond;
	e->value = sum;
	bpf_ringbuf_submit(e, fl_rb_urgent_flags());
}

/* Count @v for every breaker on @ev of target @target_id at @now, the
 * coarse clock: buckets are 3 ms or wider, and the coarse clock costs
 * half as much per packet (it lags by at most a tick, which the window's
 * bound in the README includes). Global, so the verifier walks its loops
 * once per program, not once per call site: inlined at the twelve sites
 * it was half of every packet program's verification.
 */
__noinline int fl_brk_count(__u32 ev, __u32 target_id, __u64 v, __u64 now)
{
	__u32 b;

	/* whether a breaker counts @ev was asked inline (fl_brk_feed) */
	if (target_id >= FL_BRK_MAX_TARGETS)
		return 0;
	for (b = 0; b < FL_MAX_BREAKERS; b++) {
		const struct fl_brk_cfg *c;
		struct fl_brk_state *st;
		__u64 epoch, count, sum;
		__u32 key, oldest;

		if (b >= fl_ctl.n_brk)
			break;
		c = &fl_ctl.brk[b];
		if (c->ev != ev)
			continue;
		key = b * FL_BRK_MAX_TARGETS + target_id;
		st = bpf_map_lookup_elem(&fl_brk, &key);
		if (!st)
			continue;
		epoch = now >> (c->shift & 63);
		fl_brk_rotate(st, epoch);
		count = __sync_add_and_fetch(&st->count, v);
		oldest = (epoch - c->n_slots + 1) & (FL_BRK_SLOTS - 1);
		sum = count - st->slot_start[oldest];
		st->sum = sum;
		if (sum >= c->trip_at && !st->tripped_ns)
			fl_brk_trip(st, c, target_id, sum);
	}
	return 0;
}

/* Feed @ev only when a breaker counts it: the test stays inline, so an event
 * no breaker counts costs no call (2 ns a packet on the path below). The
 * one way into fl_brk_count.
 */
static __always_inline void fl_brk_feed(__u32 ev, __u32 target_id, __u64 v, __u64 now)
{
	if (fl_ctl.brk_mask & (1u << ev))
		fl_brk_count(ev, target_id, v, now);
}

/* The packet path's breakers, for a target packet whose verdict is final.
 * Inline: a frame of its own between fl_decide and fl_brk_count took the
 * call chain past 6.1's 512 bytes of stack.
 */
static __always_inline void fl_brk_path(__u32 target_id, __u32 dir, __u32 len, __u32 verdict,
					__u64 now)
{
	if (dir == FL_DIR_INGRESS) {
		fl_brk_feed(FL_BRK_PACKETS_IN, target_id, 1, now);
		fl_brk_feed(FL_BRK_BYTES_IN, target_id, len, now);
	} else {
		fl_brk_feed(FL_BRK_PACKETS_OUT, target_id, 1, now);
		fl_brk_feed(FL_BRK_BYTES_OUT, target_id, len, now);
	}
	if (verdict == FL_DROP)
		fl_brk_feed(FL_BRK_DROPPED, target_id, 1, now);
	else if (verdict == FL_DELAY || verdict == FL_PACE)
		fl_brk_feed(FL_BRK_DELAYED, target_id, 1, now);
}

#endif /* FL_BREAKER_H */
