// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The control socket (see control.h): requests parsed and checked, the
 * socket's file and peer, and JSON lines in both directions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>

#include "common.h"
#include "control.h"

static const struct {
	const char *name;
	enum fl_ctl_op op;
} fl_ctl_ops[] = {
	{ "submit", FL_CTL_SUBMIT },
	{ "status", FL_CTL_STATUS },
	{ "stop", FL_CTL_STOP },
	{ "follow", FL_CTL_FOLLOW },
};

/* A string member: 0 and *out (NULL when absent), or -EINVAL. */
static int fl_ctl_str(json_object *o, const char *key, const char **out, char *err,
		      size_t errlen)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		fl_set_err(err, errlen, "\"%s\" must be a string", key);
		return -EINVAL;
	}
	*out = json_object_get_string(v);
	return 0;
}

static int fl_ctl_bool(json_object *o, const char *key, bool *out, char *err, size_t errlen)
{
	json_object *v;

	*out = false;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		fl_set_err(err, errlen, "\"%s\" must be true or false", key);
		return -EINVAL;
	}
	*out = json_object_get_boolean(v);
	return 0;
}

static int fl_ctl_check(struct fl_ctl_req *r, char *err, size_t errlen)
{
	json_object *o = r->obj;
	int ret;

	ret = fl_ctl_str(o, "file", &r->file, err, errlen) ?:
	      fl_ctl_str(o, "yaml", &r->yaml, err, errlen) ?:
	      fl_ctl_str(o, "name", &r->name, err, errlen) ?:
	      fl_ctl_bool(o, "all", &r->all, err, errlen) ?:
	      fl_ctl_bool(o, "follow", &r->follow, err, errlen);
	if (ret)
		return ret;
	switch (r->op) {
	case FL_CTL_SUBMIT:
		if (!r->file == !r->yaml) {
			fl_set_err(err, errlen, "submit needs exactly one of \"file\" and \"yaml\"");
			return -EINVAL;
		}
		/* the agent's working directory is no client's */
		if (r->file && r->file[0] != '/') {
			fl_set_err(err, errlen, "submit: \"file\" must be an absolute path, not '%s'",
				   r->file);
			return -EINVAL;
		}
		break;
	case FL_CTL_STOP:
		if (!r->name == !r->all) {
			fl_set_err(err, errlen, "stop needs \"name\" or \"all\":true");
			return -EINVAL;
		}
		break;
	case FL_CTL_FOLLOW:
		if (!r->name || !r->name[0]) {
			fl_set_err(err, errlen, "follow needs \"name\"");
			return -EINVAL;
		}
		break;
	case FL_CTL_STATUS:
		break;
	}
	return 0;
}

int fl_ctl_parse(const char *line, struct fl_ctl_req *req, char *err, size_t errlen)
{
	enum json_tokener_error jerr;
	json_object *o, *v;
	const char *op;
	size_t i;
	int ret;

	memset(req, 0, sizeof(*req));
	o = json_tokener_parse_verbose(line, &jerr);
	if (!o) {
		fl_set_err(err, errlen, "not JSON: %s", json_tokener_error_desc(jerr));
		return -EINVAL;
	}
	req->obj = o;
	if (!json_object_is_type(o, json_type_object)) {
		fl_set_err(err, errlen, "a request is a JSON object");
		goto bad;
	}
	if (!json_object_object_get_ex(o, "op", &v) || !json_object_is_type(v, json_type_string)) {
		fl_set_err(err, errlen, "a request needs \"op\": submit, status, stop or follow");
		goto bad;
	}
	op = json_object_get_string(v);
	for (i = 0; i < ARRAY_SIZE(fl_ctl_ops); i++)
		if (!strcmp(op, fl_ctl_ops[i].name))
			break;
	if (i == ARRAY_SIZE(fl_ctl_ops)) {
		fl_set_err(err, errlen, "unknown op '%s': submit, status, stop or follow", op);
		goto bad;
	}
	req->op = fl_ctl_ops[i].op;
	ret = fl_ctl_check(req, err, errlen);
	if (ret)
		goto bad;
	return 0;
bad:
	/* the message quotes the request, which the client prints */
	fl_str_printable(err, errlen);
	fl_ctl_req_free(req);
	return -EINVAL;
}

void fl_ctl_req_free(struct fl_ctl_req *req)
{
	json_object_put(req->obj);
	memset(req, 0, sizeof(*req));
}

static int fl_ctl_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int fl_ctl_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, ret;

	ret = fl_ctl_addr(path, &sa);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int fl_ctl_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, ret;

	ret = fl_ctl_addr(path, &sa);
	if (ret) {
		fl_set_err(err, errlen, "socket path %s is too long", path);
		return ret;
	}
	fd = fl_ctl_connect(path);
	if (fd >= 0) {
		close(fd);
		fl_set_err(err, errlen, "another agent listens on %s; give this one its own --socket",
			   path);
		return -EADDRINUSE;
	}
	/* nothing accepts there: a file left by an agent that was killed */
	if (unlink(path) && errno != ENOENT) {
		ret = -errno;
		fl_set_err(err, errlen, "cannot remove the stale socket %s: %s", path, strerror(errno));
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		ret = -errno;
		fl_set_err(err, errlen, "socket: %s", strerror(errno));
		return ret;
	}
	/* the file is created 0600: no window in which others may connect */
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || listen(fd, 16)) {
		ret = -errno;
		fl_set_err(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

int fl_ctl_peer_uid(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	*uid = cred.uid;
	return 0;
}

int fl_ctl_send(int fd, json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s), off = 0;
	char nl = '\n';

	while (off < len) {
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += n;
	}
	while (send(fd, &nl, 1, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int fl_ctl_read(int fd, struct fl_ctl_lines *l)
{
	for (;;) {
		ssize_t n;

		if (l->cap - l->len < 4096) {
			size_t cap = l->cap ? l->cap * 2 : 8192;
			char *b;

			if (cap > FL_CTL_MAX_LINE + 8192)
				return -E2BIG;
			b = realloc(l->buf, cap + 1);
			if (!b)
				return -ENOMEM;
			l->buf = b;
			l->cap = cap;
		}
		n = recv(fd, l->buf + l->len, l->cap - l->len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 1 : -errno;
		if (n == 0)
			return 0;
		l->len += n;
		l->buf[l->len] = 0;
	}
}

char *fl_ctl_next_line(struct fl_ctl_lines *l, size_t *consumed)
{
	char *nl;

	if (!l->len)
		return NULL;
	nl = memchr(l->buf, '\n', l->len);
	if (!nl)
		return NULL;
	*nl = 0;
	*consumed = nl - l->buf + 1;
	return l->buf;
}

void fl_ctl_consume(struct fl_ctl_lines *l, size_t n)
{
	memmove(l->buf, l->buf + n, l->len - n);
	l->len -= n;
	if (l->buf)
		l->buf[l->len] = 0;
}

void fl_ctl_lines_free(struct fl_ctl_lines *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}
