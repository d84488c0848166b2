/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reject: the packet itself becomes the answer to its sender, a TCP RST
 * (RFC 9293 section 3.10.7.1: reset generation) or an ICMP / ICMPv6 port
 * unreachable that quotes the IP header and the first 8 bytes of L4, all
 * the receiver needs to find the socket (RFC 792, RFC 4443). The caller
 * sends it back where it came from: at a tc egress hook into the same
 * device's ingress, at tc ingress out of the same device.
 *
 * Only tc can do it here. cgroup_skb may only pass or drop, and XDP would
 * need a second builder for xdp_md (XDP_TX); the loader places an ingress
 * reject on tc, and a hook that cannot answer drops the packet and counts
 * it as FL_DROP_REJECT.
 */
#ifndef FL_REJECT_H
#define FL_REJECT_H

#include "maps.h"
#include "parse.h"

#define FL_ICMP_DEST_UNREACH	3
#define FL_ICMP_PORT_UNREACH	3
#define FL_ICMPV6_DEST_UNREACH	1
#define FL_ICMPV6_PORT_UNREACH	4
#define FL_ETH_ALEN		6
/* the quoted IP header (with options or extension headers) and 8 bytes */
#define FL_REJECT_QUOTE_MAX	128
#define FL_REJECT_HDR_MAX	60	/* IPv6 + TCP, the largest header we write */

static __always_inline __u16 fl_csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* The one's complement sum of the pseudo-header (RFC 793, RFC 8200 8.1):
 * the addresses as written in @ip, then protocol and length. Summing in
 * memory order and storing the folded result as is gives network order.
 */
static __always_inline __u64 fl_pseudo_sum(__u8 *ip, int v6, __u8 proto, __u32 l4_len)
{
	__s64 s = v6 ? bpf_csum_diff(NULL, 0, (__be32 *)(ip + 8), 32, 0) :
		       bpf_csum_diff(NULL, 0, (__be32 *)(ip + 12), 8, 0);

	if (s < 0)
		return 0;
	return (__u64)s + bpf_htons(proto) + bpf_htons(l4_len);
}

/* An IPv4 or IPv6 header from the target's peer back to the sender. */
static __always_inline void fl_reject_ip(__u8 *h, const __u8 *orig, int v6, __u8 proto,
					 __u32 total)
{
	if (v6) {
		h[0] = 0x60;
		*(__be16 *)(h + 4) = bpf_htons(total - 40);
		h[6] = proto;
		h[7] = 64;
		__builtin_memcpy(h + 8, orig + 24, 16);
		__builtin_memcpy(h + 24, orig + 8, 16);
		return;
	}
	h[0] = 0x45;
	*(__be16 *)(h + 2) = bpf_htons(total);
	h[8] = 64;
	h[9] = proto;
	__builtin_memcpy(h + 12, orig + 16, 4);
	__builtin_memcpy(h + 16, orig + 12, 4);
	*(__u16 *)(h + 10) = fl_csum_fold(bpf_csum_diff(NULL, 0, (__be32 *)h, 20, 0));
}

/* RFC 9293 3.10.7.1: to a segment that carries an ACK, <SEQ=SEG.ACK>
 * <CTL=RST>; to one that does not, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>, where SYN and FIN count one each. Both land exactly on
 * the sender's next expected number, which is what an RFC 5961 stack
 * needs to accept a reset without a challenge ACK.
 */
static __always_inline int fl_reject_rst(__u8 *t, const __u8 *orig_tcp, __u32 seg_len)
{
	__u8 flags = orig_tcp[13];

	*(__u16 *)t = *(const __u16 *)(orig_tcp + 2);
	*(__u16 *)(t + 2) = *(const __u16 *)orig_tcp;
	if (flags & TCP_ACK) {
		__builtin_memcpy(t + 4, orig_tcp + 8, 4);
		t[13] = TCP_RST;
	} else {
		__u32 ack = bpf_ntohl(*(const __be32 *)(orig_tcp + 4)) + seg_len +
			    !!(flags & TCP_SYN) + !!(flags & TCP_FIN);

		*(__be32 *)(t + 8) = bpf_htonl(ack);
		t[13] = TCP_RST | TCP_ACK;
	}
	t[12] = 5 << 4;
	return 0;
}

/* the verifier wants stack accesses aligned to their size */
struct fl_reject_hdr {
	__u8 b[FL_REJECT_HDR_MAX];
} __attribute__((aligned(8)));

struct fl_reject_quote {
	__u8 b[FL_REJECT_QUOTE_MAX];
} __attribute__((aligned(8)));

struct fl_reject_orig {
	__u8 mac[2 * FL_ETH_ALEN];
	__u8 pad[4];
	__u8 ip[40];	/* the fixed IPv4 or IPv6 header, and what follows */
	__u8 tcp[20];
} __attribute__((aligned(8)));

/* What both answers need: where the headers are, the original's MACs
 * and fixed IP header, and its IP length. 0, or -1 for a packet that
 * cannot be answered.
 */
static __always_inline int fl_reject_prep(struct __sk_buff *skb, const struct fl_pkt *p,
					  struct fl_reject_orig *o, __u32 *ip_len)
{
	__u32 l3 = p->l3_off, l4 = p->l4_off;

	/* an Ethernet header, maybe VLAN tags: the answer keeps them */
	if (l3 < 14 || l3 > 22 || l4 > l3 + FL_REJECT_QUOTE_MAX - 8)
		return -1;
	if (bpf_skb_load_bytes(skb, 0, o->mac, sizeof(o->mac)))
		return -1;
	if (p->family == 6) {
		if (l4 < l3 + 40 || bpf_skb_load_bytes(skb, l3, o->ip, 40))
			return -1;
		*ip_len = 40 + bpf_ntohs(*(__be16 *)(o->ip + 4));
	} else {
		if (l4 < l3 + 20 || bpf_skb_load_bytes(skb, l3, o->ip, 20))
			return -1;
		*ip_len = bpf_ntohs(*(__be16 *)(o->ip + 2));
	}
	if (!*ip_len)	/* BIG TCP leaves it 0: the skb knows */
		*ip_len = skb->len - l3;
	return 0;
}

/* The answer goes from the one the packet was for to its sender. */
static __always_inline int fl_reject_macs(struct __sk_buff *skb, const struct fl_reject_orig *o)
{
	if (bpf_skb_store_bytes(skb, 0, o->mac + FL_ETH_ALEN, FL_ETH_ALEN, 0) ||
	    bpf_skb_store_bytes(skb, FL_ETH_ALEN, o->mac, FL_ETH_ALEN, 0))
		return -1;
	return 0;
}

/* Turn the skb, a TCP segment, into the RST that answers it: in place,
 * resized, MACs swapped, checksums written. 0, or -1 when it cannot be
 * (the caller drops it). One global function per answer keeps each
 * verified once and small.
 */
__noinline int fl_reject_rst_tc(struct __sk_buff *skb, const struct fl_pkt *p)
{
	struct fl_reject_orig o = {};
	struct fl_reject_hdr h = {};
	__u32 l3, l4, ip_len, hdrs, seg_len;
	__s64 ts;
	__u8 *t;

	if (!skb || !p || fl_reject_prep(skb, p, &o, &ip_len))
		return -1;
	l3 = p->l3_off;
	l4 = p->l4_off;
	if (bpf_skb_load_bytes(skb, l4, o.tcp, sizeof(o.tcp)))
		return -1;
	hdrs = (o.tcp[12] >> 4) * 4 + (l4 - l3);
	if (ip_len < hdrs)
		return -1;
	seg_len = ip_len - hdrs;
	if (p->family == 6) {
		t = h.b + 40;
		fl_reject_ip(h.b, o.ip, 1, IPPROTO_TCP, 60);
		fl_reject_rst(t, o.tcp, seg_len);
		ts = bpf_csum_diff(NULL, 0, (__be32 *)t, 20, 0);
		if (ts < 0)
			return -1;
		*(__u16 *)(t + 16) = fl_csum_fold(fl_pseudo_sum(h.b, 1, IPPROTO_TCP, 20) +
						  (__u64)ts);
		if (bpf_skb_change_tail(skb, l3 + 60, 0) || fl_reject_macs(skb, &o) ||
		    bpf_skb_store_bytes(skb, l3, h.b, 60, BPF_F_RECOMPUTE_CSUM))
			return -1;
		return 0;
	}
	t = h.b + 20;
	fl_reject_ip(h.b, o.ip, 0, IPPROTO_TCP, 40);
	fl_reject_rst(t, o.tcp, seg_len);
	ts = bpf_csum_diff(NULL, 0, (__be32 *)t, 20, 0);
	if (ts < 0)
		return -1;
	*(__u16 *)(t + 16) = fl_csum_fold(fl_pseudo_sum(h.b, 0, IPPROTO_TCP, 20) + (__u64)ts);
	if (bpf_skb_change_tail(skb, l3 + 40, 0) || fl_reject_macs(skb, &o) ||
	    bpf_skb_store_bytes(skb, l3, h.b, 40, BPF_F_RECOMPUTE_CSUM))
		return -1;
	return 0;
}

/* The same for ICMP (ICMPv6) port unreachable, quoting the IP header with
 * its options or extension headers and the first 8 bytes after it: all
 * the receiver needs to find the socket (RFC 792, RFC 4443).
 */
__noinline int fl_reject_icmp_tc(struct __sk_buff *skb, const struct fl_pkt *p)
{
	struct fl_reject_quote q = {};
	struct fl_reject_orig o = {};
	struct fl_reject_hdr h = {};
	__u32 l3, ip_len, iph, qlen;
	__s64 qs, hs;
	__u64 sum;
	__u8 *ic;
	int v6;

	if (!skb || !p || fl_reject_prep(skb, p, &o, &ip_len))
		return -1;
	l3 = p->l3_off;
	v6 = p->family == 6;
	iph = v6 ? 40 : 20;
	qlen = p->l4_off - l3 + 8;
	/* a multiple of 4, as IPv4 headers and IPv6 extension headers are:
	 * bpf_csum_diff sums whole words
	 */
	if (qlen > FL_REJECT_QUOTE_MAX || qlen < 28 || (qlen & 3) || l3 + qlen > skb->len)
		return -1;
	if (bpf_skb_load_bytes(skb, l3, q.b, qlen))
		return -1;
	qs = bpf_csum_diff(NULL, 0, (__be32 *)q.b, qlen, 0);
	if (qs < 0)
		return -1;
	ic = h.b + iph;
	fl_reject_ip(h.b, o.ip, v6, v6 ? FL_PROTO_ICMPV6 : IPPROTO_ICMP, iph + 8 + qlen);
	ic[0] = v6 ? FL_ICMPV6_DEST_UNREACH : FL_ICMP_DEST_UNREACH;
	ic[1] = v6 ? FL_ICMPV6_PORT_UNREACH : FL_ICMP_PORT_UNREACH;
	/* ICMPv6 sums a pseudo-header too, ICMP does not */
	sum = (__u64)qs + (v6 ? fl_pseudo_sum(h.b, 1, FL_PROTO_ICMPV6, 8 + qlen) : 0);
	hs = bpf_csum_diff(NULL, 0, (__be32 *)ic, 8, 0);
	if (hs < 0)
		return -1;
	*(__u16 *)(ic + 2) = fl_csum_fold(sum + (__u64)hs);
	if (bpf_skb_change_tail(skb, l3 + iph + 8 + qlen, 0) || fl_reject_macs(skb, &o))
		return -1;
	if (v6 ? bpf_skb_store_bytes(skb, l3, h.b, 48, BPF_F_RECOMPUTE_CSUM) :
		 bpf_skb_store_bytes(skb, l3, h.b, 28, BPF_F_RECOMPUTE_CSUM))
		return -1;
	if (bpf_skb_store_bytes(skb, l3 + iph + 8, q.b, qlen, BPF_F_RECOMPUTE_CSUM))
		return -1;
	return 0;
}

/* The answer for @verdict (FL_REJECT_RST or FL_REJECT_ICMP); 0 or -1. */
static __always_inline int fl_reject_tc(struct __sk_buff *skb, const struct fl_pkt *p,
					int verdict)
{
	return verdict == FL_REJECT_ICMP ? fl_reject_icmp_tc(skb, p) : fl_reject_rst_tc(skb, p);
}

/* A reject this hook could not answer: the packet is dropped instead. */
static __always_inline void fl_reject_unanswered(__u32 dir)
{
	struct fl_stats *st = bpf_map_lookup_elem(&fl_stats, &dir);

	if (st)
		st->drop_reason[FL_DROP_REJECT]++;
}

#endif /* FL_REJECT_H */
