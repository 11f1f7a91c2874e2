/*
 * rvss — the reclaim, seal and retain rules (SPEC §3.1), as a pure plan.
 *
 * Retained snapshots are pruned by the policy recorded with each of them
 * (rvss:retain of its share when it was retained).
 *
 * rvss_reclaim_plan() looks at rvss's records and at what Samba's persisted
 * FSRVP state (srv_fss.tdb) says of each snapshot, and decides per record:
 * keep it, seal it, reclaim it (its set is dead), or prune it (a retained
 * backup beyond the retention policy).  It does no I/O, so every rule is
 * unit-tested; rvss_reclaim_apply() carries one decision out on disk.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_RECLAIM_H
#define RVSS_RECLAIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <talloc.h>

#include "catalog.h"
#include "fss_state.h"

/** What Samba's persisted state says of one snapshot (by its snap_path). */
struct rvss_fss_link {
	bool found;              /**< a shadow copy with this sc_path exists */
	int32_t set_state;       /**< enum rvss_fss_set_state */
	uint32_t context;        /**< the set's FSRVP context */
	time_t create_ts;        /**< the shadow copy's time stamp */
	const char *set_id;      /**< "" if !found */
	const char *sc_id;
	const char *exposed_share; /**< "" when not exposed */
};

/** rvss:timer slack when unset (seconds). */
#define RVSS_DEFAULT_TIMER_SLACK 30

struct rvss_reclaim_policy {
	time_t now;
	/** Samba's message sequence timeout after Commit ("fss: sequence
	 *  timeout", default 180 s; 0 = disabled). */
	uint64_t seq_timeout;
	/** rvss:timer slack: how long after Samba's message sequence timer
	 *  a committed, never exposed set counts as dead (the timer fires in
	 *  rpcd_fsrvp's event loop, late under load).  Default
	 *  RVSS_DEFAULT_TIMER_SLACK. */
	uint64_t timer_slack;
	/** How old an unreferenced snapshot must be before it is an orphan:
	 *  covers the moment between the snapshot and Samba's state store. */
	uint64_t grace;
	/** rvss:expose max age: reclaim exposed or recovered sets never
	 *  deleted after this long (0 = never). */
	uint64_t expose_max_age;
	/**
	 * rpcd_fsrvp:num_workers, as Samba reads it (default 5).  Only with
	 * 1 does srv_fss.tdb hold every live set: each worker keeps its own
	 * sets in memory (loaded when it starts) and rewrites the whole file
	 * from them, dropping the sets of the others or setting them back
	 * to an older state.  With any other value no snapshot is reclaimed
	 * because the file lacks its set or shows it committed and never
	 * exposed: such decisions become KEEP with held set.
	 */
	int fss_workers;
};

/** @brief true if Samba's persisted FSRVP state can decide a reclaim. */
bool rvss_reclaim_state_trusted(const struct rvss_reclaim_policy *policy);

enum rvss_action {
	RVSS_ACTION_KEEP = 0,
	RVSS_ACTION_SEAL,     /**< set btrfs read-only, mark sealed */
	RVSS_ACTION_RECLAIM,  /**< delete: its set is dead or gone */
	RVSS_ACTION_PRUNE,    /**< delete: retained beyond the policy */
};

struct rvss_decision {
	const struct rvss_record *rec;
	enum rvss_action action;
	/** Samba's persisted state keeps a dead set for this snapshot: the
	 *  agent removes it from srv_fss.tdb (set_id) and unexposes it. */
	bool repair_set;
	/** KEEP only because Samba's state is not trusted (fss_workers != 1):
	 *  with one worker this would be a RECLAIM. */
	bool held;
	const char *reason;      /**< one line for the log / the agent */
};

/**
 * @brief Link each record to the shadow copy of Samba's state whose
 * sc_path is the record's snap_path.  @st may be NULL (no state file).
 * The strings of the links point into @st.
 * @return 0; -ENOMEM.
 */
int rvss_reclaim_links(TALLOC_CTX *mem_ctx, struct rvss_record *const *recs,
		       size_t n, const struct rvss_fss_state *st,
		       struct rvss_fss_link **ret_links);

/**
 * @brief Decide what to do with each record.
 *
 * @param[in] recs, links, creator_alive  arrays of @n: the records, what
 *            Samba's state says of each, whether the process that wrote a
 *            "creating" record still runs.
 * @param[out] ret_decisions  @n decisions, in the order of @recs.
 * @return 0; -ENOMEM; -EINVAL.
 */
int rvss_reclaim_plan(TALLOC_CTX *mem_ctx, struct rvss_record *const *recs,
		      const struct rvss_fss_link *links, const bool *creator_alive,
		      size_t n, const struct rvss_reclaim_policy *policy,
		      struct rvss_decision **ret_decisions);

/**
 * @brief Carry out one SEAL, RECLAIM or PRUNE decision (KEEP: nothing).
 * Deletion goes through rvss_snap_destroy_record(): only a subvolume that
 * matches its record is ever deleted.
 * @return 0; -EPERM (refused); -errno.
 */
int rvss_reclaim_apply(TALLOC_CTX *mem_ctx, struct rvss_catalog *cat,
		       const struct rvss_decision *d, char **ret_reason);

/**
 * @brief Seal the snapshot of @rec: set btrfs's read-only flag and record
 * it.  Idempotent.  @return 0; -errno.
 */
int rvss_seal_record(struct rvss_catalog *cat, const struct rvss_record *rec);

/**
 * @brief Keep the snapshot of @rec as a read-only backup instead of
 * deleting it (rvss:retain): read-only flag, state "retained", and the
 * retention policy it is to be pruned by.
 * @return 0; -errno.
 */
int rvss_retain_record(struct rvss_catalog *cat, const struct rvss_record *rec,
		       uint32_t retain_count, uint64_t retain_age);

/** @brief "keep", "seal", "reclaim", "prune". */
const char *rvss_action_name(enum rvss_action action);

#endif
