/*
 * Unit tests: the build record of rvss.so (lib/modinfo.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "modinfo.h"

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

static void test_modinfo_parse_record(void **state)
{
	const char rec[] = "rvss-build-info:samba=4.22.11;vfs_interface=50;"
			   "package=2:4.22.11+dfsg-0+deb13u1;rvss=0.2.0;";
	struct rvss_modinfo *info = NULL;

	assert_int_equal(rvss_modinfo_parse(*state, rec, sizeof(rec), &info), 0);
	assert_non_null(info);
	assert_string_equal(info->samba_version, "4.22.11");
	assert_int_equal(info->samba_major, 4);
	assert_int_equal(info->samba_minor, 22);
	assert_int_equal(info->samba_release, 11);
	assert_int_equal(info->vfs_interface, 50);
	assert_string_equal(info->package, "2:4.22.11+dfsg-0+deb13u1");
	assert_string_equal(info->rvss_version, "0.2.0");
	talloc_free(info);
}

static void test_modinfo_parse_rejects_malformed(void **state)
{
	const char *bad[] = {
		"rvss-build-info:",
		"rvss-build-info:samba=4.22.11;",                    /* no interface */
		"rvss-build-info:vfs_interface=50;",                 /* no samba */
		"rvss-build-info:samba=4.22;vfs_interface=50;",      /* not X.Y.Z */
		"rvss-build-info:samba=4.22.11;vfs_interface=5x;",
		"rvss-build-info:samba=4.22.11;vfs_interface=50",    /* unterminated */
		"rvss-build-info:samba=4.22.11;vfs_interface=-1;",
		"rvss-build-info:samba=4.22.11;vfs_interface=50;\x01=x;",
		"rvss-build-infx:samba=4.22.11;vfs_interface=50;",
	};
	struct rvss_modinfo *info = (struct rvss_modinfo *)0x1;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rvss_modinfo_parse(*state, bad[i], strlen(bad[i]) + 1,
						    &info), -EINVAL);
	}
	assert_ptr_equal(info, (struct rvss_modinfo *)0x1);
	/* cut short by the length, not by a NUL */
	assert_int_equal(rvss_modinfo_parse(*state, bad[1], 10, &info), -EINVAL);
}

static void test_modinfo_samba_version(void **state)
{
	unsigned a = 0, b = 0, c = 0;

	assert_int_equal(rvss_samba_version_parse(
		"Version 4.22.11-Debian-4.22.11+dfsg-0+deb13u1", &a, &b, &c), 0);
	assert_int_equal(a, 4);
	assert_int_equal(b, 22);
	assert_int_equal(c, 11);
	assert_int_equal(rvss_samba_version_parse("4.17.12", &a, &b, &c), 0);
	assert_int_equal(b, 17);
	assert_int_equal(c, 12);
	assert_int_equal(rvss_samba_version_parse("4.25.0rc1", &a, &b, &c), 0);
	assert_int_equal(b, 25);
	assert_int_equal(c, 0);
	assert_int_equal(rvss_samba_version_parse("4.25.0pre1-DEVELOPERBUILD", &a, &b, &c), 0);
	assert_int_equal(rvss_samba_version_parse("4.17.12.1", &a, &b, &c), -EINVAL);
	assert_int_equal(rvss_samba_version_parse("4.17", &a, &b, &c), -EINVAL);
	assert_int_equal(rvss_samba_version_parse("Version 4.x.1", &a, &b, &c), -EINVAL);
	assert_int_equal(rvss_samba_version_parse("", &a, &b, &c), -EINVAL);
	assert_int_equal(rvss_samba_version_parse(NULL, &a, &b, &c), -EINVAL);
	assert_int_equal(b, 25); /* untouched by the refusals */
}

/* The record is found inside a binary, after a false start. */
static void test_modinfo_read_fd_finds_record(void **state)
{
	char name[] = "/tmp/rvss-modinfo-XXXXXX";
	const char junk[] = "\177ELF\0\0rvss-build-info:garbage\0\0\0";
	const char rec[] = "rvss-build-info:samba=4.17.12;vfs_interface=47;";
	struct rvss_modinfo *info = NULL;
	int fd = mkstemp(name);

	assert_true(fd >= 0);
	unlink(name);
	assert_int_equal(rvss_modinfo_read_fd(*state, fd, &info), -ENOENT);
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	assert_int_equal(rvss_modinfo_read_fd(*state, fd, &info), -EINVAL);
	assert_int_equal(write(fd, rec, sizeof(rec)), (ssize_t)sizeof(rec));
	assert_int_equal(rvss_modinfo_read_fd(*state, fd, &info), 0);
	assert_int_equal(info->vfs_interface, 47);
	assert_string_equal(info->package, "");
	talloc_free(info);
	close(fd);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_modinfo_parse_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modinfo_parse_rejects_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modinfo_samba_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modinfo_read_fd_finds_record, setup, teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("modinfo", tests, NULL, NULL);
}
