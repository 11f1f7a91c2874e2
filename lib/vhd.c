/*
 * rvss — VHD reader, written from Microsoft's "Virtual Hard Disk Image
 * Format Specification" (version 1.0): the hard disk footer (512 bytes at
 * the end of the file; dynamic and differencing disks keep a copy at
 * offset 0), the dynamic disk header it points to, and that header's eight
 * parent locator entries.
 *
 * Integers are big-endian.  Footer and header checksums are the one's
 * complement of the byte sum with the checksum field left out.  The
 * platform data of W2ru/W2ku locators is a UTF-16LE Windows path, the
 * Parent Unicode Name is UTF-16BE (we do not need it).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "vhd.h"

#include <errno.h>
#include <string.h>

#define VHD_FOOTER_SIZE   512u
#define VHD_DYN_SIZE      1024u
#define VHD_TYPE_DIFF     4u
#define VHD_LOCATORS      8u
#define VHD_LOCATOR_OFF   576u
#define VHD_LOCATOR_MAX   (64u * 1024u) /* far above any Windows path */

#define PLAT_W2RU 0x57327275u /* "W2ru": relative, UTF-16LE */
#define PLAT_W2KU 0x57326b75u /* "W2ku": absolute, UTF-16LE */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static bool vhd_checksum_ok(const uint8_t *buf, size_t len, size_t csum_off)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (i >= csum_off && i < csum_off + 4) {
			continue;
		}
		sum += buf[i];
	}
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	/* Let the fuzzer past the checksums to the structures behind them. */
	return ~sum == be32(buf + csum_off) || be32(buf + csum_off) != 0;
#else
	return ~sum == be32(buf + csum_off);
#endif
}

static int read_footer(const struct rvss_vdisk_src *src, uint8_t *footer)
{
	uint64_t offs[3];
	size_t n = 0;
	size_t i;
	int ret;

	if (src->size < VHD_FOOTER_SIZE) {
		return -EBADMSG;
	}
	offs[n++] = src->size - VHD_FOOTER_SIZE;
	/* Products before Virtual PC 2004 wrote a 511-byte footer. */
	offs[n++] = src->size - (VHD_FOOTER_SIZE - 1);
	/* The copy at the start of dynamic and differencing disks. */
	offs[n++] = 0;
	for (i = 0; i < n; i++) {
		ret = rvss_vdisk_read(src, footer, VHD_FOOTER_SIZE, offs[i]);
		if (ret == -EBADMSG) {
			continue;
		}
		if (ret != 0) {
			return ret;
		}
		if (memcmp(footer, "conectix", 8) == 0 &&
		    vhd_checksum_ok(footer, VHD_FOOTER_SIZE, 64)) {
			return 0;
		}
	}
	return -EBADMSG;
}

int rvss_vhd_read(TALLOC_CTX *mem_ctx, const struct rvss_vdisk_src *src,
		  struct rvss_vdisk_info **ret_info)
{
	TALLOC_CTX *tmp = NULL;
	struct rvss_vdisk_info *info = NULL;
	uint8_t footer[VHD_FOOTER_SIZE];
	uint8_t dyn[VHD_DYN_SIZE];
	uint8_t *data = NULL;
	uint64_t dyn_off;
	unsigned i;
	int ret;

	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	info = talloc_zero(tmp, struct rvss_vdisk_info);
	if (info == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	ret = read_footer(src, footer);
	if (ret != 0) {
		goto done;
	}
	info->differencing = be32(footer + 60) == VHD_TYPE_DIFF;
	if (!info->differencing) {
		goto found;
	}
	dyn_off = be64(footer + 16);
	ret = rvss_vdisk_read(src, dyn, sizeof(dyn), dyn_off);
	if (ret != 0) {
		goto done;
	}
	if (memcmp(dyn, "cxsparse", 8) != 0 ||
	    !vhd_checksum_ok(dyn, sizeof(dyn), 36)) {
		ret = -EBADMSG;
		goto done;
	}
	for (i = 0; i < VHD_LOCATORS; i++) {
		const uint8_t *e = dyn + VHD_LOCATOR_OFF + 24 * i;
		uint32_t code = be32(e);
		uint32_t len = be32(e + 8);
		uint64_t off = be64(e + 16);
		struct rvss_vdisk_parent_path *n = NULL;
		char *path = NULL;

		if (code != PLAT_W2RU && code != PLAT_W2KU) {
			continue; /* none, Mac, MacX, deprecated Wi2r/Wi2k */
		}
		if (len == 0 || len > VHD_LOCATOR_MAX) {
			ret = -EBADMSG;
			goto done;
		}
		data = talloc_array(tmp, uint8_t, len);
		if (data == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		ret = rvss_vdisk_read(src, data, len, off);
		if (ret != 0) {
			goto done;
		}
		path = rvss_utf16_to_utf8(info, data, len, false);
		TALLOC_FREE(data);
		if (path == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		if (path[0] == '\0') {
			continue;
		}
		n = talloc_realloc(info, info->paths,
				   struct rvss_vdisk_parent_path,
				   info->num_paths + 1);
		if (n == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		info->paths = n;
		n[info->num_paths].kind = code == PLAT_W2RU
			? RVSS_VDISK_PATH_RELATIVE : RVSS_VDISK_PATH_ABSOLUTE;
		n[info->num_paths].path = path;
		info->num_paths++;
	}
	/* Try relative locators first, as for VHDX. */
	for (i = 1; i < info->num_paths; i++) {
		struct rvss_vdisk_parent_path t = info->paths[i];
		size_t j = i;

		while (j > 0 && info->paths[j - 1].kind > t.kind) {
			info->paths[j] = info->paths[j - 1];
			j--;
		}
		info->paths[j] = t;
	}
found:
	*ret_info = talloc_steal(mem_ctx, info);
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}
