/*
 * Unit tests: mount points below a directory (lib/mountinfo.c), against
 * mountinfo files written by the test.
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

#include "mountinfo.h"

static char *write_file(const char *text)
{
	char tmpl[] = "/tmp/rvss-mountinfo-XXXXXX";
	int fd = mkstemp(tmpl);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return strdup(tmpl);
}

#define LINE(id, mnt) #id " 1 0:" #id " / " mnt " rw,relatime shared:1 - btrfs /dev/loop0 rw\n"

static void test_mountinfo_finds_only_strictly_below(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	char *file = write_file(LINE(1, "/") LINE(2, "/srv/vol") LINE(3, "/srv/vol/vms/iso")
				LINE(4, "/srv/volume2") LINE(5, "/srv/vol/a\\040b"));
	char **paths = NULL;
	size_t n = 0;

	assert_int_equal(rvss_mounts_below(mem, file, "/srv/vol", &paths, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(paths[0], "/srv/vol/vms/iso");
	assert_string_equal(paths[1], "/srv/vol/a b");
	assert_null(paths[2]);
	unlink(file);
	free(file);
	talloc_free(mem);
}

static void test_mountinfo_none_below(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	char *file = write_file(LINE(1, "/") LINE(2, "/srv/vol"));
	char **paths = NULL;
	size_t n = 9;

	assert_int_equal(rvss_mounts_below(mem, file, "/srv/vol/vms", &paths, &n), 0);
	assert_int_equal(n, 0);
	unlink(file);
	free(file);
	talloc_free(mem);
}

static void test_mountinfo_rejects_malformed(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	char *file1 = write_file("1 2 0:1\n");
	char *file2 = write_file(LINE(1, "/srv/x\\09"));
	char **paths = NULL;
	size_t n = 0;

	assert_int_equal(rvss_mounts_below(mem, file1, "/", &paths, &n), -EBADMSG);
	assert_int_equal(rvss_mounts_below(mem, file2, "/", &paths, &n), -EBADMSG);
	assert_int_equal(rvss_mounts_below(mem, "/nonexistent/mountinfo", "/", &paths, &n), -ENOENT);
	unlink(file1);
	unlink(file2);
	free(file1);
	free(file2);
	talloc_free(mem);
}

static void test_mountinfo_path_is_below(void **state)
{
	assert_true(rvss_path_is_below("/a", "/a"));
	assert_true(rvss_path_is_below("/a", "/a/b"));
	assert_false(rvss_path_is_below("/a", "/ab"));
	assert_false(rvss_path_is_below("/a/b", "/a"));
	assert_true(rvss_path_is_below("/", "/anything"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo_finds_only_strictly_below),
		cmocka_unit_test(test_mountinfo_none_below),
		cmocka_unit_test(test_mountinfo_rejects_malformed),
		cmocka_unit_test(test_mountinfo_path_is_below),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("mountinfo", tests, NULL, NULL);
}
