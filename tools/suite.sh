#!/bin/bash
# Run a command inside a chroot of a Debian suite, so that rvss is built and
# tested against that suite's own Samba (its smbd, its headers, its clients).
#
#   tools/suite.sh SUITE prepare        create / update the chroot only
#   tools/suite.sh SUITE run CMD...     run CMD in the checkout, inside it
#   tools/suite.sh SUITE shell          an interactive shell there
#   tools/suite.sh SUITE prepare-clean  create the pristine chroot only
#   tools/suite.sh SUITE run-clean CMD... run CMD in a throw-away copy of the
#                                       pristine chroot (see below)
#   tools/suite.sh list                 the suites and what they ship
#   tools/suite.sh host-suite           the suite the host itself is
#
# SUITE: bookworm, bookworm-backports, trixie, trixie-backports, forky.
#
# The chroot (debootstrap --variant=minbase, from the package archive the host
# uses) is cached in $RVSS_SUITE_CACHE/<suite> (default /var/cache/rvss/chroot),
# like the prepared Samba tree, which tools/prepare-samba.sh then keeps inside
# the chroot's own /var/cache/rvss.  Backports suites prefer the backports
# archive for every package it has (what "apt-get -t SUITE-backports" does for
# samba and the libraries it needs).
#
# The pristine chroot ($RVSS_SUITE_CACHE/<suite>.clean) is a second minbase
# debootstrap of the suite that never sees a build, nor the build or test
# packages: an administrator's machine, for the package test
# (tools/deb.sh).  run-clean mounts an overlayfs over it (lower = the
# pristine tree, upper = a fresh temporary directory, removed afterwards), so
# every run starts from the same clean system and costs no copy; the .debs
# apt downloads are kept per suite in $RVSS_SUITE_CACHE/<suite>.apt-archives.
#
# Everything is mounted in a private mount namespace: the checkout on /src,
# the host's /dev, /proc and /sys; the mounts vanish with the command, on any
# exit.  Nothing of the host's Samba is touched.
set -euo pipefail

SUITES="bookworm bookworm-backports trixie trixie-backports forky"
CACHE=${RVSS_SUITE_CACHE:-/var/cache/rvss/chroot}
SRC=$(cd "$(dirname "$0")/.." && pwd)

die() {
	echo "rvss: $*" >&2
	exit 2
}

# codename and backports flag of a suite name
suite_parts() {
	case $1 in
	bookworm | trixie | forky) CODENAME=$1 BACKPORTS= ;;
	bookworm-backports | trixie-backports) CODENAME=${1%-backports} BACKPORTS=1 ;;
	*) die "unknown suite '$1' (one of: $SUITES)" ;;
	esac
}

host_suite() {
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	echo "${codename:-unknown}"
}

# The host's archive URIs (deb822 or one-line sources), so the chroot uses
# the same mirror as the host.
mirror() {	# main|security
	local uri=
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk -v want="$1" '
			/^URIs:/ { u = $2 }
			/^Suites:/ { sec = ($0 ~ /-security/) }
			/^$/ { if (u != "" && ((want == "security") == sec)) { print u; exit } u = "" }
			END { if (u != "" && ((want == "security") == sec)) print u }' \
			/etc/apt/sources.list.d/debian.sources | head -n 1)
	fi
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		if [ "$1" = security ]; then
			uri=$(awk '/^deb / && /-security/ { print $2; exit }' /etc/apt/sources.list)
		else
			uri=$(awk '/^deb / && !/-security/ { print $2; exit }' /etc/apt/sources.list)
		fi
	fi
	if [ -z "$uri" ]; then
		if [ "$1" = security ]; then
			uri=http://deb.debian.org/debian-security
		else
			uri=http://deb.debian.org/debian
		fi
	fi
	echo "$uri"
}

write_sources() {	# ROOT
	local root=$1 main sec
	main=$(mirror main)
	sec=$(mirror security)
	{
		echo "deb $main $CODENAME main"
		echo "deb-src $main $CODENAME main"
		if [ "$CODENAME" != forky ]; then
			echo "deb $main $CODENAME-updates main"
			echo "deb-src $main $CODENAME-updates main"
			echo "deb $sec $CODENAME-security main"
			echo "deb-src $sec $CODENAME-security main"
		fi
		if [ -n "$BACKPORTS" ]; then
			echo "deb $main $CODENAME-backports main"
			echo "deb-src $main $CODENAME-backports main"
		fi
	} >"$root/etc/apt/sources.list"
	rm -f "$root/etc/apt/sources.list.d/debian.sources"
	if [ -n "$BACKPORTS" ]; then
		# Backports are pinned to 100 by the archive; raise them to the
		# priority of the release so the newest version wins, as
		# apt-get -t $CODENAME-backports would for samba and its deps.
		cat >"$root/etc/apt/preferences.d/rvss-backports" <<EOF
Package: *
Pin: release n=$CODENAME-backports
Pin-Priority: 500
EOF
	fi
	# testing's Release files on a snapshot archive may be past their
	# Valid-Until date (ENV.md).
	cat >"$root/etc/apt/apt.conf.d/90rvss" <<EOF
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
Dpkg::Use-Pty "false";
EOF
	# Services never start inside the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
}

# Bind the host's kernel interfaces and the checkout into ROOT.  Called
# inside a private mount namespace only.
mount_chroot() {	# ROOT
	local root=$1
	# unshare -m inside the chroot needs its root to be a mount point.
	mount --bind "$root" "$root"
	mount --bind /dev "$root/dev"
	mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" 2>/dev/null ||
		mount --bind /dev/pts "$root/dev/pts"
	mount -t proc proc "$root/proc"
	mount --rbind /sys "$root/sys"
	mkdir -p "$root/src"
	mount --bind "$SRC" "$root/src"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

prepare() {	# SUITE
	local suite=$1 root=$CACHE/$1 script
	suite_parts "$suite"
	[ "$(id -u)" = 0 ] || die "creating a chroot needs root"
	if [ ! -f "$root/.rvss-ready" ]; then
		command -v debootstrap >/dev/null ||
			{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
		rm -rf "$root"
		mkdir -p "$CACHE"
		script=$CODENAME
		[ -e "/usr/share/debootstrap/scripts/$script" ] || script=sid
		echo "rvss: debootstrap $CODENAME into $root" >&2
		debootstrap --variant=minbase --include=ca-certificates,make,git \
			"$CODENAME" "$root" "$(mirror main)" \
			"/usr/share/debootstrap/scripts/$script" \
			>"$CACHE/$suite.debootstrap.log" 2>&1 ||
			die "debootstrap $CODENAME failed, see $CACHE/$suite.debootstrap.log"
		write_sources "$root"
		touch "$root/.rvss-ready"
	fi
}

# The pristine chroot: debootstrap only, the suite's sources, its package
# lists (so that a run need not fetch them).
prepare_clean() {	# SUITE
	local suite=$1 root=$CACHE/$1.clean script
	suite_parts "$suite"
	[ "$(id -u)" = 0 ] || die "creating a chroot needs root"
	[ -f "$root/.rvss-ready" ] && return 0
	command -v debootstrap >/dev/null ||
		{ DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; }
	rm -rf "$root"
	mkdir -p "$CACHE"
	script=$CODENAME
	[ -e "/usr/share/debootstrap/scripts/$script" ] || script=sid
	echo "rvss: debootstrap $CODENAME into $root (pristine)" >&2
	debootstrap --variant=minbase "$CODENAME" "$root" "$(mirror main)" \
		"/usr/share/debootstrap/scripts/$script" \
		>"$CACHE/$suite.clean.debootstrap.log" 2>&1 ||
		die "debootstrap $CODENAME failed, see $CACHE/$suite.clean.debootstrap.log"
	write_sources "$root"
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		apt-get update -q >>"$CACHE/$suite.clean.debootstrap.log" 2>&1 ||
		die "apt-get update in $root failed"
	chroot "$root" apt-get clean
	touch "$root/.rvss-ready"
}

# Run CMD in /src inside a throw-away overlay of the pristine chroot.
run_clean() {	# SUITE CMD...
	local suite=$1 rc=0
	shift
	prepare_clean "$suite"
	mkdir -p "$CACHE/$suite.apt-archives/partial" "$CACHE/tmp"
	CLEAN_TMP=$(mktemp -d "$CACHE/tmp/$suite.XXXXXX")
	# the upper layer goes on any exit (the mounts go with the namespace)
	trap 'rm -rf --one-file-system "$CLEAN_TMP"' EXIT
	trap 'exit 130' INT TERM HUP
	mkdir -p "$CLEAN_TMP/upper" "$CLEAN_TMP/work" "$CLEAN_TMP/root"
	RVSS_SUITE_NS=$$ unshare -m --propagation private -- \
		"$0" "$suite" run-clean-inner "$CLEAN_TMP" "$@" || rc=$?
	return $rc
}

run_clean_inner() {	# SUITE TMP CMD...
	local suite=$1 tmp=$2 root=$2/root
	shift 2
	mount -t overlay overlay -o "lowerdir=$CACHE/$suite.clean,upperdir=$tmp/upper,workdir=$tmp/work" \
		"$root" || die "overlay mount on $root failed"
	mount_chroot "$root"
	mount --bind "$CACHE/$suite.apt-archives" "$root/var/cache/apt/archives"
	exec chroot "$root" /usr/bin/env -i \
		HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		CI="${CI:-}" RVSS_SUITE="$suite" DEBIAN_FRONTEND=noninteractive \
		${RVSS_PASS_ENV:-} \
		/bin/bash -c 'cd /src && exec "$@"' rvss-clean "$@"
}

# Run CMD in /src inside the chroot, in a private mount namespace.
run_in() {	# SUITE CMD...
	local suite=$1 root=$CACHE/$1
	shift
	prepare "$suite"
	if [ "${RVSS_SUITE_NS:-}" != "$$" ]; then
		export RVSS_SUITE_NS=$$
		exec unshare -m --propagation private -- "$0" "$suite" run "$@"
	fi
	mount_chroot "$root"
	exec chroot "$root" /usr/bin/env -i \
		HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		CI="${CI:-}" RVSS_SUITE="$suite" DEBIAN_FRONTEND=noninteractive \
		${RVSS_PASS_ENV:-} \
		/bin/bash -c 'cd /src && exec "$@"' rvss-suite "$@"
}

case ${1:-} in
list)
	for s in $SUITES; do echo "$s"; done
	exit 0
	;;
host-suite)
	host_suite
	exit 0
	;;
"" | -h | --help)
	sed -n '2,23p' "$0"
	exit 2
	;;
esac

suite=$1
action=${2:-run}
shift 2 || shift $#
case $action in
prepare) prepare "$suite" ;;
prepare-clean) prepare_clean "$suite" ;;
run-clean) [ $# -gt 0 ] || die "run-clean: no command"; run_clean "$suite" "$@" ;;
run-clean-inner)
	[ "${RVSS_SUITE_NS:-}" = "$PPID" ] || die "run-clean-inner is internal"
	run_clean_inner "$suite" "$@"
	;;
run) [ $# -gt 0 ] || die "run: no command"; run_in "$suite" "$@" ;;
shell) run_in "$suite" /bin/bash ;;
*) die "unknown action '$action'" ;;
esac
