/*
 * Unit tests: snapshot names (lib/snapname.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "snapname.h"

static void test_snapname_format_utc(void **state)
{
	char buf[RVSS_SNAPNAME_LEN + 1];

	assert_int_equal(rvss_snapname_format(0, buf), 0);
	assert_string_equal(buf, "@GMT-1970.01.01-00.00.00");
	assert_int_equal(rvss_snapname_format(1795318926, buf), 0);
	assert_string_equal(buf, "@GMT-2026.11.22-03.42.06");
}

static void test_snapname_round_trip(void **state)
{
	time_t samples[] = { 0, 1, 59, 86399, 951782400 /* 2000-02-29 */,
			     1795318926, 4102444799 /* 2099-12-31 23:59:59 */ };
	size_t i;

	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		char buf[RVSS_SNAPNAME_LEN + 1];
		time_t back = -1;

		assert_int_equal(rvss_snapname_format(samples[i], buf), 0);
		assert_int_equal(rvss_snapname_parse(buf, &back), 0);
		assert_int_equal(back, samples[i]);
	}
}

/* Found by fuzz_snapname: time -1 has a name, which must parse back. */
static void test_snapname_round_trip_minus_one(void **state)
{
	char buf[RVSS_SNAPNAME_LEN + 1];
	time_t back = 0;

	assert_int_equal(rvss_snapname_format((time_t)-1, buf), 0);
	assert_string_equal(buf, "@GMT-1969.12.31-23.59.59");
	assert_int_equal(rvss_snapname_parse(buf, &back), 0);
	assert_int_equal(back, -1);
	assert_true(rvss_snapname_valid(buf));
	/* ... and an earlier negative time too */
	assert_int_equal(rvss_snapname_parse("@GMT-1969.12.31-23.59.58", &back),
			 0);
	assert_int_equal(back, -2);
}

static void test_snapname_parse_rejects_shapes(void **state)
{
	const char *bad[] = {
		"", "@GMT-", "snap", "@GMT-2026.11.22-03.42.6",
		"@GMT-2026.11.22-03.42.066", "@GMT-2026.11.22-03.42.06 ",
		" @GMT-2026.11.22-03.42.06", "@gmt-2026.11.22-03.42.06",
		"@GMT-2026-11-22-03.42.06", "@GMT-2026.11.22_03.42.06",
		"@GMT-2026.11.22-03.42.06/..", "../@GMT-2026.11.22-03.42",
		"@GMT-2026.1 .22-03.42.06", "@GMT-+026.11.22-03.42.06",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		time_t t = 42;

		assert_int_equal(rvss_snapname_parse(bad[i], &t), -EINVAL);
		assert_int_equal(t, 42); /* untouched on failure */
		assert_false(rvss_snapname_valid(bad[i]));
	}
	assert_int_equal(rvss_snapname_parse(NULL, NULL), -EINVAL);
}

static void test_snapname_parse_rejects_impossible_dates(void **state)
{
	const char *bad[] = {
		"@GMT-2026.02.30-00.00.00", "@GMT-2026.13.01-00.00.00",
		"@GMT-2026.00.10-00.00.00", "@GMT-2026.01.01-24.00.00",
		"@GMT-2026.01.01-23.60.00", "@GMT-2025.02.29-00.00.00",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(rvss_snapname_valid(bad[i]));
	}
	assert_true(rvss_snapname_valid("@GMT-2024.02.29-23.59.59"));
}

static void test_snapname_format_rejects_5_digit_years(void **state)
{
	char buf[RVSS_SNAPNAME_LEN + 1];

	assert_int_equal(rvss_snapname_format((time_t)253402300800LL /* year 10000 */, buf),
			 -EINVAL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapname_format_utc),
		cmocka_unit_test(test_snapname_round_trip),
		cmocka_unit_test(test_snapname_round_trip_minus_one),
		cmocka_unit_test(test_snapname_parse_rejects_shapes),
		cmocka_unit_test(test_snapname_parse_rejects_impossible_dates),
		cmocka_unit_test(test_snapname_format_rejects_5_digit_years),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("snapname", tests, NULL, NULL);
}
