/*
 * fsrvp_agent — reading Samba's configuration through Samba's own tool,
 * testparm (never a home-made smb.conf parser): one parameter of one
 * section with --parameter-name, and the list of sections from the
 * canonical dump of `testparm -s`.  testparm runs from an argv, no shell.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef FSRVP_AGENT_SMBCONF_H
#define FSRVP_AGENT_SMBCONF_H

#include <stddef.h>
#include <talloc.h>

/** The testparm binary; the environment variable RVSS_TESTPARM overrides. */
#define AGENT_TESTPARM "testparm"

/**
 * @brief Value of @param in @section ("global" or NULL for [global]) of
 * the configuration @conf (NULL: Samba's default smb.conf).
 *
 * @param[out] ret_value  trailing newline removed; child of @mem_ctx.
 * @param[out] ret_why    on -EIO/-ENOENT: testparm's own message (may be
 *                        NULL); child of @mem_ctx.
 * @return 0; -ENOENT (no such section); -ENODATA (parameter not set and
 *         without a default, e.g. an unset parametric option); -EIO (the
 *         configuration cannot be loaded, testparm missing or failed);
 *         -ENOMEM.
 */
int agent_smbconf_param(TALLOC_CTX *mem_ctx, const char *conf,
			const char *section, const char *param,
			char **ret_value, char **ret_why);

/**
 * @brief Names of all service sections (not [global]) of @conf, in
 * testparm's order.
 * @return 0; -EIO (cannot load, *ret_why says why); -ENOMEM.
 */
int agent_smbconf_sections(TALLOC_CTX *mem_ctx, const char *conf,
			   char ***ret_names, size_t *ret_count,
			   char **ret_why);

/**
 * @brief Run @argv (argv[0] looked up in PATH, no shell) with stdin from
 * /dev/null and capture stdout and stderr.
 *
 * @param[out] ret_out, ret_err  children of @mem_ctx, NUL-terminated.
 * @param[out] ret_status        exit status; 127 = could not be run, 128 =
 *                               killed by a signal.
 * @return 0; -errno of pipe/fork; -ENOMEM.
 */
int agent_run(TALLOC_CTX *mem_ctx, const char *const *argv, char **ret_out,
	      char **ret_err, int *ret_status);

/**
 * @brief The installed smbd's version line (`smbd --version`, e.g.
 * "Version 4.22.11-Debian-4.22.11+dfsg-0+deb13u1") and the directory it
 * loads modules from (`smbd -b`, MODULESDIR).
 * @return 0; -EIO (smbd missing or failed); -ENODATA (no MODULESDIR);
 *         -ENOMEM.
 */
int agent_smbd_build(TALLOC_CTX *mem_ctx, char **ret_version,
		     char **ret_modulesdir);

#endif
