/*
 * A sparse disk image for the fuzzers: a VHDX file is at least 512 KiB,
 * almost all zeros, and libFuzzer mutating whole images ran at ~700
 * inputs/s.  The input instead lists the non-zero parts:
 *
 *     input := size:u32le chunk*
 *     chunk := offset:u32le length:u16le bytes[length]
 *
 * The image is @size bytes of zeros overlaid with each chunk in order (a
 * later chunk wins; bytes beyond @size are dropped; a short last chunk
 * is cut where the input ends).  It is read through an rvss_vdisk_src
 * whose pread, like rvss_vdisk_src_mem()'s, fails with -EIO past the end.
 *
 * sparse_encode() writes a flat image in this form (gen_seeds).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_FUZZ_SPARSE_IMAGE_H
#define RVSS_FUZZ_SPARSE_IMAGE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vdisk.h"

struct sparse_image {
	const uint8_t *data;    /* the chunks, after the size */
	size_t len;
	uint32_t size;
};

static inline uint32_t sparse_u32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int sparse_pread(const struct rvss_vdisk_src *src, void *buf,
			size_t len, uint64_t off)
{
	const struct sparse_image *im = src->priv;
	size_t pos = 0;

	if (off > im->size || len > im->size - off) {
		return -EIO;
	}
	memset(buf, 0, len);
	while (im->len - pos >= 6) {
		uint64_t c_off = sparse_u32(im->data + pos);
		size_t c_len = im->data[pos + 4] |
			       (size_t)im->data[pos + 5] << 8;
		const uint8_t *c = im->data + pos + 6;
		uint64_t lo, hi;

		pos += 6;
		if (c_len > im->len - pos) {
			c_len = im->len - pos;
		}
		pos += c_len;
		lo = c_off > off ? c_off : off;
		hi = c_off + c_len < off + len ? c_off + c_len : off + len;
		if (lo < hi) {
			memcpy((uint8_t *)buf + (lo - off), c + (lo - c_off),
			       hi - lo);
		}
	}
	return 0;
}

/* Set @src to read the sparse image in @data (false: too short). */
static inline bool sparse_src(const uint8_t *data, size_t size,
			      struct sparse_image *im,
			      struct rvss_vdisk_src *src)
{
	if (size < 4) {
		return false;
	}
	im->size = sparse_u32(data);
	im->data = data + 4;
	im->len = size - 4;
	src->pread = sparse_pread;
	src->size = im->size;
	src->fd = -1;
	src->priv = im;
	return true;
}

#endif
