// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/kernel/k8s_cgroups.c and fl_pid_cgroup: the path
 * rules for pods (both kubelet cgroup drivers, every QoS class) and
 * containers (containerd, CRI-O, docker names), prefix matching and its
 * ambiguity, and the messages that say what was searched. The trees are
 * plain directories under /tmp: the lookups only read names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "k8s_cgroups.h"
#include "targets.h"

#define UID_G	"0b6d1c2e-1111-4a4a-9c9c-00000000000a"	/* Guaranteed */
#define UID_B	"0b6d1c2e-2222-4a4a-9c9c-00000000000b"	/* Burstable */
#define UID_E	"0b6d1c2e-3333-4a4a-9c9c-00000000000e"	/* BestEffort */
#define UID_G_	"0b6d1c2e_1111_4a4a_9c9c_00000000000a"
#define UID_B_	"0b6d1c2e_2222_4a4a_9c9c_00000000000b"
#define UID_E_	"0b6d1c2e_3333_4a4a_9c9c_00000000000e"

/* 64 hex digits; the first two share their first 14. */
#define ID_A	"a1b2c3d4e5f60718aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_A2	"a1b2c3d4e5f60718bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C	"c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
#define ID_D	"d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
#define ID_E	"eeee0000eeee0000eeee0000eeee0000eeee0000eeee0000eeee0000eeee0000"

struct tree {
	char root[64];
};

static void mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", path, strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/flk8s_unit.XXXXXX");
	if (!mkdtemp(t->root)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;

	nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("'%s'\n  does not contain '%s'", s, part);
}

static void test_uid_systemd(void **state)
{
	char out[64];

	(void)state;
	fl_k8s_uid_systemd(UID_G, out, sizeof(out));
	assert_string_equal(out, UID_G_);
	fl_k8s_uid_systemd("abc", out, sizeof(out));
	assert_string_equal(out, "abc");
	/* a short buffer is cut, never overrun */
	fl_k8s_uid_systemd("ab-cd", out, 4);
	assert_string_equal(out, "ab_");
}

static void test_container_names(void **state)
{
	static const char *const good[] = {
		"cri-containerd-" ID_A ".scope", "crio-" ID_A ".scope", "docker-" ID_A ".scope",
		"crio-" ID_A, ID_A,
	};
	static const char *const bad[] = {
		"crio-conmon-" ID_A ".scope",		/* CRI-O's monitor, not the container */
		"cri-containerd-" ID_A,			/* a systemd name without .scope */
		ID_A ".scope",
		"docker-" ID_A ".slice",
		"a1b2c3d4e5f60718aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",	/* 63 digits */
		"A1B2C3D4E5F60718AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"kubepods-pod" UID_G_ ".slice",
		"",
	};
	char id[FL_K8S_ID_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(id, 0, sizeof(id));
		if (fl_k8s_container_id(good[i], id))
			fail_msg("'%s' should name a container", good[i]);
		assert_string_equal(id, ID_A);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!fl_k8s_container_id(bad[i], id))
			fail_msg("'%s' should not name a container", bad[i]);
}

/* Every layout the kubelet writes, each pod found where it was put. */
static void test_pod_layouts(void **state)
{
	static const struct {
		const char *uid, *rel;
	} pods[] = {
		{ UID_G, "kubepods.slice/kubepods-pod" UID_G_ ".slice" },
		{ UID_B, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_B_ ".slice" },
		{ UID_E, "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_E_ ".slice" },
	};
	static const struct {
		const char *uid, *rel;
	} fs_pods[] = {
		{ UID_G, "kubepods/pod" UID_G },
		{ UID_B, "kubepods/burstable/pod" UID_B },
		{ UID_E, "kubepods/besteffort/pod" UID_E },
	};
	struct tree *t = *state;
	char out[PATH_MAX], want[PATH_MAX], err[2048];
	size_t i;

	/* systemd driver */
	for (i = 0; i < 3; i++)
		mkdirs(t->root, pods[i].rel);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "%s/%s", t->root, pods[i].rel);
		err[0] = '\0';
		if (fl_k8s_pod_cgroup(t->root, pods[i].uid, out, sizeof(out), err, sizeof(err)))
			fail_msg("%s: %s", pods[i].uid, err);
		assert_string_equal(out, want);
	}

	/* cgroupfs driver, in a root of its own */
	{
		char root2[128];

		snprintf(root2, sizeof(root2), "%s/other", t->root);
		assert_int_equal(mkdir(root2, 0755), 0);
		for (i = 0; i < 3; i++)
			mkdirs(root2, fs_pods[i].rel);
		for (i = 0; i < 3; i++) {
			snprintf(want, sizeof(want), "%s/%s", root2, fs_pods[i].rel);
			if (fl_k8s_pod_cgroup(root2, fs_pods[i].uid, out, sizeof(out), err,
					      sizeof(err)))
				fail_msg("%s: %s", fs_pods[i].uid, err);
			assert_string_equal(out, want);
		}
	}
}

static void test_pod_not_found(void **state)
{
	struct tree *t = *state;
	char out[PATH_MAX], err[2048], want[PATH_MAX];

	/* the systemd name with the uid as written, not with '_': not a pod */
	mkdirs(t->root, "kubepods.slice/kubepods-pod" UID_G ".slice");
	/* a cgroupfs pod below a QoS class the kubelet does not have */
	mkdirs(t->root, "kubepods/guaranteed/pod" UID_G);
	assert_int_equal(fl_k8s_pod_cgroup(t->root, UID_G, out, sizeof(out), err, sizeof(err)),
			 -ENOENT);
	snprintf(want, sizeof(want), "no pod with uid " UID_G " under %s (looked for ", t->root);
	assert_contains(err, want);
	assert_contains(err, "kubepods.slice/kubepods-pod" UID_G_ ".slice");
	assert_contains(err, "kubepods.slice/kubepods-{burstable,besteffort}.slice/kubepods-{burstable,besteffort}-pod" UID_G_ ".slice");
	assert_contains(err, "kubepods/pod" UID_G);
	assert_contains(err, "kubepods/{burstable,besteffort}/pod" UID_G);
	assert_contains(err, "pass --cgroup-root");
}

/* One uid in two drivers' trees: which one is the pod is not ours to guess. */
static void test_pod_twice(void **state)
{
	struct tree *t = *state;
	char out[PATH_MAX], err[2048];

	mkdirs(t->root, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_B_ ".slice");
	mkdirs(t->root, "kubepods/burstable/pod" UID_B);
	assert_int_equal(fl_k8s_pod_cgroup(t->root, UID_B, out, sizeof(out), err, sizeof(err)),
			 -EEXIST);
	assert_contains(err, "two cgroups");
	assert_contains(err, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_B_ ".slice and kubepods/burstable/pod" UID_B);
}

static void containers_tree(const char *root)
{
	mkdirs(root, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_B_
		     ".slice/cri-containerd-" ID_A ".scope");
	mkdirs(root, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_B_
		     ".slice/cri-containerd-" ID_A2 ".scope");
	mkdirs(root, "kubepods.slice/kubepods-pod" UID_G_ ".slice/crio-" ID_C ".scope");
	mkdirs(root, "kubepods.slice/kubepods-pod" UID_G_ ".slice/crio-conmon-" ID_E ".scope");
	mkdirs(root, "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_E_
		     ".slice/docker-" ID_D ".scope");
	mkdirs(root, "kubepods/besteffort/pod" UID_E "/" ID_E);
}

static void test_container_found(void **state)
{
	static const struct {
		const char *id, *rel;
	} cases[] = {
		{ ID_A, "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_B_
			".slice/cri-containerd-" ID_A ".scope" },
		{ "a1b2c3d4e5f60718a", "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			UID_B_ ".slice/cri-containerd-" ID_A ".scope" },
		{ "a1b2c3d4e5f60718b", "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			UID_B_ ".slice/cri-containerd-" ID_A2 ".scope" },
		{ "c0ffee00c0ff", "kubepods.slice/kubepods-pod" UID_G_ ".slice/crio-" ID_C ".scope" },
		{ "d0d0d0d0d0d0", "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
			UID_E_ ".slice/docker-" ID_D ".scope" },
		/* ID_E's conmon scope is not a container: only the cgroupfs one is */
		{ "eeee0000eeee", "kubepods/besteffort/pod" UID_E "/" ID_E },
	};
	struct tree *t = *state;
	char out[PATH_MAX], want[PATH_MAX], err[2048];
	size_t i;

	containers_tree(t->root);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "%s/%s", t->root, cases[i].rel);
		err[0] = '\0';
		if (fl_k8s_container_cgroup(t->root, cases[i].id, out, sizeof(out), err,
					    sizeof(err)))
			fail_msg("%s: %s", cases[i].id, err);
		assert_string_equal(out, want);
	}
}

static void test_container_ambiguous(void **state)
{
	struct tree *t = *state;
	char out[PATH_MAX] = "", err[2048], want[PATH_MAX];

	containers_tree(t->root);
	assert_int_equal(fl_k8s_container_cgroup(t->root, "a1b2c3d4e5f60718", out, sizeof(out),
						 err, sizeof(err)), -EEXIST);
	snprintf(want, sizeof(want),
		 "container id prefix a1b2c3d4e5f60718 is ambiguous under %s: 2 containers start with it:",
		 t->root);
	assert_contains(err, want);
	assert_contains(err, ID_A " (kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
			UID_B_ ".slice/cri-containerd-" ID_A ".scope)");
	assert_contains(err, ID_A2);
	assert_contains(err, "give more of the id");
	assert_string_equal(out, "");
}

static void test_container_not_found(void **state)
{
	struct tree *t = *state;
	char out[PATH_MAX], err[2048], want[PATH_MAX];

	containers_tree(t->root);
	/* a container-like name that is not inside a pod's cgroup */
	mkdirs(t->root, "kubepods.slice/cri-containerd-" ID_D "00" ".scope");
	mkdirs(t->root, "system.slice/docker-" "f00df00df00df00df00df00df00df00df00df00df00df00df00df00df00df00d" ".scope");
	assert_int_equal(fl_k8s_container_cgroup(t->root, "f00df00df00d", out, sizeof(out), err,
						 sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want),
		 "no container with id f00df00df00d under %s (looked in 4 pod cgroups under kubepods.slice/ and kubepods/ for cri-containerd-ID.scope, crio-ID.scope, docker-ID.scope, crio-ID and ID); is the kubelet's --cgroup-root different? pass --cgroup-root DIR (inject) or set FAULTLINE_CGROUP_ROOT",
		 t->root);
	assert_string_equal(err, want);
	/* the conmon scope's id is not a container's */
	assert_int_equal(fl_k8s_container_cgroup(t->root, ID_E, out, sizeof(out), err,
						 sizeof(err)), 0);
	rmdir(out);
	assert_int_equal(fl_k8s_container_cgroup(t->root, ID_E, out, sizeof(out), err,
						 sizeof(err)), -ENOENT);
}

static void test_cgroup_root(void **state)
{
	char mnt[PATH_MAX], out[PATH_MAX], err[1024], want[2 * PATH_MAX + 128];
	const char *from = NULL;
	struct tree *t = *state;

	if (fl_cgroup2_mount(mnt, sizeof(mnt)))
		fail_msg("no cgroup2 mount on this machine");
	unsetenv(FL_K8S_ROOT_ENV);
	assert_int_equal(fl_k8s_cgroup_root(NULL, out, sizeof(out), &from, err, sizeof(err)), 0);
	assert_string_equal(out, mnt);
	assert_string_equal(from, "the cgroup2 mount");
	/* a path on the mount is taken as it is */
	assert_int_equal(fl_k8s_cgroup_root(mnt, out, sizeof(out), &from, err, sizeof(err)), 0);
	assert_string_equal(out, mnt);
	assert_string_equal(from, "--cgroup-root");
	/* the kubelet's "/" is the mount */
	assert_int_equal(fl_k8s_cgroup_root("/", out, sizeof(out), &from, err, sizeof(err)), 0);
	assert_string_equal(out, mnt);
	/* the environment, when no flag */
	setenv(FL_K8S_ROOT_ENV, "/", 1);
	assert_int_equal(fl_k8s_cgroup_root("", out, sizeof(out), &from, err, sizeof(err)), 0);
	assert_string_equal(from, FL_K8S_ROOT_ENV);
	/* any other path is a cgroup path below the mount */
	setenv(FL_K8S_ROOT_ENV, t->root, 1);
	assert_int_equal(fl_k8s_cgroup_root(NULL, out, sizeof(out), &from, err, sizeof(err)),
			 -ENOENT);
	snprintf(want, sizeof(want), "cgroup root %s%s (" FL_K8S_ROOT_ENV " '%s') is not a directory",
		 mnt, t->root, t->root);
	assert_string_equal(err, want);
	unsetenv(FL_K8S_ROOT_ENV);
}

static void test_pid_cgroup(void **state)
{
	char line[PATH_MAX + 8], out[PATH_MAX], want[2 * PATH_MAX + 16], mnt[PATH_MAX], err[1024];
	FILE *f;
	int ret;

	(void)state;
	assert_int_equal(fl_cgroup2_mount(mnt, sizeof(mnt)), 0);
	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	want[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(want, sizeof(want), "%s%s", mnt, line + 3);
		}
	fclose(f);
	ret = fl_pid_cgroup(getpid(), out, sizeof(out), err, sizeof(err));
	if (!strcmp(want + strlen(mnt), "/")) {
		/* the test runs in the root cgroup: that is refused */
		assert_int_equal(ret, -EINVAL);
		assert_contains(err, "is in the root cgroup");
	} else {
		if (ret)
			fail_msg("%s", err);
		assert_string_equal(out, want);
	}
	/* above any pid_max the kernel allows (2^22) */
	assert_int_equal(fl_pid_cgroup(4194305, out, sizeof(out), err, sizeof(err)), -ESRCH);
	assert_string_equal(err, "no process with pid 4194305");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uid_systemd),
		cmocka_unit_test(test_container_names),
		cmocka_unit_test_setup_teardown(test_pod_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pod_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pod_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_ambiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_container_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_root, setup, teardown),
		cmocka_unit_test(test_pid_cgroup),
	};

	return cmocka_run_group_tests_name("k8s_cgroups", tests, NULL, NULL);
}
