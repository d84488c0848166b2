/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A fault: what to match and what to do to it. One struct for a fault given
 * by `inject` flags and a fault in an experiment file, and one validator
 * whose limits are what the datapath can honour: a value the kernel would
 * silently turn into loss is refused here, with the same message for both.
 *
 * Field names follow the experiment file ("delay.time", "rate.limit"), so a
 * message names the same field whichever front end the fault came from.
 */
#ifndef FL_FAULT_H
#define FL_FAULT_H

#include <stdbool.h>
#include <stddef.h>

#include "faultline.h"
#include "dns.h"
#include "parse.h"

#define FL_FAULT_NAME_MAX	64	/* as FL_NAME_MAX: 1..63 bytes */
#define FL_FAULT_MAX_PEERS	64
#define FL_FAULT_MAX_PORTS	FL_PORTS_PER_RULE
/* The longest faultline holds a packet: past it the datapath drops (a
 * "horizon" drop), so a delay that could reach it is refused instead.
 */
#define FL_FAULT_MAX_HOLD_NS	FL_HORIZON_NS
#define FL_FAULT_MAX_RATE_BPS	400000000000ULL	/* 400gbit */
#define FL_FAULT_MAX_RATE_PPS	1000000000ULL	/* 1000000kpps */
#define FL_FAULT_MAX_DNS_NAMES	16

struct fl_fault {
	char name[FL_FAULT_NAME_MAX];
	/* match */
	__u32 dir_mask;		/* FL_DIRM_*, default both */
	__u8 proto;		/* FL_PROTO_*, default any */
	__u8 n_ports;
	__u16 ports[FL_FAULT_MAX_PORTS];	/* host order; none: any port */
	int n_peers;
	struct fl_cidr peers[FL_FAULT_MAX_PEERS];	/* none: any peer */
	/* actions: at least one */
	bool has_drop, has_delay, has_rate;
	double drop_pct;
	__u64 drop_prob;	/* fl_percent_to_prob(drop_pct) */
	__u64 delay_ns;
	__u64 jitter_ns;
	__u8 dist;		/* enum fl_dist, default uniform */
	__u8 correlation;	/* whole percent, 0..100 */
	__u8 reorder;		/* 0 or 1 */
	__u8 rate_unit;		/* FL_RATE_BPS or FL_RATE_PPS; NONE without */
	__u8 rate_per;		/* FL_RATE_PER_TARGET (default) or _FLOW */
	__u64 rate;		/* bits or packets per second */
	/* delay and rate apply to this share of the packets (or, with scope
	 * connections, of connections); one draw for both, so when both are
	 * given the percentages must agree. Not given: 100.
	 */
	bool has_delay_pct, has_rate_pct;
	double delay_pct, rate_pct;
	/* partition: everything between the target and these peers is
	 * dropped, both ways (a drop of 100 % on them, in one rule)
	 */
	bool has_partition;
	int n_part_peers;
	struct fl_cidr part_peers[FL_FAULT_MAX_PEERS];
	/* burst loss (Gilbert-Elliott), in percent. Either the model itself
	 * (p, r, h, k: netem's gemodel, h and k the chance a packet gets
	 * through in the bad and the good state) or the simple form
	 * (percent, correlation), which fl_fault_loss_model() turns into one.
	 * loss_given says which keys were given (FL_LOSS_GIVEN_*).
	 */
	bool has_loss;
	__u8 loss_given;
	__u8 loss_per;		/* FL_LOSS_PER_FLOW (default) or _FAULT */
	double loss_p, loss_r, loss_h, loss_k;
	double loss_pct, loss_corr;
	/* FL_SCOPE_PACKETS (default): each percentage is drawn per packet;
	 * _CONNECTIONS: it chooses whole connections (drop, duplicate, delay
	 * and rate; not burst loss, whose chain already runs per flow)
	 */
	__u8 scope;
	/* duplicate: a share of the packets sent twice */
	bool has_duplicate;
	double dup_pct;
	__u64 dup_prob;		/* fl_percent_to_prob(dup_pct) */
	/* reject: a share of the packets answered with a forged TCP RST or
	 * ICMP port unreachable instead of delivered (FL_REJECT_WITH_*)
	 */
	bool has_reject;
	double reject_pct;
	__u64 reject_prob;	/* fl_percent_to_prob(reject_pct) */
	__u8 reject_with;	/* FL_REJECT_WITH_AUTO (default): by protocol */
	/* dns: the target's queries (UDP to port 53) for these names (dns.h) */
	bool has_dns;
	__u8 dns_action;	/* enum fl_dns_action */
	int n_dns_names;
	char dns_names[FL_FAULT_MAX_DNS_NAMES][FL_DNS_TEXT_MAX];
	__u64 dns_delay_ns;	/* dns.delay, for the delay action */
	/* corrupt: one payload bit of a share of the packets flipped (egress
	 * only); the checksum left wrong, or kept valid with fix_checksum
	 */
	bool has_corrupt;
	bool corrupt_fix;
	double corrupt_pct;
	__u64 corrupt_prob;	/* fl_percent_to_prob(corrupt_pct) */
};

/* "tcp-reset" or "icmp-unreachable" into FL_REJECT_WITH_*; 0 or -EINVAL. */
int fl_parse_reject_with(const char *s, __u8 *out);
const char *fl_reject_with_name(__u8 with);

#define FL_LOSS_GIVEN_P		(1u << 0)
#define FL_LOSS_GIVEN_R		(1u << 1)
#define FL_LOSS_GIVEN_H		(1u << 2)
#define FL_LOSS_GIVEN_K		(1u << 3)
#define FL_LOSS_GIVEN_PCT	(1u << 4)
#define FL_LOSS_GIVEN_CORR	(1u << 5)
#define FL_LOSS_GIVEN_MODEL	(FL_LOSS_GIVEN_P | FL_LOSS_GIVEN_R | FL_LOSS_GIVEN_H | FL_LOSS_GIVEN_K)
#define FL_LOSS_GIVEN_SIMPLE	(FL_LOSS_GIVEN_PCT | FL_LOSS_GIVEN_CORR)

/* A burst-loss fault's model as probabilities (0..1): good->bad, bad->good,
 * and the chance of a loss in the good and in the bad state. The simple
 * form {percent L, correlation c} is the two-state chain that loses every
 * packet in the bad state and none in the good one, with the stationary
 * loss rate L and lag-one correlation c of its losses:
 * p = L(1-c), r = (1-L)(1-c) (so p + r = 1 - c and p / (p + r) = L).
 */
void fl_fault_loss_model(const struct fl_fault *f, double *p, double *r, double *loss_good,
			 double *loss_bad);

/* The peers a fault's rule matches: a partition's, else match.peers. */
static inline const struct fl_cidr *fl_fault_peers(const struct fl_fault *f, int *n)
{
	*n = f->has_partition ? f->n_part_peers : f->n_peers;
	return f->has_partition ? f->part_peers : f->peers;
}

/* Defaults: both directions, any protocol, no action. */
void fl_fault_init(struct fl_fault *f, const char *name);

/* The one validator. 0; or -EINVAL with *field set to the offending field
 * ("delay.time", "" for the fault as a whole) and msg to what is wrong and
 * what to do, without the field.
 */
int fl_fault_check(const struct fl_fault *f, const char **field, char *msg, size_t len);

/* The share of packets (or connections) delay and rate apply to, in
 * FL_PROB_ONE units: the one draw fl_rule_act makes for both.
 */
__u64 fl_fault_edt_prob(const struct fl_fault *f);
/* The directions the fault acts in: a DNS fault acts on the target's
 * queries as they leave it, whatever direction says (the validator refuses
 * ingress; both is the default).
 */
static inline __u32 fl_fault_dirs(const struct fl_fault *f)
{
	return f->has_dns ? FL_DIRM_EGRESS : f->dir_mask;
}

/* The fixed delay the fault adds: delay.time, or a DNS fault's dns.delay. */
static inline __u64 fl_fault_delay(const struct fl_fault *f)
{
	return f->has_dns && f->dns_action == FL_DNS_ACT_DELAY ? f->dns_delay_ns : f->delay_ns;
}

/* Does the fault need fq (a departure time)? */
static inline bool fl_fault_needs_edt(const struct fl_fault *f)
{
	return f->delay_ns || f->jitter_ns || f->rate_unit ||
	       (f->has_dns && f->dns_action == FL_DNS_ACT_DELAY);
}

/* The longest the fault can hold a packet, in ns: delay, the distribution's
 * largest excursion of jitter, and a rate limit's queue.
 */
__u64 fl_fault_max_hold(const struct fl_fault *f);

/* Bit n: some name of the DNS fault @f has n labels (a wildcard's suffix
 * counted); names that do not parse count for nothing (fl_fault_check
 * refuses them).
 */
__u64 fl_fault_dns_labels(const struct fl_fault *f);

/* One line saying what the fault does ("egress, tcp, 1 port: drop 30%"). */
void fl_fault_describe(const struct fl_fault *f, char *buf, size_t len);

#endif /* FL_FAULT_H */
