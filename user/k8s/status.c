// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* An Experiment's status without the API (status.h). */
#include <stdbool.h>
#include <string.h>

#include "status.h"

static const char *fl_st_str(json_object *o, const char *key)
{
	json_object *x;

	if (!json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_string))
		return NULL;
	return json_object_get_string(x);
}

static json_object *fl_st_names(json_object *o)
{
	json_object *arr = json_object_new_array();

	json_object_object_foreach(o, uid, name) {
		(void)uid;
		json_object_array_add(arr, json_object_get(name));
	}
	return arr;
}

json_object *fl_k8s_entry_new(const char *node, const char *phase, const char *message,
			      json_object *pods, json_object *deferred)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "node", json_object_new_string(node));
	json_object_object_add(e, "phase", json_object_new_string(phase));
	if (message)
		json_object_object_add(e, "message", json_object_new_string(message));
	if (pods)
		json_object_object_add(e, "pods", fl_st_names(pods));
	if (deferred && json_object_object_length(deferred))
		json_object_object_add(e, "deferredPods", fl_st_names(deferred));
	return e;
}

json_object *fl_k8s_counters_new(const struct fl_dp_counters *c)
{
	json_object *o = json_object_new_object();
	__u64 m = 0, dr = 0, de = 0;
	int d;

	for (d = 0; d < FL_DIR_MAX; d++) {
		m += c->dir[d].matched;
		dr += c->dir[d].dropped;
		de += c->dir[d].delayed;
	}
	json_object_object_add(o, "matched", json_object_new_uint64(m));
	json_object_object_add(o, "dropped", json_object_new_uint64(dr));
	json_object_object_add(o, "delayed", json_object_new_uint64(de));
	return o;
}

bool fl_k8s_phase_terminal(const char *phase)
{
	return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed") ||
			 !strcmp(phase, "Aborted") || !strcmp(phase, "Error"));
}

const char *fl_k8s_overall_phase(json_object *nodes, json_object **failed)
{
	int n_run = 0, n_err = 0, n_abort = 0;
	size_t i, n = nodes && json_object_is_type(nodes, json_type_array) ?
		      json_object_array_length(nodes) : 0;

	*failed = NULL;
	if (!n)
		return NULL;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(nodes, i);
		const char *p = fl_st_str(e, "phase") ?: "Pending";

		if (!strcmp(p, "Failed")) {
			if (!*failed)
				*failed = e;
		} else if (!strcmp(p, "Error")) {
			n_err++;
		} else if (!strcmp(p, "Aborted")) {
			n_abort++;
		} else if (strcmp(p, "Succeeded")) {
			n_run++;
		}
	}
	return *failed ? "Failed" : n_run ? "Started" : n_err ? "Error" : n_abort ? "Aborted" :
	       "Succeeded";
}

json_object *fl_k8s_summary_new(json_object *status, const char *now)
{
	json_object *nodes = NULL, *failed, *cnt = NULL, *sum, *tr;
	const char *phase, *cur = fl_st_str(status, "phase");
	int n;

	json_object_object_get_ex(status, "nodes", &nodes);
	phase = fl_k8s_overall_phase(nodes, &failed);
	if (!phase)
		return NULL;
	n = json_object_array_length(nodes);
	json_object_object_get_ex(status, "nodeCount", &cnt);
	if (cur && !strcmp(cur, phase) && cnt && json_object_get_int(cnt) == n)
		return NULL;
	sum = json_object_new_object();
	json_object_object_add(sum, "phase", json_object_new_string(phase));
	json_object_object_add(sum, "nodeCount", json_object_new_int(n));
	if (failed) {
		static const char *const from[] = { "node", "tripped", "trippedAt", "message" };
		static const char *const to[] = { "node", "condition", "at", "message" };
		size_t i;

		tr = json_object_new_object();
		for (i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
			const char *v = fl_st_str(failed, from[i]);

			if (v || !i)
				json_object_object_add(tr, to[i], json_object_new_string(v ?: ""));
		}
		json_object_object_add(sum, "tripped", tr);
	}
	if (fl_k8s_phase_terminal(phase) && now)
		json_object_object_add(sum, "endedAt", json_object_new_string(now));
	return sum;
}
