/*
 * rvss — a shadow copy of a share with nested subvolumes, as one tree of
 * snapshots (see nested.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "nested.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btrfs.h"
#include "mountinfo.h"
#include "reason.h"

#define OPEN_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

/*
 * Open the directory @rel below @dirfd one component at a time, never
 * through a symbolic link ("" or "." is @dirfd itself).  The paths come
 * from the kernel's own lookups, yet a share user may rename directories
 * meanwhile: "." and ".." are refused and every result is checked by the
 * caller (a subvolume id, or a placeholder's inode).
 */
static int open_path(int dirfd, const char *rel)
{
	const char *p = rel;
	int fd;

	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	while (*p != '\0') {
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		char comp[256];
		int next;

		if (n == 0 || (n == 1 && p[0] == '.')) {
			p = *end == '/' ? end + 1 : end;
			continue;
		}
		if (n >= sizeof(comp) || (n == 2 && p[0] == '.' && p[1] == '.')) {
			(void)close(fd);
			return -EINVAL;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, OPEN_DIR_FLAGS);
		if (next < 0) {
			int ret = errno == ELOOP ? -ESTALE : -errno;

			(void)close(fd);
			return ret;
		}
		(void)close(fd);
		fd = next;
		p = *end == '/' ? end + 1 : end;
	}
	return fd;
}

/* Open the subvolume @rel below @dirfd and check that it is @id. */
static int open_subvol(int dirfd, const char *rel, uint64_t id)
{
	uint64_t got = 0;
	int fd, ret;

	fd = open_path(dirfd, rel);
	if (fd < 0) {
		return fd;
	}
	ret = rvss_btrfs_is_subvolume_fd(fd);
	if (ret == 1) {
		ret = rvss_btrfs_subvolume_id_fd(fd, &got);
		if (ret == 0 && got != id) {
			ret = -ESTALE;
		}
	} else if (ret == 0) {
		ret = -ESTALE;
	}
	if (ret != 0) {
		(void)close(fd);
		return ret;
	}
	return fd;
}

/* Open the snapshot @rel of the copy @topfd (a subvolume root). */
static int open_subvol_in_copy(int topfd, const char *rel)
{
	int fd, ret;

	fd = open_path(topfd, rel);
	if (fd < 0) {
		return fd;
	}
	ret = rvss_btrfs_is_subvolume_fd(fd);
	if (ret != 1) {
		(void)close(fd);
		return ret == 0 ? -ESTALE : ret;
	}
	return fd;
}

static char *join3(TALLOC_CTX *mem_ctx, const char *a, const char *b, const char *c)
{
	char *s = talloc_strdup(mem_ctx, "");
	const char *parts[] = { a, b, c };
	size_t i;

	for (i = 0; i < 3 && s != NULL; i++) {
		if (parts[i] == NULL || parts[i][0] == '\0') {
			continue;
		}
		s = talloc_asprintf_append(s, "%s%s", s[0] != '\0' ? "/" : "",
					   parts[i]);
	}
	return s;
}

struct finder {
	TALLOC_CTX *mem_ctx;
	const struct rvss_nested_filter *filter;
	struct rvss_nested_sub *subs;
	size_t n;
	char **ret_reason;
};

static bool left_out(const struct finder *f, const char *rel, const char *in_sub,
		     bool top)
{
	const struct rvss_nested_filter *flt = f->filter;
	char *abs_path = NULL;
	bool out = false;

	if (flt == NULL) {
		return false;
	}
	if (top && flt->below != NULL && flt->below[0] != '\0') {
		char *b = talloc_asprintf(NULL, "/%s", flt->below);
		char *r = talloc_asprintf(NULL, "/%s", rel);

		out = b == NULL || r == NULL || !rvss_path_is_below(b, r);
		talloc_free(b);
		talloc_free(r);
		if (out) {
			return true;
		}
	}
	if (flt->snapshot_dir != NULL && !top) {
		/* the store of a nested subvolume: its own backups */
		char *d = talloc_asprintf(NULL, "/%s", flt->snapshot_dir);
		char *r = talloc_asprintf(NULL, "/%s", in_sub);

		out = d == NULL || r == NULL || rvss_path_is_below(d, r);
		talloc_free(d);
		talloc_free(r);
		if (out) {
			return true;
		}
	}
	if (flt->root_path != NULL && flt->store_base != NULL) {
		abs_path = join3(NULL, strcmp(flt->root_path, "/") == 0 ? "" : flt->root_path,
				 rel, NULL);
		if (abs_path != NULL && abs_path[0] != '/') {
			char *t = talloc_asprintf(NULL, "/%s", abs_path);

			talloc_free(abs_path);
			abs_path = t;
		}
		out = abs_path == NULL || rvss_path_is_below(flt->store_base, abs_path);
		talloc_free(abs_path);
	}
	return out;
}

static int by_id(const void *a, const void *b)
{
	const struct rvss_btrfs_child *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Depth-first below the subvolume @fd, whose path is @prefix. */
static int find_below(struct finder *f, int fd, const char *prefix, bool top)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_btrfs_child *kids = NULL;
	size_t n = 0, i;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = rvss_btrfs_children(tmp, fd, &kids, &n);
	if (ret != 0) {
		rvss_set_reason(f->mem_ctx, f->ret_reason,
				"cannot list the subvolumes inside %s: %s",
				prefix[0] != '\0' ? prefix : "the share's subvolume",
				strerror(-ret));
		goto done;
	}
	/* Ascending ids: the order they were made in, stable across calls. */
	qsort(kids, n, sizeof(*kids), by_id);
	for (i = 0; i < n; i++) {
		char *name = NULL, *in_sub, *rel;
		size_t me;
		int cfd;

		/* Its directory first: a store of a thousand retained
		 * snapshots is skipped without naming each of them. */
		rel = join3(tmp, prefix, kids[i].dir, NULL);
		if (rel == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		if (left_out(f, rel, kids[i].dir, top)) {
			continue;
		}
		ret = rvss_btrfs_child_name(tmp, fd, &kids[i], &name);
		if (ret != 0) {
			rvss_set_reason(f->mem_ctx, f->ret_reason,
					"cannot name subvolume %" PRIu64 " inside %s: %s",
					kids[i].id, prefix, strerror(-ret));
			goto done;
		}
		in_sub = join3(tmp, kids[i].dir, name, NULL);
		rel = join3(tmp, prefix, in_sub, NULL);
		if (in_sub == NULL || rel == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		if (left_out(f, rel, in_sub, top)) {
			continue;
		}
		cfd = open_subvol(fd, in_sub, kids[i].id);
		if (cfd < 0) {
			ret = cfd;
			rvss_set_reason(f->mem_ctx, f->ret_reason,
					"nested subvolume %s (id %" PRIu64 ") changed "
					"while it was listed: %s", rel, kids[i].id,
					strerror(-ret));
			goto done;
		}
		f->subs = talloc_realloc(f->mem_ctx, f->subs, struct rvss_nested_sub,
					 f->n + 1);
		if (f->subs == NULL) {
			(void)close(cfd);
			ret = -ENOMEM;
			goto done;
		}
		me = f->n++;
		f->subs[me].rel = talloc_steal(f->subs, rel);
		f->subs[me].id = kids[i].id;
		f->subs[me].has_children = false;
		ret = find_below(f, cfd, rel, false);
		(void)close(cfd);
		if (ret != 0) {
			goto done;
		}
		f->subs[me].has_children = f->n > me + 1;
	}
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}

int rvss_nested_find(TALLOC_CTX *mem_ctx, int rootfd,
		     const struct rvss_nested_filter *filter,
		     struct rvss_nested_sub **ret_subs, size_t *ret_count,
		     char **ret_reason)
{
	struct finder f = {
		.mem_ctx = talloc_new(NULL),
		.filter = filter,
		.ret_reason = ret_reason,
	};
	int ret;

	if (f.mem_ctx == NULL) {
		return -ENOMEM;
	}
	ret = find_below(&f, rootfd, "", true);
	if (ret != 0) {
		if (ret_reason != NULL && *ret_reason != NULL) {
			talloc_steal(mem_ctx, *ret_reason);
		}
		talloc_free(f.mem_ctx);
		return ret;
	}
	*ret_subs = f.subs != NULL ? talloc_steal(mem_ctx, f.subs) : NULL;
	*ret_count = f.n;
	talloc_free(f.mem_ctx);
	return 0;
}

/* Split "a/b/c" into "a/b" and "c" ("c" into "" and "c"). */
static int split(TALLOC_CTX *mem_ctx, const char *rel, char **dir, const char **name)
{
	const char *slash = strrchr(rel, '/');

	*dir = talloc_strndup(mem_ctx, rel, slash != NULL ? (size_t)(slash - rel) : 0);
	*name = slash != NULL ? slash + 1 : rel;
	return *dir == NULL ? -ENOMEM : 0;
}

/* Put the snapshot of @sub into its placeholder inside @topfd. */
static int place_one(TALLOC_CTX *mem_ctx, int rootfd, int topfd,
		     const struct rvss_nested_sub *sub, bool read_only,
		     char **ret_reason)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	const char *name = NULL;
	char *dir = NULL;
	struct stat st;
	int srcfd = -1, pfd = -1;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = split(tmp, sub->rel, &dir, &name);
	if (ret != 0) {
		goto done;
	}
	srcfd = open_subvol(rootfd, sub->rel, sub->id);
	if (srcfd < 0) {
		ret = srcfd;
		rvss_set_reason(mem_ctx, ret_reason, "nested subvolume %s (id %"
				PRIu64 ") changed during the Commit: %s", sub->rel,
				sub->id, strerror(-ret));
		goto done;
	}
	pfd = open_path(topfd, dir);
	if (pfd < 0) {
		ret = pfd;
		rvss_set_reason(mem_ctx, ret_reason, "cannot open %s in the copy: %s",
				dir, strerror(-ret));
		goto done;
	}
	/* Only the empty directory btrfs left there is replaced. */
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_ino != RVSS_BTRFS_PLACEHOLDER_INO) {
		ret = -ESTALE;
		rvss_set_reason(mem_ctx, ret_reason, "no placeholder of nested "
				"subvolume %s in the copy", sub->rel);
		goto done;
	}
	if (unlinkat(pfd, name, AT_REMOVEDIR) != 0) {
		ret = -errno;
		rvss_set_reason(mem_ctx, ret_reason, "cannot remove the placeholder "
				"of %s in the copy: %s", sub->rel, strerror(-ret));
		goto done;
	}
	ret = rvss_btrfs_snapshot(srcfd, pfd, name, read_only);
	if (ret != 0) {
		rvss_set_reason(mem_ctx, ret_reason, "cannot snapshot nested "
				"subvolume %s: %s", sub->rel, strerror(-ret));
	}
done:
	rvss_close_fd(&pfd);
	rvss_close_fd(&srcfd);
	talloc_free(tmp);
	return ret;
}

/* Delete the half-made tree @name in @dirfd (opened as @topfd). */
static void drop_tree(int dirfd, int topfd)
{
	uint64_t id = 0;

	if (rvss_btrfs_subvolume_id_fd(topfd, &id) != 0) {
		return;
	}
	(void)rvss_nested_prepare_delete(topfd);
	(void)rvss_btrfs_delete_id(dirfd, id);
}

/* The parents of the tree just made read-only, deepest first, the top
 * last (the leaves were made read-only). */
static int seal_parents(int topfd, const struct rvss_nested_sub *subs, size_t n)
{
	size_t k;
	int ret = 0;

	for (k = n; k > 0 && ret == 0; k--) {
		const struct rvss_nested_sub *sub = &subs[k - 1];
		int fd;

		if (!sub->has_children) {
			continue;
		}
		fd = open_subvol_in_copy(topfd, sub->rel);
		if (fd < 0) {
			return fd;
		}
		ret = rvss_btrfs_set_read_only(fd, true);
		(void)close(fd);
	}
	return ret == 0 ? rvss_btrfs_set_read_only(topfd, true) : ret;
}

int rvss_nested_snapshot(TALLOC_CTX *mem_ctx, int rootfd, int dirfd,
			 const char *name, bool read_only,
			 const struct rvss_nested_sub *subs, size_t n,
			 char **ret_reason)
{
	size_t i;
	int topfd = -1;
	int ret;

	if (n == 0) {
		return rvss_btrfs_snapshot(rootfd, dirfd, name, read_only);
	}
	ret = rvss_btrfs_snapshot(rootfd, dirfd, name, false);
	if (ret != 0) {
		return ret;
	}
	topfd = openat(dirfd, name, OPEN_DIR_FLAGS);
	if (topfd < 0) {
		ret = -errno;
		rvss_set_reason(mem_ctx, ret_reason, "cannot open the new snapshot "
				"%s: %s", name, strerror(-ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		/* A leaf is made read-only at once; a parent when its
		 * children are in place. */
		ret = place_one(mem_ctx, rootfd, topfd, &subs[i],
				read_only && !subs[i].has_children, ret_reason);
		if (ret != 0) {
			goto fail;
		}
	}
	if (read_only) {
		ret = seal_parents(topfd, subs, n);
		if (ret != 0) {
			rvss_set_reason(mem_ctx, ret_reason, "cannot make the copy "
					"%s read-only: %s", name, strerror(-ret));
			goto fail;
		}
	}
	rvss_close_fd(&topfd);
	return 0;
fail:
	drop_tree(dirfd, topfd);
	rvss_close_fd(&topfd);
	/* Not -EEXIST: the caller would take it for a taken name. */
	return ret == -EEXIST ? -ESTALE : ret;
}

static int set_ro(int fd, bool read_only)
{
	bool ro = !read_only;
	int ret;

	ret = rvss_btrfs_get_read_only(fd, &ro);
	if (ret == 0 && ro != read_only) {
		ret = rvss_btrfs_set_read_only(fd, read_only);
	}
	return ret;
}

int rvss_nested_set_read_only(int topfd, bool read_only, size_t *ret_nested)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_nested_sub *subs = NULL;
	size_t n = 0, k;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	if (!read_only) {
		ret = set_ro(topfd, false);
		if (ret != 0) {
			goto done;
		}
	}
	ret = rvss_nested_find(tmp, topfd, NULL, &subs, &n, NULL);
	for (k = 0; k < n && ret == 0; k++) {
		/* cleared parents first; set deepest first */
		size_t i = read_only ? n - 1 - k : k;
		int fd = open_subvol(topfd, subs[i].rel, subs[i].id);

		if (fd < 0) {
			ret = fd;
			break;
		}
		ret = set_ro(fd, read_only);
		(void)close(fd);
	}
	if (ret == 0 && read_only) {
		ret = set_ro(topfd, true);
	}
	if (ret == 0 && ret_nested != NULL) {
		*ret_nested = n;
	}
done:
	talloc_free(tmp);
	return ret;
}

int rvss_nested_all_read_only(TALLOC_CTX *mem_ctx, int topfd,
			      char **ret_writable)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_nested_sub *subs = NULL;
	size_t n = 0, i;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	*ret_writable = NULL;
	ret = rvss_nested_find(tmp, topfd, NULL, &subs, &n, NULL);
	for (i = 0; i < n && ret == 0; i++) {
		bool ro = false;
		int fd = open_subvol(topfd, subs[i].rel, subs[i].id);

		if (fd < 0) {
			ret = fd;
			break;
		}
		ret = rvss_btrfs_get_read_only(fd, &ro);
		(void)close(fd);
		if (ret == 0 && !ro) {
			*ret_writable = talloc_strdup(mem_ctx, subs[i].rel);
			ret = *ret_writable == NULL ? -ENOMEM : 0;
			break;
		}
	}
	talloc_free(tmp);
	return ret;
}

int rvss_nested_prepare_delete(int topfd)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_btrfs_child *kids = NULL;
	size_t n = 0;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = rvss_btrfs_children(tmp, topfd, &kids, &n);
	if (ret == 0 && n > 0) {
		ret = rvss_nested_set_read_only(topfd, false, NULL);
	}
	talloc_free(tmp);
	return ret;
}
