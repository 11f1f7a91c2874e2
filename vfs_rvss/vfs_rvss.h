/*
 * vfs_rvss — glue between Samba's VFS and the rvss core: shared internals
 * of the module's files.  Everything Samba-release specific is in compat.h.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef VFS_RVSS_H
#define VFS_RVSS_H

#include "includes.h"
#include "smbd/smbd.h"
#include "compat.h"
#include "options.h"

struct rvss_seal_watch;

/* The module's debug class ("log level = 1 rvss:10"). */
extern int vfs_rvss_debug_level;

/** Every rvss:* option of one share, parsed and validated at connect. */
struct vfs_rvss_config {
	const char *share;        /* service name */
	char *snapshot_dir;       /* rvss:snapshot dir */
	char *catalog;            /* <state directory>/rvss.tdb */
	char *fss_state;          /* <lock directory>/srv_fss.tdb */
	bool hide_store;          /* rvss:hide store */
	bool reclaim;             /* rvss:reclaim */
	uint64_t reclaim_grace;   /* rvss:reclaim grace */
	uint64_t expose_max_age;  /* rvss:expose max age (0 = never) */
	uint64_t seq_timeout;     /* fss:sequence timeout (Samba's) */
	uint64_t timer_slack;     /* rvss:timer slack */
	int fss_workers;          /* rpcd_fsrvp:num_workers (Samba's) */
	bool fss_workers_default; /* ... not set: Samba's default */
	enum rvss_nested_mode nested; /* rvss:nested subvolumes */
	bool retain;              /* rvss:retain */
	uint32_t retain_count;
	uint64_t retain_age;
	bool check_layout;        /* rvss:check layout */
	uint32_t check_depth;     /* rvss:check depth (0 = unlimited) */
	uint64_t check_timeout;   /* rvss:check timeout, seconds */
	/* The store, when it lies inside this share's tree: */
	char *hide_rel;           /* relative to the share root */

	/* When this share is an exposed writable shadow copy (seal.c): */
	char *snap_path;          /* its connect path = rvss's snap_path */
	struct rvss_seal_watch *seal_watch; /* writable and not yet sealed */
	bool sealed;              /* refuse every write */
};

/** The handle's parsed configuration (set at connect). */
struct vfs_rvss_config *vfs_rvss_config(struct vfs_handle_struct *handle);

/** true if @rel (relative to the share root) is the store, below it, or
 *  a directory on the way to it inside the share. */
bool vfs_rvss_hidden(const struct vfs_rvss_config *cfg, const char *rel);

/* Seal (seal.c): connect-time set-up and the check every hook makes. */
int vfs_rvss_seal_connect(vfs_handle_struct *handle, struct vfs_rvss_config *cfg);
bool vfs_rvss_refuse_write(vfs_handle_struct *handle);

ssize_t vfs_rvss_pwrite(vfs_handle_struct *handle, files_struct *fsp,
			const void *data, size_t n, off_t offset);
struct tevent_req *vfs_rvss_pwrite_send(vfs_handle_struct *handle,
					TALLOC_CTX *mem_ctx,
					struct tevent_context *ev,
					files_struct *fsp, const void *data,
					size_t n, off_t offset);
ssize_t vfs_rvss_pwrite_recv(struct tevent_req *req,
			     struct vfs_aio_state *vfs_aio_state);
int vfs_rvss_ftruncate(vfs_handle_struct *handle, files_struct *fsp, off_t len);
int vfs_rvss_fallocate(vfs_handle_struct *handle, files_struct *fsp,
		       uint32_t mode, off_t offset, off_t len);

/* Store hiding hooks (hide.c); signatures per compat.h. */
struct dirent *vfs_rvss_readdir(vfs_handle_struct *handle, RVSS_READDIR_ARGS);
int vfs_rvss_openat(vfs_handle_struct *handle, const struct files_struct *dirfsp,
		    const struct smb_filename *smb_fname, struct files_struct *fsp,
		    const struct vfs_open_how *how);
int vfs_rvss_stat(vfs_handle_struct *handle, struct smb_filename *smb_fname);
int vfs_rvss_lstat(vfs_handle_struct *handle, struct smb_filename *smb_fname);
int vfs_rvss_fstatat(vfs_handle_struct *handle, const struct files_struct *dirfsp,
		     const struct smb_filename *smb_fname, SMB_STRUCT_STAT *sbuf,
		     int flags);
int vfs_rvss_mkdirat(vfs_handle_struct *handle, struct files_struct *dirfsp,
		     const struct smb_filename *smb_fname, mode_t mode);
int vfs_rvss_unlinkat(vfs_handle_struct *handle, struct files_struct *dirfsp,
		      const struct smb_filename *smb_fname, int flags);
int vfs_rvss_renameat(vfs_handle_struct *handle, RVSS_RENAMEAT_ARGS);
/* Unchanged from Samba 4.17 to 4.25. */
int vfs_rvss_linkat(vfs_handle_struct *handle, struct files_struct *srcfsp,
		    const struct smb_filename *old_smb_fname,
		    struct files_struct *dstfsp,
		    const struct smb_filename *new_smb_fname, int flags);
int vfs_rvss_symlinkat(vfs_handle_struct *handle,
		       const struct smb_filename *link_contents,
		       struct files_struct *dirfsp,
		       const struct smb_filename *new_smb_fname);
int vfs_rvss_mknodat(vfs_handle_struct *handle, struct files_struct *dirfsp,
		     const struct smb_filename *smb_fname, mode_t mode,
		     SMB_DEV_T dev);

#endif
