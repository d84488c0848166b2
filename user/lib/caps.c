// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Startup capability check (caps.h), with capget(2): no libcap needed.
 * The table mirrors deploy/daemonset.yaml and deploy/faultline.service;
 * tests/selftests/agent_caps.sh runs the agent with exactly the YAML's
 * list, and with one of them removed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

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
	  "to setns(2) into the targets' network namespaces" },
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE", false,
	  "to read /proc/PID/ns and /proc/PID/cgroup of other users' processes, for pid and container targets" },
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
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	bool missing = false;
	size_t i;

	if (err && errlen)
		err[0] = '\0';
	if (warn && warnlen)
		warn[0] = '\0';
	if (syscall(SYS_capget, &hdr, data)) {
		fl_set_err(err, errlen, "capget: %s", strerror(errno));
		return -errno;
	}
	for (i = 0; i < ARRAY_SIZE(fl_caps); i++) {
		int c = fl_caps[i].cap;

		if (data[c / 32].effective & (1U << (c % 32)))
			continue;
		if (fl_caps[i].required) {
			fl_append(err, errlen, fl_caps[i].name, fl_caps[i].why);
			missing = true;
		} else {
			fl_append(warn, warnlen, fl_caps[i].name, fl_caps[i].why);
		}
	}
	return missing ? -EPERM : 0;
}
