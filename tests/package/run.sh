#!/bin/bash
# The administrator's test of the samba-vfs-rvss package, run by
# tools/deb.sh test inside a throw-away overlay of the suite's pristine
# chroot (tools/suite.sh run-clean): a system that has never seen the build.
#
#   tests/package/run.sh DEB
#
# 1. apt-get install ./DEB on the bare system: it must pull in samba (and
#    what the agent links), put rvss.so where this samba's smbd loads
#    modules, fsrvp_agent in /usr/bin, the man pages, docs and examples, the
#    timer unit enabled;
# 2. the test tools (clients, btrfs-progs), then tests/package/scenario.sh:
#    a private smbd loading the INSTALLED module (lib.sh, RVSS_MODULE=
#    installed), an FSRVP cycle with Previous Versions, doctor and check,
#    then upgrade, remove and purge with the user's data checked after each.
# The upgrade installs a re-versioned repack of DEB (dpkg-deb -R, Version
# +upgrade1, dpkg-deb -b): the same files under a newer version, which is
# what dpkg's upgrade path (unpack over the old files, maintainer scripts,
# the timer's enable state) acts on; a second build of the same tree would
# cost a minute more per suite for the same files.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
deb=$1

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
step() {
	printf '\n== [%s] %s\n' "$(date +%T)" "$*"
}
apt_get() {
	# the pristine chroot's package lists may be older than the archive
	apt-get -q -y -o Dpkg::Progress-Fancy=0 "$@" ||
		{ apt-get -q update && apt-get -q -y "$@"; }
}

step "a pristine system"
[ -f "$deb" ] || fail "no package $deb"
! dpkg-query -W samba >/dev/null 2>&1 || fail "samba is already installed: not a pristine chroot"
[ ! -e /var/cache/rvss ] || fail "/var/cache/rvss exists: not a pristine chroot"
grep -m1 PRETTY_NAME /etc/os-release

mkdir -p /tmp/pkg
cp "$deb" /tmp/pkg/
chmod 755 /tmp/pkg
chmod 644 /tmp/pkg/*.deb
DEB=/tmp/pkg/$(basename "$deb")
OLDVER=$(dpkg-deb -f "$DEB" Version)
NEWVER=$OLDVER+upgrade1
step "the upgrade: $OLDVER repacked as $NEWVER"
dpkg-deb -R "$DEB" /tmp/pkg/repack
sed -i "s/^Version: .*/Version: $NEWVER/" /tmp/pkg/repack/DEBIAN/control
dpkg-deb --root-owner-group -b /tmp/pkg/repack "/tmp/pkg/samba-vfs-rvss_${NEWVER}_$(dpkg --print-architecture).deb" >/dev/null
rm -rf /tmp/pkg/repack
chmod 644 /tmp/pkg/*.deb

step "apt-get install ./$(basename "$DEB")"
t0=$(date +%s)
apt_get install "$DEB"
echo "install: $(($(date +%s) - t0))s"
for p in samba samba-vfs-rvss; do
	dpkg-query -W -f='${Package} ${Version} ${Status}\n' "$p"
	dpkg-query -W -f='${Status}' "$p" | grep -q 'install ok installed' ||
		fail "$p is not installed"
done
dpkg-query -W -f='${Depends}\n' samba-vfs-rvss
moddir=$(smbd -b | sed -n 's/^ *MODULESDIR: *//p')/vfs
[ "$moddir" != /vfs ] || fail "smbd -b names no MODULESDIR"
for f in "$moddir/rvss.so" /usr/bin/fsrvp_agent \
	/usr/share/man/man8/vfs_rvss.8.gz /usr/share/man/man8/fsrvp_agent.8.gz \
	/usr/share/doc/samba-vfs-rvss/copyright \
	/usr/share/doc/samba-vfs-rvss/examples/smb.conf.hyperv \
	/usr/share/doc/samba-vfs-rvss/examples/rvss-gc.timer; do
	dpkg -S "$f" | grep -q '^samba-vfs-rvss:' || fail "$f is not samba-vfs-rvss's"
	[ -f "$f" ] || fail "$f is missing"
done
unit=$(dpkg -L samba-vfs-rvss | grep '/systemd/system/rvss-gc.timer$') ||
	fail "no rvss-gc.timer unit in the package"
dpkg -L samba-vfs-rvss | grep -q '/systemd/system/rvss-gc.service$' ||
	fail "no rvss-gc.service unit in the package"
[ -L /etc/systemd/system/timers.target.wants/rvss-gc.timer ] ||
	fail "rvss-gc.timer is not enabled (no timers.target.wants link)"
echo "ok: $moddir/rvss.so, /usr/bin/fsrvp_agent, $unit (enabled)"

step "the timer's job on the fresh install (no systemd here: its ExecStart)"
service=$(dpkg -L samba-vfs-rvss | grep '/systemd/system/rvss-gc.service$')
job=$(sed -n 's/^ExecStart=//p' "$service")
[ -n "$job" ] || fail "no ExecStart in $service"
echo "\$ $job"
# shellcheck disable=SC2086  # the unit's command line, split as systemd does
$job || fail "rvss-gc.service's job fails on a fresh install (rc $?)"

step "the test tools (clients, btrfs, tdb)"
t0=$(date +%s)
apt_get install smbclient btrfs-progs e2fsprogs mount util-linux \
	python3-tdb python3-samba tdb-tools
echo "test tools: $(($(date +%s) - t0))s"

step "the FSRVP scenario with the installed module"
RVSS_MODULE=installed RVSS_DEB_NEW="/tmp/pkg/samba-vfs-rvss_${NEWVER}_$(dpkg --print-architecture).deb" \
	RVSS_LOGDIR=/tmp/logs bash "$HERE/scenario.sh" || {
	echo "--- logs of the scenario"
	tail -n 40 /tmp/logs/samba/log.smbd /tmp/logs/samba/log.rpcd_fsrvp 2>/dev/null
	exit 1
}
echo "PASS: samba-vfs-rvss $OLDVER: install, FSRVP cycle, upgrade, remove, purge"
