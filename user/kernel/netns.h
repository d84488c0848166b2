/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Network namespaces where targets' traffic flows, and their interfaces. */
#ifndef FL_NETNS_H
#define FL_NETNS_H

#include <limits.h>
#include <linux/types.h>
#include <net/if.h>
#include <stdbool.h>
#include <sys/types.h>

#include "spec.h"

#define FL_MAX_NETNS	32
#define FL_MAX_IFACES	64
#define FL_MAX_ADDRS	64

struct fl_netns {
	int fd;
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];
	int is_self;	/* the namespace faultline itself runs in */
	int owned;	/* every process in it belongs to a target */
};

struct fl_iface {
	int ifindex;
	char name[IF_NAMESIZE];
};

int fl_netns_open(const char *path, struct fl_netns *ns);
void fl_netns_close(struct fl_netns *ns);
/* Enter @ns; *saved gets a descriptor to return with fl_netns_restore. */
int fl_netns_enter(const struct fl_netns *ns, int *saved);
int fl_netns_restore(int saved);
/* Namespaces of the targets' processes, deduplicated; the _one variant
 * adds those of one target to @out's first *@n. -EACCES when none was
 * found and some process's could not be read (it holds capabilities
 * faultline lacks, and faultline has no CAP_SYS_PTRACE).
 */
int fl_netns_discover_one(const struct fl_target_spec *t, struct fl_netns *out, int max, int *n);
int fl_netns_discover(const struct fl_spec *spec, struct fl_netns *out, int max, int *n);
/* Does any process outside the targets live in @ns? Sets ns->owned; a
 * process whose namespace cannot be read counts as one that might.
 */
int fl_netns_check_owned(struct fl_netns *ns, const struct fl_spec *spec);
/* The first process in @ns outside the targets (0: none), and whether a
 * target process lives there.
 */
int fl_netns_foreign_pid(const struct fl_netns *ns, const struct fl_spec *spec, pid_t *foreign,
			 bool *any_target);
/* SO_NETNS_COOKIE of @ns: what bpf_get_netns_cookie() says there. */
#define FL_SO_NETNS_COOKIE	71	/* newer than Debian 12's libc headers */
int fl_netns_cookie(const struct fl_netns *ns, __u64 *cookie);
/* Non-loopback interfaces of @ns. */
int fl_netns_ifaces(const struct fl_netns *ns, struct fl_iface *out, int max, int *n);
/* Addresses configured on @ns's non-loopback interfaces, IPv4-mapped. */
int fl_netns_addrs(const struct fl_netns *ns, struct fl_addr *out, int max, int *n);
/* Every network namespace on the machine (processes and /run/netns). */
int fl_netns_all(struct fl_netns *out, int max, int *n);

/* The other end of veth @ifindex in @ns: which of @all holds it, and its
 * ifindex and name there. -ENOENT when it is not a veth or not visible.
 */
int fl_netns_veth_peer(const struct fl_netns *ns, int ifindex, const struct fl_netns *all, int n_all,
		       int *peer_ns, int *peer_ifindex, char *peer_name);

#endif /* FL_NETNS_H */
