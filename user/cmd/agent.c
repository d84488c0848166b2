// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `faultline agent` and its clients: `status`, `run --agent`, and `stop`
 * through the agent. The agent's logic is user/agent/; this edge owns the
 * options, the signals and what is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "agent.h"
#include "caps.h"
#include "commands.h"
#include "common.h"
#include "control.h"
#include "log.h"
#include "metrics.h"
#include "state.h"

static volatile sig_atomic_t fl_agent_signo;
static volatile sig_atomic_t fl_agent_hup;
static struct fl_agent *volatile fl_agent_self;

static void fl_agent_on_signal(int signo)
{
	if (signo == SIGHUP) {
		fl_agent_hup = 1;
		return;
	}
	/* the faults stop at the signal, before the slower detach */
	fl_agent_disarm_all(fl_agent_self);
	fl_agent_signo = signo;
}

static void fl_agent_usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline agent [--socket PATH] [--spec-dir DIR] [--metrics-addr HOST:PORT]\n"
		"                       [--pin-dir DIR] [--on-restart adopt|clean]\n"
		"                       [--log-format text|json] [--allow-uid UID] [-v]\n"
		"                       [--kubeconfig FILE] [--node-name NODE] [--cgroup-root DIR]\n"
		"\n"
		"Run experiments side by side in one process, submitted through the control\n"
		"socket ('faultline run FILE --agent', 'faultline status', 'faultline stop') or\n"
		"dropped into the spec directory. Experiments whose targets overlap, or that\n"
		"share a name, never run at once.\n"
		"\n"
		"  --socket PATH          control socket, mode 0600 (default " FL_AGENT_SOCKET ")\n"
		"  --spec-dir DIR         each *.yaml in DIR is an experiment: added starts it,\n"
		"                         removed stops it, rewritten restarts it; SIGHUP rereads\n"
		"  --metrics-addr ADDR    Prometheus /metrics and /healthz (default " FL_METRICS_ADDR ");\n"
		"                         'none' serves nothing\n"
		"  --pin-dir DIR          this agent's bpffs directory, made 0700; each experiment's\n"
		"                         links and maps are pinned in DIR/NAME, so that it outlives\n"
		"                         the agent (default " FL_AGENT_PIN_DIR ")\n"
		"  --on-restart POLICY    what a previous agent left in --pin-dir: 'clean' takes it\n"
		"                         off (default), 'adopt' takes it back to run to its deadline\n"
		"  --log-format FORMAT    text, or json: one JSON object per line on stderr\n"
		"  --allow-uid UID        answer this uid too (root always)\n"
		"  --kubeconfig FILE      run the Experiments of the Kubernetes API on this node's\n"
		"                         pods (in a pod: the service account, without this flag)\n"
		"  --node-name NODE       this node's name (default $NODE_NAME); needed with the API\n"
		"  --cgroup-root DIR      the kubelet's --cgroup-root, where pods' cgroups are\n"
		"                         (default $" "FAULTLINE_CGROUP_ROOT, else the cgroup2 mount)\n"
		"\n"
		"SIGTERM and SIGINT stop every experiment (Aborted) and exit.\n");
}

int fl_cmd_agent(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "spec-dir", required_argument, NULL, 'd' },
		{ "metrics-addr", required_argument, NULL, 'm' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "on-restart", required_argument, NULL, 'r' },
		{ "log-format", required_argument, NULL, 'l' },
		{ "allow-uid", required_argument, NULL, 'u' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "node-name", required_argument, NULL, 'n' },
		{ "cgroup-root", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct fl_agent_opts o = {
		.socket = FL_AGENT_SOCKET,
		.metrics_addr = FL_METRICS_ADDR,
		.pin_dir = FL_AGENT_PIN_DIR,
	};
	enum fl_log_format fmt = FL_LOG_TEXT;
	enum fl_log_level level = FL_LOG_INFO;
	struct sigaction sa = {};
	struct fl_agent *a = NULL;
	char err[1024], warn[512];
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:d:m:p:r:l:u:k:n:c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket = optarg;
			break;
		case 'd':
			o.spec_dir = optarg;
			break;
		case 'm':
			o.metrics_addr = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case 'p':
			o.pin_dir = optarg;
			break;
		case 'r':
			if (strcmp(optarg, "adopt") && strcmp(optarg, "clean")) {
				fprintf(stderr, "faultline agent: --on-restart %s: adopt or clean\n", optarg);
				return FL_EXIT_USAGE;
			}
			o.adopt = !strcmp(optarg, "adopt");
			break;
		case 'l':
			if (fl_log_parse_format(optarg, &fmt)) {
				fprintf(stderr, "faultline agent: --log-format %s: text or json\n", optarg);
				return FL_EXIT_USAGE;
			}
			break;
		case 'u':
			o.allow_uid = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			o.kubeconfig = optarg;
			o.k8s = true;
			break;
		case 'n':
			o.node_name = optarg;
			break;
		case 'c':
			o.cgroup_root = optarg;
			break;
		case 'v':
			level = FL_LOG_DEBUG;
			break;
		case 'h':
			fl_agent_usage(stdout);
			return FL_EXIT_OK;
		default:
			fprintf(stderr, "faultline agent: unknown option or missing value '%s'; see 'faultline agent --help'\n",
				argv[optind - 1]);
			return FL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "faultline agent: unexpected '%s'; see 'faultline agent --help'\n",
			argv[optind]);
		return FL_EXIT_USAGE;
	}
	/* in a pod, the API is the service's; the node is the downward API's */
	if (!o.k8s && getenv("KUBERNETES_SERVICE_HOST") && *getenv("KUBERNETES_SERVICE_HOST"))
		o.k8s = true;
	if (!o.node_name)
		o.node_name = getenv("NODE_NAME");
	if (o.k8s && (!o.node_name || !*o.node_name)) {
		fprintf(stderr, "faultline agent: the Kubernetes API needs this node's name: pass --node-name or set NODE_NAME\n");
		return FL_EXIT_USAGE;
	}
	fl_log_set_format(fmt);
	fl_log_set_level(level);
	if (fl_caps_check(err, sizeof(err), warn, sizeof(warn))) {
		pr_warn("faultline agent: missing capabilities: %s; " FL_CAPS_HINT "\n", err);
		return FL_EXIT_RUNTIME;
	}
	if (warn[0])
		pr_warn("faultline agent: running without %s\n", warn);
	if (geteuid() != 0) {
		pr_warn("faultline agent: runs as uid 0, limited to the capabilities it needs: it serves every uid, and its socket (" FL_AGENT_SOCKET "), run state and pins in bpffs are root's; run it with sudo or as a systemd service ('faultline inject' and 'run' work under another uid with the four capabilities)\n");
		return FL_EXIT_RUNTIME;
	}
	/* the default socket's directory; another --socket names its own */
	if (!strcmp(o.socket, FL_AGENT_SOCKET))
		mkdir(FL_STATE_DIR, 0700);
	/* no SA_RESTART: the engine's poll must return at once */
	sa.sa_handler = fl_agent_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* before fl_agent_new starts threads (metrics, the Kubernetes
	 * watches), since capabilities are per thread: nothing in its setup
	 * needs more than what experiments need (a metrics port below 1024
	 * would: use one above); CAP_SYS_PTRACE stays for their pids
	 */
	if (fl_caps_drop_others(true, err, sizeof(err))) {
		pr_warn("faultline agent: %s\n", err);
		return FL_EXIT_RUNTIME;
	}
	ret = fl_agent_new(&a, &o, err, sizeof(err));
	if (ret) {
		pr_warn("faultline agent: %s\n", err);
		return ret == -EINVAL ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
	}
	fl_agent_self = a;
	fl_agent_run(a, &fl_agent_signo, &fl_agent_hup);
	fl_agent_self = NULL;
	fl_agent_free(a);
	pr_info("faultline agent: stopped\n");
	return FL_EXIT_OK;
}

/* ---- clients ---- */

/* One request; the connected fd, or -1 after saying why. */
static int fl_agent_request(const char *who, const char *socket, json_object *req)
{
	int fd = fl_ctl_connect(socket);

	if (fd < 0) {
		fprintf(stderr, "%s: cannot reach the agent at %s: %s%s\n", who, socket,
			strerror(-fd), fd == -ENOENT ? " (is 'faultline agent' running?)" : "");
		json_object_put(req);
		return -1;
	}
	if (fl_ctl_send(fd, req)) {
		fprintf(stderr, "%s: sending to the agent at %s failed: %s\n", who, socket,
			strerror(errno));
		close(fd);
		fd = -1;
	}
	json_object_put(req);
	return fd;
}

/* The next response line as an object, waiting at most @timeout_ms (-1:
 * for ever). NULL at the end or on a timeout (*timed_out).
 */
static json_object *fl_agent_response(int fd, struct fl_ctl_lines *l, int timeout_ms,
				      bool *timed_out)
{
	size_t used;
	char *line;
	json_object *o;
	int ret;

	*timed_out = false;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		line = fl_ctl_next_line(l, &used);
		if (line) {
			o = json_tokener_parse(line);
			fl_ctl_consume(l, used);
			if (o)
				return o;
			continue;
		}
		ret = poll(&p, 1, timeout_ms);
		if (ret < 0 && errno == EINTR) {
			*timed_out = true;
			return NULL;
		}
		if (ret == 0) {
			*timed_out = true;
			return NULL;
		}
		if (fl_ctl_read(fd, l) <= 0 && !memchr(l->buf ? l->buf : "", '\n', l->len))
			return NULL;
	}
}

static const char *fl_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool fl_json_ok(json_object *o)
{
	json_object *v;

	return json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v);
}

/* An error response: printed, and its exit code. */
static int fl_agent_refused(const char *who, json_object *o)
{
	const char *err = fl_json_str(o, "error"), *class = fl_json_str(o, "class");

	/* the validator's FILE:LINE:COL stands on its own */
	if (err && err[0] == '/')
		fprintf(stderr, "%s\n", err);
	else
		fprintf(stderr, "%s: %s\n", who, err ? err : "the agent refused");
	return class && !strcmp(class, FL_CTL_INVALID) ? FL_EXIT_USAGE : FL_EXIT_RUNTIME;
}

static volatile sig_atomic_t fl_client_signo;

static void fl_client_on_signal(int signo)
{
	fl_client_signo = signo;
}

/* `faultline run FILE --agent`: submit, follow, print the report a
 * foreground run prints, exit as it exits. A signal stops the experiment
 * in the agent, and the report still comes.
 */
int fl_cmd_run_agent(const char *path, const char *socket, bool json)
{
	const char *who = "faultline run";
	struct fl_ctl_lines l = {};
	struct sigaction sa = {};
	char abs[PATH_MAX], name[FL_NAME_MAX] = "";
	json_object *req, *o = NULL;
	bool stopped = false, timed_out;
	int fd, code = FL_EXIT_RUNTIME;

	if (!realpath(path, abs)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return FL_EXIT_USAGE;
	}
	sa.sa_handler = fl_client_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("submit"));
	json_object_object_add(req, "file", json_object_new_string(abs));
	json_object_object_add(req, "follow", json_object_new_boolean(true));
	fd = fl_agent_request(who, socket, req);
	if (fd < 0)
		return FL_EXIT_RUNTIME;
	for (;;) {
		const char *ev;

		if (fl_client_signo && name[0] && !stopped) {
			json_object *stop = json_object_new_object();
			int sfd;

			json_object_object_add(stop, "op", json_object_new_string("stop"));
			json_object_object_add(stop, "name", json_object_new_string(name));
			sfd = fl_agent_request(who, socket, stop);
			if (sfd >= 0)
				close(sfd);
			stopped = true;
		}
		o = fl_agent_response(fd, &l, 200, &timed_out);
		if (!o && timed_out)
			continue;
		if (!o) {
			fprintf(stderr, "%s: the agent closed the connection before the report\n", who);
			break;
		}
		ev = fl_json_str(o, "event");
		if (!ev) {
			if (!fl_json_ok(o)) {
				code = fl_agent_refused(who, o);
				break;
			}
			snprintf(name, sizeof(name), "%s", fl_json_str(o, "name") ?: "");
		} else if (!strcmp(ev, "started") || !strcmp(ev, "status")) {
			fprintf(stderr, "%s\n", fl_json_str(o, "line") ?: "");
		} else if (!strcmp(ev, "end")) {
			json_object *rep, *v;

			if (json && json_object_object_get_ex(o, "report", &rep))
				printf("%s\n", json_object_to_json_string_ext(
					       rep, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
			else
				fputs(fl_json_str(o, "text") ?: "", stdout);
			fflush(stdout);
			if (json_object_object_get_ex(o, "exit_code", &v))
				code = json_object_get_int(v);
			break;
		}
		json_object_put(o);
		o = NULL;
	}
	json_object_put(o);
	fl_ctl_lines_free(&l);
	close(fd);
	return code;
}

/* A request with one response: that response, or NULL after saying why. */
static json_object *fl_agent_call(const char *who, const char *socket, json_object *req)
{
	struct fl_ctl_lines l = {};
	json_object *o;
	bool timed_out;
	int fd;

	fd = fl_agent_request(who, socket, req);
	if (fd < 0)
		return NULL;
	o = fl_agent_response(fd, &l, 10000, &timed_out);
	if (!o)
		fprintf(stderr, "%s: no answer from the agent at %s\n", who, socket);
	fl_ctl_lines_free(&l);
	close(fd);
	return o;
}

int fl_cmd_stop_agent(const char *socket, const char *name)
{
	const char *who = "faultline stop";
	json_object *req = json_object_new_object(), *o, *names;
	size_t i;
	int code;

	json_object_object_add(req, "op", json_object_new_string("stop"));
	if (name)
		json_object_object_add(req, "name", json_object_new_string(name));
	else
		json_object_object_add(req, "all", json_object_new_boolean(true));
	o = fl_agent_call(who, socket, req);
	if (!o)
		return FL_EXIT_RUNTIME;
	if (!fl_json_ok(o)) {
		code = fl_agent_refused(who, o);
		json_object_put(o);
		return code;
	}
	names = json_object_object_get(o, "stopped");
	for (i = 0; i < json_object_array_length(names); i++)
		printf("%s: stopping experiment %s (agent %s)\n", who,
		       json_object_get_string(json_object_array_get_idx(names, i)), socket);
	code = json_object_array_length(names) || !name ? FL_EXIT_OK : FL_EXIT_RUNTIME;
	if (!json_object_array_length(names))
		fprintf(stderr, "%s: no running experiment in the agent at %s\n", who, socket);
	json_object_put(o);
	return code;
}

int fl_cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *socket = FL_AGENT_SOCKET;
	json_object *req, *o, *list;
	bool json = false;
	size_t i;
	int c, k;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			socket = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			printf("Usage: faultline status [--json] [--socket PATH]\n\n"
			       "List the agent's experiments: phase, elapsed time, conditions' values.\n");
			return FL_EXIT_OK;
		default:
			fprintf(stderr, "faultline status: unknown option or missing value '%s'; see 'faultline status --help'\n",
				argv[optind - 1]);
			return FL_EXIT_USAGE;
		}
	}
	req = json_object_new_object();
	json_object_object_add(req, "op", json_object_new_string("status"));
	o = fl_agent_call("faultline status", socket, req);
	if (!o)
		return FL_EXIT_RUNTIME;
	if (!fl_json_ok(o)) {
		c = fl_agent_refused("faultline status", o);
		json_object_put(o);
		return c;
	}
	list = json_object_object_get(o, "experiments");
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(list, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return FL_EXIT_OK;
	}
	printf("%-24s %-10s %-15s %s\n", "NAME", "PHASE", "ELAPSED", "CONDITIONS");
	for (i = 0; i < json_object_array_length(list); i++) {
		json_object *x = json_object_array_get_idx(list, i);
		json_object *conds = json_object_object_get(x, "conditions");
		char el[32];

		snprintf(el, sizeof(el), "%.0fs/%.0fs",
			 json_object_get_double(json_object_object_get(x, "elapsed_s")),
			 json_object_get_double(json_object_object_get(x, "duration_s")));
		printf("%-24s %-10s %-15s", fl_json_str(x, "name") ?: "?",
		       fl_json_str(x, "phase") ?: "?", el);
		for (k = 0; k < (int)json_object_array_length(conds); k++) {
			json_object *cd = json_object_array_get_idx(conds, k);
			json_object *v = json_object_object_get(cd, "value");

			printf("%s%s=%s", k ? ", " : " ", fl_json_str(cd, "name") ?: "?",
			       v ? json_object_to_json_string(v) : "-");
		}
		if (json_object_get_boolean(json_object_object_get(x, "adopted")))
			printf(" (taken back after an agent restart)");
		printf("\n");
	}
	json_object_put(o);
	return FL_EXIT_OK;
}
