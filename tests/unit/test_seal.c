/*
 * Unit tests: sealing an exposed writable copy after recovery (lib/seal.c)
 * as the module does on every open and write (rvss_seal_watch_check()),
 * with real snapshots on a loop-mounted btrfs and Samba's srv_fss.tdb on a
 * tmpfs, as Debian keeps it (/run/samba).
 *
 * On tmpfs a write through a shared mapping whose pages are already mapped
 * changes neither mtime, ctime, size nor inode (measured; tdb writes
 * through its mmap), so these tests change the state file that way: what
 * the watcher may not miss.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <tdb.h>

#include "btrfs.h"
#include "btrfs_fixture.h"
#include "catalog.h"
#include "fss_state.h"
#include "seal.h"
#include "snapshot.h"

#define SET_ID "277d28b2-819c-4c22-9252-b86b7cbf14d7"
#define OTHER_SET_ID "848f505c-d1a1-4ce1-ad45-577231769d74"
#define SC_ID "ce558e8b-89fa-4b30-bcb8-8b2ca1a59dd6"

static char g_tmpfs[128];
static char g_catalog[160];
static char g_state[160];

static int group_setup(void **state)
{
	(void)state;
	if (btrfs_fixture_setup("test_seal") != 0) {
		return -1;
	}
	if (!g_ready) {
		return 0;
	}
	snprintf(g_tmpfs, sizeof(g_tmpfs), "%s/run", g_dir);
	snprintf(g_catalog, sizeof(g_catalog), "%s/rvss.tdb", g_dir);
	snprintf(g_state, sizeof(g_state), "%s/srv_fss.tdb", g_tmpfs);
	if (mkdir(g_tmpfs, 0755) != 0 ||
	    mount("tmpfs", g_tmpfs, "tmpfs", 0, "size=4m") != 0) {
		fprintf(stderr, "test_seal: cannot mount a tmpfs\n");
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

static int setup(void **state)
{
	if (!g_ready) {
		skip();
	}
	assert_int_equal(run("btrfs -q subvolume create %s/vol >/dev/null && "
			     "echo live > %s/vol/data.txt", g_mnt, g_mnt), 0);
	*state = talloc_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)run("btrfs -q subvolume delete %s/vol/.rvss-snapshots/.writable/*/ "
		  ">/dev/null 2>&1; btrfs -q subvolume delete %s/vol >/dev/null; "
		  "rm -f %s %s/*", g_mnt, g_mnt, g_catalog, g_tmpfs);
	assert_int_equal(talloc_total_blocks(*state), 1);
	talloc_free(*state);
	return 0;
}

/* A writable (auto-recovery) copy of "vol" with its record. */
static struct rvss_record *make_copy(TALLOC_CTX *mem)
{
	struct rvss_create_args a = {
		.catalog_path = g_catalog,
		.snapshot_dir = RVSS_DEFAULT_SNAPSHOT_DIR,
		.share = "vol",
		.base_volume = talloc_asprintf(mem, "%s/vol", g_mnt),
		.rw = true,
	};
	struct rvss_record *rec = NULL;
	char *base = NULL, *snap = NULL;
	time_t t = 1795318926;

	assert_int_equal(rvss_snap_create(mem, &a, &t, &base, &snap, &rec, NULL), 0);
	return rec;
}

static bool read_only(const struct rvss_record *rec)
{
	bool ro = false;
	int fd = open(rec->snapshot, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	assert_int_equal(rvss_btrfs_get_read_only(fd, &ro), 0);
	close(fd);
	return ro;
}

/*
 * Write a srv_fss.tdb at @path: with @with_set, the set of @rec's copy in
 * @set_state; always another set; without @whole, as Samba leaves the file
 * between its wipe and its transaction (db_version only).
 */
static void write_state(TALLOC_CTX *mem, const char *path, const struct rvss_record *rec,
			bool with_set, int32_t set_state, bool whole)
{
	struct rvss_fss_sc *scs = talloc_zero_array(mem, struct rvss_fss_sc, 2);
	struct rvss_fss_set *sets = talloc_zero_array(mem, struct rvss_fss_set, 2);
	struct rvss_fss_state st = { .db_version = 1, .sets = sets };
	struct tdb_context *tdb;
	TDB_DATA k = { .dptr = (unsigned char *)"sc_set_count", .dsize = 13 };

	scs[0] = (struct rvss_fss_sc) {
		.id = "0b6c4a7e-1111-4c22-9252-b86b7cbf14d7", .volume_name = "/other",
		.sc_path = "/other/@GMT-2026.11.22-03.40.00", .create_ts = 1795318800,
	};
	sets[0] = (struct rvss_fss_set) {
		.id = OTHER_SET_ID, .state = RVSS_FSS_EXPOSED, .scs_count = 1,
		.scs = &scs[0], .num_scs = 1, .consistent = true,
	};
	st.num_sets = 1;
	if (with_set) {
		scs[1] = (struct rvss_fss_sc) {
			.id = SC_ID, .volume_name = rec->base_path,
			.sc_path = rec->snap_path, .create_ts = rec->created,
		};
		sets[1] = (struct rvss_fss_set) {
			.id = SET_ID, .state = set_state,
			.context = RVSS_FSS_CTX_FILE_SHARE_BACKUP | RVSS_FSS_ATTR_AUTO_RECOVERY,
			.scs_count = 1, .scs = &scs[1], .num_scs = 1, .consistent = true,
		};
		st.num_sets = 2;
	}
	(void)unlink(path);
	assert_int_equal(rvss_fss_state_write(path, &st), 0);
	if (!whole) {
		/* What a reader sees after Samba's wipe: no count, no sets. */
		tdb = tdb_open(path, 0, TDB_DEFAULT, O_RDWR, 0600);
		assert_non_null(tdb);
		assert_int_equal(tdb_wipe_all(tdb), 0);
		k.dptr = (unsigned char *)"db_version";
		k.dsize = 11;
		assert_int_equal(tdb_store(tdb, k, (TDB_DATA) {
			.dptr = (unsigned char *)&st.db_version, .dsize = 4 }, TDB_REPLACE), 0);
		tdb_close(tdb);
	}
	talloc_free(scs);
	talloc_free(sets);
}

static uint8_t *slurp(TALLOC_CTX *mem, const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = talloc_zero_size(mem, (size_t)st.st_size);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/*
 * The live state file (g_state, on tmpfs) holds @before's bytes; it is
 * mapped and every page read, so that a later write through the mapping
 * faults no more and leaves every stat field as it was (measured).
 */
struct live {
	uint8_t *map;
	size_t len;
	uint8_t *after;
};

static struct live live_state(TALLOC_CTX *mem, const char *before, const char *after)
{
	size_t lb = 0, la = 0, i;
	uint8_t *b = slurp(mem, before, &lb);
	struct live l = { .after = slurp(mem, after, &la) };
	volatile uint8_t sink = 0;
	int fd;

	l.len = ((lb > la ? lb : la) + 4095) & ~(size_t)4095;
	l.after = talloc_realloc(mem, l.after, uint8_t, l.len);
	memset(l.after + la, 0, l.len - la);
	fd = open(g_state, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)l.len), 0);
	assert_int_equal(pwrite(fd, b, lb, 0), (ssize_t)lb);
	l.map = mmap(NULL, l.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(l.map != MAP_FAILED);
	close(fd);
	for (i = 0; i < l.len; i += 4096) {
		sink += l.map[i];
	}
	(void)sink;
	talloc_free(b);
	return l;
}

/* Samba's next store, as tdb does it: in place, through the mapping. */
static void live_rewrite(struct live *l)
{
	struct stat st0, st1;

	assert_int_equal(stat(g_state, &st0), 0);
	memcpy(l->map, l->after, l->len);
	assert_int_equal(stat(g_state, &st1), 0);
	/* The premise: nothing a stat shows has changed. */
	assert_int_equal(st0.st_mtim.tv_nsec, st1.st_mtim.tv_nsec);
	assert_int_equal(st0.st_ctim.tv_nsec, st1.st_ctim.tv_nsec);
	assert_int_equal(st0.st_size, st1.st_size);
	munmap(l->map, l->len);
	TALLOC_FREE(l->after);
}

static bool refused(struct rvss_seal_watch *w, TALLOC_CTX *mem)
{
	bool refuse = false;
	char *reason = NULL;

	(void)rvss_seal_watch_check(w, mem, &refuse, &reason);
	talloc_free(reason);
	return refuse;
}

static struct rvss_seal_watch *watch_of(TALLOC_CTX *mem, const struct rvss_record *rec)
{
	struct rvss_seal_watch *w = NULL;

	assert_int_equal(rvss_seal_watch_new(mem, g_catalog, g_state, rec->snap_path, &w), 0);
	return w;
}

static void test_seal_recovered_copy_refuses_and_gets_flag(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_record *rec = make_copy(mem);
	struct rvss_seal_watch *w = watch_of(mem, rec);

	write_state(mem, g_state, rec, true, RVSS_FSS_EXPOSED, true);
	assert_false(refused(w, mem));
	assert_false(read_only(rec));
	write_state(mem, g_state, rec, true, RVSS_FSS_RECOVERED, true);
	assert_true(refused(w, mem));
	assert_true(read_only(rec));
	talloc_free_children(mem);
}

/* Item 3: the flag cannot be set (the subvolume is not the recorded one):
 * the set is recovered all the same, so writes are refused. */
static void test_seal_fails_closed_when_flag_fails(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_record *rec = make_copy(mem);
	struct rvss_seal_watch *w = watch_of(mem, rec);
	struct rvss_catalog *cat = NULL;
	struct rvss_record bad = *rec;
	bool refuse = false;
	char *reason = NULL;

	assert_int_equal(rvss_catalog_open(mem, g_catalog, false, &cat), 0);
	bad.snapshot_id += 1000;
	assert_int_equal(rvss_catalog_update(cat, &bad), 0);
	TALLOC_FREE(cat); /* tdb refuses a second open in one process */
	write_state(mem, g_state, rec, true, RVSS_FSS_RECOVERED, true);
	assert_int_equal(rvss_seal_watch_check(w, mem, &refuse, &reason), -EPERM);
	assert_non_null(reason);
	assert_true(refuse);
	assert_false(read_only(rec));
	/* ... and on every later call too. */
	assert_true(refused(w, mem));
	talloc_free_children(mem);
}

/* Item 4: a read caught between Samba's wipe and its transaction (no
 * sets at all) must not be remembered as "not recovered". */
static void test_seal_half_written_read_not_cached(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_record *rec = make_copy(mem);
	struct rvss_seal_watch *w = watch_of(mem, rec);
	char *a = talloc_asprintf(mem, "%s/a.tdb", g_tmpfs);
	char *b = talloc_asprintf(mem, "%s/b.tdb", g_tmpfs);
	struct live l;

	bool refuse = false;
	char *reason = NULL;

	write_state(mem, a, rec, true, RVSS_FSS_EXPOSED, false);
	write_state(mem, b, rec, true, RVSS_FSS_RECOVERED, true);
	l = live_state(mem, a, b);
	/* Half-written for longer than the whole-file read waits: this call
	 * cannot know, so it refuses; the copy is not sealed. */
	assert_int_equal(rvss_seal_watch_check(w, mem, &refuse, &reason), -EAGAIN);
	assert_true(refuse);
	assert_false(read_only(rec));
	live_rewrite(&l);
	assert_true(refused(w, mem));
	assert_true(read_only(rec));
	talloc_free_children(mem);
}

/* Item 4: a whole read that lacks the copy's set (another worker's file,
 * a set not yet stored) must not be remembered either. */
static void test_seal_read_without_set_not_cached(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_record *rec = make_copy(mem);
	struct rvss_seal_watch *w = watch_of(mem, rec);
	char *a = talloc_asprintf(mem, "%s/a.tdb", g_tmpfs);
	char *b = talloc_asprintf(mem, "%s/b.tdb", g_tmpfs);
	struct live l;

	write_state(mem, a, rec, false, 0, true);
	write_state(mem, b, rec, true, RVSS_FSS_RECOVERED, true);
	l = live_state(mem, a, b);
	assert_false(refused(w, mem));
	live_rewrite(&l);
	assert_true(refused(w, mem));
	talloc_free_children(mem);
}

/* Item 4: even a whole read with the set (exposed) may not hide the next
 * store on tmpfs, which changes nothing a stat shows. */
static void test_seal_tmpfs_in_place_store_seen(void **state)
{
	TALLOC_CTX *mem = *state;
	struct rvss_record *rec = make_copy(mem);
	struct rvss_seal_watch *w = watch_of(mem, rec);
	char *a = talloc_asprintf(mem, "%s/a.tdb", g_tmpfs);
	char *b = talloc_asprintf(mem, "%s/b.tdb", g_tmpfs);
	struct live l;

	write_state(mem, a, rec, true, RVSS_FSS_EXPOSED, true);
	write_state(mem, b, rec, true, RVSS_FSS_RECOVERED, true);
	l = live_state(mem, a, b);
	assert_false(refused(w, mem));
	assert_false(refused(w, mem));
	live_rewrite(&l);
	assert_true(refused(w, mem));
	assert_true(read_only(rec));
	talloc_free_children(mem);
}

int main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_seal_recovered_copy_refuses_and_gets_flag),
		T(test_seal_fails_closed_when_flag_fails),
		T(test_seal_half_written_read_not_cached),
		T(test_seal_read_without_set_not_cached),
		T(test_seal_tmpfs_in_place_store_seen),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("seal", tests, group_setup, group_teardown);
}
