// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Fuzz target: the agent's control socket (control.h). The input is what
 * a client writes: it goes through a real socket pair into the agent's
 * line reader, and each line through the request parser; a submitted
 * document goes on to the experiment parser, as the agent does. A request
 * that parses must be one the agent can act on as documented.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>

#include "fuzz.h"
#include "control.h"
#include "experiment.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fz_quiet();
	return 0;
}

static void fz_request(const char *line)
{
	static struct fl_experiment exp;
	struct fl_ctl_req r;
	char err[1024];

	err[0] = 0;
	if (fl_ctl_parse(line, &r, err, sizeof(err))) {
		fz_check_err_printable(err, sizeof(err));
		FZ_CHECK(r.obj == NULL);
		return;
	}
	switch (r.op) {
	case FL_CTL_SUBMIT:
		FZ_CHECK(!r.file != !r.yaml);
		FZ_CHECK(!r.file || r.file[0] == '/');
		if (r.yaml && !fl_experiment_parse("<submitted>", r.yaml, strlen(r.yaml), &exp,
						   err, sizeof(err)))
			fl_experiment_free(&exp);
		break;
	case FL_CTL_STOP:
		FZ_CHECK(!r.name != !r.all);
		break;
	case FL_CTL_FOLLOW:
		FZ_CHECK(r.name && r.name[0]);
		break;
	case FL_CTL_STATUS:
		break;
	default:
		FZ_CHECK(!"an op outside the table");
	}
	fl_ctl_req_free(&r);
	FZ_CHECK(r.obj == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_ctl_lines l = { 0 };
	size_t off = 0, used;
	int sv[2], ret;
	char *line;

	/* the socket buffer holds it all: one write, then the end */
	if (size > 64 * 1024)
		return -1;
	FZ_CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	while (off < size) {
		ssize_t n = write(sv[0], data + off, size - off);

		FZ_CHECK(n > 0);
		off += n;
	}
	close(sv[0]);
	ret = fl_ctl_read(sv[1], &l);
	FZ_CHECK(ret == 0);
	FZ_CHECK(l.len == size);
	while ((line = fl_ctl_next_line(&l, &used))) {
		FZ_CHECK(used >= 1 && used <= l.len);
		fz_request(line);
		fl_ctl_consume(&l, used);
	}
	/* what is left has no newline: the agent waits for more */
	FZ_CHECK(!l.len || !memchr(l.buf, '\n', l.len));
	fl_ctl_lines_free(&l);
	close(sv[1]);
	return 0;
}
