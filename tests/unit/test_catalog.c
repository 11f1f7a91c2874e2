/*
 * Unit tests: the catalog of rvss's records (lib/catalog.c), on a real tdb
 * in a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "catalog.h"

struct fixture {
	TALLOC_CTX *mem;
	char dir[64];
	char *path;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = talloc_new(NULL);
	assert_non_null(f->mem);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rvss-catalog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = talloc_asprintf(f->mem, "%s/rvss.tdb", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	(void)unlink(f->path);
	(void)rmdir(f->dir);
	talloc_free(f->path);
	assert_int_equal(talloc_total_blocks(f->mem), 1);
	talloc_free(f->mem);
	free(f);
	return 0;
}

static struct rvss_record *sample(TALLOC_CTX *mem, const char *snapshot, time_t created)
{
	struct rvss_record *r = talloc_zero(mem, struct rvss_record);

	assert_non_null(r);
	r->snapshot = talloc_strdup(r, snapshot);
	r->name = talloc_strdup(r, strrchr(snapshot, '/') + 1);
	r->share = talloc_strdup(r, "vms");
	r->base_path = talloc_strdup(r, "/srv/vol/vms");
	r->snap_path = talloc_asprintf(r, "%s/vms", snapshot);
	r->source = talloc_strdup(r, "/srv/vol");
	r->set_id = talloc_strdup(r, "");
	r->sc_id = talloc_strdup(r, "");
	r->exposed_share = talloc_strdup(r, "");
	r->source_id = 256;
	r->snapshot_id = 300;
	r->created = created;
	r->updated = created + 1;
	r->rw = true;
	r->state = RVSS_STATE_CREATED;
	r->creator_pid = 1234;
	return r;
}

static void test_catalog_pack_round_trip(void **state)
{
	struct fixture *f = *state;
	struct rvss_record *r = sample(f->mem, "/srv/vol/.rvss-snapshots/@GMT-2026.11.22-03.42.06", 1795318926);
	struct rvss_record *back = NULL;
	char *buf;

	/* Odd bytes in paths survive: newline and backslash are escaped. */
	talloc_free(r->share);
	r->share = talloc_strdup(r, "we\\ird\nshare=x");
	buf = rvss_record_pack(f->mem, r);
	assert_non_null(buf);
	assert_int_equal(rvss_record_unpack(f->mem, buf, strlen(buf), &back), 0);
	assert_string_equal(back->snapshot, r->snapshot);
	assert_string_equal(back->share, "we\\ird\nshare=x");
	assert_string_equal(back->snap_path, r->snap_path);
	assert_int_equal(back->source_id, 256);
	assert_int_equal(back->snapshot_id, 300);
	assert_int_equal(back->created, 1795318926);
	assert_true(back->rw);
	assert_false(back->sealed);
	assert_int_equal(back->state, RVSS_STATE_CREATED);
	assert_int_equal(back->creator_pid, 1234);
	talloc_free(back);
	talloc_free(buf);
	talloc_free(r);
}

static void test_catalog_unpack_rejects_corrupt(void **state)
{
	struct fixture *f = *state;
	struct rvss_record *back = NULL;
	const char *bad[] = {
		"name=x\n",                          /* no key */
		"snapshot=/a\nstate=flying\n",       /* unknown state */
		"snapshot=/a\nrw=2\n",               /* bad bool */
		"snapshot=/a\ncreated=12x\n",        /* bad number */
		"snapshot=/a\nsource_id=-1\n",       /* negative id */
		"snapshot=/a\nshare=x\\q\n",         /* bad escape */
		"snapshot=/a\nshare=x",              /* no final newline */
		"snapshot=/a\n=x\n",                 /* empty key */
		"snapshot=/a\nnoequals\n",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rvss_record_unpack(f->mem, bad[i], strlen(bad[i]), &back),
				 -EBADMSG);
	}
	/* Unknown keys are ignored (newer writers stay readable). */
	assert_int_equal(rvss_record_unpack(f->mem, "snapshot=/a\nfuture=1\n", 21, &back), 0);
	assert_string_equal(back->share, "");
	talloc_free(back);
}

static void test_catalog_open_missing_without_create(void **state)
{
	struct fixture *f = *state;
	struct rvss_catalog *cat = NULL;

	assert_int_equal(rvss_catalog_open(f->mem, f->path, false, &cat), -ENOENT);
	assert_null(cat);
}

static void test_catalog_insert_reserves_name(void **state)
{
	struct fixture *f = *state;
	struct rvss_catalog *cat = NULL;
	struct rvss_record *r = sample(f->mem, "/s/@GMT-2026.11.22-03.42.06", 1);
	struct stat st;

	assert_int_equal(rvss_catalog_open(f->mem, f->path, true, &cat), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(rvss_catalog_insert(cat, r), 0);
	assert_int_equal(rvss_catalog_insert(cat, r), -EEXIST);
	r->rw = false;
	assert_int_equal(rvss_catalog_update(cat, r), 0);
	talloc_free(r);
	talloc_free(cat);
}

static void test_catalog_fetch_remove(void **state)
{
	struct fixture *f = *state;
	struct rvss_catalog *cat = NULL;
	struct rvss_record *r = sample(f->mem, "/s/@GMT-2026.11.22-03.42.06", 1);
	struct rvss_record *back = NULL;

	assert_int_equal(rvss_catalog_open(f->mem, f->path, true, &cat), 0);
	assert_int_equal(rvss_catalog_fetch(cat, f->mem, r->snapshot, &back), -ENOENT);
	assert_int_equal(rvss_catalog_insert(cat, r), 0);
	assert_int_equal(rvss_catalog_fetch(cat, f->mem, r->snapshot, &back), 0);
	assert_string_equal(back->base_path, "/srv/vol/vms");
	talloc_free(back);
	assert_int_equal(rvss_catalog_remove(cat, r->snapshot), 0);
	assert_int_equal(rvss_catalog_remove(cat, r->snapshot), -ENOENT);
	talloc_free(r);
	talloc_free(cat);
}

/* gc removed the record (reclaimed) while another process still held a
 * copy: that process's update must not bring it back. */
static void test_catalog_update_does_not_resurrect(void **state)
{
	struct fixture *f = *state;
	struct rvss_catalog *cat = NULL;
	struct rvss_record *r = sample(f->mem, "/s/@GMT-2026.11.22-03.42.06", 1);
	struct rvss_record *back = NULL;

	assert_int_equal(rvss_catalog_open(f->mem, f->path, true, &cat), 0);
	assert_int_equal(rvss_catalog_insert(cat, r), 0);
	assert_int_equal(rvss_catalog_remove(cat, r->snapshot), 0);
	r->sealed = true;
	assert_int_equal(rvss_catalog_update(cat, r), -ENOENT);
	assert_int_equal(rvss_catalog_fetch(cat, f->mem, r->snapshot, &back), -ENOENT);
	talloc_free(r);
	talloc_free(cat);
}

/* Compare and replace: acts only on the record the caller read. */
static void test_catalog_replace_refuses_changed_record(void **state)
{
	struct fixture *f = *state;
	struct rvss_catalog *cat = NULL;
	struct rvss_record *seen = sample(f->mem, "/s/@GMT-2026.11.22-03.42.06", 1);
	struct rvss_record *other = sample(f->mem, "/s/@GMT-2026.11.22-03.42.06", 1);
	struct rvss_record *mine = sample(f->mem, "/s/@GMT-2026.11.22-03.42.06", 1);
	struct rvss_record *back = NULL;

	assert_int_equal(rvss_catalog_open(f->mem, f->path, true, &cat), 0);
	assert_int_equal(rvss_catalog_insert(cat, seen), 0);
	/* Another process retains it meanwhile ... */
	other->state = RVSS_STATE_RETAINED;
	assert_int_equal(rvss_catalog_replace(cat, seen, other), 0);
	/* ... so what this one planned on the old record is refused. */
	mine->state = RVSS_STATE_DELETING;
	assert_int_equal(rvss_catalog_replace(cat, seen, mine), -ESTALE);
	assert_int_equal(rvss_catalog_remove_expected(cat, seen), -ESTALE);
	assert_int_equal(rvss_catalog_fetch(cat, f->mem, seen->snapshot, &back), 0);
	assert_int_equal(back->state, RVSS_STATE_RETAINED);
	talloc_free(back);
	/* On the current record it acts; a removed record stays removed. */
	assert_int_equal(rvss_catalog_replace(cat, other, mine), 0);
	assert_int_equal(rvss_catalog_remove_expected(cat, mine), 0);
	assert_int_equal(rvss_catalog_replace(cat, mine, other), -ENOENT);
	assert_int_equal(rvss_catalog_fetch(cat, f->mem, seen->snapshot, &back), -ENOENT);
	talloc_free(seen);
	talloc_free(other);
	talloc_free(mine);
	talloc_free(cat);
}

static void test_catalog_survives_reopen_and_lists_sorted(void **state)
{
	struct fixture *f = *state;
	struct rvss_catalog *cat = NULL;
	struct rvss_record **recs = NULL;
	struct rvss_record *found = NULL;
	size_t n = 0;

	assert_int_equal(rvss_catalog_open(f->mem, f->path, true, &cat), 0);
	assert_int_equal(rvss_catalog_insert(cat, sample(cat, "/s/@GMT-2026.11.22-03.42.09", 9)), 0);
	assert_int_equal(rvss_catalog_insert(cat, sample(cat, "/s/@GMT-2026.11.22-03.42.07", 7)), 0);
	assert_int_equal(rvss_catalog_insert(cat, sample(cat, "/s/@GMT-2026.11.22-03.42.08", 8)), 0);
	talloc_free(cat);

	assert_int_equal(rvss_catalog_open(f->mem, f->path, false, &cat), 0);
	assert_int_equal(rvss_catalog_list(cat, f->mem, &recs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(recs[0]->created, 7);
	assert_int_equal(recs[1]->created, 8);
	assert_int_equal(recs[2]->created, 9);
	talloc_free(recs);

	assert_int_equal(rvss_catalog_find_snap_path(cat, f->mem, "/s/@GMT-2026.11.22-03.42.08/vms", &found), 0);
	assert_int_equal(found->created, 8);
	talloc_free(found);
	assert_int_equal(rvss_catalog_find_snap_path(cat, f->mem, "/s/@GMT-2026.11.22-03.42.08", &found), -ENOENT);
	talloc_free(cat);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog_pack_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_unpack_rejects_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_open_missing_without_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_insert_reserves_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_fetch_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_update_does_not_resurrect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_replace_refuses_changed_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catalog_survives_reopen_and_lists_sorted, setup, teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
