#!/bin/bash
# Seal (SPEC §3.1, issue 3 item 1): an auto-recovery (rw, file_share_backup)
# copy is writable through its exposed share until RecoveryComplete; once
# that has returned, no write succeeds: new file, overwrite, delete, rename,
# mkdir (smbclient), nor a write or truncate through a handle opened BEFORE
# recovery (python3-samba's SMB client keeps the handle); the snapshot then
# carries btrfs's read-only flag.  Afterwards: delete leaves no subvolume,
# the live share is unchanged, and a new set works.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up"
life_setup
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start

step "create + expose (file_share_backup, rw)"
create_expose file_share_backup rw vol
SC=${SC_IDS[0]} X=${EXPOSED[0]}
SNAP=$(sc_path_of "$SC")
[ -n "$SNAP" ] || fail "no sc_path for $SC"
ROOT=$(snap_root_of "$SNAP")
assert_subvol "$ROOT"
assert_eq "ro=false" "$(btrfs property get -ts "$ROOT" ro)" "ro flag before recovery"

step "before recovery: every kind of write through the exposed share works"
echo new >"$WORK/new.txt"
echo over >"$WORK/over.txt"
out=$(smbc "$X" "put $WORK/new.txt pre-new.txt") || fail "put before recovery: $out"
out=$(smbc "$X" "put $WORK/over.txt data.txt") || fail "overwrite before recovery: $out"
out=$(smbc "$X" "mkdir pre-dir") || fail "mkdir before recovery: $out"
out=$(smbc "$X" "rename pre-new.txt pre-renamed.txt") || fail "rename before recovery: $out"
out=$(smbc "$X" "del dir/keep.txt") || fail "del before recovery: $out"
assert_file_content "$SNAP/pre-renamed.txt" new
assert_file_content "$SNAP/data.txt" over
[ -d "$SNAP/pre-dir" ] || fail "mkdir before recovery did not reach the copy"
assert_not_exists "$SNAP/dir/keep.txt"

step "a handle opened before recovery"
handle_open "$X" handle.txt
assert_eq ok "$HR" "open handle.txt on $X"
handle_cmd "write beforeXX"
assert_eq ok "$HR" "write through the handle before recovery"
handle_cmd "truncate 6"
assert_eq ok "$HR" "truncate through the handle before recovery"
assert_file_content "$SNAP/handle.txt" before

step "recovery complete; the requester's first read finds the copy sealed"
out=$(rpc "fss_recovery_complete $SET_ID")
assert_contains "$out" "marked recovery complete" "fss_recovery_complete"
SNAP_SUM=$(tree_sum "$SNAP")
assert_eq over "$(smb_get "$X" data.txt)" "first read after recovery"
assert_eq "ro=true" "$(btrfs property get -ts "$ROOT" ro)" \
	"ro flag once the requester has read the copy for backup"

step "after recovery: no write through the exposed share succeeds"
# each: the smbclient command must report an NT status error (smbclient's
# exit status is 0 after a failed del/rename/mkdir, so its output is what
# tells), and the copy must not change (checked below)
try_write() {	# WHAT CMD
	local out
	out=$(smbc "$X" "$2")
	assert_contains "$out" NT_STATUS_ "$1 after recovery: refused"
	echo "$1: refused: $(printf '%s\n' "$out" | grep -o 'NT_STATUS_[A-Z_]*' | head -n1)"
}
try_write "new file" "put $WORK/new.txt post-new.txt"
try_write "overwrite" "put $WORK/new.txt data.txt"
try_write "delete" "del data.txt"
try_write "rename" "rename data.txt renamed.txt"
try_write "mkdir" "mkdir post-dir"
try_write "rmdir" "rmdir pre-dir"
assert_eq "$SNAP_SUM" "$(tree_sum "$SNAP")" "copy unchanged by refused writes"
assert_not_exists "$SNAP/post-new.txt"
assert_not_exists "$SNAP/post-dir"
assert_file_content "$SNAP/data.txt" over

step "after recovery: the handle opened before cannot write"
handle_cmd "write after"
case $HR in
error*) echo "write through old handle: $HR" ;;
*) fail "write through a handle opened before recovery: $HR" ;;
esac
handle_cmd "truncate 0"
case $HR in
error*) echo "truncate through old handle: $HR" ;;
*) fail "truncate through a handle opened before recovery: $HR" ;;
esac
handle_close
assert_file_content "$SNAP/handle.txt" before
assert_eq "$SNAP_SUM" "$(tree_sum "$SNAP")" "copy unchanged by the old handle"

step "the snapshot carries btrfs's read-only flag; reads still work"
assert_eq "ro=true" "$(btrfs property get -ts "$ROOT" ro)" "ro flag after recovery"
assert_eq over "$(smb_get "$X" data.txt)" "read of the sealed copy"

step "delete; nothing orphaned; live share unchanged; a new set works"
fss_delete_ok vol "$SET_ID" "$SC"
assert_no_orphans
assert_live_unchanged
assert_new_set_works vol
assert_no_orphans
assert_live_unchanged
echo OK
