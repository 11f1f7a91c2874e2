/*
 * fsrvp_agent — a replica directory: where `btrfs receive` puts the
 * backups that `fsrvp_agent send --to DIR` (or `fsrvp_agent receive DIR`
 * at the other end of a --to-command) receives.
 *
 * The directory is root's all the way down (so nobody can plant a
 * subvolume there or swap the path), on btrfs, used by one send at a time
 * (flock).  A subvolume in it is complete when `btrfs receive` finished
 * it: read-only, with a received UUID (the sent snapshot's UUID).  One
 * that has an rvss snapshot name but is not complete was left by an
 * interrupted receive, and is removed by its id.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef FSRVP_AGENT_REPLICA_DIR_H
#define FSRVP_AGENT_REPLICA_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

/**
 * @brief Open the replica directory @path (any spelling: its real path is
 * used) trusted, check it is on btrfs, and lock it (flock, not waiting).
 * Prints its own error, naming @cmd ("send", "receive").
 *
 * @param[out] ret_real  its real path, child of @mem_ctx.
 * @param[out] ret_fd    the directory (O_CLOEXEC); closing it unlocks.
 * @param[out] ret_fsid  its filesystem's UUID.
 * @return 0; -ENOENT; -RVSS_EUNTRUSTED (not root's, a link...);
 *         -EOPNOTSUPP (not btrfs); -EWOULDBLOCK (another run holds it);
 *         -EINVAL ("/"); -errno.
 */
int agent_replica_dir_open(TALLOC_CTX *mem_ctx, const char *cmd, const char *path,
			   char **ret_real, int *ret_fd, uint8_t ret_fsid[16]);

/** A subvolume directly inside a replica directory. */
struct agent_replica_found {
	char *name;
	uint64_t id;
	char uuid[37];      /**< its own UUID */
	char received[37];  /**< its received UUID (all zero: none) */
	bool complete;      /**< read-only with a received UUID */
};

/** @brief The subvolumes directly in @dirfd.  0 or -errno. */
int agent_replica_dir_scan(TALLOC_CTX *mem_ctx, int dirfd,
			   struct agent_replica_found **ret_found, size_t *ret_count);

/** @brief The complete one whose received UUID is @uuid, or NULL. */
const struct agent_replica_found *
agent_replica_dir_find(const struct agent_replica_found *found, size_t n,
		       const char *uuid);

/**
 * @brief Remove the subvolume @name of @dirfd by its id, unless it is
 * complete (and, if @uuid is given, received from @uuid).
 * @return 0 removed; -EEXIST complete: kept; -ENOENT; -errno.
 */
int agent_replica_dir_remove_partial(int dirfd, const char *name, const char *uuid);

/**
 * @brief Remove every subvolume of @dirfd that has an rvss snapshot name
 * and is not complete (what interrupted receives left), calling @say for
 * each (@removed false: it could not be removed, or @dry_run).
 * @param dry_run  only say what would be removed.
 * @return how many were (or would be) removed, or -errno.
 */
int agent_replica_dir_clean(int dirfd, bool dry_run,
			    void (*say)(void *priv, const char *name, bool removed),
			    void *priv);

#endif
