/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Duplicate at tc ingress: the copy is handed to the same device's receive
 * path (bpf_clone_redirect with BPF_F_INGRESS), so the target receives the
 * packet twice. At tc egress, and at the peer's egress that is the target's
 * ingress, the copy goes the way of a delayed packet (fl_edt_send_clone).
 * XDP and cgroup_skb have no helper that copies a packet: the placement
 * keeps duplicate on ingress off those hooks.
 *
 * The copy comes back through tc ingress, later and from the backlog (not
 * nested in the helper as at egress), so nothing per-CPU can wait for it:
 * it carries FL_EDT_MARK, and its second visit clears the mark. Packets
 * reach tc ingress unmarked (a veth crossing namespaces and a NIC both
 * start with mark 0), so 0 is the mark to give back.
 */
#ifndef FL_DUP_H
#define FL_DUP_H

#include "maps.h"

/* Is this a copy made at tc ingress, back for its second visit? */
static __always_inline int fl_dup_in_second_visit(struct __sk_buff *skb)
{
	if (skb->mark != FL_EDT_MARK)
		return 0;
	skb->mark = 0;
	return 1;
}

/* Hand a copy of @skb to its device's receive path; counts a failure as a
 * clone drop (the copy is missing, the original goes on).
 */
static __always_inline void fl_dup_in_send(struct __sk_buff *skb)
{
	__u32 mark = skb->mark, dir = FL_DIR_INGRESS;
	struct fl_stats *st;
	int ret;

	skb->mark = FL_EDT_MARK;
	ret = bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS);
	skb->mark = mark;
	if (!ret)
		return;
	st = bpf_map_lookup_elem(&fl_stats, &dir);
	if (st)
		st->drop_reason[FL_DROP_CLONE]++;
}

#endif /* FL_DUP_H */
