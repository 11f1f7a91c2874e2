/*
 * rvss — what the share-layout check needs to know about a virtual disk
 * file: is it a differencing disk, and where does it say its parent lives.
 * Shared by the VHDX reader (vhdx.h) and the VHD reader (vhd.h), plus the
 * mapping of a Windows parent path onto the share.
 *
 * Readers never read a whole disk file: they pull the few structures they
 * need through a struct rvss_vdisk_src (a pread callback), so the same code
 * runs on a file descriptor, on a test's memory buffer and under libFuzzer.
 * Every offset and length read from the file is bounds-checked against the
 * file size and against fixed caps before it is used.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_VDISK_H
#define RVSS_VDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

/** Where a disk image's bytes come from. */
struct rvss_vdisk_src {
	/** Read exactly @len bytes at @off: 0, -EIO (short read), -errno. */
	int (*pread)(const struct rvss_vdisk_src *src, void *buf, size_t len,
		     uint64_t off);
	uint64_t size; /**< file size in bytes */
	int fd;        /**< rvss_vdisk_src_fd(): the file, not owned */
	void *priv;    /**< rvss_vdisk_src_mem(): the buffer */
};

/** Which kind of locator a parent path came from. */
enum rvss_vdisk_path_kind {
	RVSS_VDISK_PATH_RELATIVE = 0, /**< VHDX relative_path, VHD W2ru */
	RVSS_VDISK_PATH_VOLUME,       /**< VHDX volume_path (\\?\Volume{..}\..) */
	RVSS_VDISK_PATH_ABSOLUTE,     /**< VHDX absolute_win32_path, VHD W2ku */
};

struct rvss_vdisk_parent_path {
	enum rvss_vdisk_path_kind kind;
	char *path; /**< UTF-8, as stored: Windows separators */
};

/** What a reader found.  All strings are children of this struct. */
struct rvss_vdisk_info {
	bool differencing;
	/** VHDX: the parent's expected DataWriteGuid ("{...}"), else NULL. */
	char *parent_linkage;
	/** VHDX: this file's DataWriteGuid, lowercase "{...}", else NULL. */
	char *data_write_guid;
	/** Parent locations in the order an implementation must try them. */
	struct rvss_vdisk_parent_path *paths;
	size_t num_paths;
};

/**
 * @brief Read @len bytes at @off of a structure that must lie inside the
 * file.  @return 0; -EBADMSG (outside the file: truncated or corrupt);
 * -EIO/-errno.
 */
int rvss_vdisk_read(const struct rvss_vdisk_src *src, void *buf, size_t len,
		    uint64_t off);

/** @brief A source reading the open file @fd (size from fstat). 0/-errno. */
int rvss_vdisk_src_fd(int fd, struct rvss_vdisk_src *ret_src);

/** A source over a memory buffer (tests, fuzzing). */
struct rvss_vdisk_mem {
	const uint8_t *data;
	size_t len;
};
/** @brief Fill @ret_src to read @mem (which must outlive the source). */
void rvss_vdisk_src_mem(struct rvss_vdisk_mem *mem,
			struct rvss_vdisk_src *ret_src);

/**
 * @brief Decode UTF-16 (@big_endian or little) of @len bytes into UTF-8.
 * Stops at the first NUL unit; unpaired surrogates become U+FFFD.
 * @return the string (child of @mem_ctx) or NULL (out of memory).
 */
char *rvss_utf16_to_utf8(TALLOC_CTX *mem_ctx, const uint8_t *buf, size_t len,
			 bool big_endian);

/**
 * @brief Map a parent path of a differencing disk onto the share.
 *
 * @param[in] child_dir   directory of the child, relative to the share root
 *                        ("" for the root), '/'-separated.
 * @param[in] p           the parent path as stored in the disk.
 * @param[in] share_name  the SMB share name, to recognise \\server\share\..
 *                        paths (NULL: absolute paths are never recognised).
 * @param[out] ret_rel    the parent relative to the share root,
 *                        '/'-separated, when it lies inside.
 * @return 0 inside; -EXDEV outside the share or not recognisable;
 *         -EINVAL empty path; -ENOMEM.
 */
int rvss_vdisk_map_parent(TALLOC_CTX *mem_ctx, const char *child_dir,
			  const struct rvss_vdisk_parent_path *p,
			  const char *share_name, char **ret_rel);

#endif
