#!/bin/bash
# Run the step-client tests (tests/step/test_*.sh) against the real smbd:
# the FSRVP step client itself and the srv_fss.tdb repairs.
#
#   tests/step/run.sh BUILDDIR
#
# One PASS/FAIL/SKIP line per script, then "N passed, N failed"; exit 77 of
# a script is a skip outside CI and a failure under CI=true.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILDDIR=${1:?usage: tests/step/run.sh BUILDDIR}
case $BUILDDIR in /*) ;; *) BUILDDIR=$SRC/$BUILDDIR ;; esac
LOGS=$BUILDDIR/step-logs
mkdir -p "$LOGS"
passed=0 failed=0 skipped=0
for t in "$HERE"/test_*.sh; do
	name=$(basename "$t" .sh)
	mkdir -p "$LOGS/$name"
	RVSS_BUILDDIR=$BUILDDIR RVSS_LOGDIR=$LOGS/$name bash "$t" >"$LOGS/$name.log" 2>&1 </dev/null
	rc=$?
	if [ $rc = 0 ]; then
		passed=$((passed + 1)); echo "PASS  $name"
	elif [ $rc = 77 ] && [ "${CI:-}" != true ]; then
		skipped=$((skipped + 1)); echo "SKIP  $name"
	else
		failed=$((failed + 1)); echo "FAIL  $name (rc $rc) log: $LOGS/$name.log"
		tail -5 "$LOGS/$name.log" | sed 's/^/      /'
	fi
done
if [ "${CI:-}" = true ]; then
	echo "$passed passed, $failed failed"
else
	echo "$passed passed, $failed failed, $skipped skipped"
fi
[ $failed = 0 ] && [ $((passed + skipped)) -gt 0 ]
