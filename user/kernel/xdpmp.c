// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Joining libxdp's dispatcher. A dispatcher runs its components, each an
 * extension (freplace) of one of its slots, in the order of their run
 * priorities; adding one means libxdp builds a new dispatcher with every
 * component and swaps it in atomically, and removing one the same without
 * it. libxdp pins the components' links in bpffs, so unlike faultline's
 * other XDP and tcx links a component outlives a killed faultline: the
 * run's deadline disarms it, and 'faultline cleanup' takes it out.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"
#include "xdpmp.h"

/* The dispatcher on @ifindex, or NULL when there is none that libxdp can
 * use (no XDP program, a program of another kind, or a dispatcher whose
 * components' pins are in a bpffs this process does not see).
 */
static struct xdp_multiprog *fl_xdpmp_get(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);

	if (libxdp_get_error(mp) || !mp)
		return NULL;
	if (xdp_multiprog__is_legacy(mp) || !xdp_multiprog__program_count(mp)) {
		xdp_multiprog__close(mp);
		return NULL;
	}
	return mp;
}

int fl_xdpmp_usable(int ifindex)
{
	struct xdp_multiprog *mp = fl_xdpmp_get(ifindex);
	int ok = mp != NULL;

	xdp_multiprog__close(mp);
	return ok;
}

int fl_xdpmp_attach(struct fl_attachment *a, const struct fl_netns *ns, const char *ifname,
		    const struct fl_datapath *dp, char *err, size_t errlen)
{
	struct xdp_program *prog = NULL;
	struct xdp_multiprog *mp = NULL;
	int saved = -1, ret, fd;

	ret = fl_attach_enter(a, ns, ifname, &saved, err, errlen);
	a->hook = FL_HOOK_XDP_DISPATCHER;
	if (ret)
		goto cleanup;
	mp = fl_xdpmp_get(a->ifindex);
	if (!mp) {
		snprintf(err, errlen,
			 "libxdp's dispatcher on %s went away before faultline could join it; run the experiment again",
			 ifname);
		ret = -ENOENT;
		goto cleanup;
	}
	ret = fl_dp_load_xdp_ext(dp, xdp_program__fd(xdp_multiprog__main_prog(mp)), "prog0",
				 &a->xdp_obj, &fd);
	if (ret) {
		snprintf(err, errlen,
			 "loading faultline's XDP program as a component of libxdp's dispatcher on %s failed: %s; run with -v for the verifier log",
			 ifname, strerror(-ret));
		goto cleanup;
	}
	prog = xdp_program__from_fd(fd);
	/* its run priority, FL_XDP_RUN_PRIO, is in its BTF: libxdp reads it
	 * there for a loaded program
	 */
	ret = libxdp_get_error(prog);
	/* the dispatcher stays in the mode it has */
	if (!ret)
		ret = xdp_program__attach(prog, a->ifindex, xdp_multiprog__attach_mode(mp), 0);
	if (ret) {
		snprintf(err, errlen,
			 "adding faultline's XDP program to libxdp's dispatcher on %s failed: %s; unset FAULTLINE_INGRESS (faultline then uses tc ingress beside it) or set FAULTLINE_INGRESS=tc",
			 ifname, strerror(-ret));
		goto cleanup;
	}
	a->xdp_prog_id = xdp_program__id(prog);
	a->attached = true;
cleanup:
	if (prog && !libxdp_get_error(prog))
		xdp_program__close(prog);
	xdp_multiprog__close(mp);
	if (ret && a->xdp_obj) {
		bpf_object__close(a->xdp_obj);
		a->xdp_obj = NULL;
	}
	fl_netns_restore(saved);
	return ret;
}

/* Take the components with ids @ids out of the dispatcher on @ifindex. */
static int fl_xdpmp_remove(int ifindex, const __u32 *ids, int n)
{
	struct xdp_program *progs[FL_XDPMP_MAX];
	struct xdp_multiprog *mp;
	int i, k = 0, ret = 0;

	mp = fl_xdpmp_get(ifindex);
	if (!mp)
		return -ENOENT;
	for (i = 0; i < n && i < FL_XDPMP_MAX; i++) {
		progs[k] = xdp_program__from_id(ids[i]);
		if (libxdp_get_error(progs[k]))
			continue;	/* gone already */
		k++;
	}
	if (k)
		ret = xdp_program__detach_multi(progs, k, ifindex,
						xdp_multiprog__attach_mode(mp), 0);
	for (i = 0; i < k; i++)
		xdp_program__close(progs[i]);
	xdp_multiprog__close(mp);
	return ret;
}

int fl_xdpmp_detach(struct fl_attachment *a)
{
	int saved = -1, ret;

	if (!a->attached)
		return 0;
	ret = fl_netns_enter(a->ns, &saved);
	if (ret)
		return ret;
	ret = fl_xdpmp_remove(a->ifindex, &a->xdp_prog_id, 1);
	fl_netns_restore(saved);
	/* out already: the dispatcher went, or a cleanup took it out */
	if (ret == -ENOENT)
		ret = 0;
	if (ret)
		return ret;
	if (a->xdp_obj)
		bpf_object__close(a->xdp_obj);
	a->xdp_obj = NULL;
	a->attached = false;
	return 0;
}

void fl_xdpmp_cleanup_here(int *removed, int *errors)
{
	struct if_nameindex *ifs, *it;

	ifs = if_nameindex();
	if (!ifs)
		return;
	for (it = ifs; it->if_index; it++) {
		struct xdp_multiprog *mp = fl_xdpmp_get(it->if_index);
		struct xdp_program *p = NULL;
		__u32 ids[FL_XDPMP_MAX];
		int n = 0, ret;

		if (!mp)
			continue;
		while ((p = xdp_multiprog__next_prog(p, mp)) && n < FL_XDPMP_MAX)
			if (!strncmp(xdp_program__name(p), FL_PROG_PREFIX, strlen(FL_PROG_PREFIX)))
				ids[n++] = xdp_program__id(p);
		xdp_multiprog__close(mp);
		if (!n)
			continue;
		ret = fl_xdpmp_remove(it->if_index, ids, n);
		if (ret && ret != -ENOENT) {
			pr_warn("faultline cleanup: taking faultline's program out of libxdp's dispatcher on %s failed: %s\n",
				it->if_name, strerror(-ret));
			(*errors)++;
		} else {
			*removed += n;
		}
	}
	if_freenameindex(ifs);
}
