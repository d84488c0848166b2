// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* faultline: kernel-level network fault injection. This file only
 * dispatches subcommands from a table.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"

static int fl_cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("faultline %s\n", FL_VERSION);
	return FL_EXIT_OK;
}

static int fl_cmd_help(int argc, char **argv);

static const struct fl_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} fl_commands[] = {
	{ "run", fl_cmd_run, "run an experiment file: faults, failure conditions, report" },
	{ "validate", fl_cmd_validate, "check an experiment file without touching the kernel" },
	{ "stop", fl_cmd_stop, "abort running experiments (in the agent, when it runs)" },
	{ "agent", fl_cmd_agent, "run experiments side by side: control socket, spec directory, metrics" },
	{ "status", fl_cmd_status, "list the agent's experiments" },
	{ "inject", fl_cmd_inject, "drop, delay or rate-limit the target cgroups' packets, for a while" },
	{ "cleanup", fl_cmd_cleanup, "remove anything faultline left in the kernel" },
	{ "features", fl_cmd_features, "what this kernel and machine offer faultline" },
	{ "demo", fl_cmd_demo, "sandbox experiment: break a service chain, roll back, leave nothing" },
	{ "version", fl_cmd_version, "print the version" },
	{ "help", fl_cmd_help, "this list" },
};

static int fl_cmd_help(int argc, char **argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	printf("Usage: faultline COMMAND [OPTIONS]\n\nCommands:\n");
	for (i = 0; i < sizeof(fl_commands) / sizeof(fl_commands[0]); i++)
		printf("  %-10s %s\n", fl_commands[i].name, fl_commands[i].summary);
	printf("\n'faultline COMMAND --help' tells more.\n");
	return FL_EXIT_OK;
}

int main(int argc, char **argv)
{
	size_t i;

	fl_log_set_level(FL_LOG_WARN);
	if (argc < 2) {
		fl_cmd_help(0, NULL);
		return FL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return fl_cmd_help(0, NULL);
	if (!strcmp(argv[1], "--version"))
		return fl_cmd_version(0, NULL);
	for (i = 0; i < sizeof(fl_commands) / sizeof(fl_commands[0]); i++)
		if (!strcmp(argv[1], fl_commands[i].name))
			return fl_commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "faultline: unknown command '%s'; see 'faultline help'\n", argv[1]);
	return FL_EXIT_USAGE;
}
