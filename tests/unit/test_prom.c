// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Unit tests for user/prom.c and user/probes.c.
 *
 * Groups:
 *   prom_parse   fl_prom_parse on every kind of answer;
 *   prom_query   fl_prom_query against an HTTP server in this process
 *                (127.0.0.1): the request it sends, HTTP errors, timeouts;
 *   probes       fl_probes_* against local TCP and HTTP servers: results,
 *                schedule, timeouts, prompt stop, network namespaces
 *                (the namespace test skips without CAP_SYS_ADMIN);
 *   prom_e2e     only when FL_PROM_URL is set, and then alone: queries a
 *                real Prometheus that scrapes fl_test_value (see
 *                tests/selftests/prometheus_query.sh). FL_PROM_EXPECT is
 *                the value fl_test_value must have; FL_PROM_WAIT (seconds,
 *                default 0) is how long to keep asking until it has it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "probes.h"
#include "prom.h"

#define SEC	1000000000ULL
#define MS	1000000ULL
#define ERR_LEN	512

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * SEC + ts.tv_nsec;
}

/* ---- prom_parse ---- */

#define OK_SCALAR(v)	"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\"," \
			"\"result\":[1700000000.123,\"" v "\"]}}"
#define OK_VECTOR(s)	"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"," \
			"\"result\":[" s "]}}"
#define SAMPLE(name, v)	"{\"metric\":{\"__name__\":\"" name "\",\"job\":\"x\"}," \
			"\"value\":[1700000000.5,\"" v "\"]}"

static int parse(const char *body, double *v, char *err)
{
	*v = -12345;
	return fl_prom_parse(body, v, err, ERR_LEN);
}

static void test_parse_scalar(void **state)
{
	char err[ERR_LEN];
	double v;

	(void)state;
	assert_int_equal(parse(OK_SCALAR("42.5"), &v, err), 0);
	assert_true(v == 42.5);
	assert_string_equal(err, "");
	assert_int_equal(parse(OK_SCALAR("-1e-3"), &v, err), 0);
	assert_true(v == -0.001);
	assert_int_equal(parse(OK_SCALAR("0"), &v, err), 0);
	assert_true(v == 0);
}

static void test_parse_vector_one(void **state)
{
	char err[ERR_LEN];
	double v;

	(void)state;
	assert_int_equal(parse(OK_VECTOR(SAMPLE("fl_test_value", "7")), &v, err), 0);
	assert_true(v == 7);
	/* Warnings and whitespace around the object do not matter. */
	assert_int_equal(parse("  {\"status\":\"success\",\"warnings\":[\"w\"],\"data\":"
			       "{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
			       "\"value\":[1,\"0.25\"]}]}}\n", &v, err), 0);
	assert_true(v == 0.25);
}

static void test_parse_vector_empty(void **state)
{
	char err[ERR_LEN];
	double v;

	(void)state;
	assert_int_equal(parse(OK_VECTOR(""), &v, err), -ENODATA);
	assert_non_null(strstr(err, "no samples"));
	assert_true(v == -12345);	/* untouched on error */
}

static void test_parse_vector_two(void **state)
{
	char err[ERR_LEN];
	double v;

	(void)state;
	assert_int_equal(parse(OK_VECTOR(SAMPLE("a", "1") "," SAMPLE("b", "2")), &v, err),
			 -ENOTUNIQ);
	assert_non_null(strstr(err, "query returned 2 samples; a condition needs exactly one"));
	assert_non_null(strstr(err, "sum("));
	assert_non_null(strstr(err, "a{job=\"x\"}"));
	assert_true(v == -12345);
}

static void test_parse_matrix_string(void **state)
{
	char err[ERR_LEN];
	double v;

	(void)state;
	assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
			       "\"result\":[{\"metric\":{},\"values\":[[1,\"1\"],[2,\"2\"]]}]}}",
			       &v, err), -ENOTSUP);
	assert_non_null(strstr(err, "matrix"));
	assert_int_equal(parse("{\"status\":\"success\",\"data\":{\"resultType\":\"string\","
			       "\"result\":[1,\"hello\"]}}", &v, err), -ENOTSUP);
	assert_non_null(strstr(err, "string"));
	assert_true(v == -12345);
}

static void test_parse_error_status(void **state)
{
	char err[ERR_LEN];
	double v;

	(void)state;
	assert_int_equal(parse("{\"status\":\"error\",\"errorType\":\"bad_data\","
			       "\"error\":\"1:5: parse error: unclosed left parenthesis\"}",
			       &v, err), -EINVAL);
	assert_string_equal(err, "Prometheus: bad_data: 1:5: parse error: unclosed left parenthesis");
	assert_int_equal(parse("{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"x\"}",
			       &v, err), -EIO);
	assert_int_equal(parse("{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"x\"}",
			       &v, err), -ETIMEDOUT);
	assert_int_equal(parse("{\"status\":\"weird\"}", &v, err), -EPROTO);
	assert_true(v == -12345);
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"{",
		"not json",
		"null",
		"[1,2]",
		"{\"status\":\"success\"}",
		"{\"status\":1}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[1]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{}]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"what\",\"result\":[]}}",
		OK_SCALAR("abc"),
		OK_SCALAR(""),
		OK_SCALAR("1x"),
		"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,null]}}",
		OK_SCALAR("1") " trailing",
		OK_SCALAR("1") "{}",
	};
	char err[ERR_LEN];
	unsigned int i;
	double v;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i], &v, err) != -EPROTO)
			fail_msg("'%s' was not refused as malformed (%s)", bad[i], err);
		assert_non_null(strstr(err, "malformed answer"));
		assert_true(v == -12345);
	}
	assert_int_equal(fl_prom_parse(NULL, &v, err, ERR_LEN), -EINVAL);
	/* No message buffer is fine too. */
	assert_int_equal(fl_prom_parse("{", &v, NULL, 0), -EPROTO);
}

static void test_parse_special_values(void **state)
{
	char err[ERR_LEN];
	double v;

	(void)state;
	assert_int_equal(parse(OK_VECTOR(SAMPLE("r", "NaN")), &v, err), -EDOM);
	assert_non_null(strstr(err, "NaN"));
	assert_int_equal(parse(OK_SCALAR("NaN"), &v, err), -EDOM);
	assert_true(v == -12345);
	assert_int_equal(parse(OK_VECTOR(SAMPLE("r", "+Inf")), &v, err), 0);
	assert_true(isinf(v) && v > 0);
	assert_int_equal(parse(OK_SCALAR("-Inf"), &v, err), 0);
	assert_true(isinf(v) && v < 0);
	/* A native histogram has no single value. */
	assert_int_equal(parse(OK_VECTOR("{\"metric\":{},\"histogram\":[1,{\"count\":\"3\"}]}"),
			       &v, err), -EDOM);
	assert_non_null(strstr(err, "histogram"));
}

/* ---- a small HTTP server on 127.0.0.1 for the query and probe tests ---- */

struct srv {
	int lfd, port;
	int stop[2];
	pthread_t th;
	pthread_mutex_t lock;
	int status;		/* answer with this status ... */
	char body[2048];	/* ... and this body */
	int hang;		/* or accept and never answer */
	int hung[16], n_hung;
	char request[1024];	/* the last request line */
	int n_req;
};

static int listen_any(int backlog, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A loopback port where nothing listens (bound and closed again). */
static int closed_port(void)
{
	int port, fd = listen_any(1, &port);

	close(fd);
	return port;
}

static void srv_handle(struct srv *s, int fd)
{
	char buf[4096], head[256], body[sizeof(s->body)];
	size_t got = 0;
	int status;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 2000) <= 0)
			break;
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") || got == sizeof(buf) - 1)
			break;
	}
	buf[got] = '\0';
	if (!got) {
		close(fd);	/* a TCP probe: connected, sent nothing */
		return;
	}
	pthread_mutex_lock(&s->lock);
	snprintf(s->request, sizeof(s->request), "%.*s", (int)strcspn(buf, "\r\n"), buf);
	s->n_req++;
	status = s->status;
	memcpy(body, s->body, sizeof(body));
	pthread_mutex_unlock(&s->lock);
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", status, strlen(body));
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0 ||
	    send(fd, body, strlen(body), MSG_NOSIGNAL) < 0) {
		/* The client went away: nothing to do. */
	}
	close(fd);
}

static void *srv_thread(void *arg)
{
	struct srv *s = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = s->lfd, .events = POLLIN },
			{ .fd = s->stop[0], .events = POLLIN },
		};
		int fd, hang;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&s->lock);
		hang = s->hang;
		if (hang) {
			s->n_req++;
			if (s->n_hung < 16)
				s->hung[s->n_hung++] = fd;
			else
				hang = 0;
		}
		pthread_mutex_unlock(&s->lock);
		if (!hang)
			srv_handle(s, fd);
	}
	return NULL;
}

static struct srv *srv_start(int status, const char *body)
{
	struct srv *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	pthread_mutex_init(&s->lock, NULL);
	s->status = status;
	snprintf(s->body, sizeof(s->body), "%s", body);
	s->lfd = listen_any(64, &s->port);
	assert_int_equal(pipe2(s->stop, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&s->th, NULL, srv_thread, s), 0);
	return s;
}

static void srv_set(struct srv *s, int status, const char *body, int hang)
{
	pthread_mutex_lock(&s->lock);
	s->status = status;
	snprintf(s->body, sizeof(s->body), "%s", body);
	s->hang = hang;
	pthread_mutex_unlock(&s->lock);
}

static int srv_requests(struct srv *s, char *request, size_t len)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->n_req;
	if (request)
		snprintf(request, len, "%s", s->request);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void srv_stop(struct srv *s)
{
	int i;

	assert_int_equal(write(s->stop[1], "x", 1), 1);
	pthread_join(s->th, NULL);
	for (i = 0; i < s->n_hung; i++)
		close(s->hung[i]);
	close(s->lfd);
	close(s->stop[0]);
	close(s->stop[1]);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static void base_url(char *buf, size_t len, const struct srv *s, const char *suffix)
{
	snprintf(buf, len, "http://127.0.0.1:%d%s", s->port, suffix);
}

/* ---- prom_query ---- */

static void test_query_request(void **state)
{
	struct srv *s = srv_start(200, OK_VECTOR(SAMPLE("x", "3.5")));
	char url[128], req[1024], err[ERR_LEN];
	double v = 0;

	(void)state;
	/* A path prefix and trailing slashes are kept and trimmed. */
	base_url(url, sizeof(url), s, "/prom//");
	assert_int_equal(fl_prom_query(url, "sum(rate(x{a=\"b c\"}[1m])) > 0", 2 * SEC, &v, err,
				       ERR_LEN), 0);
	assert_true(v == 3.5);
	assert_int_equal(srv_requests(s, req, sizeof(req)), 1);
	assert_string_equal(req, "GET /prom/api/v1/query?query=sum%28rate%28x%7Ba%3D%22b%20c%22"
				 "%7D%5B1m%5D%29%29%20%3E%200 HTTP/1.1");

	srv_set(s, 200, OK_VECTOR(""), 0);
	base_url(url, sizeof(url), s, "");
	assert_int_equal(fl_prom_query(url, "nothing", 0, &v, err, ERR_LEN), -ENODATA);
	assert_non_null(strstr(err, "no samples"));
	srv_stop(s);
}

static void test_query_http_errors(void **state)
{
	struct srv *s = srv_start(400, "{\"status\":\"error\",\"errorType\":\"bad_data\","
				       "\"error\":\"1:5: parse error: unexpected end of input\"}");
	char url[128], err[ERR_LEN];
	double v = -1;

	(void)state;
	base_url(url, sizeof(url), s, "");
	assert_int_equal(fl_prom_query(url, "sum(", SEC, &v, err, ERR_LEN), -EINVAL);
	assert_string_equal(err, "HTTP 400: Prometheus: bad_data: 1:5: parse error: unexpected end of input");

	srv_set(s, 404, "404 page not found\n", 0);
	assert_int_equal(fl_prom_query(url, "up", SEC, &v, err, ERR_LEN), -EIO);
	assert_non_null(strstr(err, "HTTP status 404: 404 page not found"));

	/* A 503 with a good-looking body is still an error. */
	srv_set(s, 503, OK_SCALAR("1"), 0);
	assert_int_equal(fl_prom_query(url, "up", SEC, &v, err, ERR_LEN), -EIO);
	assert_non_null(strstr(err, "HTTP status 503"));

	srv_set(s, 200, "<html>hello</html>", 0);
	assert_int_equal(fl_prom_query(url, "up", SEC, &v, err, ERR_LEN), -EPROTO);
	assert_true(v == -1);
	srv_stop(s);
}

static void test_query_timeout(void **state)
{
	struct srv *s = srv_start(200, "");
	char url[128], err[ERR_LEN];
	double v = -1;
	__u64 t0, dt;

	(void)state;
	srv_set(s, 200, "", 1);
	base_url(url, sizeof(url), s, "");
	t0 = now_ns();
	assert_int_equal(fl_prom_query(url, "up", 300 * MS, &v, err, ERR_LEN), -ETIMEDOUT);
	dt = now_ns() - t0;
	assert_true(dt >= 290 * MS && dt < 2 * SEC);
	assert_non_null(strstr(err, "no answer within 300 ms"));
	srv_stop(s);
}

static void test_query_refused_and_args(void **state)
{
	char url[128], err[ERR_LEN];
	double v = -1;

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
	assert_int_equal(fl_prom_query(url, "up", SEC, &v, err, ERR_LEN), -EIO);
	assert_non_null(strstr(err, url));
	assert_int_equal(fl_prom_query("127.0.0.1:9090", "up", SEC, &v, err, ERR_LEN), -EINVAL);
	assert_non_null(strstr(err, "http://"));
	assert_int_equal(fl_prom_query(url, "", SEC, &v, err, ERR_LEN), -EINVAL);
	assert_int_equal(fl_prom_query(NULL, "up", SEC, &v, err, ERR_LEN), -EINVAL);
	assert_int_equal(fl_prom_query(url, "up", SEC, NULL, NULL, 0), -EINVAL);
	assert_true(v == -1);
}

/* ---- probes ---- */

struct got {
	struct fl_probe_sample s[256];
	int n;
};

static void collect(const struct fl_probe_sample *s, void *arg)
{
	struct got *g = arg;

	if (g->n < 256)
		g->s[g->n++] = *s;
}

/* Drains samples for @ms milliseconds, or until @want samples are in. */
static void gather(struct fl_probes *p, struct got *g, int want, __u64 ms)
{
	__u64 end = now_ns() + ms * MS;
	struct pollfd pfd = { .fd = fl_probes_fd(p), .events = POLLIN };

	while (g->n < want) {
		__u64 now = now_ns();

		if (now >= end)
			break;
		if (poll(&pfd, 1, (int)((end - now) / MS) + 1) > 0)
			assert_true(fl_probes_drain(p, collect, g) >= 0);
	}
}

static struct fl_probe_cfg tcp_cfg(int port, __u64 interval, __u64 timeout)
{
	struct fl_probe_cfg c = { .kind = FL_PROBE_TCP, .interval_ns = interval,
				  .timeout_ns = timeout };

	snprintf(c.name, sizeof(c.name), "tcp%d", port);
	snprintf(c.address, sizeof(c.address), "127.0.0.1:%d", port);
	return c;
}

static struct fl_probe_cfg http_cfg(const struct srv *s, int expect, __u64 interval, __u64 timeout)
{
	struct fl_probe_cfg c = { .kind = FL_PROBE_HTTP, .expect_status = expect,
				  .interval_ns = interval, .timeout_ns = timeout };

	snprintf(c.name, sizeof(c.name), "http");
	snprintf(c.url, sizeof(c.url), "http://127.0.0.1:%d/healthz", s->port);
	return c;
}

static void test_probe_cfg_check(void **state)
{
	static const char *const good[] = {
		"127.0.0.1:80", "[::1]:8080", "localhost:65535", "[2001:db8::1]:1",
	};
	static const char *const bad[] = {
		"127.0.0.1", "::1:80", "[::1]80", "[::1]", "host:0", "host:65536",
		":80", "[]:80", "host:", "host:8a", "",
	};
	struct fl_probe_cfg c = tcp_cfg(80, SEC, SEC);
	char err[ERR_LEN];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(c.address, sizeof(c.address), "%s", good[i]);
		if (fl_probe_cfg_check(&c, err, sizeof(err)))
			fail_msg("'%s' refused: %s", good[i], err);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(c.address, sizeof(c.address), "%s", bad[i]);
		if (fl_probe_cfg_check(&c, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(strstr(err, "address"));
	}
	c = tcp_cfg(80, 0, SEC);
	assert_int_equal(fl_probe_cfg_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "interval"));
	c = tcp_cfg(80, SEC, 0);
	assert_int_equal(fl_probe_cfg_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "timeout"));
	c.timeout_ns = SEC;
	c.kind = 9;
	assert_int_equal(fl_probe_cfg_check(&c, err, sizeof(err)), -EINVAL);

	memset(&c, 0, sizeof(c));
	c.kind = FL_PROBE_HTTP;
	c.interval_ns = c.timeout_ns = SEC;
	snprintf(c.url, sizeof(c.url), "ftp://x/");
	assert_int_equal(fl_probe_cfg_check(&c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "http://"));
	snprintf(c.url, sizeof(c.url), "HTTPS://x/");
	assert_int_equal(fl_probe_cfg_check(&c, err, sizeof(err)), 0);
	c.expect_status = 99;
	assert_int_equal(fl_probe_cfg_check(&c, err, sizeof(err)), -EINVAL);
	c.expect_status = 503;
	assert_int_equal(fl_probe_cfg_check(&c, NULL, 0), 0);
	memset(c.name, 'a', sizeof(c.name));
	assert_int_equal(fl_probe_cfg_check(&c, err, sizeof(err)), -EINVAL);
	assert_int_equal(fl_probe_cfg_check(NULL, NULL, 0), -EINVAL);
}

static void test_probes_start_errors(void **state)
{
	struct fl_probe_cfg c[2] = { tcp_cfg(80, SEC, SEC), tcp_cfg(81, SEC, SEC) };
	struct fl_probes *p = (void *)1;

	(void)state;
	assert_int_equal(fl_probes_start(&p, c, 0), -EINVAL);
	assert_int_equal(fl_probes_start(&p, c, FL_MAX_PROBES + 1), -EINVAL);
	c[1].interval_ns = 0;
	assert_int_equal(fl_probes_start(&p, c, 2), -EINVAL);
	assert_null(p);
	c[1].interval_ns = SEC;
	snprintf(c[1].netns, sizeof(c[1].netns), "/nonexistent/netns");
	assert_int_equal(fl_probes_start(&p, c, 2), -ENOENT);
	assert_null(p);
	/* A file that is not a network namespace: setns fails in the thread. */
	snprintf(c[1].netns, sizeof(c[1].netns), "/proc/self/ns/uts");
	assert_int_equal(fl_probes_start(&p, c, 2), -EINVAL);
	assert_null(p);
	fl_probes_stop(NULL);
	assert_int_equal(fl_probes_fd(NULL), -EINVAL);
	assert_int_equal(fl_probes_drain(NULL, collect, NULL), -EINVAL);
}

/* The runs of one probe keep to the grid that starts when fl_probes_start
 * returns (somewhere between @t_before and @t_after): each starts on a
 * slot, never before the previous run completed, and at the first slot
 * after that. A thread may wake late on a busy machine: by up to 40 % of
 * the interval.
 */
static void check_grid(const struct got *g, __u64 interval, __u64 t_before, __u64 t_after)
{
	__u64 early = t_after - t_before + MS, late = interval * 2 / 5;
	int i;

	for (i = 0; i < g->n; i++) {
		__u64 start = g->s[i].ts_ns - g->s[i].latency_ns;
		__u64 off = (start + early - t_after) % interval;

		if (start + early < t_after || off > early + late)
			fail_msg("run %d started %.1f ms after the start: off the %llu ms grid", i,
				 ((double)start - t_after) / 1e6, (unsigned long long)(interval / MS));
		if (!i)
			continue;
		if (start < g->s[i - 1].ts_ns)
			fail_msg("run %d started before run %d completed", i, i - 1);
		if (start - g->s[i - 1].ts_ns > interval + late)
			fail_msg("run %d started %.1f ms after run %d completed: a slot missed", i,
				 ((double)start - g->s[i - 1].ts_ns) / 1e6, i - 1);
	}
}

static void test_probe_tcp_schedule(void **state)
{
	int port, lfd = listen_any(128, &port);
	struct fl_probe_cfg c = tcp_cfg(port, 200 * MS, SEC);
	struct got *g = calloc(1, sizeof(*g));
	struct fl_probes *p;
	__u64 t0, t1;
	int i;

	(void)state;
	t0 = now_ns();
	assert_int_equal(fl_probes_start(&p, &c, 1), 0);
	t1 = now_ns();
	/* Nothing yet, or the first run already: drain never blocks. */
	assert_true(fl_probes_drain(p, collect, g) >= 0);
	gather(p, g, 256, 1050);
	fl_probes_stop(p);
	/* Runs at 0, 200, ..., 1000 ms: 6 of them; fewer when the machine
	 * is so busy that runs are late, but never more.
	 */
	if (g->n < 4 || g->n > 6)
		fail_msg("%d samples in 1050 ms at a 200 ms interval", g->n);
	for (i = 0; i < g->n; i++) {
		const struct fl_probe_sample *s = &g->s[i];

		assert_int_equal(s->probe, 0);
		assert_int_equal(s->ok, 1);
		assert_int_equal(s->status, 0);
		assert_string_equal(s->error, "");
		assert_true(s->latency_ns > 0 && s->latency_ns < 200 * MS);
		assert_true(s->ts_ns >= t0);
		if (i)
			assert_true(s->ts_ns > g->s[i - 1].ts_ns);
	}
	check_grid(g, 200 * MS, t0, t1);
	close(lfd);
	free(g);
}

static void test_probe_tcp_refused(void **state)
{
	struct fl_probe_cfg c = tcp_cfg(closed_port(), 50 * MS, SEC);
	struct got *g = calloc(1, sizeof(*g));
	struct fl_probes *p;

	(void)state;
	assert_int_equal(fl_probes_start(&p, &c, 1), 0);
	gather(p, g, 2, 2000);
	fl_probes_stop(p);
	assert_true(g->n >= 2);
	assert_int_equal(g->s[0].ok, 0);
	assert_non_null(strstr(g->s[0].error, "Connection refused"));
	assert_non_null(strstr(g->s[0].error, "127.0.0.1:"));
	free(g);
}

/* A listener whose accept queue is full drops SYNs: connects hang. */
static int full_listener(int *port, int *client)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int lfd = listen_any(0, port);

	a.sin_port = htons(*port);
	*client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(*client, (struct sockaddr *)&a, sizeof(a)), 0);
	return lfd;
}

static void test_probe_tcp_timeout_and_stop(void **state)
{
	struct got *g = calloc(1, sizeof(*g));
	struct fl_probe_cfg c;
	struct fl_probes *p;
	int port, client, lfd = full_listener(&port, &client);
	__u64 t0, t1, dt;
	int i;

	(void)state;
	/* A run that takes 500 ms at a 200 ms interval: runs at 0, 600,
	 * 1200 ms, one at a time, never two at once, the slots in between
	 * skipped.
	 */
	c = tcp_cfg(port, 200 * MS, 500 * MS);
	t0 = now_ns();
	assert_int_equal(fl_probes_start(&p, &c, 1), 0);
	t1 = now_ns();
	gather(p, g, 3, 3000);
	fl_probes_stop(p);
	assert_true(g->n >= 3);
	for (i = 0; i < g->n; i++) {
		const struct fl_probe_sample *s = &g->s[i];

		assert_int_equal(s->ok, 0);
		if (!strstr(s->error, "timed out after 500 ms"))
			fail_msg("error: %s", s->error);
		assert_true(s->latency_ns >= 500 * MS);
	}
	/* Drifting would start each run 700 ms (timeout plus interval)
	 * after the previous one, half an interval off the grid.
	 */
	check_grid(g, 200 * MS, t0, t1);

	/* Stop while a connect with a 10 s timeout is in progress. */
	c = tcp_cfg(port, SEC, 10 * SEC);
	assert_int_equal(fl_probes_start(&p, &c, 1), 0);
	usleep(100 * 1000);
	t0 = now_ns();
	fl_probes_stop(p);
	dt = now_ns() - t0;
	if (dt > 100 * MS)
		fail_msg("stop took %llu ms", (unsigned long long)(dt / MS));
	close(client);
	close(lfd);
	free(g);
}

static void test_probe_http(void **state)
{
	struct srv *s = srv_start(200, "ok");
	struct got *g = calloc(1, sizeof(*g));
	struct fl_probe_cfg c[3];
	struct fl_probes *p;
	int i, seen[3] = { 0 };
	char req[1024];

	(void)state;
	c[0] = http_cfg(s, 0, 100 * MS, SEC);		/* 2xx */
	c[1] = http_cfg(s, 503, 100 * MS, SEC);	/* exactly 503 */
	c[2] = tcp_cfg(s->port, 100 * MS, SEC);
	assert_int_equal(fl_probes_start(&p, c, 3), 0);
	gather(p, g, 6, 2000);
	fl_probes_stop(p);
	for (i = 0; i < g->n; i++) {
		const struct fl_probe_sample *x = &g->s[i];

		assert_in_range(x->probe, 0, 2);
		seen[x->probe]++;
		if (x->probe == 0) {
			assert_int_equal(x->ok, 1);
			assert_int_equal(x->status, 200);
		} else if (x->probe == 1) {
			assert_int_equal(x->ok, 0);
			assert_int_equal(x->status, 200);
			assert_string_equal(x->error, "HTTP status 200, expected 503");
		}
	}
	assert_true(seen[0] && seen[1] && seen[2]);
	srv_requests(s, req, sizeof(req));
	assert_string_equal(req, "GET /healthz HTTP/1.1");

	/* 503 now: the first fails, the second succeeds. */
	memset(g, 0, sizeof(*g));
	srv_set(s, 503, "down", 0);
	assert_int_equal(fl_probes_start(&p, c, 2), 0);
	gather(p, g, 4, 2000);
	fl_probes_stop(p);
	assert_true(g->n >= 2);
	for (i = 0; i < g->n; i++) {
		const struct fl_probe_sample *x = &g->s[i];

		assert_int_equal(x->status, 503);
		assert_int_equal(x->ok, x->probe == 1);
		if (x->probe == 0)
			assert_string_equal(x->error, "HTTP status 503, expected 2xx");
	}
	srv_stop(s);
	free(g);
}

static void test_probe_http_timeout_and_stop(void **state)
{
	struct srv *s = srv_start(200, "ok");
	struct got *g = calloc(1, sizeof(*g));
	struct fl_probe_cfg c;
	struct fl_probes *p;
	__u64 t0, dt;

	(void)state;
	srv_set(s, 200, "", 1);
	c = http_cfg(s, 0, 100 * MS, 200 * MS);
	assert_int_equal(fl_probes_start(&p, &c, 1), 0);
	gather(p, g, 2, 2000);
	fl_probes_stop(p);
	assert_true(g->n >= 2);
	assert_int_equal(g->s[0].ok, 0);
	assert_int_equal(g->s[0].status, 0);
	assert_true(g->s[0].latency_ns >= 190 * MS && g->s[0].latency_ns < 500 * MS);
	if (!strstr(g->s[0].error, "imed out"))
		fail_msg("error: %s", g->s[0].error);

	/* A transfer with a 10 s timeout is abandoned at stop. */
	c = http_cfg(s, 0, SEC, 10 * SEC);
	assert_int_equal(fl_probes_start(&p, &c, 1), 0);
	usleep(200 * 1000);
	t0 = now_ns();
	fl_probes_stop(p);
	dt = now_ns() - t0;
	if (dt > 100 * MS)
		fail_msg("stop took %llu ms", (unsigned long long)(dt / MS));
	srv_stop(s);
	free(g);
}

static void test_probe_queue_overflow(void **state)
{
	int port, lfd = listen_any(4096, &port);
	struct fl_probe_cfg c = tcp_cfg(port, 200 * 1000, SEC);	/* 200 us */
	struct fl_probes *p;
	int total = 0;

	(void)state;
	assert_int_equal(fl_probes_start(&p, &c, 1), 0);
	/* Nobody drains: the queue fills, the oldest samples go. */
	while (fl_probes_dropped(p) == 0 && total < 20000) {
		usleep(50 * 1000);
		total++;
	}
	fl_probes_stop(p);
	assert_true(total < 20000);
	close(lfd);
}

/* A thread in a network namespace of its own, /proc/self/task/TID/ns/net,
 * held until the test writes to @hold.
 */
struct ns_holder {
	pthread_t th;
	int ready[2], hold[2];
	pid_t tid;
	int err;
};

static void *ns_holder_thread(void *arg)
{
	struct ns_holder *h = arg;
	char c;

	h->err = unshare(CLONE_NEWNET) ? -errno : 0;
	h->tid = syscall(SYS_gettid);
	if (write(h->ready[1], "r", 1) != 1 || read(h->hold[0], &c, 1) < 0) {
		/* The pipes broke: the namespace goes with the thread. */
	}
	return NULL;
}

static int ns_holder_start(struct ns_holder *h)
{
	char c;

	assert_int_equal(pipe2(h->ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(h->hold, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&h->th, NULL, ns_holder_thread, h), 0);
	assert_int_equal(read(h->ready[0], &c, 1), 1);
	return h->err;
}

static void ns_holder_stop(struct ns_holder *h)
{
	assert_int_equal(write(h->hold[1], "q", 1), 1);
	pthread_join(h->th, NULL);
	close(h->ready[0]);
	close(h->ready[1]);
	close(h->hold[0]);
	close(h->hold[1]);
}

static void test_probe_netns(void **state)
{
	int port, lfd = listen_any(128, &port);
	struct fl_probe_cfg c[2] = { tcp_cfg(port, 50 * MS, SEC), tcp_cfg(port, 50 * MS, SEC) };
	struct got *g = calloc(1, sizeof(*g));
	struct ns_holder h = { 0 };
	int i, ok[2] = { 0 }, bad[2] = { 0 };
	struct fl_probes *p;

	(void)state;
	if (ns_holder_start(&h)) {
		ns_holder_stop(&h);
		close(lfd);
		free(g);
		skip();		/* no CAP_SYS_ADMIN */
	}
	/* Probe 1 runs in the new namespace, where even lo is down. */
	snprintf(c[1].netns, sizeof(c[1].netns), "/proc/self/task/%d/ns/net", h.tid);
	assert_int_equal(fl_probes_start(&p, c, 2), 0);
	gather(p, g, 6, 2000);
	fl_probes_stop(p);
	ns_holder_stop(&h);
	for (i = 0; i < g->n; i++) {
		if (g->s[i].ok)
			ok[g->s[i].probe]++;
		else
			bad[g->s[i].probe]++;
	}
	assert_true(ok[0] > 0 && bad[0] == 0);
	assert_true(ok[1] == 0 && bad[1] > 0);
	for (i = 0; i < g->n; i++)
		if (g->s[i].probe == 1 && !strstr(g->s[i].error, "unreachable"))
			fail_msg("error in the empty namespace: %s", g->s[i].error);
	/* The caller's thread is still in its own namespace: the listener
	 * is reachable from here.
	 */
	c[0].interval_ns = SEC;
	memset(g, 0, sizeof(*g));
	assert_int_equal(fl_probes_start(&p, c, 1), 0);
	gather(p, g, 1, 2000);
	fl_probes_stop(p);
	assert_true(g->n == 1 && g->s[0].ok);
	close(lfd);
	free(g);
}

/* ---- prom_e2e: a real Prometheus at FL_PROM_URL ---- */

static const char *prom_url;

static void test_e2e_value(void **state)
{
	const char *e = getenv("FL_PROM_EXPECT"), *w = getenv("FL_PROM_WAIT");
	double want = e ? strtod(e, NULL) : 1, v = NAN;
	__u64 end = now_ns() + (w ? strtoull(w, NULL, 10) : 0) * SEC;
	char err[ERR_LEN] = "";
	int ret;

	(void)state;
	for (;;) {
		ret = fl_prom_query(prom_url, "fl_test_value", 2 * SEC, &v, err, ERR_LEN);
		if ((!ret && v == want) || now_ns() >= end)
			break;
		usleep(250 * 1000);
	}
	if (ret)
		fail_msg("fl_test_value: error %d: %s", ret, err);
	if (v != want)
		fail_msg("fl_test_value is %g, expected %g", v, want);
	/* A scalar and an aggregate of the same value. */
	assert_int_equal(fl_prom_query(prom_url, "scalar(fl_test_value) * 2", 2 * SEC, &v, err,
				       ERR_LEN), 0);
	assert_true(v == 2 * want);
	assert_int_equal(fl_prom_query(prom_url, "sum(fl_test_value) + 1", 2 * SEC, &v, err,
				       ERR_LEN), 0);
	assert_true(v == want + 1);
}

static void test_e2e_errors(void **state)
{
	char err[ERR_LEN], url[600];
	double v = -1;

	(void)state;
	assert_int_equal(fl_prom_query(prom_url, "fl_no_such_metric_xyz", 2 * SEC, &v, err,
				       ERR_LEN), -ENODATA);
	assert_non_null(strstr(err, "no samples"));
	assert_int_equal(fl_prom_query(prom_url, "{__name__=~\"fl_test_value|up\"}", 2 * SEC, &v,
				       err, ERR_LEN), -ENOTUNIQ);
	if (!strstr(err, "query returned 2 samples; a condition needs exactly one"))
		fail_msg("message: %s", err);
	assert_int_equal(fl_prom_query(prom_url, "fl_test_value[1m]", 2 * SEC, &v, err, ERR_LEN),
			 -ENOTSUP);
	assert_int_equal(fl_prom_query(prom_url, "sum(", 2 * SEC, &v, err, ERR_LEN), -EINVAL);
	if (!strstr(err, "HTTP 400: Prometheus: bad_data: "))
		fail_msg("message: %s", err);
	assert_int_equal(fl_prom_query(prom_url, "0/0", 2 * SEC, &v, err, ERR_LEN), -EDOM);
	assert_int_equal(fl_prom_query(prom_url, "1/0", 2 * SEC, &v, err, ERR_LEN), 0);
	assert_true(isinf(v) && v > 0);
	snprintf(url, sizeof(url), "%s/nothere", prom_url);
	assert_int_equal(fl_prom_query(url, "up", 2 * SEC, &v, err, ERR_LEN), -EIO);
	assert_non_null(strstr(err, "HTTP status 404"));
}

int main(void)
{
	const struct CMUnitTest parse_tests[] = {
		cmocka_unit_test(test_parse_scalar),
		cmocka_unit_test(test_parse_vector_one),
		cmocka_unit_test(test_parse_vector_empty),
		cmocka_unit_test(test_parse_vector_two),
		cmocka_unit_test(test_parse_matrix_string),
		cmocka_unit_test(test_parse_error_status),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_special_values),
	};
	const struct CMUnitTest query_tests[] = {
		cmocka_unit_test(test_query_request),
		cmocka_unit_test(test_query_http_errors),
		cmocka_unit_test(test_query_timeout),
		cmocka_unit_test(test_query_refused_and_args),
	};
	const struct CMUnitTest probe_tests[] = {
		cmocka_unit_test(test_probe_cfg_check),
		cmocka_unit_test(test_probes_start_errors),
		cmocka_unit_test(test_probe_tcp_schedule),
		cmocka_unit_test(test_probe_tcp_refused),
		cmocka_unit_test(test_probe_tcp_timeout_and_stop),
		cmocka_unit_test(test_probe_http),
		cmocka_unit_test(test_probe_http_timeout_and_stop),
		cmocka_unit_test(test_probe_queue_overflow),
		cmocka_unit_test(test_probe_netns),
	};
	const struct CMUnitTest e2e_tests[] = {
		cmocka_unit_test(test_e2e_value),
		cmocka_unit_test(test_e2e_errors),
	};
	int failed = 0;

	prom_url = getenv("FL_PROM_URL");
	if (prom_url && *prom_url)
		return cmocka_run_group_tests_name("prom_e2e", e2e_tests, NULL, NULL);
	failed |= cmocka_run_group_tests_name("prom_parse", parse_tests, NULL, NULL);
	failed |= cmocka_run_group_tests_name("prom_query", query_tests, NULL, NULL);
	failed |= cmocka_run_group_tests_name("probes", probe_tests, NULL, NULL);
	return failed;
}
