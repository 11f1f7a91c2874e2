/*
 * rvss_bench — the measuring half of bench/run.sh.  Linked with the core
 * (librvsscore.a), it times what the module does at Commit and Delete
 * (rvss_snap_create/rvss_snap_delete) next to the bare btrfs snapshot
 * ioctl, reads the catalog, and plays a VM-like writer.  It prints raw
 * samples (one per line); bench/report.py turns them into figures.  No
 * command judges a figure: there are no thresholds here.
 *
 * All times are CLOCK_MONOTONIC, so samples of two processes (the writer
 * and the committer) share one time line.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/btrfs.h>
#include <talloc.h>

#include "btrfs.h"
#include "catalog.h"
#include "sharemap.h"
#include "snapname.h"
#include "snapshot.h"

#define OPEN_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "rvss_bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000u, .tv_nsec = ns % 1000000000u };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* Wait until btrfs's cleaner has dropped every deleted subvolume of the
 * filesystem holding @path, so its work does not land in the next sample.
 * BTRFS_IOC_SYNC wakes the transaction thread, which wakes the cleaner;
 * without it `btrfs subvolume sync` waits for the next periodic commit
 * (30 s). */
static void cleaner_wait(const char *path)
{
	pid_t pid;
	int st, fd;

	fd = open(path, OPEN_DIR_FLAGS);
	if (fd < 0 || ioctl(fd, BTRFS_IOC_SYNC, NULL) != 0) {
		die("BTRFS_IOC_SYNC", errno);
	}
	close(fd);
	pid = fork();
	if (pid < 0) {
		die("fork", errno);
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			(void)dup2(fd, 1);
		}
		execlp("btrfs", "btrfs", "subvolume", "sync", path, (char *)NULL);
		_exit(127);
	}
	(void)waitpid(pid, &st, 0);
}

/* ---------------------------------------------------------------- populate */

/*
 * populate DIR NFILES SIZE: NFILES regular files of SIZE bytes in
 * subdirectories of 1000 (d00000/f000000...), non-zero content.
 */
static int cmd_populate(int argc, char **argv)
{
	long n, size, i;
	char *buf;
	char path[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: populate DIR NFILES SIZE\n");
		return 2;
	}
	n = atol(argv[1]);
	size = atol(argv[2]);
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL) {
		die("malloc", ENOMEM);
	}
	for (i = 0; i < size; i++) {
		buf[i] = (char)('a' + i % 26);
	}
	for (i = 0; i < n; i++) {
		int fd;

		if (i % 1000 == 0) {
			snprintf(path, sizeof(path), "%s/d%05ld", argv[0], i / 1000);
			if (mkdir(path, 0755) != 0 && errno != EEXIST) {
				die(path, errno);
			}
		}
		snprintf(path, sizeof(path), "%s/d%05ld/f%07ld", argv[0], i / 1000, i);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			die(path, errno);
		}
		/* vary the first bytes so files are not identical */
		memcpy(buf, &i, size >= (long)sizeof(i) ? sizeof(i) : (size_t)size);
		if (size > 0 && write(fd, buf, size) != size) {
			die(path, errno);
		}
		close(fd);
	}
	free(buf);
	return 0;
}

/* ---------------------------------------------------------------- snapshots */

/* The bare ioctl, as vfs_btrfs issues it: BTRFS_IOC_SNAP_CREATE_V2 on
 * already-open fds, read-only. */
static int bare_snapshot(int src_fd, int dir_fd, const char *name)
{
	struct btrfs_ioctl_vol_args_v2 args;

	memset(&args, 0, sizeof(args));
	args.fd = src_fd;
	args.flags = BTRFS_SUBVOL_RDONLY;
	snprintf(args.name, sizeof(args.name), "%s", name);
	return ioctl(dir_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) == 0 ? 0 : -errno;
}

struct rvss_target {
	const char *catalog;
	const char *share_path;
	const char *share;
};

/* One rvss_snap_create; returns its duration, fills @snap_path/@base. */
static uint64_t time_rvss_create(TALLOC_CTX *mem_ctx, const struct rvss_target *t,
				 time_t tstamp, char **ret_base, char **ret_snap)
{
	struct rvss_create_args args = {
		.catalog_path = t->catalog,
		.snapshot_dir = RVSS_DEFAULT_SNAPSHOT_DIR,
		.share = t->share,
		.base_volume = t->share_path,
		.rw = false,
	};
	char *reason = NULL;
	uint64_t t0, t1;
	int ret;

	t0 = now_ns();
	ret = rvss_snap_create(mem_ctx, &args, &tstamp, ret_base, ret_snap, NULL, &reason);
	t1 = now_ns();
	if (ret != 0) {
		fprintf(stderr, "rvss_bench: rvss_snap_create %s: %s (%s)\n", t->share_path,
			strerror(-ret), reason != NULL ? reason : "");
		exit(1);
	}
	return t1 - t0;
}

static uint64_t time_rvss_delete(const struct rvss_target *t, const char *base,
				 const char *snap)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *reason = NULL;
	uint64_t t0, t1;
	int ret;

	t0 = now_ns();
	ret = rvss_snap_delete(tmp, t->catalog, base, snap, NULL, NULL, &reason);
	t1 = now_ns();
	if (ret != 0) {
		fprintf(stderr, "rvss_bench: rvss_snap_delete %s: %s (%s)\n", snap,
			strerror(-ret), reason != NULL ? reason : "");
		exit(1);
	}
	talloc_free(tmp);
	return t1 - t0;
}

/*
 * snap CATALOG SUBVOL STOREDIR N: N alternating samples of
 *   rvss_check  rvss_snap_check(SUBVOL) alone (part of the create)
 *   rvss        rvss_snap_create(SUBVOL) (check, catalog record, ioctl)
 *   ioctl       the bare BTRFS_IOC_SNAP_CREATE_V2 of SUBVOL into STOREDIR
 * each preceded by sync() and followed (untimed) by deleting the snapshot
 * and waiting for btrfs's cleaner.  Prints "rvss_check US", "rvss US",
 * "rvss_delete US", "ioctl US".
 */
static int cmd_snap(int argc, char **argv)
{
	struct rvss_target t;
	int src_fd, dir_fd, i, n;

	if (argc != 4) {
		fprintf(stderr, "usage: snap CATALOG SUBVOL STOREDIR N\n");
		return 2;
	}
	t.catalog = argv[0];
	t.share_path = argv[1];
	t.share = "bench";
	n = atoi(argv[3]);
	src_fd = open(argv[1], OPEN_DIR_FLAGS);
	if (src_fd < 0) {
		die(argv[1], errno);
	}
	if (mkdir(argv[2], 0700) != 0 && errno != EEXIST) {
		die(argv[2], errno);
	}
	dir_fd = open(argv[2], OPEN_DIR_FLAGS);
	if (dir_fd < 0) {
		die(argv[2], errno);
	}
	for (i = 0; i < n; i++) {
		TALLOC_CTX *tmp = talloc_new(NULL);
		char *base = NULL, *snap = NULL;
		uint64_t d;
		int ret;

		sync();
		{
			struct rvss_volume *vol = NULL;
			char *reason = NULL;
			uint64_t t0 = now_ns();

			ret = rvss_snap_check(tmp, t.share_path, RVSS_DEFAULT_SNAPSHOT_DIR,
					      &vol, &reason);
			d = now_ns() - t0;
			if (ret != 0) {
				die("rvss_snap_check", ret);
			}
			printf("rvss_check %.1f\n", d / 1e3);
		}
		sync();
		d = time_rvss_create(tmp, &t, time(NULL), &base, &snap);
		printf("rvss %.1f\n", d / 1e3);
		d = time_rvss_delete(&t, base, snap);
		printf("rvss_delete %.1f\n", d / 1e3);
		talloc_free(tmp);
		cleaner_wait(argv[1]);

		sync();
		{
			uint64_t t0 = now_ns();

			ret = bare_snapshot(src_fd, dir_fd, "bare");
			d = now_ns() - t0;
		}
		if (ret != 0) {
			die("BTRFS_IOC_SNAP_CREATE_V2", ret);
		}
		printf("ioctl %.1f\n", d / 1e3);
		ret = rvss_btrfs_delete(dir_fd, "bare");
		if (ret != 0) {
			die("delete bare snapshot", ret);
		}
		cleaner_wait(argv[1]);
		fflush(stdout);
	}
	close(src_fd);
	close(dir_fd);
	return 0;
}

/*
 * fill CATALOG SHARE_PATH SHARE N STEP: N snapshots through
 * rvss_snap_create, time stamps STEP seconds apart ending now - STEP (as
 * retained backups taken over time), recorded as retained.  Prints the
 * total and per-call mean.
 */
static int cmd_fill(int argc, char **argv)
{
	struct rvss_target t;
	struct rvss_catalog *cat = NULL;
	TALLOC_CTX *ctx = talloc_new(NULL);
	time_t now = time(NULL);
	long n, step, i;
	uint64_t total = 0;
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: fill CATALOG SHARE_PATH SHARE N STEP\n");
		return 2;
	}
	t.catalog = argv[0];
	t.share_path = argv[1];
	t.share = argv[2];
	n = atol(argv[3]);
	step = atol(argv[4]);
	for (i = 0; i < n; i++) {
		TALLOC_CTX *tmp = talloc_new(ctx);
		char *base = NULL, *snap = NULL;
		struct rvss_record *rec = NULL;

		total += time_rvss_create(tmp, &t, now - (n - i) * step, &base, &snap);
		/* tdb refuses a second open in one process: rvss_snap_create
		 * opens the catalog itself, so ours is opened per record. */
		ret = rvss_catalog_open(tmp, t.catalog, false, &cat);
		if (ret != 0) {
			die("rvss_catalog_open", ret);
		}
		ret = rvss_catalog_find_snap_path(cat, tmp, snap, &rec);
		if (ret != 0) {
			die("rvss_catalog_find_snap_path", ret);
		}
		rec->state = RVSS_STATE_RETAINED;
		rec->sealed = true;
		ret = rvss_catalog_update(cat, rec);
		if (ret != 0) {
			die("rvss_catalog_update", ret);
		}
		TALLOC_FREE(cat);
		talloc_free(tmp);
	}
	printf("fill_total_ms %.1f\nfill_mean_us %.1f\n", total / 1e6, n > 0 ? total / 1e3 / n : 0.0);
	talloc_free(ctx);
	return 0;
}

/*
 * drain CATALOG BASE_PATH: rvss_snap_delete every recorded snapshot of
 * BASE_PATH (bench clean-up; also times the deletes).
 */
static int cmd_drain(int argc, char **argv)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct rvss_catalog *cat = NULL;
	struct rvss_record **recs = NULL;
	struct rvss_target t = { 0 };
	size_t count = 0, i, done = 0;
	uint64_t total = 0;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: drain CATALOG BASE_PATH\n");
		return 2;
	}
	t.catalog = argv[0];
	ret = rvss_catalog_open(ctx, argv[0], false, &cat);
	if (ret != 0) {
		die("rvss_catalog_open", ret);
	}
	ret = rvss_catalog_list(cat, ctx, &recs, &count);
	if (ret != 0) {
		die("rvss_catalog_list", ret);
	}
	TALLOC_FREE(cat); /* rvss_snap_delete opens it itself */
	for (i = 0; i < count; i++) {
		if (strcmp(recs[i]->base_path, argv[1]) != 0) {
			continue;
		}
		total += time_rvss_delete(&t, recs[i]->base_path, recs[i]->snap_path);
		done++;
	}
	printf("drain_count %zu\ndrain_total_ms %.1f\n", done, total / 1e6);
	talloc_free(ctx);
	return 0;
}

/* list CATALOG R: R times open + rvss_catalog_list; prints "list US COUNT". */
static int cmd_list(int argc, char **argv)
{
	int r, i;

	if (argc != 2) {
		fprintf(stderr, "usage: list CATALOG R\n");
		return 2;
	}
	r = atoi(argv[1]);
	for (i = 0; i < r; i++) {
		TALLOC_CTX *ctx = talloc_new(NULL);
		struct rvss_catalog *cat = NULL;
		struct rvss_record **recs = NULL;
		size_t count = 0;
		uint64_t t0 = now_ns(), d;
		int ret;

		ret = rvss_catalog_open(ctx, argv[0], false, &cat);
		if (ret == 0) {
			ret = rvss_catalog_list(cat, ctx, &recs, &count);
		}
		d = now_ns() - t0;
		if (ret != 0) {
			die("catalog list", ret);
		}
		printf("list %.1f %zu\n", d / 1e3, count);
		talloc_free(ctx);
	}
	return 0;
}

/* check SHARE_PATH R: R times rvss_snap_check; prints "check US". */
static int cmd_check(int argc, char **argv)
{
	int r, i;

	if (argc != 2) {
		fprintf(stderr, "usage: check SHARE_PATH R\n");
		return 2;
	}
	r = atoi(argv[1]);
	for (i = 0; i < r; i++) {
		TALLOC_CTX *ctx = talloc_new(NULL);
		struct rvss_volume *vol = NULL;
		char *reason = NULL;
		uint64_t t0 = now_ns(), d;
		int ret;

		ret = rvss_snap_check(ctx, argv[0], RVSS_DEFAULT_SNAPSHOT_DIR, &vol, &reason);
		d = now_ns() - t0;
		if (ret != 0) {
			fprintf(stderr, "rvss_bench: rvss_snap_check %s: %s (%s)\n", argv[0],
				strerror(-ret), reason != NULL ? reason : "");
			return 1;
		}
		printf("check %.1f\n", d / 1e3);
		talloc_free(ctx);
	}
	return 0;
}

/* ---------------------------------------------------------------- the VM */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/*
 * writer FILE SECONDS OUT: 4 KiB writes at random 4 KiB-aligned offsets of
 * FILE (its current size), each followed by fsync(), for SECONDS (or until
 * SIGTERM/SIGINT).  OUT gets "START_NS LAT_NS" per write.
 */
static int cmd_writer(int argc, char **argv)
{
	struct stat st;
	char *buf;
	uint64_t *starts, *lats;
	size_t cap = 1 << 22, n = 0, i;
	uint64_t end, blocks, seed;
	FILE *out;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: writer FILE SECONDS OUT\n");
		return 2;
	}
	fd = open(argv[0], O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		die(argv[0], errno);
	}
	blocks = (uint64_t)st.st_size / 4096;
	if (blocks == 0) {
		die("writer file is empty", EINVAL);
	}
	if (posix_memalign((void **)&buf, 4096, 4096) != 0) {
		die("posix_memalign", ENOMEM);
	}
	starts = calloc(cap, sizeof(*starts));
	lats = calloc(cap, sizeof(*lats));
	if (starts == NULL || lats == NULL) {
		die("calloc", ENOMEM);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	seed = now_ns() | 1;
	end = now_ns() + (uint64_t)(atof(argv[1]) * 1e9);
	while (!stop_flag && n < cap) {
		uint64_t off, t0, t1;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		off = (seed % blocks) * 4096;
		memset(buf, (int)(seed & 0xff), 4096);
		t0 = now_ns();
		if (t0 >= end) {
			break;
		}
		if (pwrite(fd, buf, 4096, (off_t)off) != 4096) {
			die("pwrite", errno);
		}
		if (fsync(fd) != 0) {
			die("fsync", errno);
		}
		t1 = now_ns();
		starts[n] = t0;
		lats[n] = t1 - t0;
		n++;
	}
	out = fopen(argv[2], "w");
	if (out == NULL) {
		die(argv[2], errno);
	}
	for (i = 0; i < n; i++) {
		fprintf(out, "%" PRIu64 " %" PRIu64 "\n", starts[i], lats[i]);
	}
	fclose(out);
	close(fd);
	return 0;
}

static int run_cmd(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		die("fork", errno);
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			(void)dup2(fd, 1);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "rvss_bench: %s %s failed\n", argv[0], argv[1]);
		exit(1);
	}
	return 0;
}

/*
 * commits METHOD CATALOG SUBVOL STOREDIR N INTERVAL HOLD OUT: N snapshots
 * of SUBVOL, one every INTERVAL seconds; each kept HOLD seconds (the backup
 * reads it), then deleted.  METHOD:
 *   rvss  rvss_snap_create / rvss_snap_delete (store: the default one)
 *   cli   `btrfs subvolume snapshot -r` / `btrfs subvolume delete` into
 *         STOREDIR (a process start each, as an admin's script would)
 * OUT gets "T_CREATE_START T_CREATE_END T_DELETE_START T_DELETE_END" (ns).
 */
static int cmd_commits(int argc, char **argv)
{
	struct rvss_target t;
	const char *method;
	FILE *out;
	double interval, hold;
	int n, i;

	if (argc != 8) {
		fprintf(stderr, "usage: commits rvss|cli CATALOG SUBVOL STOREDIR N INTERVAL HOLD OUT\n");
		return 2;
	}
	method = argv[0];
	t.catalog = argv[1];
	t.share_path = argv[2];
	t.share = "vm";
	n = atoi(argv[4]);
	interval = atof(argv[5]);
	hold = atof(argv[6]);
	out = fopen(argv[7], "w");
	if (out == NULL) {
		die(argv[7], errno);
	}
	if (mkdir(argv[3], 0700) != 0 && errno != EEXIST) {
		die(argv[3], errno);
	}
	for (i = 0; i < n; i++) {
		uint64_t start = now_ns(), c0, c1, d0, d1, spent;
		char snap_cli[4096];

		if (strcmp(method, "rvss") == 0) {
			TALLOC_CTX *tmp = talloc_new(NULL);
			char *base = NULL, *snap = NULL;
			uint64_t d;

			c0 = now_ns();
			d = time_rvss_create(tmp, &t, time(NULL), &base, &snap);
			c1 = c0 + d;
			sleep_ns((uint64_t)(hold * 1e9));
			d0 = now_ns();
			d = time_rvss_delete(&t, base, snap);
			d1 = d0 + d;
			talloc_free(tmp);
		} else if (strcmp(method, "cli") == 0) {
			snprintf(snap_cli, sizeof(snap_cli), "%s/cli-%d", argv[3], i);
			char *create[] = { "btrfs", "subvolume", "snapshot", "-r",
					   argv[2], snap_cli, NULL };
			char *del[] = { "btrfs", "subvolume", "delete", snap_cli, NULL };

			c0 = now_ns();
			run_cmd(create);
			c1 = now_ns();
			sleep_ns((uint64_t)(hold * 1e9));
			d0 = now_ns();
			run_cmd(del);
			d1 = now_ns();
		} else {
			fprintf(stderr, "rvss_bench: unknown method %s\n", method);
			return 2;
		}
		fprintf(out, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", c0, c1, d0, d1);
		fflush(out);
		spent = now_ns() - start;
		if (spent < (uint64_t)(interval * 1e9)) {
			sleep_ns((uint64_t)(interval * 1e9) - spent);
		}
	}
	fclose(out);
	return 0;
}

/*
 * join CATALOG DIR N R: R times, one set of the N share directories
 * DIR/s1..DIR/sN of one subvolume through rvss_sharemap_create (what the
 * module does per shadow copy at Commit): the first takes the snapshot,
 * the others map into it; then rvss_snap_delete of each (untimed).
 * Prints "join_first US" and "join_each US" (one line per joined share).
 */
static int cmd_join(int argc, char **argv)
{
	long n, r, i, k;

	if (argc != 4) {
		fprintf(stderr, "usage: join CATALOG DIR N R\n");
		return 2;
	}
	n = atol(argv[2]);
	r = atol(argv[3]);
	for (k = 0; k < r; k++) {
		TALLOC_CTX *set = talloc_new(NULL);
		char **base = talloc_zero_array(set, char *, n);
		char **snap = talloc_zero_array(set, char *, n);

		sync();
		for (i = 0; i < n; i++) {
			struct rvss_create_args args = {
				.catalog_path = argv[0],
				.snapshot_dir = RVSS_DEFAULT_SNAPSHOT_DIR,
				.share = "bench",
				.base_volume = talloc_asprintf(set, "%s/s%ld", argv[1], i + 1),
				.rw = false,
			};
			time_t t = time(NULL);
			char *snapshot = NULL, *reason = NULL;
			bool joined = false;
			uint64_t t0 = now_ns();
			int ret;

			ret = rvss_sharemap_create(set, &args, &t, &base[i], &snap[i], &snapshot,
						   &joined, &reason);
			if (ret != 0) {
				fprintf(stderr, "rvss_bench: rvss_sharemap_create %s: %s (%s)\n",
					args.base_volume, strerror(-ret), reason != NULL ? reason : "");
				return 1;
			}
			printf("%s %.1f\n", joined ? "join_each" : "join_first",
			       (now_ns() - t0) / 1e3);
		}
		for (i = 0; i < n; i++) {
			if (rvss_snap_delete(set, argv[0], base[i], snap[i], NULL, NULL, NULL) != 0) {
				fprintf(stderr, "rvss_bench: delete %s failed\n", snap[i]);
				return 1;
			}
		}
		talloc_free(set);
		cleaner_wait(argv[1]);
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "populate", cmd_populate }, { "snap", cmd_snap },
		{ "fill", cmd_fill },         { "drain", cmd_drain },
		{ "list", cmd_list },         { "writer", cmd_writer },
		{ "check", cmd_check },
		{ "commits", cmd_commits },   { "join", cmd_join },
	};
	size_t i;

	if (argc < 2) {
		fprintf(stderr, "usage: rvss_bench populate|snap|fill|drain|list|check|writer|commits|join ...\n");
		return 2;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			return cmds[i].fn(argc - 2, argv + 2);
		}
	}
	fprintf(stderr, "rvss_bench: unknown command %s\n", argv[1]);
	return 2;
}
