// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Someone else's tc program, for tests/selftests/neighbours.sh: it counts
 * every packet it sees (nb_counts[0]) and drops IPv4 UDP to port
 * FL_NB_PORT (counted in nb_counts[1]), so that whether it still runs,
 * and in which order, shows in its counters and in that port's traffic.
 * -1 is TC_ACT_UNSPEC on clsact and TCX_NEXT on tcx: the next program
 * decides; 2 is TC_ACT_SHOT and TCX_DROP. Its name is not faultline's
 * (fl_), so faultline must never take it for its own.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef FL_NB_PORT
#error "build with -DFL_NB_PORT=N"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} nb_counts SEC(".maps");

static void nb_count(__u32 k)
{
	__u64 *c = bpf_map_lookup_elem(&nb_counts, &k);

	if (c)
		__sync_fetch_and_add(c, 1);
}

SEC("tc")
int nb_tc(struct __sk_buff *skb)
{
	void *data, *end;
	struct ethhdr *eth;
	struct udphdr *udp;
	struct iphdr *ip;

	nb_count(0);
	bpf_skb_pull_data(skb, sizeof(*eth) + sizeof(*ip) + sizeof(*udp));
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	eth = data;
	ip = (void *)(eth + 1);
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5 ||
	    ip->protocol != 17 || udp->dest != bpf_htons(FL_NB_PORT))
		return -1;
	nb_count(1);
	return 2;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
