/*
 * rvss — the btrfs backend: the only file that talks to libbtrfsutil or
 * issues a btrfs ioctl.
 *
 * WARNING: btrfs ioctl numbers are reused by other drivers, so every entry
 * point checks the filesystem magic of its fd first (rvss_btrfs_check_fd).
 * libbtrfsutil reports which step failed in its enum and why in errno; we
 * save errno on the line after each call and return -errno (in libbtrfsutil
 * 1.2 a failed snapshot ioctl is SUBVOL_CREATE_FAILED whatever the cause).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "btrfs.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/btrfs.h>
#include <linux/btrfs_tree.h>
#include <linux/magic.h>

#include <btrfsutil.h>

/* Map a libbtrfsutil result onto -errno.  errno is the cause; a few
 * results carry no errno of their own. */
static int util_err(enum btrfs_util_error err, int saved_errno)
{
	switch (err) {
	case BTRFS_UTIL_OK:
		return 0;
	case BTRFS_UTIL_ERROR_NOT_BTRFS:
		return -EOPNOTSUPP;
	case BTRFS_UTIL_ERROR_NOT_SUBVOLUME:
		return -EINVAL;
	case BTRFS_UTIL_ERROR_NO_MEMORY:
		return -ENOMEM;
	case BTRFS_UTIL_ERROR_INVALID_ARGUMENT:
		return -EINVAL;
	default:
		return saved_errno > 0 ? -saved_errno : -EIO;
	}
}

int rvss_btrfs_check_fd(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) != 0) {
		return -errno;
	}
	if (sfs.f_type != (typeof(sfs.f_type))BTRFS_SUPER_MAGIC) {
		return -EOPNOTSUPP;
	}
	return 0;
}

int rvss_btrfs_is_subvolume_fd(int fd)
{
	struct stat st;
	int ret;

	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		return ret;
	}
	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	/* A subvolume root is a directory with inode RVSS_BTRFS_SUBVOL_ROOT_INO. */
	return S_ISDIR(st.st_mode) && st.st_ino == RVSS_BTRFS_SUBVOL_ROOT_INO;
}

int rvss_btrfs_subvolume_id_fd(int fd, uint64_t *ret_id)
{
	enum btrfs_util_error err;
	uint64_t id = 0;
	int saved, ret;

	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		return ret;
	}
	err = btrfs_util_subvolume_id_fd(fd, &id);
	saved = errno;
	ret = util_err(err, saved);
	if (ret == 0) {
		*ret_id = id;
	}
	return ret;
}

int rvss_btrfs_fsid_fd(int fd, uint8_t ret_fsid[16])
{
	struct btrfs_ioctl_fs_info_args args;
	int ret;

	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		return ret;
	}
	memset(&args, 0, sizeof(args));
	if (ioctl(fd, BTRFS_IOC_FS_INFO, &args) != 0) {
		return -errno;
	}
	memcpy(ret_fsid, args.fsid, 16);
	return 0;
}

int rvss_btrfs_snapshot(int src_fd, int dir_fd, const char *name, bool read_only)
{
	enum btrfs_util_error err;
	int saved, ret;

	ret = rvss_btrfs_check_fd(src_fd);
	if (ret == 0) {
		ret = rvss_btrfs_check_fd(dir_fd);
	}
	if (ret != 0) {
		return ret;
	}
	err = btrfs_util_create_snapshot_fd2(src_fd, dir_fd, name,
					     read_only ? BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY : 0,
					     NULL, NULL);
	saved = errno;
	return util_err(err, saved);
}

int rvss_btrfs_delete(int dir_fd, const char *name)
{
	enum btrfs_util_error err;
	struct stat st;
	int saved, ret;

	ret = rvss_btrfs_check_fd(dir_fd);
	if (ret != 0) {
		return ret;
	}
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_ino != RVSS_BTRFS_SUBVOL_ROOT_INO) {
		return -EINVAL;
	}
	err = btrfs_util_delete_subvolume_fd(dir_fd, name,
					     BTRFS_UTIL_DELETE_SUBVOLUME_RECURSIVE);
	saved = errno;
	return util_err(err, saved);
}

int rvss_btrfs_delete_id(int fd, uint64_t id)
{
	struct btrfs_util_subvolume_iterator *iter = NULL;
	enum btrfs_util_error err;
	uint64_t *nested = NULL;
	size_t n = 0, i;
	int saved, ret;

	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		return ret;
	}
	if (id < RVSS_BTRFS_SUBVOL_ROOT_INO) {
		return -EINVAL; /* the top level, or no subvolume at all */
	}
	/* Post-order: a nested subvolume before the one holding it. */
	err = btrfs_util_create_subvolume_iterator_fd(
		fd, id, BTRFS_UTIL_SUBVOLUME_ITERATOR_POST_ORDER, &iter);
	saved = errno;
	ret = util_err(err, saved);
	while (ret == 0) {
		uint64_t child = 0;
		uint64_t *grown = NULL;

		err = btrfs_util_subvolume_iterator_next(iter, NULL, &child);
		saved = errno;
		if (err == BTRFS_UTIL_ERROR_STOP_ITERATION) {
			break;
		}
		ret = util_err(err, saved);
		if (ret != 0) {
			break;
		}
		grown = talloc_realloc(NULL, nested, uint64_t, n + 1);
		if (grown == NULL) {
			ret = -ENOMEM;
			break;
		}
		nested = grown;
		nested[n++] = child;
	}
	if (iter != NULL) {
		btrfs_util_destroy_subvolume_iterator(iter);
	}
	for (i = 0; i < n && ret == 0; i++) {
		err = btrfs_util_delete_subvolume_by_id_fd(fd, nested[i]);
		saved = errno;
		ret = util_err(err, saved);
	}
	if (ret == 0) {
		err = btrfs_util_delete_subvolume_by_id_fd(fd, id);
		saved = errno;
		ret = util_err(err, saved);
	}
	talloc_free(nested);
	return ret;
}

int rvss_btrfs_get_read_only(int fd, bool *ret_ro)
{
	enum btrfs_util_error err;
	bool ro = false;
	int saved, ret;

	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		return ret;
	}
	err = btrfs_util_get_subvolume_read_only_fd(fd, &ro);
	saved = errno;
	ret = util_err(err, saved);
	if (ret == 0) {
		*ret_ro = ro;
	}
	return ret;
}

int rvss_btrfs_set_read_only(int fd, bool ro)
{
	enum btrfs_util_error err;
	int saved, ret;

	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		return ret;
	}
	err = btrfs_util_set_subvolume_read_only_fd(fd, ro);
	saved = errno;
	return util_err(err, saved);
}

int rvss_btrfs_subvol_info(int fd, struct rvss_btrfs_subvol_info *ret_info)
{
	struct btrfs_util_subvolume_info info;
	enum btrfs_util_error err;
	int saved, ret;

	ret = rvss_btrfs_is_subvolume_fd(fd);
	if (ret < 0) {
		return ret;
	}
	if (ret == 0) {
		return -EINVAL;
	}
	memset(&info, 0, sizeof(info));
	/* id 0: the subvolume of @fd itself, read without privilege. */
	err = btrfs_util_subvolume_info_fd(fd, 0, &info);
	saved = errno;
	ret = util_err(err, saved);
	if (ret != 0) {
		return ret;
	}
	memset(ret_info, 0, sizeof(*ret_info));
	ret_info->id = info.id;
	memcpy(ret_info->uuid, info.uuid, 16);
	memcpy(ret_info->parent_uuid, info.parent_uuid, 16);
	memcpy(ret_info->received_uuid, info.received_uuid, 16);
	ret_info->ctransid = info.ctransid;
	ret_info->stransid = info.stransid;
	ret_info->read_only = (info.flags & BTRFS_ROOT_SUBVOL_RDONLY) != 0;
	return 0;
}

bool rvss_btrfs_uuid_is_null(const uint8_t uuid[16])
{
	size_t i;

	for (i = 0; i < 16; i++) {
		if (uuid[i] != 0) {
			return false;
		}
	}
	return true;
}

void rvss_btrfs_uuid_format(const uint8_t uuid[16], char ret_str[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			ret_str[o++] = '-';
		}
		ret_str[o++] = hex[uuid[i] >> 4];
		ret_str[o++] = hex[uuid[i] & 0x0f];
	}
	ret_str[o] = '\0';
}

/* Path of directory @dirid (holding subvolume @id) and @id's name. */
static int lookup_user(int subvol_fd, uint64_t dirid, uint64_t id,
		       struct btrfs_ioctl_ino_lookup_user_args *args)
{
	memset(args, 0, sizeof(*args));
	args->dirid = dirid;
	args->treeid = id;
	if (ioctl(subvol_fd, BTRFS_IOC_INO_LOOKUP_USER, args) != 0) {
		return -errno;
	}
	args->path[sizeof(args->path) - 1] = '\0';
	args->name[sizeof(args->name) - 1] = '\0';
	return 0;
}

int rvss_btrfs_children(TALLOC_CTX *mem_ctx, int subvol_fd,
			struct rvss_btrfs_child **ret_children,
			size_t *ret_count)
{
	struct btrfs_ioctl_get_subvol_rootref_args refs;
	struct btrfs_ioctl_ino_lookup_user_args *look = NULL;
	struct rvss_btrfs_child *c = NULL;
	TALLOC_CTX *tmp = NULL;
	size_t n = 0;
	size_t i;
	int ret;

	ret = rvss_btrfs_check_fd(subvol_fd);
	if (ret != 0) {
		return ret;
	}
	tmp = talloc_new(NULL);
	look = talloc(tmp, struct btrfs_ioctl_ino_lookup_user_args);
	c = talloc_array(tmp, struct rvss_btrfs_child, 0);
	if (tmp == NULL || look == NULL || c == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	memset(&refs, 0, sizeof(refs));
	for (;;) {
		bool more;

		ret = ioctl(subvol_fd, BTRFS_IOC_GET_SUBVOL_ROOTREF, &refs);
		more = ret != 0 && errno == EOVERFLOW;
		if (ret != 0 && !more) {
			ret = -errno;
			goto done;
		}
		if (refs.num_items > 0) {
			/* (a realloc to 0 elements would free c) */
			c = talloc_realloc(tmp, c, struct rvss_btrfs_child,
					   n + refs.num_items);
		}
		if (c == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		for (i = 0; i < refs.num_items; i++) {
			c[n].id = refs.rootref[i].treeid;
			c[n].dirid = refs.rootref[i].dirid;
			c[n].dir = NULL;
			n++;
		}
		if (!more) {
			break;
		}
		/* The kernel has set min_treeid past the last one. */
	}
	/* One lookup per distinct directory (a store holds many). */
	for (i = 0; i < n; i++) {
		size_t j;
		size_t len;

		for (j = 0; j < i && c[j].dirid != c[i].dirid; j++) {
		}
		if (j < i) {
			c[i].dir = c[j].dir;
			continue;
		}
		ret = lookup_user(subvol_fd, c[i].dirid, c[i].id, look);
		if (ret != 0) {
			goto done;
		}
		len = strlen(look->path);
		if (len > 0 && look->path[len - 1] == '/') {
			len--; /* "a/b/" for a directory, "" for the root */
		}
		c[i].dir = talloc_strndup(c, look->path, len);
		if (c[i].dir == NULL) {
			ret = -ENOMEM;
			goto done;
		}
	}
	*ret_children = talloc_steal(mem_ctx, c);
	*ret_count = n;
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}

int rvss_btrfs_child_name(TALLOC_CTX *mem_ctx, int subvol_fd,
			  const struct rvss_btrfs_child *child,
			  char **ret_name)
{
	struct btrfs_ioctl_ino_lookup_user_args *look = NULL;
	int ret;

	ret = rvss_btrfs_check_fd(subvol_fd);
	if (ret != 0) {
		return ret;
	}
	look = talloc(NULL, struct btrfs_ioctl_ino_lookup_user_args);
	if (look == NULL) {
		return -ENOMEM;
	}
	ret = lookup_user(subvol_fd, child->dirid, child->id, look);
	if (ret == 0) {
		*ret_name = talloc_strdup(mem_ctx, look->name);
		ret = *ret_name == NULL ? -ENOMEM : 0;
	}
	talloc_free(look);
	return ret;
}

int rvss_btrfs_sync(int fd)
{
	enum btrfs_util_error err;
	int saved, ret;

	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		return ret;
	}
	err = btrfs_util_sync_fd(fd);
	saved = errno;
	return util_err(err, saved);
}

/*
 * Inode numbers at most this far apart are read as one key range: the
 * items between them (at most this many inodes' worth) cost less to copy
 * than another descent of the tree.
 */
#define NLINK_RANGE_GAP 64

/* The btrfs items are at most a node (64 KiB) long: one always fits. */
#define NLINK_MIN_BUF (sizeof(struct btrfs_ioctl_search_args_v2) + 65536)

/*
 * One key range [inos[0], inos[n-1]]: every INODE_ITEM in it, matched
 * against the sorted @inos.  A call that fills the buffer stops inside
 * some inode's items; the next starts at the inode after it (the inode
 * item is the first item of an inode, so none is skipped; the rest of
 * a big file's extent items is).
 */
static int nlink_range(int fd, uint64_t tree_id, const uint64_t *inos,
		       size_t n, uint32_t *ret_nlink, void *buf,
		       size_t buf_size)
{
	struct btrfs_ioctl_search_args_v2 *args = buf;
	uint64_t start = inos[0];
	const uint64_t hi = inos[n - 1];
	size_t k = 0;

	for (;;) {
		const char *p = (const char *)args->buf;
		uint64_t last = start;
		uint32_t i;

		memset(args, 0, sizeof(*args));
		args->key.tree_id = tree_id;
		args->key.min_objectid = start;
		args->key.max_objectid = hi;
		args->key.min_type = BTRFS_INODE_ITEM_KEY;
		args->key.max_type = BTRFS_INODE_ITEM_KEY;
		args->key.max_offset = UINT64_MAX;
		args->key.max_transid = UINT64_MAX;
		args->key.nr_items = UINT32_MAX;
		args->buf_size = buf_size - sizeof(*args);
		if (ioctl(fd, BTRFS_IOC_TREE_SEARCH_V2, args) != 0) {
			return -errno;
		}
		if (args->key.nr_items == 0) {
			return 0;
		}
		for (i = 0; i < args->key.nr_items; i++) {
			struct btrfs_ioctl_search_header h;
			uint32_t nlink_le;

			memcpy(&h, p, sizeof(h));
			p += sizeof(h);
			last = h.objectid;
			if (h.type == BTRFS_INODE_ITEM_KEY &&
			    h.len >= sizeof(struct btrfs_inode_item)) {
				memcpy(&nlink_le,
				       p + offsetof(struct btrfs_inode_item,
						    nlink),
				       sizeof(nlink_le));
				while (k < n && inos[k] < h.objectid) {
					k++;
				}
				while (k < n && inos[k] == h.objectid) {
					ret_nlink[k++] = le32toh(nlink_le);
				}
			}
			p += h.len;
		}
		if (last >= hi || k >= n) {
			return 0;
		}
		start = last + 1;
	}
}

int rvss_btrfs_inode_nlinks(int fd, uint64_t tree_id, const uint64_t *inos,
			    size_t n, uint32_t *ret_nlink, void *buf,
			    size_t buf_size)
{
	size_t i = 0;
	int ret;

	if (buf_size < NLINK_MIN_BUF) {
		return -EINVAL;
	}
	ret = rvss_btrfs_check_fd(fd);
	if (ret != 0) {
		return ret;
	}
	memset(ret_nlink, 0, n * sizeof(*ret_nlink));
	while (i < n) {
		size_t j = i;

		if (j > 0 && inos[j] < inos[j - 1]) {
			return -EINVAL;
		}
		while (j + 1 < n && inos[j + 1] >= inos[j] &&
		       inos[j + 1] - inos[j] <= NLINK_RANGE_GAP) {
			j++;
		}
		ret = nlink_range(fd, tree_id, inos + i, j - i + 1,
				  ret_nlink + i, buf, buf_size);
		if (ret != 0) {
			return ret;
		}
		i = j + 1;
	}
	return 0;
}
