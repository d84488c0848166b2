/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Which failure conditions the kernel judges itself (in-kernel breakers,
 * bpf/breaker.h) and which stay in userspace, and why.
 */
#ifndef FL_BREAKER_PLAN_H
#define FL_BREAKER_PLAN_H

#include <stdbool.h>

#include "conditions.h"
#include "faultline.h"

struct fl_brk_plan {
	bool kernel;		/* judged by a breaker */
	const char *why;	/* kernel: what it counts; userspace: why not */
	struct fl_brk_cfg cfg;	/* kernel only */
	__u64 bucket_ns;	/* kernel only: the window's error bound */
};

/* Plans @n conditions over @n_targets targets into @out[n]: at most
 * FL_MAX_BREAKERS of them run in the kernel, in order. Returns how many.
 */
int fl_brk_plan(const struct fl_condition *conds, int n, int n_targets,
		struct fl_brk_plan *out);

#endif /* FL_BREAKER_PLAN_H */
