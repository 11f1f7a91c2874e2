/*
 * rvss — see reason.h.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#include <stdarg.h>
#include <unistd.h>

#include "reason.h"

void rvss_set_reason(TALLOC_CTX *mem_ctx, char **ret_reason, const char *fmt, ...)
{
	va_list ap;

	if (ret_reason == NULL) {
		return;
	}
	va_start(ap, fmt);
	*ret_reason = talloc_vasprintf(mem_ctx, fmt, ap);
	va_end(ap);
}

void rvss_close_fd(int *fd)
{
	if (*fd >= 0) {
		(void)close(*fd);
		*fd = -1;
	}
}
