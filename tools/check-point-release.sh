#!/bin/bash
# A Samba point or security update must not need an rvss rebuild: load the
# module built against one point release of a series into the smbd of
# another point release of the same series, and run full FSRVP cycles
# through it.  Debian ships two 4.22 releases: bookworm-backports (4.22.6)
# and trixie (4.22.11).  The module built for the older one runs under the
# newer one's smbd, as it would after a security update (the other
# direction would also change glibc from 2.41 to 2.36, which no Samba
# update does).
#
#   tools/check-point-release.sh [BUILT-SUITE RUNNING-SUITE]
#
# Both suites must be built (make build SUITE=...).  Prints the scenarios'
# PASS/FAIL lines and "N passed, N failed"; exits non-zero on a failure.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC" || exit 2
built=${1:-bookworm-backports}
running=${2:-trixie}
so=build-$built/rvss.so
[ -f "$so" ] || { echo "rvss: $so not built (make build SUITE=$built)" >&2; exit 2; }

echo "== $so (built for $built's Samba) under $running's smbd"
# The module's own build record against the running smbd: same series,
# another point release -- or this test proves nothing.
out=$(tools/suite.sh "$running" run "build-$built/bin/fsrvp_agent" doctor \
	-s /dev/null --module "/src/$so" 2>&1)
line=$(printf '%s\n' "$out" | grep "built for Samba")
echo "$line"
case $line in
ok*"same series"*) ;;
*) echo "FAIL: doctor does not see one series: $out" >&2; exit 1 ;;
esac
b=$(printf '%s\n' "$line" | sed -n 's/.*built for Samba \([0-9.]*\).*/\1/p')
r=$(printf '%s\n' "$line" | sed -n 's/.*smbd is Samba \([0-9.]*\).*/\1/p')
if [ "$b" = "$r" ]; then
	echo "FAIL: $built and $running have the same Samba ($b): not a point-release test" >&2
	exit 1
fi
echo "built for $b, running $r"

# The harness loads $so from RVSS_BUILDDIR into the running suite's smbd.
RVSS_PASS_ENV="RVSS_IT_LOGS=/src/build/point-release-logs" \
	tools/suite.sh "$running" run tests/integration/run.sh "build-$built" \
	001 010 015 020 100 130 150
