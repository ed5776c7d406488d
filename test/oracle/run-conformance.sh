#!/bin/sh
# Runs every conformance binary inside the reference kernel (Linux 6.12 as
# User-Mode Linux, with the real /dev/iommu), built by the shared oracle
# scripts beside this repository. Builds the kernel (once per machine, about
# 8 minutes) and the tests when missing.
#
#   sh test/oracle/run-conformance.sh [BUILDDIR]
set -eu
cd "$(dirname "$0")/../.."
ORACLE=${ORACLE:-$(cd .. && pwd)/shared/oracle}
B=${1:-build}
[ -x "$ORACLE/run.sh" ] || { echo "no oracle at $ORACLE" >&2; exit 2; }
ORACLE=$ORACLE sh test/oracle/kernel.sh
sh scripts/deps.sh
[ -d "$B" ] || meson setup "$B" >/dev/null
ninja -C "$B" >/dev/null
pass=0 fail=0
for t in "$B"/test/conformance/conf_*; do
	[ -x "$t" ] || continue
	case "$t" in *.p) continue ;; esac
	if "$ORACLE/run.sh" -- "$t" >"$t.oracle.log" 2>&1; then
		echo "PASS $(basename "$t") (reference kernel)"
		pass=$((pass + 1))
	else
		echo "FAIL $(basename "$t") (reference kernel), log: $t.oracle.log"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
