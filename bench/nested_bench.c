/*
 * nested_bench — the core-level half of bench/nested.sh: the Commit of a
 * share with nested subvolumes (rvss:nested subvolumes = include) timed
 * at rvss_snap_create(), next to the bare snapshot ioctls of the same
 * tree (one BTRFS_IOC_SNAP_CREATE_V2 per subvolume, read-only, into one
 * flat directory: no placement, no record, no check).  Prints raw samples
 * (one per line); judges nothing.
 *
 *   nested_bench CATALOG SUBVOL SCRATCH N
 *     N times, alternating: "rvss US" (rvss_snap_create of SUBVOL, ro,
 *     nested included; then deleted, untimed) and "ioctl US" (the bare
 *     ioctls of SUBVOL and every subvolume below it; then deleted,
 *     untimed).  Also "subvolumes K" once: K snapshots per copy.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/btrfs.h>
#include <talloc.h>

#include "btrfs.h"
#include "nested.h"
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
	fprintf(stderr, "nested_bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* The ioctl vfs_btrfs issues, and nothing else. */
static int bare_snapshot(int src_fd, int dir_fd, const char *name)
{
	struct btrfs_ioctl_vol_args_v2 args;

	memset(&args, 0, sizeof(args));
	args.fd = src_fd;
	args.flags = BTRFS_SUBVOL_RDONLY;
	snprintf(args.name, sizeof(args.name), "%s", name);
	return ioctl(dir_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) == 0 ? 0 : -errno;
}

/* Let btrfs's cleaner remove the deleted snapshots before the next sample. */
static void settle(const char *path)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "btrfs filesystem sync '%s' >/dev/null && "
		 "btrfs subvolume sync '%s' >/dev/null", path, path);
	if (system(cmd) != 0) {
		die("btrfs subvolume sync", EIO);
	}
}

int main(int argc, char **argv)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct rvss_nested_sub *subs = NULL;
	size_t n_subs = 0, k;
	int src_fd, scratch_fd, i, n, ret;

	if (argc != 5) {
		fprintf(stderr, "usage: nested_bench CATALOG SUBVOL SCRATCH N\n");
		return 2;
	}
	n = atoi(argv[4]);
	src_fd = open(argv[2], OPEN_DIR_FLAGS);
	if (src_fd < 0) {
		die(argv[2], errno);
	}
	if (mkdir(argv[3], 0700) != 0 && errno != EEXIST) {
		die(argv[3], errno);
	}
	scratch_fd = open(argv[3], OPEN_DIR_FLAGS);
	if (scratch_fd < 0) {
		die(argv[3], errno);
	}
	/* The same tree rvss will snapshot (no store in it yet). */
	ret = rvss_nested_find(ctx, src_fd, NULL, &subs, &n_subs, NULL);
	if (ret != 0) {
		die("rvss_nested_find", ret);
	}
	printf("subvolumes %zu\n", n_subs + 1);
	for (i = 0; i < n; i++) {
		struct rvss_create_args a = {
			.catalog_path = argv[1],
			.snapshot_dir = RVSS_DEFAULT_SNAPSHOT_DIR,
			.share = "bench",
			.base_volume = argv[2],
			.rw = false,
			.nested = RVSS_NESTED_INCLUDE,
		};
		TALLOC_CTX *tmp = talloc_new(ctx);
		char *base = NULL, *snap = NULL, *reason = NULL;
		time_t t = time(NULL);
		uint64_t t0, d;

		sync();
		t0 = now_ns();
		ret = rvss_snap_create(tmp, &a, &t, &base, &snap, NULL, &reason);
		d = now_ns() - t0;
		if (ret != 0) {
			fprintf(stderr, "nested_bench: %s\n", reason != NULL ? reason : "");
			die("rvss_snap_create", ret);
		}
		printf("rvss %.1f\n", d / 1e3);
		ret = rvss_snap_delete(tmp, argv[1], base, snap, NULL, NULL, &reason);
		if (ret != 0) {
			die("rvss_snap_delete", ret);
		}
		settle(argv[2]);

		sync();
		t0 = now_ns();
		ret = bare_snapshot(src_fd, scratch_fd, "top");
		for (k = 0; k < n_subs && ret == 0; k++) {
			char name[32];
			int fd = open(talloc_asprintf(tmp, "%s/%s", argv[2], subs[k].rel),
				      OPEN_DIR_FLAGS);

			snprintf(name, sizeof(name), "s%zu", k);
			ret = fd < 0 ? -errno : bare_snapshot(fd, scratch_fd, name);
			if (fd >= 0) {
				close(fd);
			}
		}
		d = now_ns() - t0;
		if (ret != 0) {
			die("BTRFS_IOC_SNAP_CREATE_V2", ret);
		}
		printf("ioctl %.1f\n", d / 1e3);
		ret = rvss_btrfs_delete(scratch_fd, "top");
		for (k = 0; k < n_subs && ret == 0; k++) {
			char name[32];

			snprintf(name, sizeof(name), "s%zu", k);
			ret = rvss_btrfs_delete(scratch_fd, name);
		}
		if (ret != 0) {
			die("delete the bare snapshots", ret);
		}
		settle(argv[2]);
		talloc_free(tmp);
		fflush(stdout);
	}
	talloc_free(ctx);
	return 0;
}
