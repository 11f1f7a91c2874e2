#!/bin/bash
# One snapshot per subvolume per set, with seal and retain: a writable
# (file_share_backup) set of two shares of one subvolume makes one writable
# snapshot, written through both exposed shares; after RecoveryComplete
# neither exposed share takes a write and the one snapshot carries btrfs's
# read-only flag.  With rvss:retain the first delete only releases its
# mapping (the snapshot stays where it is), the second keeps the copy as
# one read-only backup in the store (both shares' directories in it), one
# record in fsrvp_agent list; a read-only set likewise.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up: one subvolume, shares a and b, rvss:retain = yes"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
for d in a b; do
	make_share_dir "$VOL/$d"
	echo "$d v1" >"$VOL/$d/f.txt"
done
chown -R "$ADMIN_UID:rvssit" "$VOL/a" "$VOL/b"
smb_conf_begin
add_share sa "$VOL/a" "vfs objects = rvss" "rvss:retain = yes"
add_share sb "$VOL/b" "vfs objects = rvss" "rvss:retain = yes"
make_users
smbd_start
STORE=$VOL/.rvss-snapshots

step "writable set of both: one writable snapshot, written through both"
create_expose file_share_backup rw sa sb >/dev/null
PA=$(sc_path_of "${SC_IDS[0]}") PB=$(sc_path_of "${SC_IDS[1]}")
W=${PA%/a}
assert_eq "$W/b" "$PB" "sb's copy is in sa's snapshot"
assert_contains "$W" "$STORE/.writable/@GMT-" "writable snapshot"
assert_subvol "$W"
for k in 0 1; do
	out=$(smbc "${EXPOSED[$k]}" "put /etc/hostname w.txt") || fail "write to ${EXPOSED[$k]}: $out"
done
assert_file_content "$W/a/w.txt" "$(cat /etc/hostname)"
assert_file_content "$W/b/w.txt" "$(cat /etc/hostname)"

step "recovery complete: both exposed shares refuse writes, the snapshot is read-only"
out=$(rpc "fss_recovery_complete $SET_ID")
assert_contains "$out" "marked recovery complete" "fss_recovery_complete"
for k in 0 1; do
	out=$(smbc "${EXPOSED[$k]}" "put /etc/hostname after.txt")
	assert_contains "$out" NT_STATUS_ "write to ${EXPOSED[$k]} after recovery"
done
assert_eq "ro=true" "$(btrfs property get -ts "$W" ro)" "ro flag of the shared snapshot"
assert_not_exists "$W/a/after.txt"
assert_not_exists "$W/b/after.txt"

step "retain: the first delete releases, the second keeps one backup"
fss_delete_ok sa "$SET_ID" "${SC_IDS[0]}"
assert_subvol "$W"
fss_delete_ok sb "$SET_ID" "${SC_IDS[1]}"
assert_not_exists "$W"
mapfile -t KEPT < <(list_subvolumes "$MNT" | grep '/\.rvss-snapshots/@GMT-')
assert_eq 1 "${#KEPT[@]}" "retained backups after the writable set"
K=$MNT/${KEPT[0]}
assert_eq "ro=true" "$(btrfs property get -ts "$K" ro)" "ro flag of the backup"
assert_file_content "$K/a/w.txt" "$(cat /etc/hostname)"
assert_file_content "$K/b/f.txt" "b v1"
out=$(agent list --json) || fail "fsrvp_agent list --json: $out"
assert_contains "$out" '"retained": true' "fsrvp_agent list"
assert_eq 1 "$(printf '%s\n' "$out" | grep -c '"snapshot":')" "records in fsrvp_agent list"

step "a read-only set of both: one snapshot, retained once"
sleep 1	# another second for its name than the backup's
create_expose backup ro sa sb >/dev/null
R=$(sc_path_of "${SC_IDS[0]}")
R=${R%/a}
assert_eq "$R/b" "$(sc_path_of "${SC_IDS[1]}")" "sb's copy is in sa's snapshot"
fss_delete_ok sb "$SET_ID" "${SC_IDS[1]}"
fss_delete_ok sa "$SET_ID" "${SC_IDS[0]}"
assert_subvol "$R"
assert_eq 2 "$(list_subvolumes "$MNT" | grep -c '/\.rvss-snapshots/@GMT-')" "retained backups"
out=$(agent list --json) || fail "fsrvp_agent list --json: $out"
assert_eq 2 "$(printf '%s\n' "$out" | grep -c '"retained": true')" "retained records"
echo "OK"
