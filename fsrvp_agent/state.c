/*
 * fsrvp_agent — locating rvss's and Samba's state (see state.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "state.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "fss_state.h"
#include "options.h"
#include "smbconf.h"

static int dir_param(TALLOC_CTX *mem_ctx, const char *cmd, const char *conf,
		     const char *param, const char *file, char **ret)
{
	char *dir = NULL, *why = NULL;
	int r;

	r = agent_smbconf_param(mem_ctx, conf, NULL, param, &dir, &why);
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent %s: cannot read '%s' from %s: %s\n", cmd,
			param, conf != NULL ? conf : "smb.conf",
			why != NULL ? why : strerror(-r));
		return -EIO;
	}
	*ret = talloc_asprintf(mem_ctx, "%s/%s", dir, file);
	return *ret == NULL ? -ENOMEM : 0;
}

int agent_state_paths(TALLOC_CTX *mem_ctx, const char *cmd,
		      struct agent_state_paths *p)
{
	int r = 0;

	if (p->catalog == NULL) {
		r = dir_param(mem_ctx, cmd, p->conf, "state directory",
			      RVSS_CATALOG_NAME, &p->catalog);
	}
	if (r == 0 && p->fss_state == NULL) {
		r = dir_param(mem_ctx, cmd, p->conf, "lock directory",
			      RVSS_FSS_STATE_NAME, &p->fss_state);
	}
	return r;
}

int agent_global_duration(TALLOC_CTX *mem_ctx, const char *cmd, const char *conf,
			  const char *param, uint64_t def, uint64_t *ret)
{
	char *val = NULL, *why = NULL;
	int r;

	r = agent_smbconf_param(mem_ctx, conf, NULL, param, &val, &why);
	if (r == -ENODATA || (r == 0 && val[0] == '\0')) {
		*ret = def;
		return 0;
	}
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent %s: cannot read '%s': %s\n", cmd, param,
			why != NULL ? why : strerror(-r));
		return -EIO;
	}
	if (rvss_parse_duration(val, ret) != 0) {
		fprintf(stderr, "fsrvp_agent %s: %s = '%s' is not a duration\n", cmd,
			param, val);
		return -EINVAL;
	}
	return 0;
}

const char *agent_utc(time_t t)
{
	static char buf[32];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%SZ", &tm) == 0) {
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
	}
	return buf;
}
