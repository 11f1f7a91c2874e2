/*
 * rvss — nested subvolumes: one shadow copy of a share as a tree of
 * snapshots (rvss:nested subvolumes = include).
 *
 * A btrfs snapshot does not descend into the subvolumes nested inside its
 * source: it holds an empty placeholder directory (inode 2) where each of
 * them was.  With rvss:nested subvolumes = include, the share's subvolume
 * is snapshotted first, then every subvolume nested below the share,
 * depth-first, each into its placeholder (removed first) inside its
 * parent's snapshot; the copy is one tree of snapshots under the top one,
 * which is what the catalog records.  Deleting the top by its id deletes
 * every snapshot inside it, deepest first (rvss_btrfs_delete_id()), so the
 * tree is one copy for delete, reclaim, retain and gc, and a Commit killed
 * midway leaves a record "creating" whose whole tree the next reclaim
 * removes.
 *
 * Not one instant: the snapshots of a tree are taken one after another.
 * The VSS requester has frozen its writers for the whole Commit, as
 * Windows relies on for a set of several volumes.
 *
 * Left out: the snapshot store of a nested subvolume (its own retained
 * backups, rvss:snapshot dir below it) -- copying backups into a backup
 * would multiply them with every Commit; the copy holds their empty
 * placeholders.
 *
 * Samba-independent; no function here logs.  Each returns 0 or -errno
 * and, on failure, a one-line reason for the caller's log.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_NESTED_H
#define RVSS_NESTED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

/**
 * The inode number btrfs gives the placeholder of a nested subvolume in a
 * snapshot (BTRFS_EMPTY_SUBVOL_DIR_OBJECTID).
 */
#define RVSS_BTRFS_PLACEHOLDER_INO 2

/** One subvolume nested below a share (see rvss_nested_find()). */
struct rvss_nested_sub {
	char *rel;          /**< relative to the top subvolume's root */
	uint64_t id;        /**< its subvolume id */
	bool has_children;  /**< another entry lies inside it */
};

/** What rvss_nested_find() leaves out. */
struct rvss_nested_filter {
	const char *below;        /**< only below this (relative; "" = all) */
	const char *root_path;    /**< the top subvolume's canonical path */
	const char *store_base;   /**< the configured store, absolute */
	/** rvss:snapshot dir when relative (each subvolume's own store), or
	 * NULL. */
	const char *snapshot_dir;
};

/**
 * @brief Every subvolume nested inside the subvolume @rootfd (its root
 * directory), depth-first with parents before their children, without
 * those @filter leaves out (NULL: none).  Each is opened on the way
 * (fd-relative, no symbolic link) and its id checked.
 *
 * @param[out] ret_subs  talloc array on @mem_ctx (NULL when none).
 * @return 0; -ESTALE (one changed while listed); -errno.
 */
int rvss_nested_find(TALLOC_CTX *mem_ctx, int rootfd,
		     const struct rvss_nested_filter *filter,
		     struct rvss_nested_sub **ret_subs, size_t *ret_count,
		     char **ret_reason);

/**
 * @brief Snapshot @rootfd as @name in @dirfd with the subvolumes @subs
 * (rvss_nested_find() of @rootfd) each in its place: the top writable
 * while the tree is built, then, with @read_only, every snapshot in it
 * read-only, deepest first, the top last.  With no @subs it is one
 * rvss_btrfs_snapshot().  A tree left half-made by an error is deleted
 * here; one left by a crash is found by the record of its top.
 *
 * @return 0; -EEXIST (@name taken: nothing made); -ESTALE (a nested
 *         subvolume changed meanwhile); -errno of rvss_btrfs_snapshot().
 */
int rvss_nested_snapshot(TALLOC_CTX *mem_ctx, int rootfd, int dirfd,
			 const char *name, bool read_only,
			 const struct rvss_nested_sub *subs, size_t n,
			 char **ret_reason);

/**
 * @brief Set (or clear) btrfs's read-only flag of the subvolume @topfd
 * and of every subvolume inside it: set deepest first and the top last,
 * cleared top first.  Subvolumes already in that state are left as they
 * are.
 * @param[out] ret_nested  optional: how many subvolumes lie inside.
 * @return 0; -errno.
 */
int rvss_nested_set_read_only(int topfd, bool read_only, size_t *ret_nested);

/**
 * @brief Is every subvolume inside @topfd read-only (the top not
 * included)?  For a reader that must not read a changing copy.
 * @param[out] ret_writable  the first writable one, relative to the top
 *                           (NULL when all are read-only).
 * @return 0; -errno.
 */
int rvss_nested_all_read_only(TALLOC_CTX *mem_ctx, int topfd,
			      char **ret_writable);

/**
 * @brief Make a tree of snapshots deletable: btrfs refuses to remove a
 * subvolume from a read-only one (EROFS), so every subvolume of the tree
 * @topfd that holds others is made writable first.  Nothing is done for a
 * snapshot without nested subvolumes (one ioctl tells).  Call it on a
 * copy whose record says "deleting", right before rvss_btrfs_delete_id().
 * @return 0; -errno.
 */
int rvss_nested_prepare_delete(int topfd);

#endif
