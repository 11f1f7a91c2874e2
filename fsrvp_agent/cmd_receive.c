/*
 * fsrvp_agent receive — the far end of `fsrvp_agent send --to-command`:
 * reads a send stream on stdin and receives it into a replica directory
 * with btrfs receive, as `send --to DIR` does locally (replica_dir.h):
 * the directory must be root's and on btrfs, one run at a time, what an
 * interrupted receive left there is removed first, and a receive that
 * fails leaves nothing half-received behind.
 *
 *   fsrvp_agent send --to-command \
 *       'ssh backup@vault sudo fsrvp_agent receive /srv/rvss/$RVSS_SHARE'
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <talloc.h>

#include "commands.h"
#include "replica_dir.h"

static void receive_usage(FILE *f)
{
	fprintf(f,
		"usage: fsrvp_agent receive DIR\n"
		"\n"
		"Receives the btrfs send stream on stdin into DIR (btrfs receive), for\n"
		"fsrvp_agent send --to-command on another machine, e.g.\n"
		"  --to-command 'ssh backup@vault sudo fsrvp_agent receive /srv/rvss/$RVSS_SHARE'\n"
		"DIR: on btrfs, owned by root and not writable by group or others.\n"
		"Removes what interrupted receives left in DIR (subvolumes with an rvss\n"
		"snapshot name and no received UUID) before, and after a failed receive.\n"
		"Messages go to stderr.  Exit 0 received, 1 failed, 2 usage or refused.\n");
}

static void say(void *priv, const char *name, bool removed)
{
	const char *dir = priv;

	fprintf(stderr, "fsrvp_agent receive: %s the half-received %s/%s\n",
		removed ? "removed" : "cannot remove", dir, name);
}

/* btrfs receive into /proc/self/fd/@dirfd, stdin inherited, its stdout
 * to our stderr (ours is the sender's transport).  Its exit status. */
static int run_receive(int dirfd)
{
	char dir[64];
	int status;
	pid_t pid;

	snprintf(dir, sizeof(dir), "/proc/self/fd/%d", dirfd);
	pid = fork();
	if (pid < 0) {
		return 127;
	}
	if (pid == 0) {
		if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || fcntl(dirfd, F_SETFD, 0) != 0) {
			_exit(127);
		}
		execlp("btrfs", "btrfs", "receive", dir, (char *)NULL);
		fprintf(stderr, "fsrvp_agent receive: cannot run btrfs: %s\n", strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			return 127;
		}
	}
	if (WIFEXITED(status)) {
		return WEXITSTATUS(status);
	}
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

int cmd_receive(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	uint8_t fsid[16];
	char *dir = NULL;
	int rc = AGENT_EXIT_USAGE;
	int fd = -1, c, status;

	if (ctx == NULL) {
		return AGENT_EXIT_USAGE;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': receive_usage(stdout); rc = AGENT_EXIT_OK; goto done;
		default: receive_usage(stderr); goto done;
		}
	}
	if (argc - optind != 1) {
		receive_usage(stderr);
		goto done;
	}
	if (isatty(STDIN_FILENO) == 1) {
		fprintf(stderr, "fsrvp_agent receive: stdin is a terminal, not a send "
			"stream\n");
		goto done;
	}
	if (agent_replica_dir_open(ctx, "receive", argv[optind], &dir, &fd, fsid) != 0) {
		goto done;
	}
	(void)agent_replica_dir_clean(fd, false, say, dir);
	rc = AGENT_EXIT_FINDINGS;
	status = run_receive(fd);
	if (status != 0) {
		fprintf(stderr, "fsrvp_agent receive: btrfs receive into %s failed "
			"(exit status %d)\n", dir, status);
		(void)agent_replica_dir_clean(fd, false, say, dir);
		goto done;
	}
	rc = AGENT_EXIT_OK;
done:
	if (fd >= 0) {
		(void)close(fd);
	}
	talloc_free(ctx);
	return rc;
}
