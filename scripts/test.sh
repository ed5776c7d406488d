#!/bin/sh
# Runs every test: builds with gcc and with clang (-Werror), runs the unit and
# conformance suites with each (and the install suite: a DESTDIR install and
# a subproject consumer), then again under ASan+UBSan with each, the unit
# suite under TSan, builds and checks the Debian packages, builds the
# reference kernel (first use only), runs the benchmarks (they print ratios;
# they do not decide pass or fail; run-domain.sh compares with the kernel),
# then the conformance binaries inside the reference kernel and the
# differential tester there against uiommufd, then the real clients
# (unmodified QEMU and DPDK, scripts/real-clients.sh).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
# run DIR [MESON_TEST_ARGS...] -- SETUP...
run() {
	dir=$1; shift
	args=""
	while [ "$1" != -- ]; do args="$args $1"; shift; done
	shift
	[ -d "$dir" ] || "$@" "$dir" >/dev/null
	ninja -C "$dir" >/dev/null
	# shellcheck disable=SC2086
	meson test -C "$dir" --print-errorlogs $args
}
echo "== gcc"
run build-gcc -- env CC=gcc meson setup
echo "== clang"
run build-clang -- env CC=clang meson setup
echo "== gcc, ASan+UBSan"
ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run build-asan --no-suite install -- env CC=gcc meson setup -Db_sanitize=address,undefined -Db_lundef=false
echo "== clang, ASan+UBSan (clang's UBSan also checks pointer arithmetic)"
ASAN_OPTIONS=detect_leaks=1:verify_asan_link_order=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	run build-clang-asan --no-suite install -- env CC=clang meson setup -Db_sanitize=address,undefined -Db_lundef=false
echo "== clang, TSan: unit suite, with the threaded stress test"
# (The preload library cannot be TSan-instrumented: TSan's start-up calls
# sigaction, which the library wraps, before TSan is ready.)
[ -d build-tsan ] || CC=clang meson setup build-tsan -Db_sanitize=thread -Db_lundef=false >/dev/null
ninja -C build-tsan >/dev/null
TSAN_OPTIONS=halt_on_error=1 meson test -C build-tsan --suite unit --print-errorlogs
echo "== Debian packages: built, lintian, unpacked and run (scripts/deb.sh --check)"
sh scripts/deb.sh --check
# The reference kernel before the benchmarks, so that run-domain.sh has
# its columns on a fresh machine too. It is built once per machine (about
# 8 minutes; test/oracle/kernel.sh). UIOMMUFD_SKIP_KERNEL=1 skips it where
# no oracle is at hand.
oracle=$(cd .. && pwd)/shared/oracle
if [ "${UIOMMUFD_SKIP_KERNEL:-0}" != 1 ] && [ -x "$oracle/run.sh" ]; then
	echo "== the reference kernel"
	ORACLE=$oracle sh test/oracle/kernel.sh
fi
echo "== bench"
build-gcc/bench/bench_ioas
ORACLE=$oracle sh bench/run-domain.sh build-gcc
build-gcc/bench/bench_ioat
sh bench/run-ioat.sh build-gcc
sh bench/run-exit.sh build-gcc 128
build-gcc/bench/bench_trap
build-gcc/tools/uiommufd-run -- build-gcc/bench/bench_close
build-gcc/bench/bench_journal
echo "== conformance binaries in the reference kernel"
if [ "${UIOMMUFD_SKIP_KERNEL:-0}" = 1 ]; then
	echo "skipped: UIOMMUFD_SKIP_KERNEL=1"
elif [ -x "$oracle/run.sh" ]; then
	ORACLE=$oracle sh test/oracle/run-conformance.sh build-gcc
	echo "== differential test against the reference kernel (4 seeds x 500 commands)"
	# The long run: sh test/diff/run-diff.sh build-gcc 0-31 3000
	ORACLE=$oracle sh test/diff/run-diff.sh build-gcc 1-4 500
else
	echo "no oracle at $oracle: the conformance binaries were not run in the reference kernel" >&2
	exit 1
fi
echo "== real clients: Debian's QEMU 7.2 and 10.0 and DPDK 22.11, unmodified, under uiommufd-run"
# (scripts/real-clients.sh: fetched once into its cache, about a minute
# to fetch and a minute to run; UIOMMUFD_SKIP_CLIENTS=1 skips them.)
if [ "${UIOMMUFD_SKIP_CLIENTS:-0}" = 1 ]; then
	echo "skipped: UIOMMUFD_SKIP_CLIENTS=1"
else
	sh scripts/real-clients.sh build-gcc
fi
