// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The agent's /metrics (see metrics.h): the renderer, a pure function of
 * a snapshot, and the libmicrohttpd server that hands out its last text.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "common.h"
#include "metrics.h"

const double fl_metrics_lat_bounds[FL_METRICS_LAT_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1,
};

static const enum fl_state fl_metrics_phases[] = {
	FL_STATE_PENDING, FL_STATE_STARTED, FL_STATE_SUCCEEDED,
	FL_STATE_FAILED, FL_STATE_ABORTED, FL_STATE_ERROR,
};

void fl_metrics_observe_latency(struct fl_metrics_snap *s, double seconds)
{
	int i;

	for (i = 0; i < FL_METRICS_LAT_BUCKETS; i++)
		if (seconds <= fl_metrics_lat_bounds[i])
			s->lat_counts[i]++;
	s->lat_count++;
	s->lat_sum += seconds;
}

void fl_metrics_escape(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			fputs("\\\\", out);
		else if (*v == '"')
			fputs("\\\"", out);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

/* A family's HELP and TYPE: once, before its first sample. */
static void fl_metrics_family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{k="v",...} VALUE; @labels is NULL-terminated pairs. */
static void fl_metrics_sample(FILE *out, const char *name, const char *const *labels,
			      double value)
{
	int i;

	fputs(name, out);
	for (i = 0; labels && labels[i]; i += 2) {
		fprintf(out, "%s%s=\"", i ? "," : "{", labels[i]);
		fl_metrics_escape(out, labels[i + 1]);
		fputc('"', out);
	}
	if (labels && labels[0])
		fputc('}', out);
	fprintf(out, " %.17g\n", value);
}

static void fl_metrics_render_faults(FILE *out, const struct fl_metrics_snap *s)
{
	static const char *const dirs[FL_DIR_MAX] = {
		[FL_DIR_INGRESS] = "ingress", [FL_DIR_EGRESS] = "egress",
	};
	int i, f, d;

	fl_metrics_family(out, "faultline_fault_packets_total", "counter",
			  "Target packets a fault matched, dropped, delayed, duplicated, rejected and corrupted, by direction.");
	for (i = 0; i < s->n_exps; i++) {
		const struct fl_metrics_exp *x = &s->exps[i];

		for (f = 0; f < x->n_faults; f++) {
			for (d = 0; d < FL_DIR_MAX; d++) {
				const struct fl_dir_totals *t = &x->faults[f].tot[d];
				const char *l[] = { "experiment", x->name, "fault", x->faults[f].name,
						    "direction", dirs[d], "action", "matched", NULL };

				fl_metrics_sample(out, "faultline_fault_packets_total", l, t->matched);
				l[7] = "dropped";
				fl_metrics_sample(out, "faultline_fault_packets_total", l, t->dropped);
				l[7] = "delayed";
				fl_metrics_sample(out, "faultline_fault_packets_total", l, t->delayed);
				l[7] = "duplicated";
				fl_metrics_sample(out, "faultline_fault_packets_total", l,
						  t->duplicated);
				l[7] = "rejected";
				fl_metrics_sample(out, "faultline_fault_packets_total", l, t->rejected);
				l[7] = "corrupted";
				fl_metrics_sample(out, "faultline_fault_packets_total", l,
						  t->corrupted);
			}
		}
	}
}

static void fl_metrics_render_latency(FILE *out, const struct fl_metrics_snap *s)
{
	const char *name = "faultline_trip_disarm_seconds";
	char le[32], line[96];
	int i;

	fl_metrics_family(out, name, "histogram",
			  "Time from the evidence that tripped a condition to the faults' armed flag cleared.");
	snprintf(line, sizeof(line), "%s_bucket", name);
	for (i = 0; i < FL_METRICS_LAT_BUCKETS; i++) {
		const char *l[] = { "le", le, NULL };

		snprintf(le, sizeof(le), "%g", fl_metrics_lat_bounds[i]);
		fl_metrics_sample(out, line, l, s->lat_counts[i]);
	}
	fl_metrics_sample(out, line, (const char *const[]){ "le", "+Inf", NULL }, s->lat_count);
	snprintf(line, sizeof(line), "%s_sum", name);
	fl_metrics_sample(out, line, NULL, s->lat_sum);
	snprintf(line, sizeof(line), "%s_count", name);
	fl_metrics_sample(out, line, NULL, s->lat_count);
}

int fl_metrics_render(FILE *out, const struct fl_metrics_snap *s)
{
	size_t p;
	int i, c;

	fl_metrics_family(out, "faultline_build_info", "gauge",
			  "The faultline version serving these metrics.");
	fl_metrics_sample(out, "faultline_build_info",
			  (const char *const[]){ "version", s->version, NULL }, 1);

	fl_metrics_family(out, "faultline_experiments", "gauge",
			  "Experiments the agent holds (running, and the most recent ended), by phase.");
	for (p = 0; p < ARRAY_SIZE(fl_metrics_phases); p++) {
		const char *l[] = { "phase", fl_state_name(fl_metrics_phases[p]), NULL };
		int n = 0;

		for (i = 0; i < s->n_exps; i++)
			n += s->exps[i].state == fl_metrics_phases[p];
		fl_metrics_sample(out, "faultline_experiments", l, n);
	}

	fl_metrics_render_faults(out, s);

	fl_metrics_family(out, "faultline_condition_value", "gauge",
			  "A failure condition's current value (the worst target's for kernel signals).");
	for (i = 0; i < s->n_exps; i++)
		for (c = 0; c < s->exps[i].n_conds; c++) {
			const char *l[] = { "experiment", s->exps[i].name, "condition",
					    s->exps[i].conds[c].name, NULL };

			fl_metrics_sample(out, "faultline_condition_value", l,
					  s->exps[i].conds[c].value);
		}

	fl_metrics_family(out, "faultline_trips_total", "counter",
			  "Failure conditions that tripped and stopped their experiment.");
	fl_metrics_sample(out, "faultline_trips_total", NULL, s->trips);

	fl_metrics_render_latency(out, s);

	fl_metrics_family(out, "faultline_ringbuf_lost_total", "counter",
			  "Ring buffer records the datapath could not reserve.");
	fl_metrics_sample(out, "faultline_ringbuf_lost_total", NULL, s->ringbuf_lost);

	fl_metrics_family(out, "faultline_links_attached", "gauge",
			  "BPF links, tc filters and tracepoint links attached now.");
	fl_metrics_sample(out, "faultline_links_attached", NULL, s->links);
	return ferror(out) ? -EIO : 0;
}

/* ---- the server ---- */

struct fl_metrics_server {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char *text;
	size_t len;
};

static enum MHD_Result fl_metrics_reply(struct MHD_Connection *conn, unsigned int code,
					const char *ctype, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result fl_metrics_on_request(void *cls, struct MHD_Connection *conn,
					     const char *url, const char *method,
					     const char *version, const char *upload,
					     size_t *upload_len, void **req_ctx)
{
	struct fl_metrics_server *m = cls;
	char *body;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req_ctx;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return fl_metrics_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
					strdup("GET only\n"), 9);
	if (!strcmp(url, "/healthz"))
		return fl_metrics_reply(conn, MHD_HTTP_OK, "text/plain", strdup("ok\n"), 3);
	if (strcmp(url, "/metrics"))
		return fl_metrics_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
					strdup("/metrics or /healthz\n"), 21);
	/* a copy: the main loop replaces the text while this is sent */
	pthread_mutex_lock(&m->lock);
	len = m->len;
	body = malloc(len + 1);
	if (body)
		memcpy(body, m->text ? m->text : "", len + 1);
	pthread_mutex_unlock(&m->lock);
	if (!body)
		return MHD_NO;
	return fl_metrics_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
				body, len);
}

static int fl_metrics_parse_addr(const char *addr, struct sockaddr_storage *ss, char *err,
				 size_t errlen)
{
	char host[128];
	const char *colon = strrchr(addr, ':');
	char *end;
	long port;

	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		goto bad;
	memcpy(host, addr, colon - addr);
	host[colon - addr] = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == 0 || port < 0 || port > 65535)
		goto bad;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[strlen(host) - 1] = 0;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
	}
	return 0;
bad:
	fl_set_err(err, errlen, "--metrics-addr %s: expected HOST:PORT with an IP address, e.g. %s",
		   addr, FL_METRICS_ADDR);
	return -EINVAL;
}

int fl_metrics_start(struct fl_metrics_server **out, const char *addr, char *err, size_t errlen)
{
	struct fl_metrics_server *m;
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int ret;

	*out = NULL;
	ret = fl_metrics_parse_addr(addr, &ss, err, errlen);
	if (ret)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->d = MHD_start_daemon(flags, 0, NULL, NULL, fl_metrics_on_request, m,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (!m->d) {
		fl_set_err(err, errlen, "cannot serve metrics on %s (in use, or not this host's address)",
			   addr);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -EADDRINUSE;
	}
	*out = m;
	return 0;
}

void fl_metrics_publish(struct fl_metrics_server *m, const char *text, size_t len)
{
	char *copy;

	if (!m)
		return;
	copy = malloc(len + 1);
	if (!copy)
		return;
	memcpy(copy, text, len);
	copy[len] = 0;
	pthread_mutex_lock(&m->lock);
	free(m->text);
	m->text = copy;
	m->len = len;
	pthread_mutex_unlock(&m->lock);
}

void fl_metrics_stop(struct fl_metrics_server *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}
