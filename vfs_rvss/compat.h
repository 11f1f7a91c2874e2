/*
 * vfs_rvss — what depends on the Samba release, in one place.
 *
 * Keyed on the Samba version of the tree the module is built against
 * (SAMBA_VERSION_MAJOR/MINOR), never on the distribution: a Samba built
 * anywhere from the same release gets the same module.  smbd refuses a
 * module registered with another VFS interface version, and within one
 * release series the interface does not change, so a module built for
 * 4.22.6 loads into 4.22.11's smbd (tested).
 *
 *   release  interface  what changed for rvss (read in Samba's vfs.h and
 *                       vfs_macros.h of each release)
 *   4.17     47         the first release rvss supports (Debian 12)
 *   4.18     48
 *   4.19     49         readdir_fn lost its SMB_STRUCT_STAT *
 *   4.22     50         renameat_fn takes a struct vfs_rename_how *;
 *                       pwrite may be given VFS_PWRITE_APPEND_OFFSET (-1)
 *   4.23     51
 *   4.24     52         connectpath_fn removed (rvss never wrapped it);
 *                       SMB_VFS_PWRITE_RECV became a macro over
 *                       smb_vfs_call_pwrite_recv (source-compatible)
 *   4.25     53         open_share_root_fn, fstatvfs_fn, fsp-based
 *                       disk_free_fn/get_quota_fn (rvss wraps none)
 *
 * A new release is a line in the table below and, where a hook rvss wraps
 * changed its signature, one RVSS_* macro pair here; the hook's body stays
 * one (hide.c, seal.c).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef VFS_RVSS_COMPAT_H
#define VFS_RVSS_COMPAT_H

#include "version.h"

#define RVSS_SAMBA_AT_LEAST(major, minor)                                  \
	(SAMBA_VERSION_MAJOR > (major) ||                                  \
	 (SAMBA_VERSION_MAJOR == (major) && SAMBA_VERSION_MINOR >= (minor)))

/* The interface each supported release registers with: a tree whose
 * vfs.h disagrees is not the release its version.h names. */
#if SAMBA_VERSION_MAJOR != 4 || SAMBA_VERSION_MINOR < 17
#  error "rvss needs Samba 4.17 or later"
#elif SAMBA_VERSION_MINOR == 17
#  define RVSS_VFS_INTERFACE 47
#elif SAMBA_VERSION_MINOR == 18
#  define RVSS_VFS_INTERFACE 48
#elif SAMBA_VERSION_MINOR >= 19 && SAMBA_VERSION_MINOR <= 21
#  define RVSS_VFS_INTERFACE 49
#elif SAMBA_VERSION_MINOR == 22
#  define RVSS_VFS_INTERFACE 50
#elif SAMBA_VERSION_MINOR == 23
#  define RVSS_VFS_INTERFACE 51
#elif SAMBA_VERSION_MINOR == 24
#  define RVSS_VFS_INTERFACE 52
#elif SAMBA_VERSION_MINOR == 25
#  define RVSS_VFS_INTERFACE 53
#else
#  error "Samba newer than 4.25: compare its vfs.h with 4.25's, then add it to vfs_rvss/compat.h"
#endif
#if SMB_VFS_INTERFACE_VERSION != RVSS_VFS_INTERFACE
#  error "this Samba tree's VFS interface version is not its release's (see compat.h)"
#endif

/* readdir: 4.19 removed the stat buffer. */
#if RVSS_SAMBA_AT_LEAST(4, 19)
#  define RVSS_READDIR_ARGS struct files_struct *dirfsp, DIR *dirp
#  define RVSS_READDIR_NEXT(h) SMB_VFS_NEXT_READDIR(h, dirfsp, dirp)
#else
#  define RVSS_READDIR_ARGS struct files_struct *dirfsp, DIR *dirp, SMB_STRUCT_STAT *sbuf
#  define RVSS_READDIR_NEXT(h) SMB_VFS_NEXT_READDIR(h, dirfsp, dirp, sbuf)
#endif

/* renameat: 4.22 added struct vfs_rename_how (flags such as
 * VFS_RENAME_HOW_NO_REPLACE), passed on unchanged. */
#if RVSS_SAMBA_AT_LEAST(4, 22)
#  define RVSS_RENAMEAT_ARGS                                               \
	struct files_struct *srcfsp, const struct smb_filename *src,       \
	struct files_struct *dstfsp, const struct smb_filename *dst,       \
	const struct vfs_rename_how *how
#  define RVSS_RENAMEAT_NEXT(h)                                            \
	SMB_VFS_NEXT_RENAMEAT(h, srcfsp, src, dstfsp, dst, how)
#else
#  define RVSS_RENAMEAT_ARGS                                               \
	struct files_struct *srcfsp, const struct smb_filename *src,       \
	struct files_struct *dstfsp, const struct smb_filename *dst
#  define RVSS_RENAMEAT_NEXT(h) SMB_VFS_NEXT_RENAMEAT(h, srcfsp, src, dstfsp, dst)
#endif

#endif
