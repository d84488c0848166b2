/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Active probes of failure conditions: an HTTP GET or a TCP connect, run
 * at a fixed interval, each probe in a thread of its own.
 *
 * Samples do not reach the caller from the probe threads. A thread queues
 * its sample under a lock and signals a descriptor (fl_probes_fd); the main
 * loop polls that descriptor for POLLIN and calls fl_probes_drain, which
 * hands the queued samples to a callback on the caller's thread. The
 * callback therefore needs no locking of its own.
 *
 * Scheduling: probe i runs at start, start + interval, start + 2 * interval
 * and so on, counted from the moment fl_probes_start returned, so the times
 * do not drift. A probe that takes longer than its interval is never run
 * twice at once: the slots it overran are skipped and it runs again at the
 * next slot still ahead of it.
 *
 * Every function returns 0 (or a count) or a negative errno and never
 * prints.
 */
#ifndef FL_PROBES_H
#define FL_PROBES_H

#include <limits.h>
#include <stddef.h>
#include <linux/types.h>

#define FL_PROBE_HTTP	1
#define FL_PROBE_TCP	2
#define FL_PROBE_PROM	3	/* a Prometheus instant query (prom.h) */

#define FL_MAX_PROBES	64

/* Samples waiting for fl_probes_drain; past this the oldest are dropped
 * (and counted by fl_probes_dropped).
 */
#define FL_PROBES_QUEUE	1024

struct fl_probe_cfg {
	char name[64];
	int kind;		/* FL_PROBE_HTTP or FL_PROBE_TCP */
	/* http: http:// or https:// URL, fetched with GET; no proxy is used
	 * and redirects are not followed (a 3xx is a status like another).
	 */
	char url[512];
	int expect_status;	/* http: 100..599, or 0: any 2xx */
	/* prom: url is the server's base URL; the query is not copied and
	 * must outlive the set
	 */
	const char *query;
	/* tcp: "host:port" or "[v6]:port"; host is an address, or a name
	 * resolved again at every run (the resolver's own timeouts apply to
	 * that part, not timeout_ns).
	 */
	char address[128];
	__u64 interval_ns;	/* > 0 */
	__u64 timeout_ns;	/* > 0: one run, resolution included */
	/* Optional ("" for none): a network namespace path such as
	 * /run/netns/NAME or /proc/PID/ns/net. The probe's thread enters
	 * it (setns affects that thread only), so its sockets live there;
	 * host names are still resolved with this process's resolv.conf.
	 */
	char netns[PATH_MAX];
};

struct fl_probe_sample {
	int probe;		/* index in the cfgs given to fl_probes_start */
	__u64 ts_ns;		/* CLOCK_MONOTONIC at completion */
	__u64 latency_ns;	/* from the start of the run to its completion */
	int ok;
	int status;		/* http status or 0 */
	double value;		/* prom: the answer */
	char error[128];	/* why it failed; "" when ok */
};

struct fl_probes;

typedef void (*fl_probe_cb)(const struct fl_probe_sample *s, void *arg);

/* Checks a configuration without starting anything: -EINVAL for a bad
 * kind, interval, timeout, status, empty URL or unparsable address. When
 * @err is given it gets a message naming the field.
 */
int fl_probe_cfg_check(const struct fl_probe_cfg *cfg, char *err, size_t errlen);

/* Starts @n probes (1..FL_MAX_PROBES); the configurations are copied. The
 * namespaces are opened here and entered by each probe thread before it
 * runs; when one cannot be opened or entered, or a configuration is bad,
 * nothing is left running and the error is returned. The first run of
 * every probe starts at once.
 */
int fl_probes_start(struct fl_probes **out, const struct fl_probe_cfg *cfgs, int n);

/* A descriptor that is readable (POLLIN) while samples are queued. It
 * belongs to @p: do not read or close it; call fl_probes_drain.
 */
int fl_probes_fd(const struct fl_probes *p);

/* Hands every queued sample, oldest first, to @cb on the calling thread;
 * never blocks. Returns the number of samples handed over. Call it when
 * fl_probes_fd is readable (a spurious wakeup returns 0).
 */
int fl_probes_drain(struct fl_probes *p, fl_probe_cb cb, void *arg);

/* Samples lost because the queue was full (the main loop did not drain). */
__u64 fl_probes_dropped(const struct fl_probes *p);

/* Stops the probes, waits for their threads and frees everything. A run
 * in progress is abandoned at once and reports nothing; only a TCP probe
 * resolving a host name (getaddrinfo cannot be interrupted) may hold the
 * stop up, for as long as the resolver takes: give addresses to avoid
 * it. Samples still queued are discarded: drain first to keep them. NULL
 * is a no-op.
 */
void fl_probes_stop(struct fl_probes *p);

#endif /* FL_PROBES_H */
