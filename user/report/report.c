// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Status line, text summary and JSON report of an inject run. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <json-c/json.h>

#include "parse.h"
#include "report.h"
#include "timestamp.h"

static const char *fl_dir_name(int dir)
{
	return dir == FL_DIR_INGRESS ? "ingress" : "egress";
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

void fl_report_status(FILE *out, bool tty, double elapsed_s, double duration_s,
		      const struct fl_dp_counters *c, const struct fl_events *ev)
{
	const struct fl_dir_totals *in = &c->dir[FL_DIR_INGRESS], *eg = &c->dir[FL_DIR_EGRESS];

	fprintf(out,
		"%s[%.0fs/%.0fs] egress matched %llu dropped %llu | ingress matched %llu dropped %llu | flows %zu, ringbuf lost %llu%s",
		tty ? "\r\033[K" : "", elapsed_s, duration_s,
		(unsigned long long)eg->matched, (unsigned long long)eg->dropped,
		(unsigned long long)in->matched, (unsigned long long)in->dropped,
		ev ? fl_flows_count(ev->flows) : 0, (unsigned long long)fl_lost(c),
		tty ? "" : "\n");
	fflush(out);
}

static void fl_flow_endpoints(const struct fl_flow_entry *f, char *local, char *peer, size_t len)
{
	fl_format_addr(&f->key.local, local, len);
	fl_format_addr(&f->key.peer, peer, len);
}

void fl_report_text(FILE *out, const struct fl_report *r)
{
	struct fl_flow_entry top[FL_REPORT_TOP_FLOWS];
	size_t n, i;
	int d, t;

	fprintf(out, "faultline: %s after %.1fs (%s%s%s)\n", r->state, r->elapsed_s, r->reason,
		r->signo ? ", " : "", r->signo ? strsignal(r->signo) : "");
	if (r->mon && r->mon->tripped >= 0) {
		const struct fl_mon_cond *mc = &r->mon->conds[r->mon->tripped];
		char ts[FL_TIMESTAMP_LEN];

		fl_timestamp_format(r->mon->trip_ns, r->real_minus_mono, ts, sizeof(ts));
		fprintf(out, "  --abort-if '%s' tripped at %s: %s = %.6g\n", mc->c->name, ts,
			fl_signal_name(mc->c->signal), r->mon->trip_value);
		fprintf(out, "  faults off %.3f ms after the trip, everything detached after %.3f ms\n",
			(double)(__s64)(r->disarmed_ns - r->mon->trip_ns) / 1e6,
			(double)(__s64)(r->detached_ns - r->mon->trip_ns) / 1e6);
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
	for (t = 0; t < r->spec->n_targets && r->spec->n_targets > 1; t++)
		fprintf(out, "  target %s: egress dropped %llu, ingress dropped %llu\n",
			r->spec->targets[t].path,
			(unsigned long long)r->per_target[t][FL_DIR_EGRESS].dropped,
			(unsigned long long)r->per_target[t][FL_DIR_INGRESS].dropped);
	fprintf(out, "  ringbuf: %llu records, %llu lost\n",
		(unsigned long long)(r->ev ? r->ev->n_events : 0),
		(unsigned long long)fl_lost(&r->counters));
	if (!r->ev)
		return;
	n = fl_flows_top(r->ev->flows, top, FL_REPORT_TOP_FLOWS);
	if (!n)
		return;
	fprintf(out, "  top flows by drops:\n");
	for (i = 0; i < n; i++) {
		char local[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];

		const struct fl_flow_key *k = &top[i].key;
		const char *arrow = k->dir == FL_DIR_EGRESS ? "->" : "<-";

		fl_flow_endpoints(&top[i], local, peer, sizeof(local));
		if (k->proto == FL_PROTO_ICMP || k->proto == FL_PROTO_ICMPV6)
			fprintf(out, "    %-7s %-6s %s %s %s type %u id %u  packets %llu drops %llu\n",
				fl_dir_name(k->dir), fl_proto_name(k->proto), local, arrow, peer,
				k->peer_port >> 8, k->local_port,
				(unsigned long long)top[i].packets, (unsigned long long)top[i].drops);
		else
			fprintf(out, "    %-7s %-6s %s:%u %s %s:%u  packets %llu drops %llu\n",
				fl_dir_name(k->dir), fl_proto_name(k->proto), local, k->local_port,
				arrow, peer, k->peer_port,
				(unsigned long long)top[i].packets, (unsigned long long)top[i].drops);
	}
}

static json_object *fl_json_totals(const struct fl_dir_totals *x, const struct fl_stats *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "seen", json_object_new_uint64(s ? s->target_packets : x->seen));
	json_object_object_add(o, "matched", json_object_new_uint64(x->matched));
	json_object_object_add(o, "dropped", json_object_new_uint64(x->dropped));
	json_object_object_add(o, "bytes", json_object_new_uint64(s ? s->target_bytes : x->bytes));
	return o;
}

static json_object *fl_json_fault(const struct fl_spec *spec)
{
	const struct fl_fault *r = &spec->rules[0];
	json_object *o = json_object_new_object(), *peers, *ports;
	char buf[INET6_ADDRSTRLEN + 8];
	int i;

	json_object_object_add(o, "drop_percent", json_object_new_double(r->drop_pct));
	json_object_object_add(o, "direction",
			       json_object_new_string(r->dir_mask == FL_DIRM_BOTH ? "both" :
						      r->dir_mask == FL_DIRM_INGRESS ? "ingress" :
						      "egress"));
	json_object_object_add(o, "protocol", json_object_new_string(fl_proto_name(r->proto)));
	peers = json_object_new_array();
	for (i = 0; i < r->n_peers; i++) {
		size_t l;

		fl_format_addr(&r->peers[i].addr, buf, sizeof(buf) - 5);
		l = strlen(buf);
		snprintf(buf + l, sizeof(buf) - l, "/%u", r->peers[i].prefixlen);
		json_object_array_add(peers, json_object_new_string(buf));
	}
	json_object_object_add(o, "peers", peers);
	ports = json_object_new_array();
	for (i = 0; i < r->n_ports; i++)
		json_object_array_add(ports, json_object_new_int(r->ports[i]));
	json_object_object_add(o, "ports", ports);
	return o;
}

json_object *fl_report_drops_json(const struct fl_dp_counters *c, __u64 fq_drops)
{
	static const char *const names[] = {
		[FL_DROP_FAULT] = "fault",
		[FL_DROP_HORIZON] = "horizon",
		[FL_DROP_CLONE] = "clone_failed",
		[FL_DROP_RATE_QUEUE] = "rate_queue",
	};
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		json_object_object_add(o, names[i],
				       json_object_new_uint64(c->stats[0].drop_reason[i] +
							      c->stats[1].drop_reason[i]));
	json_object_object_add(o, "fq", json_object_new_uint64(fq_drops));
	return o;
}

json_object *fl_report_attach_json(const struct fl_attachment *att, int n)
{
	json_object *arr = json_object_new_array(), *o;
	int i;

	for (i = 0; i < n; i++) {
		const struct fl_attachment *a = &att[i];

		o = json_object_new_object();
		json_object_object_add(o, "hook", json_object_new_string(fl_hook_name(a->hook)));
		if (a->hook == FL_HOOK_CGROUP_INGRESS) {
			json_object_object_add(o, "cgroup", json_object_new_string(a->cgroup));
		} else {
			json_object_object_add(o, "netns", json_object_new_string(a->ns->path));
			json_object_object_add(o, "iface", json_object_new_string(a->ifname));
			json_object_object_add(o, "ifindex", json_object_new_int(a->ifindex));
		}
		json_object_array_add(arr, o);
	}
	return arr;
}

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

json_object *fl_report_failure_json(const struct fl_monitor *mon, const struct fl_spec *spec,
				    __s64 real_minus_mono, __u64 disarmed_ns,
				    __u64 detached_ns, int links)
{
	const struct fl_condition *c;
	json_object *o;

	if (!mon || mon->tripped < 0 || mon->tripped >= mon->n)
		return json_object_new_null();
	c = mon->conds[mon->tripped].c;
	o = json_object_new_object();
	json_object_object_add(o, "condition", json_object_new_string(c->name));
	json_object_object_add(o, "signal", json_object_new_string(fl_signal_name(c->signal)));
	json_object_object_add(o, "value", fl_json_num(mon->trip_value));
	json_object_object_add(o, "threshold", fl_json_num(c->threshold));
	json_object_object_add(o, "operator", json_object_new_string(fl_cmp_name(c->cmp)));
	json_object_object_add(o, "window_s", json_object_new_double(c->window_ns / 1e9));
	json_object_object_add(o, "target",
			       spec && mon->trip_target >= 0 && mon->trip_target < spec->n_targets ?
			       json_object_new_string(spec->targets[mon->trip_target].path) :
			       json_object_new_null());
	json_object_object_add(o, "trippedAt", fl_json_ts(mon->trip_ns, real_minus_mono));
	json_object_object_add(o, "disarmedAt", fl_json_ts(disarmed_ns, real_minus_mono));
	json_object_object_add(o, "detachedAt", fl_json_ts(detached_ns, real_minus_mono));
	json_object_object_add(o, "disarm_latency_ns",
			       json_object_new_int64((__s64)(disarmed_ns - mon->trip_ns)));
	json_object_object_add(o, "detach_latency_ns",
			       json_object_new_int64((__s64)(detached_ns - mon->trip_ns)));
	json_object_object_add(o, "links", json_object_new_int(links));
	return o;
}

int fl_report_json(FILE *out, const struct fl_report *r)
{
	struct fl_flow_entry top[FL_REPORT_TOP_FLOWS];
	json_object *root, *arr, *o, *tot;
	size_t n, i;
	int d, t;

	root = json_object_new_object();
	if (!root)
		return -ENOMEM;
	json_object_object_add(root, "faultline", json_object_new_string(FL_VERSION));
	json_object_object_add(root, "state", json_object_new_string(r->state));
	json_object_object_add(root, "reason", json_object_new_string(r->reason));
	if (r->signo)
		json_object_object_add(root, "signal", json_object_new_string(sigabbrev_np(r->signo)));
	json_object_object_add(root, "startedAt", fl_json_ts(r->start_ns, r->real_minus_mono));
	json_object_object_add(root, "endedAt", fl_json_ts(r->detached_ns, r->real_minus_mono));
	json_object_object_add(root, "duration_s", json_object_new_double(r->duration_s));
	json_object_object_add(root, "elapsed_s", json_object_new_double(r->elapsed_s));
	json_object_object_add(root, "failureReport",
			       fl_report_failure_json(r->mon, r->spec, r->real_minus_mono,
						      r->disarmed_ns, r->detached_ns, r->links));
	json_object_object_add(root, "fault", fl_json_fault(r->spec));
	if (r->mon) {
		arr = json_object_new_array();
		for (t = 0; t < r->mon->n; t++) {
			const struct fl_mon_cond *mc = &r->mon->conds[t];

			o = json_object_new_object();
			json_object_object_add(o, "condition", json_object_new_string(mc->c->name));
			json_object_object_add(o, "signal", json_object_new_string(fl_signal_name(mc->c->signal)));
			json_object_object_add(o, "operator", json_object_new_string(fl_cmp_name(mc->c->cmp)));
			json_object_object_add(o, "threshold", json_object_new_double(mc->c->threshold));
			json_object_object_add(o, "window_s", json_object_new_double(mc->c->window_ns / 1e9));
			json_object_object_add(o, "value", mc->has_value ? json_object_new_double(mc->value) :
									     json_object_new_null());
			json_object_object_add(o, "tripped", json_object_new_boolean(r->mon->tripped == t));
			json_object_array_add(arr, o);
		}
		json_object_object_add(root, "abort_if", arr);
	}

	arr = json_object_new_array();
	for (t = 0; t < r->spec->n_targets; t++) {
		o = json_object_new_object();
		json_object_object_add(o, "cgroup", json_object_new_string(r->spec->targets[t].path));
		json_object_object_add(o, "cgroup_id",
				       json_object_new_uint64(r->spec->targets[t].cgid));
		for (d = 0; d < FL_DIR_MAX; d++)
			json_object_object_add(o, fl_dir_name(d),
					       fl_json_totals(&r->per_target[t][d], NULL));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "targets", arr);

	json_object_object_add(root, "attach", fl_report_attach_json(r->att, r->n_att));

	tot = json_object_new_object();
	for (d = 0; d < FL_DIR_MAX; d++)
		json_object_object_add(tot, fl_dir_name(d),
				       fl_json_totals(&r->counters.dir[d], &r->counters.stats[d]));
	json_object_object_add(root, "totals", tot);

	json_object_object_add(root, "drops_by_reason", fl_report_drops_json(&r->counters, r->fq_drops));

	o = json_object_new_object();
	json_object_object_add(o, "passed_after_deadline",
			       json_object_new_uint64(r->counters.stats[0].passed_disarmed +
						      r->counters.stats[1].passed_disarmed));
	json_object_object_add(o, "passed_unparsed",
			       json_object_new_uint64(r->counters.stats[0].parse_skipped +
						      r->counters.stats[1].parse_skipped));
	json_object_object_add(root, "kernel", o);

	o = json_object_new_object();
	json_object_object_add(o, "events", json_object_new_uint64(r->ev ? r->ev->n_events : 0));
	json_object_object_add(o, "lost", json_object_new_uint64(fl_lost(&r->counters)));
	json_object_object_add(o, "bad", json_object_new_uint64(r->ev ? r->ev->n_bad : 0));
	json_object_object_add(root, "ringbuf", o);

	arr = json_object_new_array();
	n = r->ev ? fl_flows_top(r->ev->flows, top, FL_REPORT_TOP_FLOWS) : 0;
	for (i = 0; i < n; i++) {
		char local[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN];

		fl_flow_endpoints(&top[i], local, peer, sizeof(local));
		o = json_object_new_object();
		json_object_object_add(o, "direction", json_object_new_string(fl_dir_name(top[i].key.dir)));
		json_object_object_add(o, "protocol", json_object_new_string(fl_proto_name(top[i].key.proto)));
		json_object_object_add(o, "local", json_object_new_string(local));
		json_object_object_add(o, "local_port", json_object_new_int(top[i].key.local_port));
		json_object_object_add(o, "peer", json_object_new_string(peer));
		json_object_object_add(o, "peer_port", json_object_new_int(top[i].key.peer_port));
		json_object_object_add(o, "cgroup_id", json_object_new_uint64(top[i].cgroup_id));
		json_object_object_add(o, "packets", json_object_new_uint64(top[i].packets));
		json_object_object_add(o, "bytes", json_object_new_uint64(top[i].bytes));
		json_object_object_add(o, "drops", json_object_new_uint64(top[i].drops));
		if (top[i].ended)
			json_object_object_add(o, "ended", json_object_new_string(fl_end_name(top[i].end_reason)));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "flows", arr);

	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return 0;
}
