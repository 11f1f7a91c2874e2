/*
 * rvss — the snapshot store, reached as root only below a trusted fd.
 *
 * Everything rvss does as root to a snapshot happens below a directory it
 * trusts: reached fd-relative from the subvolume root (or from "/" for an
 * absolute rvss:snapshot dir), one component at a time, never through a
 * symbolic link, and each component fstat()ed: the store, its .writable
 * subdirectory and every directory of a relative rvss:snapshot dir must be
 * real directories owned by root that neither group nor others may write.
 * A store a share user made or can change is refused, never filled.
 *
 * A recorded snapshot is opened from such a directory fd by its recorded
 * name and its subvolume id compared with the record's; it is deleted by
 * that id, never by a name after the check.
 *
 * Samba-independent; no function here logs.  Each returns 0 or -errno and,
 * on failure, a one-line reason for the caller's log.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_STORE_H
#define RVSS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

#include "catalog.h"

/**
 * Writable (auto-recovery) snapshots live in this subdirectory of the store
 * until they are deleted or retained.  shadow_copy2 takes any path of the
 * form <snapdir>/@GMT-.../... for a Previous Version and opens it
 * read-only, which would make the exposed writable copy unwritable; one
 * directory level more keeps them out of its sight.  A retained writable
 * copy moves up into the store (and into Previous Versions) once sealed.
 */
#define RVSS_WRITABLE_SUBDIR ".writable"

/**
 * The errno of an untrusted store: a component on the way that is a
 * symbolic link, not a directory, not owned by root, or writable by group
 * or others.  The module answers E_FAIL and logs the reason.
 */
#define RVSS_EUNTRUSTED EUCLEAN

/**
 * @brief Is @path the store @store, inside it, or a directory on the way
 * to it?  Both relative to the same directory, compared component by
 * component ("a" and "a/b" are on the way to "a/b"; "ab" is not).  An
 * empty @path (that directory itself) is not.  What the module hides.
 */
bool rvss_store_path_on_way(const char *store, const char *path);

/** rvss_store_walk(): make missing directories (mode 0755, root's). */
#define RVSS_STORE_CREATE (1U << 0)
#define RVSS_STORE_FLAGS_MASK (RVSS_STORE_CREATE)

/**
 * @brief Open the directory @rel below @anchor_fd, trusted.
 *
 * Each component of @rel is opened from the previous one with openat2()
 * (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; openat(O_NOFOLLOW) where the
 * kernel lacks it) and fstat()ed: it must be a directory owned by root
 * that group and others cannot write.  The first @n_lenient components
 * (the ancestors of an absolute store, such as /tmp) may instead be
 * writable by others when their sticky bit is set.
 *
 * @param[in]  rel        relative path; no "", "." or ".." components.
 * @param[in]  flags      RVSS_STORE_CREATE: mkdirat() what is missing.
 * @param[in]  fsid       NULL, or the 16-byte btrfs filesystem id that a
 *                        directory must have before anything is created
 *                        in it, and that the result must have.
 * @param[out] ret_fd     the directory (O_DIRECTORY|O_CLOEXEC); untouched
 *                        on failure.
 * @param[out] ret_reason on failure, why (may be NULL).
 *
 * @return 0; -ENOENT (missing, no RVSS_STORE_CREATE); -RVSS_EUNTRUSTED;
 *         -EXDEV (another filesystem than @fsid); -EOPNOTSUPP (not btrfs
 *         where @fsid asks for it); -EINVAL (bad @rel or @flags); -errno.
 */
int rvss_store_walk(TALLOC_CTX *mem_ctx, int anchor_fd, const char *rel,
		    size_t n_lenient, unsigned flags, const uint8_t *fsid,
		    int *ret_fd, char **ret_reason);

/**
 * @brief Open the directory that holds the snapshot of @rec (the store,
 * or its .writable subdirectory), trusted, from the record alone.
 *
 * A store inside the recorded source subvolume is walked from that
 * subvolume's root, opened without following symbolic links and checked
 * to be subvolume rec->source_id; an absolute store is walked from "/".
 *
 * @return 0; -ENOENT (the store or the source is gone); -EPERM (the
 *         source is not the recorded subvolume, or @rec is malformed);
 *         -RVSS_EUNTRUSTED; -errno.
 */
int rvss_store_open_record_dir(TALLOC_CTX *mem_ctx,
			       const struct rvss_record *rec, int *ret_dirfd,
			       char **ret_reason);

/**
 * @brief Open the snapshot of @rec by its recorded name below the trusted
 * directory @dirfd (see rvss_store_open_record_dir()), and check that it
 * is a subvolume with the recorded id (or, while the record is still
 * "creating" and has no id, one newer than its source).
 *
 * @param[out] ret_fd  the snapshot's root directory; untouched on failure.
 * @param[out] ret_id  optional: its subvolume id.
 * @return 0; -ENOENT (gone); -EPERM (not a subvolume, another id, or a
 *         name that is no rvss snapshot name); -errno.
 */
int rvss_store_open_snapshot(TALLOC_CTX *mem_ctx, int dirfd,
			     const struct rvss_record *rec, int *ret_fd,
			     uint64_t *ret_id, char **ret_reason);

/**
 * @brief Both of the above: the trusted directory and the checked
 * snapshot of @rec.  Either out-fd may be NULL when not wanted.
 * @return as rvss_store_open_record_dir() and rvss_store_open_snapshot().
 */
int rvss_store_open_recorded(TALLOC_CTX *mem_ctx,
			     const struct rvss_record *rec, int *ret_dirfd,
			     int *ret_snapfd, uint64_t *ret_id,
			     char **ret_reason);

/**
 * @brief Destroy the snapshot of one record and drop the record.
 *
 * The snapshot is opened with rvss_store_open_recorded(); the record is
 * marked "deleting", and the subvolume is deleted by its id (with every
 * subvolume a requester nested inside a writable copy).  A snapshot that
 * is already gone only loses its record.  Acts only if the catalog still
 * holds @rec as it is (locked compare and replace, rvss_catalog_replace()).
 * For rvss_snap_delete() and the reclaimer.
 *
 * @return 0; -EPERM (not ours / tampered); -RVSS_EUNTRUSTED; -ESTALE (the
 *         record changed or went away meanwhile: nothing deleted); -errno.
 */
int rvss_snap_destroy_record(TALLOC_CTX *mem_ctx, struct rvss_catalog *cat,
			     const struct rvss_record *rec, char **ret_reason);

#endif
