#!/bin/bash
# Shares whose snapshot would silently miss data, or that are not on btrfs,
# are refused with FSRVP_E_NOT_SUPPORTED (0x8004230c) by IsPathSupported and
# by AddToShadowCopySet, the reason is logged with the offending path, and
# no snapshot subvolume is created:
#   - a nested subvolume deep below the share root
#   - a mount point below the share root
#   - a share on ext4 and a share on tmpfs
# A suitable share of the same subvolume is still supported.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL/good"
echo good >"$VOL/good/f.txt"
make_share_dir "$VOL/nested"
mkdir -p "$VOL/nested/a/b"
make_subvol "$VOL/nested/a/b/inner"
echo inner >"$VOL/nested/a/b/inner/f.txt"
make_share_dir "$VOL/mounted"
mount_tmpfs "$VOL/mounted/x/mnt"
echo on-tmpfs >"$VOL/mounted/x/mnt/f.txt"
make_ext4 ext4
make_share_dir "$WORK/ext4/share"
mount_tmpfs "$WORK/tmpfs"
make_share_dir "$WORK/tmpfs/share"
smb_conf_begin
add_share good "$VOL/good"
add_share nested "$VOL/nested"
add_share mounted "$VOL/mounted"
add_share onext4 "$WORK/ext4/share"
add_share ontmpfs "$WORK/tmpfs/share"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

step "a suitable share of the same subvolume is supported"
assert_path_supported good

for share in nested mounted onext4 ontmpfs; do
	step "$share: IsPathSupported refused"
	assert_path_refused "$share" "$FSRVP_E_NOT_SUPPORTED"
	step "$share: create refused at AddToShadowCopySet, nothing created"
	out=$(rpc "fss_create_expose backup ro $share")
	assert_not_contains "$out" "exposed as a snapshot" "create on $share"
	assert_not_contains "$out" "commit completed" "create on $share"
	assert_contains "$out" "$FSRVP_E_NOT_SUPPORTED" "create on $share"
	assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" \
		"subvolumes after refused create on $share"
done

if [ "$RVSS_BACKEND" = rvss ]; then
	step "the log names the offending paths"
	samba_log_grep "$VOL/nested/a/b/inner" ||
		fail "nested subvolume path not named in $SAMBA_LOGDIR"
	samba_log_grep "$VOL/mounted/x/mnt" ||
		fail "mount point path not named in $SAMBA_LOGDIR"
fi

step "a set with the good share still works after the refusals"
create_expose backup ro good
assert_eq good "$(smb_get "${EXPOSED[0]}" f.txt)" "exposed f.txt"
fss_delete_ok good "$SET_ID" "${SC_IDS[0]}"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
echo "OK"
