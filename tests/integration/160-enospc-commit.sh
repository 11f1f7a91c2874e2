#!/bin/bash
# ENOSPC at Commit: on a small btrfs filled up (data, then metadata with
# small inline files, outside the share), CommitShadowCopySet fails with a
# clear error to the client (an FSRVP error, not S_OK; the reason logged),
# no rvss record is left (in particular none in "creating"), no subvolume
# is left, and the live share is unchanged.  Once space is freed, the
# failed set is aborted and a new set works.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up: a small btrfs (mixed data+metadata block groups)"
# life_setup with its own mkfs: --mixed lets data and metadata run out of
# space together, so that nothing is left for the snapshot's metadata
make_btrfs() {
	local img=$WORK/$1.img
	truncate -s "$2" "$img" || fail "truncate $img"
	mkfs.btrfs -q -f --mixed "$img" >>"$LOGS/setup.log" 2>&1 || fail "mkfs.btrfs --mixed"
	mkdir -p "$WORK/$1"
	loop_mount btrfs "$img" "$WORK/$1"
	chmod 755 "$WORK/$1"
	MNT=$WORK/$1
}
life_setup 160M
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start

step "one set first, so that the store exists"
assert_new_set_works vol
SUBVOLS0=$(list_subvolumes "$MNT")

step "fill the filesystem outside the share: data, then metadata"
mkdir -p "$MNT/filler"
dd if=/dev/zero of="$MNT/filler/big" bs=1M status=none 2>/dev/null
i=0
# empty files (inodes, directory items) live in metadata only; a shell
# redirection creates one without a fork
fill_meta() {
	while : 2>/dev/null >"$MNT/filler/m$i"; do
		i=$((i + 1))
		[ "$i" -lt 3000000 ] || fail "the filesystem never filled up"
	done
}
fill_meta
sync
fill_meta
sync
echo "filled: $i small files"
btrfs filesystem df "$MNT"
assert_live_unchanged

step "commit on the full filesystem fails cleanly"
SHARE_SUM=$(tree_sum "$VOL")
step_client_start
sc 'start backup'
assert_hres S_OK start
SET=$(jget "$R" set_id)
sc "add $SET vol"
assert_hres S_OK add
sc "commit $SET"
H=$(jget "$R" hresult_name)
[ "$H" != S_OK ] || fail "commit succeeded on a full filesystem"
[ -n "$(jget "$R" hresult)" ] || fail "no FSRVP result for the failed commit: $R"
echo "commit: $(jget "$R" hresult) $H"
grep -h -i "no space\|ENOSPC" "$SAMBA_LOGDIR"/log.rpcd_fsrvp | head -n 3
samba_log_grep "No space left on device" || fail "the reason (ENOSPC) is not logged"
assert_no_orphans "no subvolume after the failed commit"
out=$(agent list --json) || fail "fsrvp_agent list: $out"
printf '%s\n' "$out"
assert_not_contains "$out" creating "records after the failed commit"
assert_eq '[]' "$(printf '%s' "$out" | tr -d ' \n')" "rvss records after the failed commit"
assert_live_unchanged

step "space freed; the failed set is aborted; a new set works"
rm -rf "$MNT/filler"
sync
btrfs filesystem sync "$MNT" >/dev/null
sc "abort $SET"
echo "abort of the failed set: $(jget "$R" hresult_name)"
step_client_quit
assert_new_set_works vol
assert_no_orphans
assert_live_unchanged
echo OK
