/*
 * rvss — the catalog of snapshots rvss created (see catalog.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "catalog.h"
#include "kvtext.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <tdb.h>

struct rvss_catalog {
	struct tdb_context *tdb;
};

static const char *state_names[] = {
	[RVSS_STATE_CREATING] = "creating",
	[RVSS_STATE_CREATED] = "created",
	[RVSS_STATE_RETAINED] = "retained",
	[RVSS_STATE_DELETING] = "deleting",
};

const char *rvss_record_state_name(enum rvss_record_state state)
{
	if ((size_t)state >= sizeof(state_names) / sizeof(state_names[0])) {
		return "unknown";
	}
	return state_names[state];
}

static int state_from_name(const char *s, enum rvss_record_state *ret)
{
	size_t i;

	for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (strcmp(s, state_names[i]) == 0) {
			*ret = (enum rvss_record_state)i;
			return 0;
		}
	}
	return -EBADMSG;
}

static int catalog_destructor(struct rvss_catalog *cat)
{
	if (cat->tdb != NULL) {
		tdb_close(cat->tdb);
		cat->tdb = NULL;
	}
	return 0;
}

int rvss_catalog_open(TALLOC_CTX *mem_ctx, const char *path, bool create,
		      struct rvss_catalog **ret_cat)
{
	struct rvss_catalog *cat;
	int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);

	cat = talloc_zero(mem_ctx, struct rvss_catalog);
	if (cat == NULL) {
		return -ENOMEM;
	}
	errno = 0;
	cat->tdb = tdb_open(path, 0, TDB_DEFAULT, flags, 0600);
	if (cat->tdb == NULL) {
		int err = errno != 0 ? errno : EIO;
		talloc_free(cat);
		return -err;
	}
	talloc_set_destructor(cat, catalog_destructor);
	*ret_cat = cat;
	return 0;
}

/* Append "key=value\n", escaping backslash and newline in value. */
static char *put(char *buf, const char *key, const char *value)
{
	const char *p;

	buf = talloc_asprintf_append_buffer(buf, "%s=", key);
	for (p = value != NULL ? value : ""; buf != NULL && *p != '\0';) {
		size_t run = strcspn(p, "\\\n"); /* copied as it is, at once */

		if (run > 0) {
			buf = talloc_strndup_append_buffer(buf, p, run);
			p += run;
		} else {
			buf = talloc_strdup_append_buffer(buf, *p == '\\' ? "\\\\" : "\\n");
			p++;
		}
	}
	if (buf != NULL) {
		buf = talloc_strdup_append_buffer(buf, "\n");
	}
	return buf;
}

char *rvss_record_pack(TALLOC_CTX *mem_ctx, const struct rvss_record *rec)
{
	char num[32];
	char *buf = talloc_strdup(mem_ctx, "");
	size_t i;

	buf = put(buf, "snapshot", rec->snapshot);
	buf = put(buf, "name", rec->name);
	buf = put(buf, "share", rec->share);
	buf = put(buf, "base_path", rec->base_path);
	buf = put(buf, "snap_path", rec->snap_path);
	buf = put(buf, "source", rec->source);
	snprintf(num, sizeof(num), "%" PRIu64, rec->source_id);
	buf = put(buf, "source_id", num);
	snprintf(num, sizeof(num), "%" PRIu64, rec->snapshot_id);
	buf = put(buf, "snapshot_id", num);
	snprintf(num, sizeof(num), "%lld", (long long)rec->created);
	buf = put(buf, "created", num);
	snprintf(num, sizeof(num), "%lld", (long long)rec->updated);
	buf = put(buf, "updated", num);
	buf = put(buf, "rw", rec->rw ? "1" : "0");
	buf = put(buf, "sealed", rec->sealed ? "1" : "0");
	buf = put(buf, "state", rvss_record_state_name(rec->state));
	snprintf(num, sizeof(num), "%d", rec->creator_pid);
	buf = put(buf, "creator_pid", num);
	buf = put(buf, "set_id", rec->set_id);
	buf = put(buf, "sc_id", rec->sc_id);
	buf = put(buf, "exposed_share", rec->exposed_share);
	snprintf(num, sizeof(num), "%" PRIu32, rec->retain_count);
	buf = put(buf, "retain_count", num);
	snprintf(num, sizeof(num), "%" PRIu64, rec->retain_age);
	buf = put(buf, "retain_age", num);
	for (i = 0; i < rec->num_maps; i++) {
		buf = put(buf, "map_share", rec->maps[i].share);
		buf = put(buf, "map_base_path", rec->maps[i].base_path);
		buf = put(buf, "map_snap_path", rec->maps[i].snap_path);
	}
	return buf;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	return rvss_kv_parse_u64(s, ret);
}

static int parse_i64(const char *s, long long *ret)
{
	/* kvtext.h: digits after an optional '-' (strtoll's leading
	 * spaces and '+' are not a record's). */
	return rvss_kv_parse_i64(s, ret);
}

static int parse_bool(const char *s, bool *ret)
{
	if (strcmp(s, "0") == 0 || strcmp(s, "1") == 0) {
		*ret = s[0] == '1';
		return 0;
	}
	return -EBADMSG;
}

/*
 * A further mapping: "map_share" opens one, "map_base_path" and
 * "map_snap_path" (in that order) complete it.
 */
static int set_map_field(struct rvss_record *rec, const char *key, char ***ret_strp)
{
	struct rvss_mapping *last = rec->num_maps > 0 ? &rec->maps[rec->num_maps - 1] : NULL;

	if (strcmp(key, "map_share") == 0) {
		struct rvss_mapping *maps;

		if (last != NULL && last->snap_path == NULL) {
			return -EBADMSG; /* the previous one is incomplete */
		}
		maps = talloc_realloc(rec, rec->maps, struct rvss_mapping, rec->num_maps + 1);
		if (maps == NULL) {
			return -ENOMEM;
		}
		rec->maps = maps;
		last = &maps[rec->num_maps++];
		*last = (struct rvss_mapping) { .share = NULL };
		*ret_strp = &last->share;
		return 0;
	}
	if (last == NULL) {
		return -EBADMSG;
	}
	if (strcmp(key, "map_base_path") == 0 && last->share != NULL &&
	    last->base_path == NULL) {
		*ret_strp = &last->base_path;
		return 0;
	}
	if (strcmp(key, "map_snap_path") == 0 && last->base_path != NULL &&
	    last->snap_path == NULL) {
		*ret_strp = &last->snap_path;
		return 0;
	}
	return -EBADMSG;
}

/* Set one field from key/value; unknown keys are ignored. */
static int set_field(struct rvss_record *rec, const char *key, char *value)
{
	char **strp = NULL;
	long long i64;
	uint64_t u64;
	int ret = 0;

	if (strncmp(key, "map_", 4) == 0) {
		ret = set_map_field(rec, key, &strp);
	} else if (strcmp(key, "snapshot") == 0) {
		strp = &rec->snapshot;
	} else if (strcmp(key, "name") == 0) {
		strp = &rec->name;
	} else if (strcmp(key, "share") == 0) {
		strp = &rec->share;
	} else if (strcmp(key, "base_path") == 0) {
		strp = &rec->base_path;
	} else if (strcmp(key, "snap_path") == 0) {
		strp = &rec->snap_path;
	} else if (strcmp(key, "source") == 0) {
		strp = &rec->source;
	} else if (strcmp(key, "set_id") == 0) {
		strp = &rec->set_id;
	} else if (strcmp(key, "sc_id") == 0) {
		strp = &rec->sc_id;
	} else if (strcmp(key, "exposed_share") == 0) {
		strp = &rec->exposed_share;
	} else if (strcmp(key, "source_id") == 0) {
		ret = parse_u64(value, &u64);
		rec->source_id = u64;
	} else if (strcmp(key, "retain_count") == 0) {
		ret = parse_u64(value, &u64);
		if (ret == 0 && u64 > UINT32_MAX) {
			ret = -EBADMSG;
		}
		rec->retain_count = (uint32_t)u64;
	} else if (strcmp(key, "retain_age") == 0) {
		ret = parse_u64(value, &u64);
		rec->retain_age = u64;
	} else if (strcmp(key, "snapshot_id") == 0) {
		ret = parse_u64(value, &u64);
		rec->snapshot_id = u64;
	} else if (strcmp(key, "created") == 0) {
		ret = parse_i64(value, &i64);
		rec->created = (time_t)i64;
	} else if (strcmp(key, "updated") == 0) {
		ret = parse_i64(value, &i64);
		rec->updated = (time_t)i64;
	} else if (strcmp(key, "creator_pid") == 0) {
		ret = parse_i64(value, &i64);
		rec->creator_pid = (int)i64;
	} else if (strcmp(key, "rw") == 0) {
		ret = parse_bool(value, &rec->rw);
	} else if (strcmp(key, "sealed") == 0) {
		ret = parse_bool(value, &rec->sealed);
	} else if (strcmp(key, "state") == 0) {
		ret = state_from_name(value, &rec->state);
	}
	if (ret == 0 && strp != NULL) {
		*strp = talloc_strdup(rec, value);
		if (*strp == NULL) {
			return -ENOMEM;
		}
	}
	return ret;
}

int rvss_record_unpack(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
		       struct rvss_record **ret_rec)
{
	struct rvss_record *rec;
	size_t pos = 0;
	char *key = NULL, *val = NULL;
	int ret = 0;

	rec = talloc_zero(NULL, struct rvss_record);
	if (rec == NULL) {
		return -ENOMEM;
	}
	while (pos < len) {
		const char *eol = memchr(buf + pos, '\n', len - pos);
		const char *eq;
		size_t linelen, i, o;

		if (eol == NULL) {
			ret = -EBADMSG;
			goto done;
		}
		linelen = (size_t)(eol - (buf + pos));
		eq = memchr(buf + pos, '=', linelen);
		if (eq == NULL || eq == buf + pos) {
			ret = -EBADMSG;
			goto done;
		}
		key = talloc_strndup(rec, buf + pos, (size_t)(eq - (buf + pos)));
		val = talloc_size(rec, linelen + 1);
		if (key == NULL || val == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		for (i = (size_t)(eq - buf) + 1, o = 0; i < pos + linelen; i++) {
			char c = buf[i];

			if (c == '\0') {
				ret = -EBADMSG;
				goto done;
			}
			if (c == '\\') {
				if (i + 1 >= pos + linelen) {
					ret = -EBADMSG;
					goto done;
				}
				c = buf[++i];
				if (c == 'n') {
					c = '\n';
				} else if (c != '\\') {
					ret = -EBADMSG;
					goto done;
				}
			}
			val[o++] = c;
		}
		val[o] = '\0';
		ret = set_field(rec, key, val);
		if (ret != 0) {
			goto done;
		}
		TALLOC_FREE(key);
		TALLOC_FREE(val);
		pos += linelen + 1;
	}
	if (rec->snapshot == NULL || rec->snapshot[0] == '\0' ||
	    (rec->num_maps > 0 && rec->maps[rec->num_maps - 1].snap_path == NULL)) {
		ret = -EBADMSG;
		goto done;
	}
	/* Absent strings read as "" so callers never see NULL. */
#define EMPTY_IF_NULL(f) do { if (rec->f == NULL && (rec->f = talloc_strdup(rec, "")) == NULL) { ret = -ENOMEM; goto done; } } while (0)
	EMPTY_IF_NULL(name);
	EMPTY_IF_NULL(share);
	EMPTY_IF_NULL(base_path);
	EMPTY_IF_NULL(snap_path);
	EMPTY_IF_NULL(source);
	EMPTY_IF_NULL(set_id);
	EMPTY_IF_NULL(sc_id);
	EMPTY_IF_NULL(exposed_share);
#undef EMPTY_IF_NULL
	*ret_rec = talloc_steal(mem_ctx, rec);
	rec = NULL;
	ret = 0;
done:
	talloc_free(rec);
	return ret;
}

static TDB_DATA key_of(const char *snapshot)
{
	TDB_DATA k;

	/* tdb's key pointer is not const, but tdb never writes through it. */
	k.dptr = (unsigned char *)(uintptr_t)snapshot;
	k.dsize = strlen(snapshot) + 1;
	return k;
}

static int store(struct rvss_catalog *cat, const struct rvss_record *rec, int flag)
{
	TDB_DATA val;
	char *buf;
	int ret = 0;

	if (rec->snapshot == NULL || rec->snapshot[0] == '\0') {
		return -EINVAL;
	}
	buf = rvss_record_pack(NULL, rec);
	if (buf == NULL) {
		return -ENOMEM;
	}
	val.dptr = (unsigned char *)buf;
	val.dsize = strlen(buf);
	if (tdb_store(cat->tdb, key_of(rec->snapshot), val, flag) != 0) {
		enum TDB_ERROR err = tdb_error(cat->tdb);

		ret = err == TDB_ERR_EXISTS ? -EEXIST : err == TDB_ERR_NOEXIST ? -ENOENT : -EIO;
	}
	talloc_free(buf);
	return ret;
}

int rvss_catalog_insert(struct rvss_catalog *cat, const struct rvss_record *rec)
{
	return store(cat, rec, TDB_INSERT);
}

int rvss_catalog_update(struct rvss_catalog *cat, const struct rvss_record *rec)
{
	/* TDB_MODIFY: a missing record is TDB_ERR_NOEXIST, never created. */
	return store(cat, rec, TDB_MODIFY);
}

static bool str_equal(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

static bool maps_equal(const struct rvss_record *a, const struct rvss_record *b)
{
	size_t i;

	if (a->num_maps != b->num_maps) {
		return false;
	}
	for (i = 0; i < a->num_maps; i++) {
		if (!str_equal(a->maps[i].share, b->maps[i].share) ||
		    !str_equal(a->maps[i].base_path, b->maps[i].base_path) ||
		    !str_equal(a->maps[i].snap_path, b->maps[i].snap_path)) {
			return false;
		}
	}
	return true;
}

bool rvss_record_equal(const struct rvss_record *a, const struct rvss_record *b)
{
	return str_equal(a->snapshot, b->snapshot) && str_equal(a->name, b->name) &&
	       str_equal(a->share, b->share) && str_equal(a->base_path, b->base_path) &&
	       str_equal(a->snap_path, b->snap_path) && str_equal(a->source, b->source) &&
	       a->source_id == b->source_id && a->snapshot_id == b->snapshot_id &&
	       a->created == b->created && a->updated == b->updated &&
	       a->rw == b->rw && a->sealed == b->sealed && a->state == b->state &&
	       a->creator_pid == b->creator_pid && str_equal(a->set_id, b->set_id) &&
	       str_equal(a->sc_id, b->sc_id) &&
	       str_equal(a->exposed_share, b->exposed_share) &&
	       a->retain_count == b->retain_count && a->retain_age == b->retain_age &&
	       maps_equal(a, b);
}

/*
 * Under the record's chain lock: re-read it and compare with @expected,
 * then store @rec (or delete, when @rec is NULL).
 */
static int compare_and_act(struct rvss_catalog *cat, const struct rvss_record *expected,
			   const struct rvss_record *rec)
{
	struct rvss_record *cur = NULL;
	TDB_DATA key;
	int ret;

	if (expected == NULL || expected->snapshot == NULL || expected->snapshot[0] == '\0' ||
	    (rec != NULL && !str_equal(rec->snapshot, expected->snapshot))) {
		return -EINVAL;
	}
	key = key_of(expected->snapshot);
	if (tdb_chainlock(cat->tdb, key) != 0) {
		return -EIO;
	}
	ret = rvss_catalog_fetch(cat, NULL, expected->snapshot, &cur);
	if (ret != 0) {
		goto done;
	}
	if (!rvss_record_equal(cur, expected)) {
		ret = -ESTALE;
		goto done;
	}
	if (rec != NULL) {
		ret = rvss_catalog_update(cat, rec);
	} else {
		ret = rvss_catalog_remove(cat, expected->snapshot);
	}
done:
	(void)tdb_chainunlock(cat->tdb, key);
	talloc_free(cur);
	return ret;
}

int rvss_catalog_replace(struct rvss_catalog *cat, const struct rvss_record *expected,
			 const struct rvss_record *rec)
{
	if (rec == NULL) {
		return -EINVAL;
	}
	return compare_and_act(cat, expected, rec);
}

int rvss_catalog_remove_expected(struct rvss_catalog *cat,
				 const struct rvss_record *expected)
{
	return compare_and_act(cat, expected, NULL);
}

int rvss_catalog_fetch(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
		       const char *snapshot, struct rvss_record **ret_rec)
{
	TDB_DATA val;
	int ret;

	val = tdb_fetch(cat->tdb, key_of(snapshot));
	if (val.dptr == NULL) {
		return tdb_error(cat->tdb) == TDB_ERR_NOEXIST ? -ENOENT : -EIO;
	}
	ret = rvss_record_unpack(mem_ctx, (const char *)val.dptr, val.dsize, ret_rec);
	free(val.dptr);
	return ret;
}

int rvss_catalog_remove(struct rvss_catalog *cat, const char *snapshot)
{
	if (tdb_delete(cat->tdb, key_of(snapshot)) != 0) {
		return tdb_error(cat->tdb) == TDB_ERR_NOEXIST ? -ENOENT : -EIO;
	}
	return 0;
}

struct list_state {
	TALLOC_CTX *mem_ctx;
	struct rvss_record **recs;
	size_t count;
	int error;
};

static int list_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA val, void *priv)
{
	struct list_state *st = priv;
	struct rvss_record *rec = NULL;
	struct rvss_record **recs;

	if (key.dsize == 0 || key.dptr[0] != '/') {
		return 0; /* a record of another kind (see catalog.h) */
	}
	if (rvss_record_unpack(st->mem_ctx, (const char *)val.dptr, val.dsize, &rec) != 0) {
		return 0; /* corrupt: skip, the agent reports it separately */
	}
	recs = talloc_realloc(st->mem_ctx, st->recs, struct rvss_record *, st->count + 1);
	if (recs == NULL) {
		talloc_free(rec);
		st->error = -ENOMEM;
		return -1;
	}
	st->recs = recs;
	st->recs[st->count++] = talloc_steal(st->recs, rec);
	return 0;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rvss_record *ra = *(const struct rvss_record * const *)a;
	const struct rvss_record *rb = *(const struct rvss_record * const *)b;
	int c = strcmp(ra->source, rb->source);

	if (c != 0) {
		return c;
	}
	if (ra->created != rb->created) {
		return ra->created < rb->created ? -1 : 1;
	}
	return strcmp(ra->snapshot, rb->snapshot);
}

int rvss_catalog_list(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
		      struct rvss_record ***ret_recs, size_t *ret_count)
{
	struct list_state st = { .mem_ctx = NULL };
	TALLOC_CTX *tmp = talloc_new(NULL);

	if (tmp == NULL) {
		return -ENOMEM;
	}
	st.mem_ctx = tmp;
	st.recs = talloc_array(tmp, struct rvss_record *, 0);
	if (st.recs == NULL) {
		talloc_free(tmp);
		return -ENOMEM;
	}
	if (tdb_traverse_read(cat->tdb, list_one, &st) < 0 && st.error == 0) {
		st.error = -EIO;
	}
	if (st.error != 0) {
		talloc_free(tmp);
		return st.error;
	}
	qsort(st.recs, st.count, sizeof(st.recs[0]), cmp_rec);
	*ret_recs = talloc_steal(mem_ctx, st.recs);
	*ret_count = st.count;
	talloc_free(tmp);
	return 0;
}

bool rvss_record_maps_path(const struct rvss_record *rec, const char *snap_path)
{
	size_t i;

	if (strcmp(rec->snap_path, snap_path) == 0) {
		return true;
	}
	for (i = 0; i < rec->num_maps; i++) {
		if (strcmp(rec->maps[i].snap_path, snap_path) == 0) {
			return true;
		}
	}
	return false;
}

int rvss_catalog_find_snap_path(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
				const char *snap_path,
				struct rvss_record **ret_rec)
{
	struct rvss_record **recs = NULL;
	size_t n = 0, i;
	int ret;

	ret = rvss_catalog_list(cat, NULL, &recs, &n);
	if (ret != 0) {
		return ret;
	}
	ret = -ENOENT;
	for (i = 0; i < n; i++) {
		if (rvss_record_maps_path(recs[i], snap_path)) {
			*ret_rec = talloc_steal(mem_ctx, recs[i]);
			ret = 0;
			break;
		}
	}
	talloc_free(recs);
	return ret;
}

/* ---- records of other kinds (catalog.h, catalog_kinds) ---- */

static bool kind_key_ok(const char *key)
{
	return key != NULL && key[0] != '\0' && key[0] != '/';
}

int rvss_catalog_kind_fetch(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
			    const char *key, char **ret_value, size_t *ret_len)
{
	TDB_DATA val;
	char *copy;

	if (!kind_key_ok(key)) {
		return -EINVAL;
	}
	val = tdb_fetch(cat->tdb, key_of(key));
	if (val.dptr == NULL) {
		return tdb_error(cat->tdb) == TDB_ERR_NOEXIST ? -ENOENT : -EIO;
	}
	copy = talloc_size(mem_ctx, val.dsize + 1);
	if (copy == NULL) {
		free(val.dptr);
		return -ENOMEM;
	}
	memcpy(copy, val.dptr, val.dsize);
	copy[val.dsize] = '\0';
	*ret_value = copy;
	*ret_len = val.dsize;
	free(val.dptr);
	return 0;
}

int rvss_catalog_kind_replace(struct rvss_catalog *cat, const char *key,
			      const char *expected, const char *value)
{
	TDB_DATA k, cur, v;
	int ret = 0;

	if (!kind_key_ok(key) || (expected == NULL && value == NULL)) {
		return -EINVAL;
	}
	k = key_of(key);
	if (tdb_chainlock(cat->tdb, k) != 0) {
		return -EIO;
	}
	cur = tdb_fetch(cat->tdb, k);
	if (cur.dptr == NULL && tdb_error(cat->tdb) != TDB_ERR_NOEXIST) {
		ret = -EIO;
	} else if (cur.dptr == NULL && expected != NULL) {
		ret = -ENOENT;
	} else if (cur.dptr != NULL && expected == NULL) {
		ret = -EEXIST;
	} else if (cur.dptr != NULL &&
		   (cur.dsize != strlen(expected) ||
		    memcmp(cur.dptr, expected, cur.dsize) != 0)) {
		ret = -ESTALE;
	} else if (value == NULL) {
		ret = tdb_delete(cat->tdb, k) == 0 ? 0 : -EIO;
	} else {
		v.dptr = (unsigned char *)(uintptr_t)value;
		v.dsize = strlen(value);
		ret = tdb_store(cat->tdb, k, v, TDB_REPLACE) == 0 ? 0 : -EIO;
	}
	free(cur.dptr);
	(void)tdb_chainunlock(cat->tdb, k);
	return ret;
}

struct kind_list_state {
	const char *prefix;
	size_t prefix_len;
	char **values;
	size_t count;
	int error;
};

static int kind_list_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA val,
			 void *priv)
{
	struct kind_list_state *st = priv;
	char **values;
	char *copy;

	if (key.dsize < st->prefix_len ||
	    memcmp(key.dptr, st->prefix, st->prefix_len) != 0) {
		return 0;
	}
	values = talloc_realloc(NULL, st->values, char *, st->count + 1);
	if (values == NULL) {
		st->error = -ENOMEM;
		return -1;
	}
	st->values = values;
	copy = talloc_size(st->values, val.dsize + 1);
	if (copy == NULL) {
		st->error = -ENOMEM;
		return -1;
	}
	memcpy(copy, val.dptr, val.dsize);
	copy[val.dsize] = '\0';
	st->values[st->count++] = copy;
	return 0;
}

int rvss_catalog_kind_list(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
			   const char *prefix, char ***ret_values,
			   size_t *ret_count)
{
	struct kind_list_state st = { .prefix = prefix };

	if (!kind_key_ok(prefix)) {
		return -EINVAL;
	}
	st.prefix_len = strlen(prefix);
	st.values = talloc_array(NULL, char *, 0);
	if (st.values == NULL) {
		return -ENOMEM;
	}
	if (tdb_traverse_read(cat->tdb, kind_list_one, &st) < 0 && st.error == 0) {
		st.error = -EIO;
	}
	if (st.error != 0) {
		talloc_free(st.values);
		return st.error;
	}
	*ret_values = talloc_steal(mem_ctx, st.values);
	*ret_count = st.count;
	return 0;
}
