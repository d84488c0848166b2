/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The agent's spec directory, watched with inotify: each *.yaml file in
 * it is an experiment. A file written and closed, or moved in, is
 * "changed" (new, or to restart); one deleted or moved out is "removed".
 */
#ifndef FL_SPECDIR_H
#define FL_SPECDIR_H

#include <limits.h>
#include <stdbool.h>

enum fl_specdir_event {
	FL_SPECDIR_CHANGED,
	FL_SPECDIR_REMOVED,
};

/* @path is the file's full path. */
typedef void (*fl_specdir_cb)(void *ctx, const char *path, enum fl_specdir_event ev);

struct fl_specdir {
	char dir[PATH_MAX];
	int fd;			/* inotify; -1 when there is no directory */
};

/* Watch @dir (which must exist). 0, or -errno with why in @err. */
int fl_specdir_open(struct fl_specdir *sd, const char *dir, char *err, size_t errlen);
void fl_specdir_close(struct fl_specdir *sd);
/* Every event waiting (non-blocking), through @cb. 0 or -errno. */
int fl_specdir_read(struct fl_specdir *sd, fl_specdir_cb cb, void *ctx);
/* Every experiment file there now, as CHANGED. 0 or -errno. */
int fl_specdir_scan(struct fl_specdir *sd, fl_specdir_cb cb, void *ctx);
/* Is @name an experiment file's name (*.yaml or *.yml, not hidden)? */
bool fl_specdir_is_spec(const char *name);

#endif /* FL_SPECDIR_H */
