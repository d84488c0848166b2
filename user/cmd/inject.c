// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `faultline inject`: an experiment of one fault, built from flags. The
 * fault is the same struct as a file's and goes through the same
 * validator (fault.h); the engine runs it in the foreground, as `run` does.
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
#include "experiment.h"
#include "fault.h"
#include "foreground.h"
#include "log.h"
#include "monitor.h"
#include "common.h"
#include "parse.h"

#define FL_WHO			"faultline inject"
#define FL_INJECT_DEFAULT_NS	(60ULL * 1000000000ULL)

static void fl_inject_usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline inject TARGET... [--cgroup-root DIR] [--netns PATH] [--iface NAME]...\n"
		"                        [--direction ingress|egress|both] [--proto tcp|udp|icmp|any]\n"
		"                        [--peer CIDR]... [--port N]... [--drop PERCENT]\n"
		"                        [--scope packets|connections] [--partition CIDR]...\n"
		"                        [--loss PCT [--loss-correlation PCT] | --loss-p PCT --loss-r PCT\n"
		"                         [--loss-h PCT] [--loss-k PCT]] [--loss-per flow|fault]\n"
		"                        [--duplicate PCT] [--reject PCT [--reject-with ANSWER]]\n"
		"                        [--dns-name NAME... --dns-action drop|delay|nxdomain|servfail\n"
		"                         [--dns-delay D]]\n"
		"                        [--corrupt PCT [--corrupt-fix-checksum]]\n"
		"                        [--delay D [--jitter D] [--distribution NAME] [--correlation PCT]\n"
		"                         [--reorder] [--delay-percent PCT]]\n"
		"                        [--rate R [--rate-per target|flow] [--rate-percent PCT]] [--force-qdisc]\n"
		"                        [--abort-if COND]... [--duration DURATION] [--name NAME] [--json]\n"
		"                        [--dry-run] [--force] [-v]\n"
		"\n"
		"Drop, lose in bursts, duplicate, reject, corrupt, partition, delay or rate-limit the packets of the\n"
		"target cgroups (and their descendants), or fail their DNS queries for some names,\n"
		"in the kernel, until DURATION ends\n"
		"(default 60s, at most 24h) or SIGINT. It runs as an experiment of one fault:\n"
		"the same checks, states (Succeeded, Failed, Aborted, Error), exit codes and\n"
		"report as 'faultline run'.\n"
		"\n"
		"TARGET is one of these, each repeatable, mixed as needed:\n"
		"  -c, --cgroup PATH     a cgroup v2 directory\n"
		"      --pid N           the cgroup process N is in at the start\n"
		"      --container ID    a container's cgroup: its id (64 hex digits, or a unique\n"
		"                        prefix of 12 or more), found in the kubelet's pod cgroups\n"
		"      --pod-uid UID     a pod's cgroup (metadata.uid), with all its containers,\n"
		"                        also those that restart during the run\n"
		"      --cgroup-root DIR where to look for pods and containers, like the kubelet's\n"
		"                        --cgroup-root (default $FAULTLINE_CGROUP_ROOT, else the\n"
		"                        cgroup2 mount); a path not under the mount is relative to it\n"
		"\n"
		"  -n, --netns PATH      network namespace to attach in (default: those of\n"
		"                        the targets' processes)\n"
		"  -i, --iface NAME      interface to attach to (default: all but lo)\n"
		"  -d, --direction DIR   ingress, egress or both (default both), seen from the target\n"
		"  -p, --proto PROTO     tcp, udp, icmp or any (default any)\n"
		"      --peer CIDR       only traffic with these peers (repeatable)\n"
		"      --port N          only traffic with this source or destination port (repeatable)\n"
		"      --drop PERCENT    share of matching packets to drop, 0-100, 0.01 resolution or finer\n"
		"      --scope S         packets (default): each percentage (--drop, --duplicate,\n"
		"                        --reject, --delay-percent, --rate-percent) draws per\n"
		"                        packet; connections: per connection, once for its life\n"
		"                        (--drop 20 drops 20%% of connections; not with --loss)\n"
		"      --partition CIDR  drop everything between the target and CIDR, both ways\n"
		"                        (repeatable; no other action, no --peer, no --direction)\n"
		"      --loss PCT        burst loss at this mean rate (Gilbert-Elliott, two states)\n"
		"      --loss-correlation PCT  how likely a loss follows a loss beyond PCT (default 0)\n"
		"      --loss-p PCT      the model itself: good->bad chance per packet (netem gemodel p)\n"
		"      --loss-r PCT      bad->good chance per packet (r)\n"
		"      --loss-h PCT      chance a packet gets through in the bad state (h, default 0)\n"
		"      --loss-k PCT      chance a packet gets through in the good state (k, default 100)\n"
		"      --loss-per P      flow (default: each flow its own state) or fault (one state)\n"
		"      --duplicate PCT   share of matching packets sent twice (ingress: not at XDP\n"
		"                        or in a shared namespace, see FAULTLINE_INGRESS)\n"
		"      --reject PCT      share of matching packets answered instead of delivered: TCP\n"
		"                        gets a RST, the rest ICMP port unreachable (no other action)\n"
		"      --reject-with A   tcp-reset (needs --proto tcp) or icmp-unreachable for every\n"
		"                        packet (default: by protocol)\n"
		"      --dns-name NAME   the target's DNS queries (UDP to port 53) for NAME: exact, or\n"
		"                        *.SUFFIX for names below SUFFIX (repeatable; any case)\n"
		"      --dns-action A    what happens to them: drop, delay (--dns-delay, needs fq),\n"
		"                        nxdomain or servfail (answered at once in the kernel)\n"
		"      --dns-delay D     how long the delay action holds a query, e.g. 2s\n"
		"      --corrupt PCT     share of matching TCP/UDP packets with one payload bit\n"
		"                        flipped and the checksum left wrong (--direction egress)\n"
		"      --corrupt-fix-checksum  keep the checksum valid: corrupt data is delivered\n"
		"      --delay D         added latency, e.g. 20ms (needs the fq qdisc)\n"
		"      --jitter D        spread: half-width (uniform) or standard deviation\n"
		"      --distribution N  uniform (default), normal, pareto or paretonormal\n"
		"      --correlation PCT how much of the previous random value each draw keeps\n"
		"      --reorder         let jitter reorder a flow, as netem does (default: in order)\n"
		"      --delay-percent PCT  share of matching packets delayed (default 100)\n"
		"      --rate R          bandwidth limit: 10mbit, 500kbit, 1gbit or 1000pps\n"
		"      --rate-per P      target (default: shared by the target) or flow\n"
		"      --rate-percent PCT  share of matching packets rate-limited (default 100; with\n"
		"                        --delay, the same as --delay-percent: one draw for both)\n"
		"      --force-qdisc     replace a root qdisc faultline would refuse to replace\n"
		"      --abort-if COND   stop the faults as soon as COND holds (repeatable), e.g.\n"
		"                        'tcp.retransmits > 100/30s' or 'packets.out.rate < 1000/10s';\n"
		"                        the window defaults to 1m; the run is Failed (exit 1)\n"
		"  -t, --duration D      how long, e.g. 30s, 5m, 1h30m (default 60s)\n"
		"      --name NAME       the experiment's name, in reports and for 'faultline stop'\n"
		"                        (default inject)\n"
		"      --json            print the report as JSON on stdout at the end (the schema\n"
		"                        of 'faultline run --json')\n"
		"      --dry-run         validate, load the BPF programs and unload them, and show\n"
		"                        what would be attached where\n"
		"      --force           run past the guards: a duration over 1h; a target that is\n"
		"                        the root cgroup or holds PID 1's or faultline's own; a drop\n"
		"                        over 50%% on the host's default-route interface\n"
		"  -v, --verbose         more detail, including libbpf's\n"
		"\n"
		"Environment: FAULTLINE_TC=legacy forces clsact over tcx; FAULTLINE_INGRESS=xdp|tc|cgroup\n"
		"and FAULTLINE_XDP=native|generic choose the ingress hook; FAULTLINE_CGROUP_ROOT is\n"
		"where pods and containers are looked for.\n"
		"\n"
		"Example: faultline inject --cgroup /sys/fs/cgroup/unified/shop/cart \\\n"
		"             --direction egress --proto tcp --port 5432 --drop 30 --duration 2m\n");
}

static int fl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, FL_WHO ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -EINVAL;
}

/* The flag that sets a field, so a message names both. */
static const char *fl_inject_flag(const char *field)
{
	static const struct {
		const char *field, *flag;
	} map[] = {
		{ "direction", "--direction" }, { "match.protocol", "--proto" },
		{ "match.peers", "--peer" }, { "match.ports", "--port" },
		{ "drop.percent", "--drop" }, { "delay.time", "--delay" },
		{ "delay.jitter", "--jitter" }, { "delay.distribution", "--distribution" },
		{ "delay.correlation", "--correlation" }, { "delay.reorder", "--reorder" },
		{ "rate.limit", "--rate" }, { "rate.per", "--rate-per" },
		{ "partition", "--partition" }, { "partition.peers", "--partition" },
		{ "loss", "--loss" }, { "loss.percent", "--loss" },
		{ "loss.correlation", "--loss-correlation" }, { "loss.p", "--loss-p" },
		{ "loss.r", "--loss-r" }, { "loss.h", "--loss-h" }, { "loss.k", "--loss-k" },
		{ "loss.per", "--loss-per" }, { "scope", "--scope" },
		{ "duplicate", "--duplicate" }, { "duplicate.percent", "--duplicate" },
		{ "delay.percent", "--delay-percent" }, { "rate.percent", "--rate-percent" },
		{ "reject", "--reject" }, { "reject.percent", "--reject" },
		{ "reject.with", "--reject-with" },
		{ "dns", "--dns-action" }, { "dns.match.names", "--dns-name" },
		{ "dns.action", "--dns-action" }, { "dns.delay", "--dns-delay" },
		{ "corrupt", "--corrupt" }, { "corrupt.percent", "--corrupt" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(map[i].field, field))
			return map[i].flag;
	return "--drop, --loss, --duplicate, --reject, --corrupt, --delay, --rate, --partition or --dns-name";
}

/* "invalid --delay 'x' (delay.time): expected ..." */
static int fl_bad_flag(const char *field, const char *value, const char *what)
{
	return fl_usage_error("invalid %s '%s' (%s): expected %s", fl_inject_flag(field), value,
			      field, what);
}

/* One target flag: the file's checks for the value (fl_exp_target_set). */
static int fl_inject_target(struct fl_experiment *x, enum fl_target_kind kind, const char *flag,
			    const char *value)
{
	struct fl_exp_target t;
	const char *what = "";
	int i, ret;

	if (x->n_targets >= FL_EXP_MAX_TARGETS)
		return fl_usage_error("too many targets (--cgroup, --pid, --container, --pod-uid); at most %d",
				      FL_EXP_MAX_TARGETS);
	ret = fl_exp_target_set(&t, kind, value, &what);
	if (ret == -ENOMEM)
		return fl_usage_error("out of memory");
	if (ret)
		return fl_usage_error("invalid %s '%s': expected %s", flag, value, what);
	for (i = 0; i < x->n_targets; i++) {
		if (x->targets[i].kind != kind || strcmp(x->targets[i].ref, t.ref))
			continue;
		fl_exp_target_free(&t);
		return fl_usage_error("%s %s is given twice", flag, value);
	}
	x->targets[x->n_targets++] = t;
	return 0;
}

static int fl_inject_parse(int argc, char **argv, struct fl_experiment *x, struct fl_fg_opts *o,
			   bool *help)
{
	enum {
		OPT_PEER = 256, OPT_PORT, OPT_DROP, OPT_JSON, OPT_DELAY, OPT_JITTER, OPT_DIST,
		OPT_CORR, OPT_REORDER, OPT_RATE, OPT_RATE_PER, OPT_FORCE_QDISC, OPT_ABORT_IF,
		OPT_NAME, OPT_DRY_RUN, OPT_PID, OPT_CONTAINER, OPT_POD_UID, OPT_CGROUP_ROOT,
		OPT_FORCE, OPT_PARTITION, OPT_LOSS, OPT_LOSS_CORR, OPT_LOSS_P, OPT_LOSS_R, OPT_LOSS_H,
		OPT_LOSS_K, OPT_LOSS_PER, OPT_SCOPE, OPT_DUPLICATE, OPT_DELAY_PCT, OPT_RATE_PCT,
		OPT_REJECT, OPT_REJECT_WITH, OPT_DNS_NAME, OPT_DNS_ACTION, OPT_DNS_DELAY,
		OPT_CORRUPT, OPT_CORRUPT_FIX,
	};
	/* --loss, --loss-p ...: the field each sets, in FL_LOSS_GIVEN_* order */
	static const struct {
		int opt;
		const char *field;
		__u8 bit;
	} loss_opts[] = {
		{ OPT_LOSS_P, "loss.p", FL_LOSS_GIVEN_P },
		{ OPT_LOSS_R, "loss.r", FL_LOSS_GIVEN_R },
		{ OPT_LOSS_H, "loss.h", FL_LOSS_GIVEN_H },
		{ OPT_LOSS_K, "loss.k", FL_LOSS_GIVEN_K },
		{ OPT_LOSS, "loss.percent", FL_LOSS_GIVEN_PCT },
		{ OPT_LOSS_CORR, "loss.correlation", FL_LOSS_GIVEN_CORR },
	};
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "pod-uid", required_argument, NULL, OPT_POD_UID },
		{ "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
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
		{ "name", required_argument, NULL, OPT_NAME },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "partition", required_argument, NULL, OPT_PARTITION },
		{ "loss", required_argument, NULL, OPT_LOSS },
		{ "loss-correlation", required_argument, NULL, OPT_LOSS_CORR },
		{ "loss-p", required_argument, NULL, OPT_LOSS_P },
		{ "loss-r", required_argument, NULL, OPT_LOSS_R },
		{ "loss-h", required_argument, NULL, OPT_LOSS_H },
		{ "loss-k", required_argument, NULL, OPT_LOSS_K },
		{ "loss-per", required_argument, NULL, OPT_LOSS_PER },
		{ "scope", required_argument, NULL, OPT_SCOPE },
		{ "duplicate", required_argument, NULL, OPT_DUPLICATE },
		{ "delay-percent", required_argument, NULL, OPT_DELAY_PCT },
		{ "rate-percent", required_argument, NULL, OPT_RATE_PCT },
		{ "reject", required_argument, NULL, OPT_REJECT },
		{ "reject-with", required_argument, NULL, OPT_REJECT_WITH },
		{ "dns-name", required_argument, NULL, OPT_DNS_NAME },
		{ "dns-action", required_argument, NULL, OPT_DNS_ACTION },
		{ "dns-delay", required_argument, NULL, OPT_DNS_DELAY },
		{ "corrupt", required_argument, NULL, OPT_CORRUPT },
		{ "corrupt-fix-checksum", no_argument, NULL, OPT_CORRUPT_FIX },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct fl_fault *f = &x->faults[0];
	double *loss_vals[] = { &f->loss_p, &f->loss_r, &f->loss_h, &f->loss_k, &f->loss_pct,
				&f->loss_corr };
	const char *field = "";
	bool corrupt_fix = false;
	char msg[400];
	size_t j;
	int c, i;

	snprintf(x->name, sizeof(x->name), "inject");
	x->n_faults = 1;
	fl_fault_init(f, "inject");
	x->duration_ns = FL_INJECT_DEFAULT_NS;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:n:i:d:p:t:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (fl_inject_target(x, FL_TARGET_CGROUP, "--cgroup", optarg))
				return -EINVAL;
			break;
		case OPT_PID:
			if (fl_inject_target(x, FL_TARGET_PID, "--pid", optarg))
				return -EINVAL;
			break;
		case OPT_CONTAINER:
			if (fl_inject_target(x, FL_TARGET_CONTAINER, "--container", optarg))
				return -EINVAL;
			break;
		case OPT_POD_UID:
			if (fl_inject_target(x, FL_TARGET_POD_UID, "--pod-uid", optarg))
				return -EINVAL;
			break;
		case OPT_CGROUP_ROOT:
			if (!*optarg || strlen(optarg) >= sizeof(x->place.cgroup_root))
				return fl_usage_error("invalid --cgroup-root '%s': expected a directory",
						      optarg);
			snprintf(x->place.cgroup_root, sizeof(x->place.cgroup_root), "%s", optarg);
			break;
		case 'n':
			snprintf(x->place.netns, sizeof(x->place.netns), "%s", optarg);
			break;
		case 'i':
			if (x->place.n_ifaces >= (int)ARRAY_SIZE(x->place.ifaces))
				return fl_usage_error("too many --iface options; at most %zu",
						      ARRAY_SIZE(x->place.ifaces));
			if (strlen(optarg) >= IF_NAMESIZE || !*optarg)
				return fl_usage_error("invalid --iface '%s': expected an interface name of at most %d characters",
						      optarg, IF_NAMESIZE - 1);
			snprintf(x->place.ifaces[x->place.n_ifaces++], IF_NAMESIZE, "%s", optarg);
			break;
		case 'd':
			if (fl_parse_direction(optarg, &f->dir_mask))
				return fl_bad_flag("direction", optarg, "ingress, egress or both");
			break;
		case 'p':
			if (fl_parse_proto(optarg, &f->proto))
				return fl_bad_flag("match.protocol", optarg, "tcp, udp, icmp or any");
			break;
		case OPT_PEER:
			if (f->n_peers >= FL_FAULT_MAX_PEERS)
				return fl_usage_error("too many --peer options (match.peers); at most %d",
						      FL_FAULT_MAX_PEERS);
			if (fl_parse_cidr(optarg, &f->peers[f->n_peers]))
				return fl_bad_flag("match.peers", optarg,
						   "an address or CIDR such as 198.18.0.0/15 or 2001:db8::/32");
			f->n_peers++;
			break;
		case OPT_PORT:
			if (f->n_ports >= FL_FAULT_MAX_PORTS)
				return fl_usage_error("too many --port options (match.ports); at most %d",
						      FL_FAULT_MAX_PORTS);
			if (fl_parse_port(optarg, &f->ports[f->n_ports]))
				return fl_bad_flag("match.ports", optarg, "a number from 1 to 65535");
			f->n_ports++;
			break;
		case OPT_DROP:
			if (fl_parse_percent(optarg, &f->drop_pct))
				return fl_bad_flag("drop.percent", optarg, "a percentage from 0 to 100");
			f->drop_prob = fl_percent_to_prob(f->drop_pct);
			f->has_drop = true;
			break;
		case 't':
			if (fl_parse_duration(optarg, &x->duration_ns) || !x->duration_ns ||
			    x->duration_ns > FL_EXP_MAX_DURATION_NS)
				return fl_usage_error("invalid --duration '%s' (duration): expected a duration such as 30s, 5m or 1h30m, at most 24h",
						      optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_DELAY:
			if (fl_parse_duration(optarg, &f->delay_ns))
				return fl_bad_flag("delay.time", optarg, "a duration such as 20ms");
			f->has_delay = true;
			break;
		case OPT_JITTER:
			if (fl_parse_duration(optarg, &f->jitter_ns))
				return fl_bad_flag("delay.jitter", optarg, "a duration such as 5ms");
			break;
		case OPT_DIST:
			if (fl_parse_distribution(optarg, &f->dist))
				return fl_bad_flag("delay.distribution", optarg,
						   "uniform, normal, pareto or paretonormal");
			break;
		case OPT_CORR:
			if (fl_parse_whole_percent(optarg, &f->correlation))
				return fl_bad_flag("delay.correlation", optarg,
						   "a whole percentage from 0 to 100");
			break;
		case OPT_REORDER:
			f->reorder = 1;
			break;
		case OPT_RATE:
			if (fl_parse_rate(optarg, &f->rate, &f->rate_unit))
				return fl_bad_flag("rate.limit", optarg,
						   "a rate such as 10mbit, 500kbit, 1gbit or 1000pps");
			f->has_rate = true;
			break;
		case OPT_RATE_PER:
			if (!strcmp(optarg, "target"))
				f->rate_per = FL_RATE_PER_TARGET;
			else if (!strcmp(optarg, "flow"))
				f->rate_per = FL_RATE_PER_FLOW;
			else
				return fl_bad_flag("rate.per", optarg, "target or flow");
			break;
		case OPT_PARTITION:
			if (f->n_part_peers >= FL_FAULT_MAX_PEERS)
				return fl_usage_error("too many --partition options (partition.peers); at most %d",
						      FL_FAULT_MAX_PEERS);
			if (fl_parse_cidr(optarg, &f->part_peers[f->n_part_peers]))
				return fl_bad_flag("partition.peers", optarg,
						   "an address or CIDR such as 198.18.0.0/15 or 2001:db8::/32");
			f->n_part_peers++;
			f->has_partition = true;
			break;
		case OPT_LOSS:
		case OPT_LOSS_CORR:
		case OPT_LOSS_P:
		case OPT_LOSS_R:
		case OPT_LOSS_H:
		case OPT_LOSS_K:
			for (j = 0; j < ARRAY_SIZE(loss_opts); j++) {
				if (loss_opts[j].opt != c)
					continue;
				if (fl_parse_percent(optarg, loss_vals[j]))
					return fl_bad_flag(loss_opts[j].field, optarg,
							   "a percentage from 0 to 100");
				f->loss_given |= loss_opts[j].bit;
			}
			f->has_loss = true;
			break;
		case OPT_LOSS_PER:
			if (fl_parse_loss_per(optarg, &f->loss_per))
				return fl_bad_flag("loss.per", optarg, "flow or fault");
			f->has_loss = true;
			break;
		case OPT_REJECT:
			if (fl_parse_percent(optarg, &f->reject_pct))
				return fl_bad_flag("reject.percent", optarg, "a percentage from 0 to 100");
			f->reject_prob = fl_percent_to_prob(f->reject_pct);
			f->has_reject = true;
			break;
		case OPT_REJECT_WITH:
			if (fl_parse_reject_with(optarg, &f->reject_with))
				return fl_bad_flag("reject.with", optarg, "tcp-reset or icmp-unreachable");
			break;
		case OPT_DUPLICATE:
			if (fl_parse_percent(optarg, &f->dup_pct))
				return fl_bad_flag("duplicate.percent", optarg, "a percentage from 0 to 100");
			f->dup_prob = fl_percent_to_prob(f->dup_pct);
			f->has_duplicate = true;
			break;
		case OPT_DELAY_PCT:
			if (fl_parse_percent(optarg, &f->delay_pct))
				return fl_bad_flag("delay.percent", optarg, "a percentage from 0 to 100");
			f->has_delay_pct = true;
			break;
		case OPT_RATE_PCT:
			if (fl_parse_percent(optarg, &f->rate_pct))
				return fl_bad_flag("rate.percent", optarg, "a percentage from 0 to 100");
			f->has_rate_pct = true;
			break;
		case OPT_DNS_NAME:
			if (f->n_dns_names >= FL_FAULT_MAX_DNS_NAMES)
				return fl_usage_error("too many --dns-name options (dns.match.names); at most %d",
						      FL_FAULT_MAX_DNS_NAMES);
			/* the validator says what is wrong with a name */
			snprintf(f->dns_names[f->n_dns_names++], FL_DNS_TEXT_MAX, "%s", optarg);
			f->has_dns = true;
			break;
		case OPT_DNS_ACTION:
			if (fl_dns_parse_action(optarg, &f->dns_action))
				return fl_bad_flag("dns.action", optarg,
						   "drop, delay, nxdomain or servfail");
			f->has_dns = true;
			break;
		case OPT_DNS_DELAY:
			if (fl_parse_duration(optarg, &f->dns_delay_ns))
				return fl_bad_flag("dns.delay", optarg, "a duration such as 2s");
			f->has_dns = true;
			break;
		case OPT_CORRUPT:
			if (fl_parse_percent(optarg, &f->corrupt_pct))
				return fl_bad_flag("corrupt.percent", optarg, "a percentage from 0 to 100");
			f->corrupt_prob = fl_percent_to_prob(f->corrupt_pct);
			f->has_corrupt = true;
			break;
		case OPT_CORRUPT_FIX:
			corrupt_fix = true;
			break;
		case OPT_SCOPE:
			if (fl_parse_scope(optarg, &f->scope))
				return fl_bad_flag("scope", optarg, "packets or connections");
			break;
		case OPT_FORCE_QDISC:
			x->place.force_qdisc = true;
			break;
		case OPT_ABORT_IF: {
			struct fl_condition *cond = &x->conditions[x->n_conditions];
			char err[256];

			if (x->n_conditions >= FL_EXP_MAX_CONDITIONS)
				return fl_usage_error("too many --abort-if options; at most %d",
						      FL_EXP_MAX_CONDITIONS);
			if (fl_condition_parse_short(optarg, cond, err, sizeof(err)))
				return fl_usage_error("invalid --abort-if '%s': %s", optarg, err);
			if (fl_signal_info(cond->signal)->needs_probe)
				return fl_usage_error("invalid --abort-if '%s': inject has no probes; use an experiment file for probe signals",
						      optarg);
			for (i = 0; i < x->n_conditions; i++)
				if (!strcmp(x->conditions[i].name, cond->name))
					return fl_usage_error("--abort-if '%s' is given twice", optarg);
			cond->probe_idx = -1;
			x->n_conditions++;
			break;
		}
		case OPT_NAME:
			if (!fl_name_valid(optarg, strlen(optarg)))
				return fl_usage_error("invalid --name '%s': expected 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit",
						      optarg, FL_NAME_MAX - 1);
			snprintf(x->name, sizeof(x->name), "%s", optarg);
			break;
		case OPT_DRY_RUN:
			o->dry_run = true;
			break;
		case OPT_FORCE:
			x->place.force = true;
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
	if (!x->n_targets)
		return fl_usage_error("no target: name at least one --cgroup PATH, --pid N, --container ID or --pod-uid UID");
	/* a file's fixChecksum lives inside corrupt: alone it is a mistake */
	if (corrupt_fix && !f->has_corrupt)
		return fl_usage_error("corrupt.fixChecksum (--corrupt-fix-checksum): fixes the checksum of corrupted packets, and nothing corrupts them; give --corrupt PCT too");
	f->corrupt_fix = corrupt_fix;
	/* the one validator, as for a fault in a file */
	if (fl_fault_check(f, &field, msg, sizeof(msg))) {
		if (!*field)
			return fl_usage_error("the fault %s (give --drop PERCENT, --loss PERCENT, --duplicate PERCENT, --reject PERCENT, --corrupt PERCENT, --delay DURATION, --rate RATE, --partition CIDR or --dns-name NAME --dns-action ACTION)",
					      msg);
		return fl_usage_error("%s (%s): %s", field, fl_inject_flag(field), msg);
	}
	return 0;
}

int fl_cmd_inject(int argc, char **argv)
{
	struct fl_fg_opts o = { .who = FL_WHO };
	struct fl_experiment *x;
	bool help = false;
	int code;

	x = calloc(1, sizeof(*x));
	if (!x) {
		fprintf(stderr, FL_WHO ": out of memory\n");
		return FL_EXIT_RUNTIME;
	}
	if (fl_inject_parse(argc, argv, x, &o, &help)) {
		fl_experiment_free(x);
		free(x);
		return FL_EXIT_USAGE;
	}
	if (help) {
		fl_inject_usage(stdout);
		fl_experiment_free(x);
		free(x);
		return FL_EXIT_OK;
	}
	code = fl_fg_run(x, &o);
	free(x);
	return code;
}
