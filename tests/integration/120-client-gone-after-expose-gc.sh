#!/bin/bash
# Client gone after Expose (issue 3 item 2): the requester exposes a set
# (step client: start, add, commit, expose, mapping) and dies without
# RecoveryComplete or Delete.  `fsrvp_agent gc` with the default
# rvss:expose max age (7d) keeps it; `fsrvp_agent gc --expose-max-age 5s`
# reclaims it once older than that: the snapshot is deleted, the exposed
# registry share is removed (net conf delshare), and the dead set leaves
# srv_fss.tdb.  Afterwards: nothing orphaned, live share unchanged, a new
# set works.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up"
life_setup
FSS_SEQUENCE_TIMEOUT=2 smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start

step "the requester exposes a set, then dies"
step_client_start
sc 'start backup'
assert_hres S_OK start
SET=$(jget "$R" set_id)
sc "add $SET vol"
assert_hres S_OK add
SC=$(jget "$R" sc_id)
sc "commit $SET"
assert_hres S_OK commit
sc "expose $SET"
assert_hres S_OK expose
sc "mapping $SET $SC vol"
assert_hres S_OK mapping
X=$(jget "$R" exposed_share)
assert_eq "vol@{$SC}" "$X" "exposed share"
SNAP=$(sc_path_of "$SC")
ROOT=$(snap_root_of "$SNAP")
assert_subvol "$ROOT"
assert_eq live "$(smb_get "$X" data.txt)" "read through the exposed share"
step_client_vanish

step "gc with the default expose max age (7d) keeps it"
agent gc || fail "fsrvp_agent gc failed"
assert_subvol "$ROOT"
net -s "$CONF" conf showshare "$X" >/dev/null 2>&1 || fail "exposed share $X gone too early"

step "gc --expose-max-age 5s reclaims it and removes the exposed share"
reclaimed() {
	agent gc --expose-max-age 5s >/dev/null || fail "fsrvp_agent gc failed"
	[ "$(list_subvolumes "$MNT")" = "$SUBVOLS0" ]
}
wait_until 60 "exposed set reclaimed by gc --expose-max-age 5s" reclaimed
grep -E "^reclaim $ROOT|removed exposed share" "$LOGS/agent.log"
grep -q "removed exposed share $X" "$LOGS/agent.log" || fail "gc did not remove $X"
if net -s "$CONF" conf showshare "$X" >/dev/null 2>&1; then
	fail "exposed share $X still in the registry"
fi
out=$(smbc "$X" ls)
assert_contains "$out" NT_STATUS_BAD_NETWORK_NAME "connect to the removed share $X"
assert_not_contains "$(tdb_fss_dump)" "set $SET" "srv_fss.tdb after gc"

step "nothing orphaned; live share unchanged; a new set works"
assert_no_orphans
assert_live_unchanged
assert_new_set_works vol
assert_no_orphans
echo OK
