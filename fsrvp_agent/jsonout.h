/*
 * fsrvp_agent — the little JSON the agent writes: string values.
 *
 * JSON strings are Unicode (RFC 8259), file names and smb.conf values are
 * bytes.  The agent writes every string so that any JSON parser reads it
 * and the exact bytes can always be recovered:
 *
 *  - bytes that are valid UTF-8 (RFC 3629: no overlong forms, no
 *    surrogates, nothing above U+10FFFF) are written as they are, except
 *    '"', '\' and U+0000..U+001F, U+007F, which are escaped ("\"", "\\",
 *    "\n", "\t", ..., "\u0001", "\u007f");
 *  - every byte that is not part of such a sequence is written as U+FFFD
 *    (the replacement character), so the string stays readable;
 *  - and only then, i.e. when the value was not valid UTF-8, the member
 *    "NAME" is followed by a member "NAME_b64" holding the exact bytes in
 *    base64 (RFC 4648, standard alphabet, padded).
 *
 * A consumer recovers the bytes of member NAME of object o as
 *
 *     b64decode(o["NAME_b64"]) if "NAME_b64" in o else o["NAME"].encode()
 *
 * Surrogate escapes ("\udcNN", as Python's surrogateescape) were not used:
 * they are lone surrogates, which strict parsers (serde_json, Go's
 * encoding/json, jq) reject or silently replace.
 *
 * Copyright (C) rvss authors.  GPL-3.0-or-later.
 */
#ifndef FSRVP_AGENT_JSONOUT_H
#define FSRVP_AGENT_JSONOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/**
 * @brief Length of the valid UTF-8 sequence at @s (1..4), or 0 if the
 * bytes at @s (at most @len of them) do not start one.  @len must be > 0.
 */
size_t agent_utf8_seq_len(const unsigned char *s, size_t len);

/** @brief true if the @len bytes at @s are all valid UTF-8. */
bool agent_utf8_valid(const char *s, size_t len);

/**
 * @brief Write @s as a JSON string literal (with its quotes) to @f, as
 * the file comment says: escapes for '"', '\' and control characters,
 * U+FFFD for each byte that is not valid UTF-8.  NULL writes null.
 */
void agent_json_string(FILE *f, const char *s);

/**
 * @brief Write the object member "@key": @s (agent_json_string()) and,
 * if @s is not valid UTF-8, the member "@key_b64": "<base64 of @s>"
 * after it.  @key is written as it is: it must need no escaping.
 */
void agent_json_member(FILE *f, const char *key, const char *s);

#endif
