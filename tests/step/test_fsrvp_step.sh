#!/bin/bash
# Proves tests/fsrvp_step.py against Debian's real smbd/rpcd_fsrvp with the
# stock vfs_btrfs module (so this test does not depend on rvss.so):
#   - a full lifecycle driven one call at a time through the stdin mode,
#     with pauses between the steps, checked against srv_fss.tdb, the
#     btrfs subvolume list and smbclient on the exposed share;
#   - a bad set id gives E_INVALIDARG, an unprivileged user E_ACCESSDENIED;
#   - abort of an added set frees the server for a new set;
#   - the server is stopped and restarted between two steps, the client
#     reconnects and goes on; rpcd_fsrvp is killed (-9) after commit, and
#     the set it reloads from srv_fss.tdb can be exposed and deleted;
#   - library use (import fsrvp_step);
#   - the one-shot "create" mode and its JSON.
# Every line the client prints must parse as one JSON object.
#
# Uses the integration harness (tests/integration/lib.sh): private mount
# namespace, loop-mounted btrfs, private smb.conf and state directories.
# Exit 77 when not root / tools missing (a failure when CI=true).
export RVSS_BACKEND=btrfs
RVSS_SCRIPT=$(readlink -f "$0")
export RVSS_SCRIPT
HERE=$(dirname "$RVSS_SCRIPT")
. "$HERE/../integration/lib.sh"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 missing"
/usr/bin/python3 -c 'import samba.dcerpc.base' 2>/dev/null ||
	skip "python3-samba missing (make deps)"
rvss_init "$@"

STEP_PY=$HERE/../fsrvp_step.py
ADMIN="$ADMIN_USER%$ADMIN_PASS"
ZERO=00000000-0000-0000-0000-000000000000

# jget JSON KEY: a field of one JSON object (fails on unparsable JSON).
jget() {
	/usr/bin/python3 -c '
import json, sys
o = json.loads(sys.argv[1])
assert isinstance(o, dict), "not an object"
v = o.get(sys.argv[2])
print("" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))
' "$1" "$2" || fail "not a JSON object: $1"
}

# The stdin-mode client as a coprocess.
client_start() {	# [USER%PASS]
	coproc CLIENT { exec /usr/bin/python3 "$STEP_PY" -s "$CONF" \
		-p "$SMB_PORT" -U "${1:-$ADMIN}" 2>>"$LOGS/client.stderr"; }
}

# c CMD: send one command, read its one JSON line into R (and print it).
c() {
	printf '%s\n' "$1" >&"${CLIENT[1]}" || fail "client gone before: $1"
	R=
	IFS= read -r -t 120 R <&"${CLIENT[0]}" || fail "no answer to: $1"
	printf '> %s\n< %s\n' "$1" "$R" >>"$LOGS/step.log"
	printf '%s\n' "$R"
	jget "$R" op >/dev/null
}

client_quit() {
	printf 'quit\n' >&"${CLIENT[1]}"
	wait "$CLIENT_PID" || fail "client exited with $?"
}

assert_hres() {	# NAME WHAT
	assert_eq "$1" "$(jget "$R" hresult_name)" "$2"
}

step "set-up: btrfs, subvolume share, private smbd (vfs_btrfs)"
make_btrfs fs 512M
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
echo live >"$VOL/data.txt"
chown "$ADMIN_USER:rvssit" "$VOL/data.txt"
smb_conf_begin
add_share vol "$VOL"
make_users
smbd_start
DB=$SMBDIR/lock/srv_fss.tdb

step "version, is_path_supported"
client_start
c version
assert_hres S_OK "GetSupportedVersion"
assert_eq 1 "$(jget "$R" min_version)" "min version"
assert_eq 1 "$(jget "$R" max_version)" "max version"
c 'is_path_supported \\127.0.0.1\vol'
assert_hres S_OK "IsPathSupported"
assert_eq True "$(jget "$R" supported)" "vol supported"
c 'is_path_shadow_copied vol'
assert_hres FSRVP_E_NOT_SUPPORTED "IsPathShadowCopied (Samba: not supported)"

step "lifecycle, one step at a time, with pauses"
SUBVOLS0=$(list_subvolumes "$MNT")
c 'start file_share_backup,rw'
assert_hres S_OK "StartShadowCopySet"
SET=$(jget "$R" set_id)
assert_ne "$ZERO" "$SET" "set id"
c 'sleep 1'
c "add $SET //127.0.0.1/vol"
assert_hres S_OK "AddToShadowCopySet"
SC=$(jget "$R" sc_id)
assert_ne "$ZERO" "$SC" "shadow copy id"
c "add $SET vol"
assert_hres FSRVP_E_OBJECT_ALREADY_EXISTS "second add of the same share"
c "prepare $SET"
assert_hres S_OK "PrepareShadowCopySet"
# Nothing persisted before commit (Samba stores state from commit on).
[ ! -s "$DB" ] || ! tdbdump "$DB" | grep -q "sc_set/$SET" ||
	fail "set stored before commit"
c "commit $SET 30000"
assert_hres S_OK "CommitShadowCopySet"
tdbdump "$DB" >"$LOGS/srv_fss.committed.dump"
grep -q "key.*= \"sc_set/$SET/sc/$SC\\\\00\"" "$LOGS/srv_fss.committed.dump" ||
	fail "srv_fss.tdb lacks sc_set/$SET/sc/$SC after commit"
SNAP=$(sc_path_of "$SC")
[ -n "$SNAP" ] || fail "no sc_path for $SC in srv_fss.tdb"
assert_subvol "$SNAP"
assert_ne "$SUBVOLS0" "$(list_subvolumes "$MNT")" "subvolumes after commit"
c "mapping $SET $SC vol"
assert_hres FSRVP_E_BAD_STATE_W2012 "GetShareMapping before expose"
c 'sleep 2'
c "expose $SET"
assert_hres S_OK "ExposeShadowCopySet"
c "mapping $SET $SC //127.0.0.1/vol"
assert_hres S_OK "GetShareMapping"
EXPOSED=$(jget "$R" exposed_share)
assert_eq "vol@{$SC}" "$EXPOSED" "exposed share name"
assert_eq "$SET" "$(jget "$R" mapping_set_id)" "mapping set id"
assert_eq "$SC" "$(jget "$R" mapping_sc_id)" "mapping sc id"
TS=$(jget "$R" tstamp_unix)
NOW=$(date +%s)
[ "$TS" -gt $((NOW - 3600)) ] && [ "$TS" -le $((NOW + 60)) ] ||
	fail "mapping time stamp $TS is not around now ($NOW)"
assert_eq live "$(smb_get "$EXPOSED" data.txt)" "data.txt read via the exposed share"
c "recovery $SET"
assert_hres S_OK "RecoveryCompleteShadowCopySet"
tdbdump "$DB" >"$LOGS/srv_fss.recovered.dump"
c "delete $SET $SC vol"
assert_hres S_OK "DeleteShareMapping"
assert_eq "$SUBVOLS0" "$(list_subvolumes "$MNT")" "subvolumes after delete"
c "delete $SET $SC vol"
assert_hres FSRVP_E_OBJECT_NOT_FOUND "DeleteShareMapping twice"

step "bad set id: E_INVALIDARG"
BAD=$(cat /proc/sys/kernel/random/uuid)
for cmd in "add $BAD vol" "commit $BAD" "expose $BAD" "recovery $BAD" \
	"abort $BAD" "prepare $BAD" "mapping $BAD $BAD vol"; do
	c "$cmd"
	assert_hres E_INVALIDARG "$cmd"
	assert_eq 0x80070057 "$(jget "$R" hresult)" "$cmd (number)"
done

step "abort of an added set, then a new set can start"
c 'start backup'
assert_hres S_OK "start"
SET2=$(jget "$R" set_id)
c "start backup"
assert_hres FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS "second start while one is active"
c "add $SET2 vol"
assert_hres S_OK "add"
c "abort $SET2"
assert_hres S_OK "AbortShadowCopySet"
c "commit $SET2"
assert_hres E_INVALIDARG "commit of an aborted set"
c 'start backup'
assert_hres S_OK "start after abort"
SET3=$(jget "$R" set_id)
c "abort $SET3"
assert_hres S_OK "abort"

step "server stopped and restarted between two steps; the client reconnects"
c 'start backup'
assert_hres S_OK "start before the restart"
SET4=$(jget "$R" set_id)
smbd_stop
c 'version'
[ -n "$(jget "$R" error)" ] || fail "a call to a stopped server gave no error: $R"
smbd_start
c 'reconnect'
assert_eq True "$(jget "$R" connected)" "reconnect"
c "add $SET4 vol"
# Samba persists nothing before commit: the started set died with rpcd_fsrvp.
assert_hres E_INVALIDARG "add to a set started before the restart"
c 'start backup'
assert_hres S_OK "start after the restart"
c "abort $(jget "$R" set_id)"
assert_hres S_OK "abort"
c 'echo bye'
assert_eq bye "$(jget "$R" text)" "echo"
client_quit

step "kill -9 of rpcd_fsrvp after commit; reconnect; the set was reloaded"
client_start
c 'start backup'
assert_hres S_OK "start"
SET6=$(jget "$R" set_id)
c "add $SET6 vol"
assert_hres S_OK "add"
SC6=$(jget "$R" sc_id)
sleep 1 # vfs_btrfs names snapshots by the second
c "commit $SET6"
assert_hres S_OK "commit"
SNAP6=$(sc_path_of "$SC6")
assert_subvol "$SNAP6"
PIDS=$(rpcd_fsrvp_pids)
[ -n "$PIDS" ] || fail "no rpcd_fsrvp process found"
kill -KILL $PIDS
c 'version'
[ -n "$(jget "$R" error)" ] || fail "the pipe survived kill -9: $R"
c 'reconnect'
assert_eq True "$(jget "$R" connected)" "reconnect after kill -9"
c 'version'
assert_hres S_OK "a new rpcd_fsrvp answers"
# The new worker loaded srv_fss.tdb: the committed set is known again.
c "expose $SET6"
assert_hres S_OK "expose of the reloaded set"
c "mapping $SET6 $SC6 vol"
assert_hres S_OK "mapping of the reloaded set"
c "delete $SET6 $SC6 vol"
assert_hres S_OK "delete of the reloaded set"
[ ! -e "$SNAP6" ] || fail "$SNAP6 still exists"
client_quit

step "library use: import fsrvp_step"
out=$(cd "$HERE/.." && /usr/bin/python3 - "$CONF" "$SMB_PORT" "$ADMIN" \
	2>>"$LOGS/client.stderr" <<'PYEOF'
import json, sys
import fsrvp_step
c = fsrvp_step.FsrvpClient('127.0.0.1', int(sys.argv[2]), sys.argv[3],
                           conf=sys.argv[1])
v = c.get_supported_version()
assert c.set_context(fsrvp_step.CONTEXTS['backup'])['hresult'] == '0x00000000'
r = c.start_shadow_copy_set()
a = c.abort_shadow_copy_set(r['set_id'])
print(json.dumps({'version': v['hresult_name'], 'start': r['hresult_name'],
                  'abort': a['hresult_name']}))
PYEOF
) || fail "library use: $out"
assert_eq '{"version": "S_OK", "start": "S_OK", "abort": "S_OK"}' "$out" \
	"library calls"

step "a command error does not end the session; every line is JSON"
out=$(printf '%s\n' 'frobnicate' 'add' 'version' 'quit' |
	/usr/bin/python3 "$STEP_PY" -s "$CONF" -p "$SMB_PORT" -U "$ADMIN" \
	2>>"$LOGS/client.stderr")
assert_eq 3 "$(printf '%s\n' "$out" | wc -l)" "three answers"
while IFS= read -r l; do
	jget "$l" op >/dev/null
done <<<"$out"
assert_contains "$(printf '%s\n' "$out" | sed -n 1p)" '"error"' "unknown command"
assert_contains "$(printf '%s\n' "$out" | sed -n 3p)" '"S_OK"' "version after errors"

step "unprivileged user: E_ACCESSDENIED"
R=$(/usr/bin/python3 "$STEP_PY" -s "$CONF" -p "$SMB_PORT" \
	-U "$PLAIN_USER%$PLAIN_PASS" start backup 2>>"$LOGS/client.stderr")
assert_hres E_ACCESSDENIED "start as $PLAIN_USER"

step "one-shot create, then one-shot delete"
R=$(/usr/bin/python3 "$STEP_PY" -s "$CONF" -p "$SMB_PORT" -U "$ADMIN" \
	create backup ro vol 2>>"$LOGS/client.stderr") ||
	fail "one-shot create failed: $R"
printf '%s\n' "$R" >>"$LOGS/step.log"
assert_hres S_OK "create"
assert_eq "" "$(jget "$R" failed_step)" "no failed step"
SET5=$(jget "$R" set_id)
SC5=$(jget "$R" sc_id)
assert_eq "vol@{$SC5}" "$(jget "$R" exposed_share)" "one-shot exposed share"
SNAP5=$(jget "$R" snap_path)
assert_eq "$(sc_path_of "$SC5")" "$SNAP5" "one-shot snap_path = srv_fss.tdb's"
assert_subvol "$SNAP5"
assert_eq 0x00000000 "$(jget "$R" context)" "context of backup ro"
R=$(/usr/bin/python3 "$STEP_PY" -s "$CONF" -p "$SMB_PORT" -U "$ADMIN" \
	delete "$SET5" "$SC5" vol 2>>"$LOGS/client.stderr") ||
	fail "one-shot delete failed: $R"
assert_hres S_OK "one-shot delete"
assert_eq "$SUBVOLS0" "$(list_subvolumes "$MNT")" "subvolumes at the end"

step "PASS"
