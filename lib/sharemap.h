/*
 * rvss — one snapshot per subvolume per shadow copy set: several shares of
 * one subvolume in one set map into the same snapshot.
 *
 * The first share of a subvolume committed in a set takes the snapshot
 * (rvss_snap_create); every further share of that subvolume in the same set
 * joins it: its mapping (share, base path, its own directory inside the
 * snapshot) is added to the snapshot's catalog record (rvss_record.maps).
 * Deleting a mapping releases it; the last mapping's delete deletes (or
 * retains) the snapshot.  Every change of the mappings is one
 * compare-and-replace of the one record (rvss_catalog_replace), so a crash
 * between two releases leaves a record that still names every mapping not
 * yet released: nothing still mapped is deleted, nothing is leaked.
 *
 * Which snapshot "the same set" means is the caller's business (the glue
 * knows Samba's Commit; docs/design.md, "One snapshot per subvolume per
 * set"): rvss_sharemap_create() takes it as a talloc context that lives as
 * long as the set's Commit.  A candidate is joined only if it was made by this process,
 * of the very subvolume (by id) the share lies in, into the store this
 * share is configured with, writable or not as asked, and holds the
 * share's directory.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_SHAREMAP_H
#define RVSS_SHAREMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <talloc.h>

#include "catalog.h"
#include "snapshot.h"

/** @brief Number of shares mapped into the snapshot of @rec (1 + maps). */
size_t rvss_sharemap_count(const struct rvss_record *rec);

/** @brief The base path recorded for the mapping @snap_path of @rec, or
 *  NULL if @rec has no such mapping. */
const char *rvss_sharemap_base_path(const struct rvss_record *rec,
				    const char *snap_path);

/**
 * @brief Map the share @args->base_volume into one of the snapshots
 * @candidates (catalog keys of snapshots this process took earlier in the
 * same set), instead of taking a snapshot of its own.
 *
 * The share is checked as rvss_snap_create() checks it.  A candidate is
 * joined only when its record is "created", written by this process, of
 * the share's subvolume (same id and path), in the share's store (or its
 * writable part, as @args->rw asks), not sealed, and the snapshot on disk
 * has the recorded id and holds the share's directory (no symbolic link
 * on the way).
 *
 * @param[out] ret_base_path  the share's base path (canonical share path).
 * @param[out] ret_snap_path  the share's directory in the snapshot.
 * @param[out] ret_created    the snapshot's time stamp.
 * @param[out] ret_snapshot   optional: the joined snapshot's catalog key.
 * @return 0; -ESRCH (no candidate fits: take a snapshot of its own);
 *         errors of rvss_snap_check(); catalog errors; -ENOMEM.
 */
int rvss_sharemap_join(TALLOC_CTX *mem_ctx, const struct rvss_create_args *args,
		       const char *const *candidates, size_t num_candidates,
		       char **ret_base_path, char **ret_snap_path,
		       time_t *ret_created, char **ret_snapshot, char **ret_reason);

/**
 * @brief rvss_snap_create() for one share of a set, or -- when a share of
 * the same subvolume was snapshotted earlier in the same set -- its mapping
 * into that snapshot (rvss_sharemap_join()).
 *
 * "The same set" is told by @set_ctx: a talloc context that lives exactly
 * as long as the set's Commit and is passed to every call of it (Samba's
 * Commit frame; docs/design.md).  The first call hangs a group off it
 * that lists the snapshots taken; a talloc destructor unhooks the group
 * when @set_ctx is freed, so a later Commit -- even one whose context has
 * the same address -- starts empty.  One group lives per process: calls
 * of different Commits must not interleave (Samba's do not).
 *
 * @param[in,out] tstamp   as rvss_snap_create(); when joined, the joined
 *                         snapshot's time stamp.
 * @param[out] ret_snapshot  the catalog key of the snapshot (on @set_ctx).
 * @param[out] ret_joined    true when mapped into an existing snapshot.
 * @return as rvss_snap_create(), rvss_sharemap_join().
 */
int rvss_sharemap_create(TALLOC_CTX *set_ctx, const struct rvss_create_args *args,
			 time_t *tstamp, char **ret_base_path, char **ret_snap_path,
			 char **ret_snapshot, bool *ret_joined, char **ret_reason);

/**
 * @brief Release the mapping @snap_path of @rec when other shares still
 * map into its snapshot.  When @snap_path is the record's own (first)
 * mapping, the next one takes its place.
 *
 * @param[out] ret_left  how many mappings remain: 0 when @snap_path is
 *                       the last one (nothing is changed: the caller
 *                       deletes or retains the snapshot).
 * @return 0; -ENOENT (no such mapping, or the record is gone); -ESTALE
 *         (the record kept changing); catalog errors; -ENOMEM.
 */
int rvss_sharemap_release(struct rvss_catalog *cat, const struct rvss_record *rec,
			  const char *snap_path, size_t *ret_left);

/**
 * @brief The record of the snapshot that @snap_path lies in, when no
 * mapping names @snap_path any more (its mapping was released, and Samba
 * did not store that before a crash).
 * @return 0; -ENOENT; catalog errors.
 */
int rvss_sharemap_owner(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
			const char *snap_path, struct rvss_record **ret_rec);

#endif
