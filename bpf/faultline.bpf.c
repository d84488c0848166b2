// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* faultline's datapath: one object, several entry points that share the
 * maps. The loader picks the entry points this kernel and attach mode
 * need and disables autoload of the rest.
 *
 *   fl_xdp_in   XDP, ingress of interfaces in a namespace a target owns
 *   fl_tc_in    tc ingress (tcx or clsact), same decision as fl_xdp_in
 *   fl_tcx_eg   tcx egress, by the sending socket's cgroup
 *   fl_cls_eg   clsact egress, same decision, clsact's silent drop
 *   fl_cg_in    cgroup_skb ingress on a target cgroup (shared namespace)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "faultline.h"
#include "maps.h"
#include "parse.h"
#include "target.h"
#include "rules.h"
#include "flows.h"

/* tc return codes are macros in uapi, absent from BTF */
#define FL_TC_NEXT	-1	/* TC_ACT_UNSPEC on clsact, TCX_NEXT on tcx */
#define FL_TC_SHOT	2	/* TC_ACT_SHOT, TCX_DROP */
#define FL_TC_STOLEN	4	/* clsact only: freed, and reported as sent */
#define FL_PULL_LEN	256	/* enough for VLANs, IPv4 options or IPv6 ext headers, L4 */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The decision for a packet already known to be a target's. */
static __always_inline int fl_handle(const struct fl_target *t, const struct fl_pkt *p,
				     int parse_rc, __u32 dir, __u32 len, __u64 cgid)
{
	__u32 key = dir;
	struct fl_stats *st;
	__u64 now;
	int verdict;

	st = bpf_map_lookup_elem(&fl_stats, &key);
	if (!st)
		return FL_PASS;
	/* the kernel-side deadline: a run that was SIGKILLed on the legacy
	 * path, or a frozen loader, stops disturbing traffic on time
	 */
	now = bpf_ktime_get_ns();
	if (now >= fl_ctl.deadline_ns) {
		st->passed_disarmed++;
		return FL_PASS;
	}
	if (parse_rc) {
		st->parse_skipped++;
		return FL_PASS;
	}
	st->target_packets++;
	st->target_bytes += len;
	verdict = fl_rules_eval(t, p, dir, len);
	if (verdict == FL_DROP)
		st->drop_reason[FL_DROP_FAULT]++;
	fl_flow_account(t, p, dir, len, cgid, now, verdict == FL_DROP, st);
	return verdict;
}

/* tc may hand over an skb whose headers are not all in the linear part:
 * pull a bounded prefix once, and only when the first parse ran short.
 */
static __always_inline int fl_parse_skb(struct __sk_buff *skb, struct fl_pkt *p)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 want;

	if (!fl_parse(data, data_end, 0, p))
		return 0;
	if (data_end - data >= skb->len)
		return -1;	/* really truncated or not IP */
	want = skb->len < FL_PULL_LEN ? skb->len : FL_PULL_LEN;
	if (bpf_skb_pull_data(skb, want))
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	__builtin_memset(p, 0, sizeof(*p));
	return fl_parse(data, data_end, 0, p);
}

SEC("xdp")
int fl_xdp_in(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct fl_pkt p = {};
	struct fl_target *t;

	if (!fl_ctl.armed)
		return XDP_PASS;
	if (fl_parse(data, data_end, 0, &p))
		return XDP_PASS;
	t = fl_target_by_owner(&p);
	if (!t)
		return XDP_PASS;
	if (fl_handle(t, &p, 0, FL_DIR_INGRESS, data_end - data, 0) == FL_DROP)
		return XDP_DROP;
	return XDP_PASS;
}

SEC("tc")
int fl_tc_in(struct __sk_buff *skb)
{
	struct fl_pkt p = {};
	struct fl_target *t;

	if (!fl_ctl.armed)
		return FL_TC_NEXT;
	if (fl_parse_skb(skb, &p))
		return FL_TC_NEXT;
	t = fl_target_by_owner(&p);
	if (!t)
		return FL_TC_NEXT;
	/* a drop at ingress is not seen by any local sender */
	if (fl_handle(t, &p, 0, FL_DIR_INGRESS, skb->len, 0) == FL_DROP)
		return FL_TC_SHOT;
	return FL_TC_NEXT;
}

static __always_inline int fl_tc_egress(struct __sk_buff *skb)
{
	struct fl_pkt p = {};
	struct fl_target *t;
	__u64 cgid = 0;
	int rc;

	if (!fl_ctl.armed)
		return FL_PASS;
	t = fl_target_by_cgroup(skb, &cgid);
	if (!t)
		return FL_PASS;
	rc = fl_parse_skb(skb, &p);
	return fl_handle(t, &p, rc, FL_DIR_EGRESS, skb->len, cgid);
}

/* TCX_DROP would hand the sender ENOBUFS and let TCP resend locally, and
 * tcx has no STOLEN; a redirect to a device that does not exist frees the
 * skb and reports success, which is what loss on a wire looks like.
 */
SEC("tc")
int fl_tcx_eg(struct __sk_buff *skb)
{
	if (fl_tc_egress(skb) == FL_DROP)
		return bpf_redirect(FL_BLACKHOLE_IFINDEX, 0);
	return FL_TC_NEXT;
}

SEC("tc")
int fl_cls_eg(struct __sk_buff *skb)
{
	if (fl_tc_egress(skb) == FL_DROP)
		return FL_TC_STOLEN;
	return FL_TC_NEXT;
}

SEC("cgroup_skb/ingress")
int fl_cg_in(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct fl_pkt p = {};
	struct fl_target *t;
	__u64 cgid = 0;
	int rc;

	if (!fl_ctl.armed)
		return 1;
	t = fl_target_by_cgroup(skb, &cgid);
	if (!t)
		return 1;
	/* cgroup_skb sees the packet from its network header on */
	rc = fl_parse(data, data_end, bpf_ntohs(skb->protocol), &p);
	if (fl_handle(t, &p, rc, FL_DIR_INGRESS, skb->len, cgid) == FL_DROP)
		return 0;
	return 1;
}
