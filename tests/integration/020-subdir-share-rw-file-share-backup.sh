#!/bin/bash
# A share that is a plain directory two levels inside a subvolume, context
# "file_share_backup" (auto-recovery), read-write set: snap_path is the
# share's own directory inside the snapshot, the copy is writable until
# recovery completes and its writes never reach the live share, the live
# share's later changes never reach the copy, and delete leaves no snapshot.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up: btrfs, subvolume with the share two levels down"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
mkdir -p "$VOL/projects/outside"
echo "not in the share" >"$VOL/projects/outside/other.txt"
SHARE_DIR=$VOL/projects/share
make_share_dir "$SHARE_DIR"
echo pre-commit >"$SHARE_DIR/data.txt"
mkdir -p "$SHARE_DIR/a/b/c"
seq 1 20000 >"$SHARE_DIR/a/b/c/numbers.txt"
chown -R "$ADMIN_UID:rvssit" "$SHARE_DIR"
SUM_BEFORE=$(tree_sum "$SHARE_DIR")
smb_conf_begin
add_share projects "$SHARE_DIR"
make_users
smbd_start

step "IsPathSupported on a plain subdirectory"
assert_path_supported projects

step "create + expose (file_share_backup, rw)"
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")
create_expose file_share_backup rw projects
SC=${SC_IDS[0]} SHARE=${EXPOSED[0]}
SNAP=$(sc_path_of "$SC")
[ -n "$SNAP" ] || fail "no sc_path recorded in srv_fss.tdb for $SC"
echo "snap_path: $SNAP"
# Writable copies live in <store>/.writable (out of shadow_copy2's sight).
assert_contains "$SNAP" "$VOL/.rvss-snapshots/.writable/@GMT-" "snap_path in the store"
case $SNAP in
*/projects/share) ;;
*) fail "snap_path $SNAP is not the share's directory inside the snapshot" ;;
esac
SNAPROOT=${SNAP%/projects/share}
assert_subvol "$SNAPROOT"
assert_eq "ro=false" "$(btrfs property get -ts "$SNAPROOT" ro)" \
	"read-only flag of a rw (auto-recovery) snapshot"
assert_eq "$SUM_BEFORE" "$(tree_sum "$SNAP")" "snapshot tree checksum"
NEW=$(comm -13 <(echo "$SUBVOLS_BEFORE") <(list_subvolumes "$MNT"))
assert_eq 1 "$(echo "$NEW" | grep -c .)" "new subvolumes after commit ($NEW)"

step "the exposed share shows only the share's directory"
out=$(smbc "$SHARE" ls) || fail "ls on $SHARE: $out"
assert_contains "$out" data.txt "listing of $SHARE"
assert_not_contains "$out" other.txt "listing of $SHARE"
assert_not_contains "$out" outside "listing of $SHARE"

step "the live file changes; the exposed copy keeps the pre-commit content"
smbc projects 'put /etc/hostname data.txt' >/dev/null || fail "write to live share"
assert_eq pre-commit "$(smb_get "$SHARE" data.txt)" "exposed data.txt"
assert_eq "$(seq 1 20000)" "$(smb_get "$SHARE" a/b/c/numbers.txt)" "exposed numbers.txt"

step "the requester writes into the rw copy (auto-recovery); the live share does not see it"
out=$(smbc "$SHARE" 'put /etc/os-release recovered.txt') ||
	fail "write into rw copy before recovery complete: $out"
assert_file_content "$SNAP/recovered.txt" "$(cat /etc/os-release)"
assert_not_exists "$SHARE_DIR/recovered.txt"

step "recovery complete"
out=$(rpc "fss_recovery_complete $SET_ID")
assert_contains "$out" "marked recovery complete" "fss_recovery_complete"
assert_eq pre-commit "$(smb_get "$SHARE" data.txt)" "exposed data.txt after recovery"

step "delete"
fss_delete_ok projects "$SET_ID" "$SC"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
assert_not_exists "$SNAPROOT"
assert_eq "$(cat /etc/hostname)" "$(cat "$SHARE_DIR/data.txt")" "live data.txt"
assert_file_content "$VOL/projects/outside/other.txt" "not in the share"
echo "OK"
