/*
 * rvss — snapshot names: format and strict parse, round-trip tested.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "snapname.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SNAPNAME_FMT "@GMT-%Y.%m.%d-%H.%M.%S"

int rvss_snapname_format(time_t t, char buf[RVSS_SNAPNAME_LEN + 1])
{
	struct tm tm;
	char tmp[64];
	size_t n;

	if (gmtime_r(&t, &tm) == NULL) {
		return -EINVAL;
	}
	if (tm.tm_year + 1900 < 1000 || tm.tm_year + 1900 > 9999) {
		return -EINVAL;
	}
	n = strftime(tmp, sizeof(tmp), SNAPNAME_FMT, &tm);
	if (n != RVSS_SNAPNAME_LEN) {
		return -EINVAL;
	}
	memcpy(buf, tmp, RVSS_SNAPNAME_LEN + 1);
	return 0;
}

int rvss_snapname_parse(const char *name, time_t *ret_t)
{
	struct tm tm;
	const char *end;
	char again[RVSS_SNAPNAME_LEN + 1];
	time_t t;
	size_t i;

	if (name == NULL || strlen(name) != RVSS_SNAPNAME_LEN) {
		return -EINVAL;
	}
	/* strptime accepts single digits and spaces; require the exact shape. */
	for (i = 0; i < RVSS_SNAPNAME_LEN; i++) {
		const char *shape = "@GMT-dddd.dd.dd-dd.dd.dd";
		if (shape[i] == 'd') {
			if (name[i] < '0' || name[i] > '9') {
				return -EINVAL;
			}
		} else if (name[i] != shape[i]) {
			return -EINVAL;
		}
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(name, SNAPNAME_FMT, &tm);
	if (end == NULL || *end != '\0') {
		return -EINVAL;
	}
	/*
	 * No "t == -1" test: -1 is 1969-12-31 23:59:59, a time that
	 * rvss_snapname_format() names.  A timegm() failure (-1) is caught
	 * below, as -1 formats to another name (found by fuzz_snapname).
	 * Refuse names that normalise to another time (Feb 30, 24:00, ...).
	 */
	t = timegm(&tm);
	if (rvss_snapname_format(t, again) != 0 || strcmp(again, name) != 0) {
		return -EINVAL;
	}
	*ret_t = t;
	return 0;
}

bool rvss_snapname_valid(const char *name)
{
	time_t t;

	return rvss_snapname_parse(name, &t) == 0;
}
