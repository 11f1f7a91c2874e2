#!/bin/sh
# Install the Debian packages rvss needs to build, test and run its demo, on
# the host or inside a chroot of any supported suite (tools/suite.sh).
# Idempotent: installs only what is missing. Must run as root.
#
# Names that differ between suites are resolved against the archive:
#   samba-vfs-modules   Samba's VFS modules up to 4.20 (bookworm); later a
#                       transitional package (the modules moved into samba),
#                       installed only while the archive still has it;
#   libclang-rt-N-dev   the sanitizer and libFuzzer runtime of the suite's
#                       default clang (14 in bookworm, 19 in trixie, ...).
set -eu

PKGS="samba smbclient samba-testsuite python3-samba python3-tdb
samba-common-bin tdb-tools btrfs-progs libbtrfsutil-dev libcmocka-dev
libtalloc-dev libtevent-dev libtdb-dev build-essential pkg-config dpkg-dev
util-linux mount e2fsprogs attr acl clang gnuplot-nox debootstrap rsync
debhelper fakeroot lintian"

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}

missing=""
for p in $PKGS; do
	installed "$p" || missing="$missing $p"
done
# The clang runtime matching the installed clang, if clang is there.
if command -v clang >/dev/null 2>&1; then
	rt="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
	installed "$rt" || missing="$missing $rt"
fi

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "rvss: missing Debian packages:$missing" >&2
	echo "rvss: run as root, or: apt-get install$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Samba's packages ask nothing interactive with this front end, and must not
# start the system's smbd for us: policy-rc.d keeps services stopped.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Suite-dependent names (see the header).
if ! installed samba-vfs-modules &&
	apt-cache show samba-vfs-modules >/dev/null 2>&1; then
	missing="$missing samba-vfs-modules"
fi
echo "rvss: installing:$missing"
apt-get install -y -q --no-install-recommends $missing
rt="libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
if ! installed "$rt"; then
	echo "rvss: installing: $rt"
	apt-get install -y -q --no-install-recommends "$rt"
fi
