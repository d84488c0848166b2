/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* An Experiment's status, computed without the API: one node's entry of
 * status.nodes[] and the overall summary that any agent derives from all
 * the entries it sees. The controller applies what these return.
 */
#ifndef FL_K8S_STATUS_H
#define FL_K8S_STATUS_H

#include <json-c/json.h>

#include "datapath.h"

/* A node's entry: node, phase, message (NULL: none), pods and
 * deferredPods (the values of the uid -> "NS/NAME" objects @pods and
 * @deferred, in their order; deferredPods only when not empty; NULL:
 * left out). A new object.
 */
json_object *fl_k8s_entry_new(const char *node, const char *phase, const char *message,
			      json_object *pods, json_object *deferred);
/* {matched, dropped, delayed} over both directions. */
json_object *fl_k8s_counters_new(const struct fl_dp_counters *c);

/* The overall phase of status.nodes[] @nodes: Failed if any entry failed
 * (*@failed: the first such entry), else Started while any runs (an
 * entry without a phase counts as running), else Error if any erred,
 * else Aborted if any was stopped, else Succeeded (every node that had
 * targets succeeded). NULL when there is no entry.
 */
const char *fl_k8s_overall_phase(json_object *nodes, json_object **failed);
/* The summary to apply over @status (the resource's status as seen):
 * phase, nodeCount, tripped {node, condition, at, message} from the
 * failed entry, and endedAt (@now) once the phase is terminal. NULL when
 * there is nothing to write: no entry yet, or the phase and nodeCount
 * written already say the same.
 */
json_object *fl_k8s_summary_new(json_object *status, const char *now);
/* Succeeded, Failed, Aborted or Error. */
bool fl_k8s_phase_terminal(const char *phase);

#endif /* FL_K8S_STATUS_H */
