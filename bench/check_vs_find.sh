#!/bin/bash
# fsrvp_agent check versus `find DIR -xdev`: wall time and peak memory on
# trees of 100,000 and 1,000,000 entries, warm and cold page cache.
# Prints figures and ratios; judges nothing (exit status 0 unless a step
# fails).
#
#   bench/check_vs_find.sh [BUILDDIR]       (default build)
#
# As root (the default case) the trees live on a loop-mounted btrfs in a
# private mount namespace, made and removed by this script, and the cold
# runs drop the page cache first (echo 3 > /proc/sys/vm/drop_caches).
# Not root: the trees go below $RVSS_BENCH_DIR (or a mktemp directory) and
# cold runs are skipped.
#
# Knobs: RVSS_BENCH_ENTRIES ("100000 1000000"), RVSS_BENCH_RUNS (3 per
#   tool and cache state; the minimum and the median are shown),
#   RVSS_BENCH_DIR (put the trees here instead of a fresh btrfs),
#   RVSS_BENCH_NO_COLD=1.
#
# Rows: find = find DIR -xdev (the baseline); check = fsrvp_agent check DIR
# (all rules; as root on btrfs the link counts come in bulk from the
# subvolume's tree); statx = check --no-tree-search DIR (all rules, one
# statx per file); nohl = check --no-hardlink-check DIR (no link counts).
#
# Tree shape: 100 directories of 10 subdirectories, each holding empty
# regular files; depth 3, only directories in the root, so the check
# qualifies and does all of its per-entry work.
#
# Copyright (C) rvss authors.  GPL-3.0-or-later.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=${1:-build}
case $BUILDDIR in
/*) ;;
*) BUILDDIR=$SRC/$BUILDDIR ;;
esac
AGENT=$BUILDDIR/bin/fsrvp_agent
ENTRIES=${RVSS_BENCH_ENTRIES:-100000 1000000}
RUNS=${RVSS_BENCH_RUNS:-3}
PY=/usr/bin/python3

[ -x "$AGENT" ] || { echo "check_vs_find: no $AGENT (make BUILDDIR=...)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "check_vs_find: needs GNU time (/usr/bin/time)" >&2; exit 2; }

if [ "$(id -u)" = 0 ] && [ -z "${RVSS_BENCH_DIR:-}" ] && [ -z "${RVSS_BENCH_NS:-}" ]; then
	exec unshare -m --propagation private env RVSS_BENCH_NS=1 bash "$0" "$@"
fi

work=$(mktemp -d /tmp/rvss-bench-check.XXXXXX)
loopdev=""
cleanup() {
	if [ -n "$loopdev" ]; then
		umount "$work/mnt" 2>/dev/null || umount -l "$work/mnt" || true
		losetup -d "$loopdev" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${RVSS_BENCH_DIR:-}" ]; then
	base=$(mktemp -d "$RVSS_BENCH_DIR/rvss-bench.XXXXXX")
	fs="$(stat -f -c %T "$base") (RVSS_BENCH_DIR)"
	trap 'rm -rf "$base"; cleanup' EXIT
elif [ -n "${RVSS_BENCH_NS:-}" ]; then
	truncate -s 8G "$work/btrfs.img"
	mkfs.btrfs -q "$work/btrfs.img" >/dev/null
	loopdev=$(losetup --show -f "$work/btrfs.img")
	mkdir "$work/mnt"
	mount "$loopdev" "$work/mnt"
	base=$work/mnt
	fs="btrfs on $loopdev (loop file on $(stat -f -c %T "$work"))"
else
	base=$work
	fs="$(stat -f -c %T "$base") (not root: no btrfs, no cold runs)"
fi
cold=1
if [ "$(id -u)" != 0 ] || [ -n "${RVSS_BENCH_NO_COLD:-}" ]; then
	cold=0
fi

# make_tree DIR N: N entries (directories included).
make_tree() {
	"$PY" - "$1" "$2" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
dirs = 100 * 10
files_per_dir = max(1, (n - 100 - dirs) // dirs)
os.makedirs(root)
made = 0
for a in range(100):
    for b in range(10):
        d = os.path.join(root, "vm%03d" % a, "disk%d" % b)
        os.makedirs(d)
        for i in range(files_per_dir):
            os.mknod(os.path.join(d, "f%06d.bin" % i))
EOF
}

# measure LABEL CMD...: prints "seconds peak_kib" of one run, stdout dropped.
measure() {
	local out=$work/time.out rc=0
	/usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>"$work/stderr" || rc=$?
	# check exits 1 on findings; anything else is a failed run.
	if [ $rc -gt 1 ]; then
		echo "check_vs_find: '$*' failed (exit $rc):" >&2
		cat "$work/stderr" >&2
		exit 1
	fi
	cat "$out"
}

drop_caches() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

# stats "s1 s2 ...": "min median"
stats() {
	"$PY" -c 'import sys,statistics; v=[float(x) for x in sys.argv[1:]]; print("%.3f %.3f" % (min(v), statistics.median(v)))' "$@"
}

echo "fsrvp_agent check vs find -xdev"
echo "filesystem: $fs; $(nproc) CPUs; $RUNS runs each; $(uname -r)"
printf '%-9s %-5s %-6s %9s %9s %10s\n' entries cache tool "min s" "median s" "peak MiB"
for n in $ENTRIES; do
	tree=$base/tree-$n
	t0=$(date +%s)
	make_tree "$tree" "$n"
	real=$(find "$tree" -xdev | wc -l)
	echo "# tree of $((real - 1)) entries below $tree built in $(( $(date +%s) - t0 )) s"
	for cache in warm cold; do
		if [ $cache = cold ] && [ $cold = 0 ]; then
			continue
		fi
		declare -A secs=() mem=()
		# Warm up once (warm) so both tools start from the same cache.
		if [ $cache = warm ]; then
			find "$tree" -xdev >/dev/null
			"$AGENT" check "$tree" >/dev/null || true
		fi
		for tool in find check statx nohl; do
			secs[$tool]=""
			mem[$tool]=0
			for _ in $(seq 1 "$RUNS"); do
				[ $cache = cold ] && drop_caches
				if [ $tool = find ]; then
					set -- $(measure find "$tree" -xdev)
				elif [ $tool = check ]; then
					set -- $(measure "$AGENT" check "$tree")
				elif [ $tool = statx ]; then
					set -- $(measure "$AGENT" check --no-tree-search "$tree")
				else
					set -- $(measure "$AGENT" check --no-hardlink-check "$tree")
				fi
				secs[$tool]="${secs[$tool]} $1"
				[ "$2" -gt "${mem[$tool]}" ] && mem[$tool]=$2
			done
			set -- $(stats ${secs[$tool]})
			printf '%-9s %-5s %-6s %9s %9s %10.1f\n' "$((real - 1))" $cache $tool "$1" "$2" \
				"$(echo "${mem[$tool]}" | awk '{print $1/1024}')"
			eval "min_$tool=$1; med_$tool=$2"
		done
		# shellcheck disable=SC2154
		"$PY" -c 'import sys; f,c,s,n,fm,cm,sm,nm=map(float,sys.argv[1:]); print("          ratio to find (min, median): check %.2f, %.2f; --no-tree-search %.2f, %.2f; --no-hardlink-check %.2f, %.2f" % (c/f, cm/fm, s/f, sm/fm, n/f, nm/fm))' \
			"$min_find" "$min_check" "$min_statx" "$min_nohl" "$med_find" "$med_check" "$med_statx" "$med_nohl"
		unset secs mem
	done
	rm -rf "$tree"
done
