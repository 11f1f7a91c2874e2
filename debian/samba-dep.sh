#!/bin/sh
# The dependency of samba-vfs-rvss on samba (debian/rules, dh_gencontrol):
#
#   debian/samba-dep.sh SAMBA-VERSION SAMBA-SOURCE-TREE RVSS.SO
#
# A range over the series, "samba (>= E:X.Y~), samba (<< E:X.Y+1~)", when
#   - the headers came from a release of the installed samba's own series
#     (the tree's VERSION: X.Y, not a pre-release, not a git snapshot): smbd
#     refuses a module of another VFS interface version, and Samba changes
#     that version, and vfs.h, only from one series to the next; and
#   - rvss.so links no Samba library (no NEEDED samba/private library):
#     Samba's symbols resolve inside smbd, so Debian's per-upload symbol
#     versions of the private libraries cannot break it (scenario 001).
# A point or security update of samba then keeps the module loadable
# (make check-point-release runs the 4.22.6 build under 4.22.11's smbd).
# Otherwise the exact version it was built against, as Debian's own
# samba-vfs-ceph and samba-vfs-glusterfs do.  Prints the dependency.
set -eu
version=$1 tree=$2 so=$3

epoch=
case $version in *:*) epoch=${version%%:*}: ;; esac
upstream=${version#*:}
major=$(echo "$upstream" | cut -d. -f1)
minor=$(echo "$upstream" | cut -d. -f2)

field() { sed -n "s/^SAMBA_VERSION_$1=//p" "$tree/VERSION" | tr -d '"'; }
why=
if [ ! -f "$tree/VERSION" ]; then
	why="no VERSION in $tree"
elif [ "$(field MAJOR).$(field MINOR)" != "$major.$minor" ]; then
	why="headers of Samba $(field MAJOR).$(field MINOR), samba is $major.$minor"
elif [ -n "$(field PRE_RELEASE)" ] || [ -n "$(field RC_RELEASE)" ] ||
	[ "$(field IS_GIT_SNAPSHOT)" = yes ]; then
	why="headers of a Samba pre-release or git snapshot (VERSION of $tree)"
elif readelf -d "$so" | grep NEEDED | grep -q -i -e samba -e smbd -e talloc -e tevent -e tdb; then
	why="$so links a Samba library"
fi
if [ -z "$why" ]; then
	echo "rvss: samba dependency: the $major.$minor series" >&2
	echo "samba (>= $epoch$major.$minor~), samba (<< $epoch$major.$((minor + 1))~)"
else
	echo "rvss: samba dependency: exactly $version ($why)" >&2
	echo "samba (= $version)"
fi
