#!/bin/sh
# Runs a libFuzzer harness for SECONDS: test/fuzz/fuzz_ioctl.c (the core's
# C API), or with FUZZ_TARGET=vfio test/fuzz/fuzz_vfio.c (emulated VFIO
# devices through the system calls, under uiommufd-run with the devices
# of the fuzz_vfio_corpus test and the preload library built with
# libFuzzer's coverage instrumentation, libuiommufd-preload-fuzz.so):
#
#     sh scripts/fuzz.sh SECONDS
#     FUZZ_TARGET=vfio sh scripts/fuzz.sh SECONDS
#
# Builds build-fuzz (clang, -Dfuzz=true, ASan+UBSan), copies the seed corpus
# (test/fuzz/corpus/, or corpus-vfio/) to a scratch directory
# (build-fuzz/fuzz-run.*, which
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
target=${FUZZ_TARGET:-ioctl}
case $target in
ioctl) corpus=test/fuzz/corpus; targets=test/fuzz/fuzz_ioctl ;;
vfio) corpus=test/fuzz/corpus-vfio
	targets="test/fuzz/fuzz_vfio test/fuzz/libuiommufd-preload-fuzz.so
		 test/fuzz/llvm-symbolizer test/libmodel_wide.so tools/uiommufd-run" ;;
*) echo "fuzz.sh: FUZZ_TARGET is ioctl or vfio" >&2; exit 2 ;;
esac
sh scripts/deps.sh
dir=build-fuzz
if [ -d "$dir" ]; then
	meson configure "$dir" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
else
	CC=clang meson setup "$dir" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
fi
# shellcheck disable=SC2086
ninja -C "$dir" $targets >/dev/null
b=$PWD/$dir
# fuzz_vfio runs under the launcher, with the devices of fuzz_vfio_corpus
# (test/fuzz/meson.build) and the instrumented preload library.
if [ "$target" = vfio ]; then
	run="$b/tools/uiommufd-run --preload $b/test/fuzz/libuiommufd-preload-fuzz.so --check
	     --vfio-device 0000:00:04.0@7 --vfio-device 0000:01:00.0@10
	     --vfio-device 0000:01:00.1@10,model=ioat
	     --vfio-device 0000:02:00.0@12,model=$b/test/libmodel_wide.so
	     -- $b/test/fuzz/fuzz_vfio"
else
	run=$b/test/fuzz/fuzz_ioctl
fi

work=$(mktemp -d "$PWD/$dir/fuzz-run.XXXXXX")
# use_sigaltstack=0: every EFAULT of a user copy leaves the SIGSEGV handler
# by siglongjmp; on an alternate stack ASan then rereads /proc/self/maps to
# find the thread's stack, which cost a third of the run.
# verify_asan_link_order=0: clang ASan builds link the shared runtime
# (meson.build), which libFuzzer's libstdc++ and fuzz_vfio's LD_PRELOAD
# come before in the load order; scripts/test.sh sets it too.
export ASAN_OPTIONS="use_sigaltstack=0:detect_leaks=1:verify_asan_link_order=0"
# fuzz_vfio's LD_PRELOAD is an instrumented library the real symbolizer
# cannot load: a static one drops it first (test/fuzz/symbolizer.c).
if [ "$target" = vfio ]; then
	ASAN_OPTIONS="$ASAN_OPTIONS:external_symbolizer_path=$b/test/fuzz/llvm-symbolizer"
	UIOMMUFD_SYMBOLIZER=$(command -v llvm-symbolizer || true)
	export UIOMMUFD_SYMBOLIZER
fi
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/test/fuzz/ubsan.supp"
pids=""
for j in $(seq 1 "$jobs"); do
	mkdir -p "$work/$j/corpus"
	cp "$corpus"/* "$work/$j/corpus/"
	# shellcheck disable=SC2086
	# $run is split on purpose.
	# -entropic=0: with the tens of thousands of features an input of
	# this harness has, the entropic schedule's bookkeeping took half of
	# the time. -max_len: 512 bytes is 25 to 120 commands, deep enough;
	# longer inputs only make each execution slower.
	$run -max_total_time="$secs" -timeout=30 \
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
