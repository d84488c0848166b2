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
 * Addresses are numeric (IPv4, or IPv6 in brackets): flsvc never resolves
 * a name and only ever connects to the address it is given. Every
 * response carries "Connection: close": one request per connection. The
 * server handles each connection in its own thread (at most MAX_CONNS at
 * once), so a slow upstream holds only the requests that wait for it.
 *
 * Exit status: 0 done (get: a 2xx answer), 1 runtime error (get: no
 * answer or not 2xx), 2 usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#define HEAD_MAX	16384		/* request head bytes the server reads */
#define GET_MAX		(1 << 20)	/* response bytes 'get' keeps */
#define EMBED_MAX	(64 << 10)	/* upstream body bytes a response embeds */
#define FILE_MAX	(1 << 20)	/* --metrics-file bytes served */
#define TEXT_MAX	4096		/* --fallback bytes */
#define MAX_CONNS	1024		/* server connections handled at once */
#define MAX_INFLIGHT	2048		/* load requests outstanding at once */
#define IO_TIMEOUT	(5 * NSEC)	/* server: read the request, write the answer */
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
	      "1h30m, or a bare number of seconds. See demo/README.md.\n", f);
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

/* ---- sockets ------------------------------------------------------- */

/* Wait for ev on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short ev, long long deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = ev };
		long long left = deadline - now_ns();
		int n;

		if (left <= 0)
			return 0;
		n = poll(&p, 1, (int)((left + MSEC - 1) / MSEC));
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_fd(fd, POLLOUT, deadline) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* ---- HTTP client --------------------------------------------------- */

enum up_result { UP_OK, UP_STATUS, UP_TIMEOUT, UP_REFUSED, UP_ERROR, UP_NRESULTS };

static const char *const up_result_name[UP_NRESULTS] = {
	[UP_OK] = "ok", [UP_STATUS] = "status", [UP_TIMEOUT] = "timeout",
	[UP_REFUSED] = "refused", [UP_ERROR] = "error",
};

struct http_resp {
	int status;			/* 0 when no status line was read */
	char *buf;			/* the whole response, NUL-terminated */
	size_t len;
	char *body;			/* into buf */
	size_t body_len;
	bool truncated;			/* the body was longer than the cap */
	char err[192];
};

static void http_resp_free(struct http_resp *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Header value of name in the head [p, end), or NULL. */
static const char *find_header(const char *p, const char *end, const char *name,
			       size_t *vlen)
{
	size_t nlen = strlen(name);

	p = memchr(p, '\n', (size_t)(end - p));	/* skip the status line */
	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *v;

		if (!eol)
			eol = end;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    !strncasecmp(p, name, nlen)) {
			v = p + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			while (*vlen && isspace((unsigned char)v[*vlen - 1]))
				(*vlen)--;
			return v;
		}
		p = eol;
	}
	return NULL;
}

/* Chunked body in [p, p + n): 1 complete, 0 incomplete, -1 malformed.
 * With dst, also copies the data there (dst may be p: it never overtakes).
 */
static int dechunk(const char *p, size_t n, char *dst, size_t *out)
{
	const char *end = p + n;
	size_t total = 0;

	for (;;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		unsigned long long size = 0;
		const char *q;

		if (!eol)
			return 0;
		for (q = p; q < eol && isxdigit((unsigned char)*q); q++) {
			if (size > (1ULL << 40))
				return -1;
			size = size * 16 + (unsigned)(isdigit((unsigned char)*q) ?
				*q - '0' : (tolower((unsigned char)*q) - 'a' + 10));
		}
		if (q == p)
			return -1;
		p = eol + 1;
		if (size == 0) {
			/* Trailers, then an empty line. */
			for (;;) {
				eol = memchr(p, '\n', (size_t)(end - p));
				if (!eol)
					return 0;
				if (eol == p || (eol == p + 1 && *p == '\r'))
					break;
				p = eol + 1;
			}
			*out = total;
			return 1;
		}
		if ((size_t)(end - p) < size + 1)
			return 0;
		if (dst)
			memmove(dst + total, p, size);
		total += size;
		p += size;
		if (*p == '\r')
			p++;
		if (p >= end)
			return 0;
		if (*p != '\n')
			return -1;
		p++;
	}
}

/* One GET to ep, everything (connect, send, read) within timeout_ns;
 * keeps at most max body bytes.
 */
static enum up_result http_get(const struct endpoint *ep, long long timeout_ns,
			       size_t max, struct http_resp *r)
{
	long long start = now_ns(), deadline = start + timeout_ns;
	long long tmo_ms = timeout_ns / MSEC;
	char req[1400], *head_end = NULL;
	size_t cap = 4096, head_len = 0, clen = 0;
	bool has_clen = false, chunked = false, no_body = false, done = false;
	enum up_result res = UP_ERROR;
	int fd, n, one = 1, soerr = 0;
	socklen_t sl = sizeof(soerr);

	memset(r, 0, sizeof(*r));
	fd = socket(ep->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(r->err, sizeof(r->err), "socket: %s", strerror(errno));
		return UP_ERROR;
	}
	if (!connect(fd, (const struct sockaddr *)&ep->ss, ep->len)) {
		soerr = 0;
	} else if (errno != EINPROGRESS) {
		soerr = errno;
	} else {
		n = wait_fd(fd, POLLOUT, deadline);
		if (n == 0) {
			snprintf(r->err, sizeof(r->err), "connect timeout after %lld ms", tmo_ms);
			res = UP_TIMEOUT;
			goto out;
		}
		if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl))
			soerr = errno;
	}
	if (soerr) {
		snprintf(r->err, sizeof(r->err), "connect: %s", strerror(soerr));
		res = soerr == ECONNREFUSED ? UP_REFUSED :
		      soerr == ETIMEDOUT ? UP_TIMEOUT : UP_ERROR;
		goto out;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: flsvc\r\n"
		     "Accept: */*\r\nConnection: close\r\n\r\n",
		     ep->path, ep->host, ep->port);
	if (send_all(fd, req, (size_t)n, deadline)) {
		res = errno == ETIMEDOUT ? UP_TIMEOUT : UP_ERROR;
		snprintf(r->err, sizeof(r->err), "send: %s", errno == ETIMEDOUT ?
			 "timed out" : strerror(errno));
		goto out;
	}

	r->buf = malloc(cap);
	if (!r->buf) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		goto out;
	}
	while (!done) {
		ssize_t got;

		if (r->len + 1 >= cap) {
			size_t ncap = cap * 2;
			char *nb;

			if (ncap > max + HEAD_MAX + 2)
				ncap = max + HEAD_MAX + 2;
			if (r->len + 1 >= ncap) {
				r->truncated = true;
				break;
			}
			nb = realloc(r->buf, ncap);
			if (!nb) {
				r->truncated = true;
				break;
			}
			r->buf = nb;
			cap = ncap;
		}
		got = recv(fd, r->buf + r->len, cap - 1 - r->len, 0);
		if (got == 0)
			break;
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				snprintf(r->err, sizeof(r->err), "read: %s%s", strerror(errno),
					 r->len ? " (after a partial response)" : "");
				res = errno == ETIMEDOUT ? UP_TIMEOUT : UP_ERROR;
				goto out;
			}
			n = wait_fd(fd, POLLIN, deadline);
			if (n == 0) {
				snprintf(r->err, sizeof(r->err), "%s within %lld ms",
					 r->len ? "incomplete response" : "no response",
					 tmo_ms);
				res = UP_TIMEOUT;
				goto out;
			}
			if (n < 0) {
				snprintf(r->err, sizeof(r->err), "poll: %s", strerror(errno));
				goto out;
			}
			continue;
		}
		r->len += (size_t)got;
		r->buf[r->len] = 0;
		if (!head_end) {
			char *e = memmem(r->buf, r->len, "\r\n\r\n", 4);
			size_t sep = 4;

			if (!e) {
				e = memmem(r->buf, r->len, "\n\n", 2);
				sep = 2;
			}
			if (!e) {
				if (r->len > HEAD_MAX) {
					snprintf(r->err, sizeof(r->err),
						 "response head longer than %d bytes", HEAD_MAX);
					goto out;
				}
				continue;
			}
			head_end = e;
			head_len = (size_t)(e - r->buf) + sep;
			{
				const char *v;
				size_t vlen;

				v = find_header(r->buf, e, "Content-Length", &vlen);
				if (v) {
					char *ce;

					clen = strtoull(v, &ce, 10);
					has_clen = ce == v + vlen && vlen;
				}
				v = find_header(r->buf, e, "Transfer-Encoding", &vlen);
				chunked = v && memmem(v, vlen, "chunked", 7);
				if (r->len > 12 && (!strncmp(r->buf + 9, "204", 3) ||
						    !strncmp(r->buf + 9, "304", 3) ||
						    r->buf[9] == '1'))
					no_body = true;
			}
		}
		if (no_body) {
			done = true;
		} else if (chunked) {
			size_t out;
			int d = dechunk(r->buf + head_len, r->len - head_len, NULL, &out);

			if (d < 0) {
				snprintf(r->err, sizeof(r->err), "malformed chunked body");
				goto out;
			}
			done = d > 0;
		} else if (has_clen) {
			done = r->len - head_len >= clen;
		}
	}

	if (!head_end) {
		snprintf(r->err, sizeof(r->err), "%s", r->len ?
			 "connection closed before the end of the response head" :
			 "connection closed without a response");
		goto out;
	}
	if (r->len < 12 || strncmp(r->buf, "HTTP/1.", 7) || r->buf[8] != ' ' ||
	    !isdigit((unsigned char)r->buf[9]) || !isdigit((unsigned char)r->buf[10]) ||
	    !isdigit((unsigned char)r->buf[11])) {
		snprintf(r->err, sizeof(r->err), "malformed status line");
		goto out;
	}
	r->status = atoi(r->buf + 9);
	r->body = r->buf + head_len;
	r->body_len = r->len - head_len;
	if (no_body) {
		r->body_len = 0;
	} else if (chunked) {
		size_t out = 0;

		if (dechunk(r->body, r->body_len, r->body, &out) <= 0) {
			if (!r->truncated) {
				snprintf(r->err, sizeof(r->err), "truncated chunked body");
				goto out;
			}
			out = 0;	/* too long to keep: drop it */
		}
		r->body_len = out;
	} else if (has_clen) {
		if (r->body_len < clen && !r->truncated) {
			snprintf(r->err, sizeof(r->err),
				 "truncated body (%zu of %zu bytes)", r->body_len, clen);
			goto out;
		}
		if (r->body_len > clen)
			r->body_len = clen;
	}
	if (r->body_len > max) {
		r->body_len = max;
		r->truncated = true;
	}
	r->body[r->body_len] = 0;
	if (r->status >= 200 && r->status < 300) {
		res = UP_OK;
	} else {
		snprintf(r->err, sizeof(r->err), "status %d", r->status);
		res = UP_STATUS;
	}
out:
	close(fd);
	return res;
}

/* ---- serve ------------------------------------------------------- */

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
	int active;
} srv = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.status = 200,
};

static const char *reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return code < 300 ? "OK" : code < 400 ? "Redirect" : code < 500 ?
	       "Client Error" : "Server Error";
}

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

/* One response, then close our side. extra: header lines ending "\r\n". */
static void respond(int fd, int code, const char *ctype, const char *extra,
		    const char *body, size_t body_len, bool head_only)
{
	char head[768];
	int n;

	if (code == 204 || code == 304)
		body_len = 0;
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nServer: flsvc\r\nX-Flsvc-Name: %s\r\n"
		     "Content-Type: %s\r\nContent-Length: %zu\r\n%s"
		     "Connection: close\r\n\r\n",
		     code, reason(code), srv.name, ctype, body_len, extra ? extra : "");
	if (n >= (int)sizeof(head))
		n = sizeof(head) - 1;
	if (!send_all(fd, head, (size_t)n, now_ns() + IO_TIMEOUT) && !head_only && body_len)
		send_all(fd, body, body_len, now_ns() + IO_TIMEOUT);
}

static void respond_text(int fd, int code, const char *extra, bool head_only,
			 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void respond_text(int fd, int code, const char *extra, bool head_only,
			 const char *fmt, ...)
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
	respond(fd, code, "text/plain; charset=utf-8", extra, body ? body : "",
		(size_t)n, head_only);
	free(body);
}

static void count(int code)
{
	if (code >= 0 && code < MAX_CODE)
		atomic_fetch_add(&srv.codes[code], 1);
}

static void serve_metrics(int fd, bool head_only)
{
	const char *ctype = "text/plain; version=0.0.4; charset=utf-8";
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	if (srv.metrics_file) {
		ssize_t got;
		int mfd, err;

		mfd = open(srv.metrics_file, O_RDONLY | O_CLOEXEC);
		err = errno;
		text = malloc(FILE_MAX);
		if (mfd < 0 || !text) {
			respond_text(fd, 500, NULL, head_only, "%s: cannot read %s: %s\n",
				     srv.name, srv.metrics_file,
				     strerror(mfd < 0 ? err : ENOMEM));
			if (mfd >= 0)
				close(mfd);
			free(text);
			return;
		}
		while (len < FILE_MAX) {
			got = read(mfd, text + len, FILE_MAX - len);
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			len += (size_t)got;
		}
		close(mfd);
		respond(fd, 200, ctype, NULL, text, len, head_only);
		free(text);
		return;
	}

	f = open_memstream(&text, &len);
	if (!f) {
		respond_text(fd, 500, NULL, head_only, "out of memory\n");
		return;
	}
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
	pthread_mutex_lock(&srv.lock);
	i = srv.active;
	pthread_mutex_unlock(&srv.lock);
	fprintf(f, "# HELP flsvc_connections_in_flight Connections being handled.\n"
		   "# TYPE flsvc_connections_in_flight gauge\n"
		   "flsvc_connections_in_flight{service=\"%s\"} %d\n", srv.name, i);
	if (fclose(f)) {
		free(text);
		respond_text(fd, 500, NULL, head_only, "out of memory\n");
		return;
	}
	respond(fd, 200, ctype, NULL, text, len, head_only);
	free(text);
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

static void serve_app(int fd, bool head_only)
{
	struct http_resp r;
	enum up_result res;
	char extra[256];
	const char *b;
	size_t blen;
	int code;

	if (!srv.has_upstream) {
		code = srv.status;
		if (code < 300)
			respond_text(fd, code, NULL, head_only, "%s ok\n", srv.name);
		else
			respond_text(fd, code, NULL, head_only, "%s %d %s\n", srv.name,
				     code, reason(code));
		count(code);
		return;
	}

	res = http_get(&srv.upstream, srv.up_timeout, EMBED_MAX, &r);
	note_upstream(res, r.err);
	if (res == UP_OK) {
		code = srv.status;
		b = r.body;
		blen = r.body_len;
		while (blen && isspace((unsigned char)b[blen - 1]))
			blen--;
		respond_text(fd, code, "X-Flsvc-Upstream: ok\r\n", head_only,
			     "%s -> %.*s%s\n", srv.name, (int)blen, b,
			     r.truncated ? "..." : "");
	} else if (srv.fallback) {
		code = 200;
		atomic_fetch_add(&srv.fallbacks, 1);
		snprintf(extra, sizeof(extra),
			 "X-Flsvc-Upstream: %s\r\nX-Flsvc-Fallback: 1\r\n",
			 up_result_name[res]);
		blen = strlen(srv.fallback);
		respond_text(fd, code, extra, head_only, "%s%s", srv.fallback,
			     blen && srv.fallback[blen - 1] == '\n' ? "" : "\n");
	} else {
		code = 502;
		snprintf(extra, sizeof(extra), "X-Flsvc-Upstream: %s\r\n",
			 up_result_name[res]);
		respond_text(fd, code, extra, head_only, "%s: upstream %s: %s\n",
			     srv.name, srv.upstream_url, r.err);
	}
	http_resp_free(&r);
	count(code);
}

static void handle_conn(int fd)
{
	char buf[HEAD_MAX + 1], *method, *target, *version, *sp, *path;
	long long deadline = now_ns() + IO_TIMEOUT;
	size_t len = 0, plen;
	bool head_only;
	char *end = NULL;

	while (!end) {
		ssize_t n;

		if (len >= HEAD_MAX) {
			respond_text(fd, 431, NULL, false, "request head too long\n");
			count(431);
			return;
		}
		n = recv(fd, buf + len, HEAD_MAX - len, 0);
		if (n == 0)
			return;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
			    wait_fd(fd, POLLIN, deadline) <= 0)
				return;
			continue;
		}
		len += (size_t)n;
		buf[len] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			end = strstr(buf, "\n\n");
	}

	/* Request line: METHOD SP TARGET SP HTTP/1.x */
	buf[strcspn(buf, "\r\n")] = 0;
	method = buf;
	sp = strchr(method, ' ');
	if (!sp)
		goto bad;
	*sp = 0;
	target = sp + 1;
	sp = strchr(target, ' ');
	if (!sp)
		goto bad;
	*sp = 0;
	version = sp + 1;
	if (strncmp(version, "HTTP/1.", 7) || !*target)
		goto bad;

	head_only = !strcmp(method, "HEAD");
	if (!head_only && strcmp(method, "GET")) {
		respond_text(fd, 405, "Allow: GET, HEAD\r\n", false,
			     "%s: method %s not allowed; expected GET or HEAD\n",
			     srv.name, method);
		count(405);
		return;
	}
	path = target;
	if (!strncasecmp(path, "http://", 7)) {	/* absolute form */
		path = strchr(path + 7, '/');
		if (!path)
			path = "/";
	}
	plen = strcspn(path, "?#");
	if (plen == 8 && !strncmp(path, "/healthz", 8)) {
		respond_text(fd, 200, NULL, head_only, "ok\n");
		return;
	}
	if (plen == 8 && !strncmp(path, "/metrics", 8)) {
		serve_metrics(fd, head_only);
		return;
	}
	serve_app(fd, head_only);
	return;
bad:
	respond_text(fd, 400, NULL, false, "%s: malformed request line\n", srv.name);
	count(400);
}

static void finish_conn(int fd)
{
	char sink[4096];

	/* Close gently: a reset could destroy the answer in the client's
	 * receive queue.
	 */
	shutdown(fd, SHUT_WR);
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;

	handle_conn(fd);
	finish_conn(fd);
	pthread_mutex_lock(&srv.lock);
	if (--srv.active == 0)
		pthread_cond_broadcast(&srv.idle);
	pthread_mutex_unlock(&srv.lock);
	return NULL;
}

static void reject_busy(int fd)
{
	char resp[256];
	int n;

	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 503 Service Unavailable\r\nServer: flsvc\r\n"
		     "Content-Type: text/plain\r\nContent-Length: 5\r\n"
		     "Connection: close\r\n\r\nbusy\n");
	send(fd, resp, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	count(503);
	finish_conn(fd);
}

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

		if (errno != EADDRNOTAVAIL || now_ns() > give_up || stop_sig) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		nanosleep(&ts, NULL);
	}
	if (listen(fd, 1024)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
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
	pthread_condattr_t ca;
	bool have_listen = false;
	pthread_attr_t attr;
	char where[80];
	long long end, grace;
	unsigned long served = 0;
	int lfd, c, i;

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

	lfd = listen_on(&srv.listen);
	if (lfd < 0) {
		ep_str(&srv.listen, where, sizeof(where));
		fprintf(stderr, "flsvc[%s]: cannot listen on %s: %s\n", srv.name, where,
			strerror(errno));
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
	if (srv.has_upstream)
		log_msg("listening on %s, upstream %s (timeout %lld ms, %s)", where,
			srv.upstream_url, srv.up_timeout / MSEC,
			srv.fallback ? "fallback" : "no fallback");
	else
		log_msg("listening on %s", where);

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&srv.idle, &ca);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, STACK_SIZE);

	end = now_ns() + srv.duration;
	while (!stop_sig) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		long long left = end - now_ns();
		struct timespec ts;

		if (left <= 0)
			break;
		ts = ns_to_ts(left);
		if (ppoll(&p, 1, &ts, waitmask) <= 0)
			continue;
		for (;;) {
			pthread_t t;
			int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (cfd < 0) {
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
				    errno == ENOMEM) {
					struct timespec pause = ns_to_ts(10 * MSEC);

					log_msg("accept: %s", strerror(errno));
					nanosleep(&pause, NULL);
				}
				break;
			}
			pthread_mutex_lock(&srv.lock);
			if (srv.active >= MAX_CONNS) {
				pthread_mutex_unlock(&srv.lock);
				reject_busy(cfd);
				continue;
			}
			srv.active++;
			pthread_mutex_unlock(&srv.lock);
			if (pthread_create(&t, &attr, conn_main, (void *)(intptr_t)cfd)) {
				pthread_mutex_lock(&srv.lock);
				srv.active--;
				pthread_mutex_unlock(&srv.lock);
				reject_busy(cfd);
			}
		}
	}
	close(lfd);

	/* Let the requests in progress finish. */
	grace = now_ns() + srv.up_timeout + IO_TIMEOUT + NSEC;
	pthread_mutex_lock(&srv.lock);
	while (srv.active > 0) {
		struct timespec ts = ns_to_ts(grace);

		if (pthread_cond_timedwait(&srv.idle, &srv.lock, &ts) == ETIMEDOUT)
			break;
	}
	i = srv.active;
	pthread_mutex_unlock(&srv.lock);
	for (c = 0; c < MAX_CODE; c++)
		served += atomic_load(&srv.codes[c]);
	log_msg("stopped (%s) after %lu requests%s",
		stop_sig == SIGINT ? "SIGINT" : stop_sig ? "SIGTERM" : "duration over",
		served, i ? "; some still in progress" : "");
	pthread_attr_destroy(&attr);
	return 0;
}

/* ---- load ------------------------------------------------------- */

static struct load {
	struct endpoint ep;
	long long timeout;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	int inflight;
	unsigned long sent, ok, fail, sec_ok, sec_fail;
	uint32_t *lat_us;
	size_t nlat, cap;
} ld = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

struct load_req {
	long long start;
};

static void *load_main(void *arg)
{
	struct load_req *q = arg;
	struct http_resp r;
	enum up_result res;
	long long us;

	res = http_get(&ld.ep, ld.timeout, 4096, &r);
	http_resp_free(&r);
	us = (now_ns() - q->start) / 1000;
	if (us > UINT32_MAX)
		us = UINT32_MAX;
	pthread_mutex_lock(&ld.lock);
	if (res == UP_OK) {
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
	if (--ld.inflight == 0)
		pthread_cond_broadcast(&ld.idle);
	pthread_mutex_unlock(&ld.lock);
	free(q);
	return NULL;
}

static void print_tick(int t)
{
	unsigned long ok, fail;

	pthread_mutex_lock(&ld.lock);
	ok = ld.sec_ok;
	fail = ld.sec_fail;
	ld.sec_ok = ld.sec_fail = 0;
	pthread_mutex_unlock(&ld.lock);
	fprintf(stderr, "t=%d ok=%lu fail=%lu\n", t, ok, fail);
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
	pthread_condattr_t ca;
	pthread_attr_t attr;
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

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ld.idle, &ca);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, STACK_SIZE);

	start = now_ns();
	end = start + duration;
	next_send = start;
	next_tick = start + NSEC;
	for (;;) {
		long long now = now_ns(), wake;
		struct timespec ts;

		if (stop_sig || now >= end)
			break;
		if (now >= next_tick) {
			print_tick(t++);
			next_tick += NSEC;
			continue;
		}
		if (now >= next_send) {
			struct load_req *q = malloc(sizeof(*q));
			pthread_t th;
			bool go;

			pthread_mutex_lock(&ld.lock);
			ld.sent++;
			go = q && ld.inflight < MAX_INFLIGHT;
			if (go)
				ld.inflight++;
			pthread_mutex_unlock(&ld.lock);
			if (go) {
				q->start = now;
				if (pthread_create(&th, &attr, load_main, q)) {
					pthread_mutex_lock(&ld.lock);
					ld.inflight--;
					pthread_mutex_unlock(&ld.lock);
					go = false;
				}
			}
			if (!go) {
				free(q);
				pthread_mutex_lock(&ld.lock);
				ld.fail++;
				ld.sec_fail++;
				pthread_mutex_unlock(&ld.lock);
				if (!warned)
					fprintf(stderr, "flsvc load: %d requests outstanding or out of threads: counting new ones as failed\n",
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
		ts = ns_to_ts(wake - now);
		ppoll(NULL, 0, &ts, waitmask);
	}

	/* Wait for the requests in flight: each ends within its timeout. */
	grace = now_ns() + ld.timeout + NSEC;
	pthread_mutex_lock(&ld.lock);
	while (ld.inflight > 0) {
		struct timespec ts = ns_to_ts(grace);

		if (pthread_cond_timedwait(&ld.idle, &ld.lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&ld.lock);
	print_tick(t);

	pthread_mutex_lock(&ld.lock);
	qsort(ld.lat_us, ld.nlat, sizeof(*ld.lat_us), cmp_u32);
	printf("sent=%lu ok=%lu fail=%lu p50_ms=%.1f p99_ms=%.1f\n", ld.sent, ld.ok,
	       ld.fail + (unsigned long)ld.inflight, percentile_ms(50),
	       percentile_ms(99));
	fflush(stdout);
	/* Stragglers (only past the grace period) still touch ld: leave it. */
	pthread_mutex_unlock(&ld.lock);
	pthread_attr_destroy(&attr);
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
