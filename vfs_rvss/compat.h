/*
 * vfs_rvss — what depends on the Samba release, in one place.
 *
 * The VFS interface version changes with every Samba release, and with it
 * some hook signatures.  Supported: 4.17 (Debian 12, interface 47).  A new
 * release is an #elif block here plus, where a hook's signature changed, a
 * variant of that hook in hide.c under the same condition.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef VFS_RVSS_COMPAT_H
#define VFS_RVSS_COMPAT_H

#include "version.h"

#if SAMBA_VERSION_MAJOR == 4 && SAMBA_VERSION_MINOR == 17
#  if SMB_VFS_INTERFACE_VERSION != 47
#    error "Samba 4.17 with an unexpected VFS interface version"
#  endif
#  define RVSS_SAMBA_4_17 1
/* readdir() still returns a stat buffer in 4.17. */
#  define RVSS_READDIR_ARGS struct files_struct *dirfsp, DIR *dirp, SMB_STRUCT_STAT *sbuf
#  define RVSS_READDIR_NEXT(h) SMB_VFS_NEXT_READDIR(h, dirfsp, dirp, sbuf)
#else
#  error "rvss supports Samba 4.17 (Debian 12); add this release to vfs_rvss/compat.h"
#endif

#endif
