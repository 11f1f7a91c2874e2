# shellcheck shell=bash
# Helpers of the lifecycle scenarios (1NN-*.sh: seal, reclaim, unblock,
# retain, faults).  Sourced after lib.sh, after rvss_init; lib.sh is not
# changed by them.  Everything here works on the processes and files of the
# scenario's own server (PIDs from lib.sh's our_pids), never by name.

LIFE_STEP_PY=$RVSS_SRCDIR/tests/fsrvp_step.py
AGENT=$RVSS_AGENT
[ -x "$AGENT" ] || fail "$AGENT not built (make BUILDDIR=...)"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 missing"
/usr/bin/python3 -c 'import samba.dcerpc.base' 2>/dev/null ||
	skip "python3-samba missing (make deps)"

FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS=0x80042316

# ------------------------------------------------------------ JSON

# jget JSON KEY: one field of a JSON object ("" when absent).
jget() {
	/usr/bin/python3 -c '
import json, sys
o = json.loads(sys.argv[1])
v = o.get(sys.argv[2]) if isinstance(o, dict) else None
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))
' "$1" "$2" || fail "not a JSON object: $1"
}

# ------------------------------------------------------------ step client

# step_client_start [USER%PASS]: tests/fsrvp_step.py in stdin mode as a
# coprocess (one command a line, one JSON object a line back).
step_client_start() {
	local cred=${1:-$ADMIN_USER%$ADMIN_PASS}
	coproc STEPC { exec /usr/bin/python3 "$LIFE_STEP_PY" -s "$CONF" \
		-p "$SMB_PORT" -U "$cred" 2>>"$LOGS/step.stderr"; }
	STEPC_PID_SAVED=$STEPC_PID
}

# sc CMD: one command to the step client; its answer in R (also printed
# and logged in step.log).
sc() {
	printf '%s\n' "$1" >&"${STEPC[1]}" || fail "step client gone before: $1"
	R=
	IFS= read -r -t 120 R <&"${STEPC[0]}" || fail "no answer to: $1"
	printf '[%s] > %s\n< %s\n' "$(date +%T.%3N)" "$1" "$R" >>"$LOGS/step.log"
	printf '> %s\n< %s\n' "$1" "$R"
}

# assert_hres NAME WHAT: the last answer's hresult name.
assert_hres() {
	assert_eq "$1" "$(jget "$R" hresult_name)" "$2 ($R)"
}

# step_client_vanish: the requester dies (kill -9 of the client process):
# no Abort, no Delete, the connection just drops.
step_client_vanish() {
	local pid=${STEPC_PID_SAVED:-}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	STEPC_PID_SAVED=
}

step_client_quit() {
	local pid=${STEPC_PID_SAVED:-}
	[ -n "$pid" ] || return 0
	{ printf 'quit\n' >&"${STEPC[1]}"; } 2>/dev/null
	wait "$pid" 2>/dev/null
	STEPC_PID_SAVED=
}

# ------------------------------------------------------------ agent

# agent ARGS...: fsrvp_agent with the scenario's smb.conf; output printed
# and logged (agent.log); returns its exit status.
agent() {
	local cmd=$1 out rc
	shift
	out=$("$AGENT" "$cmd" -s "$CONF" "$@" 2>&1)
	rc=$?
	printf '[%s] $ fsrvp_agent %s -s CONF %s (rc %s)\n%s\n' "$(date +%T.%3N)" \
		"$cmd" "$*" "$rc" "$out" >>"$LOGS/agent.log"
	printf '%s\n' "$out"
	return $rc
}

# retained_backup SHARE STORE: an ro set of SHARE created, exposed and
# deleted, so that rvss:retain keeps it in STORE; its name in BK.
retained_backup() {
	local before after
	before=$(ls "$2" 2>/dev/null)
	create_expose backup ro "$1" >/dev/null
	fss_delete_ok "$1" "$SET_ID" "${SC_IDS[0]}"
	after=$(ls "$2")
	BK=$(comm -13 <(echo "$before") <(echo "$after") | grep '^@GMT-') ||
		fail "no new retained backup of $1 in $2"
}

# ------------------------------------------------------------ processes

# kill_rpcd_fsrvp SIGNAL: signal our rpcd_fsrvp (by PID: the rpcd_fsrvp in
# our smbd's session) and wait until it is gone.
kill_rpcd_fsrvp() {
	local sig=${1:-KILL} pids p i
	pids=$(rpcd_fsrvp_pids)
	[ -n "$pids" ] || fail "no rpcd_fsrvp of ours is running"
	log "kill -$sig rpcd_fsrvp: $pids"
	kill "-$sig" $pids || fail "kill -$sig $pids"
	for i in $(seq 1 100); do
		for p in $pids; do
			[ -d "/proc/$p" ] &&
				! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null &&
				continue 2
		done
		return 0
	done
	fail "rpcd_fsrvp $pids still alive after kill -$sig"
}

# kill9_smbd: kill -9 of our main smbd; then what it started is stopped by
# PID, as systemd stops the rest of a crashed smbd.service's cgroup before
# restarting it.  samba-dcerpcd leaves smbd's session (it daemonises), so
# the list is lib.sh's our_pids taken BEFORE the kill (smbd's session, the
# private pid files, and descendants of both).
kill9_smbd() {
	local pids rest p i
	[ -n "$SMBD_PID" ] || fail "smbd not running"
	pids=$(our_pids)
	log "processes of our server before the kill: $pids"
	kill -KILL "$SMBD_PID" || fail "kill -9 smbd $SMBD_PID"
	wait "$SMBD_PID" 2>/dev/null
	echo "=== smbd killed (-9) $(date -u +%FT%TZ)" >>"$SAMBA_LOGDIR/log.smbd"
	for i in $(seq 1 100); do
		rest=
		for p in $pids; do
			[ "$p" = "$SMBD_PID" ] && continue
			[ -d "/proc/$p" ] &&
				! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null &&
				rest="$rest $p"
		done
		[ -z "$rest" ] && break
		[ "$i" = 1 ] && log "stopping what smbd started:$rest"
		if [ "$i" -lt 50 ]; then
			kill -TERM $rest 2>/dev/null
		else
			kill -KILL $rest 2>/dev/null
		fi
		sleep 0.1
	done
	[ -z "$rest" ] || fail "processes of the killed smbd left:$rest"
	SMBD_PID=
}

# ------------------------------------------------------------ waiting

# wait_until SECONDS WHAT CMD...: poll CMD (every second) until it succeeds;
# fail with WHAT after SECONDS.  A bound, not a timing assertion.
wait_until() {
	local limit=$1 what=$2 t0
	shift 2
	t0=$(date +%s)
	while ! "$@"; do
		if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
			fail "not within ${limit}s: $what"
		fi
		sleep 1
	done
}

# ------------------------------------------------------------ set-up

# life_setup [SIZE]: btrfs with subvolume VOL shared as [vol], a tree of
# files in it owned by the admin; sets VOL, SHARE_SUM (tree_sum), and
# SUBVOLS0 (the subvolume list before any shadow copy).
life_setup() {
	make_btrfs fs "${1:-1G}"
	VOL=$MNT/vol
	make_subvol "$VOL"
	make_share_dir "$VOL"
	mkdir -p "$VOL/dir/sub" "$VOL/empty"
	echo live >"$VOL/data.txt"
	echo keep >"$VOL/dir/keep.txt"
	seq 1 5000 >"$VOL/dir/sub/numbers.txt"
	chown -R "$ADMIN_UID:rvssit" "$VOL"
	SHARE_SUM=$(tree_sum "$VOL")
	SUBVOLS0=$(list_subvolumes "$MNT")
}

# ------------------------------------------------------------ assertions

# assert_subvols EXPECTED WHAT: the filesystem's subvolumes are exactly
# EXPECTED (a list_subvolumes output).
assert_subvols() {
	local now
	now=$(list_subvolumes "$MNT")
	[ "$1" = "$now" ] || fail "$2: subvolumes differ from the expected:
expected:
$1
now:
$now"
}

# No snapshot of ours is left: the subvolume list is the one before the
# first shadow copy.
assert_no_orphans() {
	assert_subvols "$SUBVOLS0" "${1:-no orphaned snapshot}"
}

assert_live_unchanged() {
	assert_eq "$SHARE_SUM" "$(tree_sum "$VOL")" "live share checksum"
}

# assert_new_set_works SHARE: a new set (rpcclient fss_create_expose, the
# whole sequence) is created, read and deleted, and leaves no subvolume.
assert_new_set_works() {
	local share=${1:-vol} before
	before=$(list_subvolumes "$MNT")
	create_expose backup ro "$share" >/dev/null
	assert_eq live "$(smb_get "${EXPOSED[0]}" data.txt)" \
		"data.txt through a new set's exposed share"
	fss_delete_ok "$share" "$SET_ID" "${SC_IDS[0]}"
	assert_subvols "$before" "subvolumes after the new set's delete"
}

# The snapshot subvolume (root of the btrfs snapshot) of a snap_path.
snap_root_of() {	# SNAP_PATH
	local p=$1
	while [ "$p" != / ] && [ "$(stat -c %i "$p" 2>/dev/null)" != 256 ]; do
		p=$(dirname "$p")
	done
	echo "$p"
}

# ------------------------------------------------------------ an open handle

# A file handle kept open across steps: libsmbclient (Debian's
# libsmbclient.so.0, through ctypes) in a coprocess.  python3-samba's SMB
# client always dials 445 (ENV.md); libsmbclient takes the port in the URL.
# Commands on stdin:
#   write TEXT     write TEXT at the handle's offset 0 (smbc_lseek+smbc_write)
#   truncate N     smbc_ftruncate through the handle
#   quit
# Answers one line each: "ok" or "error ERRNO-NAME".
# handle_open SHARE FILE: opens the file (O_RDWR|O_CREAT) over SMB.
handle_open() {
	coproc HANDLE { exec /usr/bin/python3 -c '
import ctypes, errno, os, sys, urllib.parse
conf, port, share, cred, fname = sys.argv[1:6]
user, _, pw = cred.partition("%")
lib = ctypes.CDLL("libsmbclient.so.0", use_errno=True)
AUTH = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p,
                        ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                        ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
def auth(srv, shr, wg, wglen, un, unlen, pwbuf, pwlen):
    ctypes.memmove(un, user.encode() + b"\0", len(user) + 1)
    ctypes.memmove(pwbuf, pw.encode() + b"\0", len(pw) + 1)
auth_cb = AUTH(auth)
lib.smbc_new_context.restype = ctypes.c_void_p
lib.smbc_init_context.restype = ctypes.c_void_p
lib.smbc_init_context.argtypes = [ctypes.c_void_p]
lib.smbc_set_context.argtypes = [ctypes.c_void_p]
lib.smbc_setFunctionAuthData.argtypes = [ctypes.c_void_p, AUTH]
lib.smbc_setConfiguration.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
lib.smbc_write.restype = ctypes.c_ssize_t
lib.smbc_write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
lib.smbc_lseek.restype = ctypes.c_int64
lib.smbc_lseek.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int]
lib.smbc_ftruncate.argtypes = [ctypes.c_int, ctypes.c_int64]
ctx = lib.smbc_new_context()
lib.smbc_setFunctionAuthData(ctx, auth_cb)
lib.smbc_setConfiguration(ctx, conf.encode())
if not lib.smbc_init_context(ctx):
    print("error smbc_init_context", errno.errorcode.get(ctypes.get_errno()), flush=True)
    sys.exit(1)
lib.smbc_set_context(ctx)
url = "smb://127.0.0.1:%s/%s/%s" % (port, urllib.parse.quote(share, safe=""),
                                     urllib.parse.quote(fname))
fd = lib.smbc_open(url.encode(), os.O_RDWR | os.O_CREAT, 0o644)
if fd < 0:
    print("error", errno.errorcode.get(ctypes.get_errno()), flush=True)
    sys.exit(1)
print("ok", flush=True)
for line in sys.stdin:
    w = line.split(None, 1)
    if not w or w[0] == "quit":
        break
    if w[0] == "write":
        data = w[1].rstrip("\n").encode()
        r = lib.smbc_lseek(fd, 0, 0)
        if r >= 0:
            r = lib.smbc_write(fd, data, len(data))
    elif w[0] == "truncate":
        r = lib.smbc_ftruncate(fd, int(w[1]))
    else:
        r = -1
        ctypes.set_errno(errno.EINVAL)
    if r < 0:
        print("error", errno.errorcode.get(ctypes.get_errno()), flush=True)
    else:
        print("ok", flush=True)
lib.smbc_close(fd)
' "$CONF" "$SMB_PORT" "$1" "$ADMIN_USER%$ADMIN_PASS" "$2" 2>>"$LOGS/handle.stderr"; }
	HANDLE_PID_SAVED=$HANDLE_PID
	HR=
	IFS= read -r -t 60 HR <&"${HANDLE[0]}" || fail "handle helper: no answer to open"
	printf '[%s] handle open //%s/%s: %s\n' "$(date +%T.%3N)" "$1" "$2" "$HR" >>"$LOGS/client.log"
}

# handle_cmd CMD: one command through the open handle; answer in HR.
handle_cmd() {
	printf '%s\n' "$1" >&"${HANDLE[1]}" || fail "handle helper gone before: $1"
	HR=
	IFS= read -r -t 60 HR <&"${HANDLE[0]}" || fail "handle helper: no answer to: $1"
	printf '[%s] handle %s: %s\n' "$(date +%T.%3N)" "$1" "$HR" >>"$LOGS/client.log"
}

handle_close() {
	[ -n "${HANDLE_PID_SAVED:-}" ] || return 0
	{ printf 'quit\n' >&"${HANDLE[1]}"; } 2>/dev/null
	wait "$HANDLE_PID_SAVED" 2>/dev/null
	HANDLE_PID_SAVED=
}

# ------------------------------------------------------------ the unblock

# new_set_try SHARE: one whole new set with rpcclient (create, expose,
# read, delete).  Returns 0 when it worked (and was deleted again), 1 when
# StartShadowCopySet was refused with FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS
# (a dead set blocks new ones); anything else fails the scenario.
new_set_try() {
	local share=${1:-vol} out before
	before=$(list_subvolumes "$MNT")
	out=$(rpc "fss_create_expose backup ro $share")
	case $out in
	*"shadow-copy set created"*) ;;
	*"$FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS"*|*SHADOW_COPY_SET_IN_PROGRESS*)
		LAST_BLOCK=$out
		return 1 ;;
	*) fail "fss_create_expose: neither created nor blocked: $out" ;;
	esac
	SET_ID=$(printf '%s\n' "$out" |
		sed -n 's/^\([0-9a-f-]\{36\}\): shadow-copy set created$/\1/p')
	local sc x
	sc=$(printf '%s\n' "$out" |
		sed -n 's/^[0-9a-f-]\{36\}(\([0-9a-f-]\{36\}\)): share .* exposed as a snapshot of .*/\1/p')
	[ -n "$sc" ] || fail "new set created but not exposed: $out"
	x=$share@{$sc}
	assert_eq live "$(smb_get "$x" data.txt)" "data.txt through the new set"
	fss_delete_ok "$share" "$SET_ID" "$sc"
	assert_subvols "$before" "subvolumes after the new set's delete"
	return 0
}

# assert_blocked SHARE: a new set is refused with
# FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS and creates nothing.
assert_blocked() {
	local before
	before=$(list_subvolumes "$MNT")
	if new_set_try "${1:-vol}"; then
		fail "a new set was created although a dead set should block it"
	fi
	echo "blocked as expected: $(printf '%s\n' "$LAST_BLOCK" | tail -n 1)"
	assert_subvols "$before" "subvolumes after the blocked create"
}

# wait_rpcd_fsrvp_exit [SECONDS]: until our rpcd_fsrvp has exited on its own
# (rpcd_fsrvp:idle_seconds), so that the next FSRVP call starts a fresh one
# that reloads srv_fss.tdb.  Polls without connecting.
wait_rpcd_fsrvp_exit() {
	no_rpcd_fsrvp() { [ -z "$(rpcd_fsrvp_pids)" ]; }
	wait_until "${1:-90}" "rpcd_fsrvp idle exit" no_rpcd_fsrvp
}

# ------------------------------------------------------------ crash at a step

# life_crash_after STAGE VICTIM: the body of the kill -9 scenarios (14N).
# A requester drives an auto-recovery set (file_share_backup, rw) one step
# at a time: start, add, commit, expose (+ mapping), recovery; right after
# STAGE (add|commit|expose|recovery) VICTIM (rpcd_fsrvp|smbd) is killed
# with SIGKILL, the requester vanishes with it, and what is needed is
# restarted (samba-dcerpcd starts a new rpcd_fsrvp on demand; a killed
# smbd is started again).  Then, per stage, what Samba reloads is asserted
# (a committed set blocks new sets: asserted first), `fsrvp_agent gc`
# (polled, bounded) reclaims or seals, the unblock is waited for, and at
# the end: nothing orphaned, the live share unchanged, a new set works.
life_crash_after() {
	local stage=$1 victim=$2 set sc snap="" root="" x=""

	step "set-up (fss: sequence timeout = 2, rpcd_fsrvp:idle_seconds = 3)"
	life_setup
	FSS_SEQUENCE_TIMEOUT=2 smb_conf_begin "rpcd_fsrvp:idle_seconds = 3"
	add_share vol "$VOL" "vfs objects = rvss" "rvss:reclaim grace = 5s"
	make_users
	smbd_start

	step "the requester, one step at a time, up to $stage"
	step_client_start
	sc 'start file_share_backup,rw'
	assert_hres S_OK start
	set=$(jget "$R" set_id)
	sc "add $set vol"
	assert_hres S_OK add
	sc=$(jget "$R" sc_id)
	if [ "$stage" != add ]; then
		sc "commit $set"
		assert_hres S_OK commit
		snap=$(sc_path_of "$sc")
		[ -n "$snap" ] || fail "no sc_path for $sc after commit"
		root=$(snap_root_of "$snap")
		assert_subvol "$root"
	fi
	if [ "$stage" = expose ] || [ "$stage" = recovery ]; then
		sc "expose $set"
		assert_hres S_OK expose
		sc "mapping $set $sc vol"
		assert_hres S_OK mapping
		x=$(jget "$R" exposed_share)
		assert_eq live "$(smb_get "$x" data.txt)" "read through $x"
	fi
	if [ "$stage" = recovery ]; then
		sc "recovery $set"
		assert_hres S_OK recovery
	fi

	step "kill -9 $victim after $stage; restart what is needed"
	case $victim in
	rpcd_fsrvp) kill_rpcd_fsrvp KILL ;;
	smbd) kill9_smbd ;;
	*) fail "unknown victim $victim" ;;
	esac
	step_client_vanish
	if [ "$victim" = smbd ]; then
		smbd_start
	fi
	echo "srv_fss.tdb after the crash: $(tdb_fss_dump | tr '\n' ' ')"
	assert_live_unchanged

	case $stage in
	add)
		step "nothing was committed: no snapshot, no block"
		assert_no_orphans "no snapshot after a crash before commit"
		agent gc || fail "fsrvp_agent gc failed"
		;;
	commit)
		step "the reloaded committed set blocks new sets (Samba)"
		assert_blocked vol
		step "gc reclaims the snapshot once the set is dead, and removes the set from srv_fss.tdb"
		reclaimed() {
			agent gc >/dev/null || fail "fsrvp_agent gc failed"
			[ "$(list_subvolumes "$MNT")" = "$SUBVOLS0" ]
		}
		wait_until 120 "gc reclaims $root" reclaimed
		grep "^reclaim $root" -A1 "$LOGS/agent.log"
		assert_not_contains "$(tdb_fss_dump)" "set $set" "srv_fss.tdb after gc"
		step "the unblock: once rpcd_fsrvp has reloaded, new sets work"
		wait_rpcd_fsrvp_exit 90
		;;
	expose|recovery)
		if [ "$stage" = recovery ]; then
			step "gc seals the recovered writable copy (btrfs read-only flag)"
			agent gc || fail "fsrvp_agent gc failed"
			assert_subvol "$root"
			assert_eq "ro=true" "$(btrfs property get -ts "$root" ro)" \
				"ro flag of the recovered copy after gc"
			out=$(smbc "$x" "put /etc/hostname sealed-test.txt")
			assert_contains "$out" NT_STATUS_ "write to the sealed copy after the crash"
			assert_not_exists "$snap/sealed-test.txt"
		fi
		step "the exposed set is reclaimed by gc --expose-max-age 5s, its share removed"
		reclaimed() {
			agent gc --expose-max-age 5s >/dev/null || fail "fsrvp_agent gc failed"
			[ "$(list_subvolumes "$MNT")" = "$SUBVOLS0" ]
		}
		wait_until 60 "gc --expose-max-age 5s reclaims $root" reclaimed
		grep -q "removed exposed share $x" "$LOGS/agent.log" ||
			fail "gc did not remove the exposed share $x"
		if net -s "$CONF" conf showshare "$x" >/dev/null 2>&1; then
			fail "exposed share $x still in the registry"
		fi
		;;
	esac

	step "nothing orphaned; live share unchanged; a new set works"
	assert_no_orphans
	assert_live_unchanged
	new_set_try vol || fail "a new set is blocked at the end: $LAST_BLOCK"
	assert_no_orphans
	agent gc >/dev/null || fail "final fsrvp_agent gc failed"
	assert_no_orphans
	echo OK
}
