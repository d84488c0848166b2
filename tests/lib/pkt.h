/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Crafting test frames: Ethernet with up to two VLAN tags, IPv4 with
 * options or IPv6 with extension headers, then TCP, UDP, ICMP or ICMPv6.
 * The builder records where each header ends, so a test can cut a frame
 * at every boundary and know what the datapath could have seen.
 */
#ifndef FL_TEST_PKT_H
#define FL_TEST_PKT_H

#include <arpa/inet.h>
#include <string.h>
#include <linux/types.h>

#include "faultline.h"

#define PKT_MAX		512
#define PKT_ETH_P_IP	0x0800
#define PKT_ETH_P_ARP	0x0806
#define PKT_ETH_P_IPV6	0x86DD
#define PKT_ETH_P_8021Q	0x8100
#define PKT_ETH_P_8021AD 0x88A8
#define PKT_MAX_EXT	4

/* TCP flag bits, byte 13 of the header */
#define PKT_TCP_FIN	0x01
#define PKT_TCP_SYN	0x02
#define PKT_TCP_RST	0x04
#define PKT_TCP_ACK	0x10

struct pkt_spec {
	int family;		/* 4 or 6; 0: a non-IP frame of @ethertype */
	__u16 ethertype;	/* for family 0 (ARP gets a 28-byte body) */
	__u8 proto;		/* IPPROTO_TCP, _UDP, _ICMP or _ICMPV6 */
	const char *src;
	const char *dst;
	__u16 sport;		/* TCP/UDP; for ICMP the echo id */
	__u16 dport;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 tcp_flags;
	int vlans;		/* 0, 1 (802.1Q) or 2 (QinQ: 802.1ad outside) */
	int ip_opt_words;	/* IPv4 options, in 4-byte words (0..10) */
	__u8 ext[PKT_MAX_EXT];	/* IPv6 extension headers in order: 0, 43, 44, 60 */
	int n_ext;
	__u16 frag_off;		/* fragment offset, 8-byte units (IPv4 or ext 44) */
	int more_frags;
	int payload;		/* bytes after the L4 header */
};

struct pkt {
	__u8 data[PKT_MAX];
	__u32 len;
	__u32 l3_off;		/* where the IP header starts */
	__u32 ip_fixed_end;	/* end of the fixed 20- or 40-byte IP header */
	__u32 l4_off;		/* after IPv4 options or IPv6 extension headers */
	__u32 l4_end;		/* end of the L4 header: all a port rule needs */
};

static inline void pkt_put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline __u16 pkt_csum(const __u8 *p, __u32 len)
{
	__u32 sum = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* Text address to the datapath's 16-byte form (IPv4 as ::ffff:a.b.c.d). */
static inline int pkt_addr(const char *s, struct fl_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u32[3]) == 1) {
		a->u8[10] = 0xff;
		a->u8[11] = 0xff;
		return 4;
	}
	if (inet_pton(AF_INET6, s, a->u8) == 1)
		return 6;
	return -1;
}

static inline __u32 pkt_l4_len(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

static inline void pkt_l4(__u8 *l4, const struct pkt_spec *s, __u32 l4_total)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		pkt_put16(l4, s->sport);
		pkt_put16(l4 + 2, s->dport);
		l4[12] = 5 << 4;	/* data offset: 20 bytes */
		l4[13] = s->tcp_flags;
		pkt_put16(l4 + 14, 65535);
		break;
	case IPPROTO_UDP:
		pkt_put16(l4, s->sport);
		pkt_put16(l4 + 2, s->dport);
		pkt_put16(l4 + 4, l4_total);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4[0] = s->icmp_type;
		l4[1] = s->icmp_code;
		pkt_put16(l4 + 4, s->sport);
		pkt_put16(l4 + 6, 1);
		break;
	}
}

/* Build @s into @p. Returns 0, or -1 for a spec it cannot express. */
static inline int pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	static const __u8 dmac[6] = { 0x02, 0, 0, 0, 0, 2 };
	static const __u8 smac[6] = { 0x02, 0, 0, 0, 0, 1 };
	__u32 off, l4_total, i;
	__u16 ethertype;
	__u8 *d = p->data;

	memset(p, 0, sizeof(*p));
	if (s->vlans < 0 || s->vlans > 2 || s->ip_opt_words < 0 || s->ip_opt_words > 10 ||
	    s->n_ext < 0 || s->n_ext > PKT_MAX_EXT || s->payload < 0 || s->payload > 256)
		return -1;
	ethertype = s->family == 4 ? PKT_ETH_P_IP : s->family == 6 ? PKT_ETH_P_IPV6 : s->ethertype;
	memcpy(d, dmac, 6);
	memcpy(d + 6, smac, 6);
	off = 12;
	if (s->vlans == 2) {
		pkt_put16(d + off, PKT_ETH_P_8021AD);
		pkt_put16(d + off + 2, 100);
		off += 4;
	}
	if (s->vlans >= 1) {
		pkt_put16(d + off, PKT_ETH_P_8021Q);
		pkt_put16(d + off + 2, 200);
		off += 4;
	}
	pkt_put16(d + off, ethertype);
	off += 2;
	p->l3_off = off;
	l4_total = pkt_l4_len(s->proto) + s->payload;

	if (s->family == 4) {
		__u32 ihl = 20 + 4 * s->ip_opt_words;
		__u16 frag = s->frag_off & 0x1fff;

		d[off] = 0x40 | (ihl / 4);
		pkt_put16(d + off + 2, ihl + l4_total);
		pkt_put16(d + off + 4, 0x1234);
		if (s->more_frags)
			frag |= 0x2000;
		pkt_put16(d + off + 6, frag);
		d[off + 8] = 64;
		d[off + 9] = s->proto;
		if (inet_pton(AF_INET, s->src, d + off + 12) != 1 ||
		    inet_pton(AF_INET, s->dst, d + off + 16) != 1)
			return -1;
		/* options: NOPs, then end of list */
		for (i = 20; i < ihl; i++)
			d[off + i] = i + 1 < ihl ? 1 : 0;
		pkt_put16(d + off + 10, pkt_csum(d + off, ihl));
		p->ip_fixed_end = off + 20;
		off += ihl;
	} else if (s->family == 6) {
		__u8 *ip6 = d + off;
		__u8 *nh = ip6 + 6;
		__u32 start = off;

		ip6[0] = 0x60;
		ip6[7] = 64;
		if (inet_pton(AF_INET6, s->src, ip6 + 8) != 1 ||
		    inet_pton(AF_INET6, s->dst, ip6 + 24) != 1)
			return -1;
		off += 40;
		p->ip_fixed_end = off;
		for (i = 0; i < (__u32)s->n_ext; i++) {
			*nh = s->ext[i];
			nh = d + off;
			if (s->ext[i] == 44) {
				pkt_put16(d + off + 2, (s->frag_off << 3) | (s->more_frags ? 1 : 0));
				d[off + 4] = 0xab;	/* identification */
				off += 8;
			} else {
				/* hdrlen 1: 16 bytes; PadN fills the options */
				d[off + 1] = 1;
				d[off + 2] = 1;
				d[off + 3] = 12;
				off += 16;
			}
		}
		*nh = s->proto;
		pkt_put16(ip6 + 4, off - start - 40 + l4_total);
	} else {
		p->ip_fixed_end = off;
		p->l4_off = off;
		if (ethertype == PKT_ETH_P_ARP) {
			pkt_put16(d + off, 1);		/* Ethernet */
			pkt_put16(d + off + 2, PKT_ETH_P_IP);
			d[off + 4] = 6;
			d[off + 5] = 4;
			pkt_put16(d + off + 6, 1);	/* request */
			off += 28;
		}
		p->l4_end = off;
		p->len = off;
		return 0;
	}
	p->l4_off = off;
	pkt_l4(d + off, s, l4_total);
	off += pkt_l4_len(s->proto);
	p->l4_end = off;
	for (i = 0; i < (__u32)s->payload; i++)
		d[off + i] = 0xa0 + (i & 0xf);
	off += s->payload;
	p->len = off;
	return 0;
}

#endif /* FL_TEST_PKT_H */
