#!/bin/bash
# No SMB client can take the store's name, nor move the store away (issue
# 11, items 9 and 10):
#   - before the first Commit, the store's name cannot be made by hard
#     link (SMB2 FileLinkInformation -> linkat) or by symbolic link (SMB1
#     UNIX extensions -> symlinkat), as mkdir already could not; a Commit
#     then works.  (mknodat has no client command: smbclient cannot make
#     a node; the hook is the same check as symlinkat.)
#   - with a two-level "rvss:snapshot dir = .snaps/fsrvp", the first level
#     is hidden and protected as well: not creatable before the store
#     exists, not listed, not renamable after.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
[ "$RVSS_BACKEND" = rvss ] || skip "rvss hides its store"

step "set-up: share vol (subvolume root), share deep (two-level store)"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo v1 >"$VOL/f.txt"
DEEP=$MNT/deep
make_subvol "$DEEP"
make_share_dir "$DEEP"
echo d1 >"$DEEP/f.txt"
# SMB1 for smbclient's "symlink" (UNIX extensions)
smb_conf_begin "server min protocol = NT1" "unix extensions = yes"
add_share vol "$VOL"
add_share deep "$DEEP" "vfs objects = rvss" "rvss:snapshot dir = .snaps/fsrvp"
make_users
smbd_start

step "vol: the store's name by hard link is refused"
out=$(smbc vol 'hardlink f.txt .rvss-snapshots')
assert_contains "$out" NT_STATUS_ "hardlink to .rvss-snapshots"
assert_not_exists "$VOL/.rvss-snapshots"

step "vol: the store's name by symbolic link is refused"
out=$(smbc vol 'hardlink f.txt other.txt')
assert_not_contains "$out" NT_STATUS_ "hardlink to another name (control)"
[ -f "$VOL/other.txt" ] || fail "control hard link not made"
rm -f "$VOL/other.txt"
# smbc1 CMD: smbclient over SMB1 (UNIX extensions) on share vol
smbc1() {
	local out
	out=$(timeout -k 10 "$CLIENT_TIMEOUT" smbclient -s "$CONF" -p "$SMB_PORT" \
		--option='client min protocol = NT1' -m NT1 //127.0.0.1/vol \
		-U "$ADMIN_USER%$ADMIN_PASS" -c "$1" 2>&1)
	printf '[%s] $ smbclient -m NT1 //127.0.0.1/vol -c "%s"\n%s\n' \
		"$(date +%T.%3N)" "$1" "$out" >>"$LOGS/client.log"
	printf '%s\n' "$out"
}
out=$(smbc1 'posix; symlink f.txt sym.txt')
if [ -L "$VOL/sym.txt" ]; then
	rm -f "$VOL/sym.txt"
	out=$(smbc1 'posix; symlink f.txt .rvss-snapshots')
	assert_contains "$out" NT_STATUS_ "symlink to .rvss-snapshots"
	assert_not_exists "$VOL/.rvss-snapshots"
	[ ! -L "$VOL/.rvss-snapshots" ] || fail "symlink .rvss-snapshots made"
else
	fail "smbclient cannot make a symbolic link here (control): $out"
fi

step "vol: a Commit then works"
create_expose backup ro vol
assert_eq v1 "$(smb_get "${EXPOSED[0]}" f.txt)" "exposed f.txt"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"

step "deep: the first level of the store cannot be made before the store"
out=$(smbc deep 'mkdir .snaps')
assert_contains "$out" NT_STATUS_ "mkdir .snaps"
assert_not_exists "$DEEP/.snaps"
out=$(smbc deep 'hardlink f.txt .snaps')
assert_contains "$out" NT_STATUS_ "hardlink to .snaps"
assert_not_exists "$DEEP/.snaps"

step "deep: a Commit makes .snaps/fsrvp; .snaps is neither listed nor renamable"
create_expose backup ro deep
SNAP=$(sc_path_of "${SC_IDS[0]}")
assert_contains "$SNAP" "$DEEP/.snaps/fsrvp/@GMT-" "snap_path of deep"
out=$(smbc deep 'ls')
assert_contains "$out" f.txt "listing of deep"
assert_not_contains "$out" .snaps "listing of deep"
out=$(smbc deep 'rename .snaps moved')
assert_contains "$out" NT_STATUS_ "rename .snaps"
[ -d "$DEEP/.snaps/fsrvp" ] || fail ".snaps/fsrvp moved"
assert_not_exists "$DEEP/moved"
out=$(smbc deep 'rmdir .snaps')
assert_contains "$out" NT_STATUS_ "rmdir .snaps"
assert_eq d1 "$(smb_get "${EXPOSED[0]}" f.txt)" "exposed f.txt of deep"
fss_delete_ok deep "$SET_ID" "${SC_IDS[0]}"
echo "OK"
