// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/experiment.c: every field of a valid file, the
 * defaults, and one invalid document per rule with the exact message and
 * position it must produce.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "datapath.h"
#include "experiment.h"

#define MS		1000000ULL
#define SEC		1000000000ULL
#define ERR_LEN		2048

/* The fixtures sit next to this file; the tests run from the top of the
 * tree (tests/run.sh does that), or FL_TEST_DATA names the directory.
 */
static const char *data_path(const char *file)
{
	static char buf[4096];
	const char *dir = getenv("FL_TEST_DATA");
	const char *src = __FILE__, *slash = strrchr(src, '/');

	if (dir)
		snprintf(buf, sizeof(buf), "%s/%s", dir, file);
	else if (slash)
		snprintf(buf, sizeof(buf), "%.*s/../../examples/%s", (int)(slash - src),
			 src, file);
	else
		snprintf(buf, sizeof(buf), "examples/%s", file);
	return buf;
}

/* The experiment is large for a stack: one, zeroed per test. */
static struct fl_experiment exp;

static void load_ok(const char *file)
{
	char err[ERR_LEN] = "";
	int ret;

	ret = fl_experiment_load(data_path(file), &exp, err, sizeof(err));
	if (ret)
		fail_msg("%s: %d %s", file, ret, err);
	assert_string_equal(err, "");
}

static void parse_ok(const char *text)
{
	char err[ERR_LEN] = "";
	int ret;

	ret = fl_experiment_parse("t.yaml", text, strlen(text), &exp, err,
				  sizeof(err));
	if (ret)
		fail_msg("%d %s\n--- in ---\n%s", ret, err, text);
}

static void assert_cidr(const struct fl_cidr *c, int family, const char *addr,
			unsigned int plen)
{
	char buf[64];

	assert_int_equal(c->family, family);
	assert_int_equal(fl_format_addr(&c->addr, buf, sizeof(buf)), 0);
	assert_string_equal(buf, addr);
	assert_int_equal(c->prefixlen, plen);
}

static void test_full_file(void **state)
{
	const struct fl_fault *f;
	const struct fl_condition *c;
	const struct fl_exp_probe *p;

	(void)state;
	load_ok("full.yaml");
	assert_string_equal(exp.name, "full-experiment");
	assert_int_equal(exp.duration_ns, 600 * SEC);

	assert_int_equal(exp.n_targets, 5);
	assert_string_equal(exp.targets[0].cgroup,
			    "/sys/fs/cgroup/unified/demo/ratings");
	assert_string_equal(exp.targets[1].cgroup,
			    "/sys/fs/cgroup/unified/demo/reviews");
	assert_int_equal(exp.targets[2].kind, FL_TARGET_PID);
	assert_int_equal(exp.targets[2].pid, 4242);
	assert_int_equal(exp.targets[3].kind, FL_TARGET_CONTAINER);
	assert_string_equal(exp.targets[3].ref, "3f9a0c1b2d4e");
	assert_int_equal(exp.targets[4].kind, FL_TARGET_POD_UID);
	assert_string_equal(exp.targets[4].ref, "7c9e6679-7425-40de-944b-e07fc1f90ae7");

	assert_int_equal(exp.n_faults, 8);
	f = &exp.faults[0];
	assert_string_equal(f->name, "drop-ratings");
	assert_int_equal(f->dir_mask, FL_DIRM_INGRESS);
	assert_int_equal(f->proto, FL_PROTO_TCP);
	assert_int_equal(f->n_peers, 3);
	assert_cidr(&f->peers[0], AF_INET, "198.18.0.0", 24);
	assert_cidr(&f->peers[1], AF_INET6, "2001:db8::", 32);
	assert_cidr(&f->peers[2], AF_INET, "10.1.2.3", 32);
	assert_int_equal(f->n_ports, 2);
	assert_int_equal(f->ports[0], 9080);
	assert_int_equal(f->ports[1], 443);
	assert_true(f->has_drop);
	assert_true(f->drop_pct == 12.5);
	assert_int_equal(f->drop_prob, FL_PROB_ONE / 8);
	assert_true(f->has_delay);
	assert_int_equal(f->delay_ns, 50 * MS);
	assert_int_equal(f->jitter_ns, 10 * MS);
	assert_int_equal(f->dist, FL_DIST_PARETONORMAL);
	assert_int_equal(f->correlation, 25);
	assert_int_equal(f->reorder, 1);
	assert_true(f->has_rate);
	assert_int_equal(f->rate_unit, FL_RATE_BPS);
	assert_int_equal(f->rate, 1500000);
	assert_int_equal(f->rate_per, FL_RATE_PER_FLOW);

	f = &exp.faults[1];
	assert_string_equal(f->name, "slow-egress");
	assert_int_equal(f->dir_mask, FL_DIRM_EGRESS);
	assert_int_equal(f->proto, FL_PROTO_UDP);
	assert_int_equal(f->n_peers, 0);
	assert_int_equal(f->n_ports, 0);
	assert_false(f->has_drop);
	assert_true(f->has_delay);
	assert_int_equal(f->delay_ns, SEC);
	assert_int_equal(f->jitter_ns, 0);
	assert_int_equal(f->dist, FL_DIST_UNIFORM);
	assert_int_equal(f->correlation, 0);
	assert_int_equal(f->reorder, 0);
	assert_true(f->has_delay_pct && f->delay_pct == 30);
	assert_int_equal(f->scope, FL_SCOPE_CONNECTIONS);
	assert_false(f->has_rate);
	assert_int_equal(f->rate_unit, FL_RATE_NONE);

	f = &exp.faults[2];
	assert_string_equal(f->name, "throttle");
	assert_int_equal(f->dir_mask, FL_DIRM_BOTH);
	assert_int_equal(f->proto, FL_PROTO_ANY);
	assert_false(f->has_drop);
	assert_false(f->has_delay);
	assert_true(f->has_rate);
	assert_int_equal(f->rate_unit, FL_RATE_PPS);
	assert_int_equal(f->rate, 2000);
	assert_int_equal(f->rate_per, FL_RATE_PER_TARGET);
	assert_true(f->has_rate_pct && f->rate_pct == 50);

	f = &exp.faults[3];
	assert_string_equal(f->name, "cut-from-db");
	assert_true(f->has_partition);
	assert_int_equal(f->proto, FL_PROTO_TCP);
	assert_int_equal(f->n_peers, 0);
	assert_int_equal(f->n_part_peers, 2);
	assert_cidr(&f->part_peers[0], AF_INET, "198.18.1.0", 24);
	assert_cidr(&f->part_peers[1], AF_INET6, "2001:db8:1::", 48);

	f = &exp.faults[4];
	{
		double p, r, lg, lb;

		assert_string_equal(f->name, "bursty-link");
		assert_true(f->has_loss);
		assert_int_equal(f->loss_per, FL_LOSS_PER_FAULT);
		assert_int_equal(f->loss_given, FL_LOSS_GIVEN_MODEL);
		fl_fault_loss_model(f, &p, &r, &lg, &lb);
		assert_true(p == 0.01 && r == 0.25 && lg == 0 && lb == 1);
		f = &exp.faults[5];
		assert_string_equal(f->name, "simple-bursts");
		assert_int_equal(f->loss_per, FL_LOSS_PER_FLOW);
		assert_int_equal(f->loss_given, FL_LOSS_GIVEN_SIMPLE);
		/* 5 % at correlation 50: p = 0.05 * 0.5, r = 0.95 * 0.5 */
		fl_fault_loss_model(f, &p, &r, &lg, &lb);
		assert_true(p > 0.025 - 1e-12 && p < 0.025 + 1e-12);
		assert_true(r > 0.475 - 1e-12 && r < 0.475 + 1e-12);
		assert_true(lg == 0 && lb == 1);
	}

	f = &exp.faults[6];
	assert_string_equal(f->name, "refused-connections");
	assert_true(f->has_drop);
	assert_int_equal(f->scope, FL_SCOPE_CONNECTIONS);

	f = &exp.faults[7];
	assert_string_equal(f->name, "echoes");
	assert_true(f->has_duplicate);
	assert_true(f->dup_pct == 2);
	assert_int_equal(f->dup_prob, fl_percent_to_prob(2));
	assert_int_equal(f->dir_mask, FL_DIRM_EGRESS);

	f = &exp.faults[4];
	assert_string_equal(f->name, "bursty-link");
	assert_true(f->has_corrupt);
	assert_true(f->corrupt_fix);
	assert_true(f->corrupt_pct == 1);
	assert_int_equal(f->corrupt_prob, fl_percent_to_prob(1));
	assert_int_equal(f->dir_mask, FL_DIRM_EGRESS);

	assert_int_equal(exp.n_probes, 2);
	p = &exp.probes[0];
	assert_string_equal(p->name, "productpage");
	assert_int_equal(p->kind, FL_PROBE_HTTP);
	assert_string_equal(p->url, "http://198.18.0.1:9080/productpage");
	assert_int_equal(p->expect_status, 204);
	assert_null(p->address);
	assert_int_equal(p->interval_ns, 200 * MS);
	assert_int_equal(p->timeout_ns, 150 * MS);
	assert_string_equal(p->netns, "/run/netns/fl-demo-client");
	p = &exp.probes[1];
	assert_string_equal(p->name, "health");
	assert_int_equal(p->kind, FL_PROBE_TCP);
	assert_null(p->url);
	assert_string_equal(p->address, "[2001:db8::1]:8443");
	assert_int_equal(p->port, 8443);
	assert_int_equal(p->interval_ns, 5 * SEC);
	assert_int_equal(p->timeout_ns, 2 * SEC);
	assert_null(p->netns);

	assert_int_equal(exp.n_conditions, 6);
	c = &exp.conditions[0];
	assert_string_equal(c->name, "probe-failing");
	assert_int_equal(c->signal, FL_SIG_PROBE_FAILURES);
	assert_string_equal(c->probe, "productpage");
	assert_int_equal(c->probe_idx, 0);
	assert_int_equal(c->window_ns, 30 * SEC);
	assert_int_equal(c->cmp, FL_CMP_ABOVE);
	assert_true(c->threshold == 10);
	assert_null(c->prom_url);

	c = &exp.conditions[1];
	assert_string_equal(c->name, "slow-probe");
	assert_int_equal(c->signal, FL_SIG_PROBE_LATENCY_P99);
	assert_string_equal(c->probe, "health");
	assert_int_equal(c->probe_idx, 1);
	assert_int_equal(c->window_ns, 120 * SEC);
	assert_int_equal(c->cmp, FL_CMP_AT_LEAST);
	assert_true(c->threshold == 250e6);	/* ns */

	c = &exp.conditions[2];
	assert_string_equal(c->name, "low-success");
	assert_int_equal(c->signal, FL_SIG_PROBE_SUCCESS_RATE);
	assert_int_equal(c->probe_idx, 0);
	assert_int_equal(c->window_ns, 60 * SEC);	/* default */
	assert_int_equal(c->cmp, FL_CMP_BELOW);
	assert_true(c->threshold == 0.95);

	c = &exp.conditions[3];
	assert_string_equal(c->name, "traffic-stopped");
	assert_int_equal(c->signal, FL_SIG_PACKETS_OUT_RATE);
	assert_string_equal(c->probe, "");
	assert_int_equal(c->probe_idx, -1);
	assert_int_equal(c->window_ns, 10 * SEC);
	assert_int_equal(c->cmp, FL_CMP_AT_MOST);
	assert_true(c->threshold == 10);

	c = &exp.conditions[4];
	assert_string_equal(c->name, "error-budget");
	assert_int_equal(c->signal, FL_SIG_PROMETHEUS);
	assert_int_equal(c->window_ns, 0);
	assert_int_equal(c->probe_idx, -1);
	assert_string_equal(c->prom_url, "http://127.0.0.1:9090/prom");
	assert_string_equal(c->prom_query,
			    "sum(rate(http_requests_total{code=~\"5..\"}[30s]))");
	assert_int_equal(c->prom_interval_ns, 500 * MS);
	assert_int_equal(c->cmp, FL_CMP_ABOVE);
	assert_true(c->threshold == 0.5);

	c = &exp.conditions[5];
	assert_string_equal(c->name, "server-errors");
	assert_int_equal(c->signal, FL_SIG_HTTP_ERROR_RATE);
	assert_int_equal(c->window_ns, 60 * SEC);
	assert_int_equal(c->cmp, FL_CMP_ABOVE);
	assert_true(c->threshold == 0.05);

	fl_experiment_free(&exp);
	assert_int_equal(exp.n_faults, 0);
	assert_null(exp.targets[0].cgroup);
}

/* The example of the file format, as documented. */
static void test_example_file(void **state)
{
	const struct fl_fault *f;
	const struct fl_condition *c;

	(void)state;
	load_ok("example.yaml");
	assert_string_equal(exp.name, "ratings-outage");
	assert_int_equal(exp.duration_ns, 120 * SEC);
	assert_int_equal(exp.n_targets, 1);
	assert_string_equal(exp.targets[0].cgroup,
			    "/sys/fs/cgroup/unified/demo/ratings");

	assert_int_equal(exp.n_faults, 1);
	f = &exp.faults[0];
	assert_string_equal(f->name, "drop-ratings");
	assert_int_equal(f->dir_mask, FL_DIRM_INGRESS);
	assert_int_equal(f->proto, FL_PROTO_TCP);
	assert_int_equal(f->n_peers, 1);
	assert_cidr(&f->peers[0], AF_INET, "198.18.0.0", 24);
	assert_int_equal(f->n_ports, 1);
	assert_int_equal(f->ports[0], 9080);
	assert_true(f->drop_pct == 100);
	assert_int_equal(f->drop_prob, FL_PROB_ONE);
	assert_int_equal(f->delay_ns, 50 * MS);
	assert_int_equal(f->jitter_ns, 10 * MS);
	assert_int_equal(f->dist, FL_DIST_UNIFORM);
	assert_int_equal(f->correlation, 25);
	assert_int_equal(f->reorder, 0);
	assert_int_equal(f->rate_unit, FL_RATE_BPS);
	assert_int_equal(f->rate, 10000000);
	assert_int_equal(f->rate_per, FL_RATE_PER_TARGET);

	assert_int_equal(exp.n_conditions, 2);
	c = &exp.conditions[0];
	assert_string_equal(c->name, "too-many-failed-requests");
	assert_int_equal(c->signal, FL_SIG_PROBE_FAILURES);
	assert_string_equal(c->probe, "productpage");
	assert_int_equal(c->probe_idx, 0);
	assert_int_equal(c->window_ns, 60 * SEC);
	assert_int_equal(c->cmp, FL_CMP_ABOVE);
	assert_true(c->threshold == 10);
	c = &exp.conditions[1];
	assert_string_equal(c->name, "error-budget");
	assert_int_equal(c->signal, FL_SIG_PROMETHEUS);
	assert_string_equal(c->prom_url, "http://127.0.0.1:9090");
	assert_string_equal(c->prom_query, "sum(rate(x[30s]))");
	assert_int_equal(c->prom_interval_ns, SEC);
	assert_int_equal(c->window_ns, 0);
	assert_true(c->threshold == 0.5);

	assert_int_equal(exp.n_probes, 1);
	assert_string_equal(exp.probes[0].name, "productpage");
	assert_int_equal(exp.probes[0].kind, FL_PROBE_HTTP);
	assert_string_equal(exp.probes[0].url,
			    "http://198.18.0.1:9080/productpage");
	assert_int_equal(exp.probes[0].expect_status, 200);
	assert_int_equal(exp.probes[0].interval_ns, 200 * MS);
	assert_int_equal(exp.probes[0].timeout_ns, SEC);
	assert_string_equal(exp.probes[0].netns, "/run/netns/fl-demo-client");
	fl_experiment_free(&exp);
}

/* Lines 1-8 of most documents below. */
#define HEAD \
	"apiVersion: faultline/v1alpha1\n" \
	"kind: Experiment\n" \
	"metadata:\n" \
	"  name: t\n" \
	"spec:\n" \
	"  duration: 2m\n" \
	"  targets:\n" \
	"    - cgroup: /sys/fs/cgroup/t\n"
#define CONDS	"  failureConditions: [{name: c, signal: packets.in, above: 1}]\n"
#define NOFAULTS "  faults: []\n"
#define PROBES	"  probes: [{name: web, http: {url: \"http://192.0.2.1/\"}}]\n"
#define MINIMAL	HEAD CONDS NOFAULTS

/* The error message of the documentation, at the position it gives. */
static void test_documented_error(void **state)
{
	static const char text[] =
		"apiVersion: faultline/v1alpha1\n"
		"kind: Experiment\n"
		"metadata:\n"
		"  name: ratings-outage\n"
		"spec:\n"
		"  duration: 2m\n"
		"  targets:\n"
		"    - cgroup: /sys/fs/cgroup/unified/demo/ratings\n"
		"  faults: []\n"
		"  failureConditions:\n"
		"    - name: too-many-retransmits\n"
		"      signal: tcp.retransmits\n"
		"      window: 1m\n"
		"      abvoe: 10\n";
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(fl_experiment_parse("exp.yaml", text, strlen(text),
					     &exp, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "exp.yaml:14:7: unknown field 'abvoe' in failureConditions[0]; expected one of name, signal, probe, window, above, below, atLeast, atMost, prometheus");
	assert_int_equal(exp.n_conditions, 0);
}

static void test_defaults(void **state)
{
	const struct fl_fault *f;

	(void)state;
	parse_ok(HEAD CONDS
		 "  faults: [{name: f, drop: {percent: 0}}]\n"
		 "  probes: [{name: p, tcp: {address: \"192.0.2.7:80\"}},\n"
		 "           {name: h, http: {url: \"http://h/\"}}]\n");
	f = &exp.faults[0];
	assert_int_equal(f->dir_mask, FL_DIRM_BOTH);
	assert_int_equal(f->proto, FL_PROTO_ANY);
	assert_true(f->has_drop);
	assert_false(f->has_delay);
	assert_false(f->has_rate);
	assert_true(f->drop_pct == 0);
	assert_int_equal(f->drop_prob, 0);
	assert_int_equal(exp.conditions[0].window_ns, 60 * SEC);
	assert_int_equal(exp.probes[0].interval_ns, SEC);
	assert_int_equal(exp.probes[0].timeout_ns, SEC);
	assert_string_equal(exp.probes[0].address, "192.0.2.7:80");
	assert_int_equal(exp.probes[0].port, 80);
	assert_null(exp.probes[0].netns);
	assert_int_equal(exp.probes[1].kind, FL_PROBE_HTTP);
	assert_int_equal(exp.probes[1].expect_status, 0);	/* any 2xx */
	assert_int_equal(exp.probes[1].interval_ns, SEC);
	fl_experiment_free(&exp);

	/* A run shorter than the default window: the window is the run. */
	parse_ok("apiVersion: faultline/v1alpha1\nkind: Experiment\n"
		 "metadata: {name: t}\n"
		 "spec: {duration: 30s, targets: [{cgroup: /x}], faults: [],\n"
		 "       failureConditions: [{name: c, signal: packets.in, above: 1}]}\n");
	assert_int_equal(exp.duration_ns, 30 * SEC);
	assert_int_equal(exp.conditions[0].window_ns, 30 * SEC);
	fl_experiment_free(&exp);
}

/* Values at the edges of what each rule allows. */
static void test_edges_accepted(void **state)
{
	(void)state;
	parse_ok("apiVersion: faultline/v1alpha1\n"
		 "kind: Experiment\n"
		 "metadata:\n"
		 "  name: a123456789012345678901234567890123456789012345678901234567890_.\n"
		 "spec:\n"
		 "  duration: 24h\n"
		 "  targets: [{cgroup: /}]\n"
		 "  faults:\n"
		 "    - name: f\n"
		 "      match: {protocol: any, ports: [1, 65535], peers: [0.0.0.0/0, \"::/0\"]}\n"
		 "      drop: {percent: 100}\n"
		 "      delay: {time: 4500ms, jitter: 4500ms, correlation: 100}\n"
		 "      rate: {limit: 400gbit}\n"
		 "    - name: g\n"
		 "      delay: {time: 1ns, jitter: 0, correlation: 0, reorder: false}\n"
		 "      rate: {limit: 1bit}\n"
		 "    - name: h\n"
		 "      match: {protocol: tcp}\n"
		 "      reject: {percent: 100, with: tcp-reset}\n"
		 "      scope: connections\n"
		 "    - {name: i, reject: {percent: 0}}\n"
		 "  probes:\n"
		 "    - {name: p, http: {url: \"https://h\", expectStatus: 100}, interval: 10ms, timeout: 60s}\n"
		 "    - {name: q, http: {url: \"http://h\", expectStatus: 599}, interval: 1h}\n"
		 "    - {name: r, http: {url: \"http://h/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}\n"
		 "    - {name: s, tcp: {address: \"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh:80\"}}\n"
		 "  failureConditions:\n"
		 "    - {name: a, signal: packets.in, window: 24h, atLeast: 0.001}\n"
		 "    - {name: b, signal: packets.in, window: 100ms, below: 0.5}\n"
		 "    - {name: c, signal: probe.successRate, probe: q, atMost: 0.999}\n"
		 "    - {name: d, signal: probe.successRate, probe: p, above: 0}\n"
		 "    - {name: e, signal: prometheus, below: -3, prometheus: {url: \"http://p\", query: up, interval: 10ms}}\n");
	assert_int_equal(strlen(exp.name), 63);
	assert_int_equal(exp.duration_ns, 24 * 3600 * SEC);
	assert_int_equal(exp.faults[0].ports[1], 65535);
	assert_cidr(&exp.faults[0].peers[1], AF_INET6, "::", 0);
	assert_int_equal(exp.faults[0].delay_ns, 4500 * MS);
	assert_int_equal(exp.faults[0].jitter_ns, 4500 * MS);
	assert_int_equal(exp.faults[0].correlation, 100);
	assert_int_equal(exp.faults[0].rate, 400000000000ULL);
	assert_int_equal(exp.faults[1].delay_ns, 1);
	assert_int_equal(exp.faults[1].rate, 1);
	assert_true(exp.faults[2].has_reject);
	assert_int_equal(exp.faults[2].reject_prob, FL_PROB_ONE);
	assert_int_equal(exp.faults[2].reject_with, FL_REJECT_WITH_RST);
	assert_int_equal(exp.faults[2].scope, FL_SCOPE_CONNECTIONS);
	assert_true(exp.faults[3].has_reject);
	assert_int_equal(exp.faults[3].reject_prob, 0);
	assert_int_equal(exp.faults[3].reject_with, FL_REJECT_WITH_AUTO);
	assert_int_equal(exp.probes[0].expect_status, 100);
	assert_int_equal(strlen(exp.probes[2].url), 511);
	assert_int_equal(strlen(exp.probes[3].address), 127);
	assert_int_equal(exp.probes[3].port, 80);
	assert_int_equal(exp.probes[1].interval_ns, 3600 * SEC);
	assert_int_equal(exp.conditions[0].window_ns, 24 * 3600 * SEC);
	assert_int_equal(exp.conditions[1].window_ns, 100 * MS);
	assert_true(exp.conditions[4].threshold == -3);
	fl_experiment_free(&exp);
}

/* Each fault's percentage with scope connections; the rule gets the share
 * delay and rate pass by.
 */
static void test_scope_shares(void **state)
{
	struct fl_rule r;

	(void)state;
	parse_ok("apiVersion: faultline/v1alpha1\n"
		 "kind: Experiment\n"
		 "metadata: {name: t}\n"
		 "spec:\n"
		 "  duration: 2m\n"
		 "  targets: [{cgroup: /t}]\n"
		 "  faults:\n"
		 "    - {name: a, delay: {time: 200ms, percent: 20}, scope: connections}\n"
		 "    - {name: b, rate: {limit: 1mbit, percent: 30}, delay: {time: 1ms}, scope: packets}\n"
		 "    - {name: c, duplicate: {percent: 5}, direction: ingress, scope: connections}\n"
		 "    - {name: d, delay: {time: 1ms}}\n"
		 "  failureConditions:\n"
		 "    - {name: a, signal: packets.in, above: 1}\n");
	assert_true(exp.faults[0].has_delay_pct && exp.faults[0].delay_pct == 20);
	assert_int_equal(exp.faults[0].scope, FL_SCOPE_CONNECTIONS);
	assert_int_equal(fl_dp_rule_from_fault(&exp.faults[0], &r), 0);
	assert_int_equal(r.edt_skip, FL_PROB_ONE - fl_percent_to_prob(20));
	assert_int_equal(r.scope, FL_SCOPE_CONNECTIONS);
	assert_true(exp.faults[1].has_rate_pct && exp.faults[1].rate_pct == 30);
	assert_int_equal(fl_fault_edt_prob(&exp.faults[1]), fl_percent_to_prob(30));
	assert_int_equal(exp.faults[2].dir_mask, FL_DIRM_INGRESS);
	assert_int_equal(exp.faults[2].scope, FL_SCOPE_CONNECTIONS);
	assert_int_equal(fl_dp_rule_from_fault(&exp.faults[3], &r), 0);
	assert_int_equal(r.edt_skip, 0);
	fl_experiment_free(&exp);
}

/* Repeated lists of n items, so limits can be tested at and past them. */
static char *repeat(const char *head, const char *fmt_item, int n,
		    const char *tail)
{
	size_t size = strlen(head) + strlen(tail) + (size_t)n * 256 + 1;
	char *s = malloc(size), *p;
	int i;

	assert_non_null(s);
	p = s + sprintf(s, "%s", head);
	for (i = 0; i < n; i++)
		p += sprintf(p, fmt_item, i, i);
	strcpy(p, tail);
	return s;
}

struct limit_case {
	const char *head;	/* up to the list */
	const char *item;	/* one per line, %d twice for an index */
	const char *tail;
	int max;
	const char *msg;	/* at the first item past max */
	int first_line;		/* line of item 0 */
	int col;
};

static const struct limit_case limits[] = {
	{ "apiVersion: faultline/v1alpha1\nkind: Experiment\nmetadata: {name: t}\n"
	  "spec:\n  duration: 2m\n" CONDS NOFAULTS "  targets:\n",
	  "    - cgroup: /t%d/%d\n", "", FL_EXP_MAX_TARGETS,
	  "targets: too many, at most 64", 9, 7 },
	{ MINIMAL "  probes:\n", "    - {name: p%d, tcp: {address: \"192.0.2.%d:80\"}}\n",
	  "", FL_EXP_MAX_PROBES, "probes: too many, at most 16", 12, 7 },
	{ HEAD CONDS "  faults:\n", "    - {name: f%d, drop: {percent: %d}}\n",
	  "", FL_EXP_MAX_FAULTS, "faults: too many, at most 8", 11, 7 },
	{ HEAD NOFAULTS "  failureConditions:\n",
	  "    - {name: c%d, signal: packets.in, above: %d}\n", "",
	  FL_EXP_MAX_CONDITIONS, "failureConditions: too many, at most 32",
	  11, 7 },
	{ HEAD CONDS "  faults:\n    - name: f\n      drop: {percent: 1}\n"
	  "      match:\n        peers:\n",
	  "          - 10.%d.%d.0/24\n", "", FL_FAULT_MAX_PEERS,
	  "faults[0].match.peers: too many, at most 64", 15, 13 },
	{ HEAD CONDS "  faults:\n    - name: f\n      drop: {percent: 1}\n"
	  "      match:\n        ports:\n",
	  "          - 1%d0%d\n", "", FL_FAULT_MAX_PORTS,
	  "faults[0].match.ports: too many, at most 8", 15, 13 },
};

static void test_limits(void **state)
{
	char err[ERR_LEN], want[ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		const struct limit_case *l = &limits[i];
		char *text;
		int ret;

		text = repeat(l->head, l->item, l->max, l->tail);
		ret = fl_experiment_parse("t.yaml", text, strlen(text), &exp,
					  err, sizeof(err));
		if (ret)
			fail_msg("%zu: %d items refused: %s", i, l->max, err);
		fl_experiment_free(&exp);
		free(text);

		text = repeat(l->head, l->item, l->max + 1, l->tail);
		ret = fl_experiment_parse("t.yaml", text, strlen(text), &exp,
					  err, sizeof(err));
		assert_int_equal(ret, -EINVAL);
		snprintf(want, sizeof(want), "t.yaml:%d:%d: %s",
			 l->first_line + l->max, l->col, l->msg);
		assert_string_equal(err, want);
		free(text);
	}
}

static void test_load_errors(void **state)
{
	char err[ERR_LEN], path[] = "/tmp/fl_test_exp.XXXXXX";
	char *big;
	int fd;

	(void)state;
	assert_int_equal(fl_experiment_load("/nonexistent/exp.yaml", &exp, err,
					    sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "/nonexistent/exp.yaml: No such file or directory");
	assert_int_equal(fl_experiment_load("/", &exp, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "/: Is a directory");

	/* One byte too many. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	big = malloc(FL_EXP_MAX_FILE_BYTES + 1);
	assert_non_null(big);
	memset(big, '#', FL_EXP_MAX_FILE_BYTES + 1);
	assert_int_equal(write(fd, big, FL_EXP_MAX_FILE_BYTES + 1),
			 FL_EXP_MAX_FILE_BYTES + 1);
	assert_int_equal(fl_experiment_load(path, &exp, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, strerror(EFBIG)));
	/* At the limit, it is read and parsed: a comment is empty. */
	assert_int_equal(ftruncate(fd, FL_EXP_MAX_FILE_BYTES), 0);
	assert_int_equal(fl_experiment_load(path, &exp, err, sizeof(err)),
			 -EINVAL);
	snprintf(big, 256, "%s:1:1: empty document: expected an Experiment",
		 path);
	assert_string_equal(err, big);
	close(fd);
	unlink(path);
	free(big);

	/* A message never overruns the buffer given. */
	assert_int_equal(fl_experiment_parse("t.yaml", "x: [", 4, &exp, err,
					     8),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:");
}

static void test_free_twice(void **state)
{
	(void)state;
	load_ok("full.yaml");
	fl_experiment_free(&exp);
	fl_experiment_free(&exp);
	fl_experiment_free(NULL);
	assert_int_equal(fl_experiment_find_probe(&exp, "productpage"), -1);
}

/* One invalid document per rule. '@' marks where the error must point
 * and is removed before parsing; msg is what follows "t.yaml:L:C: ".
 */
struct bad_case {
	const char *name;
	const char *text;
	const char *msg;
};

#define NAME_EXPECT \
	"a name of 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit"
#define SIGNALS \
	"packets.in, packets.in.rate, packets.out, packets.out.rate, bytes.in, " \
	"bytes.in.rate, bytes.out, bytes.out.rate, faults.dropped, faults.delayed, " \
	"tcp.retransmits, tcp.resets.sent, tcp.resets.received, tcp.connect.failures, " \
	"tcp.connect.latency.p50, tcp.connect.latency.p99, tcp.rtt.p50, tcp.rtt.p99, " \
	"http.responses.5xx, http.responses.total, http.errorRate, probe.failures, " \
	"probe.latency.p50, probe.latency.p99, probe.successRate, prometheus"

/* Top-level pieces, for documents that break the top level. */
#define API	"apiVersion: faultline/v1alpha1\n"
#define KIND	"kind: Experiment\n"
#define META	"metadata:\n  name: t\n"
#define SPEC	"spec:\n  duration: 2m\n  targets: [{cgroup: /x}]\n" CONDS NOFAULTS
#define FAULT	HEAD CONDS "  faults:\n"	/* fault items from line 11 */
#define PROBE	MINIMAL "  probes:\n"	/* probe items from line 12 */
#define COND	HEAD NOFAULTS PROBES "  failureConditions:\n"	/* from line 12 */

/* Targets: items from line 10. */
#define TGT	API KIND META "spec:\n  duration: 2m\n" CONDS NOFAULTS "  targets:\n"
#define KINDS	"cgroup, pid, container, pod, pods"
#define ID64	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PID_EXPECT	"a process id from 1 to 4194304"
#define CONTAINER_EXPECT \
	"a container id: 12 to 64 lowercase hex digits, optionally after containerd://, cri-o:// or docker://"
#define POD_UID_EXPECT	"a pod uid (metadata.uid): lowercase hex digits and '-', at most 64"
#define NAMESPACE_EXPECT \
	"a namespace name: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit"
#define POD_NAME_EXPECT \
	"a pod name: 1 to 253 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit"
#define LABEL_KEY_EXPECT \
	"a label key: [PREFIX/]NAME, NAME 1 to 63 letters, digits, '-', '_' or '.'"
#define LABEL_VALUE_EXPECT \
	"a label value: at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"

static const struct bad_case bad_cases[] = {
	/* Top level. */
	{ "api_version", "apiVersion: @faultline/v1\n" KIND META SPEC,
	  "apiVersion: expected faultline/v1alpha1, got 'faultline/v1'" },
	{ "api_version_type", "apiVersion: @[faultline/v1alpha1]\n" KIND META SPEC,
	  "apiVersion: expected faultline/v1alpha1, got a sequence" },
	{ "kind", API "kind: @Experiments\n" META SPEC,
	  "kind: expected Experiment, got 'Experiments'" },
	{ "top_unknown", API KIND META "@status: {}\n" SPEC,
	  "unknown field 'status' at the top level; expected one of apiVersion, kind, metadata, spec" },
	{ "top_duplicate", API KIND "@kind: Experiment\n" META SPEC,
	  "duplicate field 'kind' at the top level (first at line 2)" },
	{ "top_missing_spec", "@" API KIND META,
	  "missing field 'spec' at the top level" },
	{ "top_missing_kind", "@" API META SPEC,
	  "missing field 'kind' at the top level" },
	{ "top_not_mapping", "@- apiVersion\n- kind\n",
	  "document: expected a mapping, got a sequence" },
	{ "empty", "@", "empty document: expected an Experiment" },
	{ "only_comments", "@# nothing here\n",
	  "empty document: expected an Experiment" },
	{ "second_document", API KIND META SPEC "@---\nkind: Experiment\n",
	  "a second document starts here; an experiment file holds one" },
	{ "tag", API KIND "metadata:\n  name: @!!binary dA==\n" SPEC,
	  "YAML tags are not supported (found '!!binary')" },
	{ "local_tag", API KIND META "spec: @!mine\n  duration: 2m\n",
	  "YAML tags are not supported (found '!mine')" },
	{ "syntax", API KIND "metadata: {name: t\nspec@: {}\n",
	  "YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping)" },
	{ "syntax_indent", API KIND "metadata:\n  name: t\n @spec: x\n",
	  "YAML syntax error: did not find expected key (while parsing a block mapping)" },
	{ "invalid_utf8", API KIND "metadata:\n  name: @\xff\n",
	  "YAML syntax error: invalid leading UTF-8 octet" },
	{ "undefined_alias", API KIND "metadata: {name: @*nope}\n" SPEC,
	  "YAML syntax error: found undefined alias" },
	{ "metadata_unknown", API KIND "metadata:\n  name: t\n  @labels: {}\n" SPEC,
	  "unknown field 'labels' in metadata; expected one of name" },
	{ "metadata_type", API KIND "metadata: @[t]\n" SPEC,
	  "metadata: expected a mapping, got a sequence" },
	{ "metadata_no_name", API KIND "metadata: @{}\n" SPEC,
	  "missing field 'name' in metadata" },
	{ "metadata_name", API KIND "metadata:\n  name: @Bad name\n" SPEC,
	  "metadata.name: expected " NAME_EXPECT ", got 'Bad name'" },
	{ "metadata_name_long", API KIND
	  "metadata:\n  name: @a123456789012345678901234567890123456789012345678901234567890123\n" SPEC,
	  "metadata.name: expected " NAME_EXPECT ", got 'a123456789012345678901234567890123456789012345678901234567890123'" },
	{ "metadata_name_null", API KIND "metadata:\n  name: @~\n" SPEC,
	  "metadata.name: expected " NAME_EXPECT ", got null" },

	/* Spec. */
	{ "spec_type", API KIND META "spec: @[]\n",
	  "spec: expected a mapping, got a sequence" },
	{ "spec_unknown", HEAD CONDS NOFAULTS "  @fault: []\n",
	  "unknown field 'fault' in spec; expected one of duration, targets, faults, failureConditions, probes" },
	{ "spec_missing_duration", API KIND META "spec:\n  @targets: [{cgroup: /x}]\n" CONDS NOFAULTS,
	  "missing field 'duration' in spec" },
	{ "spec_missing_targets", API KIND META "spec:\n  @duration: 2m\n" CONDS NOFAULTS,
	  "missing field 'targets' in spec" },
	{ "spec_missing_faults", API KIND META "spec:\n  @duration: 2m\n  targets: [{cgroup: /x}]\n" CONDS,
	  "missing field 'faults' in spec" },
	{ "spec_missing_conditions", API KIND META "spec:\n  @duration: 2m\n  targets: [{cgroup: /x}]\n" NOFAULTS,
	  "missing field 'failureConditions' in spec" },
	{ "duration_text", API KIND META "spec:\n  duration: @two\n  targets: [{cgroup: /x}]\n" CONDS NOFAULTS,
	  "duration: expected a duration like 500ms, 10s or 2m, got 'two'" },
	{ "duration_zero", API KIND META "spec:\n  duration: @0s\n  targets: [{cgroup: /x}]\n" CONDS NOFAULTS,
	  "duration: expected a duration like 500ms, 10s or 2m, got '0s'" },
	{ "duration_long", API KIND META "spec:\n  duration: @24h1ns\n  targets: [{cgroup: /x}]\n" CONDS NOFAULTS,
	  "duration: '24h1ns' is too long: at most 24h" },
	{ "duration_type", API KIND META "spec:\n  duration: @{m: 2}\n  targets: [{cgroup: /x}]\n" CONDS NOFAULTS,
	  "duration: expected a duration like 500ms, 10s or 2m, got a mapping" },
	{ "targets_empty", API KIND META "spec:\n  duration: 2m\n  targets: @[]\n" CONDS NOFAULTS,
	  "targets: expected at least one target" },
	{ "targets_type", API KIND META "spec:\n  duration: 2m\n  targets: @/x\n" CONDS NOFAULTS,
	  "targets: expected a sequence of targets such as {cgroup: PATH} or {pod: {uid: UID}}, got a plain scalar" },
	{ "target_type", API KIND META "spec:\n  duration: 2m\n  targets:\n    - @/x\n" CONDS NOFAULTS,
	  "targets[0]: expected a mapping, got a plain scalar" },
	{ "target_unknown", API KIND META "spec:\n  duration: 2m\n  targets:\n    - cgroup: /x\n      @podUid: 1\n" CONDS NOFAULTS,
	  "unknown field 'podUid' in targets[0]; expected one of " KINDS },
	{ "target_none", TGT "    - @{}\n", "missing target in targets[0]; expected one of " KINDS },
	{ "target_two_kinds", TGT "    - cgroup: /x\n      @pid: 1\n",
	  "targets[0]: both 'cgroup' and 'pid' given; a target is exactly one of " KINDS },
	{ "target_two_kinds_flow", TGT "    - {pod: {uid: ab}, @container: {id: 0123456789ab}}\n",
	  "targets[0]: both 'pod' and 'container' given; a target is exactly one of " KINDS },
	{ "pid_text", TGT "    - pid: @init\n", "targets[0].pid: expected " PID_EXPECT ", got 'init'" },
	{ "pid_zero", TGT "    - pid: @0\n", "targets[0].pid: expected " PID_EXPECT ", got '0'" },
	{ "pid_negative", TGT "    - pid: @-5\n", "targets[0].pid: expected " PID_EXPECT ", got '-5'" },
	{ "pid_large", TGT "    - pid: @4194305\n",
	  "targets[0].pid: expected " PID_EXPECT ", got '4194305'" },
	{ "pid_octal", TGT "    - pid: @012\n", "targets[0].pid: expected " PID_EXPECT ", got '012'" },
	{ "pid_quoted", TGT "    - pid: @\"12\"\n",
	  "targets[0].pid: expected " PID_EXPECT ", got a quoted string" },
	{ "pid_twice", TGT "    - pid: 12\n    - pid: @12\n", "targets[1].pid: '12' is already targets[0]" },
	{ "container_scalar", TGT "    - container: @0123456789ab\n",
	  "targets[0].container: expected a mapping, got a plain scalar" },
	{ "container_no_id", TGT "    - container: @{}\n", "missing field 'id' in targets[0].container" },
	{ "container_unknown", TGT "    - container: {id: 0123456789ab, @name: x}\n",
	  "unknown field 'name' in targets[0].container; expected one of id" },
	{ "container_short", TGT "    - container: {id: @0123456789a}\n",
	  "targets[0].container.id: expected " CONTAINER_EXPECT ", got '0123456789a'" },
	{ "container_upper", TGT "    - container: {id: @0123456789AB}\n",
	  "targets[0].container.id: expected " CONTAINER_EXPECT ", got '0123456789AB'" },
	{ "container_long", TGT "    - container: {id: @" ID64 "0}\n",
	  "targets[0].container.id: expected " CONTAINER_EXPECT ", got '" ID64 "0'" },
	{ "container_scheme", TGT "    - container: {id: @\"cri://0123456789ab\"}\n",
	  "targets[0].container.id: expected " CONTAINER_EXPECT ", got 'cri://0123456789ab'" },
	{ "container_null", TGT "    - container: {id: @~}\n",
	  "targets[0].container.id: expected " CONTAINER_EXPECT ", got null" },
	{ "container_twice", TGT "    - container: {id: \"containerd://0123456789ab\"}\n    - container: {id: @0123456789ab}\n",
	  "targets[1].container.id: '0123456789ab' is already targets[0]" },
	{ "pod_empty", TGT "    - pod: @{}\n", "missing field 'uid' (or 'namespace' and 'name') in targets[0].pod" },
	{ "pod_scalar", TGT "    - pod: @web-0\n", "targets[0].pod: expected a mapping, got a plain scalar" },
	{ "pod_uid_bad", TGT "    - pod: {uid: @Pod-1}\n",
	  "targets[0].pod.uid: expected " POD_UID_EXPECT ", got 'Pod-1'" },
	{ "pod_uid_dash", TGT "    - pod: {uid: @-ab}\n",
	  "targets[0].pod.uid: expected " POD_UID_EXPECT ", got '-ab'" },
	{ "pod_uid_and_name", TGT "    - pod: {uid: ab, @namespace: x}\n",
	  "targets[0].pod: give either uid, or namespace and name, not both" },
	{ "pod_no_name", TGT "    - pod: @{namespace: x}\n", "missing field 'name' in targets[0].pod" },
	{ "pod_no_namespace", TGT "    - pod: @{name: x}\n", "missing field 'namespace' in targets[0].pod" },
	{ "pod_unknown", TGT "    - pod: {@id: x}\n",
	  "unknown field 'id' in targets[0].pod; expected one of uid, namespace, name" },
	{ "pod_namespace_bad", TGT "    - pod: {namespace: @Shop, name: x}\n",
	  "targets[0].pod.namespace: expected " NAMESPACE_EXPECT ", got 'Shop'" },
	{ "pod_namespace_dot", TGT "    - pod: {namespace: @a.b, name: x}\n",
	  "targets[0].pod.namespace: expected " NAMESPACE_EXPECT ", got 'a.b'" },
	{ "pod_name_bad", TGT "    - pod: {namespace: x, name: @cart_0}\n",
	  "targets[0].pod.name: expected " POD_NAME_EXPECT ", got 'cart_0'" },
	{ "pod_uid_twice", TGT "    - pod: {uid: ab-1}\n    - pod: {uid: @ab-1}\n",
	  "targets[1].pod.uid: 'ab-1' is already targets[0]" },
	{ "pod_name_twice", TGT "    - pod: {namespace: x, name: y}\n    - pod: @{name: y, namespace: x}\n",
	  "targets[1].pod: 'x/y' is already targets[0]" },
	{ "pods_no_labels", TGT "    - pods: @{namespace: x}\n", "missing field 'matchLabels' in targets[0].pods" },
	{ "pods_unknown", TGT "    - pods: {namespace: x, matchLabels: {a: b}, @name: y}\n",
	  "unknown field 'name' in targets[0].pods; expected one of namespace, matchLabels" },
	{ "pods_labels_empty", TGT "    - pods: {namespace: x, matchLabels: @{}}\n",
	  "targets[0].pods.matchLabels: expected at least one label" },
	{ "pods_labels_seq", TGT "    - pods: {namespace: x, matchLabels: @[a]}\n",
	  "targets[0].pods.matchLabels: expected a mapping of labels, got a sequence" },
	{ "pods_label_key", TGT "    - pods: {namespace: x, matchLabels: {@-app: x}}\n",
	  "targets[0].pods.matchLabels: expected " LABEL_KEY_EXPECT ", got '-app'" },
	{ "pods_label_prefix", TGT "    - pods: {namespace: x, matchLabels: {@Example.com/app: x}}\n",
	  "targets[0].pods.matchLabels: expected " LABEL_KEY_EXPECT ", got 'Example.com/app'" },
	{ "pods_label_value", TGT "    - pods: {namespace: x, matchLabels: {app: @a b}}\n",
	  "targets[0].pods.matchLabels.app: expected " LABEL_VALUE_EXPECT ", got 'a b'" },
	{ "pods_label_value_map", TGT "    - pods: {namespace: x, matchLabels: {app: @{a: b}}}\n",
	  "targets[0].pods.matchLabels.app: expected " LABEL_VALUE_EXPECT ", got a mapping" },
	{ "pods_label_twice", TGT "    - pods: {namespace: x, matchLabels: {app: x, @app: y}}\n",
	  "targets[0].pods.matchLabels: duplicate label 'app'" },
	{ "pods_twice", TGT "    - pods: {namespace: x, matchLabels: {app: web}}\n    - pods: @{namespace: x, matchLabels: {app: web}}\n",
	  "targets[1].pods: 'x/app=web' is already targets[0]" },
	{ "target_relative", API KIND META "spec:\n  duration: 2m\n  targets:\n    - cgroup: @sys/fs/cgroup/x\n" CONDS NOFAULTS,
	  "targets[0].cgroup: expected an absolute path, got 'sys/fs/cgroup/x'" },
	{ "target_twice", API KIND META "spec:\n  duration: 2m\n  targets:\n    - cgroup: /x\n    - cgroup: @/x\n" CONDS NOFAULTS,
	  "targets[1].cgroup: '/x' is already targets[0]" },
	{ "faults_null", HEAD CONDS "  faults: @null\n",
	  "faults: expected a sequence of faults (use [] for a control run), got null" },
	{ "conditions_empty", HEAD NOFAULTS "  failureConditions: @[]\n",
	  "failureConditions: expected at least one condition" },
	{ "conditions_type", HEAD NOFAULTS "  failureConditions: @{name: c}\n",
	  "failureConditions: expected a sequence of conditions, got a mapping" },

	/* Faults. */
	{ "fault_type", FAULT "    - @drop\n",
	  "faults[0]: expected a mapping, got a plain scalar" },
	{ "fault_no_name", FAULT "    - @drop: {percent: 1}\n",
	  "missing field 'name' in faults[0]" },
	{ "fault_name", FAULT "    - name: @-f\n      drop: {percent: 1}\n",
	  "faults[0].name: expected " NAME_EXPECT ", got '-f'" },
	{ "fault_name_twice", FAULT "    - {name: f, drop: {percent: 1}}\n    - {name: @f, drop: {percent: 2}}\n",
	  "faults[1].name: duplicate name 'f', also faults[0]" },
	{ "fault_unknown", FAULT "    - name: f\n      @dorp: {percent: 1}\n",
	  "unknown field 'dorp' in faults[0]; expected one of name, direction, match, drop, delay, rate, partition, loss, scope, duplicate, reject, dns, corrupt" },
	{ "fault_duplicate_field", FAULT "    - name: f\n      drop: {percent: 1}\n      @drop: {percent: 2}\n",
	  "duplicate field 'drop' in faults[0] (first at line 12)" },
	{ "fault_no_action", FAULT "    - @name: f\n      direction: egress\n",
	  "faults[0]: has no action: add drop, loss, duplicate, reject, corrupt, delay, rate, partition or dns" },
	{ "duplicate_delay", FAULT "    - name: f\n      delay: {time: 1ms}\n      duplicate: @{percent: 1}\n",
	  "faults[0].duplicate: cannot be combined with delay or rate; give it in a fault of its own (with another match: the first matching fault decides)" },
	{ "reject_no_percent", FAULT "    - name: f\n      reject: @{with: tcp-reset}\n",
	  "missing field 'percent' in faults[0].reject" },
	{ "reject_unknown", FAULT "    - name: f\n      reject: {percent: 1, @answer: rst}\n",
	  "unknown field 'answer' in faults[0].reject; expected one of percent, with" },
	{ "reject_percent_high", FAULT "    - name: f\n      reject: {percent: @101}\n",
	  "faults[0].reject.percent: expected a percentage from 0 to 100, got '101'" },
	{ "reject_with", FAULT "    - name: f\n      reject: {percent: 1, with: @icmp-prohibited}\n",
	  "faults[0].reject.with: expected tcp-reset or icmp-unreachable, got 'icmp-prohibited'" },
	{ "reject_rst_not_tcp", FAULT "    - name: f\n      match: {protocol: udp}\n      reject: {percent: 1, with: @tcp-reset}\n",
	  "faults[0].reject.with: tcp-reset answers TCP only; add match.protocol tcp, or leave with out (TCP gets a reset, the rest ICMP port unreachable)" },
	{ "reject_drop", FAULT "    - name: f\n      drop: {percent: 1}\n      reject: @{percent: 1}\n",
	  "faults[0].reject: cannot be combined with drop, loss, duplicate, delay, rate or partition; give it in a fault of its own (with another match: the first matching fault decides)" },
	{ "duplicate_no_percent", FAULT "    - name: f\n      direction: egress\n      duplicate: @{}\n",
	  "missing field 'percent' in faults[0].duplicate" },
	{ "corrupt_ingress", FAULT "    - name: f\n      direction: @ingress\n      corrupt: {percent: 1}\n",
	  "faults[0].direction: corrupt rewrites packets at the target's egress only; give direction: egress" },
	{ "corrupt_no_percent", FAULT "    - name: f\n      direction: egress\n      corrupt: @{fixChecksum: true}\n",
	  "missing field 'percent' in faults[0].corrupt" },
	{ "corrupt_fix_not_bool", FAULT "    - name: f\n      direction: egress\n      corrupt: {percent: 1, fixChecksum: @maybe}\n",
	  "faults[0].corrupt.fixChecksum: expected true or false, got 'maybe'" },
	{ "corrupt_delay", FAULT "    - name: f\n      direction: egress\n      delay: {time: 10ms}\n      corrupt: @{percent: 1}\n",
	  "faults[0].corrupt: cannot be combined with delay, rate, duplicate or reject; give it in a fault of its own (with another match: the first matching fault decides)" },
	{ "partition_no_peers", FAULT "    - name: f\n      partition: @{}\n",
	  "missing field 'peers' in faults[0].partition" },
	{ "partition_empty", FAULT "    - name: f\n      partition: {peers: @[]}\n",
	  "faults[0].partition.peers: expected at least one prefix" },
	{ "partition_direction", FAULT "    - name: f\n      direction: @ingress\n      partition: {peers: [198.18.1.0/24]}\n",
	  "faults[0].direction: a partition cuts both directions; leave direction out, or use drop with match.peers for one direction" },
	{ "partition_drop", FAULT "    - name: f\n      drop: {percent: 1}\n      partition: @{peers: [198.18.1.0/24]}\n",
	  "faults[0].partition: drops every packet with its peers, so drop, loss, duplicate, corrupt, delay or rate would never act; give them in a fault of their own" },
	{ "loss_unknown", FAULT "    - name: f\n      loss: {@q: 1}\n",
	  "unknown field 'q' in faults[0].loss; expected one of p, r, h, k, percent, correlation, per" },
	{ "loss_no_r", FAULT "    - name: f\n      loss: @{p: 1}\n",
	  "faults[0].loss.r: the chance of leaving the bad state is needed with p, e.g. r: 25" },
	{ "loss_h_high", FAULT "    - name: f\n      loss: {p: 1, r: 2, h: @120}\n",
	  "faults[0].loss.h: expected a percentage from 0 to 100, got '120'" },
	{ "loss_per", FAULT "    - name: f\n      loss: {percent: 1, per: @pod}\n",
	  "faults[0].loss.per: expected flow or fault, got 'pod'" },
	{ "scope_value", FAULT "    - name: f\n      drop: {percent: 1}\n      scope: @flows\n",
	  "faults[0].scope: expected packets or connections, got 'flows'" },
	{ "scope_no_percent", FAULT "    - name: f\n      delay: {time: 1ms}\n      scope: @connections\n",
	  "faults[0].scope: connections chooses connections by the fault's percentage, and this fault gives none; give drop.percent, duplicate.percent, corrupt.percent, delay.percent, rate.percent or reject.percent" },
	{ "scope_loss", FAULT "    - name: f\n      loss: {percent: 1}\n      scope: @connections\n",
	  "faults[0].scope: connections does not apply to burst loss: its chain already runs per connection (loss.per: flow), and loss.percent is a loss rate, not a share of connections; to blackhole a share of connections use drop.percent with scope connections" },
	{ "delay_percent_range", FAULT "    - name: f\n      delay: {time: 1ms, percent: @101}\n",
	  "faults[0].delay.percent: expected a percentage from 0 to 100, got '101'" },
	{ "rate_percent_differs", FAULT "    - name: f\n      delay: {time: 1ms, percent: 10}\n      rate: {limit: 1mbit, percent: @20}\n",
	  "faults[0].rate.percent: a chosen packet is both delayed and rate-limited, so delay.percent and rate.percent must be equal (or give one of them); for other shares use two faults with different matches" },
	{ "direction", FAULT "    - name: f\n      direction: @inbound\n      drop: {percent: 1}\n",
	  "faults[0].direction: expected ingress, egress or both, got 'inbound'" },
	{ "drop_type", FAULT "    - name: f\n      drop: @100\n",
	  "faults[0].drop: expected a mapping, got a plain scalar" },
	{ "drop_no_percent", FAULT "    - name: f\n      drop: @{}\n",
	  "missing field 'percent' in faults[0].drop" },
	{ "drop_unknown", FAULT "    - name: f\n      drop: {@percentage: 1}\n",
	  "unknown field 'percentage' in faults[0].drop; expected one of percent" },
	{ "drop_percent_high", FAULT "    - name: f\n      drop: {percent: @100.5}\n",
	  "faults[0].drop.percent: expected a percentage from 0 to 100, got '100.5'" },
	{ "drop_percent_negative", FAULT "    - name: f\n      drop: {percent: @-1}\n",
	  "faults[0].drop.percent: expected a percentage from 0 to 100, got '-1'" },
	{ "drop_percent_quoted", FAULT "    - name: f\n      drop: {percent: @\"50\"}\n",
	  "faults[0].drop.percent: expected a percentage from 0 to 100, got a quoted string" },
	{ "delay_no_time", FAULT "    - name: f\n      delay: @{jitter: 1ms}\n",
	  "missing field 'time' in faults[0].delay" },
	{ "delay_time", FAULT "    - name: f\n      delay: {time: @fast}\n",
	  "faults[0].delay.time: expected a duration like 500ms, 10s or 2m, got 'fast'" },
	{ "delay_time_long", FAULT "    - name: f\n      delay: {time: @30s}\n",
	  "faults[0].delay.time: 30s is longer than 10s, the longest faultline holds a packet (past it the datapath drops); use at most 10s" },
	{ "delay_jitter_larger", FAULT "    - name: f\n      delay: {time: 10ms, jitter: @10001us}\n",
	  "faults[0].delay.jitter: 10.001ms is larger than the delay's time 10ms; use at most 10ms" },
	{ "delay_jitter_tail", FAULT "    - name: f\n      delay: {time: 1s, jitter: @500ms, distribution: pareto}\n",
	  "faults[0].delay.jitter: this fault could hold a packet 12.4573s (time, plus the largest jitter its distribution draws), longer than the 10s faultline holds a packet; lower the delay or its jitter" },
	{ "delay_rate_queue", FAULT "    - name: f\n      delay: {time: @9500ms}\n      rate: {limit: 1mbit}\n",
	  "faults[0].delay.time: this fault could hold a packet 10.5s (time, plus the largest jitter its distribution draws, plus the rate limit's 1s queue), longer than the 10s faultline holds a packet; lower the delay or its jitter" },
	{ "delay_shape_no_jitter", FAULT "    - name: f\n      delay: {time: 10ms, distribution: @normal}\n",
	  "faults[0].delay.distribution: shapes jitter, and there is none: give delay.jitter too" },
	{ "delay_distribution", FAULT "    - name: f\n      delay: {time: 10ms, distribution: @gaussian}\n",
	  "faults[0].delay.distribution: expected uniform, normal, pareto or paretonormal, got 'gaussian'" },
	{ "delay_correlation_high", FAULT "    - name: f\n      delay: {time: 10ms, correlation: @101}\n",
	  "faults[0].delay.correlation: expected a whole percentage from 0 to 100, got '101'" },
	{ "delay_correlation_fraction", FAULT "    - name: f\n      delay: {time: 10ms, correlation: @2.5}\n",
	  "faults[0].delay.correlation: expected a whole percentage from 0 to 100, got '2.5'" },
	{ "delay_reorder", FAULT "    - name: f\n      delay: {time: 10ms, reorder: @yes}\n",
	  "faults[0].delay.reorder: expected true or false, got 'yes'" },
	{ "delay_reorder_quoted", FAULT "    - name: f\n      delay: {time: 10ms, reorder: @'true'}\n",
	  "faults[0].delay.reorder: expected true or false, got a quoted string" },
	{ "delay_unknown", FAULT "    - name: f\n      delay: {time: 10ms, @jiter: 1ms}\n",
	  "unknown field 'jiter' in faults[0].delay; expected one of time, jitter, distribution, correlation, reorder, percent" },
	{ "rate_no_limit", FAULT "    - name: f\n      rate: @{per: flow}\n",
	  "missing field 'limit' in faults[0].rate" },
	{ "rate_limit_unit", FAULT "    - name: f\n      rate: {limit: @10mbps}\n",
	  "faults[0].rate.limit: expected a rate like 10mbit, 500kbit or 1000pps (units bit, kbit, mbit, gbit, pps, kpps), got '10mbps'" },
	{ "rate_limit_zero", FAULT "    - name: f\n      rate: {limit: @0kbit}\n",
	  "faults[0].rate.limit: expected a rate like 10mbit, 500kbit or 1000pps (units bit, kbit, mbit, gbit, pps, kpps), got '0kbit'" },
	{ "rate_limit_high", FAULT "    - name: f\n      rate: {limit: @401gbit}\n",
	  "faults[0].rate.limit: too high: at most 400gbit or 1000000kpps" },
	{ "rate_per", FAULT "    - name: f\n      rate: {limit: 1mbit, per: @pod}\n",
	  "faults[0].rate.per: expected target or flow, got 'pod'" },
	{ "match_type", FAULT "    - name: f\n      match: @tcp\n      drop: {percent: 1}\n",
	  "faults[0].match: expected a mapping, got a plain scalar" },
	{ "match_unknown", FAULT "    - name: f\n      match: {@port: [80]}\n      drop: {percent: 1}\n",
	  "unknown field 'port' in faults[0].match; expected one of protocol, peers, ports" },
	{ "match_protocol", FAULT "    - name: f\n      match: {protocol: @sctp}\n      drop: {percent: 1}\n",
	  "faults[0].match.protocol: expected tcp, udp, icmp or any, got 'sctp'" },
	{ "match_peer", FAULT "    - name: f\n      match: {peers: [10.0.0.0/8, @198.18.0.0/33]}\n      drop: {percent: 1}\n",
	  "faults[0].match.peers[1]: expected an address or prefix like 198.18.0.0/24 or 2001:db8::/32, got '198.18.0.0/33'" },
	{ "match_peers_empty", FAULT "    - name: f\n      match: {peers: @[]}\n      drop: {percent: 1}\n",
	  "faults[0].match.peers: expected at least one prefix; leave peers out to match any peer" },
	{ "match_peers_type", FAULT "    - name: f\n      match: {peers: @10.0.0.0/8}\n      drop: {percent: 1}\n",
	  "faults[0].match.peers: expected a sequence of prefixes, got a plain scalar" },
	{ "match_port_zero", FAULT "    - name: f\n      match: {ports: [@0]}\n      drop: {percent: 1}\n",
	  "faults[0].match.ports[0]: expected a port from 1 to 65535, got '0'" },
	{ "match_port_high", FAULT "    - name: f\n      match: {ports: [80, @65536]}\n      drop: {percent: 1}\n",
	  "faults[0].match.ports[1]: expected a port from 1 to 65535, got '65536'" },
	{ "match_port_quoted", FAULT "    - name: f\n      match:\n        ports:\n          - @\"80\"\n      drop: {percent: 1}\n",
	  "faults[0].match.ports[0]: expected a port from 1 to 65535, got a quoted string" },
	{ "match_port_twice", FAULT "    - name: f\n      match: {ports: [80, @80]}\n      drop: {percent: 1}\n",
	  "faults[0].match.ports[1]: port 80 is listed twice" },
	{ "match_ports_empty", FAULT "    - name: f\n      match: {ports: @[]}\n      drop: {percent: 1}\n",
	  "faults[0].match.ports: expected at least one port; leave ports out to match any port" },
	{ "match_icmp_ports", FAULT "    - name: f\n      match: {protocol: icmp, ports: @[80]}\n      drop: {percent: 1}\n",
	  "faults[0].match.ports: icmp has no ports; use protocol tcp, udp or any" },

	/* Probes. */
	{ "probes_type", MINIMAL "  probes: @web\n",
	  "probes: expected a sequence of probes, got a plain scalar" },
	{ "probe_no_name", PROBE "    - @http: {url: \"http://192.0.2.1/\"}\n",
	  "missing field 'name' in probes[0]" },
	{ "probe_name_twice", PROBE "    - {name: p, tcp: {address: \"192.0.2.1:80\"}}\n    - {name: @p, tcp: {address: \"192.0.2.1:81\"}}\n",
	  "probes[1].name: duplicate name 'p', also probes[0]" },
	{ "probe_unknown", PROBE "    - name: p\n      tcp: {address: \"192.0.2.1:80\"}\n      @retries: 3\n",
	  "unknown field 'retries' in probes[0]; expected one of name, http, tcp, interval, timeout, netns" },
	{ "probe_no_kind", PROBE "    - @name: p\n      interval: 1s\n",
	  "probes[0] needs http or tcp" },
	{ "probe_both_kinds", PROBE "    - name: p\n      tcp: {address: \"192.0.2.1:80\"}\n      @http: {url: \"http://192.0.2.1/\"}\n",
	  "probes[0]: has both http and tcp; a probe is one or the other" },
	{ "http_no_url", PROBE "    - name: p\n      http: @{expectStatus: 200}\n",
	  "missing field 'url' in probes[0].http" },
	{ "http_unknown", PROBE "    - name: p\n      http: {url: \"http://h/\", @method: GET}\n",
	  "unknown field 'method' in probes[0].http; expected one of url, expectStatus" },
	{ "http_url_scheme", PROBE "    - name: p\n      http: {url: @\"ftp://192.0.2.1/\"}\n",
	  "probes[0].http.url: expected an http:// or https:// url, got 'ftp://192.0.2.1/'" },
	{ "http_url_host", PROBE "    - name: p\n      http: {url: @\"http:///x\"}\n",
	  "probes[0].http.url: url 'http:///x' has no host" },
	{ "http_url_blank", PROBE "    - name: p\n      http: {url: @\"http://h/a b\"}\n",
	  "probes[0].http.url: url contains a blank or control character" },
	{ "http_url_long", PROBE "    - name: p\n      http: {url: @\"http://h/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n",
	  "probes[0].http.url: url is longer than 511 bytes" },
	{ "http_status_high", PROBE "    - name: p\n      http: {url: \"http://h/\", expectStatus: @600}\n",
	  "probes[0].http.expectStatus: expected an HTTP status from 100 to 599, got '600'" },
	{ "http_status_short", PROBE "    - name: p\n      http: {url: \"http://h/\", expectStatus: @20}\n",
	  "probes[0].http.expectStatus: expected an HTTP status from 100 to 599, got '20'" },
	{ "http_status_quoted", PROBE "    - name: p\n      http: {url: \"http://h/\", expectStatus: @\"200\"}\n",
	  "probes[0].http.expectStatus: expected an HTTP status from 100 to 599, got a quoted string" },
	{ "tcp_no_address", PROBE "    - name: p\n      tcp: @{}\n",
	  "missing field 'address' in probes[0].tcp" },
	{ "tcp_address_null", PROBE "    - name: p\n      tcp:\n        address:@\n",
	  "probes[0].tcp.address: expected a host and port like 198.18.0.1:9080, web.local:80 or [2001:db8::1]:9080, got null" },
	{ "tcp_unknown", PROBE "    - name: p\n      tcp: {address: \"192.0.2.1:80\", @port: 80}\n",
	  "unknown field 'port' in probes[0].tcp; expected one of address" },
	{ "tcp_unknown_block", PROBE "    - name: p\n      tcp:\n        address: \"192.0.2.1:80\"\n        @timeout: 1s\n",
	  "unknown field 'timeout' in probes[0].tcp; expected one of address" },
	{ "tcp_no_port", PROBE "    - name: p\n      tcp: {address: @\"192.0.2.1\"}\n",
	  "probes[0].tcp.address: expected a host and port like 198.18.0.1:9080, web.local:80 or [2001:db8::1]:9080, got '192.0.2.1'" },
	{ "tcp_hostname", PROBE "    - name: p\n      tcp: {address: @\"web_1.local:80\"}\n",
	  "probes[0].tcp.address: expected a host and port like 198.18.0.1:9080, web.local:80 or [2001:db8::1]:9080, got 'web_1.local:80'" },
	{ "tcp_address_long", PROBE "    - name: p\n      tcp: {address: @\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:80\"}\n",
	  "probes[0].tcp.address: expected a host and port like 198.18.0.1:9080, web.local:80 or [2001:db8::1]:9080, got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'" },
	{ "tcp_v6_unbracketed", PROBE "    - name: p\n      tcp: {address: @\"2001:db8::1:80\"}\n",
	  "probes[0].tcp.address: expected a host and port like 198.18.0.1:9080, web.local:80 or [2001:db8::1]:9080, got '2001:db8::1:80'" },
	{ "tcp_port_zero", PROBE "    - name: p\n      tcp: {address: @\"[::1]:0\"}\n",
	  "probes[0].tcp.address: expected a host and port like 198.18.0.1:9080, web.local:80 or [2001:db8::1]:9080, got '[::1]:0'" },
	{ "probe_interval_short", PROBE "    - name: p\n      tcp: {address: \"192.0.2.1:80\"}\n      interval: @9ms\n",
	  "probes[0].interval: '9ms' is too short: at least 10ms" },
	{ "probe_interval_long", PROBE "    - name: p\n      tcp: {address: \"192.0.2.1:80\"}\n      interval: @61m\n",
	  "probes[0].interval: '61m' is too long: at most 1h" },
	{ "probe_timeout_long", PROBE "    - name: p\n      tcp: {address: \"192.0.2.1:80\"}\n      timeout: @2m\n",
	  "probes[0].timeout: '2m' is too long: at most 60s" },
	{ "probe_netns_relative", PROBE "    - name: p\n      tcp: {address: \"192.0.2.1:80\"}\n      netns: @fl-demo\n",
	  "probes[0].netns: expected an absolute path, got 'fl-demo'" },

	/* Failure conditions. */
	{ "cond_type", COND "    - @packets.in > 1\n",
	  "failureConditions[0]: expected a mapping, got a plain scalar" },
	{ "cond_no_name", COND "    - @signal: packets.in\n      above: 1\n",
	  "missing field 'name' in failureConditions[0]" },
	{ "cond_no_signal", COND "    - @name: c\n      above: 1\n",
	  "missing field 'signal' in failureConditions[0]" },
	{ "cond_name_twice", COND "    - {name: c, signal: packets.in, above: 1}\n    - {name: @c, signal: packets.out, above: 1}\n",
	  "failureConditions[1].name: duplicate name 'c', also failureConditions[0]" },
	{ "cond_unknown", COND "    - name: c\n      signal: packets.in\n      @abvoe: 1\n",
	  "unknown field 'abvoe' in failureConditions[0]; expected one of name, signal, probe, window, above, below, atLeast, atMost, prometheus" },
	{ "cond_signal", COND "    - name: c\n      signal: @probe.failure\n      above: 1\n",
	  "failureConditions[0].signal: unknown signal 'probe.failure'; expected one of " SIGNALS },
	{ "cond_signal_case", COND "    - name: c\n      signal: @probe.successrate\n      above: 1\n",
	  "failureConditions[0].signal: unknown signal 'probe.successrate'; expected one of " SIGNALS },
	{ "cond_no_comparison", COND "    - @name: c\n      signal: packets.in\n      window: 10s\n",
	  "missing comparison in failureConditions[0]; expected one of above, below, atLeast, atMost" },
	{ "cond_two_comparisons", COND "    - name: c\n      signal: packets.in\n      atMost: 5\n      @above: 1\n",
	  "failureConditions[0]: both 'atMost' and 'above' given; use exactly one of above, below, atLeast, atMost" },
	{ "cond_probe_missing", COND "    - @name: c\n      signal: probe.failures\n      above: 1\n",
	  "failureConditions[0]: signal probe.failures needs 'probe', the name of one of the probes" },
	{ "cond_probe_none_defined", HEAD NOFAULTS "  failureConditions:\n    - @name: c\n      signal: probe.latency.p50\n      above: 1s\n",
	  "failureConditions[0]: signal probe.latency.p50 needs 'probe', the name of one of the probes, and spec has no probes" },
	{ "cond_probe_unknown", COND "    - name: c\n      signal: probe.failures\n      probe: @api\n      above: 1\n",
	  "failureConditions[0].probe: no probe named 'api' in probes" },
	{ "cond_probe_not_probe_signal", COND "    - name: c\n      signal: tcp.retransmits\n      @probe: web\n      above: 1\n",
	  "failureConditions[0]: 'probe' is only for probe.* signals, not tcp.retransmits" },
	{ "cond_prometheus_missing", COND "    - @name: c\n      signal: prometheus\n      above: 1\n",
	  "failureConditions[0]: signal prometheus needs a 'prometheus' mapping with url and query" },
	{ "cond_prometheus_window", COND "    - name: c\n      signal: prometheus\n      prometheus: {url: \"http://p/\", query: up}\n      @window: 1m\n      above: 1\n",
	  "failureConditions[0]: prometheus conditions have no window; the newest query result counts" },
	{ "cond_prometheus_other_signal", COND "    - name: c\n      signal: packets.in\n      @prometheus: {url: \"http://p/\", query: up}\n      above: 1\n",
	  "failureConditions[0]: 'prometheus' is only for signal prometheus, not packets.in" },
	{ "prometheus_no_query", COND "    - name: c\n      signal: prometheus\n      prometheus: @{url: \"http://p/\"}\n      above: 1\n",
	  "missing field 'query' in failureConditions[0].prometheus" },
	{ "prometheus_no_url", COND "    - name: c\n      signal: prometheus\n      prometheus: @{query: up}\n      above: 1\n",
	  "missing field 'url' in failureConditions[0].prometheus" },
	{ "prometheus_url", COND "    - name: c\n      signal: prometheus\n      prometheus: {url: @\"127.0.0.1:9090\", query: up}\n      above: 1\n",
	  "failureConditions[0].prometheus.url: expected an http:// or https:// url, got '127.0.0.1:9090'" },
	{ "prometheus_query_empty", COND "    - name: c\n      signal: prometheus\n      prometheus: {url: \"http://p/\", query: @\"\"}\n      above: 1\n",
	  "failureConditions[0].prometheus.query: expected a PromQL query, got ''" },
	{ "prometheus_interval", COND "    - name: c\n      signal: prometheus\n      prometheus: {url: \"http://p/\", query: up, interval: @5ms}\n      above: 1\n",
	  "failureConditions[0].prometheus.interval: '5ms' is too short: at least 10ms" },
	{ "prometheus_unknown", COND "    - name: c\n      signal: prometheus\n      prometheus: {url: \"http://p/\", @querry: up}\n      above: 1\n",
	  "unknown field 'querry' in failureConditions[0].prometheus; expected one of url, query, interval" },
	{ "threshold_text", COND "    - name: c\n      signal: packets.in\n      above: @ten\n",
	  "failureConditions[0].above: expected a number >= 0 like 10 or 2.5, got 'ten'" },
	{ "threshold_quoted", COND "    - name: c\n      signal: packets.in\n      above: @\"10\"\n",
	  "failureConditions[0].above: expected a number >= 0 like 10 or 2.5, got a quoted string" },
	{ "threshold_negative", COND "    - name: c\n      signal: tcp.retransmits\n      atLeast: @-1\n",
	  "failureConditions[0].atLeast: expected a number >= 0 like 10 or 2.5, got '-1'" },
	{ "threshold_exponent", COND "    - name: c\n      signal: bytes.out\n      above: @1e6\n",
	  "failureConditions[0].above: expected a number >= 0 like 10 or 2.5, got '1e6'" },
	{ "threshold_null", COND "    - name: c\n      signal: bytes.out\n      above: @null\n",
	  "failureConditions[0].above: expected a number >= 0 like 10 or 2.5, got null" },
	{ "threshold_ratio", COND "    - name: c\n      signal: probe.successRate\n      probe: web\n      below: @1.5\n",
	  "failureConditions[0].below: expected a fraction from 0 to 1 or a percentage like 95%, got '1.5'" },
	{ "threshold_ratio_percent", COND "    - name: c\n      signal: http.errorRate\n      above: @101%\n",
	  "failureConditions[0].above: expected a fraction from 0 to 1 or a percentage like 95%, got '101%'" },
	{ "threshold_latency", COND "    - name: c\n      signal: tcp.rtt.p99\n      above: @fast\n",
	  "failureConditions[0].above: expected a duration like 200ms or 1.5s, got 'fast'" },
	{ "threshold_never", COND "    - name: c\n      signal: packets.in\n      below: @0\n",
	  "failureConditions[0]: below 0 can never trip: the value is never below 0" },
	{ "threshold_always", COND "    - name: c\n      signal: faults.dropped\n      atLeast: @0\n",
	  "failureConditions[0]: atLeast 0 always trips: the value is always at least 0" },
	{ "threshold_ratio_never", COND "    - name: c\n      signal: http.errorRate\n      above: @100%\n",
	  "failureConditions[0]: above 100% can never trip: a ratio is never above 1" },
	{ "window_text", COND "    - name: c\n      signal: packets.in\n      window: @soon\n      above: 1\n",
	  "failureConditions[0].window: expected a duration like 500ms, 10s or 2m, got 'soon'" },
	{ "window_short", COND "    - name: c\n      signal: packets.in\n      window: @99ms\n      above: 1\n",
	  "failureConditions[0].window: '99ms' is too short: at least 100ms" },
	{ "window_past_duration", COND "    - name: c\n      signal: packets.in\n      window: @2m1s\n      above: 1\n",
	  "failureConditions[0].window: '2m1s' is longer than the experiment's duration '2m'" },
};

/* Removes the '@' from text and says where it was. */
static char *unmark(const char *text, int *line, int *col)
{
	char *s = strdup(text), *at;
	const char *p;

	assert_non_null(s);
	at = strchr(s, '@');
	if (!at)
		fail_msg("no '@' in the test text");
	*line = 1;
	*col = 1;
	for (p = s; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
	memmove(at, at + 1, strlen(at + 1) + 1);
	return s;
}

static void test_bad_case(void **state)
{
	const struct bad_case *bc = *state;
	char err[ERR_LEN], want[ERR_LEN];
	int line, col, ret;
	char *text;

	text = unmark(bc->text, &line, &col);
	memset(&exp, 0x5a, sizeof(exp));
	ret = fl_experiment_parse("t.yaml", text, strlen(text), &exp, err,
				  sizeof(err));
	if (ret != -EINVAL)
		fail_msg("%s: returned %d, want -EINVAL; text:\n%s", bc->name,
			 ret, text);
	snprintf(want, sizeof(want), "t.yaml:%d:%d: %s", line, col, bc->msg);
	assert_string_equal(err, want);
	/* A failed parse leaves nothing behind. */
	assert_int_equal(exp.n_targets, 0);
	assert_int_equal(exp.n_faults, 0);
	assert_int_equal(exp.n_conditions, 0);
	assert_int_equal(exp.n_probes, 0);
	assert_null(exp.targets[0].cgroup);
	free(text);
}

/* Every target kind, as a file writes it, and what a run on one host
 * refuses: the kinds that need the Kubernetes API.
 */
static void test_target_kinds(void **state)
{
	const struct fl_exp_target *t = exp.targets;
	char err[ERR_LEN];

	(void)state;
	parse_ok("apiVersion: faultline/v1alpha1\n"
		 "kind: Experiment\n"
		 "metadata: {name: t}\n"
		 "spec:\n"
		 "  duration: 2m\n"
		 "  faults: []\n"
		 "  failureConditions: [{name: c, signal: packets.in, above: 1}]\n"
		 "  targets:\n"
		 "    - cgroup: /sys/fs/cgroup/x\n"
		 "    - pid: 4194304\n"
		 "    - container: {id: \"containerd://0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}\n"
		 "    - container:\n"
		 "        id: 0123456789ab\n"
		 "    - pod: {uid: 6f1c0d9e-3b7a-4c55-9a51-0f1e2d3c4b5a}\n"
		 "    - pod: {uid: 0123456789abcdef0123456789abcdef}\n"
		 "    - pid: 1\n"
		 "    - container: {id: \"cri-o://abcdefabcdef\"}\n"
		 "    - pod: {namespace: shop, name: cart-0.v2}\n"
		 "    - pods:\n"
		 "        namespace: shop\n"
		 "        matchLabels: {app: cart, example.com/tier: \"\", k8s-app: a.b_c}\n");
	assert_int_equal(exp.n_targets, 10);
	assert_int_equal(t[0].kind, FL_TARGET_CGROUP);
	assert_string_equal(t[0].cgroup, "/sys/fs/cgroup/x");
	assert_string_equal(t[0].ref, "/sys/fs/cgroup/x");
	assert_int_equal(t[0].line, 9);
	assert_int_equal(t[0].col, 15);
	assert_int_equal(t[1].kind, FL_TARGET_PID);
	assert_int_equal(t[1].pid, 4194304);
	assert_string_equal(t[1].ref, "4194304");
	assert_null(t[1].cgroup);
	assert_int_equal(t[1].line, 10);
	assert_int_equal(t[1].col, 12);
	assert_int_equal(t[2].kind, FL_TARGET_CONTAINER);
	assert_string_equal(t[2].ref, ID64);	/* the scheme kubectl shows is dropped */
	assert_int_equal(t[3].kind, FL_TARGET_CONTAINER);
	assert_string_equal(t[3].ref, "0123456789ab");
	assert_int_equal(t[3].line, 13);	/* the id's own position */
	assert_int_equal(t[3].col, 13);
	assert_int_equal(t[4].kind, FL_TARGET_POD_UID);
	assert_string_equal(t[4].ref, "6f1c0d9e-3b7a-4c55-9a51-0f1e2d3c4b5a");
	assert_int_equal(t[4].line, 14);
	assert_int_equal(t[4].col, 18);
	assert_string_equal(t[5].ref, "0123456789abcdef0123456789abcdef");	/* a static pod's */
	assert_int_equal(t[6].pid, 1);
	assert_string_equal(t[7].ref, "abcdefabcdef");
	assert_int_equal(t[8].kind, FL_TARGET_POD_NAME);
	assert_string_equal(t[8].namespace, "shop");
	assert_string_equal(t[8].name, "cart-0.v2");
	assert_string_equal(t[8].ref, "shop/cart-0.v2");
	assert_int_equal(t[8].line, 18);
	assert_int_equal(t[8].col, 12);
	assert_int_equal(t[9].kind, FL_TARGET_POD_SELECTOR);
	assert_string_equal(t[9].namespace, "shop");
	assert_null(t[9].name);
	assert_int_equal(t[9].n_labels, 3);
	assert_string_equal(t[9].labels[0].key, "app");
	assert_string_equal(t[9].labels[0].value, "cart");
	assert_string_equal(t[9].labels[1].key, "example.com/tier");
	assert_string_equal(t[9].labels[1].value, "");
	assert_string_equal(t[9].labels[2].value, "a.b_c");
	assert_string_equal(t[9].ref, "shop/app=cart,example.com/tier=,k8s-app=a.b_c");
	assert_int_equal(t[9].line, 20);
	assert_int_equal(t[9].col, 9);
	assert_string_equal(fl_target_kind_name(t[4].kind), "pod");
	assert_string_equal(fl_target_kind_name(t[8].kind), "pod");
	assert_string_equal(fl_target_kind_name(t[9].kind), "pods");

	/* on one host, the first target that needs the API is refused */
	assert_int_equal(fl_experiment_check_local(&exp, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:18:12: targets[8].pod: a pod named by namespace and name needs the Kubernetes API: run it with the faultline agent that has API access, or name the pod by uid (pod: {uid: UID}) on its node");
	fl_experiment_free(&exp);

	parse_ok(TGT "    - pod: {uid: ab}\n    - pods: {namespace: x, matchLabels: {a: b}}\n");
	assert_int_equal(fl_experiment_check_local(&exp, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:11:13: targets[1].pods: pods chosen by labels needs the Kubernetes API: run it with the faultline agent that has API access, or name the pod by uid (pod: {uid: UID}) on its node");
	fl_experiment_free(&exp);

	/* pods without a namespace: the Experiment resource's own */
	parse_ok(TGT "    - pods: {matchLabels: {app: web, tier: db}}\n");
	assert_int_equal(t[0].kind, FL_TARGET_POD_SELECTOR);
	assert_null(t[0].namespace);
	assert_string_equal(t[0].ref, "app=web,tier=db");
	fl_experiment_free(&exp);

	parse_ok(TGT "    - pod: {uid: ab}\n    - pid: 7\n    - container: {id: 0123456789ab}\n");
	assert_int_equal(fl_experiment_check_local(&exp, err, sizeof(err)), 0);
	fl_experiment_free(&exp);
}

/* inject's flags go through the file's checks. */
static void test_target_set(void **state)
{
	struct fl_exp_target t;
	const char *what;

	(void)state;
	assert_int_equal(fl_exp_target_set(&t, FL_TARGET_CGROUP, "rel/dir", &what), 0);
	assert_string_equal(t.cgroup, "rel/dir");	/* inject resolves it from the cwd */
	assert_string_equal(t.ref, "rel/dir");
	fl_exp_target_free(&t);
	assert_null(t.ref);
	assert_int_equal(fl_exp_target_set(&t, FL_TARGET_PID, "12", &what), 0);
	assert_int_equal(t.pid, 12);
	assert_string_equal(t.ref, "12");
	fl_exp_target_free(&t);
	assert_int_equal(fl_exp_target_set(&t, FL_TARGET_PID, "12x", &what), -EINVAL);
	assert_string_equal(what, PID_EXPECT);
	assert_null(t.ref);
	assert_int_equal(fl_exp_target_set(&t, FL_TARGET_CONTAINER, "docker://" ID64, &what), 0);
	assert_string_equal(t.ref, ID64);
	fl_exp_target_free(&t);
	assert_int_equal(fl_exp_target_set(&t, FL_TARGET_CONTAINER, "docker://", &what), -EINVAL);
	assert_string_equal(what, CONTAINER_EXPECT);
	assert_int_equal(fl_exp_target_set(&t, FL_TARGET_POD_UID, "", &what), -EINVAL);
	assert_string_equal(what, POD_UID_EXPECT);
	assert_int_equal(fl_exp_target_set(&t, FL_TARGET_POD_NAME, "x/y", &what), -EINVAL);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_example_file),
		cmocka_unit_test(test_documented_error),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_edges_accepted),
		cmocka_unit_test(test_scope_shares),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_free_twice),
		cmocka_unit_test(test_target_kinds),
		cmocka_unit_test(test_target_set),
	};
	size_t n_fixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]);
	struct CMUnitTest *tests;
	size_t i;
	int ret;

	tests = calloc(n_fixed + n_bad, sizeof(*tests));
	if (!tests)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (i = 0; i < n_bad; i++) {
		tests[n_fixed + i].name = bad_cases[i].name;
		tests[n_fixed + i].test_func = test_bad_case;
		tests[n_fixed + i].initial_state = (void *)&bad_cases[i];
	}
	ret = _cmocka_run_group_tests("experiment", tests, n_fixed + n_bad,
				      NULL, NULL);
	free(tests);
	return ret;
}
