#!/bin/bash
# A copy made without auto-recovery (context backup, ro) is read-only from
# birth: btrfs's read-only flag is set at commit, and its exposed share
# refuses every write (new file, overwrite, delete, rename, mkdir) with a
# clean NT status, while reads work.  Afterwards: delete leaves no
# subvolume, the live share is unchanged, a new set works.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up"
life_setup
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start

step "create + expose (backup, ro)"
create_expose backup ro vol
SC=${SC_IDS[0]} X=${EXPOSED[0]}
SNAP=$(sc_path_of "$SC")
[ -n "$SNAP" ] || fail "no sc_path for $SC"
ROOT=$(snap_root_of "$SNAP")
assert_subvol "$ROOT"
assert_eq "ro=true" "$(btrfs property get -ts "$ROOT" ro)" "ro flag from birth"
SNAP_SUM=$(tree_sum "$SNAP")
assert_eq live "$(smb_get "$X" data.txt)" "read through the exposed share"

step "every write is refused with an NT status; the copy does not change"
echo new >"$WORK/new.txt"
for w in "new file|put $WORK/new.txt new.txt" "overwrite|put $WORK/new.txt data.txt" \
	"delete|del data.txt" "rename|rename data.txt renamed.txt" \
	"mkdir|mkdir newdir" "rmdir|rmdir empty"; do
	out=$(smbc "$X" "${w#*|}")
	# smbclient exits 0 after a failed del/rename/mkdir: read its output
	assert_contains "$out" NT_STATUS_ "${w%%|*} on a ro copy: refused"
	echo "${w%%|*}: $(printf '%s\n' "$out" | grep -o 'NT_STATUS_[A-Z_]*' | head -n1)"
done
assert_eq "$SNAP_SUM" "$(tree_sum "$SNAP")" "ro copy unchanged"
assert_eq live "$(smb_get "$X" data.txt)" "read after refused writes"

step "delete; nothing orphaned; live share unchanged; a new set works"
fss_delete_ok vol "$SET_ID" "$SC"
assert_no_orphans
assert_live_unchanged
assert_new_set_works vol
assert_no_orphans
echo OK
