/*
 * rvss — mount points below a directory, from /proc/self/mountinfo.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_MOUNTINFO_H
#define RVSS_MOUNTINFO_H

#include <stddef.h>
#include <talloc.h>

/**
 * @brief Mount points strictly below @dir (an absolute canonical path).
 *
 * @param[in]  mountinfo  file to read (NULL: /proc/self/mountinfo).
 * @param[out] ret_paths  absolute mount point paths (octal escapes undone).
 * @return 0; -ENOENT/-EACCES (file); -EBADMSG (malformed line); -ENOMEM.
 */
int rvss_mounts_below(TALLOC_CTX *mem_ctx, const char *mountinfo,
		      const char *dir, char ***ret_paths, size_t *ret_count);

/** @brief true if @path is @dir or lies below it (both canonical). */
int rvss_path_is_below(const char *dir, const char *path);

#endif
