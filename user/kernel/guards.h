/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Guards: experiments that are valid but likely a mistake with a large
 * blast radius, refused unless the run says --force. They are checked on
 * the one path every run takes (the engine's fl_engine_add, after the
 * targets and the placement are resolved), so `inject`, `run`, their dry
 * runs and the agent refuse alike; `validate` checks the duration, the
 * one guard that needs no host.
 */
#ifndef FL_GUARDS_H
#define FL_GUARDS_H

#include <stddef.h>

#include "faultline.h"
#include "run.h"

/* Longer than this needs --force: a forgotten run should end on its own. */
#define FL_GUARD_MAX_DURATION_NS	(3600ULL * 1000000000ULL)
/* A drop above this on the host's default-route interface needs --force. */
#define FL_GUARD_MAX_HOST_DROP_PCT	50.0

/* The end of a refusal for a run that can say --force. */
#define FL_GUARD_FORCE_HOW	"pass --force if that is what you mean"

/* 0; or -EINVAL with "guard: ...; shorten it, or @how" in @err. */
int fl_guard_duration(__u64 duration_ns, const char *how, char *err, size_t errlen);

/* The guards on the resolved targets, before the placement is looked for:
 * the duration; a target that is the root cgroup, or is or contains the
 * cgroup of PID 1 or faultline's own. 0 when none applies or spec->force
 * is set; else -EINVAL (bad input: exit 2) with the guard in @err, ending
 * with @how.
 */
int fl_guards_check_spec(const struct fl_spec *spec, const char *how, char *err, size_t errlen);

/* The guard on the resolved placement: a fault dropping more than 50 % on
 * the default-route interface of the host namespace. As above.
 */
int fl_guards_check_place(const struct fl_run *run, const char *how, char *err, size_t errlen);

#endif /* FL_GUARDS_H */
