/*
 * rvss — sealing a writable shadow copy once its set completed recovery.
 *
 * Samba calls no VFS hook at RecoveryCompleteShadowCopySet; it only stores
 * the set's new state ("recovered") in srv_fss.tdb.  Whoever touches the
 * exposed share next -- the module inside smbd on any open or write, or
 * fsrvp_agent gc -- reads that state and seals: btrfs's read-only flag on
 * the snapshot, and "sealed" in rvss's record.  See docs/seal.md.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_SEAL_H
#define RVSS_SEAL_H

#include <stdbool.h>
#include <sys/stat.h>
#include <talloc.h>

/**
 * @brief Seal the snapshot behind @snap_path if Samba's state says its set
 * completed recovery.
 *
 * @param[out] ret_sealed  true if the snapshot is (now or already) sealed.
 * @return 0; -ENOENT (no rvss record for @snap_path); -EBADMSG (Samba's
 *         state unreadable); -EPERM (the subvolume is not the recorded
 *         one); -errno.
 */
int rvss_seal_check(TALLOC_CTX *mem_ctx, const char *catalog_path,
		    const char *fss_state_path, const char *snap_path,
		    bool *ret_sealed, char **ret_reason);

/**
 * What the module remembers, per exposed writable copy, between two opens
 * or writes: whether it is sealed, and what it last saw of srv_fss.tdb.
 * Made by rvss_seal_watch_new(); the strings are copied.
 */
struct rvss_seal_watch;

/**
 * @brief A watcher of the copy behind @snap_path.
 * @return 0; -ENOMEM.
 */
int rvss_seal_watch_new(TALLOC_CTX *mem_ctx, const char *catalog_path,
			const char *fss_state_path, const char *snap_path,
			struct rvss_seal_watch **ret_watch);

/**
 * @brief Must this open or write of the copy be refused?  Called on every
 * open and write of an exposed writable copy: cheap while srv_fss.tdb did
 * not change, and seals (rvss_seal_check()) once the set is recovered.
 *
 * @param[out] ret_refuse  always set: true once the copy is sealed.
 * @param[out] ret_reason  on failure, why (may be NULL); child of @mem_ctx.
 * @return 0; -errno of rvss_seal_check() (the caller logs it).
 */
int rvss_seal_watch_check(struct rvss_seal_watch *w, TALLOC_CTX *mem_ctx,
			  bool *ret_refuse, char **ret_reason);

#endif
