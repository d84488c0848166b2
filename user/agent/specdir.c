// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The spec directory (see specdir.h). IN_CLOSE_WRITE, not IN_MODIFY: a
 * file is read once its writer is done with it, never half-written.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common.h"
#include "specdir.h"

#define FL_SPECDIR_MASK	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | \
			 IN_DELETE_SELF | IN_MOVE_SELF)

bool fl_specdir_is_spec(const char *name)
{
	size_t n = strlen(name);

	/* editors write hidden temporaries next to the file */
	if (!n || name[0] == '.')
		return false;
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

int fl_specdir_open(struct fl_specdir *sd, const char *dir, char *err, size_t errlen)
{
	int ret;

	sd->fd = -1;
	snprintf(sd->dir, sizeof(sd->dir), "%s", dir);
	sd->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sd->fd < 0) {
		ret = -errno;
		fl_set_err(err, errlen, "inotify: %s", strerror(errno));
		return ret;
	}
	if (inotify_add_watch(sd->fd, dir, FL_SPECDIR_MASK | IN_ONLYDIR) < 0) {
		ret = -errno;
		fl_set_err(err, errlen, "--spec-dir %s: %s", dir, strerror(errno));
		close(sd->fd);
		sd->fd = -1;
		return ret;
	}
	return 0;
}

void fl_specdir_close(struct fl_specdir *sd)
{
	if (sd->fd >= 0)
		close(sd->fd);
	sd->fd = -1;
}

static void fl_specdir_emit(struct fl_specdir *sd, const char *name, enum fl_specdir_event ev,
			    fl_specdir_cb cb, void *ctx)
{
	char path[PATH_MAX];

	if (!fl_specdir_is_spec(name))
		return;
	if (snprintf(path, sizeof(path), "%s/%s", sd->dir, name) >= (int)sizeof(path))
		return;
	cb(ctx, path, ev);
}

int fl_specdir_read(struct fl_specdir *sd, fl_specdir_cb cb, void *ctx)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));

	if (sd->fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(sd->fd, buf, sizeof(buf));
		char *p;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		for (p = buf; p < buf + n;) {
			const struct inotify_event *ie = (const struct inotify_event *)p;

			p += sizeof(*ie) + ie->len;
			if (ie->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
				return -ENOENT;
			if (!ie->len || (ie->mask & IN_ISDIR))
				continue;
			if (ie->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
				fl_specdir_emit(sd, ie->name, FL_SPECDIR_CHANGED, cb, ctx);
			else if (ie->mask & (IN_DELETE | IN_MOVED_FROM))
				fl_specdir_emit(sd, ie->name, FL_SPECDIR_REMOVED, cb, ctx);
		}
	}
}

int fl_specdir_scan(struct fl_specdir *sd, fl_specdir_cb cb, void *ctx)
{
	struct dirent **list;
	int i, n;

	/* sorted: experiments start in the same order every time */
	n = scandir(sd->dir, &list, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		if (list[i]->d_type == DT_REG || list[i]->d_type == DT_UNKNOWN)
			fl_specdir_emit(sd, list[i]->d_name, FL_SPECDIR_CHANGED, cb, ctx);
		free(list[i]);
	}
	free(list);
	return 0;
}
