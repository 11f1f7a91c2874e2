/*
 * Unit tests: link counts read in bulk from the btrfs tree
 * (rvss_btrfs_inode_nlinks) and the hard-link rule of the layout walk
 * (links.c) on a real loop-mounted btrfs: the same findings whether the
 * counts come from the tree or from statx, with or without helper
 * threads, as root or not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "btrfs.h"
#include "btrfs_fixture.h"
#include "layout.h"

static int group_setup(void **state)
{
	(void)state;
	return btrfs_fixture_setup("test_links");
}

static int group_teardown(void **state)
{
	(void)state;
	btrfs_fixture_teardown();
	return 0;
}

/* Each test: a fresh subvolume "vol" (world-readable) holding "share". */
static int setup(void **state)
{
	if (!g_ready) {
		skip();
	}
	assert_int_equal(run("btrfs -q subvolume create %s/vol >/dev/null && "
			     "mkdir -m 0755 %s/vol/share %s/vol/outside",
			     g_mnt, g_mnt, g_mnt), 0);
	*state = talloc_new(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)run("btrfs -q subvolume delete %s/vol >/dev/null", g_mnt);
	talloc_free(*state);
	return 0;
}

static char *P(TALLOC_CTX *mem, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *P(TALLOC_CTX *mem, const char *fmt, ...)
{
	char *rel = NULL;
	char *path = NULL;
	va_list ap;

	va_start(ap, fmt);
	rel = talloc_vasprintf(mem, fmt, ap);
	va_end(ap);
	path = talloc_asprintf(mem, "%s/vol/%s", g_mnt, rel);
	assert_non_null(path);
	return path;
}

static void make_file(const char *path)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);

	assert_true(fd >= 0);
	close(fd);
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_ino;
}

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	return fd;
}

/* Counts from the tree match st_nlink; repeats and unknown inodes. */
static void test_nlinks_read_in_bulk(void **state)
{
	TALLOC_CTX *mem = *state;
	void *buf = talloc_size(mem, RVSS_BTRFS_NLINK_BUF);
	uint64_t inos[5];
	uint32_t nlink[5];
	uint64_t tree = 0;
	int fd;
	int i;

	make_file(P(mem, "share/a"));
	make_file(P(mem, "share/b"));
	assert_int_equal(link(P(mem, "share/b"), P(mem, "share/b2")), 0);
	/* 100 inodes between b and c: c is read as a second key range. */
	for (i = 0; i < 100; i++) {
		make_file(P(mem, "outside/spacer%d", i));
	}
	make_file(P(mem, "share/c"));
	assert_int_equal(link(P(mem, "share/c"), P(mem, "outside/c")), 0);
	assert_int_equal(link(P(mem, "share/c"), P(mem, "outside/c2")), 0);

	fd = open_dir(P(mem, "share"));
	assert_int_equal(rvss_btrfs_subvolume_id_fd(fd, &tree), 0);
	assert_int_equal(rvss_btrfs_sync(fd), 0);
	inos[0] = ino_of(P(mem, "share/a"));
	inos[1] = ino_of(P(mem, "share/b"));
	inos[2] = inos[1];
	inos[3] = ino_of(P(mem, "share/c"));
	inos[4] = inos[3] + 1000000; /* no such inode */
	assert_true(inos[0] < inos[1] && inos[1] < inos[3]);
	memset(nlink, 0xff, sizeof(nlink));
	assert_int_equal(rvss_btrfs_inode_nlinks(fd, tree, inos, 5, nlink, buf,
						 RVSS_BTRFS_NLINK_BUF), 0);
	assert_int_equal(nlink[0], 1);
	assert_int_equal(nlink[1], 2);
	assert_int_equal(nlink[2], 2);
	assert_int_equal(nlink[3], 3);
	assert_int_equal(nlink[4], 0);
	close(fd);
}

/*
 * A file with thousands of extent items between two others: its items
 * fill the search buffer several times over; the read must step past
 * them and still find the inode after it.
 */
static void test_nlinks_past_a_fragmented_file(void **state)
{
	TALLOC_CTX *mem = *state;
	void *buf = talloc_size(mem, RVSS_BTRFS_NLINK_BUF);
	char block[4096];
	uint64_t inos[2];
	uint32_t nlink[2] = { 0, 0 };
	uint64_t tree = 0;
	struct stat st;
	int fd;
	int i;

	make_file(P(mem, "share/first"));
	fd = open(P(mem, "share/fragmented"), O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	memset(block, 'x', sizeof(block));
	/* 4 KiB every 8 KiB: one extent item each (holes between). */
	for (i = 0; i < 4000; i++) {
		assert_int_equal(pwrite(fd, block, sizeof(block),
					(off_t)i * 8192), (ssize_t)sizeof(block));
	}
	assert_int_equal(fsync(fd), 0);
	close(fd);
	make_file(P(mem, "share/last"));
	assert_int_equal(link(P(mem, "share/first"), P(mem, "outside/first")), 0);
	assert_int_equal(link(P(mem, "share/last"), P(mem, "outside/last")), 0);
	assert_int_equal(stat(P(mem, "share/fragmented"), &st), 0);

	fd = open_dir(P(mem, "share"));
	assert_int_equal(rvss_btrfs_subvolume_id_fd(fd, &tree), 0);
	assert_int_equal(rvss_btrfs_sync(fd), 0);
	inos[0] = ino_of(P(mem, "share/first"));
	inos[1] = ino_of(P(mem, "share/last"));
	/* One key range with the fragmented file inside it. */
	assert_true(st.st_ino > inos[0] && st.st_ino < inos[1]);
	assert_true(inos[1] - inos[0] < 64);
	assert_int_equal(rvss_btrfs_inode_nlinks(fd, tree, inos, 2, nlink, buf,
						 RVSS_BTRFS_NLINK_BUF), 0);
	assert_int_equal(nlink[0], 2);
	assert_int_equal(nlink[1], 2);
	close(fd);
}

static void test_nlinks_bad_arguments(void **state)
{
	TALLOC_CTX *mem = *state;
	void *buf = talloc_size(mem, RVSS_BTRFS_NLINK_BUF);
	uint64_t inos[2] = { 300, 257 };
	uint32_t nlink[2];
	uint64_t tree = 0;
	int fd = open_dir(P(mem, "share"));
	int proc = open_dir("/proc");

	assert_int_equal(rvss_btrfs_subvolume_id_fd(fd, &tree), 0);
	/* Not ascending. */
	assert_int_equal(rvss_btrfs_inode_nlinks(fd, tree, inos, 2, nlink, buf,
						 RVSS_BTRFS_NLINK_BUF), -EINVAL);
	/* A buffer an item might not fit in. */
	assert_int_equal(rvss_btrfs_inode_nlinks(fd, tree, inos + 1, 1, nlink,
						 buf, 4096), -EINVAL);
	/* Not btrfs: no ioctl is issued at all. */
	assert_int_equal(rvss_btrfs_inode_nlinks(proc, tree, inos + 1, 1, nlink,
						 buf, RVSS_BTRFS_NLINK_BUF),
			 -EOPNOTSUPP);
	close(proc);
	close(fd);
}

/* ---- the hard-link rule over the tree -------------------------------- */

#define VM_FILES 700

/*
 * share/vm1..vm3 with VM_FILES files in all; every 7th has a second link
 * in outside/ (a finding), every 11th a second link inside the share (no
 * finding unless it is also a 7th: then 3 links, 2 inside).
 */
static unsigned make_linked_tree(TALLOC_CTX *mem)
{
	unsigned expected = 0;
	unsigned i;

	for (i = 1; i <= 3; i++) {
		assert_int_equal(mkdir(P(mem, "share/vm%u", i), 0755), 0);
	}
	for (i = 0; i < VM_FILES; i++) {
		char *f = P(mem, "share/vm%u/disk%04u.vhd.bin", i % 3 + 1, i);

		make_file(f);
		if (i % 7 == 0) {
			assert_int_equal(link(f, P(mem, "outside/l%u", i)), 0);
			expected++;
		}
		if (i % 11 == 0) {
			assert_int_equal(link(f, P(mem, "share/vm%u/twin%04u.bin",
						   i % 3 + 1, i)), 0);
		}
	}
	return expected;
}

struct run_result {
	unsigned hardlinks;
	unsigned others;
	bool tree_search;
	char *paths; /* the hard-link findings' paths, in order, one line each */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct run_result check_tree(TALLOC_CTX *mem, unsigned threads,
				    bool no_tree_search)
{
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;
	struct run_result out = { 0 };
	char **paths = NULL;
	size_t i;

	rvss_layout_opts_init(&o);
	o.threads = threads;
	o.no_tree_search = no_tree_search;
	assert_int_equal(rvss_layout_check(mem, P(mem, "share"), &o, &r), 0);
	assert_true(r->complete);
	paths = talloc_array(mem, char *, r->num_findings + 1);
	assert_non_null(paths);
	for (i = 0; i < r->num_findings; i++) {
		if (r->findings[i].code == RVSS_LAYOUT_HARDLINK) {
			paths[out.hardlinks++] = r->findings[i].path;
		} else {
			out.others++;
		}
	}
	qsort(paths, out.hardlinks, sizeof(*paths), cmp_str);
	out.paths = talloc_strdup(mem, "");
	for (i = 0; i < out.hardlinks; i++) {
		out.paths = talloc_asprintf_append(out.paths, "%s\n", paths[i]);
	}
	out.tree_search = r->stats.tree_search;
	return out;
}

static void test_rule_same_from_tree_and_statx(void **state)
{
	TALLOC_CTX *mem = *state;
	unsigned expected = make_linked_tree(mem);
	struct run_result base = check_tree(mem, 1, true);
	const struct {
		unsigned threads;
		bool no_tree;
	} runs[] = { { 1, false }, { 3, false }, { 3, true }, { 8, false } };
	size_t i;

	assert_int_equal(base.hardlinks, expected);
	assert_int_equal(base.others, 0);
	assert_false(base.tree_search);
	/* The smallest path of the 3-link files is the disk, not the twin. */
	assert_non_null(strstr(base.paths, "vm1/disk0000.vhd.bin\n"));
	assert_null(strstr(base.paths, "twin"));
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct run_result r = check_tree(mem, runs[i].threads,
						 runs[i].no_tree);

		assert_int_equal(r.tree_search, !runs[i].no_tree);
		assert_int_equal(r.hardlinks, expected);
		assert_string_equal(r.paths, base.paths);
	}
}

/* A link made just before the check: btrfs has not yet written the
 * inode item into the tree; the check commits first and sees it. */
static void test_rule_sees_a_link_made_just_before(void **state)
{
	TALLOC_CTX *mem = *state;
	struct run_result r;

	assert_int_equal(mkdir(P(mem, "share/vm1"), 0755), 0);
	make_file(P(mem, "share/vm1/disk.vhd.bin"));
	r = check_tree(mem, 2, false);
	assert_int_equal(r.hardlinks, 0);
	assert_int_equal(link(P(mem, "share/vm1/disk.vhd.bin"),
			      P(mem, "outside/x")), 0);
	r = check_tree(mem, 2, false);
	assert_true(r.tree_search);
	assert_int_equal(r.hardlinks, 1);
	assert_string_equal(r.paths, "vm1/disk.vhd.bin\n");
}

/*
 * Not root: the tree search is refused (EPERM); statx gives the same.  A
 * directory the user may read but not search (r--): its files cannot be
 * statted, each is an unreadable finding (reported by the walking thread
 * after the helpers are done), not a crash or a silent pass.
 */
static void test_rule_unprivileged_falls_back_to_statx(void **state)
{
	TALLOC_CTX *mem = *state;
	unsigned expected = make_linked_tree(mem);
	struct run_result root = check_tree(mem, 2, false);
	int status = 0;
	pid_t pid;

	assert_true(root.tree_search);
	assert_int_equal(mkdir(P(mem, "share/vm1/locked"), 0744), 0);
	make_file(P(mem, "share/vm1/locked/disk.bin"));
	/* mkdtemp made the fixture's directory 0700. */
	assert_int_equal(chmod(g_dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* No cmocka assertions in the child: exit codes say it. */
		struct rvss_layout_opts o;
		struct rvss_layout_result *r = NULL;
		unsigned n = 0;
		unsigned unreadable = 0;
		size_t i;

		if (setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0) {
			_exit(10);
		}
		rvss_layout_opts_init(&o);
		o.threads = 2;
		if (rvss_layout_check(mem, P(mem, "share"), &o, &r) != 0) {
			_exit(11);
		}
		if (r->stats.tree_search) {
			_exit(12);
		}
		for (i = 0; i < r->num_findings; i++) {
			const struct rvss_layout_finding *f = &r->findings[i];

			n += f->code == RVSS_LAYOUT_HARDLINK;
			unreadable += f->code == RVSS_LAYOUT_UNREADABLE &&
				      strcmp(f->path, "vm1/locked/disk.bin") == 0;
		}
		if (unreadable != 1) {
			_exit(14);
		}
		_exit(n == expected && n == root.hardlinks &&
		      r->num_findings == n + 1 ? 0 : 13);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_nlinks_read_in_bulk),
		T(test_nlinks_past_a_fragmented_file),
		T(test_nlinks_bad_arguments),
		T(test_rule_same_from_tree_and_statx),
		T(test_rule_sees_a_link_made_just_before),
		T(test_rule_unprivileged_falls_back_to_statx),
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("links", tests, group_setup, group_teardown);
}
