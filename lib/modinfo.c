/*
 * rvss — the build record of rvss.so.  See modinfo.h.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "modinfo.h"

#define MODINFO_MAX_FILE (64u << 20)
#define MODINFO_MAX_RECORD 512u

int rvss_samba_version_parse(const char *s, unsigned *ret_major,
			     unsigned *ret_minor, unsigned *ret_release)
{
	unsigned v[3] = { 0, 0, 0 };
	size_t i;

	if (s == NULL) {
		return -EINVAL;
	}
	if (strncmp(s, "Version ", 8) == 0) {
		s += 8;
	}
	for (i = 0; i < 3; i++) {
		char *end = NULL;
		unsigned long n;

		if (*s < '0' || *s > '9') {
			return -EINVAL;
		}
		errno = 0;
		n = strtoul(s, &end, 10);
		if (errno != 0 || n > 9999) {
			return -EINVAL;
		}
		v[i] = (unsigned)n;
		s = end;
		if (i < 2) {
			if (*s != '.') {
				return -EINVAL;
			}
			s++;
		}
	}
	/* What may follow: nothing, a vendor suffix or a pre-release tag
	 * ("4.25.0rc1", "4.25.0pre1-DEVELOPERBUILD"), never a fourth number. */
	if (*s == '.') {
		return -EINVAL;
	}
	*ret_major = v[0];
	*ret_minor = v[1];
	*ret_release = v[2];
	return 0;
}

/* Value of "key=" in the record @rec (fields end with ';'), or NULL. */
static char *field(TALLOC_CTX *mem_ctx, const char *rec, const char *key)
{
	size_t klen = strlen(key);
	const char *p = rec;

	while (*p != '\0') {
		const char *end = strchr(p, ';');

		if (end == NULL) {
			return NULL;
		}
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 &&
		    p[klen] == '=') {
			return talloc_strndup(mem_ctx, p + klen + 1,
					      end - p - klen - 1);
		}
		p = end + 1;
	}
	return NULL;
}

int rvss_modinfo_parse(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
		       struct rvss_modinfo **ret_info)
{
	const size_t plen = strlen(RVSS_MODINFO_PREFIX);
	struct rvss_modinfo *info = NULL;
	char *rec = NULL, *iface = NULL, *end = NULL;
	const char *p;
	size_t n;
	long v;
	int ret = -EINVAL;

	if (len < plen || memcmp(buf, RVSS_MODINFO_PREFIX, plen) != 0) {
		return -EINVAL;
	}
	n = strnlen(buf, len < MODINFO_MAX_RECORD ? len : MODINFO_MAX_RECORD);
	info = talloc_zero(mem_ctx, struct rvss_modinfo);
	if (info == NULL) {
		return -ENOMEM;
	}
	rec = talloc_strndup(info, buf + plen, n - plen);
	if (rec == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	/* Every field is key=value; with printable bytes only. */
	for (p = rec; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			goto done;
		}
	}
	if (n == plen || rec[strlen(rec) - 1] != ';') {
		goto done;
	}
	info->samba_version = field(info, rec, "samba");
	iface = field(info, rec, "vfs_interface");
	info->package = field(info, rec, "package");
	info->rvss_version = field(info, rec, "rvss");
	if (info->samba_version == NULL || iface == NULL) {
		goto done;
	}
	if (rvss_samba_version_parse(info->samba_version, &info->samba_major,
				     &info->samba_minor,
				     &info->samba_release) != 0) {
		goto done;
	}
	errno = 0;
	v = strtol(iface, &end, 10);
	if (iface[0] < '0' || iface[0] > '9' || *end != '\0' || errno != 0 ||
	    v > 100000) {
		goto done;
	}
	info->vfs_interface = (int)v;
	if (info->package == NULL) {
		info->package = talloc_strdup(info, "");
	}
	if (info->rvss_version == NULL) {
		info->rvss_version = talloc_strdup(info, "");
	}
	if (info->package == NULL || info->rvss_version == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	*ret_info = info;
	info = NULL;
	ret = 0;
done:
	TALLOC_FREE(info);
	return ret;
}

int rvss_modinfo_read_fd(TALLOC_CTX *mem_ctx, int fd,
			 struct rvss_modinfo **ret_info)
{
	const size_t plen = strlen(RVSS_MODINFO_PREFIX);
	struct stat st;
	char *buf = NULL;
	const char *p;
	size_t got = 0;
	int ret;

	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > MODINFO_MAX_FILE) {
		return -EFBIG;
	}
	buf = talloc_size(NULL, (size_t)st.st_size + 1);
	if (buf == NULL) {
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);

		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			ret = -errno;
			goto done;
		}
		if (r == 0) {
			break;
		}
		got += (size_t)r;
	}
	buf[got] = '\0';
	ret = -ENOENT;
	for (p = memmem(buf, got, RVSS_MODINFO_PREFIX, plen); p != NULL;
	     p = memmem(p + 1, got - (size_t)(p + 1 - buf), RVSS_MODINFO_PREFIX, plen)) {
		ret = rvss_modinfo_parse(mem_ctx, p, got - (size_t)(p - buf), ret_info);
		if (ret != -EINVAL) {
			break;
		}
	}
done:
	TALLOC_FREE(buf);
	return ret;
}
