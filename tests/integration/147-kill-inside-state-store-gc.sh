#!/bin/bash
# A kill -9 of rpcd_fsrvp inside Samba's fss_state_store() (it wipes
# srv_fss.tdb and stores db_version before its transaction) leaves the file
# not whole; bench/crash.sh met it.  Simulated here: a committed set, then
# srv_fss.tdb rewritten to db_version alone.  While an rpcd_fsrvp runs (it
# may still hold its sets in memory: a store that failed after the wipe),
# `fsrvp_agent gc` acts on nothing and the snapshot stays.  Once no
# rpcd_fsrvp runs (it was killed), gc reads the file as Samba's next
# rpcd_fsrvp will load it (no sets), says so, and reclaims the snapshot;
# a new set works after, nothing is orphaned, the live share is unchanged.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

# fss_state_killed_in_store: srv_fss.tdb as a kill between Samba's wipe
# and its transaction leaves it (db_version only, as int32).
fss_state_killed_in_store() {
	/usr/bin/python3 - "$SMBDIR/lock/srv_fss.tdb" <<-'EOF' || fail "rewrite srv_fss.tdb"
	import os, struct, sys, tdb
	db = tdb.Tdb(sys.argv[1], 0, tdb.DEFAULT, os.O_RDWR)
	for k in list(db.keys()):
	    db.delete(k)
	db.store(b'db_version\0', struct.pack('<i', 1))
	db.close()
	EOF
}

step "set-up; a committed set (step client)"
life_setup
FSS_SEQUENCE_TIMEOUT=2 smb_conf_begin "rpcd_fsrvp:idle_seconds = 3"
add_share vol "$VOL" "vfs objects = rvss" "rvss:reclaim grace = 2s"
make_users
smbd_start
step_client_start
sc 'start backup'
assert_hres S_OK start
set=$(jget "$R" set_id)
sc "add $set vol"
assert_hres S_OK add
sc=$(jget "$R" sc_id)
sc "commit $set"
assert_hres S_OK commit
root=$(snap_root_of "$(sc_path_of "$sc")")
assert_subvol "$root"

step "srv_fss.tdb left not whole while rpcd_fsrvp runs: gc acts on nothing"
[ -n "$(rpcd_fsrvp_pids)" ] || fail "no rpcd_fsrvp running"
fss_state_killed_in_store
sleep 3
if out=$(agent gc --grace 2s); then
	fail "gc succeeded on a srv_fss.tdb that is not whole with rpcd_fsrvp running: $out"
fi
printf '%s\n' "$out"
assert_contains "$out" "nothing done" "gc with rpcd_fsrvp running"
assert_subvol "$root"

step "kill -9 rpcd_fsrvp: gc reads the file as no sets and reclaims"
kill_rpcd_fsrvp KILL
step_client_vanish
# An rpcd_fsrvp that has exited but is not reaped yet (a zombie: its parent
# samba-dcerpcd may be slow to wait for it under load) holds no state: gc
# must not take it for a live one.  Made here by a parent that does not wait.
/usr/bin/python3 -c '
import ctypes, os, sys, time
pid = os.fork()
if pid == 0:
    ctypes.CDLL(None).prctl(15, b"rpcd_fsrvp", 0, 0, 0)  # PR_SET_NAME
    os._exit(0)
print(pid, flush=True)
time.sleep(120)' >"$WORK/zombie.pid" &
zombie_parent=$!
for i in $(seq 1 50); do
	zpid=$(cat "$WORK/zombie.pid" 2>/dev/null)
	[ -n "$zpid" ] && grep -q '^State:.*Z' "/proc/$zpid/status" 2>/dev/null && break
	sleep 0.1
done
grep -q '^Name:.*rpcd_fsrvp' "/proc/$zpid/status" 2>/dev/null || fail "no zombie rpcd_fsrvp made"
out=$(agent gc --grace 2s) || { kill "$zombie_parent"; fail "gc failed with a zombie rpcd_fsrvp about: $out"; }
kill "$zombie_parent"
wait "$zombie_parent" 2>/dev/null || true
printf '%s\n' "$out"
assert_contains "$out" "no rpcd_fsrvp is running" "gc's note"
assert_contains "$out" "reclaim $root" "gc reclaims the snapshot"
assert_no_orphans
assert_live_unchanged

step "a new set works; nothing orphaned"
new_set_try vol || fail "a new set is blocked: $LAST_BLOCK"
agent gc >/dev/null || fail "final gc failed"
assert_no_orphans
assert_live_unchanged
echo OK
