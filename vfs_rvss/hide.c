/*
 * vfs_rvss — path hooks: hide the snapshot store from SMB clients of a
 * share whose tree contains it (not listed, not openable, not creatable by
 * any means -- mkdir, rename, hard link, symlink, node --, not renamable;
 * modules below rvss in "vfs objects", shadow_copy2, still see it), with
 * every directory of a multi-component rvss:snapshot dir on the way to it,
 * and refuse changes to a sealed shadow copy (seal.c).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "vfs_rvss.h"

#include "btrfs.h"
#include "store.h"

#undef DBGC_CLASS
#define DBGC_CLASS vfs_rvss_debug_level

/* The path of @smb_fname relative to the share root ("" = the root). */
static char *rel_path(TALLOC_CTX *mem_ctx, vfs_handle_struct *handle,
		      const struct files_struct *dirfsp,
		      const struct smb_filename *smb_fname)
{
	struct vfs_rvss_config *cfg = vfs_rvss_config(handle);
	const char *connectpath = handle->conn->connectpath;
	const char *name = smb_fname->base_name;
	size_t n;

	if (cfg == NULL || name == NULL) {
		return NULL;
	}
	if (name[0] == '/') {
		n = strlen(connectpath);
		if (strncmp(name, connectpath, n) != 0 ||
		    (name[n] != '/' && name[n] != '\0')) {
			return NULL;
		}
		return talloc_strdup(mem_ctx, name[n] == '/' ? name + n + 1 : "");
	}
	if (dirfsp == NULL || dirfsp == handle->conn->cwd_fsp) {
		return talloc_strdup(mem_ctx, name);
	}
	{
		struct smb_filename *full = full_path_from_dirfsp_atname(
			talloc_tos(), dirfsp, smb_fname);
		char *rel;

		if (full == NULL) {
			return NULL;
		}
		rel = talloc_strdup(mem_ctx, full->base_name);
		TALLOC_FREE(full);
		return rel;
	}
}

/* Is @dir (absolute) the root directory of a btrfs subvolume? */
static bool subvolume_root(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_ino == RVSS_BTRFS_SUBVOL_ROOT_INO;
}

/*
 * Is @rel on the way to, or inside, some subvolume's snapshot store?  Not
 * only this share's own store: a share may enclose other subvolumes (e.g.
 * the filesystem's top level), whose stores must not be reachable through
 * it either.  A relative store is <subvolume root>/<snapshot dir>, so look
 * for the first component of <snapshot dir> at a component boundary of
 * @rel whose parent is a subvolume root (a stat only when the names
 * match); an absolute store is compared as a path.  Every directory of a
 * multi-component snapshot dir counts (rvss_store_path_on_way()): renaming
 * "a" of "a/b" away would orphan the store as surely as renaming "b".
 */
static bool in_any_store(vfs_handle_struct *handle, const struct vfs_rvss_config *cfg,
			 const char *rel)
{
	const char *dir = cfg->snapshot_dir;
	size_t n = strlen(dir);
	const char *p;

	if (rel[0] == '\0') {
		return false; /* the share root itself */
	}
	if (dir[0] == '/') {
		/* An exposed shadow copy lives inside the store: its own tree
		 * is what it serves. */
		const char *cp = handle->conn->connectpath;
		char *full;
		bool ret;

		if (strncmp(cp, dir, n) == 0 && (cp[n] == '\0' || cp[n] == '/')) {
			return false;
		}
		full = talloc_asprintf(talloc_tos(), "%s/%s", cp, rel);
		ret = full != NULL && rvss_store_path_on_way(dir + 1, full + 1);
		TALLOC_FREE(full);
		return ret;
	}
	for (p = rel; p != NULL; p = strchr(p, '/'), p = p != NULL ? p + 1 : NULL) {
		char *parent;
		bool ret;

		if (!rvss_store_path_on_way(dir, p)) {
			continue;
		}
		parent = talloc_asprintf(talloc_tos(), "%s/%.*s", handle->conn->connectpath,
					 (int)(p - rel), rel);
		ret = parent != NULL && subvolume_root(parent);
		TALLOC_FREE(parent);
		if (ret) {
			return true;
		}
	}
	return false;
}

static bool hidden(vfs_handle_struct *handle, const struct files_struct *dirfsp,
		   const struct smb_filename *smb_fname)
{
	struct vfs_rvss_config *cfg = vfs_rvss_config(handle);
	char *rel;
	bool ret;

	if (cfg == NULL || !cfg->hide_store) {
		return false;
	}
	rel = rel_path(talloc_tos(), handle, dirfsp, smb_fname);
	if (rel == NULL) {
		return false;
	}
	ret = vfs_rvss_hidden(cfg, rel) || in_any_store(handle, cfg, rel);
	if (ret) {
		DBG_DEBUG("hiding %s (snapshot store)\n", rel);
	}
	TALLOC_FREE(rel);
	return ret;
}

struct dirent *vfs_rvss_readdir(vfs_handle_struct *handle, RVSS_READDIR_ARGS)
{
	struct vfs_rvss_config *cfg = vfs_rvss_config(handle);
	struct dirent *d;

	for (;;) {
		struct smb_filename fn = { 0 };

		d = RVSS_READDIR_NEXT(handle);
		if (d == NULL || cfg == NULL || !cfg->hide_store) {
			return d;
		}
		fn.base_name = d->d_name;
		if (!hidden(handle, dirfsp, &fn)) {
			return d;
		}
	}
}

int vfs_rvss_openat(vfs_handle_struct *handle, const struct files_struct *dirfsp,
		    const struct smb_filename *smb_fname, struct files_struct *fsp,
		    const struct vfs_open_how *how)
{
	if (hidden(handle, dirfsp, smb_fname)) {
		errno = ENOENT;
		return -1;
	}
	/*
	 * Every open of a watched shadow copy looks for recovery first, so
	 * the copy is sealed (read-only flag) before the requester reads it
	 * for backup.  The open itself is left to the layers below: the
	 * kernel refuses write opens of a read-only subvolume, and
	 * shadow_copy2 opens Previous Version paths read-only, as Windows
	 * does (smbtorture's sc_share_io opens a shadow copy file with write
	 * access and expects success).  Writes on the handle are refused.
	 */
	(void)vfs_rvss_refuse_write(handle);
	return SMB_VFS_NEXT_OPENAT(handle, dirfsp, smb_fname, fsp, how);
}

int vfs_rvss_stat(vfs_handle_struct *handle, struct smb_filename *smb_fname)
{
	if (hidden(handle, NULL, smb_fname)) {
		errno = ENOENT;
		return -1;
	}
	return SMB_VFS_NEXT_STAT(handle, smb_fname);
}

int vfs_rvss_lstat(vfs_handle_struct *handle, struct smb_filename *smb_fname)
{
	if (hidden(handle, NULL, smb_fname)) {
		errno = ENOENT;
		return -1;
	}
	return SMB_VFS_NEXT_LSTAT(handle, smb_fname);
}

int vfs_rvss_fstatat(vfs_handle_struct *handle, const struct files_struct *dirfsp,
		     const struct smb_filename *smb_fname, SMB_STRUCT_STAT *sbuf,
		     int flags)
{
	if (hidden(handle, dirfsp, smb_fname)) {
		errno = ENOENT;
		return -1;
	}
	return SMB_VFS_NEXT_FSTATAT(handle, dirfsp, smb_fname, sbuf, flags);
}

/*
 * May a client create, remove or rename @smb_fname?  0, or the errno to
 * fail with: @hidden_errno for the store (or a name on the way to it),
 * EROFS once the shadow copy this share exposes is sealed.
 */
static int refuse_change(vfs_handle_struct *handle,
			 const struct files_struct *dirfsp,
			 const struct smb_filename *smb_fname, int hidden_errno)
{
	if (hidden(handle, dirfsp, smb_fname)) {
		return hidden_errno;
	}
	if (vfs_rvss_refuse_write(handle)) {
		return EROFS;
	}
	return 0;
}

int vfs_rvss_mkdirat(vfs_handle_struct *handle, struct files_struct *dirfsp,
		     const struct smb_filename *smb_fname, mode_t mode)
{
	int ret;

	ret = refuse_change(handle, dirfsp, smb_fname, EACCES);
	if (ret != 0) {
		errno = ret;
		return -1;
	}
	return SMB_VFS_NEXT_MKDIRAT(handle, dirfsp, smb_fname, mode);
}

int vfs_rvss_unlinkat(vfs_handle_struct *handle, struct files_struct *dirfsp,
		      const struct smb_filename *smb_fname, int flags)
{
	int ret;

	ret = refuse_change(handle, dirfsp, smb_fname, ENOENT);
	if (ret != 0) {
		errno = ret;
		return -1;
	}
	return SMB_VFS_NEXT_UNLINKAT(handle, dirfsp, smb_fname, flags);
}

int vfs_rvss_renameat(vfs_handle_struct *handle, RVSS_RENAMEAT_ARGS)
{
	int ret;

	if (hidden(handle, srcfsp, src)) {
		errno = ENOENT;
		return -1;
	}
	ret = refuse_change(handle, dstfsp, dst, EACCES);
	if (ret != 0) {
		errno = ret;
		return -1;
	}
	return RVSS_RENAMEAT_NEXT(handle);
}

int vfs_rvss_linkat(vfs_handle_struct *handle, struct files_struct *srcfsp,
		    const struct smb_filename *old_smb_fname,
		    struct files_struct *dstfsp,
		    const struct smb_filename *new_smb_fname, int flags)
{
	int ret;

	if (hidden(handle, srcfsp, old_smb_fname)) {
		errno = ENOENT;
		return -1;
	}
	/* A hard link under the store's name would fail every Commit. */
	ret = refuse_change(handle, dstfsp, new_smb_fname, EACCES);
	if (ret != 0) {
		errno = ret;
		return -1;
	}
	return SMB_VFS_NEXT_LINKAT(handle, srcfsp, old_smb_fname, dstfsp,
				   new_smb_fname, flags);
}

int vfs_rvss_symlinkat(vfs_handle_struct *handle,
		       const struct smb_filename *link_contents,
		       struct files_struct *dirfsp,
		       const struct smb_filename *new_smb_fname)
{
	int ret;

	ret = refuse_change(handle, dirfsp, new_smb_fname, EACCES);
	if (ret != 0) {
		errno = ret;
		return -1;
	}
	return SMB_VFS_NEXT_SYMLINKAT(handle, link_contents, dirfsp, new_smb_fname);
}

int vfs_rvss_mknodat(vfs_handle_struct *handle, struct files_struct *dirfsp,
		     const struct smb_filename *smb_fname, mode_t mode,
		     SMB_DEV_T dev)
{
	int ret;

	ret = refuse_change(handle, dirfsp, smb_fname, EACCES);
	if (ret != 0) {
		errno = ret;
		return -1;
	}
	return SMB_VFS_NEXT_MKNODAT(handle, dirfsp, smb_fname, mode, dev);
}
