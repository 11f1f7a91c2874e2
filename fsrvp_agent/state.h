/*
 * fsrvp_agent — where rvss and Samba keep their state, from smb.conf:
 * rvss's catalog (<state directory>/rvss.tdb) and Samba's FSRVP state
 * (<lock directory>/srv_fss.tdb), each overridable on the command line.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef FSRVP_AGENT_STATE_H
#define FSRVP_AGENT_STATE_H

#include <stdint.h>
#include <talloc.h>

struct agent_state_paths {
	const char *conf;       /**< -s smb.conf (NULL: Samba's default) */
	char *catalog;          /**< rvss.tdb */
	char *fss_state;        /**< srv_fss.tdb */
};

/**
 * @brief Fill in what the command line left NULL, asking testparm.
 * Prints its own error.  @return 0; -EIO; -ENOMEM.
 */
int agent_state_paths(TALLOC_CTX *mem_ctx, const char *cmd,
		      struct agent_state_paths *p);

/**
 * @brief A duration parameter of [global] ("rvss:expose max age"), or
 * @def when unset.  Prints its own error.  @return 0; -EINVAL; -EIO.
 */
int agent_global_duration(TALLOC_CTX *mem_ctx, const char *cmd, const char *conf,
			  const char *param, uint64_t def, uint64_t *ret);

/** @brief "2026-11-22 03:42:06Z" for @t, in a static buffer. */
const char *agent_utc(time_t t);

#endif
