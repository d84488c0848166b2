// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Kubeconfig and in-cluster configuration (kubeconfig.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common.h"
#include "kubeconfig.h"

#define FL_K8S_MAX_FILE	(4 << 20)

static int fl_b64_val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Standard base64 (whitespace skipped, '=' ends it) into a new buffer. */
static int fl_b64_decode(const char *in, char **out, size_t *len)
{
	size_t n = 0, cap = strlen(in) * 3 / 4 + 4;
	unsigned int acc = 0;
	char *buf;
	int bits = 0, v;

	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (; *in && *in != '='; in++) {
		if (*in == ' ' || *in == '\n' || *in == '\r' || *in == '\t')
			continue;
		v = fl_b64_val((unsigned char)*in);
		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (acc >> bits) & 0xff;
		}
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

static yaml_node_t *fl_y_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *fl_y_str(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = fl_y_get(d, map, key);

	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* In the list @list ("clusters"), the entry called @name: its @what map. */
static yaml_node_t *fl_y_named(yaml_document_t *d, const char *list, const char *name,
			       const char *what)
{
	yaml_node_t *l = fl_y_get(d, yaml_document_get_root_node(d), list);
	yaml_node_item_t *i;

	if (!l || l->type != YAML_SEQUENCE_NODE || !name)
		return NULL;
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top; i++) {
		yaml_node_t *e = yaml_document_get_node(d, *i);
		const char *n = fl_y_str(d, e, "name");

		if (n && !strcmp(n, name))
			return fl_y_get(d, e, what);
	}
	return NULL;
}

/* @key-data (base64) or @key (a file) of @map into *out. */
static int fl_k8s_blob(yaml_document_t *d, yaml_node_t *map, const char *key, char **out,
		       size_t *len, char *err, size_t errlen)
{
	char dkey[64];
	const char *v;
	int ret;

	snprintf(dkey, sizeof(dkey), "%s-data", key);
	v = fl_y_str(d, map, dkey);
	if (v) {
		ret = fl_b64_decode(v, out, len);
		if (ret)
			fl_set_err(err, errlen, "%s: not base64; it holds the PEM file base64-encoded ('base64 -w0 FILE')",
				   dkey);
		return ret;
	}
	v = fl_y_str(d, map, key);
	if (!v)
		return 0;
	ret = fl_read_file(v, FL_K8S_MAX_FILE, out, len);
	if (ret)
		fl_set_err(err, errlen, "%s %s: %s; the kubeconfig names a file this agent cannot read",
			   key, v, strerror(-ret));
	return ret;
}

int fl_k8s_cfg_load(const char *path, struct fl_k8s_cfg *c, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = fl_read_file(path, FL_K8S_MAX_FILE, &text, &len);
	if (ret) {
		fl_set_err(err, errlen, "--kubeconfig %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = fl_k8s_cfg_parse(path, text, len, c, err, errlen);
	free(text);
	return ret;
}

int fl_k8s_cfg_parse(const char *path, const char *text, size_t len, struct fl_k8s_cfg *c,
		     char *err, size_t errlen)
{
	yaml_node_t *cluster, *user, *ctx;
	yaml_parser_t parser;
	yaml_document_t doc;
	const char *cur, *server, *tok;
	bool have_doc = false;
	size_t n;
	int ret;

	memset(c, 0, sizeof(*c));
	if (!yaml_parser_initialize(&parser)) {
		ret = -ENOMEM;
		goto cleanup;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		fl_set_err(err, errlen, "--kubeconfig %s:%zu: %s", path,
			   parser.problem_mark.line + 1, parser.problem ?: "not YAML");
		yaml_parser_delete(&parser);
		ret = -EINVAL;
		goto cleanup;
	}
	yaml_parser_delete(&parser);
	/* an empty stream still loads a document, which needs deleting */
	have_doc = true;
	if (!yaml_document_get_root_node(&doc)) {
		fl_set_err(err, errlen, "--kubeconfig %s: empty; write a kubeconfig there", path);
		ret = -EINVAL;
		goto cleanup;
	}
	ret = -EINVAL;
	cur = fl_y_str(&doc, yaml_document_get_root_node(&doc), "current-context");
	if (!cur || !*cur) {
		fl_set_err(err, errlen, "--kubeconfig %s: no current-context; choose one with 'kubectl config use-context NAME'",
			   path);
		goto cleanup;
	}
	ctx = fl_y_named(&doc, "contexts", cur, "context");
	if (!ctx) {
		fl_set_err(err, errlen, "--kubeconfig %s: current-context %s is not in contexts; list them with 'kubectl config get-contexts'",
			   path, cur);
		goto cleanup;
	}
	cluster = fl_y_named(&doc, "clusters", fl_y_str(&doc, ctx, "cluster"), "cluster");
	user = fl_y_named(&doc, "users", fl_y_str(&doc, ctx, "user"), "user");
	server = fl_y_str(&doc, cluster, "server");
	if (!server || !*server || strlen(server) >= sizeof(c->server)) {
		fl_set_err(err, errlen, "--kubeconfig %s: context %s: its cluster %s has no server (https://HOST:PORT)",
			   path, cur, fl_y_str(&doc, ctx, "cluster") ?: "(none)");
		goto cleanup;
	}
	snprintf(c->server, sizeof(c->server), "%s", server);
	n = strlen(c->server);
	while (n && c->server[n - 1] == '/')
		c->server[--n] = 0;
	if (!n) {
		fl_set_err(err, errlen, "--kubeconfig %s: context %s: cluster server '%s' names no server; write its URL (https://HOST:PORT)",
			   path, cur, server);
		goto cleanup;
	}
	tok = fl_y_str(&doc, cluster, "insecure-skip-tls-verify");
	c->insecure = tok && !strcmp(tok, "true");
	ret = fl_k8s_blob(&doc, cluster, "certificate-authority", &c->ca, &c->ca_len, err, errlen);
	if (!ret)
		ret = fl_k8s_blob(&doc, user, "client-certificate", &c->cert, &c->cert_len, err,
				  errlen);
	if (!ret)
		ret = fl_k8s_blob(&doc, user, "client-key", &c->key, &c->key_len, err, errlen);
	if (ret)
		goto cleanup;
	tok = fl_y_str(&doc, user, "token");
	if (tok) {
		c->token = strdup(tok);
		if (!c->token)
			ret = -ENOMEM;
	} else if (fl_y_str(&doc, user, "tokenFile")) {
		ret = fl_read_file(fl_y_str(&doc, user, "tokenFile"), FL_K8S_MAX_FILE,
				   &c->token, &n);
		if (ret)
			fl_set_err(err, errlen, "--kubeconfig %s: tokenFile %s: %s", path,
				   fl_y_str(&doc, user, "tokenFile"), strerror(-ret));
		else	/* a token file usually ends in a newline */
			c->token[strcspn(c->token, "\r\n")] = 0;
	}
cleanup:
	if (have_doc)
		yaml_document_delete(&doc);
	if (ret) {
		fl_str_printable(err, errlen);	/* it quotes the file */
		fl_k8s_cfg_free(c);
	}
	return ret;
}

int fl_k8s_cfg_in_cluster(struct fl_k8s_cfg *c, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	size_t len;
	int ret;

	memset(c, 0, sizeof(*c));
	if (!host || !*host) {
		fl_set_err(err, errlen, "not in a pod: KUBERNETES_SERVICE_HOST is unset; pass --kubeconfig");
		return -ENOENT;
	}
	snprintf(c->server, sizeof(c->server), strchr(host, ':') ? "https://[%s]:%s" :
		 "https://%s:%s", host, port && *port ? port : "443");
	ret = fl_read_file(FL_K8S_SA_DIR "/ca.crt", FL_K8S_MAX_FILE, &c->ca, &c->ca_len);
	if (!ret)
		ret = fl_read_file(FL_K8S_SA_DIR "/token", FL_K8S_MAX_FILE, &c->token, &len);
	if (ret) {
		fl_set_err(err, errlen, "in-cluster: %s: %s", FL_K8S_SA_DIR, strerror(-ret));
		fl_k8s_cfg_free(c);
		return ret;
	}
	c->token[strcspn(c->token, "\r\n")] = 0;
	return 0;
}

void fl_k8s_cfg_free(struct fl_k8s_cfg *c)
{
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c->token);
	memset(c, 0, sizeof(*c));
}
