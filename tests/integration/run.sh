#!/bin/bash
# Run every integration scenario (tests/integration/NNN-*.sh) against the
# real smbd with BUILDDIR/rvss.so, one numbered log directory each.
#
#   tests/integration/run.sh BUILDDIR [PATTERN...]
#
# PATTERN selects scenarios by substring ("010", "smbtorture").  Logs go to
# $RVSS_IT_LOGS (default BUILDDIR/integration-logs/<scenario>/), and are kept.
# Prints one PASS/FAIL/SKIP line per scenario and ends with
# "N passed, N failed" (", N skipped" outside CI; under CI=true a skip is a
# failure).  Exits non-zero on any failure.  Each scenario stops at its own
# first failure; the runner goes on with the next scenario unless
# RVSS_STOP_AT_FIRST_FAILURE=1.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILDDIR=${1:-build}
shift || true
case $BUILDDIR in
/*) ;;
*) BUILDDIR=$SRC/$BUILDDIR ;;
esac
LOGROOT=${RVSS_IT_LOGS:-$BUILDDIR/integration-logs}
mkdir -p "$LOGROOT"

passed=0 failed=0 skipped=0
start_all=$(date +%s)
for t in "$HERE"/[0-9][0-9][0-9]-*.sh; do
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		sel=0
		for p in "$@"; do
			case $name in *"$p"*) sel=1 ;; esac
		done
		[ $sel = 1 ] || continue
	fi
	dir=$LOGROOT/$name
	rm -rf "$dir"
	mkdir -p "$dir"
	t0=$(date +%s)
	# timeout: a guard against a hung scenario, not a timing assertion
	# (TERM runs the scenario's own cleanup; its watchdog covers KILL)
	RVSS_BUILDDIR=$BUILDDIR RVSS_LOGDIR=$dir RVSS_IN_NS= \
		timeout -k 30 "${RVSS_SCENARIO_TIMEOUT:-1200}" \
		bash "$t" >"$dir/output.log" 2>&1 </dev/null
	rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "FAIL: scenario timed out (RVSS_SCENARIO_TIMEOUT)" >>"$dir/output.log"
	fi
	secs=$(($(date +%s) - t0))
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		printf 'PASS  %-40s (%ss)\n' "$name" "$secs"
	elif [ $rc = 77 ] && [ "${CI:-}" != true ]; then
		skipped=$((skipped + 1))
		printf 'SKIP  %-40s %s\n' "$name" \
			"$(grep -m1 '^SKIP' "$dir/output.log")"
	else
		failed=$((failed + 1))
		printf 'FAIL  %-40s (%ss, rc %s) log: %s\n' "$name" "$secs" "$rc" \
			"$dir/output.log"
		# the failure message, without the log tails that follow it
		awk '/^FAIL/ { on = 1 } /^---/ { on = 0; next } on' \
			"$dir/output.log" | head -n 6 | sed 's/^/      /'
		if [ "${RVSS_STOP_AT_FIRST_FAILURE:-}" = 1 ]; then
			break
		fi
	fi
done
if [ $((passed + failed + skipped)) = 0 ]; then
	echo "no scenario selected" >&2
	failed=1
fi
echo "integration: $(($(date +%s) - start_all))s, logs in $LOGROOT"
if [ "${CI:-}" = true ]; then
	echo "$passed passed, $failed failed"
else
	echo "$passed passed, $failed failed, $skipped skipped"
fi
[ $failed = 0 ]
