/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Where the Kubernetes API is and who the agent is to it: a kubeconfig
 * file (its current context: the cluster's server and CA, the user's
 * bearer token or client certificate, inline "-data" or by file), or,
 * in a pod, the service account's token and CA under
 * /var/run/secrets/kubernetes.io/serviceaccount with
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.
 */
#ifndef FL_K8S_KUBECONFIG_H
#define FL_K8S_KUBECONFIG_H

#include <stddef.h>

#define FL_K8S_SA_DIR	"/var/run/secrets/kubernetes.io/serviceaccount"

/* PEM blobs and the token are owned (NULL: none). */
struct fl_k8s_cfg {
	char server[512];	/* "https://host:port", no trailing slash */
	char *ca;
	size_t ca_len;
	char *cert;
	size_t cert_len;
	char *key;
	size_t key_len;
	char *token;
	int insecure;		/* insecure-skip-tls-verify */
};

/* Read @path's current context. 0, or -errno with why in @err. */
int fl_k8s_cfg_load(const char *path, struct fl_k8s_cfg *c, char *err, size_t errlen);
/* The same from @len bytes of @text; @path names it in messages. Blobs
 * and tokens named by file are read.
 */
int fl_k8s_cfg_parse(const char *path, const char *text, size_t len, struct fl_k8s_cfg *c,
		     char *err, size_t errlen);
/* The service account's view from inside a pod. */
int fl_k8s_cfg_in_cluster(struct fl_k8s_cfg *c, char *err, size_t errlen);
void fl_k8s_cfg_free(struct fl_k8s_cfg *c);

#endif /* FL_K8S_KUBECONFIG_H */
