// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `faultline demo`: run the sandbox demo (scripts/demo.sh) with this very
 * binary and the demo's service, flsvc. Both are looked for relative to the
 * running binary first, so a build tree in any OUTPUT directory and an
 * install under any PREFIX or DESTDIR work without configuration; the
 * paths compiled in by the Makefile come after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"

#if !defined(FL_SRCDIR) || !defined(FL_DEMO_DATADIR) || !defined(FL_DEMO_LIBEXECDIR)
#error "FL_SRCDIR, FL_DEMO_DATADIR and FL_DEMO_LIBEXECDIR come from the Makefile"
#endif

/* One place the script and flsvc may be, as a pair: a script from one tree
 * must not drive the service of another.
 */
struct fl_demo_layout {
	const char *what;
	char script[PATH_MAX];
	char svc[PATH_MAX];
};

enum { FL_DEMO_LAYOUTS = 4 };

static void fl_demo_usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline demo [--dry-run]\n"
		"\n"
		"Run the sandbox demo: three HTTP services (productpage -> reviews -> ratings)\n"
		"and a load generator, each in its own network namespace and cgroup, on\n"
		"198.18.0.0/24. Two experiments make ratings unreachable: without a fallback\n"
		"the failure condition trips and faultline rolls the fault back (Failed);\n"
		"with a fallback the experiment runs its whole duration (Succeeded). Then it\n"
		"tears the sandbox down and checks that nothing is left. About 35 s, as root;\n"
		"experiment files, reports and logs stay in /tmp/faultline-demo-XXXX.\n"
		"\n"
		"  --dry-run   print the script and binaries it would run, and exit\n"
		"\n"
		"Exit status: 0 both experiments ended as expected and nothing was left\n"
		"behind; 1 otherwise; 2 usage error; 3 not root, or the demo's script or\n"
		"service not found; 130 interrupted.\n"
		"\n"
		"The script and flsvc are looked for next to this binary: in its build tree\n"
		"(OUTPUT/tools/flsvc and the sources' scripts/demo.sh), then where 'make\n"
		"install' puts them (PREFIX/share/faultline/demo.sh and\n"
		"PREFIX/libexec/faultline/flsvc), then under the PREFIX of this build:\n"
		"  %s/demo.sh\n"
		"  %s/flsvc\n",
		FL_DEMO_DATADIR, FL_DEMO_LIBEXECDIR);
}

/* Add a candidate unless its paths do not fit or an earlier one is the same. */
static void fl_demo_add(struct fl_demo_layout *l, int *n, const char *what, const char *script_dir,
			const char *script, const char *svc_dir, const char *svc)
{
	struct fl_demo_layout *c = &l[*n];
	int i;

	if (snprintf(c->script, sizeof(c->script), "%s/%s", script_dir, script) >= (int)sizeof(c->script) ||
	    snprintf(c->svc, sizeof(c->svc), "%s/%s", svc_dir, svc) >= (int)sizeof(c->svc))
		return;
	for (i = 0; i < *n; i++)
		if (!strcmp(l[i].script, c->script) && !strcmp(l[i].svc, c->svc))
			return;
	c->what = what;
	(*n)++;
}

/* The candidates, most specific first; returns how many. */
static int fl_demo_layouts(const char *exe_dir, struct fl_demo_layout *l)
{
	char parent_buf[PATH_MAX];
	const char *parent;
	int n = 0;

	snprintf(parent_buf, sizeof(parent_buf), "%s", exe_dir);
	parent = dirname(parent_buf);

	fl_demo_add(l, &n, "build tree", parent, "scripts/demo.sh", exe_dir, "tools/flsvc");
	/* a build with OUTPUT outside the sources */
	fl_demo_add(l, &n, "build tree, sources at " FL_SRCDIR, FL_SRCDIR, "scripts/demo.sh",
		    exe_dir, "tools/flsvc");
	/* PREFIX/sbin/faultline: also right under another PREFIX or a DESTDIR */
	fl_demo_add(l, &n, "installed", parent, "share/faultline/demo.sh", parent,
		    "libexec/faultline/flsvc");
	fl_demo_add(l, &n, "installed (this build's PREFIX)", FL_DEMO_DATADIR, "demo.sh",
		    FL_DEMO_LIBEXECDIR, "flsvc");
	return n;
}

static const char *fl_demo_state(const char *path, int mode)
{
	if (!access(path, mode))
		return "found";
	return errno == ENOENT ? "missing" : strerror(errno);
}

int fl_cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct fl_demo_layout layouts[FL_DEMO_LAYOUTS];
	char exe[PATH_MAX], buf[PATH_MAX], exe_dir[PATH_MAX], script[PATH_MAX], svc[PATH_MAX];
	const struct fl_demo_layout *use = NULL;
	bool dry_run = false;
	int c, i, n, code = FL_EXIT_RUNTIME;
	ssize_t len;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry_run = true;
			break;
		case 'h':
			fl_demo_usage(stdout);
			return FL_EXIT_OK;
		default:
			fprintf(stderr, "faultline demo: unknown option '%s'; see 'faultline demo --help'\n",
				argv[optind - 1]);
			return FL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "faultline demo: unexpected argument '%s'; it takes none, see 'faultline demo --help'\n",
			argv[optind]);
		return FL_EXIT_USAGE;
	}

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0) {
		fprintf(stderr, "faultline demo: reading /proc/self/exe failed: %s; is /proc mounted?\n",
			strerror(errno));
		goto cleanup;
	}
	exe[len] = '\0';
	snprintf(buf, sizeof(buf), "%s", exe);
	snprintf(exe_dir, sizeof(exe_dir), "%s", dirname(buf));

	n = fl_demo_layouts(exe_dir, layouts);
	for (i = 0; i < n && !use; i++)
		if (!access(layouts[i].script, R_OK) && !access(layouts[i].svc, X_OK))
			use = &layouts[i];
	if (!use) {
		fprintf(stderr, "faultline demo: the demo's script or its service (flsvc) is missing; looked for:\n");
		for (i = 0; i < n; i++)
			fprintf(stderr, "  %s: %s (%s), %s (%s)\n", layouts[i].what,
				layouts[i].script, fl_demo_state(layouts[i].script, R_OK),
				layouts[i].svc, fl_demo_state(layouts[i].svc, X_OK));
		fprintf(stderr, "Run 'make' in the source tree and use the faultline it builds, or 'make install'.\n");
		goto cleanup;
	}
	/* canonical paths, for the script's messages and the dry run */
	if (!realpath(use->script, script) || !realpath(use->svc, svc)) {
		fprintf(stderr, "faultline demo: resolving %s and %s failed: %s\n", use->script,
			use->svc, strerror(errno));
		goto cleanup;
	}

	if (dry_run) {
		printf("faultline demo: %s\n"
		       "would run: FL_DEMO_FAULTLINE=%s FL_DEMO_FLSVC=%s bash %s\n",
		       use->what, exe, svc, script);
		code = FL_EXIT_OK;
		goto cleanup;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "faultline demo: needs root (network namespaces, cgroups, BPF); run it with sudo\n");
		goto cleanup;
	}
	if (setenv("FL_DEMO_FAULTLINE", exe, 1) || setenv("FL_DEMO_FLSVC", svc, 1)) {
		fprintf(stderr, "faultline demo: setting the script's environment failed: %s\n",
			strerror(errno));
		goto cleanup;
	}
	fflush(stdout);
	/* exec, not fork: the demo's exit status and signals are the command's own */
	execlp("bash", "bash", script, (char *)NULL);
	fprintf(stderr, "faultline demo: running 'bash %s' failed: %s; install bash (scripts/deps.sh)\n",
		script, strerror(errno));

cleanup:
	return code;
}
