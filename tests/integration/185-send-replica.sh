#!/bin/bash
# Off-box copies of retained backups (issue 13): `fsrvp_agent send` with two
# loop btrfs filesystems, the backups made by real FSRVP cycles (ro sets
# retained on delete, rvss:retain).
#
#  - a target that is not btrfs, or that a user could change, is refused;
#  - three backups are sent: the first in full, the second and third
#    incremental (stream sizes printed, each incremental < 1/10 of the full);
#    each replica is read-only, has the backup's UUID as received UUID and
#    the same tree checksum as the backup; a second run sends nothing;
#  - the middle backup pruned by gc (its own retain age) does not break
#    the next send: it goes incremental from the newest common one (--json);
#  - a command target (--to-command, with RVSS_SHARE): full, then
#    incremental; a failing command names the step (receive / transport)
#    and records nothing;
#  - a full target: receive fails, no half-received subvolume is left, the
#    backups before it are recorded;
#  - kill -9 of the agent mid-send leaves a half-received subvolume (no
#    received UUID); the next run removes it and sends again;
#  - when no common snapshot is left, the agent says so and sends in full;
#  - restore from the replica of a backup pruned locally.
. "$(dirname "$0")/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"

step "set-up: the share's btrfs, a target btrfs, an ext4, a small btrfs"
life_setup 2G
SRCMNT=$MNT
head -c $((8 << 20)) /dev/urandom >"$VOL/big.bin"
chown "$ADMIN_UID:rvssit" "$VOL/big.bin"
smb_conf_begin
add_share vol "$VOL" "vfs objects = rvss shadow_copy2" \
	"shadow:snapdir = .rvss-snapshots" "rvss:retain = 10"
make_users
smbd_start
STORE=$VOL/.rvss-snapshots
make_btrfs tgt 2G
TMNT=$MNT
REPL=$TMNT/replicas
mkdir -m 755 "$REPL"
make_ext4 ext 64M
mkdir -m 755 "$WORK/ext/replicas"
make_btrfs small 192M
SMALL=$MNT/replicas
mkdir -m 755 "$SMALL"
MNT=$SRCMNT

# set_retain VALUE: rvss:retain of [vol] (a retained backup keeps the
# policy it was retained under); smbd restarted to read it.
set_retain() {
	sed -i "s/rvss:retain = .*/rvss:retain = $1/" "$CONF"
	smbd_restart
}

# backup TEXT: change data.txt and 64 KiB of big.bin, then an ro set is
# created, exposed and deleted (retained); its name in BK.
NB=0
backup() {
	echo "$1" >"$VOL/data.txt"
	NB=$((NB + 1))
	dd if=/dev/urandom of="$VOL/big.bin" bs=64K count=1 seek=$((NB * 7)) \
		conv=notrunc status=none
	retained_backup vol "$STORE"
	echo "backup $BK: data.txt = $1"
}

# stream_bytes OUTPUT NAME: the stream size the agent printed for NAME
stream_bytes() {
	printf '%s\n' "$1" | sed -n "s/^vol $2: sent .* (\([0-9]*\) bytes).*/\1/p"
}

received_uuid() {	# SUBVOL
	btrfs subvolume show "$1" | sed -n 's/^[[:space:]]*Received UUID:[[:space:]]*//p'
}
own_uuid() {	# SUBVOL
	btrfs subvolume show "$1" | sed -n 's/^[[:space:]]*UUID:[[:space:]]*//p'
}

# assert_replica NAME [DIR]: read-only, received UUID = the backup's UUID,
# same tree checksum as the backup in the store.
assert_replica() {
	local name=$1 dir=${2:-$REPL/vol}
	assert_subvol "$dir/$name"
	assert_eq "ro=true" "$(btrfs property get -ts "$dir/$name" ro)" "ro flag of replica $name"
	assert_eq "$(own_uuid "$STORE/$name")" "$(received_uuid "$dir/$name")" \
		"received UUID of replica $name"
	assert_eq "$(tree_sum "$STORE/$name")" "$(tree_sum "$dir/$name")" \
		"tree checksum of replica $name"
	echo "replica $name: checksum $(tree_sum "$dir/$name") = backup's"
}

step "refused targets: not btrfs, writable by others; nothing to send yet"
out=$(agent send --to "$WORK/ext/replicas")
assert_eq 2 "$?" "send to ext4: exit status"
assert_contains "$out" "is not on a btrfs filesystem: refused" "send to ext4"
chmod 777 "$REPL"
out=$(agent send --to "$REPL")
assert_eq 2 "$?" "send to a world-writable directory: exit status"
assert_contains "$out" "refused" "send to a world-writable directory"
chmod 755 "$REPL"
# one send per target at a time (a flock on the target directory)
/usr/bin/python3 -c 'import fcntl, os, sys, time
fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), fcntl.LOCK_EX)
time.sleep(60)' "$REPL" &
FLOCK_PID=$!
sleep 0.5
out=$(agent send --to "$REPL")
assert_eq 2 "$?" "send while another holds the target: exit status"
assert_contains "$out" "another fsrvp_agent send or receive on this target is running" "target lock"
kill "$FLOCK_PID"
wait "$FLOCK_PID" 2>/dev/null
out=$(agent send --to "$REPL") || fail "send with no backup: $out"
assert_contains "$out" "nothing to send" "send with no backup"

step "three backups; dry run; send: the first in full, then incremental"
backup "version 1"; B1=$BK
backup "version 2"; B2=$BK
set_retain "10, 6s"
backup "version 3"; B3=$BK
T3=$(date +%s)
set_retain 10
out=$(agent send --to "$REPL" --dry-run) || fail "dry run: $out"
assert_contains "$out" "vol $B1: would send in full" "dry run"
assert_contains "$out" "vol $B2: would send incremental (parent $B1)" "dry run"
assert_contains "$out" "vol $B3: would send incremental (parent $B2)" "dry run"
[ -z "$(ls "$REPL")" ] || fail "the dry run changed the target: $(ls "$REPL")"
out=$(agent send --to "$REPL") || fail "send: $out"
printf '%s\n' "$out"
assert_contains "$out" "vol $B1: sent in full" "first send"
assert_contains "$out" "vol $B2: sent incremental (parent $B1)" "second send"
assert_contains "$out" "vol $B3: sent incremental (parent $B2)" "third send"
F=$(stream_bytes "$out" "$B1") I2=$(stream_bytes "$out" "$B2") I3=$(stream_bytes "$out" "$B3")
echo "stream sizes: full $F bytes, incremental $I2 and $I3 bytes" \
	"(full/incremental: $((F / I2))x, $((F / I3))x)"
[ "$((I2 * 10))" -lt "$F" ] || fail "incremental $I2 not << full $F"
[ "$((I3 * 10))" -lt "$F" ] || fail "incremental $I3 not << full $F"
for b in "$B1" "$B2" "$B3"; do
	assert_replica "$b"
done
out=$(agent send --to "$REPL") || fail "second run: $out"
assert_contains "$out" "nothing to send" "second run"
agent list >/dev/null || fail "list with replica records in the catalog"

step "gc prunes the middle backup (its retain age); the next send skips it"
backup "version 4"; B4=$BK
while [ $(($(date +%s) - T3)) -le 7 ]; do sleep 1; done
agent gc || fail "gc"
assert_not_exists "$STORE/$B3"
[ -d "$STORE/$B2" ] && [ -d "$STORE/$B4" ] || fail "gc pruned more than $B3"
out=$(agent send --to "$REPL" --json) || fail "send --json: $out"
printf '%s\n' "$out"
j=$(/usr/bin/python3 -c '
import json, sys
o = json.loads(sys.argv[1])
b = o["backups"]
print(len(b), b[0]["name"], b[0]["status"], b[0]["mode"], b[0]["parent"], b[0]["bytes"])
' "$out") || fail "send --json is not the expected JSON: $out"
echo "json: $j"
set -- $j
assert_eq "1 $B4 sent incremental $B2" "$1 $2 $3 $4 $5" "send --json after the middle one was pruned"
[ "$(($6 * 10))" -lt "$F" ] || fail "incremental $6 from $B2 not << full $F"
assert_replica "$B4"

step "a command target: full, then incremental; failing commands record nothing"
VIA=$TMNT/via-command
mkdir -m 755 "$VIA"
# (the sleep makes the receiver slow enough for the progress step below)
VIACMD="mkdir -p $VIA/\$RVSS_SHARE && sleep 1 && btrfs receive $VIA/\$RVSS_SHARE"
out=$(agent send --to-command "$VIACMD") || fail "send --to-command: $out"
printf '%s\n' "$out"
assert_contains "$out" "vol $B1: sent in full" "command: first"
assert_contains "$out" "vol $B2: sent incremental (parent $B1)" "command: second"
assert_contains "$out" "vol $B4: sent incremental (parent $B2)" "command: third"
assert_replica "$B4" "$VIA/vol"
assert_not_contains "$out" "MiB/s," "progress when not on a terminal"
out=$(agent send --to-command 'cat >/dev/null; exit 3')
assert_eq 1 "$?" "a failing command: exit status"
printf '%s\n' "$out"
assert_contains "$out" "vol $B1: receive failed: the command: exit status 3" "failing command"
out=$(agent send --to-command 'exit 255')
assert_eq 1 "$?" "an unreachable receiver: exit status"
printf '%s\n' "$out"
assert_contains "$out" "vol $B1: transport failed" "unreachable receiver"
out=$(agent send --to-command 'exit 255' --dry-run) || fail "dry run: $out"
assert_contains "$out" "vol $B1: would send in full" "nothing recorded after the failure"

step "fsrvp_agent receive at the command's far end: cleans up before and after"
VIA2=$TMNT/via-receive
mkdir -m 755 "$VIA2"
# what an interrupted receive leaves: a writable subvolume, no received UUID
btrfs subvolume create "$VIA2/@GMT-2020.01.01-00.00.00" >>"$LOGS/setup.log" 2>&1 ||
	fail "subvolume create"
out=$(agent send --to-command "head -c 200000 | $AGENT receive $VIA2")
assert_eq 1 "$?" "a stream cut short: exit status"
printf '%s\n' "$out"
assert_contains "$out" "vol $B1: receive failed: the command: exit status 1" "stream cut short"
assert_eq "" "$(ls "$VIA2")" "nothing half-received left by fsrvp_agent receive"
out=$(agent send --to-command "$AGENT receive $VIA2") || fail "send to fsrvp_agent receive: $out"
printf '%s\n' "$out"
assert_contains "$out" "vol $B1: sent in full" "fsrvp_agent receive: first"
assert_contains "$out" "vol $B4: sent incremental (parent $B2)" "fsrvp_agent receive: last"
for b in "$B1" "$B2" "$B4"; do
	assert_replica "$b" "$VIA2"
done

step "a full target: receive fails, nothing half-received is left"
head -c $((200 << 20)) /dev/urandom >"$VOL/large.bin"
backup "version 5"; B5=$BK
out=$(agent send --to "$SMALL")
assert_eq 1 "$?" "send to a full target: exit status"
printf '%s\n' "$out"
assert_contains "$out" "vol $B5: receive failed" "full target"
assert_contains "$out" "removed the half-received $SMALL/vol/$B5" "full target"
assert_not_exists "$SMALL/vol/$B5"
assert_replica "$B4" "$SMALL/vol"
out=$(agent send --to "$SMALL" --dry-run) || fail "dry run: $out"
assert_contains "$out" "vol $B5: would send incremental (parent $B4)" "full target: not recorded"

step "kill -9 of the agent mid-send; the next run cleans up and sends again"
"$AGENT" send -s "$CONF" --to "$REPL" >"$LOGS/killed-send.out" 2>&1 &
APID=$!
for i in $(seq 1 3000); do
	[ -d "$REPL/vol/$B5" ] && break
	kill -0 "$APID" 2>/dev/null || break
	sleep 0.01
done
kill -KILL "$APID" 2>/dev/null
wait "$APID" 2>/dev/null
cat "$LOGS/killed-send.out"
[ -d "$REPL/vol/$B5" ] || fail "the send did not begin before the kill"
[ -z "$(received_uuid "$REPL/vol/$B5" | tr -d -)" ] ||
	fail "the send finished before the kill (make large.bin larger)"
echo "half-received $B5 left by the kill: no received UUID"
# btrfs send and receive end by themselves (EPIPE, EOF)
for i in $(seq 1 100); do
	pgrep -f "btrfs receive /proc/self/fd" >/dev/null || break
	sleep 0.1
done
out=$(agent send --to "$REPL") || fail "send after the kill: $out"
printf '%s\n' "$out"
assert_contains "$out" "removed the half-received $REPL/vol/$B5" "send after the kill"
assert_contains "$out" "vol $B5: sent incremental (parent $B4)" "send after the kill"
assert_replica "$B5"

step "progress on a terminal (script): bytes, rate, elapsed"
out=$(script -qec "$AGENT send -s $CONF --to-command '$VIACMD'" /dev/null) ||
	fail "send on a terminal: $out"
printf '%s\n' "$out" | tr '\r' '\n' | grep -v '^.\[K$' | head -n 20
assert_contains "$out" "vol $B5: " "progress line"
printf '%s' "$out" | tr '\r' '\n' |
	grep -qE "vol $B5: [0-9.]+ (B|KiB|MiB|GiB), [0-9.]+ (B|KiB|MiB|GiB)/s, 0:[0-9]{2} " ||
	fail "progress line: no bytes, rate and elapsed time"
assert_contains "$out" "(incremental: size not known before the end)" "progress line"
assert_contains "$out" "vol $B5: sent incremental (parent $B4)" "summary after the progress"
assert_replica "$B5" "$VIA/vol"

step "no common snapshot left: the agent says so and sends in full"
rm -f "$VOL/large.bin"
backup "version 6"; B6=$BK
# every backup the target holds is gone here (pruned by hand: gc prunes
# by each backup's own policy, and these are kept for 10)
for b in "$B1" "$B2" "$B4" "$B5"; do
	btrfs subvolume delete "$STORE/$b" >>"$LOGS/setup.log" 2>&1 ||
		fail "btrfs subvolume delete $b"
done
out=$(agent send --to "$REPL") || fail "send: $out"
printf '%s\n' "$out"
assert_contains "$out" "vol $B6: no snapshot in common with the target is left: sending it in full" \
	"no common snapshot"
assert_contains "$out" "vol $B6: sent in full" "no common snapshot"
assert_replica "$B6"
# on a terminal, a full send shows an estimate of the time left
out=$(script -qec "$AGENT send -s $CONF --to-command '$VIACMD'" /dev/null) ||
	fail "full send on a terminal: $out"
printf '%s\n' "$out" | tr '\r' '\n' | grep -v '^.\[K$' | head -n 20
assert_contains "$out" "left of ~8." "progress of a full send: estimate"
assert_contains "$out" "vol $B6: sent in full" "full send on a terminal"
assert_replica "$B6" "$VIA/vol"

step "restore from the replica of a backup pruned here"
assert_not_exists "$STORE/$B1"
out=$(agent restore "$REPL/vol/$B1/data.txt" "$VOL/from-replica.txt") ||
	fail "restore from the replica: $out"
assert_contains "$out" "from the replica" "restore"
assert_file_content "$VOL/from-replica.txt" "version 1"
agent restore "$REPL/vol/$B1/dir" "$VOL/dir-from-replica" || fail "restore a directory"
assert_eq "$(seq 1 5000)" "$(cat "$VOL/dir-from-replica/sub/numbers.txt")" "restored directory"
mkdir -m 755 "$TMNT/other"
echo x >"$TMNT/other/f"
if agent restore "$TMNT/other/f" "$VOL/f"; then
	fail "restore from a directory that is no replica"
fi
echo OK
