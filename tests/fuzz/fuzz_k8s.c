// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fuzz target: what the agent reads from the Kubernetes API. The input is
 * a response stream: its first line a list response, each further line
 * one watch event, as the watch thread gets them (watch.h). Every object
 * that comes out is taken as an Experiment and turned into the document
 * the agent runs (fl_k8s_exp_yaml), which must then parse or be refused
 * with a message, never crash the experiment parser.
 */
#include <errno.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "controller.h"
#include "experiment.h"
#include "watch.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_quiet();
	return 0;
}

static void fz_experiment(json_object *obj)
{
	static struct fl_experiment exp;
	json_object *spec, *targets = NULL;
	char err[1024], rv[64], *yaml;
	int ret;

	ret = fl_k8s_resource_version(obj, rv, sizeof(rv));
	FZ_CHECK(ret == 0 || ret == -ENOENT || ret == -ENAMETOOLONG);
	if (!ret)
		FZ_CHECK(strlen(rv) < sizeof(rv));
	/* the targets as written stand for the ones selected on a node */
	if (json_object_object_get_ex(obj, "spec", &spec) &&
	    json_object_object_get_ex(spec, "targets", &targets))
		json_object_get(targets);
	else
		targets = json_object_new_array();
	yaml = fl_k8s_exp_yaml(obj, targets, "fuzz.job");
	json_object_put(targets);
	FZ_CHECK(yaml);
	err[0] = 0;
	if (fl_experiment_parse("<Experiment>", yaml, strlen(yaml), &exp, err, sizeof(err)))
		fz_check_err_printable(err, sizeof(err));
	else
		fl_experiment_free(&exp);
	free(yaml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	json_object *resp, *items, *obj;
	enum fl_k8s_ev_type type;
	enum fl_k8s_line kind;
	size_t i, len;
	char *line;
	int first = 1;

	if (size > 256 * 1024)
		return -1;
	for (; p < end; p = nl + 1, first = 0) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		len = nl - p;
		/* the stream hands each line over cut out at its newline */
		line = malloc(len + 1);
		FZ_CHECK(line);
		memcpy(line, p, len);
		line[len] = 0;
		if (first) {
			resp = json_tokener_parse(line);
			if (!fl_k8s_list_items(resp, &items)) {
				FZ_CHECK(json_object_is_type(items, json_type_array));
				for (i = 0; i < json_object_array_length(items); i++)
					fz_experiment(json_object_array_get_idx(items, i));
			} else {
				FZ_CHECK(items == NULL);
			}
			json_object_put(resp);
			free(line);
			continue;
		}
		kind = fl_k8s_watch_parse(line, len, &type, &obj);
		free(line);
		if (kind == FL_K8S_LINE_NONE) {
			FZ_CHECK(obj == NULL);
			continue;
		}
		FZ_CHECK(json_object_is_type(obj, json_type_object));
		FZ_CHECK(type == FL_K8S_ADDED || type == FL_K8S_MODIFIED ||
			 type == FL_K8S_DELETED);
		if (kind == FL_K8S_LINE_EVENT || kind == FL_K8S_LINE_BOOKMARK)
			fz_experiment(obj);
		json_object_put(obj);
	}
	return 0;
}
