/*
 * libFuzzer target: the decoder of Samba's srv_fss.tdb records
 * (lib/fss_state.c, rvss_fss_state_decode(): keys, NDR set / shadow copy /
 * share mapping records) on arbitrary bytes.
 *
 * The input is a list of records, each
 *     u8 key length, key bytes, u16 (little endian) value length, value
 * (a short last record is cut where the input ends), i.e. what a
 * traversal of a hostile or torn srv_fss.tdb hands the decoder.
 *
 * It must return 0, -EBADMSG or -EPROTONOSUPPORT (never crash, hang or
 * leak), and whatever it accepts must survive a round trip: re-encoded
 * with rvss_fss_ndr_push_*() under keys rebuilt from the ids, it decodes
 * to the same state.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "fss_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECORDS 256

struct records {
	size_t num;
	const uint8_t *keys[MAX_RECORDS];
	size_t key_lens[MAX_RECORDS];
	const uint8_t *vals[MAX_RECORDS];
	size_t val_lens[MAX_RECORDS];
};

static void split(const uint8_t *data, size_t size, struct records *r)
{
	size_t pos = 0;

	r->num = 0;
	while (pos < size && r->num < MAX_RECORDS) {
		size_t klen = data[pos++];
		size_t vlen = 0;

		if (klen > size - pos) {
			klen = size - pos;
		}
		r->keys[r->num] = data + pos;
		r->key_lens[r->num] = klen;
		pos += klen;
		if (size - pos >= 2) {
			vlen = data[pos] | (size_t)data[pos + 1] << 8;
			pos += 2;
		} else {
			pos = size;
		}
		if (vlen > size - pos) {
			vlen = size - pos;
		}
		r->vals[r->num] = data + pos;
		r->val_lens[r->num] = vlen;
		pos += vlen;
		r->num++;
	}
}

static void add(TALLOC_CTX *ctx, struct records *r, const char *key,
		const uint8_t *val, size_t vlen)
{
	if (key == NULL || val == NULL || r->num >= MAX_RECORDS) {
		abort();        /* out of memory or too many: not a finding */
	}
	r->keys[r->num] = (const uint8_t *)key;
	r->key_lens[r->num] = strlen(key) + 1;
	r->vals[r->num] = val;
	r->val_lens[r->num] = vlen;
	r->num++;
	(void)ctx;
}

static uint8_t *int32_blob(TALLOC_CTX *ctx, int32_t v)
{
	uint8_t *b = talloc_array(ctx, uint8_t, 4);
	uint32_t u = (uint32_t)v;

	if (b != NULL) {
		b[0] = u & 0xff;
		b[1] = u >> 8 & 0xff;
		b[2] = u >> 16 & 0xff;
		b[3] = u >> 24 & 0xff;
	}
	return b;
}

/* Two siblings with one id: their relative order is not defined. */
static bool has_duplicate_ids(const struct rvss_fss_state *st)
{
	size_t i, j, k;

	for (i = 0; i < st->num_sets; i++) {
		const struct rvss_fss_set *s = &st->sets[i];

		for (j = i + 1; j < st->num_sets; j++) {
			if (strcmp(s->id, st->sets[j].id) == 0) {
				return true;
			}
		}
		for (j = 0; j < s->num_scs; j++) {
			for (k = j + 1; k < s->num_scs; k++) {
				if (strcmp(s->scs[j].id, s->scs[k].id) == 0) {
					return true;
				}
			}
		}
	}
	return false;
}

static bool num_fits_u32(int64_t v)
{
	return v >= 0 && v <= UINT32_MAX;
}

/* Encode @st in Samba's layout into @r (blobs and keys on @ctx). */
static bool encode(TALLOC_CTX *ctx, const struct rvss_fss_state *st,
		   struct records *r)
{
	size_t i, j, k;
	uint8_t *b = NULL;
	size_t len = 0;

	r->num = 0;
	if (st->db_version != 0) {
		add(ctx, r, "db_version", int32_blob(ctx, st->db_version), 4);
	}
	if (st->sc_set_count != -1) {
		add(ctx, r, "sc_set_count", int32_blob(ctx, st->sc_set_count),
		    4);
	}
	for (i = 0; i < st->num_sets; i++) {
		const struct rvss_fss_set *s = &st->sets[i];
		char *skey = talloc_asprintf(ctx, "sc_set/%s", s->id);

		if (rvss_fss_ndr_push_set(ctx, s->id, s->state, s->context,
					  s->scs_count, &b, &len) != 0) {
			abort();
		}
		add(ctx, r, skey, b, len);
		for (j = 0; j < s->num_scs; j++) {
			const struct rvss_fss_sc *sc = &s->scs[j];
			char *ckey = talloc_asprintf(ctx, "%s/sc/%s", skey,
						     sc->id);

			if (!num_fits_u32(sc->create_ts)) {
				return false;   /* not from a u32 field */
			}
			if (rvss_fss_ndr_push_sc(ctx, sc->id, sc->volume_name,
						 sc->sc_path,
						 (uint32_t)sc->create_ts,
						 sc->smaps_count, &b,
						 &len) != 0) {
				abort();
			}
			add(ctx, r, ckey, b, len);
			for (k = 0; k < sc->num_smaps; k++) {
				const struct rvss_fss_smap *m = &sc->smaps[k];

				if (rvss_fss_ndr_push_smap(
					    ctx, m->share_name,
					    m->sc_share_name,
					    m->sc_share_comment,
					    m->is_exposed, &b, &len) != 0) {
					abort();
				}
				add(ctx, r, talloc_asprintf(ctx, "%s/smap/%s",
							    ckey,
							    m->sc_share_name),
				    b, len);
			}
		}
	}
	return true;
}

static void same_state(const struct rvss_fss_state *a,
		       const struct rvss_fss_state *b)
{
	size_t i, j, k;

	if (a->db_version != b->db_version ||
	    a->sc_set_count != b->sc_set_count || a->num_sets != b->num_sets) {
		abort();
	}
	for (i = 0; i < a->num_sets; i++) {
		const struct rvss_fss_set *x = &a->sets[i];
		const struct rvss_fss_set *y = &b->sets[i];

		if (strcmp(x->id, y->id) != 0 || x->state != y->state ||
		    x->context != y->context || x->scs_count != y->scs_count ||
		    x->num_scs != y->num_scs ||
		    x->consistent != y->consistent) {
			abort();
		}
		for (j = 0; j < x->num_scs; j++) {
			const struct rvss_fss_sc *p = &x->scs[j];
			const struct rvss_fss_sc *q = &y->scs[j];

			if (strcmp(p->id, q->id) != 0 ||
			    strcmp(p->volume_name, q->volume_name) != 0 ||
			    strcmp(p->sc_path, q->sc_path) != 0 ||
			    p->create_ts != q->create_ts ||
			    p->smaps_count != q->smaps_count ||
			    p->num_smaps != q->num_smaps) {
				abort();
			}
			for (k = 0; k < p->num_smaps; k++) {
				const struct rvss_fss_smap *m = &p->smaps[k];
				const struct rvss_fss_smap *n = &q->smaps[k];

				if (strcmp(m->sc_share_name,
					   n->sc_share_name) != 0 ||
				    strcmp(m->share_name, n->share_name) != 0 ||
				    strcmp(m->sc_share_comment,
					   n->sc_share_comment) != 0 ||
				    m->is_exposed != n->is_exposed) {
					abort();
				}
			}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct records *in = talloc_zero(ctx, struct records);
	struct records *out = talloc_zero(ctx, struct records);
	struct rvss_fss_state *st = NULL;
	struct rvss_fss_state *again = NULL;
	size_t i;
	int ret;

	if (ctx == NULL || in == NULL || out == NULL) {
		abort();
	}
	split(data, size, in);
	ret = rvss_fss_state_decode(ctx, in->num, in->keys, in->key_lens,
				    in->vals, in->val_lens, &st);
	if (ret != 0 && ret != -EBADMSG && ret != -EPROTONOSUPPORT) {
		abort();
	}
	if (ret == 0) {
		for (i = 0; i < st->num_sets; i++) {
			(void)rvss_fss_set_blocks_new_sets(&st->sets[i]);
			(void)rvss_fss_state_name(st->sets[i].state);
			if (rvss_fss_state_find_set(st, st->sets[i].id) ==
			    NULL) {
				abort();
			}
		}
		if (!has_duplicate_ids(st) && encode(ctx, st, out)) {
			ret = rvss_fss_state_decode(ctx, out->num, out->keys,
						    out->key_lens, out->vals,
						    out->val_lens, &again);
			if (ret != 0) {
				abort();
			}
			same_state(st, again);
		}
	}
	talloc_free(ctx);
	return 0;
}
