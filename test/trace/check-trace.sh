#!/bin/sh
# The trace of the demo: one decoded line per call, errors by name.
#   check-trace.sh UIOMMUFD_RUN DEMO
set -eu
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" --trace "$out" -- "$2" >/dev/null
fail() { echo "trace check failed: $*"; cat "$out"; exit 1; }
[ "$(grep -c 'IOMMU_IOAS_ALLOC(' "$out")" = 2 ] || fail "two IOAS_ALLOC lines"
grep -q 'IOMMU_IOAS_MAP(.*flags=FIXED_IOVA|WRITEABLE|READABLE.* = 0 => {iova=0x10000000}' "$out" || fail "fixed map"
grep -q 'IOMMU_IOAS_UNMAP(.* = -1 ENOENT (No such file or directory)' "$out" || fail "refused unmap"
grep -q 'IOMMU_IOAS_COPY(.* = 0 => {dst_iova=0x' "$out" || fail "copy"
[ "$(wc -l < "$out")" = 15 ] || fail "15 lines"
echo "trace ok: $(wc -l < "$out") lines"
