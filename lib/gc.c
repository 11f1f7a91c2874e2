/*
 * rvss — one reclaim pass (see gc.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "gc.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "fss_state.h"

static bool process_alive(int pid)
{
	if (pid <= 0) {
		return false;
	}
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* A set whose every shadow copy is gone from disk (or never had one). */
static bool snapshots_gone(const struct rvss_fss_set *set)
{
	size_t c;

	for (c = 0; c < set->num_scs; c++) {
		struct stat st;
		const char *p = set->scs[c].sc_path;

		if (p[0] != '\0' && (lstat(p, &st) == 0 || errno != ENOENT)) {
			return false;
		}
	}
	return true;
}

static bool linked(const struct rvss_gc_item *items, size_t n, const char *set_id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (items[i].link.found && strcasecmp(items[i].link.set_id, set_id) == 0) {
			return true;
		}
	}
	return false;
}

static int dead_sets(TALLOC_CTX *mem_ctx, const struct rvss_gc_args *args,
		     const struct rvss_fss_state *st,
		     const struct rvss_gc_item *items, size_t n_items,
		     struct rvss_gc_dead_set **ret, size_t *ret_count)
{
	struct rvss_gc_dead_set *dead;
	uint64_t limit = args->policy.seq_timeout != 0 ? args->policy.seq_timeout +
						       args->policy.timer_slack
						       : args->policy.grace;
	size_t s, c, n = 0;

	dead = talloc_zero_array(mem_ctx, struct rvss_gc_dead_set,
				 st != NULL && st->num_sets > 0 ? st->num_sets : 1);
	if (dead == NULL) {
		return -ENOMEM;
	}
	for (s = 0; st != NULL && s < st->num_sets; s++) {
		const struct rvss_fss_set *set = &st->sets[s];
		bool old = set->num_scs > 0;

		if (!rvss_fss_set_blocks_new_sets(set) || linked(items, n_items, set->id)) {
			continue;
		}
		for (c = 0; c < set->num_scs; c++) {
			if (set->scs[c].create_ts + (int64_t)limit >= (int64_t)args->policy.now) {
				old = false;
			}
		}
		if (!old || !snapshots_gone(set)) {
			continue;
		}
		dead[n].set_id = talloc_strdup(dead, set->id);
		dead[n].state = rvss_fss_state_name(set->state);
		if (dead[n].set_id == NULL) {
			return -ENOMEM;
		}
		if (args->repair_fss && !args->dry_run) {
			dead[n].result = rvss_fss_state_remove_set(args->fss_state_path,
								   set->id, NULL);
			dead[n].repaired = dead[n].result == 0;
		}
		n++;
	}
	*ret = dead;
	*ret_count = n;
	return 0;
}

int rvss_gc_run(TALLOC_CTX *mem_ctx, const struct rvss_gc_args *args,
		struct rvss_gc_item **ret_items, size_t *ret_count,
		struct rvss_gc_dead_set **ret_dead, size_t *ret_dead_count)
{
	struct rvss_gc_dead_set *dead = NULL;
	size_t n_dead = 0;
	TALLOC_CTX *tmp = talloc_new(NULL);
	struct rvss_catalog *cat = NULL;
	struct rvss_fss_state *st = NULL;
	struct rvss_record **all = NULL, **recs = NULL;
	struct rvss_fss_link *links = NULL;
	struct rvss_decision *ds = NULL;
	struct rvss_gc_item *items = NULL;
	bool *alive = NULL;
	size_t n_all = 0, n = 0, i;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = rvss_catalog_open(tmp, args->catalog_path, false, &cat);
	if (ret != 0) {
		goto done;
	}
	ret = rvss_fss_state_read_whole(tmp, args->fss_state_path, RVSS_FSS_READ_TRIES,
					RVSS_FSS_READ_WAIT_MS, &st);
	if (ret == -ENOENT) {
		st = NULL; /* Samba never stored a set: no set is alive there */
	} else if ((ret == -EAGAIN || ret == -EIO) && args->fss_writer_gone) {
		/* left by a killed store; Samba loads it as no sets (gc.h) */
		st = NULL;
		if (args->fss_read_as_empty != NULL) {
			*args->fss_read_as_empty = true;
		}
	} else if (ret != 0) {
		goto done;
	}
	ret = rvss_catalog_list(cat, tmp, &all, &n_all);
	if (ret != 0) {
		goto done;
	}
	recs = talloc_array(tmp, struct rvss_record *, n_all > 0 ? n_all : 1);
	alive = talloc_zero_array(tmp, bool, n_all > 0 ? n_all : 1);
	if (recs == NULL || alive == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	for (i = 0; i < n_all; i++) {
		if (args->source != NULL && strcmp(all[i]->source, args->source) != 0) {
			continue;
		}
		alive[n] = process_alive(all[i]->creator_pid);
		recs[n++] = all[i];
	}
	ret = rvss_reclaim_links(tmp, recs, n, st, &links);
	if (ret == 0) {
		ret = rvss_reclaim_plan(tmp, recs, links, alive, n, &args->policy, &ds);
	}
	if (ret != 0) {
		goto done;
	}
	items = talloc_zero_array(tmp, struct rvss_gc_item, n > 0 ? n : 1);
	if (items == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		struct rvss_gc_item *it = &items[i];

		it->rec = talloc_steal(items, recs[i]);
		it->link = links[i];
		it->link.set_id = talloc_strdup(items, links[i].set_id);
		it->link.sc_id = talloc_strdup(items, links[i].sc_id);
		it->link.exposed_share = talloc_strdup(items, links[i].exposed_share);
		it->action = ds[i].action;
		it->repair_set = ds[i].repair_set;
		it->held = ds[i].held;
		it->reason = ds[i].reason;
		if (args->dry_run || it->action == RVSS_ACTION_KEEP) {
			continue;
		}
		it->result = rvss_reclaim_apply(items, cat, &ds[i], &it->error);
		if (it->result == -ESTALE) {
			/* Another process acted on the record since it was
			 * listed: this pass's plan for it is void. */
			it->action = RVSS_ACTION_KEEP;
			it->result = 0;
			it->repair_set = false;
			it->reason = "its record changed during this pass; left for "
				     "the next one";
			continue;
		}
		if (it->result == 0 && it->repair_set && args->repair_fss &&
		    it->link.found) {
			int r = rvss_fss_state_remove_set(args->fss_state_path,
							  it->link.set_id, NULL);
			it->repaired = (r == 0);
			if (r != 0 && r != -ENOENT) {
				it->result = r;
				it->error = talloc_asprintf(items,
					"snapshot reclaimed, but removing set %s from %s "
					"failed: %s", it->link.set_id,
					args->fss_state_path, strerror(-r));
			}
		}
	}
	if (ret_dead != NULL) {
		/* After the records: their snapshots are gone by now. */
		ret = dead_sets(tmp, args, st, items, n, &dead, &n_dead);
		if (ret != 0) {
			goto done;
		}
		*ret_dead = talloc_steal(mem_ctx, dead);
		*ret_dead_count = n_dead;
	}
	*ret_items = talloc_steal(mem_ctx, items);
	*ret_count = n;
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}
