// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Experiments through the Kubernetes API (controller.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "client.h"
#include "common.h"
#include "controller.h"
#include "experiment.h"
#include "log.h"
#include "report.h"
#include "status.h"
#include "timestamp.h"
#include "watch.h"

#define FL_K8S_MAX_EXPS		FL_ENGINE_MAX_JOBS
#define FL_K8S_SUMMARY_MANAGER	"faultline-summary"

enum { FL_K8S_TAG_EXPS, FL_K8S_TAG_PODS };

enum fl_k8s_local {
	FL_K8S_NONE,		/* not started here (no target yet) */
	FL_K8S_RUNNING,
	FL_K8S_ENDED,		/* ended, or refused: never started again */
};

struct fl_k8s_exp {
	bool used;
	char uid[FL_POD_UID_MAX + 1];
	char ns[64], name[254];
	char job[FL_NAME_MAX];
	enum fl_k8s_local local;
	json_object *obj;	/* the newest Experiment seen */
	json_object *pods;	/* uid -> "NS/NAME": the pods targeted here now */
	json_object *deferred;	/* uid -> "NS/NAME": matching pods not targeted
				 * yet (not running, or their add failed) */
	json_object *entry;	/* this node's last status entry */
	__u64 next_status_ns;
};

struct fl_k8s_ctl {
	struct fl_k8s_opts o;
	char node[254];
	const struct fl_k8s_ops *ops;
	void *ctx;
	struct fl_k8s_client cl;
	struct fl_k8s_queue q;
	struct fl_k8s_watch w_exps, w_pods;
	json_object *pods;	/* this node's pods by uid */
	struct fl_k8s_exp exps[FL_K8S_MAX_EXPS];
	__s64 real_minus_mono;
	bool synced;		/* the first list of Experiments was taken */
};

/* ---- small JSON helpers ---- */

/* The string at @a.@b (@b may be NULL), or NULL. */
static const char *fl_js(json_object *o, const char *a, const char *b)
{
	json_object *x;

	if (!json_object_object_get_ex(o, a, &x))
		return NULL;
	if (b && !json_object_object_get_ex(x, b, &x))
		return NULL;
	return json_object_is_type(x, json_type_string) ? json_object_get_string(x) : NULL;
}

static json_object *fl_jo(json_object *o, const char *a)
{
	json_object *x;

	return json_object_object_get_ex(o, a, &x) ? x : NULL;
}

/* @a of @o when it is an object, or NULL: what the API sends is checked
 * before it is walked (json-c's object and array accessors assume the
 * type).
 */
static json_object *fl_jmap(json_object *o, const char *a)
{
	json_object *x = fl_jo(o, a);

	return json_object_is_type(x, json_type_object) ? x : NULL;
}

/* @a of @o when it is an array, or NULL. */
static json_object *fl_jarr(json_object *o, const char *a)
{
	json_object *x = fl_jo(o, a);

	return json_object_is_type(x, json_type_array) ? x : NULL;
}

static void fl_jadd_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *fl_k8s_now(void)
{
	char ts[FL_TIMESTAMP_LEN];

	fl_timestamp_format(fl_mono_ns(), fl_timestamp_offset(), ts, sizeof(ts));
	return json_object_new_string(ts);
}

/* ---- the experiment document ---- */

static bool fl_k8s_threshold_key(const char *k)
{
	return k && (!strcmp(k, "above") || !strcmp(k, "below") || !strcmp(k, "atLeast") ||
		     !strcmp(k, "atMost"));
}

/* A scalar that may be written plain: digits, letters, '.', '%', '-', '+'. */
static bool fl_k8s_plain_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789.%+-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", *s))
			return false;
	return true;
}

/* JSON as a YAML flow document, which fl_experiment_parse reads: strings
 * double-quoted, except a threshold's, which the file format wants plain
 * ("250ms", "95%").
 */
static void fl_k8s_yaml(FILE *f, json_object *o, const char *key)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		bool first = true;

		fputc('{', f);
		json_object_object_foreach(o, k, v) {
			json_object *ks = json_object_new_string(k);

			fputs(first ? "" : ", ", f);
			first = false;
			fputs(json_object_to_json_string_ext(ks, JSON_C_TO_STRING_NOSLASHESCAPE), f);
			json_object_put(ks);
			fputs(": ", f);
			fl_k8s_yaml(f, v, k);
		}
		fputc('}', f);
		break;
	}
	case json_type_array:
		fputc('[', f);
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (i)
				fputs(", ", f);
			fl_k8s_yaml(f, json_object_array_get_idx(o, i), NULL);
		}
		fputc(']', f);
		break;
	case json_type_string:
		if (fl_k8s_threshold_key(key) && fl_k8s_plain_ok(json_object_get_string(o)))
			fputs(json_object_get_string(o), f);
		else
			fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE), f);
		break;
	case json_type_null:
		fputs("null", f);
		break;
	default:
		fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), f);
		break;
	}
}

/* Does @pod run here and may it be targeted: not ended, not going. */
static bool fl_k8s_pod_live(json_object *pod)
{
	const char *phase = fl_js(pod, "status", "phase");
	json_object *md = fl_jo(pod, "metadata");

	if (fl_jo(md, "deletionTimestamp"))
		return false;
	return !phase || (strcmp(phase, "Succeeded") && strcmp(phase, "Failed"));
}

static bool fl_k8s_labels_match(json_object *pod, json_object *want)
{
	json_object *have = fl_jmap(fl_jo(pod, "metadata"), "labels");

	if (!want)
		return true;
	json_object_object_foreach(want, k, v) {
		const char *h = have ? fl_js(have, k, NULL) : NULL;

		if (!h || strcmp(h, json_object_get_string(v)))
			return false;
	}
	return true;
}

/* Add {pod: {uid}} to @targets. */
static void fl_k8s_add_pod(json_object *targets, const char *uid)
{
	json_object *t = json_object_new_object(), *p = json_object_new_object();

	fl_jadd_str(p, "uid", uid);
	json_object_object_add(t, "pod", p);
	json_object_array_add(targets, t);
}

/* The targets of @x on this node. pod and pods entries select the local
 * live pods: those Running go to *@running, the others (not started yet)
 * to *@waiting, each as uid -> "NS/NAME"; cgroup, pid and container
 * entries are returned as written (an array, maybe empty).
 */
static json_object *fl_k8s_targets(struct fl_k8s_ctl *k, struct fl_k8s_exp *x,
				   json_object **running, json_object **waiting)
{
	json_object *spec = fl_jo(x->obj, "spec"), *in = fl_jarr(spec, "targets");
	json_object *out = json_object_new_array();
	size_t i;

	*running = json_object_new_object();
	*waiting = json_object_new_object();
	for (i = 0; in && i < json_object_array_length(in); i++) {
		json_object *t = json_object_array_get_idx(in, i);
		json_object *sel = fl_jo(t, "pods"), *one = fl_jo(t, "pod");
		const char *ns = NULL, *name = NULL, *uid = NULL;

		if (sel) {
			ns = fl_js(sel, "namespace", NULL) ?: x->ns;
		} else if (one) {
			uid = fl_js(one, "uid", NULL);
			ns = fl_js(one, "namespace", NULL) ?: x->ns;
			name = fl_js(one, "name", NULL);
		} else {
			json_object_array_add(out, json_object_get(t));
			continue;
		}
		json_object_object_foreach(k->pods, puid, pod) {
			const char *phase = fl_js(pod, "status", "phase");
			char ref[320];

			if (!fl_k8s_pod_live(pod))
				continue;
			if (uid ? strcmp(puid, uid) :
			    (strcmp(fl_js(pod, "metadata", "namespace") ?: "", ns) ||
			     (name && strcmp(fl_js(pod, "metadata", "name") ?: "", name)) ||
			     (sel && !fl_k8s_labels_match(pod, fl_jmap(sel, "matchLabels")))))
				continue;
			snprintf(ref, sizeof(ref), "%s/%s", fl_js(pod, "metadata", "namespace") ?: "",
				 fl_js(pod, "metadata", "name") ?: "");
			/* its cgroup and processes exist once it runs */
			json_object_object_add(phase && !strcmp(phase, "Running") ? *running : *waiting,
					       puid, json_object_new_string(ref));
		}
	}
	return out;
}

/* ---- status ---- */

/* Apply @status to @x's status subresource as @manager. @rv: a
 * precondition (the version the status was computed from), or NULL.
 */
static int fl_k8s_apply_status(struct fl_k8s_ctl *k, struct fl_k8s_exp *x, const char *manager,
			       json_object *status, const char *rv)
{
	json_object *doc = json_object_new_object(), *md = json_object_new_object(), *resp = NULL;
	char path[1024], err[512] = "", *mgr;
	int ret;

	fl_jadd_str(doc, "apiVersion", "faultline.dev/v1alpha1");
	fl_jadd_str(doc, "kind", "Experiment");
	fl_jadd_str(md, "name", x->name);
	fl_jadd_str(md, "namespace", x->ns);
	if (rv)
		fl_jadd_str(md, "resourceVersion", rv);
	json_object_object_add(doc, "metadata", md);
	json_object_object_add(doc, "status", json_object_get(status));
	mgr = curl_easy_escape(NULL, manager, 0);
	snprintf(path, sizeof(path), FL_K8S_GROUP_PATH "/namespaces/%s/experiments/%s/status?fieldManager=%s&force=true",
		 x->ns, x->name, mgr ? mgr : "faultline");
	curl_free(mgr);
	ret = fl_k8s_request(&k->cl, "PATCH", path, "application/apply-patch+yaml",
			     json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE), &resp,
			     err, sizeof(err));
	if (ret == 409 && rv)
		ret = 0;	/* a newer version came: the watch brings it, and we judge again */
	else if (ret < 200 || ret > 299)
		fl_log_exp(FL_LOG_WARN, x->job, "writing the status failed: %s\n", err);
	else
		ret = 0;
	json_object_put(resp);
	json_object_put(doc);
	return ret;
}

/* Write this node's entry: @entry (taken). */
static void fl_k8s_put_entry(struct fl_k8s_ctl *k, struct fl_k8s_exp *x, json_object *entry)
{
	json_object *status = json_object_new_object(), *nodes = json_object_new_array();
	char mgr[300];

	json_object_put(x->entry);
	x->entry = entry;
	json_object_array_add(nodes, json_object_get(entry));
	json_object_object_add(status, "nodes", nodes);
	snprintf(mgr, sizeof(mgr), "faultline-node-%s", k->node);
	fl_k8s_apply_status(k, x, mgr, status, NULL);
	json_object_put(status);
}

static json_object *fl_k8s_entry(struct fl_k8s_ctl *k, struct fl_k8s_exp *x, const char *phase,
				 const char *message)
{
	return fl_k8s_entry_new(k->node, phase, message, x->pods, x->deferred);
}

/* A running job's entry, with its live counters and condition values. */
static void fl_k8s_put_running(struct fl_k8s_ctl *k, struct fl_k8s_exp *x)
{
	struct fl_job_status st;
	json_object *e, *conds;
	int i;

	/* a job taken back may have ended already: its end is written next */
	if (k->ops->status(k->ctx, x->job, &st) || st.state != FL_STATE_STARTED)
		return;
	e = fl_k8s_entry(k, x, "Started", NULL);
	if (x->entry && fl_jo(x->entry, "startedAt"))
		json_object_object_add(e, "startedAt",
				       json_object_get(fl_jo(x->entry, "startedAt")));
	json_object_object_add(e, "counters", fl_k8s_counters_new(&st.counters));
	conds = json_object_new_array();
	for (i = 0; i < st.n_conds; i++) {
		json_object *c = json_object_new_object();

		fl_jadd_str(c, "name", st.conds[i].name);
		json_object_object_add(c, "value", st.conds[i].has_value ?
				       fl_json_num(st.conds[i].value) : NULL);
		json_object_array_add(conds, c);
	}
	json_object_object_add(e, "conditions", conds);
	fl_k8s_put_entry(k, x, e);
}

/* The overall status (status.h), applied with the observed
 * resourceVersion as a precondition, only when it differs.
 */
static void fl_k8s_summary(struct fl_k8s_ctl *k, struct fl_k8s_exp *x)
{
	json_object *now = fl_k8s_now();
	json_object *sum = fl_k8s_summary_new(fl_jo(x->obj, "status"), json_object_get_string(now));

	if (sum)
		fl_k8s_apply_status(k, x, FL_K8S_SUMMARY_MANAGER, sum,
				    fl_js(x->obj, "metadata", "resourceVersion"));
	json_object_put(sum);
	json_object_put(now);
}

/* ---- experiments ---- */

static struct fl_k8s_exp *fl_k8s_find(struct fl_k8s_ctl *k, const char *uid)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(k->exps); i++)
		if (k->exps[i].used && !strcmp(k->exps[i].uid, uid))
			return &k->exps[i];
	return NULL;
}

static struct fl_k8s_exp *fl_k8s_find_job(struct fl_k8s_ctl *k, const char *job)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(k->exps); i++)
		if (k->exps[i].used && !strcmp(k->exps[i].job, job))
			return &k->exps[i];
	return NULL;
}

static void fl_k8s_exp_clear(struct fl_k8s_exp *x)
{
	json_object_put(x->obj);
	json_object_put(x->pods);
	json_object_put(x->deferred);
	json_object_put(x->entry);
	memset(x, 0, sizeof(*x));
}

char *fl_k8s_exp_yaml(json_object *exp, json_object *targets, const char *job)
{
	json_object *doc = json_object_new_object(), *md = json_object_new_object();
	json_object *spec = json_object_new_object(), *in = fl_jmap(exp, "spec");
	char *yaml = NULL;
	size_t len = 0;
	FILE *f;

	fl_jadd_str(doc, "apiVersion", FL_EXP_API_VERSION);
	fl_jadd_str(doc, "kind", FL_EXP_KIND);
	fl_jadd_str(md, "name", job);
	json_object_object_add(doc, "metadata", md);
	if (in) {
		json_object_object_foreach(in, key, val)
			json_object_object_add(spec, key, json_object_get(strcmp(key, "targets") ?
									   val : targets));
	}
	json_object_object_add(doc, "spec", spec);
	f = open_memstream(&yaml, &len);
	if (f) {
		fl_k8s_yaml(f, doc, NULL);
		if (fclose(f)) {
			free(yaml);
			yaml = NULL;
		}
	}
	json_object_put(doc);
	return yaml;
}

/* Start @x here with the targets it selects now; nothing when none. */
static void fl_k8s_start(struct fl_k8s_ctl *k, struct fl_k8s_exp *x)
{
	json_object *running, *waiting, *targets = fl_k8s_targets(k, x, &running, &waiting);
	char err[1024] = "", *yaml = NULL;
	int ret;

	json_object_object_foreach(running, uid, name) {
		(void)name;
		fl_k8s_add_pod(targets, uid);
	}
	if (!json_object_array_length(targets))
		goto cleanup;	/* no target here (yet): nothing is written */
	yaml = fl_k8s_exp_yaml(x->obj, targets, x->job);
	if (!yaml)
		goto cleanup;
	json_object_put(x->pods);
	json_object_put(x->deferred);
	x->pods = json_object_get(running);
	x->deferred = json_object_get(waiting);
	if (strlen(x->ns) + 1 + strlen(x->name) >= FL_NAME_MAX) {
		fl_set_err(err, sizeof(err), "%s.%s: the job name would exceed %d bytes; shorten the name",
			   x->ns, x->name, FL_NAME_MAX - 1);
		ret = -EINVAL;
	} else {
		ret = k->ops->start(k->ctx, yaml, err, sizeof(err));
	}
	if (ret) {
		json_object *e = fl_k8s_entry(k, x, "Error", err);

		x->local = FL_K8S_ENDED;
		fl_log_exp(FL_LOG_WARN, x->job, "not started: %s\n", err);
		json_object_object_add(e, "endedAt", fl_k8s_now());
		fl_k8s_put_entry(k, x, e);
		goto cleanup;
	}
	x->local = FL_K8S_RUNNING;
	fl_log_exp(FL_LOG_INFO, x->job, "started for Experiment %s/%s on %d pod(s)\n", x->ns,
		   x->name, json_object_object_length(running));
	{
		json_object *e = fl_k8s_entry(k, x, "Started", NULL);

		json_object_object_add(e, "startedAt", fl_k8s_now());
		fl_k8s_put_entry(k, x, e);
	}
	x->next_status_ns = fl_mono_ns() + FL_K8S_STATUS_NS;
cleanup:
	free(yaml);
	json_object_put(targets);
	json_object_put(running);
	json_object_put(waiting);
}

/* Bring a running job's pods in line with what @x selects now: a pod
 * that runs and matches is added, one that went (deleted, ended, no
 * longer matching) is taken out; a matching pod that does not run yet,
 * or whose add failed, waits in deferred and is tried again on the next
 * change. A container that restarts inside a targeted pod changes
 * nothing here: the target is the pod's cgroup, which holds the new
 * container's. Returns whether the node's entry changed.
 */
static bool fl_k8s_retarget(struct fl_k8s_ctl *k, struct fl_k8s_exp *x)
{
	json_object *running, *waiting, *t = fl_k8s_targets(k, x, &running, &waiting);
	/* @x's own references, handed over: put at the end */
	json_object *had = x->pods, *old_deferred = x->deferred;
	char err[1024];
	bool changed = false;
	int ret;

	x->pods = json_object_new_object();
	x->deferred = json_object_new_object();
	json_object_object_foreach(had, huid, hname) {
		/* a phase that is not Running any more (Unknown, when the
		 * kubelet cannot report) does not say the pod went
		 */
		if (json_object_object_get_ex(running, huid, NULL) ||
		    json_object_object_get_ex(waiting, huid, NULL)) {
			json_object_object_add(x->pods, huid, json_object_get(hname));
			continue;
		}
		changed = true;
		err[0] = 0;
		ret = k->ops->remove_pod(k->ctx, x->job, huid, err, sizeof(err));
		if (ret)
			fl_log_exp(FL_LOG_WARN, x->job, "pod %s went; taking it out: %s\n",
				   json_object_get_string(hname), err);
		else
			fl_log_exp(FL_LOG_INFO, x->job, "pod %s went: taken out of the experiment\n",
				   json_object_get_string(hname));
	}
	json_object_object_foreach(running, ruid, rname) {
		const char *n = json_object_get_string(rname);
		bool was_deferred = json_object_object_get_ex(old_deferred, ruid, NULL);

		if (json_object_object_get_ex(x->pods, ruid, NULL))
			continue;
		err[0] = 0;
		ret = k->ops->add_pod(k->ctx, x->job, ruid, err, sizeof(err));
		if (!ret) {
			fl_log_exp(FL_LOG_INFO, x->job, "pod %s matches: added to the experiment\n", n);
			json_object_object_add(x->pods, ruid, json_object_get(rname));
			changed = true;
			continue;
		}
		/* said once; tried again on the next change */
		if (!was_deferred) {
			fl_log_exp(FL_LOG_WARN, x->job, "pod %s matches but could not be added: %s\n",
				   n, err);
			changed = true;
		}
		json_object_object_add(x->deferred, ruid, json_object_get(rname));
	}
	json_object_object_foreach(waiting, wuid, wname) {
		if (json_object_object_get_ex(x->pods, wuid, NULL))
			continue;
		if (!json_object_object_get_ex(old_deferred, wuid, NULL)) {
			fl_log_exp(FL_LOG_INFO, x->job, "pod %s matches; added once it runs\n",
				   json_object_get_string(wname));
			changed = true;
		}
		json_object_object_add(x->deferred, wuid, json_object_get(wname));
	}
	/* a deferred pod that went, or no longer matches */
	json_object_object_foreach(old_deferred, duid, dname) {
		(void)dname;
		if (!json_object_object_get_ex(x->deferred, duid, NULL) &&
		    !json_object_object_get_ex(x->pods, duid, NULL))
			changed = true;
	}
	json_object_put(old_deferred);
	json_object_put(had);
	json_object_put(t);
	json_object_put(running);
	json_object_put(waiting);
	return changed;
}

/* Another node's entry Failed: its name, or NULL. */
static const char *fl_k8s_other_failed(struct fl_k8s_ctl *k, struct fl_k8s_exp *x)
{
	json_object *nodes = fl_jarr(fl_jo(x->obj, "status"), "nodes");
	size_t i;

	for (i = 0; nodes && i < json_object_array_length(nodes); i++) {
		json_object *e = json_object_array_get_idx(nodes, i);
		const char *n = fl_js(e, "node", NULL), *p = fl_js(e, "phase", NULL);

		if (n && p && strcmp(n, k->node) && !strcmp(p, "Failed"))
			return n;
	}
	return NULL;
}

/* This node's entry in @x's status, or NULL. */
static json_object *fl_k8s_own_entry(struct fl_k8s_ctl *k, struct fl_k8s_exp *x)
{
	json_object *nodes = fl_jarr(fl_jo(x->obj, "status"), "nodes");
	size_t i;

	for (i = 0; nodes && i < json_object_array_length(nodes); i++)
		if (!strcmp(fl_js(json_object_array_get_idx(nodes, i), "node", NULL) ?: "", k->node))
			return json_object_array_get_idx(nodes, i);
	return NULL;
}

/* This node has an entry already: an agent before this one ran @x here.
 * When a job of its name is here (taken back from the previous agent's
 * pins; the agent holds it until the first list, even if it has ended),
 * the entry is this agent's again and the job's end is written as any.
 * Otherwise it is never run twice, and an entry a dead agent left Started
 * is ended, so that the overall phase can end.
 */
static void fl_k8s_resume(struct fl_k8s_ctl *k, struct fl_k8s_exp *x, json_object *own)
{
	const char *phase = fl_js(own, "phase", NULL);
	struct fl_job_status st;
	json_object *e;

	x->local = FL_K8S_ENDED;
	json_object_put(x->pods);
	json_object_put(x->deferred);
	x->pods = json_object_new_object();
	x->deferred = json_object_new_object();
	if (!k->ops->status(k->ctx, x->job, &st)) {
		json_object *running, *waiting, *t = fl_k8s_targets(k, x, &running, &waiting);
		json_object *had = fl_jarr(own, "pods");
		size_t i;

		/* the job's pods are those its entry named that run now (uid ->
		 * NS/NAME, as for a job started here); the rest is retargeted
		 */
		json_object_object_foreach(running, ruid, rname) {
			for (i = 0; had && i < json_object_array_length(had); i++)
				if (!strcmp(json_object_get_string(json_object_array_get_idx(had, i)) ?: "",
					    json_object_get_string(rname) ?: ""))
					json_object_object_add(x->pods, ruid, json_object_get(rname));
		}
		json_object_put(t);
		json_object_put(running);
		json_object_put(waiting);
		x->local = FL_K8S_RUNNING;
		json_object_put(x->entry);
		x->entry = json_object_get(own);	/* its startedAt */
		x->next_status_ns = fl_mono_ns();
		fl_log_exp(FL_LOG_INFO, x->job, "Experiment %s/%s: taken back after the agent's restart\n",
			   x->ns, x->name);
		return;
	}
	if (fl_k8s_phase_terminal(phase))
		return;
	fl_log_exp(FL_LOG_WARN, x->job,
		   "Experiment %s/%s: this node's entry says %s, but no job of it runs here: ended as Aborted\n",
		   x->ns, x->name, phase ?: "nothing");
	e = fl_k8s_entry(k, x, "Aborted",
			 "the agent restarted and did not take it back (--on-restart clean, no bpffs pin directory, or it could not be: see the agent's log)");
	if (fl_jo(own, "startedAt"))
		json_object_object_add(e, "startedAt", json_object_get(fl_jo(own, "startedAt")));
	json_object_object_add(e, "endedAt", fl_k8s_now());
	fl_k8s_put_entry(k, x, e);
}

/* Act on what @x is now: stop on another node's failure, start when
 * targets appear, note pods that came late, and keep the summary.
 */
static void fl_k8s_reconcile(struct fl_k8s_ctl *k, struct fl_k8s_exp *x)
{
	const char *failed = fl_k8s_other_failed(k, x);
	const char *phase = fl_js(fl_jo(x->obj, "status"), "phase", NULL);

	if (x->local == FL_K8S_NONE && fl_k8s_own_entry(k, x))
		fl_k8s_resume(k, x, fl_k8s_own_entry(k, x));
	if (failed && x->local == FL_K8S_RUNNING) {
		fl_log_exp(FL_LOG_INFO, x->job, "node %s failed: stopping here\n", failed);
		k->ops->stop(k->ctx, x->job);
	} else if (x->local == FL_K8S_NONE && !failed && !fl_k8s_phase_terminal(phase)) {
		fl_k8s_start(k, x);
	} else if (x->local == FL_K8S_RUNNING) {
		if (fl_k8s_retarget(k, x))
			fl_k8s_put_running(k, x);
	}
	fl_k8s_summary(k, x);
}

static void fl_k8s_exp_gone(struct fl_k8s_ctl *k, struct fl_k8s_exp *x)
{
	if (x->local == FL_K8S_RUNNING) {
		fl_log_exp(FL_LOG_INFO, x->job, "Experiment %s/%s deleted: stopping\n", x->ns,
			   x->name);
		k->ops->stop(k->ctx, x->job);
	}
	fl_k8s_exp_clear(x);
}

static void fl_k8s_exp_event(struct fl_k8s_ctl *k, enum fl_k8s_ev_type t, json_object *obj)
{
	const char *uid = fl_js(obj, "metadata", "uid");
	struct fl_k8s_exp *x;
	size_t i;

	if (!uid)
		return;
	x = fl_k8s_find(k, uid);
	if (t == FL_K8S_DELETED || fl_jo(fl_jo(obj, "metadata"), "deletionTimestamp")) {
		if (x)
			fl_k8s_exp_gone(k, x);
		return;
	}
	if (!x) {
		for (i = 0; i < ARRAY_SIZE(k->exps) && k->exps[i].used; i++)
			;
		if (i == ARRAY_SIZE(k->exps)) {
			pr_warn("k8s: more than %d Experiments: %s ignored\n", FL_K8S_MAX_EXPS, uid);
			return;
		}
		x = &k->exps[i];
		x->used = true;
		snprintf(x->uid, sizeof(x->uid), "%s", uid);
		snprintf(x->ns, sizeof(x->ns), "%s", fl_js(obj, "metadata", "namespace") ?: "");
		snprintf(x->name, sizeof(x->name), "%s", fl_js(obj, "metadata", "name") ?: "");
		snprintf(x->job, sizeof(x->job), "%s.%s", fl_js(obj, "metadata", "namespace") ?: "",
			 fl_js(obj, "metadata", "name") ?: "");
	}
	json_object_put(x->obj);
	x->obj = json_object_get(obj);
	fl_k8s_reconcile(k, x);
}

static void fl_k8s_reconcile_all(struct fl_k8s_ctl *k)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(k->exps); i++)
		if (k->exps[i].used)
			fl_k8s_reconcile(k, &k->exps[i]);
}

static void fl_k8s_event(struct fl_k8s_ctl *k, struct fl_k8s_event *ev)
{
	size_t i, n;

	if (ev->tag == FL_K8S_TAG_PODS) {
		const char *uid;

		if (ev->type == FL_K8S_SYNC) {
			json_object_put(k->pods);
			k->pods = json_object_new_object();
			n = json_object_array_length(ev->obj);
			for (i = 0; i < n; i++) {
				json_object *p = json_object_array_get_idx(ev->obj, i);

				uid = fl_js(p, "metadata", "uid");
				if (uid)
					json_object_object_add(k->pods, uid, json_object_get(p));
			}
		} else {
			uid = fl_js(ev->obj, "metadata", "uid");
			if (!uid)
				return;
			if (ev->type == FL_K8S_DELETED)
				json_object_object_del(k->pods, uid);
			else
				json_object_object_add(k->pods, uid, json_object_get(ev->obj));
		}
		fl_k8s_reconcile_all(k);
		return;
	}
	if (ev->type != FL_K8S_SYNC) {
		fl_k8s_exp_event(k, ev->type, ev->obj);
		return;
	}
	/* a relist: what is no longer listed was deleted meanwhile */
	for (i = 0; i < ARRAY_SIZE(k->exps); i++) {
		struct fl_k8s_exp *x = &k->exps[i];
		size_t j;
		bool seen = false;

		if (!x->used)
			continue;
		n = json_object_array_length(ev->obj);
		for (j = 0; j < n && !seen; j++)
			seen = !strcmp(fl_js(json_object_array_get_idx(ev->obj, j), "metadata", "uid") ?: "",
				       x->uid);
		if (!seen)
			fl_k8s_exp_gone(k, x);
	}
	n = json_object_array_length(ev->obj);
	for (i = 0; i < n; i++)
		fl_k8s_exp_event(k, FL_K8S_MODIFIED, json_object_array_get_idx(ev->obj, i));
	k->synced = true;
}

bool fl_k8s_ctl_synced(const struct fl_k8s_ctl *k)
{
	return k->synced;
}

bool fl_k8s_ctl_owns(struct fl_k8s_ctl *k, const char *name)
{
	struct fl_k8s_exp *x = fl_k8s_find_job(k, name);

	return x && x->local == FL_K8S_RUNNING;
}

void fl_k8s_ctl_process(struct fl_k8s_ctl *k)
{
	struct fl_k8s_event *ev;

	while ((ev = fl_k8s_queue_pop(&k->q))) {
		fl_k8s_event(k, ev);
		fl_k8s_event_free(ev);
	}
}

void fl_k8s_ctl_tick(struct fl_k8s_ctl *k)
{
	__u64 now = fl_mono_ns();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(k->exps); i++) {
		struct fl_k8s_exp *x = &k->exps[i];

		if (!x->used || x->local != FL_K8S_RUNNING || now < x->next_status_ns)
			continue;
		x->next_status_ns = now + FL_K8S_STATUS_NS;
		/* a pod whose add failed (its processes not there yet) is
		 * tried again without waiting for it to change
		 */
		if (json_object_object_length(x->deferred))
			fl_k8s_retarget(k, x);
		fl_k8s_put_running(k, x);
	}
}

bool fl_k8s_ctl_ended(struct fl_k8s_ctl *k, const char *name, const struct fl_result *r,
		      json_object *report)
{
	struct fl_k8s_exp *x = fl_k8s_find_job(k, name);
	const char *failed;
	char msg[768];
	json_object *e;

	if (!x || x->local != FL_K8S_RUNNING)
		return false;
	x->local = FL_K8S_ENDED;
	failed = fl_k8s_other_failed(k, x);
	if (r->state == FL_STATE_ABORTED && failed)
		snprintf(msg, sizeof(msg), "stopped: node %s failed", failed);
	else
		snprintf(msg, sizeof(msg), "%s", r->reason);
	e = fl_k8s_entry(k, x, fl_state_name(r->state), msg);
	json_object_object_add(e, "counters", fl_k8s_counters_new(&r->counters));
	if (x->entry && fl_jo(x->entry, "startedAt"))
		json_object_object_add(e, "startedAt",
				       json_object_get(fl_jo(x->entry, "startedAt")));
	if (r->tripped >= 0) {
		fl_jadd_str(e, "tripped", r->conds[r->tripped].c.name);
		json_object_object_add(e, "trippedAt", fl_json_ts(r->trip_ns, r->real_minus_mono));
	}
	if (r->disarmed_ns)
		json_object_object_add(e, "disarmedAt",
				       fl_json_ts(r->disarmed_ns, r->real_minus_mono));
	json_object_object_add(e, "endedAt", fl_json_ts(r->end_ns, r->real_minus_mono));
	if (report)
		json_object_object_add(e, "report", json_object_get(report));
	fl_k8s_put_entry(k, x, e);
	return true;
}

/* ---- life ---- */

int fl_k8s_ctl_new(struct fl_k8s_ctl **out, const struct fl_k8s_opts *o,
		   const struct fl_k8s_ops *ops, void *ctx, char *err, size_t errlen)
{
	struct fl_k8s_cfg cfg;
	struct fl_k8s_ctl *k;
	char *sel;
	int ret;

	*out = NULL;
	if (!o->node || !*o->node || strlen(o->node) >= sizeof(k->node)) {
		fl_set_err(err, errlen, "the Kubernetes API needs this node's name: --node-name or NODE_NAME");
		return -EINVAL;
	}
	ret = o->kubeconfig ? fl_k8s_cfg_load(o->kubeconfig, &cfg, err, errlen) :
		fl_k8s_cfg_in_cluster(&cfg, err, errlen);
	if (ret)
		return ret;
	k = calloc(1, sizeof(*k));
	if (!k) {
		fl_k8s_cfg_free(&cfg);
		return -ENOMEM;
	}
	k->q.efd = -1;
	k->o = *o;
	snprintf(k->node, sizeof(k->node), "%s", o->node);
	k->ops = ops;
	k->ctx = ctx;
	k->pods = json_object_new_object();
	ret = fl_k8s_client_init(&k->cl, &cfg);
	if (!ret)
		ret = fl_k8s_queue_init(&k->q);
	if (ret)
		goto fail;
	k->w_exps = (struct fl_k8s_watch){ .cl = &k->cl, .q = &k->q, .tag = FL_K8S_TAG_EXPS };
	snprintf(k->w_exps.path, sizeof(k->w_exps.path), FL_K8S_GROUP_PATH "/experiments");
	k->w_pods = (struct fl_k8s_watch){ .cl = &k->cl, .q = &k->q, .tag = FL_K8S_TAG_PODS };
	snprintf(k->w_pods.path, sizeof(k->w_pods.path), "/api/v1/pods");
	sel = curl_easy_escape(NULL, k->node, 0);
	snprintf(k->w_pods.query, sizeof(k->w_pods.query), "fieldSelector=spec.nodeName%%3D%s",
		 sel ? sel : "");
	curl_free(sel);
	ret = fl_k8s_watch_start(&k->w_pods);
	if (!ret)
		ret = fl_k8s_watch_start(&k->w_exps);
	if (ret)
		goto fail;
	pr_info("k8s: node %s: watching Experiments and this node's pods at %s\n", k->node,
		k->cl.cfg.server);
	*out = k;
	return 0;
fail:
	fl_set_err(err, errlen, "k8s: %s", strerror(-ret));
	fl_k8s_ctl_free(k);
	return ret;
}

int fl_k8s_ctl_fd(const struct fl_k8s_ctl *k)
{
	return k->q.efd;
}

void fl_k8s_ctl_free(struct fl_k8s_ctl *k)
{
	size_t i;

	if (!k)
		return;
	fl_k8s_watch_stop(&k->w_exps);
	fl_k8s_watch_stop(&k->w_pods);
	fl_k8s_queue_free(&k->q);
	for (i = 0; i < ARRAY_SIZE(k->exps); i++)
		fl_k8s_exp_clear(&k->exps[i]);
	json_object_put(k->pods);
	fl_k8s_client_free(&k->cl);
	free(k);
}
