/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Run-time probes of what this kernel and machine offer. */
#ifndef FL_PROBE_H
#define FL_PROBE_H

/* 1 when the kernel has tcx links, 0 when not, negative on error. */
int fl_probe_tcx(void);
/* 1 when the kernel has the qdisc (built in, loaded or loadable), else 0. */
int fl_probe_qdisc(const char *kind);
/* 1 native XDP, 0 generic only, negative when it cannot be told. */
int fl_probe_xdp_native(const char *ifname);

#endif /* FL_PROBE_H */
