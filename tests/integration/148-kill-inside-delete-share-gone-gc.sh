#!/bin/bash
# A kill -9 of rpcd_fsrvp inside DeleteShareMapping after Samba removed the
# exposed share from the registry but before snap_delete (Samba's order):
# srv_fss.tdb still holds the exposed set and its share mapping, the share
# is gone; bench/crash.sh met it.  `fsrvp_agent gc --expose-max-age`
# reclaims the snapshot, says the exposed share was already removed, and
# exits 0 (it counted a failure before); a new set works after, nothing is
# orphaned, the live share is unchanged.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up; an exposed set"
life_setup
smb_conf_begin
add_share vol "$VOL" "vfs objects = rvss"
make_users
smbd_start
create_expose backup ro vol >/dev/null
root=$(snap_root_of "$(sc_path_of "${SC_IDS[0]}")")
assert_subvol "$root"

step "Delete's first half: the exposed share removed; then kill -9 rpcd_fsrvp"
net -s "$CONF" conf delshare "${EXPOSED[0]}" >>"$LOGS/setup.log" 2>&1 ||
	fail "net conf delshare ${EXPOSED[0]}"
kill_rpcd_fsrvp KILL
assert_contains "$(tdb_fss_dump)" "set $SET_ID" "srv_fss.tdb keeps the set"

step "gc reclaims the abandoned set; its share is already gone"
sleep 2
out=$(agent gc --grace 1s --expose-max-age 1s) || fail "gc failed: $out"
printf '%s\n' "$out"
assert_contains "$out" "reclaim $root" "gc reclaims the snapshot"
assert_contains "$out" "exposed share ${EXPOSED[0]} already removed" "gc's line"
assert_not_contains "$out" FAILED "gc output"
assert_no_orphans
assert_live_unchanged

step "a new set works; nothing orphaned"
new_set_try vol || fail "a new set is blocked: $LAST_BLOCK"
assert_no_orphans
echo OK
