/*
 * fsrvp_agent gc — the reclaim and seal rules of rvss, run by hand or by a
 * timer (examples/rvss-gc.timer):
 *  - reclaim snapshots whose shadow copy set is dead: committed but never
 *    exposed once Samba's message sequence timer has run out (client gone,
 *    abort after commit, crash), interrupted creates and deletes, snapshots
 *    no set refers to, and exposed sets older than rvss:expose max age
 *    (their exposed share is removed with Samba's own `net conf delshare`);
 *  - seal writable copies whose set completed recovery;
 *  - prune retained backups beyond their retention policy;
 *  - remove dead sets from Samba's srv_fss.tdb so that a reloading
 *    rpcd_fsrvp is not blocked by them (see docs/lifecycle.md).
 * Only snapshots that rvss's catalog records are ever touched.  Unless
 * rpcd_fsrvp:num_workers is 1, snapshots that only srv_fss.tdb calls dead
 * are kept (reclaim.h), with a note saying why.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "commands.h"
#include "gc.h"
#include "options.h"
#include "state.h"
#include "smbconf.h"

/* rpcd_fsrvp's num_workers when smb.conf does not set it (Samba's
 * source3/rpc_server/rpcd_fsrvp.c). */
#define AGENT_FSRVP_DEFAULT_WORKERS 5

static void gc_usage(FILE *f)
{
	fprintf(f,
		"usage: fsrvp_agent gc [-s smb.conf] [--dry-run] [--grace DURATION]\n"
		"                      [--expose-max-age DURATION] [--no-repair]\n"
		"                      [--catalog FILE] [--fss-state FILE]\n"
		"\n"
		"Reclaims snapshots of dead shadow copy sets, seals recovered writable\n"
		"copies, prunes retained backups and repairs Samba's srv_fss.tdb.\n"
		"  --dry-run              say what would be done, change nothing\n"
		"  --grace D              age before an unreferenced snapshot is an orphan (10m)\n"
		"  --expose-max-age D     reclaim exposed sets older than this (default:\n"
		"                         rvss:expose max age of [global], else 7d; 0 = never)\n"
		"  --no-repair            leave srv_fss.tdb alone\n"
		"Durations: 90s, 30m, 12h, 7d.  Exit 0 all done, 1 something failed, 2 usage.\n");
}

/* Remove an exposed share with Samba's own tool (registry shares). */
static int unexpose(const char *conf, const char *share)
{
	const char *net = getenv("RVSS_NET") != NULL ? getenv("RVSS_NET") : "net";
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0) {
		return -errno;
	}
	if (pid == 0) {
		if (conf != NULL) {
			execlp(net, net, "-s", conf, "conf", "delshare", share, (char *)NULL);
		} else {
			execlp(net, net, "conf", "delshare", share, (char *)NULL);
		}
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		return -errno;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* 0 if the registry share exists, -ENOENT if not, else -errno. */
static int share_exists(const char *conf, const char *share)
{
	const char *net = getenv("RVSS_NET") != NULL ? getenv("RVSS_NET") : "net";
	pid_t pid;
	int status;

	pid = fork();
	if (pid < 0) {
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0) {
			(void)dup2(null, STDOUT_FILENO);
			(void)dup2(null, STDERR_FILENO);
		}
		if (conf != NULL) {
			execlp(net, net, "-s", conf, "conf", "showshare", share, (char *)NULL);
		} else {
			execlp(net, net, "conf", "showshare", share, (char *)NULL);
		}
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		return -errno;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
		return -EIO;
	}
	return WEXITSTATUS(status) == 0 ? 0 : -ENOENT;
}

/*
 * Has process @pid exited (a zombie its parent has not reaped yet, or
 * dead)?  It holds no state then: right after a kill -9 of rpcd_fsrvp,
 * samba-dcerpcd may take a moment to reap it, and that zombie still has
 * its name.  Anything unreadable is not called dead.
 */
static bool proc_dead(const char *pid)
{
	char path[NAME_MAX + 16], buf[512];
	const char *close_paren;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return errno == ENOENT; /* gone since its comm was read */
	}
	len = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (len <= 0) {
		return false;
	}
	buf[len] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold ')' itself, so the last one */
	close_paren = strrchr(buf, ')');
	if (close_paren == NULL || close_paren[1] != ' ') {
		return false;
	}
	return close_paren[2] == 'Z' || close_paren[2] == 'X';
}

/*
 * Is an rpcd_fsrvp of this configuration running?  Every live process
 * named rpcd_fsrvp (not a zombie) counts unless the smb.conf its command line names
 * (samba-dcerpcd passes --configfile=... to its workers), looked up from
 * that process's own root (a chroot, another mount namespace), is another
 * file than @conf.  Anything that cannot be told counts as running: the
 * answer is only used to trust a srv_fss.tdb that no live process may
 * still hold sets for (gc.h).
 */
static bool rpcd_fsrvp_running(const char *conf)
{
	struct stat conf_st;
	bool running = false;
	struct dirent *de;
	DIR *d = NULL;

	if (conf == NULL || stat(conf, &conf_st) != 0) {
		conf = NULL; /* Samba's default smb.conf: any rpcd_fsrvp counts */
	}
	d = opendir("/proc");
	if (d == NULL) {
		return true;
	}
	while (!running && (de = readdir(d)) != NULL) {
		char path[PATH_MAX + 64], buf[4096], comm[32] = "";
		const char *other = NULL;
		struct stat other_st;
		ssize_t len;
		size_t i;
		FILE *f;
		int fd;

		if (de->d_name[0] < '1' || de->d_name[0] > '9') {
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (f == NULL) {
			continue; /* gone */
		}
		if (fgets(comm, sizeof(comm), f) == NULL) {
			comm[0] = '\0';
		}
		fclose(f);
		if (strcmp(comm, "rpcd_fsrvp\n") != 0 || proc_dead(de->d_name)) {
			continue;
		}
		running = true; /* unless shown to serve another smb.conf */
		if (conf == NULL) {
			break;
		}
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			break;
		}
		len = read(fd, buf, sizeof(buf) - 1);
		(void)close(fd);
		if (len <= 0) {
			break;
		}
		buf[len] = '\0';
		for (i = 0; i < (size_t)len; i += strlen(buf + i) + 1) {
			if (strncmp(buf + i, "--configfile=", 13) == 0) {
				other = buf + i + 13;
			} else if ((strcmp(buf + i, "-s") == 0 ||
				    strcmp(buf + i, "--configfile") == 0) &&
				   i + strlen(buf + i) + 1 < (size_t)len) {
				other = buf + i + strlen(buf + i) + 1;
			}
		}
		if (other == NULL || other[0] != '/') {
			break; /* its default smb.conf, or relative: cannot tell */
		}
		snprintf(path, sizeof(path), "/proc/%s/root%s", de->d_name, other);
		if (stat(path, &other_st) != 0) {
			break;
		}
		running = other_st.st_dev == conf_st.st_dev &&
			  other_st.st_ino == conf_st.st_ino;
	}
	closedir(d);
	return running;
}

static int parse_dur(const char *opt, const char *val, uint64_t *ret)
{
	if (rvss_parse_duration(val, ret) != 0) {
		fprintf(stderr, "fsrvp_agent gc: %s '%s' is not a duration\n", opt, val);
		return -EINVAL;
	}
	return 0;
}

int cmd_gc(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "configfile", required_argument, NULL, 's' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "grace", required_argument, NULL, 'g' },
		{ "expose-max-age", required_argument, NULL, 'e' },
		{ "no-repair", no_argument, NULL, 'R' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "fss-state", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct agent_state_paths paths = { 0 };
	struct rvss_gc_args args = { 0 };
	struct rvss_gc_item *items = NULL;
	struct rvss_gc_dead_set *dead = NULL;
	size_t n = 0, n_dead = 0, i, failed = 0, acted = 0, held = 0;
	bool fss_empty = false;
	const char *expose_opt = NULL;
	char *seq = NULL, *workers = NULL, *why = NULL;
	int rc = AGENT_EXIT_USAGE;
	int c, r;

	if (ctx == NULL) {
		return AGENT_EXIT_USAGE;
	}
	args.policy.grace = 600;
	args.repair_fss = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': paths.conf = optarg; break;
		case 'n': args.dry_run = true; break;
		case 'g':
			if (parse_dur("--grace", optarg, &args.policy.grace) != 0) {
				goto done;
			}
			break;
		case 'e': expose_opt = optarg; break;
		case 'R': args.repair_fss = false; break;
		case 'c': paths.catalog = talloc_strdup(ctx, optarg); break;
		case 'f': paths.fss_state = talloc_strdup(ctx, optarg); break;
		case 'h': gc_usage(stdout); rc = AGENT_EXIT_OK; goto done;
		default: gc_usage(stderr); goto done;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "fsrvp_agent gc: unexpected argument '%s'\n", argv[optind]);
		goto done;
	}
	if (agent_state_paths(ctx, "gc", &paths) != 0) {
		goto done;
	}
	if (expose_opt != NULL) {
		if (parse_dur("--expose-max-age", expose_opt, &args.policy.expose_max_age) != 0) {
			goto done;
		}
	} else if (agent_global_duration(ctx, "gc", paths.conf, "rvss:expose max age",
					 7 * 86400, &args.policy.expose_max_age) != 0) {
		goto done;
	}
	if (agent_global_duration(ctx, "gc", paths.conf, "rvss:timer slack",
				  RVSS_DEFAULT_TIMER_SLACK,
				  &args.policy.timer_slack) != 0) {
		goto done;
	}
	/* Samba's message sequence timeout, as rpcd_fsrvp reads it. */
	args.policy.seq_timeout = 180;
	r = agent_smbconf_param(ctx, paths.conf, NULL, "fss:sequence timeout", &seq, &why);
	if (r == 0 && seq[0] != '\0') {
		long v = strtol(seq, NULL, 10);
		args.policy.seq_timeout = v > 0 ? (uint64_t)v : 0;
	}
	/* rpcd_fsrvp's worker count, as rpc_worker_main() reads it (strtol,
	 * base 0; Samba's default 5).  Only with 1 does srv_fss.tdb hold
	 * every live set (see reclaim.h). */
	args.policy.fss_workers = AGENT_FSRVP_DEFAULT_WORKERS;
	r = agent_smbconf_param(ctx, paths.conf, NULL, "rpcd_fsrvp:num_workers",
				&workers, &why);
	if (r == 0 && workers[0] != '\0') {
		args.policy.fss_workers = (int)strtol(workers, NULL, 0);
	} else if (r != -ENODATA && r != 0) {
		fprintf(stderr, "fsrvp_agent gc: cannot read rpcd_fsrvp:num_workers: "
			"%s\n", why != NULL ? why : strerror(-r));
		goto done;
	} else {
		workers = NULL;
	}
	if (!rvss_reclaim_state_trusted(&args.policy)) {
		printf("note: rpcd_fsrvp:num_workers = %d%s: each rpcd_fsrvp worker "
		       "rewrites srv_fss.tdb from its own sets, so a set missing "
		       "there, or shown committed and never exposed, may be another "
		       "worker's live one; such snapshots are kept.  Set "
		       "'rpcd_fsrvp:num_workers = 1' in [global].\n",
		       args.policy.fss_workers,
		       workers == NULL ? " (not set: Samba's default)" : "");
	}
	args.policy.now = time(NULL);
	args.catalog_path = paths.catalog;
	args.fss_state_path = paths.fss_state;
	args.fss_writer_gone = !rpcd_fsrvp_running(paths.conf);
	args.fss_read_as_empty = &fss_empty;

	r = rvss_gc_run(ctx, &args, &items, &n, &dead, &n_dead);
	if (fss_empty) {
		printf("note: %s is not whole and no rpcd_fsrvp is running: a "
		       "process killed while Samba stored it left it so, and "
		       "Samba's next rpcd_fsrvp loads it as no sets; read as "
		       "no sets\n", paths.fss_state);
	}
	if (r == -ENOENT) {
		printf("no rvss snapshots (no catalog %s)\n", paths.catalog);
		rc = AGENT_EXIT_OK;
		goto done;
	}
	if (r != 0) {
		fprintf(stderr, "fsrvp_agent gc: %s: nothing done\n",
			r == -EBADMSG ? "Samba's FSRVP state cannot be read" : strerror(-r));
		rc = AGENT_EXIT_FINDINGS;
		goto done;
	}
	for (i = 0; i < n; i++) {
		struct rvss_gc_item *it = &items[i];
		const char *verb = rvss_action_name(it->action);

		if (it->held) {
			held++;
			printf("kept %s (share %s): %s\n", it->rec->snapshot,
			       it->rec->share, it->reason);
			continue;
		}
		if (it->action == RVSS_ACTION_KEEP) {
			continue;
		}
		acted++;
		if (it->result != 0) {
			failed++;
			printf("FAILED %s %s: %s\n", verb, it->rec->snapshot,
			       it->error != NULL ? it->error : strerror(-it->result));
			continue;
		}
		printf("%s%s %s (share %s): %s\n", args.dry_run ? "would " : "", verb,
		       it->rec->snapshot, it->rec->share, it->reason);
		if (it->repaired) {
			printf("  removed dead set %s from %s\n", it->link.set_id,
			       paths.fss_state);
		}
		if (it->action == RVSS_ACTION_RECLAIM && it->link.found &&
		    it->link.exposed_share[0] != '\0') {
			if (args.dry_run) {
				printf("  would remove exposed share %s\n", it->link.exposed_share);
			} else if (unexpose(paths.conf, it->link.exposed_share) == 0) {
				printf("  removed exposed share %s\n", it->link.exposed_share);
			} else if (share_exists(paths.conf, it->link.exposed_share) == -ENOENT) {
				/* Samba's Delete removes the share before the
				 * snapshot: a kill in between leaves the set */
				printf("  exposed share %s already removed\n",
				       it->link.exposed_share);
			} else {
				failed++;
				printf("FAILED to remove exposed share %s (net conf delshare)\n",
				       it->link.exposed_share);
			}
		}
	}
	for (i = 0; i < n_dead; i++) {
		acted++;
		if (args.dry_run || !args.repair_fss) {
			printf("%s dead %s set %s from %s (its snapshots are gone)\n",
			       args.dry_run ? "would remove" : "not removing (--no-repair)",
			       dead[i].state, dead[i].set_id, paths.fss_state);
		} else if (dead[i].repaired) {
			printf("removed dead %s set %s from %s (its snapshots are gone)\n",
			       dead[i].state, dead[i].set_id, paths.fss_state);
		} else if (dead[i].result != -ENOENT) {
			failed++;
			printf("FAILED to remove dead set %s: %s\n", dead[i].set_id,
			       strerror(-dead[i].result));
		}
	}
	printf("%zu snapshot(s) checked, %zu action(s)%s, %zu failed", n, acted,
	       args.dry_run ? " planned" : "", failed);
	if (held > 0) {
		printf(", %zu kept (rpcd_fsrvp:num_workers = %d)", held,
		       args.policy.fss_workers);
	}
	printf("\n");
	rc = failed > 0 ? AGENT_EXIT_FINDINGS : AGENT_EXIT_OK;
done:
	talloc_free(ctx);
	return rc;
}
