/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The subcommands main.c dispatches to; each returns an exit code. */
#ifndef FL_COMMANDS_H
#define FL_COMMANDS_H

#include <stdbool.h>

int fl_cmd_inject(int argc, char **argv);
int fl_cmd_cleanup(int argc, char **argv);
int fl_cmd_features(int argc, char **argv);
int fl_cmd_run(int argc, char **argv);
int fl_cmd_validate(int argc, char **argv);
int fl_cmd_stop(int argc, char **argv);
int fl_cmd_demo(int argc, char **argv);
int fl_cmd_agent(int argc, char **argv);
int fl_cmd_status(int argc, char **argv);

/* `run --agent` and `stop` through an agent's socket (agent.c). */
int fl_cmd_run_agent(const char *path, const char *socket, bool json);
/* @name NULL: every experiment. */
int fl_cmd_stop_agent(const char *socket, const char *name);

#endif /* FL_COMMANDS_H */
