/*
 * Unit tests: option value parsers (lib/options.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>

#include "options.h"

static void test_options_bool_accepts_samba_spellings(void **state)
{
	const char *yes[] = { "yes", "YES", "True", "on", "1" };
	const char *no[] = { "no", "False", "OFF", "0" };
	bool b;
	size_t i;

	for (i = 0; i < 5; i++) {
		b = false;
		assert_int_equal(rvss_parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (i = 0; i < 4; i++) {
		b = true;
		assert_int_equal(rvss_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
}

static void test_options_bool_rejects_garbage(void **state)
{
	bool b = true;

	assert_int_equal(rvss_parse_bool("yess", &b), -EINVAL);
	assert_int_equal(rvss_parse_bool("", &b), -EINVAL);
	assert_int_equal(rvss_parse_bool(" yes", &b), -EINVAL);
	assert_int_equal(rvss_parse_bool(NULL, &b), -EINVAL);
	assert_true(b);
}

static void test_options_count(void **state)
{
	uint32_t v = 7;

	assert_int_equal(rvss_parse_count("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(rvss_parse_count("4294967295", &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(rvss_parse_count("4294967296", &v), -ERANGE);
	assert_int_equal(rvss_parse_count("-1", &v), -EINVAL);
	assert_int_equal(rvss_parse_count("12x", &v), -EINVAL);
	assert_int_equal(rvss_parse_count("", &v), -EINVAL);
}

static void test_options_duration_units(void **state)
{
	uint64_t s = 0;

	assert_int_equal(rvss_parse_duration("90", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(rvss_parse_duration("90s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(rvss_parse_duration("30m", &s), 0);
	assert_int_equal(s, 1800);
	assert_int_equal(rvss_parse_duration("12h", &s), 0);
	assert_int_equal(s, 43200);
	assert_int_equal(rvss_parse_duration("7d", &s), 0);
	assert_int_equal(s, 604800);
	assert_int_equal(rvss_parse_duration("2w", &s), 0);
	assert_int_equal(s, 1209600);
}

static void test_options_duration_rejects_garbage(void **state)
{
	uint64_t s = 5;

	assert_int_equal(rvss_parse_duration("7dd", &s), -EINVAL);
	assert_int_equal(rvss_parse_duration("d", &s), -EINVAL);
	assert_int_equal(rvss_parse_duration("1y", &s), -EINVAL);
	assert_int_equal(rvss_parse_duration("-3h", &s), -EINVAL);
	assert_int_equal(rvss_parse_duration("99999999999999999999", &s), -ERANGE);
	assert_int_equal(rvss_parse_duration("9999999999999999999w", &s), -ERANGE);
	assert_int_equal(s, 5);
}

static void test_options_retain(void **state)
{
	bool on = false;
	uint32_t count = 9;
	uint64_t age = 9;

	assert_int_equal(rvss_parse_retain("no", &on, &count, &age), 0);
	assert_false(on);
	assert_int_equal(rvss_parse_retain("yes", &on, &count, &age), 0);
	assert_true(on);
	assert_int_equal(count, 0);
	assert_int_equal(age, 0);
	assert_int_equal(rvss_parse_retain("14", &on, &count, &age), 0);
	assert_int_equal(count, 14);
	assert_int_equal(age, 0);
	assert_int_equal(rvss_parse_retain("30d", &on, &count, &age), 0);
	assert_int_equal(count, 0);
	assert_int_equal(age, 30 * 86400);
	assert_int_equal(rvss_parse_retain(" 14 , 30d ", &on, &count, &age), 0);
	assert_int_equal(count, 14);
	assert_int_equal(age, 30 * 86400);
}

static void test_options_retain_rejects_garbage(void **state)
{
	bool on = true;
	uint32_t count = 9;
	uint64_t age = 9;
	const char *bad[] = { "", "14,15", "1d,2d", "0", "0d", "14,", ",", "x", "14 days" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(rvss_parse_retain(bad[i], &on, &count, &age), -EINVAL);
	}
	assert_true(on);
	assert_int_equal(count, 9);
}

static void test_options_nested(void **state)
{
	const char *bad[] = { "", "yes", "no", "include ", " refuse", "inc",
			      "refused", "include,refuse" };
	enum rvss_nested_mode m = RVSS_NESTED_INCLUDE;
	size_t i;

	assert_int_equal(rvss_parse_nested("refuse", &m), 0);
	assert_int_equal(m, RVSS_NESTED_REFUSE);
	assert_int_equal(rvss_parse_nested("Include", &m), 0);
	assert_int_equal(m, RVSS_NESTED_INCLUDE);
	assert_int_equal(rvss_parse_nested("REFUSE", &m), 0);
	assert_int_equal(m, RVSS_NESTED_REFUSE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = RVSS_NESTED_INCLUDE;
		assert_int_equal(rvss_parse_nested(bad[i], &m), -EINVAL);
		assert_int_equal(m, RVSS_NESTED_INCLUDE);
	}
	assert_int_equal(rvss_parse_nested(NULL, &m), -EINVAL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_bool_accepts_samba_spellings),
		cmocka_unit_test(test_options_bool_rejects_garbage),
		cmocka_unit_test(test_options_count),
		cmocka_unit_test(test_options_duration_units),
		cmocka_unit_test(test_options_duration_rejects_garbage),
		cmocka_unit_test(test_options_retain),
		cmocka_unit_test(test_options_retain_rejects_garbage),
		cmocka_unit_test(test_options_nested),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
