/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Structs and constants shared by the BPF programs and the loader.
 * Both sides include this file so that map layouts cannot drift.
 */
#ifndef FAULTLINE_H
#define FAULTLINE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define FL_MAX_TARGETS		16384	/* target cgroups (and owned addresses) */
#define FL_MAX_RULES		16384	/* fault rules, over all targets */
#define FL_RULES_PER_TARGET	8	/* rules evaluated per target, in order */
#define FL_PORTS_PER_RULE	8	/* 0 in every slot: any port */
#define FL_MAX_LEVELS		8	/* distinct cgroup depths of targets */
#define FL_MAX_PEERS		65536	/* peer prefixes, over all targets */
#define FL_MAX_FLOWS		65536	/* LRU flow table */
#define FL_RINGBUF_BYTES	(1 << 20)
#define FL_SNAPSHOT_NS		100000000ULL	/* at most one snapshot per flow per 100 ms */
/* a flow whose packet was just dropped reports it sooner, so that a
 * condition on faults.dropped sees the breach within about 10 ms
 */
#define FL_SNAPSHOT_FAULT_NS	10000000ULL
#define FL_RB_WAKE_NS		250000ULL	/* flow records wake the loader at most this often (bpf/maps.h) */
#define FL_PROB_ONE		(1ULL << 32)	/* drop probability scale: 2^32 = 100 % */
#define FL_BLACKHOLE_IFINDEX	0x7ffffff0	/* tcx "silent drop": redirect to no device */
#define FL_EDT_MARK		0xfa17edf0	/* skb->mark of a delayed clone on its second visit */
/* fl_xdp_in's run priority in libxdp's dispatcher: after the usual ones
 * (libxdp's default is 50, xdp-filter's 10), as faultline's tc filters and
 * tcx links go after what is there
 */
#define FL_XDP_RUN_PRIO		0xfa17
#define FL_RATE_QUEUE_NS	1000000000ULL	/* the most a rate limit queues: 1 s of departures */
#define FL_DIST_SIZE		4096	/* entries per delay distribution table */
#define FL_DIST_SCALE		10000	/* table values are standard deviations x 10000 */
#define FL_HORIZON_NS		(10ULL * 1000000000ULL)	/* never hold a packet longer */
#define FL_MAX_OWNED_NS		256	/* namespaces owned by targets, per run (slot 0 unused) */

enum fl_dir {
	FL_DIR_INGRESS = 0,
	FL_DIR_EGRESS = 1,
	FL_DIR_MAX = 2,
};

/* Rule direction mask. */
#define FL_DIRM_INGRESS	(1u << FL_DIR_INGRESS)
#define FL_DIRM_EGRESS	(1u << FL_DIR_EGRESS)
#define FL_DIRM_BOTH	(FL_DIRM_INGRESS | FL_DIRM_EGRESS)

/* Rule protocol; 0 matches any. Values are IP protocol numbers, except
 * that ICMP matches both ICMP and ICMPv6.
 */
#define FL_PROTO_ANY	0
#define FL_PROTO_ICMP	1
#define FL_PROTO_TCP	6
#define FL_PROTO_UDP	17
#define FL_PROTO_ICMPV6	58

/* Why a packet was dropped; index of fl_stats.drop_reason[]. */
enum fl_drop_reason {
	FL_DROP_FAULT = 0,	/* a drop rule fired */
	FL_DROP_HORIZON = 1,	/* a delay or rate would hold it past FL_HORIZON_NS */
	FL_DROP_CLONE = 2,	/* the delayed copy could not be made */
	FL_DROP_RATE_QUEUE = 3,	/* a rate limit's queue was full (a bottleneck's tail drop) */
	FL_DROP_REJECT = 4,	/* a reject whose answer this hook or packet could not carry */
	FL_DROP_REASON_MAX = 5,
};

/* Delay distributions; the tables live in fl_dist. */
enum fl_dist {
	FL_DIST_UNIFORM = 0,
	FL_DIST_NORMAL = 1,
	FL_DIST_PARETO = 2,
	FL_DIST_PARETONORMAL = 3,
	FL_DIST_MAX = 4,
};

#define FL_RATE_NONE	0
#define FL_RATE_BPS	1	/* rate is bits per second */
#define FL_RATE_PPS	2	/* rate is packets per second */
#define FL_RATE_PER_TARGET	0
#define FL_RATE_PER_FLOW	1

/* What a rule's drop chance is drawn for: each packet, or each connection
 * (its 5-tuple, the same in both directions) once for its life.
 */
#define FL_SCOPE_PACKETS	0
#define FL_SCOPE_CONNECTIONS	1

/* A reject rule's answer: by protocol (a TCP RST for TCP, ICMP port
 * unreachable for the rest), or one of the two for every packet.
 */
#define FL_REJECT_WITH_AUTO		0
#define FL_REJECT_WITH_RST	1
#define FL_REJECT_WITH_ICMP	2

/* Where a burst-loss (Gilbert-Elliott) rule keeps its good/bad state. */
#define FL_LOSS_PER_FLOW	0
#define FL_LOSS_PER_FAULT	1

/* Addresses are kept as 16 bytes; IPv4 is IPv4-mapped (::ffff:a.b.c.d). */
struct fl_addr {
	union {
		__u8 u8[16];
		__u32 u32[4];
	};
};

struct fl_flow_key {
	struct fl_addr local;	/* the target's side */
	struct fl_addr peer;
	__u16 local_port;	/* host order; ICMP: id */
	__u16 peer_port;	/* host order; ICMP: type << 8 | code */
	__u8 proto;
	__u8 dir;		/* enum fl_dir */
	__u8 family;		/* 4 or 6 */
	__u8 pad;
	__u32 target_id;
};

struct fl_flow_val {
	__u64 packets;
	__u64 bytes;
	__u64 drops;
	__u64 first_ns;
	__u64 last_ns;
	__u64 last_emit_ns;
	__u64 cgroup_id;
	__u64 delayed;
	__u64 edt_last_ns;	/* latest departure given: keeps the flow in order */
	__u64 rate_next_ns;	/* per-flow rate: earliest next departure */
	__u64 ended;		/* 1: a FIN or RST ended it; later packets are not reported */
	__u32 loss_bad;		/* burst loss per flow: 1 in the bad state */
	__u32 pad;
};

enum fl_event_kind {
	FL_EV_FLOW_NEW = 1,
	FL_EV_FLOW_SNAPSHOT = 2,
	FL_EV_FLOW_END = 3,
	FL_EV_SIGNAL = 4,	/* one TCP or HTTP event of a target: sig, value */
	FL_EV_BREAKER = 5,	/* a breaker tripped: sig = its condition, value = the
				 * window's total, ts_ns = the crossing, at_ns = armed
				 * flag cleared, key.target_id */
};

/* What an FL_EV_SIGNAL record reports; value is given per kind. */
enum fl_ksig {
	FL_KSIG_RETRANS = 1,		/* a retransmitted segment */
	FL_KSIG_RST_SENT = 2,
	FL_KSIG_RST_RECV = 3,
	FL_KSIG_CONNECT_FAIL = 4,	/* SYN_SENT -> CLOSE */
	FL_KSIG_CONNECT_LAT = 5,		/* SYN_SENT -> ESTABLISHED; value: ns */
	FL_KSIG_RTT = 6,			/* smoothed RTT sample; value: ns */
	FL_KSIG_HTTP = 7,		/* an HTTP/1.x status line; value: status */
};

#define FL_RTT_SAMPLE_NS	100000000ULL	/* at most one RTT record per socket per 100 ms */

/* One ring buffer record. Counters are cumulative for the flow. */
struct fl_event {
	__u32 kind;		/* enum fl_event_kind */
	__u32 end_reason;	/* for END: 1 FIN, 2 RST, 3 idle */
	__u64 ts_ns;		/* bpf_ktime_get_ns() */
	struct fl_flow_key key;
	__u64 cgroup_id;
	__u64 packets;
	__u64 bytes;
	__u64 drops;
	__u64 delayed;
	__u32 sig;		/* FL_EV_SIGNAL: enum fl_ksig */
	__u32 pad;
	__u64 value;		/* FL_EV_SIGNAL: see enum fl_ksig */
	__u64 at_ns;		/* FL_EV_BREAKER: when the faults went off */
};

/* In-kernel breakers: a failure condition on a count the kernel makes
 * (packets, bytes, drops, delays, TCP and HTTP events), judged by the
 * program that counts it. Each (breaker, target) keeps its window as
 * FL_BRK_SLOTS buckets of 2^shift ns; the window is the newest n_slots of
 * them, so it spans between (n_slots - 1) and n_slots bucket widths of
 * history (the loader makes a bucket at most 1/16 of the window).
 */
#define FL_MAX_BREAKERS		8
#define FL_BRK_SLOTS		32
#define FL_BRK_MAX_TARGETS	64	/* targets a breaker judges; FL_SPEC_MAX_TARGETS */

/* What a breaker counts. */
enum fl_brk_ev {
	FL_BRK_PACKETS_IN = 0,
	FL_BRK_PACKETS_OUT,
	FL_BRK_BYTES_IN,
	FL_BRK_BYTES_OUT,
	FL_BRK_DROPPED,
	FL_BRK_DELAYED,
	FL_BRK_RETRANS,
	FL_BRK_RST_SENT,
	FL_BRK_RST_RECV,
	FL_BRK_CONNECT_FAIL,
	FL_BRK_HTTP_5XX,
	FL_BRK_HTTP_TOTAL,
	FL_BRK_EV_MAX,
};

/* on the packet path (fl_decide), as opposed to signal records */
#define FL_BRK_PATH_MASK	((1u << FL_BRK_PACKETS_IN) | (1u << FL_BRK_PACKETS_OUT) | \
				 (1u << FL_BRK_BYTES_IN) | (1u << FL_BRK_BYTES_OUT) | \
				 (1u << FL_BRK_DROPPED) | (1u << FL_BRK_DELAYED))

struct fl_brk_cfg {
	__u64 trip_at;		/* trips when the window's total reaches it */
	__u32 ev;		/* enum fl_brk_ev */
	__u16 cond;		/* the condition's index in the experiment */
	__u8 shift;		/* bucket width: 2^shift ns */
	__u8 n_slots;		/* buckets per window, 2 .. FL_BRK_SLOTS */
};

/* One breaker's window for one target (map fl_brk, index
 * breaker * FL_BRK_MAX_TARGETS + target). One counter only goes up; each
 * bucket keeps what the counter was when the bucket began, so the
 * window's sum is the counter less the oldest live bucket's start: one
 * atomic add per event, and a bucket's bookkeeping once per bucket.
 */
struct fl_brk_state {
	__u64 slot_epoch[FL_BRK_SLOTS];	/* which bucket (now >> shift) a slot holds */
	__u64 slot_start[FL_BRK_SLOTS];	/* count when that bucket began */
	__u64 count;		/* events since the start */
	__u64 last_epoch;	/* newest bucket begun */
	__u64 sum;		/* the window's sum at the newest event */
	__u64 tripped_ns;	/* the crossing event's bpf_ktime_get_ns(); 0: not */
	__u64 disarmed_ns;	/* right after the armed flag was cleared */
	__u64 value;		/* the sum that crossed */
};

#define FL_END_FIN	1
#define FL_END_RST	2
#define FL_END_IDLE	3

/* Value of the targets map (key: cgroup id) and the owned map
 * (key: struct fl_addr of an address in a namespace the target owns).
 */
struct fl_target {
	__u32 target_id;
	__u32 n_rules;
	__u32 rule_ids[FL_RULES_PER_TARGET];
	__u32 peer_rules;	/* bit i: rule_ids[i] restricts peers */
	__u32 ns_slot;		/* owned map: its namespace's fl_nsstate slot; else 0 */
	__u32 dns_rules;	/* bit i: rule_ids[i] is a DNS fault (its names in fl_dns) */
	__u32 dns_pad;
	__u64 dns_labels;	/* bit n: some name of a DNS fault has n labels (exact, or
				 * a wildcard's suffix): only those suffixes are looked up */
};

/* A namespace that a target owned when the run started. Ownership is
 * what lets ingress hooks decide by destination address; it ends, in the
 * kernel, at the first socket that a process outside the targets creates
 * there, and from then on that namespace's packets are decided at the
 * target's sockets instead.
 */
struct fl_ns_state {
	__u64 shared_ns;	/* 0: still owned; else when it ended (CLOCK_MONOTONIC) */
	__u64 cgroup_id;	/* the cgroup of the process that created the socket */
	__u32 pid;		/* that process (tgid) */
	__u32 by_scan;		/* 1: found by the loader's scan right after attaching */
};

struct fl_rule {
	__u32 dir_mask;		/* FL_DIRM_* */
	__u8 proto;		/* FL_PROTO_* */
	__u8 n_ports;
	__u16 ports[FL_PORTS_PER_RULE];	/* peer or local port, host order */
	__u64 drop_prob;	/* 0 .. FL_PROB_ONE */
	__u64 delay_ns;		/* added latency; 0: none */
	__u64 jitter_ns;	/* spread: half-width (uniform) or standard deviation */
	__u8 dist;		/* enum fl_dist */
	__u8 correlation;	/* 0..100, % of the previous random value kept */
	__u8 reorder;		/* 1: jitter may reorder a flow, as netem does */
	__u8 rate_unit;		/* FL_RATE_* */
	__u8 rate_per;		/* FL_RATE_PER_* */
	__u8 scope;		/* FL_SCOPE_*: each fault's chance per packet or per connection */
	__u8 loss;		/* 1: burst loss (Gilbert-Elliott) with the ge_* below */
	__u8 loss_per;		/* FL_LOSS_PER_*: where the loss state lives */
	__u64 rate;		/* in rate_unit */
	/* burst loss, each 0 .. FL_PROB_ONE: the chance of going from the
	 * good state to the bad one, back, and of losing a packet in each
	 */
	__u64 ge_p;
	__u64 ge_r;
	__u64 ge_loss_good;
	__u64 ge_loss_bad;
	__u32 conn_seed;	/* scope connections: mixed into the tuple's hash */
	__u32 pad;
	__u64 dup_prob;		/* 0 .. FL_PROB_ONE: chance of sending a packet twice */
	__u64 edt_skip;		/* 0 .. FL_PROB_ONE: chance delay and rate pass a packet by (0: none) */
	__u64 reject_prob;	/* 0 .. FL_PROB_ONE: chance of answering the sender instead */
	__u32 reject_with;	/* FL_REJECT_WITH_*: the answer a reject forges */
	__u32 pad2;
	__u32 dns_rcode;	/* DNS fault: answer a matching query with this RCODE; 0: none */
	__u32 dns_pad;
	__u64 corrupt_prob;	/* 0 .. FL_PROB_ONE: chance of flipping a payload bit */
	__u32 corrupt_fix;	/* 1: corrupt keeps the L4 checksum valid (corrupt data delivered) */
	__u32 corrupt_pad;
};

/* Per-rule state shared by all CPUs (delay correlation, per-target rate). */
struct fl_rule_state {
	__u64 rate_next_ns;
	__u32 last_rand;
	__u32 loss_bad;		/* burst loss per fault: 1 in the bad state */
};

/* LPM key for peer prefixes: the target id is part of the prefix, so one
 * lookup answers for one target. prefixlen counts 32 + address bits.
 */
struct fl_peer_key {
	__u32 prefixlen;
	__u32 target_id;	/* big endian, so it sorts as a prefix */
	__u8 addr[16];
};

/* Value: bit i set when rule_ids[i] of the target lists a covering prefix. */
struct fl_peer_val {
	__u32 rule_mask;
};

/* Per-CPU counters, indexed by rule_id * FL_DIR_MAX + dir. */
struct fl_rule_stats {
	__u64 seen;		/* target packets evaluated by this rule */
	__u64 matched;
	__u64 dropped;
	__u64 bytes;		/* bytes matched */
	__u64 delayed;		/* given a later departure time (delay or rate) */
	__u64 duplicated;	/* sent twice (a copy made) */
	__u64 rejected;		/* answered with a forged TCP RST or ICMP error */
	__u64 dns;		/* DNS queries whose name matched (then dropped, delayed or answered) */
	__u64 corrupted;	/* one bit of the L4 payload flipped */
};

/* Per-CPU global counters, one slot per direction. */
struct fl_stats {
	__u64 target_packets;
	__u64 target_bytes;
	__u64 passed_disarmed;	/* target packets passed because the deadline is past */
	__u64 ringbuf_fail;	/* failed bpf_ringbuf_reserve() */
	__u64 parse_skipped;	/* truncated or non-IP: passed untouched */
	__u64 delayed;		/* target packets given a later departure time */
	__u64 edt_clones;	/* delayed copies seen again on their second visit */
	__u64 drop_reason[FL_DROP_REASON_MAX];
};

/* Runtime control, in .bss: userspace writes it through the mmap'ed
 * skeleton, so disarming is one store, not a map update syscall.
 */
/* A bitmap in front of the target lookups: a packet whose cgroup id or
 * destination address has no bit set is no target's, and costs no hash
 * lookup. Both sides compute the bit with these functions. 2^20 bits
 * (128 KiB): 10,000 targets that own 10,000 addresses set about 2 % of
 * them, so about 2 % of non-target packets pay for a lookup that misses
 * (with 2^16 bits it was about 27 %, enough to show at 10,000 targets).
 */
#define FL_FILTER_ORDER	20
#define FL_FILTER_BITS	(1u << FL_FILTER_ORDER)
#define FL_FILTER_WORDS	(FL_FILTER_BITS / 64)

static inline __u32 fl_filter_bit(__u64 key)
{
	/* Fibonacci hashing: the top FL_FILTER_ORDER bits of the product */
	return (__u32)((key * 0x9E3779B97F4A7C15ULL) >> (64 - FL_FILTER_ORDER));
}

static inline __u32 fl_filter_bit_addr(const struct fl_addr *a)
{
	return fl_filter_bit(((__u64)(a->u32[0] ^ a->u32[2]) << 32) | (a->u32[1] ^ a->u32[3]));
}

/* DNS faults (bpf/dns.h). A name is kept as a 64-bit hash of its wire
 * format (length-prefixed labels, lower case, the root's 0 included), at
 * most FL_DNS_NAME_MAX bytes; both sides hash with these functions. The
 * bytes go in from the name's last one to its first, so that the datapath
 * has every suffix's hash on one pass from the end of a query's name.
 */
#define FL_DNS_PORT		53
#define FL_DNS_NAME_MAX		128	/* wire bytes: 126 characters of text at most */
#define FL_DNS_MAX_NAMES	16384	/* names over all targets */
#define FL_DNS_RCODE_SERVFAIL	2
#define FL_DNS_RCODE_NXDOMAIN	3

struct fl_dns_key {
	__u64 hash;		/* fl_dns_hash_end() of the name, or a wildcard's suffix */
	__u32 target_id;
	__u32 pad;
};

struct fl_dns_val {
	__u32 exact_mask;	/* bit i: rule_ids[i] lists the name itself */
	__u32 wild_mask;	/* bit i: rule_ids[i] lists *.name (one label or more before it) */
};

static inline __u64 fl_dns_mix(__u64 h, __u64 w)
{
	h ^= w;
	h *= 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

/* After the last byte (taken in reverse): @w holds the bytes since the last
 * full word, @n counts every byte.
 */
static inline __u64 fl_dns_hash_end(__u64 h, __u64 w, __u32 n)
{
	h = fl_dns_mix(fl_dns_mix(h, w), n);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

#define FL_DNS_HASH_SEED	0x6c3a1e5d2b9f4807ULL

/* A bitmap in front of fl_dns: a suffix whose bit is clear is in no
 * target's list, and costs no lookup.
 */
#define FL_DNS_FILTER_ORDER	12
#define FL_DNS_FILTER_WORDS	((1u << FL_DNS_FILTER_ORDER) / 64)
/* fl_dns_filter's three parts: every fl_dns key, last labels, last two */
#define FL_DNS_FILTER_KEYS	0
#define FL_DNS_FILTER_LAST	1
#define FL_DNS_FILTER_LAST2	2

static inline __u32 fl_dns_filter_bit(__u64 hash, __u32 target_id)
{
	return (__u32)(fl_dns_mix(hash, target_id) >> (64 - FL_DNS_FILTER_ORDER));
}

/* A second bitmap, after the first, by a name's last label: @w is the
 * label's first 8 wire bytes, its length byte lowest, in lower case, the
 * bytes after the label (when it has fewer than 7 characters) cleared.
 */
static inline __u64 fl_dns_label_key(__u64 w)
{
	__u32 len = w & 0xff;

	if (len < 7)
		w &= (1ULL << (8 * (len + 1))) - 1;
	return w;
}

static inline __u32 fl_dns_last_label_bit(__u64 w, __u32 target_id)
{
	return fl_dns_filter_bit(fl_dns_mix(FL_DNS_HASH_SEED, fl_dns_label_key(w)), target_id);
}

/* A third bitmap, by the last two labels (@prev before @last, each as
 * fl_dns_last_label_bit takes it), of the names with two labels or more:
 * used for a target none of whose names (or suffixes) has one label only.
 */
static inline __u32 fl_dns_last2_bit(__u64 prev, __u64 last, __u32 target_id)
{
	return fl_dns_filter_bit(fl_dns_mix(fl_dns_mix(FL_DNS_HASH_SEED, fl_dns_label_key(last)),
					    fl_dns_label_key(prev)), target_id);
}

struct fl_control {
	__u32 armed;		/* 0: every program passes everything */
	__u32 n_levels;
	__u32 observe;		/* 1: report TCP and HTTP signal events too */
	__u32 owner_in;		/* 1: owner hooks decide ingress while ownership holds */
	__u64 deadline_ns;	/* CLOCK_MONOTONIC; past it, everything passes */
	__u32 n_shared;		/* owned namespaces that became shared */
	__u32 n_brk;		/* breakers in brk[] */
	__u32 brk_mask;		/* bit per enum fl_brk_ev some breaker counts */
	__u32 pad;
	struct fl_brk_cfg brk[FL_MAX_BREAKERS];
	__u32 levels[FL_MAX_LEVELS];	/* cgroup depths of targets, deepest first */
	__u64 filter[FL_FILTER_WORDS];	/* see fl_filter_bit() */
};

#endif /* FAULTLINE_H */
