/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The one runner. An engine holds a set of experiments ("jobs"), each with
 * its own BPF object, maps, armed flag, deadline, conditions, probes and
 * result; one loop serves them all: ring buffers, probe and Prometheus
 * samples, condition ticks, deadlines and idle-flow expiry. A job that
 * trips, runs out its duration or is stopped is disarmed, detached and
 * restored on its own while the others go on.
 *
 * No globals: two engines, or two jobs in one engine, share nothing. The
 * engine prints nothing of its own; signals belong to the caller, which
 * may call fl_engine_disarm_all() from a handler.
 *
 *   fl_engine_new -> fl_engine_add (resolve: nothing changes yet)
 *     -> fl_job_start (attach, arm) -> fl_engine_step ... until ended
 *     -> fl_job_result -> fl_engine_remove -> fl_engine_free
 */
#ifndef FL_ENGINE_H
#define FL_ENGINE_H

#include <stdbool.h>
#include <sys/types.h>

#include "experiment.h"
#include "result.h"
#include "run.h"

#define FL_ENGINE_MAX_JOBS	64

struct fl_engine;
struct fl_job;

/* @who prefixes what the kernel layer says ("faultline run"); a static string. */
int fl_engine_new(struct fl_engine **out, const char *who);
/* How a refused guard's message says to get past it (guards.h); default
 * "pass --force ...": the agent, which has no --force, says otherwise. A
 * static string.
 */
void fl_engine_set_force_how(struct fl_engine *e, const char *how);
/* Stops (as Aborted) and frees every job left. */
void fl_engine_free(struct fl_engine *e);

/* Take @exp (moved: *exp is left empty) and resolve where it would attach:
 * targets, namespaces, interfaces, hooks, qdiscs. Nothing in the kernel
 * changes. 0; -EINVAL for bad input (exit 2) with "what: why" in @err;
 * -EEXIST for a name already running; another -errno for a runtime error.
 */
int fl_engine_add(struct fl_engine *e, struct fl_experiment *exp, struct fl_job **out,
		  char *err, size_t errlen);
/* Remove an ended (or never started) job and free it. */
void fl_engine_remove(struct fl_engine *e, struct fl_job *j);
int fl_engine_count(const struct fl_engine *e);

/* Add @t (moved: *t is left empty) to the running job @j, as it would
 * have been placed at the start: resolved to its cgroup, the namespaces
 * of its processes that the job does not cover yet get the job's
 * programs (and fq where delay or rate need it), then its map entries.
 * Its faults act from then on until the job's own end; a condition on a
 * kernel signal judges it from now. Target ids are never reused, so a
 * job takes at most FL_EXP_MAX_TARGETS over its life. 0; -EINVAL (it
 * resolves to nothing here, has no process, or its namespace cannot be
 * covered), -EEXIST (already a target of @j), -EBUSY (it overlaps
 * another running job's target), -EALREADY (@j is not running), -E2BIG,
 * or another -errno; "what: why" in @err, and nothing of it is left.
 */
int fl_job_add_target(struct fl_job *j, struct fl_exp_target *t, char *err, size_t errlen);
/* Take the target @ref (its ref as the report names it: a pod uid, a
 * path, ...) out of the running job @j: its packets pass at once; then
 * what only it needed is detached and its qdiscs restored. Its counters
 * stay in the result, where it is marked removed. 0; -ENOENT (no such
 * live target), -EALREADY; another -errno when something could not be
 * taken off (then the job's end does it), with @err.
 */
int fl_job_remove_target(struct fl_job *j, const char *ref, char *err, size_t errlen);
/* Does @t overlap a target of a running job other than @self: the same
 * cgroup, or one the ancestor of the other? Says which in @err.
 */
bool fl_engine_overlap(const struct fl_engine *e, const struct fl_job *self,
		       const struct fl_target_spec *t, char *err, size_t errlen);

/* Load, fill the maps, attach, arm, start probes and Prometheus polls.
 * On failure the job has ended as Error (its result says why) and
 * nothing of it is left attached.
 */
int fl_job_start(struct fl_job *j);
/* Pin the job under @dir (bpffs) when it starts, so that it outlives this
 * process (pin.h), keeping @note (the caller's, any text) in its record;
 * the pins go on every end. Before fl_job_start.
 */
int fl_job_set_pin(struct fl_job *j, const char *dir, const char *note);
/* Take back the job a dead process pinned under @dir: it runs on to its
 * original deadline with its maps, links and qdiscs, its conditions judged
 * afresh from now, and ends as any job. *@note gets the note (the caller
 * frees it). On failure, when *@out is set, the job has ended as Error and
 * what was found of it was removed; without *@out nothing was readable
 * (the caller removes the directory). @err says why.
 */
int fl_engine_adopt(struct fl_engine *e, const char *dir, struct fl_job **out, char **note,
		    char *err, size_t errlen);
/* The dry run's kernel check: load the programs the placement needs (the
 * verifier, the maps) and unload them. The number of programs, or -errno.
 */
int fl_job_dry_load(struct fl_job *j);

/* Serve every running job once, waiting at most @timeout_ms for evidence.
 * Jobs whose end comes (trip, deadline, stop) are finished here. Returns
 * how many jobs still run, or -errno if waiting itself failed.
 */
int fl_engine_step(struct fl_engine *e, int timeout_ms);

/* Clear every job's armed flag: one store each. Async-signal-safe, so a
 * signal handler stops the faults at once; fl_job_stop follows.
 */
void fl_engine_disarm_all(struct fl_engine *e);
/* End a job as Aborted (by @signo, and @stopper when `faultline stop`
 * asked: its pid), at the next step, or now for one not started.
 */
void fl_job_stop(struct fl_job *j, int signo, pid_t stopper);
void fl_engine_stop_all(struct fl_engine *e, int signo, pid_t stopper);
/* The same as fl_job_stop, with @why as the Aborted result's reason. */
void fl_job_stop_why(struct fl_job *j, const char *why);

bool fl_job_ended(const struct fl_job *j);
const struct fl_experiment *fl_job_experiment(const struct fl_job *j);
/* The placement resolved by fl_engine_add, for a dry run's listing. */
const struct fl_run *fl_job_run(const struct fl_job *j);
/* Valid once the job ended. */
const struct fl_result *fl_job_result(const struct fl_job *j);

/* A running job's live view, for a status line. */
struct fl_job_status {
	const char *name;
	enum fl_state state;
	double elapsed_s, duration_s;
	struct fl_dp_counters counters;
	size_t flows;
	int n_conds;
	struct {
		const char *name;
		const char *op;
		double threshold;
		bool has_value;
		double value;
	} conds[FL_EXP_MAX_CONDITIONS];
};
void fl_job_status(const struct fl_job *j, struct fl_job_status *st);

#endif /* FL_ENGINE_H */
