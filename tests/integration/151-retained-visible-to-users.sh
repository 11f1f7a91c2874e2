#!/bin/bash
# Retained backups are Previous Versions for the share's ordinary users too
# (SPEC §3.1 retain, issue 3 item 4): with "rvss:retain = yes", a deleted
# ro set is kept as a backup; an unprivileged user who can read the base
# share (rvssuser: no SeBackupPrivilege, not root) sees its @GMT token in
# smbclient's allinfo and reads the old content through @GMT-.../data.txt,
# exactly as the backup operator does.  shadow_copy2 enumerates the store
# (shadow:snapdir = .rvss-snapshots) as the connected user, so the store
# must be listable by the share's users.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up (rvss:retain = yes, shadow_copy2 on the store)"
life_setup
smb_conf_begin
add_share vol "$VOL" "vfs objects = rvss shadow_copy2" \
	"shadow:snapdir = .rvss-snapshots" "rvss:retain = yes"
make_users
smbd_start

step "a ro set of data.txt = old, deleted: kept as a backup"
echo old >"$VOL/data.txt"
create_expose backup ro vol >/dev/null
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
KEPT=$(comm -13 <(echo "$SUBVOLS0") <(list_subvolumes "$MNT"))
assert_eq 1 "$(echo "$KEPT" | grep -c .)" "retained snapshots"
T=$(basename "$KEPT")
echo new >"$VOL/data.txt"

for who in "$ADMIN_USER%$ADMIN_PASS" "$PLAIN_USER%$PLAIN_PASS"; do
	u=${who%%%*}
	step "as $u: allinfo lists $T, and $T/data.txt reads the old content"
	out=$(smbc -u "$who" vol "get data.txt $WORK/cur.$u") || fail "$u cannot read the live data.txt: $out"
	assert_file_content "$WORK/cur.$u" new
	out=$(smbc -u "$who" vol "allinfo data.txt")
	printf '%s\n' "$out" | grep '@GMT-' || true
	assert_contains "$out" "$T" "$u: allinfo data.txt lists the retained backup"
	out=$(smbc -u "$who" vol "get $T/data.txt $WORK/old.$u")
	[ -f "$WORK/old.$u" ] || fail "$u cannot read $T/data.txt: $out"
	assert_file_content "$WORK/old.$u" old
done
echo OK
