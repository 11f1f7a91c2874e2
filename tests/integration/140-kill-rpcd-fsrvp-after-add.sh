#!/bin/bash
# kill -9 of rpcd_fsrvp after AddToShadowCopySet: nothing is committed, so no snapshot and no blocking set remain.
# Body: life_crash_after in lifecycle.sh (requester drives a rw
# file_share_backup set one step at a time; kill -9; restart; gc; the
# unblock; nothing orphaned, live share unchanged, a new set works).
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"
life_crash_after add rpcd_fsrvp
