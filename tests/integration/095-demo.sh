#!/bin/bash
# make demo keeps working: examples/demo.sh walks the whole FSRVP cycle on
# its own throw-away server and exits 0, with the backup read equal to the
# pre-commit tree and the snapshot gone after delete.
. "$(dirname "$0")/lib.sh" || exit 1
[ "$(id -u)" = 0 ] || skip "needs root (loop devices, mounts, a private smbd)"
LOGS=${RVSS_LOGDIR:-$(mktemp -d)}
out=$LOGS/demo.out
RVSS_LOGDIR= RVSS_IN_NS= bash "$RVSS_SRCDIR/examples/demo.sh" \
	"${RVSS_BUILDDIR:-build}" >"$out" 2>&1
rc=$?
cat "$out"
assert_eq 0 "$rc" "exit status of examples/demo.sh"
for want in "supports shadow copy requests" "exposed as a snapshot of" \
	"the backup equals the share as it was at the commit" \
	"marked recovery complete" "shadow-copy deleted" "Done:"; do
	grep -q -F "$want" "$out" || fail "demo output lacks: $want"
done
echo "OK"
