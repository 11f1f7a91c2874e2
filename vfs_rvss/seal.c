/*
 * vfs_rvss — seal an exposed writable shadow copy after recovery.
 *
 * An exposed shadow copy is a registry share whose path is rvss's snap_path
 * and whose VFS stack is the base share's, so rvss is loaded there too.  At
 * connect, rvss recognises such a share from its records.  If the copy is
 * writable (auto-recovery), every open and every write first looks at
 * Samba's srv_fss.tdb (lib/seal.c: its bytes compared with the last
 * settled read, a full read only when they differ) and once the set is
 * "recovered" it refuses writes, also through handles opened before, and
 * seals the snapshot (btrfs read-only flag, record) -- refusing even while
 * the flag or the record cannot be set.
 * The design note is docs/design.md, Seal.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "vfs_rvss.h"

#include "lib/util/tevent_unix.h"

#include "catalog.h"
#include "seal.h"
#include "snapname.h"

#undef DBGC_CLASS
#define DBGC_CLASS vfs_rvss_debug_level

/* Does @path have a component shaped like an rvss snapshot name? */
static bool maybe_snapshot_path(const char *path)
{
	const char *p = strstr(path, "/@GMT-");

	while (p != NULL) {
		char name[RVSS_SNAPNAME_LEN + 1];

		strlcpy(name, p + 1, sizeof(name));
		if (rvss_snapname_valid(name) &&
		    (p[1 + RVSS_SNAPNAME_LEN] == '\0' || p[1 + RVSS_SNAPNAME_LEN] == '/')) {
			return true;
		}
		p = strstr(p + 1, "/@GMT-");
	}
	return false;
}

int vfs_rvss_seal_connect(vfs_handle_struct *handle, struct vfs_rvss_config *cfg)
{
	struct rvss_catalog *cat = NULL;
	struct rvss_record *rec = NULL;
	const char *path = handle->conn->connectpath;
	int ret;

	if (!maybe_snapshot_path(path)) {
		return 0;
	}
	/* The catalog is root's (mode 0600). */
	become_root();
	ret = rvss_catalog_open(talloc_tos(), cfg->catalog, false, &cat);
	if (ret == 0) {
		ret = rvss_catalog_find_snap_path(cat, cfg, path, &rec);
	}
	unbecome_root();
	TALLOC_FREE(cat);
	if (ret == -ENOENT) {
		return 0; /* not a shadow copy of rvss */
	}
	if (ret != 0) {
		DBG_ERR("share [%s]: cannot read catalog %s: %s\n", cfg->share,
			cfg->catalog, strerror(-ret));
		return ret;
	}
	cfg->snap_path = talloc_strdup(cfg, path);
	if (cfg->snap_path == NULL) {
		TALLOC_FREE(rec);
		return -ENOMEM;
	}
	cfg->sealed = rec->sealed || !rec->rw || rec->state == RVSS_STATE_RETAINED;
	if (!cfg->sealed) {
		ret = rvss_seal_watch_new(cfg, cfg->catalog, cfg->fss_state, path,
					  &cfg->seal_watch);
		if (ret != 0) {
			TALLOC_FREE(rec);
			return ret;
		}
	}
	DBG_DEBUG("share [%s] is shadow copy %s (%s%s)\n", cfg->share, rec->snapshot,
		  rec->rw ? "writable" : "read-only", rec->sealed ? ", sealed" : "");
	TALLOC_FREE(rec);
	return 0;
}

bool vfs_rvss_refuse_write(vfs_handle_struct *handle)
{
	struct vfs_rvss_config *cfg = vfs_rvss_config(handle);
	char *reason = NULL;
	bool refuse = false;
	int ret;

	if (cfg == NULL || cfg->snap_path == NULL) {
		return false;
	}
	if (cfg->sealed || cfg->seal_watch == NULL) {
		return cfg->sealed;
	}
	/* As root: the catalog and srv_fss.tdb are root's (0600). */
	become_root();
	ret = rvss_seal_watch_check(cfg->seal_watch, talloc_tos(), &refuse, &reason);
	unbecome_root();
	if (ret != 0) {
		/* Refused or not, the watcher tries again (fails closed once
		 * the set is recovered). */
		DBG_ERR("share [%s]: cannot check or complete the seal of %s: %s%s\n",
			cfg->share, cfg->snap_path,
			reason != NULL ? reason : strerror(-ret),
			refuse ? "; writes refused" : "");
		TALLOC_FREE(reason);
	}
	if (rvss_seal_watch_done(cfg->seal_watch)) {
		DBG_NOTICE("share [%s]: recovery complete, shadow copy %s sealed "
			   "read-only\n", cfg->share, cfg->snap_path);
		cfg->sealed = true;
		TALLOC_FREE(cfg->seal_watch);
	}
	return refuse;
}

ssize_t vfs_rvss_pwrite(vfs_handle_struct *handle, files_struct *fsp,
			const void *data, size_t n, off_t offset)
{
	if (vfs_rvss_refuse_write(handle)) {
		errno = EROFS;
		return -1;
	}
	return SMB_VFS_NEXT_PWRITE(handle, fsp, data, n, offset);
}

struct vfs_rvss_pwrite_state {
	ssize_t ret;
	struct vfs_aio_state vfs_aio_state;
};

static void vfs_rvss_pwrite_done(struct tevent_req *subreq);

struct tevent_req *vfs_rvss_pwrite_send(vfs_handle_struct *handle,
					TALLOC_CTX *mem_ctx,
					struct tevent_context *ev,
					files_struct *fsp, const void *data,
					size_t n, off_t offset)
{
	struct tevent_req *req, *subreq;
	struct vfs_rvss_pwrite_state *state;

	req = tevent_req_create(mem_ctx, &state, struct vfs_rvss_pwrite_state);
	if (req == NULL) {
		return NULL;
	}
	if (vfs_rvss_refuse_write(handle)) {
		state->ret = -1;
		state->vfs_aio_state.error = EROFS;
		tevent_req_done(req);
		return tevent_req_post(req, ev);
	}
	subreq = SMB_VFS_NEXT_PWRITE_SEND(state, ev, handle, fsp, data, n, offset);
	if (tevent_req_nomem(subreq, req)) {
		return tevent_req_post(req, ev);
	}
	tevent_req_set_callback(subreq, vfs_rvss_pwrite_done, req);
	return req;
}

static void vfs_rvss_pwrite_done(struct tevent_req *subreq)
{
	struct tevent_req *req = tevent_req_callback_data(subreq, struct tevent_req);
	struct vfs_rvss_pwrite_state *state =
		tevent_req_data(req, struct vfs_rvss_pwrite_state);

	state->ret = SMB_VFS_PWRITE_RECV(subreq, &state->vfs_aio_state);
	TALLOC_FREE(subreq);
	tevent_req_done(req);
}

ssize_t vfs_rvss_pwrite_recv(struct tevent_req *req,
			     struct vfs_aio_state *vfs_aio_state)
{
	struct vfs_rvss_pwrite_state *state =
		tevent_req_data(req, struct vfs_rvss_pwrite_state);

	if (tevent_req_is_unix_error(req, &vfs_aio_state->error)) {
		tevent_req_received(req);
		return -1;
	}
	*vfs_aio_state = state->vfs_aio_state;
	return state->ret;
}

int vfs_rvss_ftruncate(vfs_handle_struct *handle, files_struct *fsp, off_t len)
{
	if (vfs_rvss_refuse_write(handle)) {
		errno = EROFS;
		return -1;
	}
	return SMB_VFS_NEXT_FTRUNCATE(handle, fsp, len);
}

int vfs_rvss_fallocate(vfs_handle_struct *handle, files_struct *fsp,
		       uint32_t mode, off_t offset, off_t len)
{
	if (vfs_rvss_refuse_write(handle)) {
		errno = EROFS;
		return -1;
	}
	return SMB_VFS_NEXT_FALLOCATE(handle, fsp, mode, offset, len);
}
