/*
 * Test fixture: a loop-mounted btrfs of 512 MiB at g_mnt, in a private
 * mount namespace of the test process, made by the group set-up and
 * removed by the group tear-down (only what they made).
 *
 * Needs root.  Without it the group is skipped, loudly; under CI
 * (CI=true) that is a failure, since CI has root and btrfs.
 */
#ifndef RVSS_TEST_BTRFS_FIXTURE_H
#define RVSS_TEST_BTRFS_FIXTURE_H

#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];
static char g_mnt[128];
static bool g_ready;

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* 0 with g_ready set; 0 with g_ready clear (not root, not CI); -1. */
static int btrfs_fixture_setup(const char *who)
{
	const char *ci = getenv("CI");

	if (geteuid() != 0) {
		fprintf(stderr, "%s: needs root for a loop-mounted btrfs\n", who);
		return (ci != NULL && strcmp(ci, "true") == 0) ? -1 : 0;
	}
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "%s: private mount namespace: %s\n", who, strerror(errno));
		return -1;
	}
	snprintf(g_dir, sizeof(g_dir), "/tmp/rvss-%.20s-XXXXXX", who);
	if (mkdtemp(g_dir) == NULL) {
		return -1;
	}
	snprintf(g_mnt, sizeof(g_mnt), "%s/mnt", g_dir);
	if (mkdir(g_mnt, 0755) != 0 ||
	    run("truncate -s 512M %s/img && mkfs.btrfs -q -f %s/img >/dev/null && "
		"mount -o loop %s/img %s", g_dir, g_dir, g_dir, g_mnt) != 0) {
		fprintf(stderr, "%s: cannot make a loop-mounted btrfs\n", who);
		(void)run("rm -rf %s", g_dir);
		return -1;
	}
	g_ready = true;
	return 0;
}

static void btrfs_fixture_teardown(void)
{
	if (g_ready) {
		(void)run("umount %s", g_mnt);
		(void)run("rm -rf %s", g_dir);
		g_ready = false;
	}
}

#endif
