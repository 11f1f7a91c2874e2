#!/bin/bash
# rvss crash consistency (make crash -> bench/crash.sh BUILDDIR): issue 11's
# proof that a kill -9 of rpcd_fsrvp inside Commit or Delete, followed by
# `fsrvp_agent gc`, leaves no orphan, loses no retained backup and blocks
# no server.  Prints totals; judges no timing.  Exits non-zero on an
# orphan, a lost backup, a blocked server or a failed gc.
#
# One server and one filesystem for every iteration (tests/integration/
# lib.sh: private mount namespace, loop btrfs, loopback): shares [vol]
# (subvolume V) and [ret] (subvolume R, rvss:retain = 3, three retained
# backups made first), Samba's timers short (fss: sequence timeout = 2,
# rvss:timer slack = 2s, rvss:reclaim grace = 2s, rpcd_fsrvp:idle_seconds
# = 3).  RVSS_CRASH_ITERATIONS times (default 200), with a random choice of
# share, of ro (backup) or rw (file_share_backup + auto-recovery), and of
# the call:
#   Commit: SetContext, Start, Add, Prepare, then CommitShadowCopySet;
#   Delete: the set made, exposed, recovered (rw), then DeleteShareMapping;
# rpcd_fsrvp gets kill -9 after a random delay from the moment the call is
# sent, uniform in [0, D]: D is the longest Commit/Delete
# measured on this server first (a call of a few ms would otherwise mostly
# be missed), at most RVSS_CRASH_MAX_DELAY_MS (300).  The requester
# vanishes with it; samba-dcerpcd starts a new rpcd_fsrvp on the next call.
# Then: wait past the timers (5 s), `fsrvp_agent gc --grace 2s
# --expose-max-age 3s` (the abandoned exposed set of a killed Delete is
# reclaimed by age), repeated while it still finds work (at most 30 s),
# and the checks:
#   orphans: every subvolume beyond the shares' own is in rvss's catalog,
#            every catalog record's subvolume exists;
#   lost:    every retained backup of [ret] is still there, unless pruned
#            by rvss:retain = 3 in favour of newer ones; each is read-only;
#   blocked: a new set (create, expose, delete) on [vol] works within 60 s.
#
# Results in BUILDDIR/crash-results/ (RVSS_CRASH_OUT); docs/
# crash-consistency.md is rewritten unless RVSS_CRASH_NO_DOCS=1.
# RVSS_CRASH_SEED (1) makes the random choices repeatable.
#
# Copyright (C) rvss authors.  GPL-3.0-or-later.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034  # read by lib.sh (rvss_init re-executes it)
RVSS_SCRIPT=$BENCH_SRC/crash.sh
export RVSS_BUILDDIR=${1:-${RVSS_BUILDDIR:-build}}
export RVSS_BACKEND=rvss
SRC=$(cd "$BENCH_SRC/.." && pwd)
case $RVSS_BUILDDIR in
/*) ;;
*) RVSS_BUILDDIR=$SRC/$RVSS_BUILDDIR ;;
esac
export RVSS_CRASH_OUT=${RVSS_CRASH_OUT:-$RVSS_BUILDDIR/crash-results}
if [ "${RVSS_IN_NS:-}" != "$$" ]; then
	rm -rf "$RVSS_CRASH_OUT"
	mkdir -p "$RVSS_CRASH_OUT"
	export RVSS_CRASH_COMMAND="${RVSS_CRASH_COMMAND:-bench/crash.sh $*}"
fi
export RVSS_LOGDIR=$RVSS_CRASH_OUT/logs

# shellcheck source=../tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
rvss_init "$@"
# shellcheck source=../tests/integration/lifecycle.sh
. "$RVSS_LIBDIR/lifecycle.sh"

OUT=$RVSS_CRASH_OUT
PY=/usr/bin/python3
ITER=${RVSS_CRASH_ITERATIONS:-200}
MAX_DELAY=${RVSS_CRASH_MAX_DELAY_MS:-300}
SEED=${RVSS_CRASH_SEED:-1}
RANDOM=$SEED

crash_py() {
	local cmd=$1
	shift
	"$PY" "$BENCH_SRC/soak.py" "$cmd" --conf "$CONF" --port "$SMB_PORT" \
		--user "$ADMIN_USER%$ADMIN_PASS" --smbd-pid "$SMBD_PID" \
		--pid-dir "$SMBDIR/pid" --lock-dir "$SMBDIR/lock" --mnt "$FS" \
		--agent "$AGENT" "$@" 2>>"$LOGS/crash.stderr"
}

{
	echo "date: $(date -u +%FT%TZ)"
	echo "nproc: $(nproc)"
	echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel: $(uname -r)"
	echo "btrfs-progs: $(btrfs --version | sed 's/^btrfs-progs //')"
	echo "samba: $(smbd --version | sed 's/^Version //')"
	echo "rvss: $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"
step "machine"
cat "$OUT/machine.txt"

step "one server: [vol], [ret] (rvss:retain = 3); short timers"
make_btrfs fs 2G
FS=$MNT
for v in V R; do
	make_subvol "$FS/$v"
	make_share_dir "$FS/$v"
	mkdir -p "$FS/$v/dir"
	echo live >"$FS/$v/data.txt"
	seq 1 5000 >"$FS/$v/dir/numbers.txt"
	chown -R "$ADMIN_UID:rvssit" "$FS/$v"
done
list_subvolumes "$FS" | sed "s|^|$FS/|" >"$OUT/base-subvols.txt"
SUMS="$(tree_sum "$FS/V") $(tree_sum "$FS/R")"
FSS_SEQUENCE_TIMEOUT=2 RVSS_TIMER_SLACK=2s smb_conf_begin \
	"log level = 1 rvss:3 rpc_srv:3" "rpcd_fsrvp:idle_seconds = 3"
add_share vol "$FS/V" "vfs objects = rvss" "rvss:reclaim grace = 2s"
add_share ret "$FS/R" "vfs objects = rvss" "rvss:reclaim grace = 2s" \
	"rvss:retain = 3"
make_users
smbd_start

step "three retained backups of [ret]; Commit and Delete timed"
cal=$(crash_py calibrate --share vol --share ret --n 2) ||
	fail "calibration cycles failed: $(tail -n 3 "$LOGS/crash.stderr")"
echo "longest call (ms): $cal"
agent gc --grace 2s >/dev/null || fail "fsrvp_agent gc failed"
rm -f "$OUT/retained.prev"
r=$(crash_py crash-check --base-subvols "$OUT/base-subvols.txt" \
	--prev "$OUT/retained.prev" --retain-share ret --retain 3)
echo "$r"
[ "$(jget "$r" retained)" = 3 ] || fail "expected 3 retained backups of [ret]: $r"
read -r D_COMMIT D_DELETE < <("$PY" -c '
import json, sys
c = json.loads(sys.argv[1]); m = float(sys.argv[2])
print(round(min(m, c["commit"]), 1), round(min(m, c["delete"]), 1))
' "$cal" "$MAX_DELAY")
echo "kill delay: uniform in [0, $D_COMMIT] ms during Commit, [0, $D_DELETE] ms during Delete"

# gc_until_quiet: gc until it has nothing left to do (bounded: 30 s).
# Returns 2 when gc refused because srv_fss.tdb is not whole (a kill inside
# Samba's fss_state_store, which wipes the file and writes its version
# before its transaction, leaves it so until rpcd_fsrvp stores again).
gc_until_quiet() {
	local i out
	for i in $(seq 1 30); do
		out=$(agent gc --grace 2s --expose-max-age 3s) || {
			printf '%s\n' "$out" >>"$OUT/gc-failures.txt"
			case $out in
			# the whole run refused: Samba's state unreadable
			# (-EAGAIN never whole, -EIO a transaction to recover,
			# -EBADMSG undecodable)
			*"nothing done"*) return 2 ;;
			esac
			GC_FAILED=1
			return 1
		}
		GC_OUT="$GC_OUT$out
"
		case $out in
		*" 0 action(s)"*) return 0 ;;
		esac
		sleep 1
	done
	return 0
}

n_commit=0 n_delete=0 in_commit=0 in_delete=0 orphans=0 lost=0 blocked=0
gc_failed=0 leftover=0 not_ro=0 n_partial=0 partial_left=0 n_read_empty=0
t_start=$(date +%s)
: >"$OUT/crash.jsonl"
for i in $(seq 1 "$ITER"); do
	if [ $((RANDOM % 2)) = 0 ]; then op=commit; d=$D_COMMIT; else op=delete; d=$D_DELETE; fi
	rw=""; [ $((RANDOM % 2)) = 0 ] && rw=--rw
	share=vol; [ $((RANDOM % 2)) = 0 ] && share=ret
	t_i=$(date +%s.%N)
	it=$(crash_py crash-iter --op "$op" $rw --share "$share" \
		--max-delay-ms "$d" --seed "$((SEED * 100000 + i))") ||
		fail "iteration $i: $op could not be set up: $(tail -n 3 "$LOGS/crash.stderr")"
	[ "$op" = commit ] && n_commit=$((n_commit + 1)) || n_delete=$((n_delete + 1))
	if [ "$(jget "$it" inside)" = True ] || [ "$(jget "$it" inside)" = true ]; then
		[ "$op" = commit ] && in_commit=$((in_commit + 1)) || in_delete=$((in_delete + 1))
	fi
	# Samba's timers (2 s + rvss:timer slack 2 s) and rvss:reclaim grace
	sleep 5
	GC_OUT= GC_FAILED=0 partial=0
	gc_until_quiet
	if [ $? = 2 ]; then
		partial=1
		n_partial=$((n_partial + 1))
		echo "srv_fss.tdb after the kill: $(tdb_fss_dump 2>&1 | tr '\n' ' ')" >>"$OUT/gc-failures.txt"
	fi
	# the server is not blocked: a new set within 60 s (its calls also make
	# rpcd_fsrvp store srv_fss.tdb whole again)
	t_b=$(date +%s)
	ok=0 tries=0
	while [ $(($(date +%s) - t_b)) -lt 60 ]; do
		tries=$((tries + 1))
		ns=$(crash_py new-set --share vol) || ns='{"ok": false}'
		case $ns in *'"ok": true'*) ok=1; break ;; esac
		sleep 1
	done
	unblock=$(($(date +%s) - t_b))
	[ "$ok" = 1 ] || blocked=$((blocked + 1))
	if [ "$partial" = 1 ]; then
		# gc again, now that Samba's state is whole
		sleep 3
		gc_until_quiet
		case $? in
		2) gc_failed=$((gc_failed + 1)); partial_left=$((partial_left + 1)) ;;
		esac
	fi
	[ "$GC_FAILED" = 1 ] && gc_failed=$((gc_failed + 1))
	case $GC_OUT in
	*"no rpcd_fsrvp is running"*) read_empty=1; n_read_empty=$((n_read_empty + 1)) ;;
	*) read_empty=0 ;;
	esac
	chk=$(crash_py crash-check --base-subvols "$OUT/base-subvols.txt" \
		--prev "$OUT/retained.prev" --retain-share ret --retain 3) ||
		chk='{"orphans": ["(catalog unreadable)"], "lost": [], "retained": -1, "retained_not_ro": [], "other_records": []}'
	no=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(len(d["orphans"]), len(d["lost"]), len(d["retained_not_ro"]), len(d["other_records"]))' "$chk")
	read -r o l nr left <<<"$no"
	orphans=$((orphans + o)) lost=$((lost + l)) not_ro=$((not_ro + nr))
	leftover=$((leftover + left))
	secs=$("$PY" -c "import time; print(round(time.time() - $t_i, 1))")
	line=$("$PY" -c '
import json, sys
it, chk, ns = (json.loads(x) for x in sys.argv[1:4])
it.update({"i": int(sys.argv[4]), "check": chk, "new_set": ns,
           "new_set_tries": int(sys.argv[5]), "unblock_s": int(sys.argv[6]),
           "seconds": float(sys.argv[7]), "fss_state_partial": sys.argv[8] == "1",
           "fss_state_read_as_no_sets": sys.argv[9] == "1"})
print(json.dumps(it))' "$it" "$chk" "$ns" "$i" "$tries" "$unblock" "$secs" "$partial" "$read_empty")
	printf '%s\n' "$line" >>"$OUT/crash.jsonl"
	printf '%3d %-6s %-3s %-3s delay %6s ms inside %-5s%s orphans %s lost %s retained %s new set %s (%s tries) %ss\n' \
		"$i" "$op" "$([ -n "$rw" ] && echo rw || echo ro)" "$share" \
		"$(jget "$it" delay_ms)" "$(jget "$it" inside)" \
		"$([ "$partial" = 1 ] && echo " srv_fss.tdb-not-whole")$([ "$read_empty" = 1 ] && echo " srv_fss.tdb-read-as-no-sets")" "$o" "$l" \
		"$(jget "$chk" retained)" "$([ "$ok" = 1 ] && echo ok || echo BLOCKED)" \
		"$tries" "$secs"
	if [ "$o" != 0 ] || [ "$l" != 0 ] || [ "$ok" != 1 ]; then
		printf 'iteration %d: %s\n' "$i" "$line" >>"$OUT/problems.txt"
		printf '%s\n' "$GC_OUT" >>"$OUT/problems.txt"
	fi
done
t_all=$(($(date +%s) - t_start))
live_ok=yes
[ "$SUMS" = "$(tree_sum "$FS/V") $(tree_sum "$FS/R")" ] || live_ok=NO
smbd_stop
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

step "totals"
{
	echo "- iterations: $ITER ($t_all s, $("$PY" -c "print(round($t_all / max(1, $ITER), 1))") s each)"
	echo "- kills during Commit: $n_commit, of which $in_commit landed before Commit answered (inside it)"
	echo "- kills during Delete: $n_delete, of which $in_delete landed before DeleteShareMapping answered (inside it)"
	echo "- kill delay: uniform in [0, $D_COMMIT] ms (Commit), [0, $D_DELETE] ms (Delete); longest calls measured first: $cal"
	echo "- orphans: $orphans"
	echo "- retained backups lost: $lost (not read-only: $not_ro)"
	echo "- blocked servers (no new set within 60 s): $blocked"
	echo "- gc runs that failed: $gc_failed"
	echo "- iterations whose kill left srv_fss.tdb not whole, read by gc as no sets (no rpcd_fsrvp running; Samba's next one loads it so): $n_read_empty"
	echo "- iterations where gc refused a srv_fss.tdb that was not whole (until rpcd_fsrvp stored it again at the next FSRVP call): $n_partial; still not whole after the new set: $partial_left"
	echo "- catalog records other than [ret]'s retained backups left after gc: $leftover (summed over iterations)"
	echo "- live shares unchanged: $live_ok"
	"$PY" -c '
import json, re, sys
its = [json.loads(l) for l in open(sys.argv[1])]
if its:
    u = sorted(i["unblock_s"] for i in its)
    t = sorted(i["new_set_tries"] for i in its)
    print("- a new set worked after: median %d s, max %d s (%d of %d at the first try)"
          % (u[len(u)//2], u[-1], sum(1 for x in t if x == 1), len(t)))
    for op in ("commit", "delete"):
        ins = [i for i in its if i["op"] == op and i["inside"]]
        outc = {}
        for i in ins:
            e = i.get("error", "")
            m = re.match(r"\((\d+),", e)
            k = ("NTSTATUS 0x%08X" % int(m.group(1))) if m else (e[:40] or i.get("hresult", "?"))
            outc[k] = outc.get(k, 0) + 1
        if ins:
            print("- what the requester saw when killed inside %s: %s"
                  % (op, "; ".join("%s x%d" % kv for kv in sorted(outc.items()))))
' "$OUT/crash.jsonl"
} | tee "$OUT/totals.md"
if [ "${RVSS_CRASH_NO_DOCS:-}" != 1 ]; then
	{
		cat <<-EOF
		# Crash consistency: kill -9 of rpcd_fsrvp inside Commit or Delete (issue 11)

		Made by \`bench/crash.sh\` (\`make crash\`); rewritten by each run.
		The script exits non-zero on an orphan, a lost retained backup, a
		blocked server or a failed gc; no timing is judged.

		Command:

		    $RVSS_CRASH_COMMAND
		    # RVSS_CRASH_ITERATIONS=$ITER RVSS_CRASH_SEED=$SEED RVSS_CRASH_MAX_DELAY_MS=$MAX_DELAY

		Machine:

		EOF
		sed 's/^/    /' "$OUT/machine.txt"
		echo
		echo "## Totals"
		echo
		cat "$OUT/totals.md"
	} >"$SRC/docs/crash-consistency.md.new"
	if [ -f "$SRC/docs/crash-notes.md" ]; then
		{ echo; cat "$SRC/docs/crash-notes.md"; } >>"$SRC/docs/crash-consistency.md.new"
	fi
	mv "$SRC/docs/crash-consistency.md.new" "$SRC/docs/crash-consistency.md"
fi
[ "$live_ok" = yes ] || fail "a live share changed"
if [ "$orphans" != 0 ] || [ "$lost" != 0 ] || [ "$blocked" != 0 ] ||
	[ "$gc_failed" != 0 ] || [ "$not_ro" != 0 ]; then
	fail "orphans $orphans, lost $lost, not read-only $not_ro, blocked $blocked, gc failed $gc_failed: see $OUT/problems.txt"
fi
echo "crash consistency: no orphan, no lost backup, no blocked server"
