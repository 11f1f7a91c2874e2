/*
 * rvss — "key=value" record lines (see kvtext.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "kvtext.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *rvss_kv_put(char *buf, const char *key, const char *value)
{
	const char *p = value != NULL ? value : "";

	buf = talloc_asprintf_append_buffer(buf, "%s=", key);
	while (buf != NULL && *p != '\0') {
		/* what needs no escape goes in one piece */
		size_t plain = strcspn(p, "\\\n");

		if (plain == 0) {
			buf = talloc_strdup_append_buffer(buf, *p == '\n' ? "\\n" : "\\\\");
			p++;
		} else {
			buf = talloc_strndup_append_buffer(buf, p, plain);
			p += plain;
		}
	}
	if (buf != NULL) {
		buf = talloc_strdup_append_buffer(buf, "\n");
	}
	return buf;
}

int rvss_kv_next(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
		 size_t *pos, char **ret_key, char **ret_value)
{
	const char *line = buf + *pos;
	const char *eol, *eq;
	char *key = NULL, *val = NULL;
	size_t linelen, i, o;
	int ret = -EBADMSG;

	if (*pos >= len) {
		return -ENOENT;
	}
	eol = memchr(line, '\n', len - *pos);
	if (eol == NULL) {
		return -EBADMSG;
	}
	linelen = (size_t)(eol - line);
	eq = memchr(line, '=', linelen);
	if (eq == NULL || eq == line) {
		return -EBADMSG;
	}
	key = talloc_strndup(mem_ctx, line, (size_t)(eq - line));
	val = talloc_size(mem_ctx, linelen + 1);
	if (key == NULL || val == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	for (i = (size_t)(eq - line) + 1, o = 0; i < linelen; i++) {
		char c = line[i];

		if (c == '\0') {
			goto done;
		}
		if (c == '\\') {
			if (i + 1 >= linelen) {
				goto done;
			}
			c = line[++i];
			if (c == 'n') {
				c = '\n';
			} else if (c != '\\') {
				goto done;
			}
		}
		val[o++] = c;
	}
	val[o] = '\0';
	*pos += linelen + 1;
	*ret_key = key;
	*ret_value = val;
	key = val = NULL;
	ret = 0;
done:
	talloc_free(key);
	talloc_free(val);
	return ret;
}

int rvss_kv_each(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
		 int (*fn)(void *priv, const char *key, char *value), void *priv)
{
	char *key = NULL, *val = NULL;
	size_t pos = 0;
	int ret;

	while ((ret = rvss_kv_next(mem_ctx, buf, len, &pos, &key, &val)) == 0) {
		ret = fn(priv, key, val);
		TALLOC_FREE(key);
		TALLOC_FREE(val);
		if (ret != 0) {
			return ret;
		}
	}
	return ret == -ENOENT ? 0 : ret;
}

int rvss_kv_parse_u64(const char *s, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	if (*s < '0' || *s > '9') {
		return -EBADMSG;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0') {
		return -EBADMSG;
	}
	*ret = v;
	return 0;
}

int rvss_kv_parse_i64(const char *s, long long *ret)
{
	const char *digits = *s == '-' ? s + 1 : s;
	char *end = NULL;
	long long v;

	if (*digits < '0' || *digits > '9') {
		return -EBADMSG;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0') {
		return -EBADMSG;
	}
	*ret = v;
	return 0;
}
