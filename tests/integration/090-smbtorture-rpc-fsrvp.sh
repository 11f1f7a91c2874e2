#!/bin/bash
# Samba's own FSRVP test suite, smbtorture rpc.fsrvp (every subtest this release lists), against
# rvss: three full runs, each from a freshly started server on a fresh
# filesystem; every subtest must pass in every run.  Set-up as Samba's
# selftest (selftest/target/Samba3.pm): share fsrvp_share, "fss: sequence
# timeout = 1" on both sides; the base share also loads shadow_copy2 so
# that the FSRVP copies appear as Previous Versions (subtest enum_created):
# its snapdir is rvss's store, relative to the subvolume root.
# The suite runs as uid 0 (lib.sh's default client), as Samba's selftest
# runs it as its administrator: subtest share_sd reads and rewrites the
# share's security descriptor over srvsvc, and as a plain account holding
# SeBackupPrivilege and SeDiskOperatorPrivilege smbtorture 4.17 crashes
# there (SIGSEGV in security_descriptor_copy, no descriptor returned).  The
# non-root backup operator has its own scenario (035).
export RVSS_ADMIN_USER=root
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
command -v smbtorture >/dev/null 2>&1 || skip "smbtorture not installed (samba-testsuite)"

RUNS=${RVSS_TORTURE_RUNS:-3}
SUBTESTS=$(fsrvp_subtests)
NSUB=$(echo $SUBTESTS | wc -w)
log "rpc.fsrvp subtests of this smbtorture ($NSUB): $SUBTESTS"

for run in $(seq 1 "$RUNS"); do
	step "run $run/$RUNS: fresh filesystem, fresh server"
	make_btrfs "fs$run"
	VOL=$MNT/vol
	make_subvol "$VOL"
	make_share_dir "$VOL"
	FSS_SEQUENCE_TIMEOUT=1 smb_conf_begin
	if [ "$RVSS_BACKEND" = btrfs ]; then
		add_share fsrvp_share "$VOL" \
			"vfs objects = btrfs shadow_copy2" \
			"btrfs:manipulate snapshots = yes" \
			"shadow:snapdir = $VOL/.snapshots"
	else
		add_share fsrvp_share "$VOL" \
			"vfs objects = rvss shadow_copy2" \
			"shadow:snapdir = .rvss-snapshots"
	fi
	make_users
	SUBVOLS_BEFORE=$(list_subvolumes "$MNT")
	smbd_start

	step "run $run/$RUNS: smbtorture rpc.fsrvp"
	out=$LOGS/smbtorture.run$run.log
	timeout -k 10 900 smbtorture "ncacn_np:127.0.0.1" -p "$SMB_PORT" \
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
	n=$(grep -c '^success: ' "$out")
	assert_eq "$NSUB" "$n" "run $run: passed subtests"
	if grep -q -E '^(failure|error|skip|uxsuccess):' "$out"; then
		fail "run $run: failures in $out"
	fi
	assert_eq 0 "$rc" "run $run: smbtorture exit status"

	smbd_stop
	echo "run $run: snapshots left after the suite:"
	comm -13 <(echo "$SUBVOLS_BEFORE") <(list_subvolumes "$MNT") | sed 's/^/  /'
	umount "$MNT" || fail "umount $MNT"
done
echo "OK: $RUNS full runs, $NSUB/$NSUB subtests each"
