/*
 * Unit tests: check, create and delete (lib/snapshot.c) with the btrfs
 * backend against a real loop-mounted btrfs, in a private mount namespace.
 *
 * Needs root.  Without it the tests are skipped, loudly; under CI (CI=true)
 * that is a failure, since CI has root and btrfs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <tdb.h>

#include "btrfs.h"
#include "btrfs_fixture.h"
#include "catalog.h"
#include "reclaim.h"
#include "snapname.h"
#include "snapshot.h"
#include "store.h"

static char g_tmpfs[128];
static char g_catalog[160];

static int group_setup(void **state)
{
	(void)state;
	if (btrfs_fixture_setup("test_snapshot") != 0) {
		return -1;
	}
	if (!g_ready) {
		return 0;
	}
	snprintf(g_tmpfs, sizeof(g_tmpfs), "%s/tmpfs", g_dir);
	snprintf(g_catalog, sizeof(g_catalog), "%s/rvss.tdb", g_dir);
	if (mkdir(g_tmpfs, 0755) != 0 ||
	    mount("tmpfs", g_tmpfs, "tmpfs", 0, "size=1m") != 0) {
		fprintf(stderr, "test_snapshot: cannot mount a tmpfs\n");
		btrfs_fixture_teardown();
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (g_ready) {
		(void)umount2(g_tmpfs, MNT_DETACH);
	}
	btrfs_fixture_teardown();
	return 0;
}

/* Each test gets a fresh subvolume "vol" with a file and a subdirectory. */
static int setup(void **state)
{
	if (!g_ready) {
		skip();
	}
	assert_int_equal(run("btrfs -q subvolume create %s/vol >/dev/null && mkdir %s/vol/vms && "
			     "echo before > %s/vol/vms/disk.vhdx && echo top > %s/vol/top.txt",
			     g_mnt, g_mnt, g_mnt, g_mnt), 0);
	*state = talloc_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)run("btrfs -q subvolume delete -R %s/vol/.rvss-snapshots/*/ %s/vol/.rvss-snapshots/.writable/*/ >/dev/null 2>&1; "
		  "for s in $(btrfs subvolume list -o %s/vol | awk '{print $NF}'); do "
		  "btrfs -q subvolume delete %s/$s >/dev/null 2>&1; done; "
		  "btrfs -q subvolume delete %s/vol >/dev/null; rm -rf %s/store %s",
		  g_mnt, g_mnt, g_mnt, g_mnt, g_mnt, g_mnt, g_catalog);
	assert_int_equal(talloc_total_blocks(*state), 1);
	talloc_free(*state);
	return 0;
}

static char *P(TALLOC_CTX *mem, const char *rel)
{
	return talloc_asprintf(mem, "%s/%s", g_mnt, rel);
}

static struct rvss_create_args args_for(TALLOC_CTX *mem, const char *share_rel, bool rw)
{
	return (struct rvss_create_args) {
		.catalog_path = g_catalog,
		.snapshot_dir = RVSS_DEFAULT_SNAPSHOT_DIR,
		.share = "vms",
		.base_volume = P(mem, share_rel),
		.rw = rw,
	};
}

static bool is_subvolume(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == 256;
}

static bool file_has(const char *path, const char *text)
{
	char buf[256] = "";
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

static void test_snapshot_check_subvolume_root(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_volume *vol = NULL;

	assert_int_equal(rvss_snap_check(mem, P(mem, "vol"), ".rvss-snapshots", &vol, NULL), 0);
	assert_string_equal(vol->share_path, P(mem, "vol"));
	assert_string_equal(vol->subvol_root, P(mem, "vol"));
	assert_string_equal(vol->rel, "");
	assert_string_equal(vol->store, P(mem, "vol/.rvss-snapshots"));
	assert_true(vol->subvol_id >= 256);
	talloc_free(vol);
	talloc_free_children(mem);
}

static void test_snapshot_check_directory_inside_subvolume(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_volume *vol = NULL;

	/* A non-canonical spelling resolves to the canonical base volume. */
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol/./vms/"), ".rvss-snapshots", &vol, NULL), 0);
	assert_string_equal(vol->share_path, P(mem, "vol/vms"));
	assert_string_equal(vol->subvol_root, P(mem, "vol"));
	assert_string_equal(vol->rel, "vms");
	talloc_free_children(mem);
}

static void test_snapshot_check_refuses_non_btrfs(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_volume *vol = NULL;
	char *reason = NULL;

	assert_int_equal(rvss_snap_check(mem, g_tmpfs, ".rvss-snapshots", &vol, &reason), -EOPNOTSUPP);
	assert_null(vol);
	assert_non_null(reason);
	assert_non_null(strstr(reason, "not on btrfs"));
	talloc_free_children(mem);
}

static void test_snapshot_check_refuses_missing_path(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_volume *vol = NULL;

	assert_int_equal(rvss_snap_check(mem, P(mem, "vol/nope"), ".rvss-snapshots", &vol, NULL), -ENOENT);
	talloc_free_children(mem);
}

static void test_snapshot_check_refuses_nested_subvolume_below(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_volume *vol = NULL;
	char *reason = NULL;

	assert_int_equal(run("btrfs -q subvolume create %s/vol/vms/inner >/dev/null", g_mnt), 0);
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol/vms"), ".rvss-snapshots", &vol, &reason), -EXDEV);
	assert_non_null(strstr(reason, "vol/vms/inner"));
	/* A share beside the nested subvolume is fine. */
	assert_int_equal(run("mkdir %s/vol/other", g_mnt), 0);
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol/other"), ".rvss-snapshots", &vol, NULL), 0);
	talloc_free_children(mem);
}

static void test_snapshot_check_refuses_mount_point_below(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_volume *vol = NULL;
	char *reason = NULL;
	char *m = P(mem, "vol/vms/iso");

	assert_int_equal(mkdir(m, 0755), 0);
	assert_int_equal(mount("tmpfs", m, "tmpfs", 0, "size=1m"), 0);
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol/vms"), ".rvss-snapshots", &vol, &reason), -EXDEV);
	assert_non_null(strstr(reason, "mount point"));
	assert_int_equal(umount(m), 0);
	talloc_free_children(mem);
}

static void test_snapshot_check_rejects_bad_snapshot_dir(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_volume *vol = NULL;

	assert_int_equal(rvss_snap_check(mem, P(mem, "vol"), "../x", &vol, NULL), -EINVAL);
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol"), "", &vol, NULL), -EINVAL);
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol"), "a//b", &vol, NULL), -EINVAL);
	talloc_free_children(mem);
}

static void test_snapshot_create_read_only_keeps_content(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;
	bool ro = false;
	int fd;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(t, 1795318926);
	assert_string_equal(base, P(mem, "vol/vms"));
	assert_string_equal(snap, P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.06/vms"));
	assert_true(is_subvolume(rec->snapshot));
	assert_int_equal(rec->state, RVSS_STATE_CREATED);
	assert_false(rec->rw);
	/* Users traverse and list the store (exposed copies, Previous Versions). */
	{
		struct stat st;

		assert_int_equal(stat(P(mem, "vol/.rvss-snapshots"), &st), 0);
		assert_int_equal(st.st_mode & 07777, 0755);
	}
	assert_true(rec->snapshot_id > rec->source_id);

	/* The live file changes; the snapshot keeps the pre-commit content. */
	assert_int_equal(run("echo after > %s/vol/vms/disk.vhdx", g_mnt), 0);
	assert_true(file_has(talloc_asprintf(mem, "%s/disk.vhdx", snap), "before\n"));

	fd = open(rec->snapshot, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(rvss_btrfs_get_read_only(fd, &ro), 0);
	assert_true(ro);
	close(fd);
	talloc_free_children(mem);
}

static void test_snapshot_create_writable_when_asked(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", true);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;
	bool ro = true;
	int fd;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_string_equal(snap, rec->snapshot);
	assert_string_equal(snap, P(mem, "vol/.rvss-snapshots/.writable/@GMT-2026.11.22-03.42.06"));
	fd = open(rec->snapshot, O_RDONLY | O_DIRECTORY);
	assert_int_equal(rvss_btrfs_get_read_only(fd, &ro), 0);
	assert_false(ro);
	close(fd);
	assert_true(rec->rw);
	talloc_free_children(mem);
}

static void test_snapshot_create_same_second_moves_time_stamp(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	char *base = NULL, *snap1 = NULL, *snap2 = NULL, *snap3 = NULL;
	time_t t1 = 1795318926, t2 = 1795318926, t3 = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t1, &base, &snap1, NULL, NULL), 0);
	assert_int_equal(rvss_snap_create(mem, &a, &t2, &base, &snap2, NULL, NULL), 0);
	assert_int_equal(rvss_snap_create(mem, &a, &t3, &base, &snap3, NULL, NULL), 0);
	assert_int_equal(t2, t1 + 1);
	assert_int_equal(t3, t1 + 2);
	assert_string_equal(snap2, P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07/vms"));
	assert_string_not_equal(snap1, snap3);
	talloc_free_children(mem);
}

static void test_snapshot_create_skips_foreign_name(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", false);
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	/* Someone else's directory holds this second's name: left alone. */
	assert_int_equal(run("mkdir -p %s/vol/.rvss-snapshots/@GMT-2026.11.22-03.42.06", g_mnt), 0);
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, NULL), 0);
	assert_int_equal(t, 1795318927);
	assert_false(is_subvolume(P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.06")));
	talloc_free_children(mem);
}

static void test_snapshot_create_absolute_store(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	a.snapshot_dir = P(mem, "store");
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_string_equal(rec->snapshot,
			    talloc_asprintf(mem, "%s/store/subvol-%llu/@GMT-2026.11.22-03.42.06",
					    g_mnt, (unsigned long long)rec->source_id));
	assert_true(file_has(talloc_asprintf(mem, "%s/disk.vhdx", snap), "before\n"));
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, NULL, NULL, NULL), 0);
	assert_false(is_subvolume(rec->snapshot));
	talloc_free_children(mem);
}

static void test_snapshot_create_refuses_store_on_other_fs(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	char *base = NULL, *snap = NULL, *reason = NULL;
	time_t t = 1795318926;

	a.snapshot_dir = talloc_asprintf(mem, "%s/store", g_tmpfs);
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, &reason), -EOPNOTSUPP);
	assert_null(snap);
	/* Refused before anything was created on the other filesystem. */
	assert_int_equal(access(a.snapshot_dir, F_OK), -1);
	talloc_free_children(mem);
}

static void test_snapshot_store_is_not_a_nested_subvolume(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", false);
	char *base = NULL, *snap = NULL;
	struct rvss_volume *vol = NULL;
	time_t t = 1795318926;

	/* The store lies below the share root: its snapshots do not count. */
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, NULL), 0);
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol"), ".rvss-snapshots", &vol, NULL), 0);
	talloc_free_children(mem);
}

static int cmp_child(const void *a, const void *b)
{
	const struct rvss_btrfs_child *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * The direct children of a subvolume, not the deeper ones, with the
 * directory each is in; more than one ioctl's worth (255) of them, as a
 * store of retained snapshots has.
 */
static void test_btrfs_children_lists_direct_children_only(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_btrfs_child *c = NULL;
	size_t n = 0, i, in_many = 0;
	char *name = NULL;
	int vol, a, many;

	assert_int_equal(run("btrfs -q subvolume create %s/vol/a >/dev/null && "
			     "btrfs -q subvolume create %s/vol/a/inner >/dev/null && "
			     "mkdir -p %s/vol/d1/d2 %s/vol/many && "
			     "btrfs -q subvolume create %s/vol/d1/d2/b >/dev/null",
			     g_mnt, g_mnt, g_mnt, g_mnt, g_mnt), 0);
	vol = open(P(mem, "vol"), O_RDONLY | O_DIRECTORY);
	a = open(P(mem, "vol/a"), O_RDONLY | O_DIRECTORY);
	many = open(P(mem, "vol/many"), O_RDONLY | O_DIRECTORY);
	assert_true(vol >= 0 && a >= 0 && many >= 0);
	for (i = 0; i < 300; i++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "s%03zu", i);
		assert_int_equal(rvss_btrfs_snapshot(a, many, nm, true), 0);
	}

	assert_int_equal(rvss_btrfs_children(mem, vol, &c, &n), 0);
	assert_int_equal(n, 302); /* a, d1/d2/b, 300 in many; not a/inner */
	qsort(c, n, sizeof(*c), cmp_child);
	assert_string_equal(c[0].dir, "");           /* a, made first */
	assert_string_equal(c[1].dir, "d1/d2");      /* b */
	assert_int_equal(rvss_btrfs_child_name(mem, vol, &c[0], &name), 0);
	assert_string_equal(name, "a");
	assert_int_equal(rvss_btrfs_child_name(mem, vol, &c[1], &name), 0);
	assert_string_equal(name, "b");
	for (i = 2; i < n; i++) {
		in_many += strcmp(c[i].dir, "many") == 0;
	}
	assert_int_equal(in_many, 300);
	assert_int_equal(rvss_btrfs_child_name(mem, vol, &c[301], &name), 0);
	assert_string_equal(name, "s299");

	/* a has one child; a leaf subvolume none. */
	assert_int_equal(rvss_btrfs_children(mem, a, &c, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].dir, "");
	/* Not the subvolume's root directory: paths cannot be given. */
	assert_int_equal(rvss_btrfs_children(mem, many, &c, &n), -EACCES);

	for (i = 0; i < 300; i++) {
		char nm[16];

		snprintf(nm, sizeof(nm), "s%03zu", i);
		assert_int_equal(rvss_btrfs_delete(many, nm), 0);
	}
	close(many);
	close(a);
	close(vol);
	assert_int_equal(run("btrfs -q subvolume delete %s/vol/a/inner %s/vol/a "
			     "%s/vol/d1/d2/b >/dev/null", g_mnt, g_mnt, g_mnt), 0);
	talloc_free_children(mem);
}

static void test_snapshot_delete_removes_subvolume_and_record(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL, *back = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, NULL, NULL, NULL), 0);
	assert_false(is_subvolume(rec->snapshot));
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_catalog_fetch(cat, mem, rec->snapshot, &back), -ENOENT);
	/* The live share is untouched. */
	assert_true(file_has(P(mem, "vol/vms/disk.vhdx"), "before\n"));
	talloc_free_children(mem);
}

static void test_snapshot_delete_writable_with_nested_subvolume(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", true);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(run("btrfs -q subvolume create %s/child >/dev/null", snap), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, NULL, NULL, NULL), 0);
	assert_false(is_subvolume(rec->snapshot));
	talloc_free_children(mem);
}

static void test_snapshot_delete_refuses_unrecorded_path(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	char *base = NULL, *snap = NULL, *reason = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, NULL), 0);
	/* A tampered snap_path pointing at the live subvolume. */
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, P(mem, "vol"), NULL, NULL, &reason), -EPERM);
	assert_non_null(strstr(reason, "not created by rvss"));
	assert_true(is_subvolume(P(mem, "vol")));
	assert_true(file_has(P(mem, "vol/vms/disk.vhdx"), "before\n"));
	/* A foreign subvolume with the right shape is refused just the same. */
	assert_int_equal(run("btrfs -q subvolume create %s/vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07 "
			     ">/dev/null && mkdir %s/vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07/vms",
			     g_mnt, g_mnt), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base,
		P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07/vms"), NULL, NULL, NULL), -EPERM);
	assert_true(is_subvolume(P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07")));
	talloc_free_children(mem);
}

static void test_snapshot_delete_refuses_base_path_mismatch(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, P(mem, "vol"), snap, NULL, NULL, NULL), -EPERM);
	assert_true(is_subvolume(rec->snapshot));
	talloc_free_children(mem);
}

static void test_snapshot_delete_refuses_swapped_subvolume(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", true);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	/* Replace the recorded snapshot by another subvolume of that name. */
	assert_int_equal(run("btrfs -q subvolume delete %s >/dev/null && "
			     "btrfs -q subvolume create %s >/dev/null && echo precious > %s/keep",
			     rec->snapshot, rec->snapshot, rec->snapshot), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, NULL, NULL, NULL), -EPERM);
	assert_true(file_has(talloc_asprintf(mem, "%s/keep", rec->snapshot), "precious\n"));
	talloc_free_children(mem);
}

static void test_snapshot_delete_already_gone_drops_record(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", false);
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(run("btrfs -q subvolume delete %s >/dev/null", rec->snapshot), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, NULL, NULL, NULL), 0);
	/* ... and the record is gone; a second delete finds nothing to do. */
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, NULL, NULL, NULL), 0);
	talloc_free_children(mem);
}

static void test_snapshot_delete_retains_read_only_copy(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	struct rvss_retain_args keep = { .fss_state_path = "/nonexistent", .count = 3 };
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL, *back = NULL;
	char *base = NULL, *snap = NULL;
	bool retained = false;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, &keep, &retained, NULL), 0);
	assert_true(retained);
	assert_true(is_subvolume(rec->snapshot));
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_catalog_fetch(cat, mem, rec->snapshot, &back), 0);
	assert_int_equal(back->state, RVSS_STATE_RETAINED);
	assert_int_equal(back->retain_count, 3);
	talloc_free_children(mem);
}

static void test_snapshot_delete_retains_sealed_writable_into_store(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", true);
	struct rvss_retain_args keep = { .fss_state_path = "/nonexistent", .age = 3600 };
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL, *back = NULL;
	char *base = NULL, *snap = NULL;
	bool retained = false, ro = false;
	time_t t = 1795318926, t2 = 1795318926;
	char *ro_snap = NULL;
	int fd;

	/* A read-only snapshot already holds the second in the store. */
	a.rw = false;
	assert_int_equal(rvss_snap_create(mem, &a, &t2, &base, &ro_snap, NULL, NULL), 0);
	a.rw = true;
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_string_equal(snap, P(mem, "vol/.rvss-snapshots/.writable/@GMT-2026.11.22-03.42.06/vms"));
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_seal_record(cat, rec), 0);
	talloc_free(cat);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, &keep, &retained, NULL), 0);
	assert_true(retained);
	/* Moved up into the store, under the next free second. */
	assert_false(is_subvolume(rec->snapshot));
	assert_true(is_subvolume(P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07")));
	assert_true(file_has(P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07/vms/disk.vhdx"), "before\n"));
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_catalog_fetch(cat, mem, rec->snapshot, &back), -ENOENT);
	assert_int_equal(rvss_catalog_fetch(cat, mem, P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07"), &back), 0);
	assert_int_equal(back->state, RVSS_STATE_RETAINED);
	assert_int_equal(back->retain_age, 3600);
	assert_string_equal(back->snap_path, P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.07/vms"));
	fd = open(back->snapshot, O_RDONLY | O_DIRECTORY);
	assert_int_equal(rvss_btrfs_get_read_only(fd, &ro), 0);
	assert_true(ro);
	close(fd);
	talloc_free_children(mem);
}

static void test_snapshot_delete_does_not_retain_unrecovered_writable(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", true);
	struct rvss_retain_args keep = { .fss_state_path = "/nonexistent" };
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	bool retained = true;
	time_t t = 1795318926;

	/* A writable copy whose set never completed recovery is no backup. */
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, &keep, &retained, NULL), 0);
	assert_false(retained);
	assert_false(is_subvolume(rec->snapshot));
	talloc_free_children(mem);
}

/*
 * The trusted store (issue 11, item 8).  A store that a share user made,
 * or one reached through a symbolic link, is refused -- by check
 * (IsPathSupported) and by create (Commit) -- and nothing is made in it.
 */
static void test_snapshot_create_refuses_user_owned_store(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	struct rvss_volume *vol = NULL;
	char *base = NULL, *snap = NULL, *reason = NULL;
	time_t t = 1795318926;

	assert_int_equal(run("mkdir %s/vol/.rvss-snapshots && chown 1000:1000 "
			     "%s/vol/.rvss-snapshots", g_mnt, g_mnt), 0);
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol/vms"), ".rvss-snapshots",
					 &vol, &reason), -RVSS_EUNTRUSTED);
	assert_non_null(strstr(reason, "owned by uid 1000"));
	reason = NULL;
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, &reason),
			 -RVSS_EUNTRUSTED);
	assert_null(snap);
	assert_non_null(strstr(reason, ".rvss-snapshots"));
	assert_int_equal(run("test -z \"$(ls -A %s/vol/.rvss-snapshots)\"", g_mnt), 0);
	talloc_free_children(mem);
}

static void test_snapshot_create_refuses_writable_by_others(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", true);
	char *base = NULL, *snap = NULL, *reason = NULL;
	time_t t = 1795318926;

	/* root's store, but a .writable that group members may change */
	assert_int_equal(run("mkdir -p %s/vol/.rvss-snapshots/.writable && chmod 775 "
			     "%s/vol/.rvss-snapshots/.writable", g_mnt, g_mnt), 0);
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, &reason),
			 -RVSS_EUNTRUSTED);
	assert_non_null(strstr(reason, ".writable"));
	assert_int_equal(run("test -z \"$(ls -A %s/vol/.rvss-snapshots/.writable)\"", g_mnt), 0);
	talloc_free_children(mem);
}

static void test_snapshot_create_refuses_symlinked_store(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	struct rvss_volume *vol = NULL;
	char *base = NULL, *snap = NULL, *reason = NULL;
	time_t t = 1795318926;

	/* The store, then a component of a two-level store, a link to a
	 * root-owned directory elsewhere: nothing lands there. */
	assert_int_equal(run("mkdir %s/elsewhere && ln -s %s/elsewhere "
			     "%s/vol/.rvss-snapshots", g_mnt, g_mnt, g_mnt), 0);
	assert_int_equal(rvss_snap_check(mem, P(mem, "vol/vms"), ".rvss-snapshots",
					 &vol, &reason), -RVSS_EUNTRUSTED);
	assert_non_null(strstr(reason, "symbolic link"));
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, NULL),
			 -RVSS_EUNTRUSTED);
	a.snapshot_dir = ".snaps/fsrvp";
	assert_int_equal(run("ln -s %s/elsewhere %s/vol/.snaps", g_mnt, g_mnt), 0);
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, NULL),
			 -RVSS_EUNTRUSTED);
	assert_int_equal(run("test -z \"$(ls -A %s/elsewhere)\" && rm -r %s/elsewhere",
			     g_mnt, g_mnt), 0);
	talloc_free_children(mem);
}

static void test_snapshot_create_refuses_symlink_in_absolute_store(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol/vms", false);
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	assert_int_equal(run("mkdir %s/elsewhere && ln -s %s/elsewhere %s/store",
			     g_mnt, g_mnt, g_mnt), 0);
	a.snapshot_dir = talloc_asprintf(mem, "%s/store/inner", g_mnt);
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, NULL, NULL),
			 -RVSS_EUNTRUSTED);
	assert_int_equal(run("test -z \"$(ls -A %s/elsewhere)\" && rm -r %s/elsewhere",
			     g_mnt, g_mnt), 0);
	talloc_free_children(mem);
}

/*
 * An interrupted create leaves a "creating" record without a snapshot id.
 * If the store has fallen into a user's hands, a subvolume the user
 * planted under that name is never deleted for it.
 */
static void test_snapshot_destroy_keeps_planted_entry(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", false);
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL, fake;
	char *base = NULL, *snap = NULL, *reason = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	fake = *rec;
	fake.name = talloc_strdup(mem, "@GMT-2026.11.22-03.42.59");
	fake.snapshot = P(mem, "vol/.rvss-snapshots/@GMT-2026.11.22-03.42.59");
	fake.snap_path = fake.snapshot;
	fake.state = RVSS_STATE_CREATING;
	fake.snapshot_id = 0;
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_catalog_insert(cat, &fake), 0);
	assert_int_equal(run("chown 1000 %s/vol/.rvss-snapshots && "
			     "btrfs -q subvolume create %s >/dev/null && echo mine > %s/f",
			     g_mnt, fake.snapshot, fake.snapshot), 0);
	assert_int_equal(rvss_snap_destroy_record(mem, cat, &fake, &reason),
			 -RVSS_EUNTRUSTED);
	assert_true(file_has(talloc_asprintf(mem, "%s/f", fake.snapshot), "mine\n"));
	assert_int_equal(run("chown 0 %s/vol/.rvss-snapshots", g_mnt), 0);
	talloc_free_children(mem);
}

/* Delete by id takes what a writable copy received, deepest first. */
static void test_btrfs_delete_id_with_nested(void **state)
{
	TALLOC_CTX *mem = *state;
	uint64_t id = 0;
	int fd;

	assert_int_equal(run("btrfs -q subvolume create %s/vol/x >/dev/null && "
			     "btrfs -q subvolume create %s/vol/x/y >/dev/null && "
			     "mkdir %s/vol/x/d && btrfs -q subvolume create %s/vol/x/d/z >/dev/null",
			     g_mnt, g_mnt, g_mnt, g_mnt), 0);
	fd = open(P(mem, "vol/x"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(rvss_btrfs_subvolume_id_fd(fd, &id), 0);
	close(fd);
	fd = open(P(mem, "vol"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(rvss_btrfs_delete_id(fd, id), 0);
	assert_int_equal(rvss_btrfs_delete_id(fd, id), -ENOENT);
	close(fd);
	assert_int_equal(access(P(mem, "vol/x"), F_OK), -1);
	talloc_free_children(mem);
}

/* A srv_fss.tdb as Samba leaves it between its wipe and its transaction. */
static void write_half_written_state(const char *path)
{
	struct tdb_context *tdb = tdb_open(path, 0, TDB_DEFAULT, O_RDWR | O_CREAT, 0600);
	int32_t one = 1;
	TDB_DATA k = { .dptr = (unsigned char *)"db_version", .dsize = 11 };
	TDB_DATA v = { .dptr = (unsigned char *)&one, .dsize = 4 };

	assert_non_null(tdb);
	assert_int_equal(tdb_store(tdb, k, v, TDB_REPLACE), 0);
	tdb_close(tdb);
}

static void test_snapshot_delete_half_written_state_keeps_copy(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", true);
	struct rvss_retain_args keep = { .fss_state_path = P(mem, "srv_fss.tdb") };
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL, *back = NULL;
	char *base = NULL, *snap = NULL;
	bool retained = true;
	time_t t = 1795318926;

	/* The set may be recovered: a half-written file cannot say it is
	 * not, so the copy is neither deleted nor retained. */
	write_half_written_state(keep.fss_state_path);
	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(rvss_snap_delete(mem, g_catalog, base, snap, &keep, &retained, NULL),
			 -EAGAIN);
	assert_false(retained);
	assert_true(is_subvolume(rec->snapshot));
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_catalog_fetch(cat, mem, rec->snapshot, &back), 0);
	assert_int_equal(back->state, RVSS_STATE_CREATED);
	(void)unlink(keep.fss_state_path);
	talloc_free_children(mem);
}

/* gc listed the record (created), then rpcd_fsrvp retained the copy
 * before gc got to reclaim it: gc's stale plan must not delete a backup. */
static void test_snapshot_destroy_refuses_record_changed_meanwhile(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_create_args a = args_for(mem, "vol", false);
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL, *back = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_retain_record(cat, rec, 0, 0), 0);
	assert_int_equal(rvss_snap_destroy_record(mem, cat, rec, NULL), -ESTALE);
	assert_true(is_subvolume(rec->snapshot));
	assert_int_equal(rvss_catalog_fetch(cat, mem, rec->snapshot, &back), 0);
	assert_int_equal(back->state, RVSS_STATE_RETAINED);
	/* On the record as it is now, it acts. */
	assert_int_equal(rvss_snap_destroy_record(mem, cat, back, NULL), 0);
	assert_false(is_subvolume(rec->snapshot));
	talloc_free_children(mem);
}

int main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_snapshot_check_subvolume_root),
		T(test_snapshot_check_directory_inside_subvolume),
		T(test_snapshot_check_refuses_non_btrfs),
		T(test_snapshot_check_refuses_missing_path),
		T(test_snapshot_check_refuses_nested_subvolume_below),
		T(test_snapshot_check_refuses_mount_point_below),
		T(test_snapshot_check_rejects_bad_snapshot_dir),
		T(test_snapshot_create_read_only_keeps_content),
		T(test_snapshot_create_writable_when_asked),
		T(test_snapshot_create_same_second_moves_time_stamp),
		T(test_snapshot_create_skips_foreign_name),
		T(test_snapshot_create_absolute_store),
		T(test_snapshot_create_refuses_store_on_other_fs),
		T(test_snapshot_store_is_not_a_nested_subvolume),
		T(test_btrfs_children_lists_direct_children_only),
		T(test_snapshot_delete_removes_subvolume_and_record),
		T(test_snapshot_delete_writable_with_nested_subvolume),
		T(test_snapshot_delete_refuses_unrecorded_path),
		T(test_snapshot_delete_refuses_base_path_mismatch),
		T(test_snapshot_delete_refuses_swapped_subvolume),
		T(test_snapshot_delete_already_gone_drops_record),
		T(test_snapshot_delete_retains_read_only_copy),
		T(test_snapshot_delete_retains_sealed_writable_into_store),
		T(test_snapshot_delete_does_not_retain_unrecovered_writable),
		T(test_snapshot_create_refuses_user_owned_store),
		T(test_snapshot_create_refuses_writable_by_others),
		T(test_snapshot_create_refuses_symlinked_store),
		T(test_snapshot_create_refuses_symlink_in_absolute_store),
		T(test_snapshot_destroy_keeps_planted_entry),
		T(test_btrfs_delete_id_with_nested),
		T(test_snapshot_delete_half_written_state_keeps_copy),
		T(test_snapshot_destroy_refuses_record_changed_meanwhile),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("snapshot", tests, group_setup, group_teardown);
}
