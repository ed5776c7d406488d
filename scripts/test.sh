#!/bin/sh
# Runs every test: builds with gcc and with clang (-Werror), runs the unit and
# conformance suites with each, then again under ASan+UBSan with each, the
# unit suite under TSan, the benchmarks (they print ratios; they do not decide pass or
# fail), then the conformance binaries inside the reference kernel (built
# on first use).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
run() {
	dir=$1; shift
	[ -d "$dir" ] || "$@" "$dir" >/dev/null
	ninja -C "$dir" >/dev/null
	meson test -C "$dir" --print-errorlogs
}
echo "== gcc"
run build-gcc env CC=gcc meson setup
echo "== clang"
run build-clang env CC=clang meson setup
echo "== gcc, ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run build-asan env CC=gcc meson setup -Db_sanitize=address,undefined -Db_lundef=false
echo "== clang, ASan+UBSan (clang's UBSan also checks pointer arithmetic)"
ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run build-clang-asan env CC=clang meson setup -Db_sanitize=address,undefined -Db_lundef=false
echo "== clang, TSan: unit suite, with the threaded stress test"
# (The preload library cannot be TSan-instrumented: TSan's start-up calls
# sigaction, which the library wraps, before TSan is ready.)
[ -d build-tsan ] || CC=clang meson setup build-tsan -Db_sanitize=thread -Db_lundef=false >/dev/null
ninja -C build-tsan >/dev/null
TSAN_OPTIONS=halt_on_error=1 meson test -C build-tsan --suite unit --print-errorlogs
echo "== bench"
build-gcc/bench/bench_ioas
sh bench/run-domain.sh build-gcc
build-gcc/bench/bench_ioat
sh bench/run-ioat.sh build-gcc
build-gcc/bench/bench_trap
echo "== conformance binaries in the reference kernel"
# The kernel is built once per machine (about 8 minutes; test/oracle/kernel.sh).
# UIOMMUFD_SKIP_KERNEL=1 skips this step where no oracle is at hand.
oracle=$(cd .. && pwd)/shared/oracle
if [ "${UIOMMUFD_SKIP_KERNEL:-0}" = 1 ]; then
	echo "skipped: UIOMMUFD_SKIP_KERNEL=1"
elif [ -x "$oracle/run.sh" ]; then
	ORACLE=$oracle sh test/oracle/run-conformance.sh build-gcc
else
	echo "no oracle at $oracle: the conformance binaries were not run in the reference kernel" >&2
	exit 1
fi
