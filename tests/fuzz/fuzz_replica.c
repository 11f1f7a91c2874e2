/*
 * libFuzzer target: the replica record decoder (lib/replica.c,
 * rvss_replica_unpack()) on arbitrary bytes, i.e. a "replica:" value of
 * rvss.tdb written by anyone.
 *
 * It must return 0 or -EBADMSG (never crash, hang or leak); a record it
 * accepts has the current version and every string set, and survives a
 * round trip: pack then unpack gives the same record, and packing that
 * again gives the same bytes.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "replica.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL || strcmp(a, b) != 0) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct rvss_replica *rep = NULL, *again = NULL;
	char *packed, *repacked;
	int ret;

	ret = rvss_replica_unpack(ctx, (const char *)data, size, &rep);
	if (ret != 0 && ret != -EBADMSG) {
		abort();
	}
	if (ret == 0) {
		if (rep->version != RVSS_REPLICA_VERSION) {
			abort();
		}
		packed = rvss_replica_pack(ctx, rep);
		if (packed == NULL ||
		    rvss_replica_unpack(ctx, packed, strlen(packed), &again) != 0) {
			abort();
		}
		same_str(rep->target, again->target);
		same_str(rep->share, again->share);
		same_str(rep->name, again->name);
		same_str(rep->uuid, again->uuid);
		same_str(rep->parent_uuid, again->parent_uuid);
		same_str(rep->path, again->path);
		same_str(rep->target_uuid, again->target_uuid);
		if (rep->snapshot_id != again->snapshot_id || rep->created != again->created ||
		    rep->sent != again->sent || rep->bytes != again->bytes) {
			abort();
		}
		repacked = rvss_replica_pack(ctx, again);
		if (repacked == NULL || strcmp(packed, repacked) != 0) {
			abort();
		}
	}
	talloc_free(ctx);
	return 0;
}
