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

int fl_monitor_init(struct fl_monitor *m, const struct fl_condition *conds, int n, __u64 start_ns)
{
	int i, err;

	memset(m, 0, sizeof(*m));
	if (n > FL_MON_MAX_CONDS)
		return -E2BIG;
	m->n = n;
	m->start_ns = start_ns;
	m->tripped = -1;
	for (i = 0; i < n; i++) {
		const struct fl_condition *c = &conds[i];
		__u64 len = c->window_ns;

		/* a Prometheus value is judged on its newest sample alone */
		if (!len)
			len = c->prom_interval_ns * 10 > 10000000000ULL ? c->prom_interval_ns * 10 :
									 10000000000ULL;
		m->conds[i].c = c;
		err = fl_window_init(&m->conds[i].w, len, FL_WINDOW_DELTA, start_ns);
		if (err)
			return err;
	}
	return 0;
}

void fl_monitor_free(struct fl_monitor *m)
{
	int i;

	for (i = 0; i < m->n; i++) {
		fl_window_free(&m->conds[i].w);
		free(m->conds[i].t_s);
		free(m->conds[i].v);
	}
	m->n = 0;
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
static bool fl_mon_warm(const struct fl_monitor *m, const struct fl_mon_cond *mc, __u64 now)
{
	const struct fl_signal_info *si = fl_signal_info(mc->c->signal);
	bool low = mc->c->cmp == FL_CMP_BELOW || mc->c->cmp == FL_CMP_AT_MOST;

	if (!low || !si || (si->stat != FL_STAT_SUM && si->stat != FL_STAT_RATE))
		return true;
	return now >= m->start_ns + mc->w.len_ns;
}

static void fl_mon_eval(struct fl_monitor *m, int i, __u64 now)
{
	struct fl_mon_cond *mc = &m->conds[i];
	double value;
	int ret;

	ret = fl_condition_eval(mc->c, &mc->w, now, &value);
	if (ret < 0)
		return;
	mc->has_value = true;
	mc->value = value;
	fl_mon_point(m, mc, now, value);
	if (ret == 1 && m->tripped < 0 && fl_mon_warm(m, mc, now)) {
		m->tripped = i;
		m->trip_value = value;
		m->trip_ns = now;
		if (m->on_trip)
			m->on_trip(m->ctx);
	}
}

static void fl_mon_add(struct fl_monitor *m, int i, __u64 ts, double v)
{
	fl_window_add(&m->conds[i].w, ts, v);
	fl_mon_eval(m, i, ts);
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
			fl_mon_add(m, i, e->ts_ns, v);
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
		fl_mon_add(m, i, e->ts_ns, v);
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
			fl_mon_add(m, i, s->ts_ns, s->ok ? 0 : 1);
			break;
		case FL_SIG_PROBE_LATENCY_P50:
		case FL_SIG_PROBE_LATENCY_P99:
			fl_mon_add(m, i, s->ts_ns, s->latency_ns);
			break;
		case FL_SIG_PROBE_SUCCESS_RATE:
			fl_mon_add(m, i, s->ts_ns, s->ok ? 1 : 0);
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
	if (err) {
		snprintf(mc->error, sizeof(mc->error), "%s", err);
		return;
	}
	mc->error[0] = 0;
	fl_mon_add(m, cond, ts_ns, value);
}

void fl_monitor_tick(struct fl_monitor *m, __u64 now_ns)
{
	int i;

	for (i = 0; i < m->n; i++)
		fl_mon_eval(m, i, now_ns);
}
