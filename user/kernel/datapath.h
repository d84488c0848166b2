/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The loaded BPF object: which entry points, the maps, the control block. */
#ifndef FL_DATAPATH_H
#define FL_DATAPATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "faultline.h"
#include "spec.h"

struct faultline_bpf;
struct bpf_link;
struct bpf_object;



enum fl_prog {
	FL_PROG_XDP_IN,
	FL_PROG_TC_IN,
	FL_PROG_TCX_EG,
	FL_PROG_CLS_EG,
	FL_PROG_CG_IN,
	FL_PROG_TCX_PIN,
	FL_PROG_CLS_PIN,
	FL_PROG_TP_RETX,
	FL_PROG_TP_RST_TX,
	FL_PROG_TP_RST_RX,
	FL_PROG_TP_STATE,
	FL_PROG_TP_RTT,
	FL_PROG_SOCK_WATCH,
	FL_PROG_MAX,
};

struct fl_datapath {
	struct faultline_bpf *skel;
	volatile struct fl_control *ctl;	/* the mmap'ed .bss */
	int n_levels;
	unsigned int dist_loaded;	/* bit per enum fl_dist */
	struct bpf_link *tp_links[FL_PROG_MAX];
	int n_tp_links;
};

/* The tracepoint programs, attached for experiments (observe). */
#define FL_PROGS_OBSERVE	((1u << FL_PROG_TP_RETX) | (1u << FL_PROG_TP_RST_TX) | \
				 (1u << FL_PROG_TP_RST_RX) | (1u << FL_PROG_TP_STATE) | \
				 (1u << FL_PROG_TP_RTT))

/* Open and load; only the programs set in @want_mask (1 << enum fl_prog). */
int fl_dp_open(struct fl_datapath *dp, unsigned int want_mask);
/* The same with every map taken from the pins fl_dp_pin_maps made under
 * @dir (NULL: new maps): a restarted agent takes back a running
 * experiment's state, and the programs loaded share it.
 */
int fl_dp_open_pinned(struct fl_datapath *dp, const char *dir, unsigned int want_mask);
/* Pin every map under @dir as map_NAME, mode 0600. */
int fl_dp_pin_maps(const struct fl_datapath *dp, const char *dir);
void fl_dp_close(struct fl_datapath *dp);
int fl_dp_prog_fd(const struct fl_datapath *dp, enum fl_prog prog);
/* fl_xdp_in loaded once more, in an object of its own that shares every
 * map of @dp, as an extension (freplace) of function @func of program
 * @target_fd: a component for libxdp's dispatcher (xdpmp.c). 0 with
 * *@obj (bpf_object__close it) and its program's *@prog_fd.
 */
int fl_dp_load_xdp_ext(const struct fl_datapath *dp, int target_fd, const char *func,
		       struct bpf_object **obj, int *prog_fd);
int fl_dp_events_fd(const struct fl_datapath *dp);
/* Attach the loaded tracepoint programs (FL_PROGS_OBSERVE); links die with
 * the process.
 */
int fl_dp_attach_observe(struct fl_datapath *dp);
void fl_dp_detach_observe(struct fl_datapath *dp);
int fl_dp_flows_fd(const struct fl_datapath *dp);
/* Rule i of target t has id t * FL_RULES_PER_TARGET + i. */
static inline __u32 fl_rule_id(__u32 target_id, int i)
{
	return target_id * FL_RULES_PER_TARGET + i;
}

/* The rule the datapath runs for fault @f (exported for the BPF tests,
 * which run the same conversion); 0 or a negative errno.
 */
int fl_dp_rule_from_fault(const struct fl_fault *f, struct fl_rule *rule);

/* Put the names of DNS fault @f, rule i of target @target_id, in the
 * fl_dns map @map_fd and their bits, and their last labels' bits, in @filter
 * (the .bss fl_dns_filter; exported for the BPF tests); 0 or a negative errno.
 */
int fl_dp_add_dns_names(int map_fd, volatile __u64 *filter, __u32 target_id, int i,
			const struct fl_fault *f);

/* Install target @target_id with @n rules, evaluated in order. */
int fl_dp_add_target(struct fl_datapath *dp, const struct fl_target_spec *t, __u32 target_id,
		     const struct fl_fault *rules, int n);
/* Let packets to @addr count as target @target_id's while the namespace in
 * @ns_slot stays owned (fl_dp_add_owned_ns).
 */
int fl_dp_add_owned(struct fl_datapath *dp, const struct fl_addr *addr, __u32 target_id,
		    __u32 ns_slot, const struct fl_fault *rules, int n);
/* Watch the namespace with @netns_cookie as @ns_slot (1 .. FL_MAX_OWNED_NS - 1). */
int fl_dp_add_owned_ns(struct fl_datapath *dp, __u32 ns_slot, __u64 netns_cookie);
/* End ownership of @ns_slot from userspace: @pid was found there by a scan. */
int fl_dp_mark_shared(struct fl_datapath *dp, __u32 ns_slot, pid_t pid, __u64 now_ns);
int fl_dp_read_ns(const struct fl_datapath *dp, __u32 ns_slot, struct fl_ns_state *out);
/* Breaker @b's window for target @target. */
int fl_dp_read_breaker(const struct fl_datapath *dp, __u32 b, __u32 target,
		       struct fl_brk_state *out);
/* Take target @t's cgroup entry out (its rules and counters stay), and
 * every address that counts as target @target_id's. 0 or -errno.
 */
int fl_dp_remove_target(struct fl_datapath *dp, const struct fl_target_spec *t);
int fl_dp_remove_owned(struct fl_datapath *dp, __u32 target_id);
/* Arm until CLOCK_MONOTONIC @deadline_ns; disarm is a single store. */
void fl_dp_arm(struct fl_datapath *dp, __u64 deadline_ns);
void fl_dp_disarm(struct fl_datapath *dp);

struct fl_dir_totals {
	__u64 seen, matched, dropped, bytes, delayed, duplicated, rejected, dns, corrupted;
};

struct fl_dp_counters {
	struct fl_dir_totals dir[FL_DIR_MAX];
	struct fl_stats stats[FL_DIR_MAX];	/* summed over CPUs */
};

/* Over @n_targets targets with @n_rules rules each. */
int fl_dp_read_counters(const struct fl_datapath *dp, int n_targets, int n_rules,
			struct fl_dp_counters *c);
int fl_dp_read_rule(const struct fl_datapath *dp, __u32 rule_id, struct fl_dir_totals out[FL_DIR_MAX]);
/* A target's rules added up. */
int fl_dp_read_target(const struct fl_datapath *dp, __u32 target_id, int n_rules,
		      struct fl_dir_totals out[FL_DIR_MAX]);

#endif /* FL_DATAPATH_H */
