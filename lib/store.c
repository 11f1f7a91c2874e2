/*
 * rvss — the snapshot store, reached as root only below a trusted fd (see
 * store.h).  The one place that opens a recorded snapshot: create, delete,
 * seal, retain and the agent's restore all come through here.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "btrfs.h"
#include "catalog.h"
#include "mountinfo.h"
#include "nested.h"
#include "reason.h"
#include "snapname.h"

#define OPEN_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/*
 * Open the directory @name (one component, or the path of a source
 * subvolume) below @dirfd without following any symbolic link.  openat2()
 * says so to the kernel for the whole path; where it is missing (Linux <
 * 5.6), O_NOFOLLOW is the same for one component (and a source path is
 * checked by its subvolume id anyway).
 */
static int open_nofollow(int dirfd, const char *name, uint64_t resolve)
{
	struct open_how how = {
		.flags = OPEN_DIR_FLAGS,
		.resolve = resolve | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) {
		fd = openat(dirfd, name, OPEN_DIR_FLAGS);
	}
	return fd;
}

bool rvss_store_path_on_way(const char *store, const char *path)
{
	const char *s = store, *p = path;

	while (*s == '/') {
		s++;
	}
	while (*p == '/') {
		p++;
	}
	if (*s == '\0' || *p == '\0') {
		return false;
	}
	for (;;) {
		size_t ns = strcspn(s, "/"), np = strcspn(p, "/");

		if (ns != np || strncmp(s, p, ns) != 0) {
			return false;
		}
		s += ns;
		p += np;
		while (*s == '/') {
			s++;
		}
		while (*p == '/') {
			p++;
		}
		if (*s == '\0' || *p == '\0') {
			/* @path ended: on the way (or the store); @store
			 * ended: the store or inside it. */
			return true;
		}
	}
}

/* The ownership rule of a trusted directory (store.h). */
static bool trusted(const struct stat *st, bool lenient)
{
	if (!S_ISDIR(st->st_mode) || st->st_uid != 0) {
		return false;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0) {
		return true;
	}
	return lenient && (st->st_mode & S_ISVTX) != 0;
}

static int check_fs(int fd, const uint8_t *fsid)
{
	uint8_t have[16];
	int ret;

	if (fsid == NULL) {
		return 0;
	}
	ret = rvss_btrfs_fsid_fd(fd, have);
	if (ret != 0) {
		return ret;
	}
	return memcmp(have, fsid, sizeof(have)) == 0 ? 0 : -EXDEV;
}

int rvss_store_walk(TALLOC_CTX *mem_ctx, int anchor_fd, const char *rel,
		    size_t n_lenient, unsigned flags, const uint8_t *fsid,
		    int *ret_fd, char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *path = NULL, *comp, *save = NULL;
	const char *done_upto;
	size_t i = 0;
	int cur = -1, next = -1;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	if ((flags & ~RVSS_STORE_FLAGS_MASK) != 0 || rel == NULL || rel[0] == '\0' ||
	    rel[0] == '/') {
		ret = -EINVAL;
		goto done;
	}
	path = talloc_strdup(tmp, rel);
	cur = fcntl(anchor_fd, F_DUPFD_CLOEXEC, 0);
	if (path == NULL || cur < 0) {
		ret = path == NULL ? -ENOMEM : -errno;
		goto done;
	}
	for (comp = strtok_r(path, "/", &save); comp != NULL;
	     comp = strtok_r(NULL, "/", &save), i++) {
		struct stat st;

		done_upto = talloc_strndup(tmp, rel, (size_t)(comp - path) + strlen(comp));
		if (done_upto == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
			ret = -EINVAL;
			goto done;
		}
		next = open_nofollow(cur, comp, RESOLVE_BENEATH);
		if (next < 0 && errno == ENOENT && (flags & RVSS_STORE_CREATE) != 0) {
			/* Refuse a store on another filesystem before
			 * creating anything there. */
			ret = check_fs(cur, fsid);
			if (ret != 0) {
				rvss_set_reason(mem_ctx, ret_reason,
					   "snapshot store directory %s would be made "
					   "on another filesystem: %s", done_upto,
					   strerror(-ret));
				goto done;
			}
			/* Users traverse the store to reach an exposed copy,
			 * and shadow_copy2 lists it as the connected user. */
			if (mkdirat(cur, comp, 0755) != 0 && errno != EEXIST) {
				ret = -errno;
				rvss_set_reason(mem_ctx, ret_reason,
					   "cannot create snapshot store directory %s: %s",
					   done_upto, strerror(-ret));
				goto done;
			}
			next = open_nofollow(cur, comp, RESOLVE_BENEATH);
		}
		if (next < 0) {
			ret = -errno;
			if (ret == -ELOOP || ret == -ENOTDIR || ret == -EXDEV) {
				rvss_set_reason(mem_ctx, ret_reason,
					   "snapshot store: %s is a symbolic link or "
					   "not a directory: refused", done_upto);
				ret = -RVSS_EUNTRUSTED;
			} else {
				rvss_set_reason(mem_ctx, ret_reason,
					   "snapshot store: cannot open %s: %s",
					   done_upto, strerror(-ret));
			}
			goto done;
		}
		if (fstat(next, &st) != 0) {
			ret = -errno;
			goto done;
		}
		if (!trusted(&st, i < n_lenient)) {
			rvss_set_reason(mem_ctx, ret_reason,
				   "snapshot store: %s is owned by uid %u, mode %04o: "
				   "it must be a directory of root's that group "
				   "and others cannot write; refused",
				   done_upto, (unsigned)st.st_uid,
				   (unsigned)(st.st_mode & 07777));
			ret = -RVSS_EUNTRUSTED;
			goto done;
		}
		rvss_close_fd(&cur);
		cur = next;
		next = -1;
	}
	ret = check_fs(cur, fsid);
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason,
			   "snapshot store %s is not on the snapshotted "
			   "filesystem: %s", rel, strerror(-ret));
		goto done;
	}
	*ret_fd = cur;
	cur = -1;
	ret = 0;
done:
	rvss_close_fd(&next);
	rvss_close_fd(&cur);
	talloc_free(tmp);
	return ret;
}

/* Number of components of @path. */
static size_t components(const char *path)
{
	size_t n = 0;
	const char *p;

	for (p = path; *p != '\0'; p++) {
		if (*p != '/' && (p == path || p[-1] == '/')) {
			n++;
		}
	}
	return n;
}

int rvss_store_open_record_dir(TALLOC_CTX *mem_ctx,
			       const struct rvss_record *rec, int *ret_dirfd,
			       char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	const char *name, *rel;
	char *dir = NULL;
	size_t n_lenient = 0;
	uint64_t id = 0;
	int anchor = -1;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	name = strrchr(rec->snapshot, '/');
	if (name == NULL || name == rec->snapshot || rec->snapshot[0] != '/' ||
	    strcmp(name + 1, rec->name) != 0 || !rvss_snapname_valid(name + 1)) {
		rvss_set_reason(mem_ctx, ret_reason, "record %s has no rvss snapshot name",
			   rec->snapshot);
		ret = -EPERM;
		goto done;
	}
	dir = talloc_strndup(tmp, rec->snapshot, (size_t)(name - rec->snapshot));
	if (dir == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	if (rec->source != NULL && rec->source[0] == '/' &&
	    strcmp(dir, rec->source) != 0 && rvss_path_is_below(rec->source, dir)) {
		/* <source>/<snapshot dir>[/.writable]: from the subvolume
		 * root, identified by its id. */
		anchor = open_nofollow(AT_FDCWD, rec->source, 0);
		if (anchor < 0) {
			ret = -errno;
			rvss_set_reason(mem_ctx, ret_reason, "cannot open %s: %s",
				   rec->source, strerror(-ret));
			goto done;
		}
		ret = rvss_btrfs_is_subvolume_fd(anchor);
		if (ret == 1) {
			ret = rvss_btrfs_subvolume_id_fd(anchor, &id);
		} else if (ret == 0) {
			ret = -EPERM;
		}
		if (ret == 0 && id != rec->source_id) {
			ret = -EPERM;
		}
		if (ret != 0) {
			rvss_set_reason(mem_ctx, ret_reason,
				   "%s is no longer subvolume %" PRIu64 " that %s "
				   "was taken of: refused", rec->source,
				   rec->source_id, rec->snapshot);
			ret = -EPERM;
			goto done;
		}
		rel = dir + strlen(rec->source);
		while (*rel == '/') {
			rel++;
		}
	} else {
		/* An absolute store: <dir>/subvol-<id>[/.writable], below
		 * ancestors that may be sticky (/tmp). */
		size_t strict = 2, n;

		anchor = open("/", OPEN_DIR_FLAGS);
		if (anchor < 0) {
			ret = -errno;
			goto done;
		}
		rel = dir + 1;
		n = components(rel);
		if (n > 0 && strcmp(strrchr(dir, '/') + 1, RVSS_WRITABLE_SUBDIR) == 0) {
			strict++;
		}
		n_lenient = n > strict ? n - strict : 0;
	}
	ret = rvss_store_walk(mem_ctx, anchor, rel, n_lenient, 0, NULL, ret_dirfd,
			      ret_reason);
done:
	rvss_close_fd(&anchor);
	talloc_free(tmp);
	return ret;
}

int rvss_store_open_snapshot(TALLOC_CTX *mem_ctx, int dirfd,
			     const struct rvss_record *rec, int *ret_fd,
			     uint64_t *ret_id, char **ret_reason)
{
	uint64_t id = 0;
	int fd = -1;
	int ret;

	if (rec->name == NULL || !rvss_snapname_valid(rec->name)) {
		rvss_set_reason(mem_ctx, ret_reason, "record %s has no rvss snapshot name",
			   rec->snapshot);
		return -EPERM;
	}
	fd = openat(dirfd, rec->name, OPEN_DIR_FLAGS);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP || ret == -ENOTDIR) {
			ret = -EPERM;
		}
		rvss_set_reason(mem_ctx, ret_reason, "cannot open %s: %s", rec->snapshot,
			   strerror(-ret));
		return ret;
	}
	ret = rvss_btrfs_is_subvolume_fd(fd);
	if (ret == 1) {
		ret = rvss_btrfs_subvolume_id_fd(fd, &id);
	} else if (ret == 0) {
		ret = -EPERM;
	}
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "%s is not a btrfs subvolume: refused",
			   rec->snapshot);
		rvss_close_fd(&fd);
		return -EPERM;
	}
	if (rec->snapshot_id != 0 ? id != rec->snapshot_id : id <= rec->source_id) {
		rvss_set_reason(mem_ctx, ret_reason,
			   "%s is subvolume %" PRIu64 ", but rvss recorded %" PRIu64
			   ": refused", rec->snapshot, id, rec->snapshot_id);
		rvss_close_fd(&fd);
		return -EPERM;
	}
	*ret_fd = fd;
	if (ret_id != NULL) {
		*ret_id = id;
	}
	return 0;
}

int rvss_store_open_recorded(TALLOC_CTX *mem_ctx,
			     const struct rvss_record *rec, int *ret_dirfd,
			     int *ret_snapfd, uint64_t *ret_id,
			     char **ret_reason)
{
	int dirfd = -1, snapfd = -1;
	int ret;

	ret = rvss_store_open_record_dir(mem_ctx, rec, &dirfd, ret_reason);
	if (ret == 0) {
		ret = rvss_store_open_snapshot(mem_ctx, dirfd, rec, &snapfd, ret_id,
					       ret_reason);
	}
	if (ret != 0) {
		rvss_close_fd(&dirfd);
		return ret;
	}
	if (ret_dirfd != NULL) {
		*ret_dirfd = dirfd;
		dirfd = -1;
	}
	if (ret_snapfd != NULL) {
		*ret_snapfd = snapfd;
		snapfd = -1;
	}
	rvss_close_fd(&snapfd);
	rvss_close_fd(&dirfd);
	return 0;
}

int rvss_snap_destroy_record(TALLOC_CTX *mem_ctx, struct rvss_catalog *cat,
			     const struct rvss_record *rec, char **ret_reason)
{
	struct rvss_record upd;
	uint64_t id = 0;
	int dirfd = -1, fd = -1;
	int ret;

	ret = rvss_store_open_recorded(mem_ctx, rec, &dirfd, &fd, &id, ret_reason);
	if (ret == -ENOENT) {
		/* Already gone (or its whole store): only the record is left. */
		if (ret_reason != NULL) {
			TALLOC_FREE(*ret_reason);
		}
		ret = rvss_catalog_remove_expected(cat, rec);
		if (ret == -ENOENT) {
			ret = 0;
		}
		goto done;
	}
	if (ret != 0) {
		goto done;
	}
	upd = *rec;
	upd.state = RVSS_STATE_DELETING;
	upd.updated = time(NULL);
	/* Locked compare and replace: a record another process changed
	 * (retained, sealed) or removed since @rec was read is left alone. */
	ret = rvss_catalog_replace(cat, rec, &upd);
	if (ret == -ESTALE || ret == -ENOENT) {
		rvss_set_reason(mem_ctx, ret_reason, "the record of %s changed or went away "
			   "meanwhile (another process acted on it): left alone",
			   rec->snapshot);
		ret = -ESTALE;
		goto done;
	}
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot update catalog: %s", strerror(-ret));
		goto done;
	}
	/* A tree of snapshots (nested.h): writable, to be taken apart. */
	(void)rvss_nested_prepare_delete(fd);
	rvss_close_fd(&fd);
	/* By the id just checked, never by the name again. */
	ret = rvss_btrfs_delete_id(dirfd, id);
	if (ret != 0 && ret != -ENOENT) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot delete subvolume %s (id %" PRIu64
			   "): %s", rec->snapshot, id, strerror(-ret));
		goto done;
	}
	ret = rvss_catalog_remove(cat, rec->snapshot);
	if (ret == -ENOENT) {
		ret = 0;
	}
done:
	rvss_close_fd(&fd);
	rvss_close_fd(&dirfd);
	return ret;
}
