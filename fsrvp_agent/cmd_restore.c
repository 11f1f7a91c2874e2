/*
 * fsrvp_agent restore — copy a file or directory back out of an rvss
 * snapshot (typically a retained backup) with reflinks: no data is copied,
 * the extents are shared (cp --reflink=always).  Never overwrites without
 * --force, and only reads from read-only snapshots that rvss's catalog
 * records, or from a replica that `fsrvp_agent send --to DIR` recorded
 * (checked by its received UUID; copied, as it lies on another
 * filesystem: cp --reflink=auto).
 *
 * It runs as root in trees that share users write to, so it never writes
 * outside DEST's real location whatever links they planted, and never
 * reads through a link out of the snapshot (issue 11, item 7):
 *
 *  - SOURCE is opened from the recorded snapshot (trusted store fd, id
 *    checked: store.h) with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS),
 *    and only from a read-only snapshot: nobody can change it while cp
 *    walks it.
 *  - DEST's directory is opened with openat2(RESOLVE_NO_SYMLINKS); a
 *    root-made mode-0700 directory inside it receives the copy, made by
 *    cp -aT from /proc/self/fd/SRC to /proc/self/fd/TMP/NAME: every path
 *    cp walks lies below one of those two fds, which no user can change.
 *  - The copy is renamed onto DEST with renameat2(RENAME_NOREPLACE), or
 *    RENAME_EXCHANGE with --force; the old DEST, now in the private
 *    directory, is removed fd-relative without following any link.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/openat2.h>

#include <talloc.h>

#include "btrfs.h"
#include "catalog.h"
#include "commands.h"
#include "mountinfo.h"
#include "nested.h"
#include "replica.h"
#include "state.h"
#include "store.h"

#define TMP_PREFIX ".rvss-restore."

static void restore_usage(FILE *f)
{
	fprintf(f,
		"usage: fsrvp_agent restore [-s smb.conf] [--force] SOURCE DEST\n"
		"\n"
		"Copies SOURCE, a file or directory inside a read-only rvss snapshot (see\n"
		"fsrvp_agent list; e.g. /srv/vms/.rvss-snapshots/@GMT-2026.11.22-03.42.06/vm1),\n"
		"to DEST with reflinks (cp -a --reflink=always): DEST must be on the same\n"
		"btrfs filesystem.  DEST must not exist unless --force is given (it is then\n"
		"replaced, atomically).  No symbolic link is followed in SOURCE below the\n"
		"snapshot nor in DEST's path.\n"
		"SOURCE may also lie in a replica that fsrvp_agent send --to DIR made\n"
		"(e.g. DIR/vms/@GMT-2026.11.22-03.42.06/vm1); it is then copied (reflinks\n"
		"where DEST is on the replica's filesystem).\n"
		"Exit 0 restored, 1 refused or failed, 2 usage.\n");
}

static int open_beneath(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = resolve | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/*
 * Remove @name below @parentfd and everything in it, fd-relative, following
 * no link: a directory is opened with O_NOFOLLOW before its entries are
 * removed, anything else is unlinked as the entry it is.
 */
static int remove_tree(int parentfd, const char *name)
{
	DIR *d = NULL;
	struct dirent *de;
	int fd, ret = 0;

	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOTDIR && errno != ELOOP) {
			return -errno;
		}
		return unlinkat(parentfd, name, 0) == 0 ? 0 : -errno;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		ret = -errno;
		(void)close(fd);
		return ret;
	}
	while ((de = readdir(d)) != NULL) {
		int r;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
			continue;
		}
		r = remove_tree(dirfd(d), de->d_name);
		if (r != 0 && ret == 0) {
			ret = r;
		}
	}
	(void)closedir(d);
	if (ret == 0 && unlinkat(parentfd, name, AT_REMOVEDIR) != 0) {
		ret = -errno;
	}
	return ret;
}

/* A private directory of root's in @parentfd: its name in @ret_name. */
static int make_tmpdir(int parentfd, char ret_name[64], int *ret_fd)
{
	unsigned n;

	for (n = 0; n < 1000; n++) {
		struct stat st;
		int fd;

		snprintf(ret_name, 64, TMP_PREFIX "%ld.%u", (long)getpid(), n);
		if (mkdirat(parentfd, ret_name, 0700) != 0) {
			if (errno == EEXIST) {
				continue;
			}
			return -errno;
		}
		fd = openat(parentfd, ret_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			return -errno;
		}
		/* Replaced by someone between mkdirat and openat?  (No user
		 * can make a directory of root's.) */
		if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
		    (st.st_mode & 07777) != 0700) {
			(void)close(fd);
			return -EPERM;
		}
		*ret_fd = fd;
		return 0;
	}
	return -EEXIST;
}

/* cp -aT --reflink=@reflink from /proc/self/fd/@srcfd to @tmpfd/@name. */
static int run_cp(int srcfd, int tmpfd, const char *name, const char *reflink)
{
	char from[64], to[PATH_MAX];
	int status;
	pid_t pid;

	snprintf(from, sizeof(from), "/proc/self/fd/%d", srcfd);
	if (snprintf(to, sizeof(to), "/proc/self/fd/%d/%s", tmpfd, name) >= (int)sizeof(to)) {
		return -ENAMETOOLONG;
	}
	pid = fork();
	if (pid < 0) {
		return -errno;
	}
	if (pid == 0) {
		/* The two fds, and only they, pass to cp. */
		if (fcntl(srcfd, F_SETFD, 0) != 0 || fcntl(tmpfd, F_SETFD, 0) != 0) {
			_exit(127);
		}
		/* -H: follow the command-line /proc/self/fd link, nothing else. */
		execlp("cp", "cp", "-a", "-H", "-T", reflink, "--", from, to,
		       (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		return -errno;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Open @rel (below the read-only snapshot @snapfd, which names @what in
 * messages) without links. */
static int open_below(TALLOC_CTX *mem_ctx, int snapfd, const char *what,
		      const char *src, const char *rel, int *ret_fd,
		      char **ret_reason)
{
	struct stat st;
	bool ro = false;
	int fd = -1;
	int ret;

	ret = rvss_btrfs_get_read_only(snapfd, &ro);
	if (ret == 0 && !ro) {
		*ret_reason = talloc_asprintf(mem_ctx, "snapshot %s is writable (a shadow "
					      "copy still in use): restore reads only "
					      "read-only snapshots", what);
		ret = -EPERM;
		goto done;
	}
	/* a tree of snapshots (rvss:nested subvolumes): all of it */
	if (ret == 0) {
		char *writable = NULL;

		ret = rvss_nested_all_read_only(mem_ctx, snapfd, &writable);
		if (ret != 0) {
			*ret_reason = talloc_asprintf(mem_ctx, "cannot list the "
						      "subvolumes inside %s: %s",
						      what, strerror(-ret));
			goto done;
		}
		if (writable != NULL) {
			*ret_reason = talloc_asprintf(mem_ctx, "%s/%s inside the "
						      "snapshot is writable: restore "
						      "reads only read-only snapshots",
						      what, writable);
			ret = -EPERM;
			goto done;
		}
	}
	while (*rel == '/') {
		rel++;
	}
	fd = open_beneath(snapfd, *rel != '\0' ? rel : ".", O_RDONLY | O_NOCTTY | O_NONBLOCK,
			  RESOLVE_BENEATH);
	if (fd < 0) {
		ret = -errno;
		*ret_reason = talloc_asprintf(mem_ctx, "cannot open %s below the snapshot "
					      "without following links: %s", src,
					      strerror(-ret));
		goto done;
	}
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		goto done;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		*ret_reason = talloc_asprintf(mem_ctx, "%s is neither a file nor a "
					      "directory: refused", src);
		ret = -EPERM;
		goto done;
	}
	*ret_fd = fd;
	fd = -1;
done:
	if (fd >= 0) {
		(void)close(fd);
	}
	return ret;
}

/* Open @src (canonical, inside @rec's snapshot): the snapshot trusted
 * and read-only, the path below it without links. */
static int open_source(TALLOC_CTX *mem_ctx, const struct rvss_record *rec,
		       const char *src, int *ret_fd, char **ret_reason)
{
	int snapfd = -1;
	int ret;

	ret = rvss_store_open_recorded(mem_ctx, rec, NULL, &snapfd, NULL, ret_reason);
	if (ret == 0) {
		ret = open_below(mem_ctx, snapfd, rec->snapshot, src,
				 src + strlen(rec->snapshot), ret_fd, ret_reason);
		(void)close(snapfd);
	}
	return ret;
}

/*
 * Open @src inside a replica (fsrvp_agent send --to DIR): the recorded
 * replica path, reached without links, must be a read-only subvolume whose
 * received UUID is the recorded backup's UUID.
 */
static int open_replica_source(TALLOC_CTX *mem_ctx, const struct rvss_replica *rep,
			       const char *src, int *ret_fd, char **ret_reason)
{
	struct rvss_btrfs_subvol_info info;
	char received[37];
	int snapfd, ret;

	snapfd = open_beneath(AT_FDCWD, rep->path, O_RDONLY | O_DIRECTORY, 0);
	if (snapfd < 0) {
		ret = -errno;
		*ret_reason = talloc_asprintf(mem_ctx, "cannot open the replica %s without "
					      "following links: %s", rep->path,
					      strerror(-ret));
		return ret;
	}
	ret = rvss_btrfs_subvol_info(snapfd, &info);
	if (ret == 0) {
		rvss_btrfs_uuid_format(info.received_uuid, received);
		if (strcmp(received, rep->uuid) != 0) {
			ret = -EPERM;
		}
	}
	if (ret != 0) {
		*ret_reason = talloc_asprintf(mem_ctx, "%s is not the replica of %s that "
					      "rvss sent (received UUID differs)",
					      rep->path, rep->name);
	} else {
		ret = open_below(mem_ctx, snapfd, rep->path, src,
				 src + strlen(rep->path), ret_fd, ret_reason);
	}
	(void)close(snapfd);
	return ret;
}

/* The replica (of a directory target) that holds @src, or NULL. */
static const struct rvss_replica *find_replica(TALLOC_CTX *mem_ctx,
					       struct rvss_catalog *cat,
					       const char *src)
{
	struct rvss_replica **reps = NULL;
	size_t n = 0, i;

	if (rvss_replica_list(cat, mem_ctx, NULL, NULL, &reps, &n, NULL) != 0) {
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (reps[i]->path[0] == '/' && rvss_path_is_below(reps[i]->path, src)) {
			return reps[i];
		}
	}
	return NULL;
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
	const struct rvss_replica *replica = NULL;
	char *src = NULL, *dest = NULL, *name = NULL, *reason = NULL;
	char tmpname[64] = "";
	bool force = false, copied = false;
	size_t n = 0, i, len;
	int srcfd = -1, parentfd = -1, tmpfd = -1;
	int rc = AGENT_EXIT_USAGE;
	int c, r;

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
	/* DEST = parent + name, without dirname()/basename(). */
	dest = talloc_strdup(ctx, argv[optind + 1]);
	if (dest == NULL) {
		goto done;
	}
	len = strlen(dest);
	while (len > 1 && dest[len - 1] == '/') {
		dest[--len] = '\0';
	}
	name = strrchr(dest, '/');
	if (name == NULL) {
		name = dest;
		dest = talloc_strdup(ctx, ".");
	} else {
		*name++ = '\0';
		if (dest[0] == '\0') {
			dest = talloc_strdup(ctx, "/");
		}
	}
	if (dest == NULL || name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		fprintf(stderr, "fsrvp_agent restore: %s: DEST must name a file or "
			"directory\n", argv[optind + 1]);
		goto done;
	}
	if (agent_state_paths(ctx, "restore", &paths) != 0) {
		goto done;
	}
	rc = AGENT_EXIT_FINDINGS;
	src = realpath(argv[optind], NULL);
	if (src == NULL) {
		fprintf(stderr, "fsrvp_agent restore: %s: %s\n", argv[optind], strerror(errno));
		goto done;
	}
	r = rvss_catalog_open(ctx, paths.catalog, false, &cat);
	if (r == 0) {
		r = rvss_catalog_list(cat, ctx, &recs, &n);
	}
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent restore: cannot read catalog %s: %s\n",
			paths.catalog, strerror(-r));
		goto done;
	}
	for (i = 0; i < n && from == NULL; i++) {
		if (rvss_path_is_below(recs[i]->snapshot, src)) {
			from = recs[i];
		}
	}
	if (from == NULL) {
		replica = find_replica(ctx, cat, src);
	}
	if (from == NULL && replica == NULL) {
		fprintf(stderr, "fsrvp_agent restore: %s is not inside a snapshot rvss "
			"created nor a replica it sent: refused\n", src);
		goto done;
	}
	if (from != NULL) {
		r = open_source(ctx, from, src, &srcfd, &reason);
	} else {
		r = open_replica_source(ctx, replica, src, &srcfd, &reason);
	}
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent restore: %s: refused\n",
			reason != NULL ? reason : strerror(-r));
		goto done;
	}
	parentfd = open_beneath(AT_FDCWD, dest, O_RDONLY | O_DIRECTORY, 0);
	if (parentfd < 0) {
		fprintf(stderr, "fsrvp_agent restore: cannot open %s without following "
			"links: %s (give DEST's real path)\n", dest, strerror(errno));
		goto done;
	}
	if (!force && fstatat(parentfd, name, &(struct stat){ 0 }, AT_SYMLINK_NOFOLLOW) == 0) {
		fprintf(stderr, "fsrvp_agent restore: %s exists: not overwritten "
			"(use --force)\n", argv[optind + 1]);
		goto done;
	}
	r = make_tmpdir(parentfd, tmpname, &tmpfd);
	if (r != 0) {
		tmpname[0] = '\0';
		fprintf(stderr, "fsrvp_agent restore: cannot make a private directory in "
			"%s: %s\n", dest, strerror(-r));
		goto done;
	}
	/* A replica usually lies on another filesystem than DEST: copied. */
	r = run_cp(srcfd, tmpfd, name, from != NULL ? "--reflink=always" : "--reflink=auto");
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent restore: cp %s to %s failed\n",
			src, argv[optind + 1]);
		goto done;
	}
	copied = true;
	r = -EEXIST;
	if (force) {
		r = renameat2(tmpfd, name, parentfd, name, RENAME_EXCHANGE) == 0 ? 0 : -errno;
	}
	if (r == -EEXIST || r == -ENOENT) {
		r = renameat2(tmpfd, name, parentfd, name, RENAME_NOREPLACE) == 0 ? 0 : -errno;
	}
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent restore: %s: %s\n", argv[optind + 1],
			r == -EEXIST ? "exists: not overwritten (use --force)" : strerror(-r));
		goto done;
	}
	if (from != NULL) {
		printf("restored %s from %s (%s) to %s\n", src + strlen(from->snapshot),
		       from->name, from->share, argv[optind + 1]);
	} else {
		printf("restored %s from the replica %s of %s (%s) to %s\n",
		       src + strlen(replica->path), replica->path, replica->name,
		       replica->share, argv[optind + 1]);
	}
	rc = AGENT_EXIT_OK;
done:
	if (tmpfd >= 0) {
		/* The old DEST after an exchange, or a copy that was not used. */
		if (copied || rc != AGENT_EXIT_OK) {
			r = remove_tree(tmpfd, name);
			if (r != 0 && r != -ENOENT) {
				fprintf(stderr, "fsrvp_agent restore: cannot remove %s/%s/%s: %s\n",
					dest, tmpname, name, strerror(-r));
			}
		}
		(void)close(tmpfd);
	}
	if (parentfd >= 0 && tmpname[0] != '\0') {
		(void)unlinkat(parentfd, tmpname, AT_REMOVEDIR);
	}
	if (parentfd >= 0) {
		(void)close(parentfd);
	}
	if (srcfd >= 0) {
		(void)close(srcfd);
	}
	free(src);
	talloc_free(ctx);
	return rc;
}
