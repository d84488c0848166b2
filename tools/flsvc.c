// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flsvc: a small HTTP/1.1 service, load generator and client for
 * faultline's demo (productpage -> reviews -> ratings, each in its own
 * network namespace) and for its tests.
 *
 *   flsvc serve --name NAME --listen ADDR:PORT [--upstream URL]
 *               [--upstream-timeout D] [--fallback TEXT] [--status CODE]
 *               [--metrics-file FILE] [--duration D]
 *   flsvc load  --url URL --rate N --duration D [--timeout D]
 *   flsvc get   --url URL [--timeout D]
 *
 * The HTTP is the libraries' job: libmicrohttpd serves (a thread per
 * connection, at most MAX_CONNS handled at once, so a slow upstream holds
 * only the requests that wait for it) and libcurl makes every request
 * (the upstream calls, load and get). flsvc itself only routes, counts
 * and words the answers.
 *
 * Addresses are numeric (IPv4, or IPv6 in brackets): flsvc never resolves
 * a name, never uses a proxy, and only ever connects to the address it is
 * given. Every response carries "Connection: close": one request per
 * connection.
 *
 * Exit status: 0 done (get: a 2xx answer), 1 runtime error (get: no
 * answer or not 2xx), 2 usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NSEC		1000000000LL
#define MSEC		1000000LL
#define GET_MAX		(1 << 20)	/* response bytes 'get' keeps */
#define LOAD_MAX	4096		/* response bytes 'load' keeps */
#define EMBED_MAX	(64 << 10)	/* upstream body bytes a response embeds */
#define FILE_MAX	(1 << 20)	/* --metrics-file bytes served */
#define TEXT_MAX	4096		/* --fallback bytes */
#define MAX_CONNS	1024		/* server connections handled at once */
#define BUSY_CONNS	64		/* more that get a quick 503 before MHD refuses */
#define MAX_INFLIGHT	2048		/* load requests outstanding at once */
#define IDLE_TIMEOUT_S	5		/* server: a connection silent this long is closed */
#define STACK_SIZE	(256 << 10)
#define MAX_CODE	600
#define BIND_RETRY	(3 * NSEC)	/* an IPv6 address may still be tentative */

static const char *cmd = "flsvc";
static volatile sig_atomic_t stop_sig;

static void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'flsvc --help')\n", stderr);
	exit(2);
}

static void usage(FILE *f)
{
	fputs("usage:\n"
	      "  flsvc serve --name NAME --listen ADDR:PORT [--upstream http://HOST:PORT/PATH]\n"
	      "              [--upstream-timeout DURATION] [--fallback TEXT] [--status CODE]\n"
	      "              [--metrics-file FILE] [--duration DURATION]\n"
	      "  flsvc load --url http://HOST:PORT/PATH --rate N --duration DURATION [--timeout DURATION]\n"
	      "  flsvc get --url http://HOST:PORT/PATH [--timeout DURATION]\n"
	      "ADDR and HOST are numeric: 198.18.0.1 or [2001:db8::1]. DURATION: 500ms, 1s, 2m,\n"
	      "1h30m, or a bare number of seconds. See tools/README.md.\n", f);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static struct timespec ns_to_ts(long long ns)
{
	struct timespec ts;

	if (ns < 0)
		ns = 0;
	ts.tv_sec = ns / NSEC;
	ts.tv_nsec = ns % NSEC;
	return ts;
}

/* ---- parsing --------------------------------------------------------- */

/* "1.5s", "500ms", "1h30m", or a bare number of seconds. */
static int parse_duration(const char *s, long long *out)
{
	static const struct {
		const char *name;
		long long mult;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", MSEC }, { "s", NSEC },
		{ "m", 60 * NSEC }, { "h", 3600 * NSEC },
	};
	const char *p = s;
	__int128 total = 0;
	int parts = 0;

	if (!*s)
		return -1;
	while (*p) {
		long long ip = 0, fnum = 0, fden = 1, mult = 0;
		const char *unit;
		int digits = 0;
		size_t i, ulen;

		for (; isdigit((unsigned char)*p); p++, digits++) {
			if (ip > 1000000000000LL)
				return -1;
			ip = ip * 10 + (*p - '0');
		}
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++, digits++) {
				if (fden < 1000000000000LL) {
					fnum = fnum * 10 + (*p - '0');
					fden *= 10;
				}
			}
		}
		if (!digits)
			return -1;
		unit = p;
		while (isalpha((unsigned char)*p))
			p++;
		ulen = (size_t)(p - unit);
		if (!ulen) {
			/* Unitless only as the whole string. */
			if (*p || parts)
				return -1;
			mult = NSEC;
		}
		for (i = 0; ulen && i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].name) == ulen &&
			    !strncmp(units[i].name, unit, ulen))
				mult = units[i].mult;
		if (!mult)
			return -1;
		total += (__int128)ip * mult + (__int128)fnum * mult / fden;
		if (total > (__int128)366 * 86400 * NSEC)
			return -1;
		parts++;
	}
	*out = (long long)total;
	return 0;
}

static long long opt_duration(const char *opt, const char *val,
			      long long min, long long max, const char *range)
{
	long long ns;

	if (parse_duration(val, &ns))
		usage_error("%s: '%s' is not a duration; expected e.g. 500ms, 2s, 1m (%s)",
			    opt, val, range);
	if (ns < min || ns > max)
		usage_error("%s: '%s' is out of range; expected %s", opt, val, range);
	return ns;
}

static long opt_long(const char *opt, const char *val, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < min || v > max)
		usage_error("%s: '%s' is not valid; expected an integer from %ld to %ld",
			    opt, val, min, max);
	return v;
}

struct endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
	char host[INET6_ADDRSTRLEN + 2];	/* as written: "[2001:db8::1]" */
	int port;
	char path[1024];
	char url[1200];			/* rebuilt from the above, for libcurl */
};

/* "198.18.0.1:9080" or "[2001:db8::1]:9080"; a missing port is
 * default_port (or an error when that is negative).
 */
static const char *parse_hostport(const char *s, size_t n, int default_port,
				  struct endpoint *ep)
{
	char addr[INET6_ADDRSTRLEN];
	const char *port = NULL, *end = s + n;
	size_t alen;

	memset(ep, 0, sizeof(*ep));
	if (n && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (!rb)
			return "an IPv6 address needs a closing ']'";
		alen = (size_t)(rb - s - 1);
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return "expected ':PORT' after ']'";
			port = rb + 2;
		}
		if (!alen || alen >= sizeof(addr))
			return "expected an IPv6 address in brackets";
		memcpy(addr, s + 1, alen);
		addr[alen] = 0;
		ep->ss.ss_family = AF_INET6;
		if (inet_pton(AF_INET6, addr,
			      &((struct sockaddr_in6 *)&ep->ss)->sin6_addr) != 1)
			return "expected a numeric IPv6 address in brackets";
		ep->len = sizeof(struct sockaddr_in6);
		snprintf(ep->host, sizeof(ep->host), "[%s]", addr);
	} else {
		const char *colon = memchr(s, ':', n);

		alen = colon ? (size_t)(colon - s) : n;
		if (colon)
			port = colon + 1;
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return "an IPv6 address goes in brackets: [2001:db8::1]:9080";
		if (!alen || alen >= sizeof(addr))
			return "expected a numeric IPv4 address or [IPv6] address";
		memcpy(addr, s, alen);
		addr[alen] = 0;
		ep->ss.ss_family = AF_INET;
		if (inet_pton(AF_INET, addr,
			      &((struct sockaddr_in *)&ep->ss)->sin_addr) != 1)
			return "expected a numeric IPv4 address or [IPv6] address (no names)";
		ep->len = sizeof(struct sockaddr_in);
		snprintf(ep->host, sizeof(ep->host), "%s", addr);
	}
	if (port) {
		long v = 0;
		const char *p;

		if (port == end)
			return "expected a port number after ':'";
		for (p = port; p < end; p++) {
			if (!isdigit((unsigned char)*p) || v > 65535)
				return "expected a port number from 0 to 65535";
			v = v * 10 + (*p - '0');
		}
		if (v > 65535)
			return "expected a port number from 0 to 65535";
		ep->port = (int)v;
	} else if (default_port < 0) {
		return "expected ADDR:PORT";
	} else {
		ep->port = default_port;
	}
	if (ep->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ep->ss)->sin6_port = htons(ep->port);
	else
		((struct sockaddr_in *)&ep->ss)->sin_port = htons(ep->port);
	return NULL;
}

static void opt_listen(const char *opt, const char *val, struct endpoint *ep)
{
	const char *err = parse_hostport(val, strlen(val), -1, ep);

	if (err)
		usage_error("%s: '%s': %s (e.g. 198.18.0.1:9080, [2001:db8::1]:9080)",
			    opt, val, err);
}

static void opt_url(const char *opt, const char *val, struct endpoint *ep)
{
	const char *auth, *slash, *err, *p;
	size_t alen;

	if (strncasecmp(val, "http://", 7))
		usage_error("%s: '%s' is not an http:// URL; expected http://HOST:PORT/PATH",
			    opt, val);
	auth = val + 7;
	slash = auth + strcspn(auth, "/?#");
	alen = (size_t)(slash - auth);
	err = parse_hostport(auth, alen, 80, ep);
	if (err)
		usage_error("%s: '%s': %s; expected http://HOST:PORT/PATH", opt, val, err);
	if (ep->port == 0)
		usage_error("%s: '%s': port 0; expected a port from 1 to 65535", opt, val);
	for (p = slash; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			usage_error("%s: '%s': the path has a space or control character; expected a URL-encoded path",
				    opt, val);
	if (*slash == '#')
		slash = "";	/* a fragment never goes on the wire */
	snprintf(ep->path, sizeof(ep->path), "%s%.*s", *slash == '/' ? "" : "/",
		 (int)strcspn(slash, "#"), slash);
	if (strlen(slash) >= sizeof(ep->path) - 1)
		usage_error("%s: '%s': the path is too long; expected at most %zu bytes",
			    opt, val, sizeof(ep->path) - 2);
	/* libcurl gets the checked numeric address, never the text as given. */
	snprintf(ep->url, sizeof(ep->url), "http://%s:%d%s", ep->host, ep->port, ep->path);
}

static void ep_str(const struct endpoint *ep, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%d", ep->host, ep->port);
}

/* getopt_long with one-line errors; returns the option's value or -1. */
static int next_opt(int argc, char **argv, const struct option *longs,
		    const char *expected)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, ":h", longs, NULL);
	if (c == '?')
		usage_error("unknown option '%s'; expected %s", argv[optind - 1], expected);
	if (c == ':')
		usage_error("option '%s' needs a value", argv[optind - 1]);
	return c;
}

/* ---- HTTP client: libcurl ------------------------------------------- */

enum up_result { UP_OK, UP_STATUS, UP_TIMEOUT, UP_REFUSED, UP_ERROR, UP_NRESULTS };

static const char *const up_result_name[UP_NRESULTS] = {
	[UP_OK] = "ok", [UP_STATUS] = "status", [UP_TIMEOUT] = "timeout",
	[UP_REFUSED] = "refused", [UP_ERROR] = "error",
};

struct http_resp {
	int status;			/* 0 when no answer came */
	char *body;			/* always NUL-terminated */
	size_t body_len;
	size_t cap;
	size_t max;			/* body bytes kept */
	bool truncated;			/* the body was longer than max */
	bool oom;
	char err[CURL_ERROR_SIZE + 64];
	char curl_err[CURL_ERROR_SIZE];	/* libcurl's own words, while it runs */
};

/* Request headers every call adds; built once in main, then only read. */
static struct curl_slist *req_headers;

static void http_resp_free(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* libcurl's body callback: keep the first r->max bytes. Past them, stop
 * the transfer (a short count ends it with CURLE_WRITE_ERROR): the status
 * is known by then, and reading a long body to its end would only spend
 * the timeout.
 */
static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_resp *r = arg;
	size_t len = size * n, keep = len;

	if (keep > r->max - r->body_len) {
		keep = r->max - r->body_len;
		r->truncated = true;
	}
	if (r->body_len + keep + 1 > r->cap) {
		size_t ncap = r->cap < 4096 ? 4096 : r->cap;
		char *nb;

		while (ncap < r->body_len + keep + 1)
			ncap *= 2;
		nb = realloc(r->body, ncap);
		if (!nb) {
			r->oom = true;
			return 0;
		}
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->body_len, data, keep);
	r->body_len += keep;
	r->body[r->body_len] = 0;
	return r->truncated ? 0 : len;
}

/* A transfer for one GET to ep, everything (connect, send, read) within
 * timeout_ns, keeping at most max body bytes in r; NULL (r->err says why)
 * when it cannot be set up.
 */
static CURL *http_new(const struct endpoint *ep, long long timeout_ns, size_t max,
		      struct http_resp *r)
{
	long tmo_ms = (long)(timeout_ns / MSEC);
	CURL *c;

	memset(r, 0, sizeof(*r));
	r->max = max;
	r->body = calloc(1, 1);
	r->cap = 1;
	c = curl_easy_init();
	if (!c || !r->body) {
		snprintf(r->err, sizeof(r->err),
			 "cannot set up a libcurl transfer: out of memory");
		goto fail;
	}
	if (tmo_ms < 1)
		tmo_ms = 1;
	/* Numeric addresses only (opt_url checked), no proxy whatever the
	 * environment says, plain http, the path exactly as given.
	 */
	if (curl_easy_setopt(c, CURLOPT_URL, ep->url) ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") ||
	    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L) ||
	    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, req_headers) ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "flsvc") ||
	    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L) ||
	    /* threads: no SIGALRM for timeouts */
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, tmo_ms) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, tmo_ms) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, r) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->curl_err)) {
		snprintf(r->err, sizeof(r->err),
			 "libcurl %s refused an option; flsvc needs libcurl 7.85 or later",
			 curl_version_info(CURLVERSION_NOW)->version);
		goto fail;
	}
	return c;
fail:
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

/* What a finished transfer came to; r->err says what went wrong, in the
 * words the README and the logs use.
 */
static enum up_result http_result(CURL *c, CURLcode rc, long long timeout_ns,
				  struct http_resp *r)
{
	long long tmo_ms = timeout_ns / MSEC;
	long status = 0, oserr = 0, head_bytes = 0;
	const char *errbuf = r->curl_err;
	enum up_result res = UP_ERROR;
	curl_off_t connected = 0;

	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connected);
	curl_easy_getinfo(c, CURLINFO_HEADER_SIZE, &head_bytes);
	if (rc == CURLE_WRITE_ERROR && r->truncated && !r->oom)
		rc = CURLE_OK;		/* on_body stopped it: enough body */
	switch (rc) {
	case CURLE_OK:
		r->status = (int)status;
		if (status >= 200 && status < 300) {
			res = UP_OK;
		} else {
			snprintf(r->err, sizeof(r->err), "status %ld", status);
			res = UP_STATUS;
		}
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(r->err, sizeof(r->err), "connect: %s",
			 oserr ? strerror((int)oserr) : errbuf);
		res = oserr == ECONNREFUSED ? UP_REFUSED :
		      oserr == ETIMEDOUT ? UP_TIMEOUT : UP_ERROR;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		/* Which step the timeout cut short tells a dropped SYN from a
		 * server that accepted and then hung.
		 */
		if (!connected)
			snprintf(r->err, sizeof(r->err), "connect timeout after %lld ms",
				 tmo_ms);
		else
			snprintf(r->err, sizeof(r->err), "%s within %lld ms",
				 head_bytes || r->body_len ? "incomplete response" :
				 "no response", tmo_ms);
		res = UP_TIMEOUT;
		break;
	case CURLE_GOT_NOTHING:
		snprintf(r->err, sizeof(r->err), "connection closed without a response");
		break;
	case CURLE_RECV_ERROR:
		/* Without a socket error, libcurl could not decode what came
		 * (a bad chunk size, say).
		 */
		if (oserr)
			snprintf(r->err, sizeof(r->err), "read: %s%s", strerror((int)oserr),
				 head_bytes ? " (after a partial response)" : "");
		else
			snprintf(r->err, sizeof(r->err), "malformed response: %s", errbuf);
		res = oserr == ETIMEDOUT ? UP_TIMEOUT : UP_ERROR;
		break;
	case CURLE_SEND_ERROR:
		snprintf(r->err, sizeof(r->err), "send: %s",
			 oserr ? strerror((int)oserr) : errbuf);
		break;
	case CURLE_PARTIAL_FILE:
		snprintf(r->err, sizeof(r->err), "truncated body: %s", errbuf);
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_BAD_CONTENT_ENCODING:
		snprintf(r->err, sizeof(r->err), "malformed response: %s",
			 *errbuf ? errbuf : curl_easy_strerror(rc));
		break;
	default:
		snprintf(r->err, sizeof(r->err), "%s%s%s", r->oom ?
			 "out of memory for the response body" : curl_easy_strerror(rc),
			 *errbuf && !r->oom ? ": " : "", r->oom ? "" : errbuf);
		break;
	}
	return res;
}

/* One GET, in this thread. */
static enum up_result http_get(const struct endpoint *ep, long long timeout_ns,
			       size_t max, struct http_resp *r)
{
	enum up_result res;
	CURL *c;

	c = http_new(ep, timeout_ns, max, r);
	if (!c)
		return UP_ERROR;
	res = http_result(c, curl_easy_perform(c), timeout_ns, r);
	curl_easy_cleanup(c);
	return res;
}

/* ---- serve: libmicrohttpd ------------------------------------------- */

static struct server {
	const char *name;
	struct endpoint listen;
	bool has_upstream;
	struct endpoint upstream;
	const char *upstream_url;
	long long up_timeout;
	const char *fallback;
	int status;
	const char *metrics_file;
	long long duration;

	atomic_ulong codes[MAX_CODE];
	atomic_ulong up_results[UP_NRESULTS];
	atomic_ulong fallbacks;
	atomic_int up_failing;

	pthread_mutex_t lock;
	pthread_cond_t idle;
	int conns;		/* open connections, from MHD's notifications */
} srv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.status = 200,
};

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_msg(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "flsvc[%s]: ", srv.name);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

/* MHD's own error lines (a thread it could not start, a connection past
 * the limit, a request it answered 400 or 431 itself) go to the log with
 * the service's prefix, where the other lines are.
 */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[400];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && isspace((unsigned char)msg[n - 1]))
		msg[--n] = 0;
	log_msg("libmicrohttpd: %s", msg);
}

/* The standard phrase; for a code without one (599), its class. */
static const char *reason(int code)
{
	const char *phrase = MHD_get_reason_phrase_for((unsigned int)code);

	if (phrase && *phrase && strcmp(phrase, "Unknown"))
		return phrase;
	return code < 400 ? "Redirect" : code < 500 ? "Client Error" : "Server Error";
}

static void count(int code)
{
	if (code >= 0 && code < MAX_CODE)
		atomic_fetch_add(&srv.codes[code], 1);
}

static int open_conns(void)
{
	int n;

	pthread_mutex_lock(&srv.lock);
	n = srv.conns;
	pthread_mutex_unlock(&srv.lock);
	return n;
}

/* Queue one answer. Takes body (malloc'd; NULL for none); extra is
 * name/value header pairs, NULL-terminated. MHD sends no body for HEAD.
 */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int code,
			       const char *ctype, const char *const *extra,
			       char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	bool ok;

	resp = MHD_create_response_from_buffer(body ? len : 0, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		log_msg("cannot build a %u answer: out of memory; closing the connection", code);
		return MHD_NO;
	}
	ok = MHD_add_response_header(resp, "Server", "flsvc") == MHD_YES &&
	     MHD_add_response_header(resp, "X-Flsvc-Name", srv.name) == MHD_YES &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) == MHD_YES;
	for (; ok && extra && extra[0]; extra += 2)
		ok = MHD_add_response_header(resp, extra[0], extra[1]) == MHD_YES;
	/* One request per connection: MHD closes after this answer. */
	if (ok)
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_YES;
	if (!ok) {
		MHD_destroy_response(resp);
		log_msg("cannot add the headers of a %u answer: out of memory; closing the connection",
			code);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int code,
				    const char *const *extra, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned int code,
				    const char *const *extra, const char *fmt, ...)
{
	char *body = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0) {
		body = NULL;
		n = 0;
	}
	return respond(conn, code, "text/plain; charset=utf-8", extra, body, (size_t)n);
}

/* The file's bytes now (it may be replaced between two scrapes), at most
 * FILE_MAX; NULL with errno set when it cannot be read.
 */
static char *read_file(const char *path, size_t *len)
{
	char *text = malloc(FILE_MAX);
	int fd, err;

	*len = 0;
	if (!text)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	while (*len < FILE_MAX) {
		ssize_t got = read(fd, text + *len, FILE_MAX - *len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			close(fd);
			goto fail;
		}
		if (!got)
			break;
		*len += (size_t)got;
	}
	close(fd);
	return text;
fail:
	err = errno;
	free(text);
	errno = err;
	return NULL;
}

static enum MHD_Result serve_metrics(struct MHD_Connection *conn)
{
	const char *ctype = "text/plain; version=0.0.4; charset=utf-8";
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	if (srv.metrics_file) {
		text = read_file(srv.metrics_file, &len);
		if (!text)
			return respond_text(conn, 500, NULL, "%s: cannot read %s: %s\n",
					    srv.name, srv.metrics_file, strerror(errno));
		return respond(conn, 200, ctype, NULL, text, len);
	}

	f = open_memstream(&text, &len);
	if (!f)
		return respond_text(conn, 500, NULL, "%s: out of memory for /metrics\n", srv.name);
	fprintf(f, "# HELP http_requests_total Requests answered on application paths (not /metrics, /healthz), by status code.\n"
		   "# TYPE http_requests_total counter\n");
	for (i = 0; i < MAX_CODE; i++) {
		unsigned long v = atomic_load(&srv.codes[i]);

		if (v || i == srv.status)
			fprintf(f, "http_requests_total{service=\"%s\",code=\"%d\"} %lu\n",
				srv.name, i, v);
	}
	if (srv.has_upstream) {
		fprintf(f, "# HELP flsvc_upstream_requests_total Upstream calls, by result.\n"
			   "# TYPE flsvc_upstream_requests_total counter\n");
		for (i = 0; i < UP_NRESULTS; i++)
			fprintf(f, "flsvc_upstream_requests_total{service=\"%s\",result=\"%s\"} %lu\n",
				srv.name, up_result_name[i],
				atomic_load(&srv.up_results[i]));
		fprintf(f, "# HELP flsvc_fallback_responses_total Answers given with the fallback text.\n"
			   "# TYPE flsvc_fallback_responses_total counter\n"
			   "flsvc_fallback_responses_total{service=\"%s\"} %lu\n",
			srv.name, atomic_load(&srv.fallbacks));
		fprintf(f, "# HELP flsvc_upstream_up Whether the last upstream call succeeded.\n"
			   "# TYPE flsvc_upstream_up gauge\n"
			   "flsvc_upstream_up{service=\"%s\"} %d\n",
			srv.name, !atomic_load(&srv.up_failing));
	}
	fprintf(f, "# HELP flsvc_connections_in_flight Connections being handled.\n"
		   "# TYPE flsvc_connections_in_flight gauge\n"
		   "flsvc_connections_in_flight{service=\"%s\"} %d\n", srv.name, open_conns());
	if (fclose(f)) {
		free(text);
		return respond_text(conn, 500, NULL, "%s: out of memory for /metrics\n", srv.name);
	}
	return respond(conn, 200, ctype, NULL, text, len);
}

/* Log upstream state changes, at most one line a second: a partial fault
 * flips the state on every other call.
 */
static void note_upstream(enum up_result res, const char *err)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned long n_ok, n_fail;
	static long long last_log;
	static int logged;		/* 0 ok (or none yet), 1 failing */
	int failing = res != UP_OK;
	long long now = now_ns();

	atomic_fetch_add(&srv.up_results[res], 1);
	atomic_store(&srv.up_failing, failing);
	pthread_mutex_lock(&lock);
	if (failing)
		n_fail++;
	else
		n_ok++;
	if (failing != logged && now - last_log >= NSEC) {
		if (failing)
			log_msg("upstream %s failing: %s (%lu ok, %lu failed since the last line)",
				srv.upstream_url, err, n_ok, n_fail);
		else
			log_msg("upstream %s recovered (%lu ok, %lu failed since the last line)",
				srv.upstream_url, n_ok, n_fail);
		logged = failing;
		last_log = now;
		n_ok = n_fail = 0;
	}
	pthread_mutex_unlock(&lock);
}

static enum MHD_Result serve_app(struct MHD_Connection *conn)
{
	const char *extra[] = { "X-Flsvc-Upstream", NULL, NULL, NULL, NULL };
	enum MHD_Result ret;
	struct http_resp r;
	enum up_result res;
	const char *b;
	size_t blen;
	int code;

	if (!srv.has_upstream) {
		code = srv.status;
		count(code);
		if (code < 300)
			return respond_text(conn, code, NULL, "%s ok\n", srv.name);
		return respond_text(conn, code, NULL, "%s %d %s\n", srv.name, code,
				    reason(code));
	}

	res = http_get(&srv.upstream, srv.up_timeout, EMBED_MAX, &r);
	note_upstream(res, r.err);
	extra[1] = up_result_name[res];
	if (res == UP_OK) {
		code = srv.status;
		b = r.body;
		blen = r.body_len;
		while (blen && isspace((unsigned char)b[blen - 1]))
			blen--;
		ret = respond_text(conn, code, extra, "%s -> %.*s%s\n", srv.name, (int)blen, b,
				   r.truncated ? "..." : "");
	} else if (srv.fallback) {
		code = 200;
		atomic_fetch_add(&srv.fallbacks, 1);
		extra[2] = "X-Flsvc-Fallback";
		extra[3] = "1";
		blen = strlen(srv.fallback);
		ret = respond_text(conn, code, extra, "%s%s", srv.fallback,
				   blen && srv.fallback[blen - 1] == '\n' ? "" : "\n");
	} else {
		code = 502;
		ret = respond_text(conn, code, extra, "%s: upstream %s: %s\n", srv.name,
				   srv.upstream_url, r.err);
	}
	http_resp_free(&r);
	count(code);
	return ret;
}

/* MHD's request handler, in the connection's own thread. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	static const char *const allow[] = { "Allow", "GET, HEAD", NULL };
	static int head_seen;
	const char *path = url;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		/* Answered at once: a body we refuse need not be read. */
		count(405);
		return respond_text(conn, 405, allow,
				    "%s: method %s not allowed; expected GET or HEAD\n",
				    srv.name, method);
	}
	/* The first call has the head; the next ones bring the body (a GET
	 * has none, any is dropped) and then its end, which is when to answer.
	 */
	if (!*req_cls) {
		*req_cls = &head_seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (open_conns() > MAX_CONNS) {
		count(503);
		return respond_text(conn, 503, NULL, "busy\n");
	}
	if (!strncasecmp(path, "http://", 7)) {	/* absolute form */
		path = strchr(path + 7, '/');
		if (!path)
			path = "/";
	}
	if (!strcmp(path, "/healthz"))
		return respond_text(conn, 200, NULL, "ok\n");
	if (!strcmp(path, "/metrics"))
		return serve_metrics(conn);
	return serve_app(conn);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)conn;
	(void)socket_ctx;
	pthread_mutex_lock(&srv.lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		srv.conns++;
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && --srv.conns == 0)
		pthread_cond_broadcast(&srv.idle);
	pthread_mutex_unlock(&srv.lock);
}

/* flsvc binds the socket itself, for the bind retry and the port that 0
 * picked; MHD accepts on it.
 */
static int listen_on(const struct endpoint *ep)
{
	long long give_up = now_ns() + BIND_RETRY;
	int fd, one = 1;

	fd = socket(ep->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A fresh IPv6 address is "tentative" until DAD ends: retry a while. */
	while (bind(fd, (const struct sockaddr *)&ep->ss, ep->len)) {
		struct timespec ts = ns_to_ts(50 * MSEC);

		if (errno != EADDRNOTAVAIL || now_ns() > give_up || stop_sig)
			goto fail;
		nanosleep(&ts, NULL);
	}
	if (listen(fd, 1024))
		goto fail;
	return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

static int cmd_serve(int argc, char **argv, const sigset_t *waitmask)
{
	static const struct option longs[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "upstream-timeout", required_argument, NULL, 't' },
		{ "fallback", required_argument, NULL, 'f' },
		{ "status", required_argument, NULL, 's' },
		{ "metrics-file", required_argument, NULL, 'm' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *expected = "--name, --listen, --upstream, --upstream-timeout, "
			       "--fallback, --status, --metrics-file, --duration";
	struct MHD_Daemon *d = NULL;
	unsigned long served = 0;
	bool have_listen = false;
	pthread_condattr_t ca;
	long long end, grace;
	int lfd, c, left;
	char where[80];

	srv.up_timeout = NSEC;
	srv.duration = 3600 * NSEC;
	while ((c = next_opt(argc, argv, longs, expected)) != -1) {
		switch (c) {
		case 'n': {
			const char *p;

			for (p = optarg; *p; p++)
				if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
					break;
			if (!*optarg || *p || strlen(optarg) > 63)
				usage_error("--name: '%s' is not valid; expected 1-63 letters, digits, '.', '_' or '-'",
					    optarg);
			srv.name = optarg;
			break;
		}
		case 'l':
			opt_listen("--listen", optarg, &srv.listen);
			have_listen = true;
			break;
		case 'u':
			opt_url("--upstream", optarg, &srv.upstream);
			srv.upstream_url = optarg;
			srv.has_upstream = true;
			break;
		case 't':
			srv.up_timeout = opt_duration("--upstream-timeout", optarg, MSEC,
						      60 * NSEC, "from 1ms to 60s");
			break;
		case 'f':
			if (strlen(optarg) > TEXT_MAX)
				usage_error("--fallback: the text is %zu bytes; expected at most %d",
					    strlen(optarg), TEXT_MAX);
			srv.fallback = optarg;
			break;
		case 's':
			srv.status = (int)opt_long("--status", optarg, 200, 599);
			break;
		case 'm':
			if (!*optarg)
				usage_error("--metrics-file: empty; expected a file name");
			srv.metrics_file = optarg;
			break;
		case 'd':
			srv.duration = opt_duration("--duration", optarg, MSEC,
						    30 * 86400 * NSEC, "from 1ms to 30 days");
			break;
		case 'h':
			usage(stdout);
			exit(0);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'; expected options only", argv[optind]);
	if (!srv.name)
		usage_error("--name is missing; expected a service name such as reviews");
	if (!have_listen)
		usage_error("--listen is missing; expected ADDR:PORT such as 198.18.0.1:9080");

	ep_str(&srv.listen, where, sizeof(where));
	lfd = listen_on(&srv.listen);
	if (lfd < 0) {
		fprintf(stderr, "flsvc[%s]: cannot listen on %s: %s; use an address of this network namespace and a free port (0 picks one)\n",
			srv.name, where, strerror(errno));
		return 1;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (!getsockname(lfd, (struct sockaddr *)&ss, &sl))
			srv.listen.port = ntohs(ss.ss_family == AF_INET6 ?
				((struct sockaddr_in6 *)&ss)->sin6_port :
				((struct sockaddr_in *)&ss)->sin_port);
	}
	ep_str(&srv.listen, where, sizeof(where));

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv.idle, &ca);

	/* A thread per connection: a request waiting on its upstream never
	 * holds up another. MHD refuses connections past its limit; the
	 * BUSY_CONNS before that get a quick 503 from on_request. ITC lets
	 * MHD_quiesce_daemon stop the accepting at exit.
	 */
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD |
			     MHD_USE_ITC | MHD_USE_ERROR_LOG,
			     0, NULL, NULL, on_request, NULL,
			     /* first, or MHD logs its earliest errors itself */
			     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
			     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(MAX_CONNS + BUSY_CONNS),
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
			     MHD_OPTION_THREAD_STACK_SIZE, (size_t)STACK_SIZE,
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "flsvc[%s]: cannot start the HTTP server (libmicrohttpd %s) on %s; see its message above\n",
			srv.name, MHD_get_version(), where);
		close(lfd);
		return 1;
	}
	if (srv.has_upstream)
		log_msg("listening on %s, upstream %s (timeout %lld ms, %s)", where,
			srv.upstream_url, srv.up_timeout / MSEC,
			srv.fallback ? "fallback" : "no fallback");
	else
		log_msg("listening on %s", where);

	end = now_ns() + srv.duration;
	while (!stop_sig) {
		long long left_ns = end - now_ns();
		struct timespec ts;

		if (left_ns <= 0)
			break;
		ts = ns_to_ts(left_ns);
		ppoll(NULL, 0, &ts, waitmask);
	}

	/* Stop accepting at once: MHD lets go of the socket, and a shutdown
	 * makes the kernel refuse new connections (MHD wants the descriptor
	 * itself open until MHD_stop_daemon).
	 */
	if (MHD_quiesce_daemon(d) != MHD_INVALID_SOCKET)
		shutdown(lfd, SHUT_RD);

	/* Let the requests in progress finish: each is bounded by the
	 * upstream timeout, an idle connection by MHD's timeout.
	 */
	grace = now_ns() + srv.up_timeout + IDLE_TIMEOUT_S * NSEC + NSEC;
	pthread_mutex_lock(&srv.lock);
	while (srv.conns > 0) {
		struct timespec ts = ns_to_ts(grace);

		if (pthread_cond_timedwait(&srv.idle, &srv.lock, &ts) == ETIMEDOUT)
			break;
	}
	left = srv.conns;
	pthread_mutex_unlock(&srv.lock);
	/* MHD_stop_daemon joins every connection thread: with one still stuck
	 * past the grace period, exit without it.
	 */
	if (!left) {
		MHD_stop_daemon(d);
		close(lfd);
	}
	for (c = 0; c < MAX_CODE; c++)
		served += atomic_load(&srv.codes[c]);
	log_msg("stopped (%s) after %lu requests%s",
		stop_sig == SIGINT ? "SIGINT" : stop_sig ? "SIGTERM" : "duration over",
		served, left ? "; some still in progress" : "");
	return 0;
}

/* ---- load: one libcurl multi handle --------------------------------- */

/* One thread runs the schedule and every request: libcurl's multi
 * interface tells which sockets to watch and when its next timeout is,
 * and one ppoll() waits for those, the next send, the next tick and a
 * signal at once. A stuck request costs a socket, never the schedule.
 */
static struct load {
	struct endpoint ep;
	long long timeout;
	CURLM *multi;
	struct pollfd *pfds;		/* the sockets libcurl wants watched */
	struct pollfd *ready;		/* a copy, for the callbacks to change pfds */
	int npfds, cap_pfds;
	long long curl_due;		/* libcurl's next timeout; -1: none */
	int inflight;
	unsigned long sent, ok, fail, sec_ok, sec_fail;
	uint32_t *lat_us;
	size_t nlat, cap;
} ld = {
	.curl_due = -1,
};

struct load_req {
	long long start;
	struct http_resp r;
};

/* CURLMOPT_SOCKETFUNCTION: watch s for what (or stop watching it). */
static int on_load_socket(CURL *e, curl_socket_t s, int what, void *cls, void *sockp)
{
	int i;

	(void)e;
	(void)cls;
	(void)sockp;
	for (i = 0; i < ld.npfds && ld.pfds[i].fd != s; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < ld.npfds)
			ld.pfds[i] = ld.pfds[--ld.npfds];
		return 0;
	}
	if (i == ld.npfds) {
		if (ld.npfds == ld.cap_pfds) {
			int ncap = ld.cap_pfds ? ld.cap_pfds * 2 : 64;
			struct pollfd *p = realloc(ld.pfds, (size_t)ncap * sizeof(*p));
			struct pollfd *q;

			if (!p)
				return -1;	/* libcurl fails that transfer */
			ld.pfds = p;
			q = realloc(ld.ready, (size_t)ncap * sizeof(*q));
			if (!q)
				return -1;
			ld.ready = q;
			ld.cap_pfds = ncap;
		}
		ld.pfds[ld.npfds++].fd = s;
	}
	ld.pfds[i].events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
				    (what & CURL_POLL_OUT ? POLLOUT : 0));
	ld.pfds[i].revents = 0;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when libcurl next wants to run its timers. */
static int on_load_timer(CURLM *m, long timeout_ms, void *cls)
{
	(void)m;
	(void)cls;
	ld.curl_due = timeout_ms < 0 ? -1 : now_ns() + timeout_ms * MSEC;
	return 0;
}

static void load_count(bool ok, long long start)
{
	long long us = (now_ns() - start) / 1000;

	if (us > UINT32_MAX)
		us = UINT32_MAX;
	if (ok) {
		ld.ok++;
		ld.sec_ok++;
	} else {
		ld.fail++;
		ld.sec_fail++;
	}
	if (ld.nlat == ld.cap) {
		size_t ncap = ld.cap ? ld.cap * 2 : 4096;
		uint32_t *n = realloc(ld.lat_us, ncap * sizeof(*n));

		if (n) {
			ld.lat_us = n;
			ld.cap = ncap;
		}
	}
	if (ld.nlat < ld.cap)
		ld.lat_us[ld.nlat++] = (uint32_t)us;
}

/* Count the transfers libcurl has finished. */
static void load_reap(void)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(ld.multi, &left))) {
		struct load_req *q = NULL;
		CURL *e = msg->easy_handle;
		CURLcode rc = msg->data.result;
		enum up_result res;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&q);
		res = http_result(e, rc, ld.timeout, &q->r);
		load_count(res == UP_OK, q->start);
		curl_multi_remove_handle(ld.multi, e);
		curl_easy_cleanup(e);
		http_resp_free(&q->r);
		free(q);
		ld.inflight--;
	}
}

/* Start one request now; false when it could not even start. */
static bool load_start(long long now)
{
	struct load_req *q = malloc(sizeof(*q));
	CURL *e;

	if (!q)
		return false;
	q->start = now;
	e = http_new(&ld.ep, ld.timeout, LOAD_MAX, &q->r);
	if (!e)
		goto fail;
	if (curl_easy_setopt(e, CURLOPT_PRIVATE, q) ||
	    curl_multi_add_handle(ld.multi, e)) {
		curl_easy_cleanup(e);
		goto fail;
	}
	ld.inflight++;
	return true;
fail:
	http_resp_free(&q->r);
	free(q);
	return false;
}

/* Wait until wake at most (or a signal), letting libcurl work on what is
 * ready meanwhile; then count what finished.
 */
static void load_wait(long long wake, const sigset_t *waitmask)
{
	long long now = now_ns();
	struct timespec ts;
	int i, n, running;

	if (ld.curl_due >= 0 && ld.curl_due < wake)
		wake = ld.curl_due;
	ts = ns_to_ts(wake - now);
	n = ppoll(ld.pfds, (nfds_t)ld.npfds, &ts, waitmask);
	if (n > 0) {
		int nready = 0;

		for (i = 0; i < ld.npfds; i++)
			if (ld.pfds[i].revents)
				ld.ready[nready++] = ld.pfds[i];
		for (i = 0; i < nready; i++) {
			short rev = ld.ready[i].revents;
			int ev = (rev & POLLIN ? CURL_CSELECT_IN : 0) |
				 (rev & POLLOUT ? CURL_CSELECT_OUT : 0) |
				 (rev & (POLLERR | POLLHUP) ? CURL_CSELECT_ERR : 0);

			curl_multi_socket_action(ld.multi, ld.ready[i].fd, ev, &running);
		}
	}
	if (ld.curl_due >= 0 && now_ns() >= ld.curl_due) {
		ld.curl_due = -1;
		curl_multi_socket_action(ld.multi, CURL_SOCKET_TIMEOUT, 0, &running);
	}
	load_reap();
}

static void print_tick(int t)
{
	fprintf(stderr, "t=%d ok=%lu fail=%lu\n", t, ld.sec_ok, ld.sec_fail);
	ld.sec_ok = ld.sec_fail = 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile_ms(double pct)
{
	size_t rank;

	if (!ld.nlat)
		return 0;
	rank = (size_t)(pct / 100.0 * (double)ld.nlat + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > ld.nlat)
		rank = ld.nlat;
	return ld.lat_us[rank - 1] / 1000.0;
}

static int cmd_load(int argc, char **argv, const sigset_t *waitmask)
{
	static const struct option longs[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool have_url = false, warned = false;
	long long start, end, next_send, next_tick, duration = 0, grace;
	unsigned long n = 0;
	long rate = 0;
	int c, t = 1;

	ld.timeout = NSEC;
	while ((c = next_opt(argc, argv, longs, "--url, --rate, --duration, --timeout")) != -1) {
		switch (c) {
		case 'u':
			opt_url("--url", optarg, &ld.ep);
			have_url = true;
			break;
		case 'r':
			rate = opt_long("--rate", optarg, 1, 10000);
			break;
		case 'd':
			duration = opt_duration("--duration", optarg, MSEC, 86400 * NSEC,
						"from 1ms to 24h");
			break;
		case 't':
			ld.timeout = opt_duration("--timeout", optarg, MSEC, 60 * NSEC,
						  "from 1ms to 60s");
			break;
		case 'h':
			usage(stdout);
			exit(0);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'; expected options only", argv[optind]);
	if (!have_url)
		usage_error("--url is missing; expected http://HOST:PORT/PATH");
	if (!rate)
		usage_error("--rate is missing; expected requests per second, 1 to 10000");
	if (!duration)
		usage_error("--duration is missing; expected e.g. 10s");

	ld.multi = curl_multi_init();
	if (!ld.multi ||
	    curl_multi_setopt(ld.multi, CURLMOPT_SOCKETFUNCTION, on_load_socket) ||
	    curl_multi_setopt(ld.multi, CURLMOPT_TIMERFUNCTION, on_load_timer)) {
		fprintf(stderr, "flsvc load: cannot set up libcurl's multi interface (libcurl %s): out of memory?\n",
			curl_version_info(CURLVERSION_NOW)->version);
		return 1;
	}

	start = now_ns();
	end = start + duration;
	next_send = start;
	next_tick = start + NSEC;
	for (;;) {
		long long now = now_ns(), wake;

		if (stop_sig || now >= end)
			break;
		if (now >= next_tick) {
			print_tick(t++);
			next_tick += NSEC;
			continue;
		}
		if (now >= next_send) {
			ld.sent++;
			if (ld.inflight >= MAX_INFLIGHT || !load_start(now)) {
				ld.fail++;
				ld.sec_fail++;
				if (!warned)
					fprintf(stderr, "flsvc load: %d requests outstanding or out of memory: counting new ones as failed\n",
						MAX_INFLIGHT);
				warned = true;
			}
			n++;
			next_send = start + (long long)((__int128)n * NSEC / rate);
			continue;
		}
		wake = next_send < next_tick ? next_send : next_tick;
		if (end < wake)
			wake = end;
		load_wait(wake, waitmask);
	}

	/* Let the requests in flight finish: each ends within its timeout. */
	grace = now_ns() + ld.timeout + NSEC;
	while (ld.inflight > 0 && now_ns() < grace)
		load_wait(grace, waitmask);
	print_tick(t);

	qsort(ld.lat_us, ld.nlat, sizeof(*ld.lat_us), cmp_u32);
	printf("sent=%lu ok=%lu fail=%lu p50_ms=%.1f p99_ms=%.1f\n", ld.sent, ld.ok,
	       ld.fail + (unsigned long)ld.inflight, percentile_ms(50),
	       percentile_ms(99));
	fflush(stdout);
	/* Stragglers (only past the grace period) die with the process. */
	return 0;
}

/* ---- get ------------------------------------------------------- */

static int cmd_get(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	long long timeout = NSEC;
	struct endpoint ep;
	const char *url = NULL;
	struct http_resp r;
	enum up_result res;
	int c;

	while ((c = next_opt(argc, argv, longs, "--url, --timeout")) != -1) {
		switch (c) {
		case 'u':
			opt_url("--url", optarg, &ep);
			url = optarg;
			break;
		case 't':
			timeout = opt_duration("--timeout", optarg, MSEC, 60 * NSEC,
					       "from 1ms to 60s");
			break;
		case 'h':
			usage(stdout);
			exit(0);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'; expected options only", argv[optind]);
	if (!url)
		usage_error("--url is missing; expected http://HOST:PORT/PATH");

	res = http_get(&ep, timeout, GET_MAX, &r);
	if (res != UP_OK && res != UP_STATUS) {
		fprintf(stderr, "flsvc get: %s: %s\n", url, r.err);
		http_resp_free(&r);
		return 1;
	}
	printf("%d\n", r.status);
	fwrite(r.body, 1, r.body_len, stdout);
	if (r.body_len && r.body[r.body_len - 1] != '\n')
		putchar('\n');
	if (r.truncated)
		fprintf(stderr, "flsvc get: %s: body truncated to %d bytes\n", url, GET_MAX);
	http_resp_free(&r);
	fflush(stdout);
	return res == UP_OK ? 0 : 1;
}

static void on_signal(int sig)
{
	stop_sig = sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, waitmask;
	const char *sub;

	if (argc < 2)
		usage_error("missing subcommand; expected serve, load or get");
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help") || !strcmp(sub, "help")) {
		usage(stdout);
		return 0;
	}

	/* Before any thread: curl_global_init is not thread-safe. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "flsvc: cannot initialise libcurl %s; check its installation (libcurl4)\n",
			curl_version_info(CURLVERSION_NOW)->version);
		return 1;
	}
	req_headers = curl_slist_append(NULL, "Connection: close");
	if (!req_headers) {
		fprintf(stderr, "flsvc: out of memory for the request headers\n");
		return 1;
	}

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Only the main thread takes the signals, inside ppoll(). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);

	argv[1] = argv[0];
	if (!strcmp(sub, "serve")) {
		cmd = "flsvc serve";
		return cmd_serve(argc - 1, argv + 1, &waitmask);
	}
	if (!strcmp(sub, "load")) {
		cmd = "flsvc load";
		return cmd_load(argc - 1, argv + 1, &waitmask);
	}
	if (!strcmp(sub, "get")) {
		cmd = "flsvc get";
		return cmd_get(argc - 1, argv + 1);
	}
	usage_error("unknown subcommand '%s'; expected serve, load or get", sub);
}
