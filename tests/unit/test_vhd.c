/*
 * Unit tests: the VHD reader (lib/vhd.c).  Fixtures are built in memory by
 * vdisk_fixture.h.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <talloc.h>

#include "vdisk.h"
#include "vdisk_fixture.h"
#include "vhd.h"

static int setup(void **state)
{
	*state = talloc_new(NULL);
	return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	assert_int_equal(talloc_total_blocks(*state), 1);
	talloc_free(*state);
	return 0;
}

static int read_buf(TALLOC_CTX *ctx, const uint8_t *buf, size_t len,
		    struct rvss_vdisk_info **ret)
{
	struct rvss_vdisk_mem mem = { .data = buf, .len = len };
	struct rvss_vdisk_src src;

	rvss_vdisk_src_mem(&mem, &src);
	return rvss_vhd_read(ctx, &src, ret);
}

static const struct fx_vhd_loc two_locators[] = {
	{ FX_W2KU, "C:\\vms\\base.vhd" },
	{ FX_W2RU, ".\\base.vhd" },
};

static void test_vhd_fixed_not_differencing(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_FIXED };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);

	assert_non_null(b);
	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_non_null(info);
	assert_false(info->differencing);
	talloc_free(info);
	talloc_free(b);
}

static void test_vhd_dynamic_not_differencing(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_DYNAMIC };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);

	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_false(info->differencing);
	assert_int_equal(info->num_paths, 0);
	talloc_free(info);
	talloc_free(b);
}

static void test_vhd_differencing_relative_first(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = two_locators,
			    .nloc = 2 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);

	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_true(info->differencing);
	assert_int_equal(info->num_paths, 2);
	assert_int_equal(info->paths[0].kind, RVSS_VDISK_PATH_RELATIVE);
	assert_string_equal(info->paths[0].path, ".\\base.vhd");
	assert_int_equal(info->paths[1].kind, RVSS_VDISK_PATH_ABSOLUTE);
	assert_string_equal(info->paths[1].path, "C:\\vms\\base.vhd");
	talloc_free(info);
	talloc_free(b);
}

static void test_vhd_other_platform_codes_ignored(void **state)
{
	static const struct fx_vhd_loc loc[] = {
		{ FX_MACX, "file://localhost/vms/base.vhd" },
	};
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = loc, .nloc = 1 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);

	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_true(info->differencing);
	assert_int_equal(info->num_paths, 0);
	talloc_free(info);
	talloc_free(b);
}

static void test_vhd_footer_copy_used_when_tail_corrupt(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = two_locators,
			    .nloc = 2 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);

	b[len - 512 + 70] ^= 0xff; /* tail footer checksum now wrong */
	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_true(info->differencing);
	assert_int_equal(info->num_paths, 2);
	talloc_free(info);
	talloc_free(b);
}

static void test_vhd_bad_footer_checksum(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_FIXED };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);

	b[len - 512 + 70] ^= 0xff;
	assert_int_equal(read_buf(*state, b, len, &info), -EBADMSG);
	assert_null(info);
	talloc_free(b);
}

static void test_vhd_bad_dynamic_header_cookie(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = two_locators,
			    .nloc = 2 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);

	memcpy(b + 512, "cxsparsE", 8);
	assert_int_equal(read_buf(*state, b, len, &info), -EBADMSG);
	talloc_free(b);
}

static void test_vhd_dynamic_header_offset_outside_file(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = two_locators,
			    .nloc = 2 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);
	uint8_t *f = b + len - 512;

	fx_be64(f + 16, UINT64_MAX - 100);
	fx_vhd_sum(f, 512, 64);
	memcpy(b, f, 512);
	assert_int_equal(read_buf(*state, b, len, &info), -EBADMSG);
	talloc_free(b);
}

static void test_vhd_locator_data_outside_file(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = two_locators,
			    .nloc = 2 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);
	uint8_t *d = b + 512;

	fx_be64(d + 576 + 16, (uint64_t)len - 4); /* data runs off the end */
	fx_vhd_sum(d, 1024, 36);
	assert_int_equal(read_buf(*state, b, len, &info), -EBADMSG);
	talloc_free(b);
}

static void test_vhd_truncated(void **state)
{
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = two_locators,
			    .nloc = 2 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(*state, &o, &len);
	static const size_t cuts[] = { 0, 100, 511, 700 };
	size_t i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		info = NULL;
		assert_int_equal(read_buf(*state, b, cuts[i], &info),
				 -EBADMSG);
		assert_null(info);
	}
	talloc_free(b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_vhd_fixed_not_differencing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_dynamic_not_differencing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_differencing_relative_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_other_platform_codes_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_footer_copy_used_when_tail_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_bad_footer_checksum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_bad_dynamic_header_cookie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_dynamic_header_offset_outside_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_locator_data_outside_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhd_truncated, setup, teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("vhd", tests, NULL, NULL);
}
