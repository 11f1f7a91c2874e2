#!/bin/bash
# Retain (issue 3 item 4): with "rvss:retain = 2", three auto-recovery sets
# (file_share_backup, rw) are created, recovered and deleted, each after the
# live data.txt changed; after `fsrvp_agent gc` two stay as read-only
# backups in the store and the oldest is pruned.  They are Previous
# Versions through shadow_copy2 (shadow:snapdir = .rvss-snapshots):
# smbclient's allinfo on the base share lists their @GMT tokens (not the
# pruned one), and reading @GMT-.../data.txt gives the old content.
# `fsrvp_agent restore` copies a file back (reflink), refuses to overwrite
# an existing file, and overwrites with --force.  A fourth (ro) set is
# retained on delete too and gc then prunes the next oldest.  No other
# subvolume is left; the live share ends as it was.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up (rvss:retain = 2, shadow_copy2 on the store)"
life_setup
smb_conf_begin
add_share vol "$VOL" "vfs objects = rvss shadow_copy2" \
	"shadow:snapdir = .rvss-snapshots" "rvss:retain = 2"
make_users
smbd_start
STORE=$VOL/.rvss-snapshots

# retained: the retained snapshots (subvolumes beyond SUBVOLS0), full paths
retained() {
	comm -13 <(echo "$SUBVOLS0") <(list_subvolumes "$MNT") | sed "s|^|$MNT/|"
}

step "three sets: data.txt changed, create + expose (rw), recovery, delete"
declare -a TOKENS
for i in 1 2 3; do
	echo "version $i" >"$VOL/data.txt"
	create_expose file_share_backup rw vol >/dev/null
	SC=${SC_IDS[0]}
	assert_eq "version $i" "$(smb_get "${EXPOSED[0]}" data.txt)" "set $i: exposed data.txt"
	out=$(rpc "fss_recovery_complete $SET_ID")
	assert_contains "$out" "marked recovery complete" "set $i: recovery"
	fss_delete_ok vol "$SET_ID" "$SC"
	samba_log_grep "read-only as a backup" || fail "set $i: no retain logged"
done
agent list || fail "fsrvp_agent list failed"

step "gc prunes beyond the count: two backups kept, read-only, in the store"
agent gc || fail "fsrvp_agent gc failed"
mapfile -t KEPT < <(retained)
printf 'kept: %s\n' "${KEPT[@]}"
assert_eq 2 "${#KEPT[@]}" "retained snapshots after gc"
for k in "${KEPT[@]}"; do
	case $k in
	"$STORE"/@GMT-*) ;;
	*) fail "retained snapshot $k is not in the store $STORE" ;;
	esac
	assert_eq "ro=true" "$(btrfs property get -ts "$k" ro)" "ro flag of $k"
done
assert_file_content "${KEPT[0]}/data.txt" "version 2"
assert_file_content "${KEPT[1]}/data.txt" "version 3"
T2=$(basename "${KEPT[0]}") T3=$(basename "${KEPT[1]}")
out=$(agent list --json) || fail "fsrvp_agent list --json failed"
assert_contains "$out" "$T2" "list --json names the backup"
assert_contains "$out" retained "list --json says retained"

step "Previous Versions: allinfo lists the two tokens; @GMT paths read old content"
out=$(smbc vol "allinfo data.txt") || fail "allinfo: $out"
printf '%s\n' "$out"
assert_contains "$out" "$T2" "allinfo data.txt lists the backup"
assert_contains "$out" "$T3" "allinfo data.txt lists the backup"
assert_eq 2 "$(printf '%s\n' "$out" | grep -c '@GMT-')" "Previous Versions of data.txt"
assert_eq "version 2" "$(smb_get vol "$T2/data.txt")" "$T2/data.txt over SMB"
assert_eq "version 3" "$(smb_get vol "$T3/data.txt")" "$T3/data.txt over SMB"
assert_eq "version 3" "$(cat "$VOL/data.txt")" "live data.txt"
chown "$ADMIN_UID:rvssit" "$VOL/data.txt"
SHARE_SUM=$(tree_sum "$VOL")
SUBVOLS_KEPT=$(list_subvolumes "$MNT")

step "fsrvp_agent restore: to a new path, refused over an existing file, --force"
agent restore "${KEPT[0]}/data.txt" "$VOL/restored.txt" || fail "restore to a new path"
assert_file_content "$VOL/restored.txt" "version 2"
if agent restore "${KEPT[0]}/data.txt" "$VOL/data.txt"; then
	fail "restore overwrote data.txt without --force"
fi
assert_file_content "$VOL/data.txt" "version 3"
agent restore --force "${KEPT[0]}/data.txt" "$VOL/data.txt" || fail "restore --force"
assert_file_content "$VOL/data.txt" "version 2"
assert_file_content "${KEPT[0]}/data.txt" "version 2"
# a file of real extents (not inline): the restored copy shares them
agent restore "${KEPT[0]}/dir/sub/numbers.txt" "$VOL/numbers.restored" ||
	fail "restore numbers.txt"
assert_eq "$(seq 1 5000)" "$(cat "$VOL/numbers.restored")" "restored numbers.txt"
sync
shared=$(btrfs filesystem du --raw "$VOL/numbers.restored" | awk 'NR == 2 { print $3 }')
echo "numbers.restored: $shared bytes shared with the backup"
[ "${shared:-0}" -gt 0 ] || fail "the restored file shares no extents (not a reflink)"
# back to the state before the restores
rm -f "$VOL/restored.txt" "$VOL/numbers.restored"
echo "version 3" >"$VOL/data.txt"
assert_live_unchanged

step "a new (ro) set is retained on delete; gc prunes the next oldest"
create_expose backup ro vol >/dev/null
assert_eq "version 3" "$(smb_get "${EXPOSED[0]}" data.txt)" "new set: exposed data.txt"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
agent gc || fail "fsrvp_agent gc failed"
mapfile -t KEPT2 < <(retained)
printf 'kept: %s\n' "${KEPT2[@]}"
assert_eq 2 "${#KEPT2[@]}" "retained snapshots after the fourth set"
assert_eq "$STORE/$T3" "${KEPT2[0]}" "the older survivor"
assert_not_exists "$STORE/$T2"
assert_live_unchanged
echo OK
