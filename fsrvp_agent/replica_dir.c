/*
 * fsrvp_agent — a replica directory (see replica_dir.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "replica_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "btrfs.h"
#include "snapname.h"
#include "store.h"

int agent_replica_dir_open(TALLOC_CTX *mem_ctx, const char *cmd, const char *path,
			   char **ret_real, int *ret_fd, uint8_t ret_fsid[16])
{
	char *real = NULL, *dir = NULL, *why = NULL;
	size_t depth = 0;
	const char *p;
	int root = -1, fd = -1, ret;

	real = realpath(path, NULL);
	if (real == NULL) {
		ret = -errno;
		fprintf(stderr, "fsrvp_agent %s: %s: %s\n", cmd, path, strerror(-ret));
		return ret;
	}
	dir = talloc_strdup(mem_ctx, real);
	free(real);
	if (dir == NULL) {
		return -ENOMEM;
	}
	if (strcmp(dir, "/") == 0) {
		fprintf(stderr, "fsrvp_agent %s: /: refused (give a directory for the "
			"replicas)\n", cmd);
		ret = -EINVAL;
		goto done;
	}
	for (p = dir + 1; *p != '\0'; p++) {
		depth += *p == '/';
	}
	root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		ret = -errno;
		goto done;
	}
	/* Root's all the way down (ancestors may be sticky like /tmp). */
	ret = rvss_store_walk(mem_ctx, root, dir + 1, depth, 0, NULL, &fd, &why);
	if (ret != 0) {
		static const char store_prefix[] = "snapshot store: ";

		if (why != NULL && strncmp(why, store_prefix, sizeof(store_prefix) - 1) == 0) {
			/* the walk's own words (they end in "refused") */
			fprintf(stderr, "fsrvp_agent %s: %s: %s\n", cmd, dir,
				why + sizeof(store_prefix) - 1);
		} else {
			fprintf(stderr, "fsrvp_agent %s: %s: %s: refused (it must be a "
				"directory owned by root that group and others cannot "
				"write, reached without symbolic links)\n", cmd, dir,
				why != NULL ? why : strerror(-ret));
		}
		goto done;
	}
	ret = rvss_btrfs_fsid_fd(fd, ret_fsid);
	if (ret == -EOPNOTSUPP) {
		fprintf(stderr, "fsrvp_agent %s: %s is not on a btrfs filesystem: refused "
			"(btrfs receive needs btrfs; for another machine use "
			"--to-command)\n", cmd, dir);
		goto done;
	}
	if (ret != 0) {
		fprintf(stderr, "fsrvp_agent %s: %s: %s\n", cmd, dir, strerror(-ret));
		goto done;
	}
	/*
	 * One run at a time: a second one (an overlapping timer) would take
	 * the first one's receive in progress for an interrupted one.
	 */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ret = -errno;
		fprintf(stderr, "fsrvp_agent %s: %s\n", cmd, ret == -EWOULDBLOCK ?
			"another fsrvp_agent send or receive on this target is running: "
			"not started" : strerror(-ret));
		goto done;
	}
	*ret_real = dir;
	dir = NULL;
	*ret_fd = fd;
	fd = -1;
done:
	if (root >= 0) {
		(void)close(root);
	}
	if (fd >= 0) {
		(void)close(fd);
	}
	talloc_free(dir);
	return ret;
}

int agent_replica_dir_scan(TALLOC_CTX *mem_ctx, int dirfd,
			   struct agent_replica_found **ret_found, size_t *ret_count)
{
	struct agent_replica_found *fs = talloc_array(mem_ctx, struct agent_replica_found, 0);
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int fd, ret = 0;

	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs == NULL || fd < 0) {
		talloc_free(fs);
		if (fd >= 0) {
			(void)close(fd);
		}
		return fd < 0 ? -errno : -ENOMEM;
	}
	d = fdopendir(fd);
	if (d == NULL) {
		ret = -errno;
		(void)close(fd);
		talloc_free(fs);
		return ret;
	}
	while ((de = readdir(d)) != NULL) {
		struct rvss_btrfs_subvol_info info;
		struct agent_replica_found *more;
		int sfd;

		if (de->d_name[0] == '.' || de->d_type != DT_DIR) {
			continue;
		}
		sfd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sfd < 0) {
			continue;
		}
		if (rvss_btrfs_subvol_info(sfd, &info) == 0) {
			more = talloc_realloc(mem_ctx, fs, struct agent_replica_found, n + 1);
			if (more == NULL) {
				(void)close(sfd);
				ret = -ENOMEM;
				break;
			}
			fs = more;
			fs[n].name = talloc_strdup(fs, de->d_name);
			fs[n].id = info.id;
			rvss_btrfs_uuid_format(info.received_uuid, fs[n].received);
			rvss_btrfs_uuid_format(info.uuid, fs[n].uuid);
			fs[n].complete = info.read_only &&
					 !rvss_btrfs_uuid_is_null(info.received_uuid);
			n++;
		}
		(void)close(sfd);
	}
	(void)closedir(d);
	if (ret != 0) {
		talloc_free(fs);
		return ret;
	}
	*ret_found = fs;
	*ret_count = n;
	return 0;
}

const struct agent_replica_found *
agent_replica_dir_find(const struct agent_replica_found *found, size_t n,
		       const char *uuid)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (found[i].complete && strcmp(found[i].received, uuid) == 0) {
			return &found[i];
		}
	}
	return NULL;
}

int agent_replica_dir_remove_partial(int dirfd, const char *name, const char *uuid)
{
	struct rvss_btrfs_subvol_info info;
	char received[37];
	int fd, ret;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	ret = rvss_btrfs_subvol_info(fd, &info);
	(void)close(fd);
	if (ret != 0) {
		return ret;
	}
	rvss_btrfs_uuid_format(info.received_uuid, received);
	if (info.read_only && !rvss_btrfs_uuid_is_null(info.received_uuid) &&
	    (uuid == NULL || strcmp(received, uuid) == 0)) {
		return -EEXIST; /* complete: not ours to remove */
	}
	return rvss_btrfs_delete_id(dirfd, info.id);
}

int agent_replica_dir_clean(int dirfd, bool dry_run,
			    void (*say)(void *priv, const char *name, bool removed),
			    void *priv)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct agent_replica_found *fs = NULL;
	size_t n = 0, i;
	int ret, count = 0;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = agent_replica_dir_scan(tmp, dirfd, &fs, &n);
	for (i = 0; ret == 0 && i < n; i++) {
		bool removed = false;

		if (fs[i].complete || !rvss_snapname_valid(fs[i].name)) {
			continue;
		}
		if (!dry_run) {
			removed = rvss_btrfs_delete_id(dirfd, fs[i].id) == 0;
		}
		say(priv, fs[i].name, removed);
		count++;
	}
	talloc_free(tmp);
	return ret != 0 ? ret : count;
}
