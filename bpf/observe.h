/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel signals of the targets' TCP sockets, from tracepoints (tp_btf),
 * filtered by the socket's cgroup: retransmits, resets, connect failures
 * and latency, smoothed RTT. Each becomes one FL_EV_SIGNAL record; RTT is
 * sampled at most every FL_RTT_SAMPLE_NS per socket.
 */
#ifndef FL_OBSERVE_H
#define FL_OBSERVE_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "flows.h"
#include "maps.h"
#include "target.h"

#define FL_TCP_ESTABLISHED	1
#define FL_TCP_SYN_SENT		2
#define FL_TCP_CLOSE		7

struct fl_sock_state {
	__u64 syn_ns;		/* when it entered SYN_SENT */
	__u64 rtt_emit_ns;	/* last RTT record */
};

/* keyed by the socket's address: good for its lifetime, then recycled */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FL_MAX_FLOWS);
	__type(key, __u64);
	__type(value, struct fl_sock_state);
} fl_socks SEC(".maps");

/* cgroup->ancestors[] holds pointers since 6.0 (ids before); the TCP
 * signals therefore need 6.0 or newer.
 */
static __always_inline __u64 fl_cgroup_ancestor_id(struct cgroup *cg, __u32 level)
{
	struct cgroup *anc = NULL;

	bpf_core_read(&anc, sizeof(anc), &cg->ancestors[level]);
	return anc ? BPF_CORE_READ(anc, kn, id) : 0;
}

/* The target a socket belongs to, by its cgroup and its ancestors. */
static __always_inline struct fl_target *fl_target_by_sock(const struct sock *sk)
{
	__u32 n = fl_ctl.n_levels;
	struct cgroup *cg;
	int i, level;

	if (!sk || !fl_ctl.armed || !fl_ctl.observe)
		return NULL;
	cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	if (!cg)
		return NULL;
	level = BPF_CORE_READ(cg, level);
	for (i = 0; i < FL_MAX_LEVELS; i++) {
		struct fl_target *t;
		__u32 l;
		__u64 id;

		if (i >= n)
			break;
		l = fl_ctl.levels[i];
		if (l > (__u32)level || l >= 64)
			continue;
		id = fl_cgroup_ancestor_id(cg, l);
		if (!id || !fl_filter_test(fl_filter_bit(id)))
			continue;
		t = bpf_map_lookup_elem(&fl_targets, &id);
		if (t)
			return t;
	}
	return NULL;
}

static __always_inline int fl_observe_sig(const struct sock *sk, __u32 sig, __u64 value, __u32 dir)
{
	struct fl_target *t = fl_target_by_sock(sk);

	if (t)
		fl_signal_emit(t->target_id, sig, value, dir);
	return 0;
}

/* The status of an HTTP/1.x status line in @b (12 bytes), or 0. Only
 * plaintext HTTP/1.x is seen: TLS and HTTP/2 are not.
 */
static __always_inline __u32 fl_http_status(const char *b)
{
	if (b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/' ||
	    b[5] != '1' || b[6] != '.' || b[8] != ' ')
		return 0;
	if (b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' || b[11] < '0' || b[11] > '9')
		return 0;
	return (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
}

/* An HTTP/1.x status line at the start of a target's TCP payload. */
static __always_inline void fl_http_observe(struct __sk_buff *skb, const struct fl_pkt *p,
					    __u32 target_id, __u32 dir)
{
	char b[12];
	__u32 status;

	if (!fl_ctl.observe || p->proto != IPPROTO_TCP || !p->l4_ok || !p->payload_off ||
	    skb->len < (__u32)p->payload_off + sizeof(b))
		return;
	if (bpf_skb_load_bytes(skb, p->payload_off, b, sizeof(b)))
		return;
	status = fl_http_status(b);
	if (status)
		fl_signal_emit(target_id, FL_KSIG_HTTP, status, dir);
}

#endif /* FL_OBSERVE_H */
