#!/bin/bash
# rvss soak (make soak -> bench/soak.sh BUILDDIR): issue 11's proof that a
# long run on ONE server leaks nothing.  Prints figures (the curve of fds
# and RSS, subvolumes, catalog records, Samba's sets); judges no timing.
# It exits non-zero on a leak or a corruption: a subvolume or catalog
# record left beyond the retained backups the policy keeps, a dead set in
# srv_fss.tdb, a writer record lost or damaged, a snapshot that is not a
# prefix of the live data, or an FSRVP call that failed.
#
# Phase 1, the soak: one smbd with rvss (tests/integration/lib.sh: private
# mount namespace, loop btrfs, loopback), shares [soa] (subvolume A) and
# [sob] (subvolume B, rvss:retain = 3).  Two requesters, one process and
# one FSRVP connection each (tests/fsrvp_step.py), run at the same time,
# one on each share: RVSS_SOAK_CYCLES cycles in all (default 1000), each
# SetContext (backup ro, or file_share_backup rw with auto-recovery, at
# random), Start (retried while the other's set is in progress), Add,
# Prepare, Commit, Expose, GetShareMapping, the snapshot's copy of the
# writer's log checked (every 10th also read over SMB through the exposed
# share), RecoveryComplete for rw, DeleteShareMapping.  A
# writer appends checksummed records to a log in each share (50 a second,
# fsync every 10) for the whole run.  Every RVSS_SOAK_EVERY cycles (50): fds
# and VmRSS of smbd (main and its children), samba-dcerpcd and rpcd_fsrvp,
# subvolumes, catalog records (fsrvp_agent list --json), sets in
# srv_fss.tdb.  Afterwards, before and after `fsrvp_agent gc`: the checks.
#
# Phase 2, whose RSS growth: the same create/expose/delete cycle (backup,
# ro, one connection, as issue 11 measured), RVSS_SOAK_SLOPE_CYCLES times
# (default: RVSS_SOAK_CYCLES), on a fresh server with rvss, then on a fresh
# server with Samba's own vfs_btrfs, over 20 subvolume shares in turn (no
# commit of one subvolume twice in a second, for vfs_btrfs's names);
# the slopes of rpcd_fsrvp's RSS side by side.  RVSS_SOAK_SLOPE_CYCLES=0
# skips it.
#
# Results in BUILDDIR/soak-results/ (RVSS_SOAK_OUT); docs/soak.md is
# rewritten unless RVSS_SOAK_NO_DOCS=1.
#
# Copyright (C) rvss authors.  GPL-3.0-or-later.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034  # read by lib.sh (rvss_init re-executes it)
RVSS_SCRIPT=$BENCH_SRC/soak.sh
export RVSS_BUILDDIR=${1:-${RVSS_BUILDDIR:-build}}
export RVSS_BACKEND=rvss
SRC=$(cd "$BENCH_SRC/.." && pwd)
case $RVSS_BUILDDIR in
/*) ;;
*) RVSS_BUILDDIR=$SRC/$RVSS_BUILDDIR ;;
esac
export RVSS_SOAK_OUT=${RVSS_SOAK_OUT:-$RVSS_BUILDDIR/soak-results}
if [ "${RVSS_IN_NS:-}" != "$$" ]; then
	rm -rf "$RVSS_SOAK_OUT"
	mkdir -p "$RVSS_SOAK_OUT"
	export RVSS_SOAK_COMMAND="${RVSS_SOAK_COMMAND:-bench/soak.sh $*}"
fi
export RVSS_LOGDIR=$RVSS_SOAK_OUT/logs

# shellcheck source=../tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
rvss_init "$@"
# shellcheck source=../tests/integration/lifecycle.sh
. "$RVSS_LIBDIR/lifecycle.sh"

OUT=$RVSS_SOAK_OUT
PY=/usr/bin/python3
CYCLES=${RVSS_SOAK_CYCLES:-1000}
EVERY=${RVSS_SOAK_EVERY:-50}
SLOPE_CYCLES=${RVSS_SOAK_SLOPE_CYCLES:-$CYCLES}
SLOPE_SHARES=20
SOAK_PIDS=()
PROBLEMS=0

soak_cleanup() {
	local rc=$? p
	for p in "${SOAK_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	(exit "$rc")
	rvss_cleanup
}
trap soak_cleanup EXIT

note() { printf '%s\n' "$*" | tee -a "$OUT/summary.txt"; }
problem() {
	PROBLEMS=$((PROBLEMS + 1))
	note "LEAK/CORRUPTION: $*"
}

# soak_py SUBCOMMAND ARGS...: bench/soak.py with this server's options.
soak_py() {
	local cmd=$1
	shift
	"$PY" "$BENCH_SRC/soak.py" "$cmd" --conf "$CONF" --port "$SMB_PORT" \
		--user "$ADMIN_USER%$ADMIN_PASS" --smbd-pid "$SMBD_PID" \
		--pid-dir "$SMBDIR/pid" --lock-dir "$SMBDIR/lock" --mnt "$FS" \
		"$@"
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

# ------------------------------------------------------------- phase 1
step "phase 1: one server, shares soa (A) and sob (B, rvss:retain = 3)"
make_btrfs fs 4G
FS=$MNT
for v in A B; do
	make_subvol "$FS/$v"
	make_share_dir "$FS/$v"
	mkdir -p "$FS/$v/live"
	seq 1 5000 >"$FS/$v/live/numbers.txt"
	chown -R "$ADMIN_UID:rvssit" "$FS/$v"
done
BASE_SUBVOLS=$(list_subvolumes "$FS")
# level 1: rvss's level-10 lines over thousands of cycles would only fill
# the disk; failures are logged at level 1 or below anyway
smb_conf_begin "log level = 1"
add_share soa "$FS/A" "vfs objects = rvss"
add_share sob "$FS/B" "vfs objects = rvss" "rvss:retain = 3"
make_users
smbd_start

for v in A B; do
	"$PY" "$BENCH_SRC/soak.py" writer --file "$FS/$v/live/log.txt" --rate 50 \
		--stop "$WORK/writer.stop" --count-file "$WORK/writer$v.count" \
		2>>"$LOGS/writer.stderr" &
	SOAK_PIDS+=($!)
	eval "WRITER_$v=\$!"
done
sleep 1

step "phase 1: $CYCLES cycles, two requesters at once, a sample every $EVERY"
t0=$(date +%s)
soak_py soak --agent "$AGENT" --tag "soak (rvss)" --cycles "$CYCLES" \
	--every "$EVERY" --mode mixed --smb-every 10 \
	--requester "soa:$FS/A/.rvss-snapshots:$FS/A/live/log.txt:$FS/A" \
	--requester "sob:$FS/B/.rvss-snapshots:$FS/B/live/log.txt:$FS/B" \
	2>>"$LOGS/soak.stderr" | tee "$OUT/soak.jsonl"
soak_rc=${PIPESTATUS[0]}
SOAK_SECONDS=$(($(date +%s) - t0))
[ "$soak_rc" = 0 ] || problem "the soak's requesters failed (rc $soak_rc): $(tail -n 3 "$LOGS/soak.stderr")"

step "phase 1: stop the writers; the live logs"
touch "$WORK/writer.stop"
for v in A B; do
	eval "w=\$WRITER_$v"
	wait "$w" || problem "writer $v failed: $(tail -n 3 "$LOGS/writer.stderr")"
	n=$(cat "$WORK/writer$v.count")
	"$PY" "$BENCH_SRC/soak.py" verify-log --file "$FS/$v/live/log.txt" \
		--count "$n" | tee -a "$OUT/summary.txt" ||
		problem "the live log of $v is not what the writer wrote"
done
SOAK_PIDS=()

# check_state WHEN: the leak checks on the filesystem, the catalog and
# srv_fss.tdb; prints the figures.
check_state() {
	local when=$1 subs extra cat_json recs retained_b bad nsets cat_paths
	subs=$(list_subvolumes "$FS")
	extra=$(comm -13 <(echo "$BASE_SUBVOLS") <(echo "$subs") | sed "s|^|$FS/|")
	cat_json=$("$AGENT" list -s "$CONF" --json 2>&1) ||
		case $cat_json in
		*"no rvss snapshots"*) cat_json='[]' ;;
		*) problem "fsrvp_agent list --json failed: $cat_json"; cat_json='[]' ;;
		esac
	recs=$(printf '%s' "$cat_json" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
	retained_b=$(printf '%s' "$cat_json" | "$PY" -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["state"] == "retained" and r["share"] == "sob"))')
	bad=$(printf '%s' "$cat_json" | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if not (r["state"] == "retained" and r["share"] == "sob"):
        print(r["snapshot"], r["share"], r["state"])')
	cat_paths=$(printf '%s' "$cat_json" | "$PY" -c '
import json, sys
for r in sorted(json.load(sys.stdin), key=lambda r: r["snapshot"]):
    print(r["snapshot"])')
	nsets=$(soak_py sample | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["fss_sets"])')
	note "$when: $(echo "$subs" | wc -l) subvolumes ($(echo "$BASE_SUBVOLS" | wc -l) shares' own + $(printf '%s' "$extra" | grep -c .) snapshots), $recs catalog records ($retained_b retained on sob), $nsets sets in srv_fss.tdb"
	[ "$(printf '%s\n' "$extra" | LC_ALL=C sort)" = "$(printf '%s\n' "$cat_paths" | LC_ALL=C sort)" ] ||
		problem "$when: subvolumes and catalog differ: subvolumes: $(echo $extra) catalog: $(echo $cat_paths)"
	[ -z "$bad" ] || problem "$when: catalog records beyond sob's retained backups: $bad"
	[ "$nsets" = 0 ] || problem "$when: $nsets sets left in srv_fss.tdb"
	RETAINED_B=$retained_b
}
step "phase 1: leaks (before gc: what the cycles themselves leave)"
check_state "after the soak, before gc"
step "phase 1: fsrvp_agent gc, then the leaks again"
agent gc | tee "$OUT/gc.out" || problem "fsrvp_agent gc failed"
check_state "after gc"
[ "$RETAINED_B" -le 3 ] ||
	problem "sob keeps $RETAINED_B retained backups after gc (rvss:retain = 3)"
soak_py sample --agent "$AGENT" --tag "soak (rvss), after gc" --cycle "$CYCLES" \
	>>"$OUT/soak.jsonl"
smbd_stop

# ------------------------------------------------------------- phase 2
slope_phase() {	# rvss|btrfs
	local be=$1 i shares=() lines
	step "phase 2 ($be): fresh server, $SLOPE_CYCLES create/expose/delete cycles (backup ro), one connection"
	if [ "$be" = btrfs ]; then
		lines=("vfs objects = btrfs" "btrfs:manipulate snapshots = yes")
	else
		lines=("vfs objects = rvss")
	fi
	smb_conf_begin "log level = 1"
	for i in $(seq 1 "$SLOPE_SHARES"); do
		[ -d "$FS/$be$i" ] || {
			make_subvol "$FS/$be$i"
			mkdir -p "$FS/$be$i/.snapshots"	# vfs_btrfs's snapshots
			echo "share $i" >"$FS/$be$i/file.txt"
		}
		add_share "$be$i" "$FS/$be$i" "${lines[@]}"
		shares+=("$be$i")
	done
	make_users
	smbd_start
	soak_py soak --tag "slope ($([ "$be" = btrfs ] && echo "Samba's vfs_btrfs" || echo rvss))" \
		--cycles "$SLOPE_CYCLES" --every "$EVERY" --mode ro --same-second-guard \
		--requester "$(IFS=,; echo "${shares[*]}")" \
		2>>"$LOGS/slope-$be.stderr" | tee "$OUT/slope-$be.jsonl"
	[ "${PIPESTATUS[0]}" = 0 ] ||
		problem "slope cycles on $be failed: $(tail -n 3 "$LOGS/slope-$be.stderr")"
	smbd_stop
	btrfs filesystem sync "$FS" >/dev/null
	btrfs subvolume sync "$FS" >/dev/null
}
if [ "$SLOPE_CYCLES" -gt 0 ]; then
	slope_phase rvss
	slope_phase btrfs
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

# ------------------------------------------------------------- report
step "report"
{
	echo "## Phase 1: the soak ($CYCLES cycles, two requesters, $SOAK_SECONDS s)"
	echo
	grep -h '"requester"' "$OUT/soak.jsonl" | "$PY" -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print("- requester %d on %s: %d ro + %d rw cycles, %d snapshots checked "
          "against the live log (the last one held %d records), %d of them "
          "also read over SMB through the exposed share, Start refused %d "
          "times while the other requester had a set in progress"
          % (d["requester"], d["shares"][0].split(":")[0], d["ro"], d["rw"],
             d["checked"], d["records_seen"], d.get("smb_reads", 0),
             d["busy"]))'
	sed 's/^/- /' "$OUT/summary.txt"
	"$PY" "$BENCH_SRC/soak.py" report --warmup "$EVERY" "$OUT/soak.jsonl"
	if [ "$SLOPE_CYCLES" -gt 0 ]; then
		echo
		echo "## Phase 2: whose RSS growth ($SLOPE_CYCLES cycles per backend)"
		"$PY" "$BENCH_SRC/soak.py" report --warmup "$EVERY" \
			"$OUT/slope-rvss.jsonl" "$OUT/slope-btrfs.jsonl"
	fi
} >"$OUT/report.md"
cat "$OUT/report.md"
if [ "${RVSS_SOAK_NO_DOCS:-}" != 1 ]; then
	{
		cat <<-EOF
		# Soak: one server, many FSRVP cycles (issue 11)

		Made by \`bench/soak.sh\` (\`make soak\`); rewritten by each run.
		Figures only: no timing is judged.  The script exits non-zero on a
		leak or a corruption; this run found $PROBLEMS.

		Command:

		    $RVSS_SOAK_COMMAND
		    # RVSS_SOAK_CYCLES=$CYCLES RVSS_SOAK_EVERY=$EVERY RVSS_SOAK_SLOPE_CYCLES=$SLOPE_CYCLES

		Machine:

		EOF
		sed 's/^/    /' "$OUT/machine.txt"
		echo
		cat "$OUT/report.md"
	} >"$SRC/docs/soak.md.new"
	if [ -f "$SRC/docs/soak-notes.md" ]; then
		{ echo; cat "$SRC/docs/soak-notes.md"; } >>"$SRC/docs/soak.md.new"
	fi
	mv "$SRC/docs/soak.md.new" "$SRC/docs/soak.md"
fi
if [ "$PROBLEMS" -gt 0 ]; then
	fail "$PROBLEMS leak(s) or corruption(s): see $OUT/summary.txt"
fi
echo "soak: no leak, no corruption"
