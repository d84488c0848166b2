/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The capabilities faultline needs, checked at startup so that a process
 * started with too few (a container, a systemd unit) says which one is
 * missing and what it is for, instead of failing later at the first
 * bpf(2) or setns(2) with EPERM.
 */
#ifndef FL_CAPS_H
#define FL_CAPS_H

#include <stdbool.h>
#include <stddef.h>

/* What to do about a missing one, for the message after fl_caps_check's. */
#define FL_CAPS_HINT \
	"run it as root, or grant them to this uid: capsh or setpriv --ambient-caps, " \
	"systemd's AmbientCapabilities=, or setcap cap_bpf,cap_net_admin,cap_perfmon,cap_sys_admin+ep on the binary"

/* 0 when every required capability is in the effective set; otherwise
 * -EPERM, with @err listing each missing one and what it is for
 * ("CAP_BPF (to load BPF programs, ...); ..."). A missing optional one
 * (CAP_SYS_PTRACE) is not an error: it is listed in @warn the same way
 * (empty when none), for the caller to log.
 */
int fl_caps_check(char *err, size_t errlen, char *warn, size_t warnlen);

/* After setup: keep only the required capabilities (and the optional one
 * with @keep_optional, for work still to come: the agent resolves every
 * new experiment's pids), in the effective and permitted sets of the
 * calling thread (capabilities are per thread: threads started later
 * inherit them), and drop every other from the permitted, inheritable and
 * ambient sets, and all but the required ones from the bounding set (when
 * CAP_SETPCAP allows), so nothing can be regained. 0, or a negative errno
 * with the reason in @err.
 */
int fl_caps_drop_others(bool keep_optional, char *err, size_t errlen);

/* Is capability @cap (CAP_*) in this process's effective set? */
bool fl_caps_effective(int cap);

#endif /* FL_CAPS_H */
