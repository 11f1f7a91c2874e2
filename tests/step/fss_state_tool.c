/*
 * fss_state_tool — a test helper over lib/fss_state.c, so shell tests can
 * read and repair a real srv_fss.tdb with the core's own code:
 *
 *   fss_state_tool list TDB               one JSON object on stdout
 *   fss_state_tool remove TDB SET_ID      rvss_fss_state_remove_set()
 *   fss_state_tool set-state TDB SET_ID N rvss_fss_state_set_state()
 *
 * Exit 0 on success, 1 with "error: <strerror>" on stderr otherwise,
 * 2 on bad usage.  Built by the tests themselves (cc ... lib/fss_state.c),
 * not installed: the administrator's commands live in fsrvp_agent.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fss_state.h"

static void json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p);
		} else if (*p < 0x20) {
			printf("\\u%04x", *p);
		} else {
			putchar(*p);
		}
	}
	putchar('"');
}

static void print_state(const struct rvss_fss_state *st)
{
	size_t i;
	size_t j;
	size_t k;

	printf("{\"db_version\": %" PRId32 ", \"sc_set_count\": %" PRId32
	       ", \"sets\": [",
	       st->db_version, st->sc_set_count);
	for (i = 0; i < st->num_sets; i++) {
		const struct rvss_fss_set *s = &st->sets[i];

		printf("%s{\"id\": ", i > 0 ? ", " : "");
		json_str(s->id);
		printf(", \"state\": %" PRId32 ", \"state_name\": ", s->state);
		json_str(rvss_fss_state_name(s->state));
		printf(", \"context\": \"0x%08" PRIx32 "\", \"scs_count\": %"
		       PRId32 ", \"consistent\": %s, \"blocks_new_sets\": %s"
		       ", \"scs\": [",
		       s->context, s->scs_count,
		       s->consistent ? "true" : "false",
		       rvss_fss_set_blocks_new_sets(s) ? "true" : "false");
		for (j = 0; j < s->num_scs; j++) {
			const struct rvss_fss_sc *sc = &s->scs[j];

			printf("%s{\"id\": ", j > 0 ? ", " : "");
			json_str(sc->id);
			printf(", \"volume_name\": ");
			json_str(sc->volume_name);
			printf(", \"sc_path\": ");
			json_str(sc->sc_path);
			printf(", \"create_ts\": %" PRId64
			       ", \"smaps_count\": %" PRId32 ", \"smaps\": [",
			       sc->create_ts, sc->smaps_count);
			for (k = 0; k < sc->num_smaps; k++) {
				const struct rvss_fss_smap *m = &sc->smaps[k];

				printf("%s{\"sc_share_name\": ",
				       k > 0 ? ", " : "");
				json_str(m->sc_share_name);
				printf(", \"share_name\": ");
				json_str(m->share_name);
				printf(", \"sc_share_comment\": ");
				json_str(m->sc_share_comment);
				printf(", \"is_exposed\": %s}",
				       m->is_exposed ? "true" : "false");
			}
			printf("]}");
		}
		printf("]}");
	}
	printf("]}\n");
}

int main(int argc, char **argv)
{
	TALLOC_CTX *mem = NULL;
	struct rvss_fss_state *st = NULL;
	int ret;

	if (argc == 3 && strcmp(argv[1], "list") == 0) {
		mem = talloc_new(NULL);
		ret = rvss_fss_state_read(mem, argv[2], &st);
		if (ret == 0) {
			print_state(st);
		}
		talloc_free(mem);
	} else if (argc == 4 && strcmp(argv[1], "remove") == 0) {
		unsigned removed = 0;

		ret = rvss_fss_state_remove_set(argv[2], argv[3], &removed);
		if (ret == 0) {
			printf("{\"removed\": %u}\n", removed);
		}
	} else if (argc == 5 && strcmp(argv[1], "set-state") == 0) {
		int32_t old = -1;
		char *end = NULL;
		long n = strtol(argv[4], &end, 10);

		if (*argv[4] == '\0' || *end != '\0') {
			fprintf(stderr, "bad state: %s\n", argv[4]);
			return 2;
		}
		ret = rvss_fss_state_set_state(argv[2], argv[3], (int32_t)n,
					       &old);
		if (ret == 0) {
			printf("{\"old_state\": %" PRId32 "}\n", old);
		}
	} else {
		fprintf(stderr, "usage: %s list TDB | remove TDB SET_ID | "
				"set-state TDB SET_ID N\n",
			argv[0]);
		return 2;
	}
	if (ret != 0) {
		fprintf(stderr, "error: %s\n", strerror(-ret));
		return 1;
	}
	return 0;
}
