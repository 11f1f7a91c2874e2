/*
 * rvss — replicas: which retained backup was sent to which target.
 *
 * `fsrvp_agent send` copies retained backups (rvss:retain) to another btrfs
 * filesystem with btrfs send/receive: the first one in full, every later
 * one as the difference to a snapshot both sides hold (send -p PARENT).
 * The receiving side finds PARENT by its received UUID, which is the local
 * snapshot's own UUID; so what a chain needs is, per target, the local
 * UUIDs the target holds.  This file keeps that as one catalog record per
 * (target, backup), written only after the target holds the backup
 * complete, and picks the parent of the next send: the newest backup both
 * sides still hold, so that a backup pruned on either side never breaks
 * the chain (and when none is left, the next send is a full one).
 *
 * Records live in rvss's catalog file (catalog.h, other record kinds)
 * under keys "replica:<uuid>:<target>", as "key=value" lines (kvtext.h)
 * with a version line; rvss_replica_unpack() is their one decoder (fuzzed:
 * tests/fuzz/fuzz_replica.c).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_REPLICA_H
#define RVSS_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <talloc.h>

#include "catalog.h"

/** The record format this code writes and reads. */
#define RVSS_REPLICA_VERSION 1

/** Every replica record's key starts with this (never with '/'). */
#define RVSS_REPLICA_KEY_PREFIX "replica:"

/** A target that is a local directory: "dir:" + its absolute path. */
#define RVSS_REPLICA_TARGET_DIR "dir:"
/** A target that is a command reading a send stream: "cmd:" + command. */
#define RVSS_REPLICA_TARGET_CMD "cmd:"

struct rvss_replica {
	uint32_t version;     /**< RVSS_REPLICA_VERSION */
	char *target;         /**< "dir:/srv/rvss" or "cmd:ssh ... receive ..." */
	char *share;          /**< the share the backup was made of */
	char *name;           /**< the backup's snapshot name (@GMT-...) */
	char *uuid;           /**< the local snapshot's UUID = received UUID there */
	char *parent_uuid;    /**< the send's parent ("" = sent in full) */
	char *path;           /**< where it is on a directory target ("" else) */
	char *target_uuid;    /**< the received subvolume's own UUID ("" unknown) */
	uint64_t snapshot_id; /**< the local snapshot's subvolume id when sent */
	time_t created;       /**< the backup's time (the record's "created") */
	time_t sent;          /**< when the target acknowledged it complete */
	uint64_t bytes;       /**< size of the send stream */
};

/** @brief The catalog key of @target and @uuid.  NULL on ENOMEM. */
char *rvss_replica_key(TALLOC_CTX *mem_ctx, const char *target, const char *uuid);

/** @brief Serialise @rep ("key=value" lines, version first).  NULL on ENOMEM. */
char *rvss_replica_pack(TALLOC_CTX *mem_ctx, const struct rvss_replica *rep);

/**
 * @brief Parse rvss_replica_pack() output.  Unknown keys are ignored
 * (newer writers of the same version stay readable); absent strings read
 * as "".
 * @return 0; -EBADMSG (malformed, no target/uuid/share/name, or a version
 *         other than RVSS_REPLICA_VERSION); -ENOMEM.
 */
int rvss_replica_unpack(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
			struct rvss_replica **ret_rep);

/**
 * @brief The replica records of @target (all targets if NULL) and @share
 * (all shares if NULL), sorted by (share, created).
 * @param[out] ret_bad  optional: how many records did not decode (they
 *                      are left out: the caller says so).
 * @return 0; -EIO; -ENOMEM.
 */
int rvss_replica_list(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
		      const char *target, const char *share,
		      struct rvss_replica ***ret_reps, size_t *ret_count,
		      size_t *ret_bad);

/**
 * @brief Record that the target holds @rep complete.  Replaces a record of
 * the same key only if it still is @old (NULL: there must be none).
 * @return 0; -EEXIST / -ESTALE / -ENOENT (someone changed it meanwhile:
 *         nothing written); -EINVAL; -EIO; -ENOMEM.
 */
int rvss_replica_record(struct rvss_catalog *cat, const struct rvss_replica *old,
			const struct rvss_replica *rep);

/**
 * @brief Forget @rep (the target no longer holds it), if it still is @rep.
 * @return 0; -ENOENT; -ESTALE; -EIO; -ENOMEM.
 */
int rvss_replica_forget(struct rvss_catalog *cat, const struct rvss_replica *rep);

/** One backup of a share, as the chain sees it (rvss_replica_parent()). */
struct rvss_replica_item {
	time_t created;  /**< the backup's time */
	bool local;      /**< its snapshot is still here (can be a parent) */
	bool held;       /**< the target holds it complete */
};

/**
 * @brief The parent for sending @items[@i]: the newest item older than it
 * that is both local and held; failing that, the oldest newer one that
 * is (btrfs send only needs a common snapshot of the same subvolume).
 * @return its index, or -1: no common snapshot left, send in full.
 */
ssize_t rvss_replica_parent(const struct rvss_replica_item *items, size_t n,
			    size_t i);

#endif
