/*
 * rvss — reclaim, seal and retain rules (see reclaim.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "reclaim.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "btrfs.h"
#include "snapshot.h"

/* Samba's RPC timer is not exact; leave it this much slack. */
#define TIMER_SLACK 30

static const char *action_names[] = {
	[RVSS_ACTION_KEEP] = "keep",
	[RVSS_ACTION_SEAL] = "seal",
	[RVSS_ACTION_RECLAIM] = "reclaim",
	[RVSS_ACTION_PRUNE] = "prune",
};

const char *rvss_action_name(enum rvss_action action)
{
	if ((size_t)action >= sizeof(action_names) / sizeof(action_names[0])) {
		return "unknown";
	}
	return action_names[action];
}

static uint64_t age_of(time_t now, time_t t)
{
	return now > t ? (uint64_t)(now - t) : 0;
}

/* Newer retained snapshots of the same source subvolume. */
static size_t newer_retained(struct rvss_record *const *recs, size_t n,
			     const struct rvss_record *rec)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		const struct rvss_record *o = recs[i];

		if (o == rec || o->state != RVSS_STATE_RETAINED ||
		    strcmp(o->source, rec->source) != 0) {
			continue;
		}
		if (o->created > rec->created ||
		    (o->created == rec->created && strcmp(o->snapshot, rec->snapshot) > 0)) {
			count++;
		}
	}
	return count;
}

static void decide(struct rvss_decision *d, struct rvss_record *const *recs,
		   size_t n, const struct rvss_fss_link *l, bool alive,
		   const struct rvss_reclaim_policy *p)
{
	const struct rvss_record *r = d->rec;
	uint64_t age = age_of(p->now, r->created);
	uint64_t commit_limit;

	d->action = RVSS_ACTION_KEEP;
	d->repair_set = false;
	d->reason = "live";

	switch (r->state) {
	case RVSS_STATE_RETAINED:
		d->reason = "retained backup";
		if (p->retain_age != 0 && age > p->retain_age) {
			d->action = RVSS_ACTION_PRUNE;
			d->reason = "retained backup older than the retention age";
		} else if (p->retain_count != 0 &&
			   newer_retained(recs, n, r) >= p->retain_count) {
			d->action = RVSS_ACTION_PRUNE;
			d->reason = "retained backup beyond the retention count";
		}
		return;
	case RVSS_STATE_DELETING:
		d->action = RVSS_ACTION_RECLAIM;
		d->reason = "deletion was interrupted";
		return;
	case RVSS_STATE_CREATING:
		if (!alive || age_of(p->now, r->updated) > p->grace) {
			d->action = RVSS_ACTION_RECLAIM;
			d->reason = "creation was interrupted";
		} else {
			d->reason = "being created";
		}
		return;
	case RVSS_STATE_CREATED:
		break;
	}

	if (!l->found) {
		if (age_of(p->now, r->updated) > p->grace) {
			d->action = RVSS_ACTION_RECLAIM;
			d->reason = "no FSRVP shadow copy set refers to it";
		} else {
			d->reason = "new; not yet in Samba's FSRVP state";
		}
		return;
	}
	/* A committed set that was never exposed is dead once Samba's
	 * message sequence timer has run out (client gone, abort after
	 * commit, or a set reloaded after a restart that nobody will finish). */
	commit_limit = p->seq_timeout != 0 ? p->seq_timeout + TIMER_SLACK : p->grace;
	if (l->set_state < RVSS_FSS_EXPOSED) {
		if (age_of(p->now, l->create_ts) > commit_limit) {
			d->action = RVSS_ACTION_RECLAIM;
			d->repair_set = true;
			d->reason = "shadow copy set committed but never exposed "
				    "(message sequence timer expired or aborted)";
		} else {
			d->reason = "committed; waiting for expose";
		}
		return;
	}
	if (p->expose_max_age != 0 && age_of(p->now, l->create_ts) > p->expose_max_age) {
		d->action = RVSS_ACTION_RECLAIM;
		d->repair_set = true;
		d->reason = "exposed shadow copy set never deleted (older than "
			    "rvss:expose max age)";
		return;
	}
	if (l->set_state == RVSS_FSS_RECOVERED && r->rw && !r->sealed) {
		d->action = RVSS_ACTION_SEAL;
		d->reason = "recovery complete: seal read-only";
		return;
	}
	d->reason = l->set_state == RVSS_FSS_RECOVERED ? "recovered; awaiting delete"
						       : "exposed";
}

int rvss_reclaim_plan(TALLOC_CTX *mem_ctx, struct rvss_record *const *recs,
		      const struct rvss_fss_link *links, const bool *creator_alive,
		      size_t n, const struct rvss_reclaim_policy *policy,
		      struct rvss_decision **ret_decisions)
{
	struct rvss_decision *ds;
	size_t i;

	if ((n > 0 && (recs == NULL || links == NULL || creator_alive == NULL)) ||
	    policy == NULL) {
		return -EINVAL;
	}
	ds = talloc_zero_array(mem_ctx, struct rvss_decision, n > 0 ? n : 1);
	if (ds == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ds[i].rec = recs[i];
		decide(&ds[i], recs, n, &links[i], creator_alive[i], policy);
	}
	*ret_decisions = ds;
	return 0;
}

/* Set the read-only flag of the snapshot subvolume of @rec. */
static int make_read_only(const struct rvss_record *rec)
{
	int fd, ret;
	uint64_t id = 0;

	fd = open(rec->snapshot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	ret = rvss_btrfs_subvolume_id_fd(fd, &id);
	if (ret == 0 && id != rec->snapshot_id) {
		ret = -EPERM; /* not the subvolume we recorded */
	}
	if (ret == 0) {
		ret = rvss_btrfs_set_read_only(fd, true);
	}
	(void)close(fd);
	return ret;
}

static int update_with(struct rvss_catalog *cat, const struct rvss_record *rec,
		       bool sealed, enum rvss_record_state state)
{
	struct rvss_record upd = *rec;

	upd.sealed = sealed;
	upd.state = state;
	upd.updated = time(NULL);
	return rvss_catalog_update(cat, &upd);
}

int rvss_seal_record(struct rvss_catalog *cat, const struct rvss_record *rec)
{
	int ret = make_read_only(rec);

	if (ret != 0) {
		return ret;
	}
	return update_with(cat, rec, true, rec->state);
}

int rvss_retain_record(struct rvss_catalog *cat, const struct rvss_record *rec)
{
	int ret = make_read_only(rec);

	if (ret != 0) {
		return ret;
	}
	return update_with(cat, rec, rec->sealed || rec->rw, RVSS_STATE_RETAINED);
}

int rvss_reclaim_apply(TALLOC_CTX *mem_ctx, struct rvss_catalog *cat,
		       const struct rvss_decision *d, char **ret_reason)
{
	switch (d->action) {
	case RVSS_ACTION_KEEP:
		return 0;
	case RVSS_ACTION_SEAL:
		return rvss_seal_record(cat, d->rec);
	case RVSS_ACTION_RECLAIM:
	case RVSS_ACTION_PRUNE:
		return rvss_snap_destroy_record(mem_ctx, cat, d->rec, ret_reason);
	}
	return -EINVAL;
}
