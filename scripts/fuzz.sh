#!/bin/sh
# Runs the libFuzzer harness test/fuzz/fuzz_ioctl.c for SECONDS:
#
#     sh scripts/fuzz.sh SECONDS
#
# Builds build-fuzz (clang, -Dfuzz=true, ASan+UBSan), copies the seed corpus
# test/fuzz/corpus/ to a scratch directory (build-fuzz/fuzz-run.*, which
# also gets the log and any crash, leak or timeout reproducer) so that the
# committed corpus is left alone, and prints libFuzzer's last line with the
# total number of executions. Exit status: libFuzzer's (0: nothing found).
#
# FUZZ_JOBS=N runs N independent fuzzers (default 1; the machine is shared,
# one or two at most). FUZZ_ARGS adds libFuzzer options.
set -eu
cd "$(dirname "$0")/.."
secs=${1:?usage: sh scripts/fuzz.sh SECONDS}
jobs=${FUZZ_JOBS:-1}
sh scripts/deps.sh
dir=build-fuzz
if [ -d "$dir" ]; then
	meson configure "$dir" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
else
	CC=clang meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
fi
ninja -C "$dir" test/fuzz/fuzz_ioctl >/dev/null

work=$(mktemp -d "$PWD/$dir/fuzz-run.XXXXXX")
# use_sigaltstack=0: every EFAULT of a user copy leaves the SIGSEGV handler
# by siglongjmp; on an alternate stack ASan then rereads /proc/self/maps to
# find the thread's stack, which cost a third of the run.
export ASAN_OPTIONS="use_sigaltstack=0:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/test/fuzz/ubsan.supp"
pids=""
for j in $(seq 1 "$jobs"); do
	mkdir -p "$work/$j/corpus"
	cp test/fuzz/corpus/* "$work/$j/corpus/"
	# shellcheck disable=SC2086
	# -entropic=0: with the tens of thousands of features an input of
	# this harness has, the entropic schedule's bookkeeping took half of
	# the time. -max_len: 512 bytes is 25 to 120 commands, deep enough;
	# longer inputs only make each execution slower.
	"$dir/test/fuzz/fuzz_ioctl" -max_total_time="$secs" -timeout=30 \
		-entropic=0 -max_len=512 -print_final_stats=1 \
		-artifact_prefix="$work/$j/" \
		${FUZZ_ARGS:-} "$work/$j/corpus" >"$work/$j/log" 2>&1 &
	pids="$pids $!"
done
rc=0
for p in $pids; do
	wait "$p" || rc=$?
done

total=0
for j in $(seq 1 "$jobs"); do
	log=$work/$j/log
	echo "== fuzzer $j: $log"
	if grep -q '^Done ' "$log"; then
		grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1
		grep '^Done ' "$log"
		n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
		total=$((total + n))
	else
		# A finding: the report and the reproducer's name.
		grep -E 'ERROR|SUMMARY|^fuzz:|runtime error|Test unit written' "$log" | tail -n 8
		tail -n 1 "$log"
	fi
done
[ "$jobs" -gt 1 ] && echo "total executions: $total"
exit "$rc"
