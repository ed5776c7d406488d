#!/bin/sh
# Every mistake answered clearly: each launcher usage error is one line
# naming the option and the fix, with exit status 2 (docs/uiommufd-run.1);
# each example says what to run when its device is missing; each bench
# answers --help and refuses an unknown option.
#
#   messages.sh BUILDDIR
set -eu
B=$1
run=$B/tools/uiommufd-run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0

# expect STATUS TEXT CMD...: CMD exits STATUS and its standard error (or,
# for status 0, its standard output) has TEXT; a usage error is one line.
expect() {
	want=$1 text=$2
	shift 2
	n=$((n + 1))
	set +e
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	set -e
	[ "$want" = 0 ] && f=$tmp/out || f=$tmp/err
	if [ "$got" != "$want" ] || ! grep -qF -- "$text" "$f" ||
	   { [ "$want" = 2 ] && [ "$(wc -l <"$f")" != 1 ]; }; then
		bad=$((bad + 1))
		echo "FAIL: $* -> status $got (want $want), wanted: $text"
		sed 's/^/  | /' "$tmp/out" "$tmp/err"
	else
		echo "ok: $* -> $got: $(head -n 1 "$f")"
	fi
}

mkdir "$tmp/ro"
chmod 555 "$tmp/ro"
# The launcher's options.
expect 2 "unknown option '--bogus' (see uiommufd-run --help)" "$run" --bogus -- true
expect 2 "unknown option '-x' (see uiommufd-run --help)" "$run" -x -- true
expect 2 "--trace needs an argument" "$run" --trace
expect 2 "--trace $tmp/none/t: No such file or directory; give a writable file, or - for standard error" \
	"$run" --trace "$tmp/none/t" -- true
expect 2 "--trace needs a file name (or - for standard error)" "$run" --trace= -- true
expect 2 "--dump $tmp/none/d: No such file or directory; give a writable file" \
	"$run" --dump "$tmp/none/d" -- true
if [ "$(id -u)" != 0 ]; then
	expect 2 "--dump $tmp/ro/d: Permission denied" "$run" --dump "$tmp/ro/d" -- true
fi
expect 2 "--dump $tmp: Is a directory" "$run" --dump "$tmp" -- true
expect 2 "--dump-after 3 needs --dump FILE" "$run" --dump-after 3 -- true
expect 2 "--dump-after '0': want a positive decimal count of iommufd calls" \
	"$run" --dump /dev/null --dump-after 0 -- true
expect 2 "--dump-after 'x7': want a positive decimal count" \
	"$run" --dump /dev/null --dump-after x7 -- true
expect 2 "--dump-after '-1': want a positive decimal count" \
	"$run" --dump /dev/null --dump-after -1 -- true
expect 2 "--dump-after '99999999999999999999999': want a positive decimal count" \
	"$run" --dump /dev/null --dump-after 99999999999999999999999 -- true
expect 2 "--dump-after needs an argument" "$run" --dump /dev/null --dump-after
expect 2 "no program to run: uiommufd-run [options] -- PROG [ARGS...]" "$run"
expect 2 "no program to run" "$run" --check --
expect 127 "--preload $tmp/no.so: No such file or directory; give the path of libuiommufd-preload.so" \
	"$run" --preload "$tmp/no.so" -- true
expect 127 "UIOMMUFD_PRELOAD=$tmp/no.so: No such file or directory" \
	env UIOMMUFD_PRELOAD="$tmp/no.so" "$run" -- true
expect 127 "uiommufd-run: $tmp/no-such-prog: No such file or directory" "$run" -- "$tmp/no-such-prog"
expect 2 "UIOMMUFD_DEBUG=fd,bogus: unknown category 'bogus': give a comma-separated list of path, fd, vfio, mmio, irq, or all" \
	env UIOMMUFD_DEBUG=fd,bogus "$run" -- true
expect 0 "usage: uiommufd-run" "$run" --help
expect 0 "uiommufd-run " "$run" --version
# Good options still run the program.
expect 0 "IOAS" "$run" --trace "$tmp/t" --dump "$tmp/d" --dump-after 2 -- "$B/examples/demo"
[ -s "$tmp/t" ] && [ -s "$tmp/d" ] || { bad=$((bad + 1)); echo "FAIL: no trace or dump written"; }

# Examples without their device: what to run instead. (A BDF no host has.)
for ex in type1_client cdev_client; do
	expect 1 "$ex: no VFIO device at 0000:ff:1f.7 (" "$run" -- "$B/examples/$ex" 0000:ff:1f.7
	expect 1 "run it under uiommufd-run --vfio-device 0000:ff:1f.7 -- $ex 0000:ff:1f.7" \
		"$run" -- "$B/examples/$ex" 0000:ff:1f.7
	# Both default to the same device.
	expect 0 "$ex: done" "$run" --vfio-device 0000:00:04.0 -- "$B/examples/$ex"
done
if [ ! -e /dev/iommu ]; then
	expect 1 "demo: open /dev/iommu: No such file or directory: run it under uiommufd-run -- demo" \
		"$B/examples/demo"
	expect 2 "dma_device: /dev/iommu: No such file or directory: the device side is uiommufd's; run it under uiommufd-run -- dma_device" \
		"$B/examples/dma_device"
	expect 1 "bench_domain: open /dev/iommu: No such file or directory: run it under uiommufd-run -- bench_domain" \
		"$B/bench/bench_domain" --quick
	expect 1 "bench_close: open /dev/iommu: No such file or directory: run it under uiommufd-run -- bench_close" \
		"$B/bench/bench_close" --quick
fi

# Benches: --help says what each measures; unknown options are refused.
expect 0 "Usage: bench_ioas [--quick]" "$B/bench/bench_ioas" --help
expect 0 "Usage: bench_domain [--quick]" "$B/bench/bench_domain" --help
expect 0 "Usage: bench_ioat [--quick]" "$B/bench/bench_ioat" --help
expect 0 "usage: bench_ioat_vfio [--quick]" "$B/bench/bench_ioat_vfio" --help
expect 0 "Usage: bench_close [--quick] [--fds N]" "$B/bench/bench_close" --help
for b in bench_ioas bench_domain bench_ioat bench_ioat_vfio bench_close; do
	expect 2 "--bogus (try --help)" "$B/bench/$b" --bogus
done

echo "$((n - bad)) passed, $bad failed"
[ "$bad" = 0 ]
