#!/bin/bash
# The snapshot store is never listed nor openable through ANY share that
# loads rvss (issue 2, "store"), including a share whose tree encloses the
# subvolume of another share: here share "top" is the filesystem's top
# level, and the store of share "vol" (vol/.rvss-snapshots) lies inside it.
# The shadow copies stay reachable only as their exposed shares.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
[ "$RVSS_BACKEND" = rvss ] || skip "rvss hides its store"

step "set-up: share top = filesystem top level, share vol = subvolume in it"
make_btrfs fs
make_share_dir "$MNT/data"
echo top >"$MNT/data/t.txt"
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo secret-v1 >"$VOL/f.txt"
smb_conf_begin
add_share top "$MNT"
add_share vol "$VOL"
make_users
smbd_start

step "a shadow copy of vol"
create_expose backup ro vol
SNAP=$(sc_path_of "${SC_IDS[0]}")
echo "snap_path: $SNAP"
REL=${SNAP#"$MNT"/}	# vol/.rvss-snapshots/@GMT-...
echo secret-v2 >"$VOL/f.txt"

step "through top: the store is not listed"
out=$(smbc top 'ls vol/*') || fail "ls vol/* on top: $out"
assert_contains "$out" f.txt "listing of top/vol"
assert_not_contains "$out" .rvss-snapshots "listing of top/vol"

step "through top: the store and the snapshot are not openable"
for p in "vol/.rvss-snapshots" "${REL%/*}" "$REL"; do
	if out=$(smbc top "cd \"$p\""); then
		assert_contains "$out" NT_STATUS_ "cd $p on top"
	fi
done
if out=$(smbc top "get \"$REL/f.txt\" \"$WORK/leak.txt\""); then
	fail "a file of the store was read through top: $out"
fi
assert_not_exists "$WORK/leak.txt"

step "the copy stays reachable as its exposed share"
assert_eq secret-v1 "$(smb_get "${EXPOSED[0]}" f.txt)" "exposed f.txt"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
echo "OK"
