/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The node agent: one process, one engine, many experiments started and
 * stopped independently, from the control socket (control.h) and the
 * spec directory (specdir.h), with metrics (metrics.h). Two experiments
 * whose targets overlap (the same cgroup, or one an ancestor of the
 * other) never run at once, nor two of one name.
 *
 * The agent prints nothing: it logs through pr_* and fl_log_exp, and
 * answers its clients on their sockets.
 */
#ifndef FL_AGENT_H
#define FL_AGENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FL_AGENT_PIN_DIR	"/sys/fs/bpf/faultline"
/* ended experiments kept for status, follow and metrics */
#define FL_AGENT_KEEP_ENDED	32

struct fl_agent_opts {
	const char *socket;	/* the control socket's path */
	const char *spec_dir;	/* NULL: none */
	const char *metrics_addr;	/* NULL: no metrics */
	const char *pin_dir;	/* this agent's bpffs directory, made 0700 */
	uid_t allow_uid;	/* besides root, a peer uid allowed; 0: root only */
	const char *cgroup_root;	/* where pods are looked for; NULL: the default */
	bool k8s;		/* Experiments from the Kubernetes API (controller.h) */
	const char *kubeconfig;	/* with k8s; NULL: in-cluster */
	const char *node_name;	/* with k8s: this node */
	bool adopt;		/* --on-restart adopt: take back what a previous
				 * agent pinned; else clean it away */
};

struct fl_agent;

/* Lock the pin directory and take back (adopt) or remove (clean) the
 * experiments a previous agent pinned there; listen, watch, serve
 * metrics; start what the spec directory holds. 0, or -errno with why in @err.
 */
int fl_agent_new(struct fl_agent **out, const struct fl_agent_opts *o, char *err, size_t errlen);
/* Serve until *@stop holds a signal number: then every experiment ends
 * as Aborted by it. A nonzero *@hup (cleared here) rereads the spec
 * directory. Returns 0 or -errno.
 */
int fl_agent_run(struct fl_agent *a, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup);
/* Clear every armed flag; async-signal-safe (a signal handler's first act). */
void fl_agent_disarm_all(struct fl_agent *a);
/* Stop anything left, close, and remove the socket file. */
void fl_agent_free(struct fl_agent *a);

#endif /* FL_AGENT_H */
