#!/bin/bash
# Delete removes a writable (auto-recovery) shadow copy also when something
# created nested subvolumes inside it after the commit: nothing of it is
# left, and the live share is untouched.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL/share"
echo live >"$VOL/share/f.txt"
chown -R "$ADMIN_UID:rvssit" "$VOL/share"
SUM=$(tree_sum "$VOL/share")
smb_conf_begin
add_share share "$VOL/share"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

step "create + expose (file_share_backup, rw)"
create_expose file_share_backup rw share
SNAP=$(sc_path_of "${SC_IDS[0]}")
[ -n "$SNAP" ] || fail "no sc_path recorded"

step "nested subvolumes appear inside the writable copy"
btrfs subvolume create "$SNAP/nested" >>"$LOGS/setup.log" 2>&1 ||
	fail "subvolume create in $SNAP"
btrfs subvolume create "$SNAP/nested/deeper" >>"$LOGS/setup.log" 2>&1 ||
	fail "subvolume create in $SNAP/nested"
echo x >"$SNAP/nested/deeper/x.txt"
list_subvolumes "$MNT"

step "delete: the snapshot and everything inside it go"
fss_delete_ok share "$SET_ID" "${SC_IDS[0]}"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
assert_not_exists "$SNAP"
assert_eq "$SUM" "$(tree_sum "$VOL/share")" "live share"
echo "OK"
