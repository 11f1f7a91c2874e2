#!/bin/bash
# The share sections of examples/smb.conf.hyperv and examples/smb.conf.sql,
# taken verbatim (only "path" is replaced), load into the real smbd with
# rvss (every rvss option in them parses) and serve a full FSRVP cycle:
# create, expose, read the copy over SMB, recovery complete, delete.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
[ "$RVSS_BACKEND" = rvss ] || skip "the examples are rvss configurations"

# share_lines FILE SECTION: the section's lines, minus path and comments.
share_lines() {
	awk -v s="[$2]" '
		/^\[/ { on = ($1 == s); next }
		on && !/^[[:space:]]*(#|$)/ && !/^[[:space:]]*path[[:space:]]*=/ {
			sub(/^[[:space:]]+/, ""); print
		}' "$1"
}

step "set-up: one subvolume per example, the examples' share sections"
make_btrfs fs
make_subvol "$MNT/vmstore"
make_share_dir "$MNT/vmstore/hyperv"
make_subvol "$MNT/sql"
make_share_dir "$MNT/sql/data"
make_share_dir "$MNT/sql/log"
echo vm >"$MNT/vmstore/hyperv/vm1.vhdx"
echo db >"$MNT/sql/data/db.mdf"
echo log >"$MNT/sql/log/db.ldf"
chown -R "$ADMIN_UID:rvssit" "$MNT/vmstore/hyperv" "$MNT/sql/data" "$MNT/sql/log"
smb_conf_begin
EX=$RVSS_SRCDIR/examples
mapfile -t HV < <(share_lines "$EX/smb.conf.hyperv" hyperv)
mapfile -t SD < <(share_lines "$EX/smb.conf.sql" sqldata)
mapfile -t SL < <(share_lines "$EX/smb.conf.sql" sqllog)
[ "${#HV[@]}" -gt 5 ] && [ "${#SD[@]}" -gt 5 ] && [ "${#SL[@]}" -gt 5 ] ||
	fail "share sections not found in $EX"
add_share hyperv "$MNT/vmstore/hyperv" "${HV[@]}"
add_share sqldata "$MNT/sql/data" "${SD[@]}"
add_share sqllog "$MNT/sql/log" "${SL[@]}"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

for set in "hyperv" "sqldata sqllog"; do
	step "FSRVP cycle on: $set"
	for s in $set; do
		assert_path_supported "$s"
	done
	# shellcheck disable=SC2086
	create_expose file_share_backup rw $set
	i=0
	for s in $set; do
		out=$(smbc "${EXPOSED[$i]}" ls) || fail "ls ${EXPOSED[$i]}: $out"
		assert_contains "$out" "." "listing of ${EXPOSED[$i]}"
		i=$((i + 1))
	done
	out=$(rpc "fss_recovery_complete $SET_ID")
	assert_contains "$out" "marked recovery complete" "recovery complete"
	i=0
	for s in $set; do
		fss_delete_ok "$s" "$SET_ID" "${SC_IDS[$i]}"
		i=$((i + 1))
	done
done
assert_eq vm "$(smb_get hyperv vm1.vhdx)" "hyperv/vm1.vhdx"
assert_eq db "$(smb_get sqldata db.mdf)" "sqldata/db.mdf"
assert_eq log "$(smb_get sqllog db.ldf)" "sqllog/db.ldf"
if [ "$(grep -c 'rvss:retain' "$EX/smb.conf.sql" )" -gt 0 ]; then
	echo "(rvss:retain is set in smb.conf.sql: retained snapshots may remain)"
fi
echo "subvolumes left: $(comm -13 <(echo "$SUBVOLS_BEFORE") <(list_subvolumes "$MNT") | tr '\n' ' ')"
echo "OK"
