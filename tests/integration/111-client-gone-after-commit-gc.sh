#!/bin/bash
# Client gone after Commit, reclaimed by `fsrvp_agent gc` (no FSRVP use of
# the share in between): the requester commits (step client) and dies; gc
# keeps the snapshot while the set may be live, and reclaims it once
# Samba's message-sequence timer ("fss: sequence timeout = 2") plus rvss's
# timer slack (5 s here) has passed; the dead set is removed from srv_fss.tdb as well.
# Afterwards: nothing orphaned, live share unchanged, a new set works.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up (fss: sequence timeout = 2)"
life_setup
FSS_SEQUENCE_TIMEOUT=2 smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start

step "the requester commits a set, then dies"
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
step_client_vanish

step "gc right away: the set may still be live, the snapshot stays"
agent gc || fail "fsrvp_agent gc failed"
assert_subvol "$ROOT"
out=$(agent list) || fail "fsrvp_agent list: $out"
assert_contains "$out" "$(basename "$ROOT")" "fsrvp_agent list shows the snapshot"

step "gc after the timer (+ rvss:timer slack, 5 s here) reclaims it and repairs srv_fss.tdb"
reclaimed() {
	agent gc >/dev/null || fail "fsrvp_agent gc failed"
	[ "$(list_subvolumes "$MNT")" = "$SUBVOLS0" ]
}
wait_until 120 "snapshot $ROOT reclaimed by fsrvp_agent gc" reclaimed
assert_not_exists "$ROOT"
grep -q "^reclaim $ROOT" "$LOGS/agent.log" || fail "gc did not report the reclaim"
grep "^reclaim $ROOT" -A1 "$LOGS/agent.log"
assert_not_contains "$(tdb_fss_dump)" "set $SET" "srv_fss.tdb after gc"

step "nothing orphaned; live share unchanged; a new set works"
assert_no_orphans
assert_live_unchanged
assert_new_set_works vol
assert_no_orphans
echo OK
