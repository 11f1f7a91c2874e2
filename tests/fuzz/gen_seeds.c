/*
 * Writes the fuzzers' seed corpora: valid VHDX and VHD files of each
 * kind, built by the unit tests' fixture writer; the VHDX files as
 * sparse images (sparse_image.h), as fuzz_vhdx reads them.
 *
 *   gen_seeds DIR   (creates DIR/vhdx/ and DIR/vhd/ files)
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vdisk_fixture.h"

static int put(int dir, const char *name, uint8_t *b, size_t len)
{
	int ret = b == NULL ? -1 : fx_write(dir, name, b, len);

	talloc_free(b);
	return ret;
}

/*
 * Write @b as a sparse image (sparse_image.h): its size, then each run
 * of non-zero bytes (zero gaps under 16 bytes kept inside a run).
 */
static int put_sparse(int dir, const char *name, uint8_t *b, size_t len)
{
	uint8_t *out = NULL;
	size_t o = 0;
	size_t i = 0;
	int ret = -1;

	if (b == NULL || len > UINT32_MAX) {
		goto done;
	}
	out = talloc_array(b, uint8_t, 4 + len + (len / 16 + 1) * 6);
	if (out == NULL) {
		goto done;
	}
	for (o = 0; o < 4; o++) {
		out[o] = (uint8_t)(len >> (8 * o));
	}
	while (i < len) {
		size_t start, end, zeros = 0, n;

		while (i < len && b[i] == 0) {
			i++;
		}
		if (i == len) {
			break;
		}
		start = i;
		end = i;
		while (i < len && i - start < 0xffff && zeros < 16) {
			if (b[i] != 0) {
				zeros = 0;
				end = i + 1;
			} else {
				zeros++;
			}
			i++;
		}
		n = end - start;
		out[o++] = (uint8_t)start;
		out[o++] = (uint8_t)(start >> 8);
		out[o++] = (uint8_t)(start >> 16);
		out[o++] = (uint8_t)(start >> 24);
		out[o++] = (uint8_t)n;
		out[o++] = (uint8_t)(n >> 8);
		memcpy(out + o, b + start, n);
		o += n;
		i = end;
	}
	ret = fx_write(dir, name, out, o);
done:
	talloc_free(b);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct fx_kv kv[] = {
		{ "parent_linkage", "{" FX_GUID_B "}" },
		{ "relative_path", "..\\base\\base.vhdx" },
		{ "volume_path", "\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\b.vhdx" },
		{ "absolute_win32_path", "\\\\fs\\share\\base\\base.vhdx" },
	};
	static const struct fx_vhd_loc loc[] = {
		{ FX_W2RU, ".\\base.vhd" },
		{ FX_W2KU, "\\\\fs\\share\\base.vhd" },
		{ FX_MACX, "file:///base.vhd" },
	};
	struct fx_vhdx plain = { .seq1 = 1, .seq2 = 2 };
	struct fx_vhdx diff = { .has_parent = true, .kv = kv, .nkv = 4 };
	struct fx_vhd fixed = { .disk_type = FX_VHD_FIXED };
	struct fx_vhd dyn = { .disk_type = FX_VHD_DYNAMIC };
	struct fx_vhd vdiff = { .disk_type = FX_VHD_DIFF, .loc = loc,
				.nloc = 3 };
	char path[4096];
	size_t len = 0;
	int vx, vh;
	int bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds DIR\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/vhdx", argv[1]);
	(void)mkdir(path, 0755);
	vx = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "%s/vhd", argv[1]);
	(void)mkdir(path, 0755);
	vh = open(path, O_RDONLY | O_DIRECTORY);
	if (vx < 0 || vh < 0) {
		perror(argv[1]);
		return 1;
	}
	bad |= put_sparse(vx, "plain.vhdx", fx_vhdx_build(NULL, &plain, &len),
			  len);
	bad |= put_sparse(vx, "diff.avhdx", fx_vhdx_build(NULL, &diff, &len),
			  len);
	bad |= put(vh, "fixed.vhd", fx_vhd_build(NULL, &fixed, &len), len);
	bad |= put(vh, "dynamic.vhd", fx_vhd_build(NULL, &dyn, &len), len);
	bad |= put(vh, "diff.avhd", fx_vhd_build(NULL, &vdiff, &len), len);
	return bad != 0;
}
