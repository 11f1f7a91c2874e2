#!/bin/sh
# Install the Debian packages rvss needs to build, test and run its demo.
# Idempotent: installs only what is missing. Must run as root.
set -eu

PKGS="samba samba-vfs-modules smbclient samba-testsuite python3-samba
samba-common-bin tdb-tools btrfs-progs libbtrfsutil-dev libcmocka-dev
libtalloc-dev libtevent-dev libtdb-dev build-essential pkg-config dpkg-dev
util-linux e2fsprogs attr acl clang libclang-rt-14-dev gnuplot-nox"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "rvss: missing Debian packages:$missing" >&2
	echo "rvss: run as root, or: apt-get install$missing" >&2
	exit 1
fi

echo "rvss: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Samba's packages ask nothing interactive with this front end, and must not
# start the system's smbd for us: policy-rc.d keeps services stopped.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends $missing
