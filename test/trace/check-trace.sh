#!/bin/sh
# The trace: the demo's lines (one decoded line per call, errors by name),
# then a client that reaches every decoder, compared line by line with
# expected.txt (pids and addresses elided), then processes writing at once.
#   check-trace.sh UIOMMUFD_RUN DEMO TRACE_CLIENT EXPECTED
# To remake expected.txt after a deliberate change of the output:
#   UPDATE=1 check-trace.sh ...   (and read the diff before committing)
set -eu
run=$1 demo=$2 client=$3 expected=$4
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
run=$(abs "$run") demo=$(abs "$demo") client=$(abs "$client")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "trace check failed: $1"; [ -z "${2:-}" ] || cat "$2"; exit 1; }

# Pids as [pid]; addresses (buffers, the stack, the binary's data, mmap's
# result, an unknown ioctl's argument) as 0x7f…, wherever they were put.
elide() {
	sed -E -e 's/^\[[0-9]+\]/[pid]/' \
		-e 's/(vaddr|user_va|uptr|data_uptr|data|allowed_iovas)=0x[0-9a-f]{9,}/\1=0x7f…/g' \
		-e 's/^(\[pid\] ioctl\(.*\), )0x[0-9a-f]+\)/\10x7f…)/' \
		-e 's/^(\[pid\] mmap\(.*\)) = 0x[0-9a-f]+$/\1 = 0x7f…/' "$1"
}

# 1. The demo: iommufd commands, in and out fields, an error.
out=$dir/demo
"$run" --trace "$out" -- "$demo" >/dev/null
[ "$(grep -c 'IOMMU_IOAS_ALLOC(' "$out")" = 2 ] || fail "two IOAS_ALLOC lines" "$out"
grep -q 'IOMMU_IOAS_MAP(.*flags=FIXED_IOVA|WRITEABLE|READABLE.* = 0 => {iova=0x10000000}' "$out" || fail "fixed map" "$out"
grep -q 'IOMMU_IOAS_UNMAP(.* = -1 ENOENT (No such file or directory)' "$out" || fail "refused unmap" "$out"
grep -q 'IOMMU_IOAS_COPY(.* = 0 => {dst_iova=0x' "$out" || fail "copy" "$out"
[ "$(wc -l < "$out")" = 15 ] || fail "15 lines" "$out"

# 2. Every decoder: container, group, device, interrupts, regions, trapped
# MMIO, iommufd, every IOMMU_TEST_CMD op, a fault queue, a forked child,
# and a line after the program closed the trace's descriptor.
devs="--vfio-device 0000:00:04.0@7 --vfio-device 0000:01:00.0@8"
# shellcheck disable=SC2086
"$run" --trace "$dir/all" --trace-mmio $devs -- "$client" || fail "the client failed"
elide "$dir/all" > "$dir/all.elided"
if [ "${UPDATE:-0}" = 1 ]; then
	cp "$dir/all.elided" "$expected"
	echo "trace: $expected remade"
fi
diff -u "$expected" "$dir/all.elided" || fail "the lines differ from $expected (above)"
# The child's line is under its own pid.
[ "$(cut -d' ' -f1 "$dir/all" | sort -u | wc -l)" = 2 ] || fail "two pids" "$dir/all"

# 3. Without --trace-mmio: the same calls, no region access, no MMIO.
# shellcheck disable=SC2086
"$run" --trace "$dir/calls" $devs -- "$client" || fail "the client failed"
elide "$dir/calls" > "$dir/calls.elided"
grep -vE '^\[pid\] (pread64|pwrite64|mmio_read|mmio_write)\(|^\[pid\] (read|write)\([0-9]+<' \
	"$dir/all.elided" | diff -u - "$dir/calls.elided" || fail "the lines without --trace-mmio differ"

# 4. A relative FILE, and a program that changes directory first; a run
# with no call of ours still leaves its (empty) file.
(cd "$dir" && "$run" --trace rel -- "$client" --chdir-exec / "$demo" >/dev/null)
[ "$(wc -l < "$dir/rel")" = 15 ] || fail "relative FILE after cd" "$dir/rel"
"$run" --trace "$dir/none" -- "$client" --nothing
if [ ! -f "$dir/none" ] || [ -s "$dir/none" ]; then
	fail "the file of a run without calls"
fi

# 5. Processes writing at once: every line whole, none lost.
"$run" --trace "$dir/stress" -- "$client" --stress || fail "the stress run failed"
n=$(grep -cxE '\[[0-9]+\] IOMMU_DESTROY\(3, \{size=8, id=99\}\) = -1 ENOENT \(No such file or directory\)' "$dir/stress" || true)
if [ "$n" != 2000 ] || [ "$(wc -l < "$dir/stress")" != 2000 ]; then
	fail "2000 whole lines from 4 processes (got $n of $(wc -l < "$dir/stress"))"
fi

echo "trace ok: $(wc -l < "$dir/all") lines of every decoder"
