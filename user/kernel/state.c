// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Lock and records in the run-state directory: root's /run/faultline, or
 * a non-root uid's own under its runtime directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "qdisc.h"
#include "state.h"

static char fl_state_path[PATH_MAX];
static char fl_state_why[512];

/* Is @path a directory of @uid (stat: it may be a symlink to one, as
 * XDG_RUNTIME_DIR may be)?
 */
static bool fl_state_dir_of(const char *path, uid_t uid)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode) && st.st_uid == uid;
}

/* A uid without CAP_DAC_OVERRIDE cannot write in root's directory, and
 * two uids must not share one (a run could then remove another's records):
 * so each keeps its own, where its sessions' other runtime state is.
 */
static int fl_state_resolve(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	uid_t uid = geteuid();
	char user[64];

	/* root's needs no cache: the agent's threads call this too */
	if (uid == 0 || fl_state_path[0])
		return 0;
	/* sudo -u and setpriv keep the caller's XDG_RUNTIME_DIR: only a
	 * directory of this uid counts
	 */
	if (xdg && xdg[0] == '/' && strlen(xdg) < sizeof(fl_state_path) - 16 &&
	    fl_state_dir_of(xdg, uid)) {
		snprintf(fl_state_path, sizeof(fl_state_path), "%s/faultline", xdg);
		return 0;
	}
	snprintf(user, sizeof(user), FL_USER_RUNTIME_DIR "/%u", (unsigned int)uid);
	if (fl_state_dir_of(user, uid)) {
		snprintf(fl_state_path, sizeof(fl_state_path), "%s/faultline", user);
		return 0;
	}
	snprintf(fl_state_why, sizeof(fl_state_why),
		 "uid %u has no runtime directory of its own for faultline's run state "
		 "(XDG_RUNTIME_DIR is %s%s, and %s does not exist or is not its): log in "
		 "through systemd-logind (it makes %s), or set XDG_RUNTIME_DIR to a directory "
		 "that uid %u owns, mode 0700",
		 (unsigned int)uid, xdg ? xdg : "not set", xdg ? ", not a directory of that uid" : "",
		 user, user, (unsigned int)uid);
	fl_str_printable(fl_state_why, sizeof(fl_state_why));
	return -ENOENT;
}

const char *fl_state_dir(void)
{
	if (fl_state_resolve())
		return NULL;
	return geteuid() == 0 ? FL_STATE_DIR : fl_state_path;
}

int fl_state_dir_ready(char *err, size_t errlen)
{
	uid_t uid = geteuid();
	const char *dir;
	struct stat st;
	int ret;

	dir = fl_state_dir();
	if (!dir) {
		fl_set_err(err, errlen, "%s", fl_state_why);
		return -ENOENT;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		fl_set_err(err, errlen, "creating the run-state directory %s failed: %s",
			   dir, strerror(-ret));
		return ret;
	}
	/* lstat: a symlink put there by someone else would send the records
	 * (and cleanup's unlinks) elsewhere
	 */
	if (lstat(dir, &st)) {
		ret = -errno;
		fl_set_err(err, errlen, "reading the run-state directory %s failed: %s",
			   dir, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 022)) {
		fl_set_err(err, errlen,
			   "the run-state directory %s is not a directory of uid %u that only it may write "
			   "(owner %u, mode %03o%s): remove it, and faultline makes it anew (0700)",
			   dir, (unsigned int)uid, (unsigned int)st.st_uid,
			   (unsigned int)(st.st_mode & 07777), S_ISLNK(st.st_mode) ? ", a symlink" : "");
		return -EPERM;
	}
	return 0;
}

int fl_state_for_each_dir(int (*fn)(const char *dir, void *ctx), void *ctx)
{
	struct dirent *de;
	int ret = 0;
	DIR *d;

	if (fl_state_dir()) {
		ret = fn(fl_state_dir(), ctx);
		if (ret)
			return ret;
	}
	if (geteuid() != 0)
		return 0;
	d = opendir(FL_USER_RUNTIME_DIR);
	while (d && !ret && (de = readdir(d))) {
		char path[PATH_MAX], *end;
		struct stat st;
		unsigned long uid;

		uid = strtoul(de->d_name, &end, 10);
		if (!uid || *end || de->d_name[0] == '0')
			continue;
		snprintf(path, sizeof(path), FL_USER_RUNTIME_DIR "/%s/faultline", de->d_name);
		/* only the uid's own directory: not one it links elsewhere */
		if (lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_uid != uid)
			continue;
		ret = fn(path, ctx);
	}
	if (d)
		closedir(d);
	return ret;
}

static int fl_state_mkdir(void)
{
	return fl_state_dir_ready(NULL, 0);
}

int fl_state_lock_dir(const char *dir, bool exclusive, int *fd)
{
	char path[PATH_MAX + 8];
	int err;

	*fd = -1;
	snprintf(path, sizeof(path), "%s/lock", dir);
	/* read-only and never created: the file stays its uid's, and a
	 * directory without one has no run
	 */
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(*fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB)) {
		err = -errno;
		close(*fd);
		*fd = -1;
		return err;
	}
	return 0;
}

int fl_state_lock(bool exclusive, int *fd)
{
	char path[PATH_MAX + 8];
	int err;

	*fd = -1;
	err = fl_state_mkdir();
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/lock", fl_state_dir());
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
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
	snprintf(buf, len, "%s/run.%d.%u", fl_state_dir() ?: FL_STATE_DIR, (int)pid, rec);
}

static void fl_state_record_path(unsigned int rec, char *buf, size_t len)
{
	fl_state_record_path_of(getpid(), rec, buf, len);
}

static FILE *fl_state_append(unsigned int rec)
{
	char path[PATH_MAX + 32];

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
	char path[PATH_MAX + 32];

	fl_state_record_path(rec, path, sizeof(path));
	unlink(path);
}

void fl_state_forget_of(pid_t pid, unsigned int rec)
{
	char path[PATH_MAX + 32];

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

struct fl_stale_walk {
	const struct fl_state_visitor *v;
	int err;
};

static int fl_state_stale_in(const char *dir, void *ctx)
{
	struct fl_stale_walk *w = ctx;
	const struct fl_state_visitor *v = w->v;
	struct dirent *de;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno != ENOENT && !w->err)
			w->err = -errno;
		return 0;
	}
	while ((de = readdir(d))) {
		char path[PATH_MAX + 256], line[4096], *keep = NULL;
		size_t keep_len = 0;
		FILE *f, *kept;
		pid_t pid;

		if (sscanf(de->d_name, "run.%d", &pid) != 1)
			continue;
		if (pid != getpid() && !kill(pid, 0))
			continue;	/* its run is still alive */
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
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
			if (ret && !w->err)
				w->err = ret;
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
	return 0;
}

int fl_state_for_each_stale(const struct fl_state_visitor *v)
{
	struct fl_stale_walk w = { .v = v };

	fl_state_for_each_dir(fl_state_stale_in, &w);
	return w.err;
}
