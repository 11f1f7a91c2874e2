/*
 * fsrvp_agent send — copy retained backups (rvss:retain) off the box with
 * btrfs send/receive, incrementally (issue 13).
 *
 * For each share, its retained backups not yet on the target are sent
 * oldest first, each as the difference to the newest backup both sides
 * still hold (replica.h), the first one in full.  The target is a
 * directory on another btrfs filesystem (TARGET/SHARE/@GMT-...) or an
 * administrator's command that reads a send stream on its stdin (ssh to a
 * `btrfs receive` elsewhere).
 *
 * The stream is made by btrfs-progs' `btrfs send` and read by `btrfs
 * receive`: the format is the kernel's (BTRFS_IOC_SEND writes it), and
 * receive's half (replaying it with ordinary file calls) is a program of
 * its own; rvss passes the bytes through and counts them.
 *
 * Consistency: a backup is recorded as held by the target only after the
 * target holds it complete (a directory target: the received subvolume is
 * read-only and its received UUID is the backup's UUID; a command: it
 * exited 0).  A subvolume `btrfs receive` began but did not finish (it has
 * no received UUID: killed, target full, stream cut) is removed by its id,
 * right away or on the next run.  Records of backups the directory no
 * longer holds are dropped, complete ones without a record are recorded.
 *
 * Root acts on trusted fds only: the backups are opened from their
 * recorded store by id (store.h) and passed to btrfs send as
 * /proc/self/fd/N; the target directory must be root's and not writable
 * by group or others all the way down, and is passed the same way.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "btrfs.h"
#include "catalog.h"
#include "commands.h"
#include "jsonout.h"
#include "replica.h"
#include "replica_dir.h"
#include "send_pipe.h"
#include "snapname.h"
#include "state.h"
#include "store.h"

/* ssh's own failures (and a command that is not there) exit 255 / 127. */
#define SSH_FAILED 255
#define NOT_RUN 127

static void send_usage(FILE *f)
{
	fprintf(f,
		"usage: fsrvp_agent send [-s smb.conf] [--share NAME] --to DIR [--dry-run] [--json]\n"
		"       fsrvp_agent send [-s smb.conf] [--share NAME] --to-command CMD [--dry-run] [--json]\n"
		"\n"
		"Copies every retained backup (rvss:retain) the target does not hold yet,\n"
		"oldest first, with btrfs send: the first one of a share in full, every\n"
		"later one as the difference to the newest backup both sides hold.\n"
		"--to DIR: a directory on a btrfs filesystem, owned by root and not\n"
		"writable by group or others; backups are received into DIR/SHARE/.\n"
		"--to-command CMD: run by /bin/sh once per backup with the send stream on\n"
		"its stdin (e.g. 'ssh backup@host sudo fsrvp_agent receive /srv/rvss',\n"
		"or ... btrfs receive ...), with\n"
		"RVSS_SHARE, RVSS_BACKUP, RVSS_PARENT (\"\" when in full) and RVSS_UUID set.\n"
		"Progress on a terminal, one line per backup otherwise, only the result\n"
		"with --json.  Exit 0 all sent, 1 a send failed, 2 usage or I/O error.\n");
}

struct target {
	char *id;          /* the replica records' target: "dir:..." or "cmd:..." */
	char *dir;         /* a directory target's real path, or NULL */
	const char *cmd;   /* a command target, or NULL */
	int fd;            /* the directory, -1 for a command */
	uint8_t fsid[16];
};

/* One retained backup of a share. */
struct backup {
	struct rvss_record *rec;
	char uuid[37];
	int fd;            /* its snapshot, -1 when it is not here */
	struct rvss_replica *rep; /* the target's record of it, or NULL */
};

/* What happened to one backup, for the output. */
struct outcome {
	const char *share, *name, *uuid, *parent, *status, *step;
	char *error, *path;
	uint64_t bytes;
	double seconds;
};

struct run {
	TALLOC_CTX *ctx;
	struct rvss_catalog *cat;
	struct target t;
	bool json, dry_run, tty;
	struct outcome *outs;
	size_t n_outs;
	char **notes;
	size_t n_notes;
	unsigned sent, failed;
	/* progress of the current backup */
	const char *cur_share, *cur_name;
	uint64_t estimate;
};

static void note(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A remark for the administrator: a line now, or a JSON "notes" entry. */
static void note(struct run *r, const char *fmt, ...)
{
	char **notes;
	char *s;
	va_list ap;

	va_start(ap, fmt);
	s = talloc_vasprintf(r->ctx, fmt, ap);
	va_end(ap);
	if (s == NULL) {
		return;
	}
	if (!r->json) {
		printf("%s\n", s);
		fflush(stdout);
		return;
	}
	notes = talloc_realloc(r->ctx, r->notes, char *, r->n_notes + 1);
	if (notes != NULL) {
		r->notes = notes;
		r->notes[r->n_notes++] = s;
	}
}

static struct outcome *new_outcome(struct run *r, const struct backup *b)
{
	struct outcome *outs;

	outs = talloc_realloc(r->ctx, r->outs, struct outcome, r->n_outs + 1);
	if (outs == NULL) {
		return NULL;
	}
	r->outs = outs;
	memset(&outs[r->n_outs], 0, sizeof(outs[0]));
	outs[r->n_outs].share = b->rec->share;
	outs[r->n_outs].name = b->rec->name;
	outs[r->n_outs].uuid = b->uuid;
	return &outs[r->n_outs++];
}

/* "1.5 MiB" */
static const char *human(char buf[32], double bytes)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	while (bytes >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		u++;
	}
	snprintf(buf, 32, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
	return buf;
}

static const char *hms(char buf[32], double s)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (t >= 3600) {
		snprintf(buf, 32, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	} else {
		snprintf(buf, 32, "%lu:%02lu", t / 60, t % 60);
	}
	return buf;
}

/* On a terminal: one updating line per backup (stderr). */
static void progress(void *priv, uint64_t bytes, double seconds, bool done)
{
	struct run *r = priv;
	char b1[32], b2[32], b3[32], b4[32];
	double rate = seconds > 0 ? (double)bytes / seconds : 0;

	if (!r->tty || r->json) {
		return;
	}
	if (done) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	fprintf(stderr, "\r\033[K%s %s: %s, %s/s, %s", r->cur_share, r->cur_name,
		human(b1, (double)bytes), human(b2, rate), hms(b3, seconds));
	if (r->estimate > bytes && rate > 0) {
		fprintf(stderr, ", ~%s left of ~%s", hms(b4, (double)(r->estimate - bytes) / rate),
			human(b1, (double)r->estimate));
	} else if (r->estimate == 0) {
		fprintf(stderr, " (incremental: size not known before the end)");
	}
	fflush(stderr);
}

/*
 * The bytes a full send of the snapshot @fd carries, about: the sizes of
 * its files (the snapshot is read-only: nothing changes while we look).
 */
static uint64_t estimate_full(int fd)
{
	char path[64];
	char *paths[] = { path, NULL };
	uint64_t sum = 0;
	FTSENT *e;
	FTS *fts;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fts = fts_open(paths, FTS_PHYSICAL | FTS_COMFOLLOW | FTS_XDEV | FTS_NOCHDIR, NULL);
	if (fts == NULL) {
		return 0;
	}
	while ((e = fts_read(fts)) != NULL) {
		if (e->fts_info == FTS_F) {
			sum += (uint64_t)e->fts_statp->st_size;
		}
	}
	(void)fts_close(fts);
	return sum;
}

/* ---------------------------------------------------------------- target */

static int open_target(struct run *r, const char *to, const char *cmd)
{
	struct target *t = &r->t;
	int ret;

	t->fd = -1;
	if (cmd != NULL) {
		t->cmd = cmd;
		t->id = talloc_asprintf(r->ctx, RVSS_REPLICA_TARGET_CMD "%s", cmd);
		return t->id == NULL ? -ENOMEM : 0;
	}
	ret = agent_replica_dir_open(r->ctx, "send", to, &t->dir, &t->fd, t->fsid);
	if (ret != 0) {
		return ret;
	}
	t->id = talloc_asprintf(r->ctx, RVSS_REPLICA_TARGET_DIR "%s", t->dir);
	return t->id == NULL ? -ENOMEM : 0;
}

/* ---------------------------------------------------------------- one send */

static const char *status_text(TALLOC_CTX *mem_ctx, int status)
{
	if (status == NOT_RUN) {
		return "could not be run";
	}
	if (status > 128) {
		return talloc_asprintf(mem_ctx, "killed by signal %d", status - 128);
	}
	return talloc_asprintf(mem_ctx, "exit status %d", status);
}

/* Set @o's step and error from how the pipe ended; false if it failed. */
static bool judge(struct run *r, struct outcome *o, const struct agent_pipe_result *res)
{
	const char *cerr = res->consumer_err[0] != '\0' ? res->consumer_err : NULL;

	if (res->producer_status != 0 && !(res->consumer_status != 0 &&
					   res->producer_status == 128 + SIGPIPE)) {
		o->step = "send";
		o->error = talloc_asprintf(r->ctx, "btrfs send: %s%s%s",
					   status_text(r->ctx, res->producer_status),
					   res->producer_err[0] != '\0' ? ": " : "",
					   res->producer_err);
		return false;
	}
	if (res->consumer_status != 0) {
		bool transport = r->t.cmd != NULL &&
				 (res->consumer_status == SSH_FAILED ||
				  res->consumer_status == NOT_RUN);

		o->step = transport ? "transport" : "receive";
		o->error = talloc_asprintf(r->ctx, "%s: %s%s%s",
					   r->t.cmd != NULL ? "the command" : "btrfs receive",
					   status_text(r->ctx, res->consumer_status),
					   cerr != NULL ? ": " : "", cerr != NULL ? cerr : "");
		return false;
	}
	if (res->consumer_closed) {
		o->step = r->t.cmd != NULL ? "transport" : "receive";
		o->error = talloc_strdup(r->ctx, "the receiving side stopped reading the "
					 "stream before its end");
		return false;
	}
	return true;
}

static void set_env(TALLOC_CTX *mem_ctx, const char **env, const struct backup *b,
		    const struct backup *parent)
{
	env[0] = talloc_asprintf(mem_ctx, "RVSS_SHARE=%s", b->rec->share);
	env[1] = talloc_asprintf(mem_ctx, "RVSS_BACKUP=%s", b->rec->name);
	env[2] = talloc_asprintf(mem_ctx, "RVSS_PARENT=%s",
				 parent != NULL ? parent->rec->name : "");
	env[3] = talloc_asprintf(mem_ctx, "RVSS_UUID=%s", b->uuid);
	env[4] = NULL;
}

/*
 * Send @b (with @parent, or in full) to the target; @sharefd is the share's
 * directory of a directory target.  Records it when the target holds it.
 */
static bool send_one(struct run *r, int sharefd, struct backup *b,
		     const struct backup *parent, struct outcome *o)
{
	TALLOC_CTX *tmp = talloc_new(r->ctx);
	char snap[64], par[64], dir[64];
	const char *send_argv[6], *recv_argv[4], *env[5];
	int send_keep[3] = { b->fd, -1, -1 }, recv_keep[2] = { -1, -1 };
	struct agent_pipe_child prod = { send_argv, send_keep, NULL };
	struct agent_pipe_child cons = { recv_argv, recv_keep, env };
	struct agent_pipe_result res;
	struct rvss_btrfs_subvol_info info;
	struct rvss_replica rep = { .version = RVSS_REPLICA_VERSION };
	char target_uuid[37] = "";
	size_t a = 0;
	bool ok = false;
	int fd = -1, ret;

	snprintf(snap, sizeof(snap), "/proc/self/fd/%d", b->fd);
	send_argv[a++] = "btrfs";
	send_argv[a++] = "send";
	if (parent != NULL) {
		snprintf(par, sizeof(par), "/proc/self/fd/%d", parent->fd);
		send_argv[a++] = "-p";
		send_argv[a++] = par;
		send_keep[1] = parent->fd;
	}
	send_argv[a++] = snap;
	send_argv[a] = NULL;
	set_env(tmp, env, b, parent);
	if (r->t.cmd != NULL) {
		recv_argv[0] = "/bin/sh";
		recv_argv[1] = "-c";
		recv_argv[2] = r->t.cmd;
		recv_argv[3] = NULL;
	} else {
		if (fstatat(sharefd, b->rec->name, &(struct stat){ 0 }, AT_SYMLINK_NOFOLLOW) == 0) {
			o->step = "receive";
			o->error = talloc_asprintf(r->ctx, "%s/%s/%s exists and is not this "
						   "backup: not overwritten", r->t.dir,
						   b->rec->share, b->rec->name);
			goto done;
		}
		snprintf(dir, sizeof(dir), "/proc/self/fd/%d", sharefd);
		recv_argv[0] = "btrfs";
		recv_argv[1] = "receive";
		recv_argv[2] = dir;
		recv_argv[3] = NULL;
		recv_keep[0] = sharefd;
	}
	r->cur_share = b->rec->share;
	r->cur_name = b->rec->name;
	r->estimate = parent == NULL && r->tty && !r->json ? estimate_full(b->fd) : 0;
	ret = agent_send_pipe(tmp, &prod, &cons, progress, r, &res);
	o->bytes = res.bytes;
	o->seconds = res.seconds;
	if (ret != 0) {
		o->step = "send";
		o->error = talloc_asprintf(r->ctx, "cannot start the send: %s", strerror(-ret));
		goto done;
	}
	if (!judge(r, o, &res)) {
		goto done;
	}
	if (r->t.cmd == NULL) {
		/* Complete only when receive finished: read-only, and its
		 * received UUID is the backup's UUID. */
		fd = openat(sharefd, b->rec->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ret = fd < 0 ? -errno : rvss_btrfs_subvol_info(fd, &info);
		if (ret == 0) {
			char received[37];

			rvss_btrfs_uuid_format(info.received_uuid, received);
			rvss_btrfs_uuid_format(info.uuid, target_uuid);
			if (!info.read_only || strcmp(received, b->uuid) != 0) {
				ret = -EBADMSG;
			}
		}
		if (ret != 0) {
			o->step = "receive";
			o->error = talloc_asprintf(r->ctx, "%s/%s/%s is not complete after the "
						   "receive (%s)", r->t.dir, b->rec->share,
						   b->rec->name, ret == -EBADMSG ?
						   "no received UUID or not read-only" :
						   strerror(-ret));
			goto done;
		}
		o->path = talloc_asprintf(r->ctx, "%s/%s/%s", r->t.dir, b->rec->share,
					  b->rec->name);
	}
	rep.target = r->t.id;
	rep.share = b->rec->share;
	rep.name = b->rec->name;
	rep.uuid = b->uuid;
	rep.parent_uuid = (char *)(parent != NULL ? parent->uuid : "");
	rep.path = o->path != NULL ? o->path : (char *)"";
	rep.target_uuid = target_uuid;
	rep.snapshot_id = b->rec->snapshot_id;
	rep.created = b->rec->created;
	rep.sent = time(NULL);
	rep.bytes = res.bytes;
	ret = rvss_replica_record(r->cat, b->rep, &rep);
	if (ret != 0) {
		o->step = "record";
		o->error = talloc_asprintf(r->ctx, "sent, but cannot record it in the "
					   "catalog: %s (the next run finds it on a "
					   "directory target)", strerror(-ret));
		goto done;
	}
	ok = true;
done:
	if (fd >= 0) {
		(void)close(fd);
	}
	if (!ok && r->t.cmd == NULL && o->step != NULL && strcmp(o->step, "record") != 0) {
		ret = agent_replica_dir_remove_partial(sharefd, b->rec->name, b->uuid);
		if (ret == 0) {
			note(r, "%s %s: removed the half-received %s/%s/%s", b->rec->share,
			     b->rec->name, r->t.dir, b->rec->share, b->rec->name);
		}
	}
	o->status = ok ? "sent" : "failed";
	talloc_free(tmp);
	return ok;
}

/* ---------------------------------------------------------------- a share */

/* Open the backup's snapshot (trusted, by id) and read its UUID. */
static void open_backup(struct run *r, struct backup *b)
{
	struct rvss_btrfs_subvol_info info;
	char *why = NULL;
	int ret;

	b->fd = -1;
	ret = rvss_store_open_recorded(r->ctx, b->rec, NULL, &b->fd, NULL, &why);
	if (ret == 0) {
		ret = rvss_btrfs_subvol_info(b->fd, &info);
	}
	if (ret == 0 && !info.read_only) {
		ret = -EROFS;
		why = talloc_strdup(r->ctx, "not read-only (btrfs send needs a "
				    "read-only snapshot)");
	}
	if (ret != 0) {
		if (ret != -ENOENT) {
			note(r, "%s %s: not sent: %s", b->rec->share, b->rec->name,
			     why != NULL ? why : strerror(-ret));
		}
		if (b->fd >= 0) {
			(void)close(b->fd);
			b->fd = -1;
		}
		return;
	}
	rvss_btrfs_uuid_format(info.uuid, b->uuid);
}

struct clean_say {
	struct run *r;
	const char *share;
};

static void say_clean(void *priv, const char *name, bool removed)
{
	struct clean_say *s = priv;

	note(s->r, s->r->dry_run ? "%s: would remove the half-received %s/%s/%s" :
	     removed ? "%s: removed the half-received %s/%s/%s (an interrupted send)" :
	     "%s: cannot remove the half-received %s/%s/%s", s->share, s->r->t.dir,
	     s->share, name);
}

/*
 * A directory target: drop records of what it no longer holds, record
 * what it holds complete without a record, and remove what a receive
 * left unfinished.
 */
static int reconcile_dir(struct run *r, const char *share, int sharefd,
			 struct backup *bs, size_t nb, struct rvss_replica **reps,
			 size_t nr)
{
	struct agent_replica_found *fs = NULL;
	struct clean_say say = { r, share };
	size_t nf = 0, i, j;
	int ret;

	ret = agent_replica_dir_clean(sharefd, r->dry_run, say_clean, &say);
	if (ret >= 0) {
		ret = agent_replica_dir_scan(r->ctx, sharefd, &fs, &nf);
	}
	if (ret != 0) {
		return ret;
	}
	for (i = 0; i < nr; i++) {
		if (agent_replica_dir_find(fs, nf, reps[i]->uuid) != NULL) {
			continue;
		}
		note(r, "%s %s: no longer on %s: its record is dropped", share,
		     reps[i]->name, r->t.dir);
		if (!r->dry_run) {
			(void)rvss_replica_forget(r->cat, reps[i]);
		}
		for (j = 0; j < nb; j++) {
			if (bs[j].rep == reps[i]) {
				bs[j].rep = NULL;
			}
		}
	}
	for (j = 0; j < nb; j++) {
		const struct agent_replica_found *f;
		struct rvss_replica rep = { .version = RVSS_REPLICA_VERSION };

		if (bs[j].fd < 0 || bs[j].rep != NULL ||
		    (f = agent_replica_dir_find(fs, nf, bs[j].uuid)) == NULL) {
			continue;
		}
		rep.target = r->t.id;
		rep.share = bs[j].rec->share;
		rep.name = bs[j].rec->name;
		rep.uuid = bs[j].uuid;
		rep.parent_uuid = (char *)"";
		rep.path = talloc_asprintf(r->ctx, "%s/%s/%s", r->t.dir, share, f->name);
		rep.target_uuid = (char *)f->uuid;
		rep.snapshot_id = bs[j].rec->snapshot_id;
		rep.created = bs[j].rec->created;
		rep.sent = time(NULL);
		note(r, "%s %s: found complete on %s: recorded", share, bs[j].rec->name,
		     r->t.dir);
		if (!r->dry_run && rep.path != NULL &&
		    rvss_replica_record(r->cat, NULL, &rep) == 0) {
			bs[j].rep = talloc_zero(r->ctx, struct rvss_replica);
			if (bs[j].rep != NULL) {
				*bs[j].rep = rep;
			}
		} else if (r->dry_run) {
			bs[j].rep = talloc_zero(r->ctx, struct rvss_replica);
		}
	}
	return 0;
}

static void report(struct run *r, const struct outcome *o)
{
	char b1[32], b2[32];

	if (r->json) {
		return;
	}
	if (strcmp(o->status, "planned") == 0) {
		if (o->parent != NULL) {
			printf("%s %s: would send incremental (parent %s)\n", o->share,
			       o->name, o->parent);
		} else {
			printf("%s %s: would send in full\n", o->share, o->name);
		}
	} else if (strcmp(o->status, "sent") == 0) {
		printf("%s %s: sent %s%s%s, %s stream (%" PRIu64 " bytes) in %.1f s, %s/s\n",
		       o->share, o->name, o->parent != NULL ? "incremental (parent " : "in full",
		       o->parent != NULL ? o->parent : "", o->parent != NULL ? ")" : "",
		       human(b1, (double)o->bytes), o->bytes, o->seconds,
		       human(b2, o->seconds > 0 ? (double)o->bytes / o->seconds : 0));
	} else {
		fprintf(stderr, "fsrvp_agent send: %s %s: %s failed: %s\n", o->share,
			o->name, o->step, o->error);
	}
	fflush(stdout);
}

static int send_share(struct run *r, struct rvss_record **recs, size_t n,
		      const char *share)
{
	struct backup *bs = NULL;
	struct rvss_replica **reps = NULL;
	struct rvss_replica_item *items = NULL;
	size_t nb = 0, nr = 0, bad = 0, i, j;
	bool any_held = false;
	char *why = NULL;
	int sharefd = -1, ret;

	bs = talloc_zero_array(r->ctx, struct backup, n);
	items = talloc_zero_array(r->ctx, struct rvss_replica_item, n);
	if (bs == NULL || items == NULL) {
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		if (recs[i]->state == RVSS_STATE_RETAINED && strcmp(recs[i]->share, share) == 0) {
			bs[nb].rec = recs[i];
			open_backup(r, &bs[nb]);
			nb++;
		}
	}
	ret = rvss_replica_list(r->cat, r->ctx, r->t.id, share, &reps, &nr, &bad);
	if (ret != 0) {
		fprintf(stderr, "fsrvp_agent send: cannot read the replica records: %s\n",
			strerror(-ret));
		goto done;
	}
	if (bad > 0) {
		note(r, "%zu replica record(s) in the catalog cannot be read: ignored", bad);
	}
	for (i = 0; i < nb; i++) {
		for (j = 0; j < nr && bs[i].fd >= 0; j++) {
			if (strcmp(reps[j]->uuid, bs[i].uuid) == 0) {
				bs[i].rep = reps[j];
			}
		}
	}
	if (r->t.dir != NULL) {
		ret = rvss_store_walk(r->ctx, r->t.fd, share, 0,
				      r->dry_run ? 0 : RVSS_STORE_CREATE, r->t.fsid,
				      &sharefd, &why);
		if (ret == -ENOENT && r->dry_run) {
			ret = 0;
		} else if (ret == 0) {
			ret = reconcile_dir(r, share, sharefd, bs, nb, reps, nr);
		}
		if (ret != 0) {
			fprintf(stderr, "fsrvp_agent send: target %s/%s: %s\n", r->t.dir, share,
				why != NULL ? why : strerror(-ret));
			goto done;
		}
	}
	for (i = 0; i < nb; i++) {
		items[i].created = bs[i].rec->created;
		items[i].local = bs[i].fd >= 0;
		items[i].held = bs[i].rep != NULL;
	}
	any_held = nr > 0;
	for (i = 0; i < nb; i++) {
		struct outcome *o;
		ssize_t p;

		if (items[i].held || !items[i].local) {
			continue;
		}
		p = rvss_replica_parent(items, nb, i);
		if (p < 0 && any_held) {
			note(r, "%s %s: no snapshot in common with the target is left: "
			     "sending it in full", share, bs[i].rec->name);
		}
		o = new_outcome(r, &bs[i]);
		if (o == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		o->parent = p >= 0 ? bs[p].rec->name : NULL;
		if (r->dry_run) {
			o->status = "planned";
			items[i].held = true; /* as if sent: the next one's parent */
		} else if (send_one(r, sharefd, &bs[i], p >= 0 ? &bs[p] : NULL, o)) {
			r->sent++;
			items[i].held = true;
			any_held = true;
		} else {
			r->failed++;
			report(r, o);
			/* The later ones would follow the same way: next run. */
			break;
		}
		report(r, o);
	}
	ret = 0;
done:
	for (i = 0; i < nb; i++) {
		if (bs[i].fd >= 0) {
			(void)close(bs[i].fd);
		}
	}
	if (sharefd >= 0) {
		(void)close(sharefd);
	}
	return ret;
}

static void print_json(struct run *r)
{
	size_t i;

	fputs("{", stdout);
	agent_json_member(stdout, "target", r->t.id);
	printf(", \"dry_run\": %s, \"sent\": %u, \"failed\": %u, \"backups\": [",
	       r->dry_run ? "true" : "false", r->sent, r->failed);
	for (i = 0; i < r->n_outs; i++) {
		const struct outcome *o = &r->outs[i];

		fputs(i > 0 ? ",\n  {" : "\n  {", stdout);
		agent_json_member(stdout, "share", o->share);
		fputs(", ", stdout);
		agent_json_member(stdout, "name", o->name);
		fputs(", ", stdout);
		agent_json_member(stdout, "uuid", o->uuid);
		printf(", \"status\": \"%s\", \"mode\": \"%s\", ", o->status,
		       o->parent != NULL ? "incremental" : "full");
		agent_json_member(stdout, "parent", o->parent);
		printf(", \"bytes\": %" PRIu64 ", \"seconds\": %.3f, ", o->bytes, o->seconds);
		agent_json_member(stdout, "path", o->path);
		fputs(", ", stdout);
		agent_json_member(stdout, "step", o->step);
		fputs(", ", stdout);
		agent_json_member(stdout, "error", o->error);
		fputs("}", stdout);
	}
	fputs(r->n_outs > 0 ? "\n ], \"notes\": [" : "], \"notes\": [", stdout);
	for (i = 0; i < r->n_notes; i++) {
		fputs(i > 0 ? ", " : "", stdout);
		agent_json_string(stdout, r->notes[i]);
	}
	fputs("]}\n", stdout);
}

/*
 * One send to a target at a time: a second run (an overlapping timer)
 * would send the same backups again.  A directory target is locked itself
 * (replica_dir.h), a command target through the catalog file (flock:
 * independent of tdb's fcntl locks).
 */
static int lock_target(struct run *r, const char *catalog, int *ret_fd)
{
	int fd;

	if (r->t.fd >= 0) {
		return 0; /* locked by agent_replica_dir_open() */
	}
	fd = open(catalog, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		return 0; /* no catalog: nothing will be sent */
	}
	if (fd < 0) {
		fprintf(stderr, "fsrvp_agent send: cannot lock the target: %s\n",
			strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;

		fprintf(stderr, "fsrvp_agent send: %s\n", err == EWOULDBLOCK ?
			"another fsrvp_agent send to this target is running: not started" :
			strerror(err));
		(void)close(fd);
		return -err;
	}
	*ret_fd = fd;
	return 0;
}

static bool share_name_ok(const char *s)
{
	return s[0] != '\0' && s[0] != '.' && strchr(s, '/') == NULL;
}

int cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "configfile", required_argument, NULL, 's' },
		{ "share", required_argument, NULL, 'S' },
		{ "to", required_argument, NULL, 't' },
		{ "to-command", required_argument, NULL, 'C' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct agent_state_paths paths = { 0 };
	struct run r = { .ctx = ctx, .t = { .fd = -1 } };
	struct rvss_record **recs = NULL;
	const char *share = NULL, *to = NULL, *cmd = NULL;
	char **shares = NULL;
	size_t n = 0, ns = 0, i, j;
	int rc = AGENT_EXIT_USAGE;
	int lockfd = -1;
	int c, ret;

	if (ctx == NULL) {
		return AGENT_EXIT_USAGE;
	}
	paths.fss_state = talloc_strdup(ctx, "-"); /* not needed here */
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': paths.conf = optarg; break;
		case 'S': share = optarg; break;
		case 't': to = optarg; break;
		case 'C': cmd = optarg; break;
		case 'n': r.dry_run = true; break;
		case 'j': r.json = true; break;
		case 'c': paths.catalog = talloc_strdup(ctx, optarg); break;
		case 'h': send_usage(stdout); rc = AGENT_EXIT_OK; goto done;
		default: send_usage(stderr); goto done;
		}
	}
	if (optind != argc || (to == NULL) == (cmd == NULL) ||
	    (cmd != NULL && cmd[0] == '\0')) {
		send_usage(stderr);
		goto done;
	}
	r.tty = isatty(STDERR_FILENO) == 1;
	if (agent_state_paths(ctx, "send", &paths) != 0 || open_target(&r, to, cmd) != 0) {
		goto done;
	}
	ret = lock_target(&r, paths.catalog, &lockfd);
	if (ret != 0) {
		goto done;
	}
	ret = rvss_catalog_open(ctx, paths.catalog, false, &r.cat);
	if (ret == 0) {
		ret = rvss_catalog_list(r.cat, ctx, &recs, &n);
	}
	if (ret == -ENOENT) {
		n = 0; /* rvss never made a snapshot here */
	} else if (ret != 0) {
		fprintf(stderr, "fsrvp_agent send: cannot read catalog %s: %s\n",
			paths.catalog, strerror(-ret));
		goto done;
	}
	/* The shares with retained backups, each once, in catalog order. */
	shares = talloc_array(ctx, char *, n);
	for (i = 0; shares != NULL && i < n; i++) {
		if (recs[i]->state != RVSS_STATE_RETAINED ||
		    (share != NULL && strcmp(recs[i]->share, share) != 0)) {
			continue;
		}
		for (j = 0; j < ns && strcmp(shares[j], recs[i]->share) != 0; j++) {
		}
		if (j == ns) {
			shares[ns++] = recs[i]->share;
		}
	}
	if (shares == NULL) {
		goto done;
	}
	rc = AGENT_EXIT_OK;
	for (i = 0; i < ns; i++) {
		if (!share_name_ok(shares[i])) {
			note(&r, "%s: a share name that cannot name a directory: not sent",
			     shares[i]);
			r.failed++;
			continue;
		}
		/* One catalog list per share: what another share's send did
		 * is in it; records are sorted by (source, created). */
		if (send_share(&r, recs, n, shares[i]) != 0) {
			rc = AGENT_EXIT_USAGE;
		}
	}
	if (r.json) {
		print_json(&r);
	} else if (r.sent == 0 && r.failed == 0 && r.n_outs == 0) {
		printf("nothing to send: %s holds every retained backup%s%s\n",
		       r.t.dir != NULL ? r.t.dir : "the target",
		       share != NULL ? " of share " : "", share != NULL ? share : "");
	} else if (!r.dry_run) {
		printf("%u sent, %u failed\n", r.sent, r.failed);
	}
	if (rc == AGENT_EXIT_OK && r.failed > 0) {
		rc = AGENT_EXIT_FINDINGS;
	}
done:
	if (lockfd >= 0) {
		(void)close(lockfd); /* releases the lock */
	}
	if (r.t.fd >= 0) {
		(void)close(r.t.fd);
	}
	talloc_free(ctx);
	return rc;
}
