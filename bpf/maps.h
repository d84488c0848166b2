/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every map and the control block, defined once for all programs. */
#ifndef FL_MAPS_H
#define FL_MAPS_H

#include "faultline.h"

/* cgroup id -> target; looked up at each configured cgroup depth */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_MAX_TARGETS);
	__type(key, __u64);
	__type(value, struct fl_target);
} fl_targets SEC(".maps");

/* local address of a namespace that one target owns -> target */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_MAX_TARGETS);
	__type(key, struct fl_addr);
	__type(value, struct fl_target);
} fl_owned SEC(".maps");

/* netns cookie of a namespace a target owns -> its fl_nsstate slot */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_MAX_OWNED_NS);
	__type(key, __u64);
	__type(value, __u32);
} fl_ns_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_MAX_OWNED_NS);
	__type(key, __u32);
	__type(value, struct fl_ns_state);
} fl_nsstate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fl_rule);
} fl_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, FL_MAX_PEERS);
	__type(key, struct fl_peer_key);
	__type(value, struct fl_peer_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} fl_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_MAX_RULES * FL_DIR_MAX);
	__type(key, __u32);
	__type(value, struct fl_rule_stats);
} fl_rule_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FL_DIR_MAX);
	__type(key, __u32);
	__type(value, struct fl_stats);
} fl_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FL_MAX_FLOWS);
	__type(key, struct fl_flow_key);
	__type(value, struct fl_flow_val);
} fl_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FL_RINGBUF_BYTES);
} fl_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_MAX_RULES);
	__type(key, __u32);
	__type(value, struct fl_rule_state);
} fl_rule_state SEC(".maps");

/* Quantile tables of the delay distributions, FL_DIST_SIZE per kind, in
 * standard deviations x FL_DIST_SCALE; computed by the loader.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_DIST_MAX * FL_DIST_SIZE);
	__type(key, __u32);
	__type(value, __s32);
} fl_dist SEC(".maps");

/* A delayed packet's departure time and original mark, for its clone's
 * second visit, which is nested in bpf_clone_redirect() on the same CPU.
 * The time cannot travel on the clone: the redirect clears skb->tstamp.
 */
struct fl_edt_pending {
	__u64 tstamp;
	__u32 mark;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_edt_pending);
} fl_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FL_MAX_BREAKERS * FL_BRK_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct fl_brk_state);
} fl_brk SEC(".maps");

/* DNS fault names (bpf/dns.h): a name's or a wildcard suffix's hash, per
 * target -> the target's rules that list it
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FL_DNS_MAX_NAMES);
	__type(key, struct fl_dns_key);
	__type(value, struct fl_dns_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} fl_dns SEC(".maps");

/* A DNS query's name as fl_dns_match reads it (bpf/dns.h): a buffer
 * masked offsets stay inside, and the walks' results.
 */
#define FL_DNS_SCRATCH_BUF	256
struct fl_dns_scratch {
	__u8 buf[FL_DNS_SCRATCH_BUF + 8];	/* UDP and DNS headers, name, QTYPE, QCLASS; a word read at any masked offset fits */
	__u8 starts[64];		/* where each label starts, from the name's start */
	__u64 h[2 * FL_DNS_NAME_MAX / 8];	/* h[k]: the hash after the name's last k words */
	__u32 nl;			/* labels */
	__u32 name_len;			/* bytes, the root's 0 included */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fl_dns_scratch);
} fl_dns_scratch SEC(".maps");

/* Set by the loader for every key of fl_dns (fl_dns_filter_bit), in
 * the second third for its last label (fl_dns_last_label_bit), in the
 * last for its last two (fl_dns_last2_bit).
 */
__u64 fl_dns_filter[3 * FL_DNS_FILTER_WORDS] = {};

static __always_inline bool fl_dns_filter_has(__u32 part, __u32 bit)
{
	return fl_dns_filter[part * FL_DNS_FILTER_WORDS + ((bit >> 6) & (FL_DNS_FILTER_WORDS - 1))] &
	       (1ULL << (bit & 63));
}

/* Written by the loader through the mmap'ed .bss: disarming is one store. */
struct fl_control fl_ctl = {};

/* Ring-buffer wakeups. A wakeup is an irq_work, which raises a self-IPI on
 * the sending CPU; in a VM that is an APIC write the hypervisor traps, and
 * the default (wake whenever the loader has caught up) made nearly every
 * flow snapshot one: at 1000 dropped flows 40 % of the sending CPU was that
 * write (perf, 6.18) and the drop rate fell 4x. So flow records wake the
 * loader at most once per FL_RB_WAKE_NS; the others wait for the next
 * record after that, or for the loader's own short poll while records come
 * (user/engine/engine.c), and no record waits longer than about 1 ms.
 * Records a condition trips on at once (signals, breaker trips) always
 * wake, forcing it if flow records are left unannounced.
 */
__u64 fl_rb_woken_ns = 0;
__u32 fl_rb_unwoken = 0;

static __always_inline __u64 fl_rb_flow_flags(__u64 now)
{
	__u64 flags;

	if (now - fl_rb_woken_ns < FL_RB_WAKE_NS) {
		if (!fl_rb_unwoken)
			fl_rb_unwoken = 1;
		return BPF_RB_NO_WAKEUP;
	}
	flags = fl_rb_unwoken ? BPF_RB_FORCE_WAKEUP : 0;
	fl_rb_unwoken = 0;
	fl_rb_woken_ns = now;
	return flags;
}

static __always_inline __u64 fl_rb_urgent_flags(void)
{
	if (!fl_rb_unwoken)
		return 0;
	fl_rb_unwoken = 0;
	return BPF_RB_FORCE_WAKEUP;
}

#endif /* FL_MAPS_H */
