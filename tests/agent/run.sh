#!/bin/bash
# Shell tests of the fsrvp_agent CLI (check, doctor): exit codes, --json,
# --share through a real private smb.conf, and the btrfs-only rules on a
# loop-mounted btrfs in a private mount namespace.
#
#   tests/agent/run.sh BUILDDIR [PATTERN...]
#
# One line PASS/FAIL/SKIP per script, then "N passed, N failed, N skipped".
# A script exits 77 when a prerequisite is missing (not root, no btrfs);
# under CI=true that counts as a failure.  Logs: BUILDDIR/agent-logs/NAME.log
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILDDIR=${1:?usage: tests/agent/run.sh BUILDDIR [PATTERN...]}
shift
case $BUILDDIR in
/*) ;;
*) BUILDDIR=$SRC/$BUILDDIR ;;
esac
AGENT=$BUILDDIR/bin/fsrvp_agent
if [ ! -x "$AGENT" ]; then
	echo "tests/agent: no $AGENT: build first" >&2
	exit 2
fi
export AGENT BUILDDIR
LOGS=$BUILDDIR/agent-logs
mkdir -p "$LOGS"

passed=0 failed=0 skipped=0
for t in "$HERE"/[0-9][0-9][0-9]-*.sh; do
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		sel=0
		for p in "$@"; do
			case $name in *"$p"*) sel=1 ;; esac
		done
		[ $sel = 1 ] || continue
	fi
	log=$LOGS/$name.log
	bash "$t" >"$log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS $name"
		passed=$((passed + 1))
	elif [ $rc = 77 ] && [ "${CI:-}" != true ]; then
		echo "SKIP $name: $(tail -n 1 "$log")"
		skipped=$((skipped + 1))
	else
		echo "FAIL $name (exit $rc), log $log:"
		tail -n 20 "$log" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "agent tests: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ] && [ $passed -gt 0 ]
