/*
 * rvss — Samba's FSRVP server state (srv_fss.tdb): decoder, two narrow
 * repairs, and encoders for fixtures.  See fss_state.h for the file
 * layout and for what each repair changes and why it is safe.
 *
 * The NDR here is the small subset fsrvp_state.idl uses: structs aligned
 * to 4, 32-bit little-endian integers aligned to 4, and
 * [flag(STR_UTF8|STR_NULLTERM)] strings (bytes up to and including a NUL,
 * unaligned).  Every read is bounds-checked against the record length;
 * anything that does not decode is -EBADMSG, never a crash.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "fss_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <tdb.h>
#include <unistd.h>

#define KEY_VERSION "db_version"
#define KEY_SET_COUNT "sc_set_count"
#define PFX_SET "sc_set/"
#define PFX_SC "/sc/"
#define PFX_SMAP "/smap/"
#define GUID_LEN 36

static const char *state_names[] = {
	[RVSS_FSS_STARTED] = "started",
	[RVSS_FSS_ADDED] = "added",
	[RVSS_FSS_CREATING] = "creating",
	[RVSS_FSS_COMMITTED] = "committed",
	[RVSS_FSS_EXPOSED] = "exposed",
	[RVSS_FSS_RECOVERED] = "recovered",
};

#define NUM_STATES ((int32_t)(sizeof(state_names) / sizeof(state_names[0])))

const char *rvss_fss_state_name(int32_t state)
{
	if (state < 0 || state >= NUM_STATES) {
		return "unknown";
	}
	return state_names[state];
}

bool rvss_fss_set_blocks_new_sets(const struct rvss_fss_set *set)
{
	return set->state != RVSS_FSS_EXPOSED &&
	       set->state != RVSS_FSS_RECOVERED;
}

/* ------------------------------------------------------------ NDR pull */

struct ndr_in {
	const uint8_t *data;
	size_t len;
	size_t ofs; /* invariant: ofs <= len */
};

static int ndr_pull_align4(struct ndr_in *n)
{
	size_t a = (n->ofs + 3) & ~(size_t)3;

	if (a > n->len) {
		return -EBADMSG;
	}
	n->ofs = a;
	return 0;
}

static int ndr_pull_u32(struct ndr_in *n, uint32_t *v)
{
	const uint8_t *p = NULL;
	int ret;

	ret = ndr_pull_align4(n);
	if (ret != 0) {
		return ret;
	}
	if (n->len - n->ofs < 4) {
		return -EBADMSG;
	}
	p = n->data + n->ofs;
	*v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	     ((uint32_t)p[3] << 24);
	n->ofs += 4;
	return 0;
}

static int ndr_pull_i32(struct ndr_in *n, int32_t *v)
{
	uint32_t u = 0;
	int ret;

	ret = ndr_pull_u32(n, &u);
	if (ret == 0) {
		*v = (int32_t)u;
	}
	return ret;
}

/* Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
static bool utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n) {
			return false;
		}
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return false;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			return false;
		}
		i += n + 1;
	}
	return true;
}

/* [flag(STR_UTF8|STR_NULLTERM)] string: bytes up to a NUL, no alignment. */
static int ndr_pull_utf8z(TALLOC_CTX *mem_ctx, struct ndr_in *n, char **v)
{
	const uint8_t *start = n->data + n->ofs;
	const uint8_t *nul = NULL;
	size_t slen;
	char *s = NULL;

	nul = memchr(start, '\0', n->len - n->ofs);
	if (nul == NULL) {
		return -EBADMSG;
	}
	slen = (size_t)(nul - start);
	if (!utf8_valid(start, slen)) {
		return -EBADMSG;
	}
	s = talloc_strndup(mem_ctx, (const char *)start, slen);
	if (s == NULL) {
		return -ENOMEM;
	}
	n->ofs += slen + 1;
	*v = s;
	return 0;
}

struct set_rec {
	char *id_str;
	int32_t state;
	int32_t context;
	int32_t scs_count;
};

struct sc_rec {
	char *id_str;
	char *volume_name;
	char *sc_path;
	uint32_t create_ts;
	int32_t smaps_count;
};

struct smap_rec {
	char *share_name;
	char *sc_share_name;
	char *sc_share_comment;
	uint32_t is_exposed;
};

/*
 * The decoders follow the IDL's member order.  The struct's leading
 * align(4) is a no-op at offset 0; the trailing align(4) must stay inside
 * the record, as in Samba's ndr_pull_trailer_align().  Bytes after the
 * struct are ignored, as ndr_pull_struct_blob() does.
 */
static int decode_set(TALLOC_CTX *mem_ctx, const uint8_t *data, size_t len,
		      struct set_rec *r)
{
	struct ndr_in n = { .data = data, .len = len, .ofs = 0 };
	int ret;

	ret = ndr_pull_utf8z(mem_ctx, &n, &r->id_str);
	if (ret == 0) {
		ret = ndr_pull_i32(&n, &r->state);
	}
	if (ret == 0) {
		ret = ndr_pull_i32(&n, &r->context);
	}
	if (ret == 0) {
		ret = ndr_pull_i32(&n, &r->scs_count);
	}
	if (ret == 0) {
		ret = ndr_pull_align4(&n);
	}
	return ret;
}

static int decode_sc(TALLOC_CTX *mem_ctx, const uint8_t *data, size_t len,
		     struct sc_rec *r)
{
	struct ndr_in n = { .data = data, .len = len, .ofs = 0 };
	int ret;

	ret = ndr_pull_utf8z(mem_ctx, &n, &r->id_str);
	if (ret == 0) {
		ret = ndr_pull_utf8z(mem_ctx, &n, &r->volume_name);
	}
	if (ret == 0) {
		ret = ndr_pull_utf8z(mem_ctx, &n, &r->sc_path);
	}
	if (ret == 0) {
		ret = ndr_pull_u32(&n, &r->create_ts);
	}
	if (ret == 0) {
		ret = ndr_pull_i32(&n, &r->smaps_count);
	}
	if (ret == 0) {
		ret = ndr_pull_align4(&n);
	}
	return ret;
}

static int decode_smap(TALLOC_CTX *mem_ctx, const uint8_t *data, size_t len,
		       struct smap_rec *r)
{
	struct ndr_in n = { .data = data, .len = len, .ofs = 0 };
	int ret;

	ret = ndr_pull_utf8z(mem_ctx, &n, &r->share_name);
	if (ret == 0) {
		ret = ndr_pull_utf8z(mem_ctx, &n, &r->sc_share_name);
	}
	if (ret == 0) {
		ret = ndr_pull_utf8z(mem_ctx, &n, &r->sc_share_comment);
	}
	if (ret == 0) {
		ret = ndr_pull_u32(&n, &r->is_exposed);
	}
	if (ret == 0) {
		ret = ndr_pull_align4(&n);
	}
	return ret;
}

/* ------------------------------------------------------------ NDR push */

struct ndr_out {
	uint8_t *buf;
	size_t len;
	int err;
};

static void ndr_push_bytes(struct ndr_out *o, const void *p, size_t len)
{
	uint8_t *nb = NULL;

	if (o->err != 0) {
		return;
	}
	nb = talloc_realloc(NULL, o->buf, uint8_t, o->len + len + 1);
	if (nb == NULL) {
		o->err = -ENOMEM;
		return;
	}
	o->buf = nb;
	memcpy(o->buf + o->len, p, len);
	o->len += len;
}

static void ndr_push_align4(struct ndr_out *o)
{
	static const uint8_t zero[4];

	ndr_push_bytes(o, zero, (4 - (o->len & 3)) & 3);
}

static void ndr_push_u32(struct ndr_out *o, uint32_t v)
{
	uint8_t b[4] = {
		(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
		(uint8_t)(v >> 24),
	};

	ndr_push_align4(o);
	ndr_push_bytes(o, b, 4);
}

static void ndr_push_utf8z(struct ndr_out *o, const char *s)
{
	if (s == NULL) {
		if (o->err == 0) {
			o->err = -EINVAL;
		}
		return;
	}
	ndr_push_bytes(o, s, strlen(s) + 1);
}

static int ndr_push_finish(TALLOC_CTX *mem_ctx, struct ndr_out *o,
			   uint8_t **_blob, size_t *_len)
{
	ndr_push_align4(o);
	if (o->err != 0) {
		TALLOC_FREE(o->buf);
		return o->err;
	}
	*_blob = talloc_steal(mem_ctx, o->buf);
	*_len = o->len;
	return 0;
}

int rvss_fss_ndr_push_set(TALLOC_CTX *mem_ctx, const char *id_str,
			  int32_t state, uint32_t context, int32_t scs_count,
			  uint8_t **_blob, size_t *_len)
{
	struct ndr_out o = { .buf = NULL };

	ndr_push_utf8z(&o, id_str);
	ndr_push_u32(&o, (uint32_t)state);
	ndr_push_u32(&o, context);
	ndr_push_u32(&o, (uint32_t)scs_count);
	return ndr_push_finish(mem_ctx, &o, _blob, _len);
}

int rvss_fss_ndr_push_sc(TALLOC_CTX *mem_ctx, const char *id_str,
			 const char *volume_name, const char *sc_path,
			 uint32_t create_ts, int32_t smaps_count,
			 uint8_t **_blob, size_t *_len)
{
	struct ndr_out o = { .buf = NULL };

	ndr_push_utf8z(&o, id_str);
	ndr_push_utf8z(&o, volume_name);
	ndr_push_utf8z(&o, sc_path);
	ndr_push_u32(&o, create_ts);
	ndr_push_u32(&o, (uint32_t)smaps_count);
	return ndr_push_finish(mem_ctx, &o, _blob, _len);
}

int rvss_fss_ndr_push_smap(TALLOC_CTX *mem_ctx, const char *share_name,
			   const char *sc_share_name,
			   const char *sc_share_comment, bool is_exposed,
			   uint8_t **_blob, size_t *_len)
{
	struct ndr_out o = { .buf = NULL };

	ndr_push_utf8z(&o, share_name);
	ndr_push_utf8z(&o, sc_share_name);
	ndr_push_utf8z(&o, sc_share_comment);
	ndr_push_u32(&o, is_exposed ? 1 : 0);
	return ndr_push_finish(mem_ctx, &o, _blob, _len);
}

/* ------------------------------------------------------------ keys */

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* The 36-character form GUID_string() writes (and GUID_from_string reads). */
static bool guid_valid(const char *s, size_t len)
{
	size_t i;

	if (len != GUID_LEN) {
		return false;
	}
	for (i = 0; i < GUID_LEN; i++) {
		bool dash = (i == 8 || i == 13 || i == 18 || i == 23);

		if (dash ? s[i] != '-' : !is_hex(s[i])) {
			return false;
		}
	}
	return true;
}

/* Copy a valid 36-character GUID in lowercase, NUL-terminated. */
static void guid_lower(const char *in, char out[GUID_LEN + 1])
{
	size_t i;

	for (i = 0; i < GUID_LEN; i++) {
		char c = in[i];

		out[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	out[GUID_LEN] = '\0';
}

/*
 * A user-given set id: 36 characters, optionally in braces, any case.
 * Writes the lowercase form into out[GUID_LEN + 1].
 */
static int normalise_guid(const char *in, char out[GUID_LEN + 1])
{
	size_t len;

	if (in == NULL) {
		return -EINVAL;
	}
	len = strlen(in);
	if (len == GUID_LEN + 2 && in[0] == '{' && in[len - 1] == '}') {
		in++;
		len -= 2;
	}
	if (!guid_valid(in, len)) {
		return -EINVAL;
	}
	guid_lower(in, out);
	return 0;
}

enum key_kind {
	KEY_OTHER = 0,
	KEY_SET,
	KEY_SC,
	KEY_SMAP,
};

struct parsed_key {
	enum key_kind kind;
	char set_id[GUID_LEN + 1];
	char sc_id[GUID_LEN + 1];
	const char *smap_name; /* points into the key */
};

/*
 * Parse "sc_set/<guid>[/sc/<guid>[/smap/<name>]]" (NUL included in len).
 * Keys not starting with "sc_set/" are KEY_OTHER; a key that starts so
 * but does not follow the layout is -EBADMSG (Samba could not load it).
 */
static int parse_key(const uint8_t *key, size_t len, struct parsed_key *pk)
{
	const char *s = (const char *)key;
	const char *p = NULL;
	size_t slen;

	memset(pk, 0, sizeof(*pk));
	if (len < strlen(PFX_SET) ||
	    memcmp(key, PFX_SET, strlen(PFX_SET)) != 0) {
		pk->kind = KEY_OTHER;
		return 0;
	}
	if (key[len - 1] != '\0' || memchr(key, '\0', len - 1) != NULL) {
		return -EBADMSG;
	}
	slen = len - 1;
	p = s + strlen(PFX_SET);
	if ((size_t)(s + slen - p) < GUID_LEN || !guid_valid(p, GUID_LEN)) {
		return -EBADMSG;
	}
	guid_lower(p, pk->set_id);
	p += GUID_LEN;
	if (*p == '\0') {
		pk->kind = KEY_SET;
		return 0;
	}
	if (strncmp(p, PFX_SC, strlen(PFX_SC)) != 0) {
		return -EBADMSG;
	}
	p += strlen(PFX_SC);
	if (strnlen(p, GUID_LEN) < GUID_LEN || !guid_valid(p, GUID_LEN)) {
		return -EBADMSG;
	}
	guid_lower(p, pk->sc_id);
	p += GUID_LEN;
	if (*p == '\0') {
		pk->kind = KEY_SC;
		return 0;
	}
	if (strncmp(p, PFX_SMAP, strlen(PFX_SMAP)) != 0) {
		return -EBADMSG;
	}
	p += strlen(PFX_SMAP);
	/* Samba takes the name after the last '/'; so it has none. */
	if (*p == '\0' || strchr(p, '/') != NULL ||
	    !utf8_valid((const uint8_t *)p, strlen(p))) {
		return -EBADMSG;
	}
	pk->smap_name = p;
	pk->kind = KEY_SMAP;
	return 0;
}

/* ------------------------------------------------------------ decode */

static int int32_record(const uint8_t *val, size_t len, int32_t *v)
{
	struct ndr_in n = { .data = val, .len = len, .ofs = 0 };

	if (len != 4) {
		return -EBADMSG;
	}
	return ndr_pull_i32(&n, v);
}

static int cmp_smap(const void *a, const void *b)
{
	const struct rvss_fss_smap *x = a;
	const struct rvss_fss_smap *y = b;

	return strcmp(x->sc_share_name, y->sc_share_name);
}

static int cmp_sc(const void *a, const void *b)
{
	const struct rvss_fss_sc *x = a;
	const struct rvss_fss_sc *y = b;

	if (x->create_ts != y->create_ts) {
		return x->create_ts < y->create_ts ? -1 : 1;
	}
	return strcmp(x->id, y->id);
}

static int64_t set_oldest(const struct rvss_fss_set *s)
{
	/* scs are sorted already; a set without any sorts last */
	return s->num_scs > 0 ? s->scs[0].create_ts : INT64_MAX;
}

static int cmp_set(const void *a, const void *b)
{
	const struct rvss_fss_set *x = a;
	const struct rvss_fss_set *y = b;
	int64_t tx = set_oldest(x);
	int64_t ty = set_oldest(y);

	if (tx != ty) {
		return tx < ty ? -1 : 1;
	}
	return strcmp(x->id, y->id);
}

/* Records of one kind, in input order, before they are put in place. */
struct pending_sc {
	char set_id[GUID_LEN + 1];
	struct rvss_fss_sc sc;
	bool placed;
};

struct pending_smap {
	char set_id[GUID_LEN + 1];
	char sc_id[GUID_LEN + 1];
	struct rvss_fss_smap smap;
	bool placed;
};

int rvss_fss_state_decode(TALLOC_CTX *mem_ctx, size_t num,
			  const uint8_t *const *keys, const size_t *key_lens,
			  const uint8_t *const *vals, const size_t *val_lens,
			  struct rvss_fss_state **ret)
{
	TALLOC_CTX *tmp = NULL;
	struct rvss_fss_state *st = NULL;
	struct pending_sc *scs = NULL;
	struct pending_smap *smaps = NULL;
	size_t num_scs = 0;
	size_t num_smaps = 0;
	size_t i;
	size_t j;
	size_t k;
	int rc = 0;

	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	st = talloc_zero(tmp, struct rvss_fss_state);
	scs = talloc_zero_array(tmp, struct pending_sc, num + 1);
	smaps = talloc_zero_array(tmp, struct pending_smap, num + 1);
	st->sets = talloc_zero_array(st, struct rvss_fss_set, num + 1);
	if (st == NULL || scs == NULL || smaps == NULL || st->sets == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	st->sc_set_count = -1;

	for (i = 0; i < num; i++) {
		const uint8_t *key = keys[i];
		size_t klen = key_lens[i];
		struct parsed_key pk;

		if (key == NULL || klen == 0) {
			continue; /* not ours, and nothing Samba reads */
		}
		if (klen == sizeof(KEY_VERSION) &&
		    memcmp(key, KEY_VERSION, sizeof(KEY_VERSION)) == 0) {
			rc = int32_record(vals[i], val_lens[i],
					  &st->db_version);
			if (rc != 0) {
				goto done;
			}
			continue;
		}
		if (klen == sizeof(KEY_SET_COUNT) &&
		    memcmp(key, KEY_SET_COUNT, sizeof(KEY_SET_COUNT)) == 0) {
			rc = int32_record(vals[i], val_lens[i],
					  &st->sc_set_count);
			if (rc != 0) {
				goto done;
			}
			continue;
		}
		rc = parse_key(key, klen, &pk);
		if (rc != 0) {
			goto done;
		}
		switch (pk.kind) {
		case KEY_OTHER:
			break;
		case KEY_SET: {
			struct rvss_fss_set *s = &st->sets[st->num_sets];
			struct set_rec r = { .id_str = NULL };

			rc = decode_set(st->sets, vals[i], val_lens[i], &r);
			if (rc != 0) {
				goto done;
			}
			TALLOC_FREE(r.id_str); /* Samba uses the key's id */
			s->id = talloc_strdup(st->sets, pk.set_id);
			if (s->id == NULL) {
				rc = -ENOMEM;
				goto done;
			}
			s->state = r.state;
			s->context = (uint32_t)r.context;
			s->scs_count = r.scs_count;
			st->num_sets++;
			break;
		}
		case KEY_SC: {
			struct pending_sc *p = &scs[num_scs];
			struct sc_rec r = { .id_str = NULL };

			rc = decode_sc(tmp, vals[i], val_lens[i], &r);
			if (rc != 0) {
				goto done;
			}
			memcpy(p->set_id, pk.set_id, sizeof(p->set_id));
			p->sc.id = talloc_strdup(tmp, pk.sc_id);
			if (p->sc.id == NULL) {
				rc = -ENOMEM;
				goto done;
			}
			p->sc.volume_name = r.volume_name;
			p->sc.sc_path = r.sc_path;
			p->sc.create_ts = r.create_ts;
			p->sc.smaps_count = r.smaps_count;
			num_scs++;
			break;
		}
		case KEY_SMAP: {
			struct pending_smap *p = &smaps[num_smaps];
			struct smap_rec r = { .share_name = NULL };

			rc = decode_smap(tmp, vals[i], val_lens[i], &r);
			if (rc != 0) {
				goto done;
			}
			memcpy(p->set_id, pk.set_id, sizeof(p->set_id));
			memcpy(p->sc_id, pk.sc_id, sizeof(p->sc_id));
			/* Samba takes the exposed share's name from the key */
			p->smap.sc_share_name = talloc_strdup(tmp,
							      pk.smap_name);
			if (p->smap.sc_share_name == NULL) {
				rc = -ENOMEM;
				goto done;
			}
			p->smap.share_name = r.share_name;
			p->smap.sc_share_comment = r.sc_share_comment;
			p->smap.is_exposed = (r.is_exposed != 0);
			num_smaps++;
			break;
		}
		}
	}

	if (st->db_version != 0 && st->db_version != RVSS_FSS_DB_VERSION) {
		rc = -EPROTONOSUPPORT;
		goto done;
	}

	/* Put shadow copies under their sets, share maps under their scs. */
	for (i = 0; i < st->num_sets; i++) {
		struct rvss_fss_set *s = &st->sets[i];
		size_t n = 0;

		/* exact sizes: memory stays linear in the number of records */
		for (j = 0; j < num_scs; j++) {
			if (!scs[j].placed &&
			    strcmp(scs[j].set_id, s->id) == 0) {
				n++;
			}
		}
		s->scs = talloc_zero_array(st->sets, struct rvss_fss_sc, n + 1);
		if (s->scs == NULL) {
			rc = -ENOMEM;
			goto done;
		}
		for (j = 0; j < num_scs; j++) {
			struct rvss_fss_sc *sc = NULL;

			if (scs[j].placed ||
			    strcmp(scs[j].set_id, s->id) != 0) {
				continue;
			}
			scs[j].placed = true;
			sc = &s->scs[s->num_scs++];
			*sc = scs[j].sc;
			talloc_steal(s->scs, sc->id);
			talloc_steal(s->scs, sc->volume_name);
			talloc_steal(s->scs, sc->sc_path);
			n = 0;
			for (k = 0; k < num_smaps; k++) {
				if (!smaps[k].placed &&
				    strcmp(smaps[k].set_id, s->id) == 0 &&
				    strcmp(smaps[k].sc_id, sc->id) == 0) {
					n++;
				}
			}
			sc->smaps = talloc_zero_array(s->scs,
						      struct rvss_fss_smap,
						      n + 1);
			if (sc->smaps == NULL) {
				rc = -ENOMEM;
				goto done;
			}
			for (k = 0; k < num_smaps; k++) {
				struct rvss_fss_smap *m = NULL;

				if (smaps[k].placed ||
				    strcmp(smaps[k].set_id, s->id) != 0 ||
				    strcmp(smaps[k].sc_id, sc->id) != 0) {
					continue;
				}
				smaps[k].placed = true;
				m = &sc->smaps[sc->num_smaps++];
				*m = smaps[k].smap;
				talloc_steal(sc->smaps, m->sc_share_name);
				talloc_steal(sc->smaps, m->share_name);
				talloc_steal(sc->smaps, m->sc_share_comment);
			}
			qsort(sc->smaps, sc->num_smaps, sizeof(sc->smaps[0]),
			      cmp_smap);
		}
		qsort(s->scs, s->num_scs, sizeof(s->scs[0]), cmp_sc);
		s->consistent = (s->scs_count >= 0 &&
				 (size_t)s->scs_count == s->num_scs);
		for (j = 0; j < s->num_scs; j++) {
			if (s->scs[j].smaps_count < 0 ||
			    (size_t)s->scs[j].smaps_count !=
				    s->scs[j].num_smaps) {
				s->consistent = false;
			}
		}
	}
	/* Orphans: Samba refuses the whole file; so do we. */
	for (j = 0; j < num_scs; j++) {
		if (!scs[j].placed) {
			rc = -EBADMSG;
			goto done;
		}
	}
	for (k = 0; k < num_smaps; k++) {
		if (!smaps[k].placed) {
			rc = -EBADMSG;
			goto done;
		}
	}
	qsort(st->sets, st->num_sets, sizeof(st->sets[0]), cmp_set);

	*ret = talloc_steal(mem_ctx, st);
done:
	talloc_free(tmp);
	return rc;
}

/* ------------------------------------------------------------ tdb */

static int errno_or(int fallback)
{
	return errno != 0 ? -errno : fallback;
}

static struct tdb_context *open_tdb(const char *path, int flags, int *err)
{
	struct tdb_context *tdb = NULL;

	errno = 0;
	tdb = tdb_open(path, 0, TDB_DEFAULT, flags, 0600);
	if (tdb == NULL) {
		*err = errno_or(-EIO);
	}
	return tdb;
}

struct collect {
	TALLOC_CTX *mem;
	size_t num;
	size_t alloc;
	uint8_t **keys;
	size_t *key_lens;
	uint8_t **vals;
	size_t *val_lens;
	int err;
};

/* A copy of a tdb datum with one NUL after it (never read by decoders). */
static uint8_t *copy_data(TALLOC_CTX *mem_ctx, TDB_DATA d)
{
	uint8_t *p = talloc_size(mem_ctx, d.dsize + 1);

	if (p == NULL) {
		return NULL;
	}
	if (d.dsize > 0) {
		memcpy(p, d.dptr, d.dsize);
	}
	p[d.dsize] = '\0';
	return p;
}

static int collect_cb(struct tdb_context *tdb, TDB_DATA key, TDB_DATA val,
		      void *private_data)
{
	struct collect *c = private_data;

	if (c->num == c->alloc) {
		size_t n = c->alloc == 0 ? 16 : c->alloc * 2;

		c->keys = talloc_realloc(c->mem, c->keys, uint8_t *, n);
		c->vals = talloc_realloc(c->mem, c->vals, uint8_t *, n);
		c->key_lens = talloc_realloc(c->mem, c->key_lens, size_t, n);
		c->val_lens = talloc_realloc(c->mem, c->val_lens, size_t, n);
		if (c->keys == NULL || c->vals == NULL ||
		    c->key_lens == NULL || c->val_lens == NULL) {
			c->err = -ENOMEM;
			return -1;
		}
		c->alloc = n;
	}
	c->keys[c->num] = copy_data(c->mem, key);
	c->vals[c->num] = copy_data(c->mem, val);
	if (c->keys[c->num] == NULL || c->vals[c->num] == NULL) {
		c->err = -ENOMEM;
		return -1;
	}
	c->key_lens[c->num] = key.dsize;
	c->val_lens[c->num] = val.dsize;
	c->num++;
	return 0;
}

/* All records of a tdb, under one read lock (or inside a transaction). */
static int collect_all(TALLOC_CTX *mem_ctx, struct tdb_context *tdb,
		       bool in_transaction, struct collect *c)
{
	int n;

	memset(c, 0, sizeof(*c));
	c->mem = mem_ctx;
	if (in_transaction) {
		n = tdb_traverse(tdb, collect_cb, c);
	} else {
		n = tdb_traverse_read(tdb, collect_cb, c);
	}
	if (c->err != 0) {
		return c->err;
	}
	if (n < 0) {
		return -EIO;
	}
	return 0;
}

int rvss_fss_state_read(TALLOC_CTX *mem_ctx, const char *tdb_path,
			struct rvss_fss_state **ret)
{
	TALLOC_CTX *tmp = NULL;
	struct tdb_context *tdb = NULL;
	struct collect c;
	int rc = 0;

	if (tdb_path == NULL || ret == NULL) {
		return -EINVAL;
	}
	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	tdb = open_tdb(tdb_path, O_RDONLY, &rc);
	if (tdb == NULL) {
		goto done;
	}
	rc = collect_all(tmp, tdb, false, &c);
	if (rc != 0) {
		goto done;
	}
	rc = rvss_fss_state_decode(mem_ctx, c.num,
				   (const uint8_t *const *)c.keys, c.key_lens,
				   (const uint8_t *const *)c.vals, c.val_lens,
				   ret);
done:
	if (tdb != NULL) {
		tdb_close(tdb);
	}
	talloc_free(tmp);
	return rc;
}

bool rvss_fss_state_whole(const struct rvss_fss_state *st)
{
	return st != NULL && st->sc_set_count >= 0 &&
	       (size_t)st->sc_set_count == st->num_sets;
}

int rvss_fss_state_read_whole(TALLOC_CTX *mem_ctx, const char *tdb_path,
			      unsigned tries, unsigned wait_ms,
			      struct rvss_fss_state **ret)
{
	unsigned i;
	int rc = -EAGAIN;

	for (i = 0; i < tries; i++) {
		struct rvss_fss_state *st = NULL;

		if (i > 0) {
			(void)usleep(wait_ms * 1000);
		}
		rc = rvss_fss_state_read(mem_ctx, tdb_path, &st);
		if (rc != 0) {
			return rc;
		}
		if (rvss_fss_state_whole(st)) {
			*ret = st;
			return 0;
		}
		talloc_free(st);
		rc = -EAGAIN;
	}
	return rc;
}

const struct rvss_fss_set *rvss_fss_state_find_set(
	const struct rvss_fss_state *st, const char *set_id)
{
	char id[GUID_LEN + 1];
	size_t i;

	if (st == NULL || normalise_guid(set_id, id) != 0) {
		return NULL;
	}
	for (i = 0; i < st->num_sets; i++) {
		if (strcmp(st->sets[i].id, id) == 0) {
			return &st->sets[i];
		}
	}
	return NULL;
}

static TDB_DATA str_data(const char *s)
{
	TDB_DATA d = {
		/* tdb_store/tdb_fetch do not write through the key */
		.dptr = (unsigned char *)(uintptr_t)s,
		.dsize = strlen(s) + 1, /* Samba's keys include the NUL */
	};
	return d;
}

static int store_int32(struct tdb_context *tdb, const char *key, int32_t v)
{
	uint8_t b[4] = {
		(uint8_t)v, (uint8_t)((uint32_t)v >> 8),
		(uint8_t)((uint32_t)v >> 16), (uint8_t)((uint32_t)v >> 24),
	};
	TDB_DATA d = { .dptr = b, .dsize = sizeof(b) };

	if (tdb_store(tdb, str_data(key), d, TDB_REPLACE) != 0) {
		return -EIO;
	}
	return 0;
}

static int store_blob(struct tdb_context *tdb, const char *key,
		      uint8_t *blob, size_t len)
{
	TDB_DATA d = { .dptr = blob, .dsize = len };

	if (tdb_store(tdb, str_data(key), d, TDB_REPLACE) != 0) {
		return -EIO;
	}
	return 0;
}

/* Does this raw key belong to set "id" (the set record or below it)? */
static bool key_of_set(const uint8_t *key, size_t len, const char *id)
{
	size_t plen = strlen(PFX_SET);

	if (len < plen + GUID_LEN + 1 ||
	    memcmp(key, PFX_SET, plen) != 0 ||
	    strncasecmp((const char *)key + plen, id, GUID_LEN) != 0) {
		return false;
	}
	/* exactly the set record, or a key continuing with '/' */
	return key[plen + GUID_LEN] == '\0' || key[plen + GUID_LEN] == '/';
}

static bool key_is_set_record(const uint8_t *key, size_t len)
{
	size_t plen = strlen(PFX_SET);

	return len == plen + GUID_LEN + 1 && memcmp(key, PFX_SET, plen) == 0 &&
	       key[len - 1] == '\0';
}

int rvss_fss_state_remove_set(const char *tdb_path, const char *set_id,
			      unsigned *_removed)
{
	TALLOC_CTX *tmp = NULL;
	struct tdb_context *tdb = NULL;
	struct collect c;
	char id[GUID_LEN + 1];
	bool in_transaction = false;
	unsigned removed = 0;
	int32_t sets_left = 0;
	size_t i;
	int rc;

	rc = normalise_guid(set_id, id);
	if (rc != 0 || tdb_path == NULL) {
		return -EINVAL;
	}
	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	tdb = open_tdb(tdb_path, O_RDWR, &rc);
	if (tdb == NULL) {
		goto done;
	}
	if (tdb_transaction_start(tdb) != 0) {
		rc = -EBUSY;
		goto done;
	}
	in_transaction = true;
	rc = collect_all(tmp, tdb, true, &c);
	if (rc != 0) {
		goto done;
	}
	for (i = 0; i < c.num; i++) {
		TDB_DATA k = { .dptr = c.keys[i], .dsize = c.key_lens[i] };

		if (!key_of_set(c.keys[i], c.key_lens[i], id)) {
			if (key_is_set_record(c.keys[i], c.key_lens[i])) {
				sets_left++;
			}
			continue;
		}
		if (tdb_delete(tdb, k) != 0) {
			rc = -EIO;
			goto done;
		}
		removed++;
	}
	if (removed == 0) {
		rc = -ENOENT;
		goto done;
	}
	/* orphans of a set whose own record is gone are removed as well */

	/* keep "sc_set_count" true, if the file has one */
	for (i = 0; i < c.num; i++) {
		if (c.key_lens[i] == sizeof(KEY_SET_COUNT) &&
		    memcmp(c.keys[i], KEY_SET_COUNT,
			   sizeof(KEY_SET_COUNT)) == 0) {
			int32_t old = 0;

			rc = int32_record(c.vals[i], c.val_lens[i], &old);
			if (rc != 0) {
				goto done;
			}
			rc = store_int32(tdb, KEY_SET_COUNT, sets_left);
			if (rc != 0) {
				goto done;
			}
		}
	}
	if (tdb_transaction_commit(tdb) != 0) {
		in_transaction = false; /* commit cancels on failure */
		rc = -EIO;
		goto done;
	}
	in_transaction = false;
	if (_removed != NULL) {
		*_removed = removed;
	}
	rc = 0;
done:
	if (in_transaction) {
		tdb_transaction_cancel(tdb);
	}
	if (tdb != NULL) {
		tdb_close(tdb);
	}
	talloc_free(tmp);
	return rc;
}

int rvss_fss_state_set_state(const char *tdb_path, const char *set_id,
			     int32_t new_state, int32_t *_old_state)
{
	TALLOC_CTX *tmp = NULL;
	struct tdb_context *tdb = NULL;
	char id[GUID_LEN + 1];
	char *key = NULL;
	TDB_DATA val = { .dptr = NULL };
	struct set_rec r = { .id_str = NULL };
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	bool in_transaction = false;
	int rc;

	rc = normalise_guid(set_id, id);
	if (rc != 0 || tdb_path == NULL || new_state < 0 ||
	    new_state >= NUM_STATES) {
		return -EINVAL;
	}
	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	key = talloc_asprintf(tmp, "%s%s", PFX_SET, id);
	if (key == NULL) {
		rc = -ENOMEM;
		goto done;
	}
	tdb = open_tdb(tdb_path, O_RDWR, &rc);
	if (tdb == NULL) {
		goto done;
	}
	if (tdb_transaction_start(tdb) != 0) {
		rc = -EBUSY;
		goto done;
	}
	in_transaction = true;
	val = tdb_fetch(tdb, str_data(key));
	if (val.dptr == NULL) {
		rc = -ENOENT;
		goto done;
	}
	rc = decode_set(tmp, val.dptr, val.dsize, &r);
	if (rc != 0) {
		goto done;
	}
	rc = rvss_fss_ndr_push_set(tmp, r.id_str, new_state,
				   (uint32_t)r.context, r.scs_count, &blob,
				   &blob_len);
	if (rc != 0) {
		goto done;
	}
	rc = store_blob(tdb, key, blob, blob_len);
	if (rc != 0) {
		goto done;
	}
	if (tdb_transaction_commit(tdb) != 0) {
		in_transaction = false;
		rc = -EIO;
		goto done;
	}
	in_transaction = false;
	if (_old_state != NULL) {
		*_old_state = r.state;
	}
	rc = 0;
done:
	free(val.dptr);
	if (in_transaction) {
		tdb_transaction_cancel(tdb);
	}
	if (tdb != NULL) {
		tdb_close(tdb);
	}
	talloc_free(tmp);
	return rc;
}

/* ------------------------------------------------------------ write */

static int write_sets(TALLOC_CTX *tmp, struct tdb_context *tdb,
		      const struct rvss_fss_state *st)
{
	size_t i;
	size_t j;
	size_t k;
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	for (i = 0; i < st->num_sets; i++) {
		const struct rvss_fss_set *s = &st->sets[i];
		char *skey = NULL;

		if (s->id == NULL) {
			return -EINVAL;
		}
		skey = talloc_asprintf(tmp, "%s%s", PFX_SET, s->id);
		if (skey == NULL) {
			return -ENOMEM;
		}
		rc = rvss_fss_ndr_push_set(tmp, s->id, s->state, s->context,
					   (int32_t)s->num_scs, &blob, &len);
		if (rc == 0) {
			rc = store_blob(tdb, skey, blob, len);
		}
		if (rc != 0) {
			return rc;
		}
		for (j = 0; j < s->num_scs; j++) {
			const struct rvss_fss_sc *sc = &s->scs[j];
			char *ckey = NULL;

			if (sc->id == NULL) {
				return -EINVAL;
			}
			ckey = talloc_asprintf(tmp, "%s%s%s", skey, PFX_SC,
					       sc->id);
			if (ckey == NULL) {
				return -ENOMEM;
			}
			rc = rvss_fss_ndr_push_sc(tmp, sc->id, sc->volume_name,
						  sc->sc_path,
						  (uint32_t)sc->create_ts,
						  (int32_t)sc->num_smaps,
						  &blob, &len);
			if (rc == 0) {
				rc = store_blob(tdb, ckey, blob, len);
			}
			if (rc != 0) {
				return rc;
			}
			for (k = 0; k < sc->num_smaps; k++) {
				const struct rvss_fss_smap *m = &sc->smaps[k];
				char *mkey = NULL;

				if (m->sc_share_name == NULL) {
					return -EINVAL;
				}
				mkey = talloc_asprintf(tmp, "%s%s%s", ckey,
						       PFX_SMAP,
						       m->sc_share_name);
				if (mkey == NULL) {
					return -ENOMEM;
				}
				rc = rvss_fss_ndr_push_smap(
					tmp, m->share_name, m->sc_share_name,
					m->sc_share_comment, m->is_exposed,
					&blob, &len);
				if (rc == 0) {
					rc = store_blob(tdb, mkey, blob, len);
				}
				if (rc != 0) {
					return rc;
				}
			}
		}
	}
	return 0;
}

static int delete_all(TALLOC_CTX *tmp, struct tdb_context *tdb)
{
	struct collect c;
	size_t i;
	int rc;

	rc = collect_all(tmp, tdb, true, &c);
	if (rc != 0) {
		return rc;
	}
	for (i = 0; i < c.num; i++) {
		TDB_DATA k = { .dptr = c.keys[i], .dsize = c.key_lens[i] };

		if (tdb_delete(tdb, k) != 0) {
			return -EIO;
		}
	}
	return 0;
}

int rvss_fss_state_write(const char *tdb_path, const struct rvss_fss_state *st)
{
	TALLOC_CTX *tmp = NULL;
	struct tdb_context *tdb = NULL;
	bool in_transaction = false;
	int rc = 0;

	if (tdb_path == NULL || st == NULL) {
		return -EINVAL;
	}
	tmp = talloc_new(NULL);
	if (tmp == NULL) {
		return -ENOMEM;
	}
	tdb = open_tdb(tdb_path, O_RDWR | O_CREAT, &rc);
	if (tdb == NULL) {
		goto done;
	}
	/*
	 * Samba's fss_state_store() wipes the file before its transaction;
	 * here the old records go inside the transaction, so a failed write
	 * leaves the file as it was.
	 */
	if (tdb_transaction_start(tdb) != 0) {
		rc = -EBUSY;
		goto done;
	}
	in_transaction = true;
	rc = delete_all(tmp, tdb);
	if (rc != 0) {
		goto done;
	}
	rc = store_int32(tdb, KEY_VERSION,
			 st->db_version != 0 ? st->db_version
					     : RVSS_FSS_DB_VERSION);
	if (rc == 0) {
		rc = store_int32(tdb, KEY_SET_COUNT, (int32_t)st->num_sets);
	}
	if (rc == 0) {
		rc = write_sets(tmp, tdb, st);
	}
	if (rc != 0) {
		goto done;
	}
	if (tdb_transaction_commit(tdb) != 0) {
		in_transaction = false;
		rc = -EIO;
		goto done;
	}
	in_transaction = false;
done:
	if (in_transaction) {
		tdb_transaction_cancel(tdb);
	}
	if (tdb != NULL) {
		tdb_close(tdb);
	}
	talloc_free(tmp);
	return rc;
}
