#!/bin/bash
# rvss's records survive a restart of smbd (and so of samba-dcerpcd and
# rpcd_fsrvp): a set created and exposed before the restart is still
# readable afterwards, and its delete (which rvss allows only for what its
# records say it created) succeeds and leaves no snapshot.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo before >"$VOL/f.txt"
chown "$ADMIN_UID:rvssit" "$VOL/f.txt"
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

step "create + expose"
create_expose backup ro vol
SC=${SC_IDS[0]} SHARE=${EXPOSED[0]}
SNAP=$(sc_path_of "$SC")
if [ "$RVSS_BACKEND" = rvss ]; then
	[ -s "$SMBDIR/state/rvss.tdb" ] ||
		fail "no records in the state directory ($SMBDIR/state/rvss.tdb)"
fi

step "restart smbd (samba-dcerpcd, rpcd_fsrvp go with it)"
smbd_restart
echo after >"$VOL/f.txt"
assert_eq before "$(smb_get "$SHARE" f.txt)" "exposed f.txt after the restart"

step "delete after the restart"
fss_delete_ok vol "$SET_ID" "$SC"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
assert_not_exists "$SNAP"
echo "OK"
