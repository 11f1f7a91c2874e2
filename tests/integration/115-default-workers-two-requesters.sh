#!/bin/bash
# Samba's default rpcd_fsrvp:num_workers (5: the line left out), two
# requesters on two workers (issue 11 item 1).  Each worker keeps its own
# sets and rewrites srv_fss.tdb from them: requester B's Commit on worker 1
# drops requester A's exposed set (worker 2's) from the file.  rvss must not
# take that for a dead set: after rvss:reclaim grace, an IsPathSupported
# (the module's reclaim pass) and `fsrvp_agent gc` keep A's snapshot, which
# A's backup reads through its exposed share, and both say why in the log
# ("rpcd_fsrvp:num_workers").  Afterwards both requesters delete their
# copies: nothing orphaned, live share unchanged.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up: no rpcd_fsrvp:num_workers line (Samba's default 5), grace 1s"
life_setup
smb_conf_begin
sed -i '/rpcd_fsrvp:num_workers/d' "$CONF"
add_share vol "$VOL" "vfs objects = rvss" "rvss:reclaim grace = 1s"
make_users
smbd_start
grep -q num_workers "$CONF" && fail "smb.conf still sets rpcd_fsrvp:num_workers"

# Requester B: a second step client on its own connection (fifos; the
# coprocess slot is requester A's).
B_IN=$WORK/b.in
B_OUT=$WORK/b.out
mkfifo "$B_IN" "$B_OUT"
/usr/bin/python3 "$LIFE_STEP_PY" -s "$CONF" -p "$SMB_PORT" \
	-U "$ADMIN_USER%$ADMIN_PASS" <"$B_IN" >"$B_OUT" 2>>"$LOGS/step-b.stderr" &
B_PID=$!
exec {B_W}>"$B_IN" {B_R}<"$B_OUT"
scb() {
	printf '%s\n' "$1" >&"$B_W" || fail "requester B gone before: $1"
	R=
	IFS= read -r -t 120 R <&"$B_R" || fail "requester B: no answer to: $1"
	printf '[%s] B> %s\n< %s\n' "$(date +%T.%3N)" "$1" "$R" >>"$LOGS/step.log"
	printf 'B> %s\n< %s\n' "$1" "$R"
}

step "requester B connects first (worker 1, which reads srv_fss.tdb now)"
scb version
assert_hres S_OK "B version"

step "requester A, on a second worker: create and expose a set"
step_client_start
sc 'start backup'
assert_hres S_OK "A start"
SET_A=$(jget "$R" set_id)
sc "add $SET_A vol"
assert_hres S_OK "A add"
SC_A=$(jget "$R" sc_id)
sc "prepare $SET_A"
assert_hres S_OK "A prepare"
sc "commit $SET_A"
assert_hres S_OK "A commit"
sc "expose $SET_A"
assert_hres S_OK "A expose"
sc "mapping $SET_A $SC_A vol"
assert_hres S_OK "A mapping"
EXPOSED_A=$(jget "$R" exposed_share)
EXPOSED_A=${EXPOSED_A##*\\}
SNAP_A=$(sc_path_of "$SC_A")
[ -n "$SNAP_A" ] || fail "no sc_path for A's $SC_A"
ROOT_A=$(snap_root_of "$SNAP_A")
assert_subvol "$ROOT_A"
assert_eq live "$(smb_get "$EXPOSED_A" data.txt)" "A's backup reads data.txt"

step "requester B commits a set on worker 1: srv_fss.tdb loses A's set"
scb 'start backup'
assert_hres S_OK "B start"
SET_B=$(jget "$R" set_id)
scb "add $SET_B vol"
assert_hres S_OK "B add"
SC_B=$(jget "$R" sc_id)
scb "prepare $SET_B"
assert_hres S_OK "B prepare"
scb "commit $SET_B"
assert_hres S_OK "B commit"
dump=$(tdb_fss_dump)
printf '%s\n' "$dump"
assert_contains "$dump" "set $SET_B" "srv_fss.tdb after B's commit"
assert_not_contains "$dump" "set $SET_A" \
	"srv_fss.tdb after B's commit (the two requesters must be on two workers)"

step "after the grace, IsPathSupported (the module's reclaim pass) keeps A's copy"
sleep 3
assert_path_supported vol
assert_subvol "$ROOT_A"
assert_eq live "$(smb_get "$EXPOSED_A" data.txt)" "A's backup still reads data.txt"
samba_log_grep "kept $ROOT_A" || fail "the module did not log why it kept $ROOT_A"
samba_log_grep "rpcd_fsrvp:num_workers = 5 (Samba's default)" ||
	fail "the module did not log rpcd_fsrvp:num_workers"
grep -h "rpcd_fsrvp:num_workers = 5" "$SAMBA_LOGDIR"/log.* | head -n 1

step "fsrvp_agent gc keeps it too, and says why"
out=$(agent gc --grace 1s) || fail "fsrvp_agent gc failed: $out"
assert_contains "$out" "rpcd_fsrvp:num_workers = 5 (not set: Samba's default)" "gc's note"
assert_contains "$out" "kept $ROOT_A" "gc on A's snapshot"
assert_subvol "$ROOT_A"

step "both requesters finish: A deletes its copy, B exposes and deletes"
sc "delete $SET_A $SC_A vol"
assert_hres S_OK "A delete"
assert_not_exists "$ROOT_A"
scb "expose $SET_B"
assert_hres S_OK "B expose"
scb "delete $SET_B $SC_B vol"
assert_hres S_OK "B delete"
step_client_quit
printf 'quit\n' >&"$B_W"
exec {B_W}>&- {B_R}<&-
wait "$B_PID" 2>/dev/null

step "nothing orphaned; live share unchanged"
assert_no_orphans
assert_live_unchanged
echo OK
