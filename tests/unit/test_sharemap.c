/*
 * Unit tests: several shares of one set mapped into one snapshot -- the
 * catalog's mappings and their release (lib/sharemap.c, lib/catalog.c), on
 * a real tdb in a temporary directory; and rvss_sharemap_create() on a
 * loop-mounted btrfs: which shares join which snapshot, told by the
 * set's talloc context.
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

#include "btrfs_fixture.h"
#include "catalog.h"
#include "fss_state.h"
#include "reclaim.h"
#include "sharemap.h"
#include "snapshot.h"

#define SNAP "/srv/vol/.rvss-snapshots/@GMT-2026.11.30-23.00.00"

struct fixture {
	TALLOC_CTX *mem;
	char dir[64];
	char *path;
	struct rvss_catalog *cat;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = talloc_new(NULL);
	assert_non_null(f->mem);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rvss-sharemap-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = talloc_asprintf(f->mem, "%s/rvss.tdb", f->dir);
	assert_int_equal(rvss_catalog_open(f->mem, f->path, true, &f->cat), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	TALLOC_FREE(f->cat);
	(void)unlink(f->path);
	(void)rmdir(f->dir);
	talloc_free(f->mem);
	free(f);
	return 0;
}

/* The record of SNAP with share s1 first and s2..s@n further mapped. */
static struct rvss_record *mapped(TALLOC_CTX *mem, size_t n)
{
	struct rvss_record *r = talloc_zero(mem, struct rvss_record);
	size_t i;

	assert_non_null(r);
	r->snapshot = talloc_strdup(r, SNAP);
	r->name = talloc_strdup(r, strrchr(SNAP, '/') + 1);
	r->share = talloc_strdup(r, "s1");
	r->base_path = talloc_strdup(r, "/srv/vol/s1");
	r->snap_path = talloc_strdup(r, SNAP "/s1");
	r->source = talloc_strdup(r, "/srv/vol");
	r->set_id = talloc_strdup(r, "");
	r->sc_id = talloc_strdup(r, "");
	r->exposed_share = talloc_strdup(r, "");
	r->source_id = 256;
	r->snapshot_id = 300;
	r->created = 1796166000;
	r->updated = 1796166000;
	r->state = RVSS_STATE_CREATED;
	r->creator_pid = 1234;
	r->num_maps = n > 1 ? n - 1 : 0;
	r->maps = talloc_zero_array(r, struct rvss_mapping, r->num_maps + 1);
	for (i = 0; i < r->num_maps; i++) {
		r->maps[i].share = talloc_asprintf(r, "s%zu", i + 2);
		r->maps[i].base_path = talloc_asprintf(r, "/srv/vol/s%zu", i + 2);
		r->maps[i].snap_path = talloc_asprintf(r, SNAP "/s%zu", i + 2);
	}
	return r;
}

static struct rvss_record *stored(struct fixture *f)
{
	struct rvss_record *r = NULL;

	assert_int_equal(rvss_catalog_fetch(f->cat, f->mem, SNAP, &r), 0);
	return r;
}

static void test_sharemap_pack_round_trip(void **state)
{
	struct fixture *f = *state;
	struct rvss_record *r = mapped(f->mem, 3), *back = NULL;
	char *buf;

	talloc_free(r->maps[1].snap_path);
	r->maps[1].snap_path = talloc_strdup(r, SNAP "/odd\nname\\x");
	buf = rvss_record_pack(f->mem, r);
	assert_non_null(buf);
	assert_int_equal(rvss_record_unpack(f->mem, buf, strlen(buf), &back), 0);
	assert_int_equal(back->num_maps, 2);
	assert_string_equal(back->maps[0].share, "s2");
	assert_string_equal(back->maps[0].base_path, "/srv/vol/s2");
	assert_string_equal(back->maps[0].snap_path, SNAP "/s2");
	assert_string_equal(back->maps[1].snap_path, SNAP "/odd\nname\\x");
	assert_true(rvss_record_equal(r, back));
	assert_int_equal(rvss_sharemap_count(back), 3);
	back->maps[1].share[0] = 'X';
	assert_false(rvss_record_equal(r, back));
	talloc_free(back);
	talloc_free(buf);
	talloc_free(r);
}

static void test_sharemap_unpack_rejects_broken_mappings(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {
		"snapshot=/a\nmap_base_path=/b\n",                    /* no map_share */
		"snapshot=/a\nmap_share=s\nmap_snap_path=/a/s\n",     /* no base */
		"snapshot=/a\nmap_share=s\nmap_base_path=/b\n",       /* no snap_path */
		"snapshot=/a\nmap_share=s\nmap_share=t\n",            /* incomplete */
		"snapshot=/a\nmap_share=s\nmap_base_path=/b\nmap_base_path=/c\n",
		"snapshot=/a\nmap_bogus=1\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rvss_record *back = NULL;

		assert_int_equal(rvss_record_unpack(f->mem, bad[i], strlen(bad[i]), &back),
				 -EBADMSG);
	}
}

static void test_sharemap_find_by_any_mapping(void **state)
{
	struct fixture *f = *state;
	struct rvss_record *r = mapped(f->mem, 3), *got = NULL;

	assert_int_equal(rvss_catalog_insert(f->cat, r), 0);
	assert_int_equal(rvss_catalog_find_snap_path(f->cat, f->mem, SNAP "/s3", &got), 0);
	assert_string_equal(got->snapshot, SNAP);
	assert_string_equal(rvss_sharemap_base_path(got, SNAP "/s3"), "/srv/vol/s3");
	assert_string_equal(rvss_sharemap_base_path(got, SNAP "/s1"), "/srv/vol/s1");
	assert_null(rvss_sharemap_base_path(got, SNAP "/s4"));
	assert_int_equal(rvss_catalog_find_snap_path(f->cat, f->mem, SNAP "/s4", &got),
			 -ENOENT);
	/* A released mapping still lies in its snapshot. */
	assert_int_equal(rvss_sharemap_owner(f->cat, f->mem, SNAP "/s4", &got), 0);
	assert_string_equal(got->snapshot, SNAP);
	assert_int_equal(rvss_sharemap_owner(f->cat, f->mem, SNAP "x/s4", &got), -ENOENT);
}

/* Each of 64 mappings released in turn, first, last and middle ones,
 * through a catalog reopened after each (a process killed in between
 * leaves exactly the mappings not yet released). */
static void test_sharemap_release_in_turn_counts_down(void **state)
{
	struct fixture *f = *state;
	struct rvss_record *r = mapped(f->mem, 64);
	size_t order[64], i, left = 99;

	assert_int_equal(rvss_catalog_insert(f->cat, r), 0);
	for (i = 0; i < 64; i++) {
		order[i] = i % 2 == 0 ? i / 2 + 1 : 64 - i / 2; /* 1, 64, 2, 63, ... */
	}
	for (i = 0; i < 64; i++) {
		char *p = talloc_asprintf(f->mem, SNAP "/s%zu", order[i]);
		struct rvss_record *cur = stored(f);

		assert_int_equal(rvss_sharemap_count(cur), 64 - i);
		assert_int_equal(rvss_sharemap_release(f->cat, cur, p, &left), 0);
		TALLOC_FREE(f->cat);
		assert_int_equal(rvss_catalog_open(f->mem, f->path, false, &f->cat), 0);
		cur = stored(f);
		if (i < 63) {
			assert_int_equal(left, 63 - i);
			assert_int_equal(rvss_sharemap_count(cur), 63 - i);
			assert_false(rvss_record_maps_path(cur, p));
			/* released twice: no such mapping */
			assert_int_equal(rvss_sharemap_release(f->cat, cur, p, &left), -ENOENT);
		} else {
			/* the last one: nothing changed, the caller deletes */
			assert_int_equal(left, 0);
			assert_true(rvss_record_maps_path(cur, p));
			assert_int_equal(rvss_sharemap_count(cur), 1);
		}
		talloc_free(p);
	}
}

/* The first mapping released: the next one takes its place in the record
 * (what reclaim and retain read as the record's own share). */
static void test_sharemap_release_first_promotes_next(void **state)
{
	struct fixture *f = *state;
	struct rvss_record *r = mapped(f->mem, 3), *cur;
	size_t left = 0;

	assert_int_equal(rvss_catalog_insert(f->cat, r), 0);
	assert_int_equal(rvss_sharemap_release(f->cat, r, SNAP "/s1", &left), 0);
	assert_int_equal(left, 2);
	cur = stored(f);
	assert_string_equal(cur->share, "s2");
	assert_string_equal(cur->base_path, "/srv/vol/s2");
	assert_string_equal(cur->snap_path, SNAP "/s2");
	assert_int_equal(cur->num_maps, 1);
	assert_string_equal(cur->maps[0].snap_path, SNAP "/s3");
}

/* A stale copy of the record (another release happened since it was
 * read) is re-read, never written over: both releases count. */
static void test_sharemap_release_from_stale_copy(void **state)
{
	struct fixture *f = *state;
	struct rvss_record *r = mapped(f->mem, 3), *cur;
	size_t left = 0;

	assert_int_equal(rvss_catalog_insert(f->cat, r), 0);
	assert_int_equal(rvss_sharemap_release(f->cat, r, SNAP "/s2", &left), 0);
	assert_int_equal(left, 2);
	/* r is stale now */
	assert_int_equal(rvss_sharemap_release(f->cat, r, SNAP "/s3", &left), 0);
	assert_int_equal(left, 1);
	cur = stored(f);
	assert_int_equal(rvss_sharemap_count(cur), 1);
	assert_string_equal(cur->snap_path, SNAP "/s1");
	/* the record gone meanwhile: stays gone */
	assert_int_equal(rvss_catalog_remove(f->cat, SNAP), 0);
	assert_int_equal(rvss_sharemap_release(f->cat, r, SNAP "/s1", &left), -ENOENT);
}

/* Samba's state names only the shares not yet deleted: the record's set
 * is found through any mapping (so reclaim never calls it dead while one
 * lives), and not at all once none is left. */
static void test_sharemap_reclaim_links_any_mapping(void **state)
{
	struct fixture *f = *state;
	struct rvss_record *r = mapped(f->mem, 3);
	struct rvss_record *recs[1] = { r };
	struct rvss_fss_sc sc = {
		.id = "sc-3", .volume_name = "/srv/vol/s3", .sc_path = SNAP "/s3",
	};
	struct rvss_fss_set set = {
		.id = "set-1", .state = RVSS_FSS_EXPOSED, .scs = &sc, .num_scs = 1,
		.scs_count = 1, .consistent = true,
	};
	struct rvss_fss_state st = {
		.db_version = 1, .sc_set_count = 1, .sets = &set, .num_sets = 1,
	};
	struct rvss_fss_link *links = NULL;

	assert_int_equal(rvss_reclaim_links(f->mem, recs, 1, &st, &links), 0);
	assert_true(links[0].found);
	assert_string_equal(links[0].set_id, "set-1");
	assert_string_equal(links[0].sc_id, "sc-3");
	sc.sc_path = SNAP "/s4";
	assert_int_equal(rvss_reclaim_links(f->mem, recs, 1, &st, &links), 0);
	assert_false(links[0].found);
}

/* ------------------------------------------------------------ on btrfs */

static char g_catalog[160];

static int btrfs_group_setup(void **state)
{
	(void)state;
	if (btrfs_fixture_setup("test_sharemap") != 0) {
		return -1;
	}
	snprintf(g_catalog, sizeof(g_catalog), "%s/rvss.tdb", g_dir);
	return 0;
}

static int btrfs_group_teardown(void **state)
{
	(void)state;
	btrfs_fixture_teardown();
	return 0;
}

/* Fresh subvolumes "vol" (share directories a, b, c) and "other". */
static int btrfs_setup(void **state)
{
	if (!g_ready) {
		skip();
	}
	assert_int_equal(run("btrfs -q subvolume create %s/vol >/dev/null && "
			     "btrfs -q subvolume create %s/other >/dev/null && "
			     "for d in a b c; do mkdir %s/vol/$d && echo $d > %s/vol/$d/f; done",
			     g_mnt, g_mnt, g_mnt, g_mnt), 0);
	*state = talloc_new(NULL);
	return 0;
}

static int btrfs_teardown(void **state)
{
	(void)run("for v in vol other; do for s in %s/$v/.rvss-snapshots/.writable/@* "
		  "%s/$v/.rvss-snapshots/@*; do [ -d \"$s\" ] && btrfs -q subvolume delete "
		  "\"$s\" >/dev/null; done; btrfs -q subvolume delete %s/$v >/dev/null; done; "
		  "rm -f %s", g_mnt, g_mnt, g_mnt, g_catalog);
	talloc_free(*state);
	return 0;
}

struct made {
	char *base, *snap, *snapshot;
	bool joined;
	time_t t;
};

static struct made make_nested(TALLOC_CTX *set_ctx, const char *rel, bool rw,
			       enum rvss_nested_mode nested)
{
	struct made m = { .t = 1796166000 };
	struct rvss_create_args args = {
		.catalog_path = g_catalog,
		.snapshot_dir = RVSS_DEFAULT_SNAPSHOT_DIR,
		.share = rel,
		.base_volume = talloc_asprintf(set_ctx, "%s/%s", g_mnt, rel),
		.rw = rw,
		.nested = nested,
	};
	char *reason = NULL;
	int ret;

	ret = rvss_sharemap_create(set_ctx, &args, &m.t, &m.base, &m.snap, &m.snapshot,
				   &m.joined, &reason);
	if (ret != 0) {
		fail_msg("rvss_sharemap_create %s: %s (%s)", rel, strerror(-ret),
			 reason != NULL ? reason : "");
	}
	return m;
}

static struct made make(TALLOC_CTX *set_ctx, const char *rel, bool rw)
{
	return make_nested(set_ctx, rel, rw, RVSS_NESTED_REFUSE);
}

static size_t count_snapshots(const char *vol)
{
	char cmd[512];
	FILE *p;
	size_t n = 0;
	char line[512];

	snprintf(cmd, sizeof(cmd), "btrfs subvolume list -o %s/%s | grep -c '/@GMT-'", g_mnt, vol);
	p = popen(cmd, "r");
	assert_non_null(p);
	if (fgets(line, sizeof(line), p) != NULL) {
		n = (size_t)atoi(line);
	}
	pclose(p);
	return n;
}

static size_t mappings_of(const char *snapshot)
{
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL;
	size_t n;

	assert_int_equal(rvss_catalog_open(NULL, g_catalog, false, &cat), 0);
	assert_int_equal(rvss_catalog_fetch(cat, cat, snapshot, &rec), 0);
	n = rvss_sharemap_count(rec);
	talloc_free(cat);
	return n;
}

/* Shares of one subvolume within one set context: one snapshot, each at
 * its own directory; its time stamp for all; the set's shares of another
 * subvolume get their own. */
static void test_sharemap_one_snapshot_per_subvolume_per_set(void **state)
{
	TALLOC_CTX *set = talloc_new(*state);
	struct made a, b, o, c;

	a = make(set, "vol/a", false);
	b = make(set, "vol/b", false);
	o = make(set, "other", false);
	c = make(set, "vol/c", false);
	assert_false(a.joined);
	assert_true(b.joined);
	assert_false(o.joined);
	assert_true(c.joined);
	assert_string_equal(b.snapshot, a.snapshot);
	assert_string_equal(c.snapshot, a.snapshot);
	assert_string_equal(b.snap, talloc_asprintf(set, "%s/b", a.snapshot));
	assert_string_equal(b.base, talloc_asprintf(set, "%s/vol/b", g_mnt));
	assert_int_equal(b.t, a.t);
	assert_string_not_equal(o.snapshot, a.snapshot);
	assert_int_equal(count_snapshots("vol"), 1);
	assert_int_equal(count_snapshots("other"), 1);
	assert_int_equal(mappings_of(a.snapshot), 3);
	assert_int_equal(mappings_of(o.snapshot), 1);
	talloc_free(set);
}

/* A set context freed and another made -- at the same address if the
 * allocator reuses it, as Samba's next Commit frame may -- starts empty:
 * two sets never share a snapshot, even in the same second. */
static void test_sharemap_next_set_never_joins(void **state)
{
	TALLOC_CTX *set1 = talloc_new(*state), *set2;
	const void *addr = set1;
	struct made a1, a2, b2;

	const char *first;

	a1 = make(set1, "vol/a", false);
	first = talloc_strdup(*state, a1.snapshot);
	talloc_free(set1);
	set2 = talloc_new(*state);
	if (set2 == addr) {
		print_message("(the second set context reuses the first one's address)\n");
	}
	a2 = make(set2, "vol/a", false);
	b2 = make(set2, "vol/b", false);
	assert_false(a2.joined);
	assert_string_not_equal(a2.snapshot, first);
	assert_true(b2.joined);
	assert_string_equal(b2.snapshot, a2.snapshot);
	assert_int_equal(count_snapshots("vol"), 2);
	talloc_free(set2);
}

/* Writable and read-only never mix; the same share twice gets two; a
 * share directory made after the snapshot is not in it: that share gets
 * its own. */
static void test_sharemap_joins_only_what_fits(void **state)
{
	TALLOC_CTX *set = talloc_new(*state);
	struct made a, brw, again, late;

	a = make(set, "vol/a", false);
	brw = make(set, "vol/b", true);
	assert_false(brw.joined);
	/* the same share path twice (Samba refuses that at Add) */
	again = make(set, "vol/a", false);
	assert_false(again.joined);
	assert_string_not_equal(again.snapshot, a.snapshot);
	assert_int_equal(run("mkdir %s/vol/late", g_mnt), 0);
	late = make(set, "vol/late", false);
	assert_false(late.joined);
	assert_string_not_equal(late.snapshot, a.snapshot);
	assert_int_equal(count_snapshots("vol"), 4);
	talloc_free(set);
}

/* A share with rvss:nested subvolumes = include neither joins another
 * share's snapshot (which holds only the subvolumes nested below that
 * share) nor takes the one of a share committed after it. */
static void test_sharemap_nested_include_gets_its_own(void **state)
{
	TALLOC_CTX *set = talloc_new(*state);
	struct made a, inc, b;

	a = make(set, "vol/a", false);
	inc = make_nested(set, "vol/b", false, RVSS_NESTED_INCLUDE);
	assert_false(inc.joined);
	assert_string_not_equal(inc.snapshot, a.snapshot);
	b = make(set, "vol/c", false);
	assert_true(b.joined);
	assert_int_equal(count_snapshots("vol"), 2);
	talloc_free(set);
}

/* DeleteShareMapping of each share: the snapshot stays until the last. */
static void test_sharemap_delete_keeps_until_last(void **state)
{
	TALLOC_CTX *set = talloc_new(*state);
	struct made m[3];
	const char *rel[3] = { "vol/b", "vol/a", "vol/c" };
	struct stat st;
	size_t i;

	for (i = 0; i < 3; i++) {
		m[i] = make(set, rel[i], false);
	}
	for (i = 0; i < 3; i++) {
		char *reason = NULL;

		assert_int_equal(rvss_snap_delete(set, g_catalog, m[i].base, m[i].snap, NULL,
						  NULL, &reason), 0);
		if (i < 2) {
			assert_int_equal(stat(m[0].snapshot, &st), 0);
			assert_int_equal(mappings_of(m[0].snapshot), 2 - i);
			/* the released one is not deleted again, nor refused */
			assert_int_equal(rvss_snap_delete(set, g_catalog, m[i].base, m[i].snap,
							  NULL, NULL, &reason), 0);
			assert_int_equal(stat(m[0].snapshot, &st), 0);
		}
	}
	assert_int_equal(stat(m[0].snapshot, &st), -1);
	assert_int_equal(count_snapshots("vol"), 0);
	talloc_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sharemap_pack_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_unpack_rejects_broken_mappings,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_find_by_any_mapping, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_release_in_turn_counts_down,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_release_first_promotes_next,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_release_from_stale_copy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_reclaim_links_any_mapping, setup,
						teardown),
	};

	const struct CMUnitTest btrfs_tests[] = {
		cmocka_unit_test_setup_teardown(test_sharemap_one_snapshot_per_subvolume_per_set,
						btrfs_setup, btrfs_teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_next_set_never_joins, btrfs_setup,
						btrfs_teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_joins_only_what_fits, btrfs_setup,
						btrfs_teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_nested_include_gets_its_own,
						btrfs_setup, btrfs_teardown),
		cmocka_unit_test_setup_teardown(test_sharemap_delete_keeps_until_last,
						btrfs_setup, btrfs_teardown),
	};
	int failed;

	failed = cmocka_run_group_tests_name("sharemap", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("sharemap on btrfs", btrfs_tests,
					      btrfs_group_setup, btrfs_group_teardown);
	return failed;
}
