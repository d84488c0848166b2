// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Target cgroups. A cgroup v2 directory's inode number is its cgroup id,
 * the value bpf_skb_ancestor_cgroup_id() returns; its depth below the
 * mount is the ancestor level the datapath asks for.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common.h"
#include "targets.h"

int fl_cgroup2_mount(char *buf, size_t len)
{
	struct mntent *m;
	int err = -ENOENT;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		snprintf(buf, len, "%s", m->mnt_dir);
		err = 0;
		break;
	}
	endmntent(f);
	return err;
}

int fl_pid_cgroup(pid_t pid, char *out, size_t len, char *err, size_t errlen)
{
	char path[64], line[PATH_MAX + 8], mnt[PATH_MAX];
	int ret = -ENOENT, n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "r");
	if (!f) {
		if (errno != ENOENT)
			fl_set_err(err, errlen, "cannot read %s: %s", path, strerror(errno));
		else
			fl_set_err(err, errlen, "no process with pid %d", (int)pid);
		return -ESRCH;
	}
	/* hybrid hosts list the v1 hierarchies too: only "0::" is v2 */
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		ret = 0;
		break;
	}
	fclose(f);
	if (ret) {
		fl_set_err(err, errlen, "process %d is in no cgroup v2 directory (no 0:: line in %s)",
			   (int)pid, path);
		return ret;
	}
	if (!strcmp(line + 3, "/")) {
		fl_set_err(err, errlen, "process %d is in the root cgroup: that would target every process; name that cgroup itself (cgroup: PATH, --cgroup) if that is meant",
			   (int)pid);
		return -EINVAL;
	}
	ret = fl_cgroup2_mount(mnt, sizeof(mnt));
	if (ret) {
		fl_set_err(err, errlen, "no cgroup2 mount in /proc/self/mounts");
		return ret;
	}
	n = snprintf(out, len, "%s%s", mnt, line + 3);
	if (n < 0 || (size_t)n >= len) {
		fl_set_err(err, errlen, "the cgroup path of process %d is too long", (int)pid);
		return -ENAMETOOLONG;
	}
	return 0;
}

int fl_target_resolve(struct fl_target_spec *t, char *err, size_t errlen)
{
	char real[PATH_MAX], mnt[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	size_t mlen;
	const char *p;

	if (stat(t->path, &st)) {
		snprintf(err, errlen, "cgroup '%s': %s; expected a cgroup v2 directory",
			 t->path, strerror(errno));
		return -ENOENT;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cgroup '%s' is not a directory; expected a cgroup v2 directory",
			 t->path);
		return -ENOTDIR;
	}
	if (statfs(t->path, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, errlen,
			 "cgroup '%s' is not on a cgroup v2 file system; expected a directory under the cgroup2 mount",
			 t->path);
		return -EINVAL;
	}
	if (!realpath(t->path, real) || fl_cgroup2_mount(mnt, sizeof(mnt))) {
		snprintf(err, errlen, "cgroup '%s': cannot find the cgroup2 mount it belongs to",
			 t->path);
		return -EINVAL;
	}
	mlen = strlen(mnt);
	if (strncmp(real, mnt, mlen) || (real[mlen] && real[mlen] != '/')) {
		snprintf(err, errlen, "cgroup '%s' is not below the cgroup2 mount %s", t->path, mnt);
		return -EINVAL;
	}
	snprintf(t->rel, sizeof(t->rel), "%s", real[mlen] ? real + mlen : "/");
	t->cgid = st.st_ino;
	t->level = 0;
	for (p = t->rel; *p; p++)
		if (*p == '/' && p[1])
			t->level++;
	return 0;
}

static int fl_walk_cgroup(const char *dir, int (*fn)(pid_t, void *), void *ctx, int depth)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	long pid;
	FILE *f;
	DIR *d;

	if (depth > 64)
		return 0;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "r");
	if (f) {
		while (!ret && fscanf(f, "%ld", &pid) == 1)
			ret = fn((pid_t)pid, ctx);
		fclose(f);
	}
	if (ret)
		return ret;
	d = opendir(dir);
	if (!d)
		return 0;
	while (!ret && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ret = fl_walk_cgroup(path, fn, ctx, depth + 1);
	}
	closedir(d);
	return ret;
}

int fl_target_for_each_pid(const struct fl_target_spec *t,
			   int (*fn)(pid_t pid, void *ctx), void *ctx)
{
	return fl_walk_cgroup(t->path, fn, ctx, 0);
}

bool fl_target_covers(const struct fl_target_spec *a, const struct fl_target_spec *b)
{
	size_t n = strlen(a->rel);

	if (a->cgid == b->cgid)
		return true;
	if (!strcmp(a->rel, "/"))
		return true;
	return !strncmp(a->rel, b->rel, n) && b->rel[n] == '/';
}

int fl_pid_in_targets(pid_t pid, const struct fl_spec *spec)
{
	char path[64], line[PATH_MAX + 8];
	int found = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *cg;
		size_t n;

		if (strncmp(line, "0::", 3))
			continue;
		cg = line + 3;
		cg[strcspn(cg, "\n")] = 0;
		for (i = 0; i < spec->n_targets && !found; i++) {
			const char *rel = spec->targets[i].rel;

			n = strlen(rel);
			if (!strcmp(rel, "/") ||
			    (!strncmp(cg, rel, n) && (cg[n] == 0 || cg[n] == '/')))
				found = 1;
		}
	}
	fclose(f);
	return found;
}
