/*
 * Unit tests: the VHDX reader (lib/vhdx.c) and the helpers it shares with
 * the VHD reader (lib/vdisk.c).  Fixtures are built in memory by
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
#include "vhdx.h"

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

/* Read @buf of @len with the VHDX reader. */
static int read_buf(TALLOC_CTX *ctx, const uint8_t *buf, size_t len,
		    struct rvss_vdisk_info **ret)
{
	struct rvss_vdisk_mem mem = { .data = buf, .len = len };
	struct rvss_vdisk_src src;

	rvss_vdisk_src_mem(&mem, &src);
	return rvss_vhdx_read(ctx, &src, ret);
}

static const struct fx_kv full_locator[] = {
	{ "absolute_win32_path", "\\\\?\\D:\\vms\\base.vhdx" },
	{ "parent_linkage", "{6b5f2a1e-0c3d-4e6f-8a9b-0c1d2e3f4a5b}" },
	{ "volume_path", "\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\vms\\base.vhdx" },
	{ "relative_path", "..\\base.vhdx" },
};

static void test_crc32c_check_value(void **state)
{
	/* The standard CRC-32C check value of "123456789". */
	assert_int_equal(rvss_crc32c("123456789", 9), 0xe3069283u);
}

static void test_vhdx_not_differencing(void **state)
{
	struct fx_vhdx o = { .has_parent = false };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	assert_non_null(b);
	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_non_null(info);
	assert_false(info->differencing);
	assert_int_equal(info->num_paths, 0);
	talloc_free(info);
	talloc_free(b);
}

static void test_vhdx_parent_paths_in_spec_order(void **state)
{
	struct fx_vhdx o = { .has_parent = true, .kv = full_locator,
			     .nkv = 4 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_true(info->differencing);
	assert_int_equal(info->num_paths, 3);
	assert_int_equal(info->paths[0].kind, RVSS_VDISK_PATH_RELATIVE);
	assert_string_equal(info->paths[0].path, "..\\base.vhdx");
	assert_int_equal(info->paths[1].kind, RVSS_VDISK_PATH_VOLUME);
	assert_int_equal(info->paths[2].kind, RVSS_VDISK_PATH_ABSOLUTE);
	assert_string_equal(info->paths[2].path, "\\\\?\\D:\\vms\\base.vhdx");
	talloc_free(info);
	talloc_free(b);
}

static void test_vhdx_parent_linkage(void **state)
{
	struct fx_vhdx o = { .has_parent = true, .kv = full_locator,
			     .nkv = 4 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_non_null(info->parent_linkage);
	assert_string_equal(info->parent_linkage,
			    "{6b5f2a1e-0c3d-4e6f-8a9b-0c1d2e3f4a5b}");
	talloc_free(info);
	talloc_free(b);
}

static void test_vhdx_newer_header_wins(void **state)
{
	struct fx_vhdx o = { .seq1 = 5, .guid1 = FX_GUID_A,
			     .seq2 = 6, .guid2 = FX_GUID_B };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_string_equal(info->data_write_guid, "{" FX_GUID_B "}");
	talloc_free(info);
	talloc_free(b);
}

static void test_vhdx_header_with_bad_checksum_ignored(void **state)
{
	struct fx_vhdx o = { .seq1 = 5, .guid1 = FX_GUID_A,
			     .seq2 = 6, .guid2 = FX_GUID_B };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	b[128 * 1024 + 100] ^= 0x01; /* header 2: CRC no longer matches */
	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_string_equal(info->data_write_guid, "{" FX_GUID_A "}");
	talloc_free(info);
	talloc_free(b);
}

static void test_vhdx_no_valid_header(void **state)
{
	struct fx_vhdx o = { 0 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	b[64 * 1024 + 100] ^= 0x01;
	assert_int_equal(read_buf(*state, b, len, &info), -EBADMSG);
	assert_null(info);
	talloc_free(b);
}

static void test_vhdx_region_table_copy_used(void **state)
{
	struct fx_vhdx o = { .has_parent = true, .kv = full_locator,
			     .nkv = 4 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	memset(b + 192 * 1024, 0, 16); /* first table unusable */
	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_true(info->differencing);
	assert_int_equal(info->num_paths, 3);
	talloc_free(info);
	talloc_free(b);
}

static void test_vhdx_bad_file_identifier(void **state)
{
	struct fx_vhdx o = { 0 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	memcpy(b, "vhdXfile", 8);
	assert_int_equal(read_buf(*state, b, len, &info), -EBADMSG);
	talloc_free(b);
}

static void test_vhdx_truncated_anywhere(void **state)
{
	struct fx_vhdx o = { .has_parent = true, .kv = full_locator,
			     .nkv = 4 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);
	/* Cut inside each structure the reader needs. */
	static const size_t cuts[] = {
		0, 7, 64 * 1024 + 10, 128 * 1024, 192 * 1024 + 100,
		FX_VHDX_META_OFF + 10, FX_VHDX_META_OFF + 64 * 1024 + 4,
		FX_VHDX_META_OFF + 68 * 1024 + 30,
	};
	size_t i;

	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		info = NULL;
		assert_int_equal(read_buf(*state, b, cuts[i], &info),
				 -EBADMSG);
		assert_null(info);
	}
	talloc_free(b);
}

static void test_vhdx_locator_entry_out_of_bounds(void **state)
{
	struct fx_vhdx o = { .has_parent = true, .kv = full_locator,
			     .nkv = 4 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);
	uint8_t *pl = b + FX_VHDX_META_OFF + 68 * 1024;

	fx_le32(pl + 20 + 12 * 3 + 4, 0x7fffffff); /* ValueOffset */
	assert_int_equal(read_buf(*state, b, len, &info), -EBADMSG);
	talloc_free(b);
}

static void test_vhdx_metadata_item_out_of_region(void **state)
{
	struct fx_vhdx o = { 0 };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	fx_le32(b + FX_VHDX_META_OFF + 32 + 16, FX_VHDX_META_LEN);
	assert_int_equal(read_buf(*state, b, len, &info), -EBADMSG);
	talloc_free(b);
}

static void test_vhdx_unknown_locator_type_has_no_paths(void **state)
{
	struct fx_vhdx o = { .has_parent = true, .kv = full_locator,
			     .nkv = 4, .locator_type = FX_GUID_B };
	struct rvss_vdisk_info *info = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(*state, &o, &len);

	assert_int_equal(read_buf(*state, b, len, &info), 0);
	assert_true(info->differencing);
	assert_int_equal(info->num_paths, 0);
	talloc_free(info);
	talloc_free(b);
}

static void test_vhdx_random_bytes_rejected(void **state)
{
	uint8_t *b = talloc_array(*state, uint8_t, FX_VHDX_SIZE);
	struct rvss_vdisk_info *info = NULL;
	uint32_t x = 12345;
	size_t i;

	assert_non_null(b);
	for (i = 0; i < FX_VHDX_SIZE; i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
	memcpy(b, "vhdxfile", 8);
	assert_int_equal(read_buf(*state, b, FX_VHDX_SIZE, &info), -EBADMSG);
	talloc_free(b);
}

static void test_vdisk_utf16_non_ascii(void **state)
{
	uint8_t buf[64];
	size_t n = fx_utf16le(buf, "d\xc3\xa9j\xc3\xa0-\xf0\x9f\x92\xbe");
	char *s = rvss_utf16_to_utf8(*state, buf, n, false);

	assert_non_null(s);
	assert_string_equal(s, "d\xc3\xa9j\xc3\xa0-\xf0\x9f\x92\xbe");
	talloc_free(s);
}

static void test_vdisk_utf16_unpaired_surrogate(void **state)
{
	uint8_t buf[4] = { 0x00, 0xd8, 'a', 0 }; /* high surrogate, 'a' */
	char *s = rvss_utf16_to_utf8(*state, buf, sizeof(buf), false);

	assert_non_null(s);
	assert_string_equal(s, "\xef\xbf\xbd" "a");
	talloc_free(s);
}

static void test_vdisk_map_relative(void **state)
{
	struct rvss_vdisk_parent_path p = { RVSS_VDISK_PATH_RELATIVE,
					    (char *)"..\\base\\.\\p.vhdx" };
	char *rel = NULL;

	assert_int_equal(rvss_vdisk_map_parent(*state, "vm1/disks", &p, NULL,
					       &rel), 0);
	assert_string_equal(rel, "vm1/base/p.vhdx");
	talloc_free(rel);
}

static void test_vdisk_map_relative_above_root(void **state)
{
	struct rvss_vdisk_parent_path p = { RVSS_VDISK_PATH_RELATIVE,
					    (char *)"..\\..\\p.vhdx" };
	char *rel = NULL;

	assert_int_equal(rvss_vdisk_map_parent(*state, "vm1", &p, NULL, &rel),
			 -EXDEV);
	assert_null(rel);
}

static void test_vdisk_map_unc_of_share(void **state)
{
	struct rvss_vdisk_parent_path p = {
		RVSS_VDISK_PATH_ABSOLUTE,
		(char *)"\\\\fileserver\\VMS\\base\\p.vhdx" };
	char *rel = NULL;

	assert_int_equal(rvss_vdisk_map_parent(*state, "x", &p, "vms", &rel),
			 0);
	assert_string_equal(rel, "base/p.vhdx");
	talloc_free(rel);
}

static void test_vdisk_map_long_unc_of_share(void **state)
{
	struct rvss_vdisk_parent_path p = {
		RVSS_VDISK_PATH_ABSOLUTE,
		(char *)"\\\\?\\UNC\\fileserver\\vms\\p.vhdx" };
	char *rel = NULL;

	assert_int_equal(rvss_vdisk_map_parent(*state, "x", &p, "vms", &rel),
			 0);
	assert_string_equal(rel, "p.vhdx");
	talloc_free(rel);
}

static void test_vdisk_map_unc_other_share(void **state)
{
	struct rvss_vdisk_parent_path p = {
		RVSS_VDISK_PATH_ABSOLUTE,
		(char *)"\\\\fileserver\\other\\p.vhdx" };
	char *rel = NULL;

	assert_int_equal(rvss_vdisk_map_parent(*state, "", &p, "vms", &rel),
			 -EXDEV);
}

static void test_vdisk_map_drive_letter_outside(void **state)
{
	struct rvss_vdisk_parent_path p = { RVSS_VDISK_PATH_ABSOLUTE,
					    (char *)"C:\\vms\\p.vhdx" };
	char *rel = NULL;

	assert_int_equal(rvss_vdisk_map_parent(*state, "", &p, "vms", &rel),
			 -EXDEV);
}

static void test_vdisk_map_volume_outside(void **state)
{
	struct rvss_vdisk_parent_path p = {
		RVSS_VDISK_PATH_VOLUME,
		(char *)"\\\\?\\Volume{26a21bda-a627-11d7-9931-806e6f6e6963}\\p.vhdx" };
	char *rel = NULL;

	assert_int_equal(rvss_vdisk_map_parent(*state, "", &p, "vms", &rel),
			 -EXDEV);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crc32c_check_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_not_differencing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_parent_paths_in_spec_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_parent_linkage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_newer_header_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_header_with_bad_checksum_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_no_valid_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_region_table_copy_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_bad_file_identifier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_truncated_anywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_locator_entry_out_of_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_metadata_item_out_of_region, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_unknown_locator_type_has_no_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vhdx_random_bytes_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_utf16_non_ascii, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_utf16_unpaired_surrogate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_map_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_map_relative_above_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_map_unc_of_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_map_long_unc_of_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_map_unc_other_share, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_map_drive_letter_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdisk_map_volume_outside, setup, teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("vhdx", tests, NULL, NULL);
}
