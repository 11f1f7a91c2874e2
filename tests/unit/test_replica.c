/*
 * Unit tests: replica records and the choice of a send's parent
 * (lib/replica.c), in a real catalog file beside snapshot records.
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

#include "catalog.h"
#include "replica.h"

struct fixture {
	TALLOC_CTX *mem;
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = talloc_new(NULL);
	assert_non_null(f->mem);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rvss-replica-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/rvss.tdb", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	(void)unlink(f->path);
	(void)rmdir(f->dir);
	assert_int_equal(talloc_total_blocks(f->mem), 1);
	talloc_free(f->mem);
	free(f);
	return 0;
}

static struct rvss_replica *sample(TALLOC_CTX *mem, const char *target,
				   const char *share, const char *uuid, time_t created)
{
	struct rvss_replica *r = talloc_zero(mem, struct rvss_replica);

	assert_non_null(r);
	r->version = RVSS_REPLICA_VERSION;
	r->target = talloc_strdup(r, target);
	r->share = talloc_strdup(r, share);
	r->name = talloc_strdup(r, "@GMT-2026.11.22-03.42.06");
	r->uuid = talloc_strdup(r, uuid);
	r->parent_uuid = talloc_strdup(r, "");
	r->path = talloc_strdup(r, "/srv/rvss/vms/@GMT-2026.11.22-03.42.06");
	r->target_uuid = talloc_strdup(r, "0b4e28ba-2fa1-11d2-883f-0016d3cca427");
	r->snapshot_id = 301;
	r->created = created;
	r->sent = created + 60;
	r->bytes = 123456789;
	return r;
}

static void test_replica_pack_round_trip(void **state)
{
	struct fixture *f = *state;
	struct rvss_replica *r = sample(f->mem, "cmd:ssh b@h 'sudo btrfs receive /x'\nz\\",
					"vms", "1b4e28ba-2fa1-11d2-883f-0016d3cca427", -5);
	struct rvss_replica *back = NULL;
	char *buf = rvss_replica_pack(f->mem, r);

	assert_non_null(buf);
	assert_int_equal(strncmp(buf, "version=1\n", 10), 0);
	assert_int_equal(rvss_replica_unpack(f->mem, buf, strlen(buf), &back), 0);
	assert_non_null(back);
	assert_string_equal(back->target, r->target);
	assert_string_equal(back->uuid, r->uuid);
	assert_string_equal(back->path, r->path);
	assert_int_equal(back->created, -5);
	assert_int_equal(back->bytes, 123456789);
	assert_int_equal(back->snapshot_id, 301);
	talloc_free(back);
	talloc_free(buf);
	talloc_free(r);
}

static void test_replica_unpack_rejects_bad(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"target=dir:/x\nshare=v\nname=n\nuuid=u\n",            /* no version */
		"version=2\ntarget=dir:/x\nshare=v\nname=n\nuuid=u\n", /* newer format */
		"version=1\ntarget=dir:/x\nshare=v\nname=n\n",         /* no uuid */
		"version=1\ntarget=dir:/x\nshare=v\nname=n\nuuid=u\nbytes=-1\n",
		"version=1\ntarget=dir:/x\nshare=v\nname=n\nuuid=u\nsent=1x\n",
		"version=1\ntarget=dir:\\q\nshare=v\nname=n\nuuid=u\n",
		"version=1\ntarget=dir:/x\nshare=v\nname=n\nuuid=u",    /* no newline */
	};
	struct rvss_replica *r = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rvss_replica_unpack(f->mem, bad[i], strlen(bad[i]), &r),
				 -EBADMSG);
		assert_null(r);
	}
	/* unknown keys of the same version are ignored; absent strings are "" */
	static const char *const newer = "version=1\ntarget=dir:/x\nshare=v\nname=n\n"
					  "uuid=u\nfuture=1\n";

	assert_int_equal(rvss_replica_unpack(f->mem, newer, strlen(newer), &r), 0);
	assert_string_equal(r->path, "");
	talloc_free(r);
}

static void test_replica_records_beside_snapshot_records(void **state)
{
	struct fixture *f = *state;
	struct rvss_catalog *cat = NULL;
	struct rvss_record snap = {
		.snapshot = (char *)"/srv/vol/.rvss-snapshots/@GMT-2026.11.22-03.42.06",
		.name = (char *)"@GMT-2026.11.22-03.42.06", .share = (char *)"vms",
		.source = (char *)"/srv/vol", .state = RVSS_STATE_RETAINED,
	};
	struct rvss_record **recs = NULL;
	struct rvss_replica **reps = NULL;
	size_t n = 0, bad = 9;

	assert_int_equal(rvss_catalog_open(f->mem, f->path, true, &cat), 0);
	assert_int_equal(rvss_catalog_insert(cat, &snap), 0);
	assert_int_equal(rvss_replica_record(cat, NULL, sample(f->mem, "dir:/a", "vms", "u1", 10)), 0);
	assert_int_equal(rvss_replica_record(cat, NULL, sample(f->mem, "dir:/a", "vms", "u2", 5)), 0);
	assert_int_equal(rvss_replica_record(cat, NULL, sample(f->mem, "dir:/b", "vms", "u1", 10)), 0);
	assert_int_equal(rvss_replica_record(cat, NULL, sample(f->mem, "dir:/a", "sql", "u3", 1)), 0);
	assert_int_equal(rvss_catalog_kind_replace(cat, "replica:junk", NULL, "garbage"), 0);

	/* snapshot readers see only the snapshot record */
	assert_int_equal(rvss_catalog_list(cat, f->mem, &recs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(recs[0]->snapshot, snap.snapshot);
	talloc_free(recs);

	/* per target and share, sorted by time; the bad one counted */
	assert_int_equal(rvss_replica_list(cat, f->mem, "dir:/a", "vms", &reps, &n, &bad), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bad, 1);
	assert_string_equal(reps[0]->uuid, "u2");
	assert_string_equal(reps[1]->uuid, "u1");
	talloc_free(reps);
	assert_int_equal(rvss_replica_list(cat, f->mem, NULL, NULL, &reps, &n, NULL), 0);
	assert_int_equal(n, 4);
	talloc_free(reps);
	talloc_free(cat);
	talloc_free_children(f->mem);
}

static void test_replica_record_compare_and_replace(void **state)
{
	struct fixture *f = *state;
	struct rvss_catalog *cat = NULL;
	struct rvss_replica *a = sample(f->mem, "dir:/a", "vms", "u1", 10);
	struct rvss_replica *b = sample(f->mem, "dir:/a", "vms", "u1", 10);
	struct rvss_replica *other = sample(f->mem, "dir:/a", "vms", "u2", 10);

	b->bytes = 1;
	assert_int_equal(rvss_catalog_open(f->mem, f->path, true, &cat), 0);
	assert_int_equal(rvss_replica_record(cat, NULL, a), 0);
	assert_int_equal(rvss_replica_record(cat, NULL, a), -EEXIST);
	assert_int_equal(rvss_replica_record(cat, b, a), -ESTALE);
	assert_int_equal(rvss_replica_record(cat, other, a), -EINVAL);
	assert_int_equal(rvss_replica_record(cat, a, b), 0);
	assert_int_equal(rvss_replica_forget(cat, a), -ESTALE);
	assert_int_equal(rvss_replica_forget(cat, b), 0);
	assert_int_equal(rvss_replica_forget(cat, b), -ENOENT);
	assert_int_equal(rvss_catalog_kind_replace(cat, "/abs", NULL, "x"), -EINVAL);
	talloc_free(cat);
	talloc_free_children(f->mem);
}

static void test_replica_parent_newest_common(void **state)
{
	/* times 1..5; the target holds 1, 2, 3; 3 was pruned here */
	struct rvss_replica_item it[] = {
		{ 1, true, true }, { 2, true, true }, { 3, false, true },
		{ 4, true, false }, { 5, true, false },
	};

	(void)state;
	assert_int_equal(rvss_replica_parent(it, 5, 3), 1); /* not the pruned 3 */
	it[3].held = true;
	assert_int_equal(rvss_replica_parent(it, 5, 4), 3);
	/* nothing in common any more: in full */
	it[0].local = it[1].local = it[3].local = false;
	assert_int_equal(rvss_replica_parent(it, 5, 4), -1);
	/* only newer ones in common: the oldest of them */
	it[0].held = false;
	it[3].local = it[4].held = true;
	it[3].held = true;
	assert_int_equal(rvss_replica_parent(it, 5, 0), 3);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replica_pack_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replica_unpack_rejects_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replica_records_beside_snapshot_records,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_replica_record_compare_and_replace,
						setup, teardown),
		cmocka_unit_test(test_replica_parent_newest_common),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("replica", tests, NULL, NULL);
}
