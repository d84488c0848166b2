/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Experiment files: a YAML description of a run (targets, faults, failure
 * conditions, probes), loaded and validated in one pass.
 *
 *   apiVersion: faultline/v1alpha1
 *   kind: Experiment
 *   metadata: {name: NAME}
 *   spec:
 *     duration: 2m                         # > 0, at most 24h
 *     targets:                             # 1..FL_EXP_MAX_TARGETS, each one of
 *       - cgroup: /sys/fs/cgroup/...
 *       - pid: 1234
 *       - container: {id: 0123456789ab}    # 64 hex digits, or a prefix of >= 12
 *       - pod: {uid: 6f1c...}
 *       - pod: {namespace: NS, name: NAME} # needs the API (an agent)
 *       - pods: {namespace: NS, matchLabels: {app: web}}   # needs the API
 *     faults: [...]                        # may be [], a control run
 *     failureConditions: [...]             # 1..FL_EXP_MAX_CONDITIONS
 *     probes: [...]                        # optional
 *
 * Every field is checked: an unknown or duplicated field, a wrong type, or
 * a value out of range is an error reported as "FILE:LINE:COL: message",
 * with the 1-based position of the offending node. Numbers, booleans and
 * thresholds must be plain (unquoted) scalars; strings and durations may be
 * quoted. YAML tags are refused. Only one document per file.
 *
 * Defaults: fault direction both; delay distribution uniform, jitter 0,
 * correlation 0, reorder false; rate per target; condition window 1m, or
 * the duration when that is shorter; prometheus interval 1s; probe
 * interval 1s, timeout 1s, expectStatus any 2xx.
 *
 * Bounds: duration 1ns..24h; names 1..63 bytes of [A-Za-z0-9._-] starting
 * with a letter or digit, unique among faults, probes and conditions
 * (each list on its own), targets unique (kind and value); percent and correlation
 * 0..100 (correlation whole); peers and ports, when given, non empty,
 * ports 1..65535; a fault's own limits are fault.h's (fl_fault_check),
 * the same as for `inject`; condition window 100ms..the
 * duration, none for prometheus; probe and prometheus interval 10ms..1h;
 * probe timeout 1ns..60s; expectStatus 100..599; urls up to 511 bytes,
 * tcp addresses up to 127; counts as FL_EXP_MAX_*.
 * Thresholds are in the signal's unit (see conditions.h): "250ms" for a
 * latency, "0.95" or "95%" for a ratio; a condition that the unit alone
 * decides ("below: 0", "atLeast: 0", a ratio "above: 1") is refused.
 */
#ifndef FL_EXPERIMENT_H
#define FL_EXPERIMENT_H

#include <stdbool.h>
#include <limits.h>
#include <net/if.h>
#include <stddef.h>
#include <sys/types.h>

#include "faultline.h"
#include "fault.h"
#include "parse.h"
#include "probes.h"
#include "conditions.h"

#define FL_EXP_API_VERSION	"faultline/v1alpha1"
#define FL_EXP_KIND		"Experiment"

#define FL_EXP_MAX_FILE_BYTES	(1 << 20)
#define FL_EXP_MAX_TARGETS	64
#define FL_EXP_MAX_FAULTS	FL_RULES_PER_TARGET	/* all run at once, in order */
#define FL_EXP_MAX_CONDITIONS	32
#define FL_EXP_MAX_PROBES	16
#define FL_EXP_MAX_URL		511	/* bytes, probe and prometheus urls;
					 * fits fl_probe_cfg.url */
#define FL_EXP_MAX_QUERY	4096
#define FL_EXP_MAX_ADDRESS	127	/* tcp probe "host:port", fits
					 * fl_probe_cfg.address */

#define FL_EXP_MAX_DURATION_NS	(24ULL * 3600 * 1000000000ULL)
#define FL_EXP_MIN_INTERVAL_NS	(10ULL * 1000000ULL)	/* probes, prometheus */
#define FL_EXP_MAX_INTERVAL_NS	(3600ULL * 1000000000ULL)
#define FL_EXP_MAX_TIMEOUT_NS	(60ULL * 1000000000ULL)
#define FL_EXP_DEFAULT_INTERVAL_NS	1000000000ULL
#define FL_EXP_DEFAULT_TIMEOUT_NS	1000000000ULL

/* What a target names. Every kind but the last two is resolved on the
 * node to one cgroup v2 directory (k8s_cgroups.h, targets.h) and is then a
 * cgroup target like any other; a pod by name and a label selector need
 * the Kubernetes API, so they are parsed and kept for an agent that has
 * it, and refused by a run on one host (fl_experiment_check_local).
 */
enum fl_target_kind {
	FL_TARGET_CGROUP,	/* cgroup: PATH */
	FL_TARGET_PID,		/* pid: N, the cgroup the process is in at start */
	FL_TARGET_CONTAINER,	/* container: {id: ID}, 64 hex digits or a prefix of 12 or more */
	FL_TARGET_POD_UID,	/* pod: {uid: UID} */
	FL_TARGET_POD_NAME,	/* pod: {namespace: NS, name: NAME}: needs the API */
	FL_TARGET_POD_SELECTOR,	/* pods: {namespace: NS, matchLabels: {...}}: needs the API */
};

#define FL_EXP_MAX_LABELS	16
#define FL_CONTAINER_ID_LEN	64	/* hex digits of a full container id */
#define FL_CONTAINER_ID_MIN	12	/* the shortest prefix accepted, as docker shows */
#define FL_POD_UID_MAX		64

struct fl_exp_label {
	char *key;
	char *value;
};

struct fl_exp_target {
	enum fl_target_kind kind;
	char *cgroup;		/* cgroup: the absolute path as written; else NULL */
	char *ref;		/* what was asked, as the report names it: the
				 * path, the pid, the container id (without a
				 * "containerd://" scheme), the pod uid,
				 * "NAMESPACE/NAME", or "NAMESPACE/k=v,..." */
	pid_t pid;		/* pid */
	char *namespace;	/* pod by name, pods */
	char *name;		/* pod by name */
	int n_labels;		/* pods: matchLabels, in file order */
	struct fl_exp_label labels[FL_EXP_MAX_LABELS];
	int line, col;		/* of the target's value in the file, from 1:
				 * a target that resolves to no cgroup is
				 * found only at run time */
};

/* Field names follow struct fl_probe_cfg (probes.h). */
struct fl_exp_probe {
	char name[FL_NAME_MAX];
	int kind;		/* FL_PROBE_HTTP or FL_PROBE_TCP */
	char *url;		/* http: "http://..." or "https://..." */
	int expect_status;	/* http: 100..599, or 0 (default): any 2xx */
	char *address;		/* tcp: "host:port" or "[IPv6]:port"; host is
				 * an IPv4 address or a DNS name */
	__u16 port;		/* tcp: the port of address */
	__u64 interval_ns;
	__u64 timeout_ns;
	char *netns;		/* NULL: the caller's namespace */
};

/* Where to attach, for `inject`'s --netns, --iface and --force-qdisc; an
 * experiment file has no such fields (the defaults: discover, all
 * interfaces but lo, refuse to replace a foreign root qdisc).
 */
struct fl_exp_place {
	char netns[PATH_MAX];	/* "": the namespaces of the targets' processes */
	char cgroup_root[PATH_MAX];	/* --cgroup-root: where pods and containers
					 * are looked for; "": FAULTLINE_CGROUP_ROOT,
					 * else the cgroup2 mount */
	int n_ifaces;
	char ifaces[16][IF_NAMESIZE];
	bool force_qdisc;
	bool force;		/* --force: past the guards (guards.h); a
				 * file has no such field */
};

struct fl_experiment {
	char file[PATH_MAX];	/* where it was read from; "" when built from flags */
	char name[FL_NAME_MAX];
	__u64 duration_ns;
	int n_targets;
	struct fl_exp_target targets[FL_EXP_MAX_TARGETS];
	int n_faults;
	struct fl_fault faults[FL_EXP_MAX_FAULTS];
	int n_conditions;
	struct fl_condition conditions[FL_EXP_MAX_CONDITIONS];
	int n_probes;
	struct fl_exp_probe probes[FL_EXP_MAX_PROBES];
	struct fl_exp_place place;
	char *text;		/* the text it was parsed from (owned): what an
				 * agent's pin record keeps, to take it back */
};

/* Reads and parses path. 0; -EINVAL with "path:line:col: message" in err;
 * -EINVAL too, with "path: reason", for a path that names no readable
 * file (missing, a directory, over FL_EXP_MAX_FILE_BYTES): bad input, not
 * a runtime failure; another negative errno when reading fails.
 * On error *exp holds nothing to free.
 */
int fl_experiment_load(const char *path, struct fl_experiment *exp, char *err,
		       size_t errlen);

/* Parses len bytes of text; name stands for the file in messages. */
int fl_experiment_parse(const char *name, const char *text, size_t len,
			struct fl_experiment *exp, char *err, size_t errlen);

/* Frees the strings an experiment owns and empties it; safe to repeat. */
void fl_experiment_free(struct fl_experiment *exp);

/* The YAML key of a target kind ("cgroup", "pid", "container", "pod",
 * "pods"), as the report's targets[].kind says it.
 */
const char *fl_target_kind_name(enum fl_target_kind kind);

/* Fills @t (empty) with a target of @kind from one value, as `inject`'s
 * --cgroup, --pid, --container and --pod-uid give it and as a file's
 * field holds it: checks it and sets ref. 0, or -EINVAL with @what set
 * to what was expected; -ENOMEM. The checks are the file's.
 */
int fl_exp_target_set(struct fl_exp_target *t, enum fl_target_kind kind, const char *value,
		      const char **what);

/* Frees what a target owns and empties it. */
void fl_exp_target_free(struct fl_exp_target *t);

/* A run on one host resolves targets on the node only: a pod by name or a
 * label selector needs the Kubernetes API. 0, or -EINVAL with
 * "FILE:LINE:COL: targets[i].pod: ..." in @err for the first such target.
 */
int fl_experiment_check_local(const struct fl_experiment *exp, char *err, size_t errlen);

/* Index of the probe called name, or -1. */
int fl_experiment_find_probe(const struct fl_experiment *exp,
			     const char *name);

#endif /* FL_EXPERIMENT_H */
