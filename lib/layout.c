/*
 * rvss — the share-layout rules: one depth-first walk over directory fds.
 *
 * Per entry the walk costs one getdents share, as find's does; each
 * directory (and each entry of unknown d_type) gets one statx
 * (AT_SYMLINK_NOFOLLOW), which gives the mount id too, so a bind mount of
 * the same filesystem (same st_dev) is still seen as a mount point.
 * Symlinks, devices, FIFOs and sockets are judged from d_type alone.  Only
 * VHDX/VHD files (by extension) are opened and read.
 *
 * Hard links: each batch of a directory's regular files goes to links.c,
 * which fetches their link counts (in bulk from the btrfs tree when it
 * can, on helper threads when there are any) while the walk goes on;
 * after the walk, a file with more links than were found inside the tree
 * has a link outside the share.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "layout.h"
#include "btrfs.h"
#include "links.h"
#include "vdisk.h"
#include "vhd.h"
#include "vhdx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/openat2.h>

#define DEFAULT_MAX_DEPTH     5
#define DEFAULT_MAX_OPEN_DIRS 256
#define DEFAULT_MAX_LINKS     1000000
#define PROGRESS_EVERY        4096
#define CLOCK_EVERY           256

const char *const rvss_layout_default_extensions[] = {
	/* Hyper-V */
	".vhd", ".vhdx", ".avhd", ".avhdx", ".vmcx", ".vmrs", ".vmgs",
	".xml", ".bin", ".vsv",
	/* SQL Server */
	".mdf", ".ndf", ".ldf",
	NULL,
};

static const char *const code_names[RVSS_LAYOUT_CODE_MAX + 1] = {
	[RVSS_LAYOUT_SYMLINK] = "RVSS-L001",
	[RVSS_LAYOUT_DEVICE] = "RVSS-L002",
	[RVSS_LAYOUT_FIFO] = "RVSS-L003",
	[RVSS_LAYOUT_SOCKET] = "RVSS-L004",
	[RVSS_LAYOUT_SUBVOLUME] = "RVSS-L005",
	[RVSS_LAYOUT_MOUNT] = "RVSS-L006",
	[RVSS_LAYOUT_OTHER_FS] = "RVSS-L007",
	[RVSS_LAYOUT_TOO_DEEP] = "RVSS-L008",
	[RVSS_LAYOUT_ROOT_FILE] = "RVSS-L009",
	[RVSS_LAYOUT_PARENT_OUTSIDE] = "RVSS-L010",
	[RVSS_LAYOUT_PARENT_MISSING] = "RVSS-L011",
	[RVSS_LAYOUT_HARDLINK] = "RVSS-L012",
	[RVSS_LAYOUT_UNREADABLE] = "RVSS-L013",
	[RVSS_LAYOUT_BAD_VDISK] = "RVSS-L014",
	[RVSS_LAYOUT_INCOMPLETE] = "RVSS-L015",
	[RVSS_LAYOUT_OTHER] = "RVSS-L016",
};

static const char *const code_summaries[RVSS_LAYOUT_CODE_MAX + 1] = {
	[RVSS_LAYOUT_SYMLINK] = "symbolic link",
	[RVSS_LAYOUT_DEVICE] = "device node",
	[RVSS_LAYOUT_FIFO] = "named pipe (FIFO)",
	[RVSS_LAYOUT_SOCKET] = "socket",
	[RVSS_LAYOUT_SUBVOLUME] = "nested btrfs subvolume (not in the snapshot)",
	[RVSS_LAYOUT_MOUNT] = "mount point (not in the snapshot)",
	[RVSS_LAYOUT_OTHER_FS] = "other filesystem (not in the snapshot)",
	[RVSS_LAYOUT_TOO_DEEP] = "directory deeper than the maximum depth",
	[RVSS_LAYOUT_ROOT_FILE] = "share root holds a file that is not a "
				  "virtual machine file",
	[RVSS_LAYOUT_PARENT_OUTSIDE] = "differencing disk's parent lies "
				       "outside the share",
	[RVSS_LAYOUT_PARENT_MISSING] = "differencing disk's parent is missing",
	[RVSS_LAYOUT_HARDLINK] = "hard link reaching outside the share",
	[RVSS_LAYOUT_UNREADABLE] = "cannot be read",
	[RVSS_LAYOUT_BAD_VDISK] = "virtual disk file is corrupt or truncated",
	[RVSS_LAYOUT_INCOMPLETE] = "not checked (bound reached)",
	[RVSS_LAYOUT_OTHER] = "file of unknown type",
};

const char *rvss_layout_code_name(enum rvss_layout_code code)
{
	if (code < 1 || code > RVSS_LAYOUT_CODE_MAX) {
		return "RVSS-L???";
	}
	return code_names[code];
}

const char *rvss_layout_code_summary(enum rvss_layout_code code)
{
	if (code < 1 || code > RVSS_LAYOUT_CODE_MAX) {
		return "unknown finding";
	}
	return code_summaries[code];
}

void rvss_layout_opts_init(struct rvss_layout_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->max_depth = DEFAULT_MAX_DEPTH;
}

/* ---- the walk ---------------------------------------------------------- */

/* One directory entry read ahead, with its statx result. */
struct ent {
	struct statx stx;
	uint64_t ino;       /* d_ino */
	uint32_t name_off;  /* in frame.names */
	uint8_t d_type;
	bool need_stat;     /* a directory or d_type unknown */
	int err;            /* errno of statx, 0 if stx is valid */
};

#define BATCH_ENTRIES 256
#define BATCH_NAMES   (32 * 1024)

struct frame {
	DIR *dir;
	int fd;
	struct ent *ents;   /* BATCH_ENTRIES, kept for the slot's next use */
	char *names;        /* BATCH_NAMES */
	unsigned n;         /* entries in the batch */
	unsigned next;      /* next one to check */
	bool eof;
	size_t pathlen;   /* this directory's path length in walk.path */
	unsigned depth;   /* root = 0 */
	uint64_t dev;
	uint64_t mnt_id;
	bool deep_reported;
};

struct walk {
	const struct rvss_layout_opts *opts;
	struct rvss_layout_result *res;
	TALLOC_CTX *tmp;
	int root_fd;
	long root_fstype;
	bool have_mnt_id;
	const char *const *exts;
	char *path;
	size_t path_cap;
	struct frame *stack;
	unsigned nframes;
	unsigned max_frames;
	struct rvss_links *links;  /* NULL: hard-link rule skipped */
	struct rvss_links_ent *lents; /* BATCH_ENTRIES, for links */
	bool stop;
	size_t findings_cap;
	int err; /* -ENOMEM during the walk */
};

/* Only ever on the walking thread (links.c reports from its finish). */
static void emitv(struct walk *w, enum rvss_layout_code code,
		  const char *path, const char *fmt, va_list ap)
{
	struct rvss_layout_finding f = { .code = code };
	struct rvss_layout_result *res = w->res;
	TALLOC_CTX *owner = NULL;

	res->stats.findings++;
	if (w->opts->on_finding == NULL && w->opts->max_findings != 0 &&
	    res->num_findings >= w->opts->max_findings) {
		res->num_dropped++;
		return;
	}
	owner = w->opts->on_finding != NULL ? w->tmp : (TALLOC_CTX *)res;
	f.path = talloc_strdup(owner, path[0] == '\0' ? "." : path);
	if (fmt != NULL) {
		f.detail = talloc_vasprintf(owner, fmt, ap);
	}
	if (f.path == NULL || (fmt != NULL && f.detail == NULL)) {
		w->err = -ENOMEM;
		w->stop = true;
		return;
	}
	if (w->opts->on_finding != NULL) {
		w->opts->on_finding(w->opts->priv, &f);
		talloc_free(f.path);
		talloc_free(f.detail);
		return;
	}
	if (res->num_findings == w->findings_cap) {
		size_t ncap = w->findings_cap == 0 ? 16 : w->findings_cap * 2;
		struct rvss_layout_finding *n = NULL;

		n = talloc_realloc(res, res->findings,
				   struct rvss_layout_finding, ncap);
		if (n == NULL) {
			w->err = -ENOMEM;
			w->stop = true;
			return;
		}
		res->findings = n;
		w->findings_cap = ncap;
	}
	res->findings[res->num_findings++] = f;
}

static void emit(struct walk *w, enum rvss_layout_code code, const char *path,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void emit(struct walk *w, enum rvss_layout_code code, const char *path,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emitv(w, code, path, fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Make w->path the path of @name inside the top frame. */
static int set_child_path(struct walk *w, const struct frame *f,
			  const char *name)
{
	size_t nlen = strlen(name);
	size_t need = f->pathlen + 1 + nlen + 1;

	if (need > w->path_cap) {
		size_t ncap = need * 2;
		char *n = talloc_realloc(w->tmp, w->path, char, ncap);

		if (n == NULL) {
			return -ENOMEM;
		}
		w->path = n;
		w->path_cap = ncap;
	}
	if (f->pathlen == 0) {
		memcpy(w->path, name, nlen + 1);
	} else {
		w->path[f->pathlen] = '/';
		memcpy(w->path + f->pathlen + 1, name, nlen + 1);
	}
	return 0;
}

static const char *ext_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot == NULL || dot == name ? NULL : dot;
}

static bool ext_allowed(const struct walk *w, const char *name)
{
	const char *ext = ext_of(name);
	size_t i;

	if (ext == NULL) {
		return false;
	}
	for (i = 0; w->exts[i] != NULL; i++) {
		if (strcasecmp(ext, w->exts[i]) == 0) {
			return true;
		}
	}
	return false;
}

static const char *fs_name(long type)
{
	switch ((unsigned long)type) {
	case BTRFS_SUPER_MAGIC: return "btrfs";
	case EXT4_SUPER_MAGIC: return "ext2/3/4";
	case XFS_SUPER_MAGIC: return "xfs";
	case TMPFS_MAGIC: return "tmpfs";
	case NFS_SUPER_MAGIC: return "nfs";
	case PROC_SUPER_MAGIC: return "proc";
	case SYSFS_MAGIC: return "sysfs";
	case 0xff534d42ul: return "cifs";
	case 0xfe534d42ul: return "smb3";
	case 0x65735546ul: return "fuse";
	case OVERLAYFS_SUPER_MAGIC: return "overlay";
	default: return NULL;
	}
}

/* A directory entry that changes st_dev or mount id: which finding. */
static void report_crossing(struct walk *w, const struct frame *f,
			    const char *name, const struct statx *stx,
			    uint64_t dev)
{
	bool mount = w->have_mnt_id && stx->stx_mnt_id != f->mnt_id;
	struct statfs sfs;
	long type = 0;
	bool type_known = false;
	const char *tn = NULL;
	int fd;

	fd = openat(f->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (fstatfs(fd, &sfs) == 0) {
			type = (long)sfs.f_type;
			type_known = true;
		}
		close(fd);
	}
	tn = fs_name(type);
	if (!mount && dev != f->dev && stx->stx_ino == RVSS_BTRFS_SUBVOL_ROOT_INO &&
	    w->root_fstype == (long)BTRFS_SUPER_MAGIC &&
	    (!type_known || type == (long)BTRFS_SUPER_MAGIC)) {
		if (!w->opts->include_subvolumes) {
			emit(w, RVSS_LAYOUT_SUBVOLUME, w->path, NULL);
		}
		return;
	}
	if (mount && type_known && type == w->root_fstype) {
		emit(w, RVSS_LAYOUT_MOUNT, w->path, "%s mounted here",
		     tn != NULL ? tn : "same filesystem type");
		return;
	}
	if (tn != NULL) {
		emit(w, RVSS_LAYOUT_OTHER_FS, w->path, "%s", tn);
	} else if (type_known) {
		emit(w, RVSS_LAYOUT_OTHER_FS, w->path,
		     "filesystem type 0x%lx", (unsigned long)type);
	} else {
		emit(w, RVSS_LAYOUT_OTHER_FS, w->path, NULL);
	}
}

/* ---- differencing disks ------------------------------------------------ */

/* Open @rel below the root without symlinks, mounts or "..": O_PATH fd. */
static int open_beneath(int root_fd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) {
		/* Kernel before 5.6: components are checked by the case-
		 * insensitive fallback's own walk. */
		fd = openat(root_fd, rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd < 0 ? -errno : (int)fd;
}

/*
 * Windows compares names without case: if the exact path is not there,
 * walk it one component at a time and accept a name that differs only in
 * (ASCII) case.  Returns an O_PATH fd or -errno.
 */
static int open_nocase(int root_fd, const char *rel)
{
	char *copy = NULL;
	char *save = NULL;
	char *comp = NULL;
	int cur = -1;
	int ret;

	copy = strdup(rel);
	if (copy == NULL) {
		return -ENOMEM;
	}
	cur = dup(root_fd);
	if (cur < 0) {
		ret = -errno;
		goto done;
	}
	for (comp = strtok_r(copy, "/", &save); comp != NULL;
	     comp = strtok_r(NULL, "/", &save)) {
		int next = openat(cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 && errno == ENOENT) {
			int dfd = openat(cur, ".", O_RDONLY | O_DIRECTORY |
					 O_CLOEXEC);
			DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
			struct dirent *de = NULL;

			if (d == NULL) {
				if (dfd >= 0) {
					close(dfd);
				}
				ret = -ENOENT;
				goto done;
			}
			while ((de = readdir(d)) != NULL) {
				if (strcasecmp(de->d_name, comp) == 0) {
					next = openat(cur, de->d_name,
						      O_PATH | O_NOFOLLOW |
						      O_CLOEXEC);
					break;
				}
			}
			closedir(d);
			if (de == NULL) {
				ret = -ENOENT;
				goto done;
			}
		}
		if (next < 0) {
			ret = -errno;
			goto done;
		}
		close(cur);
		cur = next;
	}
	ret = cur;
	cur = -1;
done:
	if (cur >= 0) {
		close(cur);
	}
	free(copy);
	return ret;
}

/* 1 if @rel names a regular file inside the tree (fd in *ret_fd), else 0. */
static int find_parent_file(int root_fd, const char *rel, int *ret_fd)
{
	struct stat st;
	int fd;

	fd = open_beneath(root_fd, rel);
	if (fd == -ENOENT) {
		fd = open_nocase(root_fd, rel);
	}
	if (fd < 0) {
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return 0;
	}
	*ret_fd = fd;
	return 1;
}

static bool is_vhdx_name(const char *name)
{
	const char *ext = ext_of(name);

	return ext != NULL && (strcasecmp(ext, ".vhdx") == 0 ||
			       strcasecmp(ext, ".avhdx") == 0);
}

static bool is_vhd_name(const char *name)
{
	const char *ext = ext_of(name);

	return ext != NULL && (strcasecmp(ext, ".vhd") == 0 ||
			       strcasecmp(ext, ".avhd") == 0);
}

/*
 * Does the parent found at @pfd carry the identity the child expects?
 * Only VHDX records one (parent_linkage = the parent's DataWriteGuid).
 */
static bool linkage_ok(TALLOC_CTX *tmp, const struct rvss_vdisk_info *child,
		       const char *parent_rel, int pfd)
{
	struct rvss_vdisk_info *pinfo = NULL;
	struct rvss_vdisk_src src;
	char p[64];
	int fd;
	bool ok = true;

	if (child->parent_linkage == NULL || !is_vhdx_name(parent_rel)) {
		return true;
	}
	/* Reopen the O_PATH fd for reading: the file it names, no lookup. */
	snprintf(p, sizeof(p), "/proc/self/fd/%d", pfd);
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		return true;
	}
	if (rvss_vdisk_src_fd(fd, &src) == 0 &&
	    rvss_vhdx_read(tmp, &src, &pinfo) == 0) {
		ok = strcasecmp(pinfo->data_write_guid,
				child->parent_linkage) == 0;
	}
	close(fd);
	return ok;
}

static void check_parent(struct walk *w, const struct frame *f,
			 const struct rvss_vdisk_info *info)
{
	TALLOC_CTX *tmp = talloc_new(w->tmp);
	char *child_dir = NULL;
	const char *outside = NULL;
	const char *missing = NULL;
	const char *mismatch = NULL;
	size_t i;

	if (tmp == NULL) {
		w->err = -ENOMEM;
		w->stop = true;
		return;
	}
	child_dir = talloc_strndup(tmp, w->path, f->pathlen);
	if (child_dir == NULL) {
		w->err = -ENOMEM;
		w->stop = true;
		goto done;
	}
	for (i = 0; i < info->num_paths; i++) {
		char *rel = NULL;
		int pfd = -1;
		int ret;

		ret = rvss_vdisk_map_parent(tmp, child_dir, &info->paths[i],
					    w->opts->share_name, &rel);
		if (ret == -EXDEV) {
			if (outside == NULL) {
				outside = info->paths[i].path;
			}
			continue;
		}
		if (ret != 0) {
			continue;
		}
		if (find_parent_file(w->root_fd, rel, &pfd) == 0) {
			if (missing == NULL) {
				missing = rel;
			}
			continue;
		}
		if (!linkage_ok(tmp, info, rel, pfd)) {
			close(pfd);
			if (mismatch == NULL) {
				mismatch = rel;
			}
			continue;
		}
		close(pfd);
		goto done; /* parent found inside the share */
	}
	if (info->num_paths == 0) {
		emit(w, RVSS_LAYOUT_PARENT_MISSING, w->path,
		     "no parent locator that rvss can read");
	} else if (outside != NULL) {
		emit(w, RVSS_LAYOUT_PARENT_OUTSIDE, w->path, "parent %s",
		     outside);
	} else if (mismatch != NULL) {
		emit(w, RVSS_LAYOUT_PARENT_MISSING, w->path,
		     "%s is not the parent (parent_linkage %s differs)",
		     mismatch, info->parent_linkage);
	} else {
		emit(w, RVSS_LAYOUT_PARENT_MISSING, w->path,
		     "parent %s not found", missing != NULL ? missing : "?");
	}
done:
	talloc_free(tmp);
}

static void check_vdisk(struct walk *w, const struct frame *f,
			const char *name)
{
	struct rvss_vdisk_info *info = NULL;
	struct rvss_vdisk_src src;
	bool vhdx = is_vhdx_name(name);
	int fd;
	int ret;

	if (!vhdx && !is_vhd_name(name)) {
		return;
	}
	fd = openat(f->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		emit(w, RVSS_LAYOUT_UNREADABLE, w->path, "%s", strerror(errno));
		return;
	}
	w->res->stats.vdisks++;
	ret = rvss_vdisk_src_fd(fd, &src);
	if (ret == 0) {
		ret = vhdx ? rvss_vhdx_read(w->tmp, &src, &info)
			   : rvss_vhd_read(w->tmp, &src, &info);
	}
	close(fd);
	if (ret == -EBADMSG) {
		emit(w, RVSS_LAYOUT_BAD_VDISK, w->path,
		     "not a valid %s file; its parent cannot be determined",
		     vhdx ? "VHDX" : "VHD");
		return;
	}
	if (ret == -ENOMEM) {
		w->err = ret;
		w->stop = true;
		return;
	}
	if (ret != 0) {
		emit(w, RVSS_LAYOUT_UNREADABLE, w->path, "%s", strerror(-ret));
		return;
	}
	if (info->differencing) {
		check_parent(w, f, info);
	}
	talloc_free(info);
}

/* statx the batch's directories (and entries of unknown type). */
static void stat_batch(struct frame *f)
{
	unsigned i;

	for (i = 0; i < f->n; i++) {
		struct ent *e = &f->ents[i];

		if (e->need_stat &&
		    statx(f->fd, f->names + e->name_off,
			  AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
			  STATX_TYPE | STATX_NLINK | STATX_INO | STATX_MNT_ID,
			  &e->stx) != 0) {
			e->err = errno;
		}
	}
}

/* Hand the batch's regular files to links.c for their link counts. */
static void count_links(struct walk *w, struct frame *f)
{
	unsigned i;
	unsigned n = 0;
	int ret;

	if (w->links == NULL) {
		return;
	}
	for (i = 0; i < f->n; i++) {
		if (f->ents[i].d_type == DT_REG) {
			w->lents[n].ino = f->ents[i].ino;
			w->lents[n].name_off = f->ents[i].name_off;
			n++;
		}
	}
	ret = rvss_links_add(w->links, f->fd, w->path, f->pathlen, w->lents,
			     n, f->names);
	if (ret == -ENOMEM) {
		w->err = ret;
		w->stop = true;
	} else if (ret != 0) {
		w->path[f->pathlen] = '\0';
		emit(w, RVSS_LAYOUT_UNREADABLE, w->path,
		     "counting links: %s", strerror(-ret));
	}
}

/* Read the next batch of @f's entries; false at the end of the directory. */
static bool read_batch(struct walk *w, struct frame *f)
{
	size_t used = 0;

	f->n = 0;
	f->next = 0;
	if (f->eof) {
		return false;
	}
	if (f->ents == NULL) {
		f->ents = talloc_array(w->tmp, struct ent, BATCH_ENTRIES);
		f->names = talloc_array(w->tmp, char, BATCH_NAMES);
		if (f->ents == NULL || f->names == NULL) {
			w->err = -ENOMEM;
			w->stop = true;
			return false;
		}
	}
	while (f->n < BATCH_ENTRIES && used + NAME_MAX + 1 <= BATCH_NAMES) {
		struct dirent *de = NULL;
		struct ent *e = NULL;
		size_t len;

		errno = 0;
		de = readdir(f->dir);
		if (de == NULL) {
			if (errno != 0) {
				w->path[f->pathlen] = '\0';
				emit(w, RVSS_LAYOUT_UNREADABLE, w->path,
				     "reading the directory: %s",
				     strerror(errno));
			}
			f->eof = true;
			break;
		}
		if (de->d_name[0] == '.' &&
		    (de->d_name[1] == '\0' ||
		     (de->d_name[1] == '.' && de->d_name[2] == '\0'))) {
			continue;
		}
		len = strlen(de->d_name) + 1;
		e = &f->ents[f->n++];
		memcpy(f->names + used, de->d_name, len);
		e->name_off = (uint32_t)used;
		e->ino = de->d_ino;
		e->d_type = de->d_type;
		/* Symlinks, devices, FIFOs, sockets: d_type says it all;
		 * regular files' link counts are links.c's. */
		e->need_stat = de->d_type == DT_DIR ||
			       de->d_type == DT_UNKNOWN;
		e->err = 0;
		used += len;
	}
	stat_batch(f);
	count_links(w, f);
	return f->n > 0;
}

/* ---- directory stack --------------------------------------------------- */

static int push_dir(struct walk *w, int fd, size_t pathlen, unsigned depth,
		    uint64_t dev, uint64_t mnt_id, bool deep_reported)
{
	struct frame *f = NULL;
	DIR *d = NULL;

	d = fdopendir(fd);
	if (d == NULL) {
		int err = -errno;

		close(fd);
		return err;
	}
	f = &w->stack[w->nframes++];
	f->dir = d;
	f->fd = fd;
	f->n = 0;
	f->next = 0;
	f->eof = false;
	f->pathlen = pathlen;
	f->depth = depth;
	f->dev = dev;
	f->mnt_id = mnt_id;
	f->deep_reported = deep_reported;
	w->res->stats.dirs++;
	return 0;
}

static void pop_dir(struct walk *w)
{
	struct frame *f = &w->stack[--w->nframes];

	closedir(f->dir);
	f->dir = NULL;
}

static void enter_dir(struct walk *w, const struct frame *f, const char *name,
		      const struct statx *stx)
{
	uint64_t dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	unsigned depth = f->depth + 1;
	bool deep = f->deep_reported;
	size_t pathlen = strlen(w->path);
	int fd;
	int ret;

	if (dev != f->dev || (w->have_mnt_id && stx->stx_mnt_id != f->mnt_id)) {
		report_crossing(w, f, name, stx, dev);
		return;
	}
	if (w->opts->max_depth != 0 && depth > w->opts->max_depth && !deep) {
		emit(w, RVSS_LAYOUT_TOO_DEEP, w->path, "depth %u, maximum %u",
		     depth, w->opts->max_depth);
		deep = true;
	}
	if (w->nframes >= w->max_frames) {
		emit(w, RVSS_LAYOUT_INCOMPLETE, w->path,
		     "more than %u directory levels: not checked below",
		     w->max_frames);
		w->res->complete = false;
		return;
	}
	fd = openat(f->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		emit(w, RVSS_LAYOUT_UNREADABLE, w->path, "%s", strerror(errno));
		return;
	}
	ret = push_dir(w, fd, pathlen, depth, dev, f->mnt_id, deep);
	if (ret != 0) {
		emit(w, RVSS_LAYOUT_UNREADABLE, w->path, "%s", strerror(-ret));
	}
}

/* The rules for a regular file; @stx NULL: its link count is unknown. */
static void check_regular(struct walk *w, const struct frame *f,
			  const char *name, const struct statx *stx)
{
	if (f->depth == 0 && !ext_allowed(w, name)) {
		emit(w, RVSS_LAYOUT_ROOT_FILE, w->path, NULL);
	}
	if (stx != NULL && stx->stx_nlink > 1 && w->links != NULL) {
		/* d_type was unknown: statted here, not by links.c. */
		rvss_links_count(w->links,
				 makedev(stx->stx_dev_major,
					 stx->stx_dev_minor),
				 stx->stx_ino, stx->stx_nlink, w->path);
	}
	check_vdisk(w, f, name);
}

static void check_entry(struct walk *w, const struct frame *f,
			const struct ent *e)
{
	const char *name = f->names + e->name_off;
	const struct statx *stx = &e->stx;

	switch (e->d_type) {
	case DT_LNK:
		emit(w, RVSS_LAYOUT_SYMLINK, w->path, NULL);
		return;
	case DT_CHR:
	case DT_BLK:
		emit(w, RVSS_LAYOUT_DEVICE, w->path, NULL);
		return;
	case DT_FIFO:
		emit(w, RVSS_LAYOUT_FIFO, w->path, NULL);
		return;
	case DT_SOCK:
		emit(w, RVSS_LAYOUT_SOCKET, w->path, NULL);
		return;
	default:
		break;
	}
	if (!e->need_stat) {
		/* A regular file by d_type: links.c has its link count. */
		check_regular(w, f, name, NULL);
		return;
	}
	if (e->err != 0) {
		if (e->err != ENOENT) { /* ENOENT: removed while we walk */
			emit(w, RVSS_LAYOUT_UNREADABLE, w->path, "%s",
			     strerror(e->err));
		}
		return;
	}
	switch (stx->stx_mode & S_IFMT) {
	case S_IFDIR:
		enter_dir(w, f, name, stx);
		return;
	case S_IFREG:
		check_regular(w, f, name, stx);
		return;
	case S_IFLNK:
		emit(w, RVSS_LAYOUT_SYMLINK, w->path, NULL);
		return;
	case S_IFCHR:
	case S_IFBLK:
		emit(w, RVSS_LAYOUT_DEVICE, w->path, NULL);
		return;
	case S_IFIFO:
		emit(w, RVSS_LAYOUT_FIFO, w->path, NULL);
		return;
	case S_IFSOCK:
		emit(w, RVSS_LAYOUT_SOCKET, w->path, NULL);
		return;
	default:
		emit(w, RVSS_LAYOUT_OTHER, w->path, "mode 0%o",
		     (unsigned)stx->stx_mode);
		return;
	}
}

/* Has a bound been reached?  Sets w->stop and reports it once. */
static bool bound_reached(struct walk *w)
{
	const struct rvss_layout_opts *o = w->opts;
	uint64_t n = w->res->stats.entries;

	if (o->max_entries != 0 && n >= o->max_entries) {
		emit(w, RVSS_LAYOUT_INCOMPLETE, w->path,
		     "stopped after %llu entries", (unsigned long long)n);
	} else if (o->deadline_ns != 0 && n % CLOCK_EVERY == 0 &&
		   now_ns() >= o->deadline_ns) {
		emit(w, RVSS_LAYOUT_INCOMPLETE, w->path,
		     "stopped at the deadline after %llu entries",
		     (unsigned long long)n);
	} else {
		return false;
	}
	w->res->complete = false;
	w->stop = true;
	return true;
}

static bool skipped(const struct walk *w)
{
	const char *const *s;

	for (s = w->opts->skip_paths; *s != NULL; s++) {
		if (strcmp(*s, w->path) == 0) {
			return true;
		}
	}
	return false;
}

static void walk_tree(struct walk *w)
{
	while (w->nframes > 0 && !w->stop) {
		struct frame *f = &w->stack[w->nframes - 1];
		const struct ent *e = NULL;

		if (f->next == f->n) {
			if (!read_batch(w, f)) {
				pop_dir(w);
			}
			continue;
		}
		e = &f->ents[f->next++];
		if (set_child_path(w, f, f->names + e->name_off) != 0) {
			w->err = -ENOMEM;
			break;
		}
		if (w->opts->skip_paths != NULL && skipped(w)) {
			continue;
		}
		if (bound_reached(w)) {
			break;
		}
		w->res->stats.entries++;
		check_entry(w, f, e);
		if (w->opts->on_progress != NULL &&
		    w->res->stats.entries % PROGRESS_EVERY == 0) {
			w->opts->on_progress(w->opts->priv, &w->res->stats);
		}
	}
	while (w->nframes > 0) {
		pop_dir(w);
	}
}

/* ---- the hard-link rule (links.c) ------------------------------------- */

static void link_unreadable(void *priv, const char *path, int err)
{
	emit(priv, RVSS_LAYOUT_UNREADABLE, path, "%s", strerror(err));
}

static void link_outside(void *priv, const char *path, uint32_t nlink,
			 uint32_t seen)
{
	emit(priv, RVSS_LAYOUT_HARDLINK, path, "%u links, %u inside the share",
	     nlink, seen);
}

static int start_links(struct walk *w)
{
	const struct rvss_layout_opts *o = w->opts;
	struct rvss_links_opts lo = {
		.root_fd = w->root_fd,
		.helpers = o->threads > 1 ? o->threads - 1 : 0,
		.max_links = o->max_links != 0 ? o->max_links
					       : DEFAULT_MAX_LINKS,
		.tree_search = !o->no_tree_search,
		.on_error = link_unreadable,
		.priv = w,
	};

	w->lents = talloc_array(w->tmp, struct rvss_links_ent, BATCH_ENTRIES);
	if (w->lents == NULL) {
		return -ENOMEM;
	}
	return rvss_links_start(w->tmp, &lo, &w->links);
}

static void finish_links(struct walk *w)
{
	const char *over = NULL;
	int ret;

	ret = rvss_links_finish(w->links);
	if (ret != 0) {
		w->err = ret;
		return;
	}
	w->res->stats.tree_search = rvss_links_used_tree_search(w->links);
	over = rvss_links_overflow(w->links);
	if (over != NULL) {
		emit(w, RVSS_LAYOUT_INCOMPLETE, over,
		     "more than %zu hard-linked files: hard links not "
		     "checked beyond this one",
		     w->opts->max_links != 0 ? w->opts->max_links
					     : (size_t)DEFAULT_MAX_LINKS);
		w->res->complete = false;
	}
	if (w->err == 0 && w->res->complete) {
		/* Link counts mean something only after a complete walk. */
		rvss_links_report(w->links, link_outside, w);
	}
}

int rvss_layout_check_fd(TALLOC_CTX *mem_ctx, int root_fd,
			 const struct rvss_layout_opts *opts,
			 struct rvss_layout_result **ret_result)
{
	struct rvss_layout_opts defaults;
	struct walk w = { .root_fd = root_fd };
	struct statx stx;
	struct statfs sfs;
	int fd = -1;
	int ret;

	if (opts == NULL) {
		rvss_layout_opts_init(&defaults);
		opts = &defaults;
	}
	w.opts = opts;
	w.exts = opts->vm_extensions != NULL ? opts->vm_extensions
					     : rvss_layout_default_extensions;
	w.max_frames = opts->max_open_dirs != 0 ? opts->max_open_dirs
						: DEFAULT_MAX_OPEN_DIRS;
	w.tmp = talloc_new(NULL);
	if (w.tmp == NULL) {
		return -ENOMEM;
	}
	w.res = talloc_zero(w.tmp, struct rvss_layout_result);
	w.stack = talloc_zero_array(w.tmp, struct frame, w.max_frames);
	w.path = talloc_strdup(w.tmp, "");
	if (w.res == NULL || w.stack == NULL || w.path == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	w.path_cap = 1;
	w.res->complete = true;

	if (statx(root_fd, "", AT_EMPTY_PATH,
		  STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx) != 0 ||
	    fstatfs(root_fd, &sfs) != 0) {
		ret = -errno;
		goto done;
	}
	if (!S_ISDIR(stx.stx_mode)) {
		ret = -ENOTDIR;
		goto done;
	}
	w.root_fstype = (long)sfs.f_type;
	w.have_mnt_id = (stx.stx_mask & STATX_MNT_ID) != 0;
	/* Our own fd for the stack: closedir() must not close the caller's. */
	fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto done;
	}
	ret = push_dir(&w, fd, 0, 0, makedev(stx.stx_dev_major,
					     stx.stx_dev_minor),
		       stx.stx_mnt_id, false);
	fd = -1;
	if (ret != 0) {
		goto done;
	}
	if (!opts->skip_hardlinks) {
		ret = start_links(&w);
		if (ret != 0) {
			goto done;
		}
	}
	walk_tree(&w);
	if (w.links != NULL) {
		finish_links(&w);
	}
	if (w.err != 0) {
		ret = w.err;
		goto done;
	}
	if (opts->on_progress != NULL) {
		opts->on_progress(opts->priv, &w.res->stats);
	}
	*ret_result = talloc_steal(mem_ctx, w.res);
	ret = 0;
done:
	/* Helpers first: they may still be reporting into w. */
	TALLOC_FREE(w.links);
	while (w.nframes > 0) {
		pop_dir(&w);
	}
	if (fd >= 0) {
		close(fd);
	}
	talloc_free(w.tmp);
	return ret;
}

int rvss_layout_check(TALLOC_CTX *mem_ctx, const char *path,
		      const struct rvss_layout_opts *opts,
		      struct rvss_layout_result **ret_result)
{
	int fd;
	int ret;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		struct stat st;

		ret = -errno;
		if (ret == -ENOTDIR && lstat(path, &st) == 0 &&
		    S_ISLNK(st.st_mode)) {
			ret = -ELOOP; /* O_DIRECTORY wins over O_NOFOLLOW */
		}
		return ret;
	}
	ret = rvss_layout_check_fd(mem_ctx, fd, opts, ret_result);
	close(fd);
	return ret;
}

/* Length of the valid UTF-8 sequence at @s (0 if invalid). */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;
	size_t i;

	if (s[0] < 0x80) {
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff)) {
		return 0;
	}
	return n;
}

char *rvss_layout_escape(TALLOC_CTX *mem_ctx, const char *path)
{
	const unsigned char *s = (const unsigned char *)path;
	size_t len = strlen(path);
	char *out = NULL;
	size_t o = 0;
	size_t i = 0;

	out = talloc_array(mem_ctx, char, len * 4 + 1);
	if (out == NULL) {
		return NULL;
	}
	while (i < len) {
		size_t n = s[i] < 0x20 || s[i] == 0x7f ? 0 : utf8_len(s + i);

		if (s[i] == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
			i++;
		} else if (n == 0) {
			snprintf(out + o, 5, "\\x%02x", s[i]);
			o += 4;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return out;
}

char *rvss_layout_finding_string(TALLOC_CTX *mem_ctx,
				 const struct rvss_layout_finding *f)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *path = NULL;
	char *detail = NULL;
	char *line = NULL;

	if (tmp == NULL) {
		return NULL;
	}
	path = rvss_layout_escape(tmp, f->path != NULL ? f->path : ".");
	detail = f->detail != NULL ? rvss_layout_escape(tmp, f->detail) : NULL;
	if (path == NULL || (f->detail != NULL && detail == NULL)) {
		goto done;
	}
	if (detail != NULL) {
		line = talloc_asprintf(mem_ctx, "%s %s: %s (%s)",
				       rvss_layout_code_name(f->code), path,
				       rvss_layout_code_summary(f->code),
				       detail);
	} else {
		line = talloc_asprintf(mem_ctx, "%s %s: %s",
				       rvss_layout_code_name(f->code), path,
				       rvss_layout_code_summary(f->code));
	}
done:
	talloc_free(tmp);
	return line;
}
