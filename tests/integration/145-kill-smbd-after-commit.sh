#!/bin/bash
# kill -9 of smbd (then the rest of its session) after CommitShadowCopySet, smbd restarted: the reloaded committed set blocks new sets (asserted) until gc reclaims its snapshot, removes it from srv_fss.tdb and rpcd_fsrvp reloads.
# Body: life_crash_after in lifecycle.sh (requester drives a rw
# file_share_backup set one step at a time; kill -9; restart; gc; the
# unblock; nothing orphaned, live share unchanged, a new set works).
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"
life_crash_after commit smbd
