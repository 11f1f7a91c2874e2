#!/bin/bash
# Delete trusts only rvss's own records, never the path Samba hands over:
# with rpcd_fsrvp stopped, the sc_path of two committed, exposed sets is
# rewritten in Samba's srv_fss.tdb (same length, so the NDR record stays
# well-formed) to
#   A: a live subvolume of the same filesystem holding user data, and
#   B: a foreign read-only snapshot in the store whose name has rvss's own
#      shape (@GMT-2001...), but which rvss did not create;
# after the restart, fss_delete of both is refused, both targets are intact,
# the genuine snapshots are still there (nothing deleted), and the refusal is
# logged with the path.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo live >"$VOL/f.txt"
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start

step "two committed, exposed sets"
create_expose backup ro vol
SET_A=$SET_ID SC_A=${SC_IDS[0]}
SNAP_A=$(sc_path_of "$SC_A")
# vfs_btrfs (harness debugging only) names snapshots by the second
[ "$RVSS_BACKEND" = btrfs ] && sleep 1.1
create_expose backup ro vol
SET_B=$SET_ID SC_B=${SC_IDS[0]}
SNAP_B=$(sc_path_of "$SC_B")
[ -n "$SNAP_A" ] && [ -n "$SNAP_B" ] || fail "no sc_path in srv_fss.tdb"
assert_ne "$SNAP_A" "$SNAP_B" "the two snapshots"
assert_subvol "$SNAP_A"
assert_subvol "$SNAP_B"
echo "snapshots: $SNAP_A $SNAP_B"

step "targets: a live subvolume and a foreign snapshot of rvss's shape"
# A live subvolume whose path has exactly the length of SNAP_A.
pad=$((${#SNAP_A} - ${#MNT} - 1 - 6))
[ "$pad" -ge 0 ] || fail "snap_path $SNAP_A too short to forge"
VICTIM=$MNT/victim$(printf '%*s' "$pad" '' | tr ' ' x)
assert_eq "${#SNAP_A}" "${#VICTIM}" "length of the forged path"
make_subvol "$VICTIM"
mkdir -p "$VICTIM/data"
seq 1 1000 >"$VICTIM/data/precious.txt"
VICTIM_SUM=$(tree_sum "$VICTIM")
# The same name as SNAP_B, in year 2001: rvss's naming, not rvss's record.
FOREIGN=$(echo "$SNAP_B" | sed 's/@GMT-[0-9]\{4\}/@GMT-2001/')
assert_ne "$SNAP_B" "$FOREIGN" "foreign snapshot name"
[ "${#FOREIGN}" = "${#SNAP_B}" ] || fail "foreign path length differs"
mkdir -p "$(dirname "$FOREIGN")"
btrfs subvolume snapshot -r "$VOL" "$FOREIGN" >>"$LOGS/setup.log" 2>&1 ||
	fail "snapshot $FOREIGN"
FOREIGN_SUM=$(tree_sum "$FOREIGN")

step "stop the server, rewrite sc_path in srv_fss.tdb, restart"
smbd_stop
/usr/bin/python3 - "$SMBDIR/lock/srv_fss.tdb" "$SC_A" "$SNAP_A" "$VICTIM" \
	"$SC_B" "$SNAP_B" "$FOREIGN" <<-'PY' || fail "rewriting srv_fss.tdb"
	import os, sys, tdb
	path = sys.argv[1]
	jobs = [sys.argv[2:5], sys.argv[5:8]]
	db = tdb.Tdb(path, 0, tdb.DEFAULT, os.O_RDWR)
	for sc, old, new in jobs:
	    keys = [k for k in db.keys()
	            if k.rstrip(b'\0').decode().endswith('/sc/' + sc)]
	    assert len(keys) == 1, (sc, keys)
	    v = db.get(keys[0])
	    o = b'\0' + old.encode() + b'\0'
	    assert v.count(o) == 1, (sc, v)
	    db.store(keys[0], v.replace(o, b'\0' + new.encode() + b'\0'),
	             tdb.REPLACE)
	    print('rewrote', keys[0].rstrip(b'\0').decode(), old, '->', new)
	db.close()
	PY
assert_eq "$VICTIM" "$(sc_path_of "$SC_A")" "tampered sc_path A"
assert_eq "$FOREIGN" "$(sc_path_of "$SC_B")" "tampered sc_path B"
smbd_start

step "delete A (points at a live subvolume): refused, nothing deleted"
out=$(rpc "fss_delete vol $SET_A $SC_A")
printf '%s\n' "$out"
assert_not_contains "$out" "shadow-copy deleted" "fss_delete of tampered A"
assert_subvol "$VICTIM"
assert_eq "$VICTIM_SUM" "$(tree_sum "$VICTIM")" "victim subvolume content"

step "delete B (points at a foreign snapshot): refused, nothing deleted"
out=$(rpc "fss_delete vol $SET_B $SC_B")
printf '%s\n' "$out"
assert_not_contains "$out" "shadow-copy deleted" "fss_delete of tampered B"
assert_subvol "$FOREIGN"
assert_eq "$FOREIGN_SUM" "$(tree_sum "$FOREIGN")" "foreign snapshot content"

step "the genuine snapshots and the live share are untouched"
assert_subvol "$SNAP_A"
assert_subvol "$SNAP_B"
assert_file_content "$VOL/f.txt" live
if [ "$RVSS_BACKEND" = rvss ]; then
	samba_log_grep "$VICTIM" || fail "refusal of $VICTIM not logged"
	samba_log_grep "$FOREIGN" || fail "refusal of $FOREIGN not logged"
fi
echo "OK"
