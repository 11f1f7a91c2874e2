/*
 * fsrvp_agent — JSON string values.  See jsonout.h for the representation
 * of bytes that are not UTF-8.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "jsonout.h"

#include <stdint.h>
#include <string.h>

size_t agent_utf8_seq_len(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n;
	size_t i;

	if (s[0] < 0x80) {
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;       /* continuation byte, C0, C1, F5..FF */
	}
	if (len < n) {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;       /* overlong, beyond Unicode, or a surrogate */
	}
	return n;
}

bool agent_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = agent_utf8_seq_len(p + i, len - i);

		if (n == 0) {
			return false;
		}
		i += n;
	}
	return true;
}

void agent_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;
	size_t i = 0;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	len = strlen(s);
	fputc('"', f);
	while (i < len) {
		size_t n = agent_utf8_seq_len(p + i, len - i);

		if (n == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (n > 1) {
			fwrite(p + i, 1, n, f);
		} else if (p[i] == '"' || p[i] == '\\') {
			fputc('\\', f);
			fputc(p[i], f);
		} else if (p[i] == '\n') {
			fputs("\\n", f);
		} else if (p[i] == '\t') {
			fputs("\\t", f);
		} else if (p[i] == '\r') {
			fputs("\\r", f);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(f, "\\u%04x", p[i]);
		} else {
			fputc(p[i], f);
		}
		i += n;
	}
	fputc('"', f);
}

static void put_base64(FILE *f, const unsigned char *p, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	fputc('"', f);
	for (i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
			     p[i + 2];

		fputc(abc[v >> 18 & 63], f);
		fputc(abc[v >> 12 & 63], f);
		fputc(abc[v >> 6 & 63], f);
		fputc(abc[v & 63], f);
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		fputc(abc[v >> 18 & 63], f);
		fputc(abc[v >> 12 & 63], f);
		fputs("==", f);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		fputc(abc[v >> 18 & 63], f);
		fputc(abc[v >> 12 & 63], f);
		fputc(abc[v >> 6 & 63], f);
		fputc('=', f);
	}
	fputc('"', f);
}

void agent_json_member(FILE *f, const char *key, const char *s)
{
	fprintf(f, "\"%s\": ", key);
	agent_json_string(f, s);
	if (s != NULL && !agent_utf8_valid(s, strlen(s))) {
		fprintf(f, ", \"%s_b64\": ", key);
		put_base64(f, (const unsigned char *)s, strlen(s));
	}
}
