/*
 * fsrvp_agent — one send stream from a producer process to a consumer
 * process through the agent: `btrfs send` | agent | `btrfs receive` (or
 * the administrator's command).  The agent sits in the middle to count
 * the bytes (progress, the recorded stream size) and to tell which side
 * failed: the producer (step "send"), the consumer ("receive", or
 * "transport" for a command that could not reach its receiver), or the
 * pipe between them.
 *
 * Children run from an argv (no shell unless the argv is one), with only
 * the fds they are given, SIGPIPE at its default, and their stderr kept
 * for the error message.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef FSRVP_AGENT_SEND_PIPE_H
#define FSRVP_AGENT_SEND_PIPE_H

#include <stdbool.h>
#include <stdint.h>
#include <talloc.h>

/** One child of the pipe. */
struct agent_pipe_child {
	const char *const *argv;  /**< argv[0] looked up in PATH */
	const int *keep_fds;      /**< fds it inherits besides 0-2, -1 ends */
	const char *const *env;   /**< "NAME=value" to add, NULL ends (or NULL) */
};

/** How the pipe ended. */
struct agent_pipe_result {
	uint64_t bytes;         /**< bytes that went from producer to consumer */
	double seconds;         /**< wall time */
	int producer_status;    /**< exit status; 128+N killed by signal N; 127 not run */
	int consumer_status;    /**< the same for the consumer */
	bool consumer_closed;   /**< the consumer stopped reading before the end */
	char *producer_err;     /**< its stderr (last lines), "" if none */
	char *consumer_err;     /**< the same for the consumer */
};

/** Called about twice a second while bytes flow (and once at the end). */
typedef void (*agent_pipe_progress_fn)(void *priv, uint64_t bytes, double seconds,
				       bool done);

/**
 * @brief Run @producer | agent | @consumer to the end.
 * @param[out] ret_res  filled in whatever happened (children of @mem_ctx).
 * @return 0 when both ran (look at the statuses); -errno when the pipe
 *         could not be set up (nothing ran, or what ran was stopped).
 */
int agent_send_pipe(TALLOC_CTX *mem_ctx, const struct agent_pipe_child *producer,
		    const struct agent_pipe_child *consumer,
		    agent_pipe_progress_fn progress, void *priv,
		    struct agent_pipe_result *ret_res);

#endif
