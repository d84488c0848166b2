/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* DNS faults: which of a target's DNS fault rules the name of a query
 * names, and the answer (NXDOMAIN, SERVFAIL) made from the query itself
 * and sent back to the target in its place.
 *
 * Only a target's UDP packet to port 53 gets here (fl_tc_egress), and only
 * when the target has a DNS fault. A query is matched when it is a
 * standard query (QR 0, opcode 0) with exactly one question whose name is
 * written out in full (no compression pointer) in at most FL_DNS_NAME_MAX
 * bytes; anything else matches no DNS fault and goes on as any other
 * packet. Names compare in lower case, as DNS compares them.
 */
#ifndef FL_DNS_H
#define FL_DNS_H

#include "maps.h"
#include "parse.h"
#include "reject.h"	/* fl_csum_fold */

#define FL_DNS_HDR		12	/* ID, flags, four counts */
#define FL_DNS_QTAIL		4	/* QTYPE, QCLASS after the name */
#define FL_DNS_BUF		(FL_DNS_HDR + FL_DNS_NAME_MAX + FL_DNS_QTAIL)
/* a label is a length byte and at least one more */
#define FL_DNS_MAX_LABELS	(FL_DNS_NAME_MAX / 2)
#define FL_UDP_HDR		8
/* where the name starts in the scratch buffer, after the UDP and DNS headers */
#define FL_DNS_NAME_AT		(FL_UDP_HDR + FL_DNS_HDR)

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fl_dns_match reads the name 8 bytes at a time as a little-endian word"
#endif

/* One 8-byte word of the name at @off in the scratch buffer, in lower
 * case: a byte from 'A' to 'Z' gets 0x20 (bytes of 0x80 and up, and the
 * length bytes, below 64, stay as they are). On a little-endian load the
 * word holds the bytes as fl_dns_hash_end() takes them: the last one
 * highest.
 */
static __always_inline __u64 fl_dns_word(const struct fl_dns_scratch *s, __u32 off)
{
	__u64 w = *(const __u64 *)(s->buf + (off & (FL_DNS_SCRATCH_BUF - 1)));
	__u64 x = w & 0x7f7f7f7f7f7f7f7fULL;
	/* top bit of each byte: x >= 'A', and x > 'Z' (no carry: x < 0x80) */
	__u64 ge_a = x + 0x3f3f3f3f3f3f3f3fULL, gt_z = x + 0x2525252525252525ULL;

	return w | ((ge_a & ~gt_z & ~w & 0x8080808080808080ULL) >> 2);
}

/* Bit i: rule_ids[i] of @t lists the name that the query in @skb asks
 * for (the name itself, or *. and one of its suffixes). Sets p->dns_qend
 * to where the question ends. Three bounded walks: the labels (where each
 * starts; the bitmaps of last labels and last two labels then end most
 * names not listed), the name's 8-byte words from its end (the hash after each),
 * and a lookup at each label start whose suffix has as many labels as a
 * listed name (t->dns_labels): usually one lookup for a name that is not
 * listed. A suffix's hash is the hash after its whole words and its first
 * bytes that fill no word, so the name is read once however many
 * suffixes are looked up.
 */
static __always_inline __u32 fl_dns_match(struct __sk_buff *skb, const struct fl_target *t,
					  struct fl_pkt *p)
{
	struct fl_dns_key k = { .target_id = t->target_id };
	__u32 off = p->payload_off, avail, n, i = 0, l, nl, e, name_len, mask = 0, zero = 0, load;
	__u32 last = 0, prev = 0, bit;
	__u64 h = FL_DNS_HASH_SEED, want = t->dns_labels, w;
	struct fl_dns_scratch *s;
	struct fl_dns_val *v;

	if (off < FL_UDP_HDR || skb->len <= off)
		return 0;
	avail = skb->len - off;
	if (avail < FL_DNS_HDR + 1 + FL_DNS_QTAIL)
		return 0;
	n = avail < FL_DNS_BUF ? avail : FL_DNS_BUF;
	s = bpf_map_lookup_elem(&fl_dns_scratch, &zero);
	if (!s)
		return 0;
	/* said again in a form 6.1's verifier keeps: a size it knows is not 0 */
	load = n + FL_UDP_HDR;
	barrier_var(load);
	if (load < FL_UDP_HDR + FL_DNS_HDR + 1 + FL_DNS_QTAIL || load > FL_UDP_HDR + FL_DNS_BUF)
		return 0;
	if (bpf_skb_load_bytes(skb, off - FL_UDP_HDR, s->buf, load))
		return 0;
	/* the whole datagram is here: not the first fragment of one (its
	 * answer would be made of a part, the rest would reach the server)
	 */
	if (((__u32)s->buf[4] << 8 | s->buf[5]) != avail + FL_UDP_HDR)
		return 0;
	/* QR 0 and opcode 0 (a standard query), one question */
	if ((s->buf[FL_UDP_HDR + 2] & 0xf8) || s->buf[FL_UDP_HDR + 4] || s->buf[FL_UDP_HDR + 5] != 1)
		return 0;
	for (l = 0; l < FL_DNS_MAX_LABELS; l++) {
		__u32 label;

		if (i >= FL_DNS_NAME_MAX)
			return 0;
		label = s->buf[FL_DNS_NAME_AT + i];
		if (!label)
			break;
		/* 0xc0 and up: a compression pointer; 64..191: reserved */
		if (label > 63)
			return 0;
		/* each index masked: 6.1's verifier loses the loops' bounds */
		s->starts[l & (FL_DNS_MAX_LABELS - 1)] = i;
		prev = last;
		last = i;
		i += label + 1;
	}
	if (l == FL_DNS_MAX_LABELS || !l)
		return 0;
	/* every name a fault lists, and every query that one matches, ends
	 * in a last label the loader marked: most names not listed stop
	 * here, before the hashes of their words and suffixes
	 */
	w = fl_dns_word(s, FL_DNS_NAME_AT + (last & (FL_DNS_NAME_MAX - 1)));
	bit = fl_dns_last_label_bit(w, t->target_id);
	if (!fl_dns_filter_has(FL_DNS_FILTER_LAST, bit))
		return 0;
	/* and, when no name of the target has one label, by the last two */
	if (!(want & 2)) {
		if (l < 2)
			return 0;
		bit = fl_dns_last2_bit(fl_dns_word(s, FL_DNS_NAME_AT + (prev & (FL_DNS_NAME_MAX - 1))),
				       w, t->target_id);
		if (!fl_dns_filter_has(FL_DNS_FILTER_LAST2, bit))
			return 0;
	}
	/* through memory, so that the verifier goes on from one state for
	 * every way the walk ended, not one per label count and length
	 */
	s->nl = l;
	s->name_len = i + 1;
	nl = *(volatile __u32 *)&s->nl & (FL_DNS_MAX_LABELS - 1);
	name_len = *(volatile __u32 *)&s->name_len & (2 * FL_DNS_NAME_MAX - 1);
	if (FL_DNS_HDR + name_len + FL_DNS_QTAIL > n)
		return 0;
	e = FL_DNS_NAME_AT + name_len;
	s->h[0] = h;
	for (l = 0; l < FL_DNS_NAME_MAX / 8; l++) {
		barrier_var(l);
		if (l >= name_len / 8)
			break;
		h = fl_dns_mix(h, fl_dns_word(s, e - 8 * (l + 1)));
		s->h[(l + 1) & (2 * FL_DNS_NAME_MAX / 8 - 1)] = h;
	}
	for (l = 0; l < FL_DNS_MAX_LABELS; l++) {
		__u32 pos, len, r;

		/* else clang folds l < FL_DNS_MAX_LABELS into l < nl, and
		 * 6.1's verifier follows the loop past where nl ends it
		 */
		barrier_var(l);
		if (l >= nl)
			break;
		if (!(want & (1ULL << ((nl - l) & 63))))
			continue;
		pos = FL_DNS_NAME_AT + s->starts[l & (FL_DNS_MAX_LABELS - 1)];
		len = e - pos;
		r = len & 7;
		w = 0;
		/* the bytes before the suffix's whole words; the word ends
		 * where they end, its lower bytes (before the suffix) shift out
		 */
		if (r)
			w = fl_dns_word(s, pos + r - 8) >> (64 - 8 * r);
		k.hash = fl_dns_hash_end(s->h[(len / 8) & (2 * FL_DNS_NAME_MAX / 8 - 1)], w, len);
		bit = fl_dns_filter_bit(k.hash, k.target_id);
		if (!fl_dns_filter_has(FL_DNS_FILTER_KEYS, bit))
			continue;
		v = bpf_map_lookup_elem(&fl_dns, &k);
		if (v)
			mask |= l ? v->wild_mask : v->exact_mask;
	}
	p->dns_qend = off + FL_DNS_HDR + name_len + FL_DNS_QTAIL;
	return mask;
}

/* Turn the query in @skb (matched by fl_dns_match) into its answer with
 * @rcode, in place: the same ID and question, QR 1, RA as the query's RD,
 * no records (an EDNS OPT record of the query is cut off with everything
 * after the question: the answer is what a server without EDNS sends),
 * addresses, ports and MACs swapped, the IP and UDP checksums computed
 * again. 0, or -1 when the packet could not be rewritten (the caller
 * drops what is left of it).
 */
static __always_inline int fl_dns_forge(struct __sk_buff *skb, const struct fl_pkt *p,
					__u32 rcode)
{
	__u8 msg[FL_UDP_HDR + FL_DNS_BUF + 4], l3[60], mac[12], swapped[12];
	__u32 udp_off, qend = p->dns_qend, ulen, hl, i;
	__u32 ph[10] = {};	/* the pseudo-header: 12 bytes for IPv4, 40 for IPv6 */
	__u32 ph_len;
	__u8 rd, tmp;
	__u16 c;
	__s64 sum;

	if (p->payload_off < FL_UDP_HDR || p->l3_off < 14 || p->l3_off > 64)
		return -1;
	udp_off = p->payload_off - FL_UDP_HDR;
	if (qend <= udp_off + FL_UDP_HDR + FL_DNS_HDR)
		return -1;
	ulen = qend - udp_off;
	if (ulen > FL_UDP_HDR + FL_DNS_BUF)
		return -1;
	if (skb->len > qend && bpf_skb_change_tail(skb, qend, 0))
		return -1;
	if (skb->len != qend)
		return -1;

	if (bpf_skb_load_bytes(skb, 0, mac, sizeof(mac)))
		return -1;
	for (i = 0; i < 6; i++) {
		swapped[i] = mac[i + 6];
		swapped[i + 6] = mac[i];
	}
	if (bpf_skb_store_bytes(skb, 0, swapped, sizeof(swapped), 0))
		return -1;

	/* UDP header and DNS message; the zeros after them pad the sum to
	 * whole words without changing it
	 */
	__builtin_memset(msg, 0, sizeof(msg));
	/* checked above; said again where (and in a form) 6.1's verifier keeps it */
	barrier_var(ulen);
	if (ulen < FL_UDP_HDR + FL_DNS_HDR || ulen > FL_UDP_HDR + FL_DNS_BUF)
		return -1;
	if (bpf_skb_load_bytes(skb, udp_off, msg, ulen))
		return -1;
	for (i = 0; i < 2; i++) {
		tmp = msg[i];
		msg[i] = msg[i + 2];
		msg[i + 2] = tmp;
	}
	msg[4] = ulen >> 8;
	msg[5] = ulen & 0xff;
	msg[6] = 0;
	msg[7] = 0;
	rd = msg[FL_UDP_HDR + 2] & 0x01;
	/* QR; opcode and RD kept; AA and TC clear */
	msg[FL_UDP_HDR + 2] = 0x80 | (msg[FL_UDP_HDR + 2] & 0x79);
	/* RA as the query asked for recursion; Z, AD, CD clear */
	msg[FL_UDP_HDR + 3] = (rd ? 0x80 : 0) | (rcode & 0x0f);
	for (i = 6; i < FL_DNS_HDR; i++)
		msg[FL_UDP_HDR + i] = 0;

	if (p->family == 4) {
		if (bpf_skb_load_bytes(skb, p->l3_off, l3, 20))
			return -1;
		hl = (l3[0] & 0x0f) * 4;
		if (hl < 20 || hl > sizeof(l3))
			return -1;
		if (hl > 20 && bpf_skb_load_bytes(skb, p->l3_off, l3, hl))
			return -1;
		for (i = 0; i < 4; i++) {
			tmp = l3[12 + i];
			l3[12 + i] = l3[16 + i];
			l3[16 + i] = tmp;
		}
		c = bpf_htons(qend - p->l3_off);
		__builtin_memcpy(&l3[2], &c, 2);
		l3[10] = 0;
		l3[11] = 0;
		c = fl_csum_fold(bpf_csum_diff(NULL, 0, (__be32 *)l3, hl, 0));
		__builtin_memcpy(&l3[10], &c, 2);
		__builtin_memcpy(&ph[0], &l3[12], 8);
		ph[2] = bpf_htonl(IPPROTO_UDP << 16 | ulen);
		ph_len = 12;
	} else {
		hl = 40;
		if (bpf_skb_load_bytes(skb, p->l3_off, l3, 40))
			return -1;
		for (i = 0; i < 16; i++) {
			tmp = l3[8 + i];
			l3[8 + i] = l3[24 + i];
			l3[24 + i] = tmp;
		}
		/* extension headers, if any, stay between the two */
		c = bpf_htons(qend - p->l3_off - 40);
		__builtin_memcpy(&l3[4], &c, 2);
		__builtin_memcpy(&ph[0], &l3[8], 32);
		ph[8] = bpf_htonl(ulen);
		ph[9] = bpf_htonl(IPPROTO_UDP);
		ph_len = 40;
	}
	sum = bpf_csum_diff(NULL, 0, ph, ph_len, 0);
	sum = bpf_csum_diff(NULL, 0, (__be32 *)msg, (ulen + 3) & ~3u, (__u32)sum);
	c = fl_csum_fold(sum);
	/* 0 would mean "no checksum" */
	if (!c)
		c = 0xffff;
	__builtin_memcpy(&msg[6], &c, 2);

	if (bpf_skb_store_bytes(skb, p->l3_off, l3, hl, 0))
		return -1;
	if (bpf_skb_store_bytes(skb, udp_off, msg, ulen, 0))
		return -1;
	return 0;
}

#endif /* FL_DNS_H */
