/*
 * Writes the fuzzers' seed corpora: valid VHDX and VHD files of each
 * kind, built by the unit tests' fixture writer.
 *
 *   gen_seeds DIR   (creates DIR/vhdx/ and DIR/vhd/ files)
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "vdisk_fixture.h"

static int put(int dir, const char *name, uint8_t *b, size_t len)
{
	int ret = b == NULL ? -1 : fx_write(dir, name, b, len);

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
	bad |= put(vx, "plain.vhdx", fx_vhdx_build(NULL, &plain, &len), len);
	bad |= put(vx, "diff.avhdx", fx_vhdx_build(NULL, &diff, &len), len);
	bad |= put(vh, "fixed.vhd", fx_vhd_build(NULL, &fixed, &len), len);
	bad |= put(vh, "dynamic.vhd", fx_vhd_build(NULL, &dyn, &len), len);
	bad |= put(vh, "diff.avhd", fx_vhd_build(NULL, &vdiff, &len), len);
	return bad != 0;
}
