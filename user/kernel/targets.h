/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Target cgroups: validation, ids, depth, and the processes inside. */
#ifndef FL_TARGETS_H
#define FL_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec.h"

/* Fill @t from t->path. On error, @err holds a one-line reason. */
int fl_target_resolve(struct fl_target_spec *t, char *err, size_t errlen);

/* Call @fn for every process in the target's cgroup and its descendants. */
int fl_target_for_each_pid(const struct fl_target_spec *t,
			   int (*fn)(pid_t pid, void *ctx), void *ctx);

/* Is @a the same cgroup as @b, or an ancestor of it (both resolved)? Ids
 * first: two paths may name one directory.
 */
bool fl_target_covers(const struct fl_target_spec *a, const struct fl_target_spec *b);

/* Is @pid's cgroup v2 path one of the targets or below one? */
int fl_pid_in_targets(pid_t pid, const struct fl_spec *spec);

/* The cgroup v2 directory @pid is in now: the "0::" line of
 * /proc/PID/cgroup joined to the cgroup2 mount. 0; -ESRCH (no such
 * process), -ENOENT (no cgroup v2 line), -EINVAL (the root cgroup: that
 * would target every process) with the reason in @err.
 */
int fl_pid_cgroup(pid_t pid, char *out, size_t len, char *err, size_t errlen);

/* Mount point of cgroup v2, e.g. /sys/fs/cgroup/unified. */
int fl_cgroup2_mount(char *buf, size_t len);

#endif /* FL_TARGETS_H */
