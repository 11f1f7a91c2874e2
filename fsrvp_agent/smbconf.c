/*
 * fsrvp_agent — Samba configuration through testparm.  See smbconf.h.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "smbconf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/wait.h>

/* Read everything from @fd into a talloc string. */
static int slurp_fd(TALLOC_CTX *mem_ctx, int fd, char **ret)
{
	char *buf = NULL;
	size_t len = 0;
	size_t cap = 4096;

	buf = talloc_array(mem_ctx, char, cap);
	if (buf == NULL) {
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = talloc_realloc(mem_ctx, buf, char, cap * 2);

			if (nb == NULL) {
				talloc_free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

int agent_run(TALLOC_CTX *mem_ctx, const char *const *argv, char **ret_out,
	      char **ret_err, int *ret_status)
{
	char errname[] = "/tmp/rvss-run-XXXXXX";
	int out[2] = { -1, -1 };
	int errfd = -1;
	pid_t pid;
	int status = 0;
	int ret;

	/* stderr goes through a file, so that neither pipe can fill up while
	 * we read the other. */
	errfd = mkostemp(errname, O_CLOEXEC);
	if (errfd < 0) {
		return -errno;
	}
	(void)unlink(errname);
	if (pipe2(out, O_CLOEXEC) != 0) {
		ret = -errno;
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto done;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0) {
			(void)dup2(devnull, 0);
		}
		(void)dup2(out[1], 1);
		(void)dup2(errfd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	out[1] = -1;
	ret = slurp_fd(mem_ctx, out[0], ret_out);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (ret != 0) {
		goto done;
	}
	(void)lseek(errfd, 0, SEEK_SET);
	ret = slurp_fd(mem_ctx, errfd, ret_err);
	if (ret != 0) {
		goto done;
	}
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	ret = 0;
done:
	if (out[0] >= 0) {
		close(out[0]);
	}
	if (out[1] >= 0) {
		close(out[1]);
	}
	close(errfd);
	return ret;
}

/* Run testparm with @args (NULL-terminated, after "testparm -s"). */
static int run_testparm(TALLOC_CTX *mem_ctx, const char *conf,
			const char *const *args, char **ret_out,
			char **ret_err, int *ret_status)
{
	const char *argv[16];
	const char *bin = getenv("RVSS_TESTPARM");
	size_t n = 0;

	if (bin == NULL || bin[0] == '\0') {
		bin = AGENT_TESTPARM;
	}
	argv[n++] = bin;
	argv[n++] = "-s";
	while (*args != NULL && n < 14) {
		argv[n++] = *args++;
	}
	if (conf != NULL) {
		argv[n++] = conf;
	}
	argv[n] = NULL;
	return agent_run(mem_ctx, argv, ret_out, ret_err, ret_status);
}

/* testparm's last non-empty stderr line: its reason for a failure. */
static char *last_line(TALLOC_CTX *mem_ctx, const char *err)
{
	const char *end = err + strlen(err);
	const char *start = NULL;

	while (end > err && (end[-1] == '\n' || end[-1] == ' ')) {
		end--;
	}
	start = end;
	while (start > err && start[-1] != '\n') {
		start--;
	}
	return talloc_strndup(mem_ctx, start, (size_t)(end - start));
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) {
		s[--n] = '\0';
	}
}

int agent_smbconf_param(TALLOC_CTX *mem_ctx, const char *conf,
			const char *section, const char *param,
			char **ret_value, char **ret_why)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *secarg = NULL;
	char *parg = NULL;
	char *out = NULL;
	char *err = NULL;
	const char *args[3];
	int status = 0;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	if (section == NULL) {
		section = "global";
	}
	secarg = talloc_asprintf(tmp, "--section-name=%s", section);
	parg = talloc_asprintf(tmp, "--parameter-name=%s", param);
	if (secarg == NULL || parg == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	args[0] = secarg;
	args[1] = parg;
	args[2] = NULL;
	ret = run_testparm(tmp, conf, args, &out, &err, &status);
	if (ret != 0) {
		goto done;
	}
	/*
	 * testparm exits 1 for mere warnings about the configuration (a
	 * missing cache directory) and still prints the value: the value is
	 * on stdout whenever the parameter was found ("\n" if empty).
	 */
	if (status != 127 && out[0] != '\0' &&
	    strstr(err, "Error loading services") == NULL) {
		chomp(out);
		*ret_value = talloc_steal(mem_ctx, out);
		ret = 0;
		goto done;
	}
	if (status == 127) {
		*ret_why = talloc_strdup(mem_ctx, "cannot run testparm "
					 "(samba-common-bin installed?)");
		ret = -EIO;
	} else if (strstr(err, "Error loading services") != NULL) {
		*ret_why = talloc_asprintf(mem_ctx, "cannot load %s",
					   conf != NULL ? conf : "smb.conf");
		ret = -EIO;
	} else if (strstr(err, "Unknown section") != NULL) {
		*ret_why = last_line(mem_ctx, err);
		ret = -ENOENT;
	} else if (strstr(err, "Parameter") != NULL &&
		   strstr(err, "unknown") != NULL) {
		ret = -ENODATA;
	} else {
		*ret_why = last_line(mem_ctx, err);
		ret = -EIO;
	}
done:
	talloc_free(tmp);
	return ret;
}

int agent_smbconf_sections(TALLOC_CTX *mem_ctx, const char *conf,
			   char ***ret_names, size_t *ret_count,
			   char **ret_why)
{
	TALLOC_CTX *tmp = talloc_new(NULL);
	const char *args[1] = { NULL };
	char **names = NULL;
	size_t count = 0;
	char *out = NULL;
	char *err = NULL;
	char *line = NULL;
	char *save = NULL;
	int status = 0;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = run_testparm(tmp, conf, args, &out, &err, &status);
	if (ret != 0) {
		goto done;
	}
	/* Exit 1 may be a warning only; the dump is there unless the file
	 * could not be loaded at all. */
	if (status == 127 || strstr(err, "Error loading services") != NULL ||
	    (status != 0 && out[0] == '\0')) {
		*ret_why = status == 127
			? talloc_strdup(mem_ctx, "cannot run testparm")
			: talloc_asprintf(mem_ctx, "cannot load %s",
					  conf != NULL ? conf : "smb.conf");
		ret = -EIO;
		goto done;
	}
	names = talloc_array(tmp, char *, 1);
	if (names == NULL) {
		ret = -ENOMEM;
		goto done;
	}
	/* testparm -s prints each section as a line "[name]". */
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);
		char **nn = NULL;

		if (n < 3 || line[0] != '[' || line[n - 1] != ']') {
			continue;
		}
		line[n - 1] = '\0';
		if (strcasecmp(line + 1, "global") == 0) {
			continue;
		}
		nn = talloc_realloc(tmp, names, char *, count + 2);
		if (nn == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		names = nn;
		names[count] = talloc_strdup(names, line + 1);
		if (names[count] == NULL) {
			ret = -ENOMEM;
			goto done;
		}
		count++;
	}
	names[count] = NULL;
	*ret_names = talloc_steal(mem_ctx, names);
	*ret_count = count;
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}

int agent_smbd_build(TALLOC_CTX *mem_ctx, char **ret_version,
		     char **ret_modulesdir)
{
	const char *vargv[] = { "smbd", "--version", NULL };
	const char *bargv[] = { "smbd", "-b", NULL };
	TALLOC_CTX *tmp = talloc_new(NULL);
	char *out = NULL, *err = NULL, *line, *save = NULL;
	char *version = NULL, *moddir = NULL;
	int status = 0;
	int ret;

	if (tmp == NULL) {
		return -ENOMEM;
	}
	ret = agent_run(tmp, vargv, &out, &err, &status);
	if (ret != 0) {
		goto done;
	}
	if (status != 0) {
		ret = -EIO;
		goto done;
	}
	out[strcspn(out, "\n")] = '\0';
	version = talloc_strdup(tmp, out);
	ret = agent_run(tmp, bargv, &out, &err, &status);
	if (ret != 0) {
		goto done;
	}
	if (status != 0) {
		ret = -EIO;
		goto done;
	}
	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (strncmp(line, "MODULESDIR:", 11) == 0) {
			line += 11;
			line += strspn(line, " \t");
			moddir = talloc_strdup(tmp, line);
			break;
		}
	}
	if (version == NULL || moddir == NULL) {
		ret = moddir == NULL ? -ENODATA : -ENOMEM;
		goto done;
	}
	*ret_version = talloc_steal(mem_ctx, version);
	*ret_modulesdir = talloc_steal(mem_ctx, moddir);
	ret = 0;
done:
	talloc_free(tmp);
	return ret;
}
