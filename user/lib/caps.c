// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Capabilities (caps.h): the startup check and the drop
 * of everything else after setup, with libcap. The table mirrors
 * deploy/daemonset.yaml and deploy/faultline.service;
 * tests/selftests/agent_caps.sh runs the agent with exactly the YAML's
 * list, and with one of them removed; tests/selftests/caps.sh runs inject
 * and run with exactly the four and checks what is left after setup.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "common.h"

/* older uapi headers lack the two split out of CAP_SYS_ADMIN in 5.8 */
#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#ifndef CAP_BPF
#define CAP_BPF		39
#endif

static const struct {
	int cap;
	const char *name;
	bool required;
	const char *why;
} fl_caps[] = {
	{ CAP_BPF, "CAP_BPF", true, "to load BPF programs, create maps and links" },
	{ CAP_NET_ADMIN, "CAP_NET_ADMIN", true,
	  "to attach tc/tcx and XDP programs and cgroup skb hooks, install and restore qdiscs" },
	{ CAP_PERFMON, "CAP_PERFMON", true,
	  "to load tracepoint programs for the tcp.* signals, and for the verifier's packet access rules" },
	{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN", true,
	  "to setns(2) into the targets' network namespaces, and to find programs and links by id" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE", false,
	  "to read /proc/PID/ns of the targets' processes that run as another user or hold capabilities faultline lacks; without it, name the namespace with --netns" },
};

/* appends "; NAME: WHY" (no "; " first) to @buf */
static void fl_append(char *buf, size_t len, const char *name, const char *why)
{
	size_t used;

	if (!buf || !len)
		return;
	used = strlen(buf);
	if (used < len)
		snprintf(buf + used, len - used, "%s%s (%s)", used ? "; " : "", name, why);
}

int fl_caps_check(char *err, size_t errlen, char *warn, size_t warnlen)
{
	bool missing = false;
	cap_flag_value_t v;
	cap_t cur;
	size_t i;

	if (err && errlen)
		err[0] = '\0';
	if (warn && warnlen)
		warn[0] = '\0';
	cur = cap_get_proc();
	if (!cur) {
		fl_set_err(err, errlen, "reading this process's capabilities failed: %s",
			   strerror(errno));
		return -errno;
	}
	for (i = 0; i < ARRAY_SIZE(fl_caps); i++) {
		if (!cap_get_flag(cur, fl_caps[i].cap, CAP_EFFECTIVE, &v) && v == CAP_SET)
			continue;
		if (fl_caps[i].required) {
			fl_append(err, errlen, fl_caps[i].name, fl_caps[i].why);
			missing = true;
		} else {
			fl_append(warn, warnlen, fl_caps[i].name, fl_caps[i].why);
		}
	}
	cap_free(cur);
	return missing ? -EPERM : 0;
}

/* Is @c one to keep: a required one, or the optional one when asked? */
static bool fl_caps_keep(cap_value_t c, bool keep_optional)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fl_caps); i++)
		if (fl_caps[i].cap == c)
			return fl_caps[i].required || keep_optional;
	return false;
}

int fl_caps_drop_others(bool keep_optional, char *err, size_t errlen)
{
	cap_value_t keep[ARRAY_SIZE(fl_caps)];
	cap_t cur = NULL, want = NULL;
	cap_flag_value_t v;
	int n = 0, ret = 0;
	cap_value_t c;
	size_t i;

	cur = cap_get_proc();
	want = cap_init();
	if (!cur || !want) {
		ret = -errno;
		fl_set_err(err, errlen, "reading this process's capabilities failed: %s",
			   strerror(-ret));
		goto cleanup;
	}
	for (i = 0; i < ARRAY_SIZE(fl_caps); i++) {
		c = fl_caps[i].cap;
		if (!fl_caps_keep(c, keep_optional))
			continue;
		if (!cap_get_flag(cur, c, CAP_PERMITTED, &v) && v == CAP_SET)
			keep[n++] = c;
	}
	/* the bounding set first, while CAP_SETPCAP (if held) is still
	 * effective, so that an execve (or a setuid binary) cannot get the
	 * others back; only the required ones stay in it even when the
	 * optional one stays effective, since a later call will have no
	 * CAP_SETPCAP left to drop it. Without CAP_SETPCAP the set was
	 * already limited by whoever started faultline (capsh, systemd, the
	 * container runtime).
	 */
	if (!cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &v) && v == CAP_SET)
		for (c = 0; c < (cap_value_t)cap_max_bits(); c++)
			if (!fl_caps_keep(c, false) && cap_get_bound(c) == 1 &&
			    cap_drop_bound(c)) {
				ret = -errno;
				fl_set_err(err, errlen, "dropping %s from the bounding set failed: %s",
					   cap_to_name(c), strerror(-ret));
				goto cleanup;
			}
	/* nothing inheritable, nothing ambient: a child gets nothing */
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient()) {
		ret = -errno;
		fl_set_err(err, errlen, "clearing the ambient capabilities failed: %s",
			   strerror(-ret));
		goto cleanup;
	}
	if ((n && (cap_set_flag(want, CAP_EFFECTIVE, n, keep, CAP_SET) ||
		   cap_set_flag(want, CAP_PERMITTED, n, keep, CAP_SET))) ||
	    cap_set_proc(want)) {
		ret = -errno;
		fl_set_err(err, errlen, "dropping the capabilities faultline does not need failed: %s",
			   strerror(-ret));
		goto cleanup;
	}
cleanup:
	cap_free(want);
	cap_free(cur);
	return ret;
}

bool fl_caps_effective(int cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t cur = cap_get_proc();

	if (cur) {
		cap_get_flag(cur, cap, CAP_EFFECTIVE, &v);
		cap_free(cur);
	}
	return v == CAP_SET;
}
