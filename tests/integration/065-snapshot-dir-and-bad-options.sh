#!/bin/bash
# rvss options (SPEC 3.1 "where snapshots live", 3.2 operating rules):
#   - "rvss:snapshot dir" relative to the subvolume root, and absolute on
#     the same filesystem outside the subvolume: the snapshot is made there
#     and delete removes it;
#   - a store on another filesystem: refused (FSRVP_E_NOT_SUPPORTED or a
#     failed create), nothing created;
#   - a bad option value ("..", a non-boolean, a bad duration, a bad
#     retain): a clear log line naming the option and a refused connection,
#     never a silent default.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
[ "$RVSS_BACKEND" = rvss ] || skip "rvss options"

step "set-up"
make_btrfs fs
make_subvol "$MNT/a"
make_share_dir "$MNT/a/share"
make_subvol "$MNT/b"
make_share_dir "$MNT/b/share"
make_subvol "$MNT/c"
make_share_dir "$MNT/c/share"
mkdir -p "$MNT/abs-store"
mount_tmpfs "$WORK/other-fs"
for v in a b c; do echo "$v" >"$MNT/$v/share/f.txt"; done
smb_conf_begin
add_share rel "$MNT/a/share" "vfs objects = rvss" \
	"rvss:snapshot dir = .snaps/fsrvp"
add_share abs "$MNT/b/share" "vfs objects = rvss" \
	"rvss:snapshot dir = $MNT/abs-store"
add_share otherfs "$MNT/c/share" "vfs objects = rvss" \
	"rvss:snapshot dir = $WORK/other-fs/store"
add_share bad_dir "$MNT/c/share" "vfs objects = rvss" \
	"rvss:snapshot dir = ../escape"
add_share bad_bool "$MNT/c/share" "vfs objects = rvss" \
	"rvss:hide store = maybe"
add_share bad_duration "$MNT/c/share" "vfs objects = rvss" \
	"rvss:reclaim grace = soon"
add_share bad_retain "$MNT/c/share" "vfs objects = rvss" \
	"rvss:retain = forever"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

for share in rel abs; do
	if [ $share = rel ]; then
		STORE=$MNT/a/.snaps/fsrvp
	else
		STORE=$MNT/abs-store
	fi
	step "$share: the snapshot is made in $STORE"
	create_expose backup ro "$share"
	SNAP=$(sc_path_of "${SC_IDS[0]}")
	assert_contains "$SNAP" "$STORE/" "snap_path of $share"
	out=$(smb_get "${EXPOSED[0]}" f.txt)
	case $share in
	rel) assert_eq a "$out" "exposed f.txt" ;;
	abs) assert_eq b "$out" "exposed f.txt" ;;
	esac
	fss_delete_ok "$share" "$SET_ID" "${SC_IDS[0]}"
	assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after delete"
done

step "otherfs: a store on another filesystem is refused, nothing created"
out=$(rpc "fss_create_expose backup ro otherfs")
assert_not_contains "$out" "exposed as a snapshot" "create on otherfs"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after refused create"
# no file on the other filesystem (rvss may have made the store's empty
# directories there before it found the filesystem wrong)
left=$(find "$WORK/other-fs" -mindepth 1 ! -type d)
[ -z "$left" ] || fail "files created on the other filesystem: $left"
find "$WORK/other-fs" -mindepth 1 -type d | sed 's/^/  directory left on the other filesystem: /'
assert_file_content "$MNT/c/share/f.txt" c

for share in bad_dir bad_bool bad_duration bad_retain; do
	step "$share: the connection is refused"
	if out=$(smbc "$share" ls); then
		fail "connection to $share with a bad rvss option accepted: $out"
	fi
	assert_contains "$out" NT_STATUS_ "tree connect to $share"
done
step "each bad value is named in the log"
for v in "../escape" "maybe" "soon" "forever"; do
	samba_log_grep "$v" || fail "bad value '$v' not named in Samba's logs"
done
echo "OK"
