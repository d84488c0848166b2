// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attaching. tcx and XDP go through bpf_link so that they die with the
 * process; legacy clsact filters do not, so they are recorded (handle,
 * priority) and removed on every exit path, and the kernel-side deadline
 * covers the case where the process is killed before it can.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "state.h"

const char *fl_hook_name(enum fl_hook hook)
{
	switch (hook) {
	case FL_HOOK_TCX_INGRESS:
		return "tcx_ingress";
	case FL_HOOK_TCX_EGRESS:
		return "tcx_egress";
	case FL_HOOK_CLS_INGRESS:
		return "clsact_ingress";
	case FL_HOOK_CLS_EGRESS:
		return "clsact_egress";
	case FL_HOOK_XDP_NATIVE:
		return "xdp_native";
	case FL_HOOK_XDP_GENERIC:
		return "xdp_generic";
	case FL_HOOK_CGROUP_INGRESS:
		return "cgroup_ingress";
	case FL_HOOK_CGROUP_SOCK:
		return "cgroup_sock_create";
	}
	return "unknown";
}

bool fl_hook_is_ingress(enum fl_hook hook)
{
	return hook != FL_HOOK_TCX_EGRESS && hook != FL_HOOK_CLS_EGRESS &&
	       hook != FL_HOOK_CGROUP_SOCK;
}

bool fl_hook_is_cgroup(enum fl_hook hook)
{
	return hook == FL_HOOK_CGROUP_INGRESS || hook == FL_HOOK_CGROUP_SOCK;
}

bool fl_prog_id_is_ours_by(__u32 prog_id, uid_t *uid)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	bool ours = false;
	int fd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ours = !strncmp(info.name, FL_PROG_PREFIX, strlen(FL_PROG_PREFIX));
		if (uid)
			*uid = info.created_by_uid;
	}
	close(fd);
	return ours;
}

bool fl_prog_id_is_ours(__u32 prog_id)
{
	return fl_prog_id_is_ours_by(prog_id, NULL);
}

int fl_xdp_present(int ifindex, __u32 *id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd;

	*id = 0;
	snprintf(name, len, "?");
	if (bpf_xdp_query_id(ifindex, 0, id) || !*id)
		return 0;
	fd = bpf_prog_get_fd_by_id(*id);
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
			snprintf(name, len, "%s", info.name);
		close(fd);
	}
	return 1;
}

static int fl_resolve_ifindex(const char *ifname, char *err, size_t errlen)
{
	int ifindex = if_nametoindex(ifname);

	if (!ifindex)
		snprintf(err, errlen, "interface '%s' not found in the target namespace; list them with 'ip link'",
			 ifname);
	return ifindex;
}

static int fl_attach_tc_here(struct fl_attachment *a, int prog_fd, bool egress, bool tcx,
			     unsigned int rec, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FL_TC_HANDLE, .priority = FL_TC_PRIO,
		    .prog_fd = prog_fd);
	int ret;

	if (tcx) {
		a->hook = egress ? FL_HOOK_TCX_EGRESS : FL_HOOK_TCX_INGRESS;
		ret = bpf_link_create(prog_fd, a->ifindex,
				      egress ? FL_BPF_TCX_EGRESS : FL_BPF_TCX_INGRESS, NULL);
		if (ret < 0) {
			ret = -errno;
			snprintf(err, errlen, "attaching tcx %s on %s failed: %s",
				 egress ? "egress" : "ingress", a->ifname, strerror(-ret));
			return ret;
		}
		a->link_fd = ret;
		a->attached = true;
		return 0;
	}

	a->hook = egress ? FL_HOOK_CLS_EGRESS : FL_HOOK_CLS_INGRESS;
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST) {
		snprintf(err, errlen, "creating the clsact qdisc on %s failed: %s; is CONFIG_NET_SCH_INGRESS set?",
			 a->ifname, strerror(-ret));
		return ret;
	}
	a->created_clsact = ret == 0;
	if (a->created_clsact && rec)
		fl_state_record_clsact(rec, a->ns->ino, a->ns->dev, a->ifindex, a->ifname);
	ret = bpf_tc_attach(&hook, &opts);
	if (ret) {
		if (ret == -EEXIST)
			snprintf(err, errlen,
				 "a filter with faultline's handle is already on %s %s; another run is active, or run 'faultline cleanup'",
				 a->ifname, egress ? "egress" : "ingress");
		else
			snprintf(err, errlen, "attaching the clsact filter on %s failed: %s",
				 a->ifname, strerror(-ret));
		if (a->created_clsact) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
			a->created_clsact = false;
		}
		return ret;
	}
	a->attached = true;
	return 0;
}

int fl_attach_tc(struct fl_attachment *a, const struct fl_netns *ns, const char *ifname,
		 int prog_fd, bool egress, bool tcx, unsigned int rec, char *err, size_t errlen)
{
	int saved = -1, ret;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->ns = ns;
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	ret = fl_netns_enter(ns, &saved);
	if (ret) {
		snprintf(err, errlen, "entering network namespace %s failed: %s", ns->path,
			 strerror(-ret));
		return ret;
	}
	a->ifindex = fl_resolve_ifindex(ifname, err, errlen);
	if (!a->ifindex) {
		ret = -ENODEV;
		goto cleanup;
	}
	ret = fl_attach_tc_here(a, prog_fd, egress, tcx, rec, err, errlen);
cleanup:
	fl_netns_restore(saved);
	return ret;
}

int fl_attach_xdp(struct fl_attachment *a, const struct fl_netns *ns, const char *ifname,
		  int prog_fd, enum fl_xdp_mode mode, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, lopts);
	int saved = -1, ret;
	__u32 cur = 0;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->ns = ns;
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	ret = fl_netns_enter(ns, &saved);
	if (ret) {
		snprintf(err, errlen, "entering network namespace %s failed: %s", ns->path,
			 strerror(-ret));
		return ret;
	}
	a->ifindex = fl_resolve_ifindex(ifname, err, errlen);
	if (!a->ifindex) {
		ret = -ENODEV;
		goto cleanup;
	}
	/* never replace an XDP program that is not ours */
	if (!bpf_xdp_query_id(a->ifindex, 0, &cur) && cur) {
		snprintf(err, errlen,
			 "%s already has an XDP program (id %u%s); faultline will not replace it: detach it, or use FAULTLINE_INGRESS=tc",
			 ifname, cur, fl_prog_id_is_ours(cur) ? ", faultline's: another run is active" : "");
		ret = -EBUSY;
		goto cleanup;
	}
	if (mode != FL_XDP_GENERIC) {
		lopts.flags = XDP_FLAGS_DRV_MODE;
		ret = bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &lopts);
		if (ret >= 0) {
			a->hook = FL_HOOK_XDP_NATIVE;
			goto done;
		}
		ret = -errno;
		if (mode == FL_XDP_NATIVE) {
			snprintf(err, errlen, "attaching XDP in native mode on %s failed: %s", ifname,
				 strerror(-ret));
			goto cleanup;
		}
	}
	lopts.flags = XDP_FLAGS_SKB_MODE;
	ret = bpf_link_create(prog_fd, a->ifindex, BPF_XDP, &lopts);
	if (ret < 0) {
		ret = -errno;
		snprintf(err, errlen, "attaching XDP on %s failed: %s", ifname, strerror(-ret));
		goto cleanup;
	}
	a->hook = FL_HOOK_XDP_GENERIC;
done:
	a->link_fd = ret;
	a->attached = true;
	ret = 0;
cleanup:
	fl_netns_restore(saved);
	return ret;
}

int fl_attach_cgroup(struct fl_attachment *a, const char *cgroup, enum fl_hook hook, int prog_fd,
		     char *err, size_t errlen)
{
	enum bpf_attach_type type = hook == FL_HOOK_CGROUP_SOCK ? BPF_CGROUP_INET_SOCK_CREATE :
								  BPF_CGROUP_INET_INGRESS;
	int cg_fd, ret;

	memset(a, 0, sizeof(*a));
	a->link_fd = -1;
	a->hook = hook;
	snprintf(a->cgroup, sizeof(a->cgroup), "%s", cgroup);
	cg_fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "opening cgroup %s failed: %s", cgroup, strerror(-ret));
		return ret;
	}
	/* a link is always a multi-attach: programs of others stay */
	ret = bpf_link_create(prog_fd, cg_fd, type, NULL);
	if (ret < 0) {
		ret = -errno;
		snprintf(err, errlen, "attaching %s on cgroup %s failed: %s", fl_hook_name(hook),
			 cgroup, strerror(-ret));
		goto cleanup;
	}
	a->link_fd = ret;
	a->attached = true;
	ret = 0;
cleanup:
	close(cg_fd);
	return ret;
}

int fl_detach(struct fl_attachment *a)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FL_TC_HANDLE, .priority = FL_TC_PRIO);
	int saved = -1, ret = 0;

	if (!a->attached)
		return 0;
	if (a->link_fd >= 0) {
		/* closing the only reference detaches; an explicit
		 * bpf_link_detach() first would wait for a second grace period
		 */
		close(a->link_fd);
		a->link_fd = -1;
		a->attached = false;
		return 0;
	}
	ret = fl_netns_enter(a->ns, &saved);
	if (ret)
		return ret;
	hook.attach_point = a->hook == FL_HOOK_CLS_EGRESS ? BPF_TC_EGRESS : BPF_TC_INGRESS;
	ret = bpf_tc_detach(&hook, &opts);
	if (ret == -ENOENT)
		ret = 0;
	if (a->created_clsact) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	fl_netns_restore(saved);
	a->attached = false;
	return ret;
}
