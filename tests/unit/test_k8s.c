// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for the Kubernetes side without an API server: the
 * kubeconfig reader (user/k8s/kubeconfig.c: the current context, token,
 * token file, client certificate and CA inline or by file, errors) and
 * the status an agent writes (user/k8s/status.c: a node's entry and the
 * overall summary from every node's entry).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kubeconfig.h"
#include "status.h"

static char dir[] = "/tmp/fl_test_k8s.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

/* Write @text to DIR/@name; its path in @path. */
static void put(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int load(const char *text, struct fl_k8s_cfg *c, char *err, size_t errlen)
{
	char path[256];

	put("kubeconfig", text, path, sizeof(path));
	err[0] = 0;
	return fl_k8s_cfg_load(path, c, err, errlen);
}

#define CLUSTERS \
	"clusters:\n" \
	"- name: other\n" \
	"  cluster: {server: \"https://10.0.0.9:6443\"}\n" \
	"- name: c\n" \
	"  cluster:\n" \
	"    server: https://127.0.0.1:6443//\n" \
	"    certificate-authority-data: Q0EtUEVN\n"	/* "CA-PEM" */

static void test_token_and_context(void **state)
{
	struct fl_k8s_cfg c;
	char err[512];

	(void)state;
	/* the current context picks the user and the cluster, not the first */
	assert_int_equal(load("apiVersion: v1\nkind: Config\n" CLUSTERS
			      "users:\n"
			      "- {name: admin, user: {token: wrong}}\n"
			      "- {name: sa, user: {token: abc.def.ghi}}\n"
			      "contexts:\n"
			      "- {name: x, context: {cluster: other, user: admin}}\n"
			      "- {name: y, context: {cluster: c, user: sa}}\n"
			      "current-context: y\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://127.0.0.1:6443");	/* slashes trimmed */
	assert_string_equal(c.token, "abc.def.ghi");
	assert_int_equal(c.ca_len, 6);
	assert_memory_equal(c.ca, "CA-PEM", 6);
	assert_null(c.cert);
	assert_null(c.key);
	assert_int_equal(c.insecure, 0);
	fl_k8s_cfg_free(&c);
}

static void test_client_cert_files(void **state)
{
	char kc[2048], ca[256], crt[256], key[256], tok[256], err[512];
	struct fl_k8s_cfg c;

	(void)state;
	put("ca.crt", "CA FILE\n", ca, sizeof(ca));
	put("client.crt", "CERT FILE\n", crt, sizeof(crt));
	put("client.key", "KEY FILE\n", key, sizeof(key));
	put("token", "from-file\n", tok, sizeof(tok));
	snprintf(kc, sizeof(kc),
		 "clusters:\n- name: c\n  cluster: {server: \"https://h:1\", certificate-authority: %s}\n"
		 "users:\n- name: u\n  user: {client-certificate: %s, client-key: %s}\n"
		 "- name: t\n  user: {tokenFile: %s}\n"
		 "- name: d\n  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}\n"
		 "contexts:\n- {name: files, context: {cluster: c, user: u}}\n"
		 "- {name: tf, context: {cluster: c, user: t}}\n"
		 "- {name: data, context: {cluster: c, user: d}}\n"
		 "current-context: files\n", ca, crt, key, tok);
	assert_int_equal(load(kc, &c, err, sizeof(err)), 0);
	assert_string_equal(c.ca, "CA FILE\n");
	assert_string_equal(c.cert, "CERT FILE\n");
	assert_string_equal(c.key, "KEY FILE\n");
	assert_null(c.token);
	fl_k8s_cfg_free(&c);

	/* a token file's newline is not part of the token */
	strcpy(strstr(kc, "current-context: files"), "current-context: tf\n");
	assert_int_equal(load(kc, &c, err, sizeof(err)), 0);
	assert_string_equal(c.token, "from-file");
	fl_k8s_cfg_free(&c);

	strcpy(strstr(kc, "current-context: tf"), "current-context: data\n");
	assert_int_equal(load(kc, &c, err, sizeof(err)), 0);
	assert_int_equal(c.cert_len, 4);
	assert_string_equal(c.cert, "CERT");
	assert_string_equal(c.key, "KEY");
	fl_k8s_cfg_free(&c);
}

static void test_insecure(void **state)
{
	struct fl_k8s_cfg c;
	char err[512];

	(void)state;
	assert_int_equal(load("clusters:\n- {name: c, cluster: {server: \"https://h:1\", insecure-skip-tls-verify: true}}\n"
			      "users:\n- {name: u, user: {token: t}}\n"
			      "contexts:\n- {name: x, context: {cluster: c, user: u}}\n"
			      "current-context: x\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c.insecure, 1);
	assert_null(c.ca);
	fl_k8s_cfg_free(&c);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *want;
		int ret;
	} cases[] = {
		{ "clusters: []\ncontexts: []\n", "no current-context; choose one with 'kubectl config use-context NAME'", -EINVAL },
		{ "current-context: gone\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n",
		  "current-context gone is not in contexts; list them with 'kubectl config get-contexts'", -EINVAL },
		{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\nclusters:\n- {name: c, cluster: {}}\n",
		  "context x: its cluster c has no server (https://HOST:PORT)", -EINVAL },
		{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: nowhere, user: u}}\n",
		  "context x: its cluster nowhere has no server (https://HOST:PORT)", -EINVAL },
		{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
		  "clusters:\n- {name: c, cluster: {server: \"https://h:1\", certificate-authority-data: \"not*base64\"}}\n",
		  "certificate-authority-data: not base64", -EINVAL },
		{ "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
		  "clusters:\n- {name: c, cluster: {server: \"https://h:1\"}}\n"
		  "users:\n- {name: u, user: {client-key: /nonexistent/fl-key}}\n",
		  "client-key /nonexistent/fl-key: No such file or directory", -ENOENT },
		{ "clusters: [\n", "", -EINVAL },
	};
	struct fl_k8s_cfg c;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = load(cases[i].text, &c, err, sizeof(err));

		if (ret != cases[i].ret || !strstr(err, cases[i].want) || !*err)
			fail_msg("case %zu: %d, '%s'", i, ret, err);
		/* nothing is left to free after an error */
		assert_null(c.ca);
		assert_null(c.token);
	}
	err[0] = 0;
	assert_int_equal(fl_k8s_cfg_load("/nonexistent/fl-kubeconfig", &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "--kubeconfig /nonexistent/fl-kubeconfig: No such file or directory");
}

/* ---- status ---- */

static json_object *parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	assert_non_null(o);
	return o;
}

static void expect_json(json_object *o, const char *want)
{
	const char *got = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								  JSON_C_TO_STRING_NOSLASHESCAPE) : "null";

	if (strcmp(got, want))
		fail_msg("got  %s\nwant %s", got, want);
}

static void test_entry(void **state)
{
	json_object *pods = parse("{\"u1\": \"default/a\", \"u2\": \"default/b\"}");
	json_object *none = parse("{}"), *late = parse("{\"u3\": \"default/c\"}"), *e;
	struct fl_dp_counters c = {};

	(void)state;
	e = fl_k8s_entry_new("node-a", "Started", NULL, pods, none);
	expect_json(e, "{\"node\":\"node-a\",\"phase\":\"Started\",\"pods\":[\"default/a\",\"default/b\"]}");
	json_object_put(e);
	e = fl_k8s_entry_new("node-a", "Error", "why", none, late);
	expect_json(e, "{\"node\":\"node-a\",\"phase\":\"Error\",\"message\":\"why\",\"pods\":[],\"deferredPods\":[\"default/c\"]}");
	json_object_put(e);
	e = fl_k8s_entry_new("n", "Started", NULL, NULL, NULL);
	expect_json(e, "{\"node\":\"n\",\"phase\":\"Started\"}");
	json_object_put(e);

	c.dir[0].matched = 3;
	c.dir[1].matched = 4;
	c.dir[0].dropped = 2;
	c.dir[1].delayed = 5;
	e = fl_k8s_counters_new(&c);
	expect_json(e, "{\"matched\":7,\"dropped\":2,\"delayed\":5}");
	json_object_put(e);
	json_object_put(pods);
	json_object_put(none);
	json_object_put(late);
}

static void test_overall_phase(void **state)
{
	static const struct {
		const char *nodes, *want;
	} cases[] = {
		{ "[]", NULL },
		{ "[{\"node\":\"a\",\"phase\":\"Succeeded\"}]", "Succeeded" },
		{ "[{\"node\":\"a\",\"phase\":\"Succeeded\"},{\"node\":\"b\",\"phase\":\"Started\"}]", "Started" },
		/* an entry without a phase yet runs */
		{ "[{\"node\":\"a\",\"phase\":\"Succeeded\"},{\"node\":\"b\"}]", "Started" },
		/* one failure decides, even while others run */
		{ "[{\"node\":\"a\",\"phase\":\"Started\"},{\"node\":\"b\",\"phase\":\"Failed\"}]", "Failed" },
		{ "[{\"node\":\"a\",\"phase\":\"Aborted\"},{\"node\":\"b\",\"phase\":\"Error\"},{\"node\":\"c\",\"phase\":\"Succeeded\"}]", "Error" },
		{ "[{\"node\":\"a\",\"phase\":\"Aborted\"},{\"node\":\"b\",\"phase\":\"Succeeded\"}]", "Aborted" },
		{ "[{\"node\":\"a\",\"phase\":\"Succeeded\"},{\"node\":\"b\",\"phase\":\"Succeeded\"}]", "Succeeded" },
	};
	json_object *failed;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *n = parse(cases[i].nodes);
		const char *got = fl_k8s_overall_phase(n, &failed);

		if ((got || cases[i].want) && (!got || !cases[i].want || strcmp(got, cases[i].want)))
			fail_msg("case %zu: %s, want %s", i, got ?: "NULL", cases[i].want ?: "NULL");
		assert_true(!failed == !(got && !strcmp(got, "Failed")));
		json_object_put(n);
	}
	assert_null(fl_k8s_overall_phase(NULL, &failed));
	assert_true(fl_k8s_phase_terminal("Aborted"));
	assert_false(fl_k8s_phase_terminal("Started"));
	assert_false(fl_k8s_phase_terminal(NULL));
}

static void test_summary(void **state)
{
	json_object *st, *sum;

	(void)state;
	/* no entry: nothing to write */
	st = parse("{}");
	assert_null(fl_k8s_summary_new(st, "T"));
	json_object_put(st);

	st = parse("{\"nodes\":[{\"node\":\"a\",\"phase\":\"Started\"}]}");
	sum = fl_k8s_summary_new(st, "T");
	expect_json(sum, "{\"phase\":\"Started\",\"nodeCount\":1}");
	json_object_put(sum);
	json_object_put(st);

	/* written already: nothing again */
	st = parse("{\"phase\":\"Started\",\"nodeCount\":1,\"nodes\":[{\"node\":\"a\",\"phase\":\"Started\"}]}");
	assert_null(fl_k8s_summary_new(st, "T"));
	json_object_put(st);
	/* a second node came: the count changed */
	st = parse("{\"phase\":\"Started\",\"nodeCount\":1,\"nodes\":[{\"node\":\"a\",\"phase\":\"Started\"},{\"node\":\"b\",\"phase\":\"Started\"}]}");
	sum = fl_k8s_summary_new(st, "T");
	expect_json(sum, "{\"phase\":\"Started\",\"nodeCount\":2}");
	json_object_put(sum);
	json_object_put(st);

	/* the failed node's trip, and the end */
	st = parse("{\"phase\":\"Started\",\"nodeCount\":2,\"nodes\":["
		   "{\"node\":\"a\",\"phase\":\"Aborted\",\"message\":\"stopped: node b failed\"},"
		   "{\"node\":\"b\",\"phase\":\"Failed\",\"tripped\":\"too-many\",\"trippedAt\":\"T0\",\"message\":\"condition too-many tripped\"}]}");
	sum = fl_k8s_summary_new(st, "T1");
	expect_json(sum, "{\"phase\":\"Failed\",\"nodeCount\":2,\"tripped\":{\"node\":\"b\",\"condition\":\"too-many\",\"at\":\"T0\",\"message\":\"condition too-many tripped\"},\"endedAt\":\"T1\"}");
	json_object_put(sum);
	json_object_put(st);

	/* Succeeded only when every node with targets succeeded */
	st = parse("{\"nodes\":[{\"node\":\"a\",\"phase\":\"Succeeded\"},{\"node\":\"b\",\"phase\":\"Succeeded\"}]}");
	sum = fl_k8s_summary_new(st, "T2");
	expect_json(sum, "{\"phase\":\"Succeeded\",\"nodeCount\":2,\"endedAt\":\"T2\"}");
	json_object_put(sum);
	json_object_put(st);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_and_context),
		cmocka_unit_test(test_client_cert_files),
		cmocka_unit_test(test_insecure),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_entry),
		cmocka_unit_test(test_overall_phase),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests_name("k8s", tests, setup, teardown);
}
