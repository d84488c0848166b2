// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Rendering the one result (see report.h). Every timestamp is a
 * CLOCK_MONOTONIC time (the clock of bpf_ktime_get_ns()) converted to UTC
 * with one offset taken at the start, so differences between them are exact.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <json-c/json.h>

#include "experiment.h"
#include "parse.h"
#include "report.h"
#include "timeline.h"
#include "timestamp.h"

static const char *fl_dir_name(int dir)
{
	return dir == FL_DIR_INGRESS ? "ingress" : "egress";
}

static const char *fl_dirm_name(__u32 m)
{
	return m == FL_DIRM_BOTH ? "both" : m == FL_DIRM_INGRESS ? "ingress" : "egress";
}

static const char *fl_end_name(__u32 reason)
{
	switch (reason) {
	case FL_END_FIN:
		return "fin";
	case FL_END_RST:
		return "rst";
	case FL_END_IDLE:
		return "idle";
	}
	return "";
}

static __u64 fl_lost(const struct fl_dp_counters *c)
{
	return c->stats[FL_DIR_INGRESS].ringbuf_fail + c->stats[FL_DIR_EGRESS].ringbuf_fail;
}

static const char *fl_target_path(const struct fl_result *r, int t)
{
	return t >= 0 && t < r->n_targets ? r->targets[t].path : NULL;
}

/* ---- status line ---- */

void fl_report_status(FILE *out, bool tty, const struct fl_job_status *st)
{
	const struct fl_dir_totals *in = &st->counters.dir[FL_DIR_INGRESS];
	const struct fl_dir_totals *eg = &st->counters.dir[FL_DIR_EGRESS];
	int i;

	fprintf(out, "%s[%.0fs/%.0fs] %s | egress matched %llu dropped %llu | ingress matched %llu dropped %llu | flows %zu, ringbuf lost %llu",
		tty ? "\r\033[K" : "", st->elapsed_s, st->duration_s, st->name,
		(unsigned long long)eg->matched, (unsigned long long)eg->dropped,
		(unsigned long long)in->matched, (unsigned long long)in->dropped, st->flows,
		(unsigned long long)fl_lost(&st->counters));
	for (i = 0; i < st->n_conds; i++) {
		if (st->conds[i].has_value)
			fprintf(out, " | %s %.4g (trips %s %.4g)", st->conds[i].name,
				st->conds[i].value, st->conds[i].op, st->conds[i].threshold);
		else
			fprintf(out, " | %s (no data)", st->conds[i].name);
	}
	fprintf(out, "%s", tty ? "" : "\n");
	fflush(out);
}

/* ---- text ---- */

/* "  <what> <RFC 3339 time>", or nothing for a time never reached */
static void fl_text_ts(FILE *out, const struct fl_result *r, const char *what, __u64 mono)
{
	char ts[FL_TIMESTAMP_LEN];

	if (mono && !fl_timestamp_format(mono, r->real_minus_mono, ts, sizeof(ts)))
		fprintf(out, "  %-12s %s\n", what, ts);
}

static void fl_text_flow(FILE *out, const struct fl_flow_entry *f)
{
	char local[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];
	const struct fl_flow_key *k = &f->key;
	const char *arrow = k->dir == FL_DIR_EGRESS ? "->" : "<-";

	fl_format_addr(&k->local, local, sizeof(local));
	fl_format_addr(&k->peer, peer, sizeof(peer));
	if (k->proto == FL_PROTO_ICMP || k->proto == FL_PROTO_ICMPV6)
		fprintf(out, "    %-7s %-6s %s %s %s type %u id %u  packets %llu drops %llu delayed %llu\n",
			fl_dir_name(k->dir), fl_proto_name(k->proto), local, arrow, peer,
			k->peer_port >> 8, k->local_port, (unsigned long long)f->packets,
			(unsigned long long)f->drops, (unsigned long long)f->delayed);
	else
		fprintf(out, "    %-7s %-6s %s:%u %s %s:%u  packets %llu drops %llu delayed %llu\n",
			fl_dir_name(k->dir), fl_proto_name(k->proto), local, k->local_port, arrow,
			peer, k->peer_port, (unsigned long long)f->packets,
			(unsigned long long)f->drops, (unsigned long long)f->delayed);
}

void fl_report_text(FILE *out, const struct fl_result *r)
{
	const struct fl_result_cond *t = r->tripped >= 0 && r->tripped < r->n_conds ?
					 &r->conds[r->tripped] : NULL;
	int i, d;

	fprintf(out, "experiment %s: %s (%s)\n", r->name, fl_state_name(r->state), r->reason);
	if (r->start_ns)
		fprintf(out, "  ran %.3fs of %.1fs\n", (r->end_ns - r->start_ns) / 1e9,
			r->duration_ns / 1e9);
	fl_text_ts(out, r, "started", r->start_ns);
	if (t) {
		const char *tg = fl_target_path(r, r->trip_target);

		fl_text_ts(out, r, "tripped", r->trip_ns);
		fprintf(out, "  %-12s %s: %s = %.6g, %s %.6g", "", t->c.name,
			fl_signal_name(t->c.signal), r->trip_value, fl_cmp_name(t->c.cmp),
			t->c.threshold);
		if (t->c.window_ns)
			fprintf(out, " over %.1fs", t->c.window_ns / 1e9);
		if (tg)
			fprintf(out, ", target %s", tg);
		fprintf(out, "\n");
		fl_text_ts(out, r, "faults off", r->disarmed_ns);
		fprintf(out, "  %-12s %.3f ms after the trip, %s\n", "",
			(double)(__s64)(r->disarmed_ns - r->trip_ns) / 1e6,
			t->kernel ? "by the kernel's breaker" : "by the loader");
		fl_text_ts(out, r, "detached", r->detached_ns);
		fprintf(out, "  %-12s %.3f ms after the trip, %d link%s\n", "",
			(double)(__s64)(r->detached_ns - r->trip_ns) / 1e6, r->links,
			r->links == 1 ? "" : "s");
	} else {
		fl_text_ts(out, r, "ended", r->detached_ns);
	}
	for (i = 0; i < r->n_faults; i++) {
		const struct fl_result_fault *f = &r->faults[i];

		fprintf(out, "  fault %s:", f->f.name);
		for (d = FL_DIR_MAX - 1; d >= 0; d--) {
			fprintf(out, "%s %s matched %llu, dropped %llu, delayed %llu",
				d == FL_DIR_MAX - 1 ? "" : " |", fl_dir_name(d),
				(unsigned long long)f->tot[d].matched,
				(unsigned long long)f->tot[d].dropped,
				(unsigned long long)f->tot[d].delayed);
			if (f->f.has_duplicate)
				fprintf(out, ", duplicated %llu",
					(unsigned long long)f->tot[d].duplicated);
			if (f->f.has_reject)
				fprintf(out, ", rejected %llu",
					(unsigned long long)f->tot[d].rejected);
			if (f->f.has_dns)
				fprintf(out, ", dns queries %llu",
					(unsigned long long)f->tot[d].dns);
			if (f->f.has_corrupt)
				fprintf(out, ", corrupted %llu",
					(unsigned long long)f->tot[d].corrupted);
		}
		fprintf(out, "\n");
	}
	for (i = 0; i < r->n_conds; i++) {
		const struct fl_result_cond *c = &r->conds[i];
		const char *tg = fl_target_path(r, c->target);

		fprintf(out, "  condition %-24s %-28s ", c->c.name, fl_signal_name(c->c.signal));
		if (c->has_value)
			fprintf(out, "%.6g", c->value);
		else
			fprintf(out, "no data");
		fprintf(out, " %s %.6g%s", fl_cmp_symbol(c->c.cmp), c->c.threshold,
			c->tripped ? "  TRIPPED" : "");
		if (tg && r->n_targets > 1)
			fprintf(out, "  (worst: %s)", tg);
		if (c->n_errors)
			fprintf(out, "  %llu of %llu answers were errors, newest: %s",
				(unsigned long long)c->n_errors, (unsigned long long)c->n_answers,
				c->error);
		fprintf(out, "\n");
	}
	for (i = 0; i < r->n_probes; i++)
		fprintf(out, "  probe %s: %llu samples, %llu failed\n", r->probes[i].name,
			(unsigned long long)r->probes[i].samples,
			(unsigned long long)r->probes[i].failures);
	for (i = 0; i < r->n_shared; i++) {
		const struct fl_result_shared *x = &r->shared[i];

		fprintf(out, "  netns %s: shared from %+.3fs on (pid %u%s), ingress decided at the targets' sockets\n",
			x->netns, r->start_ns ? ((double)(__s64)(x->at_ns - r->start_ns)) / 1e9 : 0,
			x->pid, x->by_scan ? ", found at the start" : ", opened a socket");
	}
	for (d = 0; d < FL_DIR_MAX; d++) {
		const struct fl_dir_totals *x = &r->counters.dir[d];
		const struct fl_stats *s = &r->counters.stats[d];

		fprintf(out, "  %-7s target packets %llu, matched %llu, dropped %llu (%.2f%%), bytes %llu\n",
			fl_dir_name(d), (unsigned long long)s->target_packets,
			(unsigned long long)x->matched, (unsigned long long)x->dropped,
			x->matched ? 100.0 * x->dropped / x->matched : 0.0,
			(unsigned long long)s->target_bytes);
	}
	for (i = 0; i < r->n_targets && r->n_targets > 1; i++)
		fprintf(out, "  target %s: egress dropped %llu, ingress dropped %llu%s%s\n",
			r->targets[i].path,
			(unsigned long long)r->targets[i].tot[FL_DIR_EGRESS].dropped,
			(unsigned long long)r->targets[i].tot[FL_DIR_INGRESS].dropped,
			r->targets[i].added ? " (added while it ran)" : "",
			r->targets[i].removed ? " (removed while it ran)" : "");
	fprintf(out, "  ringbuf: %llu records, %llu lost\n", (unsigned long long)r->rb_events,
		(unsigned long long)fl_lost(&r->counters));
	if (!r->n_top)
		return;
	fprintf(out, "  top flows by drops:\n");
	for (i = 0; i < r->n_top; i++)
		fl_text_flow(out, &r->top[i]);
}

/* ---- JSON ---- */

json_object *fl_json_ts(__u64 mono_ns, __s64 real_minus_mono)
{
	char ts[FL_TIMESTAMP_LEN];

	if (!mono_ns || fl_timestamp_format(mono_ns, real_minus_mono, ts, sizeof(ts)))
		return json_object_new_null();
	return json_object_new_string(ts);
}

json_object *fl_json_num(double v)
{
	return isfinite(v) ? json_object_new_double(v) : json_object_new_null();
}

static json_object *fl_json_totals(const struct fl_dir_totals *x, const struct fl_stats *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "seen", json_object_new_uint64(s ? s->target_packets : x->seen));
	json_object_object_add(o, "matched", json_object_new_uint64(x->matched));
	json_object_object_add(o, "dropped", json_object_new_uint64(x->dropped));
	json_object_object_add(o, "delayed", json_object_new_uint64(x->delayed));
	json_object_object_add(o, "duplicated", json_object_new_uint64(x->duplicated));
	json_object_object_add(o, "rejected", json_object_new_uint64(x->rejected));
	json_object_object_add(o, "dns_queries", json_object_new_uint64(x->dns));
	json_object_object_add(o, "corrupted", json_object_new_uint64(x->corrupted));
	json_object_object_add(o, "bytes", json_object_new_uint64(s ? s->target_bytes : x->bytes));
	return o;
}

/* "198.18.0.0/24" (one formatter: fl_format_cidr) */
static json_object *fl_json_cidr(const struct fl_cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];

	fl_format_cidr(c, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static json_object *fl_json_fault(const struct fl_result_fault *rf)
{
	static const char *const dists[FL_DIST_MAX] = { "uniform", "normal", "pareto",
							 "paretonormal" };
	const struct fl_fault *f = &rf->f;
	json_object *o = json_object_new_object(), *arr, *x;
		int i, d;

	json_object_object_add(o, "name", json_object_new_string(f->name));
	json_object_object_add(o, "direction", json_object_new_string(fl_dirm_name(fl_fault_dirs(f))));
	json_object_object_add(o, "protocol", json_object_new_string(fl_proto_name(f->proto)));
	arr = json_object_new_array();
	for (i = 0; i < f->n_peers; i++)
		json_object_array_add(arr, fl_json_cidr(&f->peers[i]));
	json_object_object_add(o, "peers", arr);
	if (f->has_partition) {
		arr = json_object_new_array();
		for (i = 0; i < f->n_part_peers; i++)
			json_object_array_add(arr, fl_json_cidr(&f->part_peers[i]));
		x = json_object_new_object();
		json_object_object_add(x, "peers", arr);
		json_object_object_add(o, "partition", x);
	}
	arr = json_object_new_array();
	for (i = 0; i < f->n_ports; i++)
		json_object_array_add(arr, json_object_new_int(f->ports[i]));
	json_object_object_add(o, "ports", arr);
	if (f->has_drop)
		json_object_object_add(o, "drop_percent", json_object_new_double(f->drop_pct));
	json_object_object_add(o, "scope", json_object_new_string(
		f->scope == FL_SCOPE_CONNECTIONS ? "connections" : "packets"));
	if (f->has_duplicate)
		json_object_object_add(o, "duplicate_percent", json_object_new_double(f->dup_pct));
	if (f->has_reject) {
		x = json_object_new_object();
		json_object_object_add(x, "percent", json_object_new_double(f->reject_pct));
		json_object_object_add(x, "with", json_object_new_string(
			fl_reject_with_name(f->reject_with)));
		json_object_object_add(o, "reject", x);
	}
	if (f->has_corrupt) {
		json_object_object_add(o, "corrupt_percent", json_object_new_double(f->corrupt_pct));
		json_object_object_add(o, "corrupt_fix_checksum",
				       json_object_new_boolean(f->corrupt_fix));
	}
	if (f->has_loss) {
		double p, r, lg, lb;

		/* the model as it runs, whichever form was given */
		fl_fault_loss_model(f, &p, &r, &lg, &lb);
		x = json_object_new_object();
		json_object_object_add(x, "p_percent", json_object_new_double(p * 100));
		json_object_object_add(x, "r_percent", json_object_new_double(r * 100));
		json_object_object_add(x, "loss_good_percent", json_object_new_double(lg * 100));
		json_object_object_add(x, "loss_bad_percent", json_object_new_double(lb * 100));
		json_object_object_add(x, "per", json_object_new_string(
			f->loss_per == FL_LOSS_PER_FAULT ? "fault" : "flow"));
		json_object_object_add(o, "loss", x);
	}
	if (f->has_delay) {
		x = json_object_new_object();
		json_object_object_add(x, "time_ns", json_object_new_uint64(f->delay_ns));
		json_object_object_add(x, "jitter_ns", json_object_new_uint64(f->jitter_ns));
		json_object_object_add(x, "distribution",
				       json_object_new_string(f->dist < FL_DIST_MAX ? dists[f->dist] : "?"));
		json_object_object_add(x, "correlation", json_object_new_int(f->correlation));
		json_object_object_add(x, "reorder", json_object_new_boolean(f->reorder));
		json_object_object_add(x, "percent", json_object_new_double(
			f->has_delay_pct ? f->delay_pct : f->has_rate_pct ? f->rate_pct : 100));
		json_object_object_add(o, "delay", x);
	}
	if (f->has_dns) {
		x = json_object_new_object();
		arr = json_object_new_array();
		for (i = 0; i < f->n_dns_names; i++)
			json_object_array_add(arr, json_object_new_string(f->dns_names[i]));
		json_object_object_add(x, "names", arr);
		json_object_object_add(x, "action",
				       json_object_new_string(fl_dns_action_name(f->dns_action)));
		if (f->dns_action == FL_DNS_ACT_DELAY)
			json_object_object_add(x, "delay_ns", json_object_new_uint64(f->dns_delay_ns));
		json_object_object_add(o, "dns", x);
	}
	if (f->has_rate) {
		x = json_object_new_object();
		json_object_object_add(x, f->rate_unit == FL_RATE_PPS ? "packets_per_s" : "bits_per_s",
				       json_object_new_uint64(f->rate));
		json_object_object_add(x, "per", json_object_new_string(
			f->rate_per == FL_RATE_PER_FLOW ? "flow" : "target"));
		json_object_object_add(x, "percent", json_object_new_double(
			f->has_rate_pct ? f->rate_pct : f->has_delay_pct ? f->delay_pct : 100));
		json_object_object_add(o, "rate", x);
	}
	for (d = 0; d < FL_DIR_MAX; d++)
		json_object_object_add(o, fl_dir_name(d), fl_json_totals(&rf->tot[d], NULL));
	return o;
}

static json_object *fl_json_failure(const struct fl_result *r)
{
	const struct fl_condition *c;
	const char *tg;
	json_object *o;

	if (r->tripped < 0 || r->tripped >= r->n_conds)
		return json_object_new_null();
	c = &r->conds[r->tripped].c;
	tg = fl_target_path(r, r->trip_target);
	o = json_object_new_object();
	json_object_object_add(o, "condition", json_object_new_string(c->name));
	json_object_object_add(o, "signal", json_object_new_string(fl_signal_name(c->signal)));
	json_object_object_add(o, "value", fl_json_num(r->trip_value));
	json_object_object_add(o, "threshold", fl_json_num(c->threshold));
	json_object_object_add(o, "operator", json_object_new_string(fl_cmp_name(c->cmp)));
	json_object_object_add(o, "window_s", json_object_new_double(c->window_ns / 1e9));
	json_object_object_add(o, "target", tg ? json_object_new_string(tg) : json_object_new_null());
	json_object_object_add(o, "judgedIn", json_object_new_string(r->conds[r->tripped].kernel ?
								     "kernel" : "userspace"));
	json_object_object_add(o, "trippedAt", fl_json_ts(r->trip_ns, r->real_minus_mono));
	json_object_object_add(o, "disarmedAt", fl_json_ts(r->disarmed_ns, r->real_minus_mono));
	json_object_object_add(o, "detachedAt", fl_json_ts(r->detached_ns, r->real_minus_mono));
	json_object_object_add(o, "disarm_latency_ns",
			       json_object_new_int64((__s64)(r->disarmed_ns - r->trip_ns)));
	json_object_object_add(o, "detach_latency_ns",
			       json_object_new_int64((__s64)(r->detached_ns - r->trip_ns)));
	json_object_object_add(o, "links", json_object_new_int(r->links));
	return o;
}

static json_object *fl_json_cond(const struct fl_result *r, const struct fl_result_cond *c)
{
	json_object *o = json_object_new_object();
	const char *tg = fl_target_path(r, c->target);

	json_object_object_add(o, "name", json_object_new_string(c->c.name));
	json_object_object_add(o, "signal", json_object_new_string(fl_signal_name(c->c.signal)));
	json_object_object_add(o, "operator", json_object_new_string(fl_cmp_name(c->c.cmp)));
	json_object_object_add(o, "threshold", fl_json_num(c->c.threshold));
	json_object_object_add(o, "window_s", json_object_new_double(c->c.window_ns / 1e9));
	json_object_object_add(o, "value", c->has_value ? fl_json_num(c->value) :
							 json_object_new_null());
	json_object_object_add(o, "tripped", json_object_new_boolean(c->tripped));
	json_object_object_add(o, "judgedIn",
			       json_object_new_string(c->kernel ? "kernel" : "userspace"));
	if (c->per_target)
		json_object_object_add(o, "target", tg ? json_object_new_string(tg) :
						       json_object_new_null());
	if (c->c.signal == FL_SIG_PROMETHEUS) {
		json_object_object_add(o, "answers", json_object_new_uint64(c->n_answers));
		json_object_object_add(o, "errors", json_object_new_uint64(c->n_errors));
		if (c->error[0])
			json_object_object_add(o, "error", json_object_new_string(c->error));
	}
	return o;
}

static json_object *fl_json_drops(const struct fl_result *r)
{
	static const char *const names[] = {
		[FL_DROP_FAULT] = "fault",
		[FL_DROP_HORIZON] = "horizon",
		[FL_DROP_CLONE] = "clone_failed",
		[FL_DROP_RATE_QUEUE] = "rate_queue",
		[FL_DROP_REJECT] = "reject_unanswered",
	};
	const struct fl_dp_counters *c = &r->counters;
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		json_object_object_add(o, names[i],
				       json_object_new_uint64(c->stats[0].drop_reason[i] +
							      c->stats[1].drop_reason[i]));
	json_object_object_add(o, "fq", json_object_new_uint64(r->fq_drops));
	return o;
}

static json_object *fl_json_attach(const struct fl_result_attach *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "hook", json_object_new_string(fl_hook_name(a->hook)));
	if (fl_hook_is_cgroup(a->hook)) {
		json_object_object_add(o, "cgroup", json_object_new_string(a->cgroup));
	} else {
		json_object_object_add(o, "netns", json_object_new_string(a->netns));
		json_object_object_add(o, "iface", json_object_new_string(a->iface));
		json_object_object_add(o, "ifindex", json_object_new_int(a->ifindex));
	}
	return o;
}

static json_object *fl_json_flow(const struct fl_flow_entry *f)
{
	char l[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN];
	json_object *o = json_object_new_object();

	fl_format_addr(&f->key.local, l, sizeof(l));
	fl_format_addr(&f->key.peer, p, sizeof(p));
	json_object_object_add(o, "direction", json_object_new_string(fl_dir_name(f->key.dir)));
	json_object_object_add(o, "protocol", json_object_new_string(fl_proto_name(f->key.proto)));
	json_object_object_add(o, "local", json_object_new_string(l));
	json_object_object_add(o, "local_port", json_object_new_int(f->key.local_port));
	json_object_object_add(o, "peer", json_object_new_string(p));
	json_object_object_add(o, "peer_port", json_object_new_int(f->key.peer_port));
	json_object_object_add(o, "cgroup_id", json_object_new_uint64(f->cgroup_id));
	json_object_object_add(o, "packets", json_object_new_uint64(f->packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(f->bytes));
	json_object_object_add(o, "drops", json_object_new_uint64(f->drops));
	json_object_object_add(o, "delayed", json_object_new_uint64(f->delayed));
	if (f->ended)
		json_object_object_add(o, "ended", json_object_new_string(fl_end_name(f->end_reason)));
	return o;
}

json_object *fl_report_json_object(const struct fl_result *r)
{
	json_object *root = json_object_new_object(), *o, *arr;
	int i, d;

	if (!root)
		return NULL;
	json_object_object_add(root, "apiVersion", json_object_new_string(FL_EXP_API_VERSION));
	json_object_object_add(root, "kind", json_object_new_string("ExperimentReport"));
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(root, "metadata", o);
	json_object_object_add(root, "faultline", json_object_new_string(FL_VERSION));
	json_object_object_add(root, "state", json_object_new_string(fl_state_name(r->state)));
	json_object_object_add(root, "reason", json_object_new_string(r->reason));
	json_object_object_add(root, "startedAt", fl_json_ts(r->start_ns, r->real_minus_mono));
	json_object_object_add(root, "endedAt", fl_json_ts(r->detached_ns, r->real_minus_mono));
	json_object_object_add(root, "duration_s", json_object_new_double(r->duration_ns / 1e9));
	json_object_object_add(root, "elapsed_s",
			       json_object_new_double(r->start_ns ? (r->end_ns - r->start_ns) / 1e9 : 0));
	json_object_object_add(root, "failureReport", fl_json_failure(r));

	arr = json_object_new_array();
	for (i = 0; i < r->n_faults; i++)
		json_object_array_add(arr, fl_json_fault(&r->faults[i]));
	json_object_object_add(root, "faults", arr);
	arr = json_object_new_array();
	for (i = 0; i < r->n_conds; i++)
		json_object_array_add(arr, fl_json_cond(r, &r->conds[i]));
	json_object_object_add(root, "conditions", arr);
	arr = json_object_new_array();
	for (i = 0; i < r->n_probes; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(r->probes[i].name));
		json_object_object_add(o, "samples", json_object_new_uint64(r->probes[i].samples));
		json_object_object_add(o, "failures", json_object_new_uint64(r->probes[i].failures));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "probes", arr);

	arr = json_object_new_array();
	for (i = 0; i < r->n_targets; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(r->targets[i].kind));
		json_object_object_add(o, "ref", json_object_new_string(r->targets[i].ref));
		json_object_object_add(o, "cgroup", json_object_new_string(r->targets[i].path));
		json_object_object_add(o, "cgroup_id", json_object_new_uint64(r->targets[i].cgid));
		if (r->targets[i].added)
			json_object_object_add(o, "added", json_object_new_boolean(true));
		if (r->targets[i].removed)
			json_object_object_add(o, "removed", json_object_new_boolean(true));
		for (d = 0; d < FL_DIR_MAX; d++)
			json_object_object_add(o, fl_dir_name(d),
					       fl_json_totals(&r->targets[i].tot[d], NULL));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "targets", arr);
	arr = json_object_new_array();
	for (i = 0; i < r->n_att; i++)
		json_object_array_add(arr, fl_json_attach(&r->att[i]));
	json_object_object_add(root, "attach", arr);
	arr = json_object_new_array();
	for (i = 0; i < r->n_shared; i++) {
		const struct fl_result_shared *x = &r->shared[i];

		o = json_object_new_object();
		json_object_object_add(o, "netns", json_object_new_string(x->netns));
		json_object_object_add(o, "sharedAt", fl_json_ts(x->at_ns, r->real_minus_mono));
		json_object_object_add(o, "pid", json_object_new_int64(x->pid));
		json_object_object_add(o, "cgroup_id", json_object_new_uint64(x->cgroup_id));
		json_object_object_add(o, "foundBy",
				       json_object_new_string(x->by_scan ? "scan" : "socket"));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "sharedNamespaces", arr);
	o = json_object_new_object();
	for (d = 0; d < FL_DIR_MAX; d++)
		json_object_object_add(o, fl_dir_name(d),
				       fl_json_totals(&r->counters.dir[d], &r->counters.stats[d]));
	json_object_object_add(root, "totals", o);
	json_object_object_add(root, "drops_by_reason", fl_json_drops(r));
	o = json_object_new_object();
	json_object_object_add(o, "passed_after_deadline",
			       json_object_new_uint64(r->counters.stats[0].passed_disarmed +
						      r->counters.stats[1].passed_disarmed));
	json_object_object_add(o, "passed_unparsed",
			       json_object_new_uint64(r->counters.stats[0].parse_skipped +
						      r->counters.stats[1].parse_skipped));
	json_object_object_add(root, "kernel", o);
	o = json_object_new_object();
	json_object_object_add(o, "events", json_object_new_uint64(r->rb_events));
	json_object_object_add(o, "signals", json_object_new_uint64(r->rb_signals));
	json_object_object_add(o, "lost", json_object_new_uint64(fl_lost(&r->counters)));
	json_object_object_add(o, "bad", json_object_new_uint64(r->rb_bad));
	json_object_object_add(root, "ringbuf", o);
	arr = json_object_new_array();
	for (i = 0; i < r->n_top; i++)
		json_object_array_add(arr, fl_json_flow(&r->top[i]));
	json_object_object_add(root, "flows", arr);
	return root;
}

int fl_report_json(FILE *out, const struct fl_result *r)
{
	json_object *root = fl_report_json_object(r);

	if (!root)
		return -ENOMEM;
	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}

/* ---- report directory ---- */

int fl_report_dir(const char *dir, const struct fl_result *r, char *err, size_t errlen)
{
	struct fl_tl_series *series;
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
	ret = fl_report_json(f, r);
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret) {
		snprintf(err, errlen, "writing %s failed: %s", path, strerror(-ret));
		return ret;
	}

	series = calloc(r->n_conds ? r->n_conds : 1, sizeof(*series));
	if (!series) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < r->n_conds; i++) {
		const struct fl_result_cond *c = &r->conds[i];

		series[i].name = c->c.name;
		series[i].signal = fl_signal_name(c->c.signal);
		series[i].op = fl_cmp_symbol(c->c.cmp);
		series[i].threshold = c->c.threshold;
		series[i].t_s = c->t_s;
		series[i].v = c->v;
		series[i].n = c->n;
		series[i].tripped = c->tripped;
		if (c->tripped) {
			series[i].trip_t_s = (r->trip_ns - r->start_ns) / 1e9;
			series[i].trip_v = r->trip_value;
		}
	}
	tl.title = r->name;
	if (r->start_ns && !fl_timestamp_format(r->start_ns, r->real_minus_mono, started,
						 sizeof(started)))
		tl.started_at = started;
	tl.state = fl_state_name(r->state);
	tl.fault_start_s = r->n_faults ? 0 : -1;
	tl.fault_end_s = r->start_ns ? (r->disarmed_ns - r->start_ns) / 1e9 : 0;
	tl.duration_s = r->duration_ns / 1e9;
	tl.series = series;
	tl.n_series = r->n_conds;
	snprintf(path, sizeof(path), "%s/timeline.svg", dir);
	ret = fl_timeline_save(path, &tl);
	if (ret)
		snprintf(err, errlen, "writing %s failed: %s", path, strerror(-ret));
	free(series);
	return ret;
}
