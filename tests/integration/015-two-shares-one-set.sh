#!/bin/bash
# Two shares that are directories of one subvolume join one shadow copy set
# (base_volume is the share path, SPEC 3.1 check): both are exposed with
# their own pre-commit content, each exposed share shows only its own
# directory, and deleting both leaves no snapshot subvolume.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up: one subvolume, shares data/ and log/"
make_btrfs fs
VOL=$MNT/sql
make_subvol "$VOL"
make_share_dir "$VOL/data"
make_share_dir "$VOL/log"
echo "data v1" >"$VOL/data/db.mdf"
echo "log v1" >"$VOL/log/db.ldf"
chown -R "$ADMIN_UID:rvssit" "$VOL/data" "$VOL/log"
smb_conf_begin
add_share sqldata "$VOL/data"
add_share sqllog "$VOL/log"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

step "one set over both shares"
create_expose backup ro sqldata sqllog
assert_eq 2 "${#EXPOSED[@]}" "exposed shares"
assert_contains "${EXPOSED[0]}" "sqldata@{" "first exposed share"
assert_contains "${EXPOSED[1]}" "sqllog@{" "second exposed share"

step "the live files change; each copy keeps its own pre-commit content"
echo "data v2" >"$VOL/data/db.mdf"
echo "log v2" >"$VOL/log/db.ldf"
assert_eq "data v1" "$(smb_get "${EXPOSED[0]}" db.mdf)" "exposed db.mdf"
assert_eq "log v1" "$(smb_get "${EXPOSED[1]}" db.ldf)" "exposed db.ldf"
out=$(smbc "${EXPOSED[0]}" ls) || fail "ls ${EXPOSED[0]}: $out"
assert_not_contains "$out" db.ldf "listing of ${EXPOSED[0]}"

step "delete both"
fss_delete_ok sqldata "$SET_ID" "${SC_IDS[0]}"
fss_delete_ok sqllog "$SET_ID" "${SC_IDS[1]}"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
assert_file_content "$VOL/data/db.mdf" "data v2"
assert_file_content "$VOL/log/db.ldf" "log v2"
echo "OK"
