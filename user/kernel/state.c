// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Lock and records under /run/faultline. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qdisc.h"
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

int fl_state_tc_lock(int *fd)
{
	int err;

	*fd = -1;
	err = fl_state_mkdir();
	if (err)
		return err;
	*fd = open(FL_STATE_DIR "/tc.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return -errno;
	while (flock(*fd, LOCK_EX)) {
		if (errno == EINTR)
			continue;
		err = -errno;
		close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}

static void fl_state_mark_path(ino_t ino, dev_t dev, int ifindex, char *buf, size_t len)
{
	snprintf(buf, len, FL_STATE_DIR "/clsact.%lu.%lu.%d", (unsigned long)ino,
		 (unsigned long)dev, ifindex);
}

int fl_state_mark_clsact(ino_t netns_ino, dev_t netns_dev, int ifindex, const char *ifname)
{
	char path[128];
	FILE *f;

	if (fl_state_mkdir())
		return -errno;
	fl_state_mark_path(netns_ino, netns_dev, ifindex, path, sizeof(path));
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", ifname);
	return fclose(f) ? -errno : 0;
}

bool fl_state_clsact_marked(ino_t netns_ino, dev_t netns_dev, int ifindex, const char *ifname)
{
	char path[128], name[IF_NAMESIZE + 2] = "";
	FILE *f;

	fl_state_mark_path(netns_ino, netns_dev, ifindex, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(name, sizeof(name), f))
		name[0] = 0;
	fclose(f);
	name[strcspn(name, "\n")] = 0;
	/* the same device: an ifindex may have been reused */
	return !strcmp(name, ifname);
}

void fl_state_unmark_clsact(ino_t netns_ino, dev_t netns_dev, int ifindex)
{
	char path[128];

	fl_state_mark_path(netns_ino, netns_dev, ifindex, path, sizeof(path));
	unlink(path);
}

void fl_state_for_each_clsact_mark(int (*fn)(ino_t ino, dev_t dev, int ifindex,
					     const char *ifname, void *ctx),
				   void *ctx)
{
	struct dirent *de;
	DIR *d;

	d = opendir(FL_STATE_DIR);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[512], name[IF_NAMESIZE + 2] = "";
		unsigned long ino, dev;
		int ifindex;
		FILE *f;

		if (sscanf(de->d_name, "clsact.%lu.%lu.%d", &ino, &dev, &ifindex) != 3)
			continue;
		snprintf(path, sizeof(path), FL_STATE_DIR "/%s", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(name, sizeof(name), f))
			name[0] = 0;
		fclose(f);
		name[strcspn(name, "\n")] = 0;
		fn(ino, dev, ifindex, name, ctx);
	}
	closedir(d);
}

/* One process may hold several runs (the engine's jobs): each has its own
 * record, named by the pid and a number unique within the process.
 */
unsigned int fl_state_new_record(void)
{
	static unsigned int seq;

	return __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
}

static void fl_state_record_path_of(pid_t pid, unsigned int rec, char *buf, size_t len)
{
	snprintf(buf, len, FL_STATE_DIR "/run.%d.%u", (int)pid, rec);
}

static void fl_state_record_path(unsigned int rec, char *buf, size_t len)
{
	fl_state_record_path_of(getpid(), rec, buf, len);
}

static FILE *fl_state_append(unsigned int rec)
{
	char path[128];

	if (fl_state_mkdir())
		return NULL;
	fl_state_record_path(rec, path, sizeof(path));
	return fopen(path, "a");
}

int fl_state_record_clsact(unsigned int rec, ino_t netns_ino, dev_t netns_dev, int ifindex,
			   const char *ifname)
{
	FILE *f = fl_state_append(rec);

	if (!f)
		return -errno;
	fprintf(f, "clsact %lu %lu %d %s\n", (unsigned long)netns_ino, (unsigned long)netns_dev,
		ifindex, ifname);
	return fclose(f) ? -errno : 0;
}

int fl_state_record_qdisc(unsigned int rec, ino_t netns_ino, dev_t netns_dev, const char *ifname,
			  const struct fl_qdisc_saved *saved)
{
	FILE *f = fl_state_append(rec);
	size_t i;

	if (!f)
		return -errno;
	fprintf(f, "qdisc %lu %lu %d %s %s %u %d ", (unsigned long)netns_ino,
		(unsigned long)netns_dev, saved->ifindex, ifname, saved->kind, saved->handle,
		saved->is_default);
	for (i = 0; i < saved->opts_len; i++)
		fprintf(f, "%02x", saved->opts[i]);
	fprintf(f, "%s\n", saved->opts_len ? "" : "-");
	return fclose(f) ? -errno : 0;
}

void fl_state_forget(unsigned int rec)
{
	char path[128];

	fl_state_record_path(rec, path, sizeof(path));
	unlink(path);
}

void fl_state_forget_of(pid_t pid, unsigned int rec)
{
	char path[128];

	fl_state_record_path_of(pid, rec, path, sizeof(path));
	unlink(path);
}

static int fl_state_parse_qdisc(const char *line, unsigned long *ino, unsigned long *dev,
				char *ifname, struct fl_qdisc_saved *q)
{
	char hex[2 * FL_QDISC_OPTS_MAX + 2];
	int is_default, n = 0;
	size_t i;

	memset(q, 0, sizeof(*q));
	if (sscanf(line, "qdisc %lu %lu %d %15s %15s %u %d %2049s", ino, dev, &q->ifindex, ifname,
		   q->kind, &q->handle, &is_default, hex) != 8)
		return -EINVAL;
	q->is_default = is_default;
	if (strcmp(hex, "-")) {
		for (i = 0; hex[2 * i] && hex[2 * i + 1] && i < FL_QDISC_OPTS_MAX; i++) {
			unsigned int b;

			if (sscanf(hex + 2 * i, "%2x", &b) != 1)
				return -EINVAL;
			q->opts[i] = b;
			n++;
		}
	}
	q->opts_len = n;
	q->installed = true;
	return 0;
}

int fl_state_for_each_stale(const struct fl_state_visitor *v)
{
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = opendir(FL_STATE_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[512], line[4096], *keep = NULL;
		size_t keep_len = 0;
		FILE *f, *kept;
		pid_t pid;

		if (sscanf(de->d_name, "run.%d", &pid) != 1)
			continue;
		if (pid != getpid() && !kill(pid, 0))
			continue;	/* its run is still alive */
		snprintf(path, sizeof(path), FL_STATE_DIR "/%s", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		kept = open_memstream(&keep, &keep_len);
		if (!kept && v->in_scope) {
			fclose(f);	/* cannot keep what is out of scope: leave it all */
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			unsigned long ino, dev;
			char name[IF_NAMESIZE];
			struct fl_qdisc_saved q;
			int ifindex, ret = 0;

			if (sscanf(line, "clsact %lu %lu %d %15s", &ino, &dev, &ifindex, name) == 4) {
				if (v->in_scope && !v->in_scope(ino, dev, v->ctx))
					goto keep;
				ret = v->clsact ? v->clsact(ino, dev, ifindex, name, v->ctx) : 0;
			} else if (!fl_state_parse_qdisc(line, &ino, &dev, name, &q)) {
				if (v->in_scope && !v->in_scope(ino, dev, v->ctx))
					goto keep;
				ret = v->qdisc ? v->qdisc(ino, dev, name, &q, v->ctx) : 0;
			}
			if (ret && !err)
				err = ret;
			continue;
keep:
			if (kept)
				fputs(line, kept);
		}
		fclose(f);
		if (kept)
			fclose(kept);
		/* a scoped cleanup leaves the other namespaces' lines for a later one */
		if (keep && keep_len) {
			f = fopen(path, "w");
			if (f) {
				fputs(keep, f);
				fclose(f);
			}
		} else {
			unlink(path);
		}
		free(keep);
	}
	closedir(d);
	return err;
}
