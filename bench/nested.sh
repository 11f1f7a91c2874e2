#!/bin/bash
# rvss nested subvolumes (make bench-nested -> bench/nested.sh BUILDDIR;
# also section 6 of make bench): Commit time of a share with
# rvss:nested subvolumes = include against the number of subvolumes nested
# below it (RVSS_NESTED_COUNTS, default 0 1 10 100), next to the bare
# snapshot ioctls of the same tree (one BTRFS_IOC_SNAP_CREATE_V2 per
# subvolume: what the tree costs btrfs alone, with no check, record or
# placement).  Prints a table and ratios; judges nothing.
#
# Each share is a subvolume nK holding K subvolumes (ten per directory
# level: 100 = 10 x 10 two levels deep, 10 and 1 one level), one small
# file in each.  Over FSRVP (bench/fsrvp_bench.py, one connection, the
# shares alternating cycle by cycle): Commit of a read-only (backup) and
# a writable (backup + auto-recovery) set, RVSS_NESTED_CYCLES (20) each.
# In the core (bench/nested_bench.c): rvss_snap_create (ro) and the bare
# ioctls, alternating, RVSS_NESTED_SNAPS (10) each.  Medians, in ms.
# Output: RVSS_NESTED_OUT (BUILDDIR/nested-results)/nested.txt.
#
# Copyright (C) rvss authors.  GPL-3.0-or-later.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck disable=SC2034  # read by lib.sh (rvss_init re-executes it)
RVSS_SCRIPT=$BENCH_SRC/nested.sh
export RVSS_BUILDDIR=${1:-${RVSS_BUILDDIR:-build}}
export RVSS_BACKEND=rvss
SRC=$(cd "$BENCH_SRC/.." && pwd)
case $RVSS_BUILDDIR in
/*) ;;
*) RVSS_BUILDDIR=$SRC/$RVSS_BUILDDIR ;;
esac
export RVSS_NESTED_OUT=${RVSS_NESTED_OUT:-$RVSS_BUILDDIR/nested-results}
if [ "${RVSS_IN_NS:-}" != "$$" ]; then
	rm -rf "$RVSS_NESTED_OUT"
	mkdir -p "$RVSS_NESTED_OUT"
fi
export RVSS_LOGDIR=$RVSS_NESTED_OUT/logs

# shellcheck source=../tests/integration/lib.sh
. "$SRC/tests/integration/lib.sh"
rvss_init "$@"

OUT=$RVSS_NESTED_OUT
PY=/usr/bin/python3
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
COUNTS=${RVSS_NESTED_COUNTS:-"0 1 10 100"}
CYCLES=${RVSS_NESTED_CYCLES:-20}
SNAPS=${RVSS_NESTED_SNAPS:-10}

step "build bench/nested_bench.c against $RVSS_BUILDDIR/librvsscore.a"
NB=$WORK/nested_bench
# shellcheck disable=SC2046
gcc -O2 -Wall -I"$SRC/lib" -o "$NB" "$BENCH_SRC/nested_bench.c" \
	"$RVSS_BUILDDIR/librvsscore.a" \
	$(pkg-config --cflags --libs talloc tdb libbtrfsutil) ||
	fail "cannot build nested_bench"

step "loop btrfs and the trees"
make_btrfs fs 4G
FS=$MNT
# nest DIR K: K subvolumes below DIR, ten per level
nest() {
	local dir=$1 k=$2 i
	if [ "$k" -le 10 ]; then
		for i in $(seq 1 "$k"); do
			make_subvol "$dir/s$i"
			echo "$dir/s$i" >"$dir/s$i/file.txt"
		done
		return
	fi
	for i in $(seq 1 $((k / 10))); do
		make_subvol "$dir/s$i"
		echo "$dir/s$i" >"$dir/s$i/file.txt"
		nest "$dir/s$i" 9
	done
}
SHARES=() LABELS=()
for k in $COUNTS; do
	make_subvol "$FS/n$k"
	echo "n$k" >"$FS/n$k/file.txt"
	nest "$FS/n$k" "$k"
	got=$(btrfs subvolume list "$FS" | grep -c " path n$k/")
	[ "$got" = "$k" ] || fail "n$k: $got nested subvolumes, not $k"
	SHARES+=("n$k")
	LABELS+=("$k")
done
sync

smb_conf_begin "log level = 1"
for s in "${SHARES[@]}"; do
	add_share "$s" "$FS/$s" "vfs objects = rvss" "rvss:nested subvolumes = include"
done
make_users
smbd_start

fsrvp() {
	"$PY" "$BENCH_SRC/fsrvp_bench.py" -s "$CONF" -p "$SMB_PORT" \
		-U "$ADMIN_USER%$ADMIN_PASS" "$@" --settle "$FS" \
		2>>"$LOGS/fsrvp_bench.stderr" || {
		tail -n 5 "$LOGS/fsrvp_bench.stderr" >&2
		return 1
	}
}
join() { local IFS=,; echo "$*"; }

step "FSRVP Commit, ro and rw, $CYCLES cycles each, shares alternating"
fsrvp cycles --shares "$(join "${SHARES[@]}")" --labels "$(join "${LABELS[@]}")" \
	--n "$CYCLES" --warmup 1 --context backup >"$OUT/fsrvp-ro.jsonl" ||
	fail "FSRVP cycles (ro)"
fsrvp cycles --shares "$(join "${SHARES[@]}")" --labels "$(join "${LABELS[@]}")" \
	--n "$CYCLES" --warmup 1 --context backup,rw >"$OUT/fsrvp-rw.jsonl" ||
	fail "FSRVP cycles (rw)"

step "core: rvss_snap_create vs the bare ioctls, $SNAPS each"
for k in $COUNTS; do
	"$NB" "$WORK/nested-catalog.tdb" "$FS/n$k" "$FS/scratch" "$SNAPS" |
		sed "s/^/$k /" >>"$OUT/core.txt" || fail "nested_bench n$k"
done

step "figures"
"$PY" - "$OUT" "$(nproc)" "$(uname -r)" "$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg)" \
	<<-'EOF' | tee "$OUT/nested.txt"
import json, statistics, sys
out, nproc, kernel, load0, load1 = sys.argv[1:6]
def med(xs):
    return statistics.median(xs) if xs else float('nan')
fs = {}
for ctx in ('ro', 'rw'):
    with open('%s/fsrvp-%s.jsonl' % (out, ctx)) as f:
        for l in f:
            d = json.loads(l)
            if d['op'] == 'commit':
                fs.setdefault((ctx, int(d['label'])), []).append(d['ms'])
core, subs = {}, {}
with open('%s/core.txt' % out) as f:
    for l in f:
        k, what, v = l.split()
        if what == 'subvolumes':
            subs[int(k)] = int(v)
        else:
            core.setdefault((what, int(k)), []).append(float(v) / 1000)
ks = sorted(subs)
print('Commit of a share with K nested subvolumes (rvss:nested subvolumes = include);')
print('medians in ms; %d CPUs, kernel %s; load average %s at start, %s at end'
      ' (other work on the machine shows in every figure).' % (
          int(nproc), kernel, load0, load1))
print()
print('| K nested | snapshots | FSRVP Commit ro | FSRVP Commit rw | rvss_snap_create ro | bare ioctls | create / ioctls | per nested subvolume (create) |')
print('|---|---|---|---|---|---|---|---|')
base = med(core.get(('rvss', ks[0]), []))
for k in ks:
    c = med(core.get(('rvss', k), []))
    b = med(core.get(('ioctl', k), []))
    per = (c - base) / k if k > 0 else float('nan')
    print('| %d | %d | %.1f | %.1f | %.1f | %.1f | %.2fx | %s |' % (
        k, subs[k], med(fs.get(('ro', k), [])), med(fs.get(('rw', k), [])),
        c, b, c / b if b else float('nan'),
        '%.2f' % per if k > 0 else '-'))
print()
print('bare ioctls: one BTRFS_IOC_SNAP_CREATE_V2 (read-only) per subvolume of the')
print('tree into one flat directory: the least any tool pays for K+1 snapshots.')
print('rvss_snap_create adds the check, the catalog record, the walk of the tree')
print('(opened fd-relative, each id checked), the placeholder removal and, for a')
print('read-only set, the read-only flag of every parent set at the end.')
EOF
