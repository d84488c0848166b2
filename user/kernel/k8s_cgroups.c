// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pods and containers found by their cgroups (see k8s_cgroups.h). The
 * layouts are the kubelet's (both cgroup drivers, the three QoS classes)
 * and the runtimes' (containerd, CRI-O, docker): a node that runs pods has
 * them on disk, so a fault can target a pod or a container without asking
 * the API server where it lives.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "k8s_cgroups.h"
#include "targets.h"

/* Where the kubelet puts pod cgroups, and how it names them. */
struct fl_pod_parent {
	const char *dir;	/* below the root */
	const char *prefix;	/* of a pod's directory name, before the uid */
	const char *suffix;	/* after it */
	bool systemd;		/* the uid spelled with '_' */
};

static const struct fl_pod_parent fl_pod_parents[] = {
	{ "kubepods.slice", "kubepods-pod", ".slice", true },
	{ "kubepods.slice/kubepods-burstable.slice", "kubepods-burstable-pod", ".slice", true },
	{ "kubepods.slice/kubepods-besteffort.slice", "kubepods-besteffort-pod", ".slice", true },
	{ "kubepods", "pod", "", false },
	{ "kubepods/burstable", "pod", "", false },
	{ "kubepods/besteffort", "pod", "", false },
};

/* How the runtimes name a container's cgroup: prefix ID suffix. */
static const struct {
	const char *prefix, *suffix;
} fl_container_names[] = {
	{ "cri-containerd-", ".scope" },	/* containerd, systemd driver */
	{ "crio-", ".scope" },			/* CRI-O, systemd driver */
	{ "docker-", ".scope" },		/* docker (cri-dockerd), systemd driver */
	{ "crio-", "" },			/* CRI-O, cgroupfs driver */
	{ "", "" },				/* containerd and docker, cgroupfs driver */
};

#define FL_K8S_NOT_FOUND_HINT \
	"is the kubelet's --cgroup-root different? pass --cgroup-root DIR (inject) or set " \
	FL_K8S_ROOT_ENV

static bool fl_is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool fl_dirent_is_dir(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return !fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
}

/* "a/b" in buf; false when it does not fit (and is not used). */
static bool fl_join(char *buf, size_t size, const char *a, const char *b)
{
	int n = snprintf(buf, size, "%s/%s", a, b);

	return n >= 0 && (size_t)n < size;
}

static bool fl_has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

int fl_k8s_cgroup_root(const char *given, char *out, size_t len, const char **from, char *err,
		       size_t errlen)
{
	char mnt[PATH_MAX];
	const char *src;
	size_t mlen;
	int ret;

	ret = fl_cgroup2_mount(mnt, sizeof(mnt));
	if (ret) {
		fl_set_err(err, errlen, "no cgroup2 mount in /proc/self/mounts: pods and containers are found by their cgroup v2 directories");
		return ret;
	}
	if (given && *given) {
		src = given;
		*from = "--cgroup-root";
	} else if ((src = getenv(FL_K8S_ROOT_ENV)) && *src) {
		*from = FL_K8S_ROOT_ENV;
	} else {
		snprintf(out, len, "%s", mnt);
		*from = "the cgroup2 mount";
		return 0;
	}
	mlen = strlen(mnt);
	/* the kubelet's --cgroup-root is a cgroup path; a path on the mount
	 * is one already
	 */
	if (!strncmp(src, mnt, mlen) && (src[mlen] == '/' || !src[mlen]))
		ret = snprintf(out, len, "%s", src);
	else
		ret = snprintf(out, len, "%s%s%s", mnt, src[0] == '/' ? "" : "/",
			       strcmp(src, "/") ? src : "");
	if (ret < 0 || (size_t)ret >= len) {
		fl_set_err(err, errlen, "cgroup root '%s' (%s) is too long", src, *from);
		return -ENAMETOOLONG;
	}
	if (!fl_is_dir(out)) {
		fl_set_err(err, errlen, "cgroup root %s (%s '%s') is not a directory", out, *from,
			   src);
		return -ENOENT;
	}
	return 0;
}

void fl_k8s_uid_systemd(const char *uid, char *out, size_t len)
{
	size_t i;

	if (!len)
		return;
	for (i = 0; uid[i] && i + 1 < len; i++)
		out[i] = uid[i] == '-' ? '_' : uid[i];
	out[i] = '\0';
}

int fl_k8s_container_id(const char *name, char *id)
{
	size_t i, j, len = strlen(name);

	for (i = 0; i < ARRAY_SIZE(fl_container_names); i++) {
		size_t p = strlen(fl_container_names[i].prefix);
		size_t s = strlen(fl_container_names[i].suffix);
		const char *hex = name + p;

		if (len != p + FL_K8S_ID_LEN + s || strncmp(name, fl_container_names[i].prefix, p) ||
		    !fl_has_suffix(name, len, fl_container_names[i].suffix))
			continue;
		for (j = 0; j < FL_K8S_ID_LEN; j++)
			if (!((hex[j] >= '0' && hex[j] <= '9') || (hex[j] >= 'a' && hex[j] <= 'f')))
				break;
		if (j < FL_K8S_ID_LEN)
			continue;
		memcpy(id, hex, FL_K8S_ID_LEN);
		id[FL_K8S_ID_LEN] = '\0';
		return 0;
	}
	return -ENOENT;
}

int fl_k8s_pod_cgroup(const char *root, const char *uid, char *out, size_t len, char *err,
		      size_t errlen)
{
	char path[PATH_MAX], first[PATH_MAX], uid_[128];
	size_t i;
	int found = 0;

	fl_k8s_uid_systemd(uid, uid_, sizeof(uid_));
	for (i = 0; i < ARRAY_SIZE(fl_pod_parents); i++) {
		const struct fl_pod_parent *pp = &fl_pod_parents[i];
		int n;

		n = snprintf(path, sizeof(path), "%s/%s/%s%s%s", root, pp->dir, pp->prefix,
			     pp->systemd ? uid_ : uid, pp->suffix);
		if (n < 0 || (size_t)n >= sizeof(path) || !fl_is_dir(path))
			continue;
		/* one pod, one cgroup: two mean a tree the kubelet did not
		 * build alone (a leftover of another driver), and guessing
		 * would target the wrong one
		 */
		if (found++) {
			fl_set_err(err, errlen, "pod uid %s has two cgroups under %s: %s and %s; remove the stale one or pass --cgroup-root",
				   uid, root, first + strlen(root) + 1, path + strlen(root) + 1);
			return -EEXIST;
		}
		snprintf(first, sizeof(first), "%s", path);
	}
	if (!found) {
		fl_set_err(err, errlen,
			   "no pod with uid %s under %s (looked for kubepods.slice/kubepods-pod%s.slice, kubepods.slice/kubepods-{burstable,besteffort}.slice/kubepods-{burstable,besteffort}-pod%s.slice, kubepods/pod%s and kubepods/{burstable,besteffort}/pod%s); "
			   FL_K8S_NOT_FOUND_HINT,
			   uid, root, uid_, uid_, uid, uid);
		return -ENOENT;
	}
	if (strlen(first) >= len) {
		fl_set_err(err, errlen, "the cgroup path of pod %s is too long", uid);
		return -ENAMETOOLONG;
	}
	snprintf(out, len, "%s", first);
	return 0;
}

struct fl_container_search {
	const char *want;
	size_t want_len;
	int pods;		/* pod directories looked in */
	int n;			/* containers that matched */
	char found[FL_K8S_MAX_CANDIDATES][PATH_MAX];
	char ids[FL_K8S_MAX_CANDIDATES][FL_K8S_ID_LEN + 1];
};

/* The containers of one pod directory that match. */
static void fl_search_pod(struct fl_container_search *s, const char *pod)
{
	char id[FL_K8S_ID_LEN + 1];
	struct dirent *de;
	DIR *d;

	d = opendir(pod);
	if (!d)
		return;
	s->pods++;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !fl_dirent_is_dir(d, de))
			continue;
		if (fl_k8s_container_id(de->d_name, id) || strncmp(id, s->want, s->want_len))
			continue;
		if (s->n < FL_K8S_MAX_CANDIDATES) {
			if (!fl_join(s->found[s->n], sizeof(s->found[s->n]), pod, de->d_name))
				continue;
			memcpy(s->ids[s->n], id, sizeof(id));
		}
		s->n++;
	}
	closedir(d);
}

int fl_k8s_container_cgroup(const char *root, const char *id, char *out, size_t len, char *err,
			    size_t errlen)
{
	struct fl_container_search *s;
	char dir[PATH_MAX], pod[PATH_MAX];
	struct dirent *de;
	size_t i, used;
	int ret = 0, k;
	DIR *d;

	s = calloc(1, sizeof(*s));
	if (!s) {
		fl_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->want = id;
	s->want_len = strlen(id);
	for (i = 0; i < ARRAY_SIZE(fl_pod_parents); i++) {
		const struct fl_pod_parent *pp = &fl_pod_parents[i];
		size_t plen = strlen(pp->prefix);

		if (!fl_join(dir, sizeof(dir), root, pp->dir))
			continue;
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			size_t nlen = strlen(de->d_name);

			if (nlen <= plen + strlen(pp->suffix) ||
			    strncmp(de->d_name, pp->prefix, plen) ||
			    !fl_has_suffix(de->d_name, nlen, pp->suffix) ||
			    !fl_dirent_is_dir(d, de) || !fl_join(pod, sizeof(pod), dir, de->d_name))
				continue;
			fl_search_pod(s, pod);
		}
		closedir(d);
	}

	if (!s->n) {
		fl_set_err(err, errlen,
			   "no container with id %s under %s (looked in %d pod cgroup%s under kubepods.slice/ and kubepods/ for cri-containerd-ID.scope, crio-ID.scope, docker-ID.scope, crio-ID and ID); "
			   FL_K8S_NOT_FOUND_HINT,
			   id, root, s->pods, s->pods == 1 ? "" : "s");
		ret = -ENOENT;
		goto cleanup;
	}
	if (s->n > 1) {
		used = (size_t)snprintf(err, errlen,
					"container id prefix %s is ambiguous under %s: %d containers start with it:",
					id, root, s->n);
		for (k = 0; k < s->n && k < FL_K8S_MAX_CANDIDATES && used < errlen; k++)
			used += (size_t)snprintf(err + used, errlen - used, "%s %s (%s)",
						 k ? "," : "", s->ids[k],
						 s->found[k] + strlen(root) + 1);
		if (s->n > FL_K8S_MAX_CANDIDATES && used < errlen)
			used += (size_t)snprintf(err + used, errlen - used, ", and %d more",
						 s->n - FL_K8S_MAX_CANDIDATES);
		if (used < errlen)
			snprintf(err + used, errlen - used, "; give more of the id");
		ret = -EEXIST;
		goto cleanup;
	}
	if (strlen(s->found[0]) >= len) {
		fl_set_err(err, errlen, "the cgroup path of container %s is too long", id);
		ret = -ENAMETOOLONG;
		goto cleanup;
	}
	snprintf(out, len, "%s", s->found[0]);
cleanup:
	free(s);
	return ret;
}
