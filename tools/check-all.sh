#!/bin/bash
# make check-all: the whole test suite on every supported Debian suite.
#
#   tools/check-all.sh SUITE...
#
# 1. Prepare every suite at once (chroot, packages, the matching Samba tree,
#    the build, the pristine chroot of the package test): mostly downloads
#    and a compiler per suite, so they overlap.
# 2. Run `make check SUITE=S` for each suite, RVSS_CHECK_JOBS at a time
#    (default 1).  Two at a time is faster (each scenario has its own mount
#    namespace, port and loop devices) but not sound: fsrvp_agent gc counts
#    an rpcd_fsrvp it cannot prove to serve another smb.conf as live (and
#    then trusts no half-written srv_fss.tdb: scenario 147), and another
#    suite's server is such a process; and the load made smbd miss its
#    start-up wait once (101).
#    After each suite's check, its Debian package: `make deb-check SUITE=S`
#    (tools/deb.sh: dpkg-buildpackage + lintian in the suite's chroot, then
#    apt-get install, an FSRVP cycle with the installed module, upgrade,
#    remove and purge in a pristine chroot of the suite).
# Each suite's output goes to build/check-all/S.log and is printed whole when
# the suite ends.  The table at the end gives each suite's Samba, its VFS
# interface version and the wall times; the last line counts the suites.
set -u

SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC" || exit 2
LOGS=$SRC/build/check-all
mkdir -p "$LOGS"
JOBS=${RVSS_CHECK_JOBS:-1}
host=$(tools/suite.sh host-suite)
export CI=${CI:-true}

declare -A prep_rc=() prep_s=() check_rc=() check_s=() deb_rc=() deb_s=()
t_all=$(date +%s)

elapsed() { echo $(($(date +%s) - $1)); }

# --- 1. preparation, all suites at once
echo "check-all: preparing $*"
declare -A pid_of=()
for s in "$@"; do
	(
		t0=$(date +%s)
		make build SUITE="$s" >"$LOGS/$s.prepare.log" 2>&1 &&
			tools/suite.sh "$s" prepare-clean >>"$LOGS/$s.prepare.log" 2>&1
		rc=$?
		echo "$rc $(elapsed "$t0")" >"$LOGS/$s.prepare.rc"
	) &
	pid_of[$s]=$!
done
for s in "$@"; do
	wait "${pid_of[$s]}"
	read -r prep_rc[$s] prep_s[$s] <"$LOGS/$s.prepare.rc"
	if [ "${prep_rc[$s]}" = 0 ]; then
		echo "check-all: $s prepared in ${prep_s[$s]}s"
	else
		echo "check-all: $s: preparation FAILED (rc ${prep_rc[$s]}), last lines of $LOGS/$s.prepare.log:"
		tail -n 30 "$LOGS/$s.prepare.log" | sed 's/^/    /'
	fi
done

# --- 2. the checks, JOBS at a time; beside them, once, the fuzz smoke
# (every libFuzzer target for 60 s on the host: the parsers do not depend on
# the Samba release), niced so that it takes only an idle core
fz_t0=$(date +%s)
(nice -n 10 make fuzz-smoke >"$LOGS/fuzz-smoke.log" 2>&1; echo "$? $(elapsed "$fz_t0")" >"$LOGS/fuzz-smoke.rc") &
fz_pid=$!

install_check() {	# SUITE
	local s=$1 stage=build/check-all/stage-$1 f so line
	echo "== make install SUITE=$s DESTDIR=$stage"
	rm -rf "$stage"
	make install SUITE="$s" DESTDIR="$SRC/$stage" || return 1
	for f in usr/lib/x86_64-linux-gnu/samba/vfs/rvss.so usr/bin/fsrvp_agent \
		usr/share/man/man8/vfs_rvss.8 usr/share/man/man8/fsrvp_agent.8; do
		[ -f "$stage/$f" ] || { echo "FAIL: $stage/$f not installed"; return 1; }
	done
	so=/src/$stage/usr/lib/x86_64-linux-gnu/samba/vfs/rvss.so
	[ "$s" = "$host" ] && so=$SRC/$stage/usr/lib/x86_64-linux-gnu/samba/vfs/rvss.so
	if [ "$s" = "$host" ]; then
		line=$("$stage/usr/bin/fsrvp_agent" doctor -s /dev/null --module "$so" 2>&1 | grep "built for Samba")
	else
		line=$(tools/suite.sh "$s" run "$stage/usr/bin/fsrvp_agent" doctor -s /dev/null --module "$so" 2>&1 | grep "built for Samba")
	fi
	echo "$line"
	case $line in
	ok*"same series"*) echo "PASS: the installed module is $s's Samba's" ;;
	*) echo "FAIL: the installed module is not for $s's smbd"; return 1 ;;
	esac
}

run_check() {	# SUITE
	local s=$1 t0 rc
	t0=$(date +%s)
	make check SUITE="$s" >"$LOGS/$s.check.log" 2>&1
	rc=$?
	# What `make install SUITE=S DESTDIR=X` stages is the module that
	# suite's smbd loads: its build record names the suite's Samba.
	if [ $rc = 0 ]; then
		install_check "$s" >>"$LOGS/$s.check.log" 2>&1 || rc=1
	fi
	echo "$rc $(elapsed "$t0")" >"$LOGS/$s.check.rc"
	# the Debian package of the suite: build, lintian, administrator's test
	t0=$(date +%s)
	make deb-check SUITE="$s" >"$LOGS/$s.deb.log" 2>&1
	echo "$? $(elapsed "$t0")" >"$LOGS/$s.deb.rc"
}

pending=()
for s in "$@"; do
	[ "${prep_rc[$s]}" = 0 ] && pending+=("$s")
done
declare -A running=()
report() {	# SUITE
	local s=$1
	read -r check_rc[$s] check_s[$s] <"$LOGS/$s.check.rc"
	echo
	echo "================ $s: make check ($(
		[ "${check_rc[$s]}" = 0 ] && echo passed || echo "FAILED, rc ${check_rc[$s]}"
	), ${check_s[$s]}s)"
	cat "$LOGS/$s.check.log"
	read -r deb_rc[$s] deb_s[$s] <"$LOGS/$s.deb.rc"
	echo
	echo "================ $s: make deb-check ($(
		[ "${deb_rc[$s]}" = 0 ] && echo passed || echo "FAILED, rc ${deb_rc[$s]}"
	), ${deb_s[$s]}s; apt's and dpkg's progress lines left out)"
	grep -v -E '^(Get:|Selecting|Preparing to unpack|Unpacking|Setting up|Processing triggers|\(Reading database)' \
		"$LOGS/$s.deb.log"
}
while [ ${#pending[@]} -gt 0 ] || [ ${#running[@]} -gt 0 ]; do
	while [ ${#pending[@]} -gt 0 ] && [ ${#running[@]} -lt "$JOBS" ]; do
		s=${pending[0]}
		pending=("${pending[@]:1}")
		echo "check-all: $s: make check started"
		run_check "$s" &
		running[$s]=$!
	done
	wait -n 2>/dev/null || true
	for s in "${!running[@]}"; do
		if ! kill -0 "${running[$s]}" 2>/dev/null; then
			wait "${running[$s]}" 2>/dev/null
			unset "running[$s]"
			report "$s"
		fi
	done
done

wait "$fz_pid"
read -r fz_rc fz_s <"$LOGS/fuzz-smoke.rc"
echo
echo "================ fuzz smoke ($([ "$fz_rc" = 0 ] && echo passed || echo "FAILED, rc $fz_rc"), ${fz_s}s)"
cat "$LOGS/fuzz-smoke.log"

# --- 3. a module built for one point release under another's smbd
pr_rc=skip
if [ "${prep_rc[bookworm-backports]:-1}" = 0 ] && [ "${prep_rc[trixie]:-1}" = 0 ]; then
	echo
	echo "================ point release: bookworm-backports' build under trixie's smbd"
	t0=$(date +%s)
	tools/check-point-release.sh bookworm-backports trixie 2>&1 | tee "$LOGS/point-release.log"
	pr_rc=${PIPESTATUS[0]}
	pr_s=$(elapsed "$t0")
fi

# --- summary
samba_of() {	# SUITE -> "version interface"
	local root=/ v tree
	[ "$1" = "$host" ] || root=${RVSS_SUITE_CACHE:-/var/cache/rvss/chroot}/$1
	v=$(chroot "$root" dpkg-query -W -f='${Version}' samba 2>/dev/null)
	tree=$(cat "$root/var/cache/rvss/samba-$(echo "$v" | tr ':' '_')/prepared" 2>/dev/null)
	echo "${v:-?} $(sed -n 's/^#define SMB_VFS_INTERFACE_VERSION \([0-9]*\).*/\1/p' \
		"$root$tree/source3/include/vfs.h" 2>/dev/null)"
}
echo
printf '%-20s %-34s %-9s %9s %9s %9s  %s\n' suite samba interface prepare check deb result
passed=0 failed=0
for s in "$@"; do
	read -r v iface <<<"$(samba_of "$s")"
	if [ "${prep_rc[$s]}" = 0 ] && [ "${check_rc[$s]:-1}" = 0 ] &&
		[ "${deb_rc[$s]:-1}" = 0 ]; then
		res=passed
		passed=$((passed + 1))
	else
		res=FAILED
		failed=$((failed + 1))
	fi
	printf '%-20s %-34s %-9s %8ss %8ss %8ss  %s\n' "$s" "$v" "${iface:-?}" \
		"${prep_s[$s]:-?}" "${check_s[$s]:--}" "${deb_s[$s]:--}" "$res"
done
case $pr_rc in
0) printf '%-20s %-34s %-9s %9s %8ss %9s  %s\n' point-release "4.22.6 module, 4.22.11 smbd" 50 - "$pr_s" - passed
   passed=$((passed + 1)) ;;
skip) echo "point-release: not run (needs bookworm-backports and trixie)" ;;
*) printf '%-20s %-34s %-9s %9s %8ss %9s  %s\n' point-release "4.22.6 module, 4.22.11 smbd" 50 - "$pr_s" - FAILED
   failed=$((failed + 1)) ;;
esac
if [ "$fz_rc" = 0 ]; then
	printf '%-20s %-34s %-9s %9s %8ss %9s  %s\n' fuzz-smoke "(host, every target 60 s)" - - "$fz_s" - passed
	passed=$((passed + 1))
else
	printf '%-20s %-34s %-9s %9s %8ss %9s  %s\n' fuzz-smoke "(host, every target 60 s)" - - "$fz_s" - FAILED
	failed=$((failed + 1))
fi
echo "check-all: $(elapsed "$t_all")s in all, logs in $LOGS"
echo "suites: $passed passed, $failed failed"
[ "$failed" = 0 ]
