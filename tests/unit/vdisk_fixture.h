/*
 * Test fixtures: small VHDX and VHD files built in memory from the
 * published layouts (MS-VHDX; the VHD 1.0 specification), so the tests
 * and the fuzz seeds need no binary files in the repository.  Shared by
 * tests/unit/test_vhdx.c, test_vhd.c, test_layout.c and tests/fuzz/.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_TEST_VDISK_FIXTURE_H
#define RVSS_TEST_VDISK_FIXTURE_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "vhdx.h"

/* ---- little helpers ---------------------------------------------------- */

static inline void fx_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void fx_le32(uint8_t *p, uint32_t v)
{
	fx_le16(p, (uint16_t)v);
	fx_le16(p + 2, (uint16_t)(v >> 16));
}

static inline void fx_le64(uint8_t *p, uint64_t v)
{
	fx_le32(p, (uint32_t)v);
	fx_le32(p + 4, (uint32_t)(v >> 32));
}

static inline void fx_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void fx_be64(uint8_t *p, uint64_t v)
{
	fx_be32(p, (uint32_t)(v >> 32));
	fx_be32(p + 4, (uint32_t)v);
}

/* "01234567-89ab-cdef-0123-456789abcdef" -> on-disk GUID bytes. */
static inline void fx_guid(uint8_t *out, const char *s)
{
	unsigned a, b, c, d[8];

	sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &a, &b, &c,
	       &d[0], &d[1], &d[2], &d[3], &d[4], &d[5], &d[6], &d[7]);
	fx_le32(out, a);
	fx_le16(out + 4, (uint16_t)b);
	fx_le16(out + 6, (uint16_t)c);
	for (int i = 0; i < 8; i++) {
		out[8 + i] = (uint8_t)d[i];
	}
}

/* UTF-8 -> UTF-16LE at @out (no NUL); returns bytes written. */
static inline size_t fx_utf16le(uint8_t *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	while (*p != '\0') {
		uint32_t cp;

		if (*p < 0x80) {
			cp = *p++;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
			p += 2;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = (uint32_t)(p[0] & 0x0f) << 12 |
			     (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
			p += 3;
		} else {
			cp = (uint32_t)(p[0] & 0x07) << 18 |
			     (uint32_t)(p[1] & 0x3f) << 12 |
			     (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
			p += 4;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			fx_le16(out + o, (uint16_t)(0xd800 + (cp >> 10)));
			fx_le16(out + o + 2, (uint16_t)(0xdc00 + (cp & 0x3ff)));
			o += 4;
		} else {
			fx_le16(out + o, (uint16_t)cp);
			o += 2;
		}
	}
	return o;
}

/* ---- VHDX ---------------------------------------------------------------- */

#define FX_VHDX_META_OFF (384u * 1024u)
#define FX_VHDX_META_LEN (128u * 1024u)
#define FX_VHDX_SIZE     (FX_VHDX_META_OFF + FX_VHDX_META_LEN)
#define FX_GUID_A "6b5f2a1e-0c3d-4e6f-8a9b-0c1d2e3f4a5b"
#define FX_GUID_B "11223344-5566-7788-99aa-bbccddeeff00"

struct fx_kv {
	const char *key;
	const char *value;
};

struct fx_vhdx {
	bool has_parent;
	const struct fx_kv *kv;  /* parent locator entries */
	size_t nkv;
	const char *guid1;       /* DataWriteGuid of header 1 (FX_GUID_A) */
	const char *guid2;       /* DataWriteGuid of header 2 (FX_GUID_A) */
	uint64_t seq1, seq2;     /* sequence numbers (1, 0) */
	const char *locator_type; /* default: the VHDX locator type */
};

static inline void fx_vhdx_header(uint8_t *h, uint64_t seq, const char *guid)
{
	memcpy(h, "head", 4);
	fx_le64(h + 8, seq);
	fx_guid(h + 16, FX_GUID_B);              /* FileWriteGuid */
	fx_guid(h + 32, guid);                   /* DataWriteGuid */
	fx_le16(h + 66, 1);                      /* Version */
	fx_le32(h + 68, 1024 * 1024);            /* LogLength */
	fx_le64(h + 72, 1024 * 1024);            /* LogOffset */
	fx_le32(h + 4, rvss_crc32c(h, 4096));
}

/* Recompute the CRC-32C at @csum_off of a structure of @len bytes. */
static inline void fx_vhdx_recrc(uint8_t *p, size_t len, size_t csum_off)
{
	memset(p + csum_off, 0, 4);
	fx_le32(p + csum_off, rvss_crc32c(p, len));
}

/* A VHDX of FX_VHDX_SIZE bytes (no payload blocks: we never read them). */
static inline uint8_t *fx_vhdx_build(TALLOC_CTX *ctx, const struct fx_vhdx *o,
				     size_t *ret_len)
{
	uint8_t *b = talloc_zero_array(ctx, uint8_t, FX_VHDX_SIZE);
	uint8_t *rt = NULL;
	uint8_t *mt = NULL;
	uint8_t *pl = NULL;
	size_t pl_len;
	size_t data;
	size_t i;

	if (b == NULL) {
		return NULL;
	}
	memcpy(b, "vhdxfile", 8);
	fx_utf16le(b + 8, "rvss fixture");
	fx_vhdx_header(b + 64 * 1024, o->seq1 != 0 ? o->seq1 : 1,
		       o->guid1 != NULL ? o->guid1 : FX_GUID_A);
	if (o->seq2 != 0) {
		fx_vhdx_header(b + 128 * 1024, o->seq2,
			       o->guid2 != NULL ? o->guid2 : FX_GUID_A);
	}
	/* Region table: BAT and metadata region. */
	rt = b + 192 * 1024;
	memcpy(rt, "regi", 4);
	fx_le32(rt + 8, 2);
	fx_guid(rt + 16, "2dc27766-f623-4200-9d64-115e9bfd4a08");
	fx_le64(rt + 16 + 16, 320 * 1024);
	fx_le32(rt + 16 + 24, 64 * 1024);
	fx_le32(rt + 16 + 28, 1);
	fx_guid(rt + 48, "8b7ca206-4790-4b9a-b8fe-575f050f886e");
	fx_le64(rt + 48 + 16, FX_VHDX_META_OFF);
	fx_le32(rt + 48 + 24, FX_VHDX_META_LEN);
	fx_le32(rt + 48 + 28, 1);
	fx_vhdx_recrc(rt, 64 * 1024, 4);
	memcpy(b + 256 * 1024, rt, 64 * 1024);

	/* Metadata table: File Parameters, then Parent Locator. */
	mt = b + FX_VHDX_META_OFF;
	memcpy(mt, "metadata", 8);
	fx_le16(mt + 10, o->has_parent ? 2 : 1);
	fx_guid(mt + 32, "caa16737-fa36-4d43-b3b6-33f0aa44e76b");
	fx_le32(mt + 32 + 16, 64 * 1024);
	fx_le32(mt + 32 + 20, 8);
	fx_le32(mt + 32 + 24, 1u << 2); /* IsRequired */
	fx_le32(mt + 64 * 1024, 32 * 1024 * 1024);      /* BlockSize */
	fx_le32(mt + 64 * 1024 + 4, o->has_parent ? 1u << 1 : 0);
	if (!o->has_parent) {
		*ret_len = FX_VHDX_SIZE;
		return b;
	}
	pl = mt + 68 * 1024;
	fx_guid(pl, o->locator_type != NULL ? o->locator_type
					    : "b04aefb7-d19e-4a81-b789-25b8e9445913");
	fx_le16(pl + 18, (uint16_t)o->nkv);
	data = 20 + 12 * o->nkv;
	for (i = 0; i < o->nkv; i++) {
		uint8_t *e = pl + 20 + 12 * i;
		size_t kl = fx_utf16le(pl + data, o->kv[i].key);
		size_t vl;

		fx_le32(e, (uint32_t)data);
		fx_le16(e + 8, (uint16_t)kl);
		data += kl;
		vl = fx_utf16le(pl + data, o->kv[i].value);
		fx_le32(e + 4, (uint32_t)data);
		fx_le16(e + 10, (uint16_t)vl);
		data += vl;
	}
	pl_len = data;
	fx_guid(mt + 64, "a8d35f2d-b30b-454d-abf7-d3d84834ab0c");
	fx_le32(mt + 64 + 16, 68 * 1024);
	fx_le32(mt + 64 + 20, (uint32_t)pl_len);
	fx_le32(mt + 64 + 24, 1u << 2);
	*ret_len = FX_VHDX_SIZE;
	return b;
}

/* ---- VHD ----------------------------------------------------------------- */

#define FX_VHD_FIXED 2u
#define FX_VHD_DYNAMIC 3u
#define FX_VHD_DIFF 4u
#define FX_W2RU 0x57327275u
#define FX_W2KU 0x57326b75u
#define FX_MACX 0x4d616358u

struct fx_vhd_loc {
	uint32_t code;
	const char *path;
};

struct fx_vhd {
	uint32_t disk_type;
	const struct fx_vhd_loc *loc;  /* at most 8 */
	size_t nloc;
};

static inline void fx_vhd_sum(uint8_t *p, size_t len, size_t csum_off)
{
	uint32_t sum = 0;
	size_t i;

	memset(p + csum_off, 0, 4);
	for (i = 0; i < len; i++) {
		sum += p[i];
	}
	fx_be32(p + csum_off, ~sum);
}

/*
 * Fixed: 512 bytes of data + footer.  Dynamic/differencing: footer copy,
 * dynamic header at 512, one sector per locator from 1536, a one-entry
 * BAT, footer.
 */
static inline uint8_t *fx_vhd_build(TALLOC_CTX *ctx, const struct fx_vhd *o,
				    size_t *ret_len)
{
	bool fixed = o->disk_type == FX_VHD_FIXED;
	size_t len = fixed ? 1024 : 1536 + 512 * o->nloc + 512 + 512;
	uint8_t *b = talloc_zero_array(ctx, uint8_t, len);
	uint8_t *f = NULL;
	uint8_t *d = NULL;
	size_t i;

	if (b == NULL) {
		return NULL;
	}
	f = b + len - 512;
	memcpy(f, "conectix", 8);
	fx_be32(f + 8, 2);
	fx_be32(f + 12, 0x00010000);
	fx_be64(f + 16, fixed ? UINT64_MAX : 512);
	memcpy(f + 28, "rvss", 4);
	fx_be64(f + 40, 512);
	fx_be64(f + 48, 512);
	fx_be32(f + 60, o->disk_type);
	f[68] = 0x42;
	fx_vhd_sum(f, 512, 64);
	if (fixed) {
		*ret_len = len;
		return b;
	}
	memcpy(b, f, 512);
	d = b + 512;
	memcpy(d, "cxsparse", 8);
	fx_be64(d + 8, UINT64_MAX);
	fx_be64(d + 16, 1536 + 512 * o->nloc);
	fx_be32(d + 24, 0x00010000);
	fx_be32(d + 28, 1);
	fx_be32(d + 32, 2 * 1024 * 1024);
	for (i = 0; i < o->nloc && i < 8; i++) {
		uint8_t *e = d + 576 + 24 * i;
		size_t n = fx_utf16le(b + 1536 + 512 * i, o->loc[i].path);

		fx_be32(e, o->loc[i].code);
		fx_be32(e + 4, 1);
		fx_be32(e + 8, (uint32_t)n);
		fx_be64(e + 16, 1536 + 512 * i);
	}
	fx_vhd_sum(d, 1024, 36);
	memset(b + 1536 + 512 * o->nloc, 0xff, 4); /* BAT: block unused */
	*ret_len = len;
	return b;
}

/* Write @len bytes of @buf as @name in @dirfd; 0 or -1. */
static inline int fx_write(int dirfd, const char *name, const uint8_t *buf,
			   size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0644);
	ssize_t n;

	if (fd < 0) {
		return -1;
	}
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

#endif
