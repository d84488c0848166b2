/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What a run asks for, after validation: targets, rules, placement. */
#ifndef FL_SPEC_H
#define FL_SPEC_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>

#include "faultline.h"
#include "fault.h"
#include "parse.h"

#define FL_SPEC_MAX_TARGETS	64
#define FL_SPEC_MAX_IFACES	16

struct fl_target_spec {
	char path[PATH_MAX];	/* as given */
	char rel[PATH_MAX];	/* relative to the cgroup2 mount, leading '/' */
	__u64 cgid;
	__u32 level;
};

struct fl_spec {
	int n_targets;
	struct fl_target_spec targets[FL_SPEC_MAX_TARGETS];
	int n_rules;
	struct fl_fault rules[FL_RULES_PER_TARGET];	/* the faults: every target gets them all, in order */
	bool observe;			/* experiments: attach both ways, report TCP/HTTP signals */
	unsigned int observe_tp;	/* tracepoint programs the conditions need (1 << enum fl_prog) */
	char netns[PATH_MAX];		/* empty: discover */
	int n_ifaces;
	char ifaces[FL_SPEC_MAX_IFACES][IF_NAMESIZE];
	__u64 duration_ns;
	bool force_qdisc;
	bool force;			/* past the guards (guards.h) */
};

/* Directions in which some rule acts. */
static inline __u32 fl_spec_dirs(const struct fl_spec *s)
{
	__u32 m = 0;
	int i;

	for (i = 0; i < s->n_rules; i++)
		m |= fl_fault_dirs(&s->rules[i]);
	return m;
}

/* Directions in which some rule needs a departure time (fq). */
static inline __u32 fl_spec_edt_dirs(const struct fl_spec *s)
{
	__u32 m = 0;
	int i;

	for (i = 0; i < s->n_rules; i++)
		if (fl_fault_needs_edt(&s->rules[i]))
			m |= fl_fault_dirs(&s->rules[i]);
	return m;
}

/* Directions in which some rule copies packets (duplicate). */
static inline __u32 fl_spec_dup_dirs(const struct fl_spec *s)
{
	__u32 m = 0;
	int i;

	for (i = 0; i < s->n_rules; i++)
		if (s->rules[i].has_duplicate)
			m |= s->rules[i].dir_mask;
	return m;
}

/* Directions in which some rule answers packets (reject: tc hooks only). */
static inline __u32 fl_spec_reject_dirs(const struct fl_spec *s)
{
	__u32 m = 0;
	int i;

	for (i = 0; i < s->n_rules; i++)
		if (s->rules[i].has_reject)
			m |= s->rules[i].dir_mask;
	return m;
}

/* The longest a rule may hold a packet (delay plus @k jitters). */
static inline __u64 fl_spec_max_hold(const struct fl_spec *s, unsigned int k)
{
	__u64 m = 0, h;
	int i;

	for (i = 0; i < s->n_rules; i++) {
		h = fl_fault_delay(&s->rules[i]) + k * s->rules[i].jitter_ns;
		if (h > m)
			m = h;
	}
	return m;
}

#endif /* FL_SPEC_H */
