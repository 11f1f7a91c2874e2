/*
 * rvss — replica records and the choice of a send's parent (replica.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "replica.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvtext.h"

char *rvss_replica_key(TALLOC_CTX *mem_ctx, const char *target, const char *uuid)
{
	return talloc_asprintf(mem_ctx, RVSS_REPLICA_KEY_PREFIX "%s:%s", uuid, target);
}

char *rvss_replica_pack(TALLOC_CTX *mem_ctx, const struct rvss_replica *rep)
{
	char num[32];
	char *buf = talloc_strdup(mem_ctx, "");

	snprintf(num, sizeof(num), "%" PRIu32, rep->version);
	buf = rvss_kv_put(buf, "version", num);
	buf = rvss_kv_put(buf, "target", rep->target);
	buf = rvss_kv_put(buf, "share", rep->share);
	buf = rvss_kv_put(buf, "name", rep->name);
	buf = rvss_kv_put(buf, "uuid", rep->uuid);
	buf = rvss_kv_put(buf, "parent_uuid", rep->parent_uuid);
	buf = rvss_kv_put(buf, "path", rep->path);
	buf = rvss_kv_put(buf, "target_uuid", rep->target_uuid);
	snprintf(num, sizeof(num), "%" PRIu64, rep->snapshot_id);
	buf = rvss_kv_put(buf, "snapshot_id", num);
	snprintf(num, sizeof(num), "%lld", (long long)rep->created);
	buf = rvss_kv_put(buf, "created", num);
	snprintf(num, sizeof(num), "%lld", (long long)rep->sent);
	buf = rvss_kv_put(buf, "sent", num);
	snprintf(num, sizeof(num), "%" PRIu64, rep->bytes);
	buf = rvss_kv_put(buf, "bytes", num);
	return buf;
}

static int parse_time(const char *s, time_t *ret)
{
	long long v = 0;
	int ret_parse = rvss_kv_parse_i64(s, &v);

	*ret = (time_t)v;
	return ret_parse;
}

static int set_field(struct rvss_replica *rep, const char *key, const char *value)
{
	char **strp = NULL;
	uint64_t u = 0;
	int ret = 0;

	if (strcmp(key, "version") == 0) {
		ret = rvss_kv_parse_u64(value, &u);
		if (ret == 0 && u > UINT32_MAX) {
			ret = -EBADMSG;
		}
		rep->version = (uint32_t)u;
	} else if (strcmp(key, "target") == 0) {
		strp = &rep->target;
	} else if (strcmp(key, "share") == 0) {
		strp = &rep->share;
	} else if (strcmp(key, "name") == 0) {
		strp = &rep->name;
	} else if (strcmp(key, "uuid") == 0) {
		strp = &rep->uuid;
	} else if (strcmp(key, "parent_uuid") == 0) {
		strp = &rep->parent_uuid;
	} else if (strcmp(key, "path") == 0) {
		strp = &rep->path;
	} else if (strcmp(key, "target_uuid") == 0) {
		strp = &rep->target_uuid;
	} else if (strcmp(key, "snapshot_id") == 0) {
		ret = rvss_kv_parse_u64(value, &u);
		rep->snapshot_id = u;
	} else if (strcmp(key, "bytes") == 0) {
		ret = rvss_kv_parse_u64(value, &u);
		rep->bytes = u;
	} else if (strcmp(key, "created") == 0) {
		ret = parse_time(value, &rep->created);
	} else if (strcmp(key, "sent") == 0) {
		ret = parse_time(value, &rep->sent);
	}
	if (ret == 0 && strp != NULL) {
		talloc_free(*strp); /* a repeated key: the last one counts */
		*strp = talloc_strdup(rep, value);
		if (*strp == NULL) {
			ret = -ENOMEM;
		}
	}
	return ret;
}

static int set_field_cb(void *priv, const char *key, char *value)
{
	return set_field(priv, key, value);
}

int rvss_replica_unpack(TALLOC_CTX *mem_ctx, const char *buf, size_t len,
			struct rvss_replica **ret_rep)
{
	struct rvss_replica *rep;
	int ret;

	rep = talloc_zero(NULL, struct rvss_replica);
	if (rep == NULL) {
		return -ENOMEM;
	}
	ret = rvss_kv_each(rep, buf, len, set_field_cb, rep);
	if (ret != 0) {
		goto done;
	}
	ret = -EBADMSG;
	if (rep->version != RVSS_REPLICA_VERSION || rep->target == NULL ||
	    rep->target[0] == '\0' || rep->uuid == NULL || rep->uuid[0] == '\0' ||
	    rep->share == NULL || rep->name == NULL) {
		goto done;
	}
#define EMPTY_IF_NULL(f) \
	do { \
		if (rep->f == NULL && (rep->f = talloc_strdup(rep, "")) == NULL) { \
			ret = -ENOMEM; \
			goto done; \
		} \
	} while (0)
	EMPTY_IF_NULL(parent_uuid);
	EMPTY_IF_NULL(path);
	EMPTY_IF_NULL(target_uuid);
#undef EMPTY_IF_NULL
	*ret_rep = talloc_steal(mem_ctx, rep);
	rep = NULL;
	ret = 0;
done:
	talloc_free(rep);
	return ret;
}

static int cmp_rep(const void *a, const void *b)
{
	const struct rvss_replica *ra = *(const struct rvss_replica * const *)a;
	const struct rvss_replica *rb = *(const struct rvss_replica * const *)b;
	int c = strcmp(ra->share, rb->share);

	if (c != 0) {
		return c;
	}
	if (ra->created != rb->created) {
		return ra->created < rb->created ? -1 : 1;
	}
	c = strcmp(ra->name, rb->name);
	return c != 0 ? c : strcmp(ra->target, rb->target);
}

int rvss_replica_list(struct rvss_catalog *cat, TALLOC_CTX *mem_ctx,
		      const char *target, const char *share,
		      struct rvss_replica ***ret_reps, size_t *ret_count,
		      size_t *ret_bad)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_replica **reps = NULL;
	char **values = NULL;
	size_t n = 0, i, count = 0, bad = 0;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = rvss_catalog_kind_list(cat, tmp, RVSS_REPLICA_KEY_PREFIX, &values, &n);
	if (ret != 0) {
		goto done;
	}
	reps = talloc_array(tmp, struct rvss_replica *, n);
	if (reps == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		struct rvss_replica *rep = NULL;

		ret = rvss_replica_unpack(reps, values[i], strlen(values[i]), &rep);
		if (ret == -ENOMEM) {
			goto done;
		}
		if (ret != 0) {
			bad++;
			continue;
		}
		if ((target != NULL && strcmp(rep->target, target) != 0) ||
		    (share != NULL && strcmp(rep->share, share) != 0)) {
			talloc_free(rep);
			continue;
		}
		reps[count++] = rep;
	}
	qsort(reps, count, sizeof(reps[0]), cmp_rep);
	*ret_reps = talloc_steal(mem_ctx, reps);
	*ret_count = count;
	if (ret_bad != NULL) {
		*ret_bad = bad;
	}
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}

int rvss_replica_record(struct rvss_catalog *cat, const struct rvss_replica *old,
			const struct rvss_replica *rep)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *key, *value, *expected = NULL;
	int ret = -ENOMEM;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	if (old != NULL && (strcmp(old->target, rep->target) != 0 ||
			    strcmp(old->uuid, rep->uuid) != 0)) {
		ret = -EINVAL;
		goto done;
	}
	key = rvss_replica_key(tmp, rep->target, rep->uuid);
	value = rvss_replica_pack(tmp, rep);
	if (old != NULL) {
		expected = rvss_replica_pack(tmp, old);
		if (expected == NULL) {
			goto done;
		}
	}
	if (key == NULL || value == NULL) {
		goto done;
	}
	ret = rvss_catalog_kind_replace(cat, key, expected, value);
done:
	talloc_free(tmp);
	return ret;
}

int rvss_replica_forget(struct rvss_catalog *cat, const struct rvss_replica *rep)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *key, *expected;
	int ret = -ENOMEM;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	key = rvss_replica_key(tmp, rep->target, rep->uuid);
	expected = rvss_replica_pack(tmp, rep);
	if (key != NULL && expected != NULL) {
		ret = rvss_catalog_kind_replace(cat, key, expected, NULL);
	}
	talloc_free(tmp);
	return ret;
}

ssize_t rvss_replica_parent(const struct rvss_replica_item *items, size_t n,
			    size_t i)
{
	ssize_t best = -1;
	size_t j;

	for (j = 0; j < n; j++) {
		if (j == i || !items[j].local || !items[j].held) {
			continue;
		}
		if (items[j].created <= items[i].created) {
			/* older: the newest of them */
			if (best < 0 || items[best].created > items[i].created ||
			    items[j].created >= items[best].created) {
				best = (ssize_t)j;
			}
		} else if (best < 0 ||
			   (items[best].created > items[i].created &&
			    items[j].created < items[best].created)) {
			/* newer, only while no older one is found: the oldest */
			best = (ssize_t)j;
		}
	}
	return best;
}
