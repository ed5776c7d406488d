#!/bin/sh
# Runs bench_ioat_vfio under uiommufd-run with an emulated ioat device: the
# ioat model through VFIO, trapped BAR stores and the IO page table.
#
#   sh bench/run-ioat.sh [BUILDDIR] [--quick]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
shift || true
exec "$B/tools/uiommufd-run" --vfio-device 0000:03:00.0@40,model=ioat -- \
	"$B/bench/bench_ioat_vfio" "$@"
