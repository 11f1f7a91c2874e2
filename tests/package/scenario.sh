#!/bin/bash
# The installed samba-vfs-rvss in use (tests/package/run.sh runs it, after
# apt-get install): a private smbd (tests/integration/lib.sh with
# RVSS_MODULE=installed) loads rvss.so from Samba's own module directory,
# nothing mounted over it; fsrvp_agent is /usr/bin's.
#
#   1. doctor and check from /usr/bin; a file_share_backup set (rw) is
#      created, exposed, read, recovered and deleted, and kept as a backup
#      (rvss:retain): a Previous Version of data.txt over SMB;
#   2. upgrade to RVSS_DEB_NEW while smbd runs, restart: the rvss.tdb
#      records and the retained backup are unchanged and still a Previous
#      Version; a new (ro) set works and is retained too;
#   3. apt-get remove: the module and the agent are gone, the records and
#      the backups stay;
#   4. apt-get purge: no file the package installed is left (dpkg -L of the
#      installed package, the timer's enable links, dpkg's own files), no
#      file appeared, and the user's data is as before.
. "$(dirname "$0")/../integration/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"
[ -n "${RVSS_DEB_NEW:-}" ] && [ -f "$RVSS_DEB_NEW" ] || fail "RVSS_DEB_NEW: no package to upgrade to"

MODDIR=$(rvss_vfs_moddir)

# fs_list: every path of the system, but the volatile ones (apt and dpkg
# state, logs, /tmp with this scenario's work directory, the checkout).
fs_list() {
	find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run \
		-o -path /src -o -path /tmp -o -path /root -o -path /var/log \
		-o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg \
		-o -path /var/lib/samba \) -prune -o -print | LC_ALL=C sort
}

# user_data: what the user owns -- the subvolumes of the btrfs, the live
# share and each retained backup (checksums), rvss's catalog records.
user_data() {
	local s
	list_subvolumes "$MNT"
	echo "live $(tree_sum "$VOL")"
	for s in "$STORE"/@GMT-*; do
		[ -e "$s" ] && echo "backup $(basename "$s") $(tree_sum "$s")"
	done
	echo "catalog:"
	tdbdump "$SMBDIR/state/rvss.tdb" | LC_ALL=C sort
}

step "set-up: a share on btrfs with rvss:retain, smbd with the installed module"
[ -f "$MODDIR/rvss.so" ] || fail "$MODDIR/rvss.so is not installed"
mountpoint -q "$MODDIR" && fail "$MODDIR is a mount point: not the installed module"
[ "$(command -v fsrvp_agent)" = /usr/bin/fsrvp_agent ] || fail "fsrvp_agent is not /usr/bin's"
assert_eq /usr/bin/fsrvp_agent "$AGENT" "the scenario's agent"
life_setup
STORE=$VOL/.rvss-snapshots
smb_conf_begin
add_share vol "$VOL" "vfs objects = rvss shadow_copy2" \
	"shadow:snapdir = .rvss-snapshots" "rvss:retain = 5"
make_users
smbd_start

step "fsrvp_agent doctor and check (/usr/bin)"
out=$(agent doctor) || fail "fsrvp_agent doctor: $out"
printf '%s\n' "$out"
assert_contains "$out" "$MODDIR/rvss.so built for Samba" "doctor reads the installed module"
assert_contains "$out" "same series" "doctor: the installed module is this smbd's"
# the test share holds plain files at its root: not a Hyper-V/SQL layout
# (ONTAP's rule RVSS-L009), which check reports with exit code 1
rc=0
out=$(agent check --share vol) || rc=$?
printf '%s\n' "$out"
assert_eq 1 "$rc" "fsrvp_agent check --share vol exit code"
assert_contains "$out" "RVSS-L009 data.txt" "check's finding"

step "an FSRVP cycle: create + expose (rw), read, recovery complete, delete"
echo "version 1" >"$VOL/data.txt"
chown "$ADMIN_UID:rvssit" "$VOL/data.txt"
create_expose file_share_backup rw vol >/dev/null
# rpcd_fsrvp, which made the snapshot, has the installed file mapped
loaded=
for p in $(rpcd_fsrvp_pids); do
	grep -q " $MODDIR/rvss.so\$" "/proc/$p/maps" && loaded=$p
done
[ -n "$loaded" ] || fail "no rpcd_fsrvp of ours maps $MODDIR/rvss.so"
echo "rpcd_fsrvp $loaded maps $MODDIR/rvss.so"
assert_eq "version 1" "$(smb_get "${EXPOSED[0]}" data.txt)" "data.txt in the exposed copy"
out=$(rpc "fss_recovery_complete $SET_ID")
assert_contains "$out" "marked recovery complete" "recovery complete"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
samba_log_grep "read-only as a backup" || fail "the deleted copy was not retained"
agent gc >/dev/null || fail "fsrvp_agent gc"
mapfile -t KEPT < <(ls -d "$STORE"/@GMT-* 2>/dev/null)
assert_eq 1 "${#KEPT[@]}" "retained backups"
T1=$(basename "${KEPT[0]}")
echo "version 2" >"$VOL/data.txt"

step "Previous Versions: $T1"
out=$(smbc vol "allinfo data.txt") || fail "allinfo: $out"
assert_contains "$out" "$T1" "allinfo data.txt lists the backup"
assert_eq "version 1" "$(smb_get vol "$T1/data.txt")" "$T1/data.txt over SMB"
assert_eq "version 2" "$(smb_get vol data.txt)" "live data.txt over SMB"
DATA1=$(user_data)
printf '%s\n' "$DATA1"
grep -q '^{' <<<"$(tdbdump "$SMBDIR/state/rvss.tdb")" || fail "rvss.tdb holds no record"

step "upgrade to $(dpkg-deb -f "$RVSS_DEB_NEW" Version), smbd running"
old=$(dpkg-query -W -f='${Version}' samba-vfs-rvss)
apt-get -q -y install "$RVSS_DEB_NEW" >>"$LOGS/apt.log" 2>&1 || fail "apt-get install $RVSS_DEB_NEW: $(tail -n 5 "$LOGS/apt.log")"
new=$(dpkg-query -W -f='${Version}' samba-vfs-rvss)
assert_eq "$(dpkg-deb -f "$RVSS_DEB_NEW" Version)" "$new" "version after the upgrade"
echo "upgraded $old -> $new"
[ -L /etc/systemd/system/timers.target.wants/rvss-gc.timer ] || fail "rvss-gc.timer no longer enabled"
assert_eq "$DATA1" "$(user_data)" "records and backups after the upgrade"
smbd_restart
assert_eq "version 1" "$(smb_get vol "$T1/data.txt")" "$T1/data.txt after the upgrade"
create_expose backup ro vol >/dev/null
assert_eq "version 2" "$(smb_get "${EXPOSED[0]}" data.txt)" "data.txt in a set after the upgrade"
fss_delete_ok vol "$SET_ID" "${SC_IDS[0]}"
agent gc >/dev/null || fail "fsrvp_agent gc after the upgrade"
mapfile -t KEPT < <(ls -d "$STORE"/@GMT-* 2>/dev/null)
assert_eq 2 "${#KEPT[@]}" "retained backups after a set made after the upgrade"
out=$(agent doctor) || fail "doctor after the upgrade: $out"
DATA2=$(user_data)
smbd_stop

step "apt-get remove"
PKG_FILES=$(dpkg -L samba-vfs-rvss | LC_ALL=C sort)
BEFORE=$(fs_list)
apt-get -q -y remove samba-vfs-rvss >>"$LOGS/apt.log" 2>&1 || fail "apt-get remove: $(tail -n 5 "$LOGS/apt.log")"
for f in "$MODDIR/rvss.so" /usr/bin/fsrvp_agent; do
	assert_not_exists "$f"
done
assert_eq "$DATA2" "$(user_data)" "records and backups after remove"

step "apt-get purge"
apt-get -q -y purge samba-vfs-rvss >>"$LOGS/apt.log" 2>&1 || fail "apt-get purge: $(tail -n 5 "$LOGS/apt.log")"
dpkg-query -W -f='${Status}' samba-vfs-rvss 2>/dev/null | grep -q 'installed' &&
	fail "samba-vfs-rvss still known to dpkg: $(dpkg-query -W -f='${Status}' samba-vfs-rvss)"
AFTER=$(fs_list)
left=$(while read -r f; do
	[ -d "$f" ] && continue	# directories (/usr/bin, ..., /lib -> usr/lib)
	[ -e "$f" ] || [ -L "$f" ] && echo "$f"
done <<<"$PKG_FILES")
[ -z "$left" ] || fail "files of the package left after purge: $left"
for d in /usr/share/doc/samba-vfs-rvss; do
	assert_not_exists "$d"
done
ls /var/lib/dpkg/info/samba-vfs-rvss.* 2>/dev/null && fail "dpkg's files of the package left"
gone=$(comm -23 <(echo "$BEFORE") <(echo "$AFTER"))
appeared=$(comm -13 <(echo "$BEFORE") <(echo "$AFTER"))
echo "removed by remove + purge:"
printf '  %s\n' $gone
[ -z "$appeared" ] || fail "files appeared with remove/purge: $appeared"
# every path removed is the package's, or the timer's enable state
while read -r f; do
	[ -n "$f" ] || continue
	grep -qxF "$f" <<<"$PKG_FILES" && continue
	case $f in
	*rvss-gc*) continue ;;
	esac
	fail "remove/purge removed $f, which is not samba-vfs-rvss's"
done <<<"$gone"
# (but tools/suite.sh's own: the mark of a finished pristine chroot and
# its apt set-up)
stray=$(printf '%s\n' "$AFTER" | grep -v -e '^/\.rvss-ready$' -e '^/etc/apt/' |
	grep -i -e rvss -e fsrvp_agent || true)
[ -z "$stray" ] || fail "paths named after rvss left after purge: $stray"
assert_eq "$DATA2" "$(user_data)" "records and backups after purge"
echo "user's data after purge:"
printf '%s\n' "$DATA2"
echo OK
