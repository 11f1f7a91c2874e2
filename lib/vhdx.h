/*
 * rvss — VHDX reader (MS-VHDX): just enough to tell whether a file is a
 * differencing disk and where its parent locator says the parent is.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_VHDX_H
#define RVSS_VHDX_H

#include <stdint.h>
#include <stddef.h>
#include <talloc.h>

#include "vdisk.h"

/**
 * @brief CRC-32C (Castagnoli) of @len bytes, as MS-VHDX checksums use it.
 */
uint32_t rvss_crc32c(const void *buf, size_t len);

/**
 * @brief Read the VHDX in @src: file identifier, the current header (of
 * two, by sequence number among those with a valid CRC-32C), the region
 * table (or its copy), the metadata table, File Parameters (HasParent) and
 * the Parent Locator item (VHDX locator type; keys parent_linkage,
 * relative_path, volume_path, absolute_win32_path; UTF-16LE).
 *
 * @param[out] ret_info  on success, child of @mem_ctx.
 * @return 0; -EBADMSG (not a VHDX, or corrupt: bad signature, checksum,
 *         offset, length or count); -EIO/-errno (read); -ENOMEM.
 */
int rvss_vhdx_read(TALLOC_CTX *mem_ctx, const struct rvss_vdisk_src *src,
		   struct rvss_vdisk_info **ret_info);

#endif
