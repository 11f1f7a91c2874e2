/*
 * rvss — "key=value" lines, the text form of the records rvss stores in
 * its catalog (replica.h: what was sent where; catalog.h's snapshot records
 * are written the same way, and use the number parsers).
 * Readable with tdbdump.  A value may hold any byte but NUL: backslash and
 * newline are written "\\" and "\n"; nothing else is escaped.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef RVSS_KVTEXT_H
#define RVSS_KVTEXT_H

#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

/**
 * @brief Append "@key=@value\n" to the talloc string @buf, escaped.
 * @value NULL is written as "".  @return the (moved) buffer; NULL on
 * ENOMEM (then @buf is freed) or when @buf was NULL, so calls chain.
 */
char *rvss_kv_put(char *buf, const char *key, const char *value);

/**
 * @brief Read the line at *@pos of the @len bytes at @buf: its key and
 * its unescaped value, children of @mem_ctx; *@pos moves past the line.
 * @return 0; -ENOENT (no line left); -EBADMSG (no "=", empty key, no
 *         final newline, a NUL, a bad escape); -ENOMEM.
 */
int rvss_kv_next(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
		 size_t *pos, char **ret_key, char **ret_value);

/**
 * @brief Call @fn for each line of the @len bytes at @buf, in order,
 * with its key and unescaped value (temporaries of @mem_ctx, freed after
 * the call); stops at the first non-zero return of @fn and returns it.
 * @return 0; -EBADMSG (a malformed line); -ENOMEM; what @fn returned.
 */
int rvss_kv_each(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
		 int (*fn)(void *priv, const char *key, char *value), void *priv);

/**
 * @brief A value of decimal digits only (no sign, no space) that fits
 * uint64_t.  @return 0; -EBADMSG.
 */
int rvss_kv_parse_u64(const char *s, uint64_t *ret);

/**
 * @brief A value that is a decimal number, with an optional '-', that
 * fits long long (a time).  @return 0; -EBADMSG.
 */
int rvss_kv_parse_i64(const char *s, long long *ret);

#endif
