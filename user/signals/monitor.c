// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Conditions over sliding windows, evaluated as samples arrive. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "monitor.h"

#define FL_MON_POINT_NS	100000000ULL	/* a timeline point every 100 ms at most */

unsigned int fl_monitor_tracepoints(const struct fl_condition *conds, int n)
{
	unsigned int m = 0;
	int i;

	for (i = 0; i < n; i++) {
		switch (conds[i].signal) {
		case FL_SIG_TCP_RETRANSMITS:
			m |= 1u << FL_PROG_TP_RETX;
			break;
		case FL_SIG_TCP_RESETS_SENT:
			m |= 1u << FL_PROG_TP_RST_TX;
			break;
		case FL_SIG_TCP_RESETS_RECEIVED:
			m |= 1u << FL_PROG_TP_RST_RX;
			break;
		case FL_SIG_TCP_CONNECT_FAILURES:
		case FL_SIG_TCP_CONNECT_LATENCY_P50:
		case FL_SIG_TCP_CONNECT_LATENCY_P99:
			m |= 1u << FL_PROG_TP_STATE;
			break;
		case FL_SIG_TCP_RTT_P50:
		case FL_SIG_TCP_RTT_P99:
			m |= 1u << FL_PROG_TP_RTT;
			break;
		default:
			break;
		}
	}
	return m;
}

static bool fl_signal_per_target(enum fl_signal sig)
{
	const struct fl_signal_info *si = fl_signal_info(sig);

	return si && !si->needs_probe && sig != FL_SIG_PROMETHEUS;
}

int fl_monitor_init(struct fl_monitor *m, const struct fl_condition *conds, int n,
		    int n_targets, __u64 start_ns)
{
	int i, k, err;

	memset(m, 0, sizeof(*m));
	if (n > FL_MON_MAX_CONDS)
		return -E2BIG;
	if (n_targets < 1)
		return -EINVAL;
	m->start_ns = start_ns;
	m->tripped = -1;
	m->trip_target = -1;
	for (i = 0; i < n; i++) {
		const struct fl_condition *c = &conds[i];
		struct fl_mon_cond *mc = &m->conds[i];
		__u64 len = c->window_ns;

		/* a Prometheus value is judged on its newest sample alone */
		if (!len)
			len = c->prom_interval_ns * 10 > 10000000000ULL ? c->prom_interval_ns * 10 :
									 10000000000ULL;
		mc->c = c;
		mc->worst = -1;
		mc->per_target = fl_signal_per_target(c->signal);
		mc->n_s = mc->per_target ? n_targets : 1;
		mc->s = calloc(mc->n_s, sizeof(*mc->s));
		if (!mc->s)
			return -ENOMEM;
		m->n = i + 1;
		for (k = 0; k < mc->n_s; k++) {
			err = fl_window_init(&mc->s[k].w, len, FL_WINDOW_DELTA, start_ns);
			if (err)
				return err;
		}
	}
	return 0;
}

void fl_monitor_free(struct fl_monitor *m)
{
	int i, k;

	for (i = 0; i < m->n; i++) {
		struct fl_mon_cond *mc = &m->conds[i];

		for (k = 0; mc->s && k < mc->n_s; k++)
			fl_window_free(&mc->s[k].w);
		free(mc->s);
		free(mc->t_s);
		free(mc->v);
	}
	m->n = 0;
}

int fl_monitor_add_target(struct fl_monitor *m, int target, __u64 now_ns)
{
	int i, err;

	for (i = 0; i < m->n; i++) {
		struct fl_mon_cond *mc = &m->conds[i];
		struct fl_mon_series *s;

		if (!mc->per_target)
			continue;
		if (target != mc->n_s)
			return -EINVAL;
		s = realloc(mc->s, (mc->n_s + 1) * sizeof(*s));
		if (!s)
			return -ENOMEM;
		mc->s = s;
		memset(&s[mc->n_s], 0, sizeof(s[0]));
		err = fl_window_init(&s[mc->n_s].w, s[0].w.len_ns, FL_WINDOW_DELTA, now_ns);
		if (err)
			return err;
		s[mc->n_s].start_ns = now_ns;
		mc->n_s++;
	}
	return 0;
}

void fl_monitor_remove_target(struct fl_monitor *m, int target)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->conds[i].per_target && target < m->conds[i].n_s)
			m->conds[i].s[target].gone = true;
}

static void fl_mon_point(struct fl_monitor *m, struct fl_mon_cond *mc, __u64 ts, double v)
{
	if (mc->n && ts - mc->last_point_ns < FL_MON_POINT_NS)
		return;
	if (mc->n == mc->cap) {
		int cap = mc->cap ? mc->cap * 2 : 256;
		double *t = realloc(mc->t_s, cap * sizeof(*t));
		double *vv;

		if (!t)
			return;
		mc->t_s = t;
		vv = realloc(mc->v, cap * sizeof(*vv));
		if (!vv)
			return;
		mc->v = vv;
		mc->cap = cap;
	}
	mc->t_s[mc->n] = ts > m->start_ns ? (ts - m->start_ns) / 1e9 : 0;
	mc->v[mc->n] = v;
	mc->n++;
	mc->last_point_ns = ts;
}

/* Conditions that trip on a low count or rate cannot be judged before a
 * whole window has passed: silence at the start is not evidence.
 */
static bool fl_mon_warm(const struct fl_monitor *m, const struct fl_mon_cond *mc,
			const struct fl_mon_series *sr, __u64 now)
{
	const struct fl_signal_info *si = fl_signal_info(mc->c->signal);
	bool low = mc->c->cmp == FL_CMP_BELOW || mc->c->cmp == FL_CMP_AT_MOST;
	__u64 start = sr->start_ns > m->start_ns ? sr->start_ns : m->start_ns;

	if (!low || !si || (si->stat != FL_STAT_SUM && si->stat != FL_STAT_RATE))
		return true;
	return now >= start + mc->s[0].w.len_ns;
}

/* The series nearest to tripping: the highest value for above/atLeast,
 * the lowest for below/atMost. A NaN is never the worst.
 */
static void fl_mon_worst(struct fl_mon_cond *mc)
{
	bool low = mc->c->cmp == FL_CMP_BELOW || mc->c->cmp == FL_CMP_AT_MOST;
	int k;

	mc->worst = -1;
	for (k = 0; k < mc->n_s; k++) {
		const struct fl_mon_series *sr = &mc->s[k];

		if (!sr->has_value || isnan(sr->value) || sr->gone)
			continue;
		if (mc->worst < 0 || (low ? sr->value < mc->value : sr->value > mc->value)) {
			mc->worst = k;
			mc->value = sr->value;
		}
	}
	if (mc->worst < 0 && mc->n_s && mc->s[0].has_value) {
		mc->worst = 0;
		mc->value = mc->s[0].value;
	}
	mc->has_value = mc->worst >= 0;
}

/* Evaluate series @k of condition @i at @now. */
static void fl_mon_eval_one(struct fl_monitor *m, int i, int k, __u64 now)
{
	struct fl_mon_cond *mc = &m->conds[i];
	struct fl_mon_series *sr = &mc->s[k];
	double value;
	int ret;

	if (sr->gone)
		return;
	ret = fl_condition_eval(mc->c, &sr->w, now, &value);
	if (ret < 0)
		return;
	sr->has_value = true;
	sr->value = value;
	if (ret == 1 && !mc->kernel && m->tripped < 0 && !m->closed && fl_mon_warm(m, mc, sr, now)) {
		m->tripped = i;
		m->trip_target = mc->per_target ? k : -1;
		m->trip_value = value;
		m->trip_ns = now;
		/* the faults stop before anything else is done */
		if (m->on_trip)
			m->on_trip(m->ctx);
	}
}

static void fl_mon_eval(struct fl_monitor *m, int i, int k, __u64 now)
{
	struct fl_mon_cond *mc = &m->conds[i];

	if (k >= 0) {
		fl_mon_eval_one(m, i, k, now);
	} else {
		for (k = 0; k < mc->n_s; k++)
			fl_mon_eval_one(m, i, k, now);
	}
	fl_mon_worst(mc);
	if (mc->has_value)
		fl_mon_point(m, mc, now, mc->value);
}

static void fl_mon_add(struct fl_monitor *m, int i, int k, __u64 ts, double v)
{
	struct fl_window *w;

	if (k < 0 || k >= m->conds[i].n_s)
		return;
	w = &m->conds[i].s[k].w;
	fl_window_add(w, ts, v);
	/* A sample older than the newest (the end-of-run sweep stamps each
	 * flow with its last packet, which may precede records already
	 * taken) is counted at the newest time: judge the window there too,
	 * or it is read as of a moment before samples it holds.
	 */
	if (ts < w->newest_ts)
		ts = w->newest_ts;
	fl_mon_eval(m, i, k, ts);
}

/* The series of a kernel record: its target's. */
static int fl_mon_target(const struct fl_mon_cond *mc, const struct fl_event *e)
{
	return mc->per_target ? (int)e->key.target_id : 0;
}

void fl_monitor_flow(struct fl_monitor *m, const struct fl_event *e, const struct fl_flow_delta *d)
{
	bool in = e->key.dir == FL_DIR_INGRESS;
	int i;

	for (i = 0; i < m->n; i++) {
		double v;

		switch (m->conds[i].c->signal) {
		case FL_SIG_PACKETS_IN:
		case FL_SIG_PACKETS_IN_RATE:
			v = in ? d->packets : 0;
			break;
		case FL_SIG_PACKETS_OUT:
		case FL_SIG_PACKETS_OUT_RATE:
			v = in ? 0 : d->packets;
			break;
		case FL_SIG_BYTES_IN:
		case FL_SIG_BYTES_IN_RATE:
			v = in ? d->bytes : 0;
			break;
		case FL_SIG_BYTES_OUT:
		case FL_SIG_BYTES_OUT_RATE:
			v = in ? 0 : d->bytes;
			break;
		case FL_SIG_FAULTS_DROPPED:
			v = d->drops;
			break;
		case FL_SIG_FAULTS_DELAYED:
			v = d->delayed;
			break;
		default:
			continue;
		}
		if (v > 0)
			fl_mon_add(m, i, fl_mon_target(&m->conds[i], e), e->ts_ns, v);
	}
}

void fl_monitor_signal(struct fl_monitor *m, const struct fl_event *e)
{
	int i;

	for (i = 0; i < m->n; i++) {
		enum fl_signal s = m->conds[i].c->signal;
		double v;

		switch (e->sig) {
		case FL_KSIG_RETRANS:
			if (s != FL_SIG_TCP_RETRANSMITS)
				continue;
			v = 1;
			break;
		case FL_KSIG_RST_SENT:
			if (s != FL_SIG_TCP_RESETS_SENT)
				continue;
			v = 1;
			break;
		case FL_KSIG_RST_RECV:
			if (s != FL_SIG_TCP_RESETS_RECEIVED)
				continue;
			v = 1;
			break;
		case FL_KSIG_CONNECT_FAIL:
			if (s != FL_SIG_TCP_CONNECT_FAILURES)
				continue;
			v = 1;
			break;
		case FL_KSIG_CONNECT_LAT:
			if (s != FL_SIG_TCP_CONNECT_LATENCY_P50 && s != FL_SIG_TCP_CONNECT_LATENCY_P99)
				continue;
			v = e->value;
			break;
		case FL_KSIG_RTT:
			if (s != FL_SIG_TCP_RTT_P50 && s != FL_SIG_TCP_RTT_P99)
				continue;
			v = e->value;
			break;
		case FL_KSIG_HTTP:
			if (s == FL_SIG_HTTP_RESPONSES_TOTAL)
				v = 1;
			else if (s == FL_SIG_HTTP_RESPONSES_5XX && e->value >= 500)
				v = 1;
			else if (s == FL_SIG_HTTP_ERROR_RATE)
				v = e->value >= 500;	/* the mean of 0/1 is the rate */
			else
				continue;
			break;
		default:
			return;
		}
		fl_mon_add(m, i, fl_mon_target(&m->conds[i], e), e->ts_ns, v);
	}
}

void fl_monitor_probe(struct fl_monitor *m, const struct fl_probe_sample *s)
{
	int i;

	for (i = 0; i < m->n; i++) {
		const struct fl_condition *c = m->conds[i].c;

		if (c->probe_idx != s->probe)
			continue;
		switch (c->signal) {
		case FL_SIG_PROBE_FAILURES:
			fl_mon_add(m, i, 0, s->ts_ns, s->ok ? 0 : 1);
			break;
		case FL_SIG_PROBE_LATENCY_P50:
		case FL_SIG_PROBE_LATENCY_P99:
			fl_mon_add(m, i, 0, s->ts_ns, s->latency_ns);
			break;
		case FL_SIG_PROBE_SUCCESS_RATE:
			fl_mon_add(m, i, 0, s->ts_ns, s->ok ? 1 : 0);
			break;
		default:
			break;
		}
	}
}

void fl_monitor_prom(struct fl_monitor *m, int cond, __u64 ts_ns, double value, const char *err)
{
	struct fl_mon_cond *mc;

	if (cond < 0 || cond >= m->n)
		return;
	mc = &m->conds[cond];
	mc->n_answers++;
	/* an error is kept (the newest one) even when later answers are
	 * good: the report must show that the condition went unjudged
	 */
	if (err) {
		mc->n_errors++;
		snprintf(mc->error, sizeof(mc->error), "%s", err);
		return;
	}
	fl_mon_add(m, cond, 0, ts_ns, value);
}

void fl_monitor_tick(struct fl_monitor *m, __u64 now_ns)
{
	int i;

	for (i = 0; i < m->n; i++)
		fl_mon_eval(m, i, -1, now_ns);
}

void fl_monitor_set_kernel(struct fl_monitor *m, int i)
{
	if (i >= 0 && i < m->n)
		m->conds[i].kernel = true;
}

bool fl_monitor_kernel_trip(struct fl_monitor *m, int i, int target, double value, __u64 ts_ns)
{
	if (i < 0 || i >= m->n || m->tripped >= 0 || m->closed)
		return false;
	m->tripped = i;
	m->trip_target = m->conds[i].per_target ? target : -1;
	m->trip_value = value;
	m->trip_ns = ts_ns;
	return true;
}
