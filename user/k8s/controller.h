/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's Kubernetes side: Experiments (all namespaces) and the pods
 * of this node are listed and watched (watch.h); each Experiment whose
 * targets select a pod here runs as one job of the agent's engine, and
 * its node's entry in status.nodes[] is written by server-side apply
 * (field manager "faultline-node-NODE"), besides the overall phase.
 *
 * The engine is the agent's: this side asks the agent to start and stop
 * through @ops, from the main loop only (fl_k8s_ctl_process and
 * fl_k8s_ctl_tick run there, when the queue's fd is readable and each
 * tick), and hears of an end through fl_k8s_ctl_ended.
 *
 * The job of Experiment NAME in namespace NS is called "NS.NAME".
 */
#ifndef FL_K8S_CONTROLLER_H
#define FL_K8S_CONTROLLER_H

#include <stddef.h>
#include <json-c/json.h>

#include "engine.h"

#define FL_K8S_GROUP_PATH	"/apis/faultline.dev/v1alpha1"
#define FL_K8S_STATUS_NS	NSEC_PER_SEC	/* a running node's counters */

struct fl_k8s_ops {
	/* Start an experiment document (YAML); 0, or -errno with why in @err. */
	int (*start)(void *ctx, const char *yaml, char *err, size_t errlen);
	/* Stop the running job @name (its end comes through fl_k8s_ctl_ended). */
	void (*stop)(void *ctx, const char *name);
	/* A running job's live view: 0, or -ENOENT. */
	int (*status)(void *ctx, const char *name, struct fl_job_status *st);
	/* Add the pod @uid to, or take it out of, the running job @name:
	 * 0, or -errno with why in @err.
	 */
	int (*add_pod)(void *ctx, const char *name, const char *uid, char *err, size_t errlen);
	int (*remove_pod)(void *ctx, const char *name, const char *uid, char *err, size_t errlen);
};

struct fl_k8s_opts {
	const char *kubeconfig;	/* NULL: in-cluster */
	const char *node;	/* this node's name */
};

struct fl_k8s_ctl;

/* The experiment document an Experiment @exp runs as here: its spec as a
 * YAML flow document for fl_experiment_parse, with @targets (the ones
 * selected on this node) in place of spec.targets and @job as its name.
 * A new string (the caller frees it), or NULL when out of memory.
 */
char *fl_k8s_exp_yaml(json_object *exp, json_object *targets, const char *job);

/* Read the config and start the watches. 0, or -errno with why in @err. */
int fl_k8s_ctl_new(struct fl_k8s_ctl **out, const struct fl_k8s_opts *o,
		   const struct fl_k8s_ops *ops, void *ctx, char *err, size_t errlen);
/* Readable while watch events wait. */
int fl_k8s_ctl_fd(const struct fl_k8s_ctl *k);
/* Take every waiting event and act on it. */
void fl_k8s_ctl_process(struct fl_k8s_ctl *k);
/* Every loop turn: the running jobs' counters, once a second. */
void fl_k8s_ctl_tick(struct fl_k8s_ctl *k);
/* The job @name ended with @r (its JSON report @report). Returns true when
 * it was one of ours.
 */
bool fl_k8s_ctl_ended(struct fl_k8s_ctl *k, const char *name, const struct fl_result *r,
		      json_object *report);
/* The first list of Experiments has been taken: from then on a job the
 * controller does not own has no Experiment.
 */
bool fl_k8s_ctl_synced(const struct fl_k8s_ctl *k);
/* Is the job @name an Experiment's that runs here (taken back included)? */
bool fl_k8s_ctl_owns(struct fl_k8s_ctl *k, const char *name);
void fl_k8s_ctl_free(struct fl_k8s_ctl *k);

#endif /* FL_K8S_CONTROLLER_H */
