/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Is this packet a target's? By the sending or receiving socket's cgroup
 * (the cgroup or any descendant of a target), or by the destination
 * address of a namespace a target owns. Non-target packets leave here
 * after one map lookup per configured cgroup depth (usually one).
 */
#ifndef FL_TARGET_H
#define FL_TARGET_H

#include "maps.h"
#include "parse.h"

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
		if (!id)
			continue;
		t = bpf_map_lookup_elem(&fl_targets, &id);
		if (t) {
			*cgid = id;
			return t;
		}
	}
	return NULL;
}

static __always_inline struct fl_target *fl_target_by_owner(struct fl_pkt *p)
{
	return bpf_map_lookup_elem(&fl_owned, &p->dst);
}

#endif /* FL_TARGET_H */
