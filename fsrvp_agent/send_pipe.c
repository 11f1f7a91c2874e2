/*
 * fsrvp_agent — producer | agent | consumer (see send_pipe.h).
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include "send_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The last bytes of a child's stderr worth quoting in an error. */
#define ERR_TAIL 2048

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* In the child: stdin, stdout, stderr as given, the kept fds inherited,
 * everything else closed on exec; then exec.  Never returns. */
static void child_exec(const struct agent_pipe_child *c, int in, int out, int err)
{
	size_t i;

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
		_exit(127);
	}
	for (i = 0; c->keep_fds != NULL && c->keep_fds[i] >= 0; i++) {
		if (fcntl(c->keep_fds[i], F_SETFD, 0) != 0) {
			_exit(127);
		}
	}
	for (i = 0; c->env != NULL && c->env[i] != NULL; i++) {
		if (putenv((char *)(uintptr_t)c->env[i]) != 0) {
			_exit(127);
		}
	}
	/* The agent ignores SIGPIPE; a child must die of it as usual. */
	(void)signal(SIGPIPE, SIG_DFL);
	execvp(c->argv[0], (char *const *)(uintptr_t)c->argv);
	fprintf(stderr, "cannot run %s: %s\n", c->argv[0], strerror(errno));
	_exit(127);
}

static pid_t spawn(const struct agent_pipe_child *c, int in, int out, int err)
{
	pid_t pid = fork();

	if (pid == 0) {
		child_exec(c, in, out, err);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			return 127;
		}
	}
	if (WIFEXITED(status)) {
		return WEXITSTATUS(status);
	}
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 127;
}

/* The tail of what a child wrote to its stderr file, trimmed. */
static char *err_tail(TALLOC_CTX *mem_ctx, int fd)
{
	char buf[ERR_TAIL + 1];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > ERR_TAIL ? end - ERR_TAIL : 0;
	ssize_t n = pread(fd, buf, ERR_TAIL, from);

	if (n < 0) {
		n = 0;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) {
		n--;
	}
	buf[n] = '\0';
	return talloc_strdup(mem_ctx, buf);
}

/* Copy everything from @in to @out, counting.  Returns when @in ends or
 * @out stops taking bytes (*closed). */
static void pump(int in, int out, struct agent_pipe_result *res, double t0,
		 agent_pipe_progress_fn progress, void *priv, bool *closed)
{
	static char buf[1 << 16];
	double last = t0;

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		ssize_t off = 0;
		double t;

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return;
		}
		while (off < n) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR) {
				continue;
			}
			if (w <= 0) {
				*closed = true;
				return;
			}
			off += w;
		}
		res->bytes += (uint64_t)n;
		t = now_s();
		if (progress != NULL && t - last >= 0.5) {
			last = t;
			progress(priv, res->bytes, t - t0, false);
		}
	}
}

int agent_send_pipe(TALLOC_CTX *mem_ctx, const struct agent_pipe_child *producer,
		    const struct agent_pipe_child *consumer,
		    agent_pipe_progress_fn progress, void *priv,
		    struct agent_pipe_result *ret_res)
{
	int from_prod[2] = { -1, -1 }, to_cons[2] = { -1, -1 };
	int perr = -1, cerr = -1, devnull = -1;
	pid_t ppid = -1, cpid = -1;
	bool closed = false;
	double t0 = now_s();
	int ret = 0;
	size_t i;

	memset(ret_res, 0, sizeof(*ret_res));
	ret_res->producer_status = ret_res->consumer_status = 127;
	(void)signal(SIGPIPE, SIG_IGN);
	if (pipe2(from_prod, O_CLOEXEC) != 0 || pipe2(to_cons, O_CLOEXEC) != 0) {
		ret = -errno;
		goto done;
	}
	perr = memfd_create("rvss-send-stderr", MFD_CLOEXEC);
	cerr = memfd_create("rvss-receive-stderr", MFD_CLOEXEC);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (perr < 0 || cerr < 0 || devnull < 0) {
		ret = -errno;
		goto done;
	}
	cpid = spawn(consumer, to_cons[0], devnull, cerr);
	if (cpid < 0) {
		ret = -errno;
		goto done;
	}
	ppid = spawn(producer, devnull, from_prod[1], perr);
	if (ppid < 0) {
		ret = -errno;
		goto done;
	}
	/* Only the children hold the other ends now: an end of either
	 * child is seen as EOF / EPIPE here. */
	(void)close(from_prod[1]);
	from_prod[1] = -1;
	(void)close(to_cons[0]);
	to_cons[0] = -1;
	pump(from_prod[0], to_cons[1], ret_res, t0, progress, priv, &closed);
	ret_res->consumer_closed = closed;
	/* A consumer gone early leaves the producer blocked on a full
	 * pipe: closing our end gives it EPIPE. */
	(void)close(from_prod[0]);
	from_prod[0] = -1;
	(void)close(to_cons[1]);
	to_cons[1] = -1;
done:
	if (ppid > 0) {
		ret_res->producer_status = wait_status(ppid);
	}
	if (cpid > 0) {
		if (ppid <= 0 && to_cons[1] >= 0) {
			(void)close(to_cons[1]); /* EOF: it ends */
			to_cons[1] = -1;
		}
		ret_res->consumer_status = wait_status(cpid);
	}
	ret_res->seconds = now_s() - t0;
	if (progress != NULL && ret == 0) {
		progress(priv, ret_res->bytes, ret_res->seconds, true);
	}
	ret_res->producer_err = err_tail(mem_ctx, perr >= 0 ? perr : devnull);
	ret_res->consumer_err = err_tail(mem_ctx, cerr >= 0 ? cerr : devnull);
	{
		int fds[] = { from_prod[0], from_prod[1], to_cons[0], to_cons[1],
			      perr, cerr, devnull };

		for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
			if (fds[i] >= 0) {
				(void)close(fds[i]);
			}
		}
	}
	return ret;
}
