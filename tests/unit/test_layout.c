/*
 * Unit tests: the share-layout rules (lib/layout.c), one rule or bound per
 * test, each on its own mkdtemp() tree.  Mount points and other
 * filesystems are made in a child in its own mount namespace (root only);
 * nested btrfs subvolumes need a btrfs and are tested by
 * tests/agent/030-btrfs.sh.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <talloc.h>

#include "layout.h"
#include "vdisk_fixture.h"

struct tree {
	TALLOC_CTX *ctx;
	char *dir;
	int fd;
};

static int setup(void **state)
{
	struct tree *t = NULL;
	TALLOC_CTX *ctx = talloc_new(NULL);

	if (ctx == NULL) {
		return -1;
	}
	t = talloc_zero(ctx, struct tree);
	t->ctx = ctx;
	t->dir = talloc_strdup(t, "/tmp/rvss-layout-XXXXXX");
	if (t->dir == NULL || mkdtemp(t->dir) == NULL) {
		return -1;
	}
	t->fd = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*state = t;
	return t->fd < 0 ? -1 : 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	if (flag == FTW_DP) {
		(void)chmod(path, 0700);
		return rmdir(path);
	}
	return unlink(path);
}

static int teardown(void **state)
{
	struct tree *t = *state;
	TALLOC_CTX *ctx = t->ctx;

	close(t->fd);
	(void)nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	talloc_free(t);
	assert_int_equal(talloc_total_blocks(ctx), 1);
	talloc_free(ctx);
	return 0;
}

static void mkdirs(struct tree *t, const char *rel)
{
	char *p = talloc_strdup(t, rel);
	char *s = p;

	assert_non_null(p);
	while ((s = strchr(s + 1, '/')) != NULL) {
		*s = '\0';
		assert_true(mkdirat(t->fd, p, 0755) == 0 || errno == EEXIST);
		*s = '/';
	}
	assert_true(mkdirat(t->fd, p, 0755) == 0 || errno == EEXIST);
	talloc_free(p);
}

static void mkfile(struct tree *t, const char *rel)
{
	int fd = openat(t->fd, rel, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	close(fd);
}

static struct rvss_layout_result *run(struct tree *t,
				      const struct rvss_layout_opts *o)
{
	struct rvss_layout_result *res = NULL;

	assert_int_equal(rvss_layout_check_fd(t, t->fd, o, &res), 0);
	assert_non_null(res);
	return res;
}

static size_t count(const struct rvss_layout_result *r,
		    enum rvss_layout_code code)
{
	size_t i, n = 0;

	for (i = 0; i < r->num_findings; i++) {
		n += r->findings[i].code == code;
	}
	return n;
}

/* The single finding of @r, which must have @code and @path. */
static void assert_only(const struct rvss_layout_result *r,
			enum rvss_layout_code code, const char *path)
{
	assert_int_equal(r->num_findings, 1);
	assert_int_equal(r->findings[0].code, code);
	assert_string_equal(r->findings[0].path, path);
}

static void test_layout_clean_tree_qualifies(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1/Virtual Hard Disks");
	mkfile(t, "vm1/Virtual Hard Disks/notes.txt");
	mkfile(t, "data.mdf");
	r = run(t, NULL);
	assert_int_equal(r->num_findings, 0);
	assert_true(r->complete);
	assert_int_equal(r->stats.entries, 4);
	talloc_free(r);
}

static void test_layout_symlink(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	assert_int_equal(symlinkat("/etc", t->fd, "vm1/link"), 0);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_SYMLINK, "vm1/link");
	talloc_free(r);
}

static void test_layout_symlink_to_directory_not_followed(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1/real/deeper");
	mkfile(t, "vm1/real/deeper/x.txt");
	assert_int_equal(symlinkat("real", t->fd, "vm1/loop"), 0);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_SYMLINK, "vm1/loop");
	assert_int_equal(r->stats.entries, 5);
	talloc_free(r);
}

static void test_layout_fifo(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	assert_int_equal(mkfifoat(t->fd, "vm1/pipe", 0644), 0);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_FIFO, "vm1/pipe");
	talloc_free(r);
}

static void test_layout_socket(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	mkdirs(t, "vm1");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/vm1/sock", t->dir);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_SOCKET, "vm1/sock");
	talloc_free(r);
}

static void test_layout_device(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	if (mknodat(t->fd, "vm1/null", S_IFCHR | 0600, makedev(1, 3)) != 0) {
		assert_int_equal(errno, EPERM);
		skip(); /* not root: cannot make a device node */
	}
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_DEVICE, "vm1/null");
	talloc_free(r);
}

static void test_layout_depth_beyond_max(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.max_depth = 2;
	mkdirs(t, "a/b/c/d");
	r = run(t, &o);
	assert_only(r, RVSS_LAYOUT_TOO_DEEP, "a/b/c");
	talloc_free(r);
}

static void test_layout_depth_at_max_allowed(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "1/2/3/4/5");
	mkfile(t, "1/2/3/4/5/file.vhdx.txt");
	r = run(t, NULL); /* default maximum 5 */
	assert_int_equal(r->num_findings, 0);
	talloc_free(r);
}

static void test_layout_depth_zero_is_unlimited(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.max_depth = 0;
	mkdirs(t, "1/2/3/4/5/6/7/8/9/10/11/12");
	r = run(t, &o);
	assert_int_equal(r->num_findings, 0);
	talloc_free(r);
}

static void test_layout_depth_reported_once_per_branch(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.max_depth = 1;
	mkdirs(t, "a/b/c/d");
	mkdirs(t, "x/y/z");
	r = run(t, &o);
	assert_int_equal(r->num_findings, 2);
	assert_int_equal(count(r, RVSS_LAYOUT_TOO_DEEP), 2);
	talloc_free(r);
}

static void test_layout_root_non_vm_file(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkfile(t, "readme.txt");
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_ROOT_FILE, "readme.txt");
	talloc_free(r);
}

static void test_layout_root_vm_files_any_case(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkfile(t, "vm.VMCX");
	mkfile(t, "vm.vmrs");
	mkfile(t, "db.LDF");
	mkfile(t, "cfg.xml");
	mkdirs(t, "any directory");
	r = run(t, NULL);
	assert_int_equal(r->num_findings, 0);
	talloc_free(r);
}

static void test_layout_root_file_without_extension(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkfile(t, "vhdx");
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_ROOT_FILE, "vhdx");
	talloc_free(r);
}

static void test_layout_custom_extensions(void **state)
{
	struct tree *t = *state;
	static const char *const exts[] = { ".iso", NULL };
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.vm_extensions = exts;
	mkfile(t, "install.iso");
	mkfile(t, "vm.vmcx");
	r = run(t, &o);
	assert_only(r, RVSS_LAYOUT_ROOT_FILE, "vm.vmcx");
	talloc_free(r);
}

static void test_layout_hardlink_outside(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;
	char *outside = talloc_asprintf(t, "%s.outside", t->dir);

	mkdirs(t, "vm1");
	mkfile(t, "vm1/disk.bin");
	assert_int_equal(linkat(t->fd, "vm1/disk.bin", AT_FDCWD, outside, 0),
			 0);
	r = run(t, NULL);
	(void)unlink(outside);
	assert_only(r, RVSS_LAYOUT_HARDLINK, "vm1/disk.bin");
	talloc_free(outside);
	talloc_free(r);
}

static void test_layout_hardlink_rule_can_be_skipped(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;
	char *outside = talloc_asprintf(t, "%s.outside", t->dir);

	rvss_layout_opts_init(&o);
	o.skip_hardlinks = true;
	mkdirs(t, "vm1");
	mkfile(t, "vm1/disk.bin");
	mkfile(t, "notes.txt");
	assert_int_equal(linkat(t->fd, "vm1/disk.bin", AT_FDCWD, outside, 0),
			 0);
	r = run(t, &o);
	(void)unlink(outside);
	/* Only the hard link goes unreported; the root rule still holds. */
	assert_only(r, RVSS_LAYOUT_ROOT_FILE, "notes.txt");
	talloc_free(outside);
	talloc_free(r);
}

static void test_layout_hardlink_inside_allowed(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	mkdirs(t, "vm2");
	mkfile(t, "vm1/disk.bin");
	assert_int_equal(linkat(t->fd, "vm1/disk.bin", t->fd, "vm2/disk.bin",
				0), 0);
	r = run(t, NULL);
	assert_int_equal(r->num_findings, 0);
	talloc_free(r);
}

static void write_vhdx(struct tree *t, const char *rel, bool parent,
		       const struct fx_kv *kv, size_t nkv, const char *guid)
{
	struct fx_vhdx o = { .has_parent = parent, .kv = kv, .nkv = nkv,
			     .guid1 = guid };
	size_t len = 0;
	uint8_t *b = fx_vhdx_build(t, &o, &len);

	assert_non_null(b);
	assert_int_equal(fx_write(t->fd, rel, b, len), 0);
	talloc_free(b);
}

static void test_layout_vhdx_parent_inside(void **state)
{
	struct tree *t = *state;
	static const struct fx_kv kv[] = {
		{ "parent_linkage", "{" FX_GUID_B "}" },
		{ "relative_path", "..\\base\\base.vhdx" },
		{ "absolute_win32_path", "C:\\ClusterStorage\\base.vhdx" },
	};
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1/disks");
	mkdirs(t, "vm1/base");
	write_vhdx(t, "vm1/base/base.vhdx", false, NULL, 0, FX_GUID_B);
	write_vhdx(t, "vm1/disks/child.avhdx", true, kv, 3, FX_GUID_A);
	r = run(t, NULL);
	assert_int_equal(r->num_findings, 0);
	assert_int_equal(r->stats.vdisks, 2);
	talloc_free(r);
}

static void test_layout_vhdx_parent_missing(void **state)
{
	struct tree *t = *state;
	static const struct fx_kv kv[] = {
		{ "parent_linkage", "{" FX_GUID_B "}" },
		{ "relative_path", "base.vhdx" },
	};
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	write_vhdx(t, "vm1/child.avhdx", true, kv, 2, FX_GUID_A);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_PARENT_MISSING, "vm1/child.avhdx");
	assert_non_null(strstr(r->findings[0].detail, "vm1/base.vhdx"));
	talloc_free(r);
}

static void test_layout_vhdx_parent_outside_relative(void **state)
{
	struct tree *t = *state;
	static const struct fx_kv kv[] = {
		{ "relative_path", "..\\..\\elsewhere\\base.vhdx" },
	};
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	write_vhdx(t, "vm1/child.avhdx", true, kv, 1, FX_GUID_A);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_PARENT_OUTSIDE, "vm1/child.avhdx");
	talloc_free(r);
}

static void test_layout_vhdx_parent_outside_absolute(void **state)
{
	struct tree *t = *state;
	static const struct fx_kv kv[] = {
		{ "relative_path", "base.vhdx" },
		{ "absolute_win32_path", "\\\\otherserver\\vms\\base.vhdx" },
	};
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.share_name = "hyperv";
	mkdirs(t, "vm1");
	write_vhdx(t, "vm1/child.avhdx", true, kv, 2, FX_GUID_A);
	r = run(t, &o);
	assert_only(r, RVSS_LAYOUT_PARENT_OUTSIDE, "vm1/child.avhdx");
	assert_non_null(strstr(r->findings[0].detail, "otherserver"));
	talloc_free(r);
}

static void test_layout_vhdx_parent_unc_of_share(void **state)
{
	struct tree *t = *state;
	static const struct fx_kv kv[] = {
		{ "absolute_win32_path", "\\\\fs1\\HyperV\\base\\base.vhdx" },
	};
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.share_name = "hyperv";
	mkdirs(t, "vm1");
	mkdirs(t, "base");
	write_vhdx(t, "base/base.vhdx", false, NULL, 0, FX_GUID_B);
	write_vhdx(t, "vm1/child.avhdx", true, kv, 1, FX_GUID_A);
	r = run(t, &o);
	assert_int_equal(r->num_findings, 0);
	talloc_free(r);
}

static void test_layout_vhdx_parent_name_case_differs(void **state)
{
	struct tree *t = *state;
	static const struct fx_kv kv[] = {
		{ "relative_path", "..\\BASE\\Base.VHDX" },
	};
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	mkdirs(t, "base");
	write_vhdx(t, "base/base.vhdx", false, NULL, 0, FX_GUID_B);
	write_vhdx(t, "vm1/child.avhdx", true, kv, 1, FX_GUID_A);
	r = run(t, NULL);
	assert_int_equal(r->num_findings, 0);
	talloc_free(r);
}

static void test_layout_vhdx_parent_linkage_mismatch(void **state)
{
	struct tree *t = *state;
	static const struct fx_kv kv[] = {
		{ "parent_linkage", "{" FX_GUID_B "}" },
		{ "relative_path", "base.vhdx" },
	};
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	/* A parent that is not the one the child was forked from. */
	write_vhdx(t, "vm1/base.vhdx", false, NULL, 0, FX_GUID_A);
	write_vhdx(t, "vm1/child.avhdx", true, kv, 2, FX_GUID_A);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_PARENT_MISSING, "vm1/child.avhdx");
	assert_non_null(strstr(r->findings[0].detail, "parent_linkage"));
	talloc_free(r);
}

static void test_layout_vhd_parent_missing(void **state)
{
	struct tree *t = *state;
	static const struct fx_vhd_loc loc[] = {
		{ FX_W2RU, ".\\base.vhd" },
	};
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = loc, .nloc = 1 };
	struct rvss_layout_result *r = NULL;
	size_t len = 0;
	uint8_t *b = fx_vhd_build(t, &o, &len);

	mkdirs(t, "vm1");
	assert_int_equal(fx_write(t->fd, "vm1/child.avhd", b, len), 0);
	talloc_free(b);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_PARENT_MISSING, "vm1/child.avhd");
	talloc_free(r);
}

static void test_layout_vhd_parent_inside(void **state)
{
	struct tree *t = *state;
	static const struct fx_vhd_loc loc[] = {
		{ FX_W2KU, "D:\\vms\\vm1\\base.vhd" },
		{ FX_W2RU, ".\\base.vhd" },
	};
	struct fx_vhd o = { .disk_type = FX_VHD_DIFF, .loc = loc, .nloc = 2 };
	struct fx_vhd base = { .disk_type = FX_VHD_FIXED };
	struct rvss_layout_result *r = NULL;
	size_t len = 0;
	uint8_t *b = NULL;

	mkdirs(t, "vm1");
	b = fx_vhd_build(t, &o, &len);
	assert_int_equal(fx_write(t->fd, "vm1/child.avhd", b, len), 0);
	talloc_free(b);
	b = fx_vhd_build(t, &base, &len);
	assert_int_equal(fx_write(t->fd, "vm1/base.vhd", b, len), 0);
	talloc_free(b);
	r = run(t, NULL);
	assert_int_equal(r->num_findings, 0);
	talloc_free(r);
}

static void test_layout_corrupt_vhdx(void **state)
{
	struct tree *t = *state;
	static const uint8_t junk[100] = "vhdxfile but nothing else";
	struct rvss_layout_result *r = NULL;

	mkdirs(t, "vm1");
	assert_int_equal(fx_write(t->fd, "vm1/broken.vhdx", junk,
				  sizeof(junk)), 0);
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_BAD_VDISK, "vm1/broken.vhdx");
	talloc_free(r);
}

static void test_layout_max_entries_stops_walk(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.max_entries = 3;
	mkdirs(t, "a");
	mkfile(t, "a/1");
	mkfile(t, "a/2");
	mkfile(t, "a/3");
	mkfile(t, "a/4");
	r = run(t, &o);
	assert_false(r->complete);
	assert_int_equal(r->stats.entries, 3);
	assert_int_equal(count(r, RVSS_LAYOUT_INCOMPLETE), 1);
	talloc_free(r);
}

static void test_layout_deadline_stops_walk(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.deadline_ns = 1; /* long past */
	mkdirs(t, "a");
	r = run(t, &o);
	assert_false(r->complete);
	assert_int_equal(count(r, RVSS_LAYOUT_INCOMPLETE), 1);
	talloc_free(r);
}

static void test_layout_incomplete_walk_skips_link_check(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.max_entries = 2;
	mkdirs(t, "a");
	mkfile(t, "a/x.bin");
	assert_int_equal(linkat(t->fd, "a/x.bin", t->fd, "a/y.bin", 0), 0);
	r = run(t, &o);
	assert_false(r->complete);
	assert_int_equal(count(r, RVSS_LAYOUT_HARDLINK), 0);
	talloc_free(r);
}

static void test_layout_open_dirs_cap(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.max_depth = 0;
	o.max_open_dirs = 3;
	mkdirs(t, "a/b/c/d/e");
	r = run(t, &o);
	assert_false(r->complete);
	assert_only(r, RVSS_LAYOUT_INCOMPLETE, "a/b/c");
	talloc_free(r);
}

static void test_layout_skip_paths(void **state)
{
	struct tree *t = *state;
	static const char *const skip[] = { ".rvss-snapshots", NULL };
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.skip_paths = skip;
	mkdirs(t, ".rvss-snapshots/x");
	assert_int_equal(symlinkat("/", t->fd, ".rvss-snapshots/x/l"), 0);
	r = run(t, &o);
	assert_int_equal(r->num_findings, 0);
	talloc_free(r);
}

static void test_layout_max_findings_counts_rest(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.max_findings = 2;
	mkfile(t, "1.txt");
	mkfile(t, "2.txt");
	mkfile(t, "3.txt");
	r = run(t, &o);
	assert_int_equal(r->num_findings, 2);
	assert_int_equal(r->num_dropped, 1);
	assert_int_equal(r->stats.findings, 3);
	talloc_free(r);
}

struct streamed {
	unsigned n;
	enum rvss_layout_code code;
};

static void collect(void *priv, const struct rvss_layout_finding *f)
{
	struct streamed *s = priv;

	s->n++;
	s->code = f->code;
}

static void test_layout_findings_streamed_to_callback(void **state)
{
	struct tree *t = *state;
	struct streamed s = { 0 };
	struct rvss_layout_opts o;
	struct rvss_layout_result *r = NULL;

	rvss_layout_opts_init(&o);
	o.on_finding = collect;
	o.priv = &s;
	mkfile(t, "x.txt");
	r = run(t, &o);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.code, RVSS_LAYOUT_ROOT_FILE);
	assert_int_equal(r->num_findings, 0);
	assert_int_equal(r->stats.findings, 1);
	talloc_free(r);
}

static void test_layout_threads_give_the_same_findings(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_opts o;
	struct rvss_layout_result *r1 = NULL;
	struct rvss_layout_result *r4 = NULL;
	char *outside = talloc_asprintf(t, "%s.outside", t->dir);
	char name[32];
	size_t i;
	int n;

	mkdirs(t, "vm1/many");
	for (n = 0; n < 700; n++) {
		snprintf(name, sizeof(name), "vm1/many/f%d.bin", n);
		mkfile(t, name);
	}
	assert_int_equal(mkfifoat(t->fd, "vm1/many/pipe", 0644), 0);
	mkdirs(t, "vm1/many/sub/a/b/c/d");
	assert_int_equal(linkat(t->fd, "vm1/many/f500.bin", AT_FDCWD, outside,
				0), 0);
	rvss_layout_opts_init(&o);
	o.threads = 1;
	r1 = run(t, &o);
	o.threads = 4;
	r4 = run(t, &o);
	(void)unlink(outside);
	assert_int_equal(r1->num_findings, 3);
	assert_int_equal(r4->num_findings, r1->num_findings);
	assert_int_equal(r4->stats.entries, r1->stats.entries);
	for (i = 0; i < r1->num_findings; i++) {
		assert_int_equal(r4->findings[i].code, r1->findings[i].code);
		assert_string_equal(r4->findings[i].path,
				    r1->findings[i].path);
	}
	talloc_free(outside);
	talloc_free(r1);
	talloc_free(r4);
}

static void test_layout_odd_bytes_in_names(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;
	char *esc = NULL;

	mkfile(t, "bad\x01\xff\\name");
	r = run(t, NULL);
	assert_only(r, RVSS_LAYOUT_ROOT_FILE, "bad\x01\xff\\name");
	esc = rvss_layout_escape(r, r->findings[0].path);
	assert_non_null(esc);
	assert_string_equal(esc, "bad\\x01\\xff\\\\name");
	talloc_free(r);
}

static void test_layout_finding_string(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_finding f = {
		.code = RVSS_LAYOUT_PARENT_OUTSIDE,
		.path = (char *)"vm1/c\xff.avhdx",
		.detail = (char *)"parent C:\\base.vhdx",
	};
	char *line = rvss_layout_finding_string(t, &f);

	assert_non_null(line);
	assert_string_equal(line, "RVSS-L010 vm1/c\\xff.avhdx: differencing "
			    "disk's parent lies outside the share (parent "
			    "C:\\\\base.vhdx)");
	talloc_free(line);
}

static void test_layout_escape_keeps_utf8(void **state)
{
	struct tree *t = *state;
	char *esc = rvss_layout_escape(t, "caf\xc3\xa9/\xe2\x82\xac");

	assert_non_null(esc);
	assert_string_equal(esc, "caf\xc3\xa9/\xe2\x82\xac");
	talloc_free(esc);
}

static void test_layout_root_not_a_directory(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;
	int fd;

	mkfile(t, "f");
	fd = openat(t->fd, "f", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(rvss_layout_check_fd(t, fd, NULL, &r), -ENOTDIR);
	assert_null(r);
	close(fd);
}

static void test_layout_root_symlink_refused(void **state)
{
	struct tree *t = *state;
	struct rvss_layout_result *r = NULL;
	char *link = talloc_asprintf(t, "%s/l", t->dir);

	mkdirs(t, "d");
	assert_int_equal(symlinkat("d", t->fd, "l"), 0);
	assert_int_equal(rvss_layout_check(t, link, NULL, &r), -ELOOP);
	assert_null(r);
	talloc_free(link);
}

/*
 * Run the check in a child that first calls @prepare (as root, in its own
 * mount namespace when @ns), then drops to nobody if @drop.  The child
 * exits with the code of the single finding, 100 + count if there is
 * not exactly one, or 200+ on a failed step.
 */
static int check_in_child(struct tree *t, bool ns, bool drop,
			  int (*prepare)(struct tree *t), const char **path)
{
	pid_t pid;
	int status = 0;
	int pfd[2];
	char buf[256] = "";
	ssize_t n;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rvss_layout_result *r = NULL;

		close(pfd[0]);
		if (ns && (unshare(CLONE_NEWNS) != 0 ||
			   mount(NULL, "/", NULL, MS_REC | MS_PRIVATE,
				 NULL) != 0)) {
			_exit(200);
		}
		if (prepare(t) != 0) {
			_exit(201);
		}
		if (drop && (setgid(65534) != 0 || setuid(65534) != 0)) {
			_exit(202);
		}
		/* By path: an fd opened before unshare() sees the old
		 * namespace's mounts. */
		if (rvss_layout_check(NULL, t->dir, NULL, &r) != 0) {
			_exit(203);
		}
		if (r->num_findings != 1) {
			_exit(100 + (int)r->num_findings);
		}
		(void)write(pfd[1], r->findings[0].path,
			    strlen(r->findings[0].path));
		_exit(r->findings[0].code);
	}
	close(pfd[1]);
	n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	buf[n > 0 ? n : 0] = '\0';
	*path = talloc_strdup(t, buf);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int prep_bind_mount(struct tree *t)
{
	char *src = talloc_asprintf(t, "%s/vm1/src", t->dir);
	char *dst = talloc_asprintf(t, "%s/vm1/bind", t->dir);

	return mount(src, dst, NULL, MS_BIND, NULL);
}

static int prep_tmpfs(struct tree *t)
{
	char *dst = talloc_asprintf(t, "%s/vm1/bind", t->dir);

	return mount("rvss-test", dst, "tmpfs", 0, "size=64k");
}

static void test_layout_bind_mount_of_same_fs(void **state)
{
	struct tree *t = *state;
	const char *path = NULL;
	int code;

	if (geteuid() != 0) {
		skip(); /* mount needs root */
	}
	mkdirs(t, "vm1/src");
	mkdirs(t, "vm1/bind");
	code = check_in_child(t, true, false, prep_bind_mount, &path);
	assert_int_equal(code, RVSS_LAYOUT_MOUNT);
	assert_string_equal(path, "vm1/bind");
}

static void test_layout_other_filesystem(void **state)
{
	struct tree *t = *state;
	const char *path = NULL;
	int code;

	if (geteuid() != 0) {
		skip(); /* mount needs root */
	}
	mkdirs(t, "vm1/bind");
	code = check_in_child(t, true, false, prep_tmpfs, &path);
	assert_int_equal(code, RVSS_LAYOUT_OTHER_FS);
	assert_string_equal(path, "vm1/bind");
}

static int prep_nothing(struct tree *t)
{
	return 0;
}

static void test_layout_unreadable_directory(void **state)
{
	struct tree *t = *state;
	const char *path = NULL;
	int code;

	if (geteuid() != 0) {
		skip(); /* needs to become another user */
	}
	mkdirs(t, "vm1/secret");
	assert_int_equal(chmod(t->dir, 0755), 0);
	assert_int_equal(fchmodat(t->fd, "vm1", 0755, 0), 0);
	assert_int_equal(fchmodat(t->fd, "vm1/secret", 0700, 0), 0);
	code = check_in_child(t, false, true, prep_nothing, &path);
	assert_int_equal(code, RVSS_LAYOUT_UNREADABLE);
	assert_string_equal(path, "vm1/secret");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_layout_clean_tree_qualifies),
		T(test_layout_symlink),
		T(test_layout_symlink_to_directory_not_followed),
		T(test_layout_fifo),
		T(test_layout_socket),
		T(test_layout_device),
		T(test_layout_depth_beyond_max),
		T(test_layout_depth_at_max_allowed),
		T(test_layout_depth_zero_is_unlimited),
		T(test_layout_depth_reported_once_per_branch),
		T(test_layout_root_non_vm_file),
		T(test_layout_root_vm_files_any_case),
		T(test_layout_root_file_without_extension),
		T(test_layout_custom_extensions),
		T(test_layout_hardlink_outside),
		T(test_layout_hardlink_rule_can_be_skipped),
		T(test_layout_hardlink_inside_allowed),
		T(test_layout_vhdx_parent_inside),
		T(test_layout_vhdx_parent_missing),
		T(test_layout_vhdx_parent_outside_relative),
		T(test_layout_vhdx_parent_outside_absolute),
		T(test_layout_vhdx_parent_unc_of_share),
		T(test_layout_vhdx_parent_name_case_differs),
		T(test_layout_vhdx_parent_linkage_mismatch),
		T(test_layout_vhd_parent_missing),
		T(test_layout_vhd_parent_inside),
		T(test_layout_corrupt_vhdx),
		T(test_layout_max_entries_stops_walk),
		T(test_layout_deadline_stops_walk),
		T(test_layout_incomplete_walk_skips_link_check),
		T(test_layout_open_dirs_cap),
		T(test_layout_skip_paths),
		T(test_layout_max_findings_counts_rest),
		T(test_layout_findings_streamed_to_callback),
		T(test_layout_threads_give_the_same_findings),
		T(test_layout_odd_bytes_in_names),
		T(test_layout_finding_string),
		T(test_layout_escape_keeps_utf8),
		T(test_layout_root_not_a_directory),
		T(test_layout_root_symlink_refused),
		T(test_layout_bind_mount_of_same_fs),
		T(test_layout_other_filesystem),
		T(test_layout_unreadable_directory),
#undef T
	};

	if (argc > 1) {
		cmocka_set_test_filter(argv[1]);
	}
	return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
