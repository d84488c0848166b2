/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* libxdp's multi-program dispatcher: joining one that is already on an
 * interface, leaving it, and finding what a killed run left in one.
 */
#ifndef FL_XDPMP_H
#define FL_XDPMP_H

#include <stddef.h>
#include <linux/types.h>

#include "attach.h"
#include "datapath.h"

/* components in one dispatcher (libxdp's MAX_DISPATCHER_ACTIONS) */
#define FL_XDPMP_MAX	10

/* Is the XDP program on @ifindex (current namespace) libxdp's dispatcher,
 * with components this process can see (libxdp finds them through their
 * pins in bpffs)? 1 yes, 0 no.
 */
int fl_xdpmp_usable(int ifindex);
/* Add fl_xdp_in, loaded anew as a component sharing @dp's maps, to the
 * dispatcher on @ifname in @ns. @a's hook is FL_HOOK_XDP_DISPATCHER.
 */
int fl_xdpmp_attach(struct fl_attachment *a, const struct fl_netns *ns, const char *ifname,
		    const struct fl_datapath *dp, char *err, size_t errlen);
/* Take @a's component out; the others stay, in their order. */
int fl_xdpmp_detach(struct fl_attachment *a);
/* Take every component of faultline's (by its name prefix) out of the
 * dispatchers of the current namespace: a killed run's, which libxdp's
 * pins keep. Adds what it removed to @removed and failures to @errors.
 */
void fl_xdpmp_cleanup_here(int *removed, int *errors);

#endif /* FL_XDPMP_H */
