#!/bin/bash
# Abort after Commit (issue 3 item 2): AbortShadowCopySet on a committed set
# returns S_OK in Samba 4.17 but keeps the snapshot (ENV.md) and keeps the
# committed set itself, in rpcd_fsrvp's memory and in srv_fss.tdb: new sets
# get FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS (asserted first: the block).
# rvss reclaims the snapshot on the next FSRVP use of the share
# (IsPathSupported) once Samba's message-sequence timer ("fss: sequence
# timeout = 2") plus rvss:timer slack (5 s here) has passed; `fsrvp_agent gc` then
# removes the dead set from srv_fss.tdb, and once rpcd_fsrvp has exited
# ("rpcd_fsrvp:idle_seconds = 3") and reloads, new sets work (the unblock).
# Afterwards: nothing orphaned, live share unchanged.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up (fss: sequence timeout = 2, rpcd_fsrvp:idle_seconds = 3)"
life_setup
FSS_SEQUENCE_TIMEOUT=2 smb_conf_begin "rpcd_fsrvp:idle_seconds = 3"
add_share vol "$VOL" "vfs objects = rvss" "rvss:reclaim grace = 5s"
make_users
smbd_start

step "start, add, commit, abort: S_OK, the snapshot stays"
step_client_start
sc 'start file_share_backup,rw'
assert_hres S_OK start
SET=$(jget "$R" set_id)
sc "add $SET vol"
assert_hres S_OK add
SC=$(jget "$R" sc_id)
sc "commit $SET"
assert_hres S_OK commit
SNAP=$(sc_path_of "$SC")
[ -n "$SNAP" ] || fail "no sc_path for $SC after commit"
ROOT=$(snap_root_of "$SNAP")
assert_subvol "$ROOT"
sc "abort $SET"
assert_hres S_OK abort
assert_subvol "$ROOT"
sc 'start backup'
assert_hres FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS "start after the abort (Samba keeps the committed set)"
step_client_quit
assert_blocked vol

step "the aborted set's snapshot is reclaimed on IsPathSupported"
reclaimed() {
	rpc "fss_is_path_sup vol" >/dev/null
	[ "$(list_subvolumes "$MNT")" = "$SUBVOLS0" ]
}
wait_until 120 "snapshot $ROOT of the aborted set reclaimed" reclaimed
assert_not_exists "$ROOT"
samba_log_grep "reclaim $ROOT" || fail "reclaim of $ROOT not logged"
grep -h "reclaim $ROOT" "$SAMBA_LOGDIR"/log.* | head -n 1

step "gc removes the dead set from srv_fss.tdb; after rpcd_fsrvp reloads, a new set works"
agent gc || fail "fsrvp_agent gc failed"
assert_not_contains "$(tdb_fss_dump)" "set $SET" "srv_fss.tdb after gc"
wait_rpcd_fsrvp_exit 90
new_set_try vol || fail "a new set is still blocked after gc and the reload: $LAST_BLOCK"

step "nothing orphaned; live share unchanged"
assert_no_orphans
assert_live_unchanged
echo OK
