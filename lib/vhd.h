/*
 * rvss — VHD reader (Microsoft "Virtual Hard Disk Image Format
 * Specification" 1.0): footer, dynamic disk header, parent locator entries.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_VHD_H
#define RVSS_VHD_H

#include <talloc.h>

#include "vdisk.h"

/**
 * @brief Read the VHD in @src: the footer (last 512 bytes, or its copy at
 * offset 0), and for a differencing disk (disk type 4) the dynamic disk
 * header and its parent locator entries with platform codes W2ru
 * (relative) and W2ku (absolute), UTF-16LE.  Other platform codes are
 * ignored.
 *
 * @return 0; -EBADMSG (not a VHD or corrupt: cookie, checksum, offsets);
 *         -EIO/-errno (read); -ENOMEM.
 */
int rvss_vhd_read(TALLOC_CTX *mem_ctx, const struct rvss_vdisk_src *src,
		  struct rvss_vdisk_info **ret_info);

#endif
