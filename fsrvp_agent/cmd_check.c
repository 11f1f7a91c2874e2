/*
 * fsrvp_agent check — does a share's directory tree qualify for Remote
 * VSS?  Runs the core's layout rules (lib/layout.h) over a path or over
 * the path of an SMB share (resolved with testparm), streams the findings
 * (human text or JSON) so memory stays bounded whatever the tree, and
 * shows a progress line on stderr only when stderr is a terminal.
 *
 * Exit: 0 qualifies, 1 findings, 2 usage or I/O error.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "commands.h"
#include "check.h"
#include "jsonout.h"
#include "layout.h"
#include "options.h"
#include "smbconf.h"
#include "snapshot.h"

struct check_out {
	bool json;
	bool progress;       /* stderr is a terminal */
	bool progress_shown;
	uint64_t last_ns;
	uint64_t count;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void clear_progress(struct check_out *o)
{
	if (o->progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		o->progress_shown = false;
	}
}

static void on_progress(void *priv, const struct rvss_layout_stats *st)
{
	struct check_out *o = priv;
	uint64_t now = mono_ns();

	if (!o->progress || now - o->last_ns < 200000000ull) {
		return;
	}
	o->last_ns = now;
	fprintf(stderr, "\r\033[Kchecking: %llu entries, %llu directories, "
		"%llu findings", (unsigned long long)st->entries,
		(unsigned long long)st->dirs, (unsigned long long)st->findings);
	fflush(stderr);
	o->progress_shown = true;
}

void agent_check_print_finding(FILE *f, const struct rvss_layout_finding *fi,
			       const char *indent)
{
	char *line = rvss_layout_finding_string(NULL, fi);

	fprintf(f, "%s%s\n", indent, line != NULL ? line : "(out of memory)");
	talloc_free(line);
}

static void on_finding(void *priv, const struct rvss_layout_finding *fi)
{
	struct check_out *o = priv;

	clear_progress(o);
	if (o->json) {
		fputs(o->count == 0 ? "\n    " : ",\n    ", stdout);
		fprintf(stdout, "{\"code\": \"%s\", ",
			rvss_layout_code_name(fi->code));
		agent_json_member(stdout, "path", fi->path);
		fputs(", ", stdout);
		agent_json_member(stdout, "summary",
				  rvss_layout_code_summary(fi->code));
		fputs(", ", stdout);
		agent_json_member(stdout, "detail", fi->detail);
		fputc('}', stdout);
	} else {
		agent_check_print_finding(stdout, fi, "");
	}
	o->count++;
}

int agent_parse_extensions(TALLOC_CTX *mem_ctx, const char *list,
			   const char ***ret_exts)
{
	const char **exts = NULL;
	size_t n = 0;
	size_t i;
	char *copy = NULL;
	char *tok = NULL;
	char *save = NULL;
	bool add = list[0] == '+';

	copy = talloc_strdup(mem_ctx, add ? list + 1 : list);
	exts = talloc_array(mem_ctx, const char *, 1);
	if (copy == NULL || exts == NULL) {
		return -ENOMEM;
	}
	if (add) {
		for (i = 0; rvss_layout_default_extensions[i] != NULL; i++) {
			exts = talloc_realloc(mem_ctx, exts, const char *,
					      n + 2);
			if (exts == NULL) {
				return -ENOMEM;
			}
			exts[n++] = rvss_layout_default_extensions[i];
		}
	}
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		const char *e = tok[0] == '.'
			? tok : talloc_asprintf(mem_ctx, ".%s", tok);

		if (e == NULL) {
			return -ENOMEM;
		}
		if (tok[0] == '\0' || strchr(e, '/') != NULL ||
		    strchr(e + 1, '.') != NULL) {
			return -EINVAL;
		}
		exts = talloc_realloc(mem_ctx, exts, const char *, n + 2);
		if (exts == NULL) {
			return -ENOMEM;
		}
		exts[n++] = e;
	}
	exts[n] = NULL;
	*ret_exts = exts;
	return 0;
}

int agent_share_path(TALLOC_CTX *mem_ctx, const char *conf,
		     const char *share, char **ret_path)
{
	char *path = NULL;
	char *why = NULL;
	int ret;

	ret = agent_smbconf_param(mem_ctx, conf, share, "path", &path, &why);
	if (ret == -ENOENT) {
		fprintf(stderr, "fsrvp_agent: share '%s' is not defined in %s\n",
			share, conf != NULL ? conf : "Samba's smb.conf");
		return ret;
	}
	if (ret != 0) {
		fprintf(stderr, "fsrvp_agent: cannot read the configuration "
			"with testparm: %s\n", why != NULL ? why : strerror(-ret));
		return ret;
	}
	if (path[0] != '/') {
		fprintf(stderr, "fsrvp_agent: share '%s' has no absolute path "
			"('%s')\n", share, path);
		return -EINVAL;
	}
	if (strchr(path, '%') != NULL) {
		fprintf(stderr, "fsrvp_agent: share '%s' path '%s' uses "
			"substitutions; check the expanded path instead\n",
			share, path);
		return -EINVAL;
	}
	*ret_path = path;
	return 0;
}

/*
 * rvss's snapshot store, relative to @canon, if it lies inside the tree
 * (a share at its subvolume's root holds the default .rvss-snapshots):
 * the module hides it from clients, so the check does not walk it.
 */
static const char *store_below(TALLOC_CTX *ctx, const char *conf,
			       const char *share, const char *canon)
{
	struct rvss_volume *vol = NULL;
	char *sdir = NULL;
	char *why = NULL;
	char *reason = NULL;
	size_t n = strlen(canon);

	if (share != NULL &&
	    agent_smbconf_param(ctx, conf, share, "rvss:snapshot dir", &sdir,
				&why) != 0) {
		sdir = NULL;
	}
	if (rvss_volume_resolve(ctx, canon,
				sdir != NULL ? sdir : RVSS_DEFAULT_SNAPSHOT_DIR,
				&vol, &reason) != 0) {
		return NULL; /* not btrfs: no store to skip */
	}
	if (strncmp(vol->store, canon, n) != 0 || vol->store[n] != '/') {
		return NULL;
	}
	return vol->store + n + 1;
}

/*
 * rvss:nested subvolumes of @share: with "include" a nested subvolume is
 * snapshotted into the copy, so it is no finding (RVSS-L005).  0, or -1
 * (printed) for a value the module would refuse at connect.
 */
static int nested_mode(TALLOC_CTX *ctx, const char *conf, const char *share,
		       enum rvss_nested_mode *ret_mode)
{
	char *v = NULL, *why = NULL;

	*ret_mode = RVSS_NESTED_REFUSE;
	if (share == NULL ||
	    agent_smbconf_param(ctx, conf, share, "rvss:nested subvolumes", &v,
				&why) != 0) {
		return 0; /* not set: the default */
	}
	if (rvss_parse_nested(v, ret_mode) != 0) {
		fprintf(stderr, "fsrvp_agent check: share '%s': rvss:nested "
			"subvolumes = '%s' is not 'refuse' or 'include'\n",
			share, v);
		return -1;
	}
	return 0;
}

static void check_usage(FILE *f)
{
	fprintf(f,
"usage: fsrvp_agent check [OPTIONS] PATH\n"
"       fsrvp_agent check [OPTIONS] --share NAME [-s smb.conf]\n"
"\n"
"Does the directory tree qualify for Remote VSS (SPEC 4)?\n"
"\n"
"  -S, --share NAME        check the path of SMB share NAME (via testparm)\n"
"  -s, --configfile FILE   smb.conf to read (default: Samba's)\n"
"      --share-name NAME   share name to recognise \\\\server\\NAME\\ paths\n"
"                          of differencing disks (default: --share)\n"
"  -d, --max-depth N       deepest directory level allowed (default 5,\n"
"                          0 = unlimited)\n"
"  -e, --extensions LIST   files allowed in the share root, e.g.\n"
"                          .vhdx,.xml (replaces the default list);\n"
"                          +LIST adds to the default list\n"
"  -j, --json              JSON on stdout\n"
"      --no-hardlink-check skip RVSS-L012 (hard links reaching outside):\n"
"                          no link count of every file is read\n"
"      --no-tree-search    read link counts with one statx per file, not\n"
"                          in bulk from the btrfs tree (which needs root\n"
"                          and commits the current transaction first)\n"
"      --threads N         threads in all; the others read link counts\n"
"                          while one walks (default: CPUs, at most 8)\n"
"  -h, --help\n"
"\n"
"With --share, a share with rvss:nested subvolumes = include gets no\n"
"finding for a nested subvolume (Commit snapshots it into the copy); the\n"
"check does not walk it: check it by its own path.\n"
"\n"
"Exit codes: 0 qualifies, 1 violations found, 2 usage or I/O error.\n");
}

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "share", required_argument, NULL, 'S' },
		{ "configfile", required_argument, NULL, 's' },
		{ "share-name", required_argument, NULL, 'N' },
		{ "max-depth", required_argument, NULL, 'd' },
		{ "extensions", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "threads", required_argument, NULL, 'T' },
		{ "no-hardlink-check", no_argument, NULL, 'H' },
		{ "no-tree-search", no_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct rvss_layout_opts opts;
	struct rvss_layout_result *res = NULL;
	struct check_out out = { 0 };
	const char *share = NULL;
	const char *conf = NULL;
	const char *share_name = NULL;
	enum rvss_nested_mode nested = RVSS_NESTED_REFUSE;
	const char **exts = NULL;
	const char *skip[2] = { NULL, NULL };
	char *path = NULL;
	char *canon = NULL;
	char *end = NULL;
	unsigned long depth;
	unsigned long nthreads;
	long ncpu;
	int rc = AGENT_EXIT_USAGE;
	int c;
	int ret;

	if (ctx == NULL) {
		return AGENT_EXIT_USAGE;
	}
	rvss_layout_opts_init(&opts);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	opts.threads = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (unsigned)ncpu;
	optind = 1;
	while ((c = getopt_long(argc, argv, "S:s:d:e:jh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'S':
			share = optarg;
			break;
		case 's':
			conf = optarg;
			break;
		case 'N':
			share_name = optarg;
			break;
		case 'd':
			errno = 0;
			depth = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '\0' ||
			    optarg[0] == '-' || depth > UINT_MAX) {
				fprintf(stderr, "fsrvp_agent check: bad "
					"--max-depth '%s'\n", optarg);
				goto done;
			}
			opts.max_depth = (unsigned)depth;
			break;
		case 'e':
			ret = agent_parse_extensions(ctx, optarg, &exts);
			if (ret != 0) {
				fprintf(stderr, "fsrvp_agent check: bad "
					"--extensions '%s'\n", optarg);
				goto done;
			}
			opts.vm_extensions = exts;
			break;
		case 'j':
			out.json = true;
			break;
		case 'H':
			opts.skip_hardlinks = true;
			break;
		case 'B':
			opts.no_tree_search = true;
			break;
		case 'T':
			errno = 0;
			nthreads = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || optarg[0] == '\0' ||
			    optarg[0] == '-' || nthreads < 1 || nthreads > 64) {
				fprintf(stderr, "fsrvp_agent check: bad "
					"--threads '%s' (1..64)\n", optarg);
				goto done;
			}
			opts.threads = (unsigned)nthreads;
			break;
		case 'h':
			check_usage(stdout);
			rc = AGENT_EXIT_OK;
			goto done;
		default:
			check_usage(stderr);
			goto done;
		}
	}
	if ((share == NULL) == (optind >= argc) || optind + 1 < argc) {
		fprintf(stderr, "fsrvp_agent check: give exactly one PATH or "
			"--share NAME\n");
		check_usage(stderr);
		goto done;
	}
	if (share != NULL) {
		ret = agent_share_path(ctx, conf, share, &path);
		if (ret != 0) {
			goto done;
		}
		if (share_name == NULL) {
			share_name = share;
		}
		if (nested_mode(ctx, conf, share, &nested) != 0) {
			goto done;
		}
		opts.include_subvolumes = nested == RVSS_NESTED_INCLUDE;
	} else {
		path = argv[optind];
	}
	opts.share_name = share_name;
	canon = realpath(path, NULL);
	if (canon != NULL) {
		skip[0] = store_below(ctx, conf, share, canon);
		opts.skip_paths = skip[0] != NULL ? skip : NULL;
	}
	out.progress = isatty(STDERR_FILENO) == 1;
	opts.on_finding = on_finding;
	opts.on_progress = on_progress;
	opts.priv = &out;

	if (out.json) {
		fputc('{', stdout);
		agent_json_member(stdout, "path", canon != NULL ? canon : path);
		fputs(", ", stdout);
		agent_json_member(stdout, "share", share);
		fprintf(stdout, ", \"nested_subvolumes\": \"%s\"",
			nested == RVSS_NESTED_INCLUDE ? "include" : "refuse");
		fprintf(stdout, ", \"max_depth\": %u, \"findings\": [",
			opts.max_depth);
	}
	ret = rvss_layout_check(ctx, path, &opts, &res);
	clear_progress(&out);
	if (ret != 0) {
		char *p = rvss_layout_escape(ctx, path);

		if (out.json) {
			fputs("], ", stdout);
			agent_json_member(stdout, "error", strerror(-ret));
			fputs("}\n", stdout);
		}
		fprintf(stderr, "fsrvp_agent check: %s: %s\n",
			p != NULL ? p : "?",
			ret == -ELOOP ? "is a symbolic link" : strerror(-ret));
		goto done;
	}
	rc = out.count == 0 ? AGENT_EXIT_OK : AGENT_EXIT_FINDINGS;
	if (out.json) {
		fprintf(stdout, "%s], \"qualifies\": %s, \"complete\": %s, "
			"\"entries\": %llu, \"directories\": %llu, "
			"\"virtual_disks\": %llu, \"hardlinks_checked\": %s, "
			"\"link_counts\": \"%s\", \"num_findings\": %llu}\n",
			out.count == 0 ? "" : "\n  ",
			rc == AGENT_EXIT_OK ? "true" : "false",
			res->complete ? "true" : "false",
			(unsigned long long)res->stats.entries,
			(unsigned long long)res->stats.dirs,
			(unsigned long long)res->stats.vdisks,
			opts.skip_hardlinks ? "false" : "true",
			opts.skip_hardlinks ? "none"
			: res->stats.tree_search ? "btrfs-tree" : "statx",
			(unsigned long long)out.count);
	} else {
		char *p = rvss_layout_escape(ctx, canon != NULL ? canon : path);

		printf("%s: %llu entries checked, %llu finding%s: %s%s\n",
		       p != NULL ? p : "?",
		       (unsigned long long)res->stats.entries,
		       (unsigned long long)out.count, out.count == 1 ? "" : "s",
		       rc == AGENT_EXIT_OK
		       ? "qualifies for Remote VSS"
		       : "does NOT qualify for Remote VSS",
		       opts.skip_hardlinks ? " (hard links not checked)" : "");
	}
done:
	fflush(stdout);
	free(canon);
	talloc_free(ctx);
	return rc;
}
