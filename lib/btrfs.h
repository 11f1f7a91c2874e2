/*
 * rvss — the btrfs backend.  btrfs.c is the only file that includes
 * <btrfsutil.h> or issues a btrfs ioctl.  Every call works on file
 * descriptors, checks the filesystem magic before any ioctl (btrfs ioctl
 * numbers are reused by other drivers), and returns 0 or -errno; the
 * libbtrfsutil error text is not needed by callers, errno says why.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_BTRFS_H
#define RVSS_BTRFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

/**
 * The root directory of every subvolume has this inode number
 * (BTRFS_FIRST_FREE_OBJECTID in linux/btrfs_tree.h).
 */
#define RVSS_BTRFS_SUBVOL_ROOT_INO 256

/** @brief 0 if @fd is on btrfs, -EOPNOTSUPP if not, -errno from fstatfs. */
int rvss_btrfs_check_fd(int fd);

/**
 * @brief Is @fd the root directory of a subvolume?
 * @return 1 yes, 0 no, -EOPNOTSUPP not btrfs, -errno.
 */
int rvss_btrfs_is_subvolume_fd(int fd);

/** @brief The btrfs id of the subvolume holding @fd.  0 or -errno. */
int rvss_btrfs_subvolume_id_fd(int fd, uint64_t *ret_id);

/** @brief The filesystem's UUID (16 bytes) of @fd.  0 or -errno. */
int rvss_btrfs_fsid_fd(int fd, uint8_t ret_fsid[16]);

/**
 * @brief Snapshot subvolume @src_fd as @name inside directory @dir_fd.
 *
 * @param[in] read_only  create with btrfs's read-only flag set.
 * @return 0; -EEXIST (name taken); -EXDEV (other filesystem); -ENOSPC;
 *         -EPERM/-EACCES (privilege); -EOPNOTSUPP (not btrfs); -errno.
 */
int rvss_btrfs_snapshot(int src_fd, int dir_fd, const char *name, bool read_only);

/**
 * @brief Delete subvolume @name inside @dir_fd, with every subvolume
 * nested inside it (a writable copy may have received some).
 * @return 0; -ENOENT; -EINVAL (@name not a subvolume); -EPERM; -errno.
 */
int rvss_btrfs_delete(int dir_fd, const char *name);

/**
 * @brief Delete the subvolume with id @id, with every subvolume nested
 * inside it (deepest first), by id (BTRFS_IOC_SNAP_DESTROY_V2 with
 * BTRFS_SUBVOL_SPEC_BY_ID): no name is looked up by the caller, so
 * nothing planted under a name can be deleted in its place.
 *
 * @param[in] fd  any fd on the filesystem (the trusted directory holding
 *                the subvolume is the natural one).
 * @return 0; -ENOENT (no such subvolume); -EINVAL (@id is not a
 *         subvolume's); -EPERM (needs CAP_SYS_ADMIN); -errno.
 */
int rvss_btrfs_delete_id(int fd, uint64_t id);

/** @brief Read btrfs's read-only flag of subvolume @fd.  0 or -errno. */
int rvss_btrfs_get_read_only(int fd, bool *ret_ro);

/** @brief Set or clear btrfs's read-only flag of subvolume @fd. 0 or -errno. */
int rvss_btrfs_set_read_only(int fd, bool ro);

/** What a replica needs to know of a subvolume (rvss_btrfs_subvol_info()). */
struct rvss_btrfs_subvol_info {
	uint64_t id;                /**< its subvolume id */
	uint8_t uuid[16];           /**< its own UUID */
	uint8_t parent_uuid[16];    /**< the UUID it was snapshotted from (or 0) */
	uint8_t received_uuid[16];  /**< set by a completed btrfs receive (or 0) */
	uint64_t ctransid;          /**< transaction of its last change */
	uint64_t stransid;          /**< sender's ctransid, set by receive */
	bool read_only;             /**< btrfs's read-only flag */
};

/**
 * @brief Id, UUIDs and flags of the subvolume whose root directory is @fd
 * (libbtrfsutil's subvolume info: BTRFS_IOC_GET_SUBVOL_INFO, unprivileged).
 *
 * A subvolume that `btrfs receive` created but did not finish has no
 * received UUID (receive sets it, and the read-only flag, at the end).
 * @return 0; -EOPNOTSUPP (not btrfs); -EINVAL (not a subvolume root); -errno.
 */
int rvss_btrfs_subvol_info(int fd, struct rvss_btrfs_subvol_info *ret_info);

/** @brief true if the 16 bytes at @uuid are all zero (no UUID). */
bool rvss_btrfs_uuid_is_null(const uint8_t uuid[16]);

/** @brief @uuid as 36 characters + NUL ("1b4e28ba-2fa1-11d2-883f-..."). */
void rvss_btrfs_uuid_format(const uint8_t uuid[16], char ret_str[37]);

/** A subvolume directly inside another (see rvss_btrfs_children()). */
struct rvss_btrfs_child {
	uint64_t id;     /**< its subvolume id */
	uint64_t dirid;  /**< inode of the directory holding it */
	/** That directory, relative to the parent's root ("" = the root). */
	char *dir;
};

/**
 * @brief The subvolumes directly inside the subvolume whose root
 * directory is @subvol_fd (another directory of it gives -EACCES), not
 * those nested deeper: everything below a child lies inside that child.
 *
 * Unprivileged (BTRFS_IOC_GET_SUBVOL_ROOTREF, BTRFS_IOC_INO_LOOKUP_USER;
 * Linux 4.18): a few ioctls per 255 children plus one per distinct
 * directory, so a store of a thousand snapshots costs a handful of calls.
 * @return 0; -EOPNOTSUPP (not btrfs); -EACCES (a directory on the way is
 *         not searchable); -errno.
 */
int rvss_btrfs_children(TALLOC_CTX *mem_ctx, int subvol_fd,
			struct rvss_btrfs_child **ret_children,
			size_t *ret_count);

/** @brief The name of @child in its directory (one ioctl).  0 or -errno. */
int rvss_btrfs_child_name(TALLOC_CTX *mem_ctx, int subvol_fd,
			  const struct rvss_btrfs_child *child,
			  char **ret_name);

/**
 * @brief Commit the current transaction of @fd's filesystem (as
 * `btrfs filesystem sync`), so that what the tree search below reads is
 * current: btrfs updates inode items in the tree lazily (delayed items).
 * @return 0; -EOPNOTSUPP (not btrfs); -errno.
 */
int rvss_btrfs_sync(int fd);

/**
 * @brief Link counts of many inodes at once, read from the subvolume's
 * b-tree (BTRFS_IOC_TREE_SEARCH_V2) instead of one statx each.
 *
 * @param[in]  fd         any fd on the filesystem.
 * @param[in]  tree_id    the subvolume (rvss_btrfs_subvolume_id_fd()).
 * @param[in]  inos       @n inode numbers of that subvolume, ascending
 *                        (repeats allowed).
 * @param[out] ret_nlink  @n counts; 0 where the tree holds no inode item
 *                        (removed, or too new: see rvss_btrfs_sync()).
 * @param      buf        scratch of @buf_size bytes, at least
 *                        RVSS_BTRFS_NLINK_BUF (any item fits; a directory
 *                        of a few hundred files is one call).
 *
 * Neighbouring inode numbers are read as one key range, so a directory
 * whose files were made together costs one ioctl per few hundred files.
 * Needs CAP_SYS_ADMIN.
 * @return 0; -EPERM (not privileged); -EOPNOTSUPP (not btrfs); -EINVAL;
 *         -errno.
 */
#define RVSS_BTRFS_NLINK_BUF (128 * 1024)
int rvss_btrfs_inode_nlinks(int fd, uint64_t tree_id, const uint64_t *inos,
			    size_t n, uint32_t *ret_nlink, void *buf,
			    size_t buf_size);

#endif
