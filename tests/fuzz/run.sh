#!/bin/bash
# Fuzz every parser that rvss feeds untrusted bytes with libFuzzer (clang,
# ASan+UBSan), each target for a bounded time.  `make fuzz-smoke` (part
# of `make check`) runs it with 60 s per target; `make fuzz` with
# $FUZZ_SECONDS (default 60).
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 60, or $FUZZ_SECONDS)
#
# Targets: every tests/fuzz/fuzz_*.c (FUZZ_TARGETS="vhd catalog" picks
# some).  Each is linked against the whole core and the agent's code (all
# of lib/*.c and fsrvp_agent/*.c but main.c, built once as instrumented
# archives), so a new dependency between source files cannot break the
# fuzz build.
#
# Inputs: the seeds kept in the repository (tests/fuzz/corpus/TARGET/,
# read only), the VHD/VHDX files the unit tests' fixture writer makes
# (gen_seeds), and the working corpus $FUZZ_OUT/corpus-TARGET (kept
# between runs, so coverage grows); tests/fuzz/TARGET.dict if present.
# Every seed is replayed first, so a crash input added to the corpus is a
# regression test.
#
# Work directory: $FUZZ_OUT (default build-fuzz/): binaries, corpora, logs,
# crash-* / leak-* / timeout-* files.  Exit 1 on any crash, leak, timeout
# or sanitizer report, 2 if the build fails; one line per target.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SECS=${1:-${FUZZ_SECONDS:-60}}
OUT=${FUZZ_OUT:-$SRC/build-fuzz}
CC=${CLANG:-clang}

if ! command -v "$CC" >/dev/null; then
	echo "fuzz: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi
case $OUT in
/*) ;;
*) OUT=$SRC/$OUT ;;
esac
mkdir -p "$OUT/obj" "$OUT/artifacts"

targets=${FUZZ_TARGETS:-$(cd "$HERE" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
LIBS=$(pkg-config --libs talloc tdb libbtrfsutil)
INCS=$(pkg-config --cflags talloc tdb libbtrfsutil)
CFLAGS="-g -O1 -std=gnu11 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined
	-I$SRC/lib -I$SRC/tests/unit $INCS"

build() {
	local f o objs=""

	# shellcheck disable=SC2086
	for f in "$SRC"/lib/*.c; do
		o=$OUT/obj/$(basename "$f" .c).o
		"$CC" $CFLAGS -fsanitize=fuzzer-no-link,address,undefined \
			-c -o "$o" "$f"
		objs="$objs $o"
	done
	rm -f "$OUT/libcore.a"
	# shellcheck disable=SC2086
	ar rcs "$OUT/libcore.a" $objs
	# The agent's code (its JSON writer) likewise, without main.c.
	objs=""
	for f in "$SRC"/fsrvp_agent/*.c; do
		[ "$(basename "$f")" = main.c ] && continue
		o=$OUT/obj/agent_$(basename "$f" .c).o
		# shellcheck disable=SC2086
		"$CC" $CFLAGS -I"$SRC/fsrvp_agent" \
			-fsanitize=fuzzer-no-link,address,undefined \
			-c -o "$o" "$f"
		objs="$objs $o"
	done
	rm -f "$OUT/libagent.a"
	# shellcheck disable=SC2086
	ar rcs "$OUT/libagent.a" $objs
	for t in $targets; do
		# shellcheck disable=SC2086
		"$CC" $CFLAGS -fsanitize=fuzzer,address,undefined \
			-I"$SRC/fsrvp_agent" -o "$OUT/fuzz_$t" "$HERE/fuzz_$t.c" \
			"$OUT/libagent.a" "$OUT/libcore.a" $LIBS -lpthread
	done
	# VHD/VHDX seeds from the unit tests' fixture writer (no sanitizer).
	# shellcheck disable=SC2086
	"$CC" -g -O1 -std=gnu11 -D_GNU_SOURCE -I"$SRC/lib" -I"$SRC/tests/unit" \
		$INCS -o "$OUT/gen_seeds" "$HERE/gen_seeds.c" \
		"$SRC/lib/vhdx.c" "$SRC/lib/vdisk.c" $LIBS
	mkdir -p "$OUT/seeds"
	"$OUT/gen_seeds" "$OUT/seeds"
}

echo "fuzz: building $(echo $targets) with $CC in $OUT"
if ! build; then
	echo "fuzz: build FAILED" >&2
	exit 2
fi

failed=0
for t in $targets; do
	corpus=$OUT/corpus-$t
	mkdir -p "$corpus"
	dirs=""
	[ -d "$HERE/corpus/$t" ] && dirs="$dirs $HERE/corpus/$t"
	[ -d "$OUT/seeds/$t" ] && dirs="$dirs $OUT/seeds/$t"
	dict=""
	[ -f "$HERE/$t.dict" ] && dict="-dict=$HERE/$t.dict"
	case $t in
	vhdx) maxlen=65536 ;;
	vhd) maxlen=8192 ;;
	*) maxlen=4096 ;;
	esac
	log=$OUT/fuzz_$t.log
	# -timeout: one input taking over 5 s is a hang, reported as failure.
	# shellcheck disable=SC2086
	if (cd "$OUT" && ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"./fuzz_$t" -max_total_time="$SECS" -timeout=5 \
		-rss_limit_mb=2048 -max_len=$maxlen -print_final_stats=1 \
		-artifact_prefix="$OUT/artifacts/$t-" $dict \
		"$corpus" $dirs) >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
		ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
		echo "fuzz_$t: ok, ${runs:-?} executions in ${SECS}s" \
			"(${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}," \
			"corpus $(ls "$corpus" | wc -l) files"
	else
		echo "fuzz_$t: FAILED, see $log:"
		grep -E "ERROR|SUMMARY|Test unit written|runtime error" "$log" |
			head -5 | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
