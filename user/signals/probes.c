// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Everything an experiment polls off the main loop, on one scheme: HTTP
 * and TCP probes and Prometheus queries, one thread each, samples queued
 * under a lock and announced through one eventfd that the loop polls (see
 * probes.h). A query can take up to its timeout, which the loop, taking
 * ring buffer records, must never wait for.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "netns.h"
#include "parse.h"
#include "common.h"
#include "http.h"
#include "probes.h"
#include "prom.h"

#define DRAIN_BATCH	32

#ifndef FL_VERSION
#define FL_VERSION	"0"
#endif

struct fl_probe_run {
	struct fl_probes *set;
	int idx;
	struct fl_probe_cfg cfg;
	struct fl_netns ns;		/* ns.fd < 0: stay where we are */
	CURL *curl;			/* http */
	CURLM *multi;			/* runs curl so that a stop ends the wait */
	char curl_err[CURL_ERROR_SIZE];
	char host[128];			/* tcp */
	char port[8];
	pthread_t thread;
	int started;			/* the thread exists: join it */
};

struct fl_probes {
	int n;
	struct fl_probe_run *runs;
	int stop_fd;			/* eventfd, readable once stopping */
	int ev_fd;			/* eventfd, readable while samples wait */
	atomic_int stopping;
	__u64 start_ns;

	pthread_mutex_t lock;
	pthread_cond_t cond;		/* startup: ready, go */
	int ready;			/* threads that tried to enter their netns */
	int init_err;			/* the first error among them */
	int go;
	struct fl_probe_sample queue[FL_PROBES_QUEUE];
	int q_head, q_len;
	__u64 dropped;
};


/* "host:port" or "[v6]:port" into @host and @port (decimal text). */
static int split_address(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = addr;
	size_t hl;
	__u16 p;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = end - h;
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || memchr(addr, ':', colon - addr))
			return -EINVAL;	/* none, or a bare IPv6 address */
		hl = colon - addr;
	}
	if (!hl || hl >= hostlen)
		return -EINVAL;
	if (fl_parse_port(colon + 1, &p))
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, portlen, "%u", p);
	return 0;
}

int fl_probe_cfg_check(const struct fl_probe_cfg *cfg, char *err, size_t errlen)
{
	char host[128], port[8];
	const char *name;

	if (!cfg) {
		fl_set_err(err, errlen, "no probe configuration");
		return -EINVAL;
	}
	if (strnlen(cfg->name, sizeof(cfg->name)) == sizeof(cfg->name) ||
	    strnlen(cfg->url, sizeof(cfg->url)) == sizeof(cfg->url) ||
	    strnlen(cfg->address, sizeof(cfg->address)) == sizeof(cfg->address) ||
	    strnlen(cfg->netns, sizeof(cfg->netns)) == sizeof(cfg->netns)) {
		fl_set_err(err, errlen, "probe: a text field is not NUL-terminated");
		return -EINVAL;
	}
	name = cfg->name[0] ? cfg->name : "(unnamed)";
	if (!cfg->interval_ns) {
		fl_set_err(err, errlen, "probe %s: the interval must be > 0", name);
		return -EINVAL;
	}
	if (!cfg->timeout_ns) {
		fl_set_err(err, errlen, "probe %s: the timeout must be > 0", name);
		return -EINVAL;
	}
	switch (cfg->kind) {
	case FL_PROBE_HTTP:
		if (strncasecmp(cfg->url, "http://", 7) && strncasecmp(cfg->url, "https://", 8)) {
			fl_set_err(err, errlen, "probe %s: URL '%s' must start with http:// or https://",
				name, cfg->url);
			return -EINVAL;
		}
		if (cfg->expect_status && (cfg->expect_status < 100 || cfg->expect_status > 599)) {
			fl_set_err(err, errlen, "probe %s: expected status %d is not in 100..599",
				name, cfg->expect_status);
			return -EINVAL;
		}
		return 0;
	case FL_PROBE_PROM:
		if (strncasecmp(cfg->url, "http://", 7) && strncasecmp(cfg->url, "https://", 8)) {
			fl_set_err(err, errlen, "query %s: URL '%s' must start with http:// or https://",
				   name, cfg->url);
			return -EINVAL;
		}
		if (!cfg->query || !cfg->query[0]) {
			fl_set_err(err, errlen, "query %s: no PromQL query", name);
			return -EINVAL;
		}
		return 0;
	case FL_PROBE_TCP:
		if (split_address(cfg->address, host, sizeof(host), port, sizeof(port))) {
			fl_set_err(err, errlen,
				"probe %s: address '%s' is not host:port or [IPv6]:port (port 1..65535)",
				name, cfg->address);
			return -EINVAL;
		}
		return 0;
	default:
		fl_set_err(err, errlen, "probe %s: unknown kind %d", name, cfg->kind);
		return -EINVAL;
	}
}

static int stopping(const struct fl_probe_run *r)
{
	return atomic_load_explicit(&r->set->stopping, memory_order_relaxed);
}

/* Sleeps until @deadline (CLOCK_MONOTONIC) or until stopped: 0 or -EINTR. */
static int sleep_until(struct fl_probe_run *r, __u64 deadline)
{
	struct pollfd pfd = { .fd = r->set->stop_fd, .events = POLLIN };

	for (;;) {
		__u64 now = fl_mono_ns();
		struct timespec ts;

		if (stopping(r))
			return -EINTR;
		if (now >= deadline)
			return 0;
		ts.tv_sec = (deadline - now) / NSEC_PER_SEC;
		ts.tv_nsec = (deadline - now) % NSEC_PER_SEC;
		ppoll(&pfd, 1, &ts, NULL);
	}
}

/* ---- http ---- */

static size_t http_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

static int http_setup(struct fl_probe_run *r)
{
	__u64 ms = (r->cfg.timeout_ns + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC;
	CURL *c;
	int bad = 0;

	if (ms > LONG_MAX)
		ms = LONG_MAX;
	r->multi = curl_multi_init();
	c = curl_easy_init();
	r->curl = c;
	if (!c || !r->multi)
		return -ENOMEM;
	bad |= curl_easy_setopt(c, CURLOPT_URL, r->cfg.url);
	bad |= curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)ms);
	bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	/* A new connection each time: a fault on connection setup must show. */
	bad |= curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "faultline-probe/" FL_VERSION);
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_discard);
	bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_err);
	return bad ? -EINVAL : 0;
}

/* One transfer; the wait also watches stop_fd, so a stop ends it at once. */
static CURLcode http_perform(struct fl_probe_run *r)
{
	struct curl_waitfd stop = { .fd = r->set->stop_fd, .events = CURL_WAIT_POLLIN };
	CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
	int running = 1;
	CURLMsg *msg;
	int left;

	if (curl_multi_add_handle(r->multi, r->curl) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (running && !stopping(r)) {
		if (curl_multi_perform(r->multi, &running) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
		if (running && curl_multi_poll(r->multi, &stop, 1, 1000, NULL) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
	}
	while ((msg = curl_multi_info_read(r->multi, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == r->curl)
			rc = msg->data.result;
	curl_multi_remove_handle(r->multi, r->curl);
	return rc;
}

static void http_run(struct fl_probe_run *r, struct fl_probe_sample *s)
{
	long code = 0;
	CURLcode rc;

	r->curl_err[0] = '\0';
	rc = http_perform(r);
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &code);
	s->status = (int)code;
	if (rc != CURLE_OK) {
		fl_set_err(s->error, sizeof(s->error), "%s",
			r->curl_err[0] ? r->curl_err : curl_easy_strerror(rc));
		return;
	}
	if (r->cfg.expect_status ? code == r->cfg.expect_status : code >= 200 && code <= 299) {
		s->ok = 1;
		return;
	}
	if (r->cfg.expect_status)
		fl_set_err(s->error, sizeof(s->error), "HTTP status %ld, expected %d", code,
			r->cfg.expect_status);
	else
		fl_set_err(s->error, sizeof(s->error), "HTTP status %ld, expected 2xx", code);
}

/* ---- tcp ---- */

static void format_sockaddr(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}

/* One connect attempt until @deadline: 0, -ETIMEDOUT, -EINTR (stopping)
 * or the connect error.
 */
static int tcp_connect(struct fl_probe_run *r, const struct addrinfo *ai, __u64 deadline)
{
	struct pollfd pfd[2];
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -errno;
	if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
		goto out;
	if (errno != EINPROGRESS) {
		err = -errno;
		goto out;
	}
	pfd[0] = (struct pollfd){ .fd = fd, .events = POLLOUT };
	pfd[1] = (struct pollfd){ .fd = r->set->stop_fd, .events = POLLIN };
	for (;;) {
		__u64 now = fl_mono_ns();
		struct timespec ts;
		int n;

		if (stopping(r)) {
			err = -EINTR;
			goto out;
		}
		if (now >= deadline) {
			err = -ETIMEDOUT;
			goto out;
		}
		ts.tv_sec = (deadline - now) / NSEC_PER_SEC;
		ts.tv_nsec = (deadline - now) % NSEC_PER_SEC;
		n = ppoll(pfd, 2, &ts, NULL);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			goto out;
		}
		if (n > 0 && pfd[0].revents)
			break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	err = -err;
out:
	close(fd);
	return err;
}

static void tcp_run(struct fl_probe_run *r, struct fl_probe_sample *s, __u64 start)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICSERV,
	};
	__u64 deadline = start + r->cfg.timeout_ns;
	struct addrinfo *res, *ai;
	char where[INET6_ADDRSTRLEN + 16];
	int rc, err = -EHOSTUNREACH;

	rc = getaddrinfo(r->host, r->port, &hints, &res);
	if (rc) {
		fl_set_err(s->error, sizeof(s->error), "resolve %s: %s", r->host,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return;
	}
	where[0] = '\0';
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		format_sockaddr(ai->ai_addr, where, sizeof(where));
		err = tcp_connect(r, ai, deadline);
		if (!err || err == -ETIMEDOUT || err == -EINTR)
			break;
	}
	freeaddrinfo(res);
	if (!err) {
		s->ok = 1;
		return;
	}
	if (err == -ETIMEDOUT)
		fl_set_err(s->error, sizeof(s->error), "connect %s: timed out after %llu ms", where,
			(unsigned long long)(r->cfg.timeout_ns / NSEC_PER_MSEC));
	else if (where[0])
		fl_set_err(s->error, sizeof(s->error), "connect %s: %s", where, strerror(-err));
	else
		fl_set_err(s->error, sizeof(s->error), "resolve %s: no IPv4 or IPv6 address", r->host);
}

/* ---- the probe thread ---- */

static void queue_sample(struct fl_probes *p, const struct fl_probe_sample *s)
{
	__u64 one = 1;

	pthread_mutex_lock(&p->lock);
	if (p->q_len == FL_PROBES_QUEUE) {
		p->q_head = (p->q_head + 1) % FL_PROBES_QUEUE;
		p->q_len--;
		p->dropped++;
	}
	p->queue[(p->q_head + p->q_len) % FL_PROBES_QUEUE] = *s;
	p->q_len++;
	pthread_mutex_unlock(&p->lock);
	/* After the sample is queued: a drain that misses the sample sees the
	 * counter, and a drain that sees the counter finds the sample.
	 */
	if (write(p->ev_fd, &one, sizeof(one)) < 0) {
		/* Only EAGAIN at a counter near 2^64: the fd stays readable. */
	}
}

static void *probe_thread(void *arg)
{
	struct fl_probe_run *r = arg;
	struct fl_probes *p = r->set;
	__u64 next, interval = r->cfg.interval_ns;
	int err = 0;

	if (r->ns.fd >= 0 && setns(r->ns.fd, CLONE_NEWNET))
		err = -errno;

	pthread_mutex_lock(&p->lock);
	p->ready++;
	if (err && !p->init_err)
		p->init_err = err;
	pthread_cond_broadcast(&p->cond);
	while (!p->go && !atomic_load(&p->stopping))
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);

	next = p->start_ns;
	while (!sleep_until(r, next)) {
		struct fl_probe_sample s;
		__u64 start = fl_mono_ns(), done;

		memset(&s, 0, sizeof(s));
		s.probe = r->idx;
		if (r->cfg.kind == FL_PROBE_HTTP)
			http_run(r, &s);
		else if (r->cfg.kind == FL_PROBE_PROM)
			s.ok = !fl_prom_query(r->cfg.url, r->cfg.query, r->cfg.timeout_ns, &s.value,
					      s.error, sizeof(s.error));
		else
			tcp_run(r, &s, start);
		done = fl_mono_ns();
		if (stopping(r))
			break;		/* abandoned, not a result */
		s.ts_ns = done;
		s.latency_ns = done - start;
		if (s.ok)
			s.error[0] = '\0';
		queue_sample(p, &s);
		/* The next slot still ahead: overrun slots are skipped. */
		next = p->start_ns + ((done - p->start_ns) / interval + 1) * interval;
	}
	return NULL;
}

/* ---- the set ---- */

static void probes_free(struct fl_probes *p)
{
	int i;

	for (i = 0; i < p->n; i++) {
		struct fl_probe_run *r = &p->runs[i];

		if (r->curl)
			curl_easy_cleanup(r->curl);
		if (r->multi)
			curl_multi_cleanup(r->multi);
		fl_netns_close(&r->ns);
	}
	free(p->runs);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	if (p->ev_fd >= 0)
		close(p->ev_fd);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void probes_halt(struct fl_probes *p)
{
	__u64 one = 1;
	int i;

	pthread_mutex_lock(&p->lock);
	atomic_store(&p->stopping, 1);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (write(p->stop_fd, &one, sizeof(one)) < 0) {
		/* The flag alone stops them, within one poll timeout. */
	}
	for (i = 0; i < p->n; i++) {
		if (p->runs[i].started)
			pthread_join(p->runs[i].thread, NULL);
		p->runs[i].started = 0;
	}
}

int fl_probes_start(struct fl_probes **out, const struct fl_probe_cfg *cfgs, int n)
{
	sigset_t all, old;
	struct fl_probes *p;
	int i, err = 0, started = 0;

	if (!out || !cfgs || n < 1 || n > FL_MAX_PROBES)
		return -EINVAL;
	*out = NULL;
	for (i = 0; i < n; i++)
		if (fl_probe_cfg_check(&cfgs[i], NULL, 0))
			return -EINVAL;
	if (fl_http_init())
		return -EIO;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->stop_fd = p->ev_fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->runs = calloc(n, sizeof(*p->runs));
	if (!p->runs) {
		probes_free(p);
		return -ENOMEM;
	}
	p->n = n;
	for (i = 0; i < n; i++)
		p->runs[i].ns.fd = -1;
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->ev_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->stop_fd < 0 || p->ev_fd < 0) {
		err = -errno;
		probes_free(p);
		return err;
	}

	for (i = 0; i < n && !err; i++) {
		struct fl_probe_run *r = &p->runs[i];

		r->set = p;
		r->idx = i;
		r->cfg = cfgs[i];
		if (r->cfg.netns[0]) {
			err = fl_netns_open(r->cfg.netns, &r->ns);
			if (err)
				r->ns.fd = -1;
		}
		if (!err && r->cfg.kind == FL_PROBE_HTTP)
			err = http_setup(r);
		if (!err && r->cfg.kind == FL_PROBE_TCP)
			err = split_address(r->cfg.address, r->host, sizeof(r->host), r->port,
					    sizeof(r->port));
	}
	if (err) {
		probes_free(p);
		return err;
	}

	/* Signals are for the main thread: the probe threads block them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < n; i++) {
		err = -pthread_create(&p->runs[i].thread, NULL, probe_thread, &p->runs[i]);
		if (err)
			break;
		p->runs[i].started = 1;
		started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	/* Every thread has entered its namespace, or the start fails. */
	pthread_mutex_lock(&p->lock);
	while (p->ready < started)
		pthread_cond_wait(&p->cond, &p->lock);
	if (!err)
		err = p->init_err;
	if (!err) {
		p->start_ns = fl_mono_ns();
		p->go = 1;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	if (err) {
		probes_halt(p);
		probes_free(p);
		return err;
	}
	*out = p;
	return 0;
}

int fl_probes_fd(const struct fl_probes *p)
{
	return p ? p->ev_fd : -EINVAL;
}

int fl_probes_drain(struct fl_probes *p, fl_probe_cb cb, void *arg)
{
	struct fl_probe_sample batch[DRAIN_BATCH];
	int left, total = 0;
	__u64 cnt;

	if (!p || !cb)
		return -EINVAL;
	/* Reset the counter first: a sample queued after this either is
	 * taken below or sets the counter again.
	 */
	if (read(p->ev_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&p->lock);
	left = p->q_len;	/* no more than were there: no endless drain */
	pthread_mutex_unlock(&p->lock);
	while (left > 0) {
		int i, k;

		pthread_mutex_lock(&p->lock);
		k = p->q_len < DRAIN_BATCH ? p->q_len : DRAIN_BATCH;
		if (k > left)
			k = left;
		for (i = 0; i < k; i++)
			batch[i] = p->queue[(p->q_head + i) % FL_PROBES_QUEUE];
		p->q_head = (p->q_head + k) % FL_PROBES_QUEUE;
		p->q_len -= k;
		pthread_mutex_unlock(&p->lock);
		if (!k)
			break;
		for (i = 0; i < k; i++)
			cb(&batch[i], arg);
		left -= k;
		total += k;
	}
	return total;
}

__u64 fl_probes_dropped(const struct fl_probes *p)
{
	__u64 d;

	if (!p)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&p->lock);
	d = p->dropped;
	pthread_mutex_unlock((pthread_mutex_t *)&p->lock);
	return d;
}

void fl_probes_stop(struct fl_probes *p)
{
	if (!p)
		return;
	probes_halt(p);
	probes_free(p);
}
