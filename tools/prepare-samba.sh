#!/bin/sh
# Prepare a Samba source tree that matches the installed smbd exactly, with the
# generated headers an out-of-tree VFS module needs (config.h, librpc/gen_ndr/*).
# The tree is cached per Debian version outside the checkout, so only the first
# build pays (~3 minutes on 2 cores).  Prints the tree's path on stdout.
#
#   RVSS_SAMBA_CACHE   cache directory (default /var/cache/rvss)
#   RVSS_SAMBA_SOURCE  a Samba source tree (directory) or release tarball to
#                      use instead of `apt-get source`: for a Samba that is not
#                      in Debian's archive (Ubuntu, Fedora, a version whose
#                      source the archive does not serve).  Its VERSION must
#                      be of the installed smbd's release series.
set -eu

cache=${RVSS_SAMBA_CACHE:-/var/cache/rvss}
version=$(dpkg-query -W -f='${Version}' samba 2>/dev/null) || {
	echo "rvss: the samba package is not installed (run tools/setup-deps.sh)" >&2
	exit 1
}
upstream=${version#*:}          # 4.17.12+dfsg-0+deb12u4
upstream=${upstream%%+*}        # 4.17.12
upstream=${upstream%%-*}
vers=$(echo "$version" | tr ':' '_')   # no colon in include paths
top="$cache/samba-$vers"
stamp="$top/prepared"

if [ -f "$stamp" ]; then
	cat "$stamp"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "rvss: preparing the Samba source tree needs root (apt-get source/build-dep)" >&2
	exit 1
fi

log="$cache/prepare-$vers.log"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
mkdir -p "$cache"
echo "rvss: preparing Samba $version source tree in $top (log: $log)" >&2

# deb-src entries for apt-get source / build-dep.
src=/etc/apt/sources.list.d/debian.sources
if [ -f "$src" ] && ! grep -q '^Types:.*deb-src' "$src"; then
	sed -i 's/^Types: deb$/Types: deb deb-src/' "$src"
fi
export DEBIAN_FRONTEND=noninteractive
{
	apt-get update -q
	apt-get build-dep -y -q --no-install-recommends "samba=$version"
} >>"$log" 2>&1

# Configure in the final place: waf records absolute paths.
rm -rf "$top"
mkdir -p "$top"
# The archive may index a source package it no longer serves (seen for the
# backports: the .dsc and .debian.tar.xz answer 404, the upstream tarball
# does not).  Then take the upstream tarball alone: the VFS headers are
# upstream's, Debian's patches do not touch them.
if [ -n "${RVSS_SAMBA_SOURCE:-}" ]; then
	given=$RVSS_SAMBA_SOURCE
	if [ -d "$given" ]; then
		mkdir -p "$top/samba-given"
		cp -a "$given/." "$top/samba-given/"
	else
		(cd "$top" && tar xf "$given") >>"$log" 2>&1 ||
			{ echo "rvss: cannot unpack RVSS_SAMBA_SOURCE=$given" >&2; exit 1; }
	fi
	d=$(find "$top" -mindepth 1 -maxdepth 1 -type d -name "samba-*" | head -n 1)
	series() { sed -n 's/^SAMBA_VERSION_\(MAJOR\|MINOR\)=//p' "$1" | paste -sd.; }
	if [ -z "$d" ] || [ "$(series "$d/VERSION")" != "$(echo "$upstream" | cut -d. -f1-2)" ]; then
		echo "rvss: RVSS_SAMBA_SOURCE=$given is not Samba $(echo "$upstream" | cut -d. -f1-2) (VERSION: $(series "$d/VERSION" 2>/dev/null))" >&2
		exit 1
	fi
	echo "rvss: using the Samba source $given for $version" >&2
elif ! (cd "$top" && apt-get source -q "samba=$version") >>"$log" 2>&1; then
	echo "rvss: apt-get source samba=$version failed; using the upstream" \
		"tarball without Debian's patches (see $log)" >&2
	(
		cd "$top"
		find . -mindepth 1 -maxdepth 1 -type d -name 'samba-*' -exec rm -rf {} +
		apt-get source -q --tar-only "samba=$version"
		tar xf samba_*.orig.tar.*
	) >>"$log" 2>&1 || { echo "rvss: no Samba source for $version, see $log" >&2; exit 1; }
fi
srcdir=$(find "$top" -mindepth 1 -maxdepth 1 -type d -name "samba-*" | head -n 1)
[ -n "$srcdir" ] || { echo "rvss: apt-get source samba failed, see $log" >&2; exit 1; }

# Debian's tarball lacks Heimdal's copy of the RFC 3454 tables (DFSG) and
# puts them back with a patch of its own (debian/patches/heimdal-rfc3454.txt);
# Samba's build needs them.  Without this version's debian/ directory, take
# that one patch from the suite's own samba source package.
wind=third_party/heimdal/lib/wind
if [ ! -e "$srcdir/$wind/rfc3454.txt" ] && [ ! -e "$srcdir/$wind/rfc3454.txt-table" ]; then
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	(
		set -e
		mkdir -p "$top/rfc3454"
		cd "$top/rfc3454"
		apt-get source -q --download-only -t "$codename" samba
		tar xf samba_*.debian.tar.* debian/patches/heimdal-rfc3454.txt
		cd "$srcdir"
		patch -p1 --forward <"$top/rfc3454/debian/patches/heimdal-rfc3454.txt"
	) >>"$log" 2>&1 || {
		echo "rvss: cannot put back Heimdal's RFC 3454 tables, see $log" >&2
		exit 1
	}
fi

# Which libraries Samba builds itself: as in the tree's debian/rules when
# it has one; else by release: up to 4.20 Debian used the separate talloc,
# tevent, tdb and ldb packages, since then it builds talloc, tevent and tdb
# from Samba's tree (and a module only needs their headers, never links them).
bundled=
private=
if [ -f "$srcdir/debian/rules" ]; then
	bundled=$(grep -o -- '--bundled-libraries=[^ \\]*' "$srcdir/debian/rules" | head -n 1 || true)
	private=$(grep -o -- '--private-libraries=[^ \\]*' "$srcdir/debian/rules" | head -n 1 || true)
fi
if [ -z "$bundled" ]; then
	minor=$(echo "$upstream" | cut -d. -f2)
	if [ "$minor" -le 20 ]; then
		bundled=--bundled-libraries=NONE,pytevent,ldb
	else
		bundled=--bundled-libraries=talloc,tevent,tdb,cmocka
		private='--private-libraries=!ldb'
	fi
fi

# Debian's own configure options (debian/rules), minus the AD DC and ceph,
# which a VFS module does not need.
(
	cd "$srcdir"
	PYTHON=/usr/bin/python3 ./configure \
		--prefix=/usr \
		--enable-fhs \
		--sysconfdir=/etc \
		--localstatedir=/var \
		--libexecdir=/usr/libexec \
		--libdir=/usr/lib/$multiarch \
		--datadir=/usr/share \
		--with-modulesdir=/usr/lib/$multiarch/samba \
		--with-pammodulesdir=/lib/$multiarch/security \
		--with-privatedir=/var/lib/samba/private \
		--with-smbpasswd-file=/etc/samba/smbpasswd \
		--with-piddir=/run/samba \
		--with-lockdir=/run/samba \
		--with-sockets-dir=/run/samba \
		--with-statedir=/var/lib/samba \
		--with-cachedir=/var/cache/samba \
		--with-pam --with-syslog --with-utmp --with-winbind \
		--with-automount --with-ldap --with-ads --with-gpgme \
		--enable-avahi --enable-spotlight --with-profiling-data \
		--disable-rpath --disable-rpath-install \
		--with-shared-modules=idmap_rid,idmap_ad,idmap_adex,idmap_hash,idmap_ldap,idmap_tdb2,vfs_dfs_samba4,auth_samba4,vfs_nfs4acl_xattr \
		$bundled $private \
		--with-cluster-support \
		--without-ad-dc \
		--disable-cephfs
	PYTHONHASHSEED=1 PYTHON=/usr/bin/python3 ./buildtools/bin/waf build --targets=vfs_btrfs -j"$(nproc)"
) >>"$log" 2>&1 || { echo "rvss: Samba configure/build failed, see $log" >&2; exit 1; }

# The Debian version the tree was prepared for, for the module's build record.
echo "$version" > "$srcdir/.rvss-debian-version"
echo "$srcdir" > "$stamp"
echo "$srcdir"
