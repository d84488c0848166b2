/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Root qdisc management for delay and rate: install fq (or mq with fq
 * children), remember what was there, and put it back.
 */
#ifndef FL_QDISC_H
#define FL_QDISC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define FL_QDISC_KIND_LEN	16
#define FL_QDISC_OPTS_MAX	1024
#define FL_MQ_HANDLE		0xfa170000u	/* fa17: */

struct fl_qdisc_saved {
	int ifindex;
	char kind[FL_QDISC_KIND_LEN];
	__u32 handle;
	bool is_default;	/* attached by the kernel (handle 0): delete to restore */
	size_t opts_len;
	unsigned char opts[FL_QDISC_OPTS_MAX];	/* TCA_OPTIONS as the kernel reported it */
	bool installed;		/* faultline's fq is in place */
};

struct fl_fq_params {
	__u32 limit;		/* packets, whole qdisc */
	__u32 flow_limit;	/* packets per flow */
	__u32 horizon_us;
};

/* Size fq for @pps packets per second held for @max_delay_ns. */
void fl_fq_size(struct fl_fq_params *p, __u64 pps, __u64 max_delay_ns);

/* Read the root qdisc of @ifindex in the current network namespace. */
int fl_qdisc_get_root(int ifindex, struct fl_qdisc_saved *out);
/* Is @kind one that faultline may replace without --force? */
bool fl_qdisc_replaceable(const char *kind);
/* Record the root qdisc in @saved and install fq (mq + fq on multi-queue
 * devices). Refuses a root it cannot safely replace unless @force.
 */
int fl_qdisc_install_fq(int ifindex, const char *ifname, const struct fl_fq_params *p, bool force,
			struct fl_qdisc_saved *saved, char *err, size_t errlen);
/* Packets the fq qdiscs of @ifindex dropped (current namespace). */
int fl_qdisc_fq_drops(int ifindex, __u64 *drops);
/* Put back what @saved recorded. Idempotent. */
int fl_qdisc_restore(struct fl_qdisc_saved *saved);
/* How many filters, anyone's, the clsact qdisc of @ifindex holds on
 * ingress and egress (current namespace): one that created it takes it
 * off only when none is left.
 */
int fl_qdisc_clsact_filters(int ifindex, int *n);

#endif /* FL_QDISC_H */
