// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Experiment reports. Every timestamp comes from CLOCK_MONOTONIC (the
 * clock of bpf_ktime_get_ns()) and is converted to UTC with one offset
 * taken at the start, so that differences between them are exact.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "exp_report.h"
#include "report.h"
#include "timeline.h"
#include "timestamp.h"

const char *fl_exp_state_name(enum fl_exp_state s)
{
	switch (s) {
	case FL_EXP_PENDING:
		return "Pending";
	case FL_EXP_STARTED:
		return "Started";
	case FL_EXP_SUCCEEDED:
		return "Succeeded";
	case FL_EXP_FAILED:
		return "Failed";
	case FL_EXP_ABORTED:
		return "Aborted";
	case FL_EXP_ERROR:
		return "Error";
	}
	return "Error";
}

static const struct fl_mon_cond *fl_tripped(const struct fl_exp_result *r)
{
	return r->mon && r->mon->tripped >= 0 && r->mon->tripped < r->mon->n ?
	       &r->mon->conds[r->mon->tripped] : NULL;
}

/* One fault's counters, over every target it runs in. */
static void fl_exp_fault_totals(const struct fl_exp_result *r, int fault,
				struct fl_dir_totals tot[FL_DIR_MAX])
{
	struct fl_dir_totals one[FL_DIR_MAX];
	int tg, d;

	memset(tot, 0, sizeof(*tot) * FL_DIR_MAX);
	for (tg = 0; r->run && r->run->dp.skel && tg < r->run->spec.n_targets; tg++) {
		if (fl_dp_read_rule(&r->run->dp, fl_rule_id(tg, fault), one))
			continue;
		for (d = 0; d < FL_DIR_MAX; d++) {
			tot[d].matched += one[d].matched;
			tot[d].dropped += one[d].dropped;
			tot[d].delayed += one[d].delayed;
			tot[d].bytes += one[d].bytes;
		}
	}
}

/* The target a per-target condition's value is from, or NULL. */
static const char *fl_exp_cond_target(const struct fl_exp_result *r, const struct fl_mon_cond *mc)
{
	if (!mc->per_target || mc->worst < 0 || !r->run || mc->worst >= r->run->spec.n_targets)
		return NULL;
	return r->run->spec.targets[mc->worst].path;
}

/* "  <what> <RFC 3339 time>", or nothing for a time never reached */
static void fl_exp_text_ts(FILE *out, const struct fl_exp_result *r, const char *what, __u64 mono)
{
	char ts[FL_TIMESTAMP_LEN];

	if (mono && !fl_timestamp_format(mono, r->real_minus_mono, ts, sizeof(ts)))
		fprintf(out, "  %-12s %s\n", what, ts);
}

void fl_exp_report_text(FILE *out, const struct fl_exp_result *r)
{
	const struct fl_mon_cond *t = fl_tripped(r);
	int i, d;

	fprintf(out, "experiment %s: %s (%s)\n", r->exp->name, fl_exp_state_name(r->state), r->reason);
	if (r->start_ns)
		fprintf(out, "  ran %.3fs of %.1fs\n", (r->end_ns - r->start_ns) / 1e9,
			r->exp->duration_ns / 1e9);
	fl_exp_text_ts(out, r, "started", r->start_ns);
	if (t) {
		const char *tg = r->run && r->mon->trip_target >= 0 &&
				 r->mon->trip_target < r->run->spec.n_targets ?
				 r->run->spec.targets[r->mon->trip_target].path : NULL;

		fl_exp_text_ts(out, r, "tripped", r->mon->trip_ns);
		fprintf(out, "  %-12s %s: %s = %.6g, %s %.6g", "", t->c->name,
			fl_signal_name(t->c->signal), r->mon->trip_value, fl_cmp_name(t->c->cmp),
			t->c->threshold);
		if (t->c->window_ns)
			fprintf(out, " over %.1fs", t->c->window_ns / 1e9);
		if (tg)
			fprintf(out, ", target %s", tg);
		fprintf(out, "\n");
		fl_exp_text_ts(out, r, "faults off", r->disarmed_ns);
		fprintf(out, "  %-12s %.3f ms after the trip\n", "",
			(double)(r->disarmed_ns - r->mon->trip_ns) / 1e6);
		fl_exp_text_ts(out, r, "detached", r->detached_ns);
		fprintf(out, "  %-12s %.3f ms after the trip, %d link%s\n", "",
			(double)(r->detached_ns - r->mon->trip_ns) / 1e6, r->links,
			r->links == 1 ? "" : "s");
	} else {
		fl_exp_text_ts(out, r, "ended", r->detached_ns);
	}
	for (i = 0; i < r->exp->n_faults; i++) {
		struct fl_dir_totals tot[FL_DIR_MAX];

		fl_exp_fault_totals(r, i, tot);
		fprintf(out, "  fault %s:", r->exp->faults[i].name);
		for (d = FL_DIR_MAX - 1; d >= 0; d--)
			fprintf(out, "%s %s matched %llu, dropped %llu, delayed %llu",
				d == FL_DIR_MAX - 1 ? "" : " |", d == FL_DIR_EGRESS ? "egress" : "ingress",
				(unsigned long long)tot[d].matched, (unsigned long long)tot[d].dropped,
				(unsigned long long)tot[d].delayed);
		fprintf(out, "\n");
	}
	for (i = 0; r->mon && i < r->mon->n; i++) {
		const struct fl_mon_cond *mc = &r->mon->conds[i];
		const char *tg = fl_exp_cond_target(r, mc);

		fprintf(out, "  condition %-24s %-28s ", mc->c->name, fl_signal_name(mc->c->signal));
		if (mc->has_value)
			fprintf(out, "%.6g", mc->value);
		else
			fprintf(out, "no data");
		fprintf(out, " %s %.6g%s", fl_cmp_symbol(mc->c->cmp), mc->c->threshold,
			r->mon->tripped == i ? "  TRIPPED" : "");
		if (tg && r->run->spec.n_targets > 1)
			fprintf(out, "  (worst: %s)", tg);
		if (mc->n_errors)
			fprintf(out, "  %llu of %llu answers were errors, newest: %s",
				(unsigned long long)mc->n_errors, (unsigned long long)mc->n_answers,
				mc->error);
		fprintf(out, "\n");
	}
	for (i = 0; i < r->exp->n_probes; i++)
		fprintf(out, "  probe %s: %llu samples, %llu failed\n", r->exp->probes[i].name,
			(unsigned long long)r->probe_samples[i],
			(unsigned long long)r->probe_failures[i]);
	if (r->run && r->run->ev.flows) {
		struct fl_flow_entry top[5];
		size_t n = fl_flows_top(r->run->ev.flows, top, 5), k;

		for (k = 0; k < n; k++) {
			char l[64], p[64];

			fl_format_addr(&top[k].key.local, l, sizeof(l));
			fl_format_addr(&top[k].key.peer, p, sizeof(p));
			fprintf(out, "  flow %-7s %s:%u %s %s:%u packets %llu drops %llu delayed %llu\n",
				top[k].key.dir == FL_DIR_EGRESS ? "egress" : "ingress", l,
				top[k].key.local_port, top[k].key.dir == FL_DIR_EGRESS ? "->" : "<-", p,
				top[k].key.peer_port, (unsigned long long)top[k].packets,
				(unsigned long long)top[k].drops, (unsigned long long)top[k].delayed);
		}
	}
}

static json_object *fl_exp_json(const struct fl_exp_result *r)
{
	json_object *root = json_object_new_object(), *o, *arr;
	int i, d;

	json_object_object_add(root, "apiVersion", json_object_new_string(FL_EXP_API_VERSION));
	json_object_object_add(root, "kind", json_object_new_string("ExperimentReport"));
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(r->exp->name));
	json_object_object_add(root, "metadata", o);
	json_object_object_add(root, "state", json_object_new_string(fl_exp_state_name(r->state)));
	json_object_object_add(root, "reason", json_object_new_string(r->reason));
	json_object_object_add(root, "startedAt", fl_json_ts(r->start_ns, r->real_minus_mono));
	json_object_object_add(root, "endedAt", fl_json_ts(r->detached_ns, r->real_minus_mono));
	json_object_object_add(root, "duration_s", json_object_new_double(r->exp->duration_ns / 1e9));
	json_object_object_add(root, "elapsed_s",
			       json_object_new_double(r->start_ns ? (r->end_ns - r->start_ns) / 1e9 : 0));
	json_object_object_add(root, "failureReport",
			       fl_report_failure_json(r->mon, r->run ? &r->run->spec : NULL,
						      r->real_minus_mono, r->disarmed_ns,
						      r->detached_ns, r->links));

	arr = json_object_new_array();
	for (i = 0; i < r->exp->n_faults; i++) {
		struct fl_dir_totals tot[FL_DIR_MAX];

		fl_exp_fault_totals(r, i, tot);
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(r->exp->faults[i].name));
		for (d = 0; d < FL_DIR_MAX; d++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "matched", json_object_new_uint64(tot[d].matched));
			json_object_object_add(x, "dropped", json_object_new_uint64(tot[d].dropped));
			json_object_object_add(x, "delayed", json_object_new_uint64(tot[d].delayed));
			json_object_object_add(x, "bytes", json_object_new_uint64(tot[d].bytes));
			json_object_object_add(o, d == FL_DIR_INGRESS ? "ingress" : "egress", x);
		}
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "faults", arr);

	arr = json_object_new_array();
	for (i = 0; r->mon && i < r->mon->n; i++) {
		const struct fl_mon_cond *mc = &r->mon->conds[i];

		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(mc->c->name));
		json_object_object_add(o, "signal", json_object_new_string(fl_signal_name(mc->c->signal)));
		json_object_object_add(o, "operator", json_object_new_string(fl_cmp_name(mc->c->cmp)));
		json_object_object_add(o, "threshold", fl_json_num(mc->c->threshold));
		json_object_object_add(o, "window_s", json_object_new_double(mc->c->window_ns / 1e9));
		json_object_object_add(o, "value", mc->has_value ? fl_json_num(mc->value) :
							       json_object_new_null());
		json_object_object_add(o, "tripped", json_object_new_boolean(r->mon->tripped == i));
		if (mc->per_target) {
			const char *tg = fl_exp_cond_target(r, mc);

			json_object_object_add(o, "target", tg ? json_object_new_string(tg) :
							       json_object_new_null());
		}
		if (mc->c->signal == FL_SIG_PROMETHEUS) {
			json_object_object_add(o, "answers", json_object_new_uint64(mc->n_answers));
			json_object_object_add(o, "errors", json_object_new_uint64(mc->n_errors));
		}
		if (mc->error[0])
			json_object_object_add(o, "error", json_object_new_string(mc->error));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "conditions", arr);

	arr = json_object_new_array();
	for (i = 0; i < r->exp->n_probes; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(r->exp->probes[i].name));
		json_object_object_add(o, "samples", json_object_new_uint64(r->probe_samples[i]));
		json_object_object_add(o, "failures", json_object_new_uint64(r->probe_failures[i]));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "probes", arr);

	json_object_object_add(root, "attach", r->run ? fl_report_attach_json(r->run->att, r->run->n_att) :
							 json_object_new_array());

	o = json_object_new_object();
	json_object_object_add(o, "events", json_object_new_uint64(r->run ? r->run->ev.n_events : 0));
	json_object_object_add(o, "signals", json_object_new_uint64(r->run ? r->run->ev.n_signals : 0));
	json_object_object_add(o, "lost",
			       json_object_new_uint64(r->counters.stats[0].ringbuf_fail +
						      r->counters.stats[1].ringbuf_fail));
	json_object_object_add(root, "ringbuf", o);
	json_object_object_add(root, "drops_by_reason",
			       fl_report_drops_json(&r->counters, r->run ? r->run->fq_drops : 0));

	arr = json_object_new_array();
	if (r->run && r->run->ev.flows) {
		struct fl_flow_entry top[10];
		size_t n = fl_flows_top(r->run->ev.flows, top, 10), k;

		for (k = 0; k < n; k++) {
			char l[64], p[64];

			fl_format_addr(&top[k].key.local, l, sizeof(l));
			fl_format_addr(&top[k].key.peer, p, sizeof(p));
			o = json_object_new_object();
			json_object_object_add(o, "direction", json_object_new_string(
				top[k].key.dir == FL_DIR_EGRESS ? "egress" : "ingress"));
			json_object_object_add(o, "protocol", json_object_new_int(top[k].key.proto));
			json_object_object_add(o, "local", json_object_new_string(l));
			json_object_object_add(o, "local_port", json_object_new_int(top[k].key.local_port));
			json_object_object_add(o, "peer", json_object_new_string(p));
			json_object_object_add(o, "peer_port", json_object_new_int(top[k].key.peer_port));
			json_object_object_add(o, "packets", json_object_new_uint64(top[k].packets));
			json_object_object_add(o, "bytes", json_object_new_uint64(top[k].bytes));
			json_object_object_add(o, "drops", json_object_new_uint64(top[k].drops));
			json_object_object_add(o, "delayed", json_object_new_uint64(top[k].delayed));
			json_object_array_add(arr, o);
		}
	}
	json_object_object_add(root, "flows", arr);
	return root;
}

int fl_exp_report_json(FILE *out, const struct fl_exp_result *r)
{
	json_object *root = fl_exp_json(r);

	if (!root)
		return -ENOMEM;
	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

int fl_exp_report_dir(const char *dir, const struct fl_exp_result *r, char *err, size_t errlen)
{
	struct fl_tl_series series[FL_MON_MAX_CONDS];
	struct fl_tl tl = {};
	char started[FL_TIMESTAMP_LEN];
	char path[PATH_MAX];
	FILE *f;
	int i, ret;

	if (mkdir(dir, 0755) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "creating report directory %s failed: %s", dir, strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "%s/report.json", dir);
	f = fopen(path, "w");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "writing %s failed: %s", path, strerror(-ret));
		return ret;
	}
	fl_exp_report_json(f, r);
	fclose(f);

	memset(series, 0, sizeof(series));
	for (i = 0; r->mon && i < r->mon->n; i++) {
		const struct fl_mon_cond *mc = &r->mon->conds[i];

		series[i].name = mc->c->name;
		series[i].signal = fl_signal_name(mc->c->signal);
		series[i].op = fl_cmp_symbol(mc->c->cmp);
		series[i].threshold = mc->c->threshold;
		series[i].t_s = mc->t_s;
		series[i].v = mc->v;
		series[i].n = mc->n;
		series[i].tripped = r->mon->tripped == i;
		if (series[i].tripped) {
			series[i].trip_t_s = (r->mon->trip_ns - r->start_ns) / 1e9;
			series[i].trip_v = r->mon->trip_value;
		}
	}
	tl.title = r->exp->name;
	if (r->start_ns && !fl_timestamp_format(r->start_ns, r->real_minus_mono, started,
						 sizeof(started)))
		tl.started_at = started;
	tl.state = fl_exp_state_name(r->state);
	tl.fault_start_s = r->exp->n_faults ? 0 : -1;
	tl.fault_end_s = r->start_ns ? (r->disarmed_ns - r->start_ns) / 1e9 : 0;
	tl.duration_s = r->exp->duration_ns / 1e9;
	tl.series = series;
	tl.n_series = r->mon ? r->mon->n : 0;
	snprintf(path, sizeof(path), "%s/timeline.svg", dir);
	ret = fl_timeline_save(path, &tl);
	if (ret)
		snprintf(err, errlen, "writing %s failed: %s", path, strerror(-ret));
	return ret;
}
