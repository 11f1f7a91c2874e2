/*
 * rvss — sealing a writable shadow copy once its set completed recovery.
 *
 * Samba calls no VFS hook at RecoveryCompleteShadowCopySet; it only stores
 * the set's new state ("recovered") in srv_fss.tdb.  Whoever touches the
 * exposed share next -- the module inside smbd on any open or write, or
 * fsrvp_agent gc -- reads that state and seals: btrfs's read-only flag on
 * the snapshot, and "sealed" in rvss's record.  See docs/design.md, Seal.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_SEAL_H
#define RVSS_SEAL_H

#include <stdbool.h>
#include <talloc.h>

/** What rvss_seal_check() found. */
struct rvss_seal_result {
	/** The copy's set completed recovery (or the copy is sealed): no
	 *  write may succeed any more, whatever else failed. */
	bool recovered;
	/** The read-only flag and the record are set. */
	bool sealed;
	/** A whole read of srv_fss.tdb that holds the copy's set, not yet
	 *  recovered: the answer stays true until the file changes. */
	bool settled;
};

/**
 * @brief Seal the snapshot behind @snap_path if Samba's state says its set
 * completed recovery.
 *
 * Samba's state is read whole (rvss_fss_state_read_whole()).  When the set
 * is recovered but setting btrfs's read-only flag or updating the record
 * fails, @res->recovered is still true: the caller refuses writes (fails
 * closed) and may try the seal again.
 *
 * @param[out] res  always filled in, also on failure.
 * @return 0; -ENOENT (no rvss record for @snap_path); -EAGAIN (Samba's
 *         state half-written for a second); -EBADMSG (Samba's state
 *         unreadable); -EPERM (the subvolume is not the recorded one);
 *         -ESTALE (the record changed meanwhile); -errno.
 */
int rvss_seal_check(TALLOC_CTX *mem_ctx, const char *catalog_path,
		    const char *fss_state_path, const char *snap_path,
		    struct rvss_seal_result *res, char **ret_reason);

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
 * open and write of an exposed writable copy; seals (rvss_seal_check())
 * once the set is recovered.
 *
 * Cheap while srv_fss.tdb is unchanged: the file's bytes are compared with
 * those of the last read that was whole, held the copy's set and did not
 * change while it was decoded.  Not its stat data: on tmpfs (Debian's
 * /run/samba) a store through tdb's mmap changes neither mtime, ctime,
 * size nor inode.  Any other read (half-written, without the set, an
 * error) is not remembered: the next call reads again.
 *
 * Fails closed: once the set is recovered every call refuses, also when
 * the flag or the record could not be set (retried at most every
 * RVSS_SEAL_RETRY seconds, each failure returned); while Samba's state
 * stays half-written (-EAGAIN) the call is refused too.
 *
 * @param[out] ret_refuse  always set.
 * @param[out] ret_reason  on failure, why (may be NULL); child of @mem_ctx.
 * @return 0; -errno of rvss_seal_check() (the caller logs it).
 */
int rvss_seal_watch_check(struct rvss_seal_watch *w, TALLOC_CTX *mem_ctx,
			  bool *ret_refuse, char **ret_reason);

/** Seconds between two tries to seal a recovered copy after a failure. */
#define RVSS_SEAL_RETRY 5

/** @brief true once the copy is sealed for good (flag and record set):
 *  the watcher is no longer needed, every write is refused. */
bool rvss_seal_watch_done(const struct rvss_seal_watch *w);

#endif
