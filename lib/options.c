/*
 * rvss — option value parsers (see options.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int rvss_parse_bool(const char *s, bool *ret)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	if (s == NULL) {
		return -EINVAL;
	}
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_u64(const char *s, uint64_t *ret, const char **end_ret)
{
	char *end = NULL;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE) {
		return -ERANGE;
	}
	*ret = v;
	*end_ret = end;
	return 0;
}

int rvss_parse_count(const char *s, uint32_t *ret)
{
	const char *end = NULL;
	uint64_t v;
	int r;

	r = parse_u64(s, &v, &end);
	if (r != 0) {
		return r;
	}
	if (*end != '\0') {
		return -EINVAL;
	}
	if (v > UINT32_MAX) {
		return -ERANGE;
	}
	*ret = (uint32_t)v;
	return 0;
}

int rvss_parse_duration(const char *s, uint64_t *ret_seconds)
{
	const char *end = NULL;
	uint64_t v, mult;
	int r;

	r = parse_u64(s, &v, &end);
	if (r != 0) {
		return r;
	}
	switch (*end) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: return -EINVAL;
	}
	if (*end != '\0' && end[1] != '\0') {
		return -EINVAL;
	}
	if (v > UINT64_MAX / mult) {
		return -ERANGE;
	}
	*ret_seconds = v * mult;
	return 0;
}

int rvss_parse_retain(const char *s, bool *ret_enabled, uint32_t *ret_count,
		      uint64_t *ret_age)
{
	char buf[128];
	char *tok, *rest;
	bool b, have_count = false, have_age = false;
	uint32_t count = 0;
	uint64_t age = 0;

	if (s == NULL || strlen(s) >= sizeof(buf)) {
		return -EINVAL;
	}
	if (rvss_parse_bool(s, &b) == 0 && strcmp(s, "0") != 0 && strcmp(s, "1") != 0) {
		*ret_enabled = b;
		*ret_count = 0;
		*ret_age = 0;
		return 0;
	}
	memcpy(buf, s, strlen(s) + 1);
	rest = buf;
	/* strsep, unlike strtok, yields the empty items of "14," and ",". */
	while ((tok = strsep(&rest, ",")) != NULL) {
		size_t len;

		while (*tok == ' ' || *tok == '\t') {
			tok++;
		}
		len = strlen(tok);
		while (len > 0 && (tok[len - 1] == ' ' || tok[len - 1] == '\t')) {
			tok[--len] = '\0';
		}
		if (len == 0) {
			return -EINVAL;
		}
		if (tok[len - 1] >= '0' && tok[len - 1] <= '9') {
			if (have_count || rvss_parse_count(tok, &count) != 0 || count == 0) {
				return -EINVAL;
			}
			have_count = true;
		} else {
			if (have_age || rvss_parse_duration(tok, &age) != 0 || age == 0) {
				return -EINVAL;
			}
			have_age = true;
		}
	}
	if (!have_count && !have_age) {
		return -EINVAL;
	}
	*ret_enabled = true;
	*ret_count = count;
	*ret_age = age;
	return 0;
}

int rvss_parse_nested(const char *s, enum rvss_nested_mode *ret)
{
	if (s == NULL) {
		return -EINVAL;
	}
	if (strcasecmp(s, "refuse") == 0) {
		*ret = RVSS_NESTED_REFUSE;
		return 0;
	}
	if (strcasecmp(s, "include") == 0) {
		*ret = RVSS_NESTED_INCLUDE;
		return 0;
	}
	return -EINVAL;
}
