/*
 * libFuzzer target: snapshot names (lib/snapname.c) on arbitrary bytes.
 *
 * rvss deletes only what parses as its own name, so the parser must be
 * exact: a name it accepts is 24 bytes and formats back to itself from
 * the time it yields; rvss_snapname_valid() agrees with the parser.  The
 * first 8 bytes, as a time, must format to a name that parses back to
 * that time (or be refused with -EINVAL).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char buf[RVSS_SNAPNAME_LEN + 1];
	time_t t = 0;
	int64_t raw = 0;
	int ret;

	if (s == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';

	ret = rvss_snapname_parse(s, &t);
	if (ret != 0 && ret != -EINVAL) {
		abort();
	}
	if ((ret == 0) != rvss_snapname_valid(s)) {
		abort();
	}
	if (ret == 0) {
		if (strlen(s) != RVSS_SNAPNAME_LEN ||
		    rvss_snapname_format(t, buf) != 0 || strcmp(buf, s) != 0) {
			abort();
		}
	}

	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	ret = rvss_snapname_format((time_t)raw, buf);
	if (ret != 0 && ret != -EINVAL) {
		abort();
	}
	if (ret == 0) {
		if (strlen(buf) != RVSS_SNAPNAME_LEN ||
		    rvss_snapname_parse(buf, &t) != 0 || t != (time_t)raw) {
			abort();
		}
	}
	free(s);
	return 0;
}
