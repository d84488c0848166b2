// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Lock and records under /run/faultline. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

static int fl_state_mkdir(void)
{
	if (mkdir(FL_STATE_DIR, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int fl_state_lock(bool exclusive, int *fd)
{
	int err;

	*fd = -1;
	err = fl_state_mkdir();
	if (err)
		return err;
	*fd = open(FL_STATE_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return -errno;
	if (flock(*fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB)) {
		err = -errno;
		close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}

void fl_state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void fl_state_record_path(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, FL_STATE_DIR "/clsact.%d", pid);
}

int fl_state_record_clsact(ino_t netns_ino, dev_t netns_dev, int ifindex, const char *ifname)
{
	char path[128];
	FILE *f;
	int err;

	err = fl_state_mkdir();
	if (err)
		return err;
	fl_state_record_path(getpid(), path, sizeof(path));
	f = fopen(path, "a");
	if (!f)
		return -errno;
	fprintf(f, "%lu %lu %d %s\n", (unsigned long)netns_ino, (unsigned long)netns_dev, ifindex,
		ifname);
	err = fclose(f) ? -errno : 0;
	return err;
}

void fl_state_forget_clsact(void)
{
	char path[128];

	fl_state_record_path(getpid(), path, sizeof(path));
	unlink(path);
}

int fl_state_for_each_stale_clsact(int (*fn)(ino_t ino, dev_t dev, int ifindex,
					     const char *ifname, void *ctx),
				   void *ctx)
{
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(FL_STATE_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		unsigned long ino, dev;
		char path[512], name[64];
		int ifindex;
		pid_t pid;
		FILE *f;

		if (sscanf(de->d_name, "clsact.%d", &pid) != 1)
			continue;
		if (pid != getpid() && !kill(pid, 0))
			continue;	/* its run is still alive */
		snprintf(path, sizeof(path), FL_STATE_DIR "/%s", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fscanf(f, "%lu %lu %d %63s", &ino, &dev, &ifindex, name) == 4) {
			int ret = fn((ino_t)ino, (dev_t)dev, ifindex, name, ctx);

			if (ret && !err)
				err = ret;
		}
		fclose(f);
		unlink(path);
	}
	closedir(d);
	return err;
}
