/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The subcommands main.c dispatches to; each returns an exit code. */
#ifndef FL_COMMANDS_H
#define FL_COMMANDS_H

int fl_cmd_inject(int argc, char **argv);
int fl_cmd_cleanup(int argc, char **argv);
int fl_cmd_features(int argc, char **argv);
int fl_cmd_run(int argc, char **argv);
int fl_cmd_validate(int argc, char **argv);
int fl_cmd_stop(int argc, char **argv);
int fl_cmd_demo(int argc, char **argv);

#endif /* FL_COMMANDS_H */
