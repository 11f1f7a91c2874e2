/*
 * Unit tests: what the module hides (lib/store.c, rvss_store_path_on_way):
 * the store, what is inside it, and every directory of a multi-component
 * rvss:snapshot dir on the way to it (issue 11, item 10).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store.h"

static void test_store_path_on_way_single_component(void **state)
{
	(void)state;
	assert_true(rvss_store_path_on_way(".rvss-snapshots", ".rvss-snapshots"));
	assert_true(rvss_store_path_on_way(".rvss-snapshots", ".rvss-snapshots/@GMT-x/f"));
	assert_false(rvss_store_path_on_way(".rvss-snapshots", ".rvss-snapshotsX"));
	assert_false(rvss_store_path_on_way(".rvss-snapshots", "data/.rvss-snapshots"));
	assert_false(rvss_store_path_on_way(".rvss-snapshots", ""));
}

static void test_store_path_on_way_every_ancestor(void **state)
{
	(void)state;
	/* "a" of "a/b": renamed away, it would orphan the store */
	assert_true(rvss_store_path_on_way(".snaps/fsrvp", ".snaps"));
	assert_true(rvss_store_path_on_way(".snaps/fsrvp", ".snaps/"));
	assert_true(rvss_store_path_on_way(".snaps/fsrvp", ".snaps/fsrvp"));
	assert_true(rvss_store_path_on_way(".snaps/fsrvp", ".snaps/fsrvp/@GMT-x"));
	assert_true(rvss_store_path_on_way("a/b/c", "a/b"));
	assert_false(rvss_store_path_on_way(".snaps/fsrvp", ".snaps/other"));
	assert_false(rvss_store_path_on_way(".snaps/fsrvp", ".snapsX"));
	assert_false(rvss_store_path_on_way(".snaps/fsrvp", "x/.snaps"));
}

static void test_store_path_on_way_absolute(void **state)
{
	(void)state;
	/* absolute paths compare the same once both lose their "/" */
	assert_true(rvss_store_path_on_way("/srv/fs/backup/rvss", "/srv/fs/backup"));
	assert_true(rvss_store_path_on_way("srv/fs/backup/rvss", "srv/fs/backup/rvss/subvol-5"));
	assert_false(rvss_store_path_on_way("srv/fs/backup/rvss", "srv/fs/data"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_path_on_way_single_component),
		cmocka_unit_test(test_store_path_on_way_every_ancestor),
		cmocka_unit_test(test_store_path_on_way_absolute),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
