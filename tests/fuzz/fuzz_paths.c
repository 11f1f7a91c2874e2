/*
 * libFuzzer target: text handling on arbitrary bytes: UTF-16 decoding
 * (both byte orders), Windows parent path mapping (all kinds), and the
 * escaping of odd bytes in names, whose output must be valid UTF-8
 * without control characters.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "layout.h"
#include "vdisk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An "inside" result is relative and has no "." or ".." component. */
static bool stays_inside(const char *rel)
{
	const char *p = rel;

	if (rel == NULL || rel[0] == '/') {
		return false;
	}
	while (*p != '\0') {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.') ||
		    (n == 0 && p != rel)) {
			return false;
		}
		p += n;
		if (*p == '/') {
			p++;
		}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	char *s = NULL;
	char *raw = NULL;
	char *esc = NULL;
	int k;

	s = rvss_utf16_to_utf8(ctx, data, size, size > 0 && data[0] & 1);
	if (s == NULL) {
		abort();
	}
	for (k = RVSS_VDISK_PATH_RELATIVE; k <= RVSS_VDISK_PATH_ABSOLUTE;
	     k++) {
		struct rvss_vdisk_parent_path p = { k, s };
		char *rel = NULL;

		if (rvss_vdisk_map_parent(ctx, "a/b", &p, "share", &rel) == 0 &&
		    !stays_inside(rel)) {
			abort();
		}
	}
	raw = talloc_strndup(ctx, (const char *)data, size);
	esc = rvss_layout_escape(ctx, raw);
	if (esc == NULL) {
		abort();
	}
	for (const unsigned char *p = (const unsigned char *)esc; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			abort();
		}
	}
	talloc_free(ctx);
	return 0;
}
