#!/bin/bash
# rvss benchmarks (make bench -> bench/run.sh BUILDDIR).  Prints figures and
# ratios against named baselines; judges nothing (no thresholds, no exit
# status from a figure).  Regenerates docs/benchmarks.md and
# docs/commit-vs-size.png; raw samples and Samba's logs stay in
# BUILDDIR/bench-results/.
#
# Everything runs in a private mount namespace on a loop-mounted btrfs
# (tests/integration/lib.sh): Debian's smbd with rvss.so and Samba's
# vfs_btrfs side by side on the same filesystem, one FSRVP client
# connection (tests/fsrvp_step.py via bench/fsrvp_bench.py), and
# bench/rvss_bench.c, linked with the core, for the core-level figures.
#
# Sizes (default run: about 10 minutes on 2 cores):
#   default              0 / 10k / 100k files of 4 KiB, 1 GiB of data,
#                        a 2 GiB VM disk
#   RVSS_BENCH_FULL=1    adds 1M files and 20 GiB of data (20 reflinked
#                        copies of one 1 GiB file), a 4 GiB VM disk
# Knobs: RVSS_BENCH_CYCLES (100, per-call latency cycles per backend),
#   RVSS_BENCH_SIZE_CYCLES (20, FSRVP commits per share size),
#   RVSS_BENCH_SNAPS (10, core create/ioctl samples per size),
#   RVSS_BENCH_VM_SECONDS (20 per phase), RVSS_BENCH_RETAINED (1000),
#   RVSS_BENCH_SHARES (64), RVSS_BENCH_SCALE_ROUNDS (5), RVSS_BENCH_FILES ("0 10000 100000"),
#   RVSS_BENCH_DATA_GIB ("1"; "1 20" in full; only 1 and 20 are known),
#   RVSS_BENCH_OUT (results directory),
#   RVSS_BENCH_NO_DOCS=1 (do not touch docs/),
#   RVSS_BENCH_PARTS ("calls size scale retained vm agent nested": the sections
#   to run; any other choice implies RVSS_BENCH_NO_DOCS=1, the report
#   then goes to the results directory); bench/nested.sh's own
#   (RVSS_NESTED_COUNTS, RVSS_NESTED_CYCLES, RVSS_NESTED_SNAPS).
#
# Copyright (C) rvss authors.  GPL-3.0-or-later.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034  # read by lib.sh (rvss_init re-executes it)
RVSS_SCRIPT=$BENCH_SRC/run.sh
export RVSS_BUILDDIR=${1:-${RVSS_BUILDDIR:-build}}
export RVSS_BACKEND=rvss
SRC=$(cd "$BENCH_SRC/.." && pwd)
case $RVSS_BUILDDIR in
/*) ;;
*) RVSS_BUILDDIR=$SRC/$RVSS_BUILDDIR ;;
esac
export RVSS_BENCH_OUT=${RVSS_BENCH_OUT:-$RVSS_BUILDDIR/bench-results}
if [ "${RVSS_IN_NS:-}" != "$$" ]; then
	# Fresh results per run (outside the namespace, before lib.sh
	# re-executes us inside it).
	rm -rf "$RVSS_BENCH_OUT"
	mkdir -p "$RVSS_BENCH_OUT"
fi
export RVSS_LOGDIR=$RVSS_BENCH_OUT/logs
case " ${RVSS_BENCH_PARTS:-calls size scale retained vm agent nested} " in
" calls size scale retained vm agent nested ") ;;
*) export RVSS_BENCH_NO_DOCS=1 ;;	# a partial run never rewrites docs/
esac

# shellcheck source=../tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
rvss_init "$@"

OUT=$RVSS_BENCH_OUT
PY=/usr/bin/python3
FULL=${RVSS_BENCH_FULL:-0}
CYCLES=${RVSS_BENCH_CYCLES:-100}
SIZE_CYCLES=${RVSS_BENCH_SIZE_CYCLES:-20}
SNAPS=${RVSS_BENCH_SNAPS:-10}
VM_SECONDS=${RVSS_BENCH_VM_SECONDS:-20}
RETAINED=${RVSS_BENCH_RETAINED:-1000}
NSHARES=${RVSS_BENCH_SHARES:-64}
SCALE_ROUNDS=${RVSS_BENCH_SCALE_ROUNDS:-5}
FILE_SIZE=4096
if [ "$FULL" = 1 ]; then
	FILE_COUNTS="0 10000 100000 1000000"
	DATA_SIZES="1 20"
	VM_GIB=4
	IMG_SIZE=72G
else
	FILE_COUNTS="0 10000 100000"
	DATA_SIZES="1"
	VM_GIB=2
	IMG_SIZE=16G
fi
FILE_COUNTS=${RVSS_BENCH_FILES:-$FILE_COUNTS}
DATA_SIZES=${RVSS_BENCH_DATA_GIB-$DATA_SIZES}
BENCH_PIDS=()
ALL_PARTS="calls size scale retained vm agent nested"
PARTS=${RVSS_BENCH_PARTS:-$ALL_PARTS}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

# Our own background processes (the writer) by PID, then the harness's
# clean-up (smbd, mounts, loop devices, work directory).
bench_cleanup() {
	local rc=$? p
	for p in "${BENCH_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	(exit "$rc")
	rvss_cleanup
}
trap bench_cleanup EXIT

now_ns() { date +%s%N; }
# settle: wait until btrfs's cleaner has removed every deleted subvolume.
# `btrfs filesystem sync` (BTRFS_IOC_SYNC) wakes the cleaner; without it
# `btrfs subvolume sync` waits for the next periodic commit (30 s).
settle() {
	btrfs filesystem sync "$FS" >/dev/null
	btrfs subvolume sync "$FS" >/dev/null
}
note() { printf '%s\n' "$*" | tee -a "$OUT/notes.txt"; }

# ------------------------------------------------------------- the machine
{
	echo "date: $(date -u +%FT%TZ)"
	echo "nproc: $(nproc)"
	echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "kernel: $(uname -r)"
	echo "btrfs-progs: $(btrfs --version | sed 's/^btrfs-progs //')"
	echo "samba: $(smbd --version | sed 's/^Version //')"
	echo "rvss: $(git -C "$SRC" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "backing store of the loop image: $(df -T /tmp | awk 'NR==2 {print $2 " on " $1}')"
	echo "mode: $([ "$FULL" = 1 ] && echo "full (RVSS_BENCH_FULL=1)" || echo "default (RVSS_BENCH_FULL=1 adds 1M files and 20 GiB)")"
} >"$OUT/machine.txt"
step "machine"
cat "$OUT/machine.txt"
# Other work on the machine shows in every figure; the comparisons
# alternate their sides so that it falls on both alike.
note "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------- tools
step "build bench/rvss_bench.c against $RVSS_BUILDDIR/librvsscore.a"
BENCH=$WORK/rvss_bench
# shellcheck disable=SC2046
gcc -O2 -Wall -I"$SRC/lib" -o "$BENCH" "$BENCH_SRC/rvss_bench.c" \
	"$RVSS_BUILDDIR/librvsscore.a" \
	$(pkg-config --cflags --libs talloc tdb libbtrfsutil) ||
	fail "cannot build rvss_bench"

# ------------------------------------------------------------- the trees
step "loop btrfs ($IMG_SIZE sparse image) and the share trees"
make_btrfs fs "$IMG_SIZE"
FS=$MNT
populate() {	# SUBVOL NFILES
	make_subvol "$1"
	mkdir -p "$1/.snapshots"	# vfs_btrfs puts its snapshots here
	if [ "$2" -gt 0 ]; then
		"$BENCH" populate "$1" "$2" "$FILE_SIZE" || fail "populate $1"
	fi
}
SIZES=()
part size || FILE_COUNTS="" DATA_SIZES=""
for n in $FILE_COUNTS; do
	t0=$(now_ns)
	populate "$FS/f$n" "$n"
	SIZES+=("f$n")
	note "tree f$n: $n files of $FILE_SIZE bytes in directories of 1000 ($(( ($(now_ns) - t0) / 1000000 )) ms to build)"
done
for g in $DATA_SIZES; do
	d=$FS/d${g}g
	make_subvol "$d"
	mkdir -p "$d/.snapshots"
	t0=$(now_ns)
	if [ "$g" = 1 ]; then
		# real data: 16 files of 64 MiB, random content
		for i in $(seq -w 1 16); do
			head -c 64M /dev/urandom >"$d/vdisk$i.bin" || fail "write $d"
		done
		what="16 files of 64 MiB, random data, written"
	else
		# one real 1 GiB file and $((g - 1)) reflinked copies: g GiB of
		# file data sharing 1 GiB of extents
		head -c 1G /dev/urandom >"$d/vdisk01.bin" || fail "write $d"
		for i in $(seq -w 2 "$g"); do
			cp --reflink=always "$d/vdisk01.bin" "$d/vdisk$i.bin" || fail "reflink $d"
		done
		what="$g files of 1 GiB: one written, $((g - 1)) reflinked copies of it (sparse/reflink to build fast)"
	fi
	SIZES+=("d${g}g")
	note "tree d${g}g: $what ($(( ($(now_ns) - t0) / 1000000 )) ms to build)"
done
# per-call latency: one empty subvolume per backend
populate "$FS/rcall" 0
populate "$FS/bcall" 0
# scale: N directories on one subvolume; N subvolumes
make_subvol "$FS/one"
part scale || NSHARES=0
for i in $(seq 1 "$NSHARES"); do
	mkdir -p "$FS/one/s$i"
	echo "share $i" >"$FS/one/s$i/file.txt"
	populate "$FS/v$i" 0
	echo "share $i" >"$FS/v$i/file.txt"
done
# retained snapshots: one share that gets them, a twin that does not
populate "$FS/ret" 1000
populate "$FS/ret0" 1000
sync

# ------------------------------------------------------------- smbd
step "smbd: rvss and vfs_btrfs shares on the same btrfs"
smb_conf_begin "log level = 1"
BTRFS_LINES=("vfs objects = btrfs" "btrfs:manipulate snapshots = yes")
add_share rcall "$FS/rcall" "vfs objects = rvss"
add_share bcall "$FS/bcall" "${BTRFS_LINES[@]}"
for s in "${SIZES[@]}"; do
	add_share "r$s" "$FS/$s" "vfs objects = rvss"
	add_share "b$s" "$FS/$s" "${BTRFS_LINES[@]}"
done
for i in $(seq 1 "$NSHARES"); do
	add_share "one$i" "$FS/one/s$i" "vfs objects = rvss"
	add_share "rv$i" "$FS/v$i" "vfs objects = rvss"
	add_share "bv$i" "$FS/v$i" "${BTRFS_LINES[@]}"
done
add_share rret "$FS/ret" "vfs objects = rvss"
add_share rret0 "$FS/ret0" "vfs objects = rvss"
make_users
smbd_start
STATE_DIR=$(testparm -s --parameter-name='state directory' "$CONF" 2>/dev/null)
CATALOG=$STATE_DIR/rvss.tdb

# fsrvp ARGS...: bench/fsrvp_bench.py against our server; its stderr (the
# Python bindings' loadparm chatter) goes to a log, shown on failure.
fsrvp() {
	local rc
	"$PY" "$BENCH_SRC/fsrvp_bench.py" -s "$CONF" -p "$SMB_PORT" \
		-U "$ADMIN_USER%$ADMIN_PASS" "$@" --settle "$FS" \
		2>>"$LOGS/fsrvp_bench.stderr"
	rc=$?
	[ "$rc" = 0 ] || tail -n 5 "$LOGS/fsrvp_bench.stderr" >&2
	return "$rc"
}

# ------------------------------------------------------------- 1. per call
if part calls; then
step "1. per-call FSRVP latency: $CYCLES alternating cycles, context backup (ro)"
fsrvp cycles --shares rcall,bcall --labels rvss,vfs_btrfs --n "$CYCLES" \
	--context backup >"$OUT/calls-ro.jsonl" || fail "FSRVP cycles (ro)"
step "1. per-call FSRVP latency: $CYCLES alternating cycles, context backup + auto-recovery (rw)"
fsrvp cycles --shares rcall,bcall --labels rvss,vfs_btrfs --n "$CYCLES" \
	--context backup,rw >"$OUT/calls-rw.jsonl" || fail "FSRVP cycles (rw)"
fi

# ------------------------------------------------------------- 2. size
step "2. Commit vs share size over FSRVP ($SIZE_CYCLES alternating cycles each)"
for s in "${SIZES[@]}"; do
	sync
	fsrvp cycles --shares "r$s,b$s" --labels "rvss:$s,vfs_btrfs:$s" \
		--n "$SIZE_CYCLES" --warmup 1 >>"$OUT/size-fsrvp.jsonl" ||
		fail "FSRVP cycles on $s"
	settle
done

step "2. Commit vs share size: rvss_snap_create, bare ioctl, cp --reflink, cp"
BENCH_CAT=$WORK/bench-catalog.tdb
for s in "${SIZES[@]}"; do
	echo "-- $s"
	# the bare ioctl snapshots into SUBVOL/.snapshots, where vfs_btrfs
	# puts its own (rvss: SUBVOL/.rvss-snapshots)
	"$BENCH" snap "$BENCH_CAT" "$FS/$s" "$FS/$s/.snapshots" "$SNAPS" |
		sed "s/^/$s /" >>"$OUT/size-core.txt" || fail "snap $s"
	reps=3
	case $s in f1000000 | d20g) reps=1 ;; esac
	for r in $(seq 1 "$reps"); do
		sync
		t0=$(now_ns)
		cp -a --reflink=always "$FS/$s" "$FS/copy" || fail "cp --reflink $s"
		sync
		echo "$s reflink $(( ($(now_ns) - t0) / 1000 ))" >>"$OUT/size-core.txt"
		rm -rf --one-file-system "$FS/copy"
		sync
	done
	t0=$(now_ns)
	cp -a --reflink=never "$FS/$s" "$FS/copy" || fail "cp $s"
	sync
	echo "$s copy $(( ($(now_ns) - t0) / 1000 ))" >>"$OUT/size-core.txt"
	rm -rf --one-file-system "$FS/copy"
	sync
	settle
done
part size && note "cp timings include the sync that makes the copy durable (a snapshot commits a transaction); every sample starts after sync"

# ------------------------------------------------------------- 4. scale
if part scale; then
step "4. one set of $NSHARES shares: one subvolume vs $NSHARES subvolumes"
join_shares() {	# PREFIX
	local i out=""
	for i in $(seq 1 "$NSHARES"); do out="$out,$1$i"; done
	echo "${out#,}"
}
# Alternate the three kinds of set, round by round, so that load from
# elsewhere on the machine falls on all of them alike; round 0 also runs
# one unrecorded warm-up set of each kind.
for r in $(seq 0 "$((SCALE_ROUNDS - 1))"); do
	w=0
	[ "$r" = 0 ] && w=1
	fsrvp set --shares "$(join_shares one)" --label "rvss:1subvol" --n 1 \
		--warmup "$w" >>"$OUT/scale.jsonl" ||
		fail "set of $NSHARES shares on one subvolume"
	fsrvp set --shares "$(join_shares rv)" --label "rvss:${NSHARES}subvol" --n 1 \
		--warmup "$w" >>"$OUT/scale.jsonl" ||
		fail "set of $NSHARES shares on $NSHARES subvolumes"
	fsrvp set --shares "$(join_shares bv)" --label "vfs_btrfs:${NSHARES}subvol" \
		--n 1 --warmup "$w" --pause 1.1 >>"$OUT/scale.jsonl" ||
		fail "vfs_btrfs set of $NSHARES shares"
	# the baseline of one snapshot per set: a set of one share
	fsrvp set --shares bv1 --label "vfs_btrfs:1share" --n 1 --warmup "$w" \
		--pause 1.1 >>"$OUT/scale.jsonl" || fail "vfs_btrfs set of one share"
	fsrvp set --shares one1 --label "rvss:1share" --n 1 --warmup "$w" \
		>>"$OUT/scale.jsonl" || fail "rvss set of one share"
done

# in-process: what rvss does per shadow copy of such a set (the first
# share takes the snapshot, the others map into it)
"$BENCH" join "$WORK/bench-catalog.tdb" "$FS/one" "$NSHARES" 3 >>"$OUT/scale-core.txt" ||
	fail "join $NSHARES shares of one subvolume"
settle
fi

if part retained; then
step "4. $RETAINED retained snapshots: catalog listing and Commit"
fsrvp cycles --shares rret,rret0 --labels "rvss:before,rvss:before-twin" \
	--n "$SIZE_CYCLES" >>"$OUT/retained.jsonl" || fail "FSRVP cycles before retained"
"$BENCH" list "$CATALOG" 5 | sed 's/^/0retained /' >>"$OUT/retained.txt"
"$BENCH" check "$FS/ret" 5 | sed 's/^/0retained /' >>"$OUT/retained.txt"
t0=$(now_ns)
"$BENCH" fill "$CATALOG" "$FS/ret" rret "$RETAINED" 3600 >>"$OUT/retained.txt" ||
	fail "fill $RETAINED retained snapshots"
note "retained: $RETAINED snapshots of share rret made with rvss_snap_create (hourly time stamps) into the server's catalog and store, marked retained ($(( ($(now_ns) - t0) / 1000000 )) ms)"
sync
"$BENCH" list "$CATALOG" 5 | sed "s/^/${RETAINED}retained /" >>"$OUT/retained.txt"
"$BENCH" check "$FS/ret" 5 | sed "s/^/${RETAINED}retained /" >>"$OUT/retained.txt"
AGENT=$RVSS_BUILDDIR/bin/fsrvp_agent
if "$AGENT" list --help >/dev/null 2>&1; then
	for r in 1 2 3 4 5; do
		t0=$(now_ns)
		"$AGENT" list -s "$CONF" >"$OUT/agent-list.out" 2>&1 ||
			"$AGENT" list >"$OUT/agent-list.out" 2>&1
		echo "agent_list $(( ($(now_ns) - t0) / 1000 )) $(wc -l <"$OUT/agent-list.out")" >>"$OUT/retained.txt"
	done
else
	note "fsrvp_agent list does not exist yet: listing timed with rvss_catalog_list (open + list) only"
fi
# in-process, alternating: rvss_snap_create and the bare snapshot ioctl of
# the subvolume with the retained snapshots and of its twin without: what
# the kernel's snapshot costs with 1,000 child subvolumes, apart from rvss
for r in $(seq 1 "$SNAPS"); do
	for sv in ret ret0; do
		"$BENCH" snap "$WORK/bench-catalog.tdb" "$FS/$sv" "$FS/$sv/.snapshots" 1 |
			sed "s/^/$sv /" >>"$OUT/retained-core.txt" || fail "snap $sv"
	done
done
# alternating: the share with the retained snapshots and its twin without
# (the catalog holds the records either way)
fsrvp cycles --shares rret,rret0 --labels "rvss:${RETAINED}retained,rvss:twin" \
	--n "$SIZE_CYCLES" >>"$OUT/retained.jsonl" || fail "FSRVP cycles with retained"
# RVSS_BENCH_PROFILE=1: a few more untimed cycles of each share with
# rpcd_fsrvp under strace (every syscall, with its duration), into
# $OUT/profile-*.strace, to see where a Commit's time goes.
if [ "${RVSS_BENCH_PROFILE:-0}" = 1 ]; then
	for sh in rret rret0; do
		pid=$(rpcd_fsrvp_pids | head -n 1)
		[ -n "$pid" ] || fail "no rpcd_fsrvp to profile"
		strace -f -tt -T -o "$OUT/profile-$sh.strace" -p "$pid" &
		sp=$!
		BENCH_PIDS+=("$sp")
		sleep 1
		fsrvp cycles --shares "$sh" --labels "profile:$sh" --n 3 --warmup 0 \
			>>"$OUT/profile.jsonl" || fail "profile cycles"
		kill -INT "$sp"
		wait "$sp" 2>/dev/null
		BENCH_PIDS=()
	done
fi
"$BENCH" drain "$CATALOG" "$FS/ret" >>"$OUT/retained.txt" || fail "drain retained"
settle
fi

# ------------------------------------------------------------- 3. the VM
if part vm; then
step "3. a VM's writes (4 KiB random + fsync into a ${VM_GIB} GiB file) during commits"
make_subvol "$FS/vm"
dd if=/dev/zero of="$FS/vm/disk.vhdx" bs=1M count=$((VM_GIB * 1024)) \
	conv=fsync status=none || fail "write the VM disk"
sync
ncommits=$((VM_SECONDS / 2 - 1))
vm_phase() {	# NAME METHOD|none
	local w
	"$BENCH" writer "$FS/vm/disk.vhdx" "$VM_SECONDS" "$OUT/vm-$1-writes.txt" &
	w=$!
	BENCH_PIDS+=("$w")
	sleep 1
	if [ "$2" != none ]; then
		"$BENCH" commits "$2" "$BENCH_CAT" "$FS/vm" "$FS/clisnap" \
			"$ncommits" 2 1 "$OUT/vm-$1-commits.txt" ||
			fail "commits $2"
	fi
	wait "$w" || fail "writer ($1)"
	BENCH_PIDS=()
	settle
}
vm_phase none none
vm_phase rvss rvss
vm_phase cli cli
fi
part vm && note "VM: $VM_SECONDS s per phase; $ncommits snapshots per phase, one every 2 s, each kept 1 s then deleted; 'cli' = btrfs subvolume snapshot -r / btrfs subvolume delete"

# ------------------------------------------------------------- 5. agent
if ! part agent; then
	:
elif [ -x "$BENCH_SRC/check_vs_find.sh" ]; then
	step "5. fsrvp_agent check vs find (bench/check_vs_find.sh)"
	"$BENCH_SRC/check_vs_find.sh" "$RVSS_BUILDDIR" 2>&1 | tee "$OUT/check_vs_find.txt"
else
	note "bench/check_vs_find.sh does not exist yet: agent check vs find not measured"
fi

smbd_stop

# ------------------------------------------------------------- 6. nested
if part nested; then
	step "6. Commit vs nested subvolumes (bench/nested.sh)"
	RVSS_NESTED_OUT=$OUT/nested "$BENCH_SRC/nested.sh" "$RVSS_BUILDDIR" \
		>"$OUT/nested.log" 2>&1 ||
		note "bench/nested.sh failed: see $OUT/nested.log"
fi
note "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------- 6. send
step "7. off-box copies: fsrvp_agent send vs a full send vs rsync (bench/send.sh)"
RVSS_BENCH_IN_RUN=1 RVSS_IN_NS= bash "$BENCH_SRC/send.sh" "$RVSS_BUILDDIR" ||
	note "bench/send.sh failed: section 7 not measured"

# ------------------------------------------------------------- report
step "report"
docs=$SRC/docs
[ "${RVSS_BENCH_NO_DOCS:-}" = 1 ] && docs=$OUT
"$PY" "$BENCH_SRC/report.py" "$OUT" "$docs" || fail "report"
