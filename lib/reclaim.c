/*
 * rvss — reclaim, seal and retain rules (see reclaim.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "reclaim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "btrfs.h"
#include "nested.h"
#include "snapname.h"
#include "store.h"

/* Samba's RPC timer is not exact; leave it this much slack. */

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

/*
 * When the snapshot of a "created" record was made, by rvss's own clock:
 * the record's last change, which for a "created" record is the moment
 * it left "creating" (right after the snapshot) or later, never earlier.
 * Not the set's create_ts: Samba stamps that at AddToShadowCopySet, and a
 * requester may take minutes (Samba allows 1800 s) from Add to Commit.
 * The later of the record's times, so a moved name time never ages it.
 */
static time_t made_at(const struct rvss_record *r)
{
	return r->updated > r->created ? r->updated : r->created;
}

bool rvss_reclaim_state_trusted(const struct rvss_reclaim_policy *policy)
{
	return policy->fss_workers == 1;
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
	d->held = false;
	d->reason = "live";

	switch (r->state) {
	case RVSS_STATE_RETAINED:
		d->reason = "retained backup";
		if (r->retain_age != 0 && age > r->retain_age) {
			d->action = RVSS_ACTION_PRUNE;
			d->reason = "retained backup older than the retention age";
		} else if (r->retain_count != 0 &&
			   newer_retained(recs, n, r) >= r->retain_count) {
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
		if (age_of(p->now, r->updated) > p->grace && !rvss_reclaim_state_trusted(p)) {
			d->held = true;
			d->reason = "no shadow copy set in srv_fss.tdb refers to it, "
				    "but with rpcd_fsrvp:num_workers != 1 a worker "
				    "may hold its set: kept";
		} else if (age_of(p->now, r->updated) > p->grace) {
			d->action = RVSS_ACTION_RECLAIM;
			d->reason = "no FSRVP shadow copy set refers to it";
		} else {
			d->reason = "new; not yet in Samba's FSRVP state";
		}
		return;
	}
	/* A committed set that was never exposed is dead once Samba's
	 * message sequence timer has run out (client gone, abort after
	 * commit, or a set reloaded after a restart that nobody will finish).
	 * Samba's timer starts at Commit: count from when the snapshot was
	 * made, not from the set's time stamp (Add). */
	commit_limit = p->seq_timeout != 0 ? p->seq_timeout + p->timer_slack : p->grace;
	if (l->set_state < RVSS_FSS_EXPOSED) {
		if (age_of(p->now, made_at(r)) > commit_limit &&
		    !rvss_reclaim_state_trusted(p)) {
			d->held = true;
			d->reason = "srv_fss.tdb shows its set committed and never "
				    "exposed, but with rpcd_fsrvp:num_workers != 1 "
				    "that may be a worker's stale copy: kept";
		} else if (age_of(p->now, made_at(r)) > commit_limit) {
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

int rvss_reclaim_links(TALLOC_CTX *mem_ctx, struct rvss_record *const *recs,
		       size_t n, const struct rvss_fss_state *st,
		       struct rvss_fss_link **ret_links)
{
	struct rvss_fss_link *links;
	size_t i, s, c, m;

	links = talloc_zero_array(mem_ctx, struct rvss_fss_link, n > 0 ? n : 1);
	if (links == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		links[i].set_id = links[i].sc_id = links[i].exposed_share = "";
		for (s = 0; st != NULL && s < st->num_sets && !links[i].found; s++) {
			const struct rvss_fss_set *set = &st->sets[s];

			for (c = 0; c < set->num_scs; c++) {
				const struct rvss_fss_sc *sc = &set->scs[c];

				if (strcmp(sc->sc_path, recs[i]->snap_path) != 0) {
					continue;
				}
				links[i].found = true;
				links[i].set_state = set->state;
				links[i].context = set->context;
				links[i].create_ts = (time_t)sc->create_ts;
				links[i].set_id = set->id;
				links[i].sc_id = sc->id;
				for (m = 0; m < sc->num_smaps; m++) {
					if (sc->smaps[m].is_exposed) {
						links[i].exposed_share = sc->smaps[m].sc_share_name;
					}
				}
				break;
			}
		}
	}
	*ret_links = links;
	return 0;
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
	int fd = -1, ret;

	ret = rvss_store_open_recorded(NULL, rec, NULL, &fd, NULL, NULL);
	if (ret == 0) {
		/* every snapshot of a tree (nested.h) */
		ret = rvss_nested_set_read_only(fd, true, NULL);
		(void)close(fd);
	}
	return ret;
}

static int update_with(struct rvss_catalog *cat, const struct rvss_record *rec,
		       bool sealed, enum rvss_record_state state,
		       uint32_t retain_count, uint64_t retain_age)
{
	struct rvss_record upd = *rec;

	upd.retain_count = retain_count;
	upd.retain_age = retain_age;
	upd.sealed = sealed;
	upd.state = state;
	upd.updated = time(NULL);
	/* Only if nobody changed or removed it since it was read. */
	return rvss_catalog_replace(cat, rec, &upd);
}

int rvss_seal_record(struct rvss_catalog *cat, const struct rvss_record *rec)
{
	int ret = make_read_only(rec);

	if (ret != 0) {
		return ret;
	}
	return update_with(cat, rec, true, rec->state, rec->retain_count, rec->retain_age);
}

/*
 * A retained writable copy leaves <store>/.writable for the store itself,
 * where shadow_copy2 lists it as a Previous Version: under the first free
 * name at or after its own time.  btrfs refuses to rename a read-only
 * subvolume, and clearing the flag would reopen the copy to writes, so the
 * sealed copy is snapshotted (read-only) into the store and then deleted.
 */
static int move_into_store(struct rvss_catalog *cat, const struct rvss_record *rec,
			   uint32_t retain_count, uint64_t retain_age)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *store = NULL, *slash;
	uint64_t src_id = 0, new_id = 0;
	struct rvss_nested_sub *subs = NULL;
	size_t n_subs = 0;
	int wfd = -1, sfd = -1, srcfd = -1, newfd = -1, tries, ret = -EBUSY;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	store = talloc_strndup(tmp, rec->snapshot, strlen(rec->snapshot) - strlen(rec->name) - 1);
	slash = store != NULL ? strrchr(store, '/') : NULL;
	if (store == NULL || slash == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	*slash = '\0';
	/* The trusted .writable directory, the checked copy, and the store
	 * (its parent, trusted as well). */
	ret = rvss_store_open_recorded(tmp, rec, &wfd, &srcfd, &src_id, NULL);
	if (ret == 0) {
		sfd = openat(wfd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ret = sfd < 0 ? -errno : 0;
	}
	if (ret == 0) {
		ret = rvss_nested_find(tmp, srcfd, NULL, &subs, &n_subs, NULL);
	}
	if (ret != 0) {
		goto done;
	}
	for (tries = 0; tries < RVSS_SNAPNAME_MAX_TRIES; tries++) {
		char name[RVSS_SNAPNAME_LEN + 1];
		struct rvss_record upd = *rec;
		time_t t = rec->created + tries;

		if (rvss_snapname_format(t, name) != 0) {
			ret = -EINVAL;
			goto done;
		}
		upd.name = name;
		upd.snapshot = talloc_asprintf(tmp, "%s/%s", store, name);
		upd.snap_path = talloc_asprintf(tmp, "%s%s", upd.snapshot,
						rec->snap_path + strlen(rec->snapshot));
		if (upd.snapshot == NULL || upd.snap_path == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		upd.created = t;
		upd.updated = time(NULL);
		upd.state = RVSS_STATE_RETAINED;
		upd.sealed = true;
		upd.retain_count = retain_count;
		upd.retain_age = retain_age;
		ret = rvss_catalog_insert(cat, &upd);
		if (ret == -EEXIST) {
			continue;
		}
		if (ret != 0) {
			goto done;
		}
		/* the copy's nested snapshots too (nested.h) */
		ret = rvss_nested_snapshot(tmp, srcfd, sfd, name, true, subs,
					   n_subs, NULL);
		if (ret != 0) {
			(void)rvss_catalog_remove(cat, upd.snapshot);
			if (ret == -EEXIST) {
				continue;
			}
			goto done;
		}
		newfd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ret = newfd < 0 ? -errno : rvss_btrfs_subvolume_id_fd(newfd, &new_id);
		if (ret == 0) {
			upd.snapshot_id = new_id;
			ret = rvss_catalog_update(cat, &upd);
		}
		if (ret != 0) {
			/* Keep the original; drop the half-made copy. */
			if (newfd >= 0) {
				(void)rvss_nested_prepare_delete(newfd);
			}
			if ((new_id != 0 ? rvss_btrfs_delete_id(sfd, new_id)
					 : rvss_btrfs_delete(sfd, name)) == 0) {
				(void)rvss_catalog_remove(cat, upd.snapshot);
			}
			goto done;
		}
		/* The writable copy: by the id checked above. */
		(void)rvss_nested_prepare_delete(srcfd);
		close(srcfd);
		srcfd = -1;
		ret = rvss_btrfs_delete_id(wfd, src_id);
		if (ret == 0) {
			ret = rvss_catalog_remove(cat, rec->snapshot);
		}
		goto done;
	}
done:
	if (newfd >= 0) {
		(void)close(newfd);
	}
	if (srcfd >= 0) {
		(void)close(srcfd);
	}
	if (wfd >= 0) {
		(void)close(wfd);
	}
	if (sfd >= 0) {
		(void)close(sfd);
	}
	talloc_free(tmp);
	return ret;
}

static bool in_writable_dir(const struct rvss_record *rec)
{
	size_t n = strlen(rec->snapshot), m = strlen(rec->name);
	size_t w = strlen("/" RVSS_WRITABLE_SUBDIR "/");

	return n > m + w &&
	       strncmp(rec->snapshot + n - m - w, "/" RVSS_WRITABLE_SUBDIR "/", w) == 0;
}

int rvss_retain_record(struct rvss_catalog *cat, const struct rvss_record *rec,
		       uint32_t retain_count, uint64_t retain_age)
{
	int ret = make_read_only(rec);

	if (ret != 0) {
		return ret;
	}
	if (in_writable_dir(rec)) {
		return move_into_store(cat, rec, retain_count, retain_age);
	}
	return update_with(cat, rec, rec->sealed || rec->rw, RVSS_STATE_RETAINED,
			   retain_count, retain_age);
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
