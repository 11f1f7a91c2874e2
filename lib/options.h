/*
 * rvss — parsers for option values, shared by the module (rvss:* options)
 * and the agent.  Strict: a value that does not parse is an error, never a
 * silent default.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_OPTIONS_H
#define RVSS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

/** @brief yes/no/true/false/on/off/1/0 (any case).  0 or -EINVAL. */
int rvss_parse_bool(const char *s, bool *ret);

/** @brief A decimal count 0..UINT32_MAX.  0 or -EINVAL / -ERANGE. */
int rvss_parse_count(const char *s, uint32_t *ret);

/**
 * @brief A duration: a number with an optional unit s, m, h, d, w
 * (default s), e.g. "90", "30m", "12h", "7d".  0 or -EINVAL / -ERANGE.
 */
int rvss_parse_duration(const char *s, uint64_t *ret_seconds);

/**
 * @brief rvss:retain: "no" (off), or a comma-separated list of at most one
 * count and one age, e.g. "14", "30d", "14, 30d".  "yes" keeps every
 * retained snapshot (no count, no age limit).
 *
 * @param[out] ret_enabled  false for "no".
 * @param[out] ret_count    0 = no count limit.
 * @param[out] ret_age      0 = no age limit (seconds).
 * @return 0; -EINVAL.
 */
int rvss_parse_retain(const char *s, bool *ret_enabled, uint32_t *ret_count,
		      uint64_t *ret_age);

/** rvss:nested subvolumes: what a Commit does with subvolumes below a share. */
enum rvss_nested_mode {
	RVSS_NESTED_REFUSE = 0, /**< the share is not supported (default) */
	RVSS_NESTED_INCLUDE,    /**< each is snapshotted into the copy (nested.h) */
};

/**
 * @brief rvss:nested subvolumes: "refuse" or "include" (any case).
 * @return 0; -EINVAL (@ret untouched).
 */
int rvss_parse_nested(const char *s, enum rvss_nested_mode *ret);

#endif
