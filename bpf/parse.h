/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One packet parser for every hook: L2 (Ethernet, up to two VLAN tags) or
 * L3 start, IPv4 with options, IPv6 with a bounded extension header walk,
 * then TCP, UDP, ICMP or ICMPv6. It only reads; a packet it cannot parse
 * is reported as such and the caller passes it untouched.
 */
#ifndef FL_PARSE_H
#define FL_PARSE_H

#include "faultline.h"

#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define FL_MAX_VLAN	2
#define FL_MAX_EXTHDR	6
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF

#define TCP_FIN		0x01
#define TCP_SYN		0x02
#define TCP_RST		0x04
#define TCP_ACK		0x10

struct fl_pkt {
	struct fl_addr src;
	struct fl_addr dst;
	__u16 sport;		/* host order; ICMP: echo id */
	__u16 dport;		/* host order; ICMP: type << 8 | code */
	__u8 proto;		/* final L4 protocol */
	__u8 family;		/* 4 or 6 */
	__u8 tcp_flags;
	__u8 l4_ok;		/* 0 for a non-first fragment: L3 fields only */
	__u16 payload_off;	/* TCP, UDP: where the payload starts, from the first byte parsed */
	__u16 l3_off;		/* where the IP header starts, from the first byte parsed */
	__u16 l4_off;		/* where the L4 header starts (when l4_ok) */
	__u8 dns_mask;		/* bit i: a DNS query whose name rule_ids[i] lists (bpf/dns.h) */
	__u8 dns_pad;
	__u16 dns_qend;		/* with dns_mask: where its question ends */
};

struct fl_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* IPv6 extension headers share this prefix. */
struct fl_ipv6_opt_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

static __always_inline void fl_addr_set_v4(struct fl_addr *a, __be32 v4)
{
	a->u32[0] = 0;
	a->u32[1] = 0;
	a->u32[2] = bpf_htonl(0xffff);
	a->u32[3] = v4;
}

/* Read ports and flags of the L4 header at @l4. Returns 0, or -1 when
 * the header is cut short (the caller passes the packet).
 */
static __always_inline int fl_parse_l4(void *base, void *l4, void *data_end, struct fl_pkt *p)
{
	switch (p->proto) {
	case IPPROTO_TCP: {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return -1;
		p->sport = bpf_ntohs(th->source);
		p->dport = bpf_ntohs(th->dest);
		/* byte 13 of the header holds the flags */
		p->tcp_flags = ((__u8 *)th)[13];
		p->payload_off = (__u16)(l4 - base) + th->doff * 4;
		break;
	}
	case IPPROTO_UDP: {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return -1;
		p->sport = bpf_ntohs(uh->source);
		p->dport = bpf_ntohs(uh->dest);
		p->payload_off = (__u16)(l4 - base) + sizeof(*uh);
		break;
	}
	case IPPROTO_ICMP:
	case FL_PROTO_ICMPV6: {
		/* type, code, checksum, then the echo id for echo messages */
		__u8 *ih = l4;

		if ((void *)(ih + 8) > data_end)
			return -1;
		p->dport = ((__u16)ih[0] << 8) | ih[1];
		p->sport = ((__u16)ih[4] << 8) | ih[5];
		break;
	}
	default:
		break;
	}
	p->l4_off = (__u16)(l4 - base);
	p->l4_ok = 1;
	return 0;
}

static __always_inline int fl_parse_ipv4(void *base, void *l3, void *data_end, struct fl_pkt *p)
{
	struct iphdr *iph = l3;
	__u32 ihl;

	if ((void *)(iph + 1) > data_end)
		return -1;
	ihl = iph->ihl * 4;
	if (iph->version != 4 || ihl < sizeof(*iph))
		return -1;
	if (l3 + ihl > data_end)
		return -1;
	p->family = 4;
	p->proto = iph->protocol;
	fl_addr_set_v4(&p->src, iph->saddr);
	fl_addr_set_v4(&p->dst, iph->daddr);
	/* a non-first fragment has no L4 header: match it on L3 alone */
	if (iph->frag_off & bpf_htons(IP_OFFSET))
		return 0;
	return fl_parse_l4(base, l3 + ihl, data_end, p);
}

static __always_inline int fl_parse_ipv6(void *base, void *l3, void *data_end, struct fl_pkt *p)
{
	struct ipv6hdr *ip6h = l3;
	void *cur = ip6h + 1;
	__u8 nexthdr;
	int i;

	if (cur > data_end)
		return -1;
	if (ip6h->version != 6)
		return -1;
	p->family = 6;
	__builtin_memcpy(p->src.u8, &ip6h->saddr, 16);
	__builtin_memcpy(p->dst.u8, &ip6h->daddr, 16);
	nexthdr = ip6h->nexthdr;

	/* bounded walk: the verifier needs a constant trip count */
	for (i = 0; i < FL_MAX_EXTHDR; i++) {
		struct fl_ipv6_opt_hdr *oh = cur;

		switch (nexthdr) {
		case 0:		/* hop-by-hop */
		case 43:	/* routing */
		case 60:	/* destination options */
			if ((void *)(oh + 1) > data_end)
				return -1;
			nexthdr = oh->nexthdr;
			cur += (oh->hdrlen + 1) * 8;
			break;
		case 51:	/* AH: length in 4-byte units, minus 2 */
			if ((void *)(oh + 1) > data_end)
				return -1;
			nexthdr = oh->nexthdr;
			cur += (oh->hdrlen + 2) * 4;
			break;
		case 44: {	/* fragment */
			struct frag_hdr *fh = cur;

			if ((void *)(fh + 1) > data_end)
				return -1;
			nexthdr = fh->nexthdr;
			cur += sizeof(*fh);
			if (fh->frag_off & bpf_htons(0xFFF8)) {
				p->proto = nexthdr;
				return 0;
			}
			break;
		}
		default:
			goto l4;
		}
	}
	/* too many extension headers to be worth following */
	return -1;
l4:
	p->proto = nexthdr;
	if (nexthdr == 50 || nexthdr == 59)	/* ESP, no next header */
		return 0;
	return fl_parse_l4(base, cur, data_end, p);
}

/* Parse from L2 (@l3_proto == 0) or from L3 with the given ethertype
 * (cgroup_skb programs see no Ethernet header).
 */
static __always_inline int fl_parse(void *data, void *data_end, __u16 l3_proto,
				    struct fl_pkt *p)
{
	void *cur = data;
	__u16 proto = l3_proto;
	int i;

	if (!proto) {
		struct ethhdr *eth = cur;

		if ((void *)(eth + 1) > data_end)
			return -1;
		proto = bpf_ntohs(eth->h_proto);
		cur = eth + 1;
		for (i = 0; i < FL_MAX_VLAN; i++) {
			struct fl_vlan_hdr *vh = cur;

			if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
				break;
			if ((void *)(vh + 1) > data_end)
				return -1;
			proto = bpf_ntohs(vh->proto);
			cur = vh + 1;
		}
	}
	p->l3_off = (__u16)(cur - data);
	if (proto == ETH_P_IP)
		return fl_parse_ipv4(data, cur, data_end, p);
	if (proto == ETH_P_IPV6)
		return fl_parse_ipv6(data, cur, data_end, p);
	return -1;
}

#endif /* FL_PARSE_H */
