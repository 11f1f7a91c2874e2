#!/bin/bash
# The snapshot store is trusted only when it is root's alone (issue 11,
# item 8; SPEC 3.2 "Trust"):
#   - a store a share user pre-created (owned by them, holding a planted
#     fake @GMT- subvolume) is refused: IsPathSupported answers
#     FSRVP_E_NOT_SUPPORTED (Samba maps every check failure to it), the
#     reason is logged, nothing is made in it and the planted entry is
#     neither used nor deleted;
#   - a store that falls into a user's hands between AddToShadowCopySet and
#     Commit: Commit answers E_FAIL, with the reason in the log;
#   - a store that is a symbolic link to a directory elsewhere is refused
#     the same way, and nothing lands in the link's target;
#   - once the admin removes the user's store, rvss makes its own and the
#     cycle works.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"
[ "$RVSS_BACKEND" = rvss ] || skip "rvss's store"

E_FAIL=0x80004005

step "set-up: a user-owned store with a planted entry, a symlinked store"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL/data"
echo v1 >"$VOL/data/f.txt"
mkdir "$VOL/.rvss-snapshots"
make_subvol "$VOL/.rvss-snapshots/@GMT-2026.01.01-00.00.00"
echo planted >"$VOL/.rvss-snapshots/@GMT-2026.01.01-00.00.00/mine"
chown -R "$PLAIN_USER" "$VOL/.rvss-snapshots"
VOL2=$MNT/vol2
make_subvol "$VOL2"
make_share_dir "$VOL2/data"
mkdir "$MNT/elsewhere"
ln -s "$MNT/elsewhere" "$VOL2/.rvss-snapshots"
VOL3=$MNT/vol3
make_subvol "$VOL3"
make_share_dir "$VOL3/data"
smb_conf_begin
add_share owned "$VOL/data"
add_share linked "$VOL2/data"
add_share late "$VOL3/data"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

for share in owned linked; do
	step "$share: IsPathSupported refused"
	assert_path_refused "$share" "$FSRVP_E_NOT_SUPPORTED"
	step "$share: Commit fails, nothing is made"
	out=$(rpc "fss_create_expose backup ro $share")
	assert_not_contains "$out" "exposed as a snapshot" "create on $share"
	assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" \
		"subvolumes after refused create on $share"
done

step "the reasons are logged"
samba_log_grep "untrusted snapshot store" ||
	fail "no 'untrusted snapshot store' line in Samba's logs"
samba_log_grep "owned by uid $(id -u "$PLAIN_USER")" ||
	fail "the store's owner is not named in Samba's logs"
samba_log_grep "is a symbolic link" ||
	fail "the symbolic link is not named in Samba's logs"

step "the planted entry is untouched, nothing landed in the link's target"
assert_subvol "$VOL/.rvss-snapshots/@GMT-2026.01.01-00.00.00"
assert_file_content "$VOL/.rvss-snapshots/@GMT-2026.01.01-00.00.00/mine" planted
[ -z "$(ls -A "$MNT/elsewhere")" ] || fail "files in the link's target: $(ls -A "$MNT/elsewhere")"

step "a store taken over between Add and Commit: Commit answers E_FAIL"
step_client_start
sc 'start backup'
assert_hres S_OK start
set=$(jget "$R" set_id)
sc "add $set late"
assert_hres S_OK add
mkdir "$VOL3/.rvss-snapshots"
chown "$PLAIN_USER" "$VOL3/.rvss-snapshots"
sc "commit $set"
assert_eq "$E_FAIL" "$(jget "$R" hresult)" "commit on a taken-over store ($R)"
sc "abort $set"
step_client_quit
[ -z "$(ls -A "$VOL3/.rvss-snapshots")" ] || fail "made in the user's store: $(ls -A "$VOL3/.rvss-snapshots")"
samba_log_grep "vol3/data failed: snapshot store: .rvss-snapshots is owned by uid" ||
	fail "Commit's refusal not logged"

step "the admin removes the user's store: rvss makes its own"
btrfs subvolume delete "$VOL/.rvss-snapshots/@GMT-2026.01.01-00.00.00" >>"$LOGS/setup.log" 2>&1
rmdir "$VOL/.rvss-snapshots"
create_expose backup ro owned
assert_eq "0 0 755" "$(stat -c '%u %g %a' "$VOL/.rvss-snapshots")" "the store's owner and mode"
assert_eq v1 "$(smb_get "${EXPOSED[0]}" f.txt)" "exposed f.txt"
fss_delete_ok owned "$SET_ID" "${SC_IDS[0]}"
echo "OK"
