/*
 * fsrvp_agent — the administrator's CLI over the rvss core.
 *
 * Each command lives in its own cmd_<name>.c and is entered through
 * cmd_<name>(argc, argv) with argv[0] the command name.  Exit codes are the
 * same for every command: 0 success / qualifies, 1 findings or failures,
 * 2 usage or I/O error.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef FSRVP_AGENT_COMMANDS_H
#define FSRVP_AGENT_COMMANDS_H

#define AGENT_EXIT_OK       0
#define AGENT_EXIT_FINDINGS 1
#define AGENT_EXIT_USAGE    2

struct agent_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* The command table, defined in main.c. */
extern const struct agent_command agent_commands[];

#endif
