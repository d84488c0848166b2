/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Run state outside the kernel: a lock that runs share and cleanup takes
 * alone, and records of clsact qdiscs a run created (which, unlike links,
 * outlive a killed process).
 */
#ifndef FL_STATE_H
#define FL_STATE_H

#include <stdbool.h>
#include <sys/types.h>

/* root's run state; another uid's is its own (fl_state_dir) */
#define FL_STATE_DIR	"/run/faultline"
/* where a uid's runtime directory is when XDG_RUNTIME_DIR is not set
 * (systemd-logind's /run/user/UID); root's cleanup and stop look there
 */
#define FL_USER_RUNTIME_DIR	"/run/user"

/* This uid's run-state directory: FL_STATE_DIR for uid 0; for any other
 * uid $XDG_RUNTIME_DIR/faultline, else /run/user/UID/faultline, since a
 * uid with only the four capabilities (no CAP_DAC_OVERRIDE) cannot write
 * in root's. NULL when another uid has no runtime directory of its own,
 * with the reason from fl_state_dir_ready.
 */
const char *fl_state_dir(void);
/* Create this uid's run-state directory (0700) and check that it is a
 * directory of this uid that no one else may write, not a symlink: 0, or
 * a negative errno with what to do in @err.
 */
int fl_state_dir_ready(char *err, size_t errlen);
/* @fn on this uid's run-state directory and, for root, on every other
 * uid's under FL_USER_RUNTIME_DIR (a non-root run's); stops at the first
 * non-zero return and returns it. A directory root cannot open (no
 * CAP_DAC_OVERRIDE) is skipped.
 */
int fl_state_for_each_dir(int (*fn)(const char *dir, void *ctx), void *ctx);

/* 0 or -EWOULDBLOCK (@exclusive and a run holds it) or another -errno.
 * The lock is this uid's (fl_state_dir): a run takes it shared.
 */
int fl_state_lock(bool exclusive, int *fd);
/* Root's cleanup: the exclusive lock of the run-state directory @dir. */
int fl_state_lock_dir(const char *dir, bool exclusive, int *fd);
void fl_state_unlock(int fd);

struct fl_qdisc_saved;

/* A new record's number, unique in this process (a run's records). */
unsigned int fl_state_new_record(void);
int fl_state_record_clsact(unsigned int rec, ino_t netns_ino, dev_t netns_dev, int ifindex,
			   const char *ifname);
/* Record a root qdisc replaced by fq, so cleanup can put it back. */
int fl_state_record_qdisc(unsigned int rec, ino_t netns_ino, dev_t netns_dev, const char *ifname,
			  const struct fl_qdisc_saved *saved);
/* This run ended cleanly: its records are no longer needed. */
void fl_state_forget(unsigned int rec);
/* The same for a run of process @pid that is gone, whose objects another
 * process took over (an agent adopting a pinned experiment records them
 * anew under its own pid).
 */
void fl_state_forget_of(pid_t pid, unsigned int rec);

struct fl_state_visitor {
	int (*clsact)(ino_t ino, dev_t dev, int ifindex, const char *ifname, void *ctx);
	int (*qdisc)(ino_t ino, dev_t dev, const char *ifname, struct fl_qdisc_saved *saved,
		     void *ctx);
	/* optional: false for a namespace outside the caller's scope; its
	 * lines are kept for a later cleanup instead of being dropped
	 */
	bool (*in_scope)(ino_t ino, dev_t dev, void *ctx);
	void *ctx;
};

/* Visit what runs that are gone recorded (this uid's, and for root every
 * uid's, as fl_state_for_each_dir); the records are removed after, but for
 * the lines of namespaces outside the visitor's scope.
 */
int fl_state_for_each_stale(const struct fl_state_visitor *v);

#endif /* FL_STATE_H */
