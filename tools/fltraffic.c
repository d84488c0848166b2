// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fltraffic: bounded UDP and TCP test traffic for faultline's selftests.
 *
 * Every subcommand ends with one line of key=value pairs on stdout, so a
 * shell test can read the result with one pattern. Servers print a
 * "listening" line on stderr once they are bound. Everything is bounded
 * in packets and in time; destinations are limited to the test ranges
 * (198.18.0.0/15, 2001:db8::/32, loopback) so a typo never sends test
 * traffic elsewhere.
 *
 * Exit status: 0 done, 1 runtime error, 2 usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <linux/sockios.h>

#define PING_MAGIC	0x464c5452u	/* "FLTR" */
#define PING_LEN	64		/* bytes per udp-ping/udp-send datagram */
#define BUF_BYTES	(4 << 20)	/* socket buffers: bursts must not overflow */
#define MAX_CLIENTS	1024		/* tcp-server connections at once */
#define CHUNK		1000		/* tcp-stream write size */
#define NSEC		1000000000LL

/* Option bits: each subcommand says which it takes and which it needs. */
enum {
	O_DST = 1 << 0,
	O_PORT = 1 << 1,
	O_COUNT = 1 << 2,
	O_INTERVAL = 1 << 3,
	O_TIMEOUT = 1 << 4,
	O_PPS = 1 << 5,
	O_DURATION = 1 << 6,
	O_BYTES = 1 << 7,
	O_WAIT = 1 << 8,
	O_FLOWS = 1 << 9,
};

struct opts {
	unsigned int given;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	long long port;
	long long count;
	long long interval_us;
	long long timeout_ms;
	long long pps;
	long long duration_ms;
	long long bytes;
	long long wait_ms;
	long long flows;
};

struct opt_desc {
	const char *name;
	unsigned int bit;
	long long min, max;
	size_t off;		/* offset of the long long in struct opts */
};

static const struct opt_desc opt_descs[] = {
	{ "--dst", O_DST, 0, 0, 0 },
	{ "--port", O_PORT, 1, 65535, offsetof(struct opts, port) },
	{ "--count", O_COUNT, 1, 10000000, offsetof(struct opts, count) },
	{ "--interval-us", O_INTERVAL, 0, 10000000, offsetof(struct opts, interval_us) },
	{ "--timeout-ms", O_TIMEOUT, 1, 600000, offsetof(struct opts, timeout_ms) },
	{ "--pps", O_PPS, 0, 10000000, offsetof(struct opts, pps) },
	{ "--duration", O_DURATION, 0, 0, 0 },
	{ "--bytes", O_BYTES, 1, 1LL << 32, offsetof(struct opts, bytes) },
	{ "--wait-ms", O_WAIT, 0, 600000, offsetof(struct opts, wait_ms) },
	{ "--flows", O_FLOWS, 1, 65535, offsetof(struct opts, flows) },
};

struct cmd {
	const char *name;
	int (*run)(struct opts *o);
	unsigned int allowed;
	unsigned int required;
	const char *synopsis;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("fltraffic: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'fltraffic --help')\n", stderr);
	exit(2);
}

static void warn_errno(const char *what)
{
	fprintf(stderr, "fltraffic: %s: %s\n", what, strerror(errno));
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

/* Waits until fd is ready for events or deadline passes (or a signal).
 * Returns the revents, 0 on timeout.
 */
static short wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	long long left = deadline - now_ns();
	struct timespec ts = ns_to_ts(left);

	if (left <= 0 || stop)
		return 0;
	if (ppoll(&pfd, 1, &ts, NULL) <= 0)
		return 0;
	return pfd.revents;
}

static bool parse_ll(const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return s[0] && !*end && !errno;
}

/* Seconds, optionally with a fraction: "2", "0.5". */
static bool parse_duration(const char *s, long long *ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (!s[0] || *end || errno || !(d > 0) || d > 3600)
		return false;
	*ms = (long long)(d * 1000 + 0.5);
	return *ms > 0;
}

static bool test_address(const struct sockaddr_storage *ss)
{
	static const uint8_t doc6[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	const uint8_t *a6;
	uint32_t a4;

	if (getenv("FLTRAFFIC_ANY_DST"))
		return true;
	if (ss->ss_family == AF_INET) {
		a4 = ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr);
		return (a4 >> 17) == (0xc6120000u >> 17) || (a4 >> 24) == 127;
	}
	a6 = ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
	return !memcmp(a6, doc6, 4) ||
	       IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a6);
}

static void parse_dst(struct opts *o, const char *s)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&o->dst;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&o->dst;

	memset(&o->dst, 0, sizeof(o->dst));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		o->dst_len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		o->dst_len = sizeof(*sin6);
	} else {
		usage_error("--dst %s: not an IPv4 or IPv6 address", s);
	}
	if (!test_address(&o->dst))
		usage_error("--dst %s: outside the test ranges 198.18.0.0/15, 2001:db8::/32 and loopback (set FLTRAFFIC_ANY_DST=1 to override)", s);
}

static void set_port(struct opts *o)
{
	if (o->dst.ss_family == AF_INET)
		((struct sockaddr_in *)&o->dst)->sin_port = htons(o->port);
	else
		((struct sockaddr_in6 *)&o->dst)->sin6_port = htons(o->port);
}

static void parse_opts(const struct cmd *c, struct opts *o, int argc, char **argv)
{
	const struct opt_desc *d;
	long long v;
	size_t j;
	int i;

	for (i = 0; i < argc; i++) {
		for (j = 0, d = NULL; j < sizeof(opt_descs) / sizeof(opt_descs[0]); j++) {
			if (!strcmp(argv[i], opt_descs[j].name))
				d = &opt_descs[j];
		}
		if (!d || !(c->allowed & d->bit))
			usage_error("%s: unknown option '%s'", c->name, argv[i]);
		if (i + 1 >= argc)
			usage_error("%s: option %s needs a value", c->name, d->name);
		i++;
		o->given |= d->bit;
		if (d->bit == O_DST) {
			parse_dst(o, argv[i]);
		} else if (d->bit == O_DURATION) {
			if (!parse_duration(argv[i], &o->duration_ms))
				usage_error("--duration %s: want seconds, more than 0 and at most 3600", argv[i]);
		} else {
			if (!parse_ll(argv[i], &v) || v < d->min || v > d->max)
				usage_error("%s %s: want an integer from %lld to %lld",
					    d->name, argv[i], d->min, d->max);
			*(long long *)((char *)o + d->off) = v;
		}
	}
	if ((o->given & c->required) != c->required) {
		for (j = 0; j < sizeof(opt_descs) / sizeof(opt_descs[0]); j++) {
			if ((c->required & opt_descs[j].bit) && !(o->given & opt_descs[j].bit))
				usage_error("%s: %s is required", c->name, opt_descs[j].name);
		}
	}
	if (o->given & O_DST)
		set_port(o);
}

static void grow_buffers(int fd)
{
	int sz = BUF_BYTES;

	/* a sender as applications have it, for tests of what a fault does
	 * to a sender's rate
	 */
	if (getenv("FLTRAFFIC_DEFAULT_BUFFERS"))
		return;
	/* The FORCE variants pass rmem_max/wmem_max; they need CAP_NET_ADMIN. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

/* A socket bound to the wildcard address: dual-stack [::] when the kernel
 * has IPv6, else 0.0.0.0.
 */
static int bind_any(int type, int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, zero = 0, one = 1;

	fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		grow_buffers(fd);
		if (!bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
			return fd;
		warn_errno("bind [::]");
		close(fd);
		return -1;
	}
	if (errno != EAFNOSUPPORT) {
		warn_errno("socket");
		return -1;
	}
	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		warn_errno("socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	grow_buffers(fd);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		warn_errno("bind 0.0.0.0");
		close(fd);
		return -1;
	}
	return fd;
}

static long long server_deadline(const struct opts *o)
{
	long long ms = (o->given & O_DURATION) ? o->duration_ms : 60000;

	return now_ns() + ms * 1000000LL;
}

/* ---- UDP ---- */

struct udp_state {
	int fd;
	uint32_t run_id;
	long long count;
	long long sent;
	long long send_errors;	/* send() failures plus error queue entries */
	long long errno_errors;
	long long errqueue;
	long long replies;	/* distinct sequence numbers echoed back */
	long long dups;
	long long recv_errors;
	long long blocked;	/* sends that waited for room in the socket buffer */
	int last_errno;
	uint8_t *seen;
};

struct ping_hdr {
	uint32_t magic;
	uint32_t run_id;
	uint64_t seq;
};

static int udp_client_socket(const struct opts *o)
{
	int fd, one = 1;

	fd = socket(o->dst.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		warn_errno("socket");
		return -1;
	}
	/* Without IP_RECVERR, UDP hides ENOBUFS from a local drop: the
	 * tests must see it if faultline drops with the wrong verdict.
	 */
	if (o->dst.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	grow_buffers(fd);
	if (connect(fd, (const struct sockaddr *)&o->dst, o->dst_len)) {
		warn_errno("connect");
		close(fd);
		return -1;
	}
	return fd;
}

static void drain_errqueue(struct udp_state *s)
{
	char data[256], ctl[512];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg;
	struct cmsghdr *cm;
	struct sock_extended_err *ee;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl;
		msg.msg_controllen = sizeof(ctl);
		if (recvmsg(s->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		s->errqueue++;
		s->send_errors++;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
			    (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR)) {
				ee = (struct sock_extended_err *)CMSG_DATA(cm);
				s->last_errno = ee->ee_errno;
			}
		}
	}
}

static void drain_replies(struct udp_state *s)
{
	struct ping_hdr h;
	char buf[2048];
	ssize_t n;

	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			/* A pending ICMP error; its errqueue entry is counted. */
			s->recv_errors++;
			continue;
		}
		if ((size_t)n < sizeof(h))
			continue;
		memcpy(&h, buf, sizeof(h));
		if (h.magic != PING_MAGIC || h.run_id != s->run_id || h.seq >= (uint64_t)s->count)
			continue;
		if (s->seen[h.seq / 8] & (1u << (h.seq % 8))) {
			s->dups++;
			continue;
		}
		s->seen[h.seq / 8] |= 1u << (h.seq % 8);
		s->replies++;
	}
	drain_errqueue(s);
}

/* Sends datagram number seq. EAGAIN (a full send buffer) is waited out,
 * not counted: it is flow control, not loss.
 */
static void udp_send_one(struct udp_state *s, uint64_t seq, bool collect)
{
	char buf[PING_LEN] = { 0 };
	struct ping_hdr h = { .magic = PING_MAGIC, .run_id = s->run_id, .seq = seq };
	long long give_up = now_ns() + NSEC;

	memcpy(buf, &h, sizeof(h));
	for (;;) {
		/* the send time, for one-way delay at a sink on the same host
		 * (namespaces share CLOCK_MONOTONIC)
		 */
		long long sent_at = now_ns();

		memcpy(buf + sizeof(h), &sent_at, sizeof(sent_at));
		if (send(s->fd, buf, sizeof(buf), 0) == sizeof(buf))
			break;
		if ((errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
		    now_ns() < give_up && !stop) {
			if (errno != EINTR)
				s->blocked++;
			wait_fd(s->fd, POLLOUT, now_ns() + NSEC / 100);
			if (collect)
				drain_replies(s);
			continue;
		}
		s->send_errors++;
		s->errno_errors++;
		s->last_errno = errno;
		break;
	}
	s->sent++;
}

static bool udp_state_init(struct udp_state *s, const struct opts *o)
{
	memset(s, 0, sizeof(*s));
	s->fd = udp_client_socket(o);
	if (s->fd < 0)
		return false;
	s->count = o->count;
	if (getrandom(&s->run_id, sizeof(s->run_id), 0) != sizeof(s->run_id))
		s->run_id = (uint32_t)(now_ns() ^ getpid());
	s->seen = calloc(o->count / 8 + 1, 1);
	if (!s->seen) {
		warn_errno("calloc");
		close(s->fd);
		return false;
	}
	return true;
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case ENOBUFS: return "ENOBUFS";
	case EPERM: return "EPERM";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNRESET: return "ECONNRESET";
	case EPIPE: return "EPIPE";
	case EMSGSIZE: return "EMSGSIZE";
	case EACCES: return "EACCES";
	case EINPROGRESS: return "EINPROGRESS";
	default: return "other";
	}
}

/* Sends count datagrams, paced; the paced send loop is also the receive
 * loop, so echoes are counted while sending.
 */
static int cmd_udp_ping(struct opts *o)
{
	long long interval = ((o->given & O_INTERVAL) ? o->interval_us : 100) * 1000LL;
	long long timeout = ((o->given & O_TIMEOUT) ? o->timeout_ms : 500) * 1000000LL;
	long long next, end, t, started;
	struct udp_state s;

	if (!udp_state_init(&s, o))
		return 1;
	/* the first datagram well after the process settled in its cgroup
	 * and namespace, which a benchmark of what follows must not see
	 */
	if (o->wait_ms) {
		struct timespec ts = { o->wait_ms / 1000, (o->wait_ms % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
			;
	}
	next = started = now_ns();
	while (s.sent < s.count && !stop) {
		t = now_ns();
		if (t >= next) {
			udp_send_one(&s, s.sent, true);
			next = interval ? next + interval : t;
			if (next < t - 10 * interval)
				next = t;	/* do not burst to catch up after a stall */
			drain_replies(&s);
			continue;
		}
		if (wait_fd(s.fd, POLLIN, next))
			drain_replies(&s);
	}
	end = now_ns() + timeout;
	while (s.replies < s.count && !stop && now_ns() < end) {
		if (wait_fd(s.fd, POLLIN, end))
			drain_replies(&s);
	}
	drain_replies(&s);
	printf("sent=%lld send_errors=%lld replies=%lld lost=%lld dups=%lld errno_errors=%lld errqueue=%lld recv_errors=%lld last_errno=%s\n",
	       s.sent, s.send_errors, s.replies, s.sent - s.replies, s.dups,
	       s.errno_errors, s.errqueue, s.recv_errors, errno_name(s.last_errno));
	free(s.seen);
	close(s.fd);
	return 0;
}

/* --flows sockets, each its own source port and so its own 5-tuple, send
 * --count rounds of one datagram each to the echo server; a round waits up
 * to --timeout-ms for every answer. Each socket's answers are sorted by
 * their round-trip time against --wait-ms: all at least that (slow), all
 * below (fast), some of each (mixed), or some missing (incomplete). One
 * process for all the connections: a process per connection costs more
 * than the delays measured under emulation.
 */
static int cmd_udp_conns(struct opts *o)
{
	long long timeout = ((o->given & O_TIMEOUT) ? o->timeout_ms : 2000) * 1000000LL;
	long long slow_ns = o->wait_ms * 1000000LL, n = o->flows, i, k;
	long long n_slow = 0, n_fast = 0, n_mixed = 0, n_incomplete = 0;
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	long long *sent_at = calloc(n, sizeof(*sent_at));
	int *slow = calloc(n, sizeof(*slow)), *got = calloc(n, sizeof(*got));
	int rc = 1;

	if (!pfd || !sent_at || !slow || !got) {
		warn_errno("calloc");
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		pfd[i].fd = -1;
	for (i = 0; i < n; i++) {
		pfd[i].fd = udp_client_socket(o);
		if (pfd[i].fd < 0)
			goto cleanup;
		pfd[i].events = POLLIN;
	}
	for (k = 0; k < o->count && !stop; k++) {
		long long end, left = n;
		char buf[PING_LEN] = { 0 };

		for (i = 0; i < n; i++) {
			memcpy(buf, &k, sizeof(k));
			sent_at[i] = now_ns();
			if (send(pfd[i].fd, buf, sizeof(buf), 0) != sizeof(buf))
				sent_at[i] = 0;
			pfd[i].events = sent_at[i] ? POLLIN : 0;
			left -= !sent_at[i];
		}
		end = now_ns() + timeout;
		while (left > 0 && !stop && now_ns() < end) {
			struct timespec ts = ns_to_ts(end - now_ns());

			if (ppoll(pfd, n, &ts, NULL) <= 0)
				continue;
			for (i = 0; i < n; i++) {
				long long seq = -1;

				if (!(pfd[i].revents & POLLIN))
					continue;
				if (recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT) < (ssize_t)sizeof(seq))
					continue;
				memcpy(&seq, buf, sizeof(seq));
				if (seq != k || !pfd[i].events)
					continue;	/* a late answer of an earlier round */
				got[i]++;
				slow[i] += now_ns() - sent_at[i] >= slow_ns;
				pfd[i].events = 0;
				left--;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (got[i] < o->count)
			n_incomplete++;
		else if (slow[i] == got[i])
			n_slow++;
		else if (!slow[i])
			n_fast++;
		else
			n_mixed++;
	}
	printf("sockets=%lld slow=%lld fast=%lld mixed=%lld incomplete=%lld\n", n, n_slow, n_fast,
	       n_mixed, n_incomplete);
	rc = 0;
cleanup:
	for (i = 0; pfd && i < n; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	free(pfd);
	free(sent_at);
	free(slow);
	free(got);
	return rc;
}

static int cmd_udp_send(struct opts *o)
{
	long long interval = (o->given & O_PPS) && o->pps ? NSEC / o->pps : 0;
	long long next, end, t, started;
	struct udp_state s;

	if (!udp_state_init(&s, o))
		return 1;
	/* the first datagram well after the process settled in its cgroup
	 * and namespace, which a benchmark of what follows must not see
	 */
	if (o->wait_ms) {
		struct timespec ts = { o->wait_ms / 1000, (o->wait_ms % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
			;
	}
	next = started = now_ns();
	while (s.sent < s.count && !stop) {
		t = now_ns();
		if (t >= next) {
			udp_send_one(&s, s.sent, false);
			next = interval ? next + interval : t;
			if (next < t - 10 * interval)
				next = t;
			drain_errqueue(&s);
			continue;
		}
		if (wait_fd(s.fd, POLLERR, next))
			drain_errqueue(&s);
	}
	/* ICMP errors arrive after the send: give them a moment. */
	end = now_ns() + NSEC / 10;
	while (!stop && now_ns() < end) {
		if (wait_fd(s.fd, POLLERR, end))
			drain_errqueue(&s);
	}
	drain_errqueue(&s);
	t = end - NSEC / 10 - started;
	printf("sent=%lld send_errors=%lld errno_errors=%lld errqueue=%lld last_errno=%s elapsed_ms=%lld pps=%.0f blocked=%lld\n",
	       s.sent, s.send_errors, s.errno_errors, s.errqueue, errno_name(s.last_errno),
	       t / 1000000, t > 0 ? s.sent * 1e9 / t : 0.0, s.blocked);
	free(s.seen);
	close(s.fd);
	return 0;
}

/* As fast as sendmmsg goes (or --pps), round robin over --flows
 * destination ports (port .. port + flows - 1), until --count or
 * --duration. A blocking socket without IP_RECVERR: a local drop is not
 * reported to a UDP sender then, so every datagram the kernel took counts
 * as sent, the number a datapath program must have seen. An error that is
 * reported (EPERM from a netfilter DROP) consumes its datagram: it was
 * seen too, and counts in send_errors.
 */
#define FLOOD_BATCH	64

static int cmd_udp_flood(struct opts *o)
{
	long long flows = (o->given & O_FLOWS) ? o->flows : 1;
	long long limit = (o->given & O_COUNT) ? o->count : LLONG_MAX;
	long long interval = (o->given & O_PPS) && o->pps ? NSEC / o->pps : 0;
	long long sent = 0, errors = 0, started, end = LLONG_MAX, next, t;
	struct sockaddr_storage dst[FLOOD_BATCH];
	struct mmsghdr msgs[FLOOD_BATCH];
	struct iovec iov = { 0 };
	char payload[64] = "fltraffic udp-flood";
	int fd, i, n, want, last = 0;

	if (!(o->given & (O_COUNT | O_DURATION)))
		usage_error("udp-flood needs --count or --duration");
	fd = socket(o->dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		warn_errno("socket");
		return 1;
	}
	grow_buffers(fd);
	iov.iov_base = payload;
	iov.iov_len = sizeof(payload);
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < FLOOD_BATCH; i++) {
		dst[i] = o->dst;
		msgs[i].msg_hdr.msg_name = &dst[i];
		msgs[i].msg_hdr.msg_namelen = o->dst_len;
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	started = next = now_ns();
	if (o->given & O_DURATION)
		end = started + o->duration_ms * 1000000LL;
	while (sent + errors < limit && !stop) {
		t = now_ns();
		if (t >= end)
			break;
		if (interval && t < next) {
			struct timespec ts = { next / NSEC, next % NSEC };

			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			continue;
		}
		n = limit - sent - errors < FLOOD_BATCH ? (int)(limit - sent - errors) : FLOOD_BATCH;
		if (interval)
			n = 1;
		for (i = 0; i < n; i++) {
			uint16_t port = htons(o->port + (sent + errors + i) % flows);

			if (o->dst.ss_family == AF_INET)
				((struct sockaddr_in *)&dst[i])->sin_port = port;
			else
				((struct sockaddr_in6 *)&dst[i])->sin6_port = port;
		}
		want = n;
		n = sendmmsg(fd, msgs, want, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			last = errno;
			errors++;
			n = 0;
		} else if (n < want) {
			int e = 0;
			socklen_t elen = sizeof(e);

			/* On a blocking socket sendmmsg stops early only at a
			 * failed datagram: it returns the count before it, and
			 * some kernels park the error on the socket, where the
			 * next send would find it and fail without sending. The
			 * datagram was seen: count it, and take the error.
			 */
			errors++;
			if (!getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) && e)
				last = e;
		}
		sent += n;
		next += n ? n * interval : interval;
	}
	t = now_ns() - started;
	printf("sent=%lld send_errors=%lld last_errno=%s elapsed_ms=%lld pps=%.0f\n", sent, errors,
	       errno_name(last), t / 1000000, t > 0 ? (sent + errors) * 1e9 / t : 0.0);
	close(fd);
	return 0;
}

static int cmd_udp_echo(struct opts *o)
{
	long long deadline = server_deadline(o);
	long long received = 0, echoed = 0, errors = 0;
	struct sockaddr_storage from;
	socklen_t fromlen;
	char buf[65536];
	char ctl[256] __attribute__((aligned(8)));
	ssize_t n;
	int fd, one = 1;

	fd = bind_any(SOCK_DGRAM, o->port);
	if (fd < 0)
		return 1;
	/* A server with several addresses answers from the one it was asked
	 * at: the destination comes with each datagram and goes back as the
	 * reply's source (else the kernel picks one, and a client's connected
	 * socket drops a reply from another address).
	 */
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	fprintf(stderr, "fltraffic: udp-echo listening on port %lld\n", o->port);
	while (!stop && now_ns() < deadline) {
		if (!wait_fd(fd, POLLIN, deadline))
			continue;
		for (;;) {
			struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
			struct msghdr msg = {
				.msg_name = &from, .msg_namelen = sizeof(from),
				.msg_iov = &iov, .msg_iovlen = 1,
				.msg_control = ctl, .msg_controllen = sizeof(ctl),
			};
			struct cmsghdr *cm;

			n = recvmsg(fd, &msg, MSG_DONTWAIT);
			if (n < 0)
				break;
			fromlen = msg.msg_namelen;
			received++;
			/* only the packet-info messages go back */
			for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
				if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
					((struct in_pktinfo *)CMSG_DATA(cm))->ipi_ifindex = 0;
				else if (!(cm->cmsg_level == IPPROTO_IPV6 &&
					   cm->cmsg_type == IPV6_PKTINFO))
					cm->cmsg_level = cm->cmsg_type = -1;
			}
			for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
				if (cm->cmsg_level == -1)
					break;
			if (cm)
				msg.msg_controllen = 0;	/* unexpected: let the kernel choose */
			iov.iov_len = n;
			msg.msg_namelen = fromlen;
			msg.msg_flags = 0;
			if (sendmsg(fd, &msg, 0) == n)
				echoed++;
			else
				errors++;
		}
	}
	printf("received=%lld echoed=%lld echo_errors=%lld\n", received, echoed, errors);
	close(fd);
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

struct seq_owd {
	uint64_t seq;
	long long owd;
	long long rank;
};

static int cmp_seq(const void *a, const void *b)
{
	uint64_t x = ((const struct seq_owd *)a)->seq, y = ((const struct seq_owd *)b)->seq;

	return (x > y) - (x < y);
}

static int cmp_owd(const void *a, const void *b)
{
	long long x = ((const struct seq_owd *)a)->owd, y = ((const struct seq_owd *)b)->owd;

	return (x > y) - (x < y);
}

/* Lag-1 autocorrelation of the ranks of the one-way delays, in sending
 * order: the covariance of each datagram's rank with its predecessor's
 * (consecutive sequence numbers only; a lost datagram breaks the pair)
 * over the variance of all ranks. Ranks, not values, so that a stall of
 * the machine, which delays a run of datagrams by far more than the
 * spread under test, weighs no more than any other run of high values.
 * 0 for fewer than 3 samples.
 */
static double owd_rank_lag1(struct seq_owd *v, long long n)
{
	double num = 0, den = 0, mean = (n - 1) / 2.0;
	long long i, pairs = 0;

	if (n < 3)
		return 0;
	qsort(v, n, sizeof(*v), cmp_owd);
	for (i = 0; i < n; i++)
		v[i].rank = i;
	qsort(v, n, sizeof(*v), cmp_seq);
	for (i = 0; i < n; i++) {
		den += (v[i].rank - mean) * (v[i].rank - mean);
		if (i && v[i].seq == v[i - 1].seq + 1) {
			num += (v[i].rank - mean) * (v[i - 1].rank - mean);
			pairs++;
		}
	}
	if (!pairs || den <= 0)
		return 0;
	return (num / pairs) / (den / n);
}

/* Counts datagrams; for those of udp-send it also counts reordering (a
 * sequence number below one already seen) and the one-way delay.
 */
static int cmd_udp_sink(struct opts *o)
{
	long long deadline = server_deadline(o);
	long long received = 0, bytes = 0, reordered = 0, n_owd = 0, cap = 1 << 20;
	long long first_ns = 0, last_ns = 0, gaps = 0;
	long long *owd = calloc(cap, sizeof(*owd));
	struct seq_owd *by_seq = calloc(cap, sizeof(*by_seq));
	double sum = 0, sum2 = 0;
	uint64_t max_seq = 0;
	bool any = false;
	char buf[65536];
	ssize_t n;
	int fd;

	if (!owd || !by_seq) {
		warn_errno("calloc");
		free(owd);
		free(by_seq);
		return 1;
	}
	fd = bind_any(SOCK_DGRAM, o->port);
	if (fd < 0) {
		free(owd);
		free(by_seq);
		return 1;
	}
	fprintf(stderr, "fltraffic: udp-sink listening on port %lld\n", o->port);
	while (!stop && now_ns() < deadline) {
		if (!wait_fd(fd, POLLIN, deadline))
			continue;
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
			struct ping_hdr h;
			long long sent_at;

			last_ns = now_ns();
			if (!received)
				first_ns = last_ns;
			received++;
			bytes += n;
			if ((size_t)n >= sizeof(h) + sizeof(sent_at)) {
				memcpy(&h, buf, sizeof(h));
				memcpy(&sent_at, buf + sizeof(h), sizeof(sent_at));
				if (h.magic == PING_MAGIC) {
					/* a run of missing numbers ends here: one
					 * burst of losses (in-order streams only)
					 */
					if (any ? h.seq > max_seq + 1 : h.seq > 0)
						gaps++;
					if (any && h.seq < max_seq)
						reordered++;
					if (!any || h.seq > max_seq)
						max_seq = h.seq;
					any = true;
					if (n_owd < cap) {
						long long d = now_ns() - sent_at;

						by_seq[n_owd].seq = h.seq;
						by_seq[n_owd].owd = d;
						owd[n_owd++] = d;
						sum += d;
						sum2 += (double)d * d;
					}
				}
			}
			if ((o->given & O_COUNT) && received >= o->count)
				stop = 1;
		}
	}
	/* span: first to last arrival; the receive rate is (received - 1) / span */
	/* gaps: runs of numbers missing below max_seq (loss bursts, when
	 * nothing is reordered); the datagrams missing are max_seq + 1 -
	 * received, those after max_seq are not seen
	 */
	printf("received=%lld bytes=%lld reordered=%lld span_us=%lld gaps=%lld max_seq=%llu",
	       received, bytes, reordered, (last_ns - first_ns) / 1000, gaps,
	       (unsigned long long)max_seq);
	if (n_owd) {
		double mean = sum / n_owd, var = sum2 / n_owd - mean * mean;

		qsort(owd, n_owd, sizeof(*owd), cmp_ll);
		printf(" owd_mean_us=%.1f owd_sd_us=%.1f owd_p50_us=%.1f owd_p99_us=%.1f",
		       mean / 1e3, var > 0 ? sqrt(var) / 1e3 : 0.0, owd[n_owd / 2] / 1e3,
		       owd[(n_owd * 99) / 100] / 1e3);
		printf(" owd_p5_us=%.1f owd_p95_us=%.1f owd_rank_lag1=%.4f",
		       owd[(n_owd * 5) / 100] / 1e3, owd[(n_owd * 95) / 100] / 1e3,
		       owd_rank_lag1(by_seq, n_owd));
	}
	printf("\n");
	free(owd);
	free(by_seq);
	close(fd);
	return 0;
}

/* ---- TCP ---- */

static int cmd_tcp_server(struct opts *o)
{
	static struct pollfd pfd[MAX_CLIENTS + 1];
	long long deadline = server_deadline(o);
	long long accepted = 0, bytes = 0, turned_away = 0;
	struct timespec ts;
	char buf[65536];
	int fd, c, nfds = 1, i;
	ssize_t n;

	fd = bind_any(SOCK_STREAM, o->port);
	if (fd < 0)
		return 1;
	if (listen(fd, 1024)) {
		warn_errno("listen");
		close(fd);
		return 1;
	}
	fprintf(stderr, "fltraffic: tcp-server listening on port %lld\n", o->port);
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	while (!stop && now_ns() < deadline) {
		ts = ns_to_ts(deadline - now_ns());
		if (ppoll(pfd, nfds, &ts, NULL) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				accepted++;
				if (nfds > MAX_CLIENTS) {
					turned_away++;
					close(c);
					continue;
				}
				/* One byte tells a connecting client that data flows back. */
				send(c, "F", 1, MSG_NOSIGNAL);
				pfd[nfds].fd = c;
				pfd[nfds].events = POLLIN;
				pfd[nfds].revents = 0;
				nfds++;
			}
		}
		for (i = 1; i < nfds; i++) {
			if (!pfd[i].revents)
				continue;
			while ((n = recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				bytes += n;
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
				close(pfd[i].fd);
				pfd[i] = pfd[--nfds];
				i--;
			}
		}
	}
	for (i = 1; i < nfds; i++)
		close(pfd[i].fd);
	printf("accepted=%lld bytes=%lld turned_away=%lld\n", accepted, bytes, turned_away);
	close(fd);
	return 0;
}

/* Non-blocking connect, finished by deadline. Returns the socket, or -1
 * with errno set (ETIMEDOUT when the deadline passed).
 */
static int connect_by(const struct opts *o, long long deadline)
{
	socklen_t len = sizeof(int);
	int fd, err = 0;

	fd = socket(o->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&o->dst, o->dst_len) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if (!wait_fd(fd, POLLOUT, deadline)) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
		errno = err ? err : errno;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static int cmd_tcp_connect(struct opts *o)
{
	long long timeout = ((o->given & O_TIMEOUT) ? o->timeout_ms : 1000) * 1000000LL;
	long long ok = 0, failed = 0, i, deadline;
	int fd, last = 0;
	char b;

	for (i = 0; i < o->count && !stop; i++) {
		deadline = now_ns() + timeout;
		fd = connect_by(o, deadline);
		if (fd < 0) {
			failed++;
			last = errno;
			continue;
		}
		/* Connected: the server's byte proves the way back works too. */
		if ((wait_fd(fd, POLLIN, deadline) & POLLIN) && recv(fd, &b, 1, 0) == 1) {
			ok++;
		} else {
			failed++;
			last = ETIMEDOUT;
		}
		close(fd);
	}
	printf("ok=%lld failed=%lld last_error=%s\n", ok, failed, errno_name(last));
	return 0;
}

static int cmd_tcp_stream(struct opts *o)
{
	long long timeout = ((o->given & O_TIMEOUT) ? o->timeout_ms : 10000) * 1000000LL;
	long long deadline = now_ns() + timeout;
	long long sent = 0, send_errors = 0;
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	char buf[CHUNK], sink[256];
	int fd, outq = -1, rc = 0, last = 0;
	bool acked = false;
	ssize_t n;
	size_t want;

	memset(buf, 'x', sizeof(buf));
	fd = connect_by(o, deadline);
	if (fd < 0) {
		printf("sent=0 retrans=0 send_errors=0 acked=0 error=%s\n", errno_name(errno));
		return 1;
	}
	while (sent < o->bytes && !stop && now_ns() < deadline) {
		want = o->bytes - sent < CHUNK ? o->bytes - sent : CHUNK;
		n = send(fd, buf, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			sent += n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
			wait_fd(fd, POLLOUT, deadline);
			continue;
		}
		send_errors++;
		last = errno;
		break;
	}
	/* Written is not delivered: wait until every byte is acknowledged,
	 * so the retransmissions of the last losses are counted too.
	 */
	while (!stop && now_ns() < deadline) {
		while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		if (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq == 0) {
			acked = sent == o->bytes;
			break;
		}
		usleep(5000);
	}
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		memset(&ti, 0, sizeof(ti));
	if (!acked)
		rc = 1;
	printf("sent=%lld retrans=%u send_errors=%lld acked=%d unacked_bytes=%d error=%s\n",
	       sent, ti.tcpi_total_retrans, send_errors, acked, outq, errno_name(last));
	close(fd);
	return rc;
}

/* A bystander's socket churn: what a program hooked on socket creation
 * (faultline's namespace watcher) costs every process on the host. */
static int cmd_sockets(struct opts *o)
{
	long long i, t0, t1;
	int fd;

	t0 = now_ns();
	for (i = 0; i < o->count && !stop; i++) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0) {
			printf("sockets=%lld ns_per_socket=0 error=%s\n", i, errno_name(errno));
			return 1;
		}
		close(fd);
	}
	t1 = now_ns();
	printf("sockets=%lld ns_per_socket=%.1f error=none\n", i, i ? (double)(t1 - t0) / i : 0.0);
	return 0;
}

static const struct cmd cmds[] = {
	{ "udp-echo", cmd_udp_echo, O_PORT | O_DURATION, O_PORT,
	  "udp-echo --port P [--duration S]" },
	{ "udp-ping", cmd_udp_ping, O_DST | O_PORT | O_COUNT | O_INTERVAL | O_TIMEOUT,
	  O_DST | O_PORT | O_COUNT,
	  "udp-ping --dst ADDR --port P --count N [--interval-us U] [--timeout-ms T]" },
	{ "udp-conns", cmd_udp_conns, O_DST | O_PORT | O_COUNT | O_FLOWS | O_WAIT | O_TIMEOUT,
	  O_DST | O_PORT | O_COUNT | O_FLOWS | O_WAIT,
	  "udp-conns --dst ADDR --port P --flows SOCKETS --count ROUNDS --wait-ms SLOW [--timeout-ms T]" },
	{ "udp-send", cmd_udp_send, O_DST | O_PORT | O_COUNT | O_PPS | O_WAIT,
	  O_DST | O_PORT | O_COUNT,
	  "udp-send --dst ADDR --port P --count N [--pps R] [--wait-ms W]" },
	{ "udp-flood", cmd_udp_flood, O_DST | O_PORT | O_COUNT | O_DURATION | O_PPS | O_FLOWS,
	  O_DST | O_PORT,
	  "udp-flood --dst ADDR --port P (--count N | --duration S) [--flows F] [--pps R]" },
	{ "udp-sink", cmd_udp_sink, O_PORT | O_DURATION | O_COUNT, O_PORT,
	  "udp-sink --port P [--duration S] [--count N]" },
	{ "tcp-server", cmd_tcp_server, O_PORT | O_DURATION, O_PORT,
	  "tcp-server --port P [--duration S]" },
	{ "tcp-connect", cmd_tcp_connect, O_DST | O_PORT | O_COUNT | O_TIMEOUT,
	  O_DST | O_PORT | O_COUNT,
	  "tcp-connect --dst ADDR --port P --count N [--timeout-ms T]" },
	{ "tcp-stream", cmd_tcp_stream, O_DST | O_PORT | O_BYTES | O_TIMEOUT,
	  O_DST | O_PORT | O_BYTES,
	  "tcp-stream --dst ADDR --port P --bytes B [--timeout-ms T]" },
	{ "sockets", cmd_sockets, O_COUNT, O_COUNT,
	  "sockets --count N   (creates and closes N UDP sockets)" },
};

static void help(void)
{
	size_t i;

	printf("usage: fltraffic COMMAND OPTIONS...\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  fltraffic %s\n", cmds[i].synopsis);
	printf("Durations are seconds (default 60 for servers). Each command ends with one\n"
	       "line of key=value pairs on stdout. Exit: 0 done, 1 runtime error, 2 usage.\n");
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct opts o = { 0 };
	size_t i;

	if (argc < 2)
		usage_error("no command given");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		help();
		return 0;
	}
	/* No SA_RESTART: a signal must wake ppoll() so the summary prints. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			parse_opts(&cmds[i], &o, argc - 2, argv + 2);
			return cmds[i].run(&o);
		}
	}
	usage_error("unknown command '%s'", argv[1]);
	return 2;
}
