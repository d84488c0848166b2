/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Pods and containers on this node, found by their cgroups as the kubelet
 * and the container runtimes name them, without the Kubernetes API.
 *
 * Under a cgroup root (kubelet's --cgroup-root, by default the cgroup2
 * mount), a pod's cgroup is, with the systemd driver,
 *   kubepods.slice/kubepods-pod<UID_>.slice                   (Guaranteed)
 *   kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<UID_>.slice
 * where UID_ is the uid with '-' spelled '_' and qos is burstable or
 * besteffort; and with the cgroupfs driver
 *   kubepods/pod<UID>                                          (Guaranteed)
 *   kubepods/<qos>/pod<UID>
 * A container's cgroup is a child of its pod's: cri-containerd-<ID>.scope,
 * crio-<ID>.scope or docker-<ID>.scope under systemd; <ID> or crio-<ID>
 * under cgroupfs, with ID 64 hex digits.
 *
 * Every function takes the root as a directory and only reads it, so the
 * path rules can be tested on any tree.
 */
#ifndef FL_K8S_CGROUPS_H
#define FL_K8S_CGROUPS_H

#include <stddef.h>

#define FL_K8S_ROOT_ENV		"FAULTLINE_CGROUP_ROOT"
#define FL_K8S_ID_LEN		64	/* hex digits of a full container id */
#define FL_K8S_MAX_CANDIDATES	8	/* container ids an ambiguous prefix names */

/* The directory to search: @given (inject's --cgroup-root) when set, else
 * $FAULTLINE_CGROUP_ROOT, else the cgroup2 mount. A path under the mount is
 * taken as it is; any other is a kubelet --cgroup-root, a cgroup path
 * relative to the mount ("/" is the mount itself). @from says which
 * (a static string). 0, or -errno with the reason in @err.
 */
int fl_k8s_cgroup_root(const char *given, char *out, size_t len, const char **from, char *err,
		       size_t errlen);

/* The systemd driver's spelling of a pod uid: '-' becomes '_'. */
void fl_k8s_uid_systemd(const char *uid, char *out, size_t len);

/* The container id a cgroup directory's name spells ("cri-containerd-ID.scope",
 * "crio-ID.scope", "docker-ID.scope", "crio-ID" or "ID"), copied to @id
 * (FL_K8S_ID_LEN + 1 bytes); 0, or -ENOENT for any other name.
 */
int fl_k8s_container_id(const char *name, char *id);

/* The cgroup directory of the pod with @uid under @root, in @out. 0;
 * -ENOENT when no layout has it, -EEXIST when two do, with what was
 * searched and what to do in @err.
 */
int fl_k8s_pod_cgroup(const char *root, const char *uid, char *out, size_t len, char *err,
		      size_t errlen);

/* The cgroup directory of the container whose id is, or starts with, @id
 * (12 to 64 hex digits), in any pod under @root. 0; -ENOENT when none,
 * -EEXIST when the prefix fits more than one (@err names them).
 */
int fl_k8s_container_cgroup(const char *root, const char *id, char *out, size_t len, char *err,
			    size_t errlen);

#endif /* FL_K8S_CGROUPS_H */
