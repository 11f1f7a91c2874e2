/*
 * fsrvp_agent — the little JSON the agent writes: string literals.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef FSRVP_AGENT_JSONOUT_H
#define FSRVP_AGENT_JSONOUT_H

#include <stdio.h>

/**
 * @brief Write @s as a JSON string literal (with quotes) to @f.  Bytes
 * that are not valid UTF-8 or are control characters are first escaped as
 * the text "\xNN" (rvss_layout_escape), so the output is always valid
 * JSON and the original bytes can be recovered; NULL writes null.
 */
void agent_json_string(FILE *f, const char *s);

#endif
