/*
 * rvss — reader (and careful editor) of Samba's FSRVP server state,
 * "<lock directory>/srv_fss.tdb".
 *
 * Samba's rpcd_fsrvp keeps its shadow copy sets in memory and, after every
 * Commit, Expose, RecoveryComplete, Abort and DeleteShareMapping, rewrites
 * the whole file from that memory (source3/rpc_server/fss/srv_fss_state.c:
 * wipe, then one transaction).  It reads the file back only when it starts.
 * Nothing before Commit is ever stored: a set that was only started or
 * added lives and dies with the rpcd_fsrvp process.
 *
 * Layout, as Samba 4.17 writes it (keys are NUL-terminated C strings;
 * values are NDR, librpc/idl/fsrvp_state.idl, little endian, 4-aligned):
 *
 *   "db_version"                            int32 1
 *   "sc_set_count"                          int32, number of sets
 *   "sc_set/<set-guid>"                     fsrvp_state_sc_set
 *   "sc_set/<set-guid>/sc/<sc-guid>"        fsrvp_state_sc
 *   "sc_set/<set-guid>/sc/<sc-guid>/smap/<exposed share name>"
 *                                           fsrvp_state_smap
 *
 *   fsrvp_state_sc_set: utf8z id_str, pad4, int32 state, int32 context,
 *                       int32 scs_count
 *   fsrvp_state_sc:     utf8z id_str, utf8z volume_name, utf8z sc_path,
 *                       pad4, uint32 create_ts (time_t), int32 smaps_count
 *   fsrvp_state_smap:   utf8z share_name, utf8z sc_share_name,
 *                       utf8z sc_share_comment, pad4, uint32 is_exposed
 *
 * ("utf8z": UTF-8 bytes and a NUL, no length, no alignment; "pad4": zero
 * bytes up to the next multiple of 4.)  GUIDs are lowercase, without
 * braces.  Samba takes the ids from the keys, not from id_str, and refuses
 * to load the whole file when a set's scs_count or a shadow copy's
 * smaps_count differs from the records present, or a record has no parent.
 *
 * This file is the only code of rvss that knows that format.  It includes
 * no Samba header: the decoder is written from the IDL and checked against
 * files written by Debian's rpcd_fsrvp (tests/unit/test_fss_state.c).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_FSS_STATE_H
#define RVSS_FSS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

/** File name of Samba's FSRVP state inside its lock directory. */
#define RVSS_FSS_STATE_NAME "srv_fss.tdb"

/** The only on-disk format version Samba (4.17 .. 4.22) writes. */
#define RVSS_FSS_DB_VERSION 1

/**
 * Set states, as Samba's enum fss_sc_state numbers them
 * (srv_fss_private.h; MS-FSRVP 3.1.1.2).  The file holds plain numbers:
 * unknown values are kept, and named "unknown".
 */
enum rvss_fss_set_state {
	RVSS_FSS_STARTED = 0,   /**< never stored by Samba (not yet committed) */
	RVSS_FSS_ADDED = 1,     /**< never stored either */
	RVSS_FSS_CREATING = 2,  /**< commit in progress (stored only if another
				     set's store happens meanwhile) */
	RVSS_FSS_COMMITTED = 3, /**< snapshots taken, not exposed */
	RVSS_FSS_EXPOSED = 4,   /**< exposed as shares */
	RVSS_FSS_RECOVERED = 5, /**< RecoveryCompleteShadowCopySet returned */
};

/* Context bits of a set (fsrvp.idl ATTR_* / FSRVP_CTX_*). */
#define RVSS_FSS_ATTR_AUTO_RECOVERY 0x00400000u
#define RVSS_FSS_CTX_BACKUP 0x00000000u
#define RVSS_FSS_CTX_FILE_SHARE_BACKUP 0x00000010u
#define RVSS_FSS_CTX_NAS_ROLLBACK 0x00000019u
#define RVSS_FSS_CTX_APP_ROLLBACK 0x00000009u

/** One exposed (or to-be-exposed) share of a shadow copy. */
struct rvss_fss_smap {
	char *sc_share_name;    /**< the exposed share, "share@{sc-guid}"
				     (from the key, as Samba does) */
	char *share_name;       /**< the base share */
	char *sc_share_comment; /**< "" until exposed */
	bool is_exposed;
};

/** One shadow copy: one share's snapshot. */
struct rvss_fss_sc {
	char *id;               /**< shadow copy GUID (from the key) */
	char *volume_name;      /**< base_volume of snap_check_path */
	char *sc_path;          /**< snap_path of snap_create; "" if none */
	int64_t create_ts;      /**< Unix time of Add (client initiation) */
	int32_t smaps_count;    /**< the count the record declares */
	struct rvss_fss_smap *smaps;   /**< sorted by sc_share_name */
	size_t num_smaps;       /**< records found */
};

/** One shadow copy set. */
struct rvss_fss_set {
	char *id;               /**< set GUID (from the key) */
	int32_t state;          /**< enum rvss_fss_set_state, or other */
	uint32_t context;       /**< FSRVP context | ATTR_* bits */
	int32_t scs_count;      /**< the count the record declares */
	struct rvss_fss_sc *scs;       /**< sorted by create_ts, then id */
	size_t num_scs;         /**< records found */
	/**
	 * false when a declared count differs from the records found: Samba
	 * refuses to load such a file (every FSRVP call then fails).
	 */
	bool consistent;
};

/** The whole file. */
struct rvss_fss_state {
	int32_t db_version;     /**< 0 when the record is absent */
	int32_t sc_set_count;   /**< -1 when the record is absent */
	struct rvss_fss_set *sets;     /**< sorted by oldest create_ts, id */
	size_t num_sets;
};

/**
 * @brief Name of a set state: "started", "added", "creating",
 * "committed", "exposed", "recovered", or "unknown".
 */
const char *rvss_fss_state_name(int32_t state);

/**
 * @brief Read and decode Samba's srv_fss.tdb.
 *
 * Opens the file read-only and reads all records under one tdb read lock
 * (tdb_traverse_read), so a concurrent rewrite by rpcd_fsrvp is seen
 * either wholly or not at all — except that Samba wipes the file and
 * writes "db_version" before its transaction, so a reader can see an
 * empty state for a moment; callers that act on "no set" should re-read.
 * Records whose key does not start with "sc_set/" are ignored (as Samba
 * does), except "db_version" and "sc_set_count".
 *
 * @param[in]  mem_ctx  owner of the result.
 * @param[in]  tdb_path the file, normally <lock dir>/srv_fss.tdb.
 * @param[out] ret      the decoded state; untouched on failure.
 *
 * @return 0;
 *   -ENOENT   the file does not exist (Samba: no sets);
 *   -EBADMSG  a record is truncated or malformed (bad NDR, no NUL, bad
 *             UTF-8, misaligned end, a key not of the layout above, a
 *             size field of the wrong length), or a shadow copy / share
 *             mapping record has no parent record;
 *   -EPROTONOSUPPORT  "db_version" is not 1;
 *   -ENOMEM; -EACCES or another -errno from opening the tdb.
 *
 * @code
 * struct rvss_fss_state *st = NULL;
 * int ret = rvss_fss_state_read(mem_ctx, "/var/lib/samba/lock/srv_fss.tdb",
 *                               &st);
 * if (ret == 0) {
 *         for (size_t i = 0; i < st->num_sets; i++) {
 *                 printf("%s %s\n", st->sets[i].id,
 *                        rvss_fss_state_name(st->sets[i].state));
 *         }
 * }
 * @endcode
 */
int rvss_fss_state_read(TALLOC_CTX *mem_ctx, const char *tdb_path,
			struct rvss_fss_state **ret);

/**
 * @brief rvss_fss_state_read() until the file is whole.
 *
 * Samba's fss_state_store() wipes the file and writes "db_version" before
 * the transaction that writes "sc_set_count" and every set, so a reader
 * can catch it empty or half-written.  A read is whole when "sc_set_count"
 * is present and equals the number of sets found; anything else is read
 * again, up to @tries times, @wait_ms apart.  Every reader that acts on
 * what the file lacks (reclaim, seal, retain) must read through this.
 *
 * @param[in]  tries    reads before giving up (>= 1; 20 is 1 s at 50 ms).
 * @param[in]  wait_ms  pause between two reads.
 * @param[out] ret      the decoded whole state; untouched on failure.
 * @return 0; -EAGAIN (never whole: Samba kept rewriting it, or a writer
 *         left it half-written); errors of rvss_fss_state_read(),
 *         -ENOENT included (no file: Samba never stored a set).
 */
int rvss_fss_state_read_whole(TALLOC_CTX *mem_ctx, const char *tdb_path,
			      unsigned tries, unsigned wait_ms,
			      struct rvss_fss_state **ret);

/** Default retries of rvss_fss_state_read_whole(): 20 x 50 ms = 1 s. */
#define RVSS_FSS_READ_TRIES 20
#define RVSS_FSS_READ_WAIT_MS 50

/** @brief true if @st is a whole read (see rvss_fss_state_read_whole()). */
bool rvss_fss_state_whole(const struct rvss_fss_state *st);

/**
 * @brief Decode the records given as key/value pairs (no tdb involved).
 *
 * The core of rvss_fss_state_read(), for callers that already hold the
 * records (and for the tests).  keys[i] are the raw tdb keys including
 * their trailing NUL, with key_lens[i] bytes; likewise vals/val_lens.
 *
 * @return as rvss_fss_state_read(), without -ENOENT and the open errors.
 */
int rvss_fss_state_decode(TALLOC_CTX *mem_ctx, size_t num,
			  const uint8_t *const *keys, const size_t *key_lens,
			  const uint8_t *const *vals, const size_t *val_lens,
			  struct rvss_fss_state **ret);

/**
 * @brief Find a set by id (case-insensitive, braces allowed).
 * @return the set inside @p st, or NULL.
 */
const struct rvss_fss_set *rvss_fss_state_find_set(
	const struct rvss_fss_state *st, const char *set_id);

/**
 * @brief True if Samba would refuse StartShadowCopySet because of this
 * set once it has loaded the file: any state but exposed or recovered
 * (srv_fss_agent.c sc_set_active()).
 */
bool rvss_fss_set_blocks_new_sets(const struct rvss_fss_set *set);

/**
 * @brief Remove one set and everything below it from srv_fss.tdb.
 *
 * The "unblock" repair: a set that Samba reloads in state committed (or
 * creating) makes every StartShadowCopySet fail with
 * FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS until someone exposes or deletes
 * it by its id — and the requester that knew the id is gone.
 *
 * What it changes, in one tdb transaction: it deletes the key
 * "sc_set/<id>" and every key starting with "sc_set/<id>/" (its shadow
 * copies and share mappings), and sets "sc_set_count" (if present) to the
 * number of set records left.  Nothing else: other sets, "db_version", and
 * the snapshots on disk are untouched (rvss reclaims those from its own
 * catalog), and no registry share is removed — call it only for a set
 * whose exposed shares are gone or were never made.
 *
 * Why it is safe:
 *  - while no rpcd_fsrvp runs: the next rpcd_fsrvp loads the file without
 *    the set, and the file stays loadable (a whole subtree goes, so no
 *    count of another record changes and no orphan appears).  The
 *    transaction takes the same tdb locks Samba's dbwrap uses, so a
 *    rpcd_fsrvp starting meanwhile reads the file before or after, never
 *    half of it.
 *  - while rpcd_fsrvp runs it is harmless but NOT effective: that process
 *    keeps the set in memory (still blocking), and its next store
 *    rewrites the whole file from memory, bringing the set back.  Run the
 *    repair after rpcd_fsrvp has exited (it exits after
 *    "rpcd_fsrvp:idle_seconds", 60 s, without clients), or stop it.
 *
 * @param[in]  tdb_path  srv_fss.tdb (never created here).
 * @param[in]  set_id    the set GUID, 36 characters, optionally in braces;
 *                       compared case-insensitively.
 * @param[out] _removed  optional: number of records deleted.
 *
 * @return 0; -EINVAL (set_id not a GUID); -ENOENT (no file, or no record
 *   of that set at all; records left below a missing "sc_set/<id>" —
 *   orphans that make Samba refuse the file — are removed too);
 *   -EBADMSG ("sc_set_count" of the wrong size);
 *   -EBUSY (lock or transaction failed); -EIO; -ENOMEM; other -errno.
 */
int rvss_fss_state_remove_set(const char *tdb_path, const char *set_id,
			      unsigned *_removed);

/**
 * @brief Rewrite the state field of one set record.
 *
 * The gentler repair: marking a reloaded committed set "exposed" or
 * "recovered" stops it from blocking new sets while Samba keeps tracking
 * it, so that a later DeleteShareMapping (e.g. by smbtorture-like tools,
 * or a requester that remembers the ids) still reaches the VFS module's
 * snap_delete (Samba's DeleteShareMapping accepts only exposed or
 * recovered sets).  Only the 4 bytes of "state" in "sc_set/<id>" change
 * (the record is decoded, checked and re-encoded in one transaction);
 * counts, children and every other record stay as they are.  Caveat: in a
 * set that never reached Expose, the share mappings keep is_exposed =
 * false and no registry share exists; Samba's DeleteShareMapping then has
 * no share to remove and goes on to snap_delete.  Same running/not-running
 * rules as rvss_fss_state_remove_set().
 *
 * @param[in]  tdb_path   srv_fss.tdb.
 * @param[in]  set_id     the set GUID.
 * @param[in]  new_state  0..5 (enum rvss_fss_set_state).
 * @param[out] _old_state optional: the previous value.
 *
 * @return 0; -EINVAL (bad id or state); -ENOENT; -EBADMSG (the record
 *   does not decode); -EBUSY; -EIO; -ENOMEM.
 */
int rvss_fss_state_set_state(const char *tdb_path, const char *set_id,
			     int32_t new_state, int32_t *_old_state);

/*
 * Encoders, in Samba's exact byte layout: for test fixtures and for the
 * two repairs above.  Each returns 0 and a talloc'ed blob on mem_ctx, or
 * -EINVAL (NULL string) / -ENOMEM; on failure nothing is written to the
 * outputs.
 */
int rvss_fss_ndr_push_set(TALLOC_CTX *mem_ctx, const char *id_str,
			  int32_t state, uint32_t context, int32_t scs_count,
			  uint8_t **_blob, size_t *_len);
int rvss_fss_ndr_push_sc(TALLOC_CTX *mem_ctx, const char *id_str,
			 const char *volume_name, const char *sc_path,
			 uint32_t create_ts, int32_t smaps_count,
			 uint8_t **_blob, size_t *_len);
int rvss_fss_ndr_push_smap(TALLOC_CTX *mem_ctx, const char *share_name,
			   const char *sc_share_name,
			   const char *sc_share_comment, bool is_exposed,
			   uint8_t **_blob, size_t *_len);

/**
 * @brief Write a whole state in Samba's layout: in one transaction,
 * delete every record, then store "db_version" (= st->db_version, or 1 if
 * 0), "sc_set_count" (= st->num_sets) and every set, shadow copy and
 * share mapping, with the counts as found in the arrays (so Samba can load
 * the file).  Unlike Samba's fss_state_store(), which wipes the file
 * before its transaction, a failed write leaves the file as it was.
 * For test fixtures.
 *
 * @param[in] tdb_path  created (mode 0600) if missing.
 * @return 0; -EINVAL (a NULL id or string); -EBUSY; -EIO; -ENOMEM;
 *   other -errno from opening.
 */
int rvss_fss_state_write(const char *tdb_path, const struct rvss_fss_state *st);

#endif /* RVSS_FSS_STATE_H */
