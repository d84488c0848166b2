// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `faultline inject`: drop a share of the target cgroups' packets for a
 * while, in the foreground. Everything is validated before anything is
 * attached; every exit path disarms first (one store), then detaches.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "commands.h"
#include "datapath.h"
#include "events.h"
#include "faultline.skel.h"
#include "probe.h"
#include "log.h"
#include "netns.h"
#include "parse.h"
#include "report.h"
#include "spec.h"
#include "state.h"
#include "targets.h"

#define FL_MAX_ATTACH		(FL_MAX_NETNS * FL_MAX_IFACES * 2 + FL_SPEC_MAX_TARGETS)
#define FL_IDLE_NS		(10ULL * 1000000000ULL)
#define FL_STATUS_TTY_NS	1000000000ULL
#define FL_STATUS_PLAIN_NS	5000000000ULL

enum fl_ingress_mode {
	FL_INGRESS_CGROUP,
	FL_INGRESS_XDP,
	FL_INGRESS_TC,
};

struct fl_run {
	struct fl_spec spec;
	struct fl_netns ns[FL_MAX_NETNS];
	int ns_owner[FL_MAX_NETNS];
	int n_ns;
	struct fl_attachment att[FL_MAX_ATTACH];
	int n_att;
	struct fl_datapath dp;
	struct fl_events ev;
	int lock_fd;
	bool tcx;
	enum fl_ingress_mode ingress;
	enum fl_xdp_mode xdp_mode;
};

static volatile sig_atomic_t fl_stop_signo;
static struct fl_datapath *volatile fl_sig_dp;

static void fl_on_signal(int signo)
{
	/* faults stop here, at the signal, not after the slower detach */
	if (fl_sig_dp)
		fl_dp_disarm(fl_sig_dp);
	fl_stop_signo = signo;
}

static __u64 fl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void fl_inject_usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline inject --cgroup PATH [--cgroup PATH]... [--netns PATH] [--iface NAME]...\n"
		"                        [--direction ingress|egress|both] [--proto tcp|udp|icmp|any]\n"
		"                        [--peer CIDR]... [--port N]... --drop PERCENT\n"
		"                        [--duration DURATION] [--json] [-v]\n"
		"\n"
		"Drop PERCENT of the packets of the target cgroups (and their descendants),\n"
		"in the kernel, until DURATION ends (default 60s, at most 24h) or SIGINT.\n"
		"\n"
		"  -c, --cgroup PATH     target cgroup v2 directory (repeatable)\n"
		"  -n, --netns PATH      network namespace to attach in (default: those of\n"
		"                        the targets' processes)\n"
		"  -i, --iface NAME      interface to attach to (default: all but lo)\n"
		"  -d, --direction DIR   ingress, egress or both (default both), seen from the target\n"
		"  -p, --proto PROTO     tcp, udp, icmp or any (default any)\n"
		"      --peer CIDR       only traffic with these peers (repeatable)\n"
		"      --port N          only traffic with this source or destination port (repeatable)\n"
		"      --drop PERCENT    share of matching packets to drop, 0-100, 0.01 resolution or finer\n"
		"  -t, --duration D      how long, e.g. 30s, 5m, 1h30m (default 60s)\n"
		"      --json            print one JSON report on stdout at the end\n"
		"  -v, --verbose         more detail, including libbpf's\n"
		"\n"
		"Environment: FAULTLINE_TC=legacy forces clsact over tcx; FAULTLINE_INGRESS=xdp|tc|cgroup\n"
		"and FAULTLINE_XDP=native|generic choose the ingress hook.\n"
		"\n"
		"Example: faultline inject --cgroup /sys/fs/cgroup/unified/shop/cart \\\n"
		"             --direction egress --proto tcp --port 5432 --drop 30 --duration 2m\n");
}

static int fl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "faultline inject: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -EINVAL;
}

static int fl_inject_parse(int argc, char **argv, struct fl_spec *spec, bool *help)
{
	enum { OPT_PEER = 256, OPT_PORT, OPT_DROP, OPT_JSON };
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "netns", required_argument, NULL, 'n' },
		{ "iface", required_argument, NULL, 'i' },
		{ "direction", required_argument, NULL, 'd' },
		{ "proto", required_argument, NULL, 'p' },
		{ "peer", required_argument, NULL, OPT_PEER },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "drop", required_argument, NULL, OPT_DROP },
		{ "duration", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool have_drop = false;
	int c;

	memset(spec, 0, sizeof(*spec));
	spec->rule.dir_mask = FL_DIRM_BOTH;
	spec->rule.proto = FL_PROTO_ANY;
	spec->duration_ns = FL_DEFAULT_DURATION_NS;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:n:i:d:p:t:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (spec->n_targets >= FL_SPEC_MAX_TARGETS)
				return fl_usage_error("too many --cgroup options; at most %d",
						      FL_SPEC_MAX_TARGETS);
			snprintf(spec->targets[spec->n_targets++].path, PATH_MAX, "%s", optarg);
			break;
		case 'n':
			snprintf(spec->netns, sizeof(spec->netns), "%s", optarg);
			break;
		case 'i':
			if (spec->n_ifaces >= FL_SPEC_MAX_IFACES)
				return fl_usage_error("too many --iface options; at most %d",
						      FL_SPEC_MAX_IFACES);
			if (strlen(optarg) >= IF_NAMESIZE || !*optarg)
				return fl_usage_error("invalid --iface '%s': expected an interface name of at most %d characters",
						      optarg, IF_NAMESIZE - 1);
			snprintf(spec->ifaces[spec->n_ifaces++], IF_NAMESIZE, "%s", optarg);
			break;
		case 'd':
			if (fl_parse_direction(optarg, &spec->rule.dir_mask))
				return fl_usage_error("invalid --direction '%s': expected ingress, egress or both",
						      optarg);
			break;
		case 'p':
			if (fl_parse_proto(optarg, &spec->rule.proto))
				return fl_usage_error("invalid --proto '%s': expected tcp, udp, icmp or any",
						      optarg);
			break;
		case OPT_PEER:
			if (spec->rule.n_peers >= FL_SPEC_MAX_PEERS)
				return fl_usage_error("too many --peer options; at most %d",
						      FL_SPEC_MAX_PEERS);
			if (fl_parse_cidr(optarg, &spec->rule.peers[spec->rule.n_peers]))
				return fl_usage_error("invalid --peer '%s': expected an address or CIDR such as 198.18.0.0/15 or 2001:db8::/32",
						      optarg);
			spec->rule.n_peers++;
			break;
		case OPT_PORT:
			if (spec->rule.n_ports >= FL_PORTS_PER_RULE)
				return fl_usage_error("too many --port options; at most %d",
						      FL_PORTS_PER_RULE);
			if (fl_parse_port(optarg, &spec->rule.ports[spec->rule.n_ports]))
				return fl_usage_error("invalid --port '%s': expected a number from 1 to 65535",
						      optarg);
			spec->rule.n_ports++;
			break;
		case OPT_DROP:
			if (fl_parse_percent(optarg, &spec->rule.drop_pct))
				return fl_usage_error("invalid --drop '%s': expected a percentage from 0 to 100",
						      optarg);
			spec->rule.drop_prob = fl_percent_to_prob(spec->rule.drop_pct);
			have_drop = true;
			break;
		case 't':
			if (fl_parse_duration(optarg, &spec->duration_ns) ||
			    spec->duration_ns > FL_MAX_DURATION_NS)
				return fl_usage_error("invalid --duration '%s': expected a duration such as 30s, 5m or 1h30m, at most 24h",
						      optarg);
			break;
		case OPT_JSON:
			spec->json = true;
			break;
		case 'v':
			fl_log_set_level(FL_LOG_DEBUG);
			break;
		case 'h':
			*help = true;
			return 0;
		case ':':
			return fl_usage_error("option '%s' needs a value; see 'faultline inject --help'",
					      argv[optind - 1]);
		default:
			return fl_usage_error("unknown option '%s'; see 'faultline inject --help'",
					      argv[optind - 1]);
		}
	}
	if (optind < argc)
		return fl_usage_error("unexpected argument '%s'; see 'faultline inject --help'",
				      argv[optind]);
	if (!spec->n_targets)
		return fl_usage_error("no target: name at least one --cgroup PATH");
	if (!have_drop)
		return fl_usage_error("no fault: give --drop PERCENT");
	return 0;
}

/* Which target's processes live in @ns (for a namespace a target owns). */
struct fl_owner_ctx {
	const struct fl_netns *ns;
	int found;
};

static int fl_owner_pid(pid_t pid, void *vctx)
{
	struct fl_owner_ctx *ctx = vctx;
	struct fl_netns probe;
	char path[64];
	int hit;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (fl_netns_open(path, &probe))
		return 0;
	hit = probe.ino == ctx->ns->ino && probe.dev == ctx->ns->dev;
	fl_netns_close(&probe);
	if (hit)
		ctx->found = 1;
	return hit;
}

static int fl_netns_owner(const struct fl_spec *spec, const struct fl_netns *ns)
{
	int i;

	for (i = 0; i < spec->n_targets; i++) {
		struct fl_owner_ctx ctx = { .ns = ns };

		fl_target_for_each_pid(&spec->targets[i], fl_owner_pid, &ctx);
		if (ctx.found)
			return i;
	}
	return 0;
}

static int fl_env_choice(const char *name, const char *const *values, int n, int dflt)
{
	const char *v = getenv(name);
	int i;

	if (!v || !*v)
		return dflt;
	for (i = 0; i < n; i++)
		if (!strcmp(v, values[i]))
			return i;
	fprintf(stderr, "faultline inject: ignoring %s='%s': expected one of", name, v);
	for (i = 0; i < n; i++)
		fprintf(stderr, " %s", values[i]);
	fprintf(stderr, "\n");
	return dflt;
}

/* Resolve targets, namespaces and interfaces: all of it before attaching. */
static int fl_inject_place(struct fl_run *run)
{
	static const char *const tc_modes[] = { "auto", "tcx", "legacy" };
	static const char *const in_modes[] = { "auto", "cgroup", "xdp", "tc" };
	static const char *const xdp_modes[] = { "auto", "native", "generic" };
	struct fl_spec *spec = &run->spec;
	char err[512];
	int i, j, ret, all_owned = 1, tc, in;

	for (i = 0; i < spec->n_targets; i++) {
		if (fl_target_resolve(&spec->targets[i], err, sizeof(err))) {
			fl_usage_error("%s", err);
			return -EINVAL;
		}
	}
	if (spec->netns[0]) {
		ret = fl_netns_open(spec->netns, &run->ns[0]);
		if (ret) {
			fl_usage_error("cannot open network namespace '%s': %s; expected a path such as /run/netns/NAME or /proc/PID/ns/net",
				       spec->netns, strerror(-ret));
			return -EINVAL;
		}
		run->n_ns = 1;
	} else {
		ret = fl_netns_discover(spec, run->ns, FL_MAX_NETNS, &run->n_ns);
		if (ret) {
			fprintf(stderr, "faultline inject: finding the targets' network namespaces failed: %s\n",
				strerror(-ret));
			return ret;
		}
		if (!run->n_ns) {
			fl_usage_error("no process runs in the target cgroups, so there is no network namespace to attach in; start the workload first, or name one with --netns");
			return -EINVAL;
		}
	}
	for (i = 0; i < run->n_ns; i++) {
		fl_netns_check_owned(&run->ns[i], spec);
		run->ns_owner[i] = fl_netns_owner(spec, &run->ns[i]);
		all_owned &= run->ns[i].owned;
		pr_debug("netns %s: %s\n", run->ns[i].path,
			 run->ns[i].owned ? "owned by a target" : "shared");
	}
	/* every named interface must exist in some namespace */
	for (j = 0; j < spec->n_ifaces; j++) {
		int found = 0;

		for (i = 0; i < run->n_ns && !found; i++) {
			struct fl_iface ifs[FL_MAX_IFACES];
			int n, k;

			if (fl_netns_ifaces(&run->ns[i], ifs, FL_MAX_IFACES, &n))
				continue;
			for (k = 0; k < n; k++)
				found |= !strcmp(ifs[k].name, spec->ifaces[j]);
		}
		if (!found) {
			fl_usage_error("unknown interface '%s': not found in the target's network namespace%s; list them with 'ip link'",
				       spec->ifaces[j], run->n_ns > 1 ? "s" : "");
			return -EINVAL;
		}
	}

	tc = fl_env_choice("FAULTLINE_TC", tc_modes, 3, 0);
	run->tcx = tc == 1 || (tc == 0 && fl_probe_tcx() == 1);
	in = fl_env_choice("FAULTLINE_INGRESS", in_modes, 4, 0);
	if (in == 0)
		run->ingress = all_owned ? FL_INGRESS_XDP : FL_INGRESS_CGROUP;
	else
		run->ingress = in == 1 ? FL_INGRESS_CGROUP : in == 2 ? FL_INGRESS_XDP : FL_INGRESS_TC;
	if (run->ingress != FL_INGRESS_CGROUP && !all_owned && (spec->rule.dir_mask & FL_DIRM_INGRESS)) {
		fl_usage_error("FAULTLINE_INGRESS=%s needs namespaces that only the targets use; a shared namespace needs the cgroup ingress hook",
			       in_modes[in]);
		return -EINVAL;
	}
	run->xdp_mode = fl_env_choice("FAULTLINE_XDP", xdp_modes, 3, 0);
	return 0;
}

static unsigned int fl_inject_progs(const struct fl_run *run)
{
	unsigned int m = 0;

	if (run->spec.rule.dir_mask & FL_DIRM_EGRESS)
		m |= 1u << (run->tcx ? FL_PROG_TCX_EG : FL_PROG_CLS_EG);
	if (run->spec.rule.dir_mask & FL_DIRM_INGRESS)
		m |= 1u << (run->ingress == FL_INGRESS_XDP ? FL_PROG_XDP_IN :
			    run->ingress == FL_INGRESS_TC ? FL_PROG_TC_IN : FL_PROG_CG_IN);
	return m;
}

static bool fl_iface_selected(const struct fl_spec *spec, const char *name)
{
	int i;

	if (!spec->n_ifaces)
		return true;
	for (i = 0; i < spec->n_ifaces; i++)
		if (!strcmp(spec->ifaces[i], name))
			return true;
	return false;
}

static int fl_inject_fill(struct fl_run *run)
{
	struct fl_spec *spec = &run->spec;
	int i, j, n, ret;

	for (i = 0; i < spec->n_targets; i++) {
		ret = fl_dp_add_target(&run->dp, &spec->targets[i], i, &spec->rule);
		if (ret) {
			fprintf(stderr, "faultline inject: installing target %s failed: %s\n",
				spec->targets[i].path, strerror(-ret));
			return ret;
		}
	}
	if (!(spec->rule.dir_mask & FL_DIRM_INGRESS) || run->ingress == FL_INGRESS_CGROUP)
		return 0;
	for (i = 0; i < run->n_ns; i++) {
		struct fl_addr addrs[FL_MAX_ADDRS];

		ret = fl_netns_addrs(&run->ns[i], addrs, FL_MAX_ADDRS, &n);
		if (ret) {
			fprintf(stderr, "faultline inject: reading the addresses of %s failed: %s\n",
				run->ns[i].path, strerror(-ret));
			return ret;
		}
		for (j = 0; j < n; j++) {
			ret = fl_dp_add_owned(&run->dp, &addrs[j], run->ns_owner[i], &spec->rule);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int fl_inject_attach(struct fl_run *run)
{
	struct fl_spec *spec = &run->spec;
	char err[512];
	int i, k, n, ret;

	for (i = 0; i < run->n_ns; i++) {
		struct fl_iface ifs[FL_MAX_IFACES];

		ret = fl_netns_ifaces(&run->ns[i], ifs, FL_MAX_IFACES, &n);
		if (ret) {
			fprintf(stderr, "faultline inject: listing the interfaces of %s failed: %s\n",
				run->ns[i].path, strerror(-ret));
			return ret;
		}
		for (k = 0; k < n && !fl_stop_signo; k++) {
			struct fl_attachment *a;

			if (!fl_iface_selected(spec, ifs[k].name))
				continue;
			if (spec->rule.dir_mask & FL_DIRM_EGRESS) {
				a = &run->att[run->n_att];
				ret = fl_attach_tc(a, &run->ns[i], ifs[k].name,
						   fl_dp_prog_fd(&run->dp, run->tcx ? FL_PROG_TCX_EG : FL_PROG_CLS_EG),
						   true, run->tcx, err, sizeof(err));
				if (ret)
					goto fail;
				run->n_att++;
				if (a->created_clsact)
					fl_state_record_clsact(run->ns[i].ino, run->ns[i].dev, a->ifindex, a->ifname);
			}
			if ((spec->rule.dir_mask & FL_DIRM_INGRESS) && run->ingress != FL_INGRESS_CGROUP) {
				a = &run->att[run->n_att];
				if (run->ingress == FL_INGRESS_XDP)
					ret = fl_attach_xdp(a, &run->ns[i], ifs[k].name,
							    fl_dp_prog_fd(&run->dp, FL_PROG_XDP_IN),
							    run->xdp_mode, err, sizeof(err));
				else
					ret = fl_attach_tc(a, &run->ns[i], ifs[k].name,
							   fl_dp_prog_fd(&run->dp, FL_PROG_TC_IN), false,
							   run->tcx, err, sizeof(err));
				if (ret)
					goto fail;
				run->n_att++;
				if (a->created_clsact)
					fl_state_record_clsact(run->ns[i].ino, run->ns[i].dev, a->ifindex, a->ifname);
			}
		}
	}
	if ((spec->rule.dir_mask & FL_DIRM_INGRESS) && run->ingress == FL_INGRESS_CGROUP) {
		for (i = 0; i < spec->n_targets && !fl_stop_signo; i++) {
			ret = fl_attach_cgroup(&run->att[run->n_att], spec->targets[i].path,
					       fl_dp_prog_fd(&run->dp, FL_PROG_CG_IN), err, sizeof(err));
			if (ret)
				goto fail;
			run->n_att++;
		}
	}
	if (!run->n_att && !fl_stop_signo) {
		fprintf(stderr, "faultline inject: nothing to attach to: the target namespaces have no interface but lo; name one with --netns\n");
		return -ENODEV;
	}
	return 0;
fail:
	fprintf(stderr, "faultline inject: %s\n", err);
	return ret;
}

static void fl_inject_detach(struct fl_run *run)
{
	int i;

	/* reverse order of attachment */
	for (i = run->n_att - 1; i >= 0; i--) {
		int ret = fl_detach(&run->att[i]);

		if (ret)
			fprintf(stderr, "faultline inject: detaching %s from %s failed: %s; run 'faultline cleanup'\n",
				fl_hook_name(run->att[i].hook),
				run->att[i].hook == FL_HOOK_CGROUP_INGRESS ? run->att[i].cgroup :
				run->att[i].ifname, strerror(-ret));
	}
	fl_state_forget_clsact();
}

static void fl_inject_signals(void)
{
	struct sigaction sa = {};

	sa.sa_handler = fl_on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the poll must return at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void fl_inject_collect(struct fl_run *run, struct fl_report *rep)
{
	int t;

	fl_dp_read_counters(&run->dp, run->spec.n_targets, &rep->counters);
	for (t = 0; t < run->spec.n_targets; t++)
		fl_dp_read_rule(&run->dp, t, rep->per_target[t]);
}

static int fl_inject_loop(struct fl_run *run, __u64 start, __u64 deadline, struct fl_report *rep)
{
	bool tty = isatty(STDERR_FILENO);
	__u64 status_every = tty ? FL_STATUS_TTY_NS : FL_STATUS_PLAIN_NS;
	__u64 last_status = start;
	bool show = tty || !run->spec.json;
	int ret;

	while (!fl_stop_signo) {
		__u64 now = fl_now_ns();
		int timeout;

		if (now >= deadline)
			break;
		timeout = (deadline - now) / 1000000 + 1;
		if (timeout > 100)
			timeout = 100;
		ret = fl_events_poll(&run->ev, timeout);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "\nfaultline inject: reading the ring buffer failed: %s\n",
				strerror(-ret));
			return ret;
		}
		now = fl_now_ns();
		if (now - last_status >= status_every) {
			last_status = now;
			fl_flows_expire_idle(run->ev.flows, now, FL_IDLE_NS);
			if (show) {
				fl_dp_read_counters(&run->dp, run->spec.n_targets, &rep->counters);
				fl_report_status(stderr, tty, (now - start) / 1e9, rep->duration_s,
						 &rep->counters, &run->ev);
			}
		}
	}
	if (tty && show)
		fprintf(stderr, "\n");
	return 0;
}

int fl_cmd_inject(int argc, char **argv)
{
	struct fl_run *run;
	struct fl_report *rep = NULL;
	bool help = false;
	__u64 start, deadline;
	int ret, code = FL_EXIT_RUNTIME;

	run = calloc(1, sizeof(*run));
	rep = calloc(1, sizeof(*rep));
	if (!run || !rep) {
		fprintf(stderr, "faultline inject: out of memory\n");
		goto out_free;
	}
	run->lock_fd = -1;
	if (fl_inject_parse(argc, argv, &run->spec, &help)) {
		code = FL_EXIT_USAGE;
		goto out_free;
	}
	if (help) {
		fl_inject_usage(stdout);
		code = FL_EXIT_OK;
		goto out_free;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "faultline inject: needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN); run it with sudo\n");
		goto out_free;
	}
	ret = fl_inject_place(run);
	if (ret) {
		code = ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
		goto cleanup;
	}
	fl_inject_signals();
	ret = fl_state_lock(false, &run->lock_fd);
	if (ret) {
		fprintf(stderr, "faultline inject: locking %s failed: %s; is 'faultline cleanup' running?\n",
			FL_STATE_DIR, strerror(-ret));
		goto cleanup;
	}
	if (fl_dp_open(&run->dp, fl_inject_progs(run)))
		goto cleanup;
	fl_sig_dp = &run->dp;
	ret = fl_inject_fill(run);
	if (ret)
		goto cleanup;
	ret = fl_events_open(&run->ev, bpf_map__fd(run->dp.skel->maps.fl_events));
	if (ret) {
		fprintf(stderr, "faultline inject: opening the ring buffer failed: %s\n", strerror(-ret));
		goto cleanup;
	}
	ret = fl_inject_attach(run);
	if (ret)
		goto cleanup;

	rep->spec = &run->spec;
	rep->duration_s = run->spec.duration_ns / 1e9;
	start = fl_now_ns();
	deadline = start + run->spec.duration_ns;
	if (!fl_stop_signo)
		fl_dp_arm(&run->dp, deadline);
	fprintf(stderr, "faultline: armed: %d target%s, %d attachment%s",
		run->spec.n_targets, run->spec.n_targets == 1 ? "" : "s",
		run->n_att, run->n_att == 1 ? "" : "s");
	for (int i = 0; i < run->n_att; i++)
		fprintf(stderr, "%s %s on %s", i ? "," : ":", fl_hook_name(run->att[i].hook),
			run->att[i].hook == FL_HOOK_CGROUP_INGRESS ? run->att[i].cgroup :
			run->att[i].ifname);
	fprintf(stderr, "; for %.1fs\n", rep->duration_s);

	ret = fl_inject_loop(run, start, deadline, rep);
	fl_dp_disarm(&run->dp);
	rep->elapsed_s = (fl_now_ns() - start) / 1e9;
	fl_inject_detach(run);
	fl_events_drain(&run->ev);
	fl_events_sweep(&run->ev, bpf_map__fd(run->dp.skel->maps.fl_flows));
	fl_inject_collect(run, rep);
	rep->state = ret ? "error" : "completed";
	rep->reason = ret ? "error" : fl_stop_signo ? "signal" : "duration";
	rep->signo = fl_stop_signo;
	rep->att = run->att;
	rep->n_att = run->n_att;
	rep->ev = &run->ev;
	if (run->spec.json)
		fl_report_json(stdout, rep);
	else
		fl_report_text(stdout, rep);
	code = ret ? FL_EXIT_RUNTIME : FL_EXIT_OK;
cleanup:
	fl_dp_disarm(&run->dp);
	fl_inject_detach(run);
	fl_sig_dp = NULL;
	fl_events_close(&run->ev);
	fl_dp_close(&run->dp);
	fl_state_unlock(run->lock_fd);
	for (int i = 0; i < run->n_ns; i++)
		fl_netns_close(&run->ns[i]);
out_free:
	free(rep);
	free(run);
	return code;
}
