/*
 * Unit tests: the reclaim / seal / retain plan (lib/reclaim.c), one rule
 * per test, on records and Samba-state links built by the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "reclaim.h"

#define NOW 1800000000

static const struct rvss_reclaim_policy POLICY = {
	.now = NOW, .seq_timeout = 180, .timer_slack = RVSS_DEFAULT_TIMER_SLACK,
	.grace = 600, .expose_max_age = 86400,
	.fss_workers = 1,
};

static struct rvss_record *rec(TALLOC_CTX *mem, const char *name, time_t created,
			       enum rvss_record_state state, bool rw)
{
	struct rvss_record *r = talloc_zero(mem, struct rvss_record);

	r->snapshot = talloc_asprintf(r, "/v/.rvss-snapshots/%s", name);
	r->name = talloc_strdup(r, name);
	r->source = talloc_strdup(r, "/v");
	r->snap_path = talloc_strdup(r, r->snapshot);
	r->created = created;
	r->updated = created;
	r->state = state;
	r->rw = rw;
	return r;
}

static struct rvss_fss_link link_of(int state, time_t create_ts)
{
	return (struct rvss_fss_link) {
		.found = true, .set_state = state, .create_ts = create_ts,
		.set_id = "set", .sc_id = "sc", .exposed_share = "",
	};
}

static const struct rvss_fss_link NO_LINK = { .found = false };

static struct rvss_decision plan1(TALLOC_CTX *mem, struct rvss_record *r,
				  struct rvss_fss_link l, bool alive,
				  const struct rvss_reclaim_policy *p)
{
	struct rvss_decision *d = NULL;

	assert_int_equal(rvss_reclaim_plan(mem, &r, &l, &alive, 1, p, &d), 0);
	assert_ptr_equal(d[0].rec, r);
	return d[0];
}

static void test_reclaim_live_exposed_set_is_kept(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_decision d = plan1(mem, rec(mem, "a", NOW - 3600, RVSS_STATE_CREATED, true),
				       link_of(RVSS_FSS_EXPOSED, NOW - 3600), false, &POLICY);

	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	assert_false(d.repair_set);
	talloc_free(mem);
}

static void test_reclaim_committed_within_timer_is_kept(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_decision d = plan1(mem, rec(mem, "a", NOW - 60, RVSS_STATE_CREATED, false),
				       link_of(RVSS_FSS_COMMITTED, NOW - 60), true, &POLICY);

	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	talloc_free(mem);
}

static void test_reclaim_committed_after_timer_is_reclaimed_and_repaired(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_decision d = plan1(mem, rec(mem, "a", NOW - 300, RVSS_STATE_CREATED, false),
				       link_of(RVSS_FSS_COMMITTED, NOW - 300), true, &POLICY);

	assert_int_equal(d.action, RVSS_ACTION_RECLAIM);
	assert_true(d.repair_set);
	assert_non_null(strstr(d.reason, "never exposed"));
	talloc_free(mem);
}

static void test_reclaim_committed_age_counts_from_snapshot_not_add(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_record *r = rec(mem, "a", NOW - 900, RVSS_STATE_CREATED, false);
	struct rvss_decision d;

	/* Add 900 s ago (the set's time stamp, and the name's), Commit -- the
	 * snapshot -- 20 s ago: Samba's timer after Commit is still running. */
	r->updated = NOW - 20;
	d = plan1(mem, r, link_of(RVSS_FSS_COMMITTED, NOW - 900), true, &POLICY);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	assert_false(d.repair_set);
	talloc_free(mem);
}

/* Samba's default rpcd_fsrvp:num_workers (5): another worker may have
 * rewritten srv_fss.tdb without this snapshot's set. */
static void test_reclaim_unreferenced_kept_with_several_workers(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_reclaim_policy p = POLICY;
	struct rvss_decision d;

	p.fss_workers = 5;
	d = plan1(mem, rec(mem, "a", NOW - 3600, RVSS_STATE_CREATED, true), NO_LINK,
		  true, &p);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	assert_true(d.held);
	assert_non_null(strstr(d.reason, "rpcd_fsrvp:num_workers"));
	talloc_free(mem);
}

/* ... or written back its own, older copy of the set (committed). */
static void test_reclaim_committed_kept_with_several_workers(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_reclaim_policy p = POLICY;
	struct rvss_decision d;

	p.fss_workers = 2;
	d = plan1(mem, rec(mem, "a", NOW - 3600, RVSS_STATE_CREATED, false),
		  link_of(RVSS_FSS_COMMITTED, NOW - 3600), true, &p);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	assert_true(d.held);
	assert_false(d.repair_set);
	talloc_free(mem);
}

/* What rvss knows from its own records still acts: interrupted creates,
 * retention, and the seal (a "recovered" state is never a stale one). */
static void test_reclaim_own_rules_act_with_several_workers(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_reclaim_policy p = POLICY;
	struct rvss_record *old = rec(mem, "r", NOW - 7200, RVSS_STATE_RETAINED, false);
	struct rvss_decision d;

	p.fss_workers = 0;
	d = plan1(mem, rec(mem, "a", NOW - 3600, RVSS_STATE_CREATING, false), NO_LINK,
		  false, &p);
	assert_int_equal(d.action, RVSS_ACTION_RECLAIM);
	d = plan1(mem, rec(mem, "b", NOW - 3600, RVSS_STATE_CREATED, true),
		  link_of(RVSS_FSS_RECOVERED, NOW - 3600), true, &p);
	assert_int_equal(d.action, RVSS_ACTION_SEAL);
	old->retain_age = 3600;
	d = plan1(mem, old, NO_LINK, true, &p);
	assert_int_equal(d.action, RVSS_ACTION_PRUNE);
	assert_false(d.held);
	talloc_free(mem);
}

static void test_reclaim_short_sequence_timeout(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_reclaim_policy p = POLICY;
	struct rvss_decision d;

	p.seq_timeout = 1; /* "fss: sequence timeout = 1", as in tests */
	d = plan1(mem, rec(mem, "a", NOW - 40, RVSS_STATE_CREATED, false),
		  link_of(RVSS_FSS_COMMITTED, NOW - 40), true, &p);
	assert_int_equal(d.action, RVSS_ACTION_RECLAIM);
	talloc_free(mem);
}

/* rvss:timer slack moves the limit: 1 s timer + 2 s slack. */
static void test_reclaim_timer_slack_option(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_reclaim_policy p = POLICY;
	struct rvss_decision d;

	p.seq_timeout = 1;
	p.timer_slack = 2;
	d = plan1(mem, rec(mem, "a", NOW - 2, RVSS_STATE_CREATED, false),
		  link_of(RVSS_FSS_COMMITTED, NOW - 2), true, &p);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	d = plan1(mem, rec(mem, "b", NOW - 4, RVSS_STATE_CREATED, false),
		  link_of(RVSS_FSS_COMMITTED, NOW - 4), true, &p);
	assert_int_equal(d.action, RVSS_ACTION_RECLAIM);
	p.timer_slack = RVSS_DEFAULT_TIMER_SLACK;
	d = plan1(mem, rec(mem, "c", NOW - 4, RVSS_STATE_CREATED, false),
		  link_of(RVSS_FSS_COMMITTED, NOW - 4), true, &p);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	talloc_free(mem);
}

static void test_reclaim_unreferenced_after_grace(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_decision young = plan1(mem, rec(mem, "a", NOW - 5, RVSS_STATE_CREATED, false),
					   NO_LINK, true, &POLICY);
	struct rvss_decision old = plan1(mem, rec(mem, "b", NOW - 601, RVSS_STATE_CREATED, false),
					 NO_LINK, true, &POLICY);

	assert_int_equal(young.action, RVSS_ACTION_KEEP);
	assert_int_equal(old.action, RVSS_ACTION_RECLAIM);
	assert_false(old.repair_set);
	talloc_free(mem);
}

static void test_reclaim_interrupted_creation(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_decision dead = plan1(mem, rec(mem, "a", NOW - 2, RVSS_STATE_CREATING, false),
					  NO_LINK, false, &POLICY);
	struct rvss_decision alive = plan1(mem, rec(mem, "b", NOW - 2, RVSS_STATE_CREATING, false),
					   NO_LINK, true, &POLICY);

	assert_int_equal(dead.action, RVSS_ACTION_RECLAIM);
	assert_int_equal(alive.action, RVSS_ACTION_KEEP);
	talloc_free(mem);
}

static void test_reclaim_interrupted_deletion(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_decision d = plan1(mem, rec(mem, "a", NOW, RVSS_STATE_DELETING, false),
				       link_of(RVSS_FSS_EXPOSED, NOW), true, &POLICY);

	assert_int_equal(d.action, RVSS_ACTION_RECLAIM);
	talloc_free(mem);
}

static void test_reclaim_recovered_writable_is_sealed_once(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_record *r = rec(mem, "a", NOW - 10, RVSS_STATE_CREATED, true);
	struct rvss_decision d = plan1(mem, r, link_of(RVSS_FSS_RECOVERED, NOW - 10), true, &POLICY);

	assert_int_equal(d.action, RVSS_ACTION_SEAL);
	r->sealed = true;
	d = plan1(mem, r, link_of(RVSS_FSS_RECOVERED, NOW - 10), true, &POLICY);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	/* A read-only copy never needs sealing. */
	d = plan1(mem, rec(mem, "b", NOW - 10, RVSS_STATE_CREATED, false),
		  link_of(RVSS_FSS_RECOVERED, NOW - 10), true, &POLICY);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	talloc_free(mem);
}

static void test_reclaim_exposed_beyond_max_age(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_reclaim_policy never = POLICY;
	struct rvss_decision d;

	d = plan1(mem, rec(mem, "a", NOW - 90000, RVSS_STATE_CREATED, false),
		  link_of(RVSS_FSS_EXPOSED, NOW - 90000), true, &POLICY);
	assert_int_equal(d.action, RVSS_ACTION_RECLAIM);
	assert_true(d.repair_set);
	never.expose_max_age = 0;
	d = plan1(mem, rec(mem, "b", NOW - 90000, RVSS_STATE_CREATED, false),
		  link_of(RVSS_FSS_RECOVERED, NOW - 90000), true, &never);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	talloc_free(mem);
}

static void test_reclaim_retained_pruned_by_count_per_source(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_reclaim_policy p = POLICY;
	struct rvss_record *r[4];
	struct rvss_fss_link l[4] = { NO_LINK, NO_LINK, NO_LINK, NO_LINK };
	bool alive[4] = { false, false, false, false };
	struct rvss_decision *d = NULL;

	r[0] = rec(mem, "a", NOW - 400, RVSS_STATE_RETAINED, false);
	r[1] = rec(mem, "b", NOW - 300, RVSS_STATE_RETAINED, false);
	r[2] = rec(mem, "c", NOW - 200, RVSS_STATE_RETAINED, false);
	r[3] = rec(mem, "d", NOW - 500, RVSS_STATE_RETAINED, false);
	r[0]->retain_count = r[1]->retain_count = r[2]->retain_count = r[3]->retain_count = 2;
	talloc_free(r[3]->source);
	r[3]->source = talloc_strdup(r[3], "/other"); /* another subvolume */
	assert_int_equal(rvss_reclaim_plan(mem, r, l, alive, 4, &p, &d), 0);
	assert_int_equal(d[0].action, RVSS_ACTION_PRUNE); /* oldest of three */
	assert_int_equal(d[1].action, RVSS_ACTION_KEEP);
	assert_int_equal(d[2].action, RVSS_ACTION_KEEP);
	assert_int_equal(d[3].action, RVSS_ACTION_KEEP);
	talloc_free(mem);
}

static void test_reclaim_retained_pruned_by_age(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_reclaim_policy p = POLICY;
	struct rvss_decision d;

	struct rvss_record *a = rec(mem, "a", NOW - 8 * 86400, RVSS_STATE_RETAINED, false);
	struct rvss_record *b = rec(mem, "b", NOW - 6 * 86400, RVSS_STATE_RETAINED, false);

	a->retain_age = b->retain_age = 7 * 86400;
	d = plan1(mem, a, NO_LINK, false, &p);
	assert_int_equal(d.action, RVSS_ACTION_PRUNE);
	d = plan1(mem, b, NO_LINK, false, &p);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	/* Retained snapshots are never reclaimed as "unreferenced". */
	d = plan1(mem, rec(mem, "c", NOW - 8 * 86400, RVSS_STATE_RETAINED, false), NO_LINK, false, &p);
	assert_int_equal(d.action, RVSS_ACTION_KEEP);
	talloc_free(mem);
}

static void test_reclaim_plan_rejects_missing_arrays(void **state)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct rvss_decision *d = NULL;

	assert_int_equal(rvss_reclaim_plan(mem, NULL, NULL, NULL, 1, &POLICY, &d), -EINVAL);
	assert_int_equal(rvss_reclaim_plan(mem, NULL, NULL, NULL, 0, NULL, &d), -EINVAL);
	assert_int_equal(rvss_reclaim_plan(mem, NULL, NULL, NULL, 0, &POLICY, &d), 0);
	talloc_free(mem);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reclaim_live_exposed_set_is_kept),
		cmocka_unit_test(test_reclaim_committed_within_timer_is_kept),
		cmocka_unit_test(test_reclaim_committed_after_timer_is_reclaimed_and_repaired),
		cmocka_unit_test(test_reclaim_committed_age_counts_from_snapshot_not_add),
		cmocka_unit_test(test_reclaim_unreferenced_kept_with_several_workers),
		cmocka_unit_test(test_reclaim_committed_kept_with_several_workers),
		cmocka_unit_test(test_reclaim_own_rules_act_with_several_workers),
		cmocka_unit_test(test_reclaim_short_sequence_timeout),
		cmocka_unit_test(test_reclaim_timer_slack_option),
		cmocka_unit_test(test_reclaim_unreferenced_after_grace),
		cmocka_unit_test(test_reclaim_interrupted_creation),
		cmocka_unit_test(test_reclaim_interrupted_deletion),
		cmocka_unit_test(test_reclaim_recovered_writable_is_sealed_once),
		cmocka_unit_test(test_reclaim_exposed_beyond_max_age),
		cmocka_unit_test(test_reclaim_retained_pruned_by_count_per_source),
		cmocka_unit_test(test_reclaim_retained_pruned_by_age),
		cmocka_unit_test(test_reclaim_plan_rejects_missing_arrays),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("reclaim", tests, NULL, NULL);
}
