#!/bin/sh
# Run one conformance test many times, several copies at once, under
# uiommufd-run, and count the failures (for flakes).
#
#   sh scripts/repeat.sh BUILD BINARY TEST [RUNS] [COPIES] [-- RUN-ARGS]
#
# e.g. sh scripts/repeat.sh build-asan conf_process \
#          test_killed_child_does_not_wedge 1000 3
# Each copy runs RUNS times; a failing run's output is kept in
# $TMPDIR/repeat.N.fail.K. Exits 1 if any run failed.
set -u
build=$1 bin=$2 test=$3 runs=${4:-100} copies=${5:-3}
shift 3; [ $# -gt 0 ] && shift; [ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
run="$build/tools/uiommufd-run"
exe="$build/test/conformance/$bin"
tmp=${TMPDIR:-/tmp}/repeat.$$
mkdir -p "$tmp"
for c in $(seq 1 "$copies"); do
	(
		fails=0
		for i in $(seq 1 "$runs"); do
			if ! CONF_FILTER="$test" timeout 120 "$run" "$@" -- "$exe" \
				>"$tmp/out.$c" 2>&1; then
				fails=$((fails + 1))
				cp "$tmp/out.$c" "$tmp/fail.$c.$i"
			fi
		done
		echo "$fails" >"$tmp/fails.$c"
	) &
done
wait
total=0
for c in $(seq 1 "$copies"); do
	total=$((total + $(cat "$tmp/fails.$c")))
done
echo "$bin $test: $((runs * copies)) runs ($copies copies of $runs), $total failed"
ls "$tmp"/fail.* 2>/dev/null | head -5
[ "$total" -eq 0 ] || exit 1
rm -rf "$tmp"
