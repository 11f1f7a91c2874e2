/*
 * libFuzzer target: the agent's JSON string writer (fsrvp_agent/jsonout.c)
 * on arbitrary bytes, as file names reach it.
 *
 * The output of agent_json_member(f, "p", s) is read back with a strict
 * reader of RFC 8259 strings written here: it must be
 *     "p": "<string>"            when s is valid UTF-8, or
 *     "p": "<string>", "p_b64": "<base64>"   when it is not,
 * with only the escapes jsonout.h names and no raw control character; the
 * string must decode to s with each invalid byte as U+FFFD, and the
 * base64 to s exactly.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct buf {
	unsigned char *p;
	size_t len;
};

static void put(struct buf *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->len + n + 1);
	if (b->p == NULL) {
		abort();
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_cp(struct buf *b, uint32_t cp)
{
	unsigned char u[3];

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		put(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		put(b, u, 2);
	} else {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		put(b, u, 3);
	}
}

static void expect(const char **pp, const char *lit)
{
	if (strncmp(*pp, lit, strlen(lit)) != 0) {
		abort();
	}
	*pp += strlen(lit);
}

/* Read one JSON string at *pp (strict); its UTF-8 bytes into @out. */
static void read_string(const char **pp, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)*pp;

	if (*p++ != '"') {
		abort();
	}
	while (*p != '"') {
		size_t n;

		if (*p == '\0' || *p < 0x20 || *p == 0x7f) {
			abort();        /* unterminated, or raw control */
		}
		if (*p != '\\') {
			n = agent_utf8_seq_len(p, strlen((const char *)p));
			if (n == 0) {
				abort();        /* raw invalid UTF-8 */
			}
			put(out, p, n);
			p += n;
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\':
			put(out, p, 1);
			p++;
			break;
		case 'n':
			put(out, "\n", 1);
			p++;
			break;
		case 't':
			put(out, "\t", 1);
			p++;
			break;
		case 'r':
			put(out, "\r", 1);
			p++;
			break;
		case 'u': {
			char hex[5] = { 0 };
			char *end = NULL;
			unsigned long cp;

			memcpy(hex, p + 1, 4);
			cp = strtoul(hex, &end, 16);
			if (end != hex + 4 || (cp >= 0x20 && cp != 0x7f &&
					       cp != 0xfffd)) {
				abort();        /* only controls and U+FFFD */
			}
			put_cp(out, (uint32_t)cp);
			p += 5;
			break;
		}
		default:
			abort();
		}
	}
	*pp = (const char *)p + 1;
}

static int b64val(char c)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *q = c != '\0' ? strchr(abc, c) : NULL;

	return q != NULL ? (int)(q - abc) : -1;
}

static void b64decode(const struct buf *in, struct buf *out)
{
	size_t i;

	if (in->len % 4 != 0) {
		abort();
	}
	for (i = 0; i < in->len; i += 4) {
		const unsigned char *q = in->p + i;
		int a = b64val(q[0]), b = b64val(q[1]);
		int c = q[2] == '=' ? 0 : b64val(q[2]);
		int d = q[3] == '=' ? 0 : b64val(q[3]);
		uint32_t v;
		unsigned char o[3];

		if (a < 0 || b < 0 || c < 0 || d < 0 ||
		    ((q[2] == '=' || q[3] == '=') && i + 4 != in->len) ||
		    (q[2] == '=' && q[3] != '=')) {
			abort();
		}
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		o[0] = (unsigned char)(v >> 16);
		o[1] = (unsigned char)(v >> 8);
		o[2] = (unsigned char)v;
		put(out, o, q[2] == '=' ? 1 : q[3] == '=' ? 2 : 3);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char *json = NULL;
	size_t jlen = 0;
	FILE *f = NULL;
	const char *p = NULL;
	struct buf str = { NULL, 0 }, want = { NULL, 0 };
	struct buf b64 = { NULL, 0 }, raw = { NULL, 0 };
	size_t slen, i;
	bool valid;

	if (s == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	slen = strlen(s);
	valid = agent_utf8_valid(s, slen);

	f = open_memstream(&json, &jlen);
	if (f == NULL) {
		abort();
	}
	agent_json_member(f, "p", s);
	if (fclose(f) != 0) {
		abort();
	}

	/* what the string must decode to: invalid bytes as U+FFFD */
	put(&want, "", 0);
	for (i = 0; i < slen;) {
		size_t n = agent_utf8_seq_len((const unsigned char *)s + i,
					      slen - i);

		if (n == 0) {
			put_cp(&want, 0xfffd);
			i++;
		} else {
			put(&want, s + i, n);
			i += n;
		}
	}

	p = json;
	expect(&p, "\"p\": ");
	put(&str, "", 0);
	read_string(&p, &str);
	if (str.len != want.len || memcmp(str.p, want.p, want.len) != 0) {
		abort();
	}
	if (valid) {
		if (*p != '\0' || str.len != slen ||
		    memcmp(str.p, s, slen) != 0) {
			abort();
		}
	} else {
		expect(&p, ", \"p_b64\": ");
		put(&b64, "", 0);
		read_string(&p, &b64);
		put(&raw, "", 0);
		b64decode(&b64, &raw);
		if (*p != '\0' || raw.len != slen ||
		    memcmp(raw.p, s, slen) != 0) {
			abort();
		}
	}
	free(str.p);
	free(want.p);
	free(b64.p);
	free(raw.p);
	free(json);
	free(s);
	return 0;
}
