/*
 * Unit tests: the reader and editor of Samba's srv_fss.tdb
 * (lib/fss_state.c).  Fixtures: files written by Debian's rpcd_fsrvp
 * (fss_state_fixture.h, kept as tdbdump text), records encoded by hand
 * in this file, and their truncated or corrupted variants.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <tdb.h>

#include "fss_state.h"
#include "fss_state_fixture.h"

#define SET_RECOVERED "277d28b2-819c-4c22-9252-b86b7cbf14d7"
#define SC_RECOVERED "ce558e8b-89fa-4b30-bcb8-8b2ca1a59dd6"
#define SET_EXPOSED "054b69b1-1cd4-455d-abfd-33aa622d6a8f"
#define SC_EXPOSED "73b028da-6f22-49c5-972f-d7e769be9d4c"
#define SET_COMMITTED "848f505c-d1a1-4ce1-ad45-577231769d74"
#define SC_COMMITTED "662bc5de-2f6a-4e52-b1b9-c8732c937c57"
#define VOL "/tmp/rvss-it.FmmOw5/fs/vol"

struct fixture {
	TALLOC_CTX *mem;
	char dir[64];
	char *path;
};

/* Records as key/value byte strings (keys include Samba's NUL). */
struct recs {
	size_t num;
	uint8_t *keys[64];
	size_t key_lens[64];
	uint8_t *vals[64];
	size_t val_lens[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->mem = talloc_new(NULL);
	assert_non_null(f->mem);
	snprintf(f->dir, sizeof(f->dir), "/tmp/rvss-fss-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->path = talloc_asprintf(NULL, "%s/srv_fss.tdb", f->dir);
	assert_non_null(f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	(void)unlink(f->path);
	(void)rmdir(f->dir);
	talloc_free(f->path);
	assert_int_equal(talloc_total_blocks(f->mem), 1);
	talloc_free(f->mem);
	free(f);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	return -1;
}

/*
 * Parse one quoted tdbdump field after "key(N) = " or "data(N) = ":
 * printable bytes as-is, others as \XX.  Checks the length N.
 */
static const char *parse_field(TALLOC_CTX *mem, const char *p,
			       const char *tag, uint8_t **out, size_t *len)
{
	size_t want = 0;
	size_t n = 0;
	uint8_t *buf = NULL;
	int used = 0;

	assert_int_equal(strncmp(p, tag, strlen(tag)), 0);
	p += strlen(tag);
	assert_int_equal(sscanf(p, "(%zu) = \"%n", &want, &used), 1);
	assert_true(used > 0);
	p += used;
	buf = talloc_size(mem, want + 1);
	assert_non_null(buf);
	while (*p != '"') {
		assert_true(n < want);
		if (*p == '\\') {
			int hi = hexval(p[1]);
			int lo = hexval(p[2]);

			assert_true(hi >= 0 && lo >= 0);
			buf[n++] = (uint8_t)(hi * 16 + lo);
			p += 3;
		} else {
			assert_true(*p != '\0');
			buf[n++] = (uint8_t)*p++;
		}
	}
	assert_int_equal(n, want);
	*out = buf;
	*len = n;
	return p + 2; /* '"' and '\n' */
}

static void tdbdump_parse(TALLOC_CTX *mem, const char *text, struct recs *r)
{
	const char *p = text;

	memset(r, 0, sizeof(*r));
	while (*p != '\0') {
		assert_true(strncmp(p, "{\n", 2) == 0);
		p += 2;
		assert_true(r->num < 64);
		p = parse_field(mem, p, "key", &r->keys[r->num],
				&r->key_lens[r->num]);
		p = parse_field(mem, p, "data", &r->vals[r->num],
				&r->val_lens[r->num]);
		assert_true(strncmp(p, "}\n", 2) == 0);
		p += 2;
		r->num++;
	}
	assert_true(r->num > 0);
}

static void recs_write(const char *path, const struct recs *r)
{
	struct tdb_context *tdb = NULL;
	size_t i;

	tdb = tdb_open(path, 0, TDB_DEFAULT, O_RDWR | O_CREAT | O_TRUNC,
		       0600);
	assert_non_null(tdb);
	for (i = 0; i < r->num; i++) {
		TDB_DATA k = { .dptr = r->keys[i], .dsize = r->key_lens[i] };
		TDB_DATA v = { .dptr = r->vals[i], .dsize = r->val_lens[i] };

		assert_int_equal(tdb_store(tdb, k, v, TDB_INSERT), 0);
	}
	tdb_close(tdb);
}

/* Index of the record with this key (given without its NUL), or -1. */
static int recs_find(const struct recs *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->num; i++) {
		if (r->key_lens[i] == strlen(key) + 1 &&
		    memcmp(r->keys[i], key, r->key_lens[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

static void recs_add(TALLOC_CTX *mem, struct recs *r, const char *key,
		     const uint8_t *val, size_t len)
{
	assert_true(r->num < 64);
	r->keys[r->num] = talloc_memdup(mem, key, strlen(key) + 1);
	r->key_lens[r->num] = strlen(key) + 1;
	r->vals[r->num] = talloc_memdup(mem, val, len > 0 ? len : 1);
	r->val_lens[r->num] = len;
	assert_non_null(r->keys[r->num]);
	assert_non_null(r->vals[r->num]);
	r->num++;
}

static int decode(TALLOC_CTX *mem, const struct recs *r,
		  struct rvss_fss_state **st)
{
	return rvss_fss_state_decode(mem, r->num,
				     (const uint8_t *const *)r->keys,
				     r->key_lens,
				     (const uint8_t *const *)r->vals,
				     r->val_lens, st);
}

/* A minimal valid file by hand: version, count, one set, sc, smap. */
static void hand_records(TALLOC_CTX *mem, struct recs *r, int32_t scs_count,
			 int32_t smaps_count)
{
	static const uint8_t one[4] = { 1, 0, 0, 0 };
	uint8_t *b = NULL;
	size_t len = 0;
	const char *set = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
	const char *sc = "11111111-2222-3333-4444-555555555555";

	memset(r, 0, sizeof(*r));
	recs_add(mem, r, "db_version", one, 4);
	recs_add(mem, r, "sc_set_count", one, 4);
	assert_int_equal(rvss_fss_ndr_push_set(mem, set, RVSS_FSS_COMMITTED,
					       RVSS_FSS_CTX_BACKUP, scs_count,
					       &b, &len), 0);
	recs_add(mem, r, "sc_set/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", b,
		 len);
	assert_int_equal(rvss_fss_ndr_push_sc(mem, sc, "/srv/vol",
					      "/srv/vol/.snap/x", 1700000000,
					      smaps_count, &b, &len), 0);
	recs_add(mem, r,
		 "sc_set/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
		 "/sc/11111111-2222-3333-4444-555555555555",
		 b, len);
	assert_int_equal(rvss_fss_ndr_push_smap(
				 mem, "vol",
				 "vol@{11111111-2222-3333-4444-555555555555}",
				 "", false, &b, &len), 0);
	recs_add(mem, r,
		 "sc_set/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
		 "/sc/11111111-2222-3333-4444-555555555555"
		 "/smap/vol@{11111111-2222-3333-4444-555555555555}",
		 b, len);
}

/* ------------------------------------------------------------ names */

static void test_fss_state_names(void **state)
{
	assert_string_equal(rvss_fss_state_name(0), "started");
	assert_string_equal(rvss_fss_state_name(RVSS_FSS_COMMITTED),
			    "committed");
	assert_string_equal(rvss_fss_state_name(5), "recovered");
	assert_string_equal(rvss_fss_state_name(6), "unknown");
	assert_string_equal(rvss_fss_state_name(-1), "unknown");
}

/* ------------------------------------------------------------ real files */

static void test_fss_state_read_real_recovered(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	const struct rvss_fss_set *s = NULL;
	const struct rvss_fss_sc *sc = NULL;
	const struct rvss_fss_smap *m = NULL;
	struct recs r;

	tdbdump_parse(tmp, real_recovered_dump, &r);
	recs_write(f->path, &r);
	assert_int_equal(rvss_fss_state_read(tmp, f->path, &st), 0);
	assert_non_null(st);
	assert_int_equal(st->db_version, 1);
	assert_int_equal(st->sc_set_count, 1);
	assert_int_equal(st->num_sets, 1);
	s = &st->sets[0];
	assert_string_equal(s->id, SET_RECOVERED);
	assert_int_equal(s->state, RVSS_FSS_RECOVERED);
	assert_string_equal(rvss_fss_state_name(s->state), "recovered");
	assert_int_equal(s->context, RVSS_FSS_CTX_FILE_SHARE_BACKUP |
					     RVSS_FSS_ATTR_AUTO_RECOVERY);
	assert_int_equal(s->scs_count, 1);
	assert_true(s->consistent);
	assert_false(rvss_fss_set_blocks_new_sets(s));
	assert_int_equal(s->num_scs, 1);
	sc = &s->scs[0];
	assert_string_equal(sc->id, SC_RECOVERED);
	assert_string_equal(sc->volume_name, VOL);
	assert_string_equal(sc->sc_path, VOL "/@GMT-2026.11.22-03.43.54");
	/* GetShareMapping returned tstamp_unix 1795319034 for this copy */
	assert_int_equal(sc->create_ts, 1795319034);
	assert_int_equal(sc->smaps_count, 1);
	assert_int_equal(sc->num_smaps, 1);
	m = &sc->smaps[0];
	assert_string_equal(m->sc_share_name, "vol@{" SC_RECOVERED "}");
	assert_string_equal(m->share_name, "vol");
	assert_string_equal(m->sc_share_comment,
			    "Shadow copy of vol taken Sun, 22 Nov 2026 "
			    "03:43:54 UTC");
	assert_true(m->is_exposed);
	assert_ptr_equal(rvss_fss_state_find_set(st, "{277D28B2-819C-4C22-"
						     "9252-B86B7CBF14D7}"),
			 s);
	assert_null(rvss_fss_state_find_set(st, SET_EXPOSED));
	assert_null(rvss_fss_state_find_set(st, "nonsense"));
	talloc_free(tmp);
}

static void test_fss_state_read_real_two_sets(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	const struct rvss_fss_set *e = NULL;
	const struct rvss_fss_set *c = NULL;
	struct recs r;

	tdbdump_parse(tmp, real_two_sets_dump, &r);
	recs_write(f->path, &r);
	assert_int_equal(rvss_fss_state_read(tmp, f->path, &st), 0);
	assert_int_equal(st->sc_set_count, 2);
	assert_int_equal(st->num_sets, 2);
	/* oldest shadow copy first */
	e = &st->sets[0];
	c = &st->sets[1];
	assert_string_equal(e->id, SET_EXPOSED);
	assert_string_equal(c->id, SET_COMMITTED);
	assert_int_equal(e->state, RVSS_FSS_EXPOSED);
	assert_int_equal(c->state, RVSS_FSS_COMMITTED);
	assert_int_equal(e->context, RVSS_FSS_CTX_BACKUP);
	assert_int_equal(c->context, RVSS_FSS_CTX_APP_ROLLBACK);
	assert_false(rvss_fss_set_blocks_new_sets(e));
	assert_true(rvss_fss_set_blocks_new_sets(c));
	assert_true(e->consistent);
	assert_true(c->consistent);
	assert_int_equal(e->scs[0].create_ts, 1795319042);
	assert_int_equal(c->scs[0].create_ts, 1795319043);
	assert_string_equal(c->scs[0].id, SC_COMMITTED);
	assert_string_equal(c->scs[0].sc_path,
			    VOL "/@GMT-2026.11.22-03.44.03");
	/* committed, never exposed: the mapping exists, not exposed */
	assert_int_equal(c->scs[0].num_smaps, 1);
	assert_false(c->scs[0].smaps[0].is_exposed);
	assert_string_equal(c->scs[0].smaps[0].sc_share_comment, "");
	assert_string_equal(c->scs[0].smaps[0].sc_share_name,
			    "vol@{" SC_COMMITTED "}");
	assert_true(e->scs[0].smaps[0].is_exposed);
	talloc_free(tmp);
}

/* The encoders reproduce rpcd_fsrvp's bytes exactly, record by record. */
static void test_fss_state_encode_matches_samba(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	const char *dumps[] = { real_recovered_dump, real_two_sets_dump };
	size_t d;
	size_t i;
	size_t j;
	size_t k;

	for (d = 0; d < 2; d++) {
		struct recs r;

		tdbdump_parse(tmp, dumps[d], &r);
		assert_int_equal(decode(tmp, &r, &st), 0);
		for (i = 0; i < st->num_sets; i++) {
			const struct rvss_fss_set *s = &st->sets[i];
			char *key = talloc_asprintf(tmp, "sc_set/%s", s->id);
			uint8_t *b = NULL;
			size_t len = 0;
			int idx = recs_find(&r, key);

			assert_true(idx >= 0);
			assert_int_equal(rvss_fss_ndr_push_set(
						 tmp, s->id, s->state,
						 s->context, s->scs_count, &b,
						 &len), 0);
			assert_int_equal(len, r.val_lens[idx]);
			assert_memory_equal(b, r.vals[idx], len);
			for (j = 0; j < s->num_scs; j++) {
				const struct rvss_fss_sc *sc = &s->scs[j];
				char *ckey = talloc_asprintf(tmp, "%s/sc/%s",
							     key, sc->id);

				idx = recs_find(&r, ckey);
				assert_true(idx >= 0);
				assert_int_equal(rvss_fss_ndr_push_sc(
						 tmp, sc->id, sc->volume_name,
						 sc->sc_path,
						 (uint32_t)sc->create_ts,
						 sc->smaps_count, &b, &len), 0);
				assert_int_equal(len, r.val_lens[idx]);
				assert_memory_equal(b, r.vals[idx], len);
				for (k = 0; k < sc->num_smaps; k++) {
					const struct rvss_fss_smap *m =
						&sc->smaps[k];
					char *mkey = talloc_asprintf(
						tmp, "%s/smap/%s", ckey,
						m->sc_share_name);

					idx = recs_find(&r, mkey);
					assert_true(idx >= 0);
					assert_int_equal(
						rvss_fss_ndr_push_smap(
							tmp, m->share_name,
							m->sc_share_name,
							m->sc_share_comment,
							m->is_exposed, &b,
							&len), 0);
					assert_int_equal(len,
							 r.val_lens[idx]);
					assert_memory_equal(b, r.vals[idx],
							    len);
				}
			}
		}
	}
	talloc_free(tmp);
}

/* rvss_fss_state_write() writes what Samba writes (same record set). */
static void test_fss_state_write_matches_samba(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct tdb_context *tdb = NULL;
	struct recs r;
	size_t i;

	tdbdump_parse(tmp, real_two_sets_dump, &r);
	assert_int_equal(decode(tmp, &r, &st), 0);
	assert_int_equal(rvss_fss_state_write(f->path, st), 0);
	tdb = tdb_open(f->path, 0, TDB_DEFAULT, O_RDONLY, 0);
	assert_non_null(tdb);
	for (i = 0; i < r.num; i++) {
		TDB_DATA k = { .dptr = r.keys[i], .dsize = r.key_lens[i] };
		TDB_DATA v = tdb_fetch(tdb, k);

		assert_non_null(v.dptr);
		assert_int_equal(v.dsize, r.val_lens[i]);
		assert_memory_equal(v.dptr, r.vals[i], v.dsize);
		free(v.dptr);
	}
	assert_int_equal(tdb_traverse_read(tdb, NULL, NULL), (int)r.num);
	tdb_close(tdb);
	talloc_free(tmp);
}

static void test_fss_state_read_missing_file(void **state)
{
	struct fixture *f = *state;
	struct rvss_fss_state *st = NULL;

	assert_int_equal(rvss_fss_state_read(f->mem, f->path, &st), -ENOENT);
	assert_null(st);
}

static void test_fss_state_read_empty_file(void **state)
{
	struct fixture *f = *state;
	struct rvss_fss_state *st = NULL;
	struct recs r = { .num = 0 };

	recs_write(f->path, &r);
	assert_int_equal(rvss_fss_state_read(f->mem, f->path, &st), 0);
	assert_int_equal(st->num_sets, 0);
	assert_int_equal(st->db_version, 0);
	assert_int_equal(st->sc_set_count, -1);
	talloc_free(st);
}

/* ------------------------------------------------------------ hand-made */

static void test_fss_state_decode_hand_records(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;

	hand_records(tmp, &r, 1, 1);
	assert_int_equal(decode(tmp, &r, &st), 0);
	assert_int_equal(st->num_sets, 1);
	assert_true(st->sets[0].consistent);
	assert_string_equal(st->sets[0].scs[0].sc_path, "/srv/vol/.snap/x");
	assert_int_equal(st->sets[0].scs[0].create_ts, 1700000000);
	assert_false(st->sets[0].scs[0].smaps[0].is_exposed);
	talloc_free(tmp);
}

/* Byte layout of one set record, written out by hand from the IDL. */
static void test_fss_state_set_record_layout(void **state)
{
	struct fixture *f = *state;
	static const uint8_t want[] = {
		'a', 'b', 'c', 0,	/* id_str "abc" + NUL: 4, no pad */
		3, 0, 0, 0,		/* state */
		0x10, 0, 0x40, 0,	/* context 0x00400010 */
		2, 0, 0, 0,		/* scs_count */
	};
	static const uint8_t want_pad[] = {
		'a', 'b', 0, 0,		/* "ab" + NUL, 1 pad byte */
		1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t *b = NULL;
	size_t len = 0;

	assert_int_equal(rvss_fss_ndr_push_set(f->mem, "abc", 3, 0x00400010,
					       2, &b, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(b, want, len);
	TALLOC_FREE(b);
	assert_int_equal(rvss_fss_ndr_push_set(f->mem, "ab", 1, 0, 0, &b,
					       &len), 0);
	assert_int_equal(len, sizeof(want_pad));
	assert_memory_equal(b, want_pad, len);
	TALLOC_FREE(b);
	assert_int_equal(rvss_fss_ndr_push_set(f->mem, NULL, 1, 0, 0, &b,
					       &len), -EINVAL);
	assert_null(b);
}

static void test_fss_state_count_mismatch_inconsistent(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;

	hand_records(tmp, &r, 2, 1);
	assert_int_equal(decode(tmp, &r, &st), 0);
	assert_false(st->sets[0].consistent);
	hand_records(tmp, &r, 1, 3);
	assert_int_equal(decode(tmp, &r, &st), 0);
	assert_false(st->sets[0].consistent);
	talloc_free(tmp);
}

/* Many sets through rvss_fss_state_write() and back, oldest first. */
static void test_fss_state_write_read_many(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state in = { .db_version = 0 };
	struct rvss_fss_state *out = NULL;
	const size_t nsets = 300;
	size_t i;
	size_t j;

	in.num_sets = nsets;
	in.sets = talloc_zero_array(tmp, struct rvss_fss_set, nsets);
	assert_non_null(in.sets);
	for (i = 0; i < nsets; i++) {
		struct rvss_fss_set *s = &in.sets[i];

		/* ids ascend while times descend: the order must follow time */
		s->id = talloc_asprintf(tmp, "%08zx-0000-4000-8000-000000000000",
					i);
		s->state = (int32_t)(i % 6);
		s->context = RVSS_FSS_CTX_FILE_SHARE_BACKUP;
		s->num_scs = 2;
		s->scs = talloc_zero_array(tmp, struct rvss_fss_sc, 2);
		assert_non_null(s->scs);
		for (j = 0; j < 2; j++) {
			struct rvss_fss_sc *sc = &s->scs[j];

			sc->id = talloc_asprintf(
				tmp, "%08zx-0000-4000-8000-00000000000%zu", i, j);
			sc->volume_name = talloc_asprintf(tmp, "/srv/v%zu", j);
			sc->sc_path = talloc_asprintf(tmp, "/srv/v%zu/s%zu", j,
						      i);
			sc->create_ts = (int64_t)(2000000000 - i * 10 + j);
			sc->num_smaps = 1;
			sc->smaps = talloc_zero(tmp, struct rvss_fss_smap);
			assert_non_null(sc->smaps);
			sc->smaps->share_name = talloc_asprintf(tmp, "v%zu", j);
			sc->smaps->sc_share_name = talloc_asprintf(
				tmp, "v%zu@{%s}", j, sc->id);
			sc->smaps->sc_share_comment = "";
		}
	}
	assert_int_equal(rvss_fss_state_write(f->path, &in), 0);
	assert_int_equal(rvss_fss_state_read(tmp, f->path, &out), 0);
	assert_int_equal(out->db_version, 1);
	assert_int_equal(out->sc_set_count, (int32_t)nsets);
	assert_int_equal(out->num_sets, nsets);
	for (i = 0; i < nsets; i++) {
		const struct rvss_fss_set *s = &out->sets[i];
		const struct rvss_fss_set *src = &in.sets[nsets - 1 - i];

		assert_string_equal(s->id, src->id);
		assert_int_equal(s->state, src->state);
		assert_true(s->consistent);
		assert_int_equal(s->num_scs, 2);
		assert_true(s->scs[0].create_ts < s->scs[1].create_ts);
		assert_string_equal(s->scs[1].sc_path, src->scs[1].sc_path);
		assert_string_equal(s->scs[1].smaps[0].sc_share_name,
				    src->scs[1].smaps[0].sc_share_name);
	}
	/* a NULL string is refused, and the file is left as it was */
	in.sets[7].scs[1].volume_name = NULL;
	assert_int_equal(rvss_fss_state_write(f->path, &in), -EINVAL);
	out = NULL;
	assert_int_equal(rvss_fss_state_read(tmp, f->path, &out), 0);
	assert_int_equal(out->num_sets, nsets);
	talloc_free(tmp);
}

/* ------------------------------------------------------------ malformed */

/* Every proper prefix of every real record value is refused. */
static void test_fss_state_truncated_records(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	size_t i;

	tdbdump_parse(tmp, real_two_sets_dump, &r);
	for (i = 0; i < r.num; i++) {
		size_t full = r.val_lens[i];
		size_t cut;

		for (cut = 0; cut < full; cut++) {
			/* a fresh, exactly-sized copy, so ASan sees overreads */
			uint8_t *copy = talloc_memdup(tmp, r.vals[i],
						      cut > 0 ? cut : 1);
			uint8_t *orig = r.vals[i];

			r.vals[i] = copy;
			r.val_lens[i] = cut;
			st = NULL;
			assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
			assert_null(st);
			r.vals[i] = orig;
			r.val_lens[i] = full;
			talloc_free(copy);
		}
	}
	talloc_free(tmp);
}

static void replace_val(TALLOC_CTX *mem, struct recs *r, const char *key,
			const void *val, size_t len)
{
	int idx = recs_find(r, key);

	assert_true(idx >= 0);
	r->vals[idx] = talloc_memdup(mem, val, len > 0 ? len : 1);
	r->val_lens[idx] = len;
}

#define HSET "sc_set/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
#define HSC HSET "/sc/11111111-2222-3333-4444-555555555555"

static void test_fss_state_string_without_nul(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	/* 16 bytes, the first string never ends */
	static const uint8_t v[16] = { '0', '1', '2', '3', '4', '5', '6', '7',
				       '8', '9', 'a', 'b', 'c', 'd', 'e', 'f' };

	hand_records(tmp, &r, 1, 1);
	replace_val(tmp, &r, HSET, v, sizeof(v));
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	hand_records(tmp, &r, 1, 1);
	replace_val(tmp, &r, HSC, v, sizeof(v));
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	talloc_free(tmp);
}

static void test_fss_state_bad_utf8(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	uint8_t *b = NULL;
	size_t len = 0;

	/* 0xc0 0xaf: an overlong '/' */
	hand_records(tmp, &r, 1, 1);
	assert_int_equal(rvss_fss_ndr_push_sc(tmp, "x", "/srv/vol",
					      "/srv/\xc0\xaf", 1, 1, &b,
					      &len), 0);
	replace_val(tmp, &r, HSC, b, len);
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	/* a multi-byte sequence cut by the end of the string */
	assert_int_equal(rvss_fss_ndr_push_sc(tmp, "x", "/srv/vol",
					      "/srv/\xe2\x82", 1, 1, &b, &len),
			 0);
	replace_val(tmp, &r, HSC, b, len);
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	/* a UTF-16 surrogate encoded in UTF-8 (CESU) */
	assert_int_equal(rvss_fss_ndr_push_sc(tmp, "x", "/srv/vol",
					      "/\xed\xa0\x80", 1, 1, &b, &len),
			 0);
	replace_val(tmp, &r, HSC, b, len);
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	/* valid UTF-8 passes */
	assert_int_equal(rvss_fss_ndr_push_sc(tmp, "x", "/srv/vol",
					      "/srv/\xc3\xa9t\xc3\xa9", 1, 1,
					      &b, &len), 0);
	replace_val(tmp, &r, HSC, b, len);
	assert_int_equal(decode(tmp, &r, &st), 0);
	assert_string_equal(st->sets[0].scs[0].sc_path,
			    "/srv/\xc3\xa9t\xc3\xa9");
	talloc_free(tmp);
}

/* A record whose end is not 4-aligned lacks the trailer padding. */
static void test_fss_state_unaligned_end(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	/* "ab\0" then the pad byte missing: the uint32 cannot be aligned */
	static const uint8_t v[] = { 'a', 'b', 0 };
	/* trailing bytes after a complete struct are ignored, as Samba */
	static const uint8_t longer[] = {
		'a', 'b', 'c', 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
		0xde, 0xad, 0xbe, 0xef,
	};

	hand_records(tmp, &r, 1, 1);
	replace_val(tmp, &r, HSET, v, sizeof(v));
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	replace_val(tmp, &r, HSET, longer, sizeof(longer));
	assert_int_equal(decode(tmp, &r, &st), 0);
	assert_int_equal(st->sets[0].state, RVSS_FSS_EXPOSED);
	talloc_free(tmp);
}

static void test_fss_state_bad_keys(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	const char *bad[] = {
		"sc_set/",
		"sc_set/not-a-guid",
		"sc_set/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f",
		"sc_set/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0x",
		HSET "/xx/11111111-2222-3333-4444-555555555555",
		HSET "/sc/1111",
		HSC "/smap/",
		HSC "/smap/a/b",
		HSC "/other",
	};
	size_t i;
	int idx;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hand_records(tmp, &r, 1, 1);
		idx = recs_find(&r, HSET);
		recs_add(tmp, &r, bad[i], r.vals[idx], r.val_lens[idx]);
		st = NULL;
		assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
		assert_null(st);
	}
	/* a key without its NUL */
	hand_records(tmp, &r, 1, 1);
	idx = recs_find(&r, HSET);
	r.key_lens[idx]--;
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	/* unrelated keys are ignored, as Samba does */
	hand_records(tmp, &r, 1, 1);
	recs_add(tmp, &r, "context", (const uint8_t *)"zz", 2);
	assert_int_equal(decode(tmp, &r, &st), 0);
	talloc_free(tmp);
}

static void test_fss_state_orphans(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	int idx;

	/* shadow copy without its set */
	hand_records(tmp, &r, 1, 1);
	idx = recs_find(&r, HSET);
	r.keys[idx] = (uint8_t *)talloc_strdup(
		tmp, "sc_set/99999999-2222-3333-4444-555555555555");
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	/* share mapping without its shadow copy */
	hand_records(tmp, &r, 1, 1);
	idx = recs_find(&r, HSC);
	r.keys[idx] = (uint8_t *)talloc_strdup(
		tmp, HSET "/sc/99999999-2222-3333-4444-555555555555");
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	talloc_free(tmp);
}

static void test_fss_state_version_records(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	static const uint8_t two[4] = { 2, 0, 0, 0 };
	static const uint8_t three_bytes[3] = { 1, 0, 0 };

	hand_records(tmp, &r, 1, 1);
	replace_val(tmp, &r, "db_version", two, 4);
	assert_int_equal(decode(tmp, &r, &st), -EPROTONOSUPPORT);
	hand_records(tmp, &r, 1, 1);
	replace_val(tmp, &r, "db_version", three_bytes, 3);
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	hand_records(tmp, &r, 1, 1);
	replace_val(tmp, &r, "sc_set_count", three_bytes, 3);
	assert_int_equal(decode(tmp, &r, &st), -EBADMSG);
	talloc_free(tmp);
}

/* Random damage to the real records: any result but a crash is fine. */
static void test_fss_state_random_corruption(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	unsigned seed = 12345;
	int round;
	int ok = 0;
	int bad = 0;

	tdbdump_parse(tmp, real_two_sets_dump, &r);
	for (round = 0; round < 3000; round++) {
		size_t i = (size_t)rand_r(&seed) % r.num;
		size_t len = r.val_lens[i];
		uint8_t *orig = r.vals[i];
		uint8_t *copy = talloc_memdup(tmp, orig, len);
		int flips = 1 + rand_r(&seed) % 4;
		int rc;

		while (flips-- > 0) {
			copy[(size_t)rand_r(&seed) % len] =
				(uint8_t)rand_r(&seed);
		}
		r.vals[i] = copy;
		st = NULL;
		rc = decode(tmp, &r, &st);
		assert_true(rc == 0 || rc == -EBADMSG ||
			    rc == -EPROTONOSUPPORT);
		if (rc == 0) {
			ok++;
			talloc_free(st);
		} else {
			bad++;
		}
		r.vals[i] = orig;
		talloc_free(copy);
	}
	/* both outcomes happen: the test exercises the checks */
	assert_true(ok > 0);
	assert_true(bad > 0);
	talloc_free(tmp);
}

/* ------------------------------------------------------------ repairs */

static void test_fss_state_remove_set(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct tdb_context *tdb = NULL;
	struct recs r;
	unsigned removed = 0;
	size_t i;

	tdbdump_parse(tmp, real_two_sets_dump, &r);
	recs_write(f->path, &r);
	/* upper case and braces are accepted */
	assert_int_equal(rvss_fss_state_remove_set(
				 f->path,
				 "{848F505C-D1A1-4CE1-AD45-577231769D74}",
				 &removed), 0);
	assert_int_equal(removed, 3); /* set, sc, smap */
	assert_int_equal(rvss_fss_state_read(tmp, f->path, &st), 0);
	assert_int_equal(st->num_sets, 1);
	assert_int_equal(st->sc_set_count, 1);
	assert_string_equal(st->sets[0].id, SET_EXPOSED);
	assert_true(st->sets[0].consistent);
	/* every record of the other set is byte-identical */
	tdb = tdb_open(f->path, 0, TDB_DEFAULT, O_RDONLY, 0);
	assert_non_null(tdb);
	for (i = 0; i < r.num; i++) {
		TDB_DATA k = { .dptr = r.keys[i], .dsize = r.key_lens[i] };
		TDB_DATA v = tdb_fetch(tdb, k);
		bool gone = strstr((const char *)r.keys[i],
				   SET_COMMITTED) != NULL;
		bool count = strcmp((const char *)r.keys[i],
				    "sc_set_count") == 0;

		if (gone) {
			assert_null(v.dptr);
			continue;
		}
		assert_non_null(v.dptr);
		if (!count) {
			assert_int_equal(v.dsize, r.val_lens[i]);
			assert_memory_equal(v.dptr, r.vals[i], v.dsize);
		}
		free(v.dptr);
	}
	tdb_close(tdb);
	/* again: nothing left of that set */
	assert_int_equal(rvss_fss_state_remove_set(f->path, SET_COMMITTED,
						   NULL), -ENOENT);
	talloc_free(tmp);
}

static void test_fss_state_remove_set_errors(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct recs r;

	assert_int_equal(rvss_fss_state_remove_set(f->path, SET_EXPOSED,
						   NULL), -ENOENT);
	assert_int_equal(access(f->path, F_OK), -1); /* not created */
	tdbdump_parse(tmp, real_two_sets_dump, &r);
	recs_write(f->path, &r);
	assert_int_equal(rvss_fss_state_remove_set(f->path, "", NULL),
			 -EINVAL);
	assert_int_equal(rvss_fss_state_remove_set(f->path, "848f505c",
						   NULL), -EINVAL);
	assert_int_equal(rvss_fss_state_remove_set(f->path, NULL, NULL),
			 -EINVAL);
	/* a key that merely begins with the id is not the set's */
	{
		struct tdb_context *tdb = tdb_open(f->path, 0, TDB_DEFAULT,
						   O_RDWR, 0);
		const char *junk = "sc_set/" SET_COMMITTED "x";
		TDB_DATA k = { .dptr = (uint8_t *)(uintptr_t)junk,
			       .dsize = strlen(junk) + 1 };
		TDB_DATA v = { .dptr = (uint8_t *)(uintptr_t)"j", .dsize = 1 };
		TDB_DATA back;

		assert_non_null(tdb);
		assert_int_equal(tdb_store(tdb, k, v, TDB_INSERT), 0);
		tdb_close(tdb);
		assert_int_equal(rvss_fss_state_remove_set(
					 f->path, SET_COMMITTED, NULL), 0);
		tdb = tdb_open(f->path, 0, TDB_DEFAULT, O_RDONLY, 0);
		assert_non_null(tdb);
		back = tdb_fetch(tdb, k);
		assert_non_null(back.dptr);
		free(back.dptr);
		tdb_close(tdb);
	}
	/* a prefix of a real id is not a match */
	assert_int_equal(rvss_fss_state_remove_set(
				 f->path, "848f505c-d1a1-4ce1-ad45-577231769d7f",
				 NULL), -ENOENT);
	talloc_free(tmp);
}

/* Records left below a vanished set record are removed with the set. */
static void test_fss_state_remove_set_orphans(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	unsigned removed = 0;
	int idx;

	tdbdump_parse(tmp, real_two_sets_dump, &r);
	idx = recs_find(&r, "sc_set/" SET_COMMITTED);
	assert_true(idx >= 0);
	/* drop the set record: its sc and smap become orphans */
	r.keys[idx] = r.keys[r.num - 1];
	r.key_lens[idx] = r.key_lens[r.num - 1];
	r.vals[idx] = r.vals[r.num - 1];
	r.val_lens[idx] = r.val_lens[r.num - 1];
	r.num--;
	recs_write(f->path, &r);
	assert_int_equal(rvss_fss_state_read(tmp, f->path, &st), -EBADMSG);
	assert_int_equal(rvss_fss_state_remove_set(f->path, SET_COMMITTED,
						   &removed), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(rvss_fss_state_read(tmp, f->path, &st), 0);
	assert_int_equal(st->num_sets, 1);
	assert_int_equal(st->sc_set_count, 1);
	talloc_free(tmp);
}

static void test_fss_state_set_state(void **state)
{
	struct fixture *f = *state;
	TALLOC_CTX *tmp = talloc_new(f->mem);
	struct rvss_fss_state *st = NULL;
	struct recs r;
	int32_t old = -1;

	tdbdump_parse(tmp, real_two_sets_dump, &r);
	recs_write(f->path, &r);
	assert_int_equal(rvss_fss_state_set_state(f->path, SET_COMMITTED,
						  RVSS_FSS_RECOVERED, &old),
			 0);
	assert_int_equal(old, RVSS_FSS_COMMITTED);
	assert_int_equal(rvss_fss_state_read(tmp, f->path, &st), 0);
	assert_int_equal(st->num_sets, 2);
	assert_int_equal(st->sets[1].state, RVSS_FSS_RECOVERED);
	assert_false(rvss_fss_set_blocks_new_sets(&st->sets[1]));
	/* everything else as before */
	assert_int_equal(st->sets[1].context, RVSS_FSS_CTX_APP_ROLLBACK);
	assert_int_equal(st->sets[1].scs_count, 1);
	assert_int_equal(st->sets[0].state, RVSS_FSS_EXPOSED);
	assert_int_equal(rvss_fss_state_set_state(f->path, SET_COMMITTED, 6,
						  NULL), -EINVAL);
	assert_int_equal(rvss_fss_state_set_state(f->path, SET_COMMITTED, -1,
						  NULL), -EINVAL);
	assert_int_equal(rvss_fss_state_set_state(
				 f->path, "11111111-2222-3333-4444-555555555555",
				 1, NULL), -ENOENT);
	talloc_free(tmp);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fss_state_names),
		cmocka_unit_test_setup_teardown(
			test_fss_state_read_real_recovered, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_read_real_two_sets, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_encode_matches_samba, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_write_matches_samba, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_read_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_read_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_decode_hand_records, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_write_read_many, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_set_record_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_count_mismatch_inconsistent, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_truncated_records, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_string_without_nul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fss_state_bad_utf8,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fss_state_unaligned_end,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fss_state_bad_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fss_state_orphans, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_version_records, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_random_corruption, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fss_state_remove_set,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_remove_set_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_fss_state_remove_set_orphans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fss_state_set_state,
						setup, teardown),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
