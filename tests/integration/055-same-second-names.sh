#!/bin/bash
# Snapshot names are unique even for several sets in the same second, and
# every name is a shadow_copy2 token @GMT-YYYY.MM.DD-HH.MM.SS: five sets of
# one share created back to back (an rpcclient cycle takes well under a
# second, so several fall into one second) all succeed, with five distinct
# snapshots, and all five are deleted.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"

step "set-up"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo x >"$VOL/f.txt"
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

step "five sets back to back"
SETS=() SCS=() SNAPS=()
for i in 1 2 3 4 5; do
	create_expose backup ro vol >/dev/null
	SETS+=("$SET_ID")
	SCS+=("${SC_IDS[0]}")
	SNAPS+=("$(sc_path_of "${SC_IDS[0]}")")
done
printf '  %s\n' "${SNAPS[@]}"
assert_eq 5 "$(printf '%s\n' "${SNAPS[@]}" | sort -u | grep -c .)" "distinct snapshots"
for s in "${SNAPS[@]}"; do
	assert_subvol "$s"
	name=$(basename "$s")
	[[ $name =~ ^@GMT-[0-9]{4}\.[0-9]{2}\.[0-9]{2}-[0-9]{2}\.[0-9]{2}\.[0-9]{2}$ ]] ||
		fail "snapshot name $name is not a shadow_copy2 @GMT token"
done

step "delete all five"
for i in 0 1 2 3 4; do
	fss_delete_ok vol "${SETS[$i]}" "${SCS[$i]}"
done
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
echo "OK"
