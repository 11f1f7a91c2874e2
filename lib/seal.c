/*
 * rvss — seal after recovery (see seal.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "seal.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

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

struct rvss_seal_watch {
	char *catalog_path;
	char *fss_state_path;
	char *snap_path;
	bool sealed;
	/* srv_fss.tdb as last read */
	struct timespec mtime;
	struct timespec ctime;
	ino_t ino;
	off_t size;
};

int rvss_seal_watch_new(TALLOC_CTX *mem_ctx, const char *catalog_path,
			const char *fss_state_path, const char *snap_path,
			struct rvss_seal_watch **ret_watch)
{
	struct rvss_seal_watch *w = talloc_zero(mem_ctx, struct rvss_seal_watch);

	if (w == NULL) {
		return -ENOMEM;
	}
	w->catalog_path = talloc_strdup(w, catalog_path);
	w->fss_state_path = talloc_strdup(w, fss_state_path);
	w->snap_path = talloc_strdup(w, snap_path);
	if (w->catalog_path == NULL || w->fss_state_path == NULL || w->snap_path == NULL) {
		talloc_free(w);
		return -ENOMEM;
	}
	*ret_watch = w;
	return 0;
}

/* Has srv_fss.tdb changed since we last looked?  Updates the cache. */
static bool fss_state_changed(struct rvss_seal_watch *w)
{
	struct stat st;

	if (stat(w->fss_state_path, &st) != 0) {
		return false; /* no state file: no set was ever recovered */
	}
	if (st.st_ino == w->ino && st.st_size == w->size &&
	    st.st_mtim.tv_sec == w->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == w->mtime.tv_nsec &&
	    st.st_ctim.tv_sec == w->ctime.tv_sec &&
	    st.st_ctim.tv_nsec == w->ctime.tv_nsec) {
		return false;
	}
	w->ino = st.st_ino;
	w->size = st.st_size;
	w->mtime = st.st_mtim;
	w->ctime = st.st_ctim;
	return true;
}

int rvss_seal_watch_check(struct rvss_seal_watch *w, TALLOC_CTX *mem_ctx,
			  bool *ret_refuse, char **ret_reason)
{
	bool sealed = false;
	int ret;

	*ret_refuse = w->sealed;
	if (w->sealed || !fss_state_changed(w)) {
		return 0;
	}
	ret = rvss_seal_check(mem_ctx, w->catalog_path, w->fss_state_path,
			      w->snap_path, &sealed, ret_reason);
	if (ret != 0) {
		/* Try again on the next call: forget what we saw. */
		w->ino = 0;
		return ret;
	}
	w->sealed = sealed;
	*ret_refuse = sealed;
	return 0;
}
