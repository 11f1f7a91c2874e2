#!/bin/bash
# rvss:nested subvolumes = include (issue 12 items 1 and 4): a share whose
# subvolume holds three levels of nested subvolumes (vms, vms/db,
# vms/db/logs; files in each, and vms holding a backup of its own in its
# store) is refused by default and supported with include (a mount point
# below it is still refused).
#   ro set: the exposed copy, read over SMB (smbclient mget), has every file
#           of the live share at Commit, nested ones included; each level
#           is its own read-only snapshot; rpcd_fsrvp logs the time the
#           whole tree took; vms's own backup is not copied (an empty
#           placeholder); delete leaves no subvolume.
#   rw set: writable at every level, writes land in the copy, not the live
#           share; after recovery the first read seals every level
#           read-only; delete: no subvolume left.
#   retain: a retained tree is one copy (one `list` entry); its nested
#           files are Previous Versions (shadow_copy2) and restorable
#           (fsrvp_agent restore; refused while a snapshot inside the
#           copy is writable); gc prunes the whole tree.
#   kill -9 of rpcd_fsrvp in the middle of a Commit of a 3-level tree of
#           124 subvolumes (the kill comes once the top and some children
#           exist): `fsrvp_agent gc` leaves no subvolume behind, and a new
#           set works.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

# nested_sum DIR: content_sum without any store (.rvss-snapshots at any
# level: a nested subvolume's own backups are not part of the copy).
nested_sum() {
	(cd "$1" && find . -name .rvss-snapshots -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum |
		cut -d' ' -f1
}

# snapshot_levels ROOT: the read-only flag of each level of the copy.
snapshot_levels() {
	local d
	for d in "$1" "$1/vms" "$1/vms/db" "$1/vms/db/logs"; do
		printf '%s %s\n' "${d#"$1"}" "$(btrfs property get -ts "$d" ro)"
	done
}

step "set-up: vol with vms, vms/db, vms/db/logs (subvolumes) and big (124 nested)"
make_btrfs fs 2G
VOL=$MNT/vol
make_subvol "$VOL"
echo top >"$VOL/top.txt"
mkdir -p "$VOL/dir"
seq 1 3000 >"$VOL/dir/numbers.txt"
make_subvol "$VOL/vms"
echo vm >"$VOL/vms/vm.txt"
make_subvol "$VOL/vms/db"
echo db >"$VOL/vms/db/db.txt"
mkdir "$VOL/vms/db/tables"
seq 1 2000 >"$VOL/vms/db/tables/t1"
make_subvol "$VOL/vms/db/logs"
echo log-1 >"$VOL/vms/db/logs/log.txt"
# vms's own store with a backup of its own (another rvss share of vms)
mkdir -m 0755 "$VOL/vms/.rvss-snapshots"
btrfs subvolume snapshot -r "$VOL/vms" "$VOL/vms/.rvss-snapshots/@GMT-2020.01.01-00.00.00" \
	>>"$LOGS/setup.log" 2>&1 || fail "vms's own backup"
chown -R "$ADMIN_UID:rvssit" "$VOL/top.txt" "$VOL/dir" "$VOL/vms/vm.txt" \
	"$VOL/vms/db/db.txt" "$VOL/vms/db/tables" "$VOL/vms/db/logs/log.txt"
chown "$ADMIN_UID:rvssit" "$VOL" "$VOL/vms" "$VOL/vms/db" "$VOL/vms/db/logs"
BIG=$MNT/big
make_subvol "$BIG"
for a in $(seq 1 4); do
	make_subvol "$BIG/a$a"
	for b in $(seq 1 5); do
		make_subvol "$BIG/a$a/b$b"
		for c in $(seq 1 5); do
			make_subvol "$BIG/a$a/b$b/c$c"
			echo "$a.$b.$c" >"$BIG/a$a/b$b/c$c/f"
		done
	done
done
BIG_ALL=$(list_subvolumes "$MNT" | grep -c '^big/')
echo "big: $BIG_ALL nested subvolumes"
LIVE_SUM=$(nested_sum "$VOL")
SUBVOLS0=$(list_subvolumes "$MNT")

smb_conf_begin
add_share refused "$VOL" "vfs objects = rvss"
add_share vol "$VOL" "vfs objects = rvss" "rvss:nested subvolumes = include"
add_share keep "$VOL" "vfs objects = rvss shadow_copy2" \
	"shadow:snapdir = .rvss-snapshots" "rvss:retain = 1" \
	"rvss:nested subvolumes = include"
add_share big "$BIG" "vfs objects = rvss" "rvss:nested subvolumes = include" \
	"rvss:reclaim grace = 2s"
make_users
smbd_start

step "default (refuse): not supported; include: supported"
assert_path_refused refused "$FSRVP_E_NOT_SUPPORTED"
samba_log_grep "nested subvolume $VOL/vms below share path" || fail "no reason logged for the refusal"
assert_path_supported vol
# a mount point below is still refused with include
mount_tmpfs "$VOL/vms/db/iso"
assert_path_refused vol "$FSRVP_E_NOT_SUPPORTED"
samba_log_grep "mount point $VOL/vms/db/iso below share path" ||
	fail "no reason logged for the mount point"
umount "$VOL/vms/db/iso" || fail "umount $VOL/vms/db/iso"
rmdir "$VOL/vms/db/iso"
assert_path_supported vol

step "ro set: the exposed copy over SMB equals the live share at Commit"
create_expose backup ro vol
SNAP=$(sc_path_of "${SC_IDS[0]}")
[ -n "$SNAP" ] || fail "no sc_path"
GOT=$WORK/got-ro
mkdir -p "$GOT"
smbc "${EXPOSED[0]}" "recurse ON; prompt OFF; lcd $GOT; mget *" >/dev/null ||
	fail "mget from ${EXPOSED[0]}"
assert_file_content "$GOT/vms/db/logs/log.txt" "log-1"
assert_eq "$LIVE_SUM" "$(nested_sum "$GOT")" "files read over SMB from the exposed copy"
assert_eq "$LIVE_SUM" "$(nested_sum "$SNAP")" "files of the snapshot tree"
levels=$(snapshot_levels "$SNAP")
printf '%s\n' "$levels"
assert_eq 4 "$(grep -c ' ro=true$' <<<"$levels")" "read-only levels of the copy"
[ "$(stat -c %i "$SNAP/vms/.rvss-snapshots/@GMT-2020.01.01-00.00.00")" = 2 ] ||
	fail "vms's own backup was copied into the copy"
grep -rqE "3 nested subvolume\(s\) snapshotted into .*the whole tree took [0-9.]+ s" "$SAMBA_LOGDIR" ||
	fail "no time of the whole tree logged"
out=$(agent list) || fail "list: $out"
assert_eq 1 "$(grep -c '@GMT-' <<<"$out")" "list: one copy for the tree"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
assert_subvols "$SUBVOLS0" "no subvolume left after delete (ro)"

step "rw set: writable at every level; writes stay in the copy; delete"
create_expose file_share_backup rw vol
SNAP=$(sc_path_of "${SC_IDS[0]}")
levels=$(snapshot_levels "$SNAP")
printf '%s\n' "$levels"
assert_eq 4 "$(grep -c ' ro=false$' <<<"$levels")" "writable levels of the copy"
echo written-in-copy >"$WORK/w.txt"
smbc "${EXPOSED[0]}" "put $WORK/w.txt vms/db/logs/log.txt" >/dev/null ||
	fail "put into the exposed copy's deepest level"
assert_eq written-in-copy "$(smb_get "${EXPOSED[0]}" vms/db/logs/log.txt)" "written file"
assert_file_content "$VOL/vms/db/logs/log.txt" "log-1"
out=$(rpc "fss_recovery_complete $SET_ID")
assert_contains "$out" "marked recovery complete" "recovery"
# the requester's next read seals the copy: every level read-only
assert_eq vm "$(smb_get "${EXPOSED[0]}" vms/vm.txt)" "read after recovery"
levels=$(snapshot_levels "$SNAP")
printf '%s\n' "$levels"
assert_eq 4 "$(grep -c ' ro=true$' <<<"$levels")" "sealed levels of the copy"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
assert_subvols "$SUBVOLS0" "no subvolume left after delete (rw)"
assert_eq "$LIVE_SUM" "$(nested_sum "$VOL")" "live share"

step "retain: one copy of 4 subvolumes; Previous Versions and restore reach nested files"
create_expose backup ro keep >/dev/null
fss_delete_ok keep "$SET_ID" "${SC_IDS[0]}"
samba_log_grep "read-only as a backup" || fail "not retained"
KEPT=$(comm -13 <(echo "$SUBVOLS0") <(list_subvolumes "$MNT"))
printf 'kept:\n%s\n' "$KEPT"
assert_eq 4 "$(grep -c . <<<"$KEPT")" "subvolumes of the retained tree"
T=$(grep -o '@GMT-[0-9.-]*' <<<"$KEPT" | head -n 1)
out=$(agent list) || fail "list: $out"
assert_eq 1 "$(grep -c "$T" <<<"$out")" "list: the retained tree is one copy"
echo log-2 >"$VOL/vms/db/logs/log.txt"
out=$(smbc keep "allinfo vms/db/logs/log.txt") || fail "allinfo: $out"
printf '%s\n' "$out"
assert_contains "$out" "$T" "allinfo of a nested file lists the backup"
assert_eq log-1 "$(smb_get keep "$T/vms/db/logs/log.txt")" "Previous Version of a nested file"
agent restore --force "$VOL/.rvss-snapshots/$T/vms/db/logs/log.txt" \
	"$VOL/vms/db/logs/log.txt" || fail "restore of a nested file"
assert_file_content "$VOL/vms/db/logs/log.txt" "log-1"
agent restore "$VOL/.rvss-snapshots/$T/vms/db" "$VOL/db-restored" ||
	fail "restore of a nested subvolume's tree"
assert_eq "$(nested_sum "$VOL/vms/db")" "$(nested_sum "$VOL/db-restored")" "restored tree"
rm -rf "$VOL/db-restored"
# a copy with a writable snapshot inside is not read from
btrfs property set -ts "$VOL/.rvss-snapshots/$T/vms/db" ro false ||
	fail "clear ro of a nested snapshot"
if out=$(agent restore "$VOL/.rvss-snapshots/$T/top.txt" "$VOL/top-restored.txt"); then
	fail "restore read from a copy with a writable nested snapshot"
fi
assert_contains "$out" "vms/db inside the snapshot is writable" "restore's refusal"
btrfs property set -ts "$VOL/.rvss-snapshots/$T/vms/db" ro true ||
	fail "set ro of a nested snapshot"
assert_eq "$LIVE_SUM" "$(nested_sum "$VOL")" "live share after the restores"
step "retain = 1: a second retained tree; gc prunes the first whole"
create_expose backup ro keep >/dev/null
fss_delete_ok keep "$SET_ID" "${SC_IDS[0]}"
agent gc || fail "gc"
KEPT2=$(comm -13 <(echo "$SUBVOLS0") <(list_subvolumes "$MNT"))
printf 'kept:\n%s\n' "$KEPT2"
assert_eq 4 "$(grep -c . <<<"$KEPT2")" "subvolumes after the prune"
assert_not_contains "$KEPT2" "$T" "the first retained tree is pruned"
SUBVOLS1=$(list_subvolumes "$MNT")

step "kill -9 rpcd_fsrvp in the middle of a nested Commit of big ($BIG_ALL nested)"
step_client_start
sc 'start backup'
assert_hres S_OK start
set=$(jget "$R" set_id)
sc "add $set big"
assert_hres S_OK add
n0=$(btrfs subvolume list "$MNT" | wc -l)
victim=$(rpcd_fsrvp_pids)
[ -n "$victim" ] || fail "no rpcd_fsrvp running"
printf 'commit %s\n' "$set" >&"${STEPC[1]}" || fail "step client gone"
# the kill comes once the top and two levels below it are in place
t0=$(date +%s)
until [ "$(stat -c %i "$BIG"/.rvss-snapshots/@GMT-*/a1/b1 2>/dev/null)" = 256 ]; do
	[ $(($(date +%s) - t0)) -lt 120 ] || fail "no nested Commit under way within 120 s"
done
kill -KILL $victim || fail "kill -9 $victim"
log "kill -9 rpcd_fsrvp $victim inside the Commit"
for i in $(seq 1 100); do
	[ -z "$(rpcd_fsrvp_pids | grep -xF "$victim")" ] && break
	sleep 0.1
done
step_client_vanish
made=$(($(btrfs subvolume list "$MNT" | wc -l) - n0))
echo "killed with $made of $((BIG_ALL + 1)) snapshots made"
[ "$made" -lt $((BIG_ALL + 1)) ] ||
	fail "the Commit had finished before the kill ($made snapshots): not midway"
out=$(agent list) || fail "list: $out"
assert_contains "$out" creating "the killed Commit's record"
sleep 3
out=$(agent gc --grace 2s) || fail "gc failed: $out"
printf '%s\n' "$out"
assert_contains "$out" "reclaim" "gc reclaims the half-made tree"
assert_subvols "$SUBVOLS1" "nothing of the killed Commit left after gc"

step "a new nested set on big works after the kill"
create_expose backup ro big >/dev/null
SNAP=$(sc_path_of "${SC_IDS[0]}")
assert_file_content "$SNAP/a4/b5/c5/f" "4.5.5"
fss_delete_ok big "$SET_ID" "${SC_IDS[0]}"
assert_subvols "$SUBVOLS1" "no subvolume left after the new set's delete"
assert_eq "$LIVE_SUM" "$(nested_sum "$VOL")" "live share at the end"
echo OK
