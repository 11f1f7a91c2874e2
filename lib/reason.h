/*
 * rvss — two small helpers the lifecycle files share: a reason string for
 * the caller's log, and closing an fd once.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_REASON_H
#define RVSS_REASON_H

#include <talloc.h>

/**
 * @brief Set *@ret_reason to a formatted reason (a child of @mem_ctx), for
 * the one caller that logs it; nothing when @ret_reason is NULL.  On no
 * memory *@ret_reason is NULL: the error code still says what failed.
 */
void rvss_set_reason(TALLOC_CTX *mem_ctx, char **ret_reason, const char *fmt, ...)
	PRINTF_ATTRIBUTE(3, 4);

/** @brief close(*@fd) if it is open, then set it to -1. */
void rvss_close_fd(int *fd);

#endif
