/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Run state outside the kernel: a lock that runs share and cleanup takes
 * alone, and records of clsact qdiscs a run created (which, unlike links,
 * outlive a killed process).
 */
#ifndef FL_STATE_H
#define FL_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#define FL_STATE_DIR	"/run/faultline"

/* 0 or -EWOULDBLOCK (@exclusive and a run holds it) or another -errno. */
int fl_state_lock(bool exclusive, int *fd);
void fl_state_unlock(int fd);

int fl_state_record_clsact(ino_t netns_ino, dev_t netns_dev, int ifindex, const char *ifname);
void fl_state_forget_clsact(void);

/* Call @fn for each clsact recorded by a process that is gone; the records
 * are removed afterwards.
 */
int fl_state_for_each_stale_clsact(int (*fn)(ino_t ino, dev_t dev, int ifindex,
					     const char *ifname, void *ctx),
				   void *ctx);

#endif /* FL_STATE_H */
