/*
 * fsrvp_agent — command dispatch.  Everything a command does lives in its
 * cmd_<name>.c; this file only picks the command.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* One line per command: declared here, defined in cmd_<name>.c. */
#define AGENT_COMMANDS(X) \
	X(check, "does a share's directory tree qualify for Remote VSS?") \
	X(doctor, "is this Samba configured for FSRVP with rvss?") \
	X(list, "every rvss snapshot, with its FSRVP state") \
	X(gc, "reclaim dead shadow copy sets, seal recovered ones, prune backups") \
	X(restore, "copy files back from a retained snapshot (reflink)") \
	X(send, "copy retained backups to another btrfs (incremental send)") \
	X(receive, "receive a send stream into a replica directory (send's far end)") \

#define AGENT_DECLARE(name, summary) int cmd_##name(int argc, char **argv);
AGENT_COMMANDS(AGENT_DECLARE)

const struct agent_command agent_commands[] = {
#define AGENT_ENTRY(name, summary) { #name, cmd_##name, summary },
	AGENT_COMMANDS(AGENT_ENTRY)
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	const struct agent_command *c;

	fprintf(f, "usage: fsrvp_agent COMMAND [OPTIONS]\n\ncommands:\n");
	for (c = agent_commands; c->name != NULL; c++) {
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	}
	fprintf(f, "\nfsrvp_agent COMMAND --help shows a command's options.\n"
		   "Exit codes: 0 ok, 1 findings/failures, 2 usage or I/O error.\n");
}

int main(int argc, char **argv)
{
	const struct agent_command *c;

	if (argc < 2) {
		usage(stderr);
		return AGENT_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return AGENT_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("fsrvp_agent (rvss) 0.1.0\n");
		return AGENT_EXIT_OK;
	}
	for (c = agent_commands; c->name != NULL; c++) {
		if (strcmp(argv[1], c->name) == 0) {
			return c->fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "fsrvp_agent: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return AGENT_EXIT_USAGE;
}
