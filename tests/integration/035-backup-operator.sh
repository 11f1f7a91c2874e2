#!/bin/bash
# A backup operator, i.e. a plain Unix account (not root, not in
# Administrators) holding SeBackupPrivilege, may use FSRVP (MS-FSRVP 3.1.4:
# Administrators or Backup Operators); it runs the whole cycle on a
# subvolume share and on a subdirectory share, and reads the exposed copies
# over SMB as a backup application would.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo "in the subvolume share" >"$VOL/top.txt"
make_share_dir "$VOL/dir/share"
echo "in the subdirectory share" >"$VOL/dir/share/sub.txt"
smb_conf_begin
add_share vol "$VOL"
add_share sub "$VOL/dir/share"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")
# every rpcclient and smbclient call below runs as the backup operator
RPC_CRED="$BACKUP_USER%$BACKUP_PASS"
SMB_CRED="$BACKUP_USER%$BACKUP_PASS"
echo "client: $BACKUP_USER (uid $(id -u "$BACKUP_USER"), SeBackupPrivilege)"

for share in vol sub; do
	step "$share: IsPathSupported, create + expose (backup, ro)"
	assert_path_supported "$share"
	create_expose backup ro "$share"
	X=${EXPOSED[0]}

	step "$share: the backup operator reads the exposed copy"
	out=$(smbc "$X" ls) || fail "ls on $X as $BACKUP_USER: $out"
	if [ "$share" = vol ]; then
		assert_eq "in the subvolume share" "$(smb_get "$X" top.txt)" "top.txt"
	else
		assert_eq "in the subdirectory share" "$(smb_get "$X" sub.txt)" "sub.txt"
	fi

	step "$share: delete"
	fss_delete_ok "$share" "$SET_ID" "${SC_IDS[0]}"
	assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
done
echo "OK"
