/*
 * libFuzzer target: the catalog record decoder (lib/catalog.c,
 * rvss_record_unpack()) on arbitrary bytes, i.e. a tdb value of rvss.tdb
 * written by anyone.
 *
 * It must return 0 or -EBADMSG (never crash, hang or leak); a record it
 * accepts has every string set (never NULL) and survives a round trip:
 * rvss_record_pack() then rvss_record_unpack() gives the same record, and
 * packing that again gives the same bytes.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL || strcmp(a, b) != 0) {
		abort();
	}
}

static void same_record(const struct rvss_record *a,
			const struct rvss_record *b)
{
	same_str(a->snapshot, b->snapshot);
	same_str(a->name, b->name);
	same_str(a->share, b->share);
	same_str(a->base_path, b->base_path);
	same_str(a->snap_path, b->snap_path);
	same_str(a->source, b->source);
	same_str(a->set_id, b->set_id);
	same_str(a->sc_id, b->sc_id);
	same_str(a->exposed_share, b->exposed_share);
	if (a->source_id != b->source_id || a->snapshot_id != b->snapshot_id ||
	    a->created != b->created || a->updated != b->updated ||
	    a->rw != b->rw || a->sealed != b->sealed || a->state != b->state ||
	    a->creator_pid != b->creator_pid ||
	    a->retain_count != b->retain_count ||
	    a->retain_age != b->retain_age || a->num_maps != b->num_maps ||
	    !rvss_record_equal(a, b)) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct rvss_record *rec = NULL;
	struct rvss_record *again = NULL;
	char *packed = NULL;
	char *repacked = NULL;
	int ret;

	ret = rvss_record_unpack(ctx, (const char *)data, size, &rec);
	if (ret != 0 && ret != -EBADMSG) {
		abort();
	}
	if (ret == 0) {
		(void)rvss_record_state_name(rec->state);
		packed = rvss_record_pack(ctx, rec);
		if (packed == NULL) {
			abort();
		}
		ret = rvss_record_unpack(ctx, packed, strlen(packed), &again);
		if (ret != 0) {
			abort();
		}
		same_record(rec, again);
		repacked = rvss_record_pack(ctx, again);
		if (repacked == NULL || strcmp(packed, repacked) != 0) {
			abort();
		}
	}
	talloc_free(ctx);
	return 0;
}
