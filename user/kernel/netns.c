// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Network namespaces. faultline is single-threaded, so setns() moves the
 * whole loader; every enter is paired with a restore on the same path.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "caps.h"
#include "netns.h"
#include "targets.h"

int fl_netns_open(const char *path, struct fl_netns *ns)
{
	struct stat st, self;

	memset(ns, 0, sizeof(*ns));
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0)
		return -errno;
	if (fstat(ns->fd, &st)) {
		int err = -errno;

		close(ns->fd);
		ns->fd = -1;
		return err;
	}
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	snprintf(ns->path, sizeof(ns->path), "%s", path);
	if (!stat("/proc/self/ns/net", &self))
		ns->is_self = self.st_ino == st.st_ino && self.st_dev == st.st_dev;
	return 0;
}

void fl_netns_close(struct fl_netns *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
}

int fl_netns_enter(const struct fl_netns *ns, int *saved)
{
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	if (setns(ns->fd, CLONE_NEWNET)) {
		int err = -errno;

		close(*saved);
		*saved = -1;
		return err;
	}
	return 0;
}

int fl_netns_restore(int saved)
{
	int err = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET))
		err = -errno;
	close(saved);
	return err;
}

struct fl_discover_ctx {
	struct fl_netns *out;
	int max;
	int *n;
	int err;
	int denied;	/* processes whose namespace faultline may not read */
};

static int fl_add_unique(struct fl_netns *out, int max, int *n, const char *path)
{
	struct fl_netns ns;
	int i, err;

	err = fl_netns_open(path, &ns);
	/* a process that is gone, or one we may not look into (EACCES under
	 * some security modules): not a namespace we can use, not an error
	 */
	if (err == -ENOENT || err == -EACCES || err == -ESRCH || err == -EPERM)
		return 0;
	if (err)
		return err;
	for (i = 0; i < *n; i++) {
		if (out[i].ino == ns.ino && out[i].dev == ns.dev) {
			fl_netns_close(&ns);
			return 0;
		}
	}
	if (*n >= max) {
		fl_netns_close(&ns);
		return -E2BIG;
	}
	out[(*n)++] = ns;
	return 0;
}

static int fl_discover_pid(pid_t pid, void *vctx)
{
	struct fl_discover_ctx *ctx = vctx;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	/* a process with capabilities faultline lacks is hidden from it
	 * without CAP_SYS_PTRACE (ptrace access mode read)
	 */
	if (access(path, F_OK) && (errno == EACCES || errno == EPERM))
		ctx->denied++;
	ctx->err = fl_add_unique(ctx->out, ctx->max, ctx->n, path);
	return ctx->err;
}

int fl_netns_discover_one(const struct fl_target_spec *t, struct fl_netns *out, int max, int *n)
{
	struct fl_discover_ctx ctx = { .out = out, .max = max, .n = n };
	int first = *n, err;

	err = fl_target_for_each_pid(t, fl_discover_pid, &ctx);
	if (err)
		return err;
	return *n == first && ctx.denied ? -EACCES : 0;
}

int fl_netns_discover(const struct fl_spec *spec, struct fl_netns *out, int max, int *n)
{
	int i, err, denied = 0;

	for (i = 0; i < spec->n_targets; i++) {
		err = fl_netns_discover_one(&spec->targets[i], out, max, n);
		if (err == -EACCES)
			denied = 1;
		else if (err)
			return err;
	}
	return !*n && denied ? -EACCES : 0;
}

int fl_netns_foreign_pid(const struct fl_netns *ns, const struct fl_spec *spec, pid_t *foreign,
			 bool *any_target)
{
	bool ptrace;
	struct dirent *de;
	DIR *d;

	*foreign = 0;
	*any_target = false;
	ptrace = fl_caps_effective(CAP_SYS_PTRACE);
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[64];
		struct stat st;
		pid_t pid;

		pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		if (stat(path, &st)) {
			/* without CAP_SYS_PTRACE a process with capabilities
			 * faultline lacks is hidden from it and could live
			 * here: the namespace cannot be proved a target's.
			 * (With it, only a sandbox hides a process: PID 1 of
			 * some container hosts, as before.)
			 */
			if ((errno == EACCES || errno == EPERM) && !ptrace &&
			    !fl_pid_in_targets(pid, spec)) {
				*foreign = pid;
				break;
			}
			continue;
		}
		if (st.st_ino != ns->ino || st.st_dev != ns->dev)
			continue;
		if (!fl_pid_in_targets(pid, spec)) {
			*foreign = pid;
			break;
		}
		*any_target = true;
	}
	closedir(d);
	return 0;
}

int fl_netns_check_owned(struct fl_netns *ns, const struct fl_spec *spec)
{
	bool any_target;
	pid_t foreign;
	int err;

	ns->owned = 0;
	if (ns->is_self)
		return 0;
	/* owned only when at least one target process lives here and no
	 * other process does; an empty namespace proves nothing
	 */
	err = fl_netns_foreign_pid(ns, spec, &foreign, &any_target);
	if (err)
		return err;
	ns->owned = !foreign && any_target;
	return 0;
}

int fl_netns_cookie(const struct fl_netns *ns, __u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	int saved = -1, fd, err;

	err = fl_netns_enter(ns, &saved);
	if (err)
		return err;
	/* a socket belongs to the namespace it was made in, whatever its family */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (getsockopt(fd, SOL_SOCKET, FL_SO_NETNS_COOKIE, cookie, &len))
		err = -errno;
	close(fd);
cleanup:
	fl_netns_restore(saved);
	return err;
}

int fl_netns_ifaces(const struct fl_netns *ns, struct fl_iface *out, int max, int *n)
{
	struct if_nameindex *ifs = NULL, *it;
	int saved = -1, err;

	*n = 0;
	err = fl_netns_enter(ns, &saved);
	if (err)
		return err;
	ifs = if_nameindex();
	if (!ifs) {
		err = -errno;
		goto cleanup;
	}
	for (it = ifs; it->if_index; it++) {
		if (!strcmp(it->if_name, "lo"))
			continue;
		if (*n >= max) {
			err = -E2BIG;
			goto cleanup;
		}
		out[*n].ifindex = it->if_index;
		snprintf(out[*n].name, sizeof(out[*n].name), "%s", it->if_name);
		(*n)++;
	}
cleanup:
	if (ifs)
		if_freenameindex(ifs);
	if (fl_netns_restore(saved) && !err)
		err = -EIO;
	return err;
}

int fl_netns_addrs(const struct fl_netns *ns, struct fl_addr *out, int max, int *n)
{
	struct ifaddrs *ifa = NULL, *it;
	int saved = -1, err;

	*n = 0;
	err = fl_netns_enter(ns, &saved);
	if (err)
		return err;
	if (getifaddrs(&ifa)) {
		err = -errno;
		goto cleanup;
	}
	for (it = ifa; it; it = it->ifa_next) {
		struct fl_addr a = {};

		if (!it->ifa_addr || (it->ifa_flags & IFF_LOOPBACK))
			continue;
		if (it->ifa_addr->sa_family == AF_INET) {
			a.u32[2] = htonl(0xffff);
			a.u32[3] = ((struct sockaddr_in *)it->ifa_addr)->sin_addr.s_addr;
		} else if (it->ifa_addr->sa_family == AF_INET6) {
			memcpy(a.u8, &((struct sockaddr_in6 *)it->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		if (*n >= max) {
			err = -E2BIG;
			goto cleanup;
		}
		out[(*n)++] = a;
	}
cleanup:
	if (ifa)
		freeifaddrs(ifa);
	if (fl_netns_restore(saved) && !err)
		err = -EIO;
	return err;
}

int fl_netns_all(struct fl_netns *out, int max, int *n)
{
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;
	int err;

	*n = 0;
	err = fl_add_unique(out, max, n, "/proc/self/ns/net");
	if (err)
		return err;
	d = opendir("/run/netns");
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
			if (fl_add_unique(out, max, n, path) == -E2BIG)
				break;
		}
		closedir(d);
	}
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (atoi(de->d_name) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		if (fl_add_unique(out, max, n, path) == -E2BIG)
			break;
	}
	closedir(d);
	return 0;
}

struct fl_link_info {
	int link;		/* IFLA_LINK: a veth's peer ifindex */
	char name[IF_NAMESIZE];
};

static int fl_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fl_link_info *li = data;
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg)) {
		switch (mnl_attr_get_type(attr)) {
		case IFLA_LINK:
			li->link = (int)mnl_attr_get_u32(attr);
			break;
		case IFLA_IFNAME:
			snprintf(li->name, sizeof(li->name), "%s", mnl_attr_get_str(attr));
			break;
		}
	}
	return MNL_CB_OK;
}

/* RTM_GETLINK for @ifindex in the current namespace. */
static int fl_get_link(int ifindex, struct fl_link_info *li)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	unsigned int seq = 1;
	int ret;

	memset(li, 0, sizeof(*li));
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto cleanup;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto cleanup;
	}
	ret = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (ret < 0) {
		ret = -errno;
		goto cleanup;
	}
	ret = mnl_cb_run(buf, ret, seq, mnl_socket_get_portid(nl), fl_link_cb, li);
	ret = ret < 0 ? -errno : 0;
cleanup:
	mnl_socket_close(nl);
	return ret;
}

int fl_netns_veth_peer(const struct fl_netns *ns, int ifindex, const struct fl_netns *all, int n_all,
		       int *peer_ns, int *peer_ifindex, char *peer_name)
{
	struct fl_link_info me, cand;
	int saved = -1, i, ret;

	ret = fl_netns_enter(ns, &saved);
	if (ret)
		return ret;
	ret = fl_get_link(ifindex, &me);
	fl_netns_restore(saved);
	if (ret)
		return ret;
	/* the peer's index may equal ours: each namespace counts its own */
	if (!me.link)
		return -ENOENT;
	/* IFLA_LINK is an ifindex in the peer's namespace: find the namespace
	 * where that device points back at us
	 */
	for (i = 0; i < n_all; i++) {
		if (all[i].ino == ns->ino && all[i].dev == ns->dev)
			continue;
		if (fl_netns_enter(&all[i], &saved))
			continue;
		ret = fl_get_link(me.link, &cand);
		fl_netns_restore(saved);
		if (ret || cand.link != ifindex)
			continue;
		*peer_ns = i;
		*peer_ifindex = me.link;
		snprintf(peer_name, IF_NAMESIZE, "%s", cand.name);
		return 0;
	}
	return -ENOENT;
}
