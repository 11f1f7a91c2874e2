#!/bin/bash
# kill -9 of smbd (then the rest of its session) after RecoveryCompleteShadowCopySet, smbd restarted: gc seals the recovered copy (read-only flag, writes refused), then reclaims it with --expose-max-age.
# Body: life_crash_after in lifecycle.sh (requester drives a rw
# file_share_backup set one step at a time; kill -9; restart; gc; the
# unblock; nothing orphaned, live share unchanged, a new set works).
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"
life_crash_after recovery smbd
