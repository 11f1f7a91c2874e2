#!/bin/sh
# Run every cmocka unit test binary of a build directory; stop at the first
# failure.  Usage: tests/run-unit.sh BUILDDIR
set -eu
builddir=${1:?usage: run-unit.sh BUILDDIR}
found=0
failed=0
for t in "$builddir"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	found=$((found + 1))
	echo "== $t"
	if ! "$t"; then
		failed=$((failed + 1))
		echo "FAILED: $t" >&2
	fi
done
if [ "$found" = 0 ]; then
	echo "no unit test binaries in $builddir/tests/unit" >&2
	exit 1
fi
echo "unit test binaries: $found run, $failed failed"
[ "$failed" = 0 ]
