/*
 * libFuzzer target: the parsers of rvss: option values (lib/options.c)
 * and the rvss:snapshot dir check (lib/snapshot.c), on arbitrary bytes
 * made a C string, as smb.conf hands them over.
 *
 * Each must return 0 or -EINVAL/-ERANGE and never write its outputs on
 * failure; what it accepts must be consistent: a duration is a number of
 * seconds whose plain-number spelling parses back to itself, a count
 * fits its type, retain's count/age are zero when retain is off, nested
 * subvolumes is one of its two modes.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void ok_or_einval(int ret)
{
	if (ret != 0 && ret != -EINVAL && ret != -ERANGE) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	bool b = true;
	uint32_t count = 0xdeadbeef;
	uint64_t secs = 0xdeadbeefdeadbeefull;
	bool en = true;
	uint32_t rc = 0xdeadbeef;
	uint64_t age = 0xdeadbeefdeadbeefull;
	enum rvss_nested_mode nested = (enum rvss_nested_mode)0x5a;
	int ret;

	if (s == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';

	ret = rvss_parse_bool(s, &b);
	ok_or_einval(ret);
	if (ret != 0 && b != true) {
		abort();
	}

	ret = rvss_parse_count(s, &count);
	ok_or_einval(ret);
	if (ret != 0 && count != 0xdeadbeef) {
		abort();
	}

	ret = rvss_parse_duration(s, &secs);
	ok_or_einval(ret);
	if (ret != 0 && secs != 0xdeadbeefdeadbeefull) {
		abort();
	}
	if (ret == 0) {
		char plain[32];
		uint64_t back = 0;

		snprintf(plain, sizeof(plain), "%" PRIu64, secs);
		if (rvss_parse_duration(plain, &back) != 0 || back != secs) {
			abort();
		}
	}

	ret = rvss_parse_retain(s, &en, &rc, &age);
	ok_or_einval(ret);
	if (ret != 0 && (en != true || rc != 0xdeadbeef ||
			 age != 0xdeadbeefdeadbeefull)) {
		abort();
	}
	if (ret == 0 && !en && (rc != 0 || age != 0)) {
		abort();
	}

	ret = rvss_parse_nested(s, &nested);
	ok_or_einval(ret);
	if (ret != 0 && nested != (enum rvss_nested_mode)0x5a) {
		abort();
	}
	if (ret == 0 && nested != RVSS_NESTED_REFUSE &&
	    nested != RVSS_NESTED_INCLUDE) {
		abort();
	}

	if (rvss_snapshot_dir_valid(s)) {
		/* non-empty, no "." / ".." component, no "//" */
		if (s[0] == '\0' || strstr(s, "//") != NULL) {
			abort();
		}
	}
	free(s);
	return 0;
}
