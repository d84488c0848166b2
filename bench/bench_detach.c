// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The kernel's own price of detaching: attach an empty program with the
 * same kinds of link that a faultline run holds, on the same interface,
 * and time closing them in the same order. bench/abort_latency.sh runs it
 * between trips, so the trip's detach time is read against what closing
 * those links costs on this machine at that moment (mostly an RCU grace
 * period each), not against a figure from another day.
 *
 * Usage: bench_detach --iface IF [--cgroup DIR] [--rounds N] [--hold-ms MS]
 *                     [--faultline | --cgroup-test] HOOK...
 *   HOOK: tcx_egress | tcx_ingress | xdp_native | xdp_generic | cgroup_ingress |
 *         cgroup_sock_create
 * --faultline attaches faultline's own programs (loaded, left disarmed) in
 * place of empty ones; --cgroup-test, on tc hooks, a program that only
 * reads the sending socket's cgroup id (bench/side_by_side.sh's floor of a
 * decision by cgroup); --hold-ms keeps the links attached, carrying
 * whatever traffic flows, before closing them.
 * Runs in the caller's network namespace. Prints one line per round:
 *   <total ns> <ns of each close, in HOOK order> <ns of one grace period>
 * The grace period is membarrier(MEMBARRIER_CMD_GLOBAL), which is one
 * synchronize_rcu() in the kernel: the unit the detach target is set in.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>

#include "datapath.h"
#include "empty_prog.h"

#define MAX_HOOKS	8
/* libbpf 1.1's headers predate tcx */
#define BENCH_TCX_INGRESS	46
#define BENCH_TCX_EGRESS	47

struct hook {
	const char *name;
	enum bpf_prog_type type;
	int attach_type;
	__u32 xdp_flags;
	int code;	/* the empty program's verdict: pass */
	enum fl_prog fl;	/* faultline's program for this hook */
};

static const struct hook hooks[] = {
	{ "tcx_egress", BPF_PROG_TYPE_SCHED_CLS, BENCH_TCX_EGRESS, 0, -1 /* TCX_NEXT */, FL_PROG_TCX_EG },
	{ "tcx_ingress", BPF_PROG_TYPE_SCHED_CLS, BENCH_TCX_INGRESS, 0, -1, FL_PROG_TC_IN },
	{ "xdp_native", BPF_PROG_TYPE_XDP, BPF_XDP, XDP_FLAGS_DRV_MODE, 2 /* XDP_PASS */, FL_PROG_XDP_IN },
	{ "xdp_generic", BPF_PROG_TYPE_XDP, BPF_XDP, XDP_FLAGS_SKB_MODE, 2, FL_PROG_XDP_IN },
	{ "cgroup_ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, 0, 1, FL_PROG_CG_IN },
	{ "cgroup_sock_create", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, 0, 1,
	  FL_PROG_SOCK_WATCH },
};

static bool is_cgroup(const struct hook *h)
{
	return h->type == BPF_PROG_TYPE_CGROUP_SKB || h->type == BPF_PROG_TYPE_CGROUP_SOCK;
}

static const struct hook *hook_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (!strcmp(hooks[i].name, name))
			return &hooks[i];
	return NULL;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_detach --iface IF [--cgroup DIR] [--rounds N] [--hold-ms MS]\n"
			"                    [--faultline | --cgroup-test] HOOK...\n"
			"  HOOK: tcx_egress tcx_ingress xdp_native xdp_generic cgroup_ingress\n"
			"        cgroup_sock_create\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "hold-ms", required_argument, NULL, 'h' },
		{ "faultline", no_argument, NULL, 'f' },
		{ "cgroup-test", no_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const struct hook *h[MAX_HOOKS];
	int prog[MAX_HOOKS], link[MAX_HOOKS], n = 0, i, opt, round, rounds = 1;
	int ifindex = 0, cg_fd = -1, ret = 2, hold_ms = 0;
	struct fl_datapath dp = {};
	bool use_fl = false, cg_test = false;
	const char *iface = NULL, *cgroup = NULL;
	__u64 t[MAX_HOOKS + 1], last, total;
	int pass;

	for (i = 0; i < MAX_HOOKS; i++)
		prog[i] = link[i] = -1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			iface = optarg;
			break;
		case 'c':
			cgroup = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'h':
			hold_ms = atoi(optarg);
			break;
		case 'f':
			use_fl = true;
			break;
		case 'g':
			cg_test = true;
			break;
		default:
			usage();
			goto cleanup;
		}
	}
	if (!iface || optind >= argc || rounds < 1 || argc - optind > MAX_HOOKS ||
	    (use_fl && cg_test)) {
		usage();
		goto cleanup;
	}
	ifindex = if_nametoindex(iface);
	if (!ifindex) {
		fprintf(stderr, "bench_detach: no interface %s in this network namespace: %s\n", iface,
			strerror(errno));
		goto cleanup;
	}
	ret = 3;
	for (; optind < argc; optind++, n++) {
		h[n] = hook_by_name(argv[optind]);
		if (!h[n]) {
			fprintf(stderr, "bench_detach: unknown hook %s\n", argv[optind]);
			usage();
			ret = 2;
			goto cleanup;
		}
		if (is_cgroup(h[n]) && cg_fd < 0) {
			cg_fd = cgroup ? open(cgroup, O_RDONLY | O_DIRECTORY) : -1;
			if (cg_fd < 0) {
				fprintf(stderr, "bench_detach: %s needs --cgroup DIR: %s\n", h[n]->name,
					cgroup ? strerror(errno) : "none given");
				ret = 2;
				goto cleanup;
			}
		}
		if (cg_test && h[n]->type != BPF_PROG_TYPE_SCHED_CLS) {
			fprintf(stderr, "bench_detach: --cgroup-test is for tc hooks, not %s\n",
				h[n]->name);
			ret = 2;
			goto cleanup;
		}
		if (use_fl)
			continue;
		prog[n] = cg_test ? fl_bench_cgroup_test_prog(h[n]->code) :
			  fl_bench_empty_prog(h[n]->type, h[n]->type == BPF_PROG_TYPE_SCHED_CLS ? 0 :
					      h[n]->attach_type, h[n]->code);
		if (prog[n] < 0) {
			fprintf(stderr, "bench_detach: loading %s %s program failed: %s\n",
				cg_test ? "a cgroup-test" : "an empty", h[n]->name, strerror(errno));
			goto cleanup;
		}
	}
	/* --faultline: faultline's own programs, loaded and left disarmed,
	 * in place of the empty ones
	 */
	if (use_fl) {
		unsigned int mask = 0;

		for (i = 0; i < n; i++)
			mask |= 1u << h[i]->fl;
		if (fl_dp_open(&dp, mask)) {
			fprintf(stderr, "bench_detach: loading faultline's programs failed\n");
			goto cleanup;
		}
		for (i = 0; i < n; i++)
			prog[i] = dup(fl_dp_prog_fd(&dp, h[i]->fl));
	}
	for (round = 0; round < rounds; round++) {
		for (i = 0; i < n; i++) {
			LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = h[i]->xdp_flags);
			int target = is_cgroup(h[i]) ? cg_fd : ifindex;

			link[i] = bpf_link_create(prog[i], target, h[i]->attach_type, &lo);
			if (link[i] < 0) {
				fprintf(stderr, "bench_detach: attaching %s to %s failed: %s (is another program attached?)\n",
					h[i]->name, is_cgroup(h[i]) ? cgroup : iface,
					strerror(errno));
				goto cleanup;
			}
		}
		/* a run's links have carried traffic for a while */
		if (hold_ms > 0)
			usleep(hold_ms * 1000);
		/* as fl_session_stop(): the last attached first, XDP links after
		 * all others; t[1 + i] is the close of hook i
		 */
		t[0] = now_ns();
		last = t[0];
		for (pass = 0; pass < 2; pass++) {
			for (i = n - 1; i >= 0; i--) {
				if ((h[i]->type == BPF_PROG_TYPE_XDP) != (pass == 1))
					continue;
				close(link[i]);
				link[i] = -1;
				t[1 + i] = now_ns() - last;
				last += t[1 + i];
			}
		}
		total = last - t[0];
		printf("%llu", (unsigned long long)total);
		for (i = 0; i < n; i++)
			printf(" %llu", (unsigned long long)t[1 + i]);
		t[0] = now_ns();
		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0)) {
			fprintf(stderr, "bench_detach: membarrier(MEMBARRIER_CMD_GLOBAL) failed: %s\n",
				strerror(errno));
			goto cleanup;
		}
		printf(" %llu\n", (unsigned long long)(now_ns() - t[0]));
		fflush(stdout);
	}
	ret = 0;
cleanup:
	for (i = 0; i < MAX_HOOKS; i++) {
		if (link[i] >= 0)
			close(link[i]);
		if (prog[i] >= 0)
			close(prog[i]);
	}
	if (cg_fd >= 0)
		close(cg_fd);
	fl_dp_close(&dp);
	return ret;
}
