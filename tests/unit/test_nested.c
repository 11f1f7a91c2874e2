/*
 * Unit tests: rvss:nested subvolumes = include (lib/nested.c through
 * lib/snapshot.c): a share with three levels of nested subvolumes becomes
 * one tree of snapshots, read-only or writable as asked, without the
 * nested subvolumes' own stores; delete, seal, retain and the reclaim of
 * a Commit killed midway handle the tree as one copy.
 *
 * Each test gets its own loop-mounted btrfs (read-only trees are awkward
 * to tear down by hand).  Needs root; skipped without it, loudly; under
 * CI (CI=true) that is a failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "btrfs.h"
#include "btrfs_fixture.h"
#include "catalog.h"
#include "nested.h"
#include "reclaim.h"
#include "snapshot.h"
#include "store.h"

static char g_catalog[160];

/*
 * vol/                      subvolume
 *   share/f0                the share
 *   share/a/fa              nested 1
 *   share/a/b/fb            nested 2
 *   share/a/b/c/fc          nested 3
 *   share/a/.rvss-snapshots/@GMT-2020.01.01-00.00.00   a's own backup
 *   beside/                 subvolume beside the share
 */
static int setup(void **state)
{
	if (btrfs_fixture_setup("test_nested") != 0) {
		return -1;
	}
	if (!g_ready) {
		skip();
	}
	snprintf(g_catalog, sizeof(g_catalog), "%s/rvss.tdb", g_dir);
	assert_int_equal(run("cd %s && btrfs -q subvolume create vol && mkdir vol/share && "
			     "echo 0 > vol/share/f0 && "
			     "btrfs -q subvolume create vol/share/a && echo a > vol/share/a/fa && "
			     "btrfs -q subvolume create vol/share/a/b && echo b > vol/share/a/b/fb && "
			     "btrfs -q subvolume create vol/share/a/b/c && echo c > vol/share/a/b/c/fc && "
			     "mkdir -m 0755 vol/share/a/.rvss-snapshots && "
			     "btrfs -q subvolume snapshot -r vol/share/a "
			     "vol/share/a/.rvss-snapshots/@GMT-2020.01.01-00.00.00 >/dev/null && "
			     "btrfs -q subvolume create vol/beside >/dev/null", g_mnt), 0);
	*state = talloc_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	talloc_free(*state);
	btrfs_fixture_teardown();
	return 0;
}

static char *P(TALLOC_CTX *mem, const char *rel)
{
	return talloc_asprintf(mem, "%s/%s", g_mnt, rel);
}

static struct rvss_create_args args_for(TALLOC_CTX *mem, bool rw, size_t *count)
{
	return (struct rvss_create_args) {
		.catalog_path = g_catalog,
		.snapshot_dir = RVSS_DEFAULT_SNAPSHOT_DIR,
		.share = "share",
		.base_volume = P(mem, "vol/share"),
		.rw = rw,
		.nested = RVSS_NESTED_INCLUDE,
		.nested_count = count,
	};
}

static int subvolume_count(void)
{
	char cmd[256];
	FILE *p;
	int n = 0, c;

	snprintf(cmd, sizeof(cmd), "btrfs subvolume list %s", g_mnt);
	p = popen(cmd, "r");
	if (p == NULL) {
		return -1;
	}
	while ((c = fgetc(p)) != EOF) {
		n += c == '\n';
	}
	pclose(p);
	return n;
}

static bool file_has(const char *path, const char *text)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		return false;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

/* 1 read-only subvolume, 0 writable subvolume, -1 not a subvolume. */
static int ro_state(const char *path)
{
	bool ro = false;
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	int ret = -1;

	if (fd >= 0 && rvss_btrfs_is_subvolume_fd(fd) == 1 &&
	    rvss_btrfs_get_read_only(fd, &ro) == 0) {
		ret = ro ? 1 : 0;
	}
	if (fd >= 0) {
		close(fd);
	}
	return ret;
}

static bool is_placeholder(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_ino == RVSS_BTRFS_PLACEHOLDER_INO;
}

static void assert_tree(TALLOC_CTX *mem, const char *snap, int want_ro)
{
	const char *levels[] = { "", "/a", "/a/b", "/a/b/c" };
	const char *files[] = { "/f0", "/a/fa", "/a/b/fb", "/a/b/c/fc" };
	const char *text[] = { "0\n", "a\n", "b\n", "c\n" };
	size_t i;

	for (i = 0; i < 4; i++) {
		char *f = talloc_asprintf(mem, "%s%s", snap, files[i]);

		assert_true(file_has(f, text[i]));
		if (i > 0) {
			char *d = talloc_asprintf(mem, "%s%s", snap, levels[i]);

			assert_int_equal(ro_state(d), want_ro);
		}
	}
	/* a's own backups are not copied into the copy */
	assert_true(is_placeholder(talloc_asprintf(mem, "%s/a/.rvss-snapshots/"
						   "@GMT-2020.01.01-00.00.00", snap)));
}

static void test_nested_check_refuse_and_include(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_volume *vol = NULL;
	char *reason = NULL;

	assert_int_equal(rvss_snap_check(mem, P(mem, "vol/share"), ".rvss-snapshots",
					 &vol, &reason), -EXDEV);
	assert_non_null(strstr(reason, "vol/share/a"));
	assert_int_equal(rvss_snap_check_nested(mem, P(mem, "vol/share"), ".rvss-snapshots",
						RVSS_NESTED_INCLUDE, &vol, NULL), 0);
	/* A mount point below is still refused. */
	assert_int_equal(run("mkdir %s/vol/share/a/b/iso && mount -t tmpfs -o size=1m "
			     "tmpfs %s/vol/share/a/b/iso", g_mnt, g_mnt), 0);
	assert_int_equal(rvss_snap_check_nested(mem, P(mem, "vol/share"), ".rvss-snapshots",
						RVSS_NESTED_INCLUDE, &vol, &reason), -EXDEV);
	assert_non_null(strstr(reason, "mount point"));
	assert_int_equal(run("umount %s/vol/share/a/b/iso", g_mnt), 0);
}

static void test_nested_find_depth_first_without_stores(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_nested_filter flt = {
		.below = "share",
		.root_path = P(mem, "vol"),
		.store_base = P(mem, "vol/.rvss-snapshots"),
		.snapshot_dir = ".rvss-snapshots",
	};
	struct rvss_nested_sub *subs = NULL;
	size_t n = 0;
	int fd = open(P(mem, "vol"), O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	assert_int_equal(rvss_nested_find(mem, fd, &flt, &subs, &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_string_equal(subs[0].rel, "share/a");
	assert_string_equal(subs[1].rel, "share/a/b");
	assert_string_equal(subs[2].rel, "share/a/b/c");
	assert_true(subs[0].has_children);
	assert_true(subs[1].has_children);
	assert_false(subs[2].has_children);
	/* without a filter: everything, the backup and "beside" too */
	assert_int_equal(rvss_nested_find(mem, fd, NULL, &subs, &n, NULL), 0);
	assert_int_equal(n, 5);
	close(fd);
}

static void test_nested_read_only_tree_then_delete(void **state)
{
	TALLOC_CTX *mem = *state;
	size_t count = 0;
	struct rvss_create_args a = args_for(mem, false, &count);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;
	int before = subvolume_count();

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(count, 3);
	assert_int_equal(subvolume_count(), before + 4);
	assert_tree(mem, snap, 1);
	assert_int_equal(ro_state(rec->snapshot), 1);
	/* beside the share: not copied */
	assert_true(is_placeholder(talloc_asprintf(mem, "%s/beside", rec->snapshot)));
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, NULL, NULL, NULL), 0);
	assert_int_equal(subvolume_count(), before);
	assert_true(file_has(P(mem, "vol/share/a/b/c/fc"), "c\n"));
}

static void test_nested_writable_tree_then_delete(void **state)
{
	TALLOC_CTX *mem = *state;
	size_t count = 0;
	struct rvss_create_args a = args_for(mem, true, &count);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;
	int before = subvolume_count();

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(count, 3);
	assert_tree(mem, snap, 0);
	assert_int_equal(ro_state(rec->snapshot), 0);
	assert_int_equal(run("echo new > %s/a/b/c/fc", snap), 0);
	assert_true(file_has(P(mem, "vol/share/a/b/c/fc"), "c\n"));
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, NULL, NULL, NULL), 0);
	assert_int_equal(subvolume_count(), before);
}

static void test_nested_seal_and_retain_writable_tree(void **state)
{
	TALLOC_CTX *mem = *state;
	size_t count = 0;
	struct rvss_create_args a = args_for(mem, true, &count);
	struct rvss_retain_args keep = { .fss_state_path = "/nonexistent" };
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL, *kept = NULL;
	char *base = NULL, *snap = NULL;
	bool retained = false;
	time_t t = 1795318926;
	int before = subvolume_count();
	char *reason = NULL;
	int ret;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_seal_record(cat, rec), 0);
	assert_tree(mem, snap, 1);
	talloc_free(cat);
	ret = rvss_snap_delete(mem, g_catalog, base, snap, &keep, &retained, &reason);
	if (ret != 0) {
		fprintf(stderr, "%s\n", reason != NULL ? reason : "");
	}
	assert_int_equal(ret, 0);
	assert_true(retained);
	/* moved into the store as a whole read-only tree; .writable empty */
	assert_int_equal(subvolume_count(), before + 4);
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_catalog_fetch(cat, mem, P(mem, "vol/.rvss-snapshots/"
							"@GMT-2026.11.22-03.42.06"), &kept), 0);
	assert_tree(mem, kept->snap_path, 1);
	assert_int_equal(rvss_snap_destroy_record(mem, cat, kept, NULL), 0);
	assert_int_equal(subvolume_count(), before);
}

/* A Commit killed with the top writable, "b" read-only holding "c": the
 * reclaim of its "creating" record takes the whole tree. */
static void test_nested_reclaim_half_made_tree(void **state)
{
	TALLOC_CTX *mem = *state;
	size_t count = 0;
	struct rvss_create_args a = args_for(mem, false, &count);
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL, upd;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;
	int before = subvolume_count();
	int fd;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	fd = open(rec->snapshot, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(rvss_btrfs_set_read_only(fd, false), 0);
	close(fd);
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	upd = *rec;
	upd.state = RVSS_STATE_CREATING;
	upd.snapshot_id = 0;
	upd.creator_pid = 0;
	assert_int_equal(rvss_catalog_update(cat, &upd), 0);
	assert_int_equal(rvss_snap_destroy_record(mem, cat, &upd, NULL), 0);
	assert_int_equal(subvolume_count(), before);
}

static void test_nested_refuse_mode_makes_one_snapshot(void **state)
{
	TALLOC_CTX *mem = *state;
	size_t count = 7;
	struct rvss_create_args a = args_for(mem, false, &count);
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	a.nested = RVSS_NESTED_REFUSE;
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, NULL), -EXDEV);
	/* include, but a share without nested subvolumes: one snapshot */
	a.nested = RVSS_NESTED_INCLUDE;
	a.base_volume = P(mem, "vol/beside");
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, NULL), 0);
	assert_int_equal(count, 0);
}

int main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_nested_check_refuse_and_include),
		T(test_nested_find_depth_first_without_stores),
		T(test_nested_read_only_tree_then_delete),
		T(test_nested_writable_tree_then_delete),
		T(test_nested_seal_and_retain_writable_tree),
		T(test_nested_reclaim_half_made_tree),
		T(test_nested_refuse_mode_makes_one_snapshot),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
