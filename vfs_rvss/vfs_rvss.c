/*
 * vfs_rvss — Remote VSS (MS-FSRVP) shadow copies on btrfs: the Samba glue.
 *
 * Samba's FSRVP server (rpcd_fsrvp) asks the share's VFS stack to check a
 * share path, create a snapshot and delete it.  This file maps those hooks
 * onto the Samba-independent core (lib/snapshot.h): it parses every rvss:
 * option once per connection, raises privilege around the single core call
 * that needs it, turns -errno into the NTSTATUS that Samba maps to an FSRVP
 * result, and logs each failure once with its reason.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "vfs_rvss.h"

#include "lib/util_path.h"

#include "fss_state.h"
#include "gc.h"
#include "layout.h"
#include "modinfo.h"
#include "options.h"
#include "snapshot.h"

#undef DBGC_CLASS
#define DBGC_CLASS vfs_rvss_debug_level

int vfs_rvss_debug_level = DBGC_VFS;

#define RVSS_MODULE_NAME "rvss"

/* rpcd_fsrvp's num_workers when smb.conf does not set it (rpcd_fsrvp.c). */
#define RVSS_FSRVP_DEFAULT_WORKERS 5

struct vfs_rvss_config *vfs_rvss_config(struct vfs_handle_struct *handle)
{
	struct vfs_rvss_config *cfg = NULL;

	SMB_VFS_HANDLE_GET_DATA(handle, cfg, struct vfs_rvss_config, return NULL);
	return cfg;
}

bool vfs_rvss_hidden(const struct vfs_rvss_config *cfg, const char *rel)
{
	if (cfg == NULL || cfg->hide_rel == NULL || rel == NULL) {
		return false;
	}
	while (rel[0] == '.' && rel[1] == '/') {
		rel += 2;
	}
	return rvss_store_path_on_way(cfg->hide_rel, rel);
}

/* Read a boolean rvss: option strictly.  false on a bad value. */
static bool config_bool(int snum, const char *option, bool def, bool *ret)
{
	const char *s = lp_parm_const_string(snum, RVSS_MODULE_NAME, option, NULL);

	if (s == NULL) {
		*ret = def;
		return true;
	}
	if (rvss_parse_bool(s, ret) != 0) {
		DBG_ERR("rvss:%s = '%s' is not a boolean (yes/no)\n", option, s);
		return false;
	}
	return true;
}

/* Read a duration rvss: option strictly. */
static bool config_duration(int snum, const char *option, uint64_t def, uint64_t *ret)
{
	const char *s = lp_parm_const_string(snum, RVSS_MODULE_NAME, option, NULL);

	if (s == NULL) {
		*ret = def;
		return true;
	}
	if (rvss_parse_duration(s, ret) != 0) {
		DBG_ERR("rvss:%s = '%s' is not a duration (e.g. 90s, 30m, 12h, 7d)\n",
			option, s);
		return false;
	}
	return true;
}

/*
 * Where does the store lie relative to the share?  When it is inside the
 * share's tree it is hidden from clients; when it *is* the share root the
 * configuration makes no sense.
 */
static int config_hide(TALLOC_CTX *mem_ctx, struct vfs_rvss_config *cfg,
		       const char *connectpath)
{
	struct rvss_volume *vol = NULL;
	char *reason = NULL;
	const char *base;
	size_t n;
	int ret;

	ret = rvss_volume_resolve(mem_ctx, connectpath, cfg->snapshot_dir, &vol, &reason);
	if (ret != 0) {
		/* Not btrfs (or not reachable): nothing to hide.  FSRVP calls
		 * on such a share are refused by the check with the reason. */
		DBG_DEBUG("share [%s] %s: %s\n", cfg->share, connectpath,
			  reason != NULL ? reason : strerror(-ret));
		TALLOC_FREE(reason);
		return 0;
	}
	base = vol->store_base;
	n = strlen(vol->share_path);
	if (strcmp(base, vol->share_path) == 0) {
		DBG_ERR("share [%s]: rvss:snapshot dir '%s' is the share path "
			"itself\n", cfg->share, cfg->snapshot_dir);
		TALLOC_FREE(vol);
		return -EINVAL;
	}
	if (strncmp(base, vol->share_path, n) == 0 &&
	    (base[n] == '/' || strcmp(vol->share_path, "/") == 0)) {
		cfg->hide_rel = talloc_strdup(cfg, base + n + (base[n] == '/'));
		if (cfg->hide_rel == NULL) {
			TALLOC_FREE(vol);
			return -ENOMEM;
		}
	}
	TALLOC_FREE(vol);
	return 0;
}

static int vfs_rvss_connect(vfs_handle_struct *handle, const char *service,
			    const char *user)
{
	struct vfs_rvss_config *cfg = NULL;
	int snum = SNUM(handle->conn);
	const char *dir;
	int ret;

	ret = SMB_VFS_NEXT_CONNECT(handle, service, user);
	if (ret < 0) {
		return ret;
	}
	cfg = talloc_zero(handle->conn, struct vfs_rvss_config);
	if (cfg == NULL) {
		goto nomem;
	}
	cfg->share = lp_const_servicename(snum);
	dir = lp_parm_const_string(snum, RVSS_MODULE_NAME, "snapshot dir",
				   RVSS_DEFAULT_SNAPSHOT_DIR);
	if (!rvss_snapshot_dir_valid(dir)) {
		DBG_ERR("share [%s]: rvss:snapshot dir = '%s' is not a usable "
			"path (empty, '.' or '..' components)\n", service, dir);
		goto invalid;
	}
	cfg->snapshot_dir = talloc_strdup(cfg, dir);
	cfg->catalog = state_path(cfg, RVSS_CATALOG_NAME);
	if (cfg->snapshot_dir == NULL || cfg->catalog == NULL) {
		goto nomem;
	}
	cfg->fss_state = lock_path(cfg, RVSS_FSS_STATE_NAME);
	if (cfg->fss_state == NULL) {
		goto nomem;
	}
	if (!config_bool(snum, "hide store", true, &cfg->hide_store) ||
	    !config_bool(snum, "reclaim", true, &cfg->reclaim) ||
	    !config_duration(snum, "reclaim grace", 600, &cfg->reclaim_grace) ||
	    !config_duration(snum, "expose max age", 7 * 86400, &cfg->expose_max_age) ||
	    !config_duration(snum, "timer slack", RVSS_DEFAULT_TIMER_SLACK,
			     &cfg->timer_slack)) {
		goto invalid;
	}
	if (!config_bool(snum, "check layout", false, &cfg->check_layout) ||
	    !config_duration(snum, "check timeout", 10, &cfg->check_timeout)) {
		goto invalid;
	}
	dir = lp_parm_const_string(snum, RVSS_MODULE_NAME, "check depth", "5");
	if (rvss_parse_count(dir, &cfg->check_depth) != 0) {
		DBG_ERR("rvss:check depth = '%s' is not a count (0 = unlimited)\n", dir);
		goto invalid;
	}
	if (cfg->check_timeout == 0 || cfg->check_timeout > 45) {
		DBG_ERR("rvss:check timeout = %llus: must be 1s..45s (a Windows "
			"client allows 60 s for the whole FSRVP sequence)\n",
			(unsigned long long)cfg->check_timeout);
		goto invalid;
	}
	dir = lp_parm_const_string(snum, RVSS_MODULE_NAME, "retain", "no");
	if (rvss_parse_retain(dir, &cfg->retain, &cfg->retain_count,
			      &cfg->retain_age) != 0) {
		DBG_ERR("rvss:retain = '%s' is not 'no', 'yes', a count, an age or "
			"'count, age' (e.g. '14, 30d')\n", dir);
		goto invalid;
	}
	dir = lp_parm_const_string(snum, RVSS_MODULE_NAME, "nested subvolumes",
				   "refuse");
	if (rvss_parse_nested(dir, &cfg->nested) != 0) {
		DBG_ERR("rvss:nested subvolumes = '%s' is not 'refuse' or "
			"'include'\n", dir);
		goto invalid;
	}
	/* Samba's own message sequence timeout, as rpcd_fsrvp reads it. */
	ret = lp_parm_int(GLOBAL_SECTION_SNUM, "fss", "sequence timeout", 180);
	cfg->seq_timeout = ret > 0 ? (uint64_t)ret : 0;
	/* rpcd_fsrvp's worker count, read as rpc_worker_main() reads it
	 * (source3/rpc_server/rpc_worker.c; rpcd_fsrvp.c passes 5). */
	cfg->fss_workers = lp_parm_int(GLOBAL_SECTION_SNUM, "rpcd_fsrvp",
				       "num_workers", RVSS_FSRVP_DEFAULT_WORKERS);
	cfg->fss_workers_default = lp_parm_const_string(GLOBAL_SECTION_SNUM,
							"rpcd_fsrvp", "num_workers",
							NULL) == NULL;
	ret = vfs_rvss_seal_connect(handle, cfg);
	if (ret == -ENOMEM) {
		goto nomem;
	}
	if (ret != 0) {
		goto invalid;
	}
	if (cfg->hide_store) {
		ret = config_hide(cfg, cfg, handle->conn->connectpath);
		if (ret == -ENOMEM) {
			goto nomem;
		}
		if (ret != 0) {
			goto invalid;
		}
	}
	DBG_DEBUG("share [%s]: snapshot dir = %s, catalog = %s, hide store = %s "
		  "(%s), reclaim = %s (grace %llus), expose max age = %llus, "
		  "retain = %s (count %u, age %llus), nested subvolumes = %s, "
		  "fss state = %s, "
		  "rpcd_fsrvp:num_workers = %d%s\n",
		  cfg->share, cfg->snapshot_dir, cfg->catalog,
		  cfg->hide_store ? "yes" : "no",
		  cfg->hide_rel != NULL ? cfg->hide_rel : "store outside share",
		  cfg->reclaim ? "yes" : "no",
		  (unsigned long long)cfg->reclaim_grace,
		  (unsigned long long)cfg->expose_max_age,
		  cfg->retain ? "yes" : "no", (unsigned)cfg->retain_count,
		  (unsigned long long)cfg->retain_age,
		  cfg->nested == RVSS_NESTED_INCLUDE ? "include" : "refuse",
		  cfg->fss_state,
		  cfg->fss_workers, cfg->fss_workers_default ? " (default)" : "");
	SMB_VFS_HANDLE_SET_DATA(handle, cfg, NULL, struct vfs_rvss_config,
				goto nomem);
	return 0;

invalid:
	TALLOC_FREE(cfg);
	SMB_VFS_NEXT_DISCONNECT(handle);
	errno = EINVAL;
	return -1;
nomem:
	TALLOC_FREE(cfg);
	SMB_VFS_NEXT_DISCONNECT(handle);
	errno = ENOMEM;
	return -1;
}

/* -errno from the core -> the NTSTATUS Samba maps to an FSRVP result. */
static NTSTATUS map_core_error(int ret)
{
	switch (ret) {
	case 0:
		return NT_STATUS_OK;
	case -EOPNOTSUPP:
	case -EXDEV:
		return NT_STATUS_NOT_SUPPORTED;      /* FSRVP_E_NOT_SUPPORTED */
	case -EPERM:
	case -EACCES:
		return NT_STATUS_ACCESS_DENIED;      /* E_ACCESSDENIED */
	case -ENOMEM:
		return NT_STATUS_NO_MEMORY;
	case -RVSS_EUNTRUSTED:
		return NT_STATUS_UNSUCCESSFUL;       /* E_FAIL */
	default:
		return map_nt_error_from_unix(-ret); /* E_FAIL */
	}
}

/*
 * Reclaim what dead sets left on this share's subvolume: run on every FSRVP
 * use of the share (IsPathSupported, AddToShadowCopySet), inside
 * rpcd_fsrvp.  Samba's state file is not repaired from here: rpcd_fsrvp
 * rewrites it from memory (fsrvp_agent gc does that part).
 */
static void reclaim_for(struct vfs_rvss_config *cfg, const char *source)
{
	struct rvss_gc_args args = {
		.catalog_path = cfg->catalog,
		.fss_state_path = cfg->fss_state,
		.policy = {
			.now = time(NULL),
			.seq_timeout = cfg->seq_timeout,
			.timer_slack = cfg->timer_slack,
			.grace = cfg->reclaim_grace,
			.expose_max_age = 0, /* exposed shares: fsrvp_agent gc */
			.fss_workers = cfg->fss_workers,
		},
		.source = source,
	};
	struct rvss_gc_item *items = NULL;
	size_t n = 0, i, held = 0;
	int ret;

	if (!cfg->reclaim) {
		return;
	}
	become_root();
	ret = rvss_gc_run(talloc_tos(), &args, &items, &n, NULL, NULL);
	unbecome_root();
	if (ret == -ENOENT) {
		return; /* no catalog yet */
	}
	if (ret != 0) {
		DBG_WARNING("share [%s]: reclaim skipped: %s\n", cfg->share,
			    strerror(-ret));
		return;
	}
	for (i = 0; i < n; i++) {
		if (items[i].held) {
			DBG_NOTICE("share [%s]: kept %s: %s\n", cfg->share,
				   items[i].rec->snapshot, items[i].reason);
			held++;
			continue;
		}
		if (items[i].action == RVSS_ACTION_KEEP) {
			continue;
		}
		if (items[i].result != 0) {
			DBG_WARNING("share [%s]: %s of %s failed: %s\n", cfg->share,
				    rvss_action_name(items[i].action),
				    items[i].rec->snapshot,
				    items[i].error != NULL ? items[i].error
							   : strerror(-items[i].result));
		} else {
			DBG_NOTICE("share [%s]: %s %s: %s\n", cfg->share,
				   rvss_action_name(items[i].action),
				   items[i].rec->snapshot, items[i].reason);
		}
	}
	if (held > 0) {
		DBG_WARNING("share [%s]: not reclaiming %zu snapshot(s) that "
			    "srv_fss.tdb calls dead: rpcd_fsrvp:num_workers = %d%s, "
			    "and each rpcd_fsrvp worker rewrites srv_fss.tdb from "
			    "its own sets, so the file cannot tell a dead set from "
			    "another worker's live one; set 'rpcd_fsrvp:num_workers "
			    "= 1' in [global] (fsrvp_agent gc then reclaims them)\n",
			    cfg->share, held, cfg->fss_workers,
			    cfg->fss_workers_default ? " (Samba's default)" : "");
	}
	TALLOC_FREE(items);
}

/*
 * rvss:check layout: the share-layout rules of fsrvp_agent check (ONTAP's
 * Remote VSS rules), bounded by rvss:check timeout so that IsPathSupported /
 * AddToShadowCopySet can never endanger the client's time limits.  A walk
 * cut short by the bound does not refuse the share; findings do.
 */
static bool layout_ok(struct vfs_rvss_config *cfg, const char *path)
{
	struct rvss_layout_opts opts;
	struct rvss_layout_result *res = NULL;
	const char *skip[2] = { cfg->hide_rel, NULL };
	struct timespec now;
	size_t i;
	int ret;

	if (!cfg->check_layout) {
		return true;
	}
	rvss_layout_opts_init(&opts);
	clock_gettime(CLOCK_MONOTONIC, &now);
	opts.max_depth = cfg->check_depth;
	opts.skip_paths = cfg->hide_rel != NULL ? skip : NULL;
	opts.share_name = cfg->share;
	opts.include_subvolumes = cfg->nested == RVSS_NESTED_INCLUDE;
	opts.deadline_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec +
			   cfg->check_timeout * 1000000000ULL;
	opts.threads = 1;
	/* The bulk read commits a btrfs transaction first, which the
	 * deadline does not bound: per-file statx here. */
	opts.no_tree_search = true;
	opts.max_findings = 20;
	become_root();
	ret = rvss_layout_check(talloc_tos(), path, &opts, &res);
	unbecome_root();
	if (ret != 0) {
		DBG_NOTICE("share [%s]: layout check of %s failed: %s\n", cfg->share,
			   path, strerror(-ret));
		return false;
	}
	if (!res->complete) {
		DBG_NOTICE("share [%s]: layout check of %s stopped at its bound "
			   "(rvss:check timeout = %llus); not refusing\n", cfg->share,
			   path, (unsigned long long)cfg->check_timeout);
	}
	for (i = 0; i < res->num_findings; i++) {
		char *line = rvss_layout_finding_string(talloc_tos(), &res->findings[i]);

		if (res->findings[i].code == RVSS_LAYOUT_INCOMPLETE) {
			TALLOC_FREE(line);
			continue;
		}
		DBG_NOTICE("share [%s]: layout: %s\n", cfg->share,
			   line != NULL ? line : "(no memory)");
		TALLOC_FREE(line);
		ret = -EXDEV;
	}
	if (ret != 0 || res->num_dropped > 0) {
		DBG_NOTICE("share [%s]: %zu layout finding(s): not a Remote VSS "
			   "share (rvss:check layout = yes)\n", cfg->share,
			   res->num_findings + res->num_dropped);
		TALLOC_FREE(res);
		return false;
	}
	TALLOC_FREE(res);
	return true;
}

static NTSTATUS vfs_rvss_snap_check_path(struct vfs_handle_struct *handle,
					 TALLOC_CTX *mem_ctx,
					 const char *service_path,
					 char **base_volume)
{
	struct vfs_rvss_config *cfg = vfs_rvss_config(handle);
	struct rvss_volume *vol = NULL;
	char *reason = NULL;
	int ret;

	if (cfg == NULL) {
		return NT_STATUS_INTERNAL_ERROR;
	}
	/* Root so that every nested subvolume is seen (unprivileged
	 * listing silently skips those the user cannot reach). */
	become_root();
	ret = rvss_snap_check_nested(talloc_tos(), service_path,
				     cfg->snapshot_dir, cfg->nested, &vol,
				     &reason);
	unbecome_root();
	if (ret == -RVSS_EUNTRUSTED) {
		/* A share user may have planted it, but the admin must act. */
		DBG_ERR("share [%s]: untrusted snapshot store, no shadow copies: "
			"%s\n", cfg->share, reason != NULL ? reason : strerror(-ret));
		TALLOC_FREE(reason);
		return map_core_error(ret);
	}
	if (ret != 0) {
		DBG_NOTICE("share [%s] path %s not supported for shadow copies: "
			   "%s\n", cfg->share, service_path,
			   reason != NULL ? reason : strerror(-ret));
		TALLOC_FREE(reason);
		return NT_STATUS_NOT_SUPPORTED;
	}
	if (!layout_ok(cfg, vol->share_path)) {
		TALLOC_FREE(vol);
		return NT_STATUS_NOT_SUPPORTED;
	}
	reclaim_for(cfg, vol->subvol_root);
	*base_volume = talloc_strdup(mem_ctx, vol->share_path);
	TALLOC_FREE(vol);
	if (*base_volume == NULL) {
		return NT_STATUS_NO_MEMORY;
	}
	DBG_INFO("share [%s] path %s supported, base volume %s\n", cfg->share,
		 service_path, *base_volume);
	return NT_STATUS_OK;
}

static NTSTATUS vfs_rvss_snap_create(struct vfs_handle_struct *handle,
				     TALLOC_CTX *mem_ctx,
				     const char *base_volume,
				     time_t *tstamp,
				     bool rw,
				     char **base_path,
				     char **snap_path)
{
	struct vfs_rvss_config *cfg = vfs_rvss_config(handle);
	struct rvss_create_args args;
	char *reason = NULL;
	time_t requested = *tstamp;
	struct timespec t0, t1;
	size_t nested = 0;
	int ret;

	if (cfg == NULL) {
		return NT_STATUS_INTERNAL_ERROR;
	}
	args = (struct rvss_create_args) {
		.catalog_path = cfg->catalog,
		.snapshot_dir = cfg->snapshot_dir,
		.share = cfg->share,
		.base_volume = base_volume,
		.rw = rw,
		.nested = cfg->nested,
		.nested_count = &nested,
	};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	become_root();
	ret = rvss_snap_create(mem_ctx, &args, tstamp, base_path, snap_path,
			       NULL, &reason);
	unbecome_root();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret != 0) {
		if (ret == -EOPNOTSUPP || ret == -EXDEV) {
			DBG_NOTICE("share [%s]: no snapshot of %s: %s\n", cfg->share,
				   base_volume, reason != NULL ? reason : strerror(-ret));
		} else {
			DBG_ERR("share [%s]: snapshot of %s failed: %s\n", cfg->share,
				base_volume, reason != NULL ? reason : strerror(-ret));
		}
		TALLOC_FREE(reason);
		return map_core_error(ret);
	}
	DBG_NOTICE("share [%s]: created %s snapshot %s of %s%s\n", cfg->share,
		   rw ? "writable" : "read-only", *snap_path, base_volume,
		   *tstamp != requested ? " (time stamp moved to keep names unique)" : "");
	if (nested > 0) {
		/* Not one instant: how long the writers had to stay frozen. */
		DBG_NOTICE("share [%s]: %zu nested subvolume(s) snapshotted into "
			   "%s; the whole tree took %.3f s\n", cfg->share, nested,
			   *snap_path, (double)(t1.tv_sec - t0.tv_sec) +
			   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	return NT_STATUS_OK;
}

static NTSTATUS vfs_rvss_snap_delete(struct vfs_handle_struct *handle,
				     TALLOC_CTX *mem_ctx,
				     char *base_path,
				     char *snap_path)
{
	struct vfs_rvss_config *cfg = vfs_rvss_config(handle);
	struct rvss_retain_args retain;
	char *reason = NULL;
	bool retained = false;
	int ret;

	if (cfg == NULL) {
		return NT_STATUS_INTERNAL_ERROR;
	}
	retain = (struct rvss_retain_args) {
		.fss_state_path = cfg->fss_state,
		.count = cfg->retain_count,
		.age = cfg->retain_age,
	};
	become_root();
	ret = rvss_snap_delete(talloc_tos(), cfg->catalog, base_path, snap_path,
			       cfg->retain ? &retain : NULL, &retained, &reason);
	unbecome_root();
	if (ret != 0) {
		DBG_WARNING("share [%s]: delete of %s refused or failed: %s\n",
			    cfg->share, snap_path,
			    reason != NULL ? reason : strerror(-ret));
		TALLOC_FREE(reason);
		return map_core_error(ret);
	}
	if (retained) {
		DBG_NOTICE("share [%s]: kept snapshot %s read-only as a backup "
			   "(rvss:retain)\n", cfg->share, snap_path);
	} else {
		DBG_NOTICE("share [%s]: deleted snapshot %s%s%s\n", cfg->share,
			   snap_path, reason != NULL ? ": " : "",
			   reason != NULL ? reason : "");
	}
	TALLOC_FREE(reason);
	return NT_STATUS_OK;
}

static struct vfs_fn_pointers vfs_rvss_fns = {
	.connect_fn = vfs_rvss_connect,
	.snap_check_path_fn = vfs_rvss_snap_check_path,
	.snap_create_fn = vfs_rvss_snap_create,
	.snap_delete_fn = vfs_rvss_snap_delete,
	.readdir_fn = vfs_rvss_readdir,
	.openat_fn = vfs_rvss_openat,
	.stat_fn = vfs_rvss_stat,
	.lstat_fn = vfs_rvss_lstat,
	.fstatat_fn = vfs_rvss_fstatat,
	.mkdirat_fn = vfs_rvss_mkdirat,
	.unlinkat_fn = vfs_rvss_unlinkat,
	.renameat_fn = vfs_rvss_renameat,
	.linkat_fn = vfs_rvss_linkat,
	.symlinkat_fn = vfs_rvss_symlinkat,
	.mknodat_fn = vfs_rvss_mknodat,
	.pwrite_fn = vfs_rvss_pwrite,
	.pwrite_send_fn = vfs_rvss_pwrite_send,
	.pwrite_recv_fn = vfs_rvss_pwrite_recv,
	.ftruncate_fn = vfs_rvss_ftruncate,
	.fallocate_fn = vfs_rvss_fallocate,
};

/*
 * The build record (lib/modinfo.h): the Samba release and VFS interface this
 * file was compiled for.  fsrvp_agent doctor reads it from the installed
 * file to tell an administrator, before smbd refuses the module, that it was
 * built for another Samba series.
 */
#define RVSS_STR2(x) #x
#define RVSS_STR(x) RVSS_STR2(x)
__attribute__((used))
static const char vfs_rvss_build_info[] =
	RVSS_MODINFO_PREFIX "samba=" RVSS_STR(SAMBA_VERSION_MAJOR) "."
	RVSS_STR(SAMBA_VERSION_MINOR) "." RVSS_STR(SAMBA_VERSION_RELEASE)
	";vfs_interface=" RVSS_STR(SMB_VFS_INTERFACE_VERSION)
	";package=" RVSS_SAMBA_PACKAGE ";rvss=" RVSS_VERSION ";";

/* Samba's module loader looks for samba_init_module in a shared module. */
NTSTATUS samba_init_module(TALLOC_CTX *ctx);
__attribute__((visibility("default")))
NTSTATUS samba_init_module(TALLOC_CTX *ctx)
{
	NTSTATUS status;

	status = smb_register_vfs(SMB_VFS_INTERFACE_VERSION, RVSS_MODULE_NAME,
				  &vfs_rvss_fns);
	if (!NT_STATUS_IS_OK(status)) {
		return status;
	}
	vfs_rvss_debug_level = debug_add_class(RVSS_MODULE_NAME);
	if (vfs_rvss_debug_level == -1) {
		vfs_rvss_debug_level = DBGC_VFS;
		DBG_ERR("cannot register debug class %s\n", RVSS_MODULE_NAME);
	}
	return NT_STATUS_OK;
}
