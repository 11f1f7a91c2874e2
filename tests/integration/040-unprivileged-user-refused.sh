#!/bin/bash
# A Samba user without SeBackupPrivilege (not root, not Administrators nor
# Backup Operators) is refused with E_ACCESSDENIED (0x80070005) and creates
# nothing; the privileged user on the same share succeeds.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo data >"$VOL/f.txt"
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

step "the unprivileged user can use the share itself"
out=$(smbc -u "$PLAIN_USER%$PLAIN_PASS" vol ls) || fail "ls as $PLAIN_USER: $out"
assert_contains "$out" f.txt "listing as $PLAIN_USER"

step "IsPathSupported as $PLAIN_USER: E_ACCESSDENIED"
assert_path_refused vol "$E_ACCESSDENIED" "$PLAIN_USER%$PLAIN_PASS"

step "create as $PLAIN_USER: refused, nothing created"
out=$(rpc -u "$PLAIN_USER%$PLAIN_PASS" "fss_create_expose backup ro vol")
assert_not_contains "$out" "shadow-copy set created" "create as $PLAIN_USER"
assert_not_contains "$out" "exposed as a snapshot" "create as $PLAIN_USER"
assert_contains "$out" "$E_ACCESSDENIED" "create as $PLAIN_USER"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after refused create"

step "the privileged user ($ADMIN_USER, SeBackupPrivilege) succeeds"
create_expose backup ro vol
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
echo "OK"
