// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Run-time probes: the loader picks its mechanisms from these, never at
 * build time.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>

#include "attach.h"
#include "probe.h"

/* netdev generic netlink family (kernel 6.3+); not in Debian 12's uapi */
#define FL_NETDEV_CMD_DEV_GET		1
#define FL_NETDEV_A_DEV_IFINDEX		1
#define FL_NETDEV_A_DEV_XDP_FEATURES	3
#define FL_NETDEV_XDP_ACT_BASIC		1ULL

int fl_probe_tcx(void)
{
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = -1 },	/* r0 = -1 */
		{ .code = 0x95 },				/* exit */
	};
	int prog_fd, link_fd, ret;

	prog_fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "fl_probe", "GPL", insns, 2, NULL);
	if (prog_fd < 0)
		return -errno;
	/* ifindex 0 never exists: a kernel with tcx says ENODEV, one
	 * without says EINVAL for the unknown attach type
	 */
	link_fd = bpf_link_create(prog_fd, 0, FL_BPF_TCX_EGRESS, NULL);
	if (link_fd >= 0) {
		close(link_fd);
		ret = 1;
	} else {
		ret = errno == ENODEV ? 1 : 0;
	}
	close(prog_fd);
	return ret;
}

int fl_probe_qdisc(const char *kind)
{
	char path[512], line[512];
	struct utsname u;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/module/sch_%s", kind);
	if (!access(path, F_OK))
		return 1;
	if (uname(&u))
		return 0;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin", u.release);
	snprintf(line, sizeof(line), "/sch_%s.ko", kind);
	f = fopen(path, "r");
	if (f) {
		char l[512];

		while (!found && fgets(l, sizeof(l), f))
			found = strstr(l, line) != NULL;
		fclose(f);
	}
	if (found)
		return 1;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	f = fopen(path, "r");
	if (f) {
		char l[4096];

		while (!found && fgets(l, sizeof(l), f))
			found = !!strstr(l, line) && strstr(l, line) < strchr(l, ':');
		fclose(f);
	}
	return found;
}

struct fl_genl_reply {
	__u16 family;
	__u64 xdp_features;
	int have;
};

static int fl_genl_attr(const struct nlattr *attr, void *data)
{
	struct fl_genl_reply *r = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (!r->family && mnl_attr_get_payload_len(attr) >= 2)
			r->family = mnl_attr_get_u16(attr);
		break;
	}
	return MNL_CB_OK;
}

static int fl_genl_dev_attr(const struct nlattr *attr, void *data)
{
	struct fl_genl_reply *r = data;

	if (mnl_attr_get_type(attr) == FL_NETDEV_A_DEV_XDP_FEATURES &&
	    mnl_attr_get_payload_len(attr) >= 8) {
		r->xdp_features = mnl_attr_get_u64(attr);
		r->have = 1;
	}
	return MNL_CB_OK;
}

static int fl_genl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fl_genl_attr, data);
}

static int fl_genl_dev_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), fl_genl_dev_attr, data);
}

static int fl_genl_call(struct mnl_socket *nl, __u16 type, __u8 cmd, __u16 attr_type,
			const void *attr, size_t attr_len, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct genlmsghdr *g;
	struct nlmsghdr *nlh;
	unsigned int seq = time(NULL);
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	mnl_attr_put(nlh, attr_type, attr_len, attr);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((ret = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, ret, seq, mnl_socket_get_portid(nl), cb, data);
		if (ret <= MNL_CB_STOP)
			break;
	}
	return ret < 0 ? -errno : 0;
}

int fl_probe_xdp_native(const char *ifname)
{
	struct fl_genl_reply r = {};
	struct mnl_socket *nl;
	__u32 ifindex;
	int ret;

	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return -ENODEV;
	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	ret = fl_genl_call(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, "netdev",
			   sizeof("netdev"), fl_genl_family_cb, &r);
	if (ret || !r.family) {
		ret = -EOPNOTSUPP;	/* kernels before 6.3 do not report it */
		goto cleanup;
	}
	ret = fl_genl_call(nl, r.family, FL_NETDEV_CMD_DEV_GET, FL_NETDEV_A_DEV_IFINDEX, &ifindex,
			   sizeof(ifindex), fl_genl_dev_cb, &r);
	if (ret || !r.have) {
		ret = ret ? ret : -EOPNOTSUPP;
		goto cleanup;
	}
	ret = !!(r.xdp_features & FL_NETDEV_XDP_ACT_BASIC);
cleanup:
	mnl_socket_close(nl);
	return ret;
}

