/*
 * rvss — seal after recovery (see seal.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "catalog.h"
#include "fss_state.h"
#include "reclaim.h"

/* Larger than any srv_fss.tdb: beyond it the bytes are not remembered. */
#define SEEN_MAX (16u << 20)

int rvss_seal_check(TALLOC_CTX *mem_ctx, const char *catalog_path,
		    const char *fss_state_path, const char *snap_path,
		    struct rvss_seal_result *res, char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_fss_state *st = NULL;
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL;
	bool found = false;
	size_t s, c;
	int ret;

	*res = (struct rvss_seal_result) { .recovered = false };
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
		res->recovered = res->sealed = true;
		goto done;
	}
	/* Whole: a half-written file lacks sets that are recovered. */
	ret = rvss_fss_state_read_whole(tmp, fss_state_path, RVSS_FSS_READ_TRIES,
					RVSS_FSS_READ_WAIT_MS, &st);
	if (ret == -ENOENT) {
		ret = 0; /* Samba never stored a set */
		goto done;
	}
	if (ret != 0) {
		goto done;
	}
	for (s = 0; s < st->num_sets && !found; s++) {
		for (c = 0; c < st->sets[s].num_scs; c++) {
			if (strcmp(st->sets[s].scs[c].sc_path, snap_path) == 0) {
				found = true;
				res->recovered = st->sets[s].state == RVSS_FSS_RECOVERED;
				break;
			}
		}
	}
	res->settled = found && !res->recovered;
	if (!res->recovered) {
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
	res->sealed = true;
done:
	talloc_free(tmp);
	return ret;
}

struct rvss_seal_watch {
	char *catalog_path;
	char *fss_state_path;
	char *snap_path;
	bool sealed;            /* recovered: refuse every write */
	bool seal_pending;      /* ... but flag or record not yet set */
	time_t next_try;        /* of the pending seal (CLOCK_MONOTONIC) */
	uint8_t *seen;          /* srv_fss.tdb at the last settled read */
	size_t seen_len;
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

bool rvss_seal_watch_done(const struct rvss_seal_watch *w)
{
	return w->sealed && !w->seal_pending;
}

static time_t now_mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The bytes of @path (pread: coherent with writers' mmaps). */
static int read_bytes(TALLOC_CTX *mem_ctx, const char *path, uint8_t **ret_buf,
		      size_t *ret_len)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len, got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		return -errno;
	}
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		goto done;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SEEN_MAX) {
		ret = -EFBIG;
		goto done;
	}
	len = (size_t)st.st_size;
	buf = talloc_size(mem_ctx, len > 0 ? len : 1);
	if (buf == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, (off_t)got);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			ret = n < 0 ? -errno : -EAGAIN; /* shrank meanwhile */
			goto done;
		}
		got += (size_t)n;
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
done:
	talloc_free(buf);
	(void)close(fd);
	return ret;
}

static bool same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return a != NULL && b != NULL && alen == blen && memcmp(a, b, alen) == 0;
}

/* Recovered: try (again) to set the flag and the record. */
static int seal_again(struct rvss_seal_watch *w, TALLOC_CTX *mem_ctx, char **ret_reason)
{
	struct rvss_seal_result res;
	int ret;

	ret = rvss_seal_check(mem_ctx, w->catalog_path, w->fss_state_path,
			      w->snap_path, &res, ret_reason);
	w->seal_pending = !res.sealed;
	w->next_try = now_mono() + RVSS_SEAL_RETRY;
	return ret;
}

int rvss_seal_watch_check(struct rvss_seal_watch *w, TALLOC_CTX *mem_ctx,
			  bool *ret_refuse, char **ret_reason)
{
	TALLOC_CTX *tmp = NULL;
	struct rvss_seal_result res;
	uint8_t *before = NULL, *after = NULL;
	size_t before_len = 0, after_len = 0;
	int ret = 0;

	*ret_refuse = w->sealed;
	if (w->sealed) {
		if (w->seal_pending && now_mono() >= w->next_try) {
			ret = seal_again(w, mem_ctx, ret_reason);
		}
		return ret;
	}
	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	/* Unchanged since a settled read: still not recovered. */
	if (read_bytes(tmp, w->fss_state_path, &before, &before_len) != 0) {
		before = NULL;
	}
	if (same_bytes(before, before_len, w->seen, w->seen_len)) {
		goto done;
	}
	TALLOC_FREE(w->seen);
	w->seen_len = 0;

	ret = rvss_seal_check(mem_ctx, w->catalog_path, w->fss_state_path,
			      w->snap_path, &res, ret_reason);
	if (res.recovered) {
		/* Fail closed: refuse from now on, whatever else failed. */
		w->sealed = true;
		w->seal_pending = !res.sealed;
		w->next_try = now_mono() + RVSS_SEAL_RETRY;
		*ret_refuse = true;
		goto done;
	}
	if (ret == -EAGAIN) {
		/* Samba's state stayed half-written: it may be recovered. */
		*ret_refuse = true;
		goto done;
	}
	if (ret != 0 || !res.settled || before == NULL) {
		goto done;
	}
	/* Remember the bytes only if they did not change while decoded. */
	if (read_bytes(tmp, w->fss_state_path, &after, &after_len) == 0 &&
	    same_bytes(before, before_len, after, after_len)) {
		w->seen = talloc_steal(w, before);
		w->seen_len = before_len;
	}
done:
	talloc_free(tmp);
	return ret;
}
