/*
 * rvss — the hard-link rule's bookkeeping for the layout walk (layout.c):
 * which regular files have more links than the walk finds inside the
 * share?
 *
 * The walk hands over each directory batch's regular files (inode number
 * and name) and goes on reading directories; the link counts are fetched
 * meanwhile, by helper threads if there are any:
 *   - on btrfs, as root: in bulk from the subvolume's b-tree
 *     (rvss_btrfs_inode_nlinks), one ioctl per few hundred files, after
 *     one transaction commit so the tree is current;
 *   - otherwise (or for a file the tree does not hold yet): one statx
 *     each.
 * Files with one link are forgotten at once; a file with more goes into a
 * hash of (dev, ino) -> links seen, capped at max_links.  Memory is that
 * hash plus a fixed ring of batches, whatever the size of the tree.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_LINKS_H
#define RVSS_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

struct rvss_links;

/** Most files in one rvss_links_add() call. */
#define RVSS_LINKS_BATCH_MAX 1024

/** One regular file of a batch: its d_ino and its name in the batch. */
struct rvss_links_ent {
	uint64_t ino;
	uint32_t name_off;
};

struct rvss_links_opts {
	/** The walked root: its device, and the subvolume searched. */
	int root_fd;
	/** Helper threads (0: everything in the caller's thread). */
	unsigned helpers;
	/** Hard-linked files tracked; more make the result incomplete. */
	size_t max_links;
	/** Try the btrfs tree search (commits the current transaction). */
	bool tree_search;
	/** A file whose statx failed (not ENOENT): path relative to the
	 *  root.  Called by rvss_links_finish(), on the caller's thread. */
	void (*on_error)(void *priv, const char *path, int err);
	void *priv;
};

/** @brief Start; a child of @mem_ctx (freeing it stops the helpers). */
int rvss_links_start(TALLOC_CTX *mem_ctx, const struct rvss_links_opts *o,
		     struct rvss_links **ret);

/**
 * @brief The regular files @ents[0..n) of directory @dirfd, whose path
 * relative to the root is the first @dir_len bytes of @dir.  Names are
 * @names + name_off.  Everything is copied; @dirfd is duplicated.
 * @return 0; -EINVAL (@n > RVSS_LINKS_BATCH_MAX); -ENOMEM; -errno (dup).
 */
int rvss_links_add(struct rvss_links *l, int dirfd, const char *dir,
		   size_t dir_len, const struct rvss_links_ent *ents,
		   unsigned n, const char *names);

/** @brief A file the caller statted itself (nlink > 1). */
void rvss_links_count(struct rvss_links *l, uint64_t dev, uint64_t ino,
		      uint32_t nlink, const char *path);

/** @brief Wait until every batch is counted; stop the helpers; pass the
 *  statx failures to on_error.
 *  @return 0 or -ENOMEM (a count was lost). */
int rvss_links_finish(struct rvss_links *l);

/** @brief After finish: NULL, or the first file that did not fit. */
const char *rvss_links_overflow(const struct rvss_links *l);

/** @brief After finish: were link counts read from the btrfs tree? */
bool rvss_links_used_tree_search(const struct rvss_links *l);

/** @brief After finish: each file with links outside what was seen, with
 *  the first (smallest) of its paths. */
void rvss_links_report(const struct rvss_links *l,
		       void (*fn)(void *priv, const char *path,
				  uint32_t nlink, uint32_t seen),
		       void *priv);

#endif
