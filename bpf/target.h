/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Is this packet a target's? By the sending or receiving socket's cgroup
 * (the cgroup or any descendant of a target), or by the destination
 * address of a namespace a target owns, for as long as it owns it.
 * Non-target packets leave here after a bit test per configured cgroup
 * depth (usually one); a hash lookup follows only when the bit is set.
 */
#ifndef FL_TARGET_H
#define FL_TARGET_H

#include "maps.h"
#include "parse.h"

static __always_inline int fl_filter_test(__u32 bit)
{
	return (fl_ctl.filter[(bit >> 6) & (FL_FILTER_WORDS - 1)] >> (bit & 63)) & 1;
}

static __always_inline struct fl_target *fl_target_by_cgroup(struct __sk_buff *skb,
							      __u64 *cgid)
{
	__u32 n = fl_ctl.n_levels;
	int i;

	/* deepest level first, so a nested target wins over its parent */
	for (i = 0; i < FL_MAX_LEVELS; i++) {
		struct fl_target *t;
		__u64 id;

		if (i >= n)
			break;
		id = bpf_skb_ancestor_cgroup_id(skb, fl_ctl.levels[i]);
		if (!id || !fl_filter_test(fl_filter_bit(id)))
			continue;
		t = bpf_map_lookup_elem(&fl_targets, &id);
		if (t) {
			*cgid = id;
			return t;
		}
	}
	return NULL;
}

/* Does the target still own the namespace in @slot? A slot the map does
 * not have counts as shared: when in doubt, leave the packet alone.
 */
static __always_inline bool fl_ns_owned(__u32 slot)
{
	struct fl_ns_state *s = bpf_map_lookup_elem(&fl_nsstate, &slot);

	return s && !s->shared_ns;
}

static __always_inline struct fl_target *fl_target_by_owner(struct fl_pkt *p)
{
	struct fl_target *t;

	if (!fl_filter_test(fl_filter_bit_addr(&p->dst)))
		return NULL;
	t = bpf_map_lookup_elem(&fl_owned, &p->dst);
	/* by address only while nobody else has a socket there */
	if (!t || !fl_ns_owned(t->ns_slot))
		return NULL;
	return t;
}

/* Is the current task in a target cgroup (or below one)? For hooks that
 * run in the task's context, such as socket creation.
 */
static __always_inline bool fl_current_is_target(void)
{
	__u32 n = fl_ctl.n_levels;
	int i;

	for (i = 0; i < FL_MAX_LEVELS; i++) {
		__u64 id;

		if (i >= n)
			break;
		id = bpf_get_current_ancestor_cgroup_id(fl_ctl.levels[i]);
		if (!id || !fl_filter_test(fl_filter_bit(id)))
			continue;
		if (bpf_map_lookup_elem(&fl_targets, &id))
			return true;
	}
	return false;
}

#endif /* FL_TARGET_H */
