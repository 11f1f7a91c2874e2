/*
 * libFuzzer target: the VHDX reader on arbitrary images, given as a
 * sparse image (sparse_image.h: a size and the non-zero chunks) so that
 * inputs stay a few KiB while the image is the 512 KiB+ a VHDX needs.
 * It must return 0 or -EBADMSG (never crash, hang or leak), and on
 * success hand back paths that are NUL-terminated UTF-8 the mapper
 * accepts.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "sparse_image.h"
#include "vdisk.h"
#include "vhdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TALLOC_CTX *ctx = NULL;
	struct sparse_image im;
	struct rvss_vdisk_src src;
	struct rvss_vdisk_info *info = NULL;
	size_t i;
	int ret;

	if (!sparse_src(data, size, &im, &src)) {
		return 0;
	}
	ctx = talloc_new(NULL);
	ret = rvss_vhdx_read(ctx, &src, &info);
	if (ret != 0 && ret != -EBADMSG) {
		abort();
	}
	for (i = 0; ret == 0 && i < info->num_paths; i++) {
		char *rel = NULL;

		(void)rvss_vdisk_map_parent(ctx, "vm/dir", &info->paths[i],
					    "share", &rel);
	}
	talloc_free(ctx);
	return 0;
}
