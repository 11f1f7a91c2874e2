/*
 * rvss — VHDX reader, written from [MS-VHDX] (Microsoft Open
 * Specifications): section 2.1 file layout, 2.2 file type identifier and
 * headers, 2.3 region table, 2.6 metadata region (2.6.2.1 File Parameters,
 * 2.6.2.6 Parent Locator, 2.6.2.6.3 VHDX parent locator).
 *
 * All integers are little-endian; GUIDs are stored as Data1 (LE32), Data2
 * (LE16), Data3 (LE16), Data4 (8 bytes).  Checksums are CRC-32C over the
 * whole structure with the checksum field taken as zero.  Nothing here
 * trusts a value read from the file: offsets, lengths and counts are
 * checked against the file size and the specification's limits before use.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "vhdx.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define KIB 1024u
#define MIB (1024u * 1024u)

#define VHDX_HEADER1_OFF   (64 * KIB)
#define VHDX_HEADER2_OFF   (128 * KIB)
#define VHDX_HEADER_SIZE   (4 * KIB)
#define VHDX_REGION1_OFF   (192 * KIB)
#define VHDX_REGION2_OFF   (256 * KIB)
#define VHDX_REGION_SIZE   (64 * KIB)
#define VHDX_REGION_MAX    2047u
#define VHDX_META_TABLE    (64 * KIB)
#define VHDX_META_MAX      2047u
#define VHDX_ITEM_MAX      (1 * MIB)

#define GUID_METADATA_REGION "8b7ca206-4790-4b9a-b8fe-575f050f886e"
#define GUID_FILE_PARAMETERS "caa16737-fa36-4d43-b3b6-33f0aa44e76b"
#define GUID_PARENT_LOCATOR  "a8d35f2d-b30b-454d-abf7-d3d84834ab0c"
#define GUID_VHDX_LOCATOR    "b04aefb7-d19e-4a81-b789-25b8e9445913"

/* File Parameters flags (2.6.2.1). */
#define FP_HAS_PARENT (1u << 1)

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
	uint32_t i;
	int k;

	/* Reflected Castagnoli polynomial 0x1edc6f41. */
	for (i = 0; i < 256; i++) {
		uint32_t c = i;

		for (k = 0; k < 8; k++) {
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
		}
		crc32c_table[i] = c;
	}
}

uint32_t rvss_crc32c(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;
	size_t i;

	(void)pthread_once(&crc32c_once, crc32c_init);
	for (i = 0; i < len; i++) {
		crc = (crc >> 8) ^ crc32c_table[(crc ^ p[i]) & 0xff];
	}
	return ~crc;
}

/* CRC-32C of @len bytes with the 4 checksum bytes at @csum_off as zero. */
static bool checksum_ok(uint8_t *buf, size_t len, size_t csum_off)
{
	uint32_t want = le32(buf + csum_off);
	uint32_t got;

	memset(buf + csum_off, 0, 4);
	got = rvss_crc32c(buf, len);
	buf[csum_off] = (uint8_t)want;
	buf[csum_off + 1] = (uint8_t)(want >> 8);
	buf[csum_off + 2] = (uint8_t)(want >> 16);
	buf[csum_off + 3] = (uint8_t)(want >> 24);
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* Let the fuzzer past the checksums to the structures behind them. */
	return got == want || want != 0;
#else
	return got == want;
#endif
}

static void guid_str(const uint8_t *g, char out[37])
{
	snprintf(out, 37,
		 "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 le32(g), le16(g + 4), le16(g + 6), g[8], g[9], g[10], g[11],
		 g[12], g[13], g[14], g[15]);
}

static bool guid_is(const uint8_t *g, const char *want)
{
	char s[37];

	guid_str(g, s);
	return strcasecmp(s, want) == 0;
}

/* The current header: valid signature and checksum, highest sequence. */
static int read_header(TALLOC_CTX *mem_ctx, const struct rvss_vdisk_src *src,
		       char **ret_data_write_guid)
{
	static const uint64_t offs[2] = { VHDX_HEADER1_OFF, VHDX_HEADER2_OFF };
	uint8_t buf[VHDX_HEADER_SIZE];
	uint8_t best_guid[16];
	uint64_t best_seq = 0;
	bool found = false;
	char s[37];
	int i;
	int ret;

	for (i = 0; i < 2; i++) {
		uint64_t seq;

		ret = rvss_vdisk_read(src, buf, sizeof(buf), offs[i]);
		if (ret == -EBADMSG) {
			continue;
		}
		if (ret != 0) {
			return ret;
		}
		if (memcmp(buf, "head", 4) != 0 ||
		    !checksum_ok(buf, sizeof(buf), 4) || le16(buf + 66) != 1) {
			continue;
		}
		seq = le64(buf + 8);
		if (!found || seq > best_seq) {
			found = true;
			best_seq = seq;
			memcpy(best_guid, buf + 32, 16);
		}
	}
	if (!found) {
		return -EBADMSG;
	}
	guid_str(best_guid, s);
	*ret_data_write_guid = talloc_asprintf(mem_ctx, "{%s}", s);
	return *ret_data_write_guid == NULL ? -ENOMEM : 0;
}

/* Offset and length of the metadata region from a valid region table. */
static int find_metadata_region(const struct rvss_vdisk_src *src,
				uint8_t *buf, uint64_t *ret_off,
				uint32_t *ret_len)
{
	static const uint64_t offs[2] = { VHDX_REGION1_OFF, VHDX_REGION2_OFF };
	int i;
	int ret;

	for (i = 0; i < 2; i++) {
		uint32_t count;
		uint32_t e;

		ret = rvss_vdisk_read(src, buf, VHDX_REGION_SIZE, offs[i]);
		if (ret == -EBADMSG) {
			continue;
		}
		if (ret != 0) {
			return ret;
		}
		if (memcmp(buf, "regi", 4) != 0 ||
		    !checksum_ok(buf, VHDX_REGION_SIZE, 4)) {
			continue;
		}
		count = le32(buf + 8);
		if (count > VHDX_REGION_MAX) {
			continue;
		}
		for (e = 0; e < count; e++) {
			const uint8_t *ent = buf + 16 + 32 * (size_t)e;

			if (guid_is(ent, GUID_METADATA_REGION)) {
				*ret_off = le64(ent + 16);
				*ret_len = le32(ent + 24);
				return 0;
			}
		}
		/* A valid table without a metadata region: corrupt file. */
		return -EBADMSG;
	}
	return -EBADMSG;
}

static int add_path(struct rvss_vdisk_info *info, enum rvss_vdisk_path_kind k,
		    char *path)
{
	struct rvss_vdisk_parent_path *n = NULL;

	n = talloc_realloc(info, info->paths, struct rvss_vdisk_parent_path,
			   info->num_paths + 1);
	if (n == NULL) {
		return -ENOMEM;
	}
	info->paths = n;
	n[info->num_paths].kind = k;
	n[info->num_paths].path = talloc_steal(info, path);
	info->num_paths++;
	return 0;
}

/* Parse the Parent Locator item (2.6.2.6) of @len bytes in @item. */
static int parse_locator(struct rvss_vdisk_info *info, const uint8_t *item,
			 size_t len)
{
	static const struct {
		const char *key;
		enum rvss_vdisk_path_kind kind;
	} order[] = {
		{ "relative_path", RVSS_VDISK_PATH_RELATIVE },
		{ "volume_path", RVSS_VDISK_PATH_VOLUME },
		{ "absolute_win32_path", RVSS_VDISK_PATH_ABSOLUTE },
	};
	TALLOC_CTX *tmp = NULL;
	char **keys = NULL;
	char **vals = NULL;
	uint16_t count;
	size_t i;
	size_t k;
	int ret;

	if (len < 20) {
		return -EBADMSG;
	}
	if (!guid_is(item, GUID_VHDX_LOCATOR)) {
		/* Another locator type: the parent cannot be located by us;
		 * the caller sees a differencing disk without paths. */
		return 0;
	}
	count = le16(item + 18);
	if ((size_t)count * 12 > len - 20) {
		return -EBADMSG;
	}
	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	keys = talloc_zero_array(tmp, char *, count + 1);
	vals = talloc_zero_array(tmp, char *, count + 1);
	if (keys == NULL || vals == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	for (i = 0; i < count; i++) {
		const uint8_t *e = item + 20 + 12 * i;
		uint32_t koff = le32(e);
		uint32_t voff = le32(e + 4);
		uint16_t klen = le16(e + 8);
		uint16_t vlen = le16(e + 10);

		if (koff > len || klen > len - koff || voff > len ||
		    vlen > len - voff) {
			ret = -EBADMSG;
			goto done;
		}
		keys[i] = rvss_utf16_to_utf8(keys, item + koff, klen, false);
		vals[i] = rvss_utf16_to_utf8(vals, item + voff, vlen, false);
		if (keys[i] == NULL || vals[i] == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		if (strcmp(keys[i], "parent_linkage") == 0 &&
		    info->parent_linkage == NULL) {
			info->parent_linkage = talloc_strdup(info, vals[i]);
			if (info->parent_linkage == NULL) {
				ret = -ENOMEM;
				goto done;
			}
		}
	}
	/* In the order the specification says to try them. */
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (i = 0; i < count; i++) {
			if (strcmp(keys[i], order[k].key) != 0 ||
			    vals[i][0] == '\0') {
				continue;
			}
			ret = add_path(info, order[k].kind, vals[i]);
			if (ret != 0) {
				goto done;
			}
		}
	}
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}

int rvss_vhdx_read(TALLOC_CTX *mem_ctx, const struct rvss_vdisk_src *src,
		   struct rvss_vdisk_info **ret_info)
{
	TALLOC_CTX *tmp = NULL;
	struct rvss_vdisk_info *info = NULL;
	uint8_t *buf = NULL;
	uint8_t *item = NULL;
	uint8_t sig[8];
	uint64_t meta_off = 0;
	uint32_t meta_len = 0;
	uint32_t fp_off = 0, fp_len = 0, pl_off = 0, pl_len = 0;
	bool have_fp = false, have_pl = false;
	uint16_t count;
	uint32_t e;
	int ret;

	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	info = talloc_zero(tmp, struct rvss_vdisk_info);
	buf = talloc_array(tmp, uint8_t, VHDX_REGION_SIZE);
	if (info == NULL || buf == NULL) {
		ret = -ENOMEM;
		goto done;
	}

	ret = rvss_vdisk_read(src, sig, sizeof(sig), 0);
	if (ret != 0) {
		goto done;
	}
	if (memcmp(sig, "vhdxfile", 8) != 0) {
		ret = -EBADMSG;
		goto done;
	}
	ret = read_header(info, src, &info->data_write_guid);
	if (ret != 0) {
		goto done;
	}
	ret = find_metadata_region(src, buf, &meta_off, &meta_len);
	if (ret != 0) {
		goto done;
	}
	if (meta_len < VHDX_META_TABLE) {
		ret = -EBADMSG;
		goto done;
	}
	ret = rvss_vdisk_read(src, buf, VHDX_META_TABLE, meta_off);
	if (ret != 0) {
		goto done;
	}
	if (memcmp(buf, "metadata", 8) != 0) {
		ret = -EBADMSG;
		goto done;
	}
	count = le16(buf + 10);
	if (count > VHDX_META_MAX) {
		ret = -EBADMSG;
		goto done;
	}
	for (e = 0; e < count; e++) {
		const uint8_t *ent = buf + 32 + 32 * (size_t)e;
		uint32_t off = le32(ent + 16);
		uint32_t len = le32(ent + 20);

		if (len == 0) {
			continue; /* present but empty (2.6.1.2) */
		}
		if (off < VHDX_META_TABLE || len > VHDX_ITEM_MAX ||
		    off > meta_len || len > meta_len - off) {
			ret = -EBADMSG;
			goto done;
		}
		if (guid_is(ent, GUID_FILE_PARAMETERS)) {
			have_fp = true;
			fp_off = off;
			fp_len = len;
		} else if (guid_is(ent, GUID_PARENT_LOCATOR)) {
			have_pl = true;
			pl_off = off;
			pl_len = len;
		}
	}
	if (!have_fp || fp_len < 8) {
		/* File Parameters is a required item. */
		ret = -EBADMSG;
		goto done;
	}
	ret = rvss_vdisk_read(src, buf, 8, meta_off + fp_off);
	if (ret != 0) {
		goto done;
	}
	info->differencing = (le32(buf + 4) & FP_HAS_PARENT) != 0;
	if (info->differencing && have_pl) {
		item = talloc_array(tmp, uint8_t, pl_len);
		if (item == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		ret = rvss_vdisk_read(src, item, pl_len, meta_off + pl_off);
		if (ret != 0) {
			goto done;
		}
		ret = parse_locator(info, item, pl_len);
		if (ret != 0) {
			goto done;
		}
	}
	*ret_info = talloc_steal(mem_ctx, info);
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}
