/*
 * rvss — the build record of rvss.so: which Samba it was built for.
 *
 * smbd refuses a VFS module registered with another VFS interface version,
 * and the interface changes with every Samba release series (4.17 = 47,
 * 4.22 = 50, 4.24 = 52, ...).  The module carries one line, written at
 * build time, that fsrvp_agent doctor reads back from the installed file
 * (without loading it) to say, before a share fails to connect, that the
 * module was built for another Samba series than the running smbd.
 *
 *   rvss-build-info:samba=4.22.11;vfs_interface=50;package=2:4.22.11+dfsg-0+deb13u1;rvss=0.2.0;
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_MODINFO_H
#define RVSS_MODINFO_H

#include <stddef.h>
#include <talloc.h>

#define RVSS_MODINFO_PREFIX "rvss-build-info:"

/** What one rvss.so was built for. */
struct rvss_modinfo {
	unsigned samba_major;
	unsigned samba_minor;
	unsigned samba_release;
	char *samba_version;  /* "4.22.11" */
	int vfs_interface;    /* SMB_VFS_INTERFACE_VERSION, -1 if unknown */
	char *package;        /* Debian's samba version, "" if unknown */
	char *rvss_version;   /* "" if unknown */
};

/**
 * @brief Parse a build record (the text after nothing: it must start with
 * RVSS_MODINFO_PREFIX) of at most @len bytes, ending at the first NUL.
 *
 * @param[out] ret_info  child of @mem_ctx; untouched on failure.
 * @return 0; -EINVAL (not a well-formed record: prefix, samba=X.Y.Z and
 *         vfs_interface=N are required, every field is key=value;);
 *         -ENOMEM.
 */
int rvss_modinfo_parse(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
		       struct rvss_modinfo **ret_info);

/**
 * @brief Find and parse the build record in the file open on @fd (an
 * rvss.so), reading it whole (at most 64 MiB).
 *
 * @return 0; -ENOENT (no record: not rvss, or built before records
 *         existed); -EINVAL (a malformed record); -EFBIG; -errno of a read;
 *         -ENOMEM.
 */
int rvss_modinfo_read_fd(TALLOC_CTX *mem_ctx, int fd,
			 struct rvss_modinfo **ret_info);

/**
 * @brief Parse a Samba version as printed by `smbd --version`
 * ("Version 4.22.11-Debian-4.22.11+dfsg-0+deb13u1") or bare ("4.17.12").
 * @return 0; -EINVAL.
 */
int rvss_samba_version_parse(const char *s, unsigned *ret_major,
			     unsigned *ret_minor, unsigned *ret_release);

#endif
