#!/bin/sh
# The kill sweep (test/unit/test_crash.c): every kill point of each
# command; prints the counts per command. --long also runs each command
# twice in a row, and at every other point kills the next locker at each
# point of its undo (several minutes in a plain build).
#
#   sh scripts/crash-sweep.sh [--long] [BUILDDIR]
set -eu
cd "$(dirname "$0")/.."
long=
if [ "${1:-}" = --long ]; then
	long=--long
	shift
fi
B=${1:-build}
[ -d "$B" ] || meson setup "$B" >/dev/null
ninja -C "$B" test/test_crash >/dev/null
# shellcheck disable=SC2086
"$B/test/test_crash" $long
