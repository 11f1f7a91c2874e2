/*
 * rvss — one reclaim pass: read rvss's catalog and Samba's FSRVP state,
 * plan (reclaim.h) and carry the plan out.  Shared by the module (on every
 * FSRVP use of a share) and by "fsrvp_agent gc".
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_GC_H
#define RVSS_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <talloc.h>

#include "reclaim.h"

struct rvss_gc_args {
	const char *catalog_path;   /**< rvss.tdb */
	const char *fss_state_path; /**< Samba's srv_fss.tdb */
	struct rvss_reclaim_policy policy;
	bool dry_run;               /**< plan only */
	/** Also remove dead sets from srv_fss.tdb (see
	 *  rvss_fss_state_remove_set(): only useful outside rpcd_fsrvp). */
	bool repair_fss;
	/** Only records of this source subvolume (NULL: all). */
	const char *source;
	/**
	 * The caller has checked that no rpcd_fsrvp of this configuration
	 * runs (never true inside rpcd_fsrvp).  A srv_fss.tdb that is then
	 * still not whole (-EAGAIN) or cannot be opened read-only (-EIO: a
	 * transaction to recover) is what a process killed inside Samba's
	 * fss_state_store() left: it wipes the file and stores db_version
	 * before its transaction.  Samba's next rpcd_fsrvp loads such a file
	 * as no sets, and no process holds sets in memory, so it is read so
	 * here too, instead of refusing the whole run.
	 */
	bool fss_writer_gone;
	/** Out (optional): set when the state was read as no sets so. */
	bool *fss_read_as_empty;
};

/** What happened to one record. */
struct rvss_gc_item {
	struct rvss_record *rec;
	struct rvss_fss_link link;
	enum rvss_action action;
	bool repair_set;
	bool held;                  /**< kept: Samba's state not trusted */
	const char *reason;
	int result;                 /**< 0 done (or dry run), else -errno */
	char *error;                /**< why it failed, when result != 0 */
	bool repaired;              /**< the dead set left srv_fss.tdb */
};

/** A dead set of Samba's state that rvss has no record for. */
struct rvss_gc_dead_set {
	char *set_id;
	const char *state;          /**< "committed", ... */
	bool repaired;              /**< removed from srv_fss.tdb */
	int result;
};

/**
 * @brief Run one pass.  Each record is handled on its own: one failure
 * does not stop the others.
 *
 * With repair_fss, sets of Samba's state that are dead (never exposed,
 * older than the message sequence timeout) and whose snapshots no longer
 * exist anywhere -- e.g. reclaimed earlier by the module -- are removed
 * from srv_fss.tdb too, so that a reloading rpcd_fsrvp is not blocked.
 *
 * @param[out] ret_items  every record considered, with its outcome.
 * @param[out] ret_dead   optional: such dead sets (NULL-terminated
 *                        array, children of @mem_ctx).
 * @return 0 (see the items' results); -ENOMEM; -errno from opening the
 *         catalog (-ENOENT: nothing to do) or from reading Samba's state
 *         (-EBADMSG: refuse to reclaim on a state we cannot read;
 *         -EAGAIN: Samba kept rewriting it).
 */
int rvss_gc_run(TALLOC_CTX *mem_ctx, const struct rvss_gc_args *args,
		struct rvss_gc_item **ret_items, size_t *ret_count,
		struct rvss_gc_dead_set **ret_dead, size_t *ret_dead_count);

#endif
