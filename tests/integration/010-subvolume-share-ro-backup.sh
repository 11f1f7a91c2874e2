#!/bin/bash
# A share that is a btrfs subvolume root, context "backup", read-only set:
# create + expose, the exposed copy keeps the pre-commit content after the
# live file changes, it cannot be written, the store is not visible through
# the base share, and delete leaves no snapshot subvolume behind.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up: btrfs, subvolume share, smbd"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo pre-commit >"$VOL/data.txt"
mkdir -p "$VOL/dir/sub"
head -c 100000 /dev/urandom >"$VOL/dir/sub/blob.bin"
chown -R "$ADMIN_UID:rvssit" "$VOL"
SUM_BEFORE=$(tree_sum "$VOL")
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start

step "IsPathSupported"
assert_path_supported vol

step "create + expose (backup, ro)"
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")
create_expose backup ro vol
SC=${SC_IDS[0]} SHARE=${EXPOSED[0]}
assert_contains "$SHARE" "vol@{" "exposed share name"
SNAP=$(sc_path_of "$SC")
[ -n "$SNAP" ] || fail "no sc_path recorded in srv_fss.tdb for $SC"
echo "snap_path: $SNAP"
assert_ne "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after commit"
assert_subvol "$SNAP"
if [ "$RVSS_BACKEND" = rvss ]; then
	assert_contains "$SNAP" "$VOL/.rvss-snapshots/@GMT-" "snap_path in the store"
fi
assert_eq "ro=true" "$(btrfs property get -ts "$SNAP" ro)" "read-only flag of $SNAP"
assert_eq "$SUM_BEFORE" "$(tree_sum "$SNAP")" "snapshot tree checksum"

step "the live file changes; the exposed copy keeps the pre-commit content"
smbc vol 'put /etc/hostname data.txt' >/dev/null || fail "write to live share"
assert_eq "$(cat /etc/hostname)" "$(smb_get vol data.txt)" "live data.txt"
assert_eq pre-commit "$(smb_get "$SHARE" data.txt)" "exposed data.txt"
assert_eq pre-commit "$(cat "$SNAP/data.txt")" "data.txt in the snapshot"
smb_get "$SHARE" dir/sub/blob.bin >"$WORK/blob.bin"
cmp -s "$WORK/blob.bin" "$VOL/dir/sub/blob.bin" || fail "exposed blob.bin differs"

step "the read-only copy refuses writes"
if out=$(smbc "$SHARE" 'put /etc/hostname newfile.txt'); then
	assert_contains "$out" NT_STATUS_ "put into read-only copy"
fi
assert_not_exists "$SNAP/newfile.txt"

if [ "$RVSS_BACKEND" = rvss ]; then
	step "the snapshot store is not visible through the base share"
	out=$(smbc vol 'ls') || fail "ls on vol: $out"
	assert_not_contains "$out" .rvss-snapshots "listing of vol"
	if out=$(smbc vol 'ls .rvss-snapshots/*'); then
		assert_contains "$out" NT_STATUS_ "ls of the store"
	fi
	assert_not_contains "$out" "@GMT-" "ls of the store"
	if out=$(smbc vol "get .rvss-snapshots/${SNAP##*/}/data.txt $WORK/leak.txt"); then
		fail "a file of the store was opened through the base share: $out"
	fi
	assert_not_exists "$WORK/leak.txt"
	if out=$(smbc vol "cd .rvss-snapshots"); then
		assert_contains "$out" NT_STATUS_ "cd into the store"
	fi
fi

step "GetShareMapping"
out=$(rpc "fss_get_mapping vol $SET_ID $SC")
assert_contains "$out" "is a shadow-copy of" "fss_get_mapping"

step "delete"
fss_delete_ok vol "$SET_ID" "$SC"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
assert_not_exists "$SNAP"
if out=$(smbc "$SHARE" 'ls'); then
	fail "exposed share still reachable after delete: $out"
fi
assert_eq "$(cat /etc/hostname)" "$(cat "$VOL/data.txt")" "live data.txt after delete"
echo "OK"
