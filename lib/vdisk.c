/*
 * rvss — helpers shared by the VHDX and VHD readers: byte sources, UTF-16
 * decoding, and mapping a differencing disk's Windows parent path onto the
 * share (relative paths against the child's directory, absolute paths only
 * when they name the share itself as \\server\share\...).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "vdisk.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

static int fd_pread(const struct rvss_vdisk_src *src, void *buf, size_t len,
		    uint64_t off)
{
	int fd = src->fd;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		if (n == 0) {
			return -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}

int rvss_vdisk_read(const struct rvss_vdisk_src *src, void *buf, size_t len,
		    uint64_t off)
{
	if (off > src->size || len > src->size - off) {
		return -EBADMSG;
	}
	return src->pread(src, buf, len, off);
}

int rvss_vdisk_src_fd(int fd, struct rvss_vdisk_src *ret_src)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		return -EINVAL;
	}
	ret_src->pread = fd_pread;
	ret_src->size = (uint64_t)st.st_size;
	ret_src->fd = fd;
	ret_src->priv = NULL;
	return 0;
}

static int mem_pread(const struct rvss_vdisk_src *src, void *buf, size_t len,
		     uint64_t off)
{
	const struct rvss_vdisk_mem *mem = src->priv;

	if (off > mem->len || len > mem->len - off) {
		return -EIO;
	}
	memcpy(buf, mem->data + off, len);
	return 0;
}

void rvss_vdisk_src_mem(struct rvss_vdisk_mem *mem,
			struct rvss_vdisk_src *ret_src)
{
	ret_src->pread = mem_pread;
	ret_src->size = mem->len;
	ret_src->fd = -1;
	ret_src->priv = mem;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *rvss_utf16_to_utf8(TALLOC_CTX *mem_ctx, const uint8_t *buf, size_t len,
			 bool big_endian)
{
	size_t units = len / 2;
	size_t i;
	size_t o = 0;
	char *out = NULL;

	/* Each unit yields at most 3 bytes (a pair of units at most 4). */
	out = talloc_array(mem_ctx, char, units * 3 + 1);
	if (out == NULL) {
		return NULL;
	}
	for (i = 0; i < units; i++) {
		uint32_t u = big_endian ? (uint32_t)(buf[2 * i] << 8 | buf[2 * i + 1])
					: (uint32_t)(buf[2 * i + 1] << 8 | buf[2 * i]);
		uint32_t cp = u;

		if (u == 0) {
			break;
		}
		if (u >= 0xd800 && u <= 0xdbff && i + 1 < units) {
			uint32_t l = big_endian
				? (uint32_t)(buf[2 * i + 2] << 8 | buf[2 * i + 3])
				: (uint32_t)(buf[2 * i + 3] << 8 | buf[2 * i + 2]);
			if (l >= 0xdc00 && l <= 0xdfff) {
				cp = 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00);
				i++;
			} else {
				cp = 0xfffd;
			}
		} else if (u >= 0xd800 && u <= 0xdfff) {
			cp = 0xfffd;
		}
		o += put_utf8(out + o, cp);
	}
	out[o] = '\0';
	return out;
}

/*
 * Append the components of @win (separators '\' or '/') to the
 * '/'-separated path in @acc, resolving "." and "..".  -EXDEV when ".."
 * climbs above the share root.
 */
static int append_components(TALLOC_CTX *mem_ctx, char **acc, const char *win)
{
	const char *p = win;

	while (*p != '\0') {
		size_t n = strcspn(p, "\\/");

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* empty component or "." */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(*acc, '/');

			if ((*acc)[0] == '\0') {
				return -EXDEV;
			}
			if (slash == NULL) {
				(*acc)[0] = '\0';
			} else {
				*slash = '\0';
			}
		} else {
			char *next = NULL;

			if ((*acc)[0] == '\0') {
				next = talloc_strndup(mem_ctx, p, n);
			} else {
				next = talloc_asprintf(mem_ctx, "%s/%.*s", *acc,
						       (int)n, p);
			}
			if (next == NULL) {
				return -ENOMEM;
			}
			talloc_free(*acc);
			*acc = next;
		}
		p += n;
		if (*p != '\0') {
			p++;
		}
	}
	return 0;
}

static bool is_sep(char c)
{
	return c == '\\' || c == '/';
}

/*
 * For \\server\share\rest (or \\?\UNC\server\share\rest) whose share is
 * @share_name: return the start of rest; else NULL.
 */
static const char *unc_rest(const char *path, const char *share_name)
{
	const char *p = path;
	size_t n;

	if (strncmp(p, "\\\\?\\", 4) == 0) {
		p += 4;
		if (strncasecmp(p, "UNC\\", 4) != 0) {
			return NULL; /* \\?\C:\..., \\?\Volume{..}\... */
		}
		p += 4;
	} else if (is_sep(p[0]) && is_sep(p[1])) {
		p += 2;
	} else {
		return NULL; /* C:\..., \dir\... : a path on the host */
	}
	n = strcspn(p, "\\/"); /* server */
	if (n == 0 || p[n] == '\0') {
		return NULL;
	}
	p += n + 1;
	n = strcspn(p, "\\/"); /* share */
	if (share_name == NULL || n != strlen(share_name) ||
	    strncasecmp(p, share_name, n) != 0) {
		return NULL;
	}
	return p + n;
}

int rvss_vdisk_map_parent(TALLOC_CTX *mem_ctx, const char *child_dir,
			  const struct rvss_vdisk_parent_path *p,
			  const char *share_name, char **ret_rel)
{
	TALLOC_CTX *tmp = NULL;
	char *acc = NULL;
	const char *rest = NULL;
	int ret;

	if (p->path == NULL || p->path[0] == '\0') {
		return -EINVAL;
	}
	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	switch (p->kind) {
	case RVSS_VDISK_PATH_RELATIVE:
		if (is_sep(p->path[0]) ||
		    (p->path[0] != '\0' && p->path[1] == ':')) {
			/* Not relative at all: rooted on the host. */
			ret = -EXDEV;
			goto done;
		}
		acc = talloc_strdup(tmp, child_dir);
		if (acc == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		ret = append_components(tmp, &acc, p->path);
		break;
	case RVSS_VDISK_PATH_ABSOLUTE:
		rest = unc_rest(p->path, share_name);
		if (rest == NULL) {
			ret = -EXDEV;
			goto done;
		}
		acc = talloc_strdup(tmp, "");
		if (acc == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		ret = append_components(tmp, &acc, rest);
		break;
	case RVSS_VDISK_PATH_VOLUME:
	default:
		/* A volume GUID path names a disk of the Hyper-V host. */
		ret = -EXDEV;
		break;
	}
	if (ret != 0) {
		goto done;
	}
	*ret_rel = talloc_steal(mem_ctx, acc);
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}
