#!/bin/bash
# The Debian package samba-vfs-rvss for one suite: build, lintian, and the
# administrator's test in a pristine chroot of that suite.
#
#   tools/deb.sh build SUITE   dpkg-buildpackage -b + lintian in the suite's
#                              build chroot (the host for the host's suite);
#                              the .deb lands in build/deb/SUITE/
#   tools/deb.sh test SUITE    tests/package/run.sh in a throw-away overlay of
#                              the suite's pristine chroot (tools/suite.sh
#                              run-clean): apt-get install ./the.deb, an FSRVP
#                              cycle with the installed module, upgrade,
#                              remove, purge
#   tools/deb.sh check SUITE   both, with their wall times
#
# The version is wscript's VERSION plus the suite's tag: +deb12 (bookworm),
# +deb13~bpo12+1 (bookworm-backports), +deb13 (trixie), +deb14~bpo13+1
# (trixie-backports), +deb14 (forky): each suite's build is made for another
# Samba series and so is another package version; a backport is versioned as
# Debian's backports are (the next release's version, ~bpoN+1: lintian
# requires it), so the versions rise along the upgrade path.
# debian/changelog is written into the build copy
# (build/deb/SUITE/rvss-VERSION/), never into the checkout.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"

die() {
	echo "rvss: $*" >&2
	exit 2
}

[ $# -ge 2 ] || { sed -n '2,/^set -e/p' "$0" | sed '$d' >&2; exit 2; }
action=$1 suite=$2
host=$(tools/suite.sh host-suite)
case $suite in
bookworm) tag=deb12 ;;
bookworm-backports) tag=deb13~bpo12+1 ;;
trixie) tag=deb13 ;;
trixie-backports) tag=deb14~bpo13+1 ;;
forky) tag=deb14 ;;
*) die "unknown suite '$suite'" ;;
esac
upstream=$(sed -n "s/^VERSION = '\([^']*\)'$/\1/p" wscript)
[ -n "$upstream" ] || die "no VERSION in wscript"
version=$upstream+$tag
OUT=build/deb/$suite
STAGE=$OUT/rvss-$version

# in_suite CMD...: CMD in the checkout, in the suite's build chroot (paths
# relative to the checkout work in both).
in_suite() {
	if [ "$suite" = "$host" ]; then
		"$@"
	else
		tools/suite.sh "$suite" run "$@"
	fi
}

# The checkout's files (tracked and new, not ignored) copied to STAGE, with
# a changelog of this suite's version.
stage() {
	local maint date
	rm -rf "$OUT"
	mkdir -p "$STAGE"
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard |
			tar --null --ignore-failed-read -T - -cf - 2>/dev/null |
			tar -C "$STAGE" -xf -
	else
		tar --exclude='./build*' --exclude='./.lock-waf-*' --exclude=./.git \
			-cf - . | tar -C "$STAGE" -xf -
	fi
	maint=$(sed -n 's/^Maintainer: //p' debian/control)
	date=$(date -R -u -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
	cat >"$STAGE/debian/changelog" <<-EOF
	rvss ($version) $suite; urgency=medium

	  * rvss $upstream built for $suite's Samba.

	 -- $maint  $date
	EOF
}

# Inside the build chroot (or on the host): the build dependencies, the
# Samba tree, dpkg-buildpackage, lintian.
build_inside() {
	tools/setup-deps.sh >&2
	tools/prepare-samba.sh >/dev/null
	(cd "$STAGE" && dpkg-buildpackage -b -us -uc) || die "dpkg-buildpackage failed"
	echo "== lintian $(dpkg-query -W -f='${Version}' lintian) on $OUT/rvss_${version}_*.changes"
	lintian --fail-on error,warning --display-info \
		"$OUT"/rvss_"${version}"_*.changes || die "lintian: errors or warnings (above)"
	echo "lintian: no errors, no warnings"
}

do_build() {
	stage
	RVSS_PASS_ENV="${RVSS_PASS_ENV:-}" in_suite tools/deb.sh build-inside "$suite"
	rm -rf "$STAGE"
	ls -l "$OUT"/*.deb
	dpkg-deb -f "$OUT/samba-vfs-rvss_${version}_"*.deb Version Depends Built-Using
}

do_test() {
	local deb
	deb=$(ls "$OUT"/samba-vfs-rvss_"${version}"_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || die "no $OUT/samba-vfs-rvss_${version}_*.deb (make deb SUITE=$suite)"
	tools/suite.sh "$suite" run-clean tests/package/run.sh "$deb"
}

case $action in
build) do_build ;;
build-inside) build_inside ;;
test) do_test ;;
check)
	t0=$(date +%s)
	do_build
	t1=$(date +%s)
	do_test
	t2=$(date +%s)
	echo "deb-check $suite: build+lintian $((t1 - t0))s, install test $((t2 - t1))s, total $((t2 - t0))s"
	;;
*) die "unknown action '$action'" ;;
esac
