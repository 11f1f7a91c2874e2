#!/bin/bash
# kill -9 of smbd (then the rest of its session) after ExposeShadowCopySet, smbd restarted: the exposed set is reclaimed by gc --expose-max-age, its exposed share removed.
# Body: life_crash_after in lifecycle.sh (requester drives a rw
# file_share_backup set one step at a time; kill -9; restart; gc; the
# unblock; nothing orphaned, live share unchanged, a new set works).
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"
life_crash_after expose smbd
