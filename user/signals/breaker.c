// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Planning the in-kernel breakers. A condition runs in the kernel when the
 * kernel counts its signal and the condition can only trip on a count
 * going up: a sum (not a rate, a percentile or a ratio) compared with
 * "above" or "atLeast". Everything else needs the loader: a floor ("below")
 * trips on silence, which no packet reports; percentiles need every
 * sample; a rate early in the run divides by the time elapsed so far.
 */
#include <math.h>
#include <string.h>

#include "breaker.h"

static int fl_brk_ev_of(enum fl_signal s)
{
	switch (s) {
	case FL_SIG_PACKETS_IN:
		return FL_BRK_PACKETS_IN;
	case FL_SIG_PACKETS_OUT:
		return FL_BRK_PACKETS_OUT;
	case FL_SIG_BYTES_IN:
		return FL_BRK_BYTES_IN;
	case FL_SIG_BYTES_OUT:
		return FL_BRK_BYTES_OUT;
	case FL_SIG_FAULTS_DROPPED:
		return FL_BRK_DROPPED;
	case FL_SIG_FAULTS_DELAYED:
		return FL_BRK_DELAYED;
	case FL_SIG_TCP_RETRANSMITS:
		return FL_BRK_RETRANS;
	case FL_SIG_TCP_RESETS_SENT:
		return FL_BRK_RST_SENT;
	case FL_SIG_TCP_RESETS_RECEIVED:
		return FL_BRK_RST_RECV;
	case FL_SIG_TCP_CONNECT_FAILURES:
		return FL_BRK_CONNECT_FAIL;
	case FL_SIG_HTTP_RESPONSES_5XX:
		return FL_BRK_HTTP_5XX;
	case FL_SIG_HTTP_RESPONSES_TOTAL:
		return FL_BRK_HTTP_TOTAL;
	default:
		return -1;
	}
}

/* The largest power of two not above @v (v > 0). */
static unsigned int fl_log2_floor(__u64 v)
{
	return 63 - __builtin_clzll(v);
}

static const char *fl_brk_userspace_why(const struct fl_condition *c)
{
	const struct fl_signal_info *si = fl_signal_info(c->signal);

	if (c->signal == FL_SIG_PROMETHEUS)
		return "a Prometheus query: only the loader can ask it";
	if (si && si->needs_probe)
		return "a probe's result: the probes run in the loader";
	if (si && (si->stat == FL_STAT_P50 || si->stat == FL_STAT_P99))
		return "a percentile needs every sample of the window";
	if (si && si->stat == FL_STAT_RATIO)
		return "a ratio of two counts: judged on the loader's windows";
	if (si && si->stat == FL_STAT_RATE)
		return "a rate divides by the time elapsed early in the run, which the kernel's buckets do not keep";
	if (c->cmp == FL_CMP_BELOW || c->cmp == FL_CMP_AT_MOST)
		return "a floor trips on silence, and no packet reports silence";
	return "the kernel does not count this signal";
}

int fl_brk_plan(const struct fl_condition *conds, int n, int n_targets,
		struct fl_brk_plan *out)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		const struct fl_condition *c = &conds[i];
		struct fl_brk_plan *p = &out[i];
		int ev = fl_brk_ev_of(c->signal);
		__u64 bucket;
		double t;

		memset(p, 0, sizeof(*p));
		if (ev < 0 || (c->cmp != FL_CMP_ABOVE && c->cmp != FL_CMP_AT_LEAST)) {
			p->why = fl_brk_userspace_why(c);
			continue;
		}
		if (n_targets > FL_BRK_MAX_TARGETS) {
			p->why = "more targets than a breaker judges (64)";
			continue;
		}
		if (k >= FL_MAX_BREAKERS) {
			p->why = "more kernel-countable conditions than breakers (8): the first 8 run in the kernel";
			continue;
		}
		/* counts are whole: "> 2.5" trips at 3, ">= 2.5" at 3, "> 2" at 3 */
		t = c->cmp == FL_CMP_ABOVE ? floor(c->threshold) + 1 : ceil(c->threshold);
		if (t < 1)
			t = 1;
		/* buckets of at most 1/16 of the window, a power of two of ns */
		bucket = 1ULL << fl_log2_floor(c->window_ns / 16 ? c->window_ns / 16 : 1);
		p->kernel = true;
		p->why = "counted and judged where the kernel counts it";
		p->bucket_ns = bucket;
		p->cfg.trip_at = (__u64)t;
		p->cfg.ev = (__u32)ev;
		p->cfg.cond = (__u16)i;
		p->cfg.shift = (__u8)fl_log2_floor(bucket);
		p->cfg.n_slots = (__u8)((c->window_ns + bucket - 1) / bucket);
		if (p->cfg.n_slots > FL_BRK_SLOTS)
			p->cfg.n_slots = FL_BRK_SLOTS;
		k++;
	}
	return k;
}
