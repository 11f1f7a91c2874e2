#!/bin/bash
# "fss: prune stale = yes": when rpcd_fsrvp starts it would connect to the
# share of every stored shadow copy without a session (conn->session_info
# == NULL) to see whether the copy still exists.  Samba itself asserts
# session_info != NULL in create_conn_struct_as_root (source3/smbd/msdfs.c,
# 4.17 to 4.25), so rpcd_fsrvp dies before any VFS module -- rvss included --
# is connected; FSRVP is down until the option is removed.  fsrvp_agent
# doctor reports it (RVSS-D004).  This scenario is the canary: it proves the
# crash is Samba's, not rvss's, and fails the day a Samba release survives
# the prune, so that rvss's sessionless connect is then tested here instead.
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up: prune stale on, one exposed set"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo data >"$VOL/data.txt"
chown -R "$ADMIN_UID:rvssit" "$VOL"
smb_conf_begin "fss: prune stale = yes"
add_share vol "$VOL"
make_users
smbd_start
create_expose backup ro vol

step "rpcd_fsrvp restarts and prunes"
kill_rpcd_fsrvp TERM
out=$(rpc "fss_get_sup_version") && ok=1 || ok=0
log "$out"
if [ $ok = 1 ] && ! grep -q "PANIC" "$SAMBA_LOGDIR"/log.rpcd_fsrvp* 2>/dev/null; then
	fail "this Samba survives 'fss: prune stale' (no PANIC): test rvss's sessionless connect here and revise RVSS-D004"
fi
trace=$(grep -h -A20 "PANIC" "$SAMBA_LOGDIR"/log.rpcd_fsrvp* | head -40)
log "$trace"
assert_contains "$trace" "session_info != NULL" "the assert rpcd_fsrvp dies of"
assert_contains "$trace" "create_conn_struct" "where it dies"
assert_not_contains "$trace" "rvss" "a frame of rvss in the crash"

step "doctor flags the option"
agent doctor >"$LOGS/doctor.out" 2>&1 || true
grep -q "RVSS-D004" "$LOGS/doctor.out" || fail "doctor does not flag fss: prune stale: $(cat "$LOGS/doctor.out")"
echo OK
