// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The fault model and its one validator (see fault.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dist.h"
#include "fault.h"

void fl_fault_init(struct fl_fault *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name ? name : "");
	f->dir_mask = FL_DIRM_BOTH;
	f->proto = FL_PROTO_ANY;
}

/* The largest excursion of a distribution, in units of jitter x
 * FL_DIST_SCALE: what its table can hand a packet at worst.
 */
static __s64 fl_dist_max_excursion(__u8 dist)
{
	__s64 max = FL_DIST_SCALE;
	__s32 *table;
	int i;

	if (dist == FL_DIST_UNIFORM || dist >= FL_DIST_MAX)
		return FL_DIST_SCALE;
	/* the heap, not a static buffer: validators may run on several threads */
	table = calloc(FL_DIST_SIZE, sizeof(*table));
	if (!table || fl_dist_table(dist, table)) {
		free(table);
		/* unknown: assume the worst a table can hold */
		return INT32_MAX;
	}
	for (i = 0; i < FL_DIST_SIZE; i++)
		if (table[i] > max)
			max = table[i];
	free(table);
	return max;
}

__u64 fl_fault_max_hold(const struct fl_fault *f)
{
	__u64 hold = 0;

	if (f->has_delay) {
		hold = f->delay_ns;
		if (f->jitter_ns)
			hold += (__u64)((double)f->jitter_ns *
					fl_dist_max_excursion(f->dist) / FL_DIST_SCALE);
	}
	if (f->has_rate)
		hold += FL_RATE_QUEUE_NS;
	if (f->has_dns && f->dns_action == FL_DNS_ACT_DELAY)
		hold += f->dns_delay_ns;
	return hold;
}

/* "1.5s", "20ms", "250us" or "10ns": for messages */
static void fl_fmt_ns(__u64 ns, char *buf, size_t len)
{
	if (ns >= 1000000000ULL)
		snprintf(buf, len, "%gs", ns / 1e9);
	else if (ns >= 1000000ULL)
		snprintf(buf, len, "%gms", ns / 1e6);
	else if (ns >= 1000ULL)
		snprintf(buf, len, "%gus", ns / 1e3);
	else
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
}

static int fl_bad(const char **field, const char *name, char *msg, size_t len,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int fl_bad(const char **field, const char *name, char *msg, size_t len,
		  const char *fmt, ...)
{
	va_list ap;

	*field = name;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A DNS fault decides everything about the queries it matches: where
 * (the target's egress), what (UDP to port 53) and what happens to them.
 */
static int fl_fault_check_dns(const struct fl_fault *f, const char **field, char *msg,
			      size_t len)
{
	struct fl_dns_name dn;
	char a[32], b[32];
	int i;

	if (!f->n_dns_names)
		return fl_bad(field, "dns.match.names", msg, len,
			      "expected at least one name, such as *.example.internal or exact.name");
	if (f->n_dns_names > FL_FAULT_MAX_DNS_NAMES)
		return fl_bad(field, "dns.match.names", msg, len, "too many, at most %d",
			      FL_FAULT_MAX_DNS_NAMES);
	for (i = 0; i < f->n_dns_names; i++) {
		if (fl_dns_name_parse(f->dns_names[i], &dn, msg, len)) {
			*field = "dns.match.names";
			return -EINVAL;
		}
	}
	if (f->dns_action < FL_DNS_ACT_DROP || f->dns_action > FL_DNS_ACT_SERVFAIL)
		return fl_bad(field, "dns.action", msg, len,
			      "expected drop, delay, nxdomain or servfail");
	if (f->dns_action == FL_DNS_ACT_DELAY) {
		if (!f->dns_delay_ns)
			return fl_bad(field, "dns.delay", msg, len,
				      "the delay action needs a duration above 0, such as 2s");
		if (f->dns_delay_ns > FL_FAULT_MAX_HOLD_NS) {
			fl_fmt_ns(f->dns_delay_ns, a, sizeof(a));
			fl_fmt_ns(FL_FAULT_MAX_HOLD_NS, b, sizeof(b));
			return fl_bad(field, "dns.delay", msg, len,
				      "%s is longer than %s, the longest faultline holds a packet (past it the datapath drops); use at most %s",
				      a, b, b);
		}
	} else if (f->dns_delay_ns) {
		return fl_bad(field, "dns.delay", msg, len,
			      "is the time of the delay action; give action: delay, or leave delay out");
	}
	if (f->has_drop || f->has_loss || f->has_delay || f->has_rate || f->has_duplicate ||
	    f->has_partition || f->has_reject || f->has_corrupt)
		return fl_bad(field, "dns", msg, len,
			      "dns.action decides what happens to a matching query; give drop, loss, duplicate, reject, corrupt, delay, rate or partition in a fault of their own");
	if (f->dir_mask == FL_DIRM_INGRESS)
		return fl_bad(field, "direction", msg, len,
			      "a DNS fault acts on the target's queries as they leave it; leave direction out, or give egress");
	if (f->proto != FL_PROTO_ANY && f->proto != FL_PROTO_UDP)
		return fl_bad(field, "match.protocol", msg, len,
			      "a DNS fault sees queries over UDP only (not TCP, DoT or DoH); leave protocol out, or give udp");
	if (f->n_ports)
		return fl_bad(field, "match.ports", msg, len,
			      "a DNS fault matches queries to port 53; leave ports out");
	return 0;
}

__u64 fl_fault_dns_labels(const struct fl_fault *f)
{
	struct fl_dns_name dn;
	__u64 mask = 0;
	char msg[8];
	int i;

	for (i = 0; f->has_dns && i < f->n_dns_names && i < FL_FAULT_MAX_DNS_NAMES; i++)
		if (!fl_dns_name_parse(f->dns_names[i], &dn, msg, sizeof(msg)) && dn.labels < 64)
			mask |= 1ULL << dn.labels;
	return mask;
}

int fl_parse_reject_with(const char *s, __u8 *out)
{
	if (!strcmp(s, "tcp-reset"))
		*out = FL_REJECT_WITH_RST;
	else if (!strcmp(s, "icmp-unreachable"))
		*out = FL_REJECT_WITH_ICMP;
	else
		return -EINVAL;
	return 0;
}

const char *fl_reject_with_name(__u8 with)
{
	switch (with) {
	case FL_REJECT_WITH_RST:
		return "tcp-reset";
	case FL_REJECT_WITH_ICMP:
		return "icmp-unreachable";
	}
	return "auto";
}

/* A reject answers the sender from the tc hooks (bpf/reject.h); the
 * placement refuses ingress hooks that cannot (user/kernel/placement.c).
 */
static int fl_fault_check_reject(const struct fl_fault *f, const char **field, char *msg,
				 size_t len)
{
	if (!(f->reject_pct >= 0 && f->reject_pct <= 100))
		return fl_bad(field, "reject.percent", msg, len,
			      "expected a percentage from 0 to 100");
	if (f->reject_with > FL_REJECT_WITH_ICMP)
		return fl_bad(field, "reject.with", msg, len,
			      "expected tcp-reset or icmp-unreachable");
	/* a RST answers TCP only: anything else would need a second answer */
	if (f->reject_with == FL_REJECT_WITH_RST && f->proto != FL_PROTO_TCP)
		return fl_bad(field, "reject.with", msg, len,
			      "tcp-reset answers TCP only; add match.protocol tcp, or leave with out (TCP gets a reset, the rest ICMP port unreachable)");
	/* the packet becomes the answer: there is nothing left to delay,
	 * copy or lose
	 */
	if (f->has_drop || f->has_loss || f->has_delay || f->has_rate || f->has_duplicate ||
	    f->has_partition)
		return fl_bad(field, "reject", msg, len,
			      "cannot be combined with drop, loss, duplicate, delay, rate or partition; give it in a fault of its own (with another match: the first matching fault decides)");
	return 0;
}

int fl_fault_check(const struct fl_fault *f, const char **field, char *msg, size_t len)
{
	char a[32], b[32], c[32];
	__u64 hold;

	if (!f->has_drop && !f->has_delay && !f->has_rate && !f->has_partition && !f->has_loss &&
	    !f->has_duplicate && !f->has_reject && !f->has_dns && !f->has_corrupt)
		return fl_bad(field, "", msg, len,
			      "has no action: add drop, loss, duplicate, reject, corrupt, delay, rate, partition or dns");
	if (f->has_dns) {
		int err = fl_fault_check_dns(f, field, msg, len);

		if (err)
			return err;
	}
	if (f->dir_mask & ~FL_DIRM_BOTH || !f->dir_mask)
		return fl_bad(field, "direction", msg, len, "expected ingress, egress or both");
	if (f->n_ports && f->proto == FL_PROTO_ICMP)
		return fl_bad(field, "match.ports", msg, len,
			      "icmp has no ports; use protocol tcp, udp or any");
	if (f->n_ports > FL_FAULT_MAX_PORTS)
		return fl_bad(field, "match.ports", msg, len, "too many, at most %d",
			      FL_FAULT_MAX_PORTS);
	if (f->n_peers > FL_FAULT_MAX_PEERS)
		return fl_bad(field, "match.peers", msg, len, "too many, at most %d",
			      FL_FAULT_MAX_PEERS);
	if (f->has_drop && !(f->drop_pct >= 0 && f->drop_pct <= 100))
		return fl_bad(field, "drop.percent", msg, len,
			      "expected a percentage from 0 to 100");
	if (f->has_partition) {
		/* one rule, both ways, every packet: anything else would be
		 * a different fault under the same name
		 */
		if (!f->n_part_peers)
			return fl_bad(field, "partition.peers", msg, len,
				      "expected at least one prefix, such as 198.18.0.0/24");
		if (f->n_part_peers > FL_FAULT_MAX_PEERS)
			return fl_bad(field, "partition.peers", msg, len, "too many, at most %d",
				      FL_FAULT_MAX_PEERS);
		if (f->n_peers)
			return fl_bad(field, "match.peers", msg, len,
				      "a partition names its peers in partition.peers; leave match.peers out");
		if (f->dir_mask != FL_DIRM_BOTH)
			return fl_bad(field, "direction", msg, len,
				      "a partition cuts both directions; leave direction out, or use drop with match.peers for one direction");
		if (f->has_drop || f->has_loss || f->has_delay || f->has_rate || f->has_duplicate ||
		    f->has_corrupt)
			return fl_bad(field, "partition", msg, len,
				      "drops every packet with its peers, so drop, loss, duplicate, corrupt, delay or rate would never act; give them in a fault of their own");
	}
	if (f->has_loss) {
		bool simple = f->loss_given & FL_LOSS_GIVEN_SIMPLE;
		bool model = f->loss_given & FL_LOSS_GIVEN_MODEL;
		static const struct {
			__u8 bit;
			const char *name;
		} keys[] = {
			{ FL_LOSS_GIVEN_P, "loss.p" }, { FL_LOSS_GIVEN_R, "loss.r" },
			{ FL_LOSS_GIVEN_H, "loss.h" }, { FL_LOSS_GIVEN_K, "loss.k" },
			{ FL_LOSS_GIVEN_PCT, "loss.percent" },
			{ FL_LOSS_GIVEN_CORR, "loss.correlation" },
		};
		const double vals[] = { f->loss_p, f->loss_r, f->loss_h, f->loss_k, f->loss_pct,
					f->loss_corr };
		size_t i;

		if (f->has_drop)
			return fl_bad(field, "loss", msg, len,
				      "drop and loss both decide which packets are lost; give one of them");
		if (simple && model)
			return fl_bad(field, "loss.percent", msg, len,
				      "is the simple form of the model that p, r, h and k give in full; give percent (and correlation) or p and r (and h, k), not both");
		if (!(f->loss_given & FL_LOSS_GIVEN_PCT) && !(f->loss_given & FL_LOSS_GIVEN_P))
			return fl_bad(field, simple ? "loss.percent" : "loss.p", msg, len,
				      "expected percent (the loss rate) or p and r (the Gilbert-Elliott model)");
		if (model && !(f->loss_given & FL_LOSS_GIVEN_R))
			return fl_bad(field, "loss.r", msg, len,
				      "the chance of leaving the bad state is needed with p, e.g. r: 25");
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if ((f->loss_given & keys[i].bit) && !(vals[i] >= 0 && vals[i] <= 100))
				return fl_bad(field, keys[i].name, msg, len,
					      "expected a percentage from 0 to 100");
		/* at 100 the chain would never change state: no loss at all */
		if ((f->loss_given & FL_LOSS_GIVEN_CORR) && f->loss_corr >= 100)
			return fl_bad(field, "loss.correlation", msg, len,
				      "expected a percentage from 0 to below 100 (at 100 the state never changes)");
		if (f->loss_per != FL_LOSS_PER_FLOW && f->loss_per != FL_LOSS_PER_FAULT)
			return fl_bad(field, "loss.per", msg, len, "expected flow or fault");
	}
	if (f->has_duplicate) {
		if (!(f->dup_pct >= 0 && f->dup_pct <= 100))
			return fl_bad(field, "duplicate.percent", msg, len,
				      "expected a percentage from 0 to 100");
		/* a delayed packet already leaves as a copy of its own */
		if (f->has_delay || f->has_rate)
			return fl_bad(field, "duplicate", msg, len,
				      "cannot be combined with delay or rate; give it in a fault of its own (with another match: the first matching fault decides)");
	}
	if (f->has_reject) {
		int err = fl_fault_check_reject(f, field, msg, len);

		if (err)
			return err;
	} else if (f->reject_with) {
		return fl_bad(field, "reject.with", msg, len,
			      "chooses a reject's answer, and there is none: give reject.percent too");
	}
	if (f->has_corrupt) {
		if (!(f->corrupt_pct >= 0 && f->corrupt_pct <= 100))
			return fl_bad(field, "corrupt.percent", msg, len,
				      "expected a percentage from 0 to 100");
		/* cgroup_skb may not write a packet, and XDP cannot set
		 * right what the receiver checks (corrupt.h)
		 */
		if (f->dir_mask != FL_DIRM_EGRESS)
			return fl_bad(field, "direction", msg, len,
				      "corrupt rewrites packets at the target's egress only; give direction: egress");
		/* a delayed or duplicated packet leaves as a copy made before */
		if (f->has_delay || f->has_rate || f->has_duplicate || f->has_reject)
			return fl_bad(field, "corrupt", msg, len,
				      "cannot be combined with delay, rate, duplicate or reject; give it in a fault of its own (with another match: the first matching fault decides)");
	}
	if (f->has_delay_pct && !f->has_delay)
		return fl_bad(field, "delay.percent", msg, len,
			      "is the share of packets a delay applies to, and there is none: give delay.time too");
	if (f->has_rate_pct && !f->has_rate)
		return fl_bad(field, "rate.percent", msg, len,
			      "is the share of packets a rate limit applies to, and there is none: give rate.limit too");
	if (f->has_delay_pct && !(f->delay_pct >= 0 && f->delay_pct <= 100))
		return fl_bad(field, "delay.percent", msg, len, "expected a percentage from 0 to 100");
	if (f->has_rate_pct && !(f->rate_pct >= 0 && f->rate_pct <= 100))
		return fl_bad(field, "rate.percent", msg, len, "expected a percentage from 0 to 100");
	/* one draw chooses a packet for both: two shares cannot be honoured */
	if (f->has_delay_pct && f->has_rate_pct && f->delay_pct != f->rate_pct)
		return fl_bad(field, "rate.percent", msg, len,
			      "a chosen packet is both delayed and rate-limited, so delay.percent and rate.percent must be equal (or give one of them); for other shares use two faults with different matches");
	if (f->scope != FL_SCOPE_PACKETS) {
		if (f->scope != FL_SCOPE_CONNECTIONS)
			return fl_bad(field, "scope", msg, len, "expected packets or connections");
		if (f->has_loss)
			return fl_bad(field, "scope", msg, len,
				      "connections does not apply to burst loss: its chain already runs per connection (loss.per: flow), and loss.percent is a loss rate, not a share of connections; to blackhole a share of connections use drop.percent with scope connections");
		if (f->has_partition)
			return fl_bad(field, "scope", msg, len,
				      "connections does not apply to partition, which takes every connection with its peers; give scope packets or leave it out");
		if (!f->has_drop && !f->has_duplicate && !f->has_delay_pct && !f->has_rate_pct &&
		    !f->has_reject && !f->has_corrupt)
			return fl_bad(field, "scope", msg, len,
				      "connections chooses connections by the fault's percentage, and this fault gives none; give drop.percent, duplicate.percent, corrupt.percent, delay.percent, rate.percent or reject.percent");
	}

	if (!f->has_delay && (f->jitter_ns || f->dist || f->correlation || f->reorder))
		return fl_bad(field, "delay.time", msg, len,
			      "jitter and its shape need a delay: give delay.time too");
	if (f->has_delay) {
		fl_fmt_ns(FL_FAULT_MAX_HOLD_NS, b, sizeof(b));
		fl_fmt_ns(f->delay_ns, a, sizeof(a));
		if (!f->delay_ns)
			return fl_bad(field, "delay.time", msg, len,
				      "expected a duration above 0, such as 20ms");
		if (f->delay_ns > FL_FAULT_MAX_HOLD_NS)
			return fl_bad(field, "delay.time", msg, len,
				      "%s is longer than %s, the longest faultline holds a packet (past it the datapath drops); use at most %s",
				      a, b, b);
		if (f->jitter_ns > f->delay_ns) {
			fl_fmt_ns(f->jitter_ns, c, sizeof(c));
			return fl_bad(field, "delay.jitter", msg, len,
				      "%s is larger than the delay's time %s; use at most %s", c,
				      a, a);
		}
		/* the defaults (uniform, 0, in order) shape nothing: no error */
		if (!f->jitter_ns && (f->dist || f->correlation || f->reorder))
			return fl_bad(field,
				      f->dist ? "delay.distribution" :
				      f->correlation ? "delay.correlation" : "delay.reorder", msg, len,
				      "shapes jitter, and there is none: give delay.jitter too");
		if (f->correlation > 100)
			return fl_bad(field, "delay.correlation", msg, len,
				      "expected a whole percentage from 0 to 100");
		if (f->dist >= FL_DIST_MAX)
			return fl_bad(field, "delay.distribution", msg, len,
				      "expected uniform, normal, pareto or paretonormal");
	}
	if (!f->has_rate && f->rate_per == FL_RATE_PER_FLOW)
		return fl_bad(field, "rate.per", msg, len,
			      "shares a rate limit, and there is none: give rate.limit too");
	if (f->has_rate) {
		if (!f->rate || (f->rate_unit != FL_RATE_BPS && f->rate_unit != FL_RATE_PPS))
			return fl_bad(field, "rate.limit", msg, len,
				      "expected a rate above 0, such as 10mbit, 500kbit or 1000pps");
		if (f->rate > (f->rate_unit == FL_RATE_BPS ? FL_FAULT_MAX_RATE_BPS :
							     FL_FAULT_MAX_RATE_PPS))
			return fl_bad(field, "rate.limit", msg, len,
				      "too high: at most 400gbit or 1000000kpps");
	}
	hold = fl_fault_max_hold(f);
	if (hold > FL_FAULT_MAX_HOLD_NS) {
		fl_fmt_ns(hold, a, sizeof(a));
		fl_fmt_ns(FL_FAULT_MAX_HOLD_NS, b, sizeof(b));
		return fl_bad(field, f->jitter_ns ? "delay.jitter" : "delay.time", msg, len,
			      "this fault could hold a packet %s (time, plus the largest jitter its distribution draws%s), longer than the %s faultline holds a packet; lower the delay or its jitter",
			      a, f->has_rate ? ", plus the rate limit's 1s queue" : "", b);
	}
	return 0;
}

__u64 fl_fault_edt_prob(const struct fl_fault *f)
{
	if (f->has_delay && f->has_delay_pct)
		return fl_percent_to_prob(f->delay_pct);
	if (f->has_rate && f->has_rate_pct)
		return fl_percent_to_prob(f->rate_pct);
	return FL_PROB_ONE;
}

void fl_fault_loss_model(const struct fl_fault *f, double *p, double *r, double *loss_good,
			 double *loss_bad)
{
	if (f->loss_given & FL_LOSS_GIVEN_PCT) {
		double l = f->loss_pct / 100, c = f->loss_corr / 100;

		*p = l * (1 - c);
		*r = (1 - l) * (1 - c);
		*loss_good = 0;
		*loss_bad = 1;
		return;
	}
	*p = f->loss_p / 100;
	*r = f->loss_r / 100;
	/* h and k are the chances of getting through; netem's defaults */
	*loss_bad = (f->loss_given & FL_LOSS_GIVEN_H) ? 1 - f->loss_h / 100 : 1;
	*loss_good = (f->loss_given & FL_LOSS_GIVEN_K) ? 1 - f->loss_k / 100 : 0;
}

void fl_fault_describe(const struct fl_fault *f, char *buf, size_t len)
{
	static const char *const dists[FL_DIST_MAX] = { "uniform", "normal", "pareto",
							 "paretonormal" };
	const char *of = f->scope == FL_SCOPE_CONNECTIONS ? " of connections" : "";
	size_t n;

	n = snprintf(buf, len, "%s, %s, %d peer%s, %d port%s:",
		     fl_fault_dirs(f) == FL_DIRM_BOTH ? "both directions" :
		     fl_fault_dirs(f) == FL_DIRM_INGRESS ? "ingress" : "egress",
		     f->proto == FL_PROTO_ANY ? "any protocol" : fl_proto_name(f->proto),
		     f->n_peers, f->n_peers == 1 ? "" : "s", f->n_ports, f->n_ports == 1 ? "" : "s");
	if (f->has_drop && n < len)
		n += snprintf(buf + n, len - n, " drop %g%%%s", f->drop_pct, of);
	if (f->has_duplicate && n < len)
		n += snprintf(buf + n, len - n, " duplicate %g%%%s", f->dup_pct, of);
	if (f->has_reject && n < len)
		n += snprintf(buf + n, len - n, " reject %g%%%s with %s", f->reject_pct,
			      f->scope == FL_SCOPE_CONNECTIONS ? " of connections" : "",
			      fl_reject_with_name(f->reject_with));
	if (f->has_corrupt && n < len)
		n += snprintf(buf + n, len - n, " corrupt %g%%%s%s", f->corrupt_pct, of,
			      f->corrupt_fix ? ", checksum fixed" : "");
	if (f->has_partition && n < len)
		n += snprintf(buf + n, len - n, " partition from %d prefix%s", f->n_part_peers,
			      f->n_part_peers == 1 ? "" : "es");
	if (f->has_loss && n < len) {
		double p, r, lg, lb;

		fl_fault_loss_model(f, &p, &r, &lg, &lb);
		n += snprintf(buf + n, len - n,
			      " burst loss p %g%% r %g%% loss good %g%% bad %g%% per %s",
			      p * 100, r * 100, lg * 100, lb * 100,
			      f->loss_per == FL_LOSS_PER_FAULT ? "fault" : "flow");
	}
	if ((f->has_delay_pct || f->has_rate_pct) && n < len)
		n += snprintf(buf + n, len - n, " to %g%%%s:",
			      f->has_delay_pct ? f->delay_pct : f->rate_pct, of);
	if (f->has_delay && n < len)
		n += snprintf(buf + n, len - n, " delay %.3f ms, jitter %.3f ms %s%s%s", f->delay_ns / 1e6,
			      f->jitter_ns / 1e6, f->dist < FL_DIST_MAX ? dists[f->dist] : "?",
			      f->correlation ? ", correlated" : "", f->reorder ? ", may reorder" : "");
	if (f->has_dns && n < len)
		n += snprintf(buf + n, len - n, " dns %s", fl_dns_action_name(f->dns_action));
	if (f->has_dns && f->dns_action == FL_DNS_ACT_DELAY && n < len)
		n += snprintf(buf + n, len - n, " %.3f ms", f->dns_delay_ns / 1e6);
	if (f->has_dns && n < len)
		n += snprintf(buf + n, len - n, " for %d name%s", f->n_dns_names,
			      f->n_dns_names == 1 ? "" : "s");
	if (f->has_rate && n < len)
		snprintf(buf + n, len - n, " rate %llu %s per %s", (unsigned long long)f->rate,
			 f->rate_unit == FL_RATE_PPS ? "packets/s" : "bits/s",
			 f->rate_per == FL_RATE_PER_FLOW ? "flow" : "target");
}
