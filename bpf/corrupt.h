/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Corrupt: flip one random bit of a TCP or UDP payload at tc egress, and
 * leave the L4 checksum wrong (the receiver that checks it drops the
 * packet) or keep it valid (the receiver gets the corrupted data).
 *
 * What "the checksum" is depends on the skb's ip_summed, which a tc
 * program cannot read on every kernel we support; both helper calls below
 * do the right thing in every state without knowing it:
 *   CHECKSUM_NONE      the field holds the full checksum;
 *   CHECKSUM_PARTIAL   (a local socket's packet on a device with checksum
 *                      offload: veth by default) the field holds only the
 *                      pseudo-header sum, and whatever completes it later
 *                      (the stack in software when the device cannot, or
 *                      the NIC) sums the payload as it is then;
 *   CHECKSUM_COMPLETE  skb->csum holds the sum of the packet's bytes.
 * Keeping it valid: bpf_l4_csum_replace() with the byte's old and new
 * values updates a full checksum, and does nothing to a partial one (the
 * completion will sum the new byte). Since the byte is stored without
 * touching skb->csum and the field moves by the opposite amount, the
 * packet's total sum and a complete skb->csum stay right.
 * Leaving it wrong: the same call the other way round, as a change of the
 * pseudo header (BPF_F_PSEUDO_HDR): a partial seed then cancels the
 * flipped bit, so the completed checksum is the original payload's (wrong
 * for the packet that leaves); a full checksum moves away from the right
 * one by twice the bit's weight. Neither difference can be 0 in ones'
 * complement arithmetic (a single bit weighs 2^k, k < 16).
 *
 * What the kernel does with a partial packet it never completes: a veth
 * hands it to the peer as CHECKSUM_PARTIAL, and the receiver takes that as
 * verified (skb_csum_unnecessary()), so on a veth with checksum offload
 * the corrupted payload reaches the application even with a wrong seed.
 * README ("Corrupt") has what a receiver sees in each case.
 */
#ifndef FL_CORRUPT_H
#define FL_CORRUPT_H

#include "parse.h"

#define FL_TCP_CSUM_OFF	16
#define FL_UDP_CSUM_OFF	6

/* Flip one bit, chosen uniformly among the payload's, of the parsed TCP
 * or UDP packet @p in @skb; fix the checksum or not. 0, or -1 when the
 * packet was left as it was (no payload, or a helper failed).
 */
static __always_inline int fl_corrupt_skb(struct __sk_buff *skb, const struct fl_pkt *p,
					  int fix)
{
	__u32 len = skb->len, pay = p->payload_off, bit, off, csum_off;
	__u64 flags = sizeof(__u16), from, to;
	__u8 old, new;

	if (!p->l4_ok || pay >= len || pay < p->l4_off)
		return -1;
	bit = bpf_get_prandom_u32() % ((len - pay) * 8);
	off = pay + bit / 8;
	if (bpf_skb_load_bytes(skb, off, &old, 1))
		return -1;
	new = old ^ (1u << (bit & 7));
	/* writing makes the skb's data its own first: a TCP segment's clone
	 * shares its data with the retransmit queue, which stays intact
	 */
	if (bpf_skb_store_bytes(skb, off, &new, 1, 0))
		return -1;
	/* the checksum sums 16-bit words from the L4 header on: the byte is
	 * the high half of its word at an even distance from it
	 */
	if ((off - p->l4_off) & 1) {
		from = bpf_htons(old);
		to = bpf_htons(new);
	} else {
		from = bpf_htons((__u16)old << 8);
		to = bpf_htons((__u16)new << 8);
	}
	if (p->proto == IPPROTO_TCP) {
		csum_off = p->l4_off + FL_TCP_CSUM_OFF;
	} else {
		csum_off = p->l4_off + FL_UDP_CSUM_OFF;
		/* an IPv4 datagram sent without a checksum (0) keeps none */
		flags |= BPF_F_MARK_MANGLED_0;
	}
	if (fix)
		return bpf_l4_csum_replace(skb, csum_off, from, to, flags) ? -1 : 0;
	return bpf_l4_csum_replace(skb, csum_off, to, from, flags | BPF_F_PSEUDO_HDR) ? -1 : 0;
}

#endif /* FL_CORRUPT_H */
