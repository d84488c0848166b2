// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* faultline's datapath: one object, several entry points that share the
 * maps. The loader picks the entry points this kernel and attach mode
 * need and disables autoload of the rest.
 *
 *   fl_xdp_in   XDP, ingress of interfaces in a namespace a target owns
 *   fl_tc_in    tc ingress (tcx or clsact), same decision as fl_xdp_in,
 *               and it can copy a packet (duplicate)
 *   fl_tcx_eg   tcx egress, by the sending socket's cgroup
 *   fl_cls_eg   clsact egress, same decision, clsact's silent drop
 *   fl_tcx_pin  tcx egress of a target namespace's host-side peer: the
 *               target's ingress, where delay can be applied
 *   fl_cls_pin  the same on clsact
 *   fl_cg_in    cgroup_skb ingress on a target cgroup (shared namespace),
 *               and the fallback when an owned namespace becomes shared
 *   fl_sock_watch  cgroup/sock_create at the cgroup root: ends a target's
 *               ownership of its namespace when someone else opens a socket
 *   (a reject is answered at the tc hooks only: bpf/reject.h)
 *   fl_tp_*     tracepoints: the targets' TCP signals, for experiments
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
#include "edt.h"
#include "dup.h"
#include "observe.h"
#include "breaker.h"
#include "reject.h"
#include "corrupt.h"
#include "dns.h"

/* tc return codes are macros in uapi, absent from BTF */
#define FL_TC_NEXT	-1	/* TC_ACT_UNSPEC on clsact, TCX_NEXT on tcx */
#define FL_TC_SHOT	2	/* TC_ACT_SHOT, TCX_DROP */
#define FL_TC_STOLEN	4	/* clsact only: freed, and reported as sent */
#define FL_PULL_LEN	256	/* enough for VLANs, IPv4 options or IPv6 ext headers, L4 */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* What the entry points hand to the shared subprograms. The subprograms
 * are global functions: the verifier checks each once, on its own, instead
 * of once per path through every caller, which keeps loading fast even
 * under emulation.
 */
struct fl_req {
	struct fl_pkt pkt;
	/* in the hole fl_pkt leaves before cgid: a larger fl_req would take
	 * fl_xdp_in's frame past 96 bytes, and the call chain past the
	 * 512-byte stack on 6.1
	 */
	__u32 corrupt_fix;	/* out: FL_CORRUPT keeps the checksum valid */
	__u64 cgid;
	__u64 tstamp;		/* out: departure time for FL_DELAY and FL_PACE */
	__u32 dir;
	__u32 len;
	__s32 parse_rc;
	__u32 target_id;
};

/* tc may hand over an skb whose headers are not all in the linear part:
 * pull a bounded prefix first when it is short, then parse.
 */
__noinline int fl_parse_tc(struct __sk_buff *skb, struct fl_pkt *p)
{
	void *data, *data_end;
	__u32 want;

	if (!skb || !p)
		return -1;
	want = skb->len < FL_PULL_LEN ? skb->len : FL_PULL_LEN;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	if (data + want > data_end) {
		bpf_skb_pull_data(skb, want);
		/* the helper moved the packet: load both pointers again */
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	return fl_parse(data, data_end, 0, p);
}

/* cgroup_skb sees the packet from its network header on. */
__noinline int fl_parse_cg(struct __sk_buff *skb, struct fl_pkt *p)
{
	if (!skb || !p)
		return -1;
	return fl_parse((void *)(long)skb->data, (void *)(long)skb->data_end,
			bpf_ntohs(skb->protocol), p);
}

__noinline int fl_parse_xdp(struct xdp_md *ctx, struct fl_pkt *p)
{
	if (!ctx || !p)
		return -1;
	return fl_parse((void *)(long)ctx->data, (void *)(long)ctx->data_end, 0, p);
}

/* The decision for a packet already known to be a target's: rules, flow
 * accounting, departure time. Returns an enum fl_verdict.
 */
__noinline int fl_decide(const struct fl_target *t, struct fl_req *rq)
{
	struct fl_decision d = {};
	struct fl_flow_val *flow;
	struct fl_flow_key k;
	__u32 key, end = 0, ip_len;
	struct fl_stats *st;
	__u64 now;

	if (!t || !rq)
		return FL_PASS;
	key = rq->dir;
	st = bpf_map_lookup_elem(&fl_stats, &key);
	if (!st)
		return FL_PASS;
	/* the kernel-side deadline: a run that was SIGKILLed on the legacy
	 * path, or a frozen loader, stops disturbing traffic on time. The
	 * deadline and the flow table need no better than a tick, and the
	 * coarse clock costs half as much per packet; departure times and
	 * ring buffer records take the fine clock.
	 */
	now = bpf_ktime_get_coarse_ns();
	if (now >= fl_ctl.deadline_ns) {
		st->passed_disarmed++;
		return FL_PASS;
	}
	if (rq->parse_rc) {
		st->parse_skipped++;
		return FL_PASS;
	}
	/* counters hold IP bytes (from the IP header on), the same at every
	 * hook whatever the link layer; a rate paces the whole frame, as
	 * a qdisc would
	 */
	ip_len = rq->len - rq->pkt.l3_off;
	st->target_packets++;
	st->target_bytes += ip_len;
	fl_rules_eval(t, &rq->pkt, rq->dir, ip_len, &d);
	/* a rejected packet goes no further either: the flow counts it lost */
	flow = fl_flow_account(&k, t, &rq->pkt, rq->dir, ip_len, rq->cgid, now,
			       d.verdict == FL_DROP || fl_verdict_answered(d.verdict), st, &end);
	if (d.loss) {
		fl_rule_act(&d, fl_loss_draw(d.rule, d.rule_id, flow), &rq->pkt, rq->dir);
		if (d.verdict == FL_DROP)
			fl_flow_late_drop(&k, flow, end, now, st);
	}
	if (d.verdict == FL_DELAY || d.verdict == FL_PACE) {
		rq->tstamp = fl_edt_departure(&d, rq->len, flow, bpf_ktime_get_ns());
		if (rq->tstamp > FL_EDT_QUEUE_FULL) {
			st->delayed++;
			if (flow)
				__sync_fetch_and_add(&flow->delayed, 1);
		} else {
			st->drop_reason[rq->tstamp ? FL_DROP_RATE_QUEUE : FL_DROP_HORIZON]++;
			d.verdict = FL_DROP;
			if (flow)
				__sync_fetch_and_add(&flow->drops, 1);
		}
	} else if (d.verdict == FL_DROP) {
		st->drop_reason[FL_DROP_FAULT]++;
	}
	if (d.verdict == FL_CORRUPT)
		rq->corrupt_fix = d.rule->corrupt_fix;
	fl_flow_finish(&k, flow, end, st);
	/* one load when no breaker counts on the packet path */
	if (fl_ctl.brk_mask & FL_BRK_PATH_MASK)
		fl_brk_path(t->target_id, rq->dir, ip_len, d.verdict, now);
	return d.verdict;
}

/* The TCP and HTTP signals' breakers, as each record is made. */
__noinline int fl_brk_signal(__u32 target_id, __u32 sig, __u64 value)
{
	/* tracing programs may not read the coarse clock; these are not
	 * per-packet, the fine one will do
	 */
	__u64 now = bpf_ktime_get_ns();

	/* a record made after the end counts for nothing */
	if (!fl_ctl.armed)
		return 0;
	switch (sig) {
	case FL_KSIG_RETRANS:
		fl_brk_feed(FL_BRK_RETRANS, target_id, 1, now);
		break;
	case FL_KSIG_RST_SENT:
		fl_brk_feed(FL_BRK_RST_SENT, target_id, 1, now);
		break;
	case FL_KSIG_RST_RECV:
		fl_brk_feed(FL_BRK_RST_RECV, target_id, 1, now);
		break;
	case FL_KSIG_CONNECT_FAIL:
		fl_brk_feed(FL_BRK_CONNECT_FAIL, target_id, 1, now);
		break;
	case FL_KSIG_HTTP:
		fl_brk_feed(FL_BRK_HTTP_TOTAL, target_id, 1, now);
		if (value >= 500)
			fl_brk_feed(FL_BRK_HTTP_5XX, target_id, 1, now);
		break;
	}
	return 0;
}

/* A corrupt verdict's bit flip (corrupt.h). */
__noinline int fl_corrupt(struct __sk_buff *skb, const struct fl_req *rq)
{
	if (!skb || !rq)
		return -1;
	return fl_corrupt_skb(skb, &rq->pkt, rq->corrupt_fix);
}

/* Which DNS faults of @t the query in @skb names (p->dns_mask). */
__noinline int fl_dns_rules(struct __sk_buff *skb, const struct fl_target *t, struct fl_pkt *p)
{
	if (!skb || !t || !p)
		return 0;
	p->dns_mask = fl_dns_match(skb, t, p);
	return 0;
}

/* Answer the query in @skb with @rcode and hand the answer to the target's
 * own interface as if it had come in; a query that could not be rewritten
 * is dropped as a drop fault drops it.
 */
__noinline int fl_dns_answer(struct __sk_buff *skb, const struct fl_pkt *p, __u32 rcode, __u32 tcx)
{
	if (!skb || !p)
		return FL_TC_NEXT;
	if (!fl_dns_forge(skb, p, rcode))
		return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
	return tcx ? bpf_redirect(FL_BLACKHOLE_IFINDEX, 0) : FL_TC_STOLEN;
}

/* HTTP status lines, for experiments (observe); needs the skb. */
__noinline int fl_http(struct __sk_buff *skb, const struct fl_req *rq)
{
	if (!skb || !rq)
		return 0;
	fl_http_observe(skb, &rq->pkt, rq->target_id, rq->dir);
	return 0;
}

/* The same at XDP, where there is no skb: read the payload directly. */
__noinline int fl_http_xdp(struct xdp_md *ctx, const struct fl_req *rq)
{
	void *data, *data_end;
	__u16 off;
	char *b;
	__u32 status;

	if (!ctx || !rq || rq->pkt.proto != IPPROTO_TCP || !rq->pkt.l4_ok || !rq->pkt.payload_off)
		return 0;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	off = rq->pkt.payload_off;
	if (off > 1500)
		return 0;
	b = data + off;
	if ((void *)(b + 12) > data_end)
		return 0;
	status = fl_http_status(b);
	if (!status)
		return 0;
	fl_signal_emit(rq->target_id, FL_KSIG_HTTP, status, rq->dir);
	return 0;
}

/* What a tc egress hook does with a verdict. A drop must look like loss on
 * a wire: TCX_DROP would hand the sender ENOBUFS and let TCP resend
 * locally, and tcx has no STOLEN; a redirect to a device that does not
 * exist frees the skb and reports success.
 */
static __always_inline int fl_tc_egress_act(struct __sk_buff *skb, int verdict, __u64 tstamp,
					    bool tcx, __u32 dir, const struct fl_pkt *p)
{
	switch (verdict) {
	case FL_REJECT_RST:
	case FL_REJECT_ICMP:
		/* back in through the device it was leaving: on a target's
		 * interface to the target, on a host-side peer to the host
		 */
		if (!fl_reject_tc(skb, p, verdict))
			return bpf_redirect(skb->ifindex, BPF_F_INGRESS);
		fl_reject_unanswered(dir);
		return tcx ? bpf_redirect(FL_BLACKHOLE_IFINDEX, 0) : FL_TC_STOLEN;
	case FL_DELAY:
		if (fl_edt_send_clone(skb, tstamp)) {
			struct fl_stats *st = bpf_map_lookup_elem(&fl_stats, &dir);

			if (st)
				st->drop_reason[FL_DROP_CLONE]++;
		}
		/* fall through: the clone carries the packet on */
	case FL_DROP:
		return tcx ? bpf_redirect(FL_BLACKHOLE_IFINDEX, 0) : FL_TC_STOLEN;
	case FL_PACE:
		skb->tstamp = tstamp;
		return FL_TC_NEXT;
	case FL_DUP:
		/* the copy goes first, through the same path as a delayed
		 * packet's (its second visit passes it, with its own time);
		 * the original follows
		 */
		fl_edt_send_clone(skb, skb->tstamp);
		return FL_TC_NEXT;
	}
	return FL_TC_NEXT;
}

/* Where fl_xdp_in joins libxdp's dispatcher (user/kernel/xdpmp.c): its
 * run priority, and the dispatcher goes on to the next program when it
 * passes a packet. libxdp reads this from the program's BTF.
 */
struct {
	int (*priority)[FL_XDP_RUN_PRIO];
	int (*XDP_PASS)[1];
} _fl_xdp_in SEC(".xdp_run_config");

SEC("xdp")
int fl_xdp_in(struct xdp_md *ctx)
{
	struct fl_req rq = { .dir = FL_DIR_INGRESS };
	struct fl_target *t;
	int verdict;

	if (!fl_ctl.armed)
		return XDP_PASS;
	if (fl_parse_xdp(ctx, &rq.pkt))
		return XDP_PASS;
	t = fl_target_by_owner(&rq.pkt);
	if (!t)
		return XDP_PASS;
	rq.len = ctx->data_end - ctx->data;
	rq.target_id = t->target_id;
	/* XDP cannot hold a packet: delays are placed elsewhere; nor does
	 * it answer one (the loader places an ingress reject on tc)
	 */
	verdict = fl_decide(t, &rq);
	if (fl_verdict_answered(verdict))
		fl_reject_unanswered(rq.dir);
	if (verdict == FL_DROP || fl_verdict_answered(verdict))
		return XDP_DROP;
	if (fl_ctl.observe)
		fl_http_xdp(ctx, &rq);
	return XDP_PASS;
}

SEC("tc")
int fl_tc_in(struct __sk_buff *skb)
{
	struct fl_req rq = { .dir = FL_DIR_INGRESS };
	struct fl_target *t;
	int verdict;

	if (fl_dup_in_second_visit(skb) || !fl_ctl.armed)
		return FL_TC_NEXT;
	if (fl_parse_tc(skb, &rq.pkt))
		return FL_TC_NEXT;
	t = fl_target_by_owner(&rq.pkt);
	if (!t)
		return FL_TC_NEXT;
	rq.len = skb->len;
	rq.target_id = t->target_id;
	verdict = fl_decide(t, &rq);
	/* the answer leaves by the device the packet came in on */
	if (fl_verdict_answered(verdict)) {
		if (!fl_reject_tc(skb, &rq.pkt, verdict))
			return bpf_redirect(skb->ifindex, 0);
		fl_reject_unanswered(rq.dir);
	}
	/* a drop at ingress is not seen by any local sender */
	if (verdict == FL_DROP || fl_verdict_answered(verdict))
		return FL_TC_SHOT;
	if (verdict == FL_DUP)
		fl_dup_in_send(skb);
	if (fl_ctl.observe)
		fl_http(skb, &rq);
	return FL_TC_NEXT;
}

/* Egress of a target's own interface (by the sending socket's cgroup), or
 * with @peer, egress of the host-side peer of a namespace a target owns:
 * the target's ingress, by destination address, where a qdisc can still
 * hold the packets for a delay. @t is the sender's target (NULL with @peer).
 */
static __always_inline int fl_tc_egress_decide(struct __sk_buff *skb, struct fl_target *t,
						__u64 cgid, bool tcx, bool peer)
{
	struct fl_req rq = { .dir = peer ? FL_DIR_INGRESS : FL_DIR_EGRESS, .cgid = cgid };
	int verdict;

	if (peer) {
		/* the destination is known only once the packet is parsed */
		if (fl_parse_tc(skb, &rq.pkt))
			return FL_TC_NEXT;
		t = fl_target_by_owner(&rq.pkt);
	} else {
		rq.parse_rc = fl_parse_tc(skb, &rq.pkt);
		/* only a target with DNS faults looks into its UDP to port 53 */
		if (t && t->dns_rules && !rq.parse_rc && rq.pkt.proto == IPPROTO_UDP &&
		    rq.pkt.l4_ok && rq.pkt.dport == FL_DNS_PORT)
			fl_dns_rules(skb, t, &rq.pkt);
	}
	if (!t)
		return FL_TC_NEXT;
	rq.len = skb->len;
	rq.target_id = t->target_id;
	verdict = fl_decide(t, &rq);
	if (verdict == FL_DNS_NXDOMAIN || verdict == FL_DNS_SERVFAIL)
		return fl_dns_answer(skb, &rq.pkt, verdict == FL_DNS_NXDOMAIN ?
					FL_DNS_RCODE_NXDOMAIN : FL_DNS_RCODE_SERVFAIL, tcx);
	if (verdict != FL_DROP && !rq.parse_rc && fl_ctl.observe)
		fl_http(skb, &rq);
	/* after the HTTP status is read: the flipped bit may be in it */
	if (verdict == FL_CORRUPT)
		fl_corrupt(skb, &rq);
	return fl_tc_egress_act(skb, verdict, rq.tstamp, tcx, rq.dir, &rq.pkt);
}

/* Every packet a namespace sends passes here, a bystander's too: it leaves
 * after the cgroup test, before the request is built (side_by_side.sh
 * measures what is left against an empty program).
 */
static __always_inline int fl_tc_egress(struct __sk_buff *skb, bool tcx, bool peer)
{
	struct fl_target *t = NULL;
	__u64 cgid = 0;

	if (fl_edt_second_visit(skb) || !fl_ctl.armed)
		return FL_TC_NEXT;
	if (!peer) {
		t = fl_target_by_cgroup(skb, &cgid);
		if (!t)
			return FL_TC_NEXT;
	}
	return fl_tc_egress_decide(skb, t, cgid, tcx, peer);
}

SEC("tc")
int fl_tcx_eg(struct __sk_buff *skb)
{
	return fl_tc_egress(skb, true, false);
}

SEC("tc")
int fl_cls_eg(struct __sk_buff *skb)
{
	return fl_tc_egress(skb, false, false);
}

SEC("tc")
int fl_tcx_pin(struct __sk_buff *skb)
{
	return fl_tc_egress(skb, true, true);
}

SEC("tc")
int fl_cls_pin(struct __sk_buff *skb)
{
	return fl_tc_egress(skb, false, true);
}

SEC("cgroup_skb/ingress")
int fl_cg_in(struct __sk_buff *skb)
{
	struct fl_req rq = { .dir = FL_DIR_INGRESS };
	struct fl_target *t;
	int verdict;

	if (!fl_ctl.armed)
		return 1;
	/* while every owned namespace is still owned, XDP or tc decided */
	if (fl_ctl.owner_in && !fl_ctl.n_shared)
		return 1;
	t = fl_target_by_cgroup(skb, &rq.cgid);
	if (!t)
		return 1;
	rq.parse_rc = fl_parse_cg(skb, &rq.pkt);
	if (fl_ctl.owner_in) {
		struct fl_target *o;

		/* decide here what the owner hooks would have decided, for the
		 * namespaces they gave up; the rest they decide themselves
		 */
		if (rq.parse_rc)
			return 1;
		o = bpf_map_lookup_elem(&fl_owned, &rq.pkt.dst);
		if (!o || fl_ns_owned(o->ns_slot))
			return 1;
	}
	rq.len = skb->len;
	rq.target_id = t->target_id;
	verdict = fl_decide(t, &rq);
	/* cgroup_skb may only pass or drop: a reject is dropped, and said so */
	if (fl_verdict_answered(verdict))
		fl_reject_unanswered(rq.dir);
	if (verdict == FL_DROP || fl_verdict_answered(verdict))
		return 0;
	if (!rq.parse_rc && fl_ctl.observe)
		fl_http(skb, &rq);
	return 1;
}

/* Ownership lets the ingress hooks decide by destination address; it holds
 * only while every socket in the namespace is a target's. The first socket
 * anyone else creates there ends it, before that socket can send or
 * receive a packet: from then on the namespace is decided at the target's
 * sockets (fl_cg_in), and the newcomer is never mistaken for the target.
 * Sockets that exist at the start are the loader's to check.
 */
SEC("cgroup/sock_create")
int fl_sock_watch(struct bpf_sock *sk)
{
	__u64 cookie = bpf_get_netns_cookie(sk);
	struct fl_ns_state *s;
	__u32 *slot;

	slot = bpf_map_lookup_elem(&fl_ns_slots, &cookie);
	if (!slot || fl_current_is_target())
		return 1;
	s = bpf_map_lookup_elem(&fl_nsstate, slot);
	if (!s || s->shared_ns)
		return 1;
	if (__sync_val_compare_and_swap(&s->shared_ns, 0, bpf_ktime_get_ns()) == 0) {
		s->cgroup_id = bpf_get_current_cgroup_id();
		s->pid = bpf_get_current_pid_tgid() >> 32;
		__sync_fetch_and_add(&fl_ctl.n_shared, 1);
	}
	return 1;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(fl_tp_retx, const struct sock *sk)
{
	return fl_observe_sig(sk, FL_KSIG_RETRANS, 1, FL_DIR_EGRESS);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(fl_tp_rst_tx, const struct sock *sk)
{
	return fl_observe_sig(sk, FL_KSIG_RST_SENT, 1, FL_DIR_EGRESS);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(fl_tp_rst_rx, struct sock *sk)
{
	return fl_observe_sig(sk, FL_KSIG_RST_RECV, 1, FL_DIR_INGRESS);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(fl_tp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct fl_sock_state *ss, init = {};
	struct fl_target *t;
	__u64 key = (__u64)sk, now;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	t = fl_target_by_sock(sk);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	if (newstate == FL_TCP_SYN_SENT) {
		init.syn_ns = now;
		bpf_map_update_elem(&fl_socks, &key, &init, BPF_ANY);
		return 0;
	}
	if (oldstate != FL_TCP_SYN_SENT)
		return 0;
	ss = bpf_map_lookup_elem(&fl_socks, &key);
	if (newstate == FL_TCP_ESTABLISHED && ss && ss->syn_ns)
		fl_signal_emit(t->target_id, FL_KSIG_CONNECT_LAT, now - ss->syn_ns, FL_DIR_EGRESS);
	else if (newstate == FL_TCP_CLOSE)
		fl_signal_emit(t->target_id, FL_KSIG_CONNECT_FAIL, 1, FL_DIR_EGRESS);
	if (ss)
		ss->syn_ns = 0;
	return 0;
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(fl_tp_rtt, struct sock *sk)
{
	struct fl_sock_state *ss, init = {};
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	struct fl_target *t;
	__u64 key = (__u64)sk, now;
	__u32 srtt;

	t = fl_target_by_sock(sk);
	if (!t)
		return 0;
	now = bpf_ktime_get_ns();
	ss = bpf_map_lookup_elem(&fl_socks, &key);
	if (!ss) {
		init.rtt_emit_ns = now;
		bpf_map_update_elem(&fl_socks, &key, &init, BPF_ANY);
	} else if (now - ss->rtt_emit_ns < FL_RTT_SAMPLE_NS) {
		return 0;
	} else {
		ss->rtt_emit_ns = now;
	}
	/* srtt_us holds eight times the smoothed RTT in microseconds */
	srtt = BPF_CORE_READ(tp, srtt_us) >> 3;
	if (srtt)
		fl_signal_emit(t->target_id, FL_KSIG_RTT, (__u64)srtt * 1000, FL_DIR_EGRESS);
	return 0;
}
