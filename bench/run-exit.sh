#!/bin/sh
# Runs bench_exit under uiommufd-run: what exiting costs a process with
# much of its memory pinned, alone and with the context shared.
#
#   sh bench/run-exit.sh [BUILDDIR] [MiB]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
shift || true
exec "$B/tools/uiommufd-run" -- "$B/bench/bench_exit" "$@"
