/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's control socket: a Unix stream socket, mode 0600, whose
 * peers are checked with SO_PEERCRED, speaking JSON lines: one request
 * object per line, one or more response objects per request, each on a
 * line of its own.
 *
 *   {"op":"submit","file":"/abs/x.yaml"} | {"op":"submit","yaml":"..."}
 *       optional "follow":true: the stream of "follow" on this connection
 *   {"op":"status"}
 *   {"op":"stop","name":"N"} | {"op":"stop","all":true}
 *   {"op":"follow","name":"N"}
 */
#ifndef FL_CONTROL_H
#define FL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FL_AGENT_SOCKET		"/run/faultline/agent.sock"
/* a request line longer than this is refused: an experiment file is at
 * most FL_EXP_MAX_FILE_BYTES and JSON escaping may double it
 */
#define FL_CTL_MAX_LINE		(2 << 20)

enum fl_ctl_op {
	FL_CTL_SUBMIT,
	FL_CTL_STATUS,
	FL_CTL_STOP,
	FL_CTL_FOLLOW,
};

/* What a request asks; the strings point into the parsed line's object,
 * valid until fl_ctl_req_free().
 */
struct fl_ctl_req {
	enum fl_ctl_op op;
	const char *file;	/* submit: an absolute path, or NULL */
	const char *yaml;	/* submit: the text, or NULL */
	const char *name;	/* stop, follow */
	bool all;		/* stop */
	bool follow;		/* submit: follow it on this connection */
	struct json_object *obj;
};

/* Parse one request line. 0, or -EINVAL with why in @err. */
int fl_ctl_parse(const char *line, struct fl_ctl_req *req, char *err, size_t errlen);
void fl_ctl_req_free(struct fl_ctl_req *req);

/* Error classes, with the exit code a command line client returns. */
#define FL_CTL_INVALID	"invalid"	/* 2 */
#define FL_CTL_RUNTIME	"runtime"	/* 3 */

/* Listen on @path: a stale socket file (no one accepts) is replaced, a
 * live one is -EADDRINUSE. The file is mode 0600. The fd, or -errno with
 * why in @err.
 */
int fl_ctl_listen(const char *path, char *err, size_t errlen);
/* The peer's uid through SO_PEERCRED, or -errno. */
int fl_ctl_peer_uid(int fd, uid_t *uid);
/* Connect to an agent's socket: the fd, or -errno. */
int fl_ctl_connect(const char *path);
/* Write one JSON object as a line (blocking, bounded by the socket's send
 * timeout). 0 or -errno.
 */
int fl_ctl_send(int fd, struct json_object *o);

/* Lines from a stream socket. */
struct fl_ctl_lines {
	char *buf;
	size_t len, cap;
};
/* Read what is there (non-blocking fds return at once): 1 while the
 * peer is there, 0 at its end, -errno on an error or an overlong line.
 */
int fl_ctl_read(int fd, struct fl_ctl_lines *l);
/* The next whole line (its newline replaced by NUL), or NULL. Valid
 * until the next call.
 */
char *fl_ctl_next_line(struct fl_ctl_lines *l, size_t *consumed);
void fl_ctl_consume(struct fl_ctl_lines *l, size_t n);
void fl_ctl_lines_free(struct fl_ctl_lines *l);

#endif /* FL_CONTROL_H */
