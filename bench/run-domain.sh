#!/bin/sh
# Runs bench_domain under uiommufd-run and, where the reference kernel is
# built, inside it, then prints each case as ns, its ratio to memcpy of the
# same size (from the same run), and uiommufd's time over the kernel's.
#
#   sh bench/run-domain.sh [BUILDDIR] [--quick]
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
Q=${2:-}
oracle=${ORACLE:-$(cd .. && pwd)/shared/oracle}
u=$(mktemp) k=$(mktemp)
trap 'rm -f "$u" "$k"' EXIT
"$B/tools/uiommufd-run" -- "$B/bench/bench_domain" $Q >"$u"
if [ -x "${ORACLE_DIR:-/var/cache/iommufd-oracle}/linux" ] && [ -x "$oracle/run.sh" ]; then
	"$oracle/run.sh" -m 3G -- "$B/bench/bench_domain" $Q >"$k" 2>&1 || : >"$k"
fi
echo "(ratio: to memcpy of the same size; vfio_*: to the same case through"
echo " the IOAS path; ioas_cycle4k: to one getppid system call)"
printf '%-14s %12s %10s %12s %10s %14s\n' case uiommufd_ns ratio kernel_ns ratio uiommufd/kernel
grep -v '^#' "$u" | while read -r name ns ratio; do
	kl=$(grep "^$name " "$k" 2>/dev/null || true)
	if [ -n "$kl" ]; then
		set -- $kl
		printf '%-14s %12s %10s %12s %10s %14s\n' "$name" "$ns" "$ratio" "$2" "$3" \
			"$(awk -v a="$ns" -v b="$2" 'BEGIN { printf "%.3f", a / b }')"
	else
		printf '%-14s %12s %10s %12s %10s %14s\n' "$name" "$ns" "$ratio" - - -
	fi
done
[ -s "$k" ] || echo "(no reference kernel here: kernel columns empty)"
echo "(the reference kernel is User-Mode Linux: its system calls cost far more than a real kernel's)"
