/*
 * rvss — mount points below a directory.  Reads /proc/self/mountinfo
 * (proc(5): field 5 is the mount point, with space, tab, newline and
 * backslash written as octal escapes).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "mountinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rvss_path_is_below(const char *dir, const char *path)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/') {
		return path[0] == '/';
	}
	if (strncmp(dir, path, n) != 0) {
		return 0;
	}
	return path[n] == '\0' || path[n] == '/';
}

/* Undo mountinfo's \ooo escapes in place.  -EBADMSG on a bad escape. */
static int unescape(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		if (*r == '\\') {
			int i, v = 0;

			for (i = 1; i <= 3; i++) {
				if (r[i] < '0' || r[i] > '7') {
					return -EBADMSG;
				}
				v = v * 8 + (r[i] - '0');
			}
			if (v == 0 || v > 255) {
				return -EBADMSG;
			}
			*w++ = (char)v;
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return 0;
}

int rvss_mounts_below(TALLOC_CTX *mem_ctx, const char *mountinfo,
		      const char *dir, char ***ret_paths, size_t *ret_count)
{
	TALLOC_CTX *tmp = NULL;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	char **paths = NULL;
	size_t count = 0;
	int ret;

	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	paths = talloc_array(tmp, char *, 1);
	if (paths == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	f = fopen(mountinfo != NULL ? mountinfo : "/proc/self/mountinfo", "re");
	if (f == NULL) {
		ret = -errno;
		goto done;
	}
	while (getline(&line, &cap, f) != -1) {
		char *save = NULL, *tok, *mnt = NULL;
		int field;

		/* id parent major:minor root mount-point ... */
		tok = strtok_r(line, " \n", &save);
		for (field = 1; tok != NULL && field < 5; field++) {
			tok = strtok_r(NULL, " \n", &save);
		}
		mnt = tok;
		if (mnt == NULL) {
			ret = -EBADMSG;
			goto done;
		}
		ret = unescape(mnt);
		if (ret != 0) {
			goto done;
		}
		if (strcmp(mnt, dir) == 0 || !rvss_path_is_below(dir, mnt)) {
			continue;
		}
		paths = talloc_realloc(tmp, paths, char *, count + 2);
		if (paths == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		paths[count] = talloc_strdup(paths, mnt);
		if (paths[count] == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		count++;
	}
	if (ferror(f)) {
		ret = -EIO;
		goto done;
	}
	paths[count] = NULL;
	*ret_paths = talloc_steal(mem_ctx, paths);
	*ret_count = count;
	ret = 0;
done:
	free(line);
	if (f != NULL) {
		fclose(f);
	}
	talloc_free(tmp);
	return ret;
}
