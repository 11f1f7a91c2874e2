/*
 * fsrvp_agent list — every snapshot rvss created, with what Samba's FSRVP
 * state says of it.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "catalog.h"
#include "commands.h"
#include "fss_state.h"
#include "jsonout.h"
#include "reclaim.h"
#include "sharemap.h"
#include "state.h"

static void list_usage(FILE *f)
{
	fprintf(f,
		"usage: fsrvp_agent list [-s smb.conf] [--json] [--catalog FILE] [--fss-state FILE]\n"
		"\n"
		"Every snapshot rvss created: share, time, read-only or writable, rvss's\n"
		"state, the FSRVP state of its shadow copy set, the exposed share, and\n"
		"whether it is kept as a backup (rvss:retain).  SHARE+N: N more shares\n"
		"of the same set map into the same snapshot.\n");
}

static const char *fsrvp_state(const struct rvss_fss_link *l)
{
	return l->found ? rvss_fss_state_name(l->set_state) : "none";
}

static void print_json(struct rvss_record **recs, const struct rvss_fss_link *links,
		       size_t n)
{
	size_t i;

	fputs("[", stdout);
	for (i = 0; i < n; i++) {
		const struct rvss_record *r = recs[i];
		const struct rvss_fss_link *l = &links[i];

		fputs(i > 0 ? ",\n {" : "\n {", stdout);
		agent_json_member(stdout, "snapshot", r->snapshot);
		fputs(", ", stdout);
		agent_json_member(stdout, "name", r->name);
		fputs(", ", stdout);
		agent_json_member(stdout, "share", r->share);
		fputs(", ", stdout);
		agent_json_member(stdout, "base_path", r->base_path);
		fputs(", ", stdout);
		agent_json_member(stdout, "snap_path", r->snap_path);
		fputs(", ", stdout);
		agent_json_member(stdout, "source", r->source);
		/* shares of one set mapped into this snapshot (sharemap.h) */
		printf(", \"shares_mapped\": %zu", rvss_sharemap_count(r));
		printf(", \"source_id\": %" PRIu64 ", \"snapshot_id\": %" PRIu64
		       ", \"created\": %lld, \"created_utc\": \"%s\"",
		       r->source_id, r->snapshot_id, (long long)r->created,
		       agent_utc(r->created));
		printf(", \"mode\": \"%s\", \"sealed\": %s, \"state\": \"%s\", "
		       "\"retained\": %s",
		       r->rw ? "rw" : "ro", r->sealed ? "true" : "false",
		       rvss_record_state_name(r->state),
		       r->state == RVSS_STATE_RETAINED ? "true" : "false");
		printf(", \"fsrvp_state\": \"%s\", ", fsrvp_state(l));
		agent_json_member(stdout, "set_id", l->found ? l->set_id : NULL);
		fputs(", ", stdout);
		agent_json_member(stdout, "shadow_copy_id",
				  l->found ? l->sc_id : NULL);
		fputs(", ", stdout);
		agent_json_member(stdout, "exposed_share",
				  l->found && l->exposed_share[0] != '\0'
				  ? l->exposed_share : NULL);
		fputs("}", stdout);
	}
	fputs(n > 0 ? "\n]\n" : "]\n", stdout);
}

static void print_human(struct rvss_record **recs, const struct rvss_fss_link *links,
			size_t n)
{
	size_t i;

	if (n == 0) {
		printf("no rvss snapshots\n");
		return;
	}
	printf("%-26s %-16s %-21s %-4s %-8s %-10s %-8s %s\n", "NAME", "SHARE",
	       "CREATED", "MODE", "RVSS", "FSRVP", "RETAINED", "EXPOSED AS / PATH");
	for (i = 0; i < n; i++) {
		const struct rvss_record *r = recs[i];
		const struct rvss_fss_link *l = &links[i];
		char share[64];

		/* "vms+3": three more shares of the set map into it */
		if (r->num_maps > 0) {
			snprintf(share, sizeof(share), "%s+%zu", r->share, r->num_maps);
		} else {
			snprintf(share, sizeof(share), "%s", r->share);
		}
		printf("%-26s %-16s %-21s %-4s %-8s %-10s %-8s %s\n", r->name, share,
		       agent_utc(r->created),
		       r->rw ? (r->sealed ? "rw>s" : "rw") : "ro",
		       rvss_record_state_name(r->state), fsrvp_state(l),
		       r->state == RVSS_STATE_RETAINED ? "yes" : "no",
		       l->found && l->exposed_share[0] != '\0' ? l->exposed_share
							       : r->snapshot);
	}
	printf("\nMODE: ro read-only from birth, rw writable (auto-recovery), "
	       "rw>s writable then sealed.\n");
}

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "configfile", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "fss-state", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct agent_state_paths paths = { 0 };
	struct rvss_catalog *cat = NULL;
	struct rvss_fss_state *st = NULL;
	struct rvss_record **recs = NULL;
	struct rvss_fss_link *links = NULL;
	size_t n = 0;
	bool json = false;
	int rc = AGENT_EXIT_USAGE;
	int c, r;

	if (ctx == NULL) {
		return AGENT_EXIT_USAGE;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': paths.conf = optarg; break;
		case 'j': json = true; break;
		case 'c': paths.catalog = talloc_strdup(ctx, optarg); break;
		case 'f': paths.fss_state = talloc_strdup(ctx, optarg); break;
		case 'h': list_usage(stdout); rc = AGENT_EXIT_OK; goto done;
		default: list_usage(stderr); goto done;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fsrvp_agent list: unexpected argument '%s'\n", argv[optind]);
		goto done;
	}
	if (agent_state_paths(ctx, "list", &paths) != 0) {
		goto done;
	}
	r = rvss_catalog_open(ctx, paths.catalog, false, &cat);
	if (r == 0) {
		r = rvss_catalog_list(cat, ctx, &recs, &n);
	} else if (r == -ENOENT) {
		r = 0; /* rvss never made a snapshot here */
	}
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent list: cannot read catalog %s: %s\n",
			paths.catalog, strerror(-r));
		goto done;
	}
	r = rvss_fss_state_read(ctx, paths.fss_state, &st);
	if (r != 0 && r != -ENOENT) {
		fprintf(stderr, "fsrvp_agent list: cannot read Samba's FSRVP state %s: %s\n",
			paths.fss_state, strerror(-r));
		goto done;
	}
	r = rvss_reclaim_links(ctx, recs, n, r == 0 ? st : NULL, &links);
	if (r != 0) {
		goto done;
	}
	if (json) {
		print_json(recs, links, n);
	} else {
		print_human(recs, links, n);
	}
	rc = AGENT_EXIT_OK;
done:
	talloc_free(ctx);
	return rc;
}
