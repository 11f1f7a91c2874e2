#!/bin/bash
# rvss benchmark: off-box copies of retained backups (issue 13).  A share
# of 1 GiB (16 files of 64 MiB, random data) on one loop btrfs, a replica
# directory on another; backups made by real FSRVP cycles (ro sets retained
# on delete).  Per round, 1 % of the share changes (160 blocks of 64 KiB at
# random offsets, spread over the files), a backup is taken, and the same
# change is copied to the other filesystem three ways, side by side:
#
#   fsrvp_agent send     incremental btrfs send | receive (parent: the
#                        previous backup), what rvss does
#   full send            btrfs send | btrfs receive of the same backup,
#                        without a parent (baseline: no chain)
#   rsync --no-whole-file --inplace   rsync's delta transfer onto a copy of
#                        the previous backup (baseline: a file-level tool;
#                        it reads both sides in full to find the change)
#   rsync -a             rsync's default for a local copy (whole files)
#
# Prints time and bytes moved per method and the ratios to fsrvp_agent
# send; no pass/fail.  Page cache warm (not dropped: the machine is shared).
#
#   bench/send.sh BUILDDIR      (make bench runs it as section 7)
#
# Writes $RVSS_BENCH_OUT/send.md (the section of docs/benchmarks.md); run
# alone, it also replaces that section in docs/benchmarks.md, unless
# RVSS_BENCH_NO_DOCS=1.  Knobs: RVSS_SEND_ROUNDS (3), RVSS_SEND_MIB (1024).
#
# Copyright (C) rvss authors.  GPL-3.0-or-later.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034  # read by lib.sh (rvss_init re-executes it)
RVSS_SCRIPT=$BENCH_SRC/send.sh
export RVSS_BUILDDIR=${1:-${RVSS_BUILDDIR:-build}}
export RVSS_BACKEND=rvss
SRC=$(cd "$BENCH_SRC/.." && pwd)
case $RVSS_BUILDDIR in
/*) ;;
*) RVSS_BUILDDIR=$SRC/$RVSS_BUILDDIR ;;
esac
export RVSS_BENCH_OUT=${RVSS_BENCH_OUT:-$RVSS_BUILDDIR/bench-results}
if [ "${RVSS_IN_NS:-}" != "$$" ]; then
	mkdir -p "$RVSS_BENCH_OUT"
	rm -f "$RVSS_BENCH_OUT/send.md" "$RVSS_BENCH_OUT/send.txt"
fi
export RVSS_LOGDIR=$RVSS_BENCH_OUT/logs-send

# shellcheck source=../tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
rvss_init "$@"
. "$RVSS_LIBDIR/lifecycle.sh"
command -v rsync >/dev/null || fail "rsync not installed (make deps)"

OUT=$RVSS_BENCH_OUT
ROUNDS=${RVSS_SEND_ROUNDS:-3}
MIB=${RVSS_SEND_MIB:-1024}
NFILES=16
FILE_MIB=$((MIB / NFILES))
# 1 % of the share in 64 KiB blocks
NBLOCKS=$((MIB * 16 / 100))

now_ns() { date +%s%N; }
res() { echo "$*" >>"$OUT/send.txt"; }

step "two loop btrfs: the share ($MIB MiB) and the replica"
make_btrfs fs "$((MIB * 3 + 1024))M"
SRCMNT=$MNT
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL"
t0=$(now_ns)
for i in $(seq 1 $NFILES); do
	head -c $((FILE_MIB << 20)) /dev/urandom >"$VOL/disk$i.bin"
done
chown -R "$ADMIN_UID:rvssit" "$VOL"
sync
echo "share: $NFILES files of $FILE_MIB MiB written in $(( ($(now_ns) - t0) / 1000000 )) ms"
make_btrfs tgt "$((MIB * 4 + 1024))M"
TMNT=$MNT
MNT=$SRCMNT
mkdir -m 755 "$TMNT/replicas" "$TMNT/full" "$TMNT/rsync-delta" "$TMNT/rsync-whole"
smb_conf_begin
add_share vol "$VOL" "vfs objects = rvss shadow_copy2" \
	"shadow:snapdir = .rvss-snapshots" "rvss:retain = 100"
make_users
smbd_start
STORE=$VOL/.rvss-snapshots

backup() { retained_backup vol "$STORE"; }

# change_1pct: NBLOCKS blocks of 64 KiB at random offsets of the files
change_1pct() {
	local b f off
	for b in $(seq 1 $NBLOCKS); do
		f=$((RANDOM % NFILES + 1))
		off=$((RANDOM % (FILE_MIB * 16)))
		dd if=/dev/urandom of="$VOL/disk$f.bin" bs=64K count=1 seek=$off \
			conv=notrunc status=none
	done
	sync
}

# timed NAME CMD...: run CMD, print and record its wall time (ms)
timed() {
	local name=$1 t0 ms
	shift
	sync
	t0=$(now_ns)
	"$@" >"$LOGS/$name.out" 2>&1 || fail "$name: $(tail -n 3 "$LOGS/$name.out")"
	sync
	ms=$(( ($(now_ns) - t0) / 1000000 ))
	LAST_MS=$ms
}

step "backup 0 and its first copies (full send; rsync of the whole share)"
backup
B0=$BK
timed first-send "$AGENT" send -s "$CONF" --to "$TMNT/replicas"
first_bytes=$(sed -n 's/.* (\([0-9]*\) bytes).*/\1/p' "$LOGS/first-send.out")
echo "first send (full): $LAST_MS ms, $first_bytes bytes"
res "first_full_send $LAST_MS $first_bytes"
rsync -a "$STORE/$B0/" "$TMNT/rsync-delta/" || fail "rsync seed"
rsync -a "$STORE/$B0/" "$TMNT/rsync-whole/" || fail "rsync seed"

for r in $(seq 1 "$ROUNDS"); do
	step "round $r: 1 % changed ($NBLOCKS blocks of 64 KiB), a backup, four copies"
	change_1pct
	backup
	timed "send-$r" "$AGENT" send -s "$CONF" --to "$TMNT/replicas"
	bytes=$(sed -n 's/.* (\([0-9]*\) bytes).*/\1/p' "$LOGS/send-$r.out")
	grep -q "sent incremental" "$LOGS/send-$r.out" || fail "round $r: not incremental"
	echo "fsrvp_agent send (incremental): $LAST_MS ms, $bytes bytes"
	res "agent_send $r $LAST_MS $bytes"

	timed "full-$r" sh -c "btrfs send -q '$STORE/$BK' | btrfs receive -q '$TMNT/full'"
	# the stream size of the full send, separately (not timed)
	fbytes=$(btrfs send "$STORE/$BK" 2>/dev/null | wc -c)
	[ -d "$TMNT/full/$BK" ] || fail "round $r: full receive missing"
	echo "full send | receive: $LAST_MS ms, $fbytes bytes"
	res "full_send $r $LAST_MS $fbytes"
	btrfs subvolume delete "$TMNT/full/$BK" >/dev/null || fail "delete full copy"

	timed "rsync-delta-$r" rsync -a --no-whole-file --inplace --stats \
		"$STORE/$BK/" "$TMNT/rsync-delta/"
	lit=$(sed -n 's/^Literal data: \([0-9,]*\) bytes.*/\1/p' "$LOGS/rsync-delta-$r.out" | tr -d ,)
	echo "rsync --no-whole-file --inplace: $LAST_MS ms, $lit literal bytes"
	res "rsync_delta $r $LAST_MS $lit"

	timed "rsync-whole-$r" rsync -a --stats "$STORE/$BK/" "$TMNT/rsync-whole/"
	lit=$(sed -n 's/^Literal data: \([0-9,]*\) bytes.*/\1/p' "$LOGS/rsync-whole-$r.out" | tr -d ,)
	echo "rsync -a (whole files): $LAST_MS ms, $lit literal bytes"
	res "rsync_whole $r $LAST_MS $lit"

	assert_eq "$(content_sum "$STORE/$BK")" "$(content_sum "$TMNT/replicas/vol/$BK")" \
		"round $r: replica content"
	assert_eq "$(content_sum "$STORE/$BK")" "$(content_sum "$TMNT/rsync-delta")" \
		"round $r: rsync copy content"
done

step "report"
echo "machine: $(uname -r), $(btrfs --version), $(nproc) cores, $(date -u +%FT%TZ)" >>"$OUT/send.txt"
/usr/bin/python3 "$BENCH_SRC/send_report.py" "$OUT/send.txt" "$MIB" "$NBLOCKS" "$ROUNDS" \
	>"$OUT/send.md" || fail "report"
cat "$OUT/send.md"
if [ "${RVSS_BENCH_NO_DOCS:-}" != 1 ] && [ "${RVSS_BENCH_IN_RUN:-}" != 1 ]; then
	# run alone: replace section 7 of docs/benchmarks.md (or add it
	# before the notes); bench/report.py writes it on a full run
	/usr/bin/python3 - "$SRC/docs/benchmarks.md" "$OUT/send.md" <<'EOF'
import re, sys
doc, sec = open(sys.argv[1]).read(), open(sys.argv[2]).read().rstrip() + '\n\n'
m = re.search(r'^## 7\. .*?(?=^## )', doc, re.S | re.M)
if m:
    doc = doc[:m.start()] + sec + doc[m.end():]
else:
    i = doc.find('## Notes of this run')
    doc = doc[:i] + sec + doc[i:] if i >= 0 else doc + '\n' + sec
open(sys.argv[1], 'w').write(doc)
EOF
	echo "docs/benchmarks.md: section 7 updated"
fi
