/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The world a BPF test (or the benchmark) runs in: a cgroup of its own
 * that the process moves into, and the loaded datapath with helpers to
 * fill its maps, run a program on a frame and read the counters back.
 *
 * BPF_PROG_TEST_RUN builds its skb around a dummy socket allocated in the
 * calling task's cgroup, so the egress and cgroup_skb programs see the
 * test process as the sender: configuring our own cgroup as a target
 * makes the test's frames target packets, and a sibling cgroup as the
 * only target makes them bystanders.
 */
#ifndef FL_TEST_FIXTURE_H
#define FL_TEST_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "faultline.h"
#include "datapath.h"
#include "faultline.skel.h"
#include "parse.h"
#include "targets.h"

/* ---- cgroups ---------------------------------------------------------- */

struct fx_cgroups {
	char mnt[PATH_MAX];
	char base[PATH_MAX];	/* <mnt>/<prefix><random> */
	char target[PATH_MAX];	/* <base>/target: the test process lives here */
	char other[PATH_MAX];	/* <base>/other: a bystander sibling */
	char home_procs[2 * PATH_MAX + 32];	/* cgroup.procs to return to */
	char pid[32];
	__u64 base_id, target_id, other_id;
	__u32 base_level, target_level;
	int live;
};

static struct fx_cgroups fx_cg;

static inline int fx_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -EIO;
}

/* Async-signal-safe: the paths were formatted at setup. */
static inline void fx_cg_teardown(void)
{
	if (!fx_cg.live)
		return;
	fx_cg.live = 0;
	if (fx_write(fx_cg.home_procs, fx_cg.pid)) {
		char root[PATH_MAX + 16];

		snprintf(root, sizeof(root), "%s/cgroup.procs", fx_cg.mnt);
		fx_write(root, fx_cg.pid);
	}
	rmdir(fx_cg.target);
	rmdir(fx_cg.other);
	rmdir(fx_cg.base);
}

static inline void fx_cg_on_signal(int sig)
{
	fx_cg_teardown();
	signal(sig, SIG_DFL);
	raise(sig);
}

static inline int fx_cg_id(const char *path, __u64 *id, __u32 *level)
{
	struct fl_target_spec t = {};
	char err[256];
	int rc;

	snprintf(t.path, sizeof(t.path), "%s", path);
	rc = fl_target_resolve(&t, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return rc;
	}
	*id = t.cgid;
	if (level)
		*level = t.level;
	return 0;
}

/* The cgroup v2 path this process started in, as <mnt><path>/cgroup.procs. */
static inline void fx_cg_home(void)
{
	char line[PATH_MAX], *rel = NULL;
	FILE *f = fopen("/proc/self/cgroup", "r");

	snprintf(fx_cg.home_procs, sizeof(fx_cg.home_procs), "%s/cgroup.procs", fx_cg.mnt);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			rel = line + 3;
			rel[strcspn(rel, "\n")] = 0;
			break;
		}
	}
	fclose(f);
	if (rel && strcmp(rel, "/") && strlen(fx_cg.mnt) + strlen(rel) + 14 < PATH_MAX)
		snprintf(fx_cg.home_procs, sizeof(fx_cg.home_procs), "%s%s/cgroup.procs",
			 fx_cg.mnt, rel);
}

/* Make <mnt>/<prefix><rand>/{target,other} and move into target. */
static inline int fx_cg_setup(const char *prefix)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT };
	char procs[PATH_MAX + 16];
	unsigned int rnd;
	size_t i;
	int rc;

	memset(&fx_cg, 0, sizeof(fx_cg));
	rc = fl_cgroup2_mount(fx_cg.mnt, sizeof(fx_cg.mnt));
	if (rc) {
		fprintf(stderr, "fixture: no cgroup2 mount: %s\n", strerror(-rc));
		return rc;
	}
	fx_cg_home();
	srandom(getpid() ^ time(NULL));
	rnd = random();
	snprintf(fx_cg.base, sizeof(fx_cg.base), "%s/%s%08x", fx_cg.mnt, prefix, rnd);
	snprintf(fx_cg.target, sizeof(fx_cg.target), "%.*s/target", PATH_MAX - 8, fx_cg.base);
	snprintf(fx_cg.other, sizeof(fx_cg.other), "%.*s/other", PATH_MAX - 8, fx_cg.base);
	snprintf(fx_cg.pid, sizeof(fx_cg.pid), "%d", getpid());
	if (mkdir(fx_cg.base, 0755)) {
		rc = -errno;
		fprintf(stderr, "fixture: mkdir %s: %s\n", fx_cg.base, strerror(errno));
		return rc;
	}
	fx_cg.live = 1;
	atexit(fx_cg_teardown);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], fx_cg_on_signal);
	if (mkdir(fx_cg.target, 0755) || mkdir(fx_cg.other, 0755)) {
		rc = -errno;
		fprintf(stderr, "fixture: mkdir below %s: %s\n", fx_cg.base, strerror(errno));
		goto fail;
	}
	rc = fx_cg_id(fx_cg.base, &fx_cg.base_id, &fx_cg.base_level);
	if (!rc)
		rc = fx_cg_id(fx_cg.target, &fx_cg.target_id, &fx_cg.target_level);
	if (!rc)
		rc = fx_cg_id(fx_cg.other, &fx_cg.other_id, NULL);
	if (rc)
		goto fail;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", fx_cg.target);
	rc = fx_write(procs, fx_cg.pid);
	if (rc) {
		fprintf(stderr, "fixture: joining %s: %s\n", fx_cg.target, strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	fx_cg_teardown();
	return rc;
}

/* ---- the datapath ------------------------------------------------------- */

#ifdef _GNU_SOURCE	/* unshare() */
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* A network namespace of this process's own with its loopback up: a
 * delayed packet's copy really is transmitted (bpf_clone_redirect() in a
 * test run sends it on the test device), and must not reach the host's
 * network. Returns 0, or -1 with errno set.
 */
static inline int fx_private_netns(void)
{
	struct ifreq ifr = { 0 };
	int fd, rc = -1;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		goto cleanup;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		goto cleanup;
	rc = 0;
cleanup:
	close(fd);
	return rc;
}
#endif /* _GNU_SOURCE */

#define FX_MAX_EVENTS	256
#define FX_RESET_RULES	64	/* rule ids the tests use: 0 .. FX_RESET_RULES-1 */

struct fx_codes {
	const char *name;
	__u32 pass;
	__u32 drop;
	__u32 dir;
};

/* What each entry point returns for pass and for drop. */
static const struct fx_codes fx_code[FL_PROG_MAX] = {
	[FL_PROG_XDP_IN] = { "fl_xdp_in", 2 /* XDP_PASS */, 1 /* XDP_DROP */, FL_DIR_INGRESS },
	[FL_PROG_TC_IN] = { "fl_tc_in", 0xffffffff, 2 /* TC_ACT_SHOT */, FL_DIR_INGRESS },
	[FL_PROG_TCX_EG] = { "fl_tcx_eg", 0xffffffff, 7 /* bpf_redirect */, FL_DIR_EGRESS },
	[FL_PROG_CLS_EG] = { "fl_cls_eg", 0xffffffff, 4 /* TC_ACT_STOLEN */, FL_DIR_EGRESS },
	[FL_PROG_CG_IN] = { "fl_cg_in", 1, 0, FL_DIR_INGRESS },
	[FL_PROG_TCX_PIN] = { "fl_tcx_pin", 0xffffffff, 7 /* bpf_redirect */, FL_DIR_INGRESS },
	[FL_PROG_CLS_PIN] = { "fl_cls_pin", 0xffffffff, 4 /* TC_ACT_STOLEN */, FL_DIR_INGRESS },
};

struct fx {
	struct faultline_bpf *skel;
	volatile struct fl_control *ctl;	/* the mmap'ed .bss */
	int prog_fd[FL_PROG_MAX];
	struct ring_buffer *rb;
	struct fl_event ev[FX_MAX_EVENTS];
	int n_ev;		/* stored events since the last fx_events_clear() */
	int n_ev_total;
	int ncpu;
	__u32 n_levels;
};

static inline __u64 fx_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The datapath stamps flow records with the coarse clock, which can lag
 * CLOCK_MONOTONIC by a tick: the lower bound of a time window.
 */
static inline __u64 fx_now_coarse(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline int fx_on_event(void *ctx, void *data, size_t len)
{
	struct fx *f = ctx;

	f->n_ev_total++;
	if (len >= sizeof(struct fl_event) && f->n_ev < FX_MAX_EVENTS)
		memcpy(&f->ev[f->n_ev++], data, sizeof(struct fl_event));
	return 0;
}

static inline int fx_silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN || getenv("FL_TEST_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static inline void fx_close(struct fx *f)
{
	ring_buffer__free(f->rb);
	f->rb = NULL;
	faultline_bpf__destroy(f->skel);
	f->skel = NULL;
	f->ctl = NULL;
}

/* Load only the entry points in @mask (1 << enum fl_prog): every other
 * program in the object, including ones added later, stays unloaded, so a
 * test depends on nothing but what it runs.
 */
static inline int fx_open(struct fx *f, unsigned int mask)
{
	struct bpf_program *prog;
	int i, rc;

	memset(f, 0, sizeof(*f));
	libbpf_set_print(fx_silent);
	f->skel = faultline_bpf__open();
	if (!f->skel)
		return -errno;
	bpf_object__for_each_program(prog, f->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < FL_PROG_MAX; i++) {
		if (!(mask & (1u << i)) || !fx_code[i].name)
			continue;
		prog = bpf_object__find_program_by_name(f->skel->obj, fx_code[i].name);
		if (prog)
			bpf_program__set_autoload(prog, true);
	}
	rc = faultline_bpf__load(f->skel);
	if (rc) {
		faultline_bpf__destroy(f->skel);
		f->skel = NULL;
		return rc;
	}
	f->ctl = (volatile struct fl_control *)&f->skel->bss->fl_ctl;
	for (i = 0; i < FL_PROG_MAX; i++) {
		prog = fx_code[i].name ?
			bpf_object__find_program_by_name(f->skel->obj, fx_code[i].name) : NULL;
		f->prog_fd[i] = prog && (mask & (1u << i)) ? bpf_program__fd(prog) : -1;
	}
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.fl_events), fx_on_event, f, NULL);
	if (!f->rb) {
		rc = -errno;
		fx_close(f);
		return rc;
	}
	f->ncpu = libbpf_num_possible_cpus();
	return 0;
}

static inline void fx_clear_hash(int fd, size_t key_size)
{
	char key[64];

	if (key_size > sizeof(key))
		return;
	while (!bpf_map_get_next_key(fd, NULL, key))
		if (bpf_map_delete_elem(fd, key))
			break;
}

static inline void fx_zero_percpu(int fd, __u32 first, __u32 n, size_t value_size, int ncpu)
{
	size_t sz = ((value_size + 7) & ~7UL) * ncpu;
	void *zero = calloc(1, sz);
	__u32 k;

	if (!zero)
		return;
	for (k = first; k < first + n; k++)
		bpf_map_update_elem(fd, &k, zero, BPF_ANY);
	free(zero);
}

static inline int fx_events(struct fx *f)
{
	return ring_buffer__consume(f->rb);
}

static inline void fx_events_clear(struct fx *f)
{
	fx_events(f);
	f->n_ev = 0;
	f->n_ev_total = 0;
}

static inline void fx_levels(struct fx *f, const __u32 *levels, __u32 n)
{
	volatile struct fl_control *c = f->ctl;
	__u32 i;

	for (i = 0; i < n && i < FL_MAX_LEVELS; i++)
		c->levels[i] = levels[i];
	f->n_levels = i;
	c->n_levels = i;
}

/* Every map empty, counters zero, armed for an hour, no cgroup levels. */
static inline void fx_reset(struct fx *f)
{
	struct faultline_bpf *s = f->skel;
	struct fl_rule zero_rule = {};
	__u32 k;

	fx_clear_hash(bpf_map__fd(s->maps.fl_targets), sizeof(__u64));
	fx_clear_hash(bpf_map__fd(s->maps.fl_owned), sizeof(struct fl_addr));
	fx_clear_hash(bpf_map__fd(s->maps.fl_peers), sizeof(struct fl_peer_key));
	fx_clear_hash(bpf_map__fd(s->maps.fl_flows), sizeof(struct fl_flow_key));
	fx_clear_hash(bpf_map__fd(s->maps.fl_dns), sizeof(struct fl_dns_key));
	for (k = 0; k < FX_RESET_RULES; k++)
		bpf_map_update_elem(bpf_map__fd(s->maps.fl_rules), &k, &zero_rule, BPF_ANY);
	fx_zero_percpu(bpf_map__fd(s->maps.fl_rule_stats), 0, FX_RESET_RULES * FL_DIR_MAX,
		       sizeof(struct fl_rule_stats), f->ncpu);
	fx_zero_percpu(bpf_map__fd(s->maps.fl_stats), 0, FL_DIR_MAX, sizeof(struct fl_stats),
		       f->ncpu);
	for (k = 0; k < FX_RESET_RULES; k++) {
		struct fl_rule_state zero_state = {};

		bpf_map_update_elem(bpf_map__fd(s->maps.fl_rule_state), &k, &zero_state, BPF_ANY);
	}
	fx_levels(f, NULL, 0);
	fx_events_clear(f);
	f->ctl->deadline_ns = fx_now() + 3600ULL * 1000000000ULL;
	f->ctl->armed = 1;
}

static inline int fx_rule(struct fx *f, __u32 rid, const struct fl_rule *r)
{
	return bpf_map_update_elem(bpf_map__fd(f->skel->maps.fl_rules), &rid, r, BPF_ANY);
}

/* A target with the listed rules, keyed by cgroup id. */
static inline int fx_target(struct fx *f, __u64 cgid, __u32 target_id, const __u32 *rids,
			    __u32 n, __u32 peer_rules)
{
	struct fl_target t = { .target_id = target_id, .n_rules = n, .peer_rules = peer_rules };
	__u32 i;

	__u32 bit = fl_filter_bit(cgid);

	for (i = 0; i < n && i < FL_RULES_PER_TARGET; i++)
		t.rule_ids[i] = rids[i];
	f->skel->bss->fl_ctl.filter[bit >> 6] |= 1ULL << (bit & 63);
	return bpf_map_update_elem(bpf_map__fd(f->skel->maps.fl_targets), &cgid, &t, BPF_ANY);
}

/* The same, keyed by a local address a target owns. */
static inline int fx_owned(struct fx *f, const struct fl_addr *a, __u32 target_id,
			   const __u32 *rids, __u32 n, __u32 peer_rules)
{
	struct fl_target t = { .target_id = target_id, .n_rules = n, .peer_rules = peer_rules };
	__u32 i;

	__u32 bit = fl_filter_bit_addr(a);

	for (i = 0; i < n && i < FL_RULES_PER_TARGET; i++)
		t.rule_ids[i] = rids[i];
	f->skel->bss->fl_ctl.filter[bit >> 6] |= 1ULL << (bit & 63);
	return bpf_map_update_elem(bpf_map__fd(f->skel->maps.fl_owned), a, &t, BPF_ANY);
}

/* Peer prefix @cidr for @target_id; @mask: rule slots whose peers cover it. */
static inline int fx_peer(struct fx *f, __u32 target_id, const char *cidr, __u32 mask)
{
	struct fl_peer_key k = { .target_id = htonl(target_id) };
	struct fl_peer_val v = { .rule_mask = mask };
	struct fl_cidr c;
	__u32 bits;
	int rc;

	rc = fl_parse_cidr(cidr, &c);
	if (rc)
		return rc;
	fl_cidr_to_peer_key_addr(&c, k.addr, &bits);
	k.prefixlen = 32 + bits;
	return bpf_map_update_elem(bpf_map__fd(f->skel->maps.fl_peers), &k, &v, BPF_ANY);
}

/* One BPF_PROG_TEST_RUN; returns 0 or a negative errno. */
static inline int fx_run(struct fx *f, enum fl_prog prog, const void *data, __u32 len,
			 __u32 repeat, __u32 *retval, __u32 *duration)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len,
		    .repeat = repeat);
	int rc;

	rc = bpf_prog_test_run_opts(f->prog_fd[prog], &o);
	if (rc)
		return rc < 0 ? rc : -rc;
	if (retval)
		*retval = o.retval;
	if (duration)
		*duration = o.duration;
	return 0;
}

/* Sum a per-CPU value made only of __u64 counters into @out. */
static inline int fx_percpu_sum(struct fx *f, struct bpf_map *map, __u32 key, void *out,
				size_t size)
{
	size_t stride = (size + 7) & ~7UL, n = size / sizeof(__u64), i;
	__u64 *sum = out;
	char *vals;
	int cpu, rc;

	memset(out, 0, size);
	vals = calloc(f->ncpu, stride);
	if (!vals)
		return -ENOMEM;
	rc = bpf_map_lookup_elem(bpf_map__fd(map), &key, vals);
	for (cpu = 0; !rc && cpu < f->ncpu; cpu++)
		for (i = 0; i < n; i++)
			sum[i] += ((__u64 *)(vals + cpu * stride))[i];
	free(vals);
	return rc;
}

/* Rule @rid's counters per direction, summed over CPUs. */
static inline void fx_rule_stats(struct fx *f, __u32 rid, struct fl_rule_stats out[FL_DIR_MAX])
{
	int d;

	for (d = 0; d < FL_DIR_MAX; d++)
		if (fx_percpu_sum(f, f->skel->maps.fl_rule_stats, rid * FL_DIR_MAX + d, &out[d],
				  sizeof(out[d])))
			memset(&out[d], 0xff, sizeof(out[d]));
}

static inline void fx_stats(struct fx *f, struct fl_stats out[FL_DIR_MAX])
{
	int d;

	for (d = 0; d < FL_DIR_MAX; d++)
		if (fx_percpu_sum(f, f->skel->maps.fl_stats, d, &out[d], sizeof(out[d])))
			memset(&out[d], 0xff, sizeof(out[d]));
}

#endif /* FL_TEST_FIXTURE_H */
