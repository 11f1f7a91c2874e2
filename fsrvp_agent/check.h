/*
 * fsrvp_agent — helpers of `check` that `doctor` reuses.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef FSRVP_AGENT_CHECK_H
#define FSRVP_AGENT_CHECK_H

#include <stdio.h>
#include <talloc.h>

#include "layout.h"

/** @brief One finding as a line "CODE path: summary (detail)", escaped. */
void agent_check_print_finding(FILE *f, const struct rvss_layout_finding *fi,
			       const char *indent);

/**
 * @brief Parse a comma-separated extension list ("vhdx,.xml"; a leading
 * '+' adds to the default list) into a NULL-terminated array.
 * @return 0; -EINVAL (empty item, '/' or a second '.'); -ENOMEM.
 */
int agent_parse_extensions(TALLOC_CTX *mem_ctx, const char *list,
			   const char ***ret_exts);

/**
 * @brief The path of share @share in @conf (testparm), absolute and
 * without substitutions.  Prints the reason to stderr on failure.
 * @return 0; -ENOENT (no such share); -EINVAL; -EIO; -ENOMEM.
 */
int agent_share_path(TALLOC_CTX *mem_ctx, const char *conf,
		     const char *share, char **ret_path);

#endif
