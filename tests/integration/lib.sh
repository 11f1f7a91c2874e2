# shellcheck shell=bash
# rvss integration harness: Debian's own smbd with rvss.so on a throw-away
# loop-mounted btrfs, inside a private mount namespace.  Sourced by every
# scenario (tests/integration/NNN-*.sh) and by examples/demo.sh.
#
# What it isolates (see README.md next to this file):
#   - a private mount namespace (unshare -m --propagation private; the script
#     re-executes itself inside it), so every mount below is invisible to the
#     machine and vanishes with the last process of the namespace;
#   - the VFS module directory: Samba 4.17 loads modules only from its
#     compiled-in directory, so a private copy of Debian's modules plus our
#     rvss.so is bind-mounted over it (inside the namespace only) -- unless
#     RVSS_MODULE=installed: then smbd loads the rvss.so installed there (by
#     the samba-vfs-rvss package) and nothing is mounted over it;
#   - /etc/passwd, /etc/group, /etc/shadow: private copies with the test users
#     appended, bind-mounted over the real ones (inside the namespace only);
#   - a private smb.conf, with its own lock/state/private/cache/pid/ncalrpc
#     directories and log file, listening on 127.0.0.1 on a free high port.
# Everything started is stopped by PID, every loop device attached is
# detached, every temporary directory is removed (on any exit, by trap).
#
# Environment:
#   RVSS_BUILDDIR   build directory holding rvss.so (default: build)
#   RVSS_MODULE     build (default): BUILDDIR/rvss.so and BUILDDIR/bin/
#                   fsrvp_agent; installed: the rvss.so in Samba's module
#                   directory and /usr/bin/fsrvp_agent, both owned by the
#                   installed samba-vfs-rvss package (tests/package/)
#   RVSS_LOGDIR     where to keep this scenario's logs (default: WORK/logs,
#                   kept after the run when set)
#   RVSS_BACKEND    rvss (default) or btrfs: Debian's vfs_btrfs, only to
#                   debug the harness itself
#   RVSS_KEEP=1     keep the work directory (not the mounts) for inspection
#   CI=true         a missing prerequisite is a failure, not a skip

RVSS_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RVSS_SRCDIR=$(cd "$RVSS_LIBDIR/../.." && pwd)

# Samba's compiled-in module directory, asked of smbd itself.
rvss_vfs_moddir() {
	local d
	d=$(smbd -b 2>/dev/null | sed -n 's/^ *MODULESDIR: *//p')
	echo "${d:-/usr/lib/x86_64-linux-gnu/samba}/vfs"
}

# Error codes (MS-FSRVP 2.2.4 / winerror.h)
FSRVP_E_NOT_SUPPORTED=0x8004230c
E_ACCESSDENIED=0x80070005

# The privileged FSRVP client of the scenarios: root's Samba account by
# default (uid 0, which Samba treats as an administrator).
# RVSS_ADMIN_USER=rvssadmin runs every scenario as the backup operator.
ADMIN_USER=${RVSS_ADMIN_USER:-root}
# Longest a single client command may take before it counts as hung (s).
CLIENT_TIMEOUT=${RVSS_CLIENT_TIMEOUT:-300}
ADMIN_PASS='Adm1n-pass!'
# The backup operator: a plain Unix account holding SeBackupPrivilege (and
# SeDiskOperatorPrivilege), as a Windows backup service account would be.
BACKUP_USER=rvssadmin
BACKUP_PASS=$ADMIN_PASS
PLAIN_USER=rvssuser
PLAIN_PASS='Us3r-pass!'

# ---------------------------------------------------------------- output

log() {
	printf '%s\n' "$*" >&2
}

step() {
	printf '\n== [%s] %s\n' "$(date +%T.%3N)" "$*"
}

# fail MSG: print MSG and the tail of the Samba log, then exit 1 (cleanup
# runs from the EXIT trap).
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	local f
	for f in "${SAMBA_LOGDIR:-/nonexistent}"/log.rpcd_fsrvp \
		"${SAMBA_LOGDIR:-/nonexistent}"/log.smbd; do
		[ -f "$f" ] || continue
		printf -- '--- last 25 lines of %s\n' "$f" >&2
		tail -n 25 "$f" >&2
	done
	printf -- '---\n' >&2
	# Called inside $(...): the subshell's exit would not end the
	# scenario, so tell the main shell (its USR1 trap exits 1).
	if [ "${BASHPID:-$$}" != "$$" ]; then
		kill -USR1 "$$" 2>/dev/null
	fi
	exit 1
}

# A misspelt helper or a missing tool must fail the scenario, not let it
# run on to "OK": bash calls this for every command it cannot find.
command_not_found_handle() {
	fail "command not found: $1"
}

# skip MSG: a missing prerequisite.  Exit 77 outside CI; under CI it fails.
skip() {
	if [ "${CI:-}" = true ]; then
		printf 'FAIL (prerequisite missing under CI): %s\n' "$*" >&2
		exit 1
	fi
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

# ---------------------------------------------------------------- asserts

assert_eq() {	# EXPECTED ACTUAL WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

assert_ne() {	# UNEXPECTED ACTUAL WHAT
	[ "$1" != "$2" ] || fail "$3: did not expect '$1'"
}

assert_contains() {	# HAYSTACK NEEDLE WHAT
	case $1 in
	*"$2"*) ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

assert_not_contains() {	# HAYSTACK NEEDLE WHAT
	case $1 in
	*"$2"*) fail "$3: '$2' unexpectedly found in: $1" ;;
	esac
}

assert_file_content() {	# PATH EXPECTED
	[ -f "$1" ] || fail "$1 does not exist"
	assert_eq "$2" "$(cat "$1")" "content of $1"
}

assert_subvol() {	# PATH
	btrfs subvolume show "$1" >/dev/null 2>&1 ||
		fail "$1 is not a btrfs subvolume"
}

assert_not_exists() {	# PATH
	[ ! -e "$1" ] || fail "$1 exists"
}

# ---------------------------------------------------------------- setup

# rvss_init "$@": root check, then re-execute the calling script inside a
# private mount namespace, then create the work directory and the cleanup
# trap.  Call it first, as: rvss_init "$@"
rvss_init() {
	if [ "$(id -u)" != 0 ]; then
		skip "needs root (loop devices, mounts, a private smbd)"
	fi
	local t
	for t in unshare mkfs.btrfs mkfs.ext4 btrfs losetup findmnt mountpoint \
		smbd rpcclient smbclient smbpasswd net testparm; do
		command -v "$t" >/dev/null 2>&1 || skip "$t not installed (make deps)"
	done
	# Samba's srv_fss.tdb is read with Debian's python3-tdb (ENV.md: the
	# python3 on PATH may be another interpreter)
	/usr/bin/python3 -c 'import tdb' 2>/dev/null ||
		skip "python3-tdb for /usr/bin/python3 not installed (make deps)"
	if [ "${RVSS_IN_NS:-}" != "$$" ]; then
		# unshare execs the command, so our PID stays the same inside.
		export RVSS_IN_NS=$$
		exec unshare -m --propagation private -- \
			/bin/bash "${RVSS_SCRIPT:-$0}" "$@"
	fi

	RVSS_BACKEND=${RVSS_BACKEND:-rvss}
	RVSS_MODULE=${RVSS_MODULE:-build}
	RVSS_BUILDDIR=${RVSS_BUILDDIR:-build}
	case $RVSS_BUILDDIR in
	/*) ;;
	*) RVSS_BUILDDIR="$RVSS_SRCDIR/$RVSS_BUILDDIR" ;;
	esac
	case $RVSS_MODULE in
	build)
		if [ "$RVSS_BACKEND" = rvss ] && [ ! -f "$RVSS_BUILDDIR/rvss.so" ]; then
			fail "$RVSS_BUILDDIR/rvss.so not built (make BUILDDIR=...)"
		fi
		RVSS_AGENT=$RVSS_BUILDDIR/bin/fsrvp_agent
		;;
	installed)
		RVSS_AGENT=/usr/bin/fsrvp_agent
		local f
		for f in "$(rvss_vfs_moddir)/rvss.so" "$RVSS_AGENT"; do
			dpkg -S "$f" >/dev/null 2>&1 ||
				fail "RVSS_MODULE=installed: $f is not installed by a package"
		done
		;;
	*) fail "RVSS_MODULE=$RVSS_MODULE: not build or installed" ;;
	esac

	WORK=$(mktemp -d /tmp/rvss-it.XXXXXX) || fail "mktemp"
	# mktemp makes mode 700: Samba users other than root could not reach
	# any share below it (ENV.md).
	chmod 755 "$WORK"
	if [ -n "${RVSS_LOGDIR:-}" ]; then
		LOGS=$RVSS_LOGDIR
		mkdir -p "$LOGS"
	else
		LOGS=$WORK/logs
		mkdir -p "$LOGS"
	fi
	# smbd -l: smbd passes the log base to samba-dcerpcd, which passes it
	# to rpcd_fsrvp, so all of them log here (log.smbd, log.rpcd_fsrvp,
	# ...), never to the machine's /var/log/samba.
	SAMBA_LOGDIR=$LOGS/samba
	mkdir -p "$SAMBA_LOGDIR"
	RVSS_MOUNTS=()
	RVSS_LOOPS=()
	SMBD_PID=
	RVSS_MAIN=$$
	trap rvss_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	trap 'exit 1' USR1

	rvss_private_etc
	ADMIN_UID=$(id -u "$ADMIN_USER") || fail "no user $ADMIN_USER"
	rvss_private_vfsdir
	rvss_private_samba_dirs
}

# Belt and braces: Samba's compiled-in directories (state, cache, locks,
# logs) are replaced by empty private ones in the namespace, so a path the
# private smb.conf forgot can never reach the machine's Samba state.
rvss_private_samba_dirs() {
	local d n
	for d in /var/lib/samba /var/cache/samba /run/samba /var/log/samba; do
		[ -d "$d" ] || continue
		n=$WORK/sys/$(echo "${d#/}" | tr / _)
		mkdir -p "$n"
		chmod 755 "$n"
		rvss_bind "$n" "$d"
	done
}

# samba_log_grep PATTERN: search all of Samba's logs of this scenario.
samba_log_grep() {
	grep -r -q -F -e "$1" "$SAMBA_LOGDIR"
}

# Private passwd/group/shadow with the test users, bind-mounted in the
# namespace: nothing of the machine's user database changes.
rvss_private_etc() {
	local f
	mkdir -p "$WORK/etc"
	for f in passwd group shadow; do
		cp -p "/etc/$f" "$WORK/etc/$f"
	done
	cat >>"$WORK/etc/group" <<-EOF
	rvssit:x:64990:
	EOF
	cat >>"$WORK/etc/passwd" <<-EOF
	rvssadmin:x:64991:64990:rvss test admin:/nonexistent:/usr/sbin/nologin
	$PLAIN_USER:x:64992:64990:rvss test user:/nonexistent:/usr/sbin/nologin
	EOF
	printf '%s:!:19000::::::\n' rvssadmin "$PLAIN_USER" >>"$WORK/etc/shadow"
	for f in passwd group shadow; do
		rvss_bind "$WORK/etc/$f" "/etc/$f"
	done
}

# Debian's VFS modules plus ours, bind-mounted over the compiled-in module
# directory (Samba 4.17 refuses absolute paths in "vfs objects").
rvss_private_vfsdir() {
	local moddir
	moddir=$(rvss_vfs_moddir)
	# the installed module, where smbd loads it from: nothing to mount
	[ "$RVSS_MODULE" = installed ] && return 0
	mkdir -p "$WORK/vfs"
	cp -a "$moddir"/. "$WORK/vfs/"
	if [ "$RVSS_BACKEND" = rvss ]; then
		cp "$RVSS_BUILDDIR/rvss.so" "$WORK/vfs/rvss.so"
	fi
	rvss_bind "$WORK/vfs" "$moddir"
}

rvss_bind() {	# SRC DST
	mount --bind "$1" "$2" || fail "bind mount $1 on $2"
	RVSS_MOUNTS+=("$2")
}

# make_btrfs NAME [SIZE]: a loop-mounted btrfs at $WORK/NAME; prints nothing,
# sets MNT to its mount point (the last one made).
make_btrfs() {
	local name=$1 size=${2:-1G} img
	img=$WORK/$name.img
	truncate -s "$size" "$img" || fail "truncate $img"
	mkfs.btrfs -q -f "$img" >>"$LOGS/setup.log" 2>&1 || fail "mkfs.btrfs $img"
	mkdir -p "$WORK/$name"
	loop_mount btrfs "$img" "$WORK/$name"
	chmod 755 "$WORK/$name"
	MNT=$WORK/$name
}

# loop_mount TYPE IMAGE DIR: mount -o loop attaches the loop device with
# autoclear, so it is detached by the last unmount, even when the namespace
# goes away without our cleanup (SIGKILL).  The device is recorded too.
loop_mount() {
	local dev
	mount -t "$1" -o loop "$2" "$3" || fail "mount -o loop $2"
	RVSS_MOUNTS+=("$3")
	dev=$(findmnt -n -o SOURCE --target "$3") || fail "no device for $3"
	RVSS_LOOPS+=("$dev")
}

# make_ext4 NAME [SIZE]: a loop-mounted ext4 (a non-btrfs share path).
make_ext4() {
	local name=$1 size=${2:-64M} img
	img=$WORK/$name.img
	truncate -s "$size" "$img" || fail "truncate $img"
	mkfs.ext4 -q -F "$img" >>"$LOGS/setup.log" 2>&1 || fail "mkfs.ext4 $img"
	mkdir -p "$WORK/$name"
	loop_mount ext4 "$img" "$WORK/$name"
	chmod 755 "$WORK/$name"
}

# mount_tmpfs DIR: a tmpfs on DIR (a mount point, or a non-btrfs share).
mount_tmpfs() {
	mkdir -p "$1"
	mount -t tmpfs -o size=8m,mode=0755 tmpfs "$1" || fail "mount tmpfs $1"
	RVSS_MOUNTS+=("$1")
}

make_subvol() {	# PATH
	btrfs subvolume create "$1" >>"$LOGS/setup.log" 2>&1 ||
		fail "btrfs subvolume create $1"
	chmod 755 "$1"
}

# A share directory the test users may write to.
make_share_dir() {	# PATH
	mkdir -p "$1"
	chown "$ADMIN_UID:rvssit" "$1"
	chmod 775 "$1"
}

# list_subvolumes MNT: all subvolumes of the filesystem mounted at MNT,
# paths relative to its top level, sorted, one a line.
list_subvolumes() {
	btrfs subvolume list "$1" | sed 's/.* path //' | LC_ALL=C sort
}

# tree_sum DIR: one checksum over names, modes and contents of a tree.
tree_sum() {
	(cd "$1" && find . -path ./.rvss-snapshots -prune -o -print0 |
		LC_ALL=C sort -z |
		xargs -0 stat -c '%n %f' &&
		find . -path ./.rvss-snapshots -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum |
		cut -d' ' -f1
}

# content_sum DIR: one checksum over the relative paths and contents of the
# regular files of a tree (not modes: for copies made over SMB).
content_sum() {
	(cd "$1" && find . -path ./.rvss-snapshots -prune -o -type f -print0 |
		LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum |
		cut -d' ' -f1
}

# ---------------------------------------------------------------- smb.conf

# smb_conf_begin [EXTRA GLOBAL LINES...]: writes CONF's [global].
# Shares are appended with add_share.
smb_conf_begin() {
	SMB_PORT=$(free_port)
	# a fresh server directory per call: a scenario may start several
	# independent servers one after the other
	RVSS_NSERVER=$((${RVSS_NSERVER:-0} + 1))
	SMBDIR=$WORK/samba$RVSS_NSERVER
	CONF=$SMBDIR/smb.conf
	mkdir -p "$SMBDIR"/{lock,state,private,cache,pid,ncalrpc,binddns}
	chmod 755 "$SMBDIR"
	chmod 700 "$SMBDIR/private"
	: "${FSS_SEQUENCE_TIMEOUT:=180}"
	# rvss:timer slack (default 30 s after Samba's timer): the scenarios
	# that wait for a dead set to be reclaimed wait 5 s instead
	: "${RVSS_TIMER_SLACK:=5s}"
	cat >"$CONF" <<-EOF
	# rvss integration test: private server, nothing shared with the machine
	[global]
	workgroup = RVSSTEST
	netbios name = RVSSTEST
	server role = standalone server
	security = user
	passdb backend = tdbsam
	map to guest = never
	smb ports = $SMB_PORT
	interfaces = lo
	bind interfaces only = yes
	disable netbios = yes
	lock directory = $SMBDIR/lock
	state directory = $SMBDIR/state
	cache directory = $SMBDIR/cache
	private dir = $SMBDIR/private
	pid directory = $SMBDIR/pid
	ncalrpc dir = $SMBDIR/ncalrpc
	binddns dir = $SMBDIR/binddns
	usershare path =
	max log size = 0
	# rpcd_fsrvp gets its level from the rpc_srv class of samba-dcerpcd
	# (--debuglevel on its command line overrides smb.conf): 3 lets rvss's
	# DBG_NOTICE lines (refusals, create, delete) reach log.rpcd_fsrvp.
	log level = 1 rvss:10 rpc_srv:3
	debug pid = yes
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
	# FSRVP, as SPEC §3.2 and ENV.md: registry shares for the exposed
	# copies, one rpcd_fsrvp worker (each worker keeps its own set state)
	registry shares = yes
	rpcd_fsrvp:num_workers = 1
	fss: sequence timeout = $FSS_SEQUENCE_TIMEOUT
	rvss:timer slack = $RVSS_TIMER_SLACK
	EOF
	local l
	for l in "$@"; do
		printf '%s\n' "$l" >>"$CONF"
	done
}

# The VFS stack of a snapshotable share for the chosen backend.
snap_vfs_lines() {
	if [ "$RVSS_BACKEND" = btrfs ]; then
		printf '%s\n' "vfs objects = btrfs" "btrfs:manipulate snapshots = yes"
	else
		printf '%s\n' "vfs objects = rvss"
	fi
}

# add_share NAME PATH [LINES...]: a share; without LINES, a snapshotable
# share with the chosen backend.
add_share() {
	local name=$1 path=$2 l
	shift 2
	{
		printf '\n[%s]\n\tpath = %s\n\tread only = no\n' "$name" "$path"
		if [ $# -eq 0 ]; then
			snap_vfs_lines | sed 's/^/\t/'
		fi
		for l in "$@"; do
			printf '\t%s\n' "$l"
		done
	} >>"$CONF"
}

# port_in_use PORT: does any TCP socket of this network namespace use PORT
# as its local port, in any state (listening, connected, TIME_WAIT)?
port_in_use() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h=":$hex" 'FNR > 1 && substr($2, length($2) - 4) == h { f = 1 }
		END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port: a port for smbd to listen on.  Taken below the kernel's
# ephemeral range (net.ipv4.ip_local_port_range), where no outgoing
# connection of another program can hold it between this choice and
# smbd's bind -- "no one answers" is not enough: a client's local port
# answers nothing and still makes bind() fail with EADDRINUSE (seen:
# scenario 076 under the load of a whole check-all) -- and used by no
# socket at all.
free_port() {
	local p lo=20000 hi=60000 eph_lo eph_hi
	if read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null &&
		[ "$eph_lo" -gt $((lo + 1000)) ]; then
		hi=$((eph_lo - 1))
	fi
	for p in $(shuf -i "$lo-$hi" -n 50); do
		if ! port_in_use "$p" &&
			! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port"
}

# Samba accounts: the privileged client ($ADMIN_USER), the backup operator
# ($BACKUP_USER: SeBackupPrivilege, SeDiskOperatorPrivilege) and an
# unprivileged one ($PLAIN_USER).  Needs CONF.
make_users() {
	printf '%s\n%s\n' "$ADMIN_PASS" "$ADMIN_PASS" |
		smbpasswd -c "$CONF" -s -a "$ADMIN_USER" >>"$LOGS/setup.log" 2>&1 ||
		fail "smbpasswd -a $ADMIN_USER"
	if [ "$BACKUP_USER" != "$ADMIN_USER" ]; then
		printf '%s\n%s\n' "$BACKUP_PASS" "$BACKUP_PASS" |
			smbpasswd -c "$CONF" -s -a "$BACKUP_USER" \
			>>"$LOGS/setup.log" 2>&1 ||
			fail "smbpasswd -a $BACKUP_USER"
	fi
	printf '%s\n%s\n' "$PLAIN_PASS" "$PLAIN_PASS" |
		smbpasswd -c "$CONF" -s -a "$PLAIN_USER" >>"$LOGS/setup.log" 2>&1 ||
		fail "smbpasswd -a $PLAIN_USER"
	net -s "$CONF" sam rights grant "$BACKUP_USER" \
		SeBackupPrivilege SeDiskOperatorPrivilege \
		>>"$LOGS/setup.log" 2>&1 ||
		fail "net sam rights grant $BACKUP_USER"
}

# ---------------------------------------------------------------- smbd

# smbd_start: Debian's smbd in the foreground of its own session (setsid:
# when it stops it signals its whole process group).  Records SMBD_PID and
# waits until the port answers.
smbd_start() {
	[ -z "$SMBD_PID" ] || fail "smbd already started"
	testparm -s "$CONF" >"$LOGS/testparm.out" 2>&1 ||
		fail "testparm rejects $CONF: $(tail -n 5 "$LOGS/testparm.out")"
	echo "=== smbd start $(date -u +%FT%TZ)" >>"$SAMBA_LOGDIR/log.smbd"
	setsid smbd -F --no-process-group -s "$CONF" -l "$SAMBA_LOGDIR" \
		</dev/null >>"$LOGS/smbd.stdout" 2>&1 &
	SMBD_PID=$!
	rvss_watchdog
	local i
	# a hang guard, not a timing assertion: 120 s (once 30 s were not
	# enough with two suites and two fuzzers on the 2 cores)
	for i in $(seq 1 1200); do
		if ! kill -0 "$SMBD_PID" 2>/dev/null; then
			SMBD_PID=
			fail "smbd exited during start-up"
		fi
		if (exec 3<>"/dev/tcp/127.0.0.1/$SMB_PORT") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	fail "smbd does not answer on port $SMB_PORT"
}

# A watchdog (once per scenario): if the scenario dies without its cleanup
# (SIGKILL, a timeout), it stops the processes we started, by PID, and
# removes the work directory; the namespace and its mounts (autoclear loop
# devices) then vanish with it.
rvss_watchdog() {
	[ -z "${RVSS_WATCHDOG:-}" ] || return 0
	(
		# deaf to signals sent to the whole process group (timeout(1)
		# signals its group): only the cleanup stops it, with KILL
		trap '' INT TERM HUP USR1
		while kill -0 "$RVSS_MAIN" 2>/dev/null; do
			sleep 1 &
			wait $!
		done
		echo "watchdog: scenario $RVSS_MAIN gone without cleanup" >&2
		SMBD_PID=$(cat "$SMBDIR/pid/smbd.pid" 2>/dev/null)
		smbd_stop
		awk -v w="$WORK/" 'index($5, w) == 1 { print $5 }' \
			/proc/self/mountinfo | sort -r | while read -r m; do
			umount -l "$m"
		done
		rm -rf --one-file-system "$WORK" 2>/dev/null
	) </dev/null >>"$LOGS/watchdog.log" 2>&1 &
	RVSS_WATCHDOG=$!
}

# The processes we started: smbd, everything in its session (samba-dcerpcd
# and the rpcd_* it starts, smbd's children), and whatever the pid files of
# our private pid directory name.  PIDs only, no names.
our_pids() {
	local sid="" pids="" f p
	if [ -n "$SMBD_PID" ] && [ -r "/proc/$SMBD_PID/stat" ]; then
		pids=$SMBD_PID
		sid=$SMBD_PID
	fi
	for f in "$SMBDIR"/pid/*.pid; do
		[ -f "$f" ] || continue
		p=$(tr -dc 0-9 <"$f")
		[ -n "$p" ] && [ -d "/proc/$p" ] && pids="$pids $p"
	done
	local seeds="$pids" changed=1 stat line pid ppid psid
	# every process in smbd's session, or descending from a seed
	while [ "$changed" = 1 ]; do
		changed=0
		for stat in /proc/[0-9]*/stat; do
			line=$(cat "$stat" 2>/dev/null) || continue
			pid=${line%% *}
			# after "comm)": state ppid pgrp session ...
			set -- ${line##*) }
			ppid=$2 psid=$4
			case " $seeds " in *" $pid "*) continue ;; esac
			if { [ -n "$sid" ] && [ "$psid" = "$sid" ]; } ||
				case " $seeds " in
				*" $ppid "*) true ;;
				*) false ;;
				esac; then
				seeds="$seeds $pid"
				changed=1
			fi
		done
	done
	echo $seeds
}

# smbd_stop: TERM everything we started, wait, then KILL what is left.
smbd_stop() {
	[ -n "${SMBDIR:-}" ] || return 0
	local pids i
	pids=$(our_pids)
	[ -n "$pids" ] || { SMBD_PID=; return 0; }
	kill -TERM $pids 2>/dev/null
	for i in $(seq 1 100); do
		pids=$(for p in $pids; do [ -d "/proc/$p" ] &&
			! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null &&
			echo "$p"; done)
		[ -z "$pids" ] && break
		sleep 0.1
	done
	if [ -n "$pids" ]; then
		log "processes still alive after TERM, killing: $pids"
		kill -KILL $pids 2>/dev/null
	fi
	[ -n "$SMBD_PID" ] && wait "$SMBD_PID" 2>/dev/null
	SMBD_PID=
	echo "=== smbd stopped $(date -u +%FT%TZ)" >>"$SAMBA_LOGDIR/log.smbd"
}

smbd_restart() {
	smbd_stop
	smbd_start
}

# The PID of rpcd_fsrvp if running (a child of our samba-dcerpcd).
rpcd_fsrvp_pids() {
	local p
	for p in $(our_pids); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = /usr/libexec/samba/rpcd_fsrvp ] &&
			echo "$p"
	done
}

rvss_cleanup() {
	local rc=$?
	trap - EXIT
	# finish the cleanup even when a signal arrives meanwhile
	trap '' INT TERM HUP USR1
	smbd_stop
	local i m
	sync
	for ((i = ${#RVSS_MOUNTS[@]} - 1; i >= 0; i--)); do
		m=${RVSS_MOUNTS[$i]}
		mountpoint -q "$m" || continue
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null ||
			log "cannot unmount $m"
	done
	# autoclear has detached them with the unmount; detach any left
	# (only if still backed by our image)
	for m in "${RVSS_LOOPS[@]}"; do
		if losetup -n -O BACK-FILE "$m" 2>/dev/null | grep -q "^$WORK/"; then
			losetup -d "$m" 2>/dev/null
		fi
	done
	if [ -n "${RVSS_WATCHDOG:-}" ]; then
		kill -KILL "$RVSS_WATCHDOG" 2>/dev/null
		wait "$RVSS_WATCHDOG" 2>/dev/null
	fi
	if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
		if [ "${RVSS_KEEP:-}" = 1 ]; then
			log "work directory kept: $WORK"
		elif ! grep -q " $WORK" /proc/self/mountinfo; then
			rm -rf --one-file-system "$WORK"
		else
			log "mounts left below $WORK, not removing it"
		fi
	fi
	exit "$rc"
}

# ---------------------------------------------------------------- clients

# rpc [-u USER%PASS] CMD: one rpcclient command; stdout+stderr on stdout,
# also appended to the scenario's client log.  Returns rpcclient's status.
rpc() {
	local cred="${RPC_CRED:-$ADMIN_USER%$ADMIN_PASS}" out rc
	if [ "$1" = -u ]; then
		cred=$2
		shift 2
	fi
	# timeout: a guard against a hung server, not a timing assertion
	out=$(timeout -k 10 "$CLIENT_TIMEOUT" rpcclient -s "$CONF" -p "$SMB_PORT" 127.0.0.1 -U "$cred" \
		-c "$*" 2>&1)
	rc=$?
	printf '[%s] $ rpcclient -c "%s" (rc %s)\n%s\n' "$(date +%T.%3N)" "$*" "$rc" "$out" \
		>>"$LOGS/client.log"
	printf '%s\n' "$out"
	return $rc
}

# smbc [-u USER%PASS] SHARE CMD: one smbclient command (-c: ENV.md, a piped
# second line can wait seconds).
smbc() {
	local cred="${SMB_CRED:-$ADMIN_USER%$ADMIN_PASS}" out rc share
	if [ "$1" = -u ]; then
		cred=$2
		shift 2
	fi
	share=$1
	shift
	out=$(timeout -k 10 "$CLIENT_TIMEOUT" smbclient -s "$CONF" -p "$SMB_PORT" "//127.0.0.1/$share" \
		-U "$cred" -c "$*" 2>&1)
	rc=$?
	printf '[%s] $ smbclient //127.0.0.1/%s -c "%s" (rc %s)\n%s\n' \
		"$(date +%T.%3N)" "$share" "$*" "$rc" "$out" >>"$LOGS/client.log"
	printf '%s\n' "$out"
	return $rc
}

# smb_get SHARE REMOTE: prints a file's content read over SMB.
smb_get() {
	local f=$WORK/get.$$.$RANDOM out
	out=$(smbc "$1" "get \"$2\" \"$f\"") ||
		fail "smbclient get //$1/$2: $out"
	cat "$f"
	rm -f "$f"
}

# create_expose CTX ro|rw SHARE...: runs fss_create_expose and checks its
# output (rpcclient exits 0 even when the server fails).  Sets SET_ID, and
# SC_IDS / EXPOSED (arrays, in share order).
create_expose() {
	local out n=$(($# - 2))
	out=$(rpc "fss_create_expose $*")
	printf '%s\n' "$out"
	LAST_OUT=$out
	SET_ID=$(printf '%s\n' "$out" |
		sed -n 's/^\([0-9a-f-]\{36\}\): shadow-copy set created$/\1/p')
	[ -n "$SET_ID" ] || fail "fss_create_expose $*: no set created: $out"
	mapfile -t SC_IDS < <(printf '%s\n' "$out" |
		sed -n 's/^[0-9a-f-]\{36\}(\([0-9a-f-]\{36\}\)): share .* exposed as a snapshot of .*/\1/p')
	mapfile -t EXPOSED < <(printf '%s\n' "$out" |
		sed -n 's/^[0-9a-f-]\{36\}([0-9a-f-]\{36\}): share \(.*\) exposed as a snapshot of .*/\1/p')
	[ "${#SC_IDS[@]}" = "$n" ] ||
		fail "fss_create_expose $*: expected $n exposed shares: $out"
	local i
	for i in "${!EXPOSED[@]}"; do
		# "\\127.0.0.1\share@{GUID}" -> "share@{GUID}"
		EXPOSED[$i]=${EXPOSED[$i]##*\\}
	done
}

# fss_delete SHARE SET SC: checks rpcclient's output.
fss_delete_ok() {
	local out
	out=$(rpc "fss_delete $1 $2 $3")
	assert_contains "$out" "shadow-copy deleted" "fss_delete $1"
}

# The snapshot path Samba recorded for a shadow copy (srv_fss.tdb).
sc_path_of() {	# SC_ID
	tdb_fss_dump | sed -n "s/^sc $1 .*sc_path=\(.*\)\$/\1/p"
}

# Dump of Samba's srv_fss.tdb: "set ID" and "sc ID volume=V sc_path=P"
# lines.  The records are NDR (librpc/idl/fsrvp_state.idl): the strings are
# NUL-terminated UTF-8 in order id_str, volume_name, sc_path.
tdb_fss_dump() {
	/usr/bin/python3 - "$SMBDIR/lock/srv_fss.tdb" <<-'EOF'
	import sys, tdb
	db = tdb.Tdb(sys.argv[1], 0, tdb.DEFAULT, __import__('os').O_RDONLY)
	for k in db.keys():
	    key = k.rstrip(b'\0').decode()
	    parts = key.split('/')
	    v = db.get(k)
	    if len(parts) == 4 and parts[2] == 'sc':
	        s = v.split(b'\0')
	        print('sc %s volume=%s sc_path=%s' % (parts[3].strip('{}'),
	              s[1].decode(), s[2].decode()))
	    elif len(parts) == 2:
	        print('set %s' % parts[1].strip('{}'))
	EOF
}

# The share is refused: is_path_sup answers FSRVP_E_NOT_SUPPORTED.
assert_path_refused() {	# SHARE CODE [USER%PASS]
	local out
	if [ -n "${3:-}" ]; then
		out=$(rpc -u "$3" "fss_is_path_sup $1")
	else
		out=$(rpc "fss_is_path_sup $1")
	fi
	assert_not_contains "$out" "supports shadow copy" "fss_is_path_sup $1"
	assert_contains "$out" "$2" "fss_is_path_sup $1"
}

assert_path_supported() {	# SHARE
	local out
	out=$(rpc "fss_is_path_sup $1")
	assert_contains "$out" "supports shadow copy requests" \
		"fss_is_path_sup $1"
	assert_not_contains "$out" "does not support" "fss_is_path_sup $1"
}

# The subtests of smbtorture rpc.fsrvp as this release's smbtorture lists
# them (4.17 to 4.25 have the same ten, but a release may add some): every
# one of them must pass.
fsrvp_subtests() {
	local l
	l=$(smbtorture --list rpc.fsrvp 2>/dev/null |
		sed -n 's/^rpc\.fsrvp\.fsrvp\.\([A-Za-z0-9_]*\)$/\1/p')
	[ -n "$l" ] || fail "smbtorture --list rpc.fsrvp lists no subtest"
	echo $l
}
