/*
 * Unit tests: the agent's JSON string writer (fsrvp_agent/jsonout.c).
 * Each test compares the exact bytes written with what RFC 8259 and
 * jsonout.h say they must be.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "jsonout.h"

/* What agent_json_string() (member == NULL) or agent_json_member() writes. */
static char *render(const char *member, const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (member == NULL) {
		agent_json_string(f, s);
	} else {
		agent_json_member(f, member, s);
	}
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	return buf;
}

static void json_is(const char *in, const char *want)
{
	char *got = render(NULL, in);

	assert_string_equal(got, want);
	free(got);
}

static void member_is(const char *in, const char *want)
{
	char *got = render("path", in);

	assert_string_equal(got, want);
	free(got);
}

static void test_jsonout_backslash_escaped_once(void **state)
{
	json_is("a\\b", "\"a\\\\b\"");
	json_is("\\\\server\\share", "\"\\\\\\\\server\\\\share\"");
}

static void test_jsonout_quote(void **state)
{
	json_is("say \"hi\"", "\"say \\\"hi\\\"\"");
}

static void test_jsonout_control_characters(void **state)
{
	json_is("\x01\n\t\r\x1f\x7f.",
		      "\"\\u0001\\n\\t\\r\\u001f\\u007f.\"");
	json_is("\b\f", "\"\\u0008\\u000c\"");
}

static void test_jsonout_valid_multibyte_kept(void **state)
{
	/* 2, 3 and 4 byte sequences, and the last ones of Unicode. */
	json_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		      "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	json_is("\xef\xbf\xbf\xf4\x8f\xbf\xbf",
		      "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	member_is("\xe2\x82\xac", "\"path\": \"\xe2\x82\xac\"");
}

static void test_jsonout_invalid_bytes_replaced(void **state)
{
	json_is("a\xff" "b", "\"a\\ufffdb\"");
	/* a lone continuation byte; C0/C1 lead bytes */
	json_is("\x80", "\"\\ufffd\"");
	json_is("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	/* overlong 3-byte "/", a UTF-16 surrogate, beyond U+10FFFF */
	json_is("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");
	json_is("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	json_is("\xf4\x90\x80\x80",
		      "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* truncated at the end, and interrupted by ASCII */
	json_is("\xe2\x82", "\"\\ufffd\\ufffd\"");
	json_is("\xe2\x82z", "\"\\ufffd\\ufffdz\"");
}

static void test_jsonout_member_valid_has_no_b64(void **state)
{
	member_is("vm1/disk.vhdx", "\"path\": \"vm1/disk.vhdx\"");
	member_is("a\\b", "\"path\": \"a\\\\b\"");
}

static void test_jsonout_member_invalid_has_exact_b64(void **state)
{
	/* base64("a\xff" "b") = "Yf9i"; padding of one and two bytes */
	member_is("a\xff" "b", "\"path\": \"a\\ufffdb\", "
		      "\"path_b64\": \"Yf9i\"");
	member_is("\xff", "\"path\": \"\\ufffd\", \"path_b64\": \"/w==\"");
	member_is("\xfe\xff", "\"path\": \"\\ufffd\\ufffd\", "
		      "\"path_b64\": \"/v8=\"");
	member_is("d/\x01\xe9\\", "\"path\": \"d/\\u0001\\ufffd\\\\\", "
		      "\"path_b64\": \"ZC8B6Vw=\"");
}

static void test_jsonout_null(void **state)
{
	json_is(NULL, "null");
	member_is(NULL, "\"path\": null");
	json_is("", "\"\"");
}

static void test_jsonout_utf8_valid(void **state)
{
	assert_true(agent_utf8_valid("", 0));
	assert_true(agent_utf8_valid("\xc2\x80", 2));
	assert_false(agent_utf8_valid("\xc2\x80", 1));
	assert_false(agent_utf8_valid("\xc1\xbf", 2));
	assert_false(agent_utf8_valid("\xf5\x80\x80\x80", 4));
	assert_false(agent_utf8_valid("\xf0\x8f\xbf\xbf", 4));
	assert_true(agent_utf8_valid("\xf0\x90\x80\x80", 4));
	assert_true(agent_utf8_valid("\xed\x9f\xbf", 3));
	assert_false(agent_utf8_valid("\xed\xbf\xbf", 3));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonout_backslash_escaped_once),
		cmocka_unit_test(test_jsonout_quote),
		cmocka_unit_test(test_jsonout_control_characters),
		cmocka_unit_test(test_jsonout_valid_multibyte_kept),
		cmocka_unit_test(test_jsonout_invalid_bytes_replaced),
		cmocka_unit_test(test_jsonout_member_valid_has_no_b64),
		cmocka_unit_test(test_jsonout_member_invalid_has_exact_b64),
		cmocka_unit_test(test_jsonout_null),
		cmocka_unit_test(test_jsonout_utf8_valid),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
