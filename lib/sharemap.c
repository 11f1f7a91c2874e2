/*
 * rvss — several shares of one set mapped into one snapshot (sharemap.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "sharemap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mountinfo.h"
#include "reason.h"
#include "store.h"

/* How often a compare-and-replace is retried when another process changed
 * the record in between. */
#define SHAREMAP_TRIES 8

size_t rvss_sharemap_count(const struct rvss_record *rec)
{
	return 1 + rec->num_maps;
}

const char *rvss_sharemap_base_path(const struct rvss_record *rec, const char *snap_path)
{
	size_t i;

	if (strcmp(rec->snap_path, snap_path) == 0) {
		return rec->base_path;
	}
	for (i = 0; i < rec->num_maps; i++) {
		if (strcmp(rec->maps[i].snap_path, snap_path) == 0) {
			return rec->maps[i].base_path;
		}
	}
	return NULL;
}

/*
 * Does the snapshot @snapfd hold the directory @rel?  Resolved in the
 * kernel beneath the snapshot, on it alone, without any symbolic link: the
 * snapshot's content is the share users' and was theirs to shape.
 */
static bool holds_dir(int snapfd, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
	};
	int fd;

	if (rel[0] == '\0') {
		return true;
	}
	fd = (int)syscall(SYS_openat2, snapfd, rel, &how, sizeof(how));
	if (fd < 0) {
		return false; /* also without openat2: a snapshot of its own */
	}
	(void)close(fd);
	return true;
}

/* May the share of @vol map into the snapshot of @rec (sharemap.h)? */
static bool fits(const struct rvss_record *rec, const struct rvss_volume *vol,
		 const struct rvss_create_args *args)
{
	size_t n = strlen(vol->store), i;
	const char *rest;

	/*
	 * A share with rvss:nested subvolumes = include has its own tree of
	 * snapshots: the snapshot of another share holds only the nested
	 * subvolumes below that share (placeholders for the rest).
	 */
	if (args->nested == RVSS_NESTED_INCLUDE) {
		return false;
	}
	if (rec->state != RVSS_STATE_CREATED || rec->creator_pid != (int)getpid() ||
	    rec->sealed || rec->rw != args->rw || rec->snapshot_id == 0 ||
	    rec->source_id != vol->subvol_id || strcmp(rec->source, vol->subvol_root) != 0 ||
	    strncmp(rec->snapshot, vol->store, n) != 0 || rec->snapshot[n] != '/') {
		return false;
	}
	rest = rec->snapshot + n + 1;
	if (args->rw) {
		size_t w = strlen(RVSS_WRITABLE_SUBDIR);

		if (strncmp(rest, RVSS_WRITABLE_SUBDIR, w) != 0 || rest[w] != '/') {
			return false;
		}
		rest += w + 1;
	}
	if (strcmp(rest, rec->name) != 0 || strcmp(rec->base_path, vol->share_path) == 0) {
		return false;
	}
	/* The same share path twice in one set: Samba refuses that at Add;
	 * should it happen, each gets its own snapshot. */
	for (i = 0; i < rec->num_maps; i++) {
		if (strcmp(rec->maps[i].base_path, vol->share_path) == 0) {
			return false;
		}
	}
	return true;
}

static char *snap_path_of(TALLOC_CTX *mem_ctx, const char *snapshot, const char *rel)
{
	return rel[0] == '\0' ? talloc_strdup(mem_ctx, snapshot)
			      : talloc_asprintf(mem_ctx, "%s/%s", snapshot, rel);
}

/* Add the mapping of @vol to the record of @key; -ESRCH if it does not fit. */
static int join_one(TALLOC_CTX *mem_ctx, struct rvss_catalog *cat, const char *key,
		    const struct rvss_volume *vol, const struct rvss_create_args *args,
		    struct rvss_record **ret_rec, char **ret_snap_path)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	int tries, ret = -ESTALE;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	for (tries = 0; tries < SHAREMAP_TRIES && ret == -ESTALE; tries++) {
		struct rvss_record *rec = NULL, upd;
		struct rvss_mapping *maps;
		char *snap_path, *share;
		int snapfd = -1;

		ret = rvss_catalog_fetch(cat, tmp, key, &rec);
		if (ret == -ENOENT || (ret == 0 && !fits(rec, vol, args))) {
			ret = -ESRCH;
			break;
		}
		if (ret != 0) {
			break;
		}
		/* The snapshot on disk is the recorded one and holds the
		 * share's directory. */
		ret = rvss_store_open_recorded(tmp, rec, NULL, &snapfd, NULL, NULL);
		if (ret != 0 || !holds_dir(snapfd, vol->rel)) {
			if (snapfd >= 0) {
				(void)close(snapfd);
			}
			ret = -ESRCH;
			break;
		}
		(void)close(snapfd);
		snap_path = snap_path_of(tmp, rec->snapshot, vol->rel);
		share = talloc_strdup(tmp, args->share != NULL ? args->share : "");
		maps = talloc_array(tmp, struct rvss_mapping, rec->num_maps + 1);
		if (snap_path == NULL || share == NULL || maps == NULL) {
			ret = -ENOMEM;
			break;
		}
		if (rec->num_maps > 0) {
			memcpy(maps, rec->maps, rec->num_maps * sizeof(maps[0]));
		}
		maps[rec->num_maps] = (struct rvss_mapping) {
			.share = share,
			.base_path = vol->share_path,
			.snap_path = snap_path,
		};
		upd = *rec;
		upd.maps = maps;
		upd.num_maps = rec->num_maps + 1;
		upd.updated = time(NULL);
		ret = rvss_catalog_replace(cat, rec, &upd);
		if (ret == 0) {
			*ret_snap_path = talloc_steal(mem_ctx, snap_path);
			*ret_rec = talloc_steal(mem_ctx, rec);
		} else if (ret == -ENOENT) {
			ret = -ESRCH;
		}
	}
	talloc_free(tmp);
	return ret;
}

int rvss_sharemap_join(TALLOC_CTX *mem_ctx, const struct rvss_create_args *args,
		       const char *const *candidates, size_t num_candidates,
		       char **ret_base_path, char **ret_snap_path,
		       time_t *ret_created, char **ret_snapshot, char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_volume *vol = NULL;
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL;
	char *snap_path = NULL;
	size_t i;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	if (num_candidates == 0) {
		ret = -ESRCH;
		goto done;
	}
	ret = rvss_snap_check(tmp, args->base_volume, args->snapshot_dir, &vol, ret_reason);
	if (ret != 0) {
		if (ret_reason != NULL && *ret_reason != NULL) {
			talloc_steal(mem_ctx, *ret_reason);
		}
		goto done;
	}
	ret = rvss_catalog_open(tmp, args->catalog_path, false, &cat);
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot open catalog %s: %s",
				args->catalog_path, strerror(-ret));
		goto done;
	}
	ret = -ESRCH;
	for (i = 0; i < num_candidates && ret == -ESRCH; i++) {
		ret = join_one(tmp, cat, candidates[i], vol, args, &rec, &snap_path);
	}
	if (ret != 0) {
		if (ret != -ESRCH) {
			rvss_set_reason(mem_ctx, ret_reason, "cannot map %s into a snapshot "
					"of its set: %s", vol->share_path, strerror(-ret));
		}
		goto done;
	}
	*ret_base_path = talloc_strdup(mem_ctx, vol->share_path);
	*ret_snap_path = talloc_steal(mem_ctx, snap_path);
	if (ret_snapshot != NULL) {
		*ret_snapshot = talloc_strdup(mem_ctx, rec->snapshot);
	}
	if (*ret_base_path == NULL || (ret_snapshot != NULL && *ret_snapshot == NULL)) {
		/* Mapped and recorded: its delete (or the reclaim) releases it. */
		ret = -ENOMEM;
		goto done;
	}
	*ret_created = rec->created;
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}

int rvss_sharemap_release(struct rvss_catalog *cat, const struct rvss_record *rec,
			  const char *snap_path, size_t *ret_left)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	const struct rvss_record *cur = rec;
	int tries, ret = -ESTALE;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	for (tries = 0; tries < SHAREMAP_TRIES && ret == -ESTALE; tries++) {
		struct rvss_record upd;
		struct rvss_record *again = NULL;
		size_t i, o = 0;

		if (!rvss_record_maps_path(cur, snap_path)) {
			ret = -ENOENT;
			break;
		}
		if (cur->num_maps == 0) {
			*ret_left = 0; /* the last one: the caller's to delete */
			ret = 0;
			break;
		}
		upd = *cur;
		upd.maps = talloc_array(tmp, struct rvss_mapping, cur->num_maps);
		if (upd.maps == NULL) {
			ret = -ENOMEM;
			break;
		}
		if (strcmp(cur->snap_path, snap_path) == 0) {
			/* The first mapping goes: the next one takes its place. */
			upd.share = cur->maps[0].share;
			upd.base_path = cur->maps[0].base_path;
			upd.snap_path = cur->maps[0].snap_path;
			memcpy(upd.maps, cur->maps + 1, (cur->num_maps - 1) * sizeof(upd.maps[0]));
			o = cur->num_maps - 1;
		} else {
			for (i = 0; i < cur->num_maps; i++) {
				if (strcmp(cur->maps[i].snap_path, snap_path) != 0) {
					upd.maps[o++] = cur->maps[i];
				}
			}
		}
		upd.num_maps = o;
		upd.updated = time(NULL);
		ret = rvss_catalog_replace(cat, cur, &upd);
		if (ret == 0) {
			*ret_left = rvss_sharemap_count(&upd);
			break;
		}
		if (ret != -ESTALE) {
			break;
		}
		/* Changed meanwhile (another mapping released): read again. */
		ret = rvss_catalog_fetch(cat, tmp, rec->snapshot, &again);
		if (ret != 0) {
			break;
		}
		cur = again;
		ret = -ESTALE;
	}
	talloc_free(tmp);
	return ret;
}

int rvss_sharemap_owner(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
			const char *snap_path, struct rvss_record **ret_rec)
{
	struct rvss_record **recs = NULL;
	size_t n = 0, i;
	int ret;

	ret = rvss_catalog_list(cat, NULL, &recs, &n);
	if (ret != 0) {
		return ret;
	}
	ret = -ENOENT;
	for (i = 0; i < n; i++) {
		if (recs[i]->snapshot[0] == '/' &&
		    rvss_path_is_below(recs[i]->snapshot, snap_path)) {
			*ret_rec = talloc_steal(mem_ctx, recs[i]);
			ret = 0;
			break;
		}
	}
	talloc_free(recs);
	return ret;
}

/* ------------------------------------------------------------------ the set */

/* The snapshots taken so far while the parent context lives. */
struct rvss_sharemap_group {
	const void *owner;
	const char **snapshots;
	size_t num;
};

/* The one group alive in this process (sharemap.h). */
static struct rvss_sharemap_group *group_current;

static int group_gone(struct rvss_sharemap_group *g)
{
	if (group_current == g) {
		group_current = NULL;
	}
	return 0;
}

/* The group of @owner, made on first use; NULL without memory (then
 * nothing is shared). */
static struct rvss_sharemap_group *group_of(TALLOC_CTX *owner)
{
	struct rvss_sharemap_group *g = group_current;

	if (g != NULL && g->owner == owner && talloc_parent(g) == owner) {
		return g;
	}
	g = talloc_zero(owner, struct rvss_sharemap_group);
	if (g == NULL) {
		return NULL;
	}
	g->owner = owner;
	talloc_set_destructor(g, group_gone);
	group_current = g;
	return g;
}

static void group_add(struct rvss_sharemap_group *g, const char *snapshot)
{
	const char **s = talloc_realloc(g, g->snapshots, const char *, g->num + 1);

	if (s == NULL) {
		return; /* not shared: the next share takes its own */
	}
	g->snapshots = s;
	s[g->num] = talloc_strdup(s, snapshot);
	if (s[g->num] != NULL) {
		g->num++;
	}
}

int rvss_sharemap_create(TALLOC_CTX *set_ctx, const struct rvss_create_args *args,
			 time_t *tstamp, char **ret_base_path, char **ret_snap_path,
			 char **ret_snapshot, bool *ret_joined, char **ret_reason)
{
	struct rvss_sharemap_group *g = group_of(set_ctx);
	struct rvss_record *rec = NULL;
	time_t created = 0;
	int ret;

	*ret_joined = false;
	if (g != NULL && g->num > 0) {
		ret = rvss_sharemap_join(set_ctx, args, g->snapshots, g->num, ret_base_path,
					 ret_snap_path, &created, ret_snapshot, ret_reason);
		if (ret == 0) {
			*tstamp = created;
			*ret_joined = true;
			return 0;
		}
		if (ret != -ESRCH) {
			return ret;
		}
	}
	ret = rvss_snap_create(set_ctx, args, tstamp, ret_base_path, ret_snap_path, &rec,
			       ret_reason);
	if (ret != 0) {
		return ret;
	}
	if (g != NULL) {
		group_add(g, rec->snapshot);
	}
	*ret_snapshot = talloc_steal(set_ctx, rec->snapshot);
	TALLOC_FREE(rec);
	return 0;
}
