/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* HTTP to the Kubernetes API server with libcurl: one request (GET,
 * PATCH) answered with its parsed JSON body, and a streaming GET (a
 * watch) whose body is handed over line by line. TLS with the config's
 * CA; the client certificate or the bearer token says who we are. Each
 * call uses its own handle, so threads may call at once.
 */
#ifndef FL_K8S_CLIENT_H
#define FL_K8S_CLIENT_H

#include <stddef.h>
#include <json-c/json.h>

#include "kubeconfig.h"

#define FL_K8S_REQ_TIMEOUT_MS	10000
#define FL_K8S_CONNECT_TIMEOUT_MS	5000

struct fl_k8s_client {
	struct fl_k8s_cfg cfg;
	char *auth;		/* "Authorization: Bearer ...", or NULL */
};

/* Takes @cfg (moved: *cfg is left empty). 0 or -errno. */
int fl_k8s_client_init(struct fl_k8s_client *cl, struct fl_k8s_cfg *cfg);
void fl_k8s_client_free(struct fl_k8s_client *cl);

/* @method @path (from "/api" or "/apis", query included) with @body of
 * @ctype (or none). Returns the HTTP status, or -errno when no answer
 * came (why in @err); *@resp is the parsed body, or NULL. For a status
 * other than 2xx, @err holds the server's message.
 */
int fl_k8s_request(struct fl_k8s_client *cl, const char *method, const char *path,
		   const char *ctype, const char *body, json_object **resp, char *err,
		   size_t errlen);

/* Called for each line of a stream (without its newline); nonzero ends it. */
typedef int (*fl_k8s_line_fn)(void *ctx, const char *line, size_t len);

/* GET @path and hand each line of a 200 answer to @fn until the server
 * ends it, @fn says stop, or *@stop becomes nonzero (checked at least
 * once a second). Returns the HTTP status or -errno; a status other than
 * 200 puts the server's message in @err.
 */
int fl_k8s_stream(struct fl_k8s_client *cl, const char *path, fl_k8s_line_fn fn, void *ctx,
		  volatile int *stop, char *err, size_t errlen);

#endif /* FL_K8S_CLIENT_H */
