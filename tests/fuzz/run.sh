#!/bin/bash
# Fuzz the VHDX/VHD readers and the path helpers with libFuzzer (clang,
# ASan+UBSan), each for a bounded time, from seeds the fixture writer
# generates.  Called by `make fuzz`.
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 60, or $FUZZ_SECONDS)
#
# Work directory: $FUZZ_OUT (default build-fuzz/): binaries, corpora (kept
# between runs, so coverage grows), crash-* files.  Exit 1 on any crash,
# leak, timeout or sanitizer report; prints one line per target.
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
mkdir -p "$OUT"
TALLOC=$(pkg-config --cflags --libs talloc)
CFLAGS="-g -O1 -std=gnu11 -D_GNU_SOURCE -I$SRC/lib -I$SRC/tests/unit"
CORE="$SRC/lib/vdisk.c $SRC/lib/vhdx.c $SRC/lib/vhd.c $SRC/lib/layout.c"

echo "fuzz: building with $CC in $OUT"
# shellcheck disable=SC2086
"$CC" $CFLAGS -o "$OUT/gen_seeds" "$HERE/gen_seeds.c" "$SRC/lib/vhdx.c" \
	"$SRC/lib/vdisk.c" $TALLOC
for t in vhdx vhd paths; do
	# shellcheck disable=SC2086
	"$CC" $CFLAGS -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -o "$OUT/fuzz_$t" \
		"$HERE/fuzz_$t.c" $CORE $TALLOC
done
mkdir -p "$OUT/seeds"
"$OUT/gen_seeds" "$OUT/seeds"

failed=0
for t in vhdx vhd paths; do
	corpus=$OUT/corpus-$t
	mkdir -p "$corpus"
	case $t in
	vhdx) seeds=$OUT/seeds/vhdx; maxlen=600000 ;;
	vhd) seeds=$OUT/seeds/vhd; maxlen=8192 ;;
	paths) seeds=""; maxlen=4096 ;;
	esac
	log=$OUT/fuzz_$t.log
	# -timeout: one input taking over 5 s is a hang, reported as failure.
	if (cd "$OUT" && ASAN_OPTIONS=detect_leaks=1 \
		"./fuzz_$t" -max_total_time="$SECS" -timeout=5 \
		-rss_limit_mb=2048 -max_len=$maxlen -print_final_stats=1 \
		"$corpus" $seeds) >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz_$t: ok, ${runs:-?} inputs in ${SECS}s (corpus $(ls "$corpus" | wc -l) files)"
	else
		echo "fuzz_$t: FAILED, see $log:"
		grep -E "ERROR|SUMMARY|Test unit written" "$log" | head -5 | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
