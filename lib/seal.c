/*
 * rvss — seal after recovery (see seal.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "seal.h"

#include <errno.h>
#include <string.h>

#include "catalog.h"
#include "fss_state.h"
#include "reclaim.h"

int rvss_seal_check(TALLOC_CTX *mem_ctx, const char *catalog_path,
		    const char *fss_state_path, const char *snap_path,
		    bool *ret_sealed, char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_fss_state *st = NULL;
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL;
	bool recovered = false;
	size_t s, c;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = rvss_catalog_open(tmp, catalog_path, false, &cat);
	if (ret == 0) {
		ret = rvss_catalog_find_snap_path(cat, tmp, snap_path, &rec);
	}
	if (ret != 0) {
		goto done;
	}
	if (rec->sealed) {
		*ret_sealed = true;
		goto done;
	}
	ret = rvss_fss_state_read(tmp, fss_state_path, &st);
	if (ret == -ENOENT) {
		*ret_sealed = false;
		ret = 0;
		goto done;
	}
	if (ret != 0) {
		goto done;
	}
	for (s = 0; s < st->num_sets && !recovered; s++) {
		for (c = 0; c < st->sets[s].num_scs; c++) {
			if (strcmp(st->sets[s].scs[c].sc_path, snap_path) == 0) {
				recovered = st->sets[s].state == RVSS_FSS_RECOVERED;
				break;
			}
		}
	}
	if (!recovered) {
		*ret_sealed = false;
		goto done;
	}
	ret = rvss_seal_record(cat, rec);
	if (ret != 0) {
		if (ret_reason != NULL) {
			*ret_reason = talloc_asprintf(mem_ctx, "cannot seal %s: %s",
						      rec->snapshot, strerror(-ret));
		}
		goto done;
	}
	*ret_sealed = true;
done:
	talloc_free(tmp);
	return ret;
}
