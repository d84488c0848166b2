// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Root qdiscs over rtnetlink (libmnl), never by spawning tc. fq holds
 * each packet until its skb->tstamp, which is how delay and rate work.
 * The previous root is recorded with its raw TCA_OPTIONS so it can be
 * re-created as it was; a kernel default root (handle 0) is restored by
 * deleting ours, which makes the kernel attach its default again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "probe.h"
#include "qdisc.h"

void fl_fq_size(struct fl_fq_params *p, __u64 pps, __u64 max_delay_ns)
{
	__u64 held = pps * max_delay_ns / 1000000000ULL;

	/* twice what the delay holds, with fq's defaults as the floor */
	p->flow_limit = held * 2 > 100 ? held * 2 : 100;
	p->limit = held * 4 > 10000 ? held * 4 : 10000;
	if (p->flow_limit > 1000000)
		p->flow_limit = 1000000;
	if (p->limit > 4000000)
		p->limit = 4000000;
	p->horizon_us = max_delay_ns / 1000 + 1000000;	/* the delay and a second */
}

bool fl_qdisc_replaceable(const char *kind)
{
	static const char *const ok[] = { "noqueue", "pfifo_fast", "fq_codel", "mq", "fq" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(kind, ok[i]))
			return true;
	return false;
}

struct fl_nl {
	struct mnl_socket *sock;
	unsigned int seq;
	unsigned int portid;
};

static int fl_nl_open(struct fl_nl *nl)
{
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	return 0;
}

static void fl_nl_close(struct fl_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Send @nlh and run @cb over the replies; 0 or the kernel's -errno. */
static int fl_nl_talk(struct fl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;

	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	while ((ret = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, ret, nl->seq, nl->portid, cb, data);
		if (ret <= MNL_CB_STOP)
			break;
	}
	return ret < 0 ? -errno : 0;
}

struct fl_root_ctx {
	int ifindex;
	struct fl_qdisc_saved *out;
	bool found;
};

static int fl_root_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fl_root_ctx *ctx = data;
	struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct nlattr *attr;

	if (tcm->tcm_ifindex != ctx->ifindex || tcm->tcm_parent != TC_H_ROOT)
		return MNL_CB_OK;
	ctx->found = true;
	ctx->out->handle = tcm->tcm_handle;
	ctx->out->is_default = tcm->tcm_handle == 0;
	mnl_attr_for_each(attr, nlh, sizeof(*tcm)) {
		switch (mnl_attr_get_type(attr)) {
		case TCA_KIND:
			snprintf(ctx->out->kind, sizeof(ctx->out->kind), "%s", mnl_attr_get_str(attr));
			break;
		case TCA_OPTIONS:
			if (mnl_attr_get_payload_len(attr) <= FL_QDISC_OPTS_MAX) {
				ctx->out->opts_len = mnl_attr_get_payload_len(attr);
				memcpy(ctx->out->opts, mnl_attr_get_payload(attr), ctx->out->opts_len);
			}
			break;
		}
	}
	return MNL_CB_OK;
}

static int fl_qdisc_get_root_nl(struct fl_nl *nl, int ifindex, struct fl_qdisc_saved *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fl_root_ctx ctx = { .ifindex = ifindex, .out = out };
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	int ret;

	memset(out, 0, sizeof(*out));
	out->ifindex = ifindex;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETQDISC;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	ret = fl_nl_talk(nl, nlh, fl_root_cb, &ctx);
	if (ret)
		return ret;
	if (!ctx.found) {
		/* a device with no queue reports no root at all */
		snprintf(out->kind, sizeof(out->kind), "noqueue");
		out->is_default = true;
	}
	return 0;
}

struct fl_drops_ctx {
	int ifindex;
	__u64 drops;
};

/* Adds the drops of every fq qdisc of the device (the root, or mq's
 * children): packets fq refused (flow_limit, limit) or dropped past its
 * horizon.
 */
static int fl_drops_cb(const struct nlmsghdr *nlh, void *data)
{
	struct fl_drops_ctx *ctx = data;
	struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct nlattr *attr, *st;
	bool fq = false;
	__u64 drops = 0;

	if (tcm->tcm_ifindex != ctx->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*tcm)) {
		if (mnl_attr_get_type(attr) == TCA_KIND)
			fq = !strcmp(mnl_attr_get_str(attr), "fq");
		if (mnl_attr_get_type(attr) != TCA_STATS2)
			continue;
		mnl_attr_for_each_nested(st, attr) {
			if (mnl_attr_get_type(st) == TCA_STATS_QUEUE &&
			    mnl_attr_get_payload_len(st) >= sizeof(struct gnet_stats_queue))
				drops = ((struct gnet_stats_queue *)mnl_attr_get_payload(st))->drops;
		}
	}
	if (fq)
		ctx->drops += drops;
	return MNL_CB_OK;
}

int fl_qdisc_fq_drops(int ifindex, __u64 *drops)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct fl_drops_ctx ctx = { .ifindex = ifindex };
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	struct fl_nl nl;
	int ret;

	ret = fl_nl_open(&nl);
	if (ret)
		return ret;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETQDISC;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	ret = fl_nl_talk(&nl, nlh, fl_drops_cb, &ctx);
	fl_nl_close(&nl);
	if (!ret)
		*drops = ctx.drops;
	return ret;
}

int fl_qdisc_get_root(int ifindex, struct fl_qdisc_saved *out)
{
	struct fl_nl nl;
	int ret;

	ret = fl_nl_open(&nl);
	if (ret)
		return ret;
	ret = fl_qdisc_get_root_nl(&nl, ifindex, out);
	fl_nl_close(&nl);
	return ret;
}

static int fl_nl_ack(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int fl_qdisc_put(struct fl_nl *nl, int ifindex, __u32 parent, __u32 handle, const char *kind,
			const struct fl_fq_params *fq, const void *raw, size_t raw_len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWQDISC;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	if (fq) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, TCA_OPTIONS);

		mnl_attr_put_u32(nlh, TCA_FQ_PLIMIT, fq->limit);
		mnl_attr_put_u32(nlh, TCA_FQ_FLOW_PLIMIT, fq->flow_limit);
		mnl_attr_put_u32(nlh, TCA_FQ_HORIZON, fq->horizon_us);
		mnl_attr_put_u8(nlh, TCA_FQ_HORIZON_DROP, 1);
		mnl_attr_nest_end(nlh, nest);
	} else if (raw && raw_len) {
		mnl_attr_put(nlh, TCA_OPTIONS, raw_len, raw);
	}
	return fl_nl_talk(nl, nlh, fl_nl_ack, NULL);
}

static int fl_qdisc_del_root(struct fl_nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELQDISC;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = TC_H_ROOT;
	ret = fl_nl_talk(nl, nlh, fl_nl_ack, NULL);
	/* nothing to delete: already the default */
	return ret == -ENOENT || ret == -EINVAL ? 0 : ret;
}

static int fl_link_txq_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(attr) == IFLA_NUM_TX_QUEUES)
			*(int *)data = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

/* From rtnetlink, not sysfs: sysfs shows the namespace that mounted it. */
static int fl_num_tx_queues(struct fl_nl *nl, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	int n = 1;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	/* the ACK ends the reply: without it the receive loop would wait */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	if (fl_nl_talk(nl, nlh, fl_link_txq_cb, &n))
		return 1;
	return n;
}

int fl_qdisc_install_fq(int ifindex, const char *ifname, const struct fl_fq_params *p, bool force,
			struct fl_qdisc_saved *saved, char *err, size_t errlen)
{
	struct fl_nl nl = {};
	int ret, nq, i;

	if (fl_probe_qdisc("fq") != 1) {
		snprintf(err, errlen,
			 "this kernel has no fq qdisc (CONFIG_NET_SCH_FQ, module sch_fq), which delay and rate need; load it with 'modprobe sch_fq' or use a kernel that has it");
		return -EOPNOTSUPP;
	}
	ret = fl_nl_open(&nl);
	if (ret) {
		snprintf(err, errlen, "opening rtnetlink failed: %s", strerror(-ret));
		return ret;
	}
	ret = fl_qdisc_get_root_nl(&nl, ifindex, saved);
	if (ret) {
		snprintf(err, errlen, "reading the root qdisc of %s failed: %s", ifname, strerror(-ret));
		goto cleanup;
	}
	if (!fl_qdisc_replaceable(saved->kind) && !force) {
		snprintf(err, errlen,
			 "%s has a '%s' root qdisc, which faultline will not replace; remove it, or pass --force-qdisc (only the root is restored afterwards)",
			 ifname, saved->kind);
		ret = -EBUSY;
		goto cleanup;
	}
	nq = fl_num_tx_queues(&nl, ifindex);
	if (nq > 1) {
		ret = fl_qdisc_put(&nl, ifindex, TC_H_ROOT, FL_MQ_HANDLE, "mq", NULL, NULL, 0);
		for (i = 0; !ret && i < nq; i++)
			ret = fl_qdisc_put(&nl, ifindex, FL_MQ_HANDLE | (i + 1), 0, "fq", p, NULL, 0);
	} else {
		ret = fl_qdisc_put(&nl, ifindex, TC_H_ROOT, 0, "fq", p, NULL, 0);
	}
	if (ret) {
		snprintf(err, errlen, "installing fq on %s failed: %s", ifname, strerror(-ret));
		saved->installed = true;	/* so the restore below puts back the old root */
		fl_nl_close(&nl);
		fl_qdisc_restore(saved);
		return ret;
	}
	saved->installed = true;
cleanup:
	fl_nl_close(&nl);
	return ret;
}

/* fq_codel keeps its times in units of 1024 ns and reports them in us,
 * rounding down both ways: writing back what it reported would lose a
 * microsecond on every round trip. Give it the value that maps back to
 * the same unit instead.
 */
static void fl_qdisc_fix_codel_times(struct fl_qdisc_saved *q)
{
	size_t off = 0;

	if (strcmp(q->kind, "fq_codel"))
		return;
	while (off + sizeof(struct nlattr) <= q->opts_len) {
		struct nlattr *a = (struct nlattr *)(q->opts + off);
		__u16 type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < sizeof(*a) || off + a->nla_len > q->opts_len)
			break;
		if ((type == TCA_FQ_CODEL_TARGET || type == TCA_FQ_CODEL_INTERVAL ||
		     type == TCA_FQ_CODEL_CE_THRESHOLD) && a->nla_len >= sizeof(*a) + 4) {
			__u32 *v = (__u32 *)((char *)a + NLA_HDRLEN);
			__u64 unit = ((__u64)*v * 1000 + 1023) / 1024;	/* ceil(us / 1.024) */

			*v = (__u32)((unit * 1024 + 999) / 1000);	/* ceil(unit * 1.024) */
		}
		off += NLA_ALIGN(a->nla_len);
	}
}

int fl_qdisc_restore(struct fl_qdisc_saved *saved)
{
	struct fl_nl nl = {};
	int ret;

	if (!saved->installed)
		return 0;
	ret = fl_nl_open(&nl);
	if (ret)
		return ret;
	if (saved->is_default) {
		ret = fl_qdisc_del_root(&nl, saved->ifindex);
	} else {
		fl_qdisc_fix_codel_times(saved);
		ret = fl_qdisc_put(&nl, saved->ifindex, TC_H_ROOT, saved->handle, saved->kind, NULL,
				   saved->opts, saved->opts_len);
	}
	fl_nl_close(&nl);
	if (!ret)
		saved->installed = false;
	return ret;
}

static int fl_count_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWTFILTER)
		(*(int *)data)++;
	return MNL_CB_OK;
}

int fl_qdisc_clsact_filters(int ifindex, int *n)
{
	static const __u16 mins[] = { TC_H_MIN_INGRESS, TC_H_MIN_EGRESS };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;
	struct fl_nl nl;
	size_t i;
	int ret;

	*n = 0;
	ret = fl_nl_open(&nl);
	if (ret)
		return ret;
	for (i = 0; i < sizeof(mins) / sizeof(mins[0]) && !ret; i++) {
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_GETTFILTER;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
		tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
		tcm->tcm_family = AF_UNSPEC;
		tcm->tcm_ifindex = ifindex;
		tcm->tcm_parent = TC_H_MAKE(TC_H_CLSACT, mins[i]);
		ret = fl_nl_talk(&nl, nlh, fl_count_cb, n);
	}
	fl_nl_close(&nl);
	return ret;
}
