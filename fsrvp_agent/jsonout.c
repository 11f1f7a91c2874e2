/*
 * fsrvp_agent — JSON string literals.  See jsonout.h.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "jsonout.h"

#include <talloc.h>

#include "layout.h"

void agent_json_string(FILE *f, const char *s)
{
	char *esc = NULL;
	const unsigned char *p = NULL;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	esc = rvss_layout_escape(NULL, s);
	if (esc == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (p = (const unsigned char *)esc; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			fputc('\\', f);
			fputc(*p, f);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fputc(*p, f);
		}
	}
	fputc('"', f);
	talloc_free(esc);
}
