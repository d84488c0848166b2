/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attaching programs to interfaces and cgroups, and taking them off. */
#ifndef FL_ATTACH_H
#define FL_ATTACH_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <sys/types.h>

#include "netns.h"

/* Legacy cls_bpf filters carry this handle and priority, so faultline
 * can find its own and never touches anyone else's.
 */
#define FL_TC_HANDLE	0xfa17
#define FL_TC_PRIO	0xfa17
#define FL_PROG_PREFIX	"fl_"

/* Attach types newer than Debian's uapi headers (kernel 6.6+). */
#define FL_BPF_TCX_INGRESS	46
#define FL_BPF_TCX_EGRESS	47

enum fl_hook {
	FL_HOOK_TCX_INGRESS,
	FL_HOOK_TCX_EGRESS,
	FL_HOOK_CLS_INGRESS,
	FL_HOOK_CLS_EGRESS,
	FL_HOOK_XDP_NATIVE,
	FL_HOOK_XDP_GENERIC,
	FL_HOOK_CGROUP_INGRESS,
	FL_HOOK_CGROUP_SOCK,	/* socket creation, at the cgroup root */
};

enum fl_xdp_mode {
	FL_XDP_AUTO,	/* native, else generic */
	FL_XDP_NATIVE,
	FL_XDP_GENERIC,
};

struct fl_attachment {
	enum fl_hook hook;
	const struct fl_netns *ns;	/* NULL for cgroup hooks */
	int ifindex;
	char ifname[IF_NAMESIZE];
	char cgroup[PATH_MAX];
	int link_fd;			/* tcx, XDP and cgroup links */
	bool created_clsact;		/* legacy: destroy the hook on detach */
	bool attached;
};

const char *fl_hook_name(enum fl_hook hook);
bool fl_hook_is_ingress(enum fl_hook hook);
/* Attached to a cgroup (a->cgroup), not to an interface. */
bool fl_hook_is_cgroup(enum fl_hook hook);

/* Each returns 0 or a negative errno and leaves @err with a one-line
 * reason that names the device and what to do.
 */
/* fl_attach_tc notes a clsact qdisc it creates in state record @rec (0:
 * none) at once, before the filter: a loader killed in between leaves
 * nothing that 'faultline cleanup' does not know of.
 */
int fl_attach_tc(struct fl_attachment *a, const struct fl_netns *ns, const char *ifname,
		 int prog_fd, bool egress, bool tcx, unsigned int rec, char *err, size_t errlen);
int fl_attach_xdp(struct fl_attachment *a, const struct fl_netns *ns, const char *ifname,
		  int prog_fd, enum fl_xdp_mode mode, char *err, size_t errlen);
/* @hook: FL_HOOK_CGROUP_INGRESS or FL_HOOK_CGROUP_SOCK. */
int fl_attach_cgroup(struct fl_attachment *a, const char *cgroup, enum fl_hook hook, int prog_fd,
		     char *err, size_t errlen);
int fl_detach(struct fl_attachment *a);

/* Does the program with this id carry faultline's name prefix? */
bool fl_prog_id_is_ours(__u32 prog_id);
/* The same, and @uid gets the uid that loaded it (the kernel's
 * created_by_uid, the loader's real uid), so a non-root cleanup touches
 * only its own uid's runs.
 */
bool fl_prog_id_is_ours_by(__u32 prog_id, uid_t *uid);

/* The XDP program on @ifindex in the current namespace, if any: 1 with its
 * id and name (libxdp's multi-program dispatcher is "xdp_dispatcher"),
 * 0 when there is none.
 */
int fl_xdp_present(int ifindex, __u32 *id, char *name, size_t len);

#endif /* FL_ATTACH_H */
