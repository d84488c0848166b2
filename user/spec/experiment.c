// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Experiment files: libyaml builds the document tree, and this file walks
 * it against the schema in experiment.h.
 *
 * Each mapping is read through a table of the fields it may hold, so an
 * unknown or repeated field is an error rather than something skipped: a
 * typo must not quietly disable a failure condition. The spec is read in
 * dependency order (duration, targets, faults, probes, then conditions,
 * which refer to the duration and the probes), so every check is made
 * while the offending node is at hand and its position can be reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <yaml.h>

#include "common.h"
#include "experiment.h"


#define WHERE_LEN	96	/* "failureConditions[31].prometheus" */
#define PATH_LEN	128	/* WHERE_LEN plus a field name */
#define MAX_FIELDS	16
#define ECHO_MAX	80	/* bytes of a bad value quoted in a message */

#define NAME_EXPECT \
	"a name of 1 to 63 letters, digits, '-', '_' or '.', starting with a letter or digit"

struct ctx {
	const char *file;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	struct fl_experiment *exp;
	const char *duration_text;
};

/* A mapping read against its table of fields. */
struct map {
	yaml_node_t *node;
	const char *where;		/* "" at the top level */
	const char *const *names;
	size_t n_names;
	yaml_node_t *key[MAX_FIELDS];	/* NULL: field absent */
	yaml_node_t *val[MAX_FIELDS];
};

static void fmt(char *buf, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

static void fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, size, f, ap);
	va_end(ap);
}

static int vfail_at(struct ctx *c, yaml_mark_t m, const char *f, va_list ap)
{
	int n;

	if (!c->err || !c->errlen)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->file, m.line + 1,
		     m.column + 1);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, f, ap);
	/* messages quote the file: a value with a newline or an escape
	 * sequence in it must not reach a terminal as one
	 */
	fl_str_printable(c->err, c->errlen);
	return -EINVAL;
}

static int fail_at(struct ctx *c, yaml_mark_t m, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct ctx *c, yaml_mark_t m, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vfail_at(c, m, f, ap);
	va_end(ap);
	return -EINVAL;
}

/* Reports f at node n and returns -EINVAL. */
static int fail(struct ctx *c, const yaml_node_t *n, const char *f, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const yaml_node_t *n, const char *f, ...)
{
	yaml_mark_t m = { 0 };
	va_list ap;

	if (n)
		m = n->start_mark;
	va_start(ap, f);
	vfail_at(c, m, f, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (!is_plain(n))
		return false;
	for (i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(scalar(n), nulls[i]))
			return true;
	return false;
}

/* What a node is, for "expected X, got Y". */
static const char *kind_of(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	default:
		if (is_null(n))
			return "null";
		return is_plain(n) ? "a plain scalar" : "a quoted string";
	}
}

static yaml_node_t *node_at(struct ctx *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

static void field_path(char *buf, size_t size, const char *where,
		       const char *name)
{
	if (*where)
		fmt(buf, size, "%s.%s", where, name);
	else
		fmt(buf, size, "%s", name);
}

/* Tags could turn a string into something else behind our back. */
static int check_tags(struct ctx *c)
{
	yaml_node_t *n;

	for (n = c->doc->nodes.start; n < c->doc->nodes.top; n++) {
		const char *want, *tag = (const char *)n->tag;

		switch (n->type) {
		case YAML_MAPPING_NODE:
			want = YAML_DEFAULT_MAPPING_TAG;
			break;
		case YAML_SEQUENCE_NODE:
			want = YAML_DEFAULT_SEQUENCE_TAG;
			break;
		default:
			want = YAML_DEFAULT_SCALAR_TAG;
			break;
		}
		if (!tag || !strcmp(tag, want))
			continue;
		/* Show the tag as it was most likely written. */
		if (!strncmp(tag, "tag:yaml.org,2002:", 18))
			return fail(c, n, "YAML tags are not supported (found '!!%.*s')",
				    ECHO_MAX, tag + 18);
		return fail(c, n, "YAML tags are not supported (found '%.*s')",
			    ECHO_MAX, tag);
	}
	return 0;
}

static int load_map(struct ctx *c, yaml_node_t *n, const char *where,
		    const char *const *names, size_t n_names, struct map *m)
{
	char in[WHERE_LEN + 8], list[256];
	yaml_node_pair_t *pair;
	size_t i, used = 0;

	memset(m, 0, sizeof(*m));
	m->node = n;
	m->where = where;
	m->names = names;
	m->n_names = n_names;
	if (*where)
		fmt(in, sizeof(in), "in %s", where);
	else
		fmt(in, sizeof(in), "at the top level");

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a mapping, got %s",
			    *where ? where : "document", kind_of(n));

	list[0] = '\0';
	for (i = 0; i < n_names; i++) {
		fmt(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
		    names[i]);
		used = strlen(list);
	}

	for (pair = n->data.mapping.pairs.start;
	     pair < n->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_at(c, pair->key);
		yaml_node_t *v = node_at(c, pair->value);

		if (k->type != YAML_SCALAR_NODE)
			return fail(c, k, "field names must be strings, got %s %s",
				    kind_of(k), in);
		for (i = 0; i < n_names; i++)
			if (!strcmp(scalar(k), names[i]))
				break;
		if (i == n_names)
			return fail(c, k, "unknown field '%.*s' %s; expected one of %s",
				    ECHO_MAX, scalar(k), in, list);
		if (m->key[i])
			return fail(c, k, "duplicate field '%s' %s (first at line %zu)",
				    names[i], in, m->key[i]->start_mark.line + 1);
		m->key[i] = k;
		m->val[i] = v;
	}
	return 0;
}

static int require(struct ctx *c, const struct map *m, size_t idx)
{
	if (m->val[idx])
		return 0;
	if (*m->where)
		return fail(c, m->node, "missing field '%s' in %s",
			    m->names[idx], m->where);
	return fail(c, m->node, "missing field '%s' at the top level",
		    m->names[idx]);
}

/* A string in any style; null is not a string. */
static int get_string(struct ctx *c, const yaml_node_t *n, const char *path,
		      const char *what, const char **s)
{
	if (n->type != YAML_SCALAR_NODE || is_null(n))
		return fail(c, n, "%s: expected %s, got %s", path, what,
			    kind_of(n));
	if (strlen(scalar(n)) != n->data.scalar.length)
		return fail(c, n, "%s: contains a NUL character", path);
	*s = scalar(n);
	return 0;
}

/* A plain scalar: numbers and booleans, where quotes mean a string. */
static int get_plain(struct ctx *c, const yaml_node_t *n, const char *path,
		     const char *what, const char **s)
{
	if (!is_plain(n) || is_null(n))
		return fail(c, n, "%s: expected %s, got %s", path, what,
			    kind_of(n));
	*s = scalar(n);
	return 0;
}

static int bad_value(struct ctx *c, const yaml_node_t *n, const char *path,
		     const char *what)
{
	return fail(c, n, "%s: expected %s, got '%.*s'", path, what, ECHO_MAX,
		    scalar(n));
}

static int get_seq(struct ctx *c, const yaml_node_t *n, const char *path,
		   const char *what)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: expected %s, got %s", path, what,
			    kind_of(n));
	return 0;
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top -
			n->data.sequence.items.start);
}

static yaml_node_t *seq_item(struct ctx *c, const yaml_node_t *n, size_t i)
{
	return node_at(c, n->data.sequence.items.start[i]);
}

static int get_name(struct ctx *c, const yaml_node_t *n, const char *path,
		    char out[FL_NAME_MAX])
{
	const char *s;
	int err;

	err = get_string(c, n, path, NAME_EXPECT, &s);
	if (err)
		return err;
	if (!fl_name_valid(s, strlen(s)))
		return bad_value(c, n, path, NAME_EXPECT);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* A duration in [min_ns, max_ns]; max_text names max_ns in messages. */
static int get_duration(struct ctx *c, const yaml_node_t *n, const char *path,
			__u64 min_ns, const char *min_text, __u64 max_ns,
			const char *max_text, __u64 *ns)
{
	const char *s;
	int err;

	err = get_string(c, n, path, "a duration like 500ms, 10s or 2m", &s);
	if (err)
		return err;
	if (fl_parse_duration(s, ns))
		return bad_value(c, n, path, "a duration like 500ms, 10s or 2m");
	if (*ns < min_ns)
		return fail(c, n, "%s: '%.*s' is too short: at least %s", path,
			    ECHO_MAX, s, min_text);
	if (*ns > max_ns)
		return fail(c, n, "%s: '%.*s' is too long: at most %s", path,
			    ECHO_MAX, s, max_text);
	return 0;
}

static int dup_string(struct ctx *c, const yaml_node_t *n, const char *s,
		      char **out)
{
	*out = strdup(s);
	if (!*out)
		return fail(c, n, "out of memory");
	return 0;
}

/* An absolute path shorter than PATH_MAX. */
static int get_abs_path(struct ctx *c, const yaml_node_t *n, const char *path,
			const char **s)
{
	int err;

	err = get_string(c, n, path, "an absolute path", s);
	if (err)
		return err;
	if ((*s)[0] != '/')
		return bad_value(c, n, path, "an absolute path");
	if (strlen(*s) >= PATH_MAX)
		return fail(c, n, "%s: path is longer than %d bytes", path,
			    PATH_MAX - 1);
	return 0;
}

/* "http://HOST..." or "https://HOST...", printable, no blanks. */
static int get_url(struct ctx *c, const yaml_node_t *n, const char *path,
		   char **out)
{
	static const char what[] = "an http:// or https:// url";
	const char *s, *host;
	size_t i;
	int err;

	err = get_string(c, n, path, what, &s);
	if (err)
		return err;
	if (!strncmp(s, "http://", 7))
		host = s + 7;
	else if (!strncmp(s, "https://", 8))
		host = s + 8;
	else
		return bad_value(c, n, path, what);
	if (!*host || *host == '/' || *host == ':' || *host == '?')
		return fail(c, n, "%s: url '%.*s' has no host", path, ECHO_MAX,
			    s);
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return fail(c, n, "%s: url contains a blank or control character",
				    path);
	if (i > FL_EXP_MAX_URL)
		return fail(c, n, "%s: url is longer than %d bytes", path,
			    FL_EXP_MAX_URL);
	return dup_string(c, n, s, out);
}

static bool is_hostname(const char *s, size_t len)
{
	size_t i;

	if (!len || len > 253 || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* "HOST:port" (an IPv4 address or a DNS name) or "[IPv6]:port". The
 * prober resolves names at every run, so only their spelling is checked.
 */
static int parse_address(const char *s, __u16 *port)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon;
	size_t hlen;

	if (*s == '[') {
		const char *close = strchr(s, ']');
		__u8 addr[16];

		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		if (!hlen || hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, addr) != 1)
			return -EINVAL;
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon || !is_hostname(s, (size_t)(colon - s)))
			return -EINVAL;
	}
	return fl_parse_port(colon + 1, port);
}

/* Top level and metadata. */

enum { R_API, R_KIND, R_METADATA, R_SPEC, R_N };
static const char *const root_fields[R_N] = {
	"apiVersion", "kind", "metadata", "spec",
};

enum { M_NAME, M_N };
static const char *const metadata_fields[M_N] = { "name" };

enum { S_DURATION, S_TARGETS, S_FAULTS, S_CONDITIONS, S_PROBES, S_N };
static const char *const spec_fields[S_N] = {
	"duration", "targets", "faults", "failureConditions", "probes",
};

/* Targets. */

enum { T_CGROUP, T_PID, T_CONTAINER, T_POD, T_PODS, T_N };
static const char *const target_fields[T_N] = {
	"cgroup", "pid", "container", "pod", "pods",
};

enum { CT_ID, CT_N };
static const char *const container_fields[CT_N] = { "id" };

enum { PO_UID, PO_NAMESPACE, PO_NAME, PO_N };
static const char *const pod_fields[PO_N] = { "uid", "namespace", "name" };

enum { PS_NAMESPACE, PS_MATCH_LABELS, PS_N };
static const char *const pods_fields[PS_N] = { "namespace", "matchLabels" };

#define TARGET_KINDS	"cgroup, pid, container, pod, pods"
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

static const char *const kind_names[] = {
	[FL_TARGET_CGROUP] = "cgroup",
	[FL_TARGET_PID] = "pid",
	[FL_TARGET_CONTAINER] = "container",
	[FL_TARGET_POD_UID] = "pod",
	[FL_TARGET_POD_NAME] = "pod",
	[FL_TARGET_POD_SELECTOR] = "pods",
};

const char *fl_target_kind_name(enum fl_target_kind kind)
{
	if ((unsigned int)kind >= ARRAY_SIZE(kind_names))
		return "unknown";
	return kind_names[kind];
}

static bool is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool is_alnum(char ch)
{
	return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* Kubernetes' DNS-1123 label (namespaces) and subdomain (pod names). */
static bool is_dns_name(const char *s, size_t max, bool dots)
{
	size_t i, len = strlen(s);

	if (!len || len > max || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-' && !(dots && s[i] == '.'))
			return false;
	return true;
}

/* A label name or value part: [A-Za-z0-9._-], alphanumeric at both ends. */
static bool is_label_part(const char *s, size_t len, size_t max)
{
	size_t i;

	if (!len || len > max || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static bool is_label_key(const char *s)
{
	const char *slash = strrchr(s, '/');
	char prefix[254];
	size_t plen;

	if (!slash)
		return is_label_part(s, strlen(s), 63);
	plen = (size_t)(slash - s);
	if (plen >= sizeof(prefix))
		return false;
	memcpy(prefix, s, plen);
	prefix[plen] = '\0';
	return is_dns_name(prefix, 253, true) && is_label_part(slash + 1, strlen(slash + 1), 63);
}

static bool is_label_value(const char *s)
{
	return !*s || is_label_part(s, strlen(s), 63);
}

/* kubectl shows a container's id as "containerd://ID" (status.
 * containerStatuses[].containerID): accept it as copied.
 */
static const char *strip_runtime_scheme(const char *s)
{
	static const char *const schemes[] = { "containerd://", "cri-o://", "docker://" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(schemes); i++)
		if (!strncmp(s, schemes[i], strlen(schemes[i])))
			return s + strlen(schemes[i]);
	return s;
}

int fl_exp_target_set(struct fl_exp_target *t, enum fl_target_kind kind, const char *value,
		      const char **what)
{
	const char *s = value;
	char num[24];
	size_t i, len;
	char *end;
	long pid;

	memset(t, 0, sizeof(*t));
	t->kind = kind;
	switch (kind) {
	case FL_TARGET_CGROUP:
		*what = "a cgroup v2 directory";
		if (!*s || strlen(s) >= PATH_MAX)
			return -EINVAL;
		t->cgroup = strdup(s);
		if (!t->cgroup)
			return -ENOMEM;
		break;
	case FL_TARGET_PID:
		*what = PID_EXPECT;
		if (*s < '1' || *s > '9')
			return -EINVAL;
		errno = 0;
		pid = strtol(s, &end, 10);
		/* the kernel's PID_MAX_LIMIT on 64-bit */
		if (errno || *end || pid > 4194304)
			return -EINVAL;
		t->pid = (pid_t)pid;
		snprintf(num, sizeof(num), "%ld", pid);
		s = num;
		break;
	case FL_TARGET_CONTAINER:
		*what = CONTAINER_EXPECT;
		s = strip_runtime_scheme(s);
		len = strlen(s);
		if (len < FL_CONTAINER_ID_MIN || len > FL_CONTAINER_ID_LEN)
			return -EINVAL;
		for (i = 0; i < len; i++)
			if (!is_hex(s[i]))
				return -EINVAL;
		break;
	case FL_TARGET_POD_UID:
		*what = POD_UID_EXPECT;
		len = strlen(s);
		if (!len || len > FL_POD_UID_MAX || !is_hex(s[0]))
			return -EINVAL;
		for (i = 0; i < len; i++)
			if (!is_hex(s[i]) && s[i] != '-')
				return -EINVAL;
		break;
	default:
		/* named by more than one value: the parser fills them */
		*what = "a target of one value";
		return -EINVAL;
	}
	t->ref = strdup(s);
	if (!t->ref) {
		fl_exp_target_free(t);
		return -ENOMEM;
	}
	return 0;
}

void fl_exp_target_free(struct fl_exp_target *t)
{
	int i;

	free(t->cgroup);
	free(t->ref);
	free(t->namespace);
	free(t->name);
	for (i = 0; i < FL_EXP_MAX_LABELS; i++) {
		free(t->labels[i].key);
		free(t->labels[i].value);
	}
	memset(t, 0, sizeof(*t));
}

/* A target of one value: its node, where the kind's checks and the run's
 * errors point.
 */
static int parse_target_value(struct ctx *c, yaml_node_t *n, const char *path,
			      enum fl_target_kind kind, struct fl_exp_target *t)
{
	const char *s, *what = "";
	int err;

	if (kind == FL_TARGET_CGROUP)
		err = get_abs_path(c, n, path, &s);
	else if (kind == FL_TARGET_PID)
		err = get_plain(c, n, path, PID_EXPECT, &s);
	else
		err = get_string(c, n, path, kind == FL_TARGET_CONTAINER ? CONTAINER_EXPECT :
				 POD_UID_EXPECT, &s);
	if (err)
		return err;
	err = fl_exp_target_set(t, kind, s, &what);
	if (err == -ENOMEM)
		return fail(c, n, "out of memory");
	if (err)
		return bad_value(c, n, path, what);
	t->line = n->start_mark.line + 1;
	t->col = n->start_mark.column + 1;
	return 0;
}

/* pod: {uid: UID} or pod: {namespace: NS, name: NAME}. */
static int parse_target_pod(struct ctx *c, yaml_node_t *n, const char *where,
			    struct fl_exp_target *t)
{
	char path[PATH_LEN], ref[FL_POD_UID_MAX + 320];
	const char *ns, *name;
	struct map m;
	int err;

	err = load_map(c, n, where, pod_fields, PO_N, &m);
	if (err)
		return err;
	if (m.key[PO_UID]) {
		yaml_node_t *other = m.key[PO_NAMESPACE] ? m.key[PO_NAMESPACE] : m.key[PO_NAME];

		if (other)
			return fail(c, other, "%s: give either uid, or namespace and name, not both",
				    where);
		field_path(path, sizeof(path), where, "uid");
		return parse_target_value(c, m.val[PO_UID], path, FL_TARGET_POD_UID, t);
	}
	if (!m.key[PO_NAMESPACE] && !m.key[PO_NAME])
		return fail(c, n, "missing field 'uid' (or 'namespace' and 'name') in %s", where);
	err = require(c, &m, PO_NAMESPACE);
	if (!err)
		err = require(c, &m, PO_NAME);
	if (err)
		return err;
	field_path(path, sizeof(path), where, "namespace");
	err = get_string(c, m.val[PO_NAMESPACE], path, NAMESPACE_EXPECT, &ns);
	if (err)
		return err;
	if (!is_dns_name(ns, 63, false))
		return bad_value(c, m.val[PO_NAMESPACE], path, NAMESPACE_EXPECT);
	field_path(path, sizeof(path), where, "name");
	err = get_string(c, m.val[PO_NAME], path, POD_NAME_EXPECT, &name);
	if (err)
		return err;
	if (!is_dns_name(name, 253, true))
		return bad_value(c, m.val[PO_NAME], path, POD_NAME_EXPECT);
	t->kind = FL_TARGET_POD_NAME;
	fmt(ref, sizeof(ref), "%s/%s", ns, name);
	err = dup_string(c, n, ns, &t->namespace);
	if (!err)
		err = dup_string(c, n, name, &t->name);
	if (!err)
		err = dup_string(c, n, ref, &t->ref);
	t->line = n->start_mark.line + 1;
	t->col = n->start_mark.column + 1;
	return err;
}

/* pods: {namespace: NS, matchLabels: {KEY: VALUE, ...}}. */
static int parse_target_pods(struct ctx *c, yaml_node_t *n, const char *where,
			     struct fl_exp_target *t)
{
	char path[PATH_LEN], lwhere[WHERE_LEN];
	yaml_node_pair_t *pair;
	size_t used, size;
	const char *ns;
	struct map m;
	yaml_node_t *labels;
	int err, j;

	err = load_map(c, n, where, pods_fields, PS_N, &m);
	if (!err)
		err = require(c, &m, PS_MATCH_LABELS);
	if (err)
		return err;
	t->kind = FL_TARGET_POD_SELECTOR;
	/* without one, the namespace of the Experiment resource that holds
	 * it (the agent fills it in)
	 */
	ns = "";
	if (m.key[PS_NAMESPACE]) {
		field_path(path, sizeof(path), where, "namespace");
		err = get_string(c, m.val[PS_NAMESPACE], path, NAMESPACE_EXPECT, &ns);
		if (err)
			return err;
		if (!is_dns_name(ns, 63, false))
			return bad_value(c, m.val[PS_NAMESPACE], path, NAMESPACE_EXPECT);
		err = dup_string(c, n, ns, &t->namespace);
		if (err)
			return err;
	}

	labels = m.val[PS_MATCH_LABELS];
	fmt(lwhere, sizeof(lwhere), "%s.matchLabels", where);
	if (labels->type != YAML_MAPPING_NODE)
		return fail(c, labels, "%s: expected a mapping of labels, got %s", lwhere,
			    kind_of(labels));
	/* an empty selector would take every pod of the namespace: say so */
	if (labels->data.mapping.pairs.start == labels->data.mapping.pairs.top)
		return fail(c, labels, "%s: expected at least one label", lwhere);
	for (pair = labels->data.mapping.pairs.start; pair < labels->data.mapping.pairs.top;
	     pair++) {
		yaml_node_t *k = node_at(c, pair->key), *v = node_at(c, pair->value);
		struct fl_exp_label *l = &t->labels[t->n_labels];
		const char *ks, *vs;

		if (t->n_labels == FL_EXP_MAX_LABELS)
			return fail(c, k, "%s: too many labels, at most %d", lwhere,
				    FL_EXP_MAX_LABELS);
		err = get_string(c, k, lwhere, LABEL_KEY_EXPECT, &ks);
		if (err)
			return err;
		if (!is_label_key(ks))
			return bad_value(c, k, lwhere, LABEL_KEY_EXPECT);
		for (j = 0; j < t->n_labels; j++)
			if (!strcmp(t->labels[j].key, ks))
				return fail(c, k, "%s: duplicate label '%s'", lwhere, ks);
		field_path(path, sizeof(path), lwhere, ks);
		err = get_string(c, v, path, LABEL_VALUE_EXPECT, &vs);
		if (err)
			return err;
		if (!is_label_value(vs))
			return bad_value(c, v, path, LABEL_VALUE_EXPECT);
		err = dup_string(c, k, ks, &l->key);
		if (!err)
			err = dup_string(c, v, vs, &l->value);
		if (err)
			return err;
		t->n_labels++;
	}

	/* "NAMESPACE/k=v,k=v" (or "k=v,k=v"), as the report names it */
	size = strlen(ns) + 2;
	for (j = 0; j < t->n_labels; j++)
		size += strlen(t->labels[j].key) + strlen(t->labels[j].value) + 2;
	t->ref = malloc(size);
	if (!t->ref)
		return fail(c, n, "out of memory");
	used = (size_t)snprintf(t->ref, size, "%s%s", ns, *ns ? "/" : "");
	for (j = 0; j < t->n_labels; j++)
		used += (size_t)snprintf(t->ref + used, size - used, "%s%s=%s", j ? "," : "",
					 t->labels[j].key, t->labels[j].value);
	t->line = n->start_mark.line + 1;
	t->col = n->start_mark.column + 1;
	return 0;
}

/* The field path that names a target's value in messages. */
static void target_path(char *buf, size_t size, const char *where, enum fl_target_kind kind)
{
	static const char *const leaf[] = {
		[FL_TARGET_CGROUP] = "cgroup",
		[FL_TARGET_PID] = "pid",
		[FL_TARGET_CONTAINER] = "container.id",
		[FL_TARGET_POD_UID] = "pod.uid",
		[FL_TARGET_POD_NAME] = "pod",
		[FL_TARGET_POD_SELECTOR] = "pods",
	};

	field_path(buf, size, where, leaf[kind]);
}

static int parse_target(struct ctx *c, yaml_node_t *item, size_t i)
{
	struct fl_experiment *exp = c->exp;
	struct fl_exp_target *t = &exp->targets[exp->n_targets];
	char where[WHERE_LEN], sub[WHERE_LEN], path[PATH_LEN];
	yaml_node_t *key = NULL, *val = NULL;
	struct map m, cm;
	int err, j, f = -1;

	fmt(where, sizeof(where), "targets[%zu]", i);
	err = load_map(c, item, where, target_fields, T_N, &m);
	if (err)
		return err;
	/* exactly one kind; the second one named is the error */
	for (j = 0; j < T_N; j++) {
		if (!m.key[j])
			continue;
		if (key) {
			const yaml_node_t *a = key, *b = m.key[j];

			if (b->start_mark.index < a->start_mark.index) {
				a = m.key[j];
				b = key;
			}
			return fail(c, b, "%s: both '%s' and '%s' given; a target is exactly one of "
				    TARGET_KINDS, where, scalar(a), scalar(b));
		}
		key = m.key[j];
		val = m.val[j];
		f = j;
	}
	if (!key)
		return fail(c, item, "missing target in %s; expected one of " TARGET_KINDS, where);

	fmt(sub, sizeof(sub), "%s.%s", where, target_fields[f]);
	switch (f) {
	case T_CGROUP:
		err = parse_target_value(c, val, sub, FL_TARGET_CGROUP, t);
		break;
	case T_PID:
		err = parse_target_value(c, val, sub, FL_TARGET_PID, t);
		break;
	case T_CONTAINER:
		err = load_map(c, val, sub, container_fields, CT_N, &cm);
		if (!err)
			err = require(c, &cm, CT_ID);
		if (err)
			return err;
		field_path(path, sizeof(path), sub, "id");
		err = parse_target_value(c, cm.val[CT_ID], path, FL_TARGET_CONTAINER, t);
		break;
	case T_POD:
		err = parse_target_pod(c, val, sub, t);
		break;
	default:
		err = parse_target_pods(c, val, sub, t);
		break;
	}
	if (err)
		return err;

	for (j = 0; j < exp->n_targets; j++) {
		const struct fl_exp_target *o = &exp->targets[j];

		if (o->kind != t->kind || strcmp(o->ref, t->ref))
			continue;
		target_path(path, sizeof(path), where, t->kind);
		return fail_at(c, (yaml_mark_t){ .line = t->line - 1, .column = t->col - 1 },
			       "%s: '%.*s' is already targets[%d]", path, ECHO_MAX, t->ref, j);
	}
	exp->n_targets++;
	return 0;
}

static int parse_targets(struct ctx *c, yaml_node_t *seq)
{
	size_t i;
	int err;

	err = get_seq(c, seq, "targets",
		      "a sequence of targets such as {cgroup: PATH} or {pod: {uid: UID}}");
	if (err)
		return err;
	if (!seq_len(seq))
		return fail(c, seq, "targets: expected at least one target");
	for (i = 0; i < seq_len(seq); i++) {
		yaml_node_t *item = seq_item(c, seq, i);

		if (i == FL_EXP_MAX_TARGETS)
			return fail(c, item, "targets: too many, at most %d",
				    FL_EXP_MAX_TARGETS);
		err = parse_target(c, item, i);
		if (err)
			return err;
	}
	return 0;
}

int fl_experiment_check_local(const struct fl_experiment *exp, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < exp->n_targets; i++) {
		const struct fl_exp_target *t = &exp->targets[i];
		const char *what;

		if (t->kind == FL_TARGET_POD_NAME)
			what = "a pod named by namespace and name";
		else if (t->kind == FL_TARGET_POD_SELECTOR)
			what = "pods chosen by labels";
		else
			continue;
		snprintf(err, errlen,
			 "%s:%d:%d: targets[%d].%s: %s needs the Kubernetes API: run it with the faultline agent that has API access, or name the pod by uid (pod: {uid: UID}) on its node",
			 exp->file[0] ? exp->file : "<experiment>", t->line, t->col, i,
			 fl_target_kind_name(t->kind), what);
		return -EINVAL;
	}
	return 0;
}

/* Faults. */

enum { F_NAME, F_DIRECTION, F_MATCH, F_DROP, F_DELAY, F_RATE, F_PARTITION, F_LOSS, F_SCOPE,
       F_DUPLICATE, F_REJECT, F_DNS, F_CORRUPT, F_N };
static const char *const fault_fields[F_N] = {
	"name", "direction", "match", "drop", "delay", "rate", "partition", "loss", "scope",
	"duplicate", "reject", "dns", "corrupt",
};

enum { RJ_PERCENT, RJ_WITH, RJ_N };
static const char *const reject_fields[RJ_N] = { "percent", "with" };

enum { DN_MATCH, DN_ACTION, DN_DELAY, DN_N };
static const char *const dns_fields[DN_N] = { "match", "action", "delay" };
enum { DM_NAMES, DM_N };
static const char *const dns_match_fields[DM_N] = { "names" };

enum { CO_PERCENT, CO_FIX, CO_N };
static const char *const corrupt_fields[CO_N] = { "percent", "fixChecksum" };

enum { PA_PEERS, PA_N };
static const char *const partition_fields[PA_N] = { "peers" };

/* in the order of the FL_LOSS_GIVEN_* bits */
enum { LO_P, LO_R, LO_H, LO_K, LO_PERCENT, LO_CORRELATION, LO_PER, LO_N };
static const char *const loss_fields[LO_N] = {
	"p", "r", "h", "k", "percent", "correlation", "per",
};

enum { MA_PROTOCOL, MA_PEERS, MA_PORTS, MA_N };
static const char *const match_fields[MA_N] = { "protocol", "peers", "ports" };

enum { DR_PERCENT, DR_N };
static const char *const drop_fields[DR_N] = { "percent" };

enum { DE_TIME, DE_JITTER, DE_DIST, DE_CORRELATION, DE_REORDER, DE_PERCENT, DE_N };
static const char *const delay_fields[DE_N] = {
	"time", "jitter", "distribution", "correlation", "reorder", "percent",
};

enum { RA_LIMIT, RA_PER, RA_PERCENT, RA_N };
static const char *const rate_fields[RA_N] = { "limit", "per", "percent" };

/* delay.percent, rate.percent: the share of packets (or connections) they
 * apply to; the range is the validator's
 */
static int parse_share(struct ctx *c, yaml_node_t *n, const char *where, double *pct,
		       bool *given)
{
	static const char what[] = "a percentage from 0 to 100";
	char path[PATH_LEN];
	const char *s;
	int err;

	field_path(path, sizeof(path), where, "percent");
	err = get_plain(c, n, path, what, &s);
	if (err)
		return err;
	if (fl_parse_percent(s, pct))
		return bad_value(c, n, path, what);
	*given = true;
	return 0;
}

/* A sequence of prefixes at WHERE.peers (match's or a partition's). */
static int parse_peers(struct ctx *c, yaml_node_t *n, const char *where, const char *if_empty,
		       struct fl_cidr *peers, int *n_peers)
{
	static const char peer_what[] =
		"an address or prefix like 198.18.0.0/24 or 2001:db8::/32";
	char path[PATH_LEN], ipath[PATH_LEN];
	const char *s;
	size_t i;
	int err;

	field_path(path, sizeof(path), where, "peers");
	err = get_seq(c, n, path, "a sequence of prefixes");
	if (err)
		return err;
	if (!seq_len(n))
		return fail(c, n, "%s: expected at least one prefix%s", path, if_empty);
	for (i = 0; i < seq_len(n); i++) {
		yaml_node_t *item = seq_item(c, n, i);

		if (i == FL_FAULT_MAX_PEERS)
			return fail(c, item, "%s: too many, at most %d", path, FL_FAULT_MAX_PEERS);
		fmt(ipath, sizeof(ipath), "%s[%zu]", path, i);
		err = get_string(c, item, ipath, peer_what, &s);
		if (err)
			return err;
		if (fl_parse_cidr(s, &peers[i]))
			return bad_value(c, item, ipath, peer_what);
		(*n_peers)++;
	}
	return 0;
}

static int parse_match(struct ctx *c, yaml_node_t *n, const char *fwhere,
		       struct fl_fault *f)
{
	char where[WHERE_LEN], path[PATH_LEN], ipath[PATH_LEN];
	const char *s;
	struct map m;
	size_t i;
	int err, j;

	fmt(where, sizeof(where), "%s.match", fwhere);
	err = load_map(c, n, where, match_fields, MA_N, &m);
	if (err)
		return err;

	if (m.val[MA_PROTOCOL]) {
		field_path(path, sizeof(path), where, "protocol");
		err = get_string(c, m.val[MA_PROTOCOL], path,
				 "tcp, udp, icmp or any", &s);
		if (err)
			return err;
		if (fl_parse_proto(s, &f->proto))
			return bad_value(c, m.val[MA_PROTOCOL], path,
					 "tcp, udp, icmp or any");
	}

	if (m.val[MA_PEERS]) {
		err = parse_peers(c, m.val[MA_PEERS], where, "; leave peers out to match any peer",
				  f->peers, &f->n_peers);
		if (err)
			return err;
	}

	if (m.val[MA_PORTS]) {
		n = m.val[MA_PORTS];
		field_path(path, sizeof(path), where, "ports");
		err = get_seq(c, n, path, "a sequence of ports");
		if (err)
			return err;
		if (!seq_len(n))
			return fail(c, n, "%s: expected at least one port; leave ports out to match any port",
				    path);
		for (i = 0; i < seq_len(n); i++) {
			yaml_node_t *item = seq_item(c, n, i);
			__u16 port;

			if (i == FL_FAULT_MAX_PORTS)
				return fail(c, item, "%s: too many, at most %d",
					    path, FL_FAULT_MAX_PORTS);
			fmt(ipath, sizeof(ipath), "%s[%zu]", path, i);
			err = get_plain(c, item, ipath,
					"a port from 1 to 65535", &s);
			if (err)
				return err;
			if (fl_parse_port(s, &port))
				return bad_value(c, item, ipath,
						 "a port from 1 to 65535");
			for (j = 0; j < f->n_ports; j++)
				if (f->ports[j] == port)
					return fail(c, item, "%s: port %u is listed twice",
						    ipath, port);
			f->ports[f->n_ports++] = port;
		}
	}
	return 0;
}

/* {percent: P} at WHERE.NAME (drop, duplicate) into *pct. */
static int parse_percent_block(struct ctx *c, yaml_node_t *n, const char *fwhere,
			       const char *name, double *pct)
{
	static const char what[] = "a percentage from 0 to 100";
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err;

	fmt(where, sizeof(where), "%s.%s", fwhere, name);
	err = load_map(c, n, where, drop_fields, DR_N, &m);
	if (!err)
		err = require(c, &m, DR_PERCENT);
	if (err)
		return err;
	field_path(path, sizeof(path), where, "percent");
	err = get_plain(c, m.val[DR_PERCENT], path, what, &s);
	if (err)
		return err;
	if (fl_parse_percent(s, pct))
		return bad_value(c, m.val[DR_PERCENT], path, what);
	return 0;
}

static int parse_drop(struct ctx *c, yaml_node_t *n, const char *fwhere,
		      struct fl_fault *f)
{
	int err = parse_percent_block(c, n, fwhere, "drop", &f->drop_pct);

	if (err)
		return err;
	f->drop_prob = fl_percent_to_prob(f->drop_pct);
	f->has_drop = true;
	return 0;
}

/* {percent: P, with: tcp-reset|icmp-unreachable} */
static int parse_reject(struct ctx *c, yaml_node_t *n, const char *fwhere, struct fl_fault *f)
{
	static const char pct[] = "a percentage from 0 to 100";
	static const char with[] = "tcp-reset or icmp-unreachable";
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err;

	fmt(where, sizeof(where), "%s.reject", fwhere);
	err = load_map(c, n, where, reject_fields, RJ_N, &m);
	if (!err)
		err = require(c, &m, RJ_PERCENT);
	if (err)
		return err;
	field_path(path, sizeof(path), where, "percent");
	err = get_plain(c, m.val[RJ_PERCENT], path, pct, &s);
	if (err)
		return err;
	if (fl_parse_percent(s, &f->reject_pct))
		return bad_value(c, m.val[RJ_PERCENT], path, pct);
	if (m.val[RJ_WITH]) {
		field_path(path, sizeof(path), where, "with");
		err = get_string(c, m.val[RJ_WITH], path, with, &s);
		if (err)
			return err;
		if (fl_parse_reject_with(s, &f->reject_with))
			return bad_value(c, m.val[RJ_WITH], path, with);
	}
	f->reject_prob = fl_percent_to_prob(f->reject_pct);
	f->has_reject = true;
	return 0;
}

static int parse_partition(struct ctx *c, yaml_node_t *n, const char *fwhere,
			   struct fl_fault *f)
{
	char where[WHERE_LEN];
	struct map m;
	int err;

	fmt(where, sizeof(where), "%s.partition", fwhere);
	err = load_map(c, n, where, partition_fields, PA_N, &m);
	if (!err)
		err = require(c, &m, PA_PEERS);
	if (!err)
		err = parse_peers(c, m.val[PA_PEERS], where, "", f->part_peers, &f->n_part_peers);
	if (err)
		return err;
	f->has_partition = true;
	return 0;
}

/* dns: {match: {names: [...]}, action: A, delay: D}. What is missing or
 * wrong beyond the types is the validator's to say (fl_fault_check).
 */
static int parse_dns(struct ctx *c, yaml_node_t *n, const char *fwhere, struct fl_fault *f)
{
	static const char actions[] = "drop, delay, nxdomain or servfail";
	char where[WHERE_LEN], mwhere[WHERE_LEN], path[PATH_LEN], ipath[PATH_LEN];
	struct map m, mm;
	yaml_node_t *names;
	const char *s;
	size_t i;
	int err;

	fmt(where, sizeof(where), "%s.dns", fwhere);
	err = load_map(c, n, where, dns_fields, DN_N, &m);
	if (err)
		return err;
	f->has_dns = true;
	if (m.val[DN_MATCH]) {
		fmt(mwhere, sizeof(mwhere), "%s.match", where);
		err = load_map(c, m.val[DN_MATCH], mwhere, dns_match_fields, DM_N, &mm);
		if (err)
			return err;
		names = mm.val[DM_NAMES];
		field_path(path, sizeof(path), mwhere, "names");
		if (names) {
			err = get_seq(c, names, path, "a sequence of names");
			if (err)
				return err;
			for (i = 0; i < seq_len(names); i++) {
				yaml_node_t *item = seq_item(c, names, i);

				if (i == FL_FAULT_MAX_DNS_NAMES)
					return fail(c, item, "%s: too many, at most %d", path,
						    FL_FAULT_MAX_DNS_NAMES);
				fmt(ipath, sizeof(ipath), "%s[%zu]", path, i);
				err = get_string(c, item, ipath,
						 "a name such as *.example.internal or exact.name", &s);
				if (err)
					return err;
				snprintf(f->dns_names[f->n_dns_names++], FL_DNS_TEXT_MAX, "%s", s);
			}
		}
	}
	if (m.val[DN_ACTION]) {
		field_path(path, sizeof(path), where, "action");
		err = get_string(c, m.val[DN_ACTION], path, actions, &s);
		if (err)
			return err;
		if (fl_dns_parse_action(s, &f->dns_action))
			return bad_value(c, m.val[DN_ACTION], path, actions);
	}
	if (m.val[DN_DELAY]) {
		field_path(path, sizeof(path), where, "delay");
		/* the upper bound is the validator's, as for inject */
		err = get_duration(c, m.val[DN_DELAY], path, 1, "1ns", FL_EXP_MAX_DURATION_NS,
				   "24h", &f->dns_delay_ns);
		if (err)
			return err;
	}
	return 0;
}

static int parse_loss(struct ctx *c, yaml_node_t *n, const char *fwhere,
		      struct fl_fault *f)
{
	static const char what[] = "a percentage from 0 to 100";
	double *vals[LO_PER] = { &f->loss_p, &f->loss_r, &f->loss_h, &f->loss_k,
				 &f->loss_pct, &f->loss_corr };
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err, i;

	fmt(where, sizeof(where), "%s.loss", fwhere);
	err = load_map(c, n, where, loss_fields, LO_N, &m);
	if (err)
		return err;
	for (i = 0; i < LO_PER; i++) {
		if (!m.val[i])
			continue;
		field_path(path, sizeof(path), where, loss_fields[i]);
		err = get_plain(c, m.val[i], path, what, &s);
		if (err)
			return err;
		if (fl_parse_percent(s, vals[i]))
			return bad_value(c, m.val[i], path, what);
		f->loss_given |= 1u << i;
	}
	if (m.val[LO_PER]) {
		field_path(path, sizeof(path), where, "per");
		err = get_string(c, m.val[LO_PER], path, "flow or fault", &s);
		if (err)
			return err;
		if (fl_parse_loss_per(s, &f->loss_per))
			return bad_value(c, m.val[LO_PER], path, "flow or fault");
	}
	f->has_loss = true;
	return 0;
}

static int parse_bool(struct ctx *c, const yaml_node_t *n, const char *path,
		      bool *b)
{
	const char *s;
	int err;

	err = get_plain(c, n, path, "true or false", &s);
	if (err)
		return err;
	if (!strcmp(s, "true"))
		*b = true;
	else if (!strcmp(s, "false"))
		*b = false;
	else
		return bad_value(c, n, path, "true or false");
	return 0;
}

static int parse_delay(struct ctx *c, yaml_node_t *n, const char *fwhere,
		       struct fl_fault *f)
{
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err;

	fmt(where, sizeof(where), "%s.delay", fwhere);
	err = load_map(c, n, where, delay_fields, DE_N, &m);
	if (!err)
		err = require(c, &m, DE_TIME);
	if (err)
		return err;

	field_path(path, sizeof(path), where, "time");
	/* the upper bound is the validator's (fl_fault_check), as for inject */
	err = get_duration(c, m.val[DE_TIME], path, 1, "1ns",
			   FL_EXP_MAX_DURATION_NS, "24h", &f->delay_ns);
	if (err)
		return err;

	if (m.val[DE_JITTER]) {
		n = m.val[DE_JITTER];
		field_path(path, sizeof(path), where, "jitter");
		if (is_plain(n) && !strcmp(scalar(n), "0")) {
			f->jitter_ns = 0;
		} else {
			err = get_duration(c, n, path, 1, "1ns",
					   FL_EXP_MAX_DURATION_NS, "24h",
					   &f->jitter_ns);
			if (err)
				return err;
		}
	}

	if (m.val[DE_DIST]) {
		static const char what[] =
			"uniform, normal, pareto or paretonormal";

		n = m.val[DE_DIST];
		field_path(path, sizeof(path), where, "distribution");
		err = get_string(c, n, path, what, &s);
		if (err)
			return err;
		if (fl_parse_distribution(s, &f->dist))
			return bad_value(c, n, path, what);
	}

	if (m.val[DE_CORRELATION]) {
		static const char what[] = "a whole percentage from 0 to 100";

		n = m.val[DE_CORRELATION];
		field_path(path, sizeof(path), where, "correlation");
		err = get_plain(c, n, path, what, &s);
		if (err)
			return err;
		if (fl_parse_whole_percent(s, &f->correlation))
			return bad_value(c, n, path, what);
	}

	if (m.val[DE_REORDER]) {
		bool b = false;

		field_path(path, sizeof(path), where, "reorder");
		err = parse_bool(c, m.val[DE_REORDER], path, &b);
		if (err)
			return err;
		f->reorder = b;
	}
	if (m.val[DE_PERCENT]) {
		err = parse_share(c, m.val[DE_PERCENT], where, &f->delay_pct, &f->has_delay_pct);
		if (err)
			return err;
	}
	f->has_delay = true;
	return 0;
}

/* corrupt: {percent: P, fixChecksum: false} */
static int parse_corrupt(struct ctx *c, yaml_node_t *n, const char *fwhere,
			 struct fl_fault *f)
{
	static const char what[] = "a percentage from 0 to 100";
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err;

	fmt(where, sizeof(where), "%s.corrupt", fwhere);
	err = load_map(c, n, where, corrupt_fields, CO_N, &m);
	if (!err)
		err = require(c, &m, CO_PERCENT);
	if (err)
		return err;
	field_path(path, sizeof(path), where, "percent");
	err = get_plain(c, m.val[CO_PERCENT], path, what, &s);
	if (err)
		return err;
	if (fl_parse_percent(s, &f->corrupt_pct))
		return bad_value(c, m.val[CO_PERCENT], path, what);
	if (m.val[CO_FIX]) {
		field_path(path, sizeof(path), where, "fixChecksum");
		err = parse_bool(c, m.val[CO_FIX], path, &f->corrupt_fix);
		if (err)
			return err;
	}
	f->corrupt_prob = fl_percent_to_prob(f->corrupt_pct);
	f->has_corrupt = true;
	return 0;
}

static int parse_rate(struct ctx *c, yaml_node_t *n, const char *fwhere,
		      struct fl_fault *f)
{
	static const char what[] =
		"a rate like 10mbit, 500kbit or 1000pps (units bit, kbit, mbit, gbit, pps, kpps)";
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err;

	fmt(where, sizeof(where), "%s.rate", fwhere);
	err = load_map(c, n, where, rate_fields, RA_N, &m);
	if (!err)
		err = require(c, &m, RA_LIMIT);
	if (err)
		return err;

	field_path(path, sizeof(path), where, "limit");
	err = get_string(c, m.val[RA_LIMIT], path, what, &s);
	if (err)
		return err;
	if (fl_parse_rate(s, &f->rate, &f->rate_unit))
		return bad_value(c, m.val[RA_LIMIT], path, what);

	if (m.val[RA_PER]) {
		field_path(path, sizeof(path), where, "per");
		err = get_string(c, m.val[RA_PER], path, "target or flow", &s);
		if (err)
			return err;
		if (!strcmp(s, "target"))
			f->rate_per = FL_RATE_PER_TARGET;
		else if (!strcmp(s, "flow"))
			f->rate_per = FL_RATE_PER_FLOW;
		else
			return bad_value(c, m.val[RA_PER], path,
					 "target or flow");
	}
	if (m.val[RA_PERCENT]) {
		err = parse_share(c, m.val[RA_PERCENT], where, &f->rate_pct, &f->has_rate_pct);
		if (err)
			return err;
	}
	f->has_rate = true;
	return 0;
}

/* The value of @key in mapping @n, or NULL. */
static yaml_node_t *map_value(struct ctx *c, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *pair;

	if (n->type != YAML_MAPPING_NODE)
		return n;
	for (pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node_at(c, pair->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), key))
			return node_at(c, pair->value);
	}
	return n;
}

/* The fault as a whole goes through the one validator that `inject` uses
 * too; its message is placed at the block the field belongs to.
 */
static int check_fault(struct ctx *c, yaml_node_t *n, const struct map *m,
		       const char *where, const struct fl_fault *f)
{
	const char *field = "";
	yaml_node_t *at = n;
	char msg[400];

	if (!fl_fault_check(f, &field, msg, sizeof(msg)))
		return 0;
	if (!strncmp(field, "delay.", 6) && m->val[F_DELAY])
		at = map_value(c, m->val[F_DELAY], field + 6);
	else if (!strncmp(field, "rate.", 5) && m->val[F_RATE])
		at = map_value(c, m->val[F_RATE], field + 5);
	else if (!strncmp(field, "match.", 6) && m->val[F_MATCH])
		at = map_value(c, m->val[F_MATCH], field + 6);
	else if (!strncmp(field, "drop.", 5) && m->val[F_DROP])
		at = map_value(c, m->val[F_DROP], field + 5);
	else if (!strncmp(field, "partition.", 10) && m->val[F_PARTITION])
		at = map_value(c, m->val[F_PARTITION], field + 10);
	else if (!strncmp(field, "loss.", 5) && m->val[F_LOSS])
		at = map_value(c, m->val[F_LOSS], field + 5);
	else if (!strcmp(field, "partition") && m->val[F_PARTITION])
		at = m->val[F_PARTITION];
	else if (!strcmp(field, "loss") && m->val[F_LOSS])
		at = m->val[F_LOSS];
	else if (!strcmp(field, "scope") && m->val[F_SCOPE])
		at = m->val[F_SCOPE];
	else if (!strncmp(field, "duplicate.", 10) && m->val[F_DUPLICATE])
		at = map_value(c, m->val[F_DUPLICATE], field + 10);
	else if (!strcmp(field, "duplicate") && m->val[F_DUPLICATE])
		at = m->val[F_DUPLICATE];
	else if (!strncmp(field, "reject.", 7) && m->val[F_REJECT])
		at = map_value(c, m->val[F_REJECT], field + 7);
	else if (!strcmp(field, "reject") && m->val[F_REJECT])
		at = m->val[F_REJECT];
	else if (!strncmp(field, "corrupt.", 8) && m->val[F_CORRUPT])
		at = map_value(c, m->val[F_CORRUPT], field + 8);
	else if (!strcmp(field, "corrupt") && m->val[F_CORRUPT])
		at = m->val[F_CORRUPT];
	else if (!strcmp(field, "direction") && m->val[F_DIRECTION])
		at = m->val[F_DIRECTION];
	else if (!strncmp(field, "dns.match.", 10) && m->val[F_DNS])
		at = map_value(c, map_value(c, m->val[F_DNS], "match"), field + 10);
	else if (!strncmp(field, "dns.", 4) && m->val[F_DNS])
		at = map_value(c, m->val[F_DNS], field + 4);
	else if (!strcmp(field, "dns") && m->val[F_DNS])
		at = m->val[F_DNS];
	if (!at)
		at = n;
	return fail(c, at, "%s%s%s: %s", where, *field ? "." : "", field, msg);
}

static int parse_fault(struct ctx *c, yaml_node_t *n, size_t idx)
{
	struct fl_experiment *exp = c->exp;
	struct fl_fault *f = &exp->faults[idx];
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	size_t j;
	int err;

	fl_fault_init(f, NULL);
	fmt(where, sizeof(where), "faults[%zu]", idx);
	err = load_map(c, n, where, fault_fields, F_N, &m);
	if (!err)
		err = require(c, &m, F_NAME);
	if (err)
		return err;

	field_path(path, sizeof(path), where, "name");
	err = get_name(c, m.val[F_NAME], path, f->name);
	if (err)
		return err;
	for (j = 0; j < idx; j++)
		if (!strcmp(exp->faults[j].name, f->name))
			return fail(c, m.val[F_NAME],
				    "%s: duplicate name '%s', also faults[%zu]",
				    path, f->name, j);

	if (m.val[F_DIRECTION]) {
		field_path(path, sizeof(path), where, "direction");
		err = get_string(c, m.val[F_DIRECTION], path,
				 "ingress, egress or both", &s);
		if (err)
			return err;
		if (fl_parse_direction(s, &f->dir_mask))
			return bad_value(c, m.val[F_DIRECTION], path,
					 "ingress, egress or both");
	}
	if (m.val[F_MATCH]) {
		err = parse_match(c, m.val[F_MATCH], where, f);
		if (err)
			return err;
	}
	if (m.val[F_DROP]) {
		err = parse_drop(c, m.val[F_DROP], where, f);
		if (err)
			return err;
	}
	if (m.val[F_DELAY]) {
		err = parse_delay(c, m.val[F_DELAY], where, f);
		if (err)
			return err;
	}
	if (m.val[F_RATE]) {
		err = parse_rate(c, m.val[F_RATE], where, f);
		if (err)
			return err;
	}
	if (m.val[F_PARTITION]) {
		err = parse_partition(c, m.val[F_PARTITION], where, f);
		if (err)
			return err;
	}
	if (m.val[F_LOSS]) {
		err = parse_loss(c, m.val[F_LOSS], where, f);
		if (err)
			return err;
	}
	if (m.val[F_DUPLICATE]) {
		err = parse_percent_block(c, m.val[F_DUPLICATE], where, "duplicate", &f->dup_pct);
		if (err)
			return err;
		f->dup_prob = fl_percent_to_prob(f->dup_pct);
		f->has_duplicate = true;
	}
	if (m.val[F_REJECT]) {
		err = parse_reject(c, m.val[F_REJECT], where, f);
		if (err)
			return err;
	}
	if (m.val[F_DNS]) {
		err = parse_dns(c, m.val[F_DNS], where, f);
		if (err)
			return err;
	}
	if (m.val[F_CORRUPT]) {
		err = parse_corrupt(c, m.val[F_CORRUPT], where, f);
		if (err)
			return err;
	}
	if (m.val[F_SCOPE]) {
		field_path(path, sizeof(path), where, "scope");
		err = get_string(c, m.val[F_SCOPE], path, "packets or connections", &s);
		if (err)
			return err;
		if (fl_parse_scope(s, &f->scope))
			return bad_value(c, m.val[F_SCOPE], path, "packets or connections");
	}
	return check_fault(c, n, &m, where, f);
}

static int parse_faults(struct ctx *c, yaml_node_t *seq)
{
	size_t i;
	int err;

	err = get_seq(c, seq, "faults",
		      "a sequence of faults (use [] for a control run)");
	if (err)
		return err;
	for (i = 0; i < seq_len(seq); i++) {
		yaml_node_t *item = seq_item(c, seq, i);

		if (i == FL_EXP_MAX_FAULTS)
			return fail(c, item, "faults: too many, at most %d",
				    FL_EXP_MAX_FAULTS);
		err = parse_fault(c, item, i);
		if (err)
			return err;
		c->exp->n_faults++;
	}
	return 0;
}

/* Probes. */

enum { P_NAME, P_HTTP, P_TCP, P_INTERVAL, P_TIMEOUT, P_NETNS, P_N };
static const char *const probe_fields[P_N] = {
	"name", "http", "tcp", "interval", "timeout", "netns",
};

enum { H_URL, H_EXPECT, H_N };
static const char *const http_fields[H_N] = { "url", "expectStatus" };

enum { TC_ADDRESS, TC_N };
static const char *const tcp_fields[TC_N] = { "address" };

static int parse_http(struct ctx *c, yaml_node_t *n, const char *pwhere,
		      struct fl_exp_probe *p)
{
	static const char what[] = "an HTTP status from 100 to 599";
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err, i;

	fmt(where, sizeof(where), "%s.http", pwhere);
	err = load_map(c, n, where, http_fields, H_N, &m);
	if (!err)
		err = require(c, &m, H_URL);
	if (err)
		return err;
	p->kind = FL_PROBE_HTTP;
	field_path(path, sizeof(path), where, "url");
	err = get_url(c, m.val[H_URL], path, &p->url);
	if (err)
		return err;

	p->expect_status = 0;	/* any 2xx */
	if (m.val[H_EXPECT]) {
		field_path(path, sizeof(path), where, "expectStatus");
		err = get_plain(c, m.val[H_EXPECT], path, what, &s);
		if (err)
			return err;
		if (strlen(s) != 3)
			return bad_value(c, m.val[H_EXPECT], path, what);
		for (i = 0; i < 3; i++)
			if (s[i] < '0' || s[i] > '9')
				return bad_value(c, m.val[H_EXPECT], path,
						 what);
		p->expect_status = atoi(s);
		if (p->expect_status < 100 || p->expect_status > 599)
			return bad_value(c, m.val[H_EXPECT], path, what);
	}
	return 0;
}

static int parse_tcp(struct ctx *c, yaml_node_t *n, const char *pwhere,
		     struct fl_exp_probe *p)
{
	static const char what[] =
		"a host and port like 198.18.0.1:9080, web.local:80 or [2001:db8::1]:9080";
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err;

	fmt(where, sizeof(where), "%s.tcp", pwhere);
	err = load_map(c, n, where, tcp_fields, TC_N, &m);
	if (!err)
		err = require(c, &m, TC_ADDRESS);
	if (err)
		return err;
	p->kind = FL_PROBE_TCP;
	field_path(path, sizeof(path), where, "address");
	err = get_string(c, m.val[TC_ADDRESS], path, what, &s);
	if (err)
		return err;
	if (strlen(s) > FL_EXP_MAX_ADDRESS || parse_address(s, &p->port))
		return bad_value(c, m.val[TC_ADDRESS], path, what);
	return dup_string(c, m.val[TC_ADDRESS], s, &p->address);
}

static int parse_probe(struct ctx *c, yaml_node_t *n, size_t idx)
{
	struct fl_experiment *exp = c->exp;
	struct fl_exp_probe *p = &exp->probes[idx];
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	size_t j;
	int err;

	memset(p, 0, sizeof(*p));
	p->interval_ns = FL_EXP_DEFAULT_INTERVAL_NS;
	p->timeout_ns = FL_EXP_DEFAULT_TIMEOUT_NS;
	fmt(where, sizeof(where), "probes[%zu]", idx);
	err = load_map(c, n, where, probe_fields, P_N, &m);
	if (!err)
		err = require(c, &m, P_NAME);
	if (err)
		return err;

	field_path(path, sizeof(path), where, "name");
	err = get_name(c, m.val[P_NAME], path, p->name);
	if (err)
		return err;
	for (j = 0; j < idx; j++)
		if (!strcmp(exp->probes[j].name, p->name))
			return fail(c, m.val[P_NAME],
				    "%s: duplicate name '%s', also probes[%zu]",
				    path, p->name, j);

	if (m.val[P_HTTP] && m.val[P_TCP]) {
		const yaml_node_t *second = m.key[P_HTTP];

		if (m.key[P_TCP]->start_mark.index > second->start_mark.index)
			second = m.key[P_TCP];
		return fail(c, second, "%s: has both http and tcp; a probe is one or the other",
			    where);
	}
	if (m.val[P_HTTP])
		err = parse_http(c, m.val[P_HTTP], where, p);
	else if (m.val[P_TCP])
		err = parse_tcp(c, m.val[P_TCP], where, p);
	else
		err = fail(c, n, "%s needs http or tcp", where);
	if (err)
		return err;

	if (m.val[P_INTERVAL]) {
		field_path(path, sizeof(path), where, "interval");
		err = get_duration(c, m.val[P_INTERVAL], path,
				   FL_EXP_MIN_INTERVAL_NS, "10ms",
				   FL_EXP_MAX_INTERVAL_NS, "1h",
				   &p->interval_ns);
		if (err)
			return err;
	}
	if (m.val[P_TIMEOUT]) {
		field_path(path, sizeof(path), where, "timeout");
		err = get_duration(c, m.val[P_TIMEOUT], path, 1, "1ns",
				   FL_EXP_MAX_TIMEOUT_NS, "60s",
				   &p->timeout_ns);
		if (err)
			return err;
	}
	if (m.val[P_NETNS]) {
		field_path(path, sizeof(path), where, "netns");
		err = get_abs_path(c, m.val[P_NETNS], path, &s);
		if (!err)
			err = dup_string(c, m.val[P_NETNS], s, &p->netns);
		if (err)
			return err;
	}
	return 0;
}

static int parse_probes(struct ctx *c, yaml_node_t *seq)
{
	size_t i;
	int err;

	err = get_seq(c, seq, "probes", "a sequence of probes");
	if (err)
		return err;
	for (i = 0; i < seq_len(seq); i++) {
		yaml_node_t *item = seq_item(c, seq, i);

		if (i == FL_EXP_MAX_PROBES)
			return fail(c, item, "probes: too many, at most %d",
				    FL_EXP_MAX_PROBES);
		err = parse_probe(c, item, i);
		if (err)
			return err;
		c->exp->n_probes++;
	}
	return 0;
}

/* Failure conditions. */

enum {
	C_NAME, C_SIGNAL, C_PROBE, C_WINDOW,
	C_ABOVE, C_BELOW, C_AT_LEAST, C_AT_MOST,
	C_PROMETHEUS, C_N,
};
static const char *const condition_fields[C_N] = {
	"name", "signal", "probe", "window",
	"above", "below", "atLeast", "atMost",
	"prometheus",
};

/* Field index of each comparison, in enum fl_cmp order. */
static const struct {
	int field;
	enum fl_cmp cmp;
} cmp_fields[] = {
	{ C_ABOVE, FL_CMP_ABOVE },
	{ C_BELOW, FL_CMP_BELOW },
	{ C_AT_LEAST, FL_CMP_AT_LEAST },
	{ C_AT_MOST, FL_CMP_AT_MOST },
};

enum { PR_URL, PR_QUERY, PR_INTERVAL, PR_N };
static const char *const prometheus_fields[PR_N] = {
	"url", "query", "interval",
};

static int parse_prometheus(struct ctx *c, yaml_node_t *n, const char *cwhere,
			    struct fl_condition *cond)
{
	char where[WHERE_LEN], path[PATH_LEN];
	const char *s;
	struct map m;
	int err;

	fmt(where, sizeof(where), "%s.prometheus", cwhere);
	err = load_map(c, n, where, prometheus_fields, PR_N, &m);
	if (!err)
		err = require(c, &m, PR_URL);
	if (!err)
		err = require(c, &m, PR_QUERY);
	if (err)
		return err;

	field_path(path, sizeof(path), where, "url");
	err = get_url(c, m.val[PR_URL], path, &cond->prom_url);
	if (err)
		return err;

	field_path(path, sizeof(path), where, "query");
	err = get_string(c, m.val[PR_QUERY], path, "a PromQL query", &s);
	if (err)
		return err;
	if (!*s)
		return bad_value(c, m.val[PR_QUERY], path, "a PromQL query");
	if (strlen(s) > FL_EXP_MAX_QUERY)
		return fail(c, m.val[PR_QUERY],
			    "%s: query is longer than %d bytes", path,
			    FL_EXP_MAX_QUERY);
	err = dup_string(c, m.val[PR_QUERY], s, &cond->prom_query);
	if (err)
		return err;

	cond->prom_interval_ns = FL_EXP_DEFAULT_INTERVAL_NS;
	if (m.val[PR_INTERVAL]) {
		field_path(path, sizeof(path), where, "interval");
		err = get_duration(c, m.val[PR_INTERVAL], path,
				   FL_EXP_MIN_INTERVAL_NS, "10ms",
				   FL_EXP_MAX_INTERVAL_NS, "1h",
				   &cond->prom_interval_ns);
		if (err)
			return err;
	}
	return 0;
}

static int parse_signal(struct ctx *c, const yaml_node_t *n, const char *path,
			enum fl_signal *sig)
{
	char list[1024];
	size_t used = 0;
	const char *s;
	unsigned int i;
	int err;

	err = get_string(c, n, path, "a signal name", &s);
	if (err)
		return err;
	if (!fl_signal_parse(s, sig))
		return 0;
	list[0] = '\0';
	for (i = 0; i < FL_SIG_MAX; i++) {
		fmt(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
		    fl_signal_name((enum fl_signal)i));
		used = strlen(list);
	}
	return fail(c, n, "%s: unknown signal '%.*s'; expected one of %s",
		    path, ECHO_MAX, s, list);
}

static int parse_condition(struct ctx *c, yaml_node_t *n, size_t idx)
{
	struct fl_experiment *exp = c->exp;
	struct fl_condition *cond = &exp->conditions[idx];
	char where[WHERE_LEN], path[PATH_LEN];
	const struct fl_signal_info *si;
	const char *s, *why;
	yaml_node_t *op_key = NULL, *op_val = NULL;
	struct map m;
	size_t i, j;
	int err;

	memset(cond, 0, sizeof(*cond));
	cond->probe_idx = -1;
	fmt(where, sizeof(where), "failureConditions[%zu]", idx);
	err = load_map(c, n, where, condition_fields, C_N, &m);
	if (!err)
		err = require(c, &m, C_NAME);
	if (!err)
		err = require(c, &m, C_SIGNAL);
	if (err)
		return err;

	field_path(path, sizeof(path), where, "name");
	err = get_name(c, m.val[C_NAME], path, cond->name);
	if (err)
		return err;
	for (j = 0; j < idx; j++)
		if (!strcmp(exp->conditions[j].name, cond->name))
			return fail(c, m.val[C_NAME],
				    "%s: duplicate name '%s', also failureConditions[%zu]",
				    path, cond->name, j);

	field_path(path, sizeof(path), where, "signal");
	err = parse_signal(c, m.val[C_SIGNAL], path, &cond->signal);
	if (err)
		return err;
	si = fl_signal_info(cond->signal);

	/* The probe a probe.* signal watches. */
	if (si->needs_probe) {
		if (!m.val[C_PROBE])
			return fail(c, n, "%s: signal %s needs 'probe', the name of one of the probes%s",
				    where, si->name,
				    exp->n_probes ? "" : ", and spec has no probes");
		field_path(path, sizeof(path), where, "probe");
		err = get_string(c, m.val[C_PROBE], path, "a probe name", &s);
		if (err)
			return err;
		cond->probe_idx = fl_experiment_find_probe(exp, s);
		if (cond->probe_idx < 0)
			return fail(c, m.val[C_PROBE],
				    "%s: no probe named '%.*s' in probes",
				    path, ECHO_MAX, s);
		memcpy(cond->probe, exp->probes[cond->probe_idx].name,
		       sizeof(cond->probe));
	} else if (m.key[C_PROBE]) {
		return fail(c, m.key[C_PROBE],
			    "%s: 'probe' is only for probe.* signals, not %s",
			    where, si->name);
	}

	/* Prometheus: its own source, and no window. */
	if (cond->signal == FL_SIG_PROMETHEUS) {
		if (!m.val[C_PROMETHEUS])
			return fail(c, n, "%s: signal prometheus needs a 'prometheus' mapping with url and query",
				    where);
		if (m.key[C_WINDOW])
			return fail(c, m.key[C_WINDOW],
				    "%s: prometheus conditions have no window; the newest query result counts",
				    where);
		err = parse_prometheus(c, m.val[C_PROMETHEUS], where, cond);
		if (err)
			return err;
	} else if (m.key[C_PROMETHEUS]) {
		return fail(c, m.key[C_PROMETHEUS],
			    "%s: 'prometheus' is only for signal prometheus, not %s",
			    where, si->name);
	}

	/* Exactly one comparison. */
	for (i = 0; i < ARRAY_SIZE(cmp_fields); i++) {
		int f = cmp_fields[i].field;

		if (!m.key[f])
			continue;
		if (op_key) {
			const yaml_node_t *a = op_key, *b = m.key[f];

			if (b->start_mark.index < a->start_mark.index) {
				a = m.key[f];
				b = op_key;
			}
			return fail(c, b, "%s: both '%s' and '%s' given; use exactly one of above, below, atLeast, atMost",
				    where, scalar(a), scalar(b));
		}
		op_key = m.key[f];
		op_val = m.val[f];
		cond->cmp = cmp_fields[i].cmp;
	}
	if (!op_key)
		return fail(c, n, "missing comparison in %s; expected one of above, below, atLeast, atMost",
			    where);
	field_path(path, sizeof(path), where, scalar(op_key));
	err = get_plain(c, op_val, path, fl_threshold_expect(cond->signal), &s);
	if (err)
		return err;
	if (fl_threshold_parse(cond->signal, s, &cond->threshold))
		return bad_value(c, op_val, path,
				 fl_threshold_expect(cond->signal));
	why = fl_condition_pointless(cond);
	if (why)
		return fail(c, op_val, "%s: %s %s %s", where, scalar(op_key), s,
			    why);

	/* The window, within the run. */
	if (cond->signal != FL_SIG_PROMETHEUS) {
		cond->window_ns = FL_CONDITION_DEFAULT_WINDOW_NS;
		if (cond->window_ns > exp->duration_ns)
			cond->window_ns = exp->duration_ns;
	}
	if (m.val[C_WINDOW]) {
		field_path(path, sizeof(path), where, "window");
		err = get_duration(c, m.val[C_WINDOW], path,
				   FL_CONDITION_MIN_WINDOW_NS, "100ms",
				   FL_CONDITION_MAX_WINDOW_NS, "24h",
				   &cond->window_ns);
		if (err)
			return err;
		if (cond->window_ns > exp->duration_ns)
			return fail(c, m.val[C_WINDOW],
				    "%s: '%.*s' is longer than the experiment's duration '%.*s'",
				    path, ECHO_MAX, scalar(m.val[C_WINDOW]),
				    ECHO_MAX, c->duration_text);
	}
	return 0;
}

static int parse_conditions(struct ctx *c, yaml_node_t *seq)
{
	size_t i;
	int err;

	err = get_seq(c, seq, "failureConditions",
		      "a sequence of conditions");
	if (err)
		return err;
	if (!seq_len(seq))
		return fail(c, seq, "failureConditions: expected at least one condition");
	for (i = 0; i < seq_len(seq); i++) {
		yaml_node_t *item = seq_item(c, seq, i);

		if (i == FL_EXP_MAX_CONDITIONS)
			return fail(c, item,
				    "failureConditions: too many, at most %d",
				    FL_EXP_MAX_CONDITIONS);
		err = parse_condition(c, item, i);
		if (err)
			return err;
		c->exp->n_conditions++;
	}
	return 0;
}

static int parse_spec(struct ctx *c, yaml_node_t *n)
{
	struct map m;
	int err;
	size_t i;

	err = load_map(c, n, "spec", spec_fields, S_N, &m);
	for (i = 0; !err && i < S_N; i++)
		if (i != S_PROBES)
			err = require(c, &m, i);
	if (err)
		return err;

	err = get_duration(c, m.val[S_DURATION], "duration", 1, "1ns",
			   FL_EXP_MAX_DURATION_NS, "24h",
			   &c->exp->duration_ns);
	if (err)
		return err;
	c->duration_text = scalar(m.val[S_DURATION]);

	err = parse_targets(c, m.val[S_TARGETS]);
	if (!err)
		err = parse_faults(c, m.val[S_FAULTS]);
	if (!err && m.val[S_PROBES])
		err = parse_probes(c, m.val[S_PROBES]);
	if (!err)
		err = parse_conditions(c, m.val[S_CONDITIONS]);
	return err;
}

static int parse_root(struct ctx *c, yaml_node_t *root)
{
	struct map m, meta;
	const char *s;
	size_t i;
	int err;

	err = check_tags(c);
	if (!err)
		err = load_map(c, root, "", root_fields, R_N, &m);
	for (i = 0; !err && i < R_N; i++)
		err = require(c, &m, i);
	if (err)
		return err;

	err = get_string(c, m.val[R_API], "apiVersion", FL_EXP_API_VERSION, &s);
	if (err)
		return err;
	if (strcmp(s, FL_EXP_API_VERSION))
		return bad_value(c, m.val[R_API], "apiVersion",
				 FL_EXP_API_VERSION);
	err = get_string(c, m.val[R_KIND], "kind", FL_EXP_KIND, &s);
	if (err)
		return err;
	if (strcmp(s, FL_EXP_KIND))
		return bad_value(c, m.val[R_KIND], "kind", FL_EXP_KIND);

	err = load_map(c, m.val[R_METADATA], "metadata", metadata_fields, M_N,
		       &meta);
	if (!err)
		err = require(c, &meta, M_NAME);
	if (!err)
		err = get_name(c, meta.val[M_NAME], "metadata.name",
			       c->exp->name);
	if (err)
		return err;

	return parse_spec(c, m.val[R_SPEC]);
}

/* Line and column of a byte offset, for reader errors that carry no
 * mark.
 */
static yaml_mark_t offset_mark(const char *text, size_t len, size_t off)
{
	yaml_mark_t m = { 0 };
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	m.index = off;
	return m;
}

static int syntax_error(struct ctx *c, yaml_parser_t *p, const char *text,
			size_t len)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "cannot parse YAML";

	if (p->error == YAML_MEMORY_ERROR) {
		fail_at(c, m, "out of memory");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR)
		m = offset_mark(text, len, p->problem_offset);
	if (p->context)
		return fail_at(c, m, "YAML syntax error: %s (%s)", problem,
			       p->context);
	return fail_at(c, m, "YAML syntax error: %s", problem);
}

int fl_experiment_parse(const char *name, const char *text, size_t len,
			struct fl_experiment *exp, char *err, size_t errlen)
{
	struct ctx c = {
		.file = name ? name : "<experiment>",
		.err = err,
		.errlen = errlen,
		.exp = exp,
	};
	yaml_document_t doc, extra;
	yaml_parser_t parser;
	yaml_node_t *root;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!exp || (!text && len))
		return -EINVAL;
	if (!text)
		text = "";	/* libyaml wants a buffer, even an empty one */
	memset(exp, 0, sizeof(*exp));
	if (!yaml_parser_initialize(&parser)) {
		fail_at(&c, (yaml_mark_t){ 0 }, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
				     len);
	if (!yaml_parser_load(&parser, &doc)) {
		ret = syntax_error(&c, &parser, text, len);
		yaml_parser_delete(&parser);
		return ret;
	}
	c.doc = &doc;

	root = yaml_document_get_root_node(&doc);
	if (!root) {
		ret = fail_at(&c, doc.start_mark,
			      "empty document: expected an Experiment");
		goto out;
	}
	ret = parse_root(&c, root);
	if (ret)
		goto out;

	/* A second document would be silently ignored: refuse it. */
	if (!yaml_parser_load(&parser, &extra)) {
		ret = syntax_error(&c, &parser, text, len);
		goto out;
	}
	if (yaml_document_get_root_node(&extra))
		ret = fail_at(&c, extra.start_mark,
			      "a second document starts here; an experiment file holds one");
	yaml_document_delete(&extra);
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!ret) {
		snprintf(exp->file, sizeof(exp->file), "%s", c.file);
		/* @text need not end in a NUL (strndup's interceptors may
		 * look one byte past it): copy exactly @len bytes
		 */
		exp->text = malloc(len + 1);
		if (exp->text) {
			memcpy(exp->text, text, len);
			exp->text[len] = 0;
		} else {
			ret = -ENOMEM;
		}
	}
	if (ret)
		fl_experiment_free(exp);
	return ret;
}

static int io_error(const char *path, int e, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	/* the user named the wrong thing: exit 2, like any bad input */
	if (e == ENOENT || e == ENOTDIR || e == EISDIR || e == EFBIG || e == EACCES)
		return -EINVAL;
	return -e;
}

int fl_experiment_load(const char *path, struct fl_experiment *exp, char *err,
		       size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (!path || !exp)
		return -EINVAL;
	memset(exp, 0, sizeof(*exp));
	ret = fl_read_file(path, FL_EXP_MAX_FILE_BYTES, &buf, &len);
	if (ret)
		return io_error(path, -ret, err, errlen);
	ret = fl_experiment_parse(path, buf, len, exp, err, errlen);
	free(buf);
	return ret;
}

void fl_experiment_free(struct fl_experiment *exp)
{
	int i;

	if (!exp)
		return;
	/* Every slot, not just the first n: a failed parse leaves the
	 * strings of the item it stopped in, and unused slots are zero.
	 */
	for (i = 0; i < FL_EXP_MAX_TARGETS; i++)
		fl_exp_target_free(&exp->targets[i]);
	for (i = 0; i < FL_EXP_MAX_CONDITIONS; i++) {
		free(exp->conditions[i].prom_url);
		free(exp->conditions[i].prom_query);
	}
	for (i = 0; i < FL_EXP_MAX_PROBES; i++) {
		free(exp->probes[i].url);
		free(exp->probes[i].address);
		free(exp->probes[i].netns);
	}
	free(exp->text);
	memset(exp, 0, sizeof(*exp));
}

int fl_experiment_find_probe(const struct fl_experiment *exp,
			     const char *name)
{
	int i;

	if (!exp || !name)
		return -1;
	for (i = 0; i < exp->n_probes; i++)
		if (!strcmp(exp->probes[i].name, name))
			return i;
	return -1;
}
