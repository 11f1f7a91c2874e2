#!/bin/bash
# fsrvp_agent restore never writes outside DEST's real location, whatever
# links a share user planted, and never reads through a link out of the
# snapshot (issue 11, item 7):
#   - DEST a symbolic link to a directory elsewhere: without --force it is
#     refused, with --force the link itself is replaced; nothing lands in
#     the link's target;
#   - a link on the way to DEST: refused, nothing lands in its target;
#   - SOURCE through a link inside the snapshot that leads out of it:
#     refused;
#   - a directory restores whole (new path, and over an existing one with
#     --force), files are reflinks; a writable copy still in use is refused.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"
[ "$RVSS_BACKEND" = rvss ] || skip "fsrvp_agent restore"

step "set-up: a read-only shadow copy of vol, links planted by a user"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
mkdir -p "$VOL/dir/sub"
echo v1 >"$VOL/f.txt"
seq 1 5000 >"$VOL/dir/sub/numbers.txt"
ln -s /etc "$VOL/dir/etc-link"
OUT=$MNT/outside
mkdir "$OUT"
echo keep >"$OUT/keep.txt"
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start
create_expose backup ro vol
SNAP=$(sc_path_of "${SC_IDS[0]}")
[ -n "$SNAP" ] || fail "no snap_path"
assert_file_content "$SNAP/f.txt" v1
echo v2 >"$VOL/f.txt"
# what a share user plants after the copy was made
ln -s "$OUT" "$VOL/link-to-outside"
ln -s "$OUT" "$VOL/linked-dir"
OUT_SUM=$(tree_sum "$OUT")

step "DEST a link to a directory elsewhere, without --force: refused"
if agent restore "$SNAP/f.txt" "$VOL/link-to-outside"; then
	fail "restore onto an existing link without --force succeeded"
fi
assert_eq "$OUT_SUM" "$(tree_sum "$OUT")" "the link's target"
[ -L "$VOL/link-to-outside" ] || fail "the link was changed"

step "the same with --force: the link itself is replaced, its target untouched"
agent restore --force "$SNAP/f.txt" "$VOL/link-to-outside" || fail "restore --force"
[ ! -L "$VOL/link-to-outside" ] || fail "still a link"
assert_file_content "$VOL/link-to-outside" v1
assert_eq "$OUT_SUM" "$(tree_sum "$OUT")" "the link's target"
assert_not_exists "$OUT/f.txt"
assert_not_exists "$OUT/link-to-outside"

step "a link on the way to DEST: refused, with and without --force"
for f in "" --force; do
	if agent restore $f "$SNAP/dir" "$VOL/linked-dir/dir"; then
		fail "restore $f through a link in DEST's path succeeded"
	fi
done
assert_eq "$OUT_SUM" "$(tree_sum "$OUT")" "the link's target"

step "SOURCE through a link inside the snapshot: refused"
if agent restore "$SNAP/dir/etc-link/hostname" "$VOL/hostname"; then
	fail "restore read through a link out of the snapshot"
fi
assert_not_exists "$VOL/hostname"

step "a directory: to a new path, then over an existing directory with --force"
agent restore "$SNAP/dir" "$VOL/dir.restored" || fail "restore dir"
assert_eq "$(seq 1 5000)" "$(cat "$VOL/dir.restored/sub/numbers.txt")" "restored numbers.txt"
[ -L "$VOL/dir.restored/etc-link" ] || fail "the link inside was not restored as a link"
shared=$(btrfs filesystem du --raw "$VOL/dir.restored/sub/numbers.txt" | awk 'NR == 2 { print $3 }')
[ "${shared:-0}" -gt 0 ] || fail "the restored file shares no extents (not a reflink)"
echo extra >"$VOL/dir/extra.txt"
if agent restore "$SNAP/dir" "$VOL/dir"; then
	fail "restore over an existing directory without --force succeeded"
fi
agent restore --force "$SNAP/dir" "$VOL/dir" || fail "restore --force over dir"
assert_not_exists "$VOL/dir/extra.txt"
assert_eq "$(seq 1 5000)" "$(cat "$VOL/dir/sub/numbers.txt")" "numbers.txt after --force"
left=$(find "$VOL" -maxdepth 1 -name '.rvss-restore.*')
[ -z "$left" ] || fail "private directories left: $left"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"

step "a writable copy still in use: refused"
create_expose file_share_backup rw vol
SNAP=$(sc_path_of "${SC_IDS[0]}")
if agent restore "$SNAP/f.txt" "$VOL/from-rw.txt"; then
	fail "restore from a writable copy succeeded"
fi
assert_not_exists "$VOL/from-rw.txt"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
echo "OK"
