#!/bin/bash
# Client gone after Commit (issue 3 item 2): a requester commits a set
# (step client: start, add, prepare, commit) and dies (kill -9) without
# Expose or Abort.  Samba's message-sequence timer ("fss: sequence timeout
# = 2") drops the set from rpcd_fsrvp's memory but never deletes the
# snapshot (ENV.md).  rvss reclaims it on the next FSRVP use of the share
# (IsPathSupported) once the timer has run out plus rvss:timer slack (5 s here)
# (lib/reclaim.c: seq_timeout + rvss:timer slack) -- but never while the set is
# live: an IsPathSupported right after the commit leaves it alone.
# Afterwards: nothing orphaned, live share unchanged, a new set works.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up (fss: sequence timeout = 2, rvss:reclaim grace = 5s)"
life_setup
FSS_SEQUENCE_TIMEOUT=2 smb_conf_begin
add_share vol "$VOL" "vfs objects = rvss" "rvss:reclaim grace = 5s"
make_users
smbd_start

step "the requester commits a set, then dies"
step_client_start
sc 'start backup'
assert_hres S_OK start
SET=$(jget "$R" set_id)
sc "add $SET vol"
assert_hres S_OK add
SC=$(jget "$R" sc_id)
sc "prepare $SET"
assert_hres S_OK prepare
sc "commit $SET"
assert_hres S_OK commit
SNAP=$(sc_path_of "$SC")
[ -n "$SNAP" ] || fail "no sc_path for $SC after commit"
ROOT=$(snap_root_of "$SNAP")
assert_subvol "$ROOT"
step_client_vanish

step "IsPathSupported while the set may still be live: the snapshot stays"
assert_path_supported vol
assert_subvol "$ROOT"

step "IsPathSupported after the timer (+ rvss:timer slack, 5 s here) reclaims the snapshot"
reclaimed() {
	rpc "fss_is_path_sup vol" >/dev/null
	[ "$(list_subvolumes "$MNT")" = "$SUBVOLS0" ]
}
wait_until 120 "snapshot $ROOT reclaimed on IsPathSupported" reclaimed
assert_not_exists "$ROOT"
samba_log_grep "reclaim $ROOT" || fail "reclaim of $ROOT not logged"
grep -h "reclaim $ROOT" "$SAMBA_LOGDIR"/log.* | head -n 1

step "nothing orphaned; live share unchanged; a new set works"
assert_no_orphans
assert_live_unchanged
assert_new_set_works vol
assert_no_orphans
echo OK
