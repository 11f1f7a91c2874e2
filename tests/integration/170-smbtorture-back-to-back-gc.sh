#!/bin/bash
# smbtorture rpc.fsrvp three times back to back on ONE running server, with
# only `fsrvp_agent gc` in between (issue 3 item 6).  Its enum_created
# subtest leaves two exposed sets behind on purpose, and the next run's
# enum_created expects zero Previous Versions: gc (--expose-max-age 1s, so
# the exposed leftovers count as abandoned; committed-never-exposed ones
# are dead after "fss: sequence timeout = 1" + rvss:timer slack, 5 s here) must reclaim every
# leftover snapshot and remove the exposed shares, so that every subtest
# pass in each run.  Set-up as 090 (share fsrvp_share, shadow_copy2 on
# rvss's store, run as uid 0 like Samba's selftest).  At the end: nothing
# orphaned, the files made before the runs unchanged (smbtorture writes its
# own test files into the share), a new set works.
export RVSS_ADMIN_USER=${RVSS_ADMIN_USER:-root}
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
command -v smbtorture >/dev/null 2>&1 || skip "smbtorture not installed (samba-testsuite)"
. "$RVSS_LIBDIR/lifecycle.sh"

RUNS=${RVSS_TORTURE_RUNS:-3}
SUBTESTS=$(fsrvp_subtests)
NSUB=$(echo $SUBTESTS | wc -w)
log "rpc.fsrvp subtests of this smbtorture ($NSUB): $SUBTESTS"

step "set-up: one filesystem, one server for all runs"
life_setup
FSS_SEQUENCE_TIMEOUT=1 smb_conf_begin
add_share fsrvp_share "$VOL" "vfs objects = rvss shadow_copy2" \
	"shadow:snapdir = .rvss-snapshots"
add_share vol "$VOL"
make_users
# the files made before the runs (smbtorture adds its own to the share)
own_sum() { (cd "$VOL" && sha256sum data.txt dir/keep.txt dir/sub/numbers.txt); }
OWN_SUM=$(own_sum)
smbd_start
SMBD_FIRST=$SMBD_PID

for run in $(seq 1 "$RUNS"); do
	step "run $run/$RUNS: smbtorture rpc.fsrvp (server pid $SMBD_PID)"
	assert_eq "$SMBD_FIRST" "$SMBD_PID" "the same smbd"
	kill -0 "$SMBD_PID" || fail "smbd $SMBD_PID is gone"
	out=$LOGS/smbtorture.run$run.log
	smbtorture "ncacn_np:127.0.0.1" -p "$SMB_PORT" \
		-U "$ADMIN_USER%$ADMIN_PASS" \
		--option="fss:sequence timeout=1" \
		--option="torture:progress=no" \
		rpc.fsrvp >"$out" 2>&1
	rc=$?
	grep -E '^(success|failure|error|skip|xfail|uxsuccess):' "$out"
	for t in $SUBTESTS; do
		grep -q "^success: fsrvp\.$t\$" "$out" ||
			fail "run $run: subtest $t did not pass (see $out):
$(grep -A8 -E "^(failure|error): fsrvp\.$t" "$out")"
	done
	assert_eq "$NSUB" "$(grep -c '^success: ' "$out")" "run $run: passed subtests"
	if grep -q -E '^(failure|error|skip|uxsuccess):' "$out"; then
		fail "run $run: failures in $out"
	fi
	assert_eq 0 "$rc" "run $run: smbtorture exit status"
	echo "run $run: snapshots left by the suite:"
	comm -13 <(echo "$SUBVOLS0") <(list_subvolumes "$MNT") | sed 's/^/  /'

	step "after run $run: only fsrvp_agent gc (polled until nothing is left)"
	cleaned() {
		agent gc --expose-max-age 1s >/dev/null || fail "fsrvp_agent gc failed"
		[ "$(list_subvolumes "$MNT")" = "$SUBVOLS0" ]
	}
	wait_until 120 "gc reclaims what run $run left" cleaned
	grep -E "^(reclaim|prune|seal)|removed" "$LOGS/agent.log" | sed 's/^/  /' | tail -n 20
	: >"$LOGS/agent.log.run$run" && cat "$LOGS/agent.log" >>"$LOGS/agent.log.run$run" && : >"$LOGS/agent.log"
	out=$(net -s "$CONF" conf listshares 2>&1)
	assert_not_contains "$out" "@{" "exposed shares left in the registry after gc"
done

step "nothing orphaned; the files made before unchanged; a new set works"
assert_no_orphans
assert_eq "$OWN_SUM" "$(own_sum)" "checksums of the files made before the runs"
new_set_try vol || fail "a new set is blocked after the runs: $LAST_BLOCK"
assert_no_orphans
echo "OK: $RUNS runs on one server, $NSUB/$NSUB subtests each, only gc between"
