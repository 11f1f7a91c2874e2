/*
 * fsrvp_agent restore — copy a file or directory back out of an rvss
 * snapshot (typically a retained backup) with reflinks: no data is copied,
 * the extents are shared (cp --reflink=always).  Never overwrites without
 * --force, and only reads from snapshots that rvss's catalog records.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <talloc.h>

#include "catalog.h"
#include "commands.h"
#include "mountinfo.h"
#include "state.h"

static void restore_usage(FILE *f)
{
	fprintf(f,
		"usage: fsrvp_agent restore [-s smb.conf] [--force] SOURCE DEST\n"
		"\n"
		"Copies SOURCE, a file or directory inside an rvss snapshot (see\n"
		"fsrvp_agent list; e.g. /srv/vms/.rvss-snapshots/@GMT-2026.11.22-03.42.06/vm1),\n"
		"to DEST with reflinks (cp -a --reflink=always): DEST must be on the same\n"
		"btrfs filesystem.  DEST must not exist unless --force is given (an\n"
		"existing file is then replaced; an existing directory is refused).\n"
		"Exit 0 restored, 1 refused or failed, 2 usage.\n");
}

int cmd_restore(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "configfile", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct agent_state_paths paths = { 0 };
	struct rvss_catalog *cat = NULL;
	struct rvss_record **recs = NULL;
	const struct rvss_record *from = NULL;
	char *src = NULL;
	const char *dest;
	bool force = false;
	struct stat st;
	size_t n = 0, i;
	int rc = AGENT_EXIT_USAGE;
	int c, r, status;
	pid_t pid;

	if (ctx == NULL) {
		return AGENT_EXIT_USAGE;
	}
	paths.fss_state = talloc_strdup(ctx, "-"); /* not needed here */
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': paths.conf = optarg; break;
		case 'f': force = true; break;
		case 'c': paths.catalog = talloc_strdup(ctx, optarg); break;
		case 'h': restore_usage(stdout); rc = AGENT_EXIT_OK; goto done;
		default: restore_usage(stderr); goto done;
		}
	}
	if (argc - optind != 2) {
		restore_usage(stderr);
		goto done;
	}
	dest = argv[optind + 1];
	if (agent_state_paths(ctx, "restore", &paths) != 0) {
		goto done;
	}
	src = realpath(argv[optind], NULL);
	if (src == NULL) {
		fprintf(stderr, "fsrvp_agent restore: %s: %s\n", argv[optind], strerror(errno));
		rc = AGENT_EXIT_FINDINGS;
		goto done;
	}
	r = rvss_catalog_open(ctx, paths.catalog, false, &cat);
	if (r == 0) {
		r = rvss_catalog_list(cat, ctx, &recs, &n);
	}
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent restore: cannot read catalog %s: %s\n",
			paths.catalog, strerror(-r));
		rc = AGENT_EXIT_FINDINGS;
		goto done;
	}
	for (i = 0; i < n && from == NULL; i++) {
		if (rvss_path_is_below(recs[i]->snapshot, src)) {
			from = recs[i];
		}
	}
	if (from == NULL) {
		fprintf(stderr, "fsrvp_agent restore: %s is not inside a snapshot rvss "
			"created: refused\n", src);
		rc = AGENT_EXIT_FINDINGS;
		goto done;
	}
	if (lstat(dest, &st) == 0) {
		if (!force) {
			fprintf(stderr, "fsrvp_agent restore: %s exists: not overwritten "
				"(use --force)\n", dest);
			rc = AGENT_EXIT_FINDINGS;
			goto done;
		}
		if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, "fsrvp_agent restore: %s is an existing directory: "
				"restore to a new path\n", dest);
			rc = AGENT_EXIT_FINDINGS;
			goto done;
		}
	}
	pid = fork();
	if (pid < 0) {
		perror("fsrvp_agent restore: fork");
		rc = AGENT_EXIT_FINDINGS;
		goto done;
	}
	if (pid == 0) {
		execlp("cp", "cp", "-a", "--reflink=always", "--remove-destination",
		       "--", src, dest, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "fsrvp_agent restore: cp --reflink=always %s %s failed\n",
			src, dest);
		rc = AGENT_EXIT_FINDINGS;
		goto done;
	}
	printf("restored %s from %s (%s) to %s\n", src + strlen(from->snapshot),
	       from->name, from->share, dest);
	rc = AGENT_EXIT_OK;
done:
	free(src);
	talloc_free(ctx);
	return rc;
}
