/*
 * rvss — snapshot names.
 *
 * The only code that knows how rvss names snapshots.  A name is exactly
 * shadow_copy2's default token "@GMT-YYYY.MM.DD-HH.MM.SS" (UTC), so that a
 * retained snapshot appears as a Previous Version with no extra setting.
 * Uniqueness within one second is obtained by moving the time stamp, never
 * by decorating the name (see rvss_snap_create()).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_SNAPNAME_H
#define RVSS_SNAPNAME_H

#include <stdbool.h>
#include <time.h>

/** Length of a snapshot name, without the terminating NUL. */
#define RVSS_SNAPNAME_LEN 24

/**
 * How many seconds a time stamp may move forward to find a free name
 * (when creating, and when a retained writable copy moves into the store).
 */
#define RVSS_SNAPNAME_MAX_TRIES 3600

/**
 * @brief Format the snapshot name for a time stamp.
 *
 * @param[in]  t     seconds since the epoch; the name is in UTC.
 * @param[out] buf   receives the NUL-terminated name.
 *
 * @return 0, or -EINVAL if @t cannot be represented as a 4-digit year.
 */
int rvss_snapname_format(time_t t, char buf[RVSS_SNAPNAME_LEN + 1]);

/**
 * @brief Parse a snapshot name back into its time stamp.
 *
 * Strict: exactly RVSS_SNAPNAME_LEN characters, every field in range, and
 * the name must be the one rvss_snapname_format() gives for the result
 * (so "@GMT-2024.02.30-..." is refused).
 *
 * @param[in]  name    the name to parse (NUL-terminated).
 * @param[out] ret_t   the time stamp; untouched on failure.
 *
 * @return 0, or -EINVAL if @name is not an rvss snapshot name.
 */
int rvss_snapname_parse(const char *name, time_t *ret_t);

/** @brief true if @name parses with rvss_snapname_parse(). */
bool rvss_snapname_valid(const char *name);

#endif
