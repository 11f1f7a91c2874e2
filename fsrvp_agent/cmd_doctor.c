/*
 * fsrvp_agent doctor — is this Samba configured for FSRVP with rvss?
 *
 * Every parameter is read through testparm (smbconf.h).  Each check gives
 * a line "ok ..." or a problem with a stable code (RVSS-D0nn) and what to
 * change; notes (RVSS-D011) do not change the exit code.
 *
 * Exit: 0 all good, 1 problems, 2 usage or the configuration cannot be
 * read.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include <talloc.h>

#include "btrfs.h"
#include "check.h"
#include "commands.h"
#include "jsonout.h"
#include "layout.h"
#include "nested.h"
#include "modinfo.h"
#include "options.h"
#include "smbconf.h"
#include "snapshot.h"

enum severity { SEV_OK, SEV_NOTE, SEV_PROBLEM };

struct doctor {
	TALLOC_CTX *ctx;
	const char *conf;
	const char *module;   /* --module, else <smbd's MODULESDIR>/vfs/rvss.so */
	bool json;
	bool layout;
	unsigned problems;
	unsigned items;
};

/* Report one result.  @code is NULL for "ok" lines. */
static void say(struct doctor *d, enum severity sev, const char *code,
		const char *share, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void say(struct doctor *d, enum severity sev, const char *code,
		const char *share, const char *fmt, ...)
{
	static const char *const sevname[] = { "ok", "note", "problem" };
	char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = talloc_vasprintf(d->ctx, fmt, ap);
	va_end(ap);
	if (sev == SEV_PROBLEM) {
		d->problems++;
	}
	if (d->json) {
		fputs(d->items == 0 ? "\n    " : ",\n    ", stdout);
		fprintf(stdout, "{\"severity\": \"%s\", ", sevname[sev]);
		agent_json_member(stdout, "code", code);
		fputs(", ", stdout);
		agent_json_member(stdout, "share", share);
		fputs(", ", stdout);
		agent_json_member(stdout, "message", msg);
		fputc('}', stdout);
	} else {
		char *esc = rvss_layout_escape(d->ctx, msg != NULL ? msg : "?");

		printf("%-7s %s%s%s%s%s%s\n", sevname[sev],
		       code != NULL ? code : "", code != NULL ? " " : "",
		       share != NULL ? "[" : "", share != NULL ? share : "",
		       share != NULL ? "] " : "", esc != NULL ? esc : "?");
		talloc_free(esc);
	}
	d->items++;
	talloc_free(msg);
}

/* A parameter; *ret NULL when unset without default.  0 or -errno. */
static int param(struct doctor *d, const char *section, const char *name,
		 char **ret)
{
	char *why = NULL;
	int r;

	*ret = NULL;
	r = agent_smbconf_param(d->ctx, d->conf, section, name, ret, &why);
	if (r == -ENODATA) {
		return 0;
	}
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent doctor: cannot read '%s' with "
			"testparm: %s\n", name, why != NULL ? why : strerror(-r));
	}
	return r;
}

static int check_globals(struct doctor *d)
{
	char *v = NULL;
	bool b = false;
	int r;

	r = param(d, NULL, "registry shares", &v);
	if (r != 0) {
		return r;
	}
	if (v != NULL && rvss_parse_bool(v, &b) == 0 && b) {
		say(d, SEV_OK, NULL, NULL, "registry shares = yes");
	} else {
		say(d, SEV_PROBLEM, "RVSS-D001", NULL,
		    "registry shares = %s: FSRVP exposes shadow copies as "
		    "registry shares; set 'registry shares = yes' in [global]",
		    v != NULL ? v : "(unset)");
	}

	r = param(d, NULL, "rpcd_fsrvp:num_workers", &v);
	if (r != 0) {
		return r;
	}
	if (v != NULL && strcmp(v, "1") == 0) {
		say(d, SEV_OK, NULL, NULL, "rpcd_fsrvp:num_workers = 1");
	} else {
		say(d, SEV_PROBLEM, "RVSS-D002", NULL,
		    "rpcd_fsrvp:num_workers = %s: each worker keeps its own "
		    "shadow copy set state and loses the others' sets; set "
		    "'rpcd_fsrvp:num_workers = 1' in [global]",
		    v != NULL ? v : "(unset, Samba's default 5)");
	}

	r = param(d, NULL, "server role", &v);
	if (r != 0) {
		return r;
	}
	if (v != NULL && strcasestr(v, "active directory") != NULL) {
		say(d, SEV_PROBLEM, "RVSS-D003", NULL,
		    "server role = %s: Samba does not run rpcd_fsrvp on an AD "
		    "DC; serve the shares from a member or standalone server",
		    v);
	} else {
		say(d, SEV_OK, NULL, NULL, "server role = %s (not an AD DC)",
		    v != NULL ? v : "auto");
	}

	r = param(d, NULL, "fss:prune stale", &v);
	if (r != 0) {
		return r;
	}
	if (v != NULL && rvss_parse_bool(v, &b) == 0 && b) {
		say(d, SEV_PROBLEM, "RVSS-D004", NULL,
		    "fss: prune stale = %s: rpcd_fsrvp dies at start-up (Samba "
		    "4.17 to 4.25 assert session_info != NULL in "
		    "create_conn_struct_as_root) and FSRVP stays down; remove it "
		    "or set 'fss: prune stale = no' (rvss reclaims stale sets "
		    "itself)", v);
	} else {
		say(d, SEV_OK, NULL, NULL, "fss: prune stale is off");
	}
	return 0;
}

/* Index of @mod in the vfs objects list @list, or -1. */
static int module_pos(const char *list, const char *mod)
{
	char buf[1024];
	char *save = NULL;
	char *tok = NULL;
	int i = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, " ,\t", &save); tok != NULL;
	     tok = strtok_r(NULL, " ,\t", &save), i++) {
		if (strcmp(tok, mod) == 0) {
			return i;
		}
	}
	return -1;
}

/* The nearest existing ancestor directory of @path, opened. */
static int open_existing_ancestor(TALLOC_CTX *ctx, const char *path)
{
	char *p = talloc_strdup(ctx, path);
	int fd = -1;

	while (p != NULL) {
		char *slash = NULL;

		fd = open(p[0] == '\0' ? "/" : p,
			  O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT) {
			break;
		}
		slash = strrchr(p, '/');
		if (slash == NULL) {
			break;
		}
		*slash = '\0';
	}
	talloc_free(p);
	return fd;
}

static void check_store(struct doctor *d, const char *share,
			const struct rvss_volume *vol)
{
	uint8_t fsid_share[16], fsid_store[16];
	int sfd = -1, tfd = -1;

	sfd = open(vol->share_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	tfd = open_existing_ancestor(d->ctx, vol->store);
	if (sfd < 0 || tfd < 0 ||
	    rvss_btrfs_fsid_fd(sfd, fsid_share) != 0 ||
	    rvss_btrfs_fsid_fd(tfd, fsid_store) != 0 ||
	    memcmp(fsid_share, fsid_store, 16) != 0) {
		say(d, SEV_PROBLEM, "RVSS-D007", share,
		    "snapshot store %s is not on the btrfs filesystem of %s: a "
		    "btrfs snapshot can only be created on the same "
		    "filesystem; set 'rvss:snapshot dir' to a directory on it",
		    vol->store, vol->share_path);
	} else {
		say(d, SEV_OK, NULL, share, "snapshot store %s on the same "
		    "btrfs filesystem", vol->store);
	}
	if (sfd >= 0) {
		close(sfd);
	}
	if (tfd >= 0) {
		close(tfd);
	}
}

/* @path without "//", "/./" and a trailing "/"; NULL on ENOMEM. */
static char *tidy_path(TALLOC_CTX *ctx, const char *path)
{
	char *out = talloc_strdup(ctx, path);
	char *r = out;
	char *w = out;

	if (out == NULL) {
		return NULL;
	}
	while (*r != '\0') {
		if (r[0] == '/' && (r[1] == '/' || r[1] == '\0') && w > out) {
			r++;
		} else if (r[0] == '/' && r[1] == '.' &&
			   (r[2] == '/' || r[2] == '\0')) {
			r += 2;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	if (w > out + 1 && w[-1] == '/') {
		w[-1] = '\0';
	}
	return out;
}

/* @path resolved (realpath) if it exists, else tidied. */
static char *canon_or_tidy(TALLOC_CTX *ctx, const char *path)
{
	char *c = realpath(path, NULL);
	char *out = NULL;

	out = c != NULL ? talloc_strdup(ctx, c) : tidy_path(ctx, path);
	free(c);
	return out;
}

/*
 * shadow_copy2's "mount point" of the share: the highest ancestor of
 * @path (lexically, as Samba cuts the string) with the same st_dev.  On
 * btrfs every subvolume has its own st_dev, so this is the root of the
 * enclosing subvolume.  (vfs_shadow_copy2.c,
 * shadow_copy2_find_mount_point(), Samba 4.17 .. 4.25.)
 */
static char *sc2_find_mount_point(TALLOC_CTX *ctx, const char *path)
{
	char *p = talloc_strdup(ctx, path);
	char *slash = NULL;
	struct stat st;
	dev_t dev;

	if (p == NULL || stat(p, &st) != 0) {
		return NULL;
	}
	dev = st.st_dev;
	while ((slash = strrchr(p, '/')) != NULL && slash > p) {
		*slash = '\0';
		if (stat(p, &st) != 0) {
			return NULL;
		}
		if (st.st_dev != dev) {
			*slash = '/';
			break;
		}
	}
	return p;
}

/* Is there a directory @dir/@name?  (shadow_copy2's have_snapdir().) */
static bool sc2_has_snapdir(TALLOC_CTX *ctx, const char *dir,
			    const char *name)
{
	char *p = talloc_asprintf(ctx, "%s/%s", dir, name);
	struct stat st;

	return p != NULL && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where shadow_copy2 looks for the snapshots of a share root. */
struct sc2_view {
	char *snapdir;      /**< shadow:snapdir as configured */
	char *dir;          /**< the directory it resolves to; NULL: none */
	char *rel;          /**< the share root inside each snapshot */
	const char *how;    /**< how dir was found, for the message */
};

/*
 * Work out, as Samba's vfs_shadow_copy2.c does in shadow_copy2_connect()
 * and shadow_copy2_find_snapdir() (compared in Samba 4.17 and 4.25:
 * the same logic; 4.25 stats through the VFS instead of stat()), which
 * directory shadow_copy2 lists as the snapshots of the share root at
 * @path, and where in each snapshot it expects the share root:
 *
 *  - shadow:snapdir (default ".snapshots") when absolute is used as is;
 *  - a relative one is taken below the "mount point": shadow:mountpoint
 *    if that is absolute and a prefix of the share path, else the share's
 *    topmost ancestor on the same st_dev, i.e. on btrfs the enclosing
 *    subvolume root — NOT the share path;
 *  - with shadow:snapdirseverywhere (relative snapdir only) it is the
 *    nearest directory from the share root upwards holding a directory
 *    of that name;
 *  - the share root inside a snapshot is shadow:snapsharepath, else the
 *    share path below shadow:basedir (if absolute and below the mount
 *    point), else below the mount point; with snapdirseverywhere, the
 *    share path below the directory where the snapdir was found.
 *
 * 0 or -errno (reading smb.conf).
 */
static int sc2_resolve(struct doctor *d, const char *share, const char *path,
		       struct sc2_view *v)
{
	char *snapdir = NULL, *mountpoint = NULL, *everywhere = NULL;
	char *basedir = NULL, *sharepath = NULL;
	const char *mp = NULL;
	const char *base = NULL;
	bool evw = false;
	int r;

	memset(v, 0, sizeof(*v));
	if ((r = param(d, share, "shadow:snapdir", &snapdir)) != 0 ||
	    (r = param(d, share, "shadow:mountpoint", &mountpoint)) != 0 ||
	    (r = param(d, share, "shadow:snapdirseverywhere",
		       &everywhere)) != 0 ||
	    (r = param(d, share, "shadow:basedir", &basedir)) != 0 ||
	    (r = param(d, share, "shadow:snapsharepath", &sharepath)) != 0) {
		return r;
	}
	v->snapdir = snapdir != NULL ? snapdir : talloc_strdup(d->ctx,
							       ".snapshots");
	if (v->snapdir == NULL) {
		return -ENOMEM;
	}
	if (everywhere != NULL) {
		(void)rvss_parse_bool(everywhere, &evw);
	}
	if (v->snapdir[0] == '/') {
		evw = false;
	}

	if (mountpoint != NULL && mountpoint[0] == '/' &&
	    strncmp(path, mountpoint, strlen(mountpoint)) == 0) {
		mp = mountpoint;
	} else {
		mp = sc2_find_mount_point(d->ctx, path);
		if (mp == NULL) {
			return 0;       /* shadow_copy2 refuses the share */
		}
	}

	if (evw) {
		char *p = talloc_strdup(d->ctx, path);
		char *slash = NULL;

		if (p == NULL) {
			return -ENOMEM;
		}
		while (!sc2_has_snapdir(d->ctx, p, v->snapdir)) {
			slash = strrchr(p, '/');
			if (slash == NULL || slash == p) {
				return 0;       /* found nowhere */
			}
			*slash = '\0';
		}
		v->dir = talloc_asprintf(d->ctx, "%s/%s", p, v->snapdir);
		v->rel = talloc_strdup(d->ctx, path + strlen(p));
		v->how = "shadow:snapdirseverywhere: the nearest directory "
			 "above the share holding it";
	} else {
		if (v->snapdir[0] == '/') {
			v->dir = talloc_strdup(d->ctx, v->snapdir);
			v->how = "absolute";
		} else {
			v->dir = talloc_asprintf(d->ctx, "%s/%s", mp,
						 v->snapdir);
			v->how = mp == mountpoint
				? "relative to shadow:mountpoint"
				: "relative to the share's subvolume root "
				  "(shadow_copy2's mount point)";
		}
		if (basedir != NULL && basedir[0] == '/' &&
		    strncmp(basedir, mp, strlen(mp)) == 0) {
			base = basedir;
			sharepath = NULL;
		} else {
			base = mp;
		}
		if (sharepath != NULL && sharepath[0] != '/') {
			v->rel = talloc_strdup(d->ctx, sharepath);
		} else if (strlen(base) < strlen(path)) {
			v->rel = talloc_strdup(d->ctx, path + strlen(base));
		} else {
			v->rel = talloc_strdup(d->ctx, "");
		}
	}
	if (v->dir == NULL || v->rel == NULL) {
		return -ENOMEM;
	}
	v->dir = canon_or_tidy(d->ctx, v->dir);
	v->rel = tidy_path(d->ctx, v->rel);
	if (v->dir == NULL || v->rel == NULL) {
		return -ENOMEM;
	}
	while (v->rel[0] == '/') {
		v->rel++;
	}
	return 0;
}

static void check_shadow_copy2(struct doctor *d, const char *share,
			       const char *vfs, const char *path,
			       const struct rvss_volume *vol)
{
	int prvss = module_pos(vfs, "rvss");
	int psc2 = module_pos(vfs, "shadow_copy2");
	struct sc2_view v;

	if (psc2 < 0) {
		say(d, SEV_NOTE, "RVSS-D011", share,
		    "shadow_copy2 is not loaded: retained snapshots will not "
		    "show as Previous Versions (add 'shadow_copy2' after "
		    "'rvss' in vfs objects, with shadow:snapdir = %s)",
		    vol != NULL ? vol->store : "the snapshot store");
		return;
	}
	if (psc2 < prvss) {
		say(d, SEV_PROBLEM, "RVSS-D008", share,
		    "vfs objects = %s: shadow_copy2 is listed before rvss; list "
		    "it after rvss ('vfs objects = rvss shadow_copy2')", vfs);
	} else {
		say(d, SEV_OK, NULL, share, "shadow_copy2 listed after rvss");
	}
	if (vol == NULL || sc2_resolve(d, share, path, &v) != 0) {
		return;
	}
	if (v.dir == NULL || strcmp(v.dir, vol->store) != 0) {
		say(d, SEV_PROBLEM, "RVSS-D009", share,
		    "shadow:snapdir = %s resolves to %s (%s) but the rvss "
		    "snapshot store is %s: Previous Versions will not find "
		    "rvss snapshots; set 'shadow:snapdir = %s'", v.snapdir,
		    v.dir != NULL ? v.dir : "nothing",
		    v.how != NULL ? v.how : "no such directory found",
		    vol->store, vol->store);
	} else if (strcmp(v.rel, vol->rel) != 0) {
		say(d, SEV_PROBLEM, "RVSS-D009", share,
		    "shadow_copy2 expects the share at '%s' inside each "
		    "snapshot, but rvss snapshots hold it at '%s': remove "
		    "shadow:mountpoint, shadow:basedir and "
		    "shadow:snapsharepath from the share", v.rel, vol->rel);
	} else {
		say(d, SEV_OK, NULL, share, "shadow:snapdir = %s is the "
		    "snapshot store", v.snapdir);
	}
}

/*
 * RVSS-D013: rvss:nested subvolumes.  With "refuse" (the default) a share
 * with a subvolume nested below it is refused by FSRVP; "include"
 * snapshots each into the copy, one after another.  *@ret_mode is what
 * the module will use.
 */
static void check_nested(struct doctor *d, const char *share,
			 const char *sdir, const struct rvss_volume *vol,
			 enum rvss_nested_mode *ret_mode)
{
	struct rvss_nested_filter filter = {
		.below = vol->rel,
		.root_path = vol->subvol_root,
		.store_base = vol->store_base,
		.snapshot_dir = sdir[0] != '/' ? sdir : NULL,
	};
	struct rvss_nested_sub *subs = NULL;
	size_t n = 0;
	char *v = NULL;
	int fd, r;

	*ret_mode = RVSS_NESTED_REFUSE;
	if (param(d, share, "rvss:nested subvolumes", &v) != 0) {
		return;
	}
	if (v != NULL && rvss_parse_nested(v, ret_mode) != 0) {
		say(d, SEV_PROBLEM, "RVSS-D013", share,
		    "rvss:nested subvolumes = %s is not 'refuse' or 'include': "
		    "smbd refuses to connect the share", v);
		return;
	}
	fd = open(vol->subvol_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = fd < 0 ? -errno : rvss_nested_find(d->ctx, fd, &filter, &subs, &n, NULL);
	if (fd >= 0) {
		close(fd);
	}
	if (r != 0) {
		say(d, SEV_PROBLEM, "RVSS-D013", share,
		    "cannot list the subvolumes below %s: %s", vol->share_path,
		    strerror(-r));
		return;
	}
	if (*ret_mode == RVSS_NESTED_INCLUDE) {
		say(d, SEV_OK, NULL, share, "rvss:nested subvolumes = include: "
		    "%zu nested subvolume(s) below the share now, each "
		    "snapshotted into the copy, one after another (the "
		    "requester's writers stay frozen for the whole Commit)", n);
		return;
	}
	if (n > 0) {
		say(d, SEV_PROBLEM, "RVSS-D013", share,
		    "nested subvolume %s/%s%s below the share: FSRVP refuses "
		    "the share, a snapshot would miss it; set 'rvss:nested "
		    "subvolumes = include' to snapshot each into the copy, or "
		    "move it out of the share", vol->subvol_root, subs[0].rel,
		    n > 1 ? talloc_asprintf(d->ctx, " (and %zu more)", n - 1) : "");
	}
}

static void check_layout(struct doctor *d, const char *share,
			 const char *path, const struct rvss_volume *vol,
			 enum rvss_nested_mode nested)
{
	struct rvss_layout_opts opts;
	struct rvss_layout_result *res = NULL;
	const char *skip[2] = { NULL, NULL };
	size_t plen = strlen(vol->share_path);
	size_t i;
	int r;

	rvss_layout_opts_init(&opts);
	opts.share_name = share;
	opts.max_findings = 10;
	opts.include_subvolumes = nested == RVSS_NESTED_INCLUDE;
	if (strncmp(vol->store, vol->share_path, plen) == 0 &&
	    vol->store[plen] == '/') {
		skip[0] = vol->store + plen + 1;
		opts.skip_paths = skip;
	}
	r = rvss_layout_check(d->ctx, path, &opts, &res);
	if (r != 0) {
		say(d, SEV_PROBLEM, "RVSS-D010", share,
		    "layout check of %s failed: %s", path, strerror(-r));
		return;
	}
	if (res->stats.findings == 0) {
		say(d, SEV_OK, NULL, share, "layout qualifies (%llu entries)",
		    (unsigned long long)res->stats.entries);
		return;
	}
	say(d, SEV_PROBLEM, "RVSS-D010", share,
	    "layout does not qualify: %llu findings; run 'fsrvp_agent check "
	    "--share %s' for all of them",
	    (unsigned long long)res->stats.findings, share);
	if (!d->json) {
		for (i = 0; i < res->num_findings; i++) {
			agent_check_print_finding(stdout, &res->findings[i],
						  "        ");
		}
	}
}

static int check_share(struct doctor *d, const char *share, const char *vfs)
{
	struct rvss_volume *vol = NULL;
	enum rvss_nested_mode nested = RVSS_NESTED_REFUSE;
	char *path = NULL;
	char *sdir = NULL;
	char *reason = NULL;
	struct statfs sfs;
	int r;

	r = param(d, share, "path", &path);
	if (r != 0) {
		return r;
	}
	r = param(d, share, "rvss:snapshot dir", &sdir);
	if (r != 0) {
		return r;
	}
	if (path == NULL || path[0] != '/' || strchr(path, '%') != NULL) {
		say(d, SEV_PROBLEM, "RVSS-D006", share,
		    "path = %s: an rvss share needs an absolute path without "
		    "substitutions on btrfs", path != NULL ? path : "(unset)");
		return 0;
	}
	if (statfs(path, &sfs) != 0) {
		say(d, SEV_PROBLEM, "RVSS-D006", share,
		    "path %s: %s", path, strerror(errno));
		return 0;
	}
	if (sfs.f_type != (typeof(sfs.f_type))BTRFS_SUPER_MAGIC) {
		say(d, SEV_PROBLEM, "RVSS-D006", share,
		    "path %s is not on btrfs (filesystem type 0x%lx): rvss "
		    "snapshots need btrfs; move the share onto a btrfs "
		    "subvolume or remove rvss from its vfs objects", path,
		    (unsigned long)sfs.f_type);
		check_shadow_copy2(d, share, vfs, path, NULL);
		return 0;
	}
	say(d, SEV_OK, NULL, share, "path %s is on btrfs", path);
	r = rvss_volume_resolve(d->ctx, path,
				sdir != NULL ? sdir : RVSS_DEFAULT_SNAPSHOT_DIR,
				&vol, &reason);
	if (r != 0) {
		say(d, SEV_PROBLEM, "RVSS-D007", share,
		    "cannot locate the snapshot store: %s",
		    reason != NULL ? reason : strerror(-r));
		check_shadow_copy2(d, share, vfs, path, NULL);
		return 0;
	}
	check_store(d, share, vol);
	check_nested(d, share, sdir != NULL ? sdir : RVSS_DEFAULT_SNAPSHOT_DIR,
		     vol, &nested);
	check_shadow_copy2(d, share, vfs, path, vol);
	if (d->layout) {
		check_layout(d, share, path, vol, nested);
	}
	return 0;
}

/*
 * RVSS-D012: was the installed rvss.so built for the running smbd's Samba
 * series?  smbd refuses a module of another VFS interface version (and
 * the interface changes with every series), so every share with
 * "vfs objects = rvss" would fail to connect.  Read from the module's own
 * build record, never guessed from file dates.
 */
static void check_module(struct doctor *d)
{
	struct rvss_modinfo *info = NULL;
	char *version = NULL, *moddir = NULL;
	const char *path = d->module;
	unsigned major = 0, minor = 0, release = 0;
	int fd = -1;
	int r;

	r = agent_smbd_build(d->ctx, &version, &moddir);
	if (r != 0 || rvss_samba_version_parse(version, &major, &minor,
					       &release) != 0) {
		say(d, SEV_PROBLEM, "RVSS-D012", NULL,
		    "cannot tell which Samba runs here (smbd --version / smbd "
		    "-b: %s); is samba installed?",
		    r != 0 ? strerror(-r) : version);
		return;
	}
	if (path == NULL) {
		path = talloc_asprintf(d->ctx, "%s/vfs/rvss.so", moddir);
	}
	fd = path != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0) {
		say(d, SEV_PROBLEM, "RVSS-D012", NULL,
		    "%s: %s: rvss is not installed where this smbd (Samba "
		    "%u.%u.%u) loads modules from; install the rvss build for "
		    "Samba %u.%u", path != NULL ? path : "rvss.so",
		    strerror(errno), major, minor, release, major, minor);
		return;
	}
	r = rvss_modinfo_read_fd(d->ctx, fd, &info);
	close(fd);
	if (r != 0) {
		say(d, SEV_PROBLEM, "RVSS-D012", NULL,
		    "%s carries no rvss build record (%s): it is not rvss, or "
		    "an rvss built before 0.2 that cannot say which Samba it "
		    "was built for; rebuild it for Samba %u.%u", path,
		    r == -ENOENT ? "none found" : strerror(-r), major, minor);
		return;
	}
	if (info->samba_major != major || info->samba_minor != minor) {
		say(d, SEV_PROBLEM, "RVSS-D012", NULL,
		    "%s was built for Samba %s (VFS interface %d%s%s), but this "
		    "smbd is Samba %u.%u.%u: smbd refuses to load it and every "
		    "share with 'vfs objects = rvss' fails to connect; install "
		    "the rvss build for Samba %u.%u (make install on this "
		    "machine, or the package built for this Samba series)",
		    path, info->samba_version, info->vfs_interface,
		    info->package[0] != '\0' ? ", package " : "", info->package,
		    major, minor, release, major, minor);
		return;
	}
	say(d, SEV_OK, NULL, NULL,
	    "%s built for Samba %s (VFS interface %d), smbd is Samba %u.%u.%u: "
	    "same series", path, info->samba_version, info->vfs_interface,
	    major, minor, release);
}

static void doctor_usage(FILE *f)
{
	fprintf(f,
"usage: fsrvp_agent doctor [-s smb.conf] [--layout] [--module FILE] [--json]\n"
"\n"
"Is this Samba configured for FSRVP with rvss?\n"
"\n"
"  -s, --configfile FILE   smb.conf to read (default: Samba's)\n"
"  -l, --layout            also run the layout check of each rvss share\n"
"  -m, --module FILE       the rvss.so to check against the running smbd\n"
"                          (default: rvss.so in smbd's module directory)\n"
"  -j, --json              JSON on stdout\n"
"  -h, --help\n"
"\n"
"Exit codes: 0 all good, 1 problems found, 2 usage or the configuration\n"
"cannot be read.\n");
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "configfile", required_argument, NULL, 's' },
		{ "layout", no_argument, NULL, 'l' },
		{ "module", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor d = { 0 };
	char **shares = NULL;
	size_t nshares = 0;
	size_t nrvss = 0;
	char *why = NULL;
	size_t i;
	int rc = AGENT_EXIT_USAGE;
	int c;
	int r;

	d.ctx = talloc_new(NULL);
	if (d.ctx == NULL) {
		return AGENT_EXIT_USAGE;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:lm:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			d.conf = optarg;
			break;
		case 'l':
			d.layout = true;
			break;
		case 'm':
			d.module = optarg;
			break;
		case 'j':
			d.json = true;
			break;
		case 'h':
			doctor_usage(stdout);
			rc = AGENT_EXIT_OK;
			goto done;
		default:
			doctor_usage(stderr);
			goto done;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fsrvp_agent doctor: unexpected argument '%s'\n",
			argv[optind]);
		doctor_usage(stderr);
		goto done;
	}
	/* Load the configuration once first: a broken one is exit 2. */
	r = agent_smbconf_sections(d.ctx, d.conf, &shares, &nshares, &why);
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent doctor: cannot load %s with "
			"testparm: %s\n", d.conf != NULL ? d.conf : "smb.conf",
			why != NULL ? why : strerror(-r));
		goto done;
	}
	if (d.json) {
		fputc('{', stdout);
		agent_json_member(stdout, "config", d.conf);
		fputs(", \"checks\": [", stdout);
	}
	r = check_globals(&d);
	if (r == 0) {
		check_module(&d);
	}
	for (i = 0; r == 0 && i < nshares; i++) {
		char *vfs = NULL;

		r = param(&d, shares[i], "vfs objects", &vfs);
		if (r != 0 || vfs == NULL || module_pos(vfs, "rvss") < 0) {
			continue;
		}
		nrvss++;
		r = check_share(&d, shares[i], vfs);
	}
	if (r == 0 && nrvss == 0) {
		say(&d, SEV_PROBLEM, "RVSS-D005", NULL,
		    "no share loads rvss: add 'vfs objects = rvss' to each "
		    "share that Windows backs up through FSRVP");
	}
	if (d.json) {
		fprintf(stdout, "%s], \"problems\": %u, \"ok\": %s}\n",
			d.items == 0 ? "" : "\n  ", d.problems,
			r == 0 && d.problems == 0 ? "true" : "false");
	} else if (r == 0) {
		printf("%u problem%s found\n", d.problems,
		       d.problems == 1 ? "" : "s");
	}
	if (r != 0) {
		goto done;
	}
	rc = d.problems == 0 ? AGENT_EXIT_OK : AGENT_EXIT_FINDINGS;
done:
	fflush(stdout);
	talloc_free(d.ctx);
	return rc;
}
