/*
 * rvss — the catalog: rvss's own records of every snapshot it created.
 *
 * One tdb file (by default "rvss.tdb" in Samba's state directory), shared by
 * smbd, rpcd_fsrvp and fsrvp_agent; tdb does the locking.  A record is keyed
 * by the absolute path of the snapshot subvolume and is written *before* the
 * snapshot is taken (state "creating"), so that a crash between the two
 * leaves a record that the reclaimer can act on, never an unknown subvolume.
 * Deletion as root is only ever done for a path that has a record here and
 * whose on-disk subvolume id matches the record.
 *
 * Values are "key=value" lines (readable with tdbdump); unknown keys are kept
 * out of the struct and ignored, so newer writers stay readable.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_CATALOG_H
#define RVSS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <talloc.h>

/** File name of the catalog inside Samba's state directory. */
#define RVSS_CATALOG_NAME "rvss.tdb"

enum rvss_record_state {
	RVSS_STATE_CREATING = 0, /**< name reserved; the snapshot may not exist */
	RVSS_STATE_CREATED,      /**< snapshot exists and belongs to a live set */
	RVSS_STATE_RETAINED,     /**< set finished; kept read-only as a backup */
	RVSS_STATE_DELETING,     /**< deletion begun; finish it */
};

/**
 * One more share of the same shadow copy set mapped into a snapshot
 * (lib/sharemap.h): its own base path and its own directory inside it.
 */
struct rvss_mapping {
	char *share;
	char *base_path;
	char *snap_path;
};

struct rvss_record {
	char *snapshot;          /**< key: absolute path of the snapshot subvolume */
	char *name;              /**< snapshot name (snapname.h) */
	char *share;             /**< Samba share the snapshot was made for */
	char *base_path;         /**< Samba's base volume: canonical share path */
	char *snap_path;         /**< the share's directory inside the snapshot */
	char *source;            /**< path of the snapshotted subvolume root */
	uint64_t source_id;      /**< btrfs id of the snapshotted subvolume */
	uint64_t snapshot_id;    /**< btrfs id of the snapshot (0 while creating) */
	time_t created;          /**< snapshot time stamp (the name's time) */
	time_t updated;          /**< last change of this record */
	bool rw;                 /**< created writable (auto-recovery) */
	bool sealed;             /**< made read-only after recovery */
	enum rvss_record_state state;
	int creator_pid;         /**< process that wrote "creating" */
	char *set_id;            /**< FSRVP shadow copy set id, once known ("") */
	char *sc_id;             /**< FSRVP shadow copy id, once known ("") */
	char *exposed_share;     /**< exposed share name, once known ("") */
	uint32_t retain_count;   /**< retained: keep this many per source (0 = any) */
	uint64_t retain_age;     /**< retained: keep this long, seconds (0 = ever) */
	/** Further shares of the same set mapped into this snapshot, beyond
	 *  share/base_path/snap_path (sharemap.h); the snapshot goes with
	 *  the last mapping. */
	struct rvss_mapping *maps;
	size_t num_maps;
};

struct rvss_catalog;

/**
 * @brief Open (optionally create) the catalog.
 *
 * @param[in]  mem_ctx  owner of the handle; freeing it closes the file.
 * @param[in]  path     the tdb file.
 * @param[in]  create   create the file (mode 0600) if missing.
 * @param[out] ret_cat  the handle; untouched on failure.
 *
 * @return 0; -ENOENT (missing and !create); -EACCES; -ENOMEM; other -errno.
 */
int rvss_catalog_open(TALLOC_CTX *mem_ctx, const char *path, bool create,
		      struct rvss_catalog **ret_cat);

/**
 * @brief Insert a new record; fails if one with the same key exists.
 *
 * This is the cross-process reservation of a snapshot name.
 *
 * @return 0; -EEXIST; -EINVAL (no key); -EIO; -ENOMEM.
 */
int rvss_catalog_insert(struct rvss_catalog *cat, const struct rvss_record *rec);

/**
 * @brief Overwrite an existing record.  A record that is gone stays gone:
 * this never creates one (tdb's TDB_MODIFY), so a record removed by
 * another process meanwhile is not resurrected.
 * @return 0; -ENOENT (no such record); -EINVAL; -EIO; -ENOMEM.
 */
int rvss_catalog_update(struct rvss_catalog *cat, const struct rvss_record *rec);

/**
 * @brief Compare and replace: overwrite the record of @expected->snapshot
 * with @rec only if it still is what the caller read (@expected, field by
 * field).  The record's tdb chain is locked (tdb_chainlock) from the
 * re-read to the write, so no other process (rpcd_fsrvp, smbd, the agent)
 * changes it in between.
 *
 * @return 0; -ENOENT (removed meanwhile: stays removed); -ESTALE (changed
 *         meanwhile: nothing written); -EINVAL (@rec has another key);
 *         -EBADMSG (the stored record does not decode); -EIO; -ENOMEM.
 */
int rvss_catalog_replace(struct rvss_catalog *cat, const struct rvss_record *expected,
			 const struct rvss_record *rec);

/**
 * @brief Remove the record of @expected->snapshot only if it still is
 * @expected; locked as rvss_catalog_replace().
 * @return 0; -ENOENT; -ESTALE; -EBADMSG; -EIO; -ENOMEM.
 */
int rvss_catalog_remove_expected(struct rvss_catalog *cat,
				 const struct rvss_record *expected);

/** @brief true if every field of @a and @b is equal. */
bool rvss_record_equal(const struct rvss_record *a, const struct rvss_record *b);

/**
 * @brief Fetch one record by snapshot path.
 * @return 0; -ENOENT; -EBADMSG (corrupt record); -ENOMEM.
 */
int rvss_catalog_fetch(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
		       const char *snapshot, struct rvss_record **ret_rec);

/**
 * @brief Find the record whose snap_path, or one of whose further
 * mappings' snap_path (maps), is exactly @snap_path.
 * @return 0; -ENOENT; -ENOMEM.
 */
int rvss_catalog_find_snap_path(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
				const char *snap_path,
				struct rvss_record **ret_rec);

/** @brief Is @snap_path the record's snap_path or one of its maps'? */
bool rvss_record_maps_path(const struct rvss_record *rec, const char *snap_path);

/** @brief Remove a record.  @return 0; -ENOENT; -EIO. */
int rvss_catalog_remove(struct rvss_catalog *cat, const char *snapshot);

/**
 * @brief All records, sorted by (source, created).  Corrupt records are
 * skipped.  @return 0; -ENOMEM; -EIO.
 */
int rvss_catalog_list(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
		      struct rvss_record ***ret_recs, size_t *ret_count);

/** @brief Serialise a record ("key=value" lines).  NULL on ENOMEM. */
char *rvss_record_pack(TALLOC_CTX *mem_ctx, const struct rvss_record *rec);

/**
 * @brief Parse rvss_record_pack() output.
 * @return 0; -EBADMSG (malformed or no "snapshot" key); -ENOMEM.
 */
int rvss_record_unpack(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
		       struct rvss_record **ret_rec);

/** @brief "creating", "created", "retained", "deleting". */
const char *rvss_record_state_name(enum rvss_record_state state);


/**
 * @defgroup catalog_kinds Other record kinds in the catalog file
 *
 * The catalog file also holds records of other kinds (replica.h: what was
 * sent to which replica).  Their keys never start with '/' (a snapshot
 * record's key is an absolute path), so rvss_catalog_list() and every
 * snapshot record reader leave them alone; each kind has its own versioned
 * format and decoder.  These calls move raw values under the same tdb
 * locking as the snapshot records.
 * @{
 */

/**
 * @brief The value stored under @key (NUL-terminated copy, *ret_len bytes
 * before the NUL).  @return 0; -ENOENT; -EINVAL (@key empty or starting
 * with '/'); -EIO; -ENOMEM.
 */
int rvss_catalog_kind_fetch(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
			    const char *key, char **ret_value, size_t *ret_len);

/**
 * @brief Compare and replace a value of another kind, under the key's
 * chain lock: @expected NULL means the key must be absent (insert);
 * @value NULL removes it.  Nothing is written unless the stored value is
 * byte for byte @expected.
 * @return 0; -EEXIST (absent expected, present found); -ENOENT (present
 *         expected, absent found); -ESTALE (another value found); -EINVAL
 *         (bad key, or both NULL); -EIO; -ENOMEM.
 */
int rvss_catalog_kind_replace(struct rvss_catalog *cat, const char *key,
			      const char *expected, const char *value);

/**
 * @brief The values of every key starting with @prefix (not '/'), in no
 * particular order.  @param[out] ret_values  array of @ret_count
 * NUL-terminated strings, child of @mem_ctx.
 * @return 0; -EINVAL; -EIO; -ENOMEM.
 */
int rvss_catalog_kind_list(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
			   const char *prefix, char ***ret_values,
			   size_t *ret_count);

/** @} */

#endif
