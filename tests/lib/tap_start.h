/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The common start of a BPF_PROG_TEST_RUN test program: a TAP skip
 * without root; otherwise the TAP header, a cgroup of its own and the
 * datapath's entry points loaded, or a "Bail out!" line.
 */
#ifndef FL_TEST_TAP_START_H
#define FL_TEST_TAP_START_H

#include "fixture.h"
#include "tap.h"

/* 0, or 1 after a "Bail out!" line: the caller returns it from main(). */
static inline int fx_tap_start(struct fx *f, const char *cg_prefix, unsigned int progs)
{
	int rc;

	if (geteuid())
		tap_skip_all("needs root (BPF_PROG_TEST_RUN and a cgroup of its own)");
	tap_header();
	rc = fx_cg_setup(cg_prefix);
	if (rc) {
		printf("Bail out! cgroup setup under %s failed: %s\n", cg_prefix, strerror(-rc));
		return 1;
	}
	rc = fx_open(f, progs);
	if (rc) {
		printf("Bail out! loading the datapath failed: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}

#endif /* FL_TEST_TAP_START_H */
