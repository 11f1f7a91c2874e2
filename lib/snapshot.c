/*
 * rvss — check, create and delete a shadow copy's snapshot on btrfs.
 *
 * A share is any directory inside a btrfs subvolume.  Its shadow copy is one
 * snapshot of the whole enclosing subvolume, placed in the snapshot store
 * (by default <subvolume root>/.rvss-snapshots) and named by its time stamp;
 * Samba is given the share's own directory inside it.  The catalog
 * (catalog.h) records each snapshot before it exists, so nothing rvss makes
 * is ever unknown, and nothing unknown is ever deleted.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "snapshot.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btrfs.h"
#include "catalog.h"
#include "fss_state.h"
#include "mountinfo.h"
#include "nested.h"
#include "reason.h"
#include "reclaim.h"
#include "snapname.h"
#include "store.h"

#define OPEN_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/* "a/b/c" -> "a/b" in place; "/a" -> "/". */
static void strip_last(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == NULL) {
		return;
	}
	if (slash == path) {
		path[1] = '\0';
	} else {
		*slash = '\0';
	}
}

static char *join(TALLOC_CTX *mem_ctx, const char *a, const char *b)
{
	if (b == NULL || b[0] == '\0') {
		return talloc_strdup(mem_ctx, a);
	}
	if (strcmp(a, "/") == 0) {
		return talloc_asprintf(mem_ctx, "/%s", b);
	}
	return talloc_asprintf(mem_ctx, "%s/%s", a, b);
}

/* A snapshot dir is a non-empty path without "." or ".." components. */
bool rvss_snapshot_dir_valid(const char *dir)
{
	const char *p = dir;

	if (dir == NULL || dir[0] == '\0' || strlen(dir) >= PATH_MAX) {
		return false;
	}
	while (*p != '\0') {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			return false;
		}
		if (n == 0 && p != dir) {
			return false; /* "//" */
		}
		p = *end == '/' ? end + 1 : end;
	}
	return true;
}

/*
 * Find the root of the subvolume holding @canon (canonical).  Walks up while
 * the device stays the same: every subvolume has its own st_dev, and its
 * root has inode RVSS_BTRFS_SUBVOL_ROOT_INO.
 */
static int find_subvol_root(TALLOC_CTX *mem_ctx, const char *canon,
			    char **ret_root, char **ret_reason)
{
	char *cur = talloc_strdup(mem_ctx, canon);
	struct stat first, st;
	int ret;

	if (cur == NULL) {
		return -ENOMEM;
	}
	if (stat(cur, &first) != 0) {
		ret = -errno;
		rvss_set_reason(mem_ctx, ret_reason, "cannot stat %s: %s", cur, strerror(-ret));
		goto fail;
	}
	st = first;
	for (;;) {
		if (st.st_dev != first.st_dev) {
			rvss_set_reason(mem_ctx, ret_reason,
				   "%s is on a mount of a directory inside a btrfs "
				   "subvolume; its subvolume root is not reachable",
				   canon);
			ret = -EOPNOTSUPP;
			goto fail;
		}
		if (S_ISDIR(st.st_mode) && st.st_ino == RVSS_BTRFS_SUBVOL_ROOT_INO) {
			*ret_root = cur;
			return 0;
		}
		if (strcmp(cur, "/") == 0) {
			rvss_set_reason(mem_ctx, ret_reason, "no subvolume root above %s", canon);
			ret = -EOPNOTSUPP;
			goto fail;
		}
		strip_last(cur);
		if (stat(cur, &st) != 0) {
			ret = -errno;
			rvss_set_reason(mem_ctx, ret_reason, "cannot stat %s: %s", cur, strerror(-ret));
			goto fail;
		}
	}
fail:
	talloc_free(cur);
	return ret;
}

/*
 * rvss_volume_resolve(), keeping the subvolume root open: *@ret_rootfd is
 * the one fd of it that check and create work from.
 */
static int resolve(TALLOC_CTX *mem_ctx, const char *share_path,
		   const char *snapshot_dir, struct rvss_volume **ret_vol,
		   int *ret_rootfd, char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_volume *vol = NULL;
	char *canon = NULL;
	int fd = -1, rootfd = -1;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	if (!rvss_snapshot_dir_valid(snapshot_dir)) {
		rvss_set_reason(mem_ctx, ret_reason, "invalid snapshot dir '%s'",
			   snapshot_dir != NULL ? snapshot_dir : "");
		ret = -EINVAL;
		goto done;
	}
	vol = talloc_zero(tmp, struct rvss_volume);
	if (vol == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	canon = realpath(share_path, NULL);
	if (canon == NULL) {
		ret = -errno;
		rvss_set_reason(mem_ctx, ret_reason, "cannot resolve %s: %s", share_path, strerror(-ret));
		goto done;
	}
	vol->share_path = talloc_strdup(vol, canon);
	free(canon);
	if (vol->share_path == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	fd = open(vol->share_path, OPEN_DIR_FLAGS);
	if (fd < 0) {
		ret = -errno;
		rvss_set_reason(mem_ctx, ret_reason, "cannot open %s: %s", vol->share_path, strerror(-ret));
		goto done;
	}
	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "%s is not on btrfs", vol->share_path);
		goto done;
	}
	ret = find_subvol_root(vol, vol->share_path, &vol->subvol_root, ret_reason);
	if (ret != 0) {
		if (ret_reason != NULL && *ret_reason != NULL) {
			talloc_steal(mem_ctx, *ret_reason);
		}
		goto done;
	}
	vol->rel = talloc_strdup(vol, vol->share_path + strlen(vol->subvol_root));
	if (vol->rel == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	if (vol->rel[0] == '/') {
		memmove(vol->rel, vol->rel + 1, strlen(vol->rel));
	}
	rootfd = open(vol->subvol_root, OPEN_DIR_FLAGS);
	if (rootfd < 0) {
		ret = -errno;
		rvss_set_reason(mem_ctx, ret_reason, "cannot open %s: %s", vol->subvol_root, strerror(-ret));
		goto done;
	}
	ret = rvss_btrfs_is_subvolume_fd(rootfd);
	if (ret == 1) {
		ret = rvss_btrfs_subvolume_id_fd(rootfd, &vol->subvol_id);
	} else if (ret == 0) {
		ret = -EOPNOTSUPP; /* replaced since the walk up */
	}
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot read the subvolume id of %s: %s",
			   vol->subvol_root, strerror(-ret));
		goto done;
	}
	if (snapshot_dir[0] == '/') {
		vol->store_base = talloc_strdup(vol, snapshot_dir);
		vol->store = talloc_asprintf(vol, "%s/subvol-%" PRIu64, snapshot_dir,
					     vol->subvol_id);
	} else {
		vol->store_base = join(vol, vol->subvol_root, snapshot_dir);
		vol->store = talloc_strdup(vol, vol->store_base);
	}
	if (vol->store_base == NULL || vol->store == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	*ret_vol = talloc_steal(mem_ctx, vol);
	*ret_rootfd = rootfd;
	rootfd = -1;
	ret = 0;
done:
	rvss_close_fd(&fd);
	rvss_close_fd(&rootfd);
	talloc_free(tmp);
	return ret;
}

int rvss_volume_resolve(TALLOC_CTX *mem_ctx, const char *share_path,
			const char *snapshot_dir, struct rvss_volume **ret_vol,
			char **ret_reason)
{
	int rootfd = -1;
	int ret;

	ret = resolve(mem_ctx, share_path, snapshot_dir, ret_vol, &rootfd, ret_reason);
	rvss_close_fd(&rootfd);
	return ret;
}

/*
 * Open the store of @vol (with @rw its .writable subdirectory), trusted
 * (store.h): a relative store from the subvolume root @rootfd, every
 * component root's alone; an absolute one from "/", where the ancestors of
 * the configured directory may be sticky (/tmp).
 */
static int open_store(TALLOC_CTX *mem_ctx, const struct rvss_volume *vol,
		      int rootfd, bool rw, unsigned flags, const uint8_t *fsid,
		      int *ret_fd, char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	const char *rel;
	size_t n_lenient = 0;
	int anchor = -1;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	if (strcmp(vol->store, vol->store_base) != 0) {
		/* absolute: <dir>/subvol-<id> */
		const char *p;

		anchor = open("/", OPEN_DIR_FLAGS);
		if (anchor < 0) {
			ret = -errno;
			goto done;
		}
		for (p = vol->store_base; *p != '\0'; p++) {
			if (*p != '/' && p > vol->store_base && p[-1] == '/') {
				n_lenient++;
			}
		}
		n_lenient = n_lenient > 0 ? n_lenient - 1 : 0;
		rel = vol->store + 1;
	} else {
		anchor = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
		if (anchor < 0) {
			ret = -errno;
			goto done;
		}
		rel = vol->store + strlen(vol->subvol_root);
		while (*rel == '/') {
			rel++;
		}
	}
	if (rw) {
		rel = talloc_asprintf(tmp, "%s/%s", rel, RVSS_WRITABLE_SUBDIR);
		if (rel == NULL) {
			ret = -ENOMEM;
			goto done;
		}
	}
	ret = rvss_store_walk(mem_ctx, anchor, rel, n_lenient, flags, fsid, ret_fd,
			      ret_reason);
done:
	rvss_close_fd(&anchor);
	talloc_free(tmp);
	return ret;
}


/* Does the volume behind @rootfd qualify?  Nothing is made. */
static int check_volume(TALLOC_CTX *mem_ctx, const struct rvss_volume *vol,
			int rootfd, enum rvss_nested_mode nested,
			char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *rel_slash;
	char **paths = NULL;
	struct rvss_btrfs_child *kids = NULL;
	size_t n = 0, i;
	int storefd = -1, wfd = -1;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}

	/*
	 * Nested subvolumes below the share would be empty in the snapshot.
	 * Only the subvolume's direct children need a look: one that is
	 * not below the share holds all its own nested ones.  With
	 * rvss:nested subvolumes = include, Commit snapshots them too.
	 */
	ret = nested == RVSS_NESTED_INCLUDE ? 0 :
	      rvss_btrfs_children(tmp, rootfd, &kids, &n);
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot list subvolumes below %s: %s",
			   vol->subvol_root, strerror(-ret));
		goto done;
	}
	rel_slash = talloc_asprintf(tmp, "/%s", vol->rel);
	if (rel_slash == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		char *abs_dir = join(tmp, vol->subvol_root, kids[i].dir);
		char *dir_slash = talloc_asprintf(tmp, "/%s", kids[i].dir);
		char *name = NULL;

		if (abs_dir == NULL || dir_slash == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		if (rvss_path_is_below(vol->store_base, abs_dir)) {
			continue; /* rvss's own snapshots */
		}
		if (!rvss_path_is_below(rel_slash, dir_slash)) {
			continue; /* beside the share, not below it */
		}
		if (rvss_btrfs_child_name(tmp, rootfd, &kids[i], &name) != 0 ||
		    (abs_dir = join(tmp, abs_dir, name)) == NULL) {
			abs_dir = talloc_asprintf(tmp, "%s/(subvolume %llu)",
						  abs_dir, (unsigned long long)kids[i].id);
		}
		if (rvss_path_is_below(vol->store_base, abs_dir)) {
			continue; /* the store itself, as a subvolume */
		}
		rvss_set_reason(mem_ctx, ret_reason,
			   "nested subvolume %s below share path %s would be "
			   "missing from a snapshot", abs_dir, vol->share_path);
		ret = -EXDEV;
		goto done;
	}

	/* Nothing crosses a mount point. */
	ret = rvss_mounts_below(tmp, NULL, vol->share_path, &paths, &n);
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot read mount table: %s", strerror(-ret));
		goto done;
	}
	if (n > 0) {
		rvss_set_reason(mem_ctx, ret_reason,
			   "mount point %s below share path %s would be missing "
			   "from a snapshot", paths[0], vol->share_path);
		ret = -EXDEV;
		goto done;
	}

	/* A store that exists already must be root's alone (not made here:
	 * Commit makes it). */
	ret = open_store(mem_ctx, vol, rootfd, false, 0, NULL, &storefd, ret_reason);
	if (ret == 0) {
		ret = rvss_store_walk(mem_ctx, storefd, RVSS_WRITABLE_SUBDIR, 0, 0,
				      NULL, &wfd, ret_reason);
	}
	if (ret == -ENOENT) {
		if (ret_reason != NULL) {
			TALLOC_FREE(*ret_reason);
		}
		ret = 0;
	}
done:
	rvss_close_fd(&wfd);
	rvss_close_fd(&storefd);
	talloc_free(tmp);
	return ret;
}

/* rvss_snap_check(), keeping the subvolume root open for create. */
static int check(TALLOC_CTX *mem_ctx, const char *share_path,
		 const char *snapshot_dir, enum rvss_nested_mode nested,
		 struct rvss_volume **ret_vol, int *ret_rootfd, char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_volume *vol = NULL;
	int rootfd = -1;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = resolve(tmp, share_path, snapshot_dir, &vol, &rootfd, ret_reason);
	if (ret != 0) {
		if (ret_reason != NULL && *ret_reason != NULL) {
			talloc_steal(mem_ctx, *ret_reason);
		}
		goto done;
	}
	ret = check_volume(mem_ctx, vol, rootfd, nested, ret_reason);
	if (ret != 0) {
		goto done;
	}
	*ret_vol = talloc_steal(mem_ctx, vol);
	*ret_rootfd = rootfd;
	rootfd = -1;
	ret = 0;
done:
	rvss_close_fd(&rootfd);
	talloc_free(tmp);
	return ret;
}

int rvss_snap_check(TALLOC_CTX *mem_ctx, const char *share_path,
		    const char *snapshot_dir, struct rvss_volume **ret_vol,
		    char **ret_reason)
{
	return rvss_snap_check_nested(mem_ctx, share_path, snapshot_dir,
				      RVSS_NESTED_REFUSE, ret_vol, ret_reason);
}

int rvss_snap_check_nested(TALLOC_CTX *mem_ctx, const char *share_path,
			   const char *snapshot_dir, enum rvss_nested_mode nested,
			   struct rvss_volume **ret_vol, char **ret_reason)
{
	int rootfd = -1;
	int ret;

	ret = check(mem_ctx, share_path, snapshot_dir, nested, ret_vol, &rootfd,
		    ret_reason);
	rvss_close_fd(&rootfd);
	return ret;
}

/* The subvolumes nested below the share, without the stores (nested.h). */
static int nested_below_share(TALLOC_CTX *mem_ctx, TALLOC_CTX *tmp,
			      const struct rvss_volume *vol, int rootfd,
			      const char *snapshot_dir,
			      struct rvss_nested_sub **ret_subs, size_t *ret_n,
			      char **ret_reason)
{
	struct rvss_nested_filter filter = {
		.below = vol->rel,
		.root_path = vol->subvol_root,
		.store_base = vol->store_base,
		.snapshot_dir = snapshot_dir[0] != '/' ? snapshot_dir : NULL,
	};
	int ret;

	ret = rvss_nested_find(tmp, rootfd, &filter, ret_subs, ret_n, ret_reason);
	if (ret != 0 && ret_reason != NULL && *ret_reason != NULL) {
		talloc_steal(mem_ctx, *ret_reason);
	}
	return ret;
}

int rvss_snap_create(TALLOC_CTX *mem_ctx, const struct rvss_create_args *args,
		     time_t *tstamp, char **ret_base_path, char **ret_snap_path,
		     struct rvss_record **ret_rec, char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_volume *vol = NULL;
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL;
	struct rvss_nested_sub *subs = NULL;
	size_t n_subs = 0;
	char name[RVSS_SNAPNAME_LEN + 1];
	uint8_t fsid[16];
	char *dir = NULL;
	int rootfd = -1, storefd = -1, snapfd = -1;
	bool created = false;
	time_t t = *tstamp;
	int tries, ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = check(tmp, args->base_volume, args->snapshot_dir, args->nested,
		    &vol, &rootfd, ret_reason);
	if (ret != 0) {
		if (ret_reason != NULL && *ret_reason != NULL) {
			talloc_steal(mem_ctx, *ret_reason);
		}
		goto done;
	}
	/* nested.h: the subvolumes below the share, snapshotted into it */
	if (args->nested == RVSS_NESTED_INCLUDE) {
		ret = nested_below_share(mem_ctx, tmp, vol, rootfd,
					 args->snapshot_dir, &subs, &n_subs,
					 ret_reason);
		if (ret != 0) {
			goto done;
		}
	}
	if (args->nested_count != NULL) {
		*args->nested_count = n_subs;
	}
	dir = args->rw ? join(tmp, vol->store, RVSS_WRITABLE_SUBDIR) : vol->store;
	if (dir == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	/*
	 * Made or opened fd-relative, refused unless root's alone, and
	 * refused on another filesystem before anything is made there.
	 */
	ret = rvss_btrfs_fsid_fd(rootfd, fsid);
	if (ret == 0) {
		ret = open_store(mem_ctx, vol, rootfd, args->rw, RVSS_STORE_CREATE, fsid,
				 &storefd, ret_reason);
	}
	if (ret != 0) {
		if (ret_reason != NULL && *ret_reason == NULL) {
			rvss_set_reason(mem_ctx, ret_reason, "cannot open snapshot store %s: %s",
				   dir, strerror(-ret));
		}
		goto done;
	}
	ret = rvss_catalog_open(tmp, args->catalog_path, true, &cat);
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot open catalog %s: %s",
			   args->catalog_path, strerror(-ret));
		goto done;
	}

	for (tries = 0; tries < RVSS_SNAPNAME_MAX_TRIES; tries++, t++) {
		struct stat st;

		ret = rvss_snapname_format(t, name);
		if (ret != 0) {
			rvss_set_reason(mem_ctx, ret_reason, "time stamp %lld out of range", (long long)t);
			goto done;
		}
		TALLOC_FREE(rec);
		rec = talloc_zero(tmp, struct rvss_record);
		if (rec == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		rec->snapshot = join(rec, dir, name);
		rec->name = talloc_strdup(rec, name);
		rec->share = talloc_strdup(rec, args->share != NULL ? args->share : "");
		rec->base_path = talloc_strdup(rec, vol->share_path);
		rec->snap_path = join(rec, rec->snapshot, vol->rel);
		rec->source = talloc_strdup(rec, vol->subvol_root);
		rec->set_id = talloc_strdup(rec, "");
		rec->sc_id = talloc_strdup(rec, "");
		rec->exposed_share = talloc_strdup(rec, "");
		if (rec->snapshot == NULL || rec->name == NULL || rec->share == NULL ||
		    rec->base_path == NULL || rec->snap_path == NULL ||
		    rec->source == NULL || rec->set_id == NULL || rec->sc_id == NULL ||
		    rec->exposed_share == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		rec->source_id = vol->subvol_id;
		rec->created = t;
		rec->updated = time(NULL);
		rec->rw = args->rw;
		rec->state = RVSS_STATE_CREATING;
		rec->creator_pid = (int)getpid();

		/* Reserve the name across processes before it exists. */
		ret = rvss_catalog_insert(cat, rec);
		if (ret == -EEXIST) {
			continue;
		}
		if (ret != 0) {
			rvss_set_reason(mem_ctx, ret_reason, "cannot write catalog record: %s",
				   strerror(-ret));
			goto done;
		}
		if (fstatat(storefd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			/* Something not ours holds the name: leave it alone. */
			(void)rvss_catalog_remove(cat, rec->snapshot);
			continue;
		}
		ret = rvss_nested_snapshot(tmp, rootfd, storefd, name, !args->rw,
					   subs, n_subs, ret_reason);
		if (ret == -EEXIST) {
			(void)rvss_catalog_remove(cat, rec->snapshot);
			continue;
		}
		if (ret != 0) {
			rvss_set_reason(mem_ctx, ret_reason, "cannot snapshot %s as %s: %s",
				   vol->subvol_root, rec->snapshot, strerror(-ret));
			(void)rvss_catalog_remove(cat, rec->snapshot);
			goto done;
		}
		created = true;
		break;
	}
	if (!created) {
		rvss_set_reason(mem_ctx, ret_reason, "no free snapshot name in %s within %d s of %lld",
			   dir, RVSS_SNAPNAME_MAX_TRIES, (long long)*tstamp);
		ret = -EBUSY;
		goto done;
	}

	snapfd = openat(storefd, name, OPEN_DIR_FLAGS);
	if (snapfd < 0) {
		ret = -errno;
	} else {
		ret = rvss_btrfs_subvolume_id_fd(snapfd, &rec->snapshot_id);
	}
	if (ret == 0) {
		rec->state = RVSS_STATE_CREATED;
		rec->updated = time(NULL);
		ret = rvss_catalog_update(cat, rec);
	}
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot record snapshot %s: %s",
			   rec->snapshot, strerror(-ret));
		if (snapfd >= 0) {
			(void)rvss_nested_prepare_delete(snapfd);
		}
		if (rvss_btrfs_delete(storefd, name) == 0) {
			(void)rvss_catalog_remove(cat, rec->snapshot);
		}
		goto done;
	}

	*ret_base_path = talloc_strdup(mem_ctx, rec->base_path);
	*ret_snap_path = talloc_strdup(mem_ctx, rec->snap_path);
	if (*ret_base_path == NULL || *ret_snap_path == NULL) {
		/* The snapshot is recorded; the reclaimer will find it. */
		TALLOC_FREE(*ret_base_path);
		TALLOC_FREE(*ret_snap_path);
		ret = -ENOMEM;
		goto done;
	}
	if (ret_rec != NULL) {
		*ret_rec = talloc_steal(mem_ctx, rec);
	}
	*tstamp = t;
	ret = 0;
done:
	rvss_close_fd(&snapfd);
	rvss_close_fd(&storefd);
	rvss_close_fd(&rootfd);
	talloc_free(tmp);
	return ret;
}

/* May the snapshot of @rec be kept as a backup?  Read-only from birth,
 * sealed, or its set reached "recovered" in Samba's state.  1 yes, 0 no,
 * -errno when Samba's state cannot be read whole: a half-written file
 * lacks sets that are recovered, so it must not decide a deletion. */
static int retainable(TALLOC_CTX *mem_ctx, const struct rvss_record *rec,
		      const char *fss_state_path)
{
	struct rvss_fss_state *st = NULL;
	size_t s, c;
	int ok = 0, ret;

	if (!rec->rw || rec->sealed) {
		return 1;
	}
	ret = rvss_fss_state_read_whole(mem_ctx, fss_state_path, RVSS_FSS_READ_TRIES,
					RVSS_FSS_READ_WAIT_MS, &st);
	if (ret == -ENOENT) {
		return 0; /* Samba never stored a set */
	}
	if (ret != 0) {
		return ret;
	}
	for (s = 0; s < st->num_sets && !ok; s++) {
		for (c = 0; c < st->sets[s].num_scs; c++) {
			if (strcmp(st->sets[s].scs[c].sc_path, rec->snap_path) == 0) {
				ok = st->sets[s].state == RVSS_FSS_RECOVERED;
				break;
			}
		}
	}
	talloc_free(st);
	return ok;
}

int rvss_snap_delete(TALLOC_CTX *mem_ctx, const char *catalog_path,
		     const char *base_path, const char *snap_path,
		     const struct rvss_retain_args *retain, bool *ret_retained,
		     char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL;
	struct stat st;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = rvss_catalog_open(tmp, catalog_path, false, &cat);
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot open catalog %s (%s): %s refused",
			   catalog_path, strerror(-ret), snap_path);
		ret = -EPERM;
		goto done;
	}
	if (ret_retained != NULL) {
		*ret_retained = false;
	}
	ret = rvss_catalog_find_snap_path(cat, tmp, snap_path, &rec);
	if (ret == -ENOENT && lstat(snap_path, &st) != 0 && errno == ENOENT) {
		/* Already reclaimed: nothing is there to delete. */
		rvss_set_reason(mem_ctx, ret_reason, "%s is already gone", snap_path);
		ret = 0;
		goto done;
	}
	if (ret == -ENOENT) {
		rvss_set_reason(mem_ctx, ret_reason,
			   "%s was not created by rvss (no record): refused", snap_path);
		ret = -EPERM;
		goto done;
	}
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot read catalog: %s", strerror(-ret));
		goto done;
	}
	if (base_path == NULL || strcmp(rec->base_path, base_path) != 0) {
		rvss_set_reason(mem_ctx, ret_reason,
			   "%s was recorded for base path %s, not %s: refused",
			   snap_path, rec->base_path, base_path != NULL ? base_path : "(null)");
		ret = -EPERM;
		goto done;
	}
	ret = retain != NULL ? retainable(tmp, rec, retain->fss_state_path) : 0;
	if (ret < 0) {
		rvss_set_reason(mem_ctx, ret_reason,
			   "cannot read Samba's FSRVP state %s whole (%s): %s kept, "
			   "not deleted", retain->fss_state_path, strerror(-ret),
			   rec->snapshot);
		goto done;
	}
	if (ret == 1) {
		ret = rvss_retain_record(cat, rec, retain->count, retain->age);
		if (ret != 0) {
			rvss_set_reason(mem_ctx, ret_reason, "cannot keep %s as a backup: %s",
				   rec->snapshot, strerror(-ret));
		} else if (ret_retained != NULL) {
			*ret_retained = true;
		}
		goto done;
	}
	ret = rvss_snap_destroy_record(mem_ctx, cat, rec, ret_reason);
done:
	talloc_free(tmp);
	return ret;
}
