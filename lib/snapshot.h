/*
 * rvss — the storage side of an FSRVP shadow copy on btrfs: check, create,
 * delete.  Samba-independent; vfs_rvss maps these onto the snap_* VFS hooks
 * and fsrvp_agent uses them for list/gc.  No function here logs: each
 * returns 0 or -errno and, on failure, a one-line reason for the caller's
 * log.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_SNAPSHOT_H
#define RVSS_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <talloc.h>

#include "catalog.h"
#include "options.h"
#include "store.h"

/** Default snapshot store, relative to the enclosing subvolume root. */
#define RVSS_DEFAULT_SNAPSHOT_DIR ".rvss-snapshots"

/** A share path resolved onto btrfs: the result of rvss_snap_check(). */
struct rvss_volume {
	char *share_path;   /**< canonical share path (Samba's base volume) */
	char *subvol_root;  /**< canonical path of the enclosing subvolume */
	char *rel;          /**< share path relative to subvol_root ("" = root) */
	char *store;        /**< path of this subvolume's snapshot store */
	char *store_base;   /**< the configured store directory, absolute */
	uint64_t subvol_id; /**< btrfs id of the enclosing subvolume */
};

/**
 * @brief true if @dir is a usable rvss:snapshot dir value: non-empty, no
 * "." or ".." component, no "//".
 */
bool rvss_snapshot_dir_valid(const char *dir);

/**
 * @brief Resolve @share_path onto btrfs without judging it: canonical path,
 * enclosing subvolume, store.  Cheap (a few stat calls); used per
 * connection to locate the store.
 *
 * @return 0; -ENOENT/-ENOTDIR/-EACCES; -EOPNOTSUPP (not btrfs, or the
 *         subvolume root is not reachable); -EINVAL (bad snapshot_dir).
 */
int rvss_volume_resolve(TALLOC_CTX *mem_ctx, const char *share_path,
			const char *snapshot_dir, struct rvss_volume **ret_vol,
			char **ret_reason);

/**
 * @brief Does @share_path qualify for a btrfs shadow copy?
 *
 * It qualifies when it is a directory on btrfs (a subvolume root or any
 * directory inside one) with no nested subvolume and no mount point below
 * it (a snapshot would silently miss them; MS-FSRVP requires refusal).
 * Subvolumes inside the snapshot store are rvss's own and do not count.
 * A store that exists must be trusted (store.h): root's, writable by root
 * only, no symbolic link on the way.
 *
 * @param[in]  snapshot_dir  rvss:snapshot dir: relative to the subvolume
 *                           root, or absolute (then the store for this
 *                           subvolume is DIR/subvol-ID).
 * @param[out] ret_vol       the resolved volume; untouched on failure.
 * @param[out] ret_reason    on failure, why (may be NULL).
 *
 * @return 0; -ENOENT/-ENOTDIR/-EACCES (path); -EOPNOTSUPP (not btrfs);
 *         -EXDEV (nested subvolume or mount point below, or a store on
 *         another filesystem); -EINVAL (bad snapshot_dir);
 *         -RVSS_EUNTRUSTED (the store is not root's alone); -errno.
 */
int rvss_snap_check(TALLOC_CTX *mem_ctx, const char *share_path,
		    const char *snapshot_dir, struct rvss_volume **ret_vol,
		    char **ret_reason);

/**
 * @brief rvss_snap_check(), with rvss:nested subvolumes: with
 * RVSS_NESTED_INCLUDE a nested subvolume below the share is no reason to
 * refuse it (Commit snapshots it into the copy, nested.h); a mount point
 * still is.
 */
int rvss_snap_check_nested(TALLOC_CTX *mem_ctx, const char *share_path,
			   const char *snapshot_dir, enum rvss_nested_mode nested,
			   struct rvss_volume **ret_vol, char **ret_reason);

/** Arguments of rvss_snap_create(). */
struct rvss_create_args {
	const char *catalog_path;  /**< the catalog tdb */
	const char *snapshot_dir;  /**< as for rvss_snap_check() */
	const char *share;         /**< share name, for the record */
	const char *base_volume;   /**< Samba's base volume (share path) */
	bool rw;                   /**< writable (auto-recovery) */
	/** rvss:nested subvolumes (RVSS_NESTED_REFUSE when zeroed) */
	enum rvss_nested_mode nested;
	/** optional out: nested subvolumes snapshotted into the copy */
	size_t *nested_count;
};

/**
 * @brief Take the snapshot of the subvolume enclosing @args->base_volume.
 *
 * Read-only snapshots go to the store, writable ones to
 * <store>/RVSS_WRITABLE_SUBDIR; both are made (root's, mode 0755) when
 * missing, fd-relative from the subvolume root (store.h), and refused when
 * they exist but are not trusted.
 * The name is the snapshot time (snapname.h); when that second's name is
 * already taken in the store, *@tstamp moves forward one second at a time
 * until a free name is found, so names stay unique and shadow_copy2-shaped.
 *
 * @param[in,out] tstamp          the requested time; the one used.
 * @param[out]    ret_base_path   the base volume (for Samba's state).
 * @param[out]    ret_snap_path   the share's directory in the snapshot.
 * @param[out]    ret_rec         the catalog record written (may be NULL).
 *
 * @return 0; errors of rvss_snap_check(); -ENOSPC; -EPERM; -EBUSY (no free
 *         name within RVSS_SNAPNAME_MAX_TRIES s of *tstamp);
 *         -RVSS_EUNTRUSTED; catalog errors; -errno.
 */
int rvss_snap_create(TALLOC_CTX *mem_ctx, const struct rvss_create_args *args,
		     time_t *tstamp, char **ret_base_path, char **ret_snap_path,
		     struct rvss_record **ret_rec, char **ret_reason);

/** rvss:retain, for rvss_snap_delete(). */
struct rvss_retain_args {
	const char *fss_state_path; /**< Samba's srv_fss.tdb */
	uint32_t count;             /**< keep this many per subvolume (0 = any) */
	uint64_t age;               /**< keep this long, seconds (0 = forever) */
};

/**
 * @brief Delete the snapshot that rvss created for @snap_path -- or, with
 * @retain, keep it read-only as a backup when its set completed recovery
 * (or it was read-only from birth): what rvss:retain asks.
 *
 * Refuses (-EPERM, nothing deleted) unless the catalog has a record with
 * this exact snap_path and base path, and the subvolume on disk at the
 * recorded place (opened below the trusted store, store.h) is a subvolume
 * with the recorded id; it is then deleted by that id.  A recorded
 * snapshot that is already gone only loses its record; a path that exists
 * nowhere (already reclaimed) is success, nothing being deleted.
 *
 * With @retain, Samba's state is read whole (rvss_fss_state_read_whole());
 * when it cannot be, nothing is deleted: -EAGAIN, and the copy stays.
 *
 * @param[in]  retain        NULL: delete.
 * @param[out] ret_retained  optional: true when kept as a backup.
 * @return 0; -EPERM (not ours / tampered); -EAGAIN (retain asked, Samba's
 *         state half-written); catalog errors; -errno.
 */
int rvss_snap_delete(TALLOC_CTX *mem_ctx, const char *catalog_path,
		     const char *base_path, const char *snap_path,
		     const struct rvss_retain_args *retain, bool *ret_retained,
		     char **ret_reason);

#endif
