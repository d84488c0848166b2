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

#include "commands.h"
#include "log.h"
#include "parse.h"
#include "monitor.h"
#include "report.h"
#include "run.h"
#include "timestamp.h"

#define FL_IDLE_NS		(10ULL * 1000000000ULL)
#define FL_STATUS_TTY_NS	1000000000ULL
#define FL_STATUS_PLAIN_NS	5000000000ULL
#define FL_WHO			"faultline inject"

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
		"                        [--peer CIDR]... [--port N]... [--drop PERCENT]\n"
		"                        [--delay D [--jitter D] [--distribution NAME] [--correlation PCT]\n"
		"                         [--reorder]] [--rate R [--rate-per target|flow]] [--force-qdisc]\n"
		"                        [--abort-if COND]... [--duration DURATION] [--json] [-v]\n"
		"\n"
		"Drop, delay or rate-limit the packets of the target cgroups (and their\n"
		"descendants), in the kernel, until DURATION ends (default 60s, at most 24h)\n"
		"or SIGINT.\n"
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
		"      --delay D         added latency, e.g. 20ms (needs the fq qdisc)\n"
		"      --jitter D        spread: half-width (uniform) or standard deviation\n"
		"      --distribution N  uniform (default), normal, pareto or paretonormal\n"
		"      --correlation PCT how much of the previous random value each draw keeps\n"
		"      --reorder         let jitter reorder a flow, as netem does (default: in order)\n"
		"      --rate R          bandwidth limit: 10mbit, 500kbit, 1gbit or 1000pps\n"
		"      --rate-per P      target (default: shared by the target) or flow\n"
		"      --force-qdisc     replace a root qdisc faultline would refuse to replace\n"
		"      --abort-if COND   stop the faults as soon as COND holds (repeatable), e.g.\n"
		"                        'tcp.retransmits > 100/30s' or 'packets.out.rate < 1000/10s';\n"
		"                        the window defaults to 1m; exit code 1 when it trips\n"
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

/* --abort-if conditions: the same machinery as experiments, minus probes. */
static struct fl_condition fl_abort_conds[FL_MON_MAX_CONDS];
static int fl_n_abort;
static struct fl_monitor fl_abort_mon;

static int fl_inject_parse(int argc, char **argv, struct fl_spec *spec, bool *help)
{
	enum {
		OPT_PEER = 256, OPT_PORT, OPT_DROP, OPT_JSON, OPT_DELAY, OPT_JITTER, OPT_DIST,
		OPT_CORR, OPT_REORDER, OPT_RATE, OPT_RATE_PER, OPT_FORCE_QDISC, OPT_ABORT_IF,
	};
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
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "jitter", required_argument, NULL, OPT_JITTER },
		{ "distribution", required_argument, NULL, OPT_DIST },
		{ "correlation", required_argument, NULL, OPT_CORR },
		{ "reorder", no_argument, NULL, OPT_REORDER },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "rate-per", required_argument, NULL, OPT_RATE_PER },
		{ "force-qdisc", no_argument, NULL, OPT_FORCE_QDISC },
		{ "abort-if", required_argument, NULL, OPT_ABORT_IF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool have_drop = false, have_dist = false, have_corr = false;
	double corr;
	int c;

	memset(spec, 0, sizeof(*spec));
	spec->n_rules = 1;
	spec->rules[0].dir_mask = FL_DIRM_BOTH;
	spec->rules[0].proto = FL_PROTO_ANY;
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
			if (fl_parse_direction(optarg, &spec->rules[0].dir_mask))
				return fl_usage_error("invalid --direction '%s': expected ingress, egress or both",
						      optarg);
			break;
		case 'p':
			if (fl_parse_proto(optarg, &spec->rules[0].proto))
				return fl_usage_error("invalid --proto '%s': expected tcp, udp, icmp or any",
						      optarg);
			break;
		case OPT_PEER:
			if (spec->rules[0].n_peers >= FL_FAULT_MAX_PEERS)
				return fl_usage_error("too many --peer options; at most %d",
						      FL_FAULT_MAX_PEERS);
			if (fl_parse_cidr(optarg, &spec->rules[0].peers[spec->rules[0].n_peers]))
				return fl_usage_error("invalid --peer '%s': expected an address or CIDR such as 198.18.0.0/15 or 2001:db8::/32",
						      optarg);
			spec->rules[0].n_peers++;
			break;
		case OPT_PORT:
			if (spec->rules[0].n_ports >= FL_PORTS_PER_RULE)
				return fl_usage_error("too many --port options; at most %d",
						      FL_PORTS_PER_RULE);
			if (fl_parse_port(optarg, &spec->rules[0].ports[spec->rules[0].n_ports]))
				return fl_usage_error("invalid --port '%s': expected a number from 1 to 65535",
						      optarg);
			spec->rules[0].n_ports++;
			break;
		case OPT_DROP:
			if (fl_parse_percent(optarg, &spec->rules[0].drop_pct))
				return fl_usage_error("invalid --drop '%s': expected a percentage from 0 to 100",
						      optarg);
			spec->rules[0].drop_prob = fl_percent_to_prob(spec->rules[0].drop_pct);
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
		case OPT_DELAY:
			if (fl_parse_duration(optarg, &spec->rules[0].delay_ns) ||
			    spec->rules[0].delay_ns > FL_HORIZON_NS)
				return fl_usage_error("invalid --delay '%s': expected a duration such as 20ms, at most 10s",
						      optarg);
			break;
		case OPT_JITTER:
			if (fl_parse_duration(optarg, &spec->rules[0].jitter_ns) ||
			    spec->rules[0].jitter_ns > FL_HORIZON_NS)
				return fl_usage_error("invalid --jitter '%s': expected a duration such as 5ms, at most 10s",
						      optarg);
			break;
		case OPT_DIST:
			if (fl_parse_distribution(optarg, &spec->rules[0].dist))
				return fl_usage_error("invalid --distribution '%s': expected uniform, normal, pareto or paretonormal",
						      optarg);
			have_dist = true;
			break;
		case OPT_CORR:
			if (fl_parse_percent(optarg, &corr))
				return fl_usage_error("invalid --correlation '%s': expected a percentage from 0 to 100",
						      optarg);
			spec->rules[0].correlation = (__u8)(corr + 0.5);
			have_corr = true;
			break;
		case OPT_REORDER:
			spec->rules[0].reorder = 1;
			break;
		case OPT_RATE:
			if (fl_parse_rate(optarg, &spec->rules[0].rate, &spec->rules[0].rate_unit))
				return fl_usage_error("invalid --rate '%s': expected a rate such as 10mbit, 500kbit, 1gbit or 1000pps",
						      optarg);
			break;
		case OPT_RATE_PER:
			if (!strcmp(optarg, "target"))
				spec->rules[0].rate_per = FL_RATE_PER_TARGET;
			else if (!strcmp(optarg, "flow"))
				spec->rules[0].rate_per = FL_RATE_PER_FLOW;
			else
				return fl_usage_error("invalid --rate-per '%s': expected target or flow",
						      optarg);
			break;
		case OPT_FORCE_QDISC:
			spec->force_qdisc = true;
			break;
		case OPT_ABORT_IF: {
			char err[256];
			struct fl_condition *c = &fl_abort_conds[fl_n_abort];

			if (fl_n_abort >= FL_MON_MAX_CONDS)
				return fl_usage_error("too many --abort-if options; at most %d",
						      FL_MON_MAX_CONDS);
			if (fl_condition_parse_short(optarg, c, err, sizeof(err)))
				return fl_usage_error("invalid --abort-if '%s': %s", optarg, err);
			if (fl_signal_info(c->signal)->needs_probe)
				return fl_usage_error("invalid --abort-if '%s': inject has no probes; use an experiment file for probe signals",
						      optarg);
			c->probe_idx = -1;
			fl_n_abort++;
			spec->observe = true;
			spec->observe_tp = fl_monitor_tracepoints(fl_abort_conds, fl_n_abort);
			break;
		}
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
	if (spec->rules[0].jitter_ns && !spec->rules[0].delay_ns)
		return fl_usage_error("--jitter needs --delay: jitter spreads a delay around its value");
	if ((have_dist || have_corr || spec->rules[0].reorder) && !spec->rules[0].jitter_ns)
		return fl_usage_error("--distribution, --correlation and --reorder shape jitter: give --jitter too");
	if (!have_drop && !fl_fault_needs_edt(&spec->rules[0]))
		return fl_usage_error("no fault: give --drop PERCENT, --delay DURATION or --rate RATE");
	return 0;
}

/* What the trip callback touches: the maps it disarms, and the report
 * that notes when.
 */
struct fl_inject_trip {
	struct fl_datapath *dp;
	struct fl_report *rep;
};

static void fl_inject_on_trip(void *ctx)
{
	struct fl_inject_trip *t = ctx;

	/* the faults stop here, as the evidence comes in */
	fl_dp_disarm(t->dp);
	t->rep->disarmed_ns = fl_now_ns();
}

static void fl_inject_flow_cb(void *ctx, const struct fl_event *e, const struct fl_flow_delta *d)
{
	fl_monitor_flow(ctx, e, d);
}

static void fl_inject_signal_cb(void *ctx, const struct fl_event *e)
{
	fl_monitor_signal(ctx, e);
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

	fl_dp_read_counters(&run->dp, run->spec.n_targets, run->spec.n_rules, &rep->counters);
	for (t = 0; t < run->spec.n_targets; t++)
		fl_dp_read_target(&run->dp, t, run->spec.n_rules, rep->per_target[t]);
}

static int fl_inject_loop(struct fl_run *run, __u64 start, __u64 deadline, struct fl_report *rep)
{
	bool tty = isatty(STDERR_FILENO);
	__u64 status_every = tty ? FL_STATUS_TTY_NS : FL_STATUS_PLAIN_NS;
	__u64 last_status = start;
	bool show = tty || !run->spec.json;
	int ret;

	while (!fl_stop_signo && fl_abort_mon.tripped < 0) {
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
		if (fl_n_abort) {
			fl_monitor_tick(&fl_abort_mon, now < deadline ? now : deadline);
			if (fl_abort_mon.tripped >= 0)
				break;
		}
		if (now - last_status >= status_every) {
			last_status = now;
			fl_flows_expire_idle(run->ev.flows, now, FL_IDLE_NS);
			if (show) {
				fl_dp_read_counters(&run->dp, run->spec.n_targets, run->spec.n_rules, &rep->counters);
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
	struct fl_report *rep = NULL;
	struct fl_inject_trip trip;
	struct fl_run *run;
	bool help = false;
	__u64 start, deadline, now;
	int ret, i, code = FL_EXIT_RUNTIME;

	run = calloc(1, sizeof(*run));
	rep = calloc(1, sizeof(*rep));
	if (!run || !rep) {
		fprintf(stderr, FL_WHO ": out of memory\n");
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
		fprintf(stderr, FL_WHO ": needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN); run it with sudo\n");
		goto out_free;
	}
	ret = fl_place_resolve(run, FL_WHO);
	if (ret) {
		code = ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
		goto cleanup;
	}
	fl_inject_signals();
	/* the handler disarms through this pointer once the maps exist */
	fl_sig_dp = &run->dp;
	if (fl_session_start(run, FL_WHO))
		goto cleanup;

	rep->spec = &run->spec;
	rep->duration_s = run->spec.duration_ns / 1e9;
	/* one offset for every timestamp of the report, as experiments do */
	rep->real_minus_mono = fl_timestamp_offset();
	start = fl_now_ns();
	rep->start_ns = start;
	deadline = start + run->spec.duration_ns;
	if (!fl_stop_signo)
		fl_dp_arm(&run->dp, deadline);
	fprintf(stderr, "faultline: armed: %d target%s, %d attachment%s",
		run->spec.n_targets, run->spec.n_targets == 1 ? "" : "s",
		run->n_att, run->n_att == 1 ? "" : "s");
	for (i = 0; i < run->n_att; i++)
		fprintf(stderr, "%s %s on %s", i ? "," : ":", fl_hook_name(run->att[i].hook),
			run->att[i].hook == FL_HOOK_CGROUP_INGRESS ? run->att[i].cgroup :
			run->att[i].ifname);
	if (run->n_qd)
		fprintf(stderr, ", fq on %d interface%s", run->n_qd, run->n_qd == 1 ? "" : "s");
	fprintf(stderr, "; for %.1fs\n", rep->duration_s);

	fl_abort_mon.tripped = -1;
	if (fl_n_abort) {
		ret = fl_monitor_init(&fl_abort_mon, fl_abort_conds, fl_n_abort, run->spec.n_targets, start);
		if (ret) {
			fprintf(stderr, FL_WHO ": setting up --abort-if failed: %s\n", strerror(-ret));
			goto cleanup;
		}
		trip.dp = &run->dp;
		trip.rep = rep;
		fl_abort_mon.on_trip = fl_inject_on_trip;
		fl_abort_mon.ctx = &trip;
		run->ev.on_flow = fl_inject_flow_cb;
		run->ev.on_signal = fl_inject_signal_cb;
		run->ev.cb_ctx = &fl_abort_mon;
	}
	ret = fl_inject_loop(run, start, deadline, rep);
	fl_dp_disarm(&run->dp);
	/* decided: records drained below update the values, trip nothing */
	fl_abort_mon.closed = true;
	now = fl_now_ns();
	if (!rep->disarmed_ns)
		rep->disarmed_ns = now;
	rep->elapsed_s = (now - start) / 1e9;
	rep->links = run->n_att + run->dp.n_tp_links;
	fl_session_stop(run, FL_WHO);
	rep->detached_ns = fl_now_ns();
	fl_events_drain(&run->ev);
	fl_events_sweep(&run->ev, fl_dp_flows_fd(&run->dp));
	fl_inject_collect(run, rep);
	rep->state = ret ? "error" : fl_abort_mon.tripped >= 0 ? "aborted" : "completed";
	rep->reason = ret ? "error" : fl_abort_mon.tripped >= 0 ? "condition" :
		      fl_stop_signo ? "signal" : "duration";
	rep->mon = fl_n_abort ? &fl_abort_mon : NULL;
	rep->fq_drops = run->fq_drops;
	rep->signo = fl_stop_signo;
	rep->att = run->att;
	rep->n_att = run->n_att;
	rep->ev = &run->ev;
	if (run->spec.json)
		fl_report_json(stdout, rep);
	else
		fl_report_text(stdout, rep);
	code = ret ? FL_EXIT_RUNTIME : fl_abort_mon.tripped >= 0 ? 1 : FL_EXIT_OK;
cleanup:
	fl_session_stop(run, FL_WHO);
	fl_sig_dp = NULL;
	fl_session_free(run);
	fl_monitor_free(&fl_abort_mon);
out_free:
	free(rep);
	free(run);
	return code;
}
