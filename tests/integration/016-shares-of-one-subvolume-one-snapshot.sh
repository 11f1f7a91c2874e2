#!/bin/bash
# One snapshot per subvolume per set: 64 shares that are directories of one
# subvolume, in one set, get one snapshot with 64 mappings in its catalog
# record; each share is exposed at its own directory inside it with its own
# pre-commit content; each DeleteShareMapping in turn releases one mapping
# and leaves the snapshot (btrfs subvolume list), the last one removes it
# and its record.  Two sets committed back to back get two snapshots.  A
# writable set of two shares: one writable snapshot, both writable.  A kill
# -9 of rpcd_fsrvp between two deletes -- also one that Samba never stored
# -- deletes nothing still mapped and leaks nothing.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

N=${RVSS_IT_SHARES:-64}

step "set-up: one subvolume, $N share directories, $N shares"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
for i in $(seq 1 "$N"); do
	make_share_dir "$VOL/s$i"
	echo "s$i v1" >"$VOL/s$i/f.txt"
done
chown -R "$ADMIN_UID:rvssit" "$VOL"/s*
smb_conf_begin
for i in $(seq 1 "$N"); do
	add_share "sh$i" "$VOL/s$i"
done
make_users
smbd_start
SUBVOLS0=$(list_subvolumes "$MNT")
CATALOG=$(testparm -s --parameter-name='state directory' "$CONF" 2>/dev/null)/rvss.tdb

# snapshots: the snapshot subvolumes rvss made of $VOL (read-only and writable)
snapshots() {
	list_subvolumes "$MNT" | grep -c '/\.rvss-snapshots/\(\.writable/\)\?@GMT-'
}
# mappings SNAPSHOT: how many shares the catalog maps into SNAPSHOT (0: no record)
mappings() {
	/usr/bin/python3 - "$CATALOG" "$1" <<-'EOF'
	import os, sys, tdb
	db = tdb.Tdb(sys.argv[1], 0, tdb.DEFAULT, os.O_RDONLY)
	v = db.get(sys.argv[2].encode() + b'\0')
	print(0 if v is None else 1 + v.count(b'\nmap_snap_path='))
	EOF
}
shares() {	# FROM TO: "shFROM ... shTO"
	local i out=""
	for i in $(seq "$1" "$2"); do out="$out sh$i"; done
	echo "${out# }"
}

step "one set of $N shares of one subvolume: one snapshot, $N mappings"
create_expose backup ro $(shares 1 "$N") >/dev/null
assert_eq 1 "$(snapshots)" "snapshots after Commit of $N shares"
P1=$(sc_path_of "${SC_IDS[0]}")
SNAP=${P1%/s1}
assert_subvol "$SNAP"
for i in $(seq 1 "$N"); do
	assert_eq "$SNAP/s$i" "$(sc_path_of "${SC_IDS[$((i - 1))]}")" "sc_path of sh$i"
done
assert_eq "$N" "$(mappings "$SNAP")" "mappings of $SNAP in the catalog"
out=$(agent list --json) || fail "fsrvp_agent list --json: $out"
assert_contains "$out" "\"shares_mapped\": $N," "fsrvp_agent list --json"
out=$(agent list) || fail "fsrvp_agent list: $out"
assert_contains "$out" "sh1+$((N - 1)) " "fsrvp_agent list"
n_mapped=$(grep -c "mapped .* into snapshot $SNAP" "$SAMBA_LOGDIR/log.rpcd_fsrvp")
assert_eq "$((N - 1))" "$n_mapped" "shares mapped into the first share's snapshot (log)"

step "each exposed share shows its own directory, as it was at Commit"
for i in $(seq 1 "$N"); do
	echo "s$i v2" >"$VOL/s$i/f.txt"
done
for i in 1 2 $((N / 2)) "$N"; do
	assert_eq "s$i v1" "$(smb_get "${EXPOSED[$((i - 1))]}" f.txt)" "f.txt via ${EXPOSED[$((i - 1))]}"
done
out=$(smbc "${EXPOSED[1]}" ls) || fail "ls ${EXPOSED[1]}: $out"
assert_not_contains "$out" " s1 " "listing of ${EXPOSED[1]}"

step "delete each mapping in turn: the snapshot stays until the last"
for i in $(seq 1 "$N"); do
	fss_delete_ok "sh$i" "$SET_ID" "${SC_IDS[$((i - 1))]}"
	if [ "$i" -lt "$N" ]; then
		assert_subvol "$SNAP"
		assert_eq "$((N - i))" "$(mappings "$SNAP")" "mappings after $i delete(s)"
	fi
done
assert_not_exists "$SNAP"
assert_eq 0 "$(mappings "$SNAP")" "record after the last delete"
assert_eq "$SUBVOLS0" "$(list_subvolumes "$MNT")" "subvolumes after the last delete"

step "two sets back to back: two snapshots"
create_expose backup ro sh1 sh2 >/dev/null
SET_A=$SET_ID SC_A=("${SC_IDS[@]}")
create_expose backup ro sh1 sh2 >/dev/null
SET_B=$SET_ID SC_B=("${SC_IDS[@]}")
A=$(sc_path_of "${SC_A[0]}") B=$(sc_path_of "${SC_B[0]}")
echo "  set A: $A, $(sc_path_of "${SC_A[1]}")"
echo "  set B: $B, $(sc_path_of "${SC_B[1]}")"
assert_eq 2 "$(snapshots)" "snapshots of two sets"
assert_ne "${A%/s1}" "${B%/s1}" "the two sets' snapshots"
assert_eq "${A%/s1}/s2" "$(sc_path_of "${SC_A[1]}")" "set A's second share"
assert_eq "${B%/s1}/s2" "$(sc_path_of "${SC_B[1]}")" "set B's second share"
for s in A B; do
	eval "set_id=\$SET_$s sc=(\"\${SC_$s[@]}\")"
	fss_delete_ok sh1 "$set_id" "${sc[0]}"
	fss_delete_ok sh2 "$set_id" "${sc[1]}"
done
assert_eq "$SUBVOLS0" "$(list_subvolumes "$MNT")" "subvolumes after both sets"

step "a writable set of two shares: one writable snapshot, both writable"
create_expose backup rw sh3 sh4 >/dev/null
assert_eq 1 "$(snapshots)" "snapshots of a writable set of two shares"
W=$(sc_path_of "${SC_IDS[0]}")
assert_contains "$W" "/.rvss-snapshots/.writable/@GMT-" "writable snapshot"
assert_eq "${W%/s3}/s4" "$(sc_path_of "${SC_IDS[1]}")" "second share of the writable set"
for k in 0 1; do
	out=$(smbc "${EXPOSED[$k]}" "put /etc/hostname written.txt") ||
		fail "write to ${EXPOSED[$k]}: $out"
done
assert_file_content "${W%/s3}/s3/written.txt" "$(cat /etc/hostname)"
assert_file_content "${W%/s3}/s4/written.txt" "$(cat /etc/hostname)"
fss_delete_ok sh3 "$SET_ID" "${SC_IDS[0]}"
assert_subvol "${W%/s3}"
fss_delete_ok sh4 "$SET_ID" "${SC_IDS[1]}"
assert_eq "$SUBVOLS0" "$(list_subvolumes "$MNT")" "subvolumes after the writable set"

step "kill -9 of rpcd_fsrvp between two deletes, one of them never stored by Samba"
create_expose backup ro sh1 sh2 sh3 >/dev/null
S=$(sc_path_of "${SC_IDS[0]}")
S=${S%/s1}
fss_delete_ok sh1 "$SET_ID" "${SC_IDS[0]}"
cp "$SMBDIR/lock/srv_fss.tdb" "$WORK/srv_fss.before-sh2.tdb"
fss_delete_ok sh2 "$SET_ID" "${SC_IDS[1]}"
kill_rpcd_fsrvp KILL
# as if rpcd_fsrvp died after rvss released sh2's mapping and before
# Samba stored the delete: its state still holds sh2's shadow copy
cp "$WORK/srv_fss.before-sh2.tdb" "$SMBDIR/lock/srv_fss.tdb"
assert_subvol "$S"
assert_eq 1 "$(mappings "$S")" "mappings after two deletes and the crash"
agent gc || fail "fsrvp_agent gc failed"
assert_subvol "$S"
assert_eq 1 "$(mappings "$S")" "mappings after gc"
step "the requester deletes the rest after the restart"
fss_delete_ok sh2 "$SET_ID" "${SC_IDS[1]}"
grep -q "was already released" "$SAMBA_LOGDIR/log.rpcd_fsrvp" ||
	fail "the second delete of sh2 was not recognised as released"
assert_subvol "$S"
fss_delete_ok sh3 "$SET_ID" "${SC_IDS[2]}"
assert_not_exists "$S"
agent gc || fail "fsrvp_agent gc failed"
assert_eq "$SUBVOLS0" "$(list_subvolumes "$MNT")" "nothing left after the crash"
assert_eq 0 "$(mappings "$S")" "no record after the crash"
echo "OK"
