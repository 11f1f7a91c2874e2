/*
 * rvss — the share-layout rules (ONTAP's Remote VSS rules, SPEC §4): does
 * the directory tree of a share qualify for a shadow copy?  The rules are
 * one walk over the tree that returns findings as data; the agent prints
 * them (fsrvp_agent check) and the module logs them (rvss:check layout).
 *
 * The walk is depth-first over directory fds (openat, fstatat with
 * AT_SYMLINK_NOFOLLOW, O_NOFOLLOW|O_CLOEXEC): memory is bounded by the
 * depth of the tree (one open directory per level, capped), plus a table
 * of (dev, inode) only for regular files with more than one link.  It
 * never follows a symbolic link and never crosses into another
 * subvolume, mount or filesystem.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_LAYOUT_H
#define RVSS_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

/** Stable finding codes: RVSS-L001... never change meaning or number. */
enum rvss_layout_code {
	RVSS_LAYOUT_SYMLINK = 1,      /**< L001 symbolic link */
	RVSS_LAYOUT_DEVICE = 2,       /**< L002 block or character device */
	RVSS_LAYOUT_FIFO = 3,         /**< L003 named pipe */
	RVSS_LAYOUT_SOCKET = 4,       /**< L004 socket */
	RVSS_LAYOUT_SUBVOLUME = 5,    /**< L005 nested btrfs subvolume */
	RVSS_LAYOUT_MOUNT = 6,        /**< L006 mount point (same fs type) */
	RVSS_LAYOUT_OTHER_FS = 7,     /**< L007 another filesystem */
	RVSS_LAYOUT_TOO_DEEP = 8,     /**< L008 directory beyond max depth */
	RVSS_LAYOUT_ROOT_FILE = 9,    /**< L009 non-VM file in the share root */
	RVSS_LAYOUT_PARENT_OUTSIDE = 10, /**< L010 disk parent outside share */
	RVSS_LAYOUT_PARENT_MISSING = 11, /**< L011 disk parent not found */
	RVSS_LAYOUT_HARDLINK = 12,    /**< L012 hard link reaching outside */
	RVSS_LAYOUT_UNREADABLE = 13,  /**< L013 entry cannot be read */
	RVSS_LAYOUT_BAD_VDISK = 14,   /**< L014 corrupt VHDX/VHD file */
	RVSS_LAYOUT_INCOMPLETE = 15,  /**< L015 part of the tree not checked */
	RVSS_LAYOUT_OTHER = 16,       /**< L016 unknown file type */
};
#define RVSS_LAYOUT_CODE_MAX 16

/** One violation. */
struct rvss_layout_finding {
	enum rvss_layout_code code;
	/** Path relative to the walked root, raw bytes ("." = the root). */
	char *path;
	/** One line of detail (may be NULL), e.g. a disk's parent path. */
	char *detail;
};

/** Counters, also passed to the progress callback. */
struct rvss_layout_stats {
	uint64_t entries;     /**< directory entries seen */
	uint64_t dirs;        /**< directories entered */
	uint64_t vdisks;      /**< VHDX/VHD files read */
	uint64_t findings;    /**< findings produced so far */
	/** Link counts were read in bulk from the btrfs tree (set at the
	 *  end of the walk). */
	bool tree_search;
};

struct rvss_layout_opts {
	/** Deepest allowed directory, the root being 0 (0 = unlimited). */
	unsigned max_depth;
	/** Allowed extensions in the share root, with dot, any case;
	 *  NULL-terminated.  NULL: rvss_layout_default_extensions. */
	const char *const *vm_extensions;
	/** Paths relative to the root (NULL-terminated) that are not walked
	 *  nor reported, e.g. rvss's own snapshot store. */
	const char *const *skip_paths;
	/** SMB share name, to recognise \\server\share\ parent paths. */
	const char *share_name;
	/** Stop after this many entries (0 = no bound). */
	uint64_t max_entries;
	/** Stop at this CLOCK_MONOTONIC time in ns (0 = no deadline). */
	uint64_t deadline_ns;
	/** Open directories at once, i.e. depth walked (0 = 256). */
	unsigned max_open_dirs;
	/** rvss:nested subvolumes = include: a nested btrfs subvolume is
	 *  snapshotted into the copy, so it is no finding.  It is not walked
	 *  either (the hard-link rule reads link counts of one subvolume's
	 *  tree); check it by its own path. */
	bool include_subvolumes;
	/** Skip the hard-link rule (RVSS_LAYOUT_HARDLINK).  It is the only
	 *  rule that needs every regular file's link count; without it the
	 *  walk reads directories only, as find does. */
	bool skip_hardlinks;
	/** Threads in all (0 or 1: only the calling thread).  The others
	 *  only fetch regular files' link counts for the hard-link rule
	 *  (links.h) while the calling thread walks.  A caller whose
	 *  threads carry different credentials (smbd) keeps 1. */
	unsigned threads;
	/** Do not read link counts in bulk from the btrfs tree (which needs
	 *  CAP_SYS_ADMIN and commits the current transaction first); statx
	 *  each regular file instead. */
	bool no_tree_search;
	/** Hard-linked files tracked (0 = 1,000,000). */
	size_t max_links;
	/** Findings kept in the result (0 = unlimited); the rest is counted
	 *  in num_dropped.  Ignored when on_finding is set. */
	size_t max_findings;
	/** If set, each finding is passed here instead of being kept; the
	 *  finding is valid only during the call. */
	void (*on_finding)(void *priv, const struct rvss_layout_finding *f);
	/** If set, called every few thousand entries. */
	void (*on_progress)(void *priv, const struct rvss_layout_stats *st);
	void *priv;
};

struct rvss_layout_result {
	struct rvss_layout_finding *findings; /**< children of the result */
	size_t num_findings;
	size_t num_dropped;   /**< findings beyond max_findings */
	struct rvss_layout_stats stats;
	/** false if a bound (entries, deadline, depth cap) stopped part of
	 *  the walk; an RVSS_LAYOUT_INCOMPLETE finding says where. */
	bool complete;
};

/** Hyper-V and SQL Server file extensions allowed in a share root. */
extern const char *const rvss_layout_default_extensions[];

/** @brief "RVSS-L001" for RVSS_LAYOUT_SYMLINK, ...; "RVSS-L???" if unknown. */
const char *rvss_layout_code_name(enum rvss_layout_code code);

/** @brief One-line English description of @code. */
const char *rvss_layout_code_summary(enum rvss_layout_code code);

/**
 * @brief Check the tree below the directory @root_fd against the rules.
 *
 * Every violation becomes a finding; an unreadable subdirectory or disk
 * image is a finding too, not an error.  Bounds (max_entries, deadline_ns,
 * max_open_dirs) end the walk early with result->complete = false.
 *
 * @param[in]  opts        NULL for all defaults (max_depth 5).
 * @param[out] ret_result  child of @mem_ctx, only set on success.
 * @return 0 (look at the findings); -ENOTDIR (@root_fd not a directory);
 *         -EACCES/-errno (the root itself cannot be read); -EINVAL (bad
 *         option); -ENOMEM.
 */
int rvss_layout_check_fd(TALLOC_CTX *mem_ctx, int root_fd,
			 const struct rvss_layout_opts *opts,
			 struct rvss_layout_result **ret_result);

/**
 * @brief See rvss_layout_check_fd(); opens @path with
 * O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC (a symlink as the root is -ELOOP).
 */
int rvss_layout_check(TALLOC_CTX *mem_ctx, const char *path,
		      const struct rvss_layout_opts *opts,
		      struct rvss_layout_result **ret_result);

/** @brief The default options (max_depth 5, default extensions). */
void rvss_layout_opts_init(struct rvss_layout_opts *opts);

/**
 * @brief @path made printable and JSON-safe: backslash as "\\", bytes
 * that are control characters or not valid UTF-8 as "\xNN"; valid UTF-8
 * is kept.  Child of @mem_ctx, NULL on out of memory.
 */
char *rvss_layout_escape(TALLOC_CTX *mem_ctx, const char *path);

/**
 * @brief One finding as a printable line, for logs and terminals:
 * "RVSS-L001 path: summary" or "RVSS-L001 path: summary (detail)", with
 * path and detail escaped by rvss_layout_escape().  Child of @mem_ctx,
 * NULL on out of memory.
 */
char *rvss_layout_finding_string(TALLOC_CTX *mem_ctx,
				 const struct rvss_layout_finding *f);

#endif
