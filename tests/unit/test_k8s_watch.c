// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for what the agent reads from the Kubernetes API without a
 * server: watch lines (fl_k8s_watch_parse), resourceVersions, list
 * responses, kubeconfig text (fl_k8s_cfg_parse) and the document an
 * Experiment runs as (fl_k8s_exp_yaml). Inputs of the wrong JSON type are
 * refused, never read as the right one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "controller.h"
#include "experiment.h"
#include "kubeconfig.h"
#include "watch.h"

static enum fl_k8s_line line(const char *s, enum fl_k8s_ev_type *t, json_object **obj)
{
	return fl_k8s_watch_parse(s, strlen(s), t, obj);
}

static void expect_none(const char *s)
{
	enum fl_k8s_ev_type t;
	json_object *obj = (void *)1;

	if (line(s, &t, &obj) != FL_K8S_LINE_NONE)
		fail_msg("'%s' was taken for an event", s);
	assert_null(obj);
}

static void test_watch_events(void **state)
{
	static const struct {
		const char *type;
		enum fl_k8s_ev_type want;
	} cases[] = {
		{ "ADDED", FL_K8S_ADDED },
		{ "MODIFIED", FL_K8S_MODIFIED },
		{ "DELETED", FL_K8S_DELETED },
		{ "SOMETHING", FL_K8S_MODIFIED },
	};
	enum fl_k8s_ev_type t;
	json_object *obj;
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf),
			 "{\"type\":\"%s\",\"object\":{\"metadata\":{\"uid\":\"u\"}}}", cases[i].type);
		assert_int_equal(line(buf, &t, &obj), FL_K8S_LINE_EVENT);
		assert_int_equal(t, cases[i].want);
		assert_true(json_object_is_type(obj, json_type_object));
		json_object_put(obj);
	}
	/* blanks after the object are allowed, a cut line is not taken */
	assert_int_equal(line("{\"type\":\"ADDED\",\"object\":{}} \r", &t, &obj),
			 FL_K8S_LINE_EVENT);
	json_object_put(obj);
	assert_int_equal(fl_k8s_watch_parse("{\"type\":\"ADDED\",\"object\":{}}", 20, &t, &obj),
			 FL_K8S_LINE_NONE);
}

static void test_watch_control(void **state)
{
	enum fl_k8s_ev_type t;
	json_object *obj;
	char rv[8];

	(void)state;
	assert_int_equal(line("{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"42\"}}}",
			      &t, &obj), FL_K8S_LINE_BOOKMARK);
	assert_int_equal(fl_k8s_resource_version(obj, rv, sizeof(rv)), 0);
	assert_string_equal(rv, "42");
	json_object_put(obj);
	assert_int_equal(line("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410}}",
			      &t, &obj), FL_K8S_LINE_GONE);
	json_object_put(obj);
	assert_int_equal(line("{\"type\":\"ERROR\",\"object\":{\"code\":500}}", &t, &obj),
			 FL_K8S_LINE_ERROR);
	json_object_put(obj);
	/* a code that is not a number is no 410 */
	assert_int_equal(line("{\"type\":\"ERROR\",\"object\":{\"code\":\"410\"}}", &t, &obj),
			 FL_K8S_LINE_ERROR);
	json_object_put(obj);
}

static void test_watch_wrong_types(void **state)
{
	(void)state;
	expect_none("");
	expect_none("not json");
	expect_none("[1,2]");
	expect_none("{\"type\":null,\"object\":{}}");
	expect_none("{\"type\":7,\"object\":{}}");
	expect_none("{\"type\":\"ADDED\",\"object\":[]}");
	expect_none("{\"type\":\"ADDED\",\"object\":null}");
	expect_none("{\"type\":\"ADDED\"}");
	expect_none("{\"type\":\"ADDED\",\"object\":{}} {\"type\":\"ADDED\",\"object\":{}}");
}

static void test_resource_version(void **state)
{
	json_object *o;
	char rv[4];

	(void)state;
	o = json_tokener_parse("{\"metadata\":{\"resourceVersion\":\"1234\"}}");
	assert_int_equal(fl_k8s_resource_version(o, rv, sizeof(rv)), -ENAMETOOLONG);
	json_object_put(o);
	o = json_tokener_parse("{\"metadata\":{\"resourceVersion\":12}}");
	assert_int_equal(fl_k8s_resource_version(o, rv, sizeof(rv)), -ENOENT);
	json_object_put(o);
	assert_int_equal(fl_k8s_resource_version(NULL, rv, sizeof(rv)), -ENOENT);
}

static void test_list_items(void **state)
{
	json_object *o, *items = (void *)1;

	(void)state;
	o = json_tokener_parse("{\"items\":[{},{}]}");
	assert_int_equal(fl_k8s_list_items(o, &items), 0);
	assert_int_equal(json_object_array_length(items), 2);
	json_object_put(o);
	o = json_tokener_parse("{\"items\":null}");
	assert_int_equal(fl_k8s_list_items(o, &items), -EPROTO);
	assert_null(items);
	json_object_put(o);
	o = json_tokener_parse("{\"items\":{}}");
	assert_int_equal(fl_k8s_list_items(o, &items), -EPROTO);
	json_object_put(o);
	assert_int_equal(fl_k8s_list_items(NULL, &items), -EPROTO);
}

static void test_kubeconfig_text(void **state)
{
	static const char ok[] =
		"current-context: x\n"
		"contexts: [{name: x, context: {cluster: c, user: u}}]\n"
		"clusters: [{name: c, cluster: {server: \"https://127.0.0.1:6443//\"}}]\n"
		"users: [{name: u, user: {token: abc, client-key-data: YWJj}}]\n";
	static const char no_server[] =
		"current-context: x\n"
		"contexts: [{name: x, context: {cluster: c}}]\n"
		"clusters: [{name: c, cluster: {server: \"/\"}}]\n";
	static const char escapes[] =
		"current-context: \"a\\e[2Jb\\nc\"\n";
	struct fl_k8s_cfg c;
	char err[512];

	(void)state;
	assert_int_equal(fl_k8s_cfg_parse("k", ok, sizeof(ok) - 1, &c, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://127.0.0.1:6443");
	assert_string_equal(c.token, "abc");
	assert_int_equal(c.key_len, 3);
	assert_memory_equal(c.key, "abc", 3);
	fl_k8s_cfg_free(&c);
	assert_int_equal(fl_k8s_cfg_parse("k", no_server, sizeof(no_server) - 1, &c, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "names no server"));
	assert_int_equal(fl_k8s_cfg_parse("k", "", 0, &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
	/* the message quotes the context name, printable */
	assert_int_equal(fl_k8s_cfg_parse("k", escapes, sizeof(escapes) - 1, &c, err,
					  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a?[2Jb?c"));
}

static void test_exp_yaml(void **state)
{
	static struct fl_experiment exp;
	json_object *o, *targets;
	char err[512], *yaml;

	(void)state;
	o = json_tokener_parse(
		"{\"metadata\":{\"name\":\"e\",\"namespace\":\"n\"},"
		"\"spec\":{\"duration\":\"30s\",\"targets\":[{\"pods\":{\"matchLabels\":{\"a\":\"b\"}}}],"
		"\"faults\":[{\"name\":\"d\",\"drop\":{\"percent\":30}}],"
		"\"failureConditions\":[{\"name\":\"c\",\"signal\":\"tcp.rtt.p99\",\"above\":\"250ms\"}]}}");
	targets = json_tokener_parse("[{\"pod\":{\"uid\":\"6f1c2d3e-1111-2222-3333-444455556666\"}}]");
	yaml = fl_k8s_exp_yaml(o, targets, "n.e");
	assert_non_null(yaml);
	if (fl_experiment_parse("<Experiment>", yaml, strlen(yaml), &exp, err, sizeof(err)))
		fail_msg("%s: %s", yaml, err);
	assert_string_equal(exp.name, "n.e");
	assert_int_equal(exp.n_targets, 1);
	assert_int_equal(exp.targets[0].kind, FL_TARGET_POD_UID);
	assert_int_equal(exp.n_faults, 1);
	fl_experiment_free(&exp);
	free(yaml);
	json_object_put(o);
	/* no spec, or a spec that is not a map: a document the parser refuses */
	o = json_tokener_parse("{\"spec\":[1]}");
	yaml = fl_k8s_exp_yaml(o, targets, "n.e");
	assert_non_null(yaml);
	assert_int_equal(fl_experiment_parse("<Experiment>", yaml, strlen(yaml), &exp, err,
					     sizeof(err)), -EINVAL);
	free(yaml);
	json_object_put(o);
	json_object_put(targets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_events),
		cmocka_unit_test(test_watch_control),
		cmocka_unit_test(test_watch_wrong_types),
		cmocka_unit_test(test_resource_version),
		cmocka_unit_test(test_list_items),
		cmocka_unit_test(test_kubeconfig_text),
		cmocka_unit_test(test_exp_yaml),
	};

	return cmocka_run_group_tests_name("k8s_watch", tests, NULL, NULL);
}
