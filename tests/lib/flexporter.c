// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* flexporter: a Prometheus exporter for tests that serves a file.
 *
 *   flexporter --listen ADDR:PORT --file F [--duration S]
 *
 * GET (or HEAD) /metrics answers 200 with the contents of F, read again at
 * every request, as "text/plain; version=0.0.4"; any other path is 404, any
 * other method on /metrics 405, and an unreadable F 500. One connection at
 * a time, closed after each answer.
 *
 * ADDR must be a loopback address (127.0.0.0/8 or [::1]); PORT 0 picks a
 * free port. Once bound it prints "flexporter: listening on ADDR:PORT"
 * on stderr, with the port it got. It exits 0 on SIGTERM or SIGINT or
 * after S seconds (default 120), 1 on a runtime error, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST	16384		/* request line and headers */
#define MAX_FILE	(16 << 20)
#define IO_TIMEOUT_MS	5000		/* per connection read or write */
#define NSEC		1000000000LL

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flexporter: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: flexporter --listen ADDR:PORT --file F [--duration S]\n");
	exit(2);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

/* "127.0.0.1:9100" or "[::1]:9100", loopback only. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[64];
	const char *colon;
	char *end;
	size_t hl;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hl = rb - s - 1;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = colon - s;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return -2;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return -2;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - now_ns();
	int n;

	if (left <= 0 || quit)
		return -1;
	n = poll(&p, 1, (int)(left / 1000000) + 1);
	return n > 0 ? 0 : -1;
}

static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, deadline))
				return -1;
			continue;
		}
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* The whole file, or NULL with errno set. */
static char *read_file(const char *path, size_t *len)
{
	size_t cap = 4096, got = 0;
	char *buf = malloc(cap), *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		int e = errno;

		free(buf);
		if (fd >= 0)
			close(fd);
		errno = e;
		return NULL;
	}
	for (;;) {
		if (got == cap) {
			if (cap >= MAX_FILE) {
				errno = EFBIG;
				goto fail;
			}
			cap *= 2;
			p = realloc(buf, cap);
			if (!p)
				goto fail;
			buf = p;
		}
		n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (!n)
			break;
		got += n;
	}
	close(fd);
	*len = got;
	return buf;
fail:
	n = errno;
	close(fd);
	free(buf);
	errno = n;
	return NULL;
}

static void respond(int fd, int status, const char *reason, const char *type, const char *body,
		    size_t len, int head_only, long long deadline)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", status, reason, type, len);
	if (send_all(fd, head, n, deadline) || head_only)
		return;
	send_all(fd, body, len, deadline);
}

static void serve(int fd, const char *file, unsigned long *served)
{
	long long deadline = now_ns() + IO_TIMEOUT_MS * 1000000LL;
	char req[MAX_REQUEST + 1], method[16], target[1024];
	const char *text_type = "text/plain; charset=utf-8";
	size_t got = 0, len;
	int head_only;
	char *body;

	for (;;) {
		ssize_t n;

		if (got == MAX_REQUEST) {
			respond(fd, 431, "Request Header Fields Too Large", text_type, "", 0, 0,
				deadline);
			return;
		}
		n = recv(fd, req + got, MAX_REQUEST - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLIN, deadline))
				return;
			continue;
		}
		if (n <= 0)
			return;
		got += n;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	if (sscanf(req, "%15s %1023s HTTP/", method, target) != 2) {
		respond(fd, 400, "Bad Request", text_type, "bad request\n", 12, 0, deadline);
		return;
	}
	(*served)++;
	target[strcspn(target, "?#")] = '\0';
	if (strcmp(target, "/metrics")) {
		respond(fd, 404, "Not Found", text_type, "404 page not found\n", 19,
			!strcmp(method, "HEAD"), deadline);
		return;
	}
	head_only = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head_only) {
		respond(fd, 405, "Method Not Allowed", text_type, "method not allowed\n", 19, 0,
			deadline);
		return;
	}
	body = read_file(file, &len);
	if (!body) {
		char msg[512];
		int n = snprintf(msg, sizeof(msg), "cannot read %s: %s\n", file, strerror(errno));

		respond(fd, 500, "Internal Server Error", text_type, msg, n, head_only, deadline);
		return;
	}
	respond(fd, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body, len, head_only,
		deadline);
	free(body);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "file", required_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen_at = NULL, *file = NULL;
	struct sockaddr_storage ss;
	struct sigaction sa = { .sa_handler = on_signal };
	char addr[INET6_ADDRSTRLEN];
	unsigned long served = 0;
	double duration = 120;
	long long end;
	socklen_t len;
	sigset_t block, empty;
	int c, lfd, one = 1, port;
	char *e;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen_at = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'd':
			errno = 0;
			duration = strtod(optarg, &e);
			if (e == optarg || *e || errno || !(duration > 0) || duration > 86400)
				die_usage("--duration: '%s' is not a number of seconds in (0, 86400]",
					  optarg);
			break;
		case 'h':
			printf("usage: flexporter --listen ADDR:PORT --file F [--duration S]\n");
			return 0;
		default:
			die_usage("unknown option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!listen_at || !file)
		die_usage("--listen and --file are required");
	switch (parse_listen(listen_at, &ss, &len)) {
	case 0:
		break;
	case -2:
		die_usage("--listen: '%s' is not a loopback address", listen_at);
		break;
	default:
		die_usage("--listen: '%s' is not ADDR:PORT or [ADDR]:PORT", listen_at);
	}

	/* The signals arrive only while waiting in ppoll: no race with quit. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &empty);
	sigdelset(&empty, SIGTERM);
	sigdelset(&empty, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		perror("flexporter: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, 64)) {
		fprintf(stderr, "flexporter: cannot listen on %s: %s\n", listen_at, strerror(errno));
		return 1;
	}
	len = sizeof(ss);
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		fprintf(stderr, "flexporter: listening on [%s]:%d\n", addr, port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		fprintf(stderr, "flexporter: listening on %s:%d\n", addr, port);
	}

	end = now_ns() + (long long)(duration * NSEC);
	while (!quit) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		long long left = end - now_ns();
		struct timespec ts;
		int fd;

		if (left <= 0)
			break;
		ts.tv_sec = left / NSEC;
		ts.tv_nsec = left % NSEC;
		if (ppoll(&p, 1, &ts, &empty) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(fd, file, &served);
		close(fd);
	}
	close(lfd);
	fprintf(stderr, "flexporter: %s after %lu requests\n", quit ? "stopped" : "duration over",
		served);
	return 0;
}
